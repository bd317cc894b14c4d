#!/usr/bin/env python3
"""Round trip through the OFFICIAL Kingdee WebAPI SDK against the duijie sandbox.

    python3 tests/python/kingdee_sdk_roundtrip.py BASE_URL [BILL_NUMBER]

BASE_URL is the sandbox's base URL (``http://127.0.0.1:PORT``); the Kingdee
server URL is ``BASE_URL/k3cloud/``. The SDK (``pip install
kingdee-cdp-webapi-sdk``) signs every request with its own code (SDK v8 signed
headers), so a sandbox that accepts it shows that duijie's signing and the
sandbox's verification do not share a mistake.

The script BatchSaves one purchase order, reads it back with ExecuteBillQuery,
checks that saving the same number again is refused with Kingdee's duplicate
error, and exits non-zero on any mismatch. It uses the sandbox's default
credentials (shared/protocols.md vector 4), and the real clock.
"""

import json
import sys
from decimal import Decimal

try:
    from k3cloud_webapi_sdk.main import K3CloudApiSdk
except ImportError:
    print(
        "the official Kingdee SDK is not installed: pip install kingdee-cdp-webapi-sdk",
        file=sys.stderr,
    )
    sys.exit(2)

ACCT_ID = "64f0c0ffee0001"
USER = "webapi"
APP_ID = "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0"
APP_SECRET = "0123456789abcdef0123456789abcdef"
FORM = "PUR_PurchaseOrder"

failures = []


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    server = sys.argv[1].rstrip("/") + "/k3cloud/"
    number = sys.argv[2] if len(sys.argv) > 2 else "PYSDK-0001"

    api = K3CloudApiSdk(server, 30)
    api.InitConfig(ACCT_ID, USER, APP_ID, APP_SECRET, server, 2052, 0)

    bill = {
        "FBillNo": number,
        "FDate": "2024-01-02",
        "FBillTypeID": {"FNUMBER": "CGDD01_SYS"},
        "FBusinessType": "CG",
        "FSupplierId": {"FNumber": "0003"},
        "FPurchaseOrgId": {"FNumber": "100"},
        "FPOOrderEntry": [
            {
                "FMaterialId": {"FNumber": "A01"},
                "FQty": "10.0000",
                "FPrice": "5.5000",
                "FEntryTaxRate": 13,
                "FEntryNote": "python sdk line 1",
            },
            {
                "FMaterialId": {"FNumber": "G1001-01"},
                "FQty": 2.5,
                "FEntryNote": "python sdk line 2",
            },
        ],
    }
    save_data = {
        "Model": [bill],
        "NeedReturnFields": ["FBillNo"],
        "IsAutoSubmitAndAudit": True,
        "IsVerifyBaseDataField": True,
    }

    saved = json.loads(api.BatchSave(FORM, save_data))
    status = saved["Result"]["ResponseStatus"]
    check("BatchSave IsSuccess", status.get("IsSuccess"), True)
    check("BatchSave Errors", status.get("Errors"), [])
    entities = status.get("SuccessEntitys") or [{}]
    check("BatchSave Number", entities[0].get("Number"), number)
    check("BatchSave DIndex", entities[0].get("DIndex"), 0)
    check("NeedReturnData", saved["Result"].get("NeedReturnData"), [{"FBillNo": number}])
    check("session cookie kept by the SDK", bool(api.cookiesStore.SID), True)

    query = {
        "FormId": FORM,
        "FieldKeys": "FID,FBillNo,FDocumentStatus,FSupplierId.FNumber,FPOOrderEntry_FEntryID,FMaterialId.FNumber,FQty",
        "FilterString": f"FBillNo='{number}'",
        "OrderString": "",
        "TopRowCount": 0,
        "StartRow": 0,
        "Limit": 2000,
    }
    rows = json.loads(api.ExecuteBillQuery(query))
    if not isinstance(rows, list) or len(rows) != 2:
        failures.append(f"ExecuteBillQuery: want 2 rows, got {rows!r}")
    else:
        for row, (material, qty) in zip(rows, [("A01", "10"), ("G1001-01", "2.5")]):
            check("FID", row[0], entities[0].get("Id"))
            check("FBillNo", row[1], number)
            check("FDocumentStatus", row[2], "C")
            check("FSupplierId.FNumber", row[3], "0003")
            check("FEntryID is a number", isinstance(row[4], int) and row[4] > 0, True)
            check("FMaterialId.FNumber", row[5], material)
            check("FQty", Decimal(str(row[6])), Decimal(qty))

    again = json.loads(api.BatchSave(FORM, save_data))
    status = again["Result"]["ResponseStatus"]
    check("duplicate IsSuccess", status.get("IsSuccess"), False)
    check("duplicate MsgCode", status.get("MsgCode"), 11)
    errors = status.get("Errors") or [{}]
    check(
        "duplicate message",
        errors[0].get("Message"),
        f"违反字段唯一性要求：编码唯一。[{number}]在当前系统中已经被使用。",
    )

    if failures:
        for f in failures:
            print("MISMATCH " + f, file=sys.stderr)
        return 1
    print(f"ok: {number} saved and read back through the official Kingdee SDK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
