//! The checked model: a scheme after name resolution and type checking.
//!
//! This is what the code generator and the interpreter consume; neither sees
//! the syntax tree. Every name is resolved (a source field is a [`FieldRef`]
//! with its level and its spec type, a table is an index into
//! [`Scheme::tables`]), every expression has a [`Ty`], every operator is
//! specialised to its operand types, and a target field knows its path, its
//! type and whether the form requires it.
//!
//! Evaluation order, shared by both execution paths so that they fail on the
//! same field: in every [`Block`], the `prelude` steps (lets and skips) run in
//! order first, then the fields in order, depth first.

use duijie_maplib::SchemeMeta;

/// A checked scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheme {
    /// Source, target, id and number: everything the runtime needs.
    pub meta: SchemeMeta,
    /// Zone and format of the source API's date-times.
    pub source_time: TimeFormat,
    /// Zone and format of the target form's date-times.
    pub target_time: TimeFormat,
    /// The source fields the mapping reads, as a tree rooted at the record
    /// (the code generator makes its source structs from this; fields nobody
    /// reads are not in it).
    pub reads: Shape,
    /// Lookup tables the scheme uses, in declaration order.
    pub tables: Vec<Table>,
    /// Lookups of master data the scheme uses, in order of first use; their
    /// metadata is also `meta.lookups`, in the same order.
    pub lookups: Vec<Lookup>,
    /// How the bill is built from the record.
    pub body: Block,
}

/// Zone and chrono format of an API's date-times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeFormat {
    /// Seconds east of UTC (28800 for UTC+8).
    pub utc_offset_secs: i32,
    /// Default format of its date-times, e.g. `%Y-%m-%d %H:%M:%S`.
    pub datetime_format: String,
    /// Default format of its dates, e.g. `%Y-%m-%d`.
    pub date_format: String,
}

/// The source fields read at one level (the record, or one array's elements).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shape {
    pub fields: Vec<ShapeField>,
}

/// One source field read by the mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeField {
    /// The key in the JSON object.
    pub name: String,
    pub kind: ShapeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShapeKind {
    /// A scalar read with its spec type.
    Scalar(SourceScalar),
    /// An object whose fields are read.
    Object(Shape),
    /// An array of objects mapped by a `[] <-` statement.
    Array(Shape),
}

/// How a scalar source field is decoded from JSON (see "Null, missing and
/// empty" in docs/language.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceScalar {
    pub ty: Base,
    /// Missing or null fails the record (the spec marks it required).
    pub required: bool,
    /// chrono format for `Date` / `DateTime` fields.
    pub format: Option<String>,
}

/// A value type without nullability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Base {
    Str,
    Dec,
    Int,
    Bool,
    Date,
    DateTime,
    /// A list of strings.
    List,
    /// The type of the `null` literal alone.
    Null,
}

impl Base {
    /// `a str`, `an int`, … as in messages.
    pub fn with_article(self) -> String {
        Ty::of(self).with_article()
    }

    pub fn name(self) -> &'static str {
        match self {
            Base::Str => "str",
            Base::Dec => "dec",
            Base::Int => "int",
            Base::Bool => "bool",
            Base::Date => "date",
            Base::DateTime => "datetime",
            Base::List => "list",
            Base::Null => "null",
        }
    }
}

/// A value type: a base type and whether it may be null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ty {
    pub base: Base,
    pub nullable: bool,
}

impl Ty {
    pub const fn of(base: Base) -> Ty {
        Ty {
            base,
            nullable: false,
        }
    }

    pub const fn nullable(base: Base) -> Ty {
        Ty {
            base,
            nullable: true,
        }
    }

    pub const NULL: Ty = Ty {
        base: Base::Null,
        nullable: true,
    };

    /// `a str`, `an int?`, … as in messages.
    pub fn with_article(self) -> String {
        let d = self.describe();
        let article = if d.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {d}")
    }

    /// `str`, `dec?`, … as in messages.
    pub fn describe(self) -> String {
        if self.nullable && self.base != Base::Null {
            format!("{}?", self.base.name())
        } else {
            self.base.name().to_string()
        }
    }
}

