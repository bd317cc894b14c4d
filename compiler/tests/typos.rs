//! A typo in any field name of a seed scheme is reported where it is, with
//! the right suggestion: every identifier of both seed schemes that names a
//! spec field (source or target) is misspelt in turn, and the checker must
//! put an error's primary span exactly on it and suggest the original.

use std::path::Path;

use duijie_compiler::diag::render;
use duijie_compiler::spec::{Field, Specs};

fn all_names(fields: &[Field], out: &mut Vec<String>) {
    for f in fields {
        out.push(f.name.clone());
        all_names(&f.children, out);
    }
}

/// Misspells a name: drops its second character (`num` → `nm`), or for
/// short names swaps the last two (`tax` → `txa`).
fn misspell(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() > 4 {
        let mut c = chars.clone();
        c.remove(1);
        c.into_iter().collect()
    } else {
        let mut c = chars.clone();
        let n = c.len();
        c.swap(n - 1, n - 2);
        c.into_iter().collect()
    }
}

fn in_comment_or_string(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = &text[line_start..at];
    before.contains("//") || before.matches('"').count() % 2 == 1
}

#[test]
fn every_field_typo_in_the_seeds_is_pinpointed() {
    let specs = Specs::load_dir(Path::new("../specs")).expect("specs");
    let mut names = Vec::new();
    for api in specs.apis() {
        all_names(&api.response, &mut names);
        all_names(&api.request, &mut names);
    }
    for form in specs.forms() {
        all_names(&form.fields, &mut names);
    }
    let word = regex_lite::Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("regex");
    let mut tried = 0;
    for seed in [
        "wdt_purchase_to_kingdee.map",
        "wdtqm_stockin_to_kingdee.map",
    ] {
        let path = Path::new("../maps").join(seed);
        let text = std::fs::read_to_string(&path).expect("seed");
        for m in word.find_iter(&text) {
            let name = m.as_str();
            if name.len() < 3
                || !names.iter().any(|n| n == name)
                || in_comment_or_string(&text, m.start())
            {
                continue;
            }
            let typo = misspell(name);
            let mut edited = text.clone();
            edited.replace_range(m.range(), &typo);
            let out = duijie_compiler::check_source(&path, &edited, &specs);
            let hit = out
                .diagnostics
                .iter()
                .find(|d| d.primary.span.start == m.start() && d.is_error());
            let rendered = render(&out.diagnostics, &out.files, false);
            let Some(hit) = hit else {
                panic!(
                    "{seed}: `{typo}` (for `{name}`) at byte {} not reported there:\n{rendered}",
                    m.start()
                );
            };
            let help = hit.help.clone().unwrap_or_default();
            assert!(
                help.contains(&format!("`{name}`")),
                "{seed}: `{typo}` should suggest `{name}`, says: {help}\n{rendered}"
            );
            tried += 1;
        }
    }
    assert!(tried > 50, "only {tried} names tried");
}
