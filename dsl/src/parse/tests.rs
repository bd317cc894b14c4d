//! Unit tests of the grammar and the conversion: the shape of the tree and
//! the spans of its nodes, construct by construct.

use super::*;
use crate::ast::*;

fn ok(src: &str) -> File {
    match parse(src) {
        Ok(f) => f,
        Err(e) => panic!("{src:?} failed: {e:?}"),
    }
}

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(f) => panic!("{src:?} parsed: {f:#?}"),
        Err(e) => e,
    }
}

fn text(src: &str, span: Span) -> &str {
    &src[span.start..span.end]
}

/// The only item, a statement.
fn stmt(src: &str) -> Stmt {
    let f = ok(src);
    assert_eq!(f.items.len(), 1, "{src:?}: {:#?}", f.items);
    match f.items.into_iter().next() {
        Some(Item::Stmt(s)) => s,
        other => panic!("not a statement: {other:?}"),
    }
}

/// The value of `X = <expr>`.
fn expr(e: &str) -> Expr {
    match stmt(&format!("X = {e}")) {
        Stmt::Assign(a) => a.value,
        other => panic!("{other:?}"),
    }
}

/// A compact rendering to check structure: `(+ a (* b c))`.
fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Lit(l) => lit(l),
        ExprKind::Path(p) => p.dotted(),
        ExprKind::Call { func, args } => {
            let args: Vec<String> = args.iter().map(sexp).collect();
            format!("{}({})", func.name, args.join(" "))
        }
        ExprKind::Index { table, key, field } => match field {
            Some(f) => format!("{}[{}].{}", table.name, sexp(key), f.name),
            None => format!("{}[{}]", table.name, sexp(key)),
        },
        ExprKind::Unary { op, expr, .. } => {
            let op = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", sexp(expr))
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", op.symbol(), sexp(lhs), sexp(rhs))
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            format!("(if {} {} {})", sexp(cond), sexp(then), sexp(otherwise))
        }
        ExprKind::Match { scrutinee, arms } => {
            let arms: Vec<String> = arms
                .iter()
                .map(|a| {
                    let mut pats: Vec<String> = a.patterns.iter().map(lit).collect();
                    if a.wildcard {
                        pats.push("_".into());
                    }
                    format!("{}=>{}", pats.join("|"), sexp(&a.value))
                })
                .collect();
            format!("(match {} {})", sexp(scrutinee), arms.join(" "))
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(sexp).collect();
            format!("[{}]", items.join(" "))
        }
    }
}

fn lit(l: &Literal) -> String {
    match &l.kind {
        LitKind::Str(s) => format!("{s:?}"),
        LitKind::Int(t) => format!("i{t}"),
        LitKind::Dec(t) => format!("d{t}"),
        LitKind::Bool(b) => b.to_string(),
        LitKind::Null => "null".into(),
    }
}

fn block_of(s: &Stmt) -> &Block {
    match s {
        Stmt::MapArray(m) => &m.body,
        other => panic!("not a map: {other:?}"),
    }
}

fn assign_parts(s: &Stmt) -> (String, String) {
    match s {
        Stmt::Assign(a) => (dotted(&a.target.segments), sexp(&a.value)),
        other => panic!("not an assignment: {other:?}"),
    }
}

