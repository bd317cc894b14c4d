//! The examples of `docs/language.md`, as the behaviour cases run them
//! (`tests/cases/README.md`). Shared by the cases' test (`tests/cases.rs`)
//! and the build script that compiles them (`tests/fixtures/codegen`).
//!
//! Every fenced block of the manual is preceded by a marker line
//! `<!-- case: NAME -->`. The case's files are `tests/cases/manual/NAME.*`:
//! `NAME.map`, when present, is a wrapper in which the line `// @example`
//! stands for the block (a fragment becomes a whole scheme); without it the
//! block is the whole file.

/// One example of the manual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The name of its marker.
    pub name: String,
    /// The block's text, as shown.
    pub text: String,
    /// The 1-based line of the block's opening fence.
    pub line: usize,
}

/// The line of a wrapper that stands for the example.
pub const PLACEHOLDER: &str = "// @example";

/// The fenced blocks of `manual`, each with the name of its marker; an
/// error names the line of a block without a marker, or of a fence left
/// open.
pub fn examples(manual: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    let mut lines = manual.lines().enumerate();
    let mut marker: Option<String> = None;
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("<!-- case:")
            .and_then(|rest| rest.strip_suffix("-->"))
        {
            marker = Some(name.trim().to_string());
            continue;
        }
        if !trimmed.starts_with("```") {
            if !trimmed.is_empty() {
                marker = None;
            }
            continue;
        }
        let Some(name) = marker.take() else {
            return Err(format!(
                "docs/language.md:{}: a block without a `<!-- case: NAME -->` line before it",
                i + 1
            ));
        };
        let mut text = String::new();
        let mut closed = false;
        for (_, inner) in lines.by_ref() {
            if inner.trim() == "```" {
                closed = true;
                break;
            }
            text.push_str(inner);
            text.push('\n');
        }
        if !closed {
            return Err(format!("docs/language.md:{}: a block is not closed", i + 1));
        }
        out.push(Example {
            name,
            text,
            line: i + 1,
        });
    }
    Ok(out)
}

/// The `.map` text of an example: the wrapper with the example in place of
/// its placeholder line, or the example itself without a wrapper.
pub fn expand(example: &Example, wrapper: Option<&str>) -> Result<String, String> {
    let Some(wrapper) = wrapper else {
        return Ok(example.text.clone());
    };
    if !wrapper.lines().any(|l| l.trim() == PLACEHOLDER) {
        return Err(format!(
            "the wrapper of the example `{}` has no `{PLACEHOLDER}` line",
            example.name
        ));
    }
    let mut out = String::new();
    for line in wrapper.lines() {
        if line.trim() == PLACEHOLDER {
            out.push_str(&example.text);
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}
