//! The syntax tree of a `.map` file.
//!
//! Every node carries the [`Span`] of the text it came from, so that later
//! stages can point diagnostics at the exact line and column. The tree says
//! only what was written: names are not resolved and nothing is typed here.

/// A range of bytes in one source file, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A name as written: a field, a table, a function, a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole `.map` file: a scheme (it has a `scheme` header) or a library of
/// tables and definitions to be included by schemes.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    pub span: Span,
}

/// A top-level item, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `scheme NAME "title"`
    Scheme(SchemeDecl),
    /// `source SYSTEM.API { param = value … }`
    Source(SourceDecl),
    /// `target SYSTEM.OPERATION FORM { option = literal … }`
    Target(TargetDecl),
    /// `id PATH` or `number PATH`
    Key(KeyDecl),
    /// `include "relative/path.map"`
    Include(Include),
    /// `table NAME { key => value … _ => default }`
    Table(TableDecl),
    /// `lookup NAME = kingdee FORM by FIELD`
    Lookup(LookupDecl),
    /// `def NAME(a, b) = expr`
    Def(DefDecl),
    /// A body statement at the top level (the bill's header fields).
    Stmt(Stmt),
}

/// `scheme wdt_purchase_to_kingdee "旺店通采购单 → 金蝶采购订单"`
#[derive(Debug, Clone, PartialEq)]
pub struct SchemeDecl {
    pub name: Ident,
    pub title: Option<StrLit>,
    pub span: Span,
}

/// `source wdt.purchase_order_query { start_time = LAST_SYNC_TIME … }`
///
/// The first segment of the dotted name is the system (connector); the rest,
/// joined by dots, is the API (`wdtqm.wdt.stockin.order.query` is system
/// `wdtqm`, API `wdt.stockin.order.query`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDecl {
    pub system: Ident,
    /// The API name segments (at least one).
    pub api: Vec<Ident>,
    /// Span of the whole `system.api` name.
    pub name_span: Span,
    pub params: Vec<Param>,
    pub span: Span,
}

impl SourceDecl {
    /// The API name as the vendor spells it (segments joined by dots).
    pub fn api_name(&self) -> String {
        let parts: Vec<&str> = self.api.iter().map(|i| i.name.as_str()).collect();
        parts.join(".")
    }
}

/// One request parameter binding in a `source` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub value: ParamValue,
    pub span: Span,
}

/// What a request parameter is bound to.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A constant: `status = "90"`.
    Lit(Literal),
    /// A sync variable, with an argument where it takes one:
    /// `LAST_SYNC_TIME`, `CURRENT_TIME`, `DAYS_AGO(7)`, `PAGE_SIZE`, `PAGE_NO`.
    /// The parser accepts any identifier here; the checker knows the names.
    Sync {
        name: Ident,
        args: Vec<Literal>,
        span: Span,
    },
}

/// `target kingdee.BatchSave PUR_PurchaseOrder { IsAutoSubmitAndAudit = true }`
#[derive(Debug, Clone, PartialEq)]
pub struct TargetDecl {
    pub system: Ident,
    pub operation: Ident,
    pub form: Ident,
    pub options: Vec<OptionSetting>,
    pub span: Span,
}

/// One option of the target operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSetting {
    pub name: Ident,
    pub value: Literal,
    pub span: Span,
}

/// Which source field identifies a record, or holds its business number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `id PATH`: the record's identity, for dedup and idempotent writes.
    Id,
    /// `number PATH`: the record's business number.
    Number,
}

/// `id purchase_no` / `number purchase_no`
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDecl {
    pub kind: KeyKind,
    pub path: Path,
    pub span: Span,
}

/// `include "shared/kingdee.map"`: tables and definitions of another file,
/// the path relative to the including file.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    pub path: StrLit,
    pub span: Span,
}

