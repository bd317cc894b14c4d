//! No input can panic the checker: random edits of the seed schemes (and of
//! a scheme using every construct) are checked, and every diagnostic must
//! point inside its file.

use std::path::Path;

use duijie_compiler::spec::Specs;
use proptest::prelude::*;

const EVERYTHING: &str = r#"
scheme all "every construct"
source wdt.purchase_order_query { start_time = LAST_SYNC_TIME; end_time = CURRENT_TIME; page_size = PAGE_SIZE; page_no = PAGE_NO; status = "90" }
target kingdee.BatchSave PUR_PurchaseOrder { IsAutoSubmitAndAudit = true; IsVerifyBaseDataField = false }
id purchase_no
number purchase_no
table t { "A" => 1.5, "B" => 2, _ => 0 }
def k(x) = upper(trim(x)) + "-"
def C = "100"
skip unless status in ["40", "90"]
let total = goods_amount ?? 0
FBillNo = k(purchase_no) + substring(purchase_no, 1, 3)
FDate = date(check_time, "+08:00")
FBillTypeID.FNUMBER = match status { "40" | "45" => "CGDD01_SYS", _ => "CGDD02_SYS" }
FSupplierId.FNumber = if provider_no == null then "0003" else provider_no
FPurchaseOrgId.FNumber = C
FPOOrderFinance.FExchangeRate = round(total / 3, 2) * t[status ?? "A"]
FPOOrderEntry[] <- details_list as line <
    skip if num <= 0 or not (tax >= 0)
    FMaterialId.FNumber = line.spec_no ?? "A01"
    FQty = num
    FPrice = -price + 0.5
    FEntryNote = join(split(remark ?? "", ","), "/") + to_string(len(goods_name ?? ""))
    let when = try_datetime(prop1, "%Y-%m-%d %H:%M:%S", "Asia/Shanghai") ?? created
    FDeliveryDate = add_days(date(when), 3)
    FPOOrderEntry_Link[] = [< FPOOrderEntry_Link_FSId = to_int(rec_id) >, < FPOOrderEntry_Link_FSBillId = try_int(provider_id) >]
>
"#;

fn seeds() -> Vec<String> {
    let mut out = vec![EVERYTHING.to_string()];
    for f in [
        "wdt_purchase_to_kingdee.map",
        "wdtqm_stockin_to_kingdee.map",
    ] {
        out.push(std::fs::read_to_string(Path::new("../maps").join(f)).expect("seed map"));
    }
    out
}

fn check_no_panic(text: &str, specs: &Specs) {
    let out = duijie_compiler::check_source(Path::new("../maps/mutated.map"), text, specs);
    for d in &out.diagnostics {
        let file_text = out.files.text(d.primary.file);
        assert!(d.primary.span.start <= d.primary.span.end, "{d:?}");
        assert!(d.primary.span.end <= file_text.len(), "{d:?}");
        // Doctrine: every error has a help line.
        assert!(d.help.is_some(), "no help line: {d:?}\n{text}");
    }
    let _ = duijie_compiler::diag::render(&out.diagnostics, &out.files, false);
}

#[test]
fn the_everything_scheme_checks_clean() {
    let specs = Specs::load_dir(Path::new("../specs")).expect("specs");
    let out = duijie_compiler::check_source(Path::new("../maps/all.map"), EVERYTHING, &specs);
    assert!(
        out.diagnostics.is_empty(),
        "{}",
        duijie_compiler::diag::render(&out.diagnostics, &out.files, false)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn edited_schemes_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, "[a-z_<>\\[\\]\\.=\"仓 ]{0,6}"), 1..6)
    ) {
        let specs = Specs::load_dir(Path::new("../specs")).expect("specs");
        let mut text = seeds()[which].clone();
        for (at, kind, piece) in edits {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            if chars.is_empty() { break; }
            let (pos, ch) = chars[at.index(chars.len())];
            match kind {
                0 => { text.replace_range(pos..pos + ch.len_utf8(), ""); }
                1 => { text.insert_str(pos, &piece); }
                2 => { let end = (pos + 12).min(text.len()); let end = (end..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len()); text.replace_range(pos..end, &piece); }
                _ => { let line_end = text[pos..].find('\n').map(|i| pos + i).unwrap_or(text.len()); text.replace_range(pos..line_end, ""); }
            }
        }
        check_no_panic(&text, &specs);
    }
}
