//! Any text, checked as a scheme against the built-in specs: the checker
//! must not panic, and every diagnostic must point inside its file.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use duijie_compiler::spec::Specs;
use libfuzzer_sys::fuzz_target;

fn specs() -> &'static Specs {
    static SPECS: OnceLock<Specs> = OnceLock::new();
    SPECS.get_or_init(|| Specs::embedded().unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let out = duijie_compiler::check_source(Path::new("fuzz/input.map"), src, specs());
    for d in &out.diagnostics {
        let text = out.files.text(d.primary.file);
        assert!(d.primary.span.start <= d.primary.span.end && d.primary.span.end <= text.len(), "{d:?}");
    }
    let _ = duijie_compiler::diag::render(&out.diagnostics, &out.files, false);
});
