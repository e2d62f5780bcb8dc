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
    write_value(&mut out, value, indent);
    out
}

fn write_value(out: &mut String, value: &Value, indent: usize) {
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
                write_value(out, item, indent);
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for item in items {
                pad(out, indent + 2);
                write_value(out, item, indent + 2);
                out.push_str(",\n");
            }
            pad(out, indent);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let entries: Vec<(String, &Value)> = map.iter().map(|(k, v)| (key(k), v)).collect();
            out.push_str("{\n");
            let mut i = 0;
            while i < entries.len() {
                if is_multiline(entries[i].1) {
                    let (k, v) = &entries[i];
                    pad(out, indent + 2);
                    out.push_str(k);
                    out.push_str(" = ");
                    write_value(out, v, indent + 2);
                    out.push('\n');
                    i += 1;
                    continue;
                }
                // A run of single-line entries: their `=` line up.
                let end = entries[i..]
                    .iter()
                    .position(|(_, v)| is_multiline(v))
                    .map_or(entries.len(), |p| i + p);
                let widest = entries[i..end].iter().map(|(k, _)| width(k)).max();
                let widest = widest.unwrap_or(0);
                for (k, v) in &entries[i..end] {
                    pad(out, indent + 2);
                    out.push_str(k);
                    pad(out, widest - width(k) + 1);
                    out.push_str("= ");
                    write_value(out, v, indent + 2);
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

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
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
    let tokens = lex(src);
    let lines = split_lines(&tokens);
    let mut edits: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, spaces)

    // Line starts: the indentation before the first token is part of the lead's width.
    let line_start =
        |line: &Line| -> usize { line.first.checked_sub(1).map_or(0, |p| tokens[p].end) };

    // Assignments.
    let mut assign_spaces: Vec<Option<usize>> = vec![None; lines.len()];
    let mut run: Vec<(usize, usize)> = Vec::new(); // (line index, lead width)
    for (li, line) in lines.iter().enumerate() {
        match line.assign {
            Some(eq) => {
                let lead_end = tokens[eq - 1].end;
                run.push((li, width(&src[line_start(line)..lead_end])));
            }
            None => flush(&mut run, &mut assign_spaces),
        }
    }
    flush(&mut run, &mut assign_spaces);
    for (line, spaces) in lines.iter().zip(&assign_spaces) {
        if let (Some(eq), Some(spaces)) = (line.assign, *spaces) {
            edits.push((tokens[eq - 1].end, tokens[eq].start, spaces));
        }
    }

    // Trailing comments, measured after the `=` padding.
    let mut run: Vec<(usize, usize)> = Vec::new();
    let mut comment_spaces: Vec<Option<usize>> = vec![None; lines.len()];
    for (li, line) in lines.iter().enumerate() {
        match line.comment {
            Some(c) => {
                let start = line_start(line);
                let code_end = tokens[c - 1].end;
                let w = match (line.assign, assign_spaces[li]) {
                    (Some(eq), Some(spaces)) => {
                        width(&src[start..tokens[eq - 1].end])
                            + spaces
                            + width(&src[tokens[eq].start..code_end])
                    }
                    _ => width(&src[start..code_end]),
                };
                run.push((li, w));
            }
            None => flush(&mut run, &mut comment_spaces),
        }
    }
    flush(&mut run, &mut comment_spaces);
    for (line, spaces) in lines.iter().zip(&comment_spaces) {
        if let (Some(c), Some(spaces)) = (line.comment, *spaces) {
            edits.push((tokens[c - 1].end, tokens[c].start, spaces));
        }
    }

    // Trailing whitespace: the gap before each newline and before the end of the file.
    let mut prev_end = 0;
    for tok in &tokens {
        if tok.kind == Kind::Newline {
            edits.push((prev_end, tok.start, 0));
        }
        prev_end = tok.end;
    }
    edits.push((prev_end, src.len(), 0));

    edits.sort_unstable();
    let mut out = String::with_capacity(src.len() + src.len() / 8);
    let mut pos = 0;
    for (start, end, spaces) in edits {
        if start < pos || start > end {
            continue; // Overlapping edits cannot happen; skip rather than panic.
        }
        out.push_str(&src[pos..start]);
        pad(&mut out, spaces);
        pos = end;
    }
    out.push_str(&src[pos..]);

    while out.ends_with('\n') || out.ends_with('\r') {
        out.pop();
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Ends a run of `(line index, width)`: each line gets the spaces that put its cell one
/// column past the widest.
fn flush(run: &mut Vec<(usize, usize)>, spaces: &mut [Option<usize>]) {
    let widest = run.iter().map(|&(_, w)| w).max().unwrap_or(0);
    for &(li, w) in run.iter() {
        spaces[li] = Some(widest - w + 1);
    }
    run.clear();
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `\n`, `\r\n` or a lone `\r` outside strings, heredocs and comments.
    Newline,
    /// A `/* */` comment (`block`) or a `#`/`//` one, which `ends_line` when it holds the
    /// newline.
    Comment { block: bool, ends_line: bool },
    /// A lone `=`.
    Equal,
    /// `{`, `[`, `(`, `${`, `%{`.
    Open,
    /// `}`, `]`, `)` (including the `}` that ends a template interpolation).
    Close,
    /// `<<EOT` or `<<-EOT` with its newline.
    Heredoc,
    /// Anything else: names, literals, operators, string and heredoc text.
    Other,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Where the lexer is: code, a quoted template, or a heredoc template.
#[derive(Clone, Debug)]
enum Mode {
    Code,
    Quoted,
    Heredoc { marker: String, line_start: bool },
}

/// What an open bracket in code closes back to.
#[derive(Debug)]
enum Frame {
    Bracket,
    /// A `${` or `%{`: its `}` returns to this template mode.
    Interp(Mode),
}

/// Cuts `src` into tokens. Every byte that is not a space or tab between code tokens belongs
/// to a token, so the gaps between tokens are exactly the spaces `align` may change.
fn lex(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    // Generated Terraform averages a token every 5 to 6 bytes.
    let mut tokens = Vec::with_capacity(src.len() / 4);
    let mut stack: Vec<Frame> = Vec::new();
    let mut mode = Mode::Code;
    let mut i = 0;
    let push = |tokens: &mut Vec<Token>, kind, start, end| tokens.push(Token { kind, start, end });

    while i < b.len() {
        match &mut mode {
            Mode::Code => {
                let c = b[i];
                let next = b.get(i + 1).copied();
                match c {
                    b' ' | b'\t' => i += 1,
                    b'\n' => {
                        push(&mut tokens, Kind::Newline, i, i + 1);
                        i += 1;
                    }
                    b'\r' if next == Some(b'\n') => {
                        push(&mut tokens, Kind::Newline, i, i + 2);
                        i += 2;
                    }
                    // A lone CR is not HCL; taking it as a newline keeps `align` idempotent.
                    b'\r' => {
                        push(&mut tokens, Kind::Newline, i, i + 1);
                        i += 1;
                    }
                    b'#' => i = line_comment(src, i, &mut tokens),
                    b'/' if next == Some(b'/') => i = line_comment(src, i, &mut tokens),
                    b'/' if next == Some(b'*') => {
                        let end = src[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
                        push(
                            &mut tokens,
                            Kind::Comment {
                                block: true,
                                ends_line: false,
                            },
                            i,
                            end,
                        );
                        i = end;
                    }
                    b'"' => {
                        push(&mut tokens, Kind::Other, i, i + 1);
                        i += 1;
                        mode = Mode::Quoted;
                    }
                    b'{' | b'[' | b'(' => {
                        push(&mut tokens, Kind::Open, i, i + 1);
                        stack.push(Frame::Bracket);
                        i += 1;
                    }
                    b'}' => {
                        push(&mut tokens, Kind::Close, i, i + 1);
                        if let Some(Frame::Interp(back)) = stack.pop() {
                            mode = back;
                        }
                        i += 1;
                    }
                    b']' | b')' => {
                        push(&mut tokens, Kind::Close, i, i + 1);
                        if let Some(Frame::Bracket) = stack.last() {
                            stack.pop();
                        }
                        i += 1;
                    }
                    b'=' if matches!(next, Some(b'=' | b'>')) => {
                        push(&mut tokens, Kind::Other, i, i + 2);
                        i += 2;
                    }
                    b'=' => {
                        push(&mut tokens, Kind::Equal, i, i + 1);
                        i += 1;
                    }
                    b'!' | b'<' | b'>' if next == Some(b'=') => {
                        push(&mut tokens, Kind::Other, i, i + 2);
                        i += 2;
                    }
                    b'<' if next == Some(b'<') => match heredoc_opener(src, i) {
                        Some((end, marker)) => {
                            push(&mut tokens, Kind::Heredoc, i, end);
                            i = end;
                            mode = Mode::Heredoc {
                                marker,
                                line_start: true,
                            };
                        }
                        None => {
                            push(&mut tokens, Kind::Other, i, i + 2);
                            i += 2;
                        }
                    },
                    _ if is_word(c) => {
                        let end = i + b[i..].iter().take_while(|&&c| is_word(c)).count();
                        push(&mut tokens, Kind::Other, i, end);
                        i = end;
                    }
                    _ => {
                        push(&mut tokens, Kind::Other, i, i + 1);
                        i += 1;
                    }
                }
            }
            Mode::Quoted => {
                let start = i;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => {
                            // Unterminated string: back to code, which lexes the newline.
                            if start < i {
                                push(&mut tokens, Kind::Other, start, i);
                            }
                            mode = Mode::Code;
                            break;
                        }
                        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => {
                            if start < i {
                                push(&mut tokens, Kind::Other, start, i);
                            }
                            mode = Mode::Code;
                            break;
                        }
                        Some(b'"') => {
                            push(&mut tokens, Kind::Other, start, i + 1);
                            i += 1;
                            mode = Mode::Code;
                            break;
                        }
                        Some(b'\\') => i = (i + 2).min(b.len()),
                        Some(_) => match template_marker(b, i) {
                            Marker::Escaped => i += 3,
                            Marker::Open => {
                                if start < i {
                                    push(&mut tokens, Kind::Other, start, i);
                                }
                                push(&mut tokens, Kind::Open, i, i + 2);
                                i += 2;
                                stack.push(Frame::Interp(Mode::Quoted));
                                mode = Mode::Code;
                                break;
                            }
                            Marker::None => i += 1,
                        },
                    }
                }
            }
            Mode::Heredoc { marker, line_start } => {
                if *line_start {
                    *line_start = false;
                    let indent = b[i..]
                        .iter()
                        .take_while(|&&c| c == b' ' || c == b'\t')
                        .count();
                    let rest = &src[i + indent..];
                    if let Some(after) = rest.strip_prefix(marker.as_str())
                        && (after.is_empty()
                            || after.starts_with('\n')
                            || after.starts_with("\r\n"))
                    {
                        let end = i + indent + marker.len();
                        push(&mut tokens, Kind::Other, i, end);
                        i = end;
                        mode = Mode::Code;
                        continue;
                    }
                }
                let start = i;
                let mut interp = false;
                while i < b.len() {
                    if b[i] == b'\n' {
                        i += 1;
                        *line_start = true;
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
                if start < i {
                    push(&mut tokens, Kind::Other, start, i);
                }
                if interp {
                    push(&mut tokens, Kind::Open, i, i + 2);
                    i += 2;
                    stack.push(Frame::Interp(mode.clone()));
                    mode = Mode::Code;
                }
            }
        }
    }
    tokens
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.') || c >= 0x80
}

/// Lexes a `#` or `//` comment starting at `i`, newline included; returns where it ends.
fn line_comment(src: &str, i: usize, tokens: &mut Vec<Token>) -> usize {
    let (end, ends_line) = match src[i..].find('\n') {
        Some(p) => (i + p + 1, true),
        None => (src.len(), false),
    };
    tokens.push(Token {
        kind: Kind::Comment {
            block: false,
            ends_line,
        },
        start: i,
        end,
    });
    end
}

/// If a heredoc opens at `i` (`<<ID` or `<<-ID` then a newline), where its opener ends
/// (after the newline) and its closing marker.
fn heredoc_opener(src: &str, i: usize) -> Option<(usize, String)> {
    let rest = src[i + 2..].strip_prefix('-').unwrap_or(&src[i + 2..]);
    let name_start = src.len() - rest.len();
    let name_len = rest
        .bytes()
        .take_while(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        .count();
    let first = rest.bytes().next()?;
    if name_len == 0 || !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let after = &rest[name_len..];
    let newline = if after.starts_with('\n') {
        1
    } else if after.starts_with("\r\n") {
        2
    } else {
        return None;
    };
    let marker = src[name_start..name_start + name_len].to_owned();
    Some((name_start + name_len + newline, marker))
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

/// One formatter line: indexes into the token list.
#[derive(Debug)]
struct Line {
    first: usize,
    /// The `=` token of an assigning line.
    assign: Option<usize>,
    /// The trailing comment token.
    comment: Option<usize>,
}

fn split_lines(tokens: &[Token]) -> Vec<Line> {
    let mut lines = Vec::with_capacity(tokens.len() / 4);
    let mut start = 0;
    for (i, tok) in tokens.iter().enumerate() {
        let ends = matches!(
            tok.kind,
            Kind::Newline
                | Kind::Comment {
                    ends_line: true,
                    ..
                }
        );
        if ends || i + 1 == tokens.len() {
            lines.push(classify(tokens, start, i + 1));
            start = i + 1;
        }
    }
    lines
}

/// Finds the assignment and trailing comment of the line `tokens[start..end]`, following
/// hclwrite's `linesForFormat`.
fn classify(tokens: &[Token], start: usize, end: usize) -> Line {
    let mut lead_end = end;
    let mut comment = None;
    // hclwrite also takes a `/* */` comment that ends the file; `align` adds the newline
    // that makes it an ordinary one.
    if end - start > 1 && matches!(tokens[end - 1].kind, Kind::Comment { block: false, .. }) {
        comment = Some(end - 1);
        lead_end = end - 1;
    }
    let mut assign = None;
    if let Some(eq) = (start + 1..lead_end).find(|&j| tokens[j].kind == Kind::Equal) {
        let mut net = 0i32;
        for tok in &tokens[eq..lead_end] {
            match tok.kind {
                Kind::Open => net += 1,
                Kind::Close => net -= 1,
                Kind::Heredoc => break,
                _ => {}
            }
        }
        if net == 0 {
            assign = Some(eq);
        }
    }
    Line {
        first: start,
        assign,
        comment,
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

    /// Written past the test harness's capture so that a skip is never silent.
    fn skipped() {
        let _ = writeln!(std::io::stderr(), "SKIPPED: terraform not found");
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
