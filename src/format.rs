//! Canonical layout of generated HCL text.
//!
//! `format` owns one promise of the generated tree: every `.tf` and `.tfvars` file is already
//! in `terraform fmt` form (SPEC §5). It offers two functions:
//!
//! - [`encode`] takes a JSON value and returns an HCL *expression* already laid out as
//!   `terraform fmt` would, for templates to embed (`{{ value | hcl }}`).
//! - [`align`] takes a whole rendered file whose layout is canonical except for the padding
//!   before `=` and before trailing comments, and returns it byte-identical to what
//!   `terraform fmt` would print.
//!
//! It deliberately does not parse or validate HCL: [`align`] runs a small lexer that knows
//! only what alignment needs (strings, templates, heredocs, comments, brackets, `=`). Invalid
//! input is laid out as well as it can be and never makes it panic; `terraform validate`
//! is where invalid output is caught. It also does not re-indent or re-space tokens: the
//! templates own indentation, [`align`] owns the columns.

use std::fmt::Write as _;

use serde_json::Value;

/// Encodes `value` as an HCL expression in `terraform fmt` canonical form.
///
/// `indent` is the column at which the line holding the expression starts (the indentation
/// of `key = ` in the template): the entries of a multi-line object or list are written at
/// `indent + 2` and its closing bracket at `indent`. The first line is not indented.
///
/// - `null`, booleans and numbers are written as serde_json writes them.
/// - Strings are quoted HCL template literals whose value is exactly the input: `"` and `\`
///   escaped, `\n`, `\r`, `\t`, other control characters as `\uXXXX`, and the template
///   markers `${` and `%{` escaped as `$${` and `%%{`.
/// - Lists are `[]` or one line, `["a", "b"]`, unless an element is a non-empty object (at
///   any depth): then one element per line, each followed by a comma.
/// - Objects are `{}` or one entry per line, keys bare when they are ASCII identifiers (and
///   not an HCL keyword such as `for`), quoted otherwise. As `terraform fmt` does, the `=` of
///   consecutive single-line entries line up one column past the widest key; an entry whose
///   value spans several lines stands alone.
pub fn encode(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_value(&mut out, value, indent, None);
    out
}

/// Where [`encode_traced`] wrote each element: byte offset into the text, the element's
/// JSON pointer relative to the encoded value, and whether it is a leaf (else the key of
/// an object entry whose value spans several lines).
pub type Placed = Vec<(usize, String, bool)>;

/// [`encode`], saying where each element of `value` went (for provenance: an element
/// of a multi-line object lands on its own line).
pub fn encode_traced(value: &Value, indent: usize) -> (String, Placed) {
    let mut out = String::new();
    let mut placed = Placed::new();
    write_value(&mut out, value, indent, Some((String::new(), &mut placed)));
    (out, placed)
}

/// The pointer of the element being written and where to record elements, when tracing.
type Tracing<'a> = Option<(String, &'a mut Placed)>;

fn child<'a>(t: &'a mut Tracing<'_>, token: &str) -> Tracing<'a> {
    t.as_mut().map(|(ptr, placed)| {
        let token = token.replace('~', "~0").replace('/', "~1");
        (format!("{ptr}/{token}"), &mut **placed)
    })
}

fn write_value(out: &mut String, value: &Value, indent: usize, mut t: Tracing<'_>) {
    let is_leaf = !value.is_object() && !value.is_array();
    if let Some((ptr, placed)) = &mut t
        && (is_leaf || is_multiline(value))
    {
        placed.push((out.len(), ptr.clone(), is_leaf));
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) if !is_multiline(value) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, indent, child(&mut t, &i.to_string()));
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, indent + 2);
                write_value(out, item, indent + 2, child(&mut t, &i.to_string()));
                out.push_str(",\n");
            }
            pad(out, indent);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let entries: Vec<(&String, String, &Value)> =
                map.iter().map(|(k, v)| (k, key(k), v)).collect();
            out.push_str("{\n");
            let mut i = 0;
            while i < entries.len() {
                if is_multiline(entries[i].2) {
                    let (name, k, v) = &entries[i];
                    pad(out, indent + 2);
                    out.push_str(k);
                    out.push_str(" = ");
                    write_value(out, v, indent + 2, child(&mut t, name));
                    out.push('\n');
                    i += 1;
                    continue;
                }
                // A run of single-line entries: their `=` line up.
                let end = entries[i..]
                    .iter()
                    .position(|(_, _, v)| is_multiline(v))
                    .map_or(entries.len(), |p| i + p);
                let widest = entries[i..end].iter().map(|(_, k, _)| width(k)).max();
                let widest = widest.unwrap_or(0);
                for (name, k, v) in &entries[i..end] {
                    pad(out, indent + 2);
                    out.push_str(k);
                    pad(out, widest - width(k) + 1);
                    out.push_str("= ");
                    write_value(out, v, indent + 2, child(&mut t, name));
                    out.push('\n');
                }
                i = end;
            }
            pad(out, indent);
            out.push('}');
        }
    }
}

/// Whether [`encode`] writes `value` over several lines.
fn is_multiline(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => items.iter().any(is_multiline),
        _ => false,
    }
}

/// An object key: bare when HCL reads it back as the same string, quoted otherwise.
///
/// Non-ASCII identifiers are valid HCL but are quoted to keep the rule simple. Keywords are
/// quoted because a bare `for` first in an object starts a `for` expression.
fn key(k: &str) -> String {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let keyword = matches!(k, "for" | "in" | "if" | "true" | "false" | "null");
    if ident && !keyword {
        k.to_owned()
    } else {
        quote(k)
    }
}

/// Quotes `s` as an HCL template literal whose value is `s`.
///
/// hcl-rs escapes quotes, backslashes and C0 controls correctly, but its marker escaping
/// goes wrong when an escaped marker is directly followed by another `$` or `%` (it writes
/// `${$${` as `$${$${`, which reads back as `${${`), and it leaves C1 controls and DEL raw.
/// So the markers are escaped here — every `${` becomes `$${` and every `%{` becomes `%%{`,
/// which Terraform reads back as the original (checked with `terraform console`: `"$$${x}"`
/// is `$${x}`) — and hcl-rs only ever sees the text between markers.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut rest = s;
    while let Some(i) = find_marker(rest) {
        push_escaped(&mut out, &rest[..i]);
        // Double the `$` or `%`, then write the marker itself.
        out.push_str(&rest[i..i + 1]);
        out.push_str(&rest[i..i + 2]);
        rest = &rest[i + 2..];
    }
    push_escaped(&mut out, rest);
    out.push('"');
    out
}

/// Byte offset of the first `${` or `%{` in `s`.
fn find_marker(s: &str) -> Option<usize> {
    s.as_bytes()
        .windows(2)
        .position(|w| matches!(w, b"${" | b"%{"))
}

