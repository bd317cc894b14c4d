//! 金蝶 base data over loopback HTTP: ExecuteBillQuery on base-data forms
//! (paging by FModifyDate, filters, unknown fields), saving materials with
//! Save/BatchSave and using them in bills, generated materials.

mod common;

use common::*;
use duijie_sandbox::SandboxConfig;
use serde_json::{json, Value};

/// The seed's time: the sandbox's frozen clock (`ANCHOR`).
const SEEDED: &str = "2024-01-31T00:00:00";

fn status(v: &Value) -> &Value {
    &v["Result"]["ResponseStatus"]
}

fn query(form: &str, keys: &str, filter: &str, order: &str, start: usize, limit: usize) -> Value {
    json!({"data": {"FormId": form, "FieldKeys": keys, "FilterString": filter,
        "OrderString": order, "TopRowCount": 0, "StartRow": start, "Limit": limit}})
}

fn material(number: &str, name: &str) -> Value {
    json!({"FNumber": number, "FName": name, "FSpecification": "黑色 10W",
        "FBaseUnitId": {"FNumber": "Pcs"}, "FCreateOrgId": {"FNumber": "100"}, "FUseOrgId": {"FNumber": "100"}})
}

fn save_material(model: Value, audit: bool) -> Value {
    json!({"formid": "BD_MATERIAL", "data": {"Model": model, "IsAutoSubmitAndAudit": audit,
        "NeedReturnFields": ["FMATERIALID", "FNumber"]}})
}

/// A purchase order naming material `number`, base data verified.
fn order_naming(bill_no: &str, number: &str) -> Value {
    let mut bill = purchase_bill(bill_no);
    bill["FPOOrderEntry"][1]["FMaterialId"] = json!({"FNumber": number});
    json!({"formid": "PUR_PurchaseOrder", "data": {"Model": [bill], "IsVerifyBaseDataField": true, "IsAutoSubmitAndAudit": true}})
}

#[tokio::test]
async fn materials_page_by_modify_date_in_id_order() {
    let mut cfg = config();
    cfg.kingdee.extra_materials = 2_500;
    let sandbox = start(cfg).await;
    let kd = Kd::login(&sandbox).await;
    let total = sandbox.control().master_data_count("BD_MATERIAL");
    assert_eq!(total, 66 + 2_500);
    let filter =
        "FModifyDate >= '2024-01-31 00:00:00' AND FDocumentStatus = 'C' AND FForbidStatus = 'A'";
    let keys = "FMATERIALID,FNumber,FName,FBARCODE,FBaseUnitId.FNumber,FModifyDate";
    let mut ids = Vec::new();
    let mut start_row = 0;
    loop {
        let v = kd
            .call(
                "ExecuteBillQuery",
                &query(
                    "BD_MATERIAL",
                    keys,
                    filter,
                    "FMATERIALID ASC",
                    start_row,
                    1000,
                ),
            )
            .await;
        let rows = v.as_array().unwrap_or_else(|| panic!("{v}"));
        for row in rows {
            assert_eq!(row[5], SEEDED, "{row}");
            assert!(!row[2].as_str().unwrap().is_empty(), "{row}");
            ids.push(row[0].as_i64().unwrap());
        }
        start_row += rows.len();
        if rows.len() < 1000 {
            break;
        }
    }
    assert_eq!(ids.len(), total);
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
    assert_eq!(ids[0], 100_001);

    // The generated ones come after the seeded ones, with bar codes.
    let v = kd
        .call(
            "ExecuteBillQuery",
            &query("BD_MATERIAL", keys, "FNumber = 'M0002500'", "", 0, 0),
        )
        .await;
    let row = &v[0];
    assert_eq!(row[0], 100_000 + total as i64, "{v}");
    assert_eq!(row[3].as_str().unwrap().len(), 13, "{v}");
    // Nothing modified since the seed.
    let v = kd
        .call(
            "ExecuteBillQuery",
            &query(
                "BD_MATERIAL",
                "FNumber",
                "FModifyDate > '2024-01-31 00:00:00'",
                "",
                0,
                0,
            ),
        )
        .await;
    assert_eq!(v, json!([]));
}

