//! The interpreter on hand-built checked models: every builtin and operator,
//! the null/missing/empty rules, arrays, skips and error placement.

use duijie_compiler::interp::{Interpreter, Outcome};
use duijie_compiler::model::*;
use duijie_maplib::{Mapped, Mapper, SchemeMeta};
use duijie_runtime::vendors;

// ------------------------------------------------------------ builders

fn meta() -> SchemeMeta {
    serde_json::from_str(include_str!("../../testdata/scheme_meta.json")).unwrap()
}

fn scheme(reads: Shape, tables: Vec<Table>, body: Block) -> Scheme {
    Scheme {
        meta: meta(),
        source_time: TimeFormat {
            utc_offset_secs: 8 * 3600,
            datetime_format: "%Y-%m-%d %H:%M:%S".into(),
            date_format: "%Y-%m-%d".into(),
        },
        target_time: TimeFormat {
            utc_offset_secs: 8 * 3600,
            datetime_format: "%Y-%m-%d %H:%M:%S".into(),
            date_format: "%Y-%m-%d".into(),
        },
        reads,
        tables,
        lookups: Vec::new(),
        body,
    }
}

fn ty(b: Base) -> Ty {
    Ty::nullable(b)
}

fn e(kind: ExprKind, b: Base) -> Expr {
    Expr { kind, ty: ty(b) }
}

fn fref(level: usize, path: &[&str], display: &str) -> FieldRef {
    FieldRef {
        level,
        path: path.iter().map(|s| s.to_string()).collect(),
        display: display.into(),
    }
}

fn field_at(level: usize, path: &[&str], display: &str, b: Base, required: bool) -> Expr {
    e(
        ExprKind::Field {
            field: fref(level, path, display),
            scalar: SourceScalar {
                ty: b,
                required,
                format: None,
            },
        },
        b,
    )
}

/// A record-level field named as its path.
fn f(name: &str, b: Base) -> Expr {
    field_at(0, &[name], name, b, false)
}

fn s(v: &str) -> Expr {
    e(ExprKind::Const(Const::Str(v.into())), Base::Str)
}

fn d(v: &str) -> Expr {
    e(ExprKind::Const(Const::Dec(v.into())), Base::Dec)
}

fn i(v: i64) -> Expr {
    e(ExprKind::Const(Const::Int(v)), Base::Int)
}

fn b(v: bool) -> Expr {
    e(ExprKind::Const(Const::Bool(v)), Base::Bool)
}

fn null() -> Expr {
    Expr {
        kind: ExprKind::Const(Const::Null),
        ty: Ty::NULL,
    }
}

fn call(func: Builtin, args: Vec<Expr>, out: Base) -> Expr {
    e(ExprKind::Call { func, args }, out)
}

fn bin(op: Op, l: Expr, r: Expr, out: Base) -> Expr {
    e(
        ExprKind::Binary {
            op,
            lhs: Box::new(l),
            rhs: Box::new(r),
        },
        out,
    )
}

fn scalar_ty(b: Base) -> TargetScalar {
    match b {
        Base::Str | Base::Null => TargetScalar::Str,
        Base::Dec => TargetScalar::Dec,
        Base::Int => TargetScalar::Int,
        Base::Bool => TargetScalar::Bool,
        Base::Date => TargetScalar::Date {
            format: "%Y-%m-%d".into(),
        },
        Base::DateTime => TargetScalar::DateTime {
            format: "%Y-%m-%d %H:%M:%S".into(),
        },
        Base::List => TargetScalar::List,
    }
}

fn tf(name: &str, path: &str, expr: Expr, required: bool, sources: &str) -> TargetField {
    let t = scalar_ty(expr.ty.base);
    TargetField {
        name: name.into(),
        path: path.into(),
        value: TargetValue::Scalar {
            expr,
            ty: t,
            required,
            sources: sources.into(),
        },
    }
}

fn block(fields: Vec<TargetField>) -> Block {
    Block {
        prelude: vec![],
        fields,
    }
}

fn run(interp: &Interpreter, record: &str) -> String {
    let mut out = b"prefix|".to_vec();
    let r = interp.map_record(record, &mut out);
    let text = String::from_utf8(out).unwrap();
    match r {
        Ok(Mapped::Bill { .. }) => text.strip_prefix("prefix|").unwrap().to_string(),
        Ok(Mapped::Skipped { reason, .. }) => {
            assert_eq!(text, "prefix|", "nothing appended on skip");
            format!("skipped: {reason}")
        }
        Err(err) => {
            assert_eq!(text, "prefix|", "nothing appended on error");
            format!(
                "error: id={:?} target={:?} source={:?} reason={}",
                err.record_id, err.target, err.source, err.reason
            )
        }
    }
}