/// Appends `segment` (which holds no template marker) escaped, without quotes.
fn push_escaped(out: &mut String, segment: &str) {
    if segment.is_empty() {
        return;
    }
    // Printable ASCII but `"` and `\` is written as it is (by hcl-rs too, and
    // it holds no control character): most values are such text.
    if segment
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(segment);
        return;
    }
    push_escaped_by_hcl(out, segment);
}

/// [`push_escaped`] for any text, through hcl-rs.
fn push_escaped_by_hcl(out: &mut String, segment: &str) {
    let literal = hcl::format::to_string(&hcl::Expression::String(segment.to_owned()))
        .expect("formatting a string expression into memory cannot fail");
    let inner = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or(&literal);
    for c in inner.chars() {
        if c.is_control() {
            // Only DEL and C1 controls reach here: hcl-rs escaped the C0 ones.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
}

/// Pads `=` and trailing comments the way `terraform fmt` does, and trims trailing space.
///
/// The input is a whole file in canonical layout except for the spaces before `=` and before
/// trailing comments (templates write one). The output is what `terraform fmt` prints for it.
/// `align` is idempotent, and `align(terraform_fmt(x)) == terraform_fmt(x)` whenever that
/// ends in a single newline.
///
/// The rules, those of hclwrite's formatter, each checked against `terraform fmt` v1.11:
///
/// - The text is cut into *lines* at newlines and at `#`/`//` comments (which end at the
///   newline). A heredoc (`<<EOT`, `<<-EOT`) is part of the line that opens it: the line ends
///   at the newline after the closing marker. Newlines inside strings, heredocs and
///   `/* */` comments are not line breaks.
/// - A line *assigns* when it has an `=` (not `==`, `!=`, `<=`, `>=`, `=>`) that is not its
///   first token and the brackets (`{`, `[`, `(`, `${`, `%{` and their closers) from that
///   first `=` to the end of the line balance; counting stops at a heredoc opener. So
///   `name = "v"`, `name = { a = 1 }`, `"GET /users" = 1` and `x = <<EOT ... EOT` assign,
///   while `x = {`, `x = [`, `x = jsonencode({` (multi-line values) do not.
/// - Consecutive assigning lines form a run; anything else breaks it: a blank line, a
///   comment line (`#`, `//` or `/* */`), a block header, a closing bracket, the opening line
///   of a multi-line value. Runs ignore nesting: they are simply consecutive lines.
/// - Within a run, every `=` goes one column past the widest text before an `=` (including
///   the indentation), so a run of one gets one space.
/// - A trailing comment is a `#`/`//` comment after code (a `/* */` comment is followed
///   by the newline, so it does not end the line and is not aligned). Consecutive lines with
///   trailing comments form a run (other lines break it), and within a run the comments go
///   one column past the widest code, measured after the `=` padding.
/// - Widths are in grapheme clusters, not bytes or display cells (`"é"` is 3 wide, `"中"` is
///   3 wide, `"e\u{301}"` is 3 wide). Without a Unicode segmentation table this counts chars,
///   skipping the common combining-mark blocks, variation selectors, skin-tone modifiers,
///   tag characters and zero-width-joined characters. It is exact for ASCII, Latin, CJK and
///   emoji; a key with a rarer combining mark (e.g. Indic vowel signs) may be misaligned.
/// - Spaces and tabs before a newline (and at the end of the file) are removed, except inside
///   comments, strings and heredocs, whose text is kept as written.
/// - Blank lines are kept, however many: `terraform fmt` does not collapse them.
///
/// Beyond `terraform fmt`, `align` makes the file end in exactly one newline (fmt keeps
/// whatever trailing newlines it is given, so the result is still a fmt fixpoint); empty or
/// blank input gives an empty string.
///
/// Not handled, because generated text does not contain them: re-indentation, tabs as
/// indentation (counted as one column), spacing between other tokens, CRLF line endings
/// (kept, though the file then ends in a plain `\n`; a lone `\r` counts as a newline), and a
/// line whose first token is the end of a multi-line `/* */` comment (measured from the
/// start of the comment).
pub fn align(src: &str) -> String {
    // Every width is a byte length when the whole file is ASCII.
    let ascii = src.is_ascii();
    let mut out = Output {
        text: String::with_capacity(src.len() + src.len() / 8 + 1),
        pos: 0,
    };
    // The lines whose padding is not settled yet: since the last line that was in no run.
    let mut pending: Vec<Line> = Vec::with_capacity(16);
    let mut lines = Lines::new(src);
    while let Some(line) = lines.next_line() {
        if line.assign.is_none() && line.comment.is_none() {
            // The line breaks both kinds of run, so every pending line can be settled.
            settle(src, ascii, &mut pending, &mut out);
            line.write(src, &mut out);
        } else {
            pending.push(line);
        }
    }
    settle(src, ascii, &mut pending, &mut out);
    let out_pos = out.pos;
    let mut out = out.text;
    out.push_str(&src[out_pos..]);

    let kept = out.trim_end_matches(['\n', '\r']).len();
    out.truncate(kept);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// One formatter line, as byte offsets into the source.
#[derive(Debug)]
struct Line {
    /// Just after the previous line's last byte.
    start: usize,
    /// For an assigning line: the end of the text before its `=`, and where the `=` is.
    assign: Option<(usize, usize)>,
    /// For a line with a trailing comment: the end of the code, and where the comment is.
    comment: Option<(usize, usize)>,
    /// The spaces and tabs before the newline (or the end of the file), which are removed.
    trail: (usize, usize),
    /// Scratch for [`settle`]: the width of the text before the `=`, and the spaces that go
    /// before the `=` and before the comment.
    lead_width: usize,
    assign_pad: usize,
    comment_pad: usize,
}

impl Line {
    /// Writes the line with its padding (decided by [`settle`]) and no trailing space; see
    /// [`Output`].
    fn write(&self, src: &str, out: &mut Output) {
        if let Some((lead_end, eq)) = self.assign {
            out.replace(src, lead_end, eq, self.assign_pad);
        }
        if let Some((code_end, comment)) = self.comment {
            out.replace(src, code_end, comment, self.comment_pad);
        }
        out.replace(src, self.trail.0, self.trail.1, 0);
    }
}

/// The aligned text being built. Text is copied from the source lazily, only up to a gap
/// that changes, so an already aligned stretch is copied in one go.
struct Output {
    text: String,
    /// Where the source is copied up to.
    pos: usize,
}

impl Output {
    /// Replaces the gap `src[start..end]` (spaces and tabs) with `spaces` spaces. The gaps
    /// come in source order.
    #[inline(always)]
    fn replace(&mut self, src: &str, start: usize, end: usize, spaces: usize) {
        let gap = &src.as_bytes()[start..end];
        if gap.len() == spaces && gap.iter().all(|&c| c == b' ') {
            return;
        }
        self.copy_and_pad(src, start, end, spaces);
    }

    fn copy_and_pad(&mut self, src: &str, start: usize, end: usize, spaces: usize) {
        self.text.push_str(&src[self.pos..start]);
        pad(&mut self.text, spaces);
        self.pos = end;
    }
}

/// Pads the `pending` lines, which are consecutive and followed by a line in no run (or the
/// end of the file), writes them to `out` and clears `pending`.
fn settle(src: &str, ascii: bool, pending: &mut Vec<Line>, out: &mut Output) {
    if pending.is_empty() {
        return;
    }
    let width = |s: &str| if ascii { s.len() } else { width(s) };

    // Assignments: runs of consecutive assigning lines.
    let (mut run, mut widest) = (0, 0);
    for i in 0..=pending.len() {
        let lead = pending
            .get(i)
            .and_then(|l| l.assign.map(|(end, _)| (l.start, end)));
        if let Some((start, end)) = lead {
            let w = width(&src[start..end]);
            pending[i].lead_width = w;
            widest = widest.max(w);
        } else {
            for line in &mut pending[run..i] {
                line.assign_pad = widest - line.lead_width + 1;
            }
            (run, widest) = (i + 1, 0);
        }
    }

    // Trailing comments, measured after the `=` padding. `lead_width` is scratch for the
    // code width from here on.
    let (mut run, mut widest) = (0, 0);
    for i in 0..=pending.len() {
        let code = pending.get(i).and_then(|l| {
            l.comment.map(|(code_end, _)| match l.assign {
                Some((_, eq)) => l.lead_width + l.assign_pad + width(&src[eq..code_end]),
                None => width(&src[l.start..code_end]),
            })
        });
        if let Some(w) = code {
            pending[i].lead_width = w;
            widest = widest.max(w);
        } else {
            for line in &mut pending[run..i] {
                line.comment_pad = widest - line.lead_width + 1;
            }
            (run, widest) = (i + 1, 0);
        }
    }

    for line in pending.iter() {
        line.write(src, out);
    }
    pending.clear();
}

/// Appends `n` spaces.
fn pad(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// Width of `s` in grapheme clusters, approximately (see [`align`]).
fn width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    let mut n = 0;
    let mut joined = false;
    let mut regional_open = false;
    for c in s.chars() {
        let u = u32::from(c);
        let extends = matches!(u,
            0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
            | 0x064B..=0x065F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C | 0x20D0..=0x20FF
            | 0x2DE0..=0x2DFF | 0x3099..=0x309A | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F
            | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F | 0xE0100..=0xE01EF);
        let regional = (0x1F1E6..=0x1F1FF).contains(&u);
        if c == '\u{200D}' {
            joined = true;
            continue;
        }
        if extends || joined || (regional && regional_open) {
            joined = false;
            regional_open = false;
            continue;
        }
        regional_open = regional;
        n += 1;
    }
    n
}

/// Where the lexer is: code, a quoted template, or a heredoc template.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Code,
    Quoted,
    /// `marker` is the byte range of the closing marker in the source; `line_start` is set
    /// at the start of each heredoc line, where the marker may be.
    Heredoc {
        marker: (usize, usize),
        line_start: bool,
    },
}

/// Bytes that end a run of names, numbers and other one-byte tokens in code.
static CODE_SPECIAL: [bool; 256] = byte_set(b" \t\n\r#/\"{[(}])=!<>");
/// Bytes that matter in a quoted template.
static QUOTED_SPECIAL: [bool; 256] = byte_set(b"\n\r\"\\$%");
/// Bytes that matter in a heredoc line.
static HEREDOC_SPECIAL: [bool; 256] = byte_set(b"\n$%");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut k = 0;
    while k < bytes.len() {
        set[bytes[k] as usize] = true;
        k += 1;
    }
    set
}

/// The index of the first byte at or after `i` that is in `set`, or `b.len()`.
///
/// `maybe` flags, in the high bit of each byte of an 8-byte little-endian word, a superset
/// of the bytes in `set` (its lowest flag must not come after the first byte in `set`); whole
/// words without a flag are skipped at once, the rest is checked a byte at a time.
#[inline(always)]
fn skip_until(b: &[u8], mut i: usize, set: &[bool; 256], maybe: impl Fn(u64) -> u64) -> usize {
    loop {
        if let Some(word) = b.get(i..i + 8) {
            let flags = maybe(u64::from_le_bytes(word.try_into().unwrap_or_default()));
            if flags == 0 {
                i += 8;
                continue;
            }
            i += flags.trailing_zeros() as usize / 8;
        }
        match b.get(i) {
            Some(&c) if !set[usize::from(c)] => i += 1,
            _ => return i,
        }
    }
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Flags the bytes of `w` that are zero (and possibly some bytes above a zero byte).
#[inline(always)]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGHS
}

/// Flags the bytes of `w` equal to `c` (and possibly some above one).
#[inline(always)]
fn bytes_eq(w: u64, c: u8) -> u64 {
    zero_bytes(w ^ (ONES * u64::from(c)))
}

/// Flags the bytes of `w` below `c`, which is at most 0x80 (and possibly some above one).
#[inline(always)]
fn bytes_below(w: u64, c: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(c)) & !w & HIGHS
}

