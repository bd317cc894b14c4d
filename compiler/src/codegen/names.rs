//! Rust names for the things of a scheme: field names in `snake_case`, type
//! names in `UpperCamelCase`, never a keyword, never twice in one scope.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span};

/// Names already taken in one scope (the fields of a struct, the types of a
/// module); [`Scope::claim`] hands out a fresh one.
#[derive(Debug, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    pub fn new() -> Scope {
        Scope::default()
    }

    /// A scope where `reserved` are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Scope {
        Scope {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `wanted`, or `wanted_2`, `wanted_3`, … if it is taken.
    pub fn claim(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_string();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{wanted}_{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }

    /// Like [`Scope::claim`] for a type name: `Wanted2`, `Wanted3`, ….
    pub fn claim_type(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_string();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{wanted}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

/// An identifier token.
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The words of a name: `FPOOrderEntry_Link` → `FPO`, `Order`, `Entry`,
/// `Link`; `details_list` → `details`, `list`. An upper-case run followed by a
/// lower-case letter gives its last capital to the next word (`FPOOrder` →
/// `FPO`, `Order`); digits stay with the word before them.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `FPOOrderEntry` → `fpo_order_entry`, `FNUMBER` → `fnumber`,
/// `details_list` → `details_list`; keywords get a trailing `_`.
pub fn snake(name: &str) -> String {
    let mut out = words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if out.is_empty() {
        out.push_str("field");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// `details_list` → `DetailsList`, `FPOOrderEntry_Link` → `FpoOrderEntryLink`.
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    for word in words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "gen"
            | "macro"
            | "override"
            | "priv"
            | "try"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "_"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_kingdee_and_wdt_names() {
        assert_eq!(snake("FBillNo"), "f_bill_no");
        assert_eq!(snake("FPOOrderEntry"), "fpo_order_entry");
        assert_eq!(
            snake("FPOOrderEntry_Link_FSBillId"),
            "fpo_order_entry_link_fs_bill_id"
        );
        assert_eq!(snake("FNUMBER"), "fnumber");
        assert_eq!(snake("FNumber"), "f_number");
        assert_eq!(snake("FBillTypeID"), "f_bill_type_id");
        assert_eq!(snake("details_list"), "details_list");
        assert_eq!(snake("prop_time1"), "prop_time1");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("1st"), "_1st");
    }

    #[test]
    fn camel_case() {
        assert_eq!(camel("details_list"), "DetailsList");
        assert_eq!(camel("FPOOrderEntry_Link"), "FpoOrderEntryLink");
        assert_eq!(camel("FSupplierId"), "FSupplierId");
        assert_eq!(camel("FNUMBER"), "Fnumber");
        assert_eq!(camel("Self"), "Self_");
    }

    #[test]
    fn scope_dedupes() {
        let mut scope = Scope::with_reserved(&["record"]);
        assert_eq!(scope.claim("record"), "record_2");
        assert_eq!(scope.claim("f_qty"), "f_qty");
        assert_eq!(scope.claim("f_qty"), "f_qty_2");
        assert_eq!(scope.claim_type("Entry"), "Entry");
        assert_eq!(scope.claim_type("Entry"), "Entry2");
    }
}