/// A lookup table declared in the file.
///
/// ```text
/// table stock_of {
///     "WH001" => "CK001"
///     "北京仓" => "CK002"
///     _        => "CK999"     // optional default; without it a miss fails the record
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    pub name: Ident,
    pub entries: Vec<TableEntry>,
    /// The `_ => value` entry, if any.
    pub default: Option<TableDefault>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableEntry {
    pub key: Literal,
    pub value: Literal,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableDefault {
    pub value: Literal,
    pub span: Span,
}

/// `lookup material = kingdee BD_MATERIAL by FNumber`: the rows of a Kingdee
/// master-data form, found by the value of one of its query fields
/// (`material[spec_no].FMATERIALID`).
#[derive(Debug, Clone, PartialEq)]
pub struct LookupDecl {
    pub name: Ident,
    /// The form, e.g. `BD_MATERIAL`.
    pub form: Ident,
    /// The query field a key is compared with, e.g. `FNumber`.
    pub by: Ident,
    pub span: Span,
}

/// `def kd_date(t) = format_datetime(t, "%Y-%m-%d")`: a reusable expression
/// with parameters, expanded where it is used.
#[derive(Debug, Clone, PartialEq)]
pub struct DefDecl {
    pub name: Ident,
    pub params: Vec<Ident>,
    pub body: Expr,
    pub span: Span,
}

/// A statement of a bill body (top level) or of a `< … >` block.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `FSupplierId.FNumber = provider_no`
    Assign(Assign),
    /// `FPOOrderEntry[] <- details_list < … >`
    MapArray(MapArray),
    /// `FPOOrderEntry_Link[] = [ < … >, < … > ]`
    ArrayLit(ArrayLit),
    /// `skip if COND` / `skip unless COND`
    Skip(Skip),
    /// `let amount = num * price`
    Let(Let),
}

impl Stmt {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Assign(s) => s.span,
            Stmt::MapArray(s) => s.span,
            Stmt::ArrayLit(s) => s.span,
            Stmt::Skip(s) => s.span,
            Stmt::Let(s) => s.span,
        }
    }
}

/// A dotted target field path, e.g. `FSupplierId.FNumber`.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetPath {
    pub segments: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assign {
    pub target: TargetPath,
    pub value: Expr,
    pub span: Span,
}

/// `TARGET[] <- SOURCE_PATH [as ALIAS] < statements >`: one target element
/// per element of the source array.
#[derive(Debug, Clone, PartialEq)]
pub struct MapArray {
    pub target: TargetPath,
    pub source: Path,
    /// `as line`: the name by which the element is qualified inside the
    /// block; without it, the last segment of `source` is the qualifier.
    pub alias: Option<Ident>,
    pub body: Block,
    pub span: Span,
}

/// `TARGET[] = [ < … >, < … > ]`: a literal array of objects.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayLit {
    pub target: TargetPath,
    pub elements: Vec<Block>,
    pub span: Span,
}

/// `< statements >`
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

/// `skip if COND` (skip when true) or `skip unless COND` (skip when false).
/// At the top level it skips the whole record; in a block, that element.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    /// True for `skip unless`.
    pub unless: bool,
    pub cond: Expr,
    pub span: Span,
}

/// `let name = expr`: a local value, visible to the statements after it in
/// the same block (and in nested blocks).
#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// A dotted reference to a source field, a local or a qualifier:
/// `num`, `details_list.num`, `record.provider_id`, `line.spec_no`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The path as written, segments joined by dots.
    pub fn dotted(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|i| i.name.as_str()).collect();
        parts.join(".")
    }
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Lit(Literal),
    /// A field, local, or parameter of a `def`.
    Path(Path),
    /// `name(args…)`: a built-in function or a `def`.
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `table[key]`, or `lookup[key].FIELD`
    Index {
        table: Ident,
        key: Box<Expr>,
        /// The field after the brackets (lookups name one; tables do not).
        field: Option<Ident>,
    },
    Unary {
        op: UnaryOp,
        op_span: Span,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `if COND then A else B`
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `match VALUE { "40" | "45" => A, _ => B }`
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    /// `[a, b, c]` (the right side of `in`, or a list argument)
    List(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

/// Binary operators, from loosest to tightest binding:
/// `or` < `and` < comparisons (`==` `!=` `<` `<=` `>` `>=` `in`, not chained)
/// < `??` < `+` `-` < `*` `/`. All are left-associative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    /// `a ?? b`: `a`, or `b` where `a` is null or missing.
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Coalesce => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// One arm of a `match`.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    /// The literals this arm matches (`"40" | "45"`); empty for `_`.
    pub patterns: Vec<Literal>,
    /// True for the `_` arm.
    pub wildcard: bool,
    pub value: Expr,
    pub span: Span,
}

/// A literal as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub kind: LitKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LitKind {
    /// A string, escapes already resolved.
    Str(String),
    /// An integer, as written (digits with an optional leading `-`).
    Int(String),
    /// A decimal, as written (`12.50`, `-0.0001`): kept as text, never a float.
    Dec(String),
    Bool(bool),
    Null,
}

/// A string literal and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}
