//! Positions: LSP counts UTF-16 code units within a line; the checker
//! counts bytes from the start of the file.

use lsp_types::{Position, Range};

/// The byte offset of an LSP position in `text` (clamped to the line's end
/// and the text's end).
pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0usize;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0u32;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    line_end
}

/// The LSP position of a byte offset.
pub fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = text[line_start..offset]
        .chars()
        .map(|c| c.len_utf16() as u32)
        .sum();
    Position { line, character }
}

/// The LSP range of a byte span.
pub fn range(text: &str, start: usize, end: usize) -> Range {
    Range {
        start: position(text, start),
        end: position(text, end.max(start)),
    }
}

/// The text of the line holding `offset`, up to `offset`.
pub fn line_before(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    &text[start..offset]
}

/// The word (letters, digits, `_` and `.`) around `offset`, with its span.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize, &str)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start < end).then(|| (start, end, &text[start..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_round_trip_through_chinese_text() {
        let text = "// 采购单\nFQty = num\n";
        let p = Position {
            line: 0,
            character: 5,
        };
        assert_eq!(offset(text, p), "// 采购".len());
        assert_eq!(position(text, "// 采购".len()), p);
        let q = Position {
            line: 1,
            character: 7,
        };
        let at = offset(text, q);
        assert_eq!(&text[at..at + 3], "num");
        assert_eq!(position(text, at), q);
        assert_eq!(word_at(text, at + 1), Some((at, at + 3, "num")));
        // Past the end of a line, the line's end; past the text, its end.
        assert_eq!(
            offset(
                text,
                Position {
                    line: 0,
                    character: 99
                }
            ),
            text.find('\n').unwrap()
        );
        assert_eq!(
            offset(
                text,
                Position {
                    line: 9,
                    character: 0
                }
            ),
            text.len()
        );
    }
}
