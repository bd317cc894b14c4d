//! The 旺店通 APIs and 金蝶 forms of the scheme library, over HTTP: the
//! sales stock-out query (openapi2 and Qimen), the purchase and return
//! stock-in queries with their own rules, and what Kingdee checks on the
//! three forms (bill types, the purchase order a receipt names).

mod common;

use common::*;
use duijie_sandbox::LibraryKind;
use serde_json::{json, Value};

const WINDOW: [(&str, &str); 2] = [
    ("start_time", "2024-01-10 00:00:00"),
    ("end_time", "2024-01-31 00:00:00"),
];

fn with_window<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = WINDOW.to_vec();
    v.extend_from_slice(extra);
    v
}

/// Every record of `api` in the window, page by page.
async fn all_pages(
    sb: &duijie_sandbox::Sandbox,
    api: &str,
    extra: &[(&str, &str)],
) -> (u64, Vec<Value>) {
    let mut records = Vec::new();
    let mut total = None;
    for page in 0.. {
        let page_no = page.to_string();
        let mut params = with_window(extra);
        params.extend([("page_no", page_no.as_str()), ("page_size", "30")]);
        let v = wdt(sb, api, &params).await;
        assert_eq!(v["code"], 0, "{v}");
        if page == 0 {
            total = v["total_count"].as_u64();
        }
        let list = v["stockout_list"]
            .as_array()
            .or_else(|| v["stockin_list"].as_array())
            .unwrap_or_else(|| panic!("{v}"))
            .clone();
        if list.is_empty() {
            break;
        }
        records.extend(list);
    }
    (total.unwrap(), records)
}

#[tokio::test]
async fn sales_stock_outs_page_filter_and_hold_gifts() {
    let sb = start(config()).await;
    let (total, list) = all_pages(&sb, "stockout_order_query_trade", &[]).await;
    assert_eq!(total as usize, list.len());
    assert!(total > 500, "{total} of 1000 lie in 21 of 20 days");
    let gifts = list
        .iter()
        .flat_map(|s| s["details_list"].as_array().unwrap())
        .filter(|d| d["gift_type"] != "0")
        .count();
    assert!(gifts > 20, "{gifts}");
    for s in &list {
        assert!(s["order_no"].as_str().unwrap().starts_with("CK"), "{s}");
        assert!(
            s["stockout_id"].is_string() && s["status"].is_string(),
            "{s}"
        );
    }

    // A shop filter and a bill number (no window needed).
    let (_, tmall) = all_pages(&sb, "stockout_order_query_trade", &[("shop_no", "TM001")]).await;
    assert!(!tmall.is_empty() && tmall.iter().all(|s| s["shop_no"] == "TM001"));
    let number = list[3]["order_no"].as_str().unwrap();
    let v = wdt(
        &sb,
        "stockout_order_query_trade",
        &[("stockout_no", number)],
    )
    .await;
    assert_eq!(v["total_count"], 1, "{v}");
    assert_eq!(v["stockout_list"][0], list[3]);
    let doc = sb.control().library_document(
        LibraryKind::SalesOut,
        list[3]["stockout_id"].as_str().unwrap().parse().unwrap(),
    );
    assert_eq!(doc.as_ref(), Some(&list[3]));

    // Without a window or a number: the missing parameter.
    let v = wdt(&sb, "stockout_order_query_trade", &[("page_no", "0")]).await;
    assert_eq!(v["code"], 1000, "{v}");
    let v = wdt(
        &sb,
        "stockout_order_query_trade",
        &[
            ("start_time", "2023-01-01 00:00:00"),
            ("end_time", "2024-01-31 00:00:00"),
        ],
    )
    .await;
    assert_eq!(v["code"], 1001, "{v}");
}

