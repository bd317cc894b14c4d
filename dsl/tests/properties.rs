//! Property tests: the parser never panics and always points inside the
//! input; printing a tree and parsing it back gives the same tree.
//!
//! Case counts are small on purpose (the suite runs in debug builds on two
//! cores); set `PROPTEST_CASES` to run more locally.

mod common;

use duijie_dsl::ast::*;
use duijie_dsl::{parse, to_source};
use proptest::collection::vec;
use proptest::prelude::*;

const VALID: &str = include_str!("data/purchase_order.map");

/// The invariants every input must keep: an error's span lies within the
/// input on character boundaries; a tree prints to text that parses back to
/// the same tree, and printing is stable.
fn check(src: &str) -> Result<(), TestCaseError> {
    match parse(src) {
        Err(e) => {
            prop_assert!(e.span.start <= e.span.end, "{e:?}");
            prop_assert!(e.span.end <= src.len(), "{e:?}");
            prop_assert!(src.is_char_boundary(e.span.start), "{e:?}");
            prop_assert!(src.is_char_boundary(e.span.end), "{e:?}");
            prop_assert!(!e.message.is_empty());
        }
        Ok(file) => roundtrip(&file)?,
    }
    Ok(())
}

fn roundtrip(file: &File) -> Result<(), TestCaseError> {
    let printed = to_source(file);
    let again = match parse(&printed) {
        Ok(f) => f,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "printed text does not parse:\n{printed}\n{}",
                common::render(&printed, &e)
            )))
        }
    };
    prop_assert_eq!(
        common::without_spans(&again),
        common::without_spans(file),
        "{}",
        printed
    );
    prop_assert_eq!(to_source(&again), printed);
    Ok(())
}

// ---------------------------------------------------------------- text inputs

/// Pieces of `.map` text, to build inputs that get deep into the grammar.
const PIECES: &[&str] = &[
    "X",
    "FQty",
    "a.b",
    "record.x",
    "f(",
    "t[",
    ")",
    "]",
    "[",
    "(",
    "{",
    "}",
    "<",
    ">",
    ">>",
    "<-",
    "[]",
    "=",
    "==",
    "!=",
    "<=",
    ">=",
    "=>",
    "??",
    "+",
    "-",
    "*",
    "/",
    ",",
    ";",
    "|",
    "_",
    ".",
    "1",
    "-2",
    "3.50",
    "\"s\"",
    "\"中\\n\"",
    "true",
    "null",
    "if",
    "then",
    "else",
    "match",
    "and",
    "or",
    "not",
    "in",
    "as",
    "skip",
    "unless",
    "let",
    "id",
    "number",
    "table",
    "def",
    "include",
    "scheme",
    "source",
    "target",
    "wdt.q",
    "k.Save",
    "LAST_SYNC_TIME",
    "// c\n",
    "/* c */",
    "\n",
    " ",
    "\t",
    "中",
    "é",
    "\"",
    "\\",
    "1.",
    "\r\n",
];

fn soup() -> impl Strategy<Value = String> {
    vec((0..PIECES.len(), prop::bool::ANY), 0..40).prop_map(|picks| {
        let mut s = String::new();
        for (i, space) in picks {
            s.push_str(PIECES[i]);
            if space {
                s.push(' ');
            }
        }
        s
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: &'static str },
}

const INSERTS: &[&str] = &[
    "<", ">", "\"", ";", "\n", "中", "é", "😀", "\\", "/*", "=", "[", "(", " ",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..VALID.len(), 1usize..4).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (0..=VALID.len(), 0..INSERTS.len()).prop_map(|(at, i)| Mutation::Insert {
            at,
            text: INSERTS[i]
        }),
    ]
}