/// Evaluates one expression as the field `V` of a bill.
fn eval(expr: Expr, record: &str) -> String {
    let interp = Interpreter::new(scheme(
        Shape::default(),
        vec![],
        block(vec![tf("V", "V", expr, false, "")]),
    ));
    let out = run(&interp, record);
    match out.strip_prefix("{\"V\":") {
        Some(v) => v.strip_suffix('}').unwrap().to_string(),
        None if out == "{}" => "null".into(),
        None => out,
    }
}

fn ev(expr: Expr) -> String {
    eval(expr, "{}")
}

// ------------------------------------------------------------ tests

#[test]
fn source_scalars_and_null_rules() {
    let rec = r#"{"purchase_no":"CG1","num":"10.0000","n2":946.9436,"empty":"","nul":null,
        "cnt":"3","flag":"1","t":"2024-01-02 10:00:00","zero":"0000-00-00 00:00:00","code":12,
        "day":"2024-01-02","tags":["a","北"],"text":"北京\"仓\"\n"}"#;
    let ev = |x: Expr| eval(x, rec);
    assert_eq!(ev(f("num", Base::Dec)), "10.0000");
    assert_eq!(ev(f("n2", Base::Dec)), "946.9436");
    assert_eq!(ev(f("empty", Base::Dec)), "null");
    assert_eq!(ev(f("empty", Base::Str)), "\"\"");
    assert_eq!(ev(f("nul", Base::Str)), "null");
    assert_eq!(ev(f("missing", Base::Str)), "null");
    assert_eq!(ev(f("cnt", Base::Int)), "3");
    assert_eq!(ev(f("flag", Base::Bool)), "true");
    assert_eq!(ev(f("t", Base::DateTime)), "\"2024-01-02 10:00:00\"");
    assert_eq!(ev(f("zero", Base::DateTime)), "null");
    assert_eq!(ev(f("day", Base::Date)), "\"2024-01-02\"");
    assert_eq!(ev(f("code", Base::Str)), "\"12\"");
    assert_eq!(ev(f("tags", Base::List)), "[\"a\",\"北\"]");
    assert_eq!(ev(f("text", Base::Str)), "\"北京\\\"仓\\\"\\n\"");
    // Bad text fails the field that reads it, naming the source field.
    assert_eq!(
        eval(f("num", Base::Dec), r#"{"purchase_no":"CG1","num":"abc"}"#),
        "error: id=Some(\"CG1\") target=\"V\" source=\"num\" reason=\"abc\" is not a decimal"
    );
    // A required source field that is missing.
    assert_eq!(
        eval(
            field_at(0, &["purchase_no"], "purchase_no", Base::Str, true),
            "{}"
        ),
        "error: id=None target=\"V\" source=\"purchase_no\" reason=required field is missing"
    );
}

#[test]
fn decimal_arithmetic() {
    assert_eq!(
        ev(bin(Op::AddDec, d("10.0000"), d("0.5"), Base::Dec)),
        "10.5000"
    );
    assert_eq!(ev(bin(Op::SubDec, d("1.5"), d("1.5"), Base::Dec)), "0.0");
    assert_eq!(
        ev(bin(Op::MulDec, d("10.0000"), d("94.6944"), Base::Dec)),
        "946.94400000"
    );
    assert_eq!(
        ev(bin(Op::DivDec, d("1"), d("3"), Base::Dec)),
        "0.3333333333333333333333333333"
    );
    assert_eq!(
        ev(bin(Op::DivDec, d("1"), d("0.00"), Base::Dec)),
        "error: id=None target=\"V\" source=\"\" reason=division by zero"
    );
    assert!(ev(bin(
        Op::MulDec,
        d("79228162514264337593543950335"),
        d("2"),
        Base::Dec
    ))
    .contains("decimal overflow"));
    assert_eq!(ev(bin(Op::AddDec, d("1"), null(), Base::Dec)), "null");
    assert_eq!(ev(bin(Op::AddInt, i(2), i(3), Base::Int)), "5");
    assert_eq!(ev(bin(Op::SubInt, i(2), i(3), Base::Int)), "-1");
    assert_eq!(ev(bin(Op::MulInt, i(4), i(3), Base::Int)), "12");
    assert!(ev(bin(Op::MulInt, i(i64::MAX), i(2), Base::Int)).contains("integer overflow"));
    assert_eq!(
        ev(e(ExprKind::Neg(Box::new(d("1.20"))), Base::Dec)),
        "-1.20"
    );
    assert_eq!(ev(e(ExprKind::Neg(Box::new(d("0.00"))), Base::Dec)), "0.00");
    assert_eq!(ev(e(ExprKind::Neg(Box::new(i(5))), Base::Int)), "-5");
    assert_eq!(ev(e(ExprKind::Neg(Box::new(null())), Base::Dec)), "null");
    assert_eq!(ev(call(Builtin::IntToDec, vec![i(7)], Base::Dec)), "7");
    assert_eq!(
        ev(call(Builtin::Round, vec![d("2.345"), i(2)], Base::Dec)),
        "2.35"
    );
    assert_eq!(
        ev(call(Builtin::Round, vec![d("-2.5"), i(0)], Base::Dec)),
        "-3"
    );
    assert_eq!(
        ev(call(Builtin::Round, vec![d("10"), i(2)], Base::Dec)),
        "10.00"
    );
    assert_eq!(
        ev(call(Builtin::Truncate, vec![d("2.349"), i(2)], Base::Dec)),
        "2.34"
    );
    assert_eq!(ev(call(Builtin::Abs, vec![d("-3.10")], Base::Dec)), "3.10");
    assert_eq!(
        ev(call(Builtin::Min, vec![d("1.0"), d("2")], Base::Dec)),
        "1.0"
    );
    assert_eq!(
        ev(call(Builtin::Max, vec![d("1.0"), d("2")], Base::Dec)),
        "2"
    );
    // Null in any argument gives null.
    assert_eq!(
        ev(call(Builtin::Round, vec![d("1.5"), null()], Base::Dec)),
        "null"
    );
    assert_eq!(
        ev(call(Builtin::Max, vec![d("1.5"), null()], Base::Dec)),
        "null"
    );
}

