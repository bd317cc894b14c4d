//! The registry of diagnostic codes.
//!
//! A code names one kind of mistake for good: codes are never renumbered and
//! never reused for something else. `docs/language.md` lists them (a test
//! keeps that list in step with this one).

/// One diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    /// `E0101`, `W0001`.
    pub id: &'static str,
    /// What the code means, in a few words.
    pub title: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $title:literal;)*) => {
        $(
            #[doc = $title]
            pub const $name: Code = Code { id: $id, title: $title };
        )*
        /// Every code, in registry order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    SYNTAX = "E0001", "syntax error";
    CANNOT_READ = "E0002", "a file cannot be read";
    INCLUDE_CYCLE = "E0003", "files include each other";
    LIBRARY_STATEMENT = "E0004", "a library file holds scheme items";
    MISSING_HEADER = "E0005", "a scheme header item is missing";
    DUPLICATE_HEADER = "E0006", "a scheme header item is given twice";
    UNKNOWN_SOURCE_FIELD = "E0101", "unknown source field";
    UNKNOWN_TARGET_FIELD = "E0102", "unknown target field";
    UNKNOWN_API = "E0103", "unknown source API";
    UNKNOWN_FORM = "E0104", "unknown target form";
    UNKNOWN_OPERATION = "E0105", "unknown target operation";
    UNKNOWN_PARAM = "E0106", "unknown request parameter";
    UNKNOWN_OPTION = "E0107", "unknown target option";
    UNKNOWN_SYNC_VAR = "E0108", "unknown sync variable";
    SYNC_VAR_ARGS = "E0109", "wrong arguments to a sync variable";
    MISSING_PARAM = "E0110", "a required request parameter is not bound";
    SHAPE_TARGET = "E0201", "target field shape mismatch (scalar, object or array)";
    SHAPE_SOURCE = "E0202", "source field shape mismatch (scalar, object or array)";
    AMBIGUOUS_NAME = "E0302", "a name exists on more than one level";
    DUPLICATE_LOCAL = "E0303", "a local is defined twice";
    LOCAL_NAMED_LIKE_FIELD = "E0304", "a local has the name of a source field in scope";
    TYPE_MISMATCH = "E0401", "type mismatch";
    MISSING_REQUIRED = "E0402", "a required target field is not assigned";
    DUPLICATE_ASSIGN = "E0403", "a target field is assigned twice";
    UNKNOWN_FUNCTION = "E0404", "unknown function";
    ARITY = "E0405", "wrong number of arguments";
    ARG_TYPE = "E0406", "wrong argument type";
    BAD_LITERAL = "E0407", "invalid literal";
    MISPLACED_ERROR = "E0408", "`error(…)` outside the right side of `??`";
    UNKNOWN_TABLE = "E0501", "unknown table";
    DUPLICATE_KEY = "E0502", "duplicate table key";
    TABLE_TYPES = "E0503", "table keys or values of different types";
    DUPLICATE_NAME = "E0504", "a table, lookup or definition name is used twice";
    RECURSIVE_DEF = "E0505", "a definition uses itself";
    UNKNOWN_LOOKUP_FORM = "E0601", "unknown lookup form";
    UNKNOWN_LOOKUP_FIELD = "E0602", "unknown lookup field";
    LOOKUP_KEY_TYPE = "E0603", "a lookup key of the wrong type";
    LOOKUP_FIELD_MISSING = "E0605", "a lookup without a field, or a table with one";
    UNUSED_TABLE = "W0001", "unused table";
    UNUSED_LOCAL = "W0002", "unused local";
    NUMBER_NOT_WRITTEN = "W0003", "the number is not written to the form's number field";
}

/// Looks a code up by its id.
pub fn lookup(id: &str) -> Option<Code> {
    ALL.iter().copied().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids: Vec<&str> = ALL.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "a code id is used twice");
        for c in ALL {
            assert!(c.id.len() == 5 && (c.id.starts_with('E') || c.id.starts_with('W')));
            assert!(c.id[1..].chars().all(|d| d.is_ascii_digit()), "{}", c.id);
        }
    }

    #[test]
    fn the_language_reference_lists_every_code() {
        let doc = include_str!("../../../docs/language.md");
        for c in ALL {
            let row = format!("| `{}` | {} |", c.id, c.title);
            assert!(doc.contains(&row), "docs/language.md lacks the row {row}");
        }
    }
}