/// Applies byte-position mutations, moved to the nearest character
/// boundary at or before the position.
fn mutate(mut s: String, muts: &[Mutation]) -> String {
    let floor = |s: &str, mut at: usize| {
        at = at.min(s.len());
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    for m in muts {
        match m {
            Mutation::Delete { at, len } => {
                let start = floor(&s, *at);
                let mut end = floor(&s, start + len);
                if end == start {
                    end = s[start..]
                        .chars()
                        .next()
                        .map_or(start, |c| start + c.len_utf8());
                }
                s.replace_range(start..end, "");
            }
            Mutation::Insert { at, text } => {
                let at = floor(&s, *at);
                s.insert_str(at, text);
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_strings_do_not_panic(s in any::<String>()) {
        check(&s)?;
    }

    #[test]
    fn token_soup_does_not_panic(s in soup()) {
        check(&s)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mutated_valid_files_do_not_panic(muts in vec(mutation(), 1..4)) {
        let s = mutate(VALID.to_owned(), &muts);
        check(&s)?;
    }
}

// ---------------------------------------------------------------- generated trees

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "match", "and", "or", "not", "in", "true", "false", "null",
];

fn sp() -> Span {
    Span::default()
}

fn id(name: String) -> Ident {
    Ident { name, span: sp() }
}

/// Any identifier, keywords included (target fields, option names, path
/// segments after a dot, ...).
fn any_ident() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z_][A-Za-z0-9_]{0,5}",
        (0..KEYWORDS.len()).prop_map(|i| KEYWORDS[i].to_owned()),
        prop_oneof![
            Just("id"),
            Just("number"),
            Just("skip"),
            Just("let"),
            Just("as"),
            Just("table")
        ]
        .prop_map(str::to_owned),
    ]
}

/// A name that can be read in an expression: not a keyword.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,5}".prop_filter("keyword", |s| !KEYWORDS.contains(&s.as_str()))
}

fn path() -> impl Strategy<Value = Path> {
    (name(), vec(any_ident(), 0..3)).prop_map(|(first, rest)| Path {
        segments: std::iter::once(first).chain(rest).map(id).collect(),
        span: sp(),
    })
}

/// A target field path. Its first segment is not `and`, `or` or `in`,
/// which after a statement's expression would read as an operator.
fn target_path() -> impl Strategy<Value = TargetPath> {
    (
        any_ident().prop_filter("operator keyword", |s| {
            !matches!(s.as_str(), "and" | "or" | "in")
        }),
        vec(any_ident(), 0..2),
    )
        .prop_map(|(first, rest)| TargetPath {
            segments: std::iter::once(first).chain(rest).map(id).collect(),
            span: sp(),
        })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        vec(any::<char>(), 0..6).prop_map(|cs| LitKind::Str(cs.into_iter().collect())),
        "[\\p{Han}a-z\"\\\\ ]{0,4}".prop_map(LitKind::Str),
        "-?[0-9]{1,4}".prop_map(LitKind::Int),
        "-?[0-9]{1,3}\\.[0-9]{1,3}".prop_map(LitKind::Dec),
        any::<bool>().prop_map(LitKind::Bool),
        Just(LitKind::Null),
    ]
    .prop_map(|kind| Literal { kind, span: sp() })
}

fn ex(kind: ExprKind) -> Expr {
    Expr { kind, span: sp() }
}

const BINOPS: &[BinaryOp] = &[
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::In,
    BinaryOp::Coalesce,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
];

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        literal().prop_map(|l| ex(ExprKind::Lit(l))),
        path().prop_map(|p| ex(ExprKind::Path(p))),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let arm = prop_oneof![
            (vec(literal(), 1..3), inner.clone()).prop_map(|(patterns, value)| MatchArm {
                patterns,
                wildcard: false,
                value,
                span: sp(),
            }),
            inner.clone().prop_map(|value| MatchArm {
                patterns: Vec::new(),
                wildcard: true,
                value,
                span: sp(),
            }),
        ];
        prop_oneof![
            (name(), vec(inner.clone(), 0..3))
                .prop_map(|(f, args)| ex(ExprKind::Call { func: id(f), args })),
            (name(), inner.clone(), prop::option::of(name())).prop_map(|(t, k, f)| ex(
                ExprKind::Index {
                    table: id(t),
                    key: Box::new(k),
                    field: f.map(id),
                }
            )),
            (prop::bool::ANY, inner.clone()).prop_map(|(not, e)| ex(ExprKind::Unary {
                op: if not { UnaryOp::Not } else { UnaryOp::Neg },
                op_span: sp(),
                expr: Box::new(e),
            })),
            (0..BINOPS.len(), inner.clone(), inner.clone()).prop_map(|(i, l, r)| ex(
                ExprKind::Binary {
                    op: BINOPS[i],
                    op_span: sp(),
                    lhs: Box::new(l),
                    rhs: Box::new(r)
                }
            )),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| ex(ExprKind::If {
                cond: Box::new(c),
                then: Box::new(t),
                otherwise: Box::new(o),
            })),
            (inner.clone(), vec(arm, 1..4)).prop_map(|(s, arms)| ex(ExprKind::Match {
                scrutinee: Box::new(s),
                arms,
            })),
            vec(inner, 0..3).prop_map(|items| ex(ExprKind::List(items))),
        ]
    })
}