#[test]
fn conversions() {
    assert_eq!(
        ev(call(Builtin::StrToDec, vec![s("12.50")], Base::Dec)),
        "12.50"
    );
    assert_eq!(
        ev(call(Builtin::StrToDec, vec![s("1,000")], Base::Dec)),
        "error: id=None target=\"V\" source=\"\" reason=\"1,000\" is not a decimal"
    );
    assert_eq!(
        ev(call(Builtin::TryStrToDec, vec![s("x")], Base::Dec)),
        "null"
    );
    assert_eq!(
        ev(call(Builtin::TryStrToDec, vec![s("1e2")], Base::Dec)),
        "100"
    );
    assert_eq!(
        ev(call(Builtin::DecToInt, vec![d("12.00")], Base::Int)),
        "12"
    );
    assert!(
        ev(call(Builtin::DecToInt, vec![d("12.50")], Base::Int)).contains("12.50 has a fraction")
    );
    assert_eq!(
        ev(call(Builtin::TryDecToInt, vec![d("12.5")], Base::Int)),
        "null"
    );
    assert_eq!(ev(call(Builtin::StrToInt, vec![s("42")], Base::Int)), "42");
    assert!(
        ev(call(Builtin::StrToInt, vec![s("4x")], Base::Int)).contains("\"4x\" is not an integer")
    );
    assert_eq!(
        ev(call(Builtin::TryStrToInt, vec![s("4x")], Base::Int)),
        "null"
    );
    assert_eq!(
        ev(call(Builtin::ToString, vec![d("10.0000")], Base::Str)),
        "\"10.0000\""
    );
    assert_eq!(
        ev(call(Builtin::ToString, vec![i(-3)], Base::Str)),
        "\"-3\""
    );
    assert_eq!(
        ev(call(Builtin::ToString, vec![b(true)], Base::Str)),
        "\"true\""
    );
    assert_eq!(ev(call(Builtin::ToString, vec![null()], Base::Str)), "null");
    let date = call(
        Builtin::ToDate,
        vec![s("2024-01-02"), s("%Y-%m-%d")],
        Base::Date,
    );
    assert_eq!(
        ev(call(Builtin::ToString, vec![date], Base::Str)),
        "\"2024-01-02\""
    );
}

fn dt(text: &str) -> Expr {
    call(
        Builtin::ToDateTime,
        vec![s(text), s("%Y-%m-%d %H:%M:%S"), s("+08:00")],
        Base::DateTime,
    )
}