fn dotted(segs: &[Ident]) -> String {
    segs.iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

const EXAMPLE: &str = include_str!("../../tests/data/purchase_order.map");

// ---------------------------------------------------------------- whole files

#[test]
fn the_example_scheme() {
    let f = ok(EXAMPLE);
    assert_eq!(f.span, Span::new(0, EXAMPLE.len()));
    let kinds: Vec<&str> = f
        .items
        .iter()
        .map(|i| match i {
            Item::Scheme(_) => "scheme",
            Item::Source(_) => "source",
            Item::Target(_) => "target",
            Item::Key(_) => "key",
            Item::Include(_) => "include",
            Item::Table(_) => "table",
            Item::Lookup(_) => "lookup",
            Item::Def(_) => "def",
            Item::Stmt(_) => "stmt",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "scheme", "include", "source", "target", "key", "key", "stmt", "table", "def", "stmt",
            "stmt", "stmt", "stmt", "stmt", "stmt", "stmt"
        ]
    );

    let Item::Scheme(s) = &f.items[0] else {
        unreachable!()
    };
    assert_eq!(s.name.name, "wdt_purchase_to_kingdee");
    assert_eq!(
        s.title.as_ref().unwrap().value,
        "旺店通采购单 → 金蝶采购订单"
    );
    assert_eq!(
        text(EXAMPLE, s.span),
        "scheme wdt_purchase_to_kingdee \"旺店通采购单 → 金蝶采购订单\""
    );

    let Item::Include(i) = &f.items[1] else {
        unreachable!()
    };
    assert_eq!(i.path.value, "shared/kingdee_common.map");

    let Item::Source(src) = &f.items[2] else {
        unreachable!()
    };
    assert_eq!(src.system.name, "wdt");
    assert_eq!(src.api_name(), "purchase_order_query");
    assert_eq!(text(EXAMPLE, src.name_span), "wdt.purchase_order_query");
    assert!(text(EXAMPLE, src.span).starts_with("source wdt."));
    assert!(text(EXAMPLE, src.span).ends_with('}'));
    assert_eq!(src.params.len(), 5);
    assert!(
        matches!(&src.params[0].value, ParamValue::Sync { name, args, .. }
        if name.name == "LAST_SYNC_TIME" && args.is_empty())
    );
    assert_eq!(
        text(EXAMPLE, src.params[0].span),
        "start_time = LAST_SYNC_TIME"
    );
    assert!(
        matches!(&src.params[4].value, ParamValue::Lit(Literal { kind: LitKind::Str(s), .. }) if s == "90")
    );

    let Item::Target(t) = &f.items[3] else {
        unreachable!()
    };
    assert_eq!(
        (
            t.system.name.as_str(),
            t.operation.name.as_str(),
            t.form.name.as_str()
        ),
        ("kingdee", "BatchSave", "PUR_PurchaseOrder")
    );
    assert_eq!(t.options.len(), 2);
    assert_eq!(t.options[1].value.kind, LitKind::Bool(false));
    assert_eq!(
        text(EXAMPLE, t.options[1].span),
        "IsVerifyBaseDataField = false"
    );

    let Item::Key(k) = &f.items[4] else {
        unreachable!()
    };
    assert_eq!(
        (k.kind, k.path.dotted().as_str()),
        (KeyKind::Id, "purchase_no")
    );
    assert_eq!(text(EXAMPLE, k.span), "id     purchase_no");
    let Item::Key(k) = &f.items[5] else {
        unreachable!()
    };
    assert_eq!(k.kind, KeyKind::Number);

    let Item::Stmt(Stmt::Skip(skip)) = &f.items[6] else {
        unreachable!()
    };
    assert!(skip.unless);
    assert_eq!(sexp(&skip.cond), r#"(in status ["40" "90"])"#);

    let Item::Table(tab) = &f.items[7] else {
        unreachable!()
    };
    assert_eq!(tab.name.name, "stock_of");
    assert_eq!(tab.entries.len(), 2);
    assert_eq!(lit(&tab.entries[1].key), "\"北京仓\"");
    assert_eq!(
        text(EXAMPLE, tab.entries[1].span),
        "\"北京仓\" => \"CK002\""
    );
    assert_eq!(lit(&tab.default.as_ref().unwrap().value), "\"CK999\"");
    assert_eq!(
        text(EXAMPLE, tab.default.as_ref().unwrap().span),
        "_ => \"CK999\""
    );

    let Item::Def(d) = &f.items[8] else {
        unreachable!()
    };
    assert_eq!(d.name.name, "kd_date");
    assert_eq!(d.params.len(), 1);
    assert_eq!(sexp(&d.body), r#"format_datetime(t "%Y-%m-%d")"#);

    let Item::Stmt(last) = f.items.last().unwrap() else {
        unreachable!()
    };
    let Stmt::MapArray(m) = last else {
        panic!("{last:?}")
    };
    assert_eq!(dotted(&m.target.segments), "FPOOrderEntry");
    assert_eq!(m.source.dotted(), "details_list");
    assert!(m.alias.is_none());
    assert_eq!(m.body.stmts.len(), 12);
    assert!(text(EXAMPLE, m.span).starts_with("FPOOrderEntry[] <- details_list <"));
    assert!(text(EXAMPLE, m.span).ends_with("\n>"));
    assert!(text(EXAMPLE, m.body.span).starts_with('<'));

    let body = &m.body.stmts;
    assert!(matches!(&body[0], Stmt::Skip(s) if !s.unless && sexp(&s.cond) == "(<= num i0)"));
    assert!(matches!(&body[1], Stmt::Let(l) if l.name.name == "amount"
        && sexp(&l.value) == "round((* num price) i2)"));
    assert_eq!(assign_parts(&body[4]), ("FPrice".into(), "price".into()));
    assert_eq!(
        assign_parts(&body[5]),
        ("FAllAmount".into(), "amount".into())
    );
    assert_eq!(
        assign_parts(&body[6]).1,
        r#"(if (== remark "") null remark)"#
    );
    assert_eq!(assign_parts(&body[7]).1, "stock_of[record.warehouse_no]");
    assert_eq!(
        assign_parts(&body[8]).1,
        r#"(match details_list.tag "A"|"B"=>"x" "C"=>"y" _=>"z")"#
    );
    let Stmt::ArrayLit(links) = &body[9] else {
        panic!("{:?}", body[9])
    };
    assert_eq!(links.elements.len(), 1);
    assert_eq!(links.elements[0].stmts.len(), 3);
    assert!(text(EXAMPLE, links.span).ends_with(">]"));
    let Stmt::MapArray(sub) = &body[10] else {
        panic!("{:?}", body[10])
    };
    assert_eq!(sub.alias.as_ref().unwrap().name, "b");
    assert_eq!(
        text(EXAMPLE, sub.span),
        "FSub[] <- batches as b < FLot = b.batch_no >"
    );
    assert_eq!(
        assign_parts(&sub.body.stmts[0]),
        ("FLot".into(), "b.batch_no".into())
    );
    assert_eq!(
        assign_parts(&body[11]),
        ("FLast".into(), "(> qty i0)".into())
    );
}

#[test]
fn the_design_card_one_liner() {
    let src = "FPOOrderEntry[] <- details_list < FQty = num; FPrice = price >";
    let s = stmt(src);
    assert_eq!(s.span(), Span::new(0, src.len()));
    let b = block_of(&s);
    assert_eq!(text(src, b.span), "< FQty = num; FPrice = price >");
    assert_eq!(b.stmts.len(), 2);
    assert_eq!(text(src, b.stmts[0].span()), "FQty = num");
    assert_eq!(text(src, b.stmts[1].span()), "FPrice = price");
}

#[test]
fn spans_are_byte_offsets_after_chinese_text() {
    let src = "// 旺店通 → 金蝶\nscheme s \"采购单\"\nX[] <- 明细 < FQty = nun >";
    // `明细` is not a name: the file does not parse, and the error points at it.
    let e = err(src);
    assert_eq!(text(src, e.span), "明");

    let src = "// 旺店通 → 金蝶\nscheme s \"采购单\"\nX[] <- details < FQty = nun >";
    let f = ok(src);
    let Item::Stmt(s) = &f.items[1] else { panic!() };
    let Stmt::Assign(a) = &block_of(s).stmts[0] else {
        panic!()
    };
    let at = src.find("nun").unwrap();
    assert_eq!(a.value.span, Span::new(at, at + 3));
    assert_eq!(text(src, a.value.span), "nun");
    assert_eq!(text(src, a.target.span), "FQty");
}

#[test]
fn empty_and_comment_only_files() {
    assert!(ok("").items.is_empty());
    assert!(ok("  \n\t\r\n").items.is_empty());
    assert!(ok("// nothing\n/* at\nall */").items.is_empty());
    assert!(ok("\u{FEFF}// a byte order mark first\n").items.is_empty());
}

#[test]
fn crlf_line_endings_and_comments_between_tokens() {
    let src = "FQty = /* c */ num // n\r\nX[] <- a /* x */ <\r\n  B = c\r\n>\r\n";
    let f = ok(src);
    assert_eq!(f.items.len(), 2);
    let Item::Stmt(s) = &f.items[0] else { panic!() };
    assert_eq!(text(src, s.span()), "FQty = /* c */ num");
}

#[test]
fn semicolons_separate_optionally() {
    let f = ok("id a; number b; A = 1; B = 2;\nC = 3");
    assert_eq!(f.items.len(), 5);
    let b = stmt("X[] <- a < A = 1; B = 2; >");
    assert_eq!(block_of(&b).stmts.len(), 2);
}

// ---------------------------------------------------------------- items

#[test]
fn scheme_without_title() {
    let f = ok("scheme s\nA = 1");
    let Item::Scheme(s) = &f.items[0] else {
        panic!()
    };
    assert!(s.title.is_none());
    assert_eq!(s.span, Span::new(0, 8));
}

#[test]
fn source_forms() {
    let src = "source wdtqm.wdt.stockin.order.query\nsource a.b { }\nsource a.b {\n  d = DAYS_AGO(7)\n  e = DAYS_AGO(-7, \"x\",)\n  n = -12.5, m = null; f = F()\n}";
    let f = ok(src);
    let Item::Source(s) = &f.items[0] else {
        panic!()
    };
    assert_eq!(s.system.name, "wdtqm");
    assert_eq!(s.api_name(), "wdt.stockin.order.query");
    assert_eq!(s.api.len(), 4);
    assert!(s.params.is_empty());
    assert_eq!(text(src, s.span), "source wdtqm.wdt.stockin.order.query");
    let Item::Source(s) = &f.items[1] else {
        panic!()
    };
    assert!(s.params.is_empty());
    assert_eq!(text(src, s.span), "source a.b { }");
    let Item::Source(s) = &f.items[2] else {
        panic!()
    };
    let shown: Vec<String> = s
        .params
        .iter()
        .map(|p| match &p.value {
            ParamValue::Lit(l) => format!("{}={}", p.name.name, lit(l)),
            ParamValue::Sync { name, args, span } => format!(
                "{}={}({})@{}",
                p.name.name,
                name.name,
                args.iter().map(lit).collect::<Vec<_>>().join(","),
                text(src, *span)
            ),
        })
        .collect();
    assert_eq!(
        shown,
        [
            "d=DAYS_AGO(i7)@DAYS_AGO(7)",
            "e=DAYS_AGO(i-7,\"x\")@DAYS_AGO(-7, \"x\",)",
            "n=d-12.5",
            "m=null",
            "f=F()@F()"
        ]
    );
}

#[test]
fn source_needs_system_and_api() {
    let e = err("source wdt { a = 1 }");
    assert_eq!(e.expected, ["`.`"]);
    assert!(e.help.unwrap().contains("source SYSTEM.API"));
}

#[test]
fn target_forms() {
    let src = "target kingdee.Save BD_MATERIAL\ntarget k.S F { a = -1, b = \"x\"; c = 1.50 }";
    let f = ok(src);
    let Item::Target(t) = &f.items[0] else {
        panic!()
    };
    assert!(t.options.is_empty());
    assert_eq!(text(src, t.span), "target kingdee.Save BD_MATERIAL");
    let Item::Target(t) = &f.items[1] else {
        panic!()
    };
    let opts: Vec<String> = t
        .options
        .iter()
        .map(|o| format!("{}={}", o.name.name, lit(&o.value)))
        .collect();
    assert_eq!(opts, ["a=i-1", "b=\"x\"", "c=d1.50"]);
}

#[test]
fn keys_and_fields_named_like_keywords() {
    let f = ok("id record.trade_no\nnumber a.b");
    assert!(
        matches!(&f.items[0], Item::Key(k) if k.kind == KeyKind::Id && k.path.dotted() == "record.trade_no")
    );
    // `id` / `number` followed by `=`, `.` or `[` are target fields.
    for (src, target) in [
        ("id = x", "id"),
        ("id.FNumber = x", "id.FNumber"),
        ("number = 1", "number"),
        ("skip = 1", "skip"),
        ("let = 1", "let"),
        ("let.x = 1", "let.x"),
        ("table = 1", "table"),
        ("def = 1", "def"),
        ("source = 1", "source"),
        ("target.x = 1", "target.x"),
        ("include = 1", "include"),
        ("scheme = 1", "scheme"),
        ("if = 1", "if"),
        ("as = 1", "as"),
    ] {
        let s = stmt(src);
        let Stmt::Assign(a) = &s else {
            panic!("{src}: {s:?}")
        };
        assert_eq!(dotted(&a.target.segments), target, "{src}");
    }
    assert!(matches!(stmt("id[] <- x < >"), Stmt::MapArray(_)));
    // After a dot any name is a field, keywords included.
    assert_eq!(sexp(&expr("record.in + a.null")), "(+ record.in a.null)");
}

#[test]
fn include_and_table() {
    let src = "include \"a/b.map\"\ntable t { 1 => \"a\", -2 => \"b\"; true => null\n \"x\" => 1.5 }\ntable empty {}";
    let f = ok(src);
    assert!(
        matches!(&f.items[0], Item::Include(i) if i.path.value == "a/b.map" && text(src, i.span) == "include \"a/b.map\"")
    );
    let Item::Table(t) = &f.items[1] else {
        panic!()
    };
    let entries: Vec<String> = t
        .entries
        .iter()
        .map(|e| format!("{}={}", lit(&e.key), lit(&e.value)))
        .collect();
    assert_eq!(
        entries,
        ["i1=\"a\"", "i-2=\"b\"", "true=null", "\"x\"=d1.5"]
    );
    assert!(t.default.is_none());
    assert!(text(src, t.span).ends_with('}'));
    let Item::Table(t) = &f.items[2] else {
        panic!()
    };
    assert!(t.entries.is_empty() && t.default.is_none());
}

#[test]
fn table_default_must_be_last() {
    let e = err("table t { _ => 1\n \"a\" => 2 }");
    assert!(e.help.unwrap().contains("must be the last"));
}

#[test]
fn defs() {
    let f = ok("def f() = 1\ndef g(a, b,) = a + b");
    let Item::Def(d) = &f.items[0] else { panic!() };
    assert!(d.params.is_empty());
    let Item::Def(d) = &f.items[1] else { panic!() };
    let names: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(sexp(&d.body), "(+ a b)");
    assert_eq!(d.span, Span::new(12, 12 + "def g(a, b,) = a + b".len()));
}

// ---------------------------------------------------------------- statements

#[test]
fn assignments_and_target_paths() {
    let src = "FSupplierId.FNumber = provider_no";
    let Stmt::Assign(a) = stmt(src) else { panic!() };
    assert_eq!(a.target.segments.len(), 2);
    assert_eq!(text(src, a.target.span), "FSupplierId.FNumber");
    assert_eq!(text(src, a.target.segments[1].span), "FNumber");
    assert_eq!(a.span, Span::new(0, src.len()));
}

#[test]
fn skip_and_let() {
    let src = "X[] <- a <\n  skip if x\n  skip unless y > 1\n  let z = 2\n>";
    let s = stmt(src);
    let b = block_of(&s);
    assert!(matches!(&b.stmts[0], Stmt::Skip(k) if !k.unless && text(src, k.span) == "skip if x"));
    assert!(matches!(&b.stmts[1], Stmt::Skip(k) if k.unless && sexp(&k.cond) == "(> y i1)"));
    assert!(
        matches!(&b.stmts[2], Stmt::Let(l) if l.name.name == "z" && text(src, l.span) == "let z = 2")
    );
}

#[test]
fn map_array_with_alias_and_dotted_source() {
    let src = "Out.Lines[] <- record.detail.lines as line < F = line.x >";
    let Stmt::MapArray(m) = stmt(src) else {
        panic!()
    };
    assert_eq!(dotted(&m.target.segments), "Out.Lines");
    assert_eq!(m.source.dotted(), "record.detail.lines");
    assert_eq!(text(src, m.source.span), "record.detail.lines");
    assert_eq!(text(src, m.alias.unwrap().span), "line");
    // A source named `as` still works.
    let Stmt::MapArray(m) = stmt("X[] <- as < >") else {
        panic!()
    };
    assert_eq!(m.source.dotted(), "as");
    assert!(m.alias.is_none() && m.body.stmts.is_empty());
}

#[test]
fn array_literals() {
    let Stmt::ArrayLit(a) = stmt("L[] = []") else {
        panic!()
    };
    assert!(a.elements.is_empty());
    let src = "L[] = [< A = 1 >, <\n B = 2\n C = 3 >, < >,]";
    let Stmt::ArrayLit(a) = stmt(src) else {
        panic!()
    };
    let sizes: Vec<usize> = a.elements.iter().map(|b| b.stmts.len()).collect();
    assert_eq!(sizes, [1, 2, 0]);
    assert_eq!(text(src, a.elements[0].span), "< A = 1 >");
    assert_eq!(a.span, Span::new(0, src.len()));
}

#[test]
fn blocks_nest() {
    let src = "A[] <- a <\n  B[] <- b <\n    C[] <- c < D = d >\n    E[] = [< F[] <- f < G = 1 > >]\n  >>";
    let s = stmt(src);
    let b = block_of(&s);
    let inner = block_of(&b.stmts[0]);
    assert_eq!(inner.stmts.len(), 2);
    assert_eq!(text(src, inner.stmts[0].span()), "C[] <- c < D = d >");
}

// ---------------------------------------------------------------- `>`: compare or close

#[test]
fn greater_than_compares_when_the_operand_follows_on_the_same_line() {
    assert_eq!(sexp(&expr("a > b")), "(> a b)");
    assert_eq!(sexp(&expr("a >\tb")), "(> a b)");
    assert_eq!(sexp(&expr("a >= -1")), "(>= a i-1)");
    assert_eq!(sexp(&expr("a > (b)")), "(> a b)");
    assert_eq!(sexp(&expr("a > \"x\"")), "(> a \"x\")");
    assert_eq!(sexp(&expr("a > [1]")), "(> a [i1])");
    let s = stmt("X[] <- a <\n  skip if num > 0\n  Y = b >= c\n>");
    let b = block_of(&s);
    assert!(matches!(&b.stmts[0], Stmt::Skip(k) if sexp(&k.cond) == "(> num i0)"));
    assert_eq!(assign_parts(&b.stmts[1]).1, "(>= b c)");
}

#[test]
fn greater_than_closes_otherwise() {
    for src in [
        "X[] <- a < F = price >",
        "X[] <- a < F = price >\n",
        "X[] <- a < F = price > // done",
        "X[] <- a < F = price >/* done */",
        "X[] <- a < F = price\n>",
        "X[] <- a <\n  F = price >\nG = 1",
        "X[] <- a < F = price >; G = 1",
    ] {
        let f = ok(src);
        let Item::Stmt(s) = &f.items[0] else { panic!() };
        assert_eq!(assign_parts(&block_of(s).stmts[0]).1, "price", "{src:?}");
    }
    // `>>` and `> >` close two blocks; `>]` and `>,` close one in a list.
    for src in [
        "A[] <- a < B[] <- b < C = c >>",
        "A[] <- a < B[] <- b < C = c > >",
    ] {
        let s = stmt(src);
        let inner = block_of(&block_of(&s).stmts[0]);
        assert_eq!(assign_parts(&inner.stmts[0]).1, "c");
    }
    let Stmt::ArrayLit(a) = stmt("L[] = [< A = b >, < C = d >]") else {
        panic!()
    };
    assert_eq!(a.elements.len(), 2);
}

#[test]
fn a_comparison_followed_by_a_statement_on_one_line_gets_help() {
    let src = "X[] <- a < A = b > C = d";
    let e = err(src);
    assert_eq!(text(src, e.span), "=");
    assert!(
        e.expected.contains(&"`>` to close the block".to_owned()),
        "{e:?}"
    );
    let help = e.help.unwrap();
    assert!(help.contains("new line") && help.contains('`'), "{help}");
}

#[test]
fn less_than_opens_a_block_only_after_a_source_or_in_an_array() {
    assert_eq!(sexp(&expr("a < b")), "(< a b)");
    assert_eq!(sexp(&expr("a <-1")), "(< a i-1)");
    assert_eq!(sexp(&expr("a <= b")), "(<= a b)");
}

// ---------------------------------------------------------------- expressions

#[test]
fn precedence_from_loosest_to_tightest() {
    assert_eq!(
        sexp(&expr("a or b and not c == d ?? e + f * -g")),
        "(or a (and b (not (== c (?? d (+ e (* f (neg g))))))))"
    );
    assert_eq!(
        sexp(&expr("a * b + c ?? d == e and f or g")),
        "(or (and (== (?? (+ (* a b) c) d) e) f) g)"
    );
    assert_eq!(sexp(&expr("not a and b")), "(and (not a) b)");
    assert_eq!(sexp(&expr("not not a")), "(not (not a))");
    assert_eq!(sexp(&expr("--a")), "(neg (neg a))");
    assert_eq!(sexp(&expr("- 1")), "(neg i1)");
    assert_eq!(sexp(&expr("-1")), "i-1");
    assert_eq!(sexp(&expr("a-1")), "(- a i1)");
    assert_eq!(sexp(&expr("x in [\"a\", \"b\",]")), "(in x [\"a\" \"b\"])");
    assert_eq!(sexp(&expr("(a or b) and c")), "(and (or a b) c)");
}

#[test]
fn binary_operators_associate_to_the_left() {
    assert_eq!(sexp(&expr("a - b - c")), "(- (- a b) c)");
    assert_eq!(sexp(&expr("a / b * c")), "(* (/ a b) c)");
    assert_eq!(sexp(&expr("a ?? b ?? c")), "(?? (?? a b) c)");
    assert_eq!(sexp(&expr("a or b or c")), "(or (or a b) c)");
}

#[test]
fn comparisons_do_not_chain() {
    let e = err("X = a < b < c");
    assert!(e.help.unwrap().contains("do not chain"));
    assert_eq!(sexp(&expr("(a < b) == c")), "(== (< a b) c)");
}

#[test]
fn expression_spans_and_operator_spans() {
    let src = "X = (a + b) * 中c";
    // `中c` is not a name; use ASCII after the check.
    assert!(parse(src).is_err());
    let src = "X = (a + b) * c";
    let Stmt::Assign(a) = stmt(src) else { panic!() };
    assert_eq!(text(src, a.value.span), "(a + b) * c");
    let ExprKind::Binary {
        op,
        op_span,
        lhs,
        rhs,
    } = &a.value.kind
    else {
        panic!()
    };
    assert_eq!(*op, BinaryOp::Mul);
    assert_eq!(text(src, *op_span), "*");
    assert_eq!(text(src, lhs.span), "(a + b)");
    assert_eq!(text(src, rhs.span), "c");
    let ExprKind::Binary { op_span, .. } = &lhs.kind else {
        panic!()
    };
    assert_eq!(text(src, *op_span), "+");

    let src = "X = not  -a";
    let Stmt::Assign(a) = stmt(src) else { panic!() };
    assert_eq!(text(src, a.value.span), "not  -a");
    let ExprKind::Unary { op_span, expr, .. } = &a.value.kind else {
        panic!()
    };
    assert_eq!(text(src, *op_span), "not");
    assert_eq!(text(src, expr.span), "-a");

    let src = "X = a ?? b // trailing";
    let Stmt::Assign(a) = stmt(src) else { panic!() };
    assert_eq!(text(src, a.value.span), "a ?? b");
}

#[test]
fn calls_indexes_lists() {
    let src = "X = f(a, g(), [1, 2.5], t[k + 1],)";
    let Stmt::Assign(a) = stmt(src) else { panic!() };
    assert_eq!(sexp(&a.value), "f(a g() [i1 d2.5] t[(+ k i1)])");
    let ExprKind::Call { func, args } = &a.value.kind else {
        panic!()
    };
    assert_eq!(text(src, func.span), "f");
    assert_eq!(text(src, args[3].span), "t[k + 1]");
    assert_eq!(text(src, a.value.span), "f(a, g(), [1, 2.5], t[k + 1],)");
    assert_eq!(sexp(&expr("[]")), "[]");
    // A call needs its `(` right after the name.
    let e = err("X = f (x)");
    assert!(e.help.unwrap().contains("without a space"));
}

#[test]
fn if_expressions() {
    assert_eq!(sexp(&expr("if a then b else c")), "(if a b c)");
    assert_eq!(
        sexp(&expr("if a then b else if c then d else e + 1")),
        "(if a b (if c d (+ e i1)))"
    );
    assert_eq!(
        sexp(&expr("(if a then 1 else 2) + 3")),
        "(+ (if a i1 i2) i3)"
    );
    let src = "X = if a then b else c";
    let Stmt::Assign(a) = stmt(src) else { panic!() };
    assert_eq!(text(src, a.value.span), "if a then b else c");
}

#[test]
fn match_expressions() {
    let src = "X = match t {\n  \"A\" | \"B\" => 1\n  -1 => 2,\n  null => 3;\n  _ => 4\n}";
    let Stmt::Assign(a) = stmt(src) else { panic!() };
    assert_eq!(
        sexp(&a.value),
        "(match t \"A\"|\"B\"=>i1 i-1=>i2 null=>i3 _=>i4)"
    );
    let ExprKind::Match { arms, .. } = &a.value.kind else {
        panic!()
    };
    assert_eq!(text(src, arms[0].span), "\"A\" | \"B\" => 1");
    assert!(arms[3].wildcard && arms[3].patterns.is_empty());
    assert!(text(src, a.value.span).starts_with("match") && text(src, a.value.span).ends_with('}'));
}

#[test]
fn keywords_are_not_paths() {
    for kw in ["if", "then", "else", "match", "and", "or", "not", "in"] {
        assert!(parse(&format!("X = {kw}")).is_err(), "{kw}");
    }
    assert_eq!(sexp(&expr("true")), "true");
    assert_eq!(sexp(&expr("null")), "null");
    // Names that merely start like keywords are fine.
    assert_eq!(
        sexp(&expr("iffy + nullable + notes + index + order")),
        "(+ (+ (+ (+ iffy nullable) notes) index) order)"
    );
    let e = err("let in = 3");
    assert!(e.help.unwrap().contains("reserved"));
}

// ---------------------------------------------------------------- literals

#[test]
fn literals() {
    assert_eq!(
        expr("\"a\\\"b\\\\c\\nd\\te\\rf\\u{4E2D}\"").kind,
        ExprKind::Lit(Literal {
            kind: LitKind::Str("a\"b\\c\nd\te\rf中".into()),
            span: Span::new(4, 4 + 26),
        })
    );
    assert_eq!(sexp(&expr("007")), "i007");
    assert_eq!(sexp(&expr("-0.0001")), "d-0.0001");
    assert_eq!(sexp(&expr("12.50")), "d12.50");
    assert_eq!(sexp(&expr("false")), "false");
    assert_eq!(sexp(&expr("\"\"")), "\"\"");
    assert_eq!(sexp(&expr("\"北京仓\"")), "\"北京仓\"");
}

#[test]
fn lexical_errors_point_at_the_problem() {
    let src = "X = \"a\\qb\"";
    assert_eq!(text(src, err(src).span), "\\q");
    let src = "X = \"abc\nY = 1";
    assert_eq!(text(src, err(src).span), "\"abc");
    let src = "X = 1.";
    assert_eq!(text(src, err(src).span), "1.");
    let src = "X = \"\\u{D800}\"";
    assert_eq!(text(src, err(src).span), "\\u{D800}");
    // The earliest problem wins: a syntax error before a bad string.
    let src = "X = = \"\\q\"";
    assert_eq!(err(src).span, Span::new(4, 5));
}

// ---------------------------------------------------------------- limits

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn nesting_is_limited_not_fatal() {
    let cases: [(&str, &str, &str); 7] = [
        ("X = ", "(", ")"),
        ("X = ", "[", "]"),
        ("X = ", "f(", ")"),
        ("X = ", "not ", ""),
        ("X = ", "- ", ""),
        ("X = ", "if a then b else ", ""),
        ("", "A[] <- b <\n", ">\n"),
    ];
    for (head, open, close) in cases {
        for (n, fine) in [
            (MAX_NESTING, true),
            (MAX_NESTING + 1, false),
            (20_000, false),
        ] {
            let src = format!("{head}{}1{}", open.repeat(n), close.repeat(n));
            let src = if head.is_empty() {
                src.replace("1", "A = 1\n")
            } else {
                src
            };
            let result = on_small_stack(move || parse(&src).map(|_| ()).map_err(|e| e.message));
            match (fine, result) {
                (true, Ok(())) => {}
                (false, Err(m)) => assert_eq!(m, "this is nested too deeply", "{open:?} × {n}"),
                (_, r) => panic!("{open:?} × {n}: {r:?}"),
            }
        }
    }
}

#[test]
fn lookups_and_their_fields() {
    let f = parse(
        "lookup material = kingdee BD_MATERIAL by FNumber\n\
         FMaterialId.FNumber = material[spec_no].FNumber ?? \"A01\"\n\
         FStockId = stock[w]\n",
    )
    .unwrap();
    let Item::Lookup(l) = &f.items[0] else {
        panic!("not a lookup: {:?}", f.items[0]);
    };
    assert_eq!(
        (
            l.name.name.as_str(),
            l.form.name.as_str(),
            l.by.name.as_str()
        ),
        ("material", "BD_MATERIAL", "FNumber")
    );
    assert_eq!((l.form.span.start, l.form.span.end), (26, 37));
    let Item::Stmt(Stmt::Assign(a)) = &f.items[1] else {
        panic!("not an assignment");
    };
    assert_eq!(sexp(&a.value), "(?? material[spec_no].FNumber \"A01\")");
    let Item::Stmt(Stmt::Assign(b)) = &f.items[2] else {
        panic!("not an assignment");
    };
    assert_eq!(sexp(&b.value), "stock[w]");
    // A field after a table's brackets is a parse of its own: the checker
    // says tables have no fields.
    let e = parse("lookup m = kingdee BD_MATERIAL FNumber\n").unwrap_err();
    assert!(e.to_string().contains("`by`"), "{e}");
}