/// A constant value (literals, table entries).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Const {
    Null,
    Str(String),
    /// Exact decimal text, as written (`12.50`).
    Dec(String),
    Int(i64),
    Bool(bool),
}

/// A lookup table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub key: Base,
    pub value: Base,
    /// Entries in declaration order; keys are unique.
    pub entries: Vec<(Const, Const)>,
    /// The `_` entry: returned on a miss. Without it, a miss fails the record.
    pub default: Option<Const>,
}

/// The statements of one object being built: the bill, or one element of an
/// array.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    /// Lets and skips, in statement order, run before the fields.
    pub prelude: Vec<Prelude>,
    /// Target fields in the order they are first assigned.
    pub fields: Vec<TargetField>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Prelude {
    /// `let NAME = EXPR`: the value is stored in local slot `local`.
    Let {
        local: usize,
        name: String,
        expr: Expr,
    },
    /// `skip if COND` (`unless: false`) or `skip unless COND` (`unless: true`).
    Skip {
        cond: Expr,
        unless: bool,
        /// The statement as written, reported as the skip reason.
        text: String,
    },
}

/// One field of the target object.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetField {
    /// The JSON key.
    pub name: String,
    /// Path for errors, with `[]` where array indexes go:
    /// `FPOOrderEntry[].FQty`.
    pub path: String,
    pub value: TargetValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TargetValue {
    /// A computed scalar. A null result leaves the field out, or fails the
    /// record when `required`.
    Scalar {
        expr: Expr,
        /// How the value is written.
        ty: TargetScalar,
        required: bool,
        /// The source fields the expression reads, for error messages
        /// (`details_list[].num`), joined by `, `.
        sources: String,
    },
    /// A sub-object (a lookup such as `FSupplierId { FNumber }`), written
    /// with whatever fields are not null; left out when nothing is left.
    Object(Vec<TargetField>),
    /// `TARGET[] <- SOURCE < … >`: one element per source element.
    Array {
        /// The source array (a field of some enclosing level).
        source: FieldRef,
        /// The level number the elements get (enclosing level + 1).
        level: usize,
        body: Block,
        /// Required by the form: a record whose array gets no element (the
        /// source array missing, null, empty or all skipped) fails.
        required: bool,
    },
    /// `TARGET[] = [< … >, …]`: literal elements at the current level.
    List(Vec<Block>),
}

/// How a target scalar is written to JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetScalar {
    /// JSON string.
    Str,
    /// JSON number, the decimal's exact text.
    Dec,
    /// JSON number.
    Int,
    /// JSON `true` / `false`.
    Bool,
    /// JSON string in this format, in the target zone
    /// ([`Scheme::target_time`]).
    DateTime { format: String },
    /// JSON string in this format.
    Date { format: String },
    /// JSON array of strings.
    List,
}

/// A source field reference, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// Which level it is read from: 0 is the record, 1 the elements of the
    /// outermost mapped array, and so on.
    pub level: usize,
    /// Keys from that level's object down to the field (more than one for a
    /// field inside an object).
    pub path: Vec<String>,
    /// Path for errors, with `[]` for array indexes: `details_list[].num`.
    pub display: String,
}

/// A typed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Const(Const),
    /// A scalar source field, decoded as `scalar` says.
    Field {
        field: FieldRef,
        scalar: SourceScalar,
    },
    /// A local slot set by a `Prelude::Let` (of this block or an enclosing one).
    Local(usize),
    Call {
        func: Builtin,
        args: Vec<Expr>,
    },
    /// `tables[table][key]`
    Lookup {
        table: usize,
        key: Box<Expr>,
    },
    /// `lookup[key].FIELD`: a field of a master-data row (`lookups[lookup]`).
    /// A null key gives null without a lookup; a miss waits or gives null
    /// as `on_miss` says. `field` is `lookups[lookup].fields[field]`.
    BaseData {
        lookup: usize,
        key: Box<Expr>,
        field: usize,
        on_miss: OnMiss,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: Op,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Match {
        scrutinee: Box<Expr>,
        /// Each arm's literals and value, in order.
        arms: Vec<(Vec<Const>, Expr)>,
        /// The `_` arm; without it, no match fails the record.
        default: Option<Box<Expr>>,
    },
    /// `value in [items…]`
    In {
        value: Box<Expr>,
        items: Vec<Expr>,
    },
    /// A list literal (of strings).
    List(Vec<Expr>),
}