#[test]
fn dates_and_times() {
    assert_eq!(ev(dt("2024-01-02 10:00:00")), "\"2024-01-02 10:00:00\"");
    assert!(ev(dt("2024-01-32 10:00:00")).contains("is not a date-time in the format"));
    assert_eq!(
        ev(call(
            Builtin::TryToDateTime,
            vec![s("x"), s("%Y-%m-%d %H:%M:%S"), s("+08:00")],
            Base::DateTime
        )),
        "null"
    );
    // Written in the target zone (UTC+8) whatever zone it was read in.
    let ny = call(
        Builtin::ToDateTime,
        vec![
            s("2024-01-02 10:00:00"),
            s("%Y-%m-%d %H:%M:%S"),
            s("-05:00"),
        ],
        Base::DateTime,
    );
    assert_eq!(ev(ny), "\"2024-01-02 23:00:00\"");
    assert_eq!(
        ev(call(
            Builtin::ToDate,
            vec![s("2024/01/02"), s("%Y/%m/%d")],
            Base::Date
        )),
        "\"2024-01-02\""
    );
    assert!(ev(call(
        Builtin::ToDate,
        vec![s("2024-02-30"), s("%Y-%m-%d")],
        Base::Date
    ))
    .contains("is not a date"));
    assert_eq!(
        ev(call(
            Builtin::TryToDate,
            vec![s(""), s("%Y-%m-%d")],
            Base::Date
        )),
        "null"
    );
    assert_eq!(
        ev(call(
            Builtin::FormatDateTime,
            vec![dt("2024-01-02 10:00:00"), s("%Y%m%d %H")],
            Base::Str
        )),
        "\"20240102 10\""
    );
    assert_eq!(
        ev(call(
            Builtin::FormatDateTime,
            vec![dt("2024-01-02 01:00:00"), s("%Y-%m-%d %H:%M"), s("UTC")],
            Base::Str
        )),
        "\"2024-01-01 17:00\""
    );
    assert!(ev(call(
        Builtin::FormatDateTime,
        vec![dt("2024-01-02 01:00:00"), s("%Q")],
        Base::Str
    ))
    .contains("is not a valid date-time format"));
    let day = call(
        Builtin::ToDate,
        vec![s("2024-02-28"), s("%Y-%m-%d")],
        Base::Date,
    );
    assert_eq!(
        ev(call(
            Builtin::FormatDate,
            vec![day.clone(), s("%Y年%m月%d日")],
            Base::Str
        )),
        "\"2024年02月28日\""
    );
    assert_eq!(
        ev(call(
            Builtin::DateOf,
            vec![dt("2024-01-02 01:00:00")],
            Base::Date
        )),
        "\"2024-01-02\""
    );
    assert_eq!(
        ev(call(
            Builtin::DateOf,
            vec![dt("2024-01-02 01:00:00"), s("Z")],
            Base::Date
        )),
        "\"2024-01-01\""
    );
    assert_eq!(
        ev(call(Builtin::AddDaysDate, vec![day, i(1)], Base::Date)),
        "\"2024-02-29\""
    );
    assert_eq!(
        ev(call(
            Builtin::AddDaysDateTime,
            vec![dt("2024-01-01 10:00:00"), i(-1)],
            Base::DateTime
        )),
        "\"2023-12-31 10:00:00\""
    );
    // Comparisons of date-times are of instants.
    let earlier = call(
        Builtin::ToDateTime,
        vec![
            s("2024-01-02 09:00:00"),
            s("%Y-%m-%d %H:%M:%S"),
            s("+07:00"),
        ],
        Base::DateTime,
    );
    assert_eq!(
        ev(bin(
            Op::Eq,
            earlier.clone(),
            dt("2024-01-02 10:00:00"),
            Base::Bool
        )),
        "true"
    );
    assert_eq!(
        ev(bin(Op::Lt, earlier, dt("2024-01-02 10:00:01"), Base::Bool)),
        "true"
    );
}

#[test]
fn strings() {
    let city = || s("  北京仓库  ");
    assert_eq!(
        ev(call(Builtin::Trim, vec![city()], Base::Str)),
        "\"北京仓库\""
    );
    assert_eq!(
        ev(call(Builtin::Upper, vec![s("abc")], Base::Str)),
        "\"ABC\""
    );
    assert_eq!(
        ev(call(Builtin::Lower, vec![s("ABC")], Base::Str)),
        "\"abc\""
    );
    assert_eq!(
        ev(call(
            Builtin::Substring,
            vec![s("北京仓库"), i(1), i(2)],
            Base::Str
        )),
        "\"京仓\""
    );
    assert_eq!(
        ev(call(
            Builtin::Substring,
            vec![s("北京仓库"), i(2)],
            Base::Str
        )),
        "\"仓库\""
    );
    assert_eq!(
        ev(call(
            Builtin::Replace,
            vec![s("a-b"), s("-"), s("、")],
            Base::Str
        )),
        "\"a、b\""
    );
    assert_eq!(
        ev(call(Builtin::Split, vec![s("a,b"), s(",")], Base::List)),
        "[\"a\",\"b\"]"
    );
    let list = call(Builtin::Split, vec![s("a,b"), s(",")], Base::List);
    assert_eq!(
        ev(call(Builtin::Join, vec![list, s("|")], Base::Str)),
        "\"a|b\""
    );
    assert_eq!(ev(call(Builtin::Len, vec![s("北京ab")], Base::Int)), "4");
    assert_eq!(
        ev(call(
            Builtin::StartsWith,
            vec![s("CG01"), s("CG")],
            Base::Bool
        )),
        "true"
    );
    assert_eq!(
        ev(call(
            Builtin::EndsWith,
            vec![s("CG01"), s("CG")],
            Base::Bool
        )),
        "false"
    );
    assert_eq!(
        ev(call(
            Builtin::Contains,
            vec![s("北京仓库"), s("仓")],
            Base::Bool
        )),
        "true"
    );
    assert_eq!(ev(call(Builtin::IsNull, vec![null()], Base::Bool)), "true");
    assert_eq!(ev(call(Builtin::IsNull, vec![s("")], Base::Bool)), "false");
    assert_eq!(ev(call(Builtin::IsEmpty, vec![s("")], Base::Bool)), "true");
    assert_eq!(ev(call(Builtin::IsEmpty, vec![null()], Base::Bool)), "true");
    assert_eq!(
        ev(call(Builtin::IsEmpty, vec![s(" ")], Base::Bool)),
        "false"
    );
    assert_eq!(ev(call(Builtin::Upper, vec![null()], Base::Str)), "null");
    assert_eq!(
        ev(bin(Op::Concat, s("WDT "), s("CG1"), Base::Str)),
        "\"WDT CG1\""
    );
    assert_eq!(ev(bin(Op::Concat, s("WDT "), null(), Base::Str)), "null");
    assert_eq!(
        ev(e(ExprKind::List(vec![s("a"), null(), s("b")]), Base::List)),
        "[\"a\",\"b\"]"
    );
}

