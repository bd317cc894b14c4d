//! Lookup tables: their entries and the one key type and one value type
//! they agree on, which tables a scheme uses (in order of first use), and
//! the warning for a table its own file never uses.

use duijie_dsl::ast::{self, Span};

use super::report::Repeat;
use super::{const_base, Checker};
use crate::diag::{codes, Diagnostic};
use crate::model::{self, Base, Const};

/// The types a table's entries agree on so far, each with where it was
/// first seen.
#[derive(Default)]
struct TableTypes {
    key: Option<(Base, Span)>,
    value: Option<(Base, Span)>,
}

impl Checker<'_, '_> {
    pub(super) fn check_table(&mut self, t: &ast::TableDecl) -> model::Table {
        let mut types = TableTypes::default();
        let entries = self.table_entries(t, &mut types);
        let default = t.default.as_ref().and_then(|d| {
            let v = self.literal(&d.value)?;
            if v != Const::Null {
                self.unify_table_type(
                    &mut types.value,
                    const_base(&v),
                    d.value.span,
                    "value",
                    &t.name.name,
                );
            }
            Some(v)
        });
        table_model(&t.name.name, entries, default, &types)
    }

    /// The entries of a table that are constants, each key once.
    fn table_entries(&mut self, t: &ast::TableDecl, types: &mut TableTypes) -> Vec<(Const, Const)> {
        let mut entries: Vec<(Const, Const)> = Vec::new();
        let mut key_spans: Vec<Span> = Vec::new();
        for e in &t.entries {
            let Some(key) = self.literal(&e.key) else {
                continue;
            };
            let Some(value) = self.literal(&e.value) else {
                continue;
            };
            if key == Const::Null {
                self.error(codes::BAD_LITERAL, e.key.span, "a table key cannot be null")
                    .label("null key")
                    .help("a null key always gives null; leave it out");
                continue;
            }
            if let Some(i) = entries.iter().position(|(k, _)| *k == key) {
                let first = (self.file, key_spans[i]);
                let message = format!(
                    "the key {} is in table `{}` twice",
                    self.text(e.key.span),
                    t.name.name
                );
                self.set_twice(
                    codes::DUPLICATE_KEY,
                    e.key.span,
                    message,
                    Repeat::Given,
                    first,
                )
                .help("a key maps to one value: remove one of the two entries");
                continue;
            }
            self.unify_table_type(
                &mut types.key,
                const_base(&key),
                e.key.span,
                "key",
                &t.name.name,
            );
            if value != Const::Null {
                self.unify_table_type(
                    &mut types.value,
                    const_base(&value),
                    e.value.span,
                    "value",
                    &t.name.name,
                );
            }
            entries.push((key, value));
            key_spans.push(e.key.span);
        }
        entries
    }

    /// Agrees the type in `slot` with one more key or value (`what`):
    /// integers and decimals make decimals, other mixes are reported.
    fn unify_table_type(
        &mut self,
        slot: &mut Option<(Base, Span)>,
        base: Base,
        span: Span,
        what: &str,
        table: &str,
    ) {
        match slot {
            None => *slot = Some((base, span)),
            Some((b, first)) => {
                if *b == base {
                    return;
                }
                if (*b == Base::Int && base == Base::Dec) || (*b == Base::Dec && base == Base::Int)
                {
                    *b = Base::Dec;
                    return;
                }
                let (first, b) = (*first, *b);
                let file = self.file;
                self.error(
                    codes::TABLE_TYPES,
                    span,
                    format!(
                        "table `{table}` mixes {what}s of type {} and {}",
                        b.name(),
                        base.name()
                    ),
                )
                .label(base.with_article().to_string())
                .help(format!("every {what} of a table has one type"))
                .with(file, first, b.with_article().to_string());
            }
        }
    }

    pub(super) fn warn_unused_tables(&mut self) {
        for (i, t) in self.tables.iter().enumerate() {
            if t.local && !self.used_tables.contains(&i) {
                let mut d = Diagnostic::warning(
                    codes::UNUSED_TABLE,
                    t.file,
                    t.span,
                    format!("table `{}` is never used", t.table.name),
                );
                d.label("declared here")
                    .help("use it with `name[key]`, or remove it");
                self.diags.push(d);
            }
        }
    }

    /// The used tables, in order of first use (the order `Lookup` indexes
    /// in the body count in, see [`Checker::use_table`]).
    pub(super) fn take_used_tables(&mut self) -> Vec<model::Table> {
        self.used_tables
            .iter()
            .map(|&i| self.tables[i].table.clone())
            .collect()
    }

    /// The model index of table `i`, registering its first use.
    pub(crate) fn use_table(&mut self, i: usize) -> usize {
        match self.used_tables.iter().position(|&u| u == i) {
            Some(p) => p,
            None => {
                self.used_tables.push(i);
                self.used_tables.len() - 1
            }
        }
    }
}

/// The checked table: integers stand for decimals where the other entries
/// are decimals; a table of no key type has string keys.
fn table_model(
    name: &str,
    entries: Vec<(Const, Const)>,
    default: Option<Const>,
    types: &TableTypes,
) -> model::Table {
    let key = types.key.map(|(b, _)| b).unwrap_or(Base::Str);
    let value = types.value.map(|(b, _)| b).unwrap_or(Base::Null);
    let widen = |c: Const, base: Base| match (c, base) {
        (Const::Int(i), Base::Dec) => Const::Dec(i.to_string()),
        (c, _) => c,
    };
    model::Table {
        name: name.to_string(),
        key,
        value,
        entries: entries
            .into_iter()
            .map(|(k, v)| (widen(k, key), widen(v, value)))
            .collect(),
        default: default.map(|d| widen(d, value)),
    }
}
