//! The canonical printer: its layout on the example scheme, and the
//! places where printing must add parentheses.

mod common;

use duijie_dsl::{parse, to_source};

const VALID: &str = include_str!("data/purchase_order.map");

#[test]
fn the_example_in_canonical_layout() {
    let printed = to_source(&parse(VALID).unwrap());
    insta::assert_snapshot!("purchase_order_canonical", printed);
    // Canonical text is a fixed point.
    assert_eq!(to_source(&parse(&printed).unwrap()), printed);
}

/// `X = <src>` printed back, without the `X = ` and the newline.
fn reprint(src: &str) -> String {
    let printed = to_source(&parse(&format!("X = {src}")).unwrap());
    printed.strip_prefix("X = ").unwrap().trim_end().to_owned()
}

#[test]
fn parentheses_only_where_needed() {
    assert_eq!(reprint("((a + b)) * c"), "(a + b) * c");
    assert_eq!(reprint("a + (b * c)"), "a + b * c");
    assert_eq!(reprint("a - (b - c)"), "a - (b - c)");
    assert_eq!(reprint("(a - b) - c"), "a - b - c");
    assert_eq!(reprint("(a < b) == c"), "(a < b) == c");
    assert_eq!(reprint("not (a and b)"), "not (a and b)");
    assert_eq!(reprint("(not a) == b"), "(not a) == b");
    assert_eq!(reprint("-(a + b)"), "-(a + b)");
    assert_eq!(reprint("- 1"), "-(1)");
    assert_eq!(reprint("-1"), "-1");
    assert_eq!(reprint("a - -1"), "a - -1");
    assert_eq!(
        reprint("(if a then b else c) ?? d"),
        "(if a then b else c) ?? d"
    );
    assert_eq!(
        reprint("if a then b else if c then d else e"),
        "if a then b else if c then d else e"
    );
    assert_eq!(
        reprint("match x {\n \"a\" | \"b\" => 1\n _ => 2 }"),
        "match x { \"a\" | \"b\" => 1, _ => 2 }"
    );
}

#[test]
fn strings_are_escaped() {
    assert_eq!(
        reprint(r#""a\"b\\c\nd\te\r\u{1}中""#),
        r#""a\"b\\c\nd\te\r\u{1}中""#
    );
    assert_eq!(reprint(r#""\u{4E2D}""#), "\"中\"");
}

#[test]
fn blocks_and_arrays() {
    let src = "A[] <- xs as x < B = x.b; C[] = [< D = 1 >, < >]; E[] <- x.es < > >";
    let printed = to_source(&parse(src).unwrap());
    assert_eq!(
        printed,
        "A[] <- xs as x <\n    B = x.b\n    C[] = [<\n        D = 1\n    >, < >]\n    E[] <- x.es < >\n>\n"
    );
    assert_eq!(to_source(&parse("L[] = []").unwrap()), "L[] = []\n");
}