#[test]
fn logic_and_comparisons() {
    let t = || b(true);
    let fl = || b(false);
    assert_eq!(ev(bin(Op::Or, fl(), t(), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::Or, null(), fl(), Base::Bool)), "false");
    assert_eq!(ev(bin(Op::And, t(), null(), Base::Bool)), "false");
    assert_eq!(ev(bin(Op::And, t(), t(), Base::Bool)), "true");
    // `or`/`and` stop early: the failing right side is not evaluated.
    let boom = || call(Builtin::StrToDec, vec![s("x")], Base::Dec);
    let boom_bool = || bin(Op::Eq, boom(), d("1"), Base::Bool);
    assert_eq!(ev(bin(Op::Or, t(), boom_bool(), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::And, fl(), boom_bool(), Base::Bool)), "false");
    assert!(ev(bin(Op::And, t(), boom_bool(), Base::Bool)).starts_with("error"));
    assert_eq!(ev(e(ExprKind::Not(Box::new(fl())), Base::Bool)), "true");
    assert_eq!(ev(e(ExprKind::Not(Box::new(null())), Base::Bool)), "null");
    assert_eq!(ev(bin(Op::Eq, null(), null(), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::Eq, s("a"), null(), Base::Bool)), "false");
    assert_eq!(ev(bin(Op::Ne, s("a"), null(), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::Eq, d("1.0"), d("1.00"), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::Lt, d("1.0"), d("1.01"), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::Le, i(2), i(2), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::Gt, s("b"), s("a"), Base::Bool)), "true");
    assert_eq!(ev(bin(Op::Ge, s("a"), s("b"), Base::Bool)), "false");
    assert_eq!(ev(bin(Op::Lt, null(), d("1"), Base::Bool)), "false");
    assert_eq!(ev(bin(Op::Ge, null(), d("1"), Base::Bool)), "false");
    assert_eq!(ev(bin(Op::Coalesce, null(), s("x"), Base::Str)), "\"x\"");
    assert_eq!(ev(bin(Op::Coalesce, s("a"), boom(), Base::Str)), "\"a\"");
    let if_ = |c: Expr| {
        e(
            ExprKind::If {
                cond: Box::new(c),
                then: Box::new(s("yes")),
                otherwise: Box::new(s("no")),
            },
            Base::Str,
        )
    };
    assert_eq!(ev(if_(b(true))), "\"yes\"");
    assert_eq!(ev(if_(null())), "\"no\"");
    let in_ = |v: Expr| {
        e(
            ExprKind::In {
                value: Box::new(v),
                items: vec![s("40"), s("90"), boom_bool()],
            },
            Base::Bool,
        )
    };
    assert_eq!(ev(in_(s("90"))), "true");
    assert!(ev(in_(s("10"))).starts_with("error"));
}

fn match_(v: Expr, default: Option<Expr>) -> Expr {
    e(
        ExprKind::Match {
            scrutinee: Box::new(v),
            arms: vec![
                (
                    vec![Const::Str("1".into()), Const::Str("2".into())],
                    s("采购"),
                ),
                (vec![Const::Str("3".into())], s("退货")),
                (vec![Const::Null], s("无")),
            ],
            default: default.map(Box::new),
        },
        Base::Str,
    )
}