/// A superset of [`CODE_SPECIAL`]: bytes below `,`, `/`, `<` to `?`, and the brackets
/// `[`, `]`, `{`, `}`.
#[inline(always)]
fn maybe_code_special(w: u64) -> u64 {
    bytes_below(w, b',')
        | bytes_eq(w, b'/')
        | bytes_eq(w & (ONES * 0xFC), b'<')
        | bytes_eq(w & (ONES * 0xDF), b'[')
        | bytes_eq(w & (ONES * 0xDF), b']')
}

/// A superset of [`QUOTED_SPECIAL`]: control characters up to `\r`, `"`, `\\`, `$`, `%`.
#[inline(always)]
fn maybe_quoted_special(w: u64) -> u64 {
    bytes_below(w, b'\r' + 1)
        | bytes_eq(w, b'"')
        | bytes_eq(w, b'\\')
        | bytes_eq(w & (ONES * 0xFE), b'$')
}

/// A superset of [`HEREDOC_SPECIAL`]: `\n`, `$`, `%`.
#[inline(always)]
fn maybe_heredoc_special(w: u64) -> u64 {
    bytes_eq(w, b'\n') | bytes_eq(w & (ONES * 0xFE), b'$')
}

/// A lexer that yields the source one formatter [`Line`] at a time, keeping only what
/// alignment needs.
///
/// It cuts the text into tokens: strings, templates, heredocs, comments, brackets, `=`,
/// two-byte operators, newlines and runs of anything else. Every byte that is not a space or
/// tab between code tokens belongs to a token, so the gaps between tokens are exactly the
/// spaces `align` may change. Lines end at newline tokens (`\n`, `\r\n` or a lone `\r`
/// outside strings, heredocs and comments) and at `#`/`//` comments, which hold their
/// newline; newlines inside heredocs, `/* */` comments and strings do not end a line.
struct Lines<'a> {
    src: &'a str,
    /// The next byte to lex.
    i: usize,
    /// The end of the last token.
    prev_end: usize,
    mode: Mode,
    /// Brackets (`{`, `[`, `(`) open since the innermost open interpolation.
    brackets: usize,
    /// Each open `${` or `%{`: the mode its `}` returns to, and the brackets open outside it.
    interps: Vec<(Mode, usize)>,
    done: bool,
}

