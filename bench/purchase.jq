# maps/wdt_purchase_to_kingdee.map in jq: one 旺店通 purchase order (JSON Lines
# record) in, one 金蝶 PUR_PurchaseOrder bill (the Model object) out, for
# bench/map_vs_jq.sh:  jq -c -f bench/purchase.jq orders.jsonl
#
# Same rules as the scheme on well-formed records: the skip filter, FDate as the
# date of check_time (a UTC+8 time, so its own calendar date; strptime checks
# the format as date(check_time) does), decimals and integers from their string
# text. jq holds numbers as binary doubles: "41.0000" comes out as 41 and large
# or long amounts lose digits, which is why the check compares numbers as
# decimals (and why such a script is not what to send to an accounting system).

# ORG_PURCHASE of maps/shared/kingdee_codes.map
def org: {FNumber: "100"};

select(.status | IN("10", "20", "30", "35") | not)
| .provider_id as $provider
| {
    FBillNo: .purchase_no,
    FDate: (.check_time | strptime("%Y-%m-%d %H:%M:%S") | strftime("%Y-%m-%d")),
    FPurchaseOrgId: org,
    FSupplierId: {FNumber: "0003"},
    FBillTypeID: {FNUMBER: "CGDD01_SYS"},
    FBusinessType: "CG",
    FPOOrderEntry: [
      .details_list[]? | {
        FMaterialId: {FNumber: "A01"},
        FQty: (.num | tonumber),
        FPrice: (.price | tonumber),
        FEntryTaxRate: (.tax | tonumber),
        FAllAmount: (.tax_amount | tonumber),
        FEntryNote: .rec_id,
        FTaxPrice: (.tax_price | tonumber),
        FReceiveOrgId: org,
        FRequireOrgId: org,
        FEntryPayOrgId: org,
        FEntrySettleOrgId: org,
        FPOOrderEntry_Link: [{
          FPOOrderEntry_Link_FRuleId: "PUR_Requisition-PUR_PurchaseOrder",
          FPOOrderEntry_Link_FSTableName: "T_PUR_POORDER",
          FPOOrderEntry_Link_FSBillId: ($provider | tonumber),
          FPOOrderEntry_Link_FSId: (.rec_id | tonumber)
        }]
      }
    ]
  }
