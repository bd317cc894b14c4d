//! The interpreter: runs a checked [`Scheme`] without compiling it.
//!
//! `duijie preview` uses it while a scheme is being written (no rebuild),
//! `duijie map --interpret` runs it, and the differential tests use it as the
//! oracle of the generated code. It evaluates exactly as the model's
//! documentation says, and reads, decodes, computes and writes every value
//! through the same `duijie_maplib` functions as the generated code, so the
//! two agree byte for byte, errors included. The rules both follow, beyond
//! those of docs/language.md:
//!
//! - **Reading.** The record is scanned once ([`duijie_maplib::json::record`]);
//!   its nested objects (fields of kind `Object` in `Scheme::reads`) are read
//!   right after, in `reads` order, depth first. An array is read when the
//!   `[] <-` statement that maps it runs, and each element (with its nested
//!   objects) when its block starts. A scalar is decoded each time an
//!   expression reads it, so a bad value fails the target field that reads
//!   it first.
//! - **Evaluation order.** Lets and skips of a block in order, then its
//!   fields in order, depth first. Function arguments and the two sides of
//!   an operator are evaluated left to right, all of them, except: `or` and
//!   `and` stop at the first side that decides; `a ?? b` evaluates `b` only
//!   when `a` is null; `if` evaluates the branch it takes; `match` the arm it
//!   takes; `in` compares items left to right and stops at the first equal.
//! - **Null.** A function given a null argument (any argument, not only the
//!   first) gives null, except `is_null` / `is_empty`; `not null` is null;
//!   `or` / `and` / `in` / comparisons always give `true` or `false`. A null
//!   item of a list literal is left out. A `match` on null takes a `null` arm
//!   or `_`, or fails; a table lookup of null gives null.
//! - **Errors** are placed as [`duijie_maplib::error`] describes.

mod compile;
mod eval;
mod value;

use std::borrow::Cow;

use duijie_maplib::{MapError, Mapped, Mapper, SchemeMeta};

use crate::model::Scheme;

/// A scheme ready to be interpreted.
#[derive(Debug)]
pub struct Interpreter {
    scheme: Scheme,
    prog: compile::Program,
}

/// What became of one record ([`Interpreter::map_all`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The bill, compact JSON.
    Bill(String),
    Skipped {
        reason: String,
    },
    Failed(MapError),
}

impl Interpreter {
    pub fn new(scheme: Scheme) -> Interpreter {
        let prog = compile::compile(&scheme);
        Interpreter { scheme, prog }
    }

    /// The checked scheme being interpreted.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Maps records (each the JSON text of one), for `duijie preview`: each
    /// record's outcome, in order. Reading a source API's answer is the
    /// connector's job (`duijie_runtime::vendors::parse_source_answer`), so
    /// a preview reads it exactly as a run does.
    pub fn map_all<'r>(&self, records: impl IntoIterator<Item = &'r str>) -> Vec<Outcome> {
        self.map_all_with(records, &duijie_maplib::NoLookups)
    }

    /// [`Interpreter::map_all`], with the lookups answered by `lookups`.
    pub fn map_all_with<'r>(
        &self,
        records: impl IntoIterator<Item = &'r str>,
        lookups: &dyn duijie_maplib::Lookups,
    ) -> Vec<Outcome> {
        let mut out = Vec::new();
        records
            .into_iter()
            .map(|record| {
                out.clear();
                match self.map_record_with(record, &mut out, lookups) {
                    Ok(Mapped::Bill { .. }) => {
                        Outcome::Bill(String::from_utf8_lossy(&out).into_owned())
                    }
                    Ok(Mapped::Skipped { reason, .. }) => Outcome::Skipped { reason },
                    Err(e) => Outcome::Failed(e),
                }
            })
            .collect()
    }
}

impl Interpreter {
    /// The record's id: as the run read it, or read on its own when the
    /// mapping does not read the id field.
    fn id<'r>(&self, run: &mut eval::Run<'_>, record: &'r str) -> Option<Cow<'r, str>> {
        if self.prog.id_slot.is_some() {
            // The run borrows from the program too: the id is copied out.
            run.id.take().map(|id| Cow::Owned(id.into_owned()))
        } else {
            duijie_maplib::json::record_id(record, &self.scheme.meta.id_field).map(Cow::Owned)
        }
    }
}

impl Mapper for Interpreter {
    fn meta(&self) -> &SchemeMeta {
        &self.scheme.meta
    }

    fn map_record_with<'r>(
        &self,
        record: &'r str,
        out: &mut Vec<u8>,
        lookups: &dyn duijie_maplib::Lookups,
    ) -> Result<Mapped<'r>, MapError> {
        let start = out.len();
        let meta = &self.scheme.meta;
        duijie_maplib::json::check_record_size(record).map_err(|error| {
            error.at(
                &meta.name,
                duijie_maplib::json::record_id(record, &meta.id_field),
                String::new(),
                String::new(),
            )
        })?;
        let mut run = eval::Run::new(
            &self.prog,
            &meta.name,
            &meta.id_field,
            meta.number_target.as_deref(),
            record,
            lookups,
            &meta.lookups,
        );
        match run.record(out) {
            Ok(eval::Done::Bill) => Ok(Mapped::Bill {
                id: self.id(&mut run, record),
                number: run.number.take().map(Cow::Owned),
            }),
            Ok(eval::Done::Skipped(reason)) => {
                out.truncate(start);
                Ok(Mapped::Skipped {
                    id: self.id(&mut run, record),
                    reason: reason.to_string(),
                })
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }
}