#[tokio::test]
async fn qimen_sends_the_sales_ids_and_status_as_numbers() {
    let sb = start(config()).await;
    let mut fields = qimen_fields(
        "2024-01-31 00:00:00",
        &with_window(&[("sid", "apidevnew2"), ("page_no", "0"), ("page_size", "5")]),
        "qimensecret",
    );
    // The same fields, for the sales method (signed again).
    for f in fields.iter_mut() {
        if f.0 == "method" {
            f.1 = "wdt.stockout.order.query.trade".into();
        }
    }
    fields.retain(|f| f.0 != "sign");
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sign = duijie_runtime::vendors::sign::top_md5_sign(&pairs, "qimensecret", None);
    fields.push(("sign".into(), sign));
    let v = post_form(&format!("{}/router/qm", sb.base_url()), &fields).await;
    let r = &v["response"];
    assert_eq!(r["errorcode"], 0, "{v}");
    let first = &r["stockout_list"][0];
    assert!(
        first["stockout_id"].is_u64() && first["status"].is_u64(),
        "{first}"
    );
    assert!(first["order_no"].is_string(), "{first}");
    let openapi = wdt(
        &sb,
        "stockout_order_query_trade",
        &with_window(&[("page_no", "0"), ("page_size", "5")]),
    )
    .await;
    assert_eq!(r["total_count"], openapi["total_count"]);
    assert_eq!(
        first["order_no"], openapi["stockout_list"][0]["order_no"],
        "the same stock-outs through both doors"
    );
}

#[tokio::test]
async fn returns_default_to_completed_and_count_on_page_zero_only() {
    let sb = start(config()).await;
    let v = wdt(
        &sb,
        "stockin_order_query_refund",
        &with_window(&[("page_no", "0"), ("page_size", "10")]),
    )
    .await;
    assert_eq!(v["code"], 0, "{v}");
    let completed = v["total_count"].as_u64().unwrap();
    for r in v["stockin_list"].as_array().unwrap() {
        assert_eq!(r["status"], 80, "status is a number, 80 by default: {r}");
        assert!(r["logistics_id"].is_null());
        assert!(r["order_no"].as_str().unwrap().starts_with("RK"));
    }
    let page1 = wdt(
        &sb,
        "stockin_order_query_refund",
        &with_window(&[("page_no", "1"), ("page_size", "10")]),
    )
    .await;
    assert_eq!(page1["code"], 0, "{page1}");
    assert!(
        page1.get("total_count").is_none(),
        "only page 0 counts: {page1}"
    );
    assert!(completed > 10, "{completed}");
    assert_eq!(
        page1["stockin_list"].as_array().unwrap().len() as u64,
        (completed - 10).min(10)
    );
    let all = wdt(
        &sb,
        "stockin_order_query_refund",
        &with_window(&[("status", "10,20,30,80"), ("page_size", "10")]),
    )
    .await;
    assert!(all["total_count"].as_u64().unwrap() > completed, "{all}");
    // By the return order's number, without a window.
    let rt = v["stockin_list"][0]["src_order_no"].as_str().unwrap();
    let one = wdt(&sb, "stockin_order_query_refund", &[("src_order_no", rt)]).await;
    assert_eq!(one["total_count"], 1, "{one}");
    assert_eq!(one["stockin_list"][0], v["stockin_list"][0]);
}