#[tokio::test]
async fn base_data_filters_and_unknown_fields() {
    let sandbox = start(config()).await;
    let kd = Kd::login(&sandbox).await;
    let v = kd
        .call(
            "ExecuteBillQuery",
            &query(
                "BD_MATERIAL",
                "FMATERIALID,FNumber,FName,FSpecification,FUseOrgId.FNumber,FDocumentStatus",
                "FNumber IN ('A01','A02')",
                "FMATERIALID ASC",
                0,
                2000,
            ),
        )
        .await;
    assert_eq!(
        v,
        json!([
            [100001, "A01", "纯棉布料", "幅宽150cm", "100", "C"],
            [100002, "A02", "树脂纽扣", "四眼 15mm", "100", "C"]
        ])
    );
    let v = kd
        .call(
            "BillQuery",
            &query(
                "BD_Supplier",
                "FSupplierId,FNumber,FName,FShortName",
                "FNumber = '0003'",
                "",
                0,
                0,
            ),
        )
        .await;
    assert_eq!(
        v,
        json!([{"FSupplierId": 100003, "FNumber": "0003", "FName": "义乌市佳佳百货商行", "FShortName": "佳佳百货"}])
    );
    for (form, id) in [("BD_Customer", "FCUSTID"), ("BD_STOCK", "FStockId")] {
        let v = kd
            .call(
                "ExecuteBillQuery",
                &query(
                    form,
                    &format!("{id},FNumber,FName"),
                    "",
                    "FNumber DESC",
                    0,
                    1,
                ),
            )
            .await;
        assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    }
    let v = kd
        .call(
            "ExecuteBillQuery",
            &query("BD_MATERIAL", "FNumber,FNoSuchField", "", "", 0, 0),
        )
        .await;
    let s = &v[0][0]["Result"]["ResponseStatus"];
    assert_eq!(s["MsgCode"], 9, "{v}");
    assert_eq!(
        s["Errors"][0]["Message"],
        "元数据中标识为FNoSuchField的字段不存在"
    );
}

#[tokio::test]
async fn a_saved_material_is_queryable_and_satisfies_lookups() {
    let sandbox = start(config()).await;
    let control = sandbox.control();
    let kd = Kd::login(&sandbox).await;
    let seeded = control.master_data_count("BD_MATERIAL") as i64;

    // Unknown: a verified bill naming it is refused.
    let v = kd.call("BatchSave", &order_naming("CG001", "SKU9")).await;
    assert_eq!(status(&v)["IsSuccess"], false, "{v}");
    assert_eq!(
        status(&v)["Errors"][0]["Message"],
        "明细信息第2行：字段“物料编码”的值“SKU9”在系统中不存在或未审核（BD_MATERIAL）。",
        "{v}"
    );

    control.set_now(Some(ANCHOR + 3600));
    let v = kd
        .call("Save", &save_material(material("SKU9", "蓝牙音箱"), true))
        .await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    let id = 100_001 + seeded;
    assert_eq!(
        status(&v)["SuccessEntitys"],
        json!([{"Id": id, "Number": "SKU9", "DIndex": 0}])
    );
    assert_eq!(v["Result"]["Id"], id);
    assert_eq!(
        v["Result"]["NeedReturnData"],
        json!([{"FMATERIALID": id, "FNumber": "SKU9"}])
    );

    let v = kd
        .call(
            "ExecuteBillQuery",
            &query(
                "BD_MATERIAL",
                "FMATERIALID,FNumber,FName,FSpecification,FBaseUnitId.FNumber,FDocumentStatus,FForbidStatus,FCreateDate,FModifyDate",
                "FModifyDate > '2024-01-31 00:00:00'",
                "FMATERIALID ASC",
                0,
                0,
            ),
        )
        .await;
    assert_eq!(
        v,
        json!([[
            id,
            "SKU9",
            "蓝牙音箱",
            "黑色 10W",
            "Pcs",
            "C",
            "A",
            "2024-01-31T01:00:00",
            "2024-01-31T01:00:00"
        ]])
    );
    let v = kd.call("BatchSave", &order_naming("CG001", "SKU9")).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    // The bill's lookups answer the base data's internal ids.
    let v = kd
        .call(
            "ExecuteBillQuery",
            &json!({"data": {"FormId": "PUR_PurchaseOrder", "FieldKeys": "FSupplierId,FMaterialId,FMaterialId.FNumber",
                "FilterString": "FBillNo = 'CG001'"}}),
        )
        .await;
    assert_eq!(v[1], json!([100_003, id, "SKU9"]), "{v}");

    // An update by internal id: new name, new modify time.
    control.set_now(Some(ANCHOR + 7200));
    let v = kd
        .call(
            "Save",
            &save_material(
                json!({"FMATERIALID": id, "FName": "蓝牙音箱（二代）"}),
                false,
            ),
        )
        .await;
    assert_eq!(status(&v)["SuccessEntitys"][0]["Id"], id, "{v}");
    let v = kd
        .call(
            "ExecuteBillQuery",
            &query(
                "BD_MATERIAL",
                "FName,FModifyDate,FCreateDate,FDocumentStatus",
                "FNumber = 'SKU9'",
                "",
                0,
                0,
            ),
        )
        .await;
    assert_eq!(
        v,
        json!([[
            "蓝牙音箱（二代）",
            "2024-01-31T02:00:00",
            "2024-01-31T01:00:00",
            "C"
        ]])
    );
    assert_eq!(control.master_data_count("BD_MATERIAL") as i64, seeded + 1);
}