/// What a lookup that finds no row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMiss {
    /// The record waits for the base data (a lookup without `??`).
    Wait,
    /// The value is null (the left side of `??`).
    Null,
}

/// A lookup of master data the scheme uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// What the runtime needs to fill and read its cache.
    pub meta: duijie_maplib::LookupMeta,
    /// The type of the key field (`str` or `int`).
    pub key: Base,
    /// The fields read, with their types, in `meta.fields` order.
    pub fields: Vec<LookupField>,
}

/// One field a scheme reads from a lookup's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupField {
    pub name: String,
    pub ty: Base,
    /// The spec says every usable row has a value.
    pub required: bool,
}

/// Binary operators, specialised by operand type. Operands of mixed `int`
/// and `dec` are both converted to `dec` by the checker (the int side is
/// wrapped in `Builtin::IntToDec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `or` / `and` on bools (null is false).
    Or,
    And,
    /// `==` / `!=`: equal type on both sides (or one side null); null equals null.
    Eq,
    Ne,
    /// Orderings on dec, int, str, date, datetime; false when either side is null.
    Lt,
    Le,
    Gt,
    Ge,
    /// `a ?? b`
    Coalesce,
    AddDec,
    SubDec,
    MulDec,
    DivDec,
    AddInt,
    SubInt,
    MulInt,
    /// `+` on two strings.
    Concat,
}

/// Built-in functions, as called after checking. Null in the first argument
/// gives null (except `IsNull` / `IsEmpty`); see docs/language.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// int → dec (inserted by the checker, not written by users).
    IntToDec,
    /// str → dec, failing on bad text.
    StrToDec,
    /// str → dec?, null on bad text.
    TryStrToDec,
    /// dec → int, failing on a fraction.
    DecToInt,
    TryDecToInt,
    /// str → int.
    StrToInt,
    TryStrToInt,
    /// any scalar → str.
    ToString,
    /// (str[, format]) → date; the checker always passes the format.
    ToDate,
    TryToDate,
    /// (str, format, zone) → datetime; the checker fills defaults.
    ToDateTime,
    TryToDateTime,
    /// (datetime, format[, zone]) → str
    FormatDateTime,
    /// (date, format) → str
    FormatDate,
    /// (datetime[, zone]) → date
    DateOf,
    /// (date, int) → date
    AddDaysDate,
    /// (datetime, int) → datetime
    AddDaysDateTime,
    /// (dec, int) → dec
    Round,
    Truncate,
    Abs,
    Min,
    Max,
    Trim,
    Upper,
    Lower,
    /// (str, int[, int]) → str, by characters.
    Substring,
    Replace,
    /// (str, str) → list
    Split,
    /// (list, str) → str
    Join,
    /// str → int, in characters.
    Len,
    StartsWith,
    EndsWith,
    Contains,
    IsNull,
    IsEmpty,
    /// `error(message)`, the right side of `??`: fails the record with the
    /// message (null text counts as empty).
    Fail,
}

impl Builtin {
    /// True when the function can fail the record at run time (bad text,
    /// a fraction, a computed format or zone that is invalid, a date out of
    /// range, a rounding result that does not fit).
    pub fn can_fail(self) -> bool {
        matches!(
            self,
            Builtin::StrToDec
                | Builtin::DecToInt
                | Builtin::StrToInt
                | Builtin::ToDate
                | Builtin::ToDateTime
                | Builtin::FormatDateTime
                | Builtin::FormatDate
                | Builtin::DateOf
                | Builtin::AddDaysDate
                | Builtin::AddDaysDateTime
                | Builtin::Round
                | Builtin::Truncate
        )
    }
}