impl<'a> Lines<'a> {
    fn new(src: &'a str) -> Self {
        Lines {
            src,
            i: 0,
            prev_end: 0,
            mode: Mode::Code,
            brackets: 0,
            interps: Vec::new(),
            done: false,
        }
    }

    /// The next line, following hclwrite's `linesForFormat`: its assignment is its first `=`
    /// that is not its first token, if the brackets from there to the end of the line (or to
    /// a heredoc opener) balance; its trailing comment is a `#`/`//` comment that ends it
    /// after other tokens. At the end of the file, the last line ends there (hclwrite also
    /// takes a `/* */` comment that ends the file; `align` adds the newline that makes it an
    /// ordinary one).
    fn next_line(&mut self) -> Option<Line> {
        if self.done {
            return None;
        }
        let src = self.src;
        let b = src.as_bytes();
        let n = b.len();
        let start = self.prev_end;
        let mut i = self.i;
        let mut prev_end = self.prev_end;
        let mut mode = self.mode;
        let mut brackets = self.brackets;
        let mut has_token = false;
        // The first `=` after the first token, and the bracket balance from it on.
        let mut eq: Option<(usize, usize)> = None;
        let mut counting = false;
        let mut net = 0isize;

        // Records a token that ends at `$end` (and starts at or after `i`).
        macro_rules! token {
            ($end:expr) => {{
                has_token = true;
                i = $end;
                prev_end = i;
            }};
        }
        macro_rules! balance {
            ($d:expr) => {
                if counting {
                    net += $d;
                }
            };
        }

        let (comment, trail) = loop {
            if i >= n {
                self.done = true;
                break (None, (prev_end, n));
            }
            match mode {
                Mode::Code => {
                    let c = b[i];
                    if !CODE_SPECIAL[usize::from(c)] {
                        token!(skip_until(b, i + 1, &CODE_SPECIAL, maybe_code_special));
                        // A single space usually follows: skip it without a dispatch.
                        if b.get(i) == Some(&b' ') {
                            i += 1;
                        }
                        continue;
                    }
                    let next = b.get(i + 1).copied();
                    match c {
                        b' ' | b'\t' => {
                            i += 1;
                            while i < n && matches!(b[i], b' ' | b'\t') {
                                i += 1;
                            }
                        }
                        b'\n' | b'\r' => {
                            let trail = (prev_end, i);
                            // A lone CR is not HCL; taking it as a newline keeps `align`
                            // idempotent.
                            let len = if c == b'\r' && next == Some(b'\n') {
                                2
                            } else {
                                1
                            };
                            i += len;
                            prev_end = i;
                            break (None, trail);
                        }
                        b'#' | b'/' if c == b'#' || next == Some(b'/') => {
                            let comment = has_token.then_some((prev_end, i));
                            let end = src[i..].find('\n').map_or(n, |p| i + p + 1);
                            i = end;
                            prev_end = end;
                            break (comment, (end, end));
                        }
                        b'/' if next == Some(b'*') => {
                            let end = src[i + 2..].find("*/").map_or(n, |p| i + 2 + p + 2);
                            token!(end);
                        }
                        b'"' => {
                            // Most strings are plain text: lex them here, or stop at what
                            // the template mode must handle (the text so far is a token).
                            let text_end =
                                skip_until(b, i + 1, &QUOTED_SPECIAL, maybe_quoted_special);
                            if b.get(text_end) == Some(&b'"') {
                                token!(text_end + 1);
                            } else {
                                token!(text_end);
                                mode = Mode::Quoted;
                            }
                        }
                        b'{' | b'[' | b'(' => {
                            balance!(1);
                            brackets += 1;
                            token!(i + 1);
                        }
                        b'}' => {
                            balance!(-1);
                            if brackets > 0 {
                                brackets -= 1;
                            } else if let Some((back, outer)) = self.interps.pop() {
                                mode = back;
                                brackets = outer;
                            }
                            token!(i + 1);
                        }
                        b']' | b')' => {
                            balance!(-1);
                            // Closes a bracket, but never an interpolation.
                            brackets = brackets.saturating_sub(1);
                            token!(i + 1);
                        }
                        b'=' if matches!(next, Some(b'=' | b'>')) => token!(i + 2),
                        b'=' => {
                            if has_token && eq.is_none() {
                                eq = Some((prev_end, i));
                                counting = true;
                            }
                            token!(i + 1);
                            if b.get(i) == Some(&b' ') {
                                i += 1;
                            }
                        }
                        b'!' | b'<' | b'>' if next == Some(b'=') => token!(i + 2),
                        b'<' if next == Some(b'<') => match heredoc_opener(b, i) {
                            Some((end, marker)) => {
                                counting = false;
                                token!(end);
                                mode = Mode::Heredoc {
                                    marker,
                                    line_start: true,
                                };
                            }
                            None => token!(i + 2),
                        },
                        _ => token!(i + 1),
                    }
                }
                Mode::Quoted => {
                    let text = i;
                    loop {
                        i = skip_until(b, i, &QUOTED_SPECIAL, maybe_quoted_special);
                        match b.get(i) {
                            // Unterminated string: back to code, which lexes the newline.
                            None | Some(b'\n') => {
                                if text < i {
                                    token!(i);
                                }
                                mode = Mode::Code;
                                break;
                            }
                            Some(b'\r') if b.get(i + 1) == Some(&b'\n') => {
                                if text < i {
                                    token!(i);
                                }
                                mode = Mode::Code;
                                break;
                            }
                            Some(b'"') => {
                                token!(i + 1);
                                mode = Mode::Code;
                                break;
                            }
                            Some(b'\\') => i = (i + 2).min(n),
                            Some(_) => match template_marker(b, i) {
                                Marker::Escaped => i += 3,
                                Marker::Open => {
                                    // The text before the marker is a token too, but the
                                    // marker's own token comes right after it.
                                    balance!(1);
                                    token!(i + 2);
                                    self.interps.push((Mode::Quoted, brackets));
                                    brackets = 0;
                                    mode = Mode::Code;
                                    break;
                                }
                                Marker::None => i += 1,
                            },
                        }
                    }
                }
                Mode::Heredoc { marker, line_start } => {
                    if line_start {
                        let indent = b[i..]
                            .iter()
                            .take_while(|&&c| c == b' ' || c == b'\t')
                            .count();
                        let rest = &b[i + indent..];
                        let marker_text = &b[marker.0..marker.1];
                        if let Some(after) = rest.strip_prefix(marker_text)
                            && (after.is_empty()
                                || after.starts_with(b"\n")
                                || after.starts_with(b"\r\n"))
                        {
                            token!(i + indent + marker_text.len());
                            mode = Mode::Code;
                            continue;
                        }
                    }
                    let text = i;
                    let mut interp = false;
                    let mut ends_line = false;
                    while i < n {
                        i = skip_until(b, i, &HEREDOC_SPECIAL, maybe_heredoc_special);
                        if i == n {
                            break;
                        }
                        if b[i] == b'\n' {
                            i += 1;
                            ends_line = true;
                            break;
                        }
                        match template_marker(b, i) {
                            Marker::Escaped => i += 3,
                            Marker::Open => {
                                interp = true;
                                break;
                            }
                            Marker::None => i += 1,
                        }
                    }
                    if text < i {
                        token!(i);
                    }
                    mode = Mode::Heredoc {
                        marker,
                        line_start: ends_line,
                    };
                    if interp {
                        balance!(1);
                        token!(i + 2);
                        self.interps.push((mode, brackets));
                        brackets = 0;
                        mode = Mode::Code;
                    }
                }
            }
        };
        self.i = i;
        self.prev_end = prev_end;
        self.mode = mode;
        self.brackets = brackets;
        Some(Line {
            start,
            assign: eq.filter(|_| net == 0),
            comment,
            trail,
            lead_width: 0,
            assign_pad: 0,
            comment_pad: 0,
        })
    }
}