fn block(stmts: Vec<Stmt>) -> Block {
    Block { stmts, span: sp() }
}

fn stmt() -> impl Strategy<Value = Stmt> {
    let leaf = prop_oneof![
        (target_path(), expr()).prop_map(|(target, value)| Stmt::Assign(Assign {
            target,
            value,
            span: sp()
        })),
        (name(), expr()).prop_map(|(n, value)| Stmt::Let(Let {
            name: id(n),
            value,
            span: sp()
        })),
        (prop::bool::ANY, expr()).prop_map(|(unless, cond)| Stmt::Skip(Skip {
            unless,
            cond,
            span: sp()
        })),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (
                target_path(),
                path(),
                prop::option::of(name()),
                vec(inner.clone(), 0..3)
            )
                .prop_map(|(target, source, alias, stmts)| Stmt::MapArray(MapArray {
                    target,
                    source,
                    alias: alias.map(id),
                    body: block(stmts),
                    span: sp(),
                })),
            (target_path(), vec(vec(inner, 0..3), 0..3)).prop_map(|(target, elements)| {
                Stmt::ArrayLit(ArrayLit {
                    target,
                    elements: elements.into_iter().map(block).collect(),
                    span: sp(),
                })
            }),
        ]
    })
}

fn str_lit() -> impl Strategy<Value = StrLit> {
    vec(any::<char>(), 0..6).prop_map(|cs| StrLit {
        value: cs.into_iter().collect(),
        span: sp(),
    })
}

fn item() -> impl Strategy<Value = Item> {
    let sync_name = any_ident().prop_filter("literal keyword", |s| {
        !matches!(s.as_str(), "true" | "false" | "null")
    });
    let param_value = prop_oneof![
        literal().prop_map(ParamValue::Lit),
        (sync_name, vec(literal(), 0..3)).prop_map(|(n, args)| ParamValue::Sync {
            name: id(n),
            args,
            span: sp()
        }),
    ];
    let param = (any_ident(), param_value).prop_map(|(n, value)| Param {
        name: id(n),
        value,
        span: sp(),
    });
    let option = (any_ident(), literal()).prop_map(|(n, value)| OptionSetting {
        name: id(n),
        value,
        span: sp(),
    });
    let entry = (literal(), literal()).prop_map(|(key, value)| TableEntry {
        key,
        value,
        span: sp(),
    });
    prop_oneof![
        1 => (any_ident(), prop::option::of(str_lit()))
            .prop_map(|(n, title)| Item::Scheme(SchemeDecl { name: id(n), title, span: sp() })),
        1 => (any_ident(), vec(any_ident(), 1..4), vec(param, 0..4)).prop_map(|(system, api, params)| {
            Item::Source(SourceDecl {
                system: id(system),
                api: api.into_iter().map(id).collect(),
                name_span: sp(),
                params,
                span: sp(),
            })
        }),
        1 => (any_ident(), any_ident(), any_ident(), vec(option, 0..3)).prop_map(|(s, o, f, options)| {
            Item::Target(TargetDecl {
                system: id(s),
                operation: id(o),
                form: id(f),
                options,
                span: sp(),
            })
        }),
        1 => (prop::bool::ANY, path()).prop_map(|(is_id, path)| Item::Key(KeyDecl {
            kind: if is_id { KeyKind::Id } else { KeyKind::Number },
            path,
            span: sp(),
        })),
        1 => str_lit().prop_map(|path| Item::Include(Include { path, span: sp() })),
        1 => (name(), vec(entry, 0..4), prop::option::of(literal())).prop_map(|(n, entries, default)| {
            Item::Table(TableDecl {
                name: id(n),
                entries,
                default: default.map(|value| TableDefault { value, span: sp() }),
                span: sp(),
            })
        }),
        1 => (name(), name(), name()).prop_map(|(n, form, by)| Item::Lookup(LookupDecl {
            name: id(n),
            form: id(form),
            by: id(by),
            span: sp(),
        })),
        1 => (name(), vec(name(), 0..3), expr()).prop_map(|(n, params, body)| Item::Def(DefDecl {
            name: id(n),
            params: params.into_iter().map(id).collect(),
            body,
            span: sp(),
        })),
        3 => stmt().prop_map(Item::Stmt),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn printed_trees_parse_back_to_themselves(items in vec(item(), 0..8)) {
        let file = File { items, span: sp() };
        roundtrip(&file)?;
    }
}

#[test]
fn the_example_roundtrips() {
    let file = parse(VALID).unwrap();
    roundtrip(&file).unwrap();
}
