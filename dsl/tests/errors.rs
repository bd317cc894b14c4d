//! Parse errors for the mistakes people make, as they will read them.
//!
//! Each case is a snapshot of the input and the rendered error (message,
//! the line with a caret under the span, what was expected, the help).
//! Review changes with `cargo insta review`, or rerun with
//! `INSTA_UPDATE=always` and read the diff.

mod common;

fn check(name: &str, src: &str) {
    let err = match duijie_dsl::parse(src) {
        Ok(file) => panic!("{name}: parsed, but should not: {file:#?}"),
        Err(e) => e,
    };
    assert!(err.span.start <= err.span.end && err.span.end <= src.len());
    let shown = format!("{src}\n----\n{}", common::render(src, &err));
    insta::assert_snapshot!(name, shown);
}

#[test]
fn block_not_closed() {
    check(
        "block_not_closed",
        "FPOOrderEntry[] <- details_list <\n    FQty = num\n    FPrice = price\n",
    );
}

#[test]
fn array_literal_where_a_mapping_was_meant() {
    check(
        "eq_instead_of_arrow",
        "FPOOrderEntry[] = details_list < FQty = num >\n",
    );
}

#[test]
fn arrow_without_brackets() {
    check(
        "arrow_without_brackets",
        "FPOOrderEntry <- details_list < FQty = num >\n",
    );
}

#[test]
fn unterminated_string() {
    check("unterminated_string", "FNote = \"旺店通采购单\nFQty = 1\n");
}

#[test]
fn unknown_escape() {
    check("unknown_escape", "FNote = \"C:\\temp\\x\"\n");
}

#[test]
fn bad_unicode_escape() {
    check("bad_unicode_escape", "FNote = \"\\u{D800}\"\n");
}

#[test]
fn decimal_without_digits_after_the_point() {
    check("decimal_without_fraction", "FPrice = 1.\n");
}

#[test]
fn stray_token() {
    check("stray_token", "FQty = num)\n");
}

#[test]
fn statement_after_a_comparison_on_the_same_line() {
    check(
        "gt_then_statement_same_line",
        "X[] <- details < FQty = num > FPrice = price >\n",
    );
}

#[test]
fn single_equals_in_a_condition() {
    check("single_eq_in_condition", "skip if status = \"40\"\n");
}

#[test]
fn greater_than_at_the_end_of_a_line() {
    check("gt_at_end_of_line", "skip if num >\n    0\n");
}

#[test]
fn missing_equals() {
    check("missing_eq", "FQty num\n");
}

#[test]
fn skip_without_if() {
    check("skip_without_if", "skip when num == 0\n");
}

#[test]
fn chained_comparison() {
    check("chained_comparison", "skip if 0 < num < 10\n");
}

#[test]
fn table_default_not_last() {
    check(
        "table_default_not_last",
        "table t {\n    _ => \"CK999\"\n    \"WH001\" => \"CK001\"\n}\n",
    );
}

#[test]
fn keyword_as_a_name() {
    check("keyword_as_name", "let in = 3\n");
}

#[test]
fn missing_expression() {
    check("missing_expression", "FQty =\n");
}

#[test]
fn missing_comma() {
    check("missing_comma", "FAmount = round(num price, 2)\n");
}

#[test]
fn source_without_api() {
    check(
        "source_without_api",
        "source wdt {\n    page_no = PAGE_NO\n}\n",
    );
}

#[test]
fn target_without_form() {
    check(
        "target_without_form",
        "target kingdee.BatchSave {\n    IsAutoSubmitAndAudit = true\n}\n",
    );
}

#[test]
fn if_without_else() {
    check(
        "if_without_else",
        "FNote = if remark == \"\" then null\nFQty = num\n",
    );
}

#[test]
fn full_width_punctuation() {
    check("full_width_equals", "FQty ＝ num\n");
}

#[test]
fn double_pipe() {
    check("double_pipe", "skip if a || b\n");
}

#[test]
fn one_close_too_many() {
    check("extra_close", "X[] <- details < FQty = num > >\n");
}

#[test]
fn unclosed_comment() {
    check(
        "unclosed_comment",
        "FQty = num /* quantity\nFPrice = price\n",
    );
}

#[test]
fn call_with_a_space() {
    check("call_with_space", "FAmount = round (num, 2)\n");
}

#[test]
fn non_ascii_name() {
    check("non_ascii_name", "// 数量\nFQty = 数量\n");
}

#[test]
fn nested_too_deeply() {
    let src = format!("FQty = {}num{}\n", "(".repeat(200), ")".repeat(200));
    let err = duijie_dsl::parse(&src).unwrap_err();
    insta::assert_snapshot!("nested_too_deeply", common::render(&src, &err));
}