#[tokio::test]
async fn a_created_material_is_no_lookup_until_audited() {
    let sandbox = start(config()).await;
    let kd = Kd::login(&sandbox).await;
    let v = kd
        .call(
            "BatchSave",
            &save_material(
                json!([material("SKU1", "充电宝"), material("SKU2", "数据线")]),
                false,
            ),
        )
        .await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    let v = kd.call("BatchSave", &order_naming("CG001", "SKU1")).await;
    assert_eq!(status(&v)["IsSuccess"], false, "{v}");

    let steps = json!({"formid": "BD_MATERIAL", "data": {"Numbers": ["SKU1"]}});
    let v = kd.call("Audit", &steps).await;
    assert_eq!(
        status(&v)["Errors"][0]["Message"],
        "物料“SKU1”的数据状态不是已提交，不能审核。",
        "{v}"
    );
    let v = kd.call("Submit", &steps).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    let v = kd.call("Audit", &steps).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
    assert!(sandbox
        .control()
        .master_data_contains("BD_MATERIAL", "SKU1"));
    assert!(!sandbox
        .control()
        .master_data_contains("BD_MATERIAL", "SKU2"));
    let v = kd.call("BatchSave", &order_naming("CG001", "SKU1")).await;
    assert_eq!(status(&v)["IsSuccess"], true, "{v}");
}

#[tokio::test]
async fn duplicate_numbers_and_missing_names_are_refused() {
    let sandbox = start(config()).await;
    let kd = Kd::login(&sandbox).await;
    let models = json!([material("A01", "重复"), {"FNumber": "SKU3"}, material("SKU4", "新品")]);
    let v = kd.call("BatchSave", &save_material(models, true)).await;
    let s = status(&v);
    assert_eq!(
        (&s["IsSuccess"], &s["MsgCode"]),
        (&json!(false), &json!(11)),
        "{v}"
    );
    assert_eq!(
        s["Errors"],
        json!([
            {"FieldName": "FNumber", "Message": "违反字段唯一性要求：编码唯一。[A01]在当前系统中已经被使用。", "DIndex": 0},
            {"FieldName": "FName", "Message": "字段“名称”是必填项。", "DIndex": 1}
        ])
    );
    assert_eq!(s["SuccessEntitys"][0]["Number"], "SKU4", "{v}");
    // Suppliers too, and a verified unit must exist.
    let v = kd
        .call(
            "Save",
            &json!({"formid": "BD_Supplier", "data": {"Model": {"FNumber": "0003", "FName": "x"}}}),
        )
        .await;
    assert_eq!(status(&v)["MsgCode"], 11, "{v}");
    let mut bad_unit = material("SKU5", "音箱");
    bad_unit["FBaseUnitId"] = json!({"FNumber": "箱子"});
    let v = kd
        .call(
            "Save",
            &json!({"formid": "BD_MATERIAL", "data": {"Model": bad_unit, "IsVerifyBaseDataField": true}}),
        )
        .await;
    assert_eq!(
        status(&v)["Errors"][0]["Message"],
        "字段“基本单位”的值“箱子”在系统中不存在或未审核（BD_UNIT）。",
        "{v}"
    );
}

#[tokio::test]
async fn extra_materials_are_seeded() {
    let sandbox = start(SandboxConfig {
        kingdee: duijie_sandbox::KingdeeConfig {
            extra_materials: 100_000,
            ..duijie_sandbox::KingdeeConfig::default()
        },
        ..config()
    })
    .await;
    let control = sandbox.control();
    assert_eq!(control.master_data_count("BD_MATERIAL"), 66 + 100_000);
    assert!(control.master_data_contains("BD_MATERIAL", "M0100000"));
    assert!(!control.master_data_contains("BD_MATERIAL", "M0100001"));
    let kd = Kd::login(&sandbox).await;
    let v = kd
        .call(
            "ExecuteBillQuery",
            &query(
                "BD_MATERIAL",
                "FMATERIALID,FNumber",
                "",
                "FMATERIALID ASC",
                100_065,
                10,
            ),
        )
        .await;
    assert_eq!(v, json!([[200_066, "M0100000"]]));
}