#[tokio::test]
async fn purchase_stock_ins_are_those_of_audited_orders() {
    let sb = start(config()).await;
    let (total, list) = all_pages(&sb, "stockin_order_query_purchase", &[]).await;
    assert_eq!(total as usize, list.len());
    assert!(total > 30, "{total}");
    let general = wdt(
        &sb,
        "stockin_order_query",
        &with_window(&[("order_type", "1")]),
    )
    .await;
    assert!(general["total_count"].as_u64().unwrap() >= total);
    for s in &list {
        assert_eq!(s["order_type"], "1");
        let po = s["purchase_no"].as_str().unwrap();
        assert_eq!(s["src_order_no"], po);
        let v = wdt(&sb, "purchase_order_query", &[("purchase_no", po)]).await;
        let status: u32 = v["purchase_list"][0]["status"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(status >= 40, "{po} has status {status}");
        assert_eq!(v["purchase_list"][0]["provider_no"], s["provider_no"]);
    }
    let v = wdt(
        &sb,
        "stockin_order_query_purchase",
        &with_window(&[("status", "80")]),
    )
    .await;
    assert!(v["stockin_list"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "80"));
}

fn sales_out_bill(number: &str, bill_type: &str) -> Value {
    json!({
        "FBillNo": number,
        "FBillTypeID": {"FNUMBER": bill_type},
        "FDate": "2024-01-05",
        "FSaleOrgId": {"FNumber": "100"},
        "FStockOrgId": {"FNumber": "100"},
        "FCustomerID": {"FNumber": "KH0001"},
        "FEntity": [
            {"FMaterialID": {"FNumber": "G1001-01"}, "FRealQty": 2, "FTaxPrice": 49.9, "FStockID": {"FNumber": "CK001"}},
            {"FMaterialID": {"FNumber": "G2002-01"}, "FRealQty": 1, "FTaxPrice": 0, "FIsFree": true, "FStockID": {"FNumber": "CK001"}}
        ]
    })
}

fn instock_bill(number: &str, order: &str) -> Value {
    json!({
        "FBillNo": number,
        "FBillTypeID": {"FNUMBER": "RKD01_SYS"},
        "FDate": "2024-01-05",
        "FStockOrgId": {"FNumber": "100"},
        "FPurchaseOrgId": {"FNumber": "100"},
        "FSupplierId": {"FNumber": "0003"},
        "FInStockEntry": [
            {"FMaterialId": {"FNumber": "A01"}, "FRealQty": 10, "FStockId": {"FNumber": "CK001"},
             "FSRCBILLTYPEID": "PUR_PurchaseOrder", "FSRCBillNo": order, "FPOOrderNo": order}
        ]
    })
}

async fn batch_save(kd: &Kd<'_>, form: &str, models: Vec<Value>) -> Value {
    kd.call(
        "BatchSave",
        &json!({"formid": form, "data": {"Model": models, "IsVerifyBaseDataField": true}}),
    )
    .await
}

#[tokio::test]
async fn kingdee_checks_the_bill_type_and_the_purchase_order_of_a_receipt() {
    let sb = start(config()).await;
    let kd = Kd::login(&sb).await;
    let v = batch_save(
        &kd,
        "SAL_OUTSTOCK",
        vec![
            sales_out_bill("CK1", "XSCKD01_SYS"),
            sales_out_bill("CK2", "RKD01_SYS"),
        ],
    )
    .await;
    let status = &v["Result"]["ResponseStatus"];
    assert_eq!(status["SuccessEntitys"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(status["Errors"][0]["FieldName"], "FBillTypeID", "{v}");
    assert_eq!(status["Errors"][0]["DIndex"], 1, "{v}");
    assert_eq!(
        status["Errors"][0]["Message"],
        "字段“单据类型”的值“RKD01_SYS”不是销售出库单的单据类型。"
    );
    let stored = &sb.control().bills("SAL_OUTSTOCK")[0];
    assert_eq!(stored["FEntity"][1]["FIsFree"], true);

    // A receipt of an order Kingdee does not have is refused; once the order
    // is saved, the same receipt goes in.
    let v = batch_save(&kd, "STK_InStock", vec![instock_bill("RK1", "CG900")]).await;
    let errors = v["Result"]["ResponseStatus"]["Errors"]
        .as_array()
        .unwrap()
        .clone();
    let fields: Vec<&str> = errors
        .iter()
        .map(|e| e["FieldName"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["FPOOrderNo", "FSRCBillNo"], "{v}");
    assert_eq!(
        errors[0]["Message"],
        "明细信息第1行：采购订单“CG900”不存在或已被删除，不能入库。"
    );
    assert_eq!(sb.control().bill_count("STK_InStock"), 0);
    let v = batch_save(&kd, "PUR_PurchaseOrder", vec![purchase_bill("CG900")]).await;
    assert_eq!(v["Result"]["ResponseStatus"]["IsSuccess"], true, "{v}");
    let order = sb.control().bills("PUR_PurchaseOrder")[0].clone();
    let v = batch_save(&kd, "STK_InStock", vec![instock_bill("RK1", "CG900")]).await;
    assert_eq!(v["Result"]["ResponseStatus"]["IsSuccess"], true, "{v}");

    // Link rows must name the order's internal id and one of its lines.
    let mut linked = instock_bill("RK2", "CG900");
    let fid = order["FID"].as_i64().unwrap();
    let entry = order["FPOOrderEntry"][0]["FEntryID"].as_i64().unwrap();
    linked["FInStockEntry"][0]["FInStockEntry_Link"] = json!([{
        "FInStockEntry_Link_FRuleId": "PUR_PurchaseOrder-STK_InStock",
        "FInStockEntry_Link_FSTableName": "T_PUR_POORDERENTRY",
        "FInStockEntry_Link_FSBillId": fid,
        "FInStockEntry_Link_FSId": entry + 1000
    }]);
    let v = batch_save(&kd, "STK_InStock", vec![linked.clone()]).await;
    assert_eq!(
        v["Result"]["ResponseStatus"]["Errors"][0]["FieldName"], "FInStockEntry_Link_FSId",
        "{v}"
    );
    linked["FInStockEntry"][0]["FInStockEntry_Link"][0]["FInStockEntry_Link_FSId"] = json!(entry);
    let v = batch_save(&kd, "STK_InStock", vec![linked]).await;
    assert_eq!(v["Result"]["ResponseStatus"]["IsSuccess"], true, "{v}");
    assert_eq!(sb.control().bill_count("STK_InStock"), 2);

    // The return form's own customer key is required.
    let v = batch_save(
        &kd,
        "SAL_RETURNSTOCK",
        vec![json!({
            "FBillNo": "RT1", "FBillTypeID": {"FNUMBER": "XSTHD01_SYS"}, "FDate": "2024-01-09",
            "FSaleOrgId": {"FNumber": "100"}, "FStockOrgId": {"FNumber": "100"},
            "FCustomerID": {"FNumber": "KH0001"},
            "FEntity": [{"FMaterialID": {"FNumber": "G1001-02"}, "FRealQty": 1, "FStockID": {"FNumber": "CK006"}}]
        })],
    )
    .await;
    assert_eq!(
        v["Result"]["ResponseStatus"]["Errors"][0]["FieldName"], "FRetcustId",
        "{v}"
    );
}

#[tokio::test]
async fn purchase_returns_default_to_shipped_and_name_their_supplier() {
    let sb = start(config()).await;
    let v = wdt(
        &sb,
        "stockout_order_query_return",
        &with_window(&[("page_no", "0"), ("page_size", "30")]),
    )
    .await;
    assert_eq!(v["code"], 0, "{v}");
    let shipped = v["total_count"].as_u64().unwrap();
    assert!(shipped > 5, "{shipped}");
    for r in v["stockout_list"].as_array().unwrap() {
        assert!(r["status"] == "95" || r["status"] == "110", "{r}");
        assert!(r["order_no"].as_str().unwrap().starts_with("CK"));
        assert_eq!(r["order_type"], "3");
        assert!(!r["provider_no"].as_str().unwrap().is_empty());
        assert!(!r["consign_time"].as_str().unwrap().is_empty());
    }
    // Pages of at most 30.
    let big = wdt(
        &sb,
        "stockout_order_query_return",
        &with_window(&[("page_size", "31")]),
    )
    .await;
    assert_ne!(big["code"], 0, "{big}");
    // Every status when asked for.
    let all = wdt(
        &sb,
        "stockout_order_query_return",
        &with_window(&[("status", "5,50,55,95,110"), ("page_size", "30")]),
    )
    .await;
    assert!(all["total_count"].as_u64().unwrap() > shipped, "{all}");
    // By the 采购退货单 number, without a window.
    let ct = v["stockout_list"][0]["src_order_no"].as_str().unwrap();
    assert!(ct.starts_with("CT"), "{ct}");
    let one = wdt(&sb, "stockout_order_query_return", &[("src_order_no", ct)]).await;
    assert_eq!(one["total_count"], 1, "{one}");
    assert_eq!(one["stockout_list"][0], v["stockout_list"][0]);
}

#[tokio::test]
async fn a_purchase_return_needs_its_supplier_and_its_own_bill_type() {
    let sb = start(config()).await;
    let kd = Kd::login(&sb).await;
    let bill = |bill_type: &str| {
        json!({
            "FBillNo": "CK1", "FBillTypeID": {"FNUMBER": bill_type}, "FDate": "2024-01-10",
            "FMRTYPE": "B", "FMRMODE": "B",
            "FStockOrgId": {"FNumber": "100"}, "FPurchaseOrgId": {"FNumber": "100"},
            "FSupplierID": {"FNumber": "0003"},
            "FPURMRBENTRY": [{"FMATERIALID": {"FNumber": "A01"}, "FRMREALQTY": 2, "FSTOCKID": {"FNumber": "CK001"}}]
        })
    };
    let v = batch_save(&kd, "PUR_MRB", vec![bill("RKD01_SYS")]).await;
    assert_eq!(
        v["Result"]["ResponseStatus"]["Errors"][0]["FieldName"], "FBillTypeID",
        "{v}"
    );
    let mut no_supplier = bill("TLD01_SYS");
    no_supplier.as_object_mut().unwrap().remove("FSupplierID");
    let v = batch_save(&kd, "PUR_MRB", vec![no_supplier]).await;
    assert_eq!(
        v["Result"]["ResponseStatus"]["Errors"][0]["FieldName"], "FSupplierID",
        "{v}"
    );
    let v = batch_save(&kd, "PUR_MRB", vec![bill("TLD01_SYS")]).await;
    assert_eq!(v["Result"]["ResponseStatus"]["IsSuccess"], true, "{v}");
    assert_eq!(sb.control().bill_count("PUR_MRB"), 1);
}

/// Every goods record of `goods_query` in the window, page by page.
async fn goods_pages(sb: &duijie_sandbox::Sandbox, size: &str) -> (u64, Vec<Value>) {
    let mut records = Vec::new();
    let mut total = None;
    for page in 0.. {
        let page_no = page.to_string();
        let mut params = WINDOW.to_vec();
        params.extend([("page_no", page_no.as_str()), ("page_size", size)]);
        let v = wdt(sb, "goods_query", &params).await;
        assert_eq!(v["code"], 0, "{v}");
        if page == 0 {
            total = v["total_count"].as_u64();
        }
        let list = v["goods_list"].as_array().unwrap_or_else(|| panic!("{v}"));
        if list.is_empty() {
            break;
        }
        records.extend(list.iter().cloned());
    }
    (total.unwrap(), records)
}

#[tokio::test]
async fn the_goods_archive_lists_every_spec_the_documents_name() {
    let sb = start(config()).await;
    let (total, goods) = goods_pages(&sb, "7").await;
    assert_eq!(total as usize, goods.len());
    assert_eq!(goods.len(), sb.control().goods_archive().len());
    let specs: Vec<&Value> = goods
        .iter()
        .flat_map(|g| g["spec_list"].as_array().unwrap())
        .collect();
    // Every spec a document names is in the archive, once.
    let named: std::collections::BTreeSet<String> = sb
        .control()
        .library_documents(LibraryKind::PurchaseIn)
        .iter()
        .flat_map(|d| d["details_list"].as_array().unwrap().clone())
        .map(|l| l["spec_no"].as_str().unwrap().to_string())
        .collect();
    assert!(!named.is_empty());
    for n in &named {
        let found = specs.iter().filter(|s| s["spec_no"] == n.as_str()).count();
        assert_eq!(found, 1, "{n}");
    }
    // Numbers as strings, a goods record with several specs, ordered by
    // modified time, each goods' modified its latest spec's.
    let mut last = String::new();
    for g in &goods {
        let modified = g["modified"].as_str().unwrap().to_string();
        assert!(modified >= last, "{g}");
        let latest = g["spec_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["spec_modified"].as_str().unwrap())
            .max()
            .unwrap();
        assert_eq!(modified, latest, "{g}");
        assert_eq!(
            g["spec_count"].as_str().unwrap(),
            g["spec_list"].as_array().unwrap().len().to_string()
        );
        last = modified;
    }
    let g1001 = goods.iter().find(|g| g["goods_no"] == "G1001").unwrap();
    assert_eq!(g1001["spec_list"].as_array().unwrap().len(), 3, "{g1001}");
    assert!(specs.iter().all(|s| s["retail_price"].is_string()));
    // The edge cases: a deleted spec (its deletion time in `deleted`), listed
    // with its goods; a spec without a bar code.
    let deleted: Vec<&&Value> = specs.iter().filter(|s| s["deleted"] != "0").collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["spec_no"], "G1001-03");
    assert!(!named.contains("G1001-03"));
    let plain: Vec<&&Value> = specs.iter().filter(|s| s["barcode"] == "").collect();
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0]["spec_no"], "G5002-01");
    assert!(specs
        .iter()
        .filter(|s| s["barcode"] != "")
        .all(|s| s["barcode"].as_str().unwrap().len() == 13));
}

#[tokio::test]
async fn the_goods_query_takes_a_number_instead_of_a_window() {
    let sb = start(config()).await;
    let v = wdt(&sb, "goods_query", &[("spec_no", "G1001-02")]).await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["total_count"], 1, "{v}");
    assert_eq!(v["goods_list"][0]["goods_no"], "G1001");
    let v = wdt(&sb, "goods_query", &[("goods_no", "G4002")]).await;
    assert_eq!(
        v["goods_list"][0]["spec_list"][0]["spec_no"], "G4002-01",
        "{v}"
    );
    let v = wdt(&sb, "goods_query", &[]).await;
    assert_ne!(v["code"], 0, "{v}");
    let v = wdt(
        &sb,
        "goods_query",
        &[
            ("start_time", "2024-01-01 00:00:00"),
            ("end_time", "2024-02-15 00:00:00"),
        ],
    )
    .await;
    assert_ne!(v["code"], 0, "a window of more than 30 days: {v}");
}

#[tokio::test]
async fn a_material_model_with_sub_heads_is_saved_with_its_base_unit() {
    let sb = start(config()).await;
    let kd = Kd::login(&sb).await;
    let model = |number: &str, unit: &str| {
        json!({
            "FNumber": number,
            "FName": "纯棉圆领短袖T恤 红色 S",
            "FSpecification": "红色 S",
            "FCreateOrgId": {"FNumber": "100"},
            "FUseOrgId": {"FNumber": "100"},
            "FMaterialBase": {
                "FErpClsID": "1",
                "FBaseUnitId": {"FNumber": unit},
                "FBARCODE": "6920000019991",
                "FCategoryID": {"FNUMBER": "CHLB05_SYS"},
                "FIsInventory": true
            },
            "FMaterialStock": {"FStoreUnitID": {"FNumber": unit}}
        })
    };
    let v = kd
        .call(
            "BatchSave",
            &json!({"formid": "BD_MATERIAL", "data": {
                "Model": [model("G1001-09", "件"), model("G1001-08", "打")],
                "IsVerifyBaseDataField": true,
                "IsAutoSubmitAndAudit": true
            }}),
        )
        .await;
    let status = &v["Result"]["ResponseStatus"];
    assert_eq!(status["SuccessEntitys"].as_array().unwrap().len(), 1, "{v}");
    // The unit in the sub-head is verified like one at the top.
    assert_eq!(status["Errors"][0]["FieldName"], "FBaseUnitId", "{v}");
    assert_eq!(status["Errors"][0]["DIndex"], 1, "{v}");
    assert!(sb.control().master_data_contains("BD_MATERIAL", "G1001-09"));
    let rows = kd
        .call(
            "ExecuteBillQuery",
            &json!({"data": {"FormId": "BD_MATERIAL",
                "FieldKeys": "FNumber,FBaseUnitId.FNumber,FBARCODE,FErpClsID",
                "FilterString": "FNumber = 'G1001-09'"}}),
        )
        .await;
    assert_eq!(
        rows,
        json!([["G1001-09", "件", "6920000019991", "1"]]),
        "{rows}"
    );
}
