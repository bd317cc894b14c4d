#!/usr/bin/env python3
"""The yardstick of bench/adaptive.sh: bills saved one batch after another
through the OFFICIAL Kingdee WebAPI SDK, as a hand-written sync script does.

    python3 bench/sdk_sequential.py BASE_URL BILLS.jsonl [BATCH]

BILLS.jsonl holds one bill (a BatchSave ``Model`` object) a line, e.g. the
output of ``duijie map wdt_purchase_to_kingdee``. The script logs in with the
sandbox's default credentials, BatchSaves the bills BATCH (default 20) at a
time, one call after another, and prints one line of JSON: bills saved,
bills refused, calls, overload answers (a call refused for load is sent
again after a second, as a careful script would) and wall seconds. It does
not read the source or map anything: it only writes, so it is the
sequential script at its fastest.
"""

import json
import sys
import time

try:
    from k3cloud_webapi_sdk.main import K3CloudApiSdk
except ImportError:
    print("the official Kingdee SDK is not installed: pip install kingdee-cdp-webapi-sdk", file=sys.stderr)
    sys.exit(2)

ACCT_ID = "64f0c0ffee0001"
USER = "webapi"
APP_ID = "123456_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0"
APP_SECRET = "0123456789abcdef0123456789abcdef"
FORM = "PUR_PurchaseOrder"


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    server = sys.argv[1].rstrip("/") + "/k3cloud/"
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with open(sys.argv[2], encoding="utf-8") as f:
        bills = [json.loads(line) for line in f if line.strip()]

    started = time.monotonic()
    api = K3CloudApiSdk(server, 60)
    api.InitConfig(ACCT_ID, USER, APP_ID, APP_SECRET, server, 2052, 0)
    saved = refused = calls = overloads = 0
    for i in range(0, len(bills), batch):
        chunk = bills[i : i + batch]
        data = {"Model": chunk, "NeedReturnFields": ["FBillNo"], "IsAutoSubmitAndAudit": True}
        while True:
            calls += 1
            answer = json.loads(api.BatchSave(FORM, data))
            status = answer["Result"]["ResponseStatus"]
            if status.get("MsgCode") == 14:
                overloads += 1
                time.sleep(1)
                continue
            break
        ok = len(status.get("SuccessEntitys") or [])
        saved += ok
        refused += len(chunk) - ok
    wall = time.monotonic() - started
    print(json.dumps({"saved": saved, "refused": refused, "calls": calls, "overloads": overloads, "wall": wall}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
