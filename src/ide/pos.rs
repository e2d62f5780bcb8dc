//! Positions as an editor counts them: (line, character) where a character is
//! a UTF-16 code unit (the protocol's default) or a UTF-8 byte (when the client
//! offers it), converted to and from the byte offsets every [`crate::diag::Span`]
//! holds. Out-of-range positions are clamped, never refused: an editor may send
//! anything.

use line_index::{LineCol, LineIndex, TextSize, WideEncoding};
use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// How the client counts characters within a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The line starts of one text, for converting positions.
#[derive(Clone, Debug)]
pub struct LineMap {
    index: LineIndex,
}

impl LineMap {
    pub fn new(text: &str) -> LineMap {
        LineMap {
            index: LineIndex::new(text),
        }
    }

    /// The position of byte `offset` (clamped to the text and to a character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let offset = floor_boundary(text, offset);
        let lc = self.index.line_col(TextSize::from(offset as u32));
        let character = match enc {
            Encoding::Utf8 => lc.col,
            Encoding::Utf16 => self
                .index
                .to_wide(WideEncoding::Utf16, lc)
                .map_or(lc.col, |w| w.col),
        };
        Position::new(lc.line, character)
    }

    pub fn range(&self, text: &str, start: usize, end: usize, enc: Encoding) -> Range {
        Range::new(
            self.position(text, start, enc),
            self.position(text, end.max(start), enc),
        )
    }

    /// The byte offset of a position: a line past the end is the end of the text,
    /// a character past the end of its line is the end of the line.
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let Some(line) = self.index.line(pos.line) else {
            return text.len();
        };
        let start = usize::from(line.start());
        let line_text = text.get(start..usize::from(line.end())).unwrap_or_default();
        let line_text = line_text.trim_end_matches(['\n', '\r']);
        let col = match enc {
            Encoding::Utf8 => floor_boundary(line_text, pos.character as usize),
            Encoding::Utf16 => {
                let mut units = 0;
                let mut bytes = line_text.len();
                for (i, c) in line_text.char_indices() {
                    if units >= pos.character as usize {
                        bytes = i;
                        break;
                    }
                    units += c.len_utf16();
                }
                bytes
            }
        };
        start + col
    }

    /// 1-based line of a byte offset (for messages like `set in _base.kdl:3`).
    pub fn line_number(&self, text: &str, offset: usize) -> u32 {
        let offset = floor_boundary(text, offset);
        let LineCol { line, .. } = self.index.line_col(TextSize::from(offset as u32));
        line + 1
    }
}

/// The largest character boundary of `text` at or before `offset`.
pub fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Apply an editor's changes, in order, to `text`.
pub fn apply_changes(text: &mut String, changes: &[TextDocumentContentChangeEvent], enc: Encoding) {
    for change in changes {
        match change.range {
            None => change.text.clone_into(text),
            Some(range) => {
                let map = LineMap::new(text);
                let a = map.offset(text, range.start, enc);
                let b = map.offset(text, range.end, enc);
                let (a, b) = (a.min(b), a.max(b));
                text.replace_range(a..b, &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_surrogate_pairs_twice_and_utf8_counts_bytes() {
        let text = "a\n😀é x\n";
        let m = LineMap::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(m.position(text, x, Encoding::Utf16), Position::new(1, 4));
        assert_eq!(m.position(text, x, Encoding::Utf8), Position::new(1, 7));
        assert_eq!(m.offset(text, Position::new(1, 4), Encoding::Utf16), x);
        assert_eq!(m.offset(text, Position::new(1, 7), Encoding::Utf8), x);
        // Inside the surrogate pair / a multi-byte character: clamped, never split.
        assert_eq!(m.offset(text, Position::new(1, 1), Encoding::Utf16), 6);
        assert_eq!(m.offset(text, Position::new(1, 2), Encoding::Utf8), 2);
        // Past the end of a line, past the last line.
        assert_eq!(m.offset(text, Position::new(0, 99), Encoding::Utf16), 1);
        assert_eq!(
            m.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(m.position(text, 999, Encoding::Utf16), Position::new(2, 0));
        assert_eq!(m.line_number(text, x), 2);
    }

    #[test]
    fn changes_apply_in_order() {
        let mut text = "tier \"DEV\"\nregion \"x\"\n".to_string();
        let change = |l1, c1, l2, c2, t: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: t.into(),
        };
        apply_changes(
            &mut text,
            &[change(0, 6, 0, 9, "PROD"), change(1, 8, 1, 9, "eu-west-1")],
            Encoding::Utf16,
        );
        assert_eq!(text, "tier \"PROD\"\nregion \"eu-west-1\"\n");
        // A reversed range is the same range.
        apply_changes(&mut text, &[change(1, 17, 1, 8, "")], Encoding::Utf16);
        assert_eq!(text, "tier \"PROD\"\nregion \"\"\n");
    }
}