/// If a heredoc opens at `i` (`<<ID` or `<<-ID` then a newline), where its opener ends
/// (after the newline) and the byte range of its closing marker.
fn heredoc_opener(b: &[u8], i: usize) -> Option<(usize, (usize, usize))> {
    let name_start = if b.get(i + 2) == Some(&b'-') {
        i + 3
    } else {
        i + 2
    };
    let rest = b.get(name_start..)?;
    let first = *rest.first()?;
    let name_len = rest
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        .count();
    if name_len == 0 || !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let name_end = name_start + name_len;
    let after = &b[name_end..];
    let newline = if after.starts_with(b"\n") {
        1
    } else if after.starts_with(b"\r\n") {
        2
    } else {
        return None;
    };
    Some((name_end + newline, (name_start, name_end)))
}

enum Marker {
    /// `$${` or `%%{`: literal text.
    Escaped,
    /// `${` or `%{`: an interpolation or directive opens.
    Open,
    None,
}

fn template_marker(b: &[u8], i: usize) -> Marker {
    let c = b[i];
    if c != b'$' && c != b'%' {
        return Marker::None;
    }
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(&n), Some(b'{')) if n == c => Marker::Escaped,
        (Some(b'{'), _) => Marker::Open,
        _ => Marker::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::io::Write as _;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    /// `terraform fmt -` on `src`, or `None` (after a loud line) when terraform is missing.
    fn terraform_fmt(src: &str) -> Option<String> {
        let child = Command::new("terraform")
            .args(["fmt", "-no-color", "-"])
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                skipped();
                return None;
            }
            Err(e) => panic!("cannot run terraform: {e}"),
        };
        let mut stdin = child.stdin.take().unwrap();
        let input = src.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(
            output.status.success(),
            "terraform fmt failed on:\n{src}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some(String::from_utf8(output.stdout).unwrap())
    }

    /// terraform is missing: a failure, unless the user opted out with
    /// `ENVC_SKIP_TERRAFORM=1`, which is written past the test harness's capture
    /// so that a skip is never silent.
    fn skipped() {
        let opted_out =
            std::env::var_os("ENVC_SKIP_TERRAFORM").is_some_and(|v| !v.is_empty() && v != "0");
        assert!(
            opted_out,
            "`terraform` is needed by this test and was not found; set ENVC_SKIP_TERRAFORM=1 to skip it"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! ENVC_SKIP_TERRAFORM is set: terraform's own reading of the encoder's output was NOT checked\n"
        );
    }

    // ---- encode ----

    #[test]
    fn encode_scalars() {
        assert_eq!(encode(&json!(null), 0), "null");
        assert_eq!(encode(&json!(true), 0), "true");
        assert_eq!(encode(&json!(false), 0), "false");
        assert_eq!(encode(&json!(42), 0), "42");
        assert_eq!(encode(&json!(-1.5), 0), "-1.5");
        assert_eq!(encode(&json!(1e300), 0), "1e+300");
    }

    #[test]
    fn encode_strings() {
        let cases = [
            ("", r#""""#),
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("l1\nl2\r\t", r#""l1\nl2\r\t""#),
            ("\u{0}\u{1b}\u{7f}\u{85}", r#""\u0000\u001b\u007f\u0085""#),
            ("${var.x}", r#""$${var.x}""#),
            ("%{ if x }", r#""%%{ if x }""#),
            ("$${x}", r#""$$${x}""#),
            ("${$${x}", r#""$${$$${x}""#),
            ("%${%{", r#""%$${%%{""#),
            ("$ % $$ %% }{", r#""$ % $$ %% }{""#),
            ("é 中 😀 \u{2028}", "\"é 中 😀 \u{2028}\""),
        ];
        for (input, want) in cases {
            assert_eq!(encode(&json!(input), 0), want, "input {input:?}");
        }
    }

    #[test]
    fn encode_lists() {
        assert_eq!(encode(&json!([]), 0), "[]");
        assert_eq!(
            encode(&json!(["a", 1, null, [], {}]), 0),
            r#"["a", 1, null, [], {}]"#
        );
        assert_eq!(encode(&json!([[1, 2], ["x"]]), 4), r#"[[1, 2], ["x"]]"#);
        assert_eq!(
            encode(&json!([{"a": 1, "bbb": "x"}, {"c": [1]}]), 2),
            "[\n    {\n      a   = 1\n      bbb = \"x\"\n    },\n    {\n      c = [1]\n    },\n  ]"
        );
    }

    #[test]
    fn encode_objects() {
        assert_eq!(encode(&json!({}), 0), "{}");
        let value = json!({
            "key": "v",
            "other_key": 1,
            "GET /users": true,
            "nested": {"a": 1, "long-name": {}},
            "after": null,
            "for": 1,
            "9lives": 2,
            "list": [{"x": 1}],
        });
        let want = r#"{
    key          = "v"
    other_key    = 1
    "GET /users" = true
    nested = {
      a         = 1
      long-name = {}
    }
    after    = null
    "for"    = 1
    "9lives" = 2
    list = [
      {
        x = 1
      },
    ]
  }"#;
        assert_eq!(encode(&value, 2), want);
    }

    #[test]
    fn encode_is_a_terraform_fmt_fixpoint() {
        let values = [
            json!({"a": 1, "bb": "x", "nested": {"k": [1, 2], "kk": {"deep": "${x}"}}, "z": []}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}),
            json!({"GET /users": {"lambda": "users", "auth": true}, "POST /users": {}, "é": 1, "ab": 2}),
            json!([[{"a": 1}], [], "x\ny"]),
            json!({"emoji 😀": "%{x}", "e\u{301}": 1, "tab\t": "\u{7f}"}),
            json!({"for": 1, "if": {"in": 2}}),
        ];
        let mut src = String::new();
        for (i, value) in values.iter().enumerate() {
            // Blank lines keep each attribute out of its neighbours' alignment runs.
            src.push_str(&format!("v{i} = {}\n\n", encode(value, 0)));
            src.push_str(&format!("locals {{\n  v{i} = {}\n}}\n\n", encode(value, 2)));
        }
        src.push_str(&format!("x = {}\n", encode(&values[0], 0)));
        assert_eq!(align(&src), src, "encode output is already aligned");
        if let Some(formatted) = terraform_fmt(&src) {
            assert_eq!(formatted, src);
        }
    }

    /// Random JSON values, several hundred of them in one file, through `terraform fmt`.
    #[test]
    fn encode_random_values_are_terraform_fmt_fixpoints() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut src = String::new();
        for i in 0..300 {
            let value = json_value().new_tree(&mut runner).unwrap().current();
            src.push_str(&format!("v{i} = {}\n\n", encode(&value, 0)));
        }
        src.pop();
        assert_same(&align(&src), &src);
        if let Some(formatted) = terraform_fmt(&src) {
            assert_same(&formatted, &src);
        }
    }

    /// `assert_eq!` for long texts: reports the first line that differs.
    fn assert_same(got: &str, want: &str) {
        if got != want {
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b);
            let line = line.unwrap_or_else(|| got.lines().count().min(want.lines().count()));
            let show = |s: &str| {
                s.lines()
                    .skip(line.saturating_sub(3))
                    .take(6)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            panic!(
                "texts differ at line {}:\n got: {}\nwant: {}",
                line + 1,
                show(got),
                show(want)
            );
        }
    }

    /// Strings rich in what HCL escapes or interprets.
    fn tricky_string() -> impl Strategy<Value = String> {
        tricky(true)
    }

    /// Like [`tricky_string`], without arbitrary chars: object keys, whose width
    /// [`width`] only approximates for rare combining marks.
    fn tricky_key() -> impl Strategy<Value = String> {
        tricky(false)
    }

    fn tricky(any_char: bool) -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("$".to_owned()),
            Just("%".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("${".to_owned()),
            Just("%{".to_owned()),
            Just("$${".to_owned()),
            Just("\\".to_owned()),
            Just("\"".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\t".to_owned()),
            Just("=".to_owned()),
            Just("😀".to_owned()),
            Just("e\u{301}".to_owned()),
            "[\\x00-\\x1f\\x7f-\\u{9f}]".prop_map(|s: String| s),
            any::<char>().prop_map(move |c| if any_char {
                c.to_string()
            } else {
                "x".to_owned()
            }),
            "[a-z ]{0,4}".prop_map(|s: String| s),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (-1e6f64..1e6).prop_map(|n| json!(n)),
            tricky_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec((tricky_key(), inner.clone()), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
                proptest::collection::vec(("[a-zA-Z_][a-zA-Z0-9_-]{0,12}", inner.clone()), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn plain_text_is_escaped_as_hcl_rs_escapes_it(s in "[ -~]{0,40}") {
            prop_assume!(find_marker(&s).is_none());
            let (mut fast, mut slow) = (String::new(), String::new());
            push_escaped(&mut fast, &s);
            push_escaped_by_hcl(&mut slow, &s);
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn encoded_strings_read_back_unchanged(s in tricky_string()) {
            let src = format!("x = {}\n", encode(&Value::String(s.clone()), 0));
            let body: hcl::Value = hcl::from_str(&src).unwrap();
            prop_assert_eq!(body, hcl::Value::from_iter([("x".to_owned(), hcl::Value::String(s))]));
        }

        #[test]
        fn encoded_values_read_back_unchanged(v in json_value()) {
            let src = format!("x = {}\n", encode(&v, 0));
            let body: serde_json::Value = hcl::from_str(&src).unwrap();
            prop_assert_eq!(body, json!({"x": v}));
        }

        #[test]
        fn align_does_not_panic_and_is_idempotent(s in hcl_like_text()) {
            let once = align(&s);
            prop_assert_eq!(align(&once), once);
        }
    }

    /// Checks string escaping against Terraform itself: `terraform console` reads the encoded
    /// strings and prints them back through `jsonencode`.
    #[test]
    fn encoded_strings_mean_the_same_to_terraform() {
        let strings = [
            "${x}",
            "$${x}",
            "$$${x}",
            "${$${x}",
            "%{if}",
            "%%{",
            "%${%{",
            "a\"b\\c",
            "\n\r\t",
            "\u{0}\u{1}\u{1f}\u{7f}\u{85}\u{9f}",
            "é中😀\u{2028}",
            "}{$%",
            "$",
            "%",
        ];
        let value = json!(strings);
        let dir = std::env::temp_dir().join(format!("envc-format-console-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("main.tf"),
            format!("locals {{\n  x = {}\n}}\n", encode(&value, 2)),
        )
        .unwrap();
        let child = Command::new("terraform")
            .args(["console"])
            .current_dir(&dir)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return skipped(),
            Err(e) => panic!("cannot run terraform: {e}"),
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"jsonencode(local.x)\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let back: Value = serde_json::from_str(&console_string(stdout.trim())).unwrap();
        assert_eq!(back, value);
    }

    /// Reads a string as `terraform console` prints it: quoted, with `\\`, `\"`, `\n`, `\r`,
    /// `\t`, `\xXX` and `\uXXXX` escaped and nothing else (template markers stay raw).
    fn console_string(printed: &str) -> String {
        let inner = printed.strip_prefix('"').and_then(|p| p.strip_suffix('"'));
        let inner = inner.unwrap_or_else(|| panic!("not a quoted string: {printed}"));
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    out.push(char::from(u8::from_str_radix(&hex, 16).unwrap()));
                }
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).unwrap();
                    out.push(char::from_u32(code).unwrap());
                }
                Some(other) => out.push(other),
                None => panic!("dangling escape in {printed}"),
            }
        }
        out
    }

    // ---- align ----

    fn hcl_like_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\n"),
            Just(" "),
            Just("  "),
            Just("\t"),
            Just("="),
            Just("=="),
            Just("=>"),
            Just("{"),
            Just("}"),
            Just("["),
            Just("]"),
            Just("("),
            Just(")"),
            Just("\""),
            Just("\\"),
            Just("${"),
            Just("%{"),
            Just("$${"),
            Just("#"),
            Just("//"),
            Just("/*"),
            Just("*/"),
            Just("<<EOT\n"),
            Just("<<-EOT\n"),
            Just("EOT"),
            Just("  EOT\n"),
            Just("a"),
            Just("name_long"),
            Just("\"k\""),
            Just("é"),
            Just("\r\n"),
            Just("\r"),
            Just("\u{301}"),
            Just("\u{200d}"),
            Just(","),
            Just("\\é"),
        ];
        let piece = prop_oneof![4 => piece.prop_map(str::to_owned), 1 => any::<char>().prop_map(String::from)];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    #[test]
    fn align_cases() {
        let cases: &[(&str, &str, &str)] = &[
            ("empty", "", ""),
            ("blank", "\n\n  \n", ""),
            ("one newline added", "a = 1", "a = 1\n"),
            ("trailing newlines trimmed to one", "a = 1\n\n\n", "a = 1\n"),
            ("run", "a = 1\nbbb = 2\n", "a   = 1\nbbb = 2\n"),
            (
                "over-padded run shrinks",
                "a      = 1\nbb     = 2\n",
                "a  = 1\nbb = 2\n",
            ),
            (
                "blank line breaks run",
                "a = 1\n\nbbb = 2\n",
                "a = 1\n\nbbb = 2\n",
            ),
            (
                "blank lines kept",
                "a = 1\n\n\n\nb = 2\n",
                "a = 1\n\n\n\nb = 2\n",
            ),
            (
                "comment line breaks run",
                "a = 1\n# c\nbbb = 2\n",
                "a = 1\n# c\nbbb = 2\n",
            ),
            (
                "block comment line breaks run",
                "a = 1\n/* c */\nbbb = 2\n",
                "a = 1\n/* c */\nbbb = 2\n",
            ),
            (
                "nested block",
                "r \"t\" \"n\" {\n  a = 1\n  bb = 2\n  blk {\n    x = 1\n    yyyy = 2\n  }\n  c = 3\n}\n",
                "r \"t\" \"n\" {\n  a  = 1\n  bb = 2\n  blk {\n    x    = 1\n    yyyy = 2\n  }\n  c = 3\n}\n",
            ),
            (
                "multi-line object opener stands alone",
                "a = 1\nbbbb = {\n  x = 1\n  yyy = 2\n}\ncc = 3\n",
                "a = 1\nbbbb = {\n  x   = 1\n  yyy = 2\n}\ncc = 3\n",
            ),
            (
                "multi-line list opener stands alone",
                "a = 1\nbbbb = [\n  1,\n]\ncc = 3\n",
                "a = 1\nbbbb = [\n  1,\n]\ncc = 3\n",
            ),
            (
                "call opener stands alone",
                "a = 1\npolicy = jsonencode({\n  Version = \"x\"\n})\ncc = 3\n",
                "a = 1\npolicy = jsonencode({\n  Version = \"x\"\n})\ncc = 3\n",
            ),
            (
                "single-line object joins run",
                "a = 1\nrrr = { a = 1, bbb = 2 }\n",
                "a   = 1\nrrr = { a = 1, bbb = 2 }\n",
            ),
            (
                "heredoc joins run and run goes on after it",
                "e = 5\nffff = <<-EOT\n    k = v\n  EOT\ng = 1\n",
                "e    = 5\nffff = <<-EOT\n    k = v\n  EOT\ng    = 1\n",
            ),
            (
                "heredoc text untouched",
                "x = <<EOT\nfoo   \n  a = b   \n\n\nEOT\n",
                "x = <<EOT\nfoo   \n  a = b   \n\n\nEOT\n",
            ),
            (
                "heredoc with interpolation",
                "x = <<EOT\n${jsonencode({ a = \"}\" })} = \nEOT\nyy = 1\n",
                "x  = <<EOT\n${jsonencode({ a = \"}\" })} = \nEOT\nyy = 1\n",
            ),
            (
                "strings with = and {",
                "description = \"a = b {\"\nx = \"}\"\n",
                "description = \"a = b {\"\nx           = \"}\"\n",
            ),
            (
                "template interpolation",
                "name = \"${var.a}-${lookup(m, \"k=}\", \"d\")}\"\nx = 1\n",
                "name = \"${var.a}-${lookup(m, \"k=}\", \"d\")}\"\nx    = 1\n",
            ),
            (
                "escaped markers",
                "a = \"$${x\"\nbb = 1\n",
                "a  = \"$${x\"\nbb = 1\n",
            ),
            (
                "quoted keys",
                "m = {\n  \"GET /users\" = 1\n  b = 2\n}\n",
                "m = {\n  \"GET /users\" = 1\n  b            = 2\n}\n",
            ),
            (
                "width in graphemes",
                "m = {\n  \"e\u{301}\" = 1\n  \"ab\" = 2\n  \"中\" = 3\n}\n",
                "m = {\n  \"e\u{301}\"  = 1\n  \"ab\" = 2\n  \"中\"  = 3\n}\n",
            ),
            (
                "trailing comments align",
                "a = 1 # x\nbbbb = 100 // y\np = { a = 1 } # z\n",
                "a    = 1         # x\nbbbb = 100       // y\np    = { a = 1 } # z\n",
            ),
            (
                "trailing comment on a non-assigning line",
                "blk { # open\n  a = 1 # x\n}\n",
                "blk {   # open\n  a = 1 # x\n}\n",
            ),
            (
                "trailing block comment is not aligned",
                "a = 1 /* x */\nbb = 2\n",
                "a  = 1 /* x */\nbb = 2\n",
            ),
            (
                "block comment ending the file is followed by the added newline",
                "a = 1 # x\nbbbb = 22 /* y */",
                "a    = 1 # x\nbbbb = 22 /* y */\n",
            ),
            ("comment text kept", "a = 1   # x  \n", "a = 1 # x  \n"),
            (
                "trailing whitespace removed",
                "a {   \n  b = 1\t\n}  ",
                "a {\n  b = 1\n}\n",
            ),
            (
                "operators are not =",
                "a = x == y\nbb = x >= 1 ? 2 : 3\n",
                "a  = x == y\nbb = x >= 1 ? 2 : 3\n",
            ),
            (
                "for expressions",
                "a = { for k, v in m : k => v if v != null }\nbb = [for x in l : x]\n",
                "a  = { for k, v in m : k => v if v != null }\nbb = [for x in l : x]\n",
            ),
            (
                "dynamic block",
                "dynamic \"gsi\" {\n  for_each = var.g\n  content {\n    name = gsi.key\n    hash_key = gsi.value.h\n  }\n}\n",
                "dynamic \"gsi\" {\n  for_each = var.g\n  content {\n    name     = gsi.key\n    hash_key = gsi.value.h\n  }\n}\n",
            ),
            (
                "multi-line block comment",
                "/* a   \n = b */\na = 1\nbb = 2\n",
                "/* a   \n = b */\na  = 1\nbb = 2\n",
            ),
            (
                "unterminated string does not panic",
                "a = \"x\nbb = 2\n",
                "a  = \"x\nbb = 2\n",
            ),
            (
                "unterminated heredoc does not panic",
                "a = <<EOT\nx = 1\n",
                "a = <<EOT\nx = 1\n",
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(align(input), *want, "case {name:?}");
            assert_eq!(align(want), *want, "case {name:?} is idempotent");
        }
    }

    /// Each case above whose input is valid HCL, checked against terraform itself.
    #[test]
    fn align_cases_agree_with_terraform() {
        let cases = [
            "a = 1\nbbb = 2\n",
            "a = 1\n\nbbb = 2\n\n\n\nc = 1\n",
            "a = 1\n# c\nbbb = 2\n/* c */\ncc = 1\n",
            "a = 1\nbbbb = {\n  x = 1\n  yyy = 2\n}\ncc = 3\n",
            "a = 1\nbbbb = [\n  1,\n]\ncc = 3\npolicy = jsonencode({\n  Version = \"x\"\n})\nd = 1\n",
            "e = 5\nffff = <<-EOT\n    k = v\n  EOT\ng = 1\n",
            "x = <<EOT\nfoo   \n  a = b   \n\n\nEOT\n",
            "x = <<EOT\n${jsonencode({ a = \"}\" })} = \nEOT\nyy = 1\n",
            "description = \"a = b {\"\nx = \"}\"\n",
            "name = \"${var.a}-${lookup(m, \"k=}\", \"d\")}\"\nx = 1\n",
            "m = {\n  \"GET /users\" = 1\n  b = 2\n  \"e\u{301}\" = 1\n  \"中\" = 3\n  \"😀\" = 4\n}\n",
            "a = 1 # x\nbbbb = 100 // y\np = { a = 1 } # z\n",
            "blk { # open\n  a = 1 # x\n}\n",
            "a = 1 /* x */\nbb = 2\n",
            "a = 1   # x  \n",
            "a {   \n  b = 1\t\n}\n",
            "a = x == y\nbb = x >= 1 ? 2 : 3\n",
            "a = { for k, v in m : k => v if v != null }\nbb = [for x in l : x]\n",
            "/* a   \n = b */\na = 1\nbb = 2\n",
        ];
        for input in cases {
            let Some(formatted) = terraform_fmt(input) else {
                return;
            };
            assert_eq!(align(input), formatted, "input:\n{input}");
        }
    }

    /// A random piece of a Terraform body, for the oracle test below.
    #[derive(Clone, Debug)]
    enum Item {
        Attr(String, Value, Option<String>),
        Comment(String),
        Blank,
        Heredoc(String, Vec<String>),
        Block(String, Option<String>, Vec<Item>),
    }

    fn item() -> impl Strategy<Value = Item> {
        let name = "[a-z_][a-z0-9_]{0,14}";
        let comment = prop_oneof![
            "# [a-z ={}\"]{0,10}",
            "// [a-z ={}]{0,10}",
            "/\\* [a-z =]{0,10} \\*/",
        ];
        let leaf = prop_oneof![
            4 => (name, json_value(), proptest::option::weighted(0.3, "# [a-z =]{0,8}"))
                .prop_map(|(n, v, c)| Item::Attr(n, v, c)),
            1 => comment.prop_map(Item::Comment),
            1 => Just(Item::Blank),
            1 => (name, proptest::collection::vec("[a-z ={}]{0,12}(\\$\\$\\{x\\})?", 0..3))
                .prop_map(|(n, lines)| Item::Heredoc(n, lines)),
        ];
        leaf.prop_recursive(3, 40, 8, move |inner| {
            (
                name,
                proptest::option::of("[a-z]{1,8}"),
                proptest::collection::vec(inner, 1..8),
            )
                .prop_map(|(t, l, body)| Item::Block(t, l, body))
        })
    }

    /// Renders `item`; `n` numbers the attributes, which must be unique within a body.
    fn render(item: &Item, indent: usize, n: &mut usize, out: &mut String) {
        let pad = " ".repeat(indent);
        *n += 1;
        match item {
            Item::Attr(name, value, comment) => {
                out.push_str(&format!("{pad}{name}{n} = {}", encode(value, indent)));
                if let Some(c) = comment {
                    out.push_str(&format!(" {c}"));
                }
                out.push('\n');
            }
            Item::Comment(c) => out.push_str(&format!("{pad}{c}\n")),
            Item::Blank => out.push('\n'),
            Item::Heredoc(name, lines) => {
                out.push_str(&format!("{pad}{name}{n} = <<-EOT\n"));
                for line in lines {
                    out.push_str(&format!("{pad}  {line}\n"));
                }
                out.push_str(&format!("{pad}EOT\n"));
            }
            Item::Block(kind, label, body) => {
                out.push_str(&pad);
                out.push_str(kind);
                if let Some(label) = label {
                    out.push_str(&format!(" \"{label}\""));
                }
                out.push_str(" {\n");
                for item in body {
                    render(item, indent + 2, n, out);
                }
                out.push_str(&format!("{pad}}}\n"));
            }
        }
    }

    /// Random bodies (attributes, blocks, comments, heredocs), written with one space before
    /// each `=`, then aligned: the result must be what terraform fmt prints.
    #[test]
    fn align_random_bodies_agree_with_terraform() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut src = String::new();
        let mut n = 0;
        for _ in 0..200 {
            let item = item().new_tree(&mut runner).unwrap().current();
            render(&item, 0, &mut n, &mut src);
        }
        let src = dealign(&src);
        let aligned = align(&src);
        assert_eq!(align(&aligned), aligned);
        if let Some(formatted) = terraform_fmt(&src) {
            // fmt keeps the trailing blank lines that `align` trims.
            assert_same(&aligned, &format!("{}\n", formatted.trim_end_matches('\n')));
        }
    }

    // ---- corpus ----

    fn corpus() -> Vec<(PathBuf, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "tf"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus in {}", dir.display());
        files
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                (path, text)
            })
            .collect()
    }

    /// Undoes alignment the way a template writes it: one space before `=` and comments.
    /// Naive (it would also touch `  =` inside strings), so the corpus avoids that.
    fn dealign(src: &str) -> String {
        let mut out = String::new();
        for line in src.split_inclusive('\n') {
            let mut line = line.to_owned();
            for target in [" =", " #", " //"] {
                while let Some(p) = line.find(&format!(" {target}")) {
                    if line[..p].trim().is_empty() {
                        break;
                    }
                    line.replace_range(p..p + 1, "");
                }
            }
            out.push_str(&line);
        }
        out
    }

    #[test]
    fn corpus_is_canonical_and_align_restores_it() {
        for (path, text) in corpus() {
            let name = path.display();
            let plain = dealign(&text);
            assert_ne!(plain, text, "{name}: corpus file has nothing to align");
            assert_eq!(align(&text), text, "{name}: align changed a canonical file");
            assert_eq!(
                align(&plain),
                text,
                "{name}: align did not restore the alignment"
            );
            assert_eq!(
                align(&align(&plain)),
                align(&plain),
                "{name}: not idempotent"
            );
        }
    }

    #[test]
    fn corpus_agrees_with_terraform() {
        for (path, text) in corpus() {
            let name = path.display();
            let Some(formatted) = terraform_fmt(&text) else {
                return;
            };
            assert_eq!(
                formatted, text,
                "{name}: corpus file is not in terraform fmt form"
            );
            let plain = dealign(&text);
            let formatted_plain = terraform_fmt(&plain).unwrap();
            assert_eq!(
                align(&plain),
                formatted_plain,
                "{name}: align disagrees with terraform fmt"
            );
            assert_eq!(
                align(&formatted_plain),
                formatted_plain,
                "{name}: align(fmt(x)) != fmt(x)"
            );
        }
    }
}
