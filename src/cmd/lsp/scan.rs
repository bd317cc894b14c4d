//! What surrounds a position of a `.map` text, read from the text itself
//! (it is often half-typed and does not parse): the header's source and
//! target, the blocks around the position (`<- details_list < … >` line
//! blocks and `[< … >]` rows), the `{ … }` of the source's parameters and
//! the target's options, and the names the file declares.

use std::path::{Path, PathBuf};

/// What the header names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// `source SYSTEM.API`: (system, api).
    pub source: Option<(String, String)>,
    /// `target SYSTEM.OPERATION FORM`: (system, operation, form).
    pub target: Option<(String, String, String)>,
}

/// Reads `source …` and `target …` lines.
pub fn header(text: &str) -> Header {
    let mut h = Header::default();
    for line in text.lines() {
        let line = strip_comment(line).trim();
        let mut words = line.split_whitespace();
        match words.next() {
            Some("source") => {
                if let Some((system, api)) = words.next().and_then(|n| n.split_once('.')) {
                    h.source = Some((system.to_string(), api.trim_end_matches('{').to_string()));
                }
            }
            Some("target") => {
                let name = words.next().and_then(|n| n.split_once('.'));
                let form = words.next().map(|f| f.trim_end_matches('{'));
                if let (Some((system, op)), Some(form)) = (name, form) {
                    if !form.is_empty() {
                        h.target = Some((system.to_string(), op.to_string(), form.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    h
}

/// The part of a line before a `//` comment (outside strings).
pub fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let mut prev = '\0';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '/' if !in_str && prev == '/' => return &line[..i - 1],
            _ => {}
        }
        prev = if prev == '\\' && c == '\\' { '\0' } else { c };
    }
    line
}

/// Which `{ … }` a position is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Braces {
    None,
    /// `source … { param = … }`
    SourceParams,
    /// `target … { option = … }`
    TargetOptions,
    /// `table … { key => value }`
    Table,
    Other,
}

/// The levels at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels {
    /// The source list paths of the enclosing line blocks, outermost first
    /// (`["details_list"]`); a row `[< … >]` adds no source level.
    pub source: Vec<String>,
    /// The target path of the enclosing blocks (`["FPOOrderEntry",
    /// "FPOOrderEntry_Link"]`).
    pub target: Vec<String>,
    pub braces: Braces,
    /// Where the innermost block opened (0 at the top level).
    pub block_start: usize,
}

impl Levels {
    /// The dotted source path of the innermost level (`""` at the record).
    #[cfg(test)]
    pub fn source_path(&self) -> String {
        self.source.join(".")
    }

    /// The dotted target path of the innermost level.
    pub fn target_path(&self) -> String {
        self.target.join(".")
    }
}

enum Frame {
    Block {
        target: String,
        source: Option<String>,
        start: usize,
    },
    Brace(Braces),
}

/// The levels at byte `offset` of `text`.
pub fn levels(text: &str, offset: usize) -> Levels {
    let offset = offset.min(text.len());
    let mut stack: Vec<Frame> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut in_str = false;
    let mut pending: Option<(String, String)> = None;
    while i < offset {
        let c = bytes[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(text.len(), |n| i + n);
                continue;
            }
            b'{' => {
                let line = line_at(text, i).trim_start();
                let kind = match line.split_whitespace().next() {
                    Some("source") => Braces::SourceParams,
                    Some("target") => Braces::TargetOptions,
                    Some("table") => Braces::Table,
                    _ => Braces::Other,
                };
                stack.push(Frame::Brace(kind));
            }
            b'}' => {
                if matches!(stack.last(), Some(Frame::Brace(_))) {
                    stack.pop();
                }
            }
            b'<' if bytes.get(i + 1) == Some(&b'-') => {
                let lhs = line_at(text, i).trim();
                let rest = &text[i + 2..];
                let path: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                    .collect();
                pending = Some((target_name(lhs), path));
                i += 2;
                continue;
            }
            b'<' if bytes.get(i + 1) != Some(&b'=') => {
                let before = text[..i].trim_end();
                if let Some((target, source)) = pending.take() {
                    stack.push(Frame::Block {
                        target,
                        source: Some(source),
                        start: i,
                    });
                } else if before.ends_with('[') {
                    let line = line_at(text, i);
                    let lhs = line.split('=').next().unwrap_or("").trim();
                    stack.push(Frame::Block {
                        target: target_name(lhs),
                        source: None,
                        start: i,
                    });
                }
            }
            b'>' if bytes.get(i + 1) != Some(&b'=') => {
                let after = text[i + 1..].trim_start_matches([' ', '\t']);
                let closes = after.is_empty()
                    || after.starts_with(['\n', '\r', ']', '>', ';'])
                    || after.starts_with("//");
                if closes && matches!(stack.last(), Some(Frame::Block { .. })) {
                    stack.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut levels = Levels {
        source: Vec::new(),
        target: Vec::new(),
        braces: Braces::None,
        block_start: 0,
    };
    for frame in &stack {
        match frame {
            Frame::Block {
                target,
                source,
                start,
            } => {
                levels.target.push(target.clone());
                if let Some(s) = source {
                    levels.source.push(s.clone());
                }
                levels.block_start = *start;
            }
            Frame::Brace(kind) => levels.braces = *kind,
        }
    }
    levels
}

/// `FPOOrderEntry[]` → `FPOOrderEntry`.
fn target_name(lhs: &str) -> String {
    let head = lhs.split("<-").next().unwrap_or(lhs).trim();
    head.trim_end_matches("[]").trim().to_string()
}

/// The whole line holding byte `i`.
fn line_at(text: &str, i: usize) -> &str {
    let start = text[..i].rfind('\n').map_or(0, |n| n + 1);
    let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
    &text[start..end]
}

/// Whether the text before the position on its line is the right-hand side
/// of an assignment (or a filter, a local, a match): where values go.
pub fn in_expression(line_before: &str) -> bool {
    let t = strip_comment(line_before).trim_start();
    if t.starts_with("skip ") || t.starts_with("let ") || t.starts_with("def ") {
        return true;
    }
    let b = t.as_bytes();
    (0..b.len()).any(|i| {
        b[i] == b'='
            && !matches!(b.get(i + 1), Some(b'=') | Some(b'>'))
            && !matches!(
                i.checked_sub(1).map(|j| b[j]),
                Some(b'=') | Some(b'!') | Some(b'<') | Some(b'>')
            )
    })
}

/// A name the file (or a file it includes) declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub kind: DeclKind,
    pub name: String,
    /// The file and the byte offset of the name.
    pub file: PathBuf,
    pub at: usize,
    /// The declaration's text (a table's whole block, a def's line).
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    Table,
    Def,
    Local,
    /// `lookup NAME = kingdee FORM by FIELD` (its text is the line).
    Lookup,
}

/// Tables, definitions and locals of `text` (the file `path`) and of the
/// files it includes, recursively (read from disk).
pub fn declared(path: &Path, text: &str) -> Vec<Declared> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    declared_in(path, text, &mut out, &mut seen);
    out
}

fn declared_in(path: &Path, text: &str, out: &mut Vec<Declared>, seen: &mut Vec<PathBuf>) {
    if seen.iter().any(|p| p == path) || seen.len() > 32 {
        return;
    }
    seen.push(path.to_path_buf());
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let code = strip_comment(line);
        let t = code.trim_start();
        let indent = code.len() - t.len();
        let mut words = t.split(|c: char| c.is_whitespace() || c == '(' || c == '=' || c == '{');
        let first = words.next().unwrap_or("");
        let name = words.find(|w| !w.is_empty()).unwrap_or("");
        let kind = match first {
            "table" => Some(DeclKind::Table),
            "def" => Some(DeclKind::Def),
            "let" => Some(DeclKind::Local),
            "lookup" => Some(DeclKind::Lookup),
            _ => None,
        };
        if let (Some(kind), false) = (kind, name.is_empty()) {
            let at = offset + indent + t.find(name).unwrap_or(0);
            let decl_text = if kind == DeclKind::Table {
                let end = text[offset..]
                    .find('}')
                    .map_or(text.len(), |n| offset + n + 1);
                text[offset..end].to_string()
            } else {
                line.trim_end().to_string()
            };
            out.push(Declared {
                kind,
                name: name.to_string(),
                file: path.to_path_buf(),
                at,
                text: decl_text,
            });
        }
        if first == "include" {
            if let Some(rel) = quoted(t) {
                let file = path.parent().unwrap_or(Path::new("")).join(rel);
                if let Ok(included) = std::fs::read_to_string(&file) {
                    declared_in(&file, &included, out, seen);
                }
            }
        }
        offset += line.len();
    }
}

/// The text between the first pair of double quotes.
pub fn quoted(s: &str) -> Option<&str> {
    let start = s.find('"')? + 1;
    let end = s[start..].find('"')? + start;
    Some(&s[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = r#"scheme s
source wdt.purchase_order_query {
    start_time = LAST_SYNC_TIME
}
target kingdee.BatchSave PUR_PurchaseOrder {
    IsAutoSubmitAndAudit = true
}
id purchase_no
skip if status in ["10"]   // a comment with < and >
FBillNo = purchase_no
FPOOrderEntry[] <- details_list <
    skip if num > 0
    FQty = num
    FPOOrderEntry_Link[] = [<
        FPOOrderEntry_Link_FSId = to_int(rec_id)
    >]
    FPrice = price
>
FDate = date(check_time)
"#;

    fn at(marker: &str) -> usize {
        MAP.find(marker).unwrap()
    }

    #[test]
    fn levels_follow_line_blocks_and_rows() {
        let top = levels(MAP, at("FBillNo"));
        assert!(top.source.is_empty() && top.target.is_empty());
        assert_eq!(top.braces, Braces::None);
        let line = levels(MAP, at("FQty"));
        assert_eq!(line.source_path(), "details_list");
        assert_eq!(line.target_path(), "FPOOrderEntry");
        let row = levels(MAP, at("FPOOrderEntry_Link_FSId"));
        assert_eq!(row.source_path(), "details_list");
        assert_eq!(row.target_path(), "FPOOrderEntry.FPOOrderEntry_Link");
        assert_eq!(levels(MAP, at("FPrice")).target_path(), "FPOOrderEntry");
        assert!(levels(MAP, at("FDate")).target.is_empty());
        assert_eq!(levels(MAP, at("start_time")).braces, Braces::SourceParams);
        assert_eq!(
            levels(MAP, at("IsAutoSubmit")).braces,
            Braces::TargetOptions
        );
    }

    #[test]
    fn the_header_and_the_sides_of_an_assignment() {
        let h = header(MAP);
        assert_eq!(
            h.source,
            Some(("wdt".into(), "purchase_order_query".into()))
        );
        assert_eq!(
            h.target,
            Some((
                "kingdee".into(),
                "BatchSave".into(),
                "PUR_PurchaseOrder".into()
            ))
        );
        assert!(in_expression("    FQty = n"));
        assert!(!in_expression("    FQ"));
        assert!(in_expression("skip if a == "));
        assert!(!in_expression("    x == y"));
    }
}