#[test]
fn matches() {
    assert_eq!(ev(match_(s("2"), None)), "\"采购\"");
    assert_eq!(ev(match_(s("3"), None)), "\"退货\"");
    assert_eq!(ev(match_(null(), None)), "\"无\"");
    assert_eq!(ev(match_(s("9"), Some(s("其他")))), "\"其他\"");
    assert_eq!(
        eval(match_(f("order_type", Base::Str), None), r#"{"purchase_no":"P1","order_type":"9"}"#),
        "error: id=Some(\"P1\") target=\"V\" source=\"\" reason=no arm of the match takes \"9\", and it has no `_` arm"
    );
}

fn stock_table(default: Option<Const>) -> Table {
    Table {
        name: "stock_of".into(),
        key: Base::Str,
        value: Base::Str,
        entries: vec![
            (Const::Str("WH001".into()), Const::Str("CK001".into())),
            (Const::Str("北京仓".into()), Const::Str("CK002".into())),
        ],
        default,
    }
}

#[test]
fn tables() {
    let lookup = |key: Expr| {
        e(
            ExprKind::Lookup {
                table: 0,
                key: Box::new(key),
            },
            Base::Str,
        )
    };
    let body = || {
        block(vec![tf(
            "FStock",
            "FSTOCKID.FNumber",
            lookup(f("warehouse_no", Base::Str)),
            false,
            "warehouse_no",
        )])
    };
    let with = Interpreter::new(scheme(
        Shape::default(),
        vec![stock_table(Some(Const::Str("CK999".into())))],
        body(),
    ));
    let without = Interpreter::new(scheme(Shape::default(), vec![stock_table(None)], body()));
    assert_eq!(
        run(&with, r#"{"warehouse_no":"北京仓"}"#),
        r#"{"FStock":"CK002"}"#
    );
    assert_eq!(
        run(&with, r#"{"warehouse_no":"上海仓"}"#),
        r#"{"FStock":"CK999"}"#
    );
    assert_eq!(run(&with, r#"{"warehouse_no":null}"#), r#"{}"#);
    assert_eq!(
        run(&without, r#"{"warehouse_no":"WH001"}"#),
        r#"{"FStock":"CK001"}"#
    );
    assert_eq!(
        run(&without, r#"{"purchase_no":"P9","warehouse_no":"上海仓"}"#),
        "error: id=Some(\"P9\") target=\"FSTOCKID.FNumber\" source=\"warehouse_no\" reason=\"上海仓\" is not in the table stock_of, which has no `_` entry"
    );
    // A large table (indexed) behaves the same.
    let mut big = stock_table(None);
    for n in 0..50 {
        big.entries
            .push((Const::Str(format!("K{n}")), Const::Str(format!("V{n}"))));
    }
    let big = Interpreter::new(scheme(Shape::default(), vec![big], body()));
    assert_eq!(
        run(&big, r#"{"warehouse_no":"K42"}"#),
        r#"{"FStock":"V42"}"#
    );
    assert!(run(&big, r#"{"warehouse_no":"K50"}"#).contains("is not in the table"));
    // Decimal keys compare by value.
    let dec_table = Table {
        name: "rate".into(),
        key: Base::Dec,
        value: Base::Str,
        entries: vec![(Const::Dec("0.13".into()), Const::Str("T13".into()))],
        default: None,
    };
    let body = block(vec![tf(
        "R",
        "R",
        lookup(f("tax", Base::Dec)),
        false,
        "tax",
    )]);
    let by_dec = Interpreter::new(scheme(Shape::default(), vec![dec_table], body));
    assert_eq!(run(&by_dec, r#"{"tax":"0.1300"}"#), r#"{"R":"T13"}"#);
}

/// `FPOOrderEntry[] <- details_list < skip if num <= 0; FQty = num (required);
/// FLink[] <- sub_list < FSId = to_int(rec_id) > >`, plus a literal array.
fn order_scheme() -> Scheme {
    let num = || field_at(1, &["num"], "details_list[].num", Base::Dec, false);
    let links = TargetField {
        name: "FLink".into(),
        path: "FPOOrderEntry[].FLink[]".into(),
        value: TargetValue::Array {
            source: fref(1, &["sub_list"], "details_list[].sub_list"),
            level: 2,
            body: block(vec![
                tf(
                    "FSId",
                    "FPOOrderEntry[].FLink[].FSId",
                    call(
                        Builtin::StrToInt,
                        vec![field_at(
                            2,
                            &["rec_id"],
                            "details_list[].sub_list[].rec_id",
                            Base::Str,
                            false,
                        )],
                        Base::Int,
                    ),
                    false,
                    "details_list[].sub_list[].rec_id",
                ),
                tf(
                    "FBillNo",
                    "FPOOrderEntry[].FLink[].FBillNo",
                    f("purchase_no", Base::Str),
                    false,
                    "purchase_no",
                ),
            ]),
            required: false,
        },
    };
    let entry = TargetField {
        name: "FPOOrderEntry".into(),
        path: "FPOOrderEntry[]".into(),
        value: TargetValue::Array {
            source: fref(0, &["details_list"], "details_list"),
            level: 1,
            body: Block {
                prelude: vec![
                    Prelude::Let {
                        local: 0,
                        name: "amount".into(),
                        expr: bin(
                            Op::MulDec,
                            num(),
                            field_at(1, &["price"], "details_list[].price", Base::Dec, false),
                            Base::Dec,
                        ),
                    },
                    Prelude::Skip {
                        cond: bin(Op::Le, num(), d("0"), Base::Bool),
                        unless: false,
                        text: "skip if num <= 0".into(),
                    },
                ],
                fields: vec![
                    tf(
                        "FQty",
                        "FPOOrderEntry[].FQty",
                        num(),
                        true,
                        "details_list[].num",
                    ),
                    tf(
                        "FAmount",
                        "FPOOrderEntry[].FAmount",
                        e(ExprKind::Local(0), Base::Dec),
                        false,
                        "details_list[].num, details_list[].price",
                    ),
                    links,
                ],
            },
            required: false,
        },
    };
    let lit = TargetField {
        name: "FLit".into(),
        path: "FLit[]".into(),
        value: TargetValue::List(vec![
            block(vec![tf("FRuleId", "FLit[].FRuleId", s("R1"), false, "")]),
            Block {
                prelude: vec![Prelude::Skip {
                    cond: call(Builtin::IsNull, vec![f("remark", Base::Str)], Base::Bool),
                    unless: false,
                    text: "skip if is_null(remark)".into(),
                }],
                fields: vec![tf(
                    "FRuleId",
                    "FLit[].FRuleId",
                    f("remark", Base::Str),
                    true,
                    "remark",
                )],
            },
        ]),
    };
    let obj = TargetField {
        name: "FSupplierId".into(),
        path: "FSupplierId".into(),
        value: TargetValue::Object(vec![tf(
            "FNumber",
            "FSupplierId.FNumber",
            f("provider_no", Base::Str),
            false,
            "provider_no",
        )]),
    };
    let mut sc = scheme(
        Shape::default(),
        vec![],
        Block {
            prelude: vec![Prelude::Skip {
                cond: bin(Op::Eq, f("status", Base::Str), s("10"), Base::Bool),
                unless: false,
                text: "skip if status == \"10\"".into(),
            }],
            fields: vec![
                tf(
                    "FBillNo",
                    "FBillNo",
                    f("purchase_no", Base::Str),
                    true,
                    "purchase_no",
                ),
                obj,
                entry,
                lit,
            ],
        },
    );
    sc.meta.name = "orders".into();
    sc
}

#[test]
fn arrays_skips_and_literal_arrays() {
    let interp = Interpreter::new(order_scheme());
    let rec = r#"{"purchase_no":"CG1","status":"90","remark":"加急",
        "details_list":[
          {"num":"2.0000","price":"1.50","sub_list":[{"rec_id":"7"},{"rec_id":"8"}]},
          {"num":"0.0000","price":"1"},
          {"num":"1","price":null,"sub_list":null}
        ]}"#;
    insta::assert_snapshot!(run(&interp, rec), @r#"{"FBillNo":"CG1","FPOOrderEntry":[{"FQty":2.0000,"FAmount":3.000000,"FLink":[{"FSId":7,"FBillNo":"CG1"},{"FSId":8,"FBillNo":"CG1"}]},{"FQty":1}],"FLit":[{"FRuleId":"R1"},{"FRuleId":"加急"}]}"#);
    // No lines, no remark: the empty array left out, the second literal
    // element skipped.
    insta::assert_snapshot!(run(&interp, r#"{"purchase_no":"CG2","provider_no":"G1"}"#), @r#"{"FBillNo":"CG2","FSupplierId":{"FNumber":"G1"},"FLit":[{"FRuleId":"R1"}]}"#);
    assert_eq!(
        run(&interp, r#"{"purchase_no":"CG3","status":"10"}"#),
        "skipped: skip if status == \"10\""
    );
}

#[test]
fn errors_name_paths_with_indexes() {
    let interp = Interpreter::new(order_scheme());
    // Element 1 is skipped, so source element 2 is target element 1.
    let rec = r#"{"purchase_no":"CG1","details_list":[{"num":"1"},{"num":"-1"},{"num":null}]}"#;
    assert_eq!(
        run(&interp, rec),
        "error: id=Some(\"CG1\") target=\"FPOOrderEntry[1].FQty\" source=\"details_list[2].num\" reason=required by the form but null"
    );
    let rec = r#"{"purchase_no":"CG1","details_list":[{"num":"1"},{"num":"1","sub_list":[{"rec_id":"1"},{"rec_id":"x"}]}]}"#;
    assert_eq!(
        run(&interp, rec),
        "error: id=Some(\"CG1\") target=\"FPOOrderEntry[1].FLink[1].FSId\" source=\"details_list[1].sub_list[1].rec_id\" reason=\"x\" is not an integer"
    );
    // A bad value read by a `let` fails the element, at the element's path.
    let rec = r#"{"purchase_no":"CG1","details_list":[{"num":"1","price":"abc"}]}"#;
    assert_eq!(
        run(&interp, rec),
        "error: id=Some(\"CG1\") target=\"FPOOrderEntry[0]\" source=\"details_list[0].price\" reason=\"abc\" is not a decimal"
    );
    // Not an array; an element that is not an object.
    assert_eq!(
        run(&interp, r#"{"purchase_no":"CG1","details_list":"none"}"#),
        "error: id=Some(\"CG1\") target=\"FPOOrderEntry[]\" source=\"details_list\" reason=expected an array, found a string"
    );
    assert_eq!(
        run(&interp, r#"{"purchase_no":"CG1","details_list":[{"num":"1"},5]}"#),
        "error: id=Some(\"CG1\") target=\"FPOOrderEntry[1]\" source=\"details_list[1]\" reason=expected an object, found a number"
    );
    // The record itself.
    assert_eq!(
        run(&interp, "[1]"),
        "error: id=None target=\"\" source=\"\" reason=the record is an array, not a JSON object"
    );
    assert!(run(&interp, r#"{"purchase_no":"CG1""#).contains("the record is not valid JSON"));
    assert_eq!(
        run(&interp, r#"{"purchase_no":"A","purchase_no":"B"}"#),
        "error: id=None target=\"\" source=\"\" reason=the record has the key \"purchase_no\" more than once"
    );
    // A required target field that is null, at the top.
    assert_eq!(
        run(&interp, r#"{"purchase_no":null}"#),
        "error: id=None target=\"FBillNo\" source=\"purchase_no\" reason=required by the form but null"
    );
}

#[test]
fn nested_source_objects() {
    // `FNote = buyer.name` with `buyer` an object in the shape.
    let reads = Shape {
        fields: vec![ShapeField {
            name: "buyer".into(),
            kind: ShapeKind::Object(Shape {
                fields: vec![ShapeField {
                    name: "name".into(),
                    kind: ShapeKind::Scalar(SourceScalar {
                        ty: Base::Str,
                        required: false,
                        format: None,
                    }),
                }],
            }),
        }],
    };
    let body = block(vec![tf(
        "FNote",
        "FNote",
        field_at(0, &["buyer", "name"], "buyer.name", Base::Str, false),
        false,
        "buyer.name",
    )]);
    let interp = Interpreter::new(scheme(reads, vec![], body));
    assert_eq!(
        run(&interp, r#"{"buyer":{"name":"张三","x":1}}"#),
        r#"{"FNote":"张三"}"#
    );
    assert_eq!(run(&interp, r#"{"buyer":null}"#), r#"{}"#);
    assert_eq!(
        run(&interp, r#"{"buyer":[]}"#),
        "error: id=None target=\"\" source=\"buyer\" reason=expected an object, found an array"
    );
}

#[test]
fn responses_for_preview() {
    let interp = Interpreter::new(order_scheme());
    let answer = |json: &str| {
        vendors::parse_source_answer(&interp.meta().source, json.as_bytes())
            .map(|page| page.records)
    };
    let outcomes = |json: &str| {
        let records = answer(json).unwrap();
        interp.map_all(records.iter().map(|r| r.get()))
    };
    let wdt = r#"{"code":0,"message":"","total_count":3,"purchase_list":[
        {"purchase_no":"A"},{"purchase_no":"B","status":"10"},{"purchase_no":null}]}"#;
    let got = outcomes(wdt);
    assert_eq!(got.len(), 3);
    assert!(matches!(&got[0], Outcome::Bill(b) if b.starts_with(r#"{"FBillNo":"A""#)));
    assert!(matches!(&got[1], Outcome::Skipped { .. }));
    assert!(matches!(&got[2], Outcome::Failed(_)));
    assert!(
        matches!(&interp.map_all([r#"{"purchase_no":"R"}"#])[..], [Outcome::Bill(b)] if b.contains("\"R\""))
    );
    assert_eq!(
        interp
            .map_all([r#"{"purchase_no":"S"}"#, r#"{"purchase_no":"T"}"#])
            .len(),
        2
    );
    assert!(answer("nope").is_err());
    let error = answer(r#"{"code":100,"message":"签名错误"}"#).unwrap_err();
    assert_eq!(error.code(), Some("100"));
    let bills: Vec<String> = got
        .iter()
        .filter_map(|o| match o {
            Outcome::Bill(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    let refs: Vec<&str> = bills.iter().map(String::as_str).collect();
    let bodies = vendors::kingdee::save_requests(&interp.meta().target, &refs).unwrap();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0]
        .starts_with(r#"{"formid":"PUR_PurchaseOrder","data":{"IsAutoSubmitAndAudit":true,"#));
    assert!(bodies[0].contains(r#","Model":[{"FBillNo":"A""#));
    assert!(bodies[0].ends_with("}]}}"));
}
