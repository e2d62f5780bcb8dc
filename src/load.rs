//! Load: input text → the JSON view of each file, with a span for every JSON pointer.
//!
//! Takes the text of one input file (KDL v2, KDL v1 as a fallback, or JSON for
//! `.json` paths) and returns a [`Document`]: the file's JSON view (SPEC §2) and a
//! [`SpanMap`] from every JSON pointer of that view to the place in the file
//! that produced it. [`resolve_extends`] then deep-merges an environment's
//! `extends` chain into one document whose spans still point at the file that
//! set each value.
//!
//! Load checks only what the JSON view needs to be well defined: syntax, nodes
//! whose shape has no view (several arguments plus properties or children),
//! repeated keys, type annotations, numbers JSON cannot hold, nesting depth,
//! and the `extends` chain. It deliberately does not know the schema: unknown
//! keys, wrong types and missing keys are [`crate::schema`]'s job, and
//! defaults are applied later still.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use kdl::{KdlDocument, KdlEntry, KdlError, KdlNode, KdlValue};
use serde_json::{Map, Number, Value};

use crate::diag::{Diagnostic, Span, nearest};

/// Where one JSON pointer of a view came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The name that introduced the value: a node name, a property key, a JSON
    /// object key, or, for a keyed entry (`table "users" { … }`), the argument
    /// `"users"`. `None` for array elements and the root.
    pub key: Option<Span>,
    /// The value itself: the argument of a scalar, the arguments of a list, the
    /// whole node (name to closing brace) of an object.
    pub value: Span,
}

/// Which part of a value an offset is on (see [`Document::pointer_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The name that introduced it: a node name, a property key, a keyed entry's argument.
    Key,
    /// The value: an argument, a property value, a block.
    Value,
}

/// JSON pointer (RFC 6901, "" = root, "/tags/owner", "/table/users/gsi/by-email/hash-key", "/alert-emails/1") → spans.
///
/// The map of keyed entries (`/table` for `table "users" { … }` `table "orders" { … }`)
/// points at the first of its nodes; each entry (`/table/users`) at its own node.
pub type SpanMap = BTreeMap<String, Located>;

/// One file's JSON view with the place of every value in it.
#[derive(Clone, Debug)]
pub struct Document {
    pub path: Arc<str>,
    /// Always a JSON object.
    pub value: Value,
    pub spans: SpanMap,
}

impl Document {
    /// Where the whole document is (the file, or the environment file a merge started from).
    pub fn root_span(&self) -> Span {
        self.spans
            .get("")
            .map_or_else(|| Span::file_start(&self.path), |l| l.value.clone())
    }

    /// The span of a pointer's value, or of its nearest ancestor that has one.
    pub fn value_span(&self, pointer: &str) -> Span {
        let mut p = pointer;
        loop {
            if let Some(l) = self.spans.get(p) {
                return l.value.clone();
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.root_span(),
            }
        }
    }

    /// The innermost value of the view at byte `offset`, as its JSON pointer and
    /// which part of it the offset is on (for an editor: hover, completion,
    /// go to definition). A keyed entry's node name (`table` in
    /// `table "users" { … }`) counts as the key of the map (`/table`).
    pub fn pointer_at(&self, offset: usize) -> Option<(String, Part)> {
        let mut best: Option<(&str, Part, usize)> = None;
        for (p, l) in &self.spans {
            let parts = l.key.iter().map(|k| (Part::Key, k));
            for (part, s) in parts.chain([(Part::Value, &l.value)]) {
                if s.start <= offset && offset <= s.end && !p.is_empty() {
                    let len = s.end - s.start;
                    if best.is_none_or(|(_, _, l)| len < l) {
                        best = Some((p, part, len));
                    }
                }
            }
        }
        let (p, part, _) = best?;
        // On the node name of a keyed entry: the map's key.
        if part == Part::Value
            && let Some(Located {
                key: Some(k),
                value,
            }) = self.spans.get(p)
            && offset < k.start
            && value.start < k.start
            && let Some(parent) = p.rfind('/').map(|i| &p[..i])
            && self.value.pointer(parent).is_some_and(Value::is_object)
            && self.spans.get(parent).is_some_and(|l| l.key.is_some())
        {
            return Some((parent.to_string(), Part::Key));
        }
        Some((p.to_string(), part))
    }

    /// The span of the key that names a pointer's value (a node name, a property
    /// key, a keyed entry's argument), else of its value.
    pub fn key_span(&self, pointer: &str) -> Span {
        match self.spans.get(pointer) {
            Some(l) => l.key.clone().unwrap_or_else(|| l.value.clone()),
            None => self.value_span(pointer),
        }
    }
}

/// Deepest nesting of blocks (KDL children, JSON objects and arrays) accepted.
/// Real files nest a handful of levels; the limit keeps every recursive walk,
/// ours and the KDL parser's, far away from the end of the stack.
const MAX_DEPTH: usize = 64;

/// Stack of the thread the KDL parser runs on. `kdl` 6.x recurses deeply per
/// nesting level (about 32 KiB per level in a debug build, 6 KiB in release), so
/// even [`MAX_DEPTH`] levels overflow the 2 MiB of an ordinary spawned thread.
const PARSER_STACK: usize = 16 << 20;
/// Files with at most this many `{` are parsed on the caller's stack (≤ 16 levels ≈ 512 KiB).
const INLINE_BRACES: usize = 16;

const SYNTAX: &str = "envc::load::syntax";
const DUPLICATE: &str = "envc::load::duplicate-key";
const NODE_SHAPE: &str = "envc::load::node-shape";
const KEY_NOT_STRING: &str = "envc::load::key-not-string";
const TYPE_ANNOTATION: &str = "envc::load::type-annotation";
const NUMBER: &str = "envc::load::number";
const TOO_DEEP: &str = "envc::load::too-deep";
const EXTENDS_TYPE: &str = "envc::load::extends-type";
const EXTENDS_CYCLE: &str = "envc::load::extends-cycle";
const EXTENDS_MISSING: &str = "envc::load::extends-missing";
const INTERNAL: &str = "envc::load::internal";

/// Parse one file's text into its JSON view. `.json` paths are parsed as JSON (with spans), everything else as KDL (v2, falling back to v1).
/// All errors of the file are returned, not only the first.
pub fn parse_document(path: &Arc<str>, text: &str) -> Result<Document, Vec<Diagnostic>> {
    if path.ends_with(".json") {
        return parse_json(path, text);
    }
    if let Some(at) = too_deep_kdl(text) {
        return Err(vec![too_deep(Span::new(path, at, at + 1))]);
    }
    // kdl needs up to 32 KiB of stack per nesting level (debug builds). A file
    // with few braces cannot nest deeply and is parsed right here; only the
    // others pay for a thread with a big stack.
    if text.bytes().filter(|&b| b == b'{').count() <= INLINE_BRACES {
        return parse_kdl(path, text);
    }
    let path2 = path.clone();
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("envc-load".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(s, move || parse_kdl(&path2, text));
        match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => Err(vec![
                Diagnostic::error(INTERNAL, format!("could not start the parser thread: {e}"))
                    .at(Span::file_start(path)),
            ]),
        }
    })
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        TOO_DEEP,
        format!("blocks are nested deeper than {MAX_DEPTH} levels"),
    )
    .at(span)
    .label("too deep")
}

/// RFC 6901 escaping of one reference token.
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The inverse of [`escape_pointer`].
pub fn unescape_pointer(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn child_pointer(parent: &str, token: &str) -> String {
    format!("{parent}/{}", escape_pointer(token))
}

// ---------------------------------------------------------------------------
// KDL

fn parse_kdl(path: &Arc<str>, text: &str) -> Result<Document, Vec<Diagnostic>> {
    let doc = match KdlDocument::parse_v2(text) {
        Ok(doc) => doc,
        Err(v2) => match KdlDocument::parse_v1(text) {
            Ok(doc) => doc,
            Err(_) => return Err(kdl_errors(path, text, &v2)),
        },
    };
    let mut view = KdlView {
        path,
        text,
        spans: SpanMap::new(),
        errors: Vec::new(),
    };
    view.spans.insert(
        String::new(),
        Located {
            key: None,
            value: Span::new(path, 0, text.len()),
        },
    );
    let value = Value::Object(view.block(&[], Some(&doc), "", 0));
    if view.errors.is_empty() {
        Ok(Document {
            path: path.clone(),
            value,
            spans: view.spans,
        })
    } else {
        Err(view.errors)
    }
}

fn kdl_errors(path: &Arc<str>, text: &str, err: &KdlError) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = err
        .diagnostics
        .iter()
        .map(|d| {
            let start = d.span.offset();
            let span = Span::new(path, start, start + d.span.len());
            if let Some(d) = bare_keyword(&span, text) {
                return d;
            }
            let message = d
                .message
                .as_deref()
                .map_or_else(|| "invalid KDL".to_string(), lowercase_first);
            Diagnostic::error(SYNTAX, message)
                .at(span)
                .help_opt(d.help.clone())
                .label(d.label.clone().unwrap_or_else(|| "here".into()))
        })
        .collect();
    if out.is_empty() {
        out.push(Diagnostic::error(SYNTAX, "invalid KDL").at(Span::file_start(path)));
    }
    out.dedup();
    out
}

/// KDL v1 wrote `true`, `false` and `null` bare; KDL v2 writes `#true`, `#false`
/// and `#null`, and reads a bare word as a string it cannot place. Say so,
/// with the fix, instead of the parser's "expected identifier string".
fn bare_keyword(span: &Span, text: &str) -> Option<Diagnostic> {
    let word = text.get(span.start..span.end)?;
    let fixed = match word {
        "true" | "false" | "null" | "inf" | "nan" => format!("#{word}"),
        "-inf" => "#-inf".to_string(),
        _ => return None,
    };
    Some(
        Diagnostic::error(
            SYNTAX,
            format!("a bare `{word}` is not a value in KDL v2"),
        )
        .at(span.clone())
        .label(format!("write `{fixed}`"))
        .help(format!(
            "KDL v2 writes booleans as `#true` and `#false` (and null as `#null`): replace `{word}` with `{fixed}`; a string needs quotes: `\"{word}\"`"
        )),
    )
}

/// `kdl` writes sentences ("Expected end of document"); envc's messages are lowercase.
/// Leave words that are all capitals (`KDL`) alone.
fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            a.to_lowercase().chain(s[a.len_utf8()..].chars()).collect()
        }
        _ => s.to_string(),
    }
}

struct KdlView<'a> {
    path: &'a Arc<str>,
    text: &'a str,
    spans: SpanMap,
    errors: Vec<Diagnostic>,
}

impl KdlView<'_> {
    fn span(&self, s: miette::SourceSpan) -> Span {
        Span::new(self.path, s.offset(), s.offset() + s.len())
    }

    fn error(&mut self, code: &'static str, message: String, span: Span, label: &str) {
        self.errors
            .push(Diagnostic::error(code, message).at(span).label(label));
    }

    /// Name to closing brace (or to the last entry), without the trailing
    /// whitespace and comments `kdl` sometimes counts into a node.
    fn node_span(&self, node: &KdlNode) -> Span {
        let start = node.name().span().offset();
        let mut end = node.name().span().offset() + node.name().span().len();
        for e in node.entries() {
            end = end.max(e.span().offset() + e.span().len());
        }
        if let Some(children) = node.children() {
            let after = children.span().offset() + children.span().len();
            end = closing_brace(self.text, after).map_or(after, |i| i + 1);
        }
        Span::new(self.path, start, end)
    }

    /// The value of a property, without `key=`.
    fn property_value_span(&self, entry: &KdlEntry) -> Span {
        let end = entry.span().offset() + entry.span().len();
        let mut start = entry.span().offset();
        if let Some(name) = entry.name() {
            let after_name = name.span().offset() + name.span().len();
            if let Some(rest) = self.text.get(after_name..end)
                && let Some(eq) = rest.find('=')
            {
                let value = &rest[eq + 1..];
                start = after_name + eq + 1 + (value.len() - value.trim_start().len());
            }
        }
        Span::new(self.path, start.min(end), end)
    }

    /// Convert one KDL value; `None` (with an error recorded) if JSON cannot hold it.
    fn scalar(&mut self, entry: &KdlEntry, span: &Span) -> Option<Value> {
        if let Some(ty) = entry.ty() {
            let at = self.span(ty.span());
            self.error(
                TYPE_ANNOTATION,
                "type annotations are not supported".into(),
                at,
                "remove this annotation",
            );
            return None;
        }
        match entry.value() {
            KdlValue::String(s) => Some(Value::String(s.clone())),
            KdlValue::Bool(b) => Some(Value::Bool(*b)),
            KdlValue::Null => Some(Value::Null),
            KdlValue::Integer(i) => {
                let n = i64::try_from(*i)
                    .map(Number::from)
                    .or_else(|_| u64::try_from(*i).map(Number::from));
                if n.is_err() {
                    self.error(
                        NUMBER,
                        format!("the number `{i}` is too large"),
                        span.clone(),
                        "out of range",
                    );
                }
                n.ok().map(Value::Number)
            }
            KdlValue::Float(f) => {
                let n = Number::from_f64(*f);
                if n.is_none() {
                    self.error(
                        NUMBER,
                        "numbers must be finite".into(),
                        span.clone(),
                        "not a finite number",
                    );
                }
                n.map(Value::Number)
            }
        }
    }

    /// The object made of `props` and the nodes of `children`, at `ptr`.
    fn block(
        &mut self,
        props: &[&KdlEntry],
        children: Option<&KdlDocument>,
        ptr: &str,
        depth: usize,
    ) -> Map<String, Value> {
        let mut map = Map::new();
        // Names in `map` that hold keyed entries (rule 4), which later nodes may add to.
        let mut keyed: HashSet<String> = HashSet::new();
        for entry in props {
            let Some(name) = entry.name() else { continue };
            let key_span = self.span(name.span());
            let value_span = self.property_value_span(entry);
            if map.contains_key(name.value()) {
                self.error(
                    DUPLICATE,
                    format!("`{}` is set twice", name.value()),
                    key_span,
                    "set again here",
                );
                continue;
            }
            if let Some(v) = self.scalar(entry, &value_span) {
                self.spans.insert(
                    child_pointer(ptr, name.value()),
                    Located {
                        key: Some(key_span),
                        value: value_span,
                    },
                );
                map.insert(name.value().to_string(), v);
            }
        }
        for node in children.map(KdlDocument::nodes).unwrap_or_default() {
            self.node(&mut map, &mut keyed, node, ptr, depth);
        }
        map
    }

    fn node(
        &mut self,
        map: &mut Map<String, Value>,
        keyed: &mut HashSet<String>,
        node: &KdlNode,
        ptr: &str,
        depth: usize,
    ) {
        let name = node.name().value();
        let name_span = self.span(node.name().span());
        let node_span = self.node_span(node);
        if let Some(ty) = node.ty() {
            let at = self.span(ty.span());
            self.error(
                TYPE_ANNOTATION,
                "type annotations are not supported".into(),
                at,
                "remove this annotation",
            );
            return;
        }
        let args: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect();
        let props: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_some())
            .collect();
        let has_block = !props.is_empty() || node.children().is_some();
        let here = child_pointer(ptr, name);

        if args.len() == 1 && has_block {
            self.keyed_entry(map, keyed, node, ptr, depth);
            return;
        }
        if map.contains_key(name) {
            let message = if keyed.contains(name) {
                format!(
                    "`{name}` is set twice: once as keyed entries (`{name} \"<key>\" {{ … }}`) and once as a plain value"
                )
            } else {
                format!("`{name}` is set twice")
            };
            self.error(DUPLICATE, message, name_span, "set again here");
            return;
        }
        let value = match (args.len(), has_block) {
            (0, _) => {
                if depth >= MAX_DEPTH {
                    self.errors.push(too_deep(node_span));
                    return;
                }
                let obj = self.block(&props, node.children(), &here, depth + 1);
                self.spans.insert(
                    here,
                    Located {
                        key: Some(name_span),
                        value: node_span,
                    },
                );
                Value::Object(obj)
            }
            (1, false) => {
                let span = self.span(args[0].span());
                let Some(v) = self.scalar(args[0], &span) else {
                    return;
                };
                self.spans.insert(
                    here,
                    Located {
                        key: Some(name_span),
                        value: span,
                    },
                );
                v
            }
            (_, false) => {
                let mut items = Vec::new();
                for (i, arg) in args.iter().enumerate() {
                    let span = self.span(arg.span());
                    if let Some(v) = self.scalar(arg, &span) {
                        self.spans.insert(
                            child_pointer(&here, &i.to_string()),
                            Located {
                                key: None,
                                value: span,
                            },
                        );
                        items.push(v);
                    }
                }
                let first = args[0].span().offset();
                let last = args[args.len() - 1].span();
                let span = Span::new(self.path, first, last.offset() + last.len());
                self.spans.insert(
                    here,
                    Located {
                        key: Some(name_span),
                        value: span,
                    },
                );
                Value::Array(items)
            }
            (_, true) => {
                self.error(
                    NODE_SHAPE,
                    format!("`{name}` has several arguments and also properties or children"),
                    node_span,
                    "no JSON view for this node",
                );
                self.errors.last_mut().expect("just pushed").help = Some(
                    "write either a list (`name \"a\" \"b\"`), a block (`name key=1 { … }`) or a keyed entry (`name \"key\" key=1 { … }`)"
                        .into(),
                );
                return;
            }
        };
        map.insert(name.to_string(), value);
    }

    /// Rule 4: `name "key" props… { children }` is `"name": {"key": {…}}`, and
    /// nodes of the same name collect into the same map.
    fn keyed_entry(
        &mut self,
        map: &mut Map<String, Value>,
        keyed: &mut HashSet<String>,
        node: &KdlNode,
        ptr: &str,
        depth: usize,
    ) {
        let Some(arg) = node.entries().iter().find(|e| e.name().is_none()) else {
            return;
        };
        let props: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_some())
            .collect();
        let name = node.name().value();
        let name_span = self.span(node.name().span());
        let node_span = self.node_span(node);
        let arg_span = self.span(arg.span());
        if let Some(ty) = arg.ty() {
            let at = self.span(ty.span());
            self.error(
                TYPE_ANNOTATION,
                "type annotations are not supported".into(),
                at,
                "remove this annotation",
            );
            return;
        }
        let KdlValue::String(key) = arg.value() else {
            self.error(
                KEY_NOT_STRING,
                format!("the argument of `{name}` must be a string, because it names an entry with properties or children"),
                arg_span,
                "expected a string",
            );
            return;
        };
        if map.contains_key(name) && !keyed.contains(name) {
            self.error(
                DUPLICATE,
                format!("`{name}` is set twice: once as a plain value and once as keyed entries (`{name} \"<key>\" {{ … }}`)"),
                name_span,
                "set again here",
            );
            return;
        }
        let here = child_pointer(ptr, name);
        let entry_ptr = child_pointer(&here, key);
        if map.get(name).and_then(|m| m.get(key)).is_some() {
            self.error(
                DUPLICATE,
                format!("`{name} \"{key}\"` is set twice"),
                arg_span,
                "set again here",
            );
            return;
        }
        if depth >= MAX_DEPTH {
            self.errors.push(too_deep(node_span));
            return;
        }
        let obj = self.block(&props, node.children(), &entry_ptr, depth + 1);
        if keyed.insert(name.to_string()) {
            self.spans.insert(
                here,
                Located {
                    key: Some(name_span),
                    value: node_span.clone(),
                },
            );
            map.insert(name.to_string(), Value::Object(Map::new()));
        }
        self.spans.insert(
            entry_ptr,
            Located {
                key: Some(arg_span),
                value: node_span,
            },
        );
        if let Some(Value::Object(entries)) = map.get_mut(name) {
            entries.insert(key.clone(), Value::Object(obj));
        }
    }
}

/// Byte offset of the `{` that opens block number `MAX_DEPTH + 1`, found
/// lexically (skipping strings and comments) so that a hostile file never
/// reaches the recursive KDL parser.
fn too_deep_kdl(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut found = None;
    braces(text, |i, open| {
        if open {
            depth += 1;
            if depth > MAX_DEPTH {
                found = Some(i);
                return false;
            }
        } else {
            depth = depth.saturating_sub(1);
        }
        true
    });
    found
}

/// Offset of the `}` that closes the block whose last child ends at `from`: the
/// first unmatched brace after it outside strings and comments (a comment after
/// the last child may well hold braces of its own).
fn closing_brace(text: &str, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let mut depth = 0usize;
    let mut found = None;
    braces(rest, |i, open| {
        if open {
            depth += 1;
        } else if depth == 0 {
            found = Some(from + i);
            return false;
        } else {
            depth -= 1;
        }
        true
    });
    found
}

/// Calls `f(offset, is_open)` for every `{` and `}` of KDL `text` outside strings
/// and comments, in order, until it returns false.
fn braces(text: &str, mut f: impl FnMut(usize, bool) -> bool) {
    let b = text.as_bytes();
    let at = |i: usize, s: &[u8]| b.get(i..i + s.len()) == Some(s);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if at(i, b"//") => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if at(i, b"/*") => {
                let mut level = 0;
                while i < b.len() {
                    if at(i, b"/*") {
                        level += 1;
                        i += 2;
                    } else if at(i, b"*/") {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                let close: &[u8] = if at(i, b"\"\"\"") { b"\"\"\"" } else { b"\"" };
                i += close.len();
                while i < b.len() {
                    if b[i] == b'\\' {
                        i += 2;
                    } else if at(i, close) {
                        i += close.len();
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            // Raw strings: v2 `#"…"#`, `#"""…"""#`; v1 `r"…"`, `r#"…"#`.
            b'#' | b'r' => {
                let v1 = b[i] == b'r';
                let prev_ok = i == 0 || b" \t\r\n(){};=".contains(&b[i - 1]);
                let start = if v1 { i + 1 } else { i };
                let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
                let quote = start + hashes;
                if (v1 && !prev_ok) || b.get(quote) != Some(&b'"') || (!v1 && hashes == 0) {
                    i += 1;
                    continue;
                }
                let triple = at(quote, b"\"\"\"");
                let mut close = if triple {
                    b"\"\"\"".to_vec()
                } else {
                    b"\"".to_vec()
                };
                close.extend(std::iter::repeat_n(b'#', hashes));
                i = quote + if triple { 3 } else { 1 };
                while i < b.len() && !at(i, &close) {
                    i += 1;
                }
                i += close.len();
            }
            c @ (b'{' | b'}') => {
                if !f(i, c == b'{') {
                    return;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}

// ---------------------------------------------------------------------------
// JSON

/// JSON files are strict JSON (RFC 8259) plus `//` and `/* */` comments, as
/// editors accept in configuration files; the view is the JSON itself minus
/// the top-level `$schema` key.
fn parse_json(path: &Arc<str>, text: &str) -> Result<Document, Vec<Diagnostic>> {
    use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
    let options = ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = match parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(parsed) => parsed,
        Err(e) => {
            let r = e.range();
            return Err(vec![
                Diagnostic::error(SYNTAX, lowercase_first(&e.kind().to_string()))
                    .at(Span::new(path, r.start, r.end.max(r.start)))
                    .label("here"),
            ]);
        }
    };
    let Some(jsonc_parser::ast::Value::Object(root)) = parsed.value else {
        let span = parsed
            .value
            .as_ref()
            .map_or_else(|| Span::file_start(path), |v| json_span(path, v));
        return Err(vec![
            Diagnostic::error(SYNTAX, "a JSON input file must hold one object")
                .at(span)
                .label("expected an object"),
        ]);
    };
    let mut view = JsonView {
        path,
        spans: SpanMap::new(),
        errors: Vec::new(),
    };
    view.spans.insert(
        String::new(),
        Located {
            key: None,
            value: Span::new(path, 0, text.len()),
        },
    );
    let mut value = view.object(&root, "", 0);
    if let Value::Object(map) = &mut value {
        map.shift_remove("$schema");
        view.spans.remove("/$schema");
    }
    if view.errors.is_empty() {
        Ok(Document {
            path: path.clone(),
            value,
            spans: view.spans,
        })
    } else {
        Err(view.errors)
    }
}

fn json_span(path: &Arc<str>, v: &jsonc_parser::ast::Value) -> Span {
    use jsonc_parser::common::Ranged;
    let r = v.range();
    Span::new(path, r.start, r.end)
}

struct JsonView<'a> {
    path: &'a Arc<str>,
    spans: SpanMap,
    errors: Vec<Diagnostic>,
}

impl JsonView<'_> {
    fn object(&mut self, obj: &jsonc_parser::ast::Object, ptr: &str, depth: usize) -> Value {
        use jsonc_parser::common::Ranged;
        let mut map = Map::new();
        for prop in &obj.properties {
            let name = prop.name.as_str();
            let r = prop.name.range();
            let key_span = Span::new(self.path, r.start, r.end);
            if map.contains_key(name) {
                self.errors.push(
                    Diagnostic::error(DUPLICATE, format!("`{name}` is set twice"))
                        .at(key_span)
                        .label("set again here"),
                );
                continue;
            }
            let here = child_pointer(ptr, name);
            let v = self.value(&prop.value, &here, depth);
            self.spans.insert(
                here,
                Located {
                    key: Some(key_span),
                    value: json_span(self.path, &prop.value),
                },
            );
            map.insert(name.to_string(), v);
        }
        Value::Object(map)
    }

    fn value(&mut self, v: &jsonc_parser::ast::Value, ptr: &str, depth: usize) -> Value {
        use jsonc_parser::ast::Value as J;
        let nested = matches!(v, J::Object(_) | J::Array(_));
        if nested && depth >= MAX_DEPTH {
            self.errors.push(too_deep(json_span(self.path, v)));
            return Value::Null;
        }
        match v {
            J::StringLit(s) => Value::String(s.value.to_string()),
            J::BooleanLit(b) => Value::Bool(b.value),
            J::NullKeyword(_) => Value::Null,
            J::NumberLit(n) => match n.value.parse::<Number>() {
                Ok(n) => Value::Number(n),
                Err(_) => {
                    self.errors.push(
                        Diagnostic::error(
                            NUMBER,
                            format!("the number `{}` is out of range", n.value),
                        )
                        .at(json_span(self.path, v))
                        .label("out of range"),
                    );
                    Value::Null
                }
            },
            J::Object(o) => self.object(o, ptr, depth + 1),
            J::Array(a) => {
                let mut items = Vec::new();
                for (i, elem) in a.elements.iter().enumerate() {
                    let here = child_pointer(ptr, &i.to_string());
                    items.push(self.value(elem, &here, depth + 1));
                    self.spans.insert(
                        here,
                        Located {
                            key: None,
                            value: json_span(self.path, elem),
                        },
                    );
                }
                Value::Array(items)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// extends

/// Resolve `extends` for environment `name`: `docs` maps file stem (e.g. "dev", "_base") to its parsed Document.
/// Returns the merged document: the chain's documents deep-merged (objects merge key by key; scalars and arrays are replaced), the child winning.
/// Spans in the result point at the file that set each value. The `extends` key itself is removed from the merged value (its span may stay in the map).
pub fn resolve_extends<D: Borrow<Document>>(
    name: &str,
    docs: &BTreeMap<String, D>,
) -> Result<Document, Vec<Diagnostic>> {
    let Some(first) = docs.get(name).map(Borrow::borrow) else {
        return Err(vec![Diagnostic::error(
            EXTENDS_MISSING,
            format!("there is no environment `{name}`"),
        )]);
    };
    // The chain, child first.
    let mut chain: Vec<(&str, &Document)> = vec![(name, first)];
    loop {
        let (_, doc) = chain[chain.len() - 1];
        let Some(parent) = doc.value.get("extends") else {
            break;
        };
        let at = doc
            .spans
            .get("/extends")
            .map_or_else(|| Span::file_start(&doc.path), |l| l.value.clone());
        let Some(parent) = parent.as_str() else {
            return Err(vec![
                Diagnostic::error(
                    EXTENDS_TYPE,
                    "`extends` must be a string: the name of another file of `environments/`",
                )
                .at(at)
                .label("expected a string"),
            ]);
        };
        let names = |last: &str| {
            chain
                .iter()
                .map(|(n, _)| *n)
                .chain([last])
                .collect::<Vec<_>>()
                .join(" → ")
        };
        if chain.iter().any(|(n, _)| *n == parent) {
            return Err(vec![
                Diagnostic::error(
                    EXTENDS_CYCLE,
                    format!("`extends` forms a cycle: {}", names(parent)),
                )
                .at(at)
                .label("closes the cycle"),
            ]);
        }
        let Some(next) = docs.get(parent).map(Borrow::borrow) else {
            let d = Diagnostic::error(
                EXTENDS_MISSING,
                format!(
                    "`extends` names `{parent}`, which does not exist ({})",
                    names(parent)
                ),
            )
            .at(at)
            .label("no such file");
            let d = match nearest(parent, docs.keys().map(String::as_str)) {
                Some(n) => d.did_you_mean(n),
                None => d.help(format!(
                    "the files that can be extended are {}",
                    docs.keys()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            return Err(vec![d]);
        };
        chain.push((parent, next));
    }

    let (_, root) = chain.pop().expect("the chain holds at least `name`");
    let mut merged = root.clone();
    for (_, child) in chain.iter().rev() {
        merge(
            &mut merged.value,
            &mut merged.spans,
            &child.value,
            &child.spans,
            "",
        );
    }
    merged.path = first.path.clone();
    if let Some(root_span) = first.spans.get("") {
        merged.spans.insert(String::new(), root_span.clone());
    }
    if let Value::Object(map) = &mut merged.value {
        map.shift_remove("extends");
    }
    Ok(merged)
}

/// Merge the object `child` (at `ptr`) into the object `base`: objects merge
/// key by key, anything else is replaced together with its spans.
fn merge(
    base: &mut Value,
    base_spans: &mut SpanMap,
    child: &Value,
    child_spans: &SpanMap,
    ptr: &str,
) {
    let (Value::Object(base), Value::Object(child)) = (base, child) else {
        return;
    };
    for (key, cv) in child {
        let here = child_pointer(ptr, key);
        if let Some(Value::Object(_)) = base.get(key)
            && cv.is_object()
        {
            merge(
                base.get_mut(key).expect("checked"),
                base_spans,
                cv,
                child_spans,
                &here,
            );
            // The child wrote this block last: point at it.
            if let Some(l) = child_spans.get(&here) {
                base_spans.insert(here, l.clone());
            }
            continue;
        }
        base.insert(key.clone(), cv.clone());
        replace_subtree(base_spans, child_spans, &here);
    }
}

/// Drop every span at or under `ptr` from `into` and copy `from`'s.
fn replace_subtree(into: &mut SpanMap, from: &SpanMap, ptr: &str) {
    let prefix = format!("{ptr}/");
    let stale: Vec<String> = into
        .range(prefix.clone()..)
        .map(|(k, _)| k)
        .take_while(|k| k.starts_with(&prefix))
        .cloned()
        .collect();
    for k in stale {
        into.remove(&k);
    }
    into.remove(ptr);
    if let Some(l) = from.get(ptr) {
        into.insert(ptr.to_string(), l.clone());
    }
    for (k, l) in from
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
    {
        into.insert(k.clone(), l.clone());
    }
}

// ---------------------------------------------------------------------------
// back to KDL

/// Write a JSON object as KDL v2 whose JSON view is that object again (for
/// `envc show --format kdl`). An object whose values are all objects is
/// written as keyed entries (`table "users" { … }`), any other object as a
/// block. The few values the view cannot express (an empty list, a list
/// holding lists or objects) are written as a comment holding their JSON, and a
/// one-element list reads back as its element (the view cannot tell them apart;
/// the schema accepts either where a list is expected).
pub fn to_kdl(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) => write_block(&mut out, map, 0),
        other => out.push_str(&format!("// {other}\n")),
    }
    out
}

fn write_block(out: &mut String, map: &Map<String, Value>, depth: usize) {
    let indent = "    ".repeat(depth);
    for (key, value) in map {
        let name = kdl_string(key, true);
        match value {
            Value::Object(inner) if !inner.is_empty() && inner.values().all(Value::is_object) => {
                for (entry, body) in inner {
                    let body = body.as_object().expect("checked: all values are objects");
                    out.push_str(&format!("{indent}{name} {}", kdl_string(entry, false)));
                    write_children(out, body, depth);
                }
            }
            Value::Object(inner) => {
                out.push_str(&format!("{indent}{name}"));
                write_children(out, inner, depth);
            }
            Value::Array(items)
                if !items.is_empty() && items.iter().all(|v| !v.is_object() && !v.is_array()) =>
            {
                let args: Vec<String> = items.iter().map(kdl_scalar).collect();
                out.push_str(&format!("{indent}{name} {}\n", args.join(" ")));
            }
            Value::Array(_) => out.push_str(&format!("{indent}// {name} {value}\n")),
            scalar => out.push_str(&format!("{indent}{name} {}\n", kdl_scalar(scalar))),
        }
    }
}

fn write_children(out: &mut String, body: &Map<String, Value>, depth: usize) {
    if body.is_empty() {
        out.push_str(" {}\n");
    } else {
        out.push_str(" {\n");
        write_block(out, body, depth + 1);
        out.push_str(&format!("{}}}\n", "    ".repeat(depth)));
    }
}

fn kdl_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => kdl_string(s, false),
        Value::Bool(b) => format!("#{b}"),
        Value::Null => "#null".into(),
        other => other.to_string(),
    }
}

/// A KDL v2 string: bare when `bare_ok` and it is a plain identifier, quoted otherwise.
fn kdl_string(s: &str, bare_ok: bool) -> String {
    let plain = !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\\/(){};[]\"#=".contains(c))
        && !matches!(s, "true" | "false" | "null" | "inf" | "-inf" | "nan")
        && !s
            .trim_start_matches(['-', '+'])
            .starts_with(|c: char| c.is_ascii_digit())
        && !s.trim_start_matches(['-', '+']).starts_with(".");
    if bare_ok && plain {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Sources;
    use serde_json::json;

    const DEV: &str = "environments/dev.kdl";

    fn sources(files: &[(&str, &str)]) -> Sources {
        let mut s = Sources::default();
        for (p, t) in files {
            s.insert(&Arc::from(*p), &Arc::from(*t));
        }
        s
    }

    fn parse(path: &str, text: &str) -> Result<Document, Vec<Diagnostic>> {
        parse_document(&Arc::from(path), text)
    }

    fn ok(text: &str) -> Document {
        parse(DEV, text).unwrap_or_else(|e| panic!("{text:?} failed: {e:#?}"))
    }

    #[test]
    fn pointer_at_finds_the_innermost_key_or_value() {
        let text = "tier \"DEV\"\nfeatures {\n    xray-tracing #true\n}\nfunction \"f\" {\n    table \"users\" access=\"read\"\n    table \"roles\" access=\"write\"\n}\n";
        let doc = ok(text);
        let at = |needle: &str, plus: usize| doc.pointer_at(text.find(needle).unwrap() + plus);
        for (needle, plus, want) in [
            ("tier", 1, Some(("/tier", Part::Key))),
            ("\"DEV\"", 2, Some(("/tier", Part::Value))),
            ("features", 0, Some(("/features", Part::Key))),
            ("xray", 3, Some(("/features/xray-tracing", Part::Key))),
            ("#true", 1, Some(("/features/xray-tracing", Part::Value))),
            ("\"users\"", 1, Some(("/function/f/table/users", Part::Key))),
            (
                "\"read\"",
                1,
                Some(("/function/f/table/users/access", Part::Value)),
            ),
            // The node name of a keyed entry, the first or a later one: the map's key.
            ("table \"users\"", 2, Some(("/function/f/table", Part::Key))),
            ("table \"roles\"", 2, Some(("/function/f/table", Part::Key))),
        ] {
            let got = at(needle, plus);
            assert_eq!(
                got.as_ref().map(|(p, k)| (p.as_str(), *k)),
                want,
                "{needle}+{plus}"
            );
        }
        assert_eq!(doc.pointer_at(text.len() + 10), None);
    }

    /// Every error as `(code, line, column, message)`.
    fn errs(path: &str, text: &str) -> Vec<(&'static str, usize, usize, String)> {
        let e = match parse(path, text) {
            Ok(d) => panic!("{text:?} parsed: {}", d.value),
            Err(e) => e,
        };
        let s = sources(&[(path, text)]);
        e.into_iter()
            .map(|d| {
                let span = d.span.expect("every load error has a place");
                let (l, c) = s.line_col(&span.file, span.start);
                (d.code, l, c, d.message)
            })
            .collect()
    }

    fn text_of<'a>(text: &'a str, span: &Span) -> &'a str {
        &text[span.start..span.end]
    }

    /// `(key text, value text)` of a pointer.
    fn at<'a>(doc: &Document, text: &'a str, ptr: &str) -> (Option<&'a str>, &'a str) {
        let l = doc
            .spans
            .get(ptr)
            .unwrap_or_else(|| panic!("no span for {ptr:?}"));
        (
            l.key.as_ref().map(|k| text_of(text, k)),
            text_of(text, &l.value),
        )
    }

    fn pointers(v: &Value, ptr: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    pointers(v, child_pointer(&ptr, k), out);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    pointers(v, child_pointer(&ptr, &i.to_string()), out);
                }
            }
            _ => {}
        }
        out.push(ptr);
    }

    fn assert_complete(doc: &Document) {
        let mut all = Vec::new();
        pointers(&doc.value, String::new(), &mut all);
        for p in &all {
            let l = doc
                .spans
                .get(p)
                .unwrap_or_else(|| panic!("no span for {p:?} in {:#?}", doc.spans));
            assert!(l.value.start <= l.value.end, "{p}");
        }
        for p in doc.spans.keys() {
            assert!(
                p == "/extends" || doc.value.pointer(p).is_some(),
                "stale span {p:?}"
            );
        }
    }

    #[test]
    fn json_view_rules() {
        let cases: &[(&str, Value)] = &[
            // rule 1
            ("region \"eu-west-1\"", json!({"region": "eu-west-1"})),
            (
                "n 42\nf 1.5\nb #true\nz #null",
                json!({"n": 42, "f": 1.5, "b": true, "z": null}),
            ),
            (
                "big 18446744073709551615\nneg -9223372036854775808",
                json!({"big": u64::MAX, "neg": i64::MIN}),
            ),
            // rule 2
            (
                "alert-emails \"a@x.io\" \"b@x.io\"",
                json!({"alert-emails": ["a@x.io", "b@x.io"]}),
            ),
            ("mixed 1 \"a\" #false", json!({"mixed": [1, "a", false]})),
            // rule 3
            (
                "tags owner=\"me\" { team \"ops\" }",
                json!({"tags": {"owner": "me", "team": "ops"}}),
            ),
            (
                "features {\n xray-tracing #true\n}",
                json!({"features": {"xray-tracing": true}}),
            ),
            ("pitr", json!({"pitr": {}})),
            ("empty {}", json!({"empty": {}})),
            // rule 4, collected in written order
            (
                "table \"users\" { hash-key \"id\" }\nregion \"r\"\ntable \"orders\" ttl=\"exp\"",
                json!({"table": {"users": {"hash-key": "id"}, "orders": {"ttl": "exp"}}, "region": "r"}),
            ),
            ("t \"a\" {}", json!({"t": {"a": {}}})),
            // rule 4 nested
            (
                "table \"users\" {\n gsi \"by-email\" hash-key=\"email\"\n gsi \"by-name\" { hash-key \"name\" }\n}",
                json!({"table": {"users": {"gsi": {"by-email": {"hash-key": "email"}, "by-name": {"hash-key": "name"}}}}}),
            ),
            // slashdash and comments are not part of the view
            (
                "/- gone 1\nkept 1 /- 2 // c\n/* x */ k2 { /- a 1\n b 2 }",
                json!({"kept": 1, "k2": {"b": 2}}),
            ),
            ("", json!({})),
        ];
        for (text, want) in cases {
            let doc = ok(text);
            assert_eq!(&doc.value, want, "{text}");
            assert_complete(&doc);
            // Key order is the written order.
            assert_eq!(doc.value.to_string(), want.to_string(), "{text}");
        }
    }

    #[test]
    fn spans_of_each_rule() {
        let text = "region \"eu-west-1\"\nalert-emails \"a@x.io\" \"b@x.io\"\ntags owner=\"me\" {\n    team \"ops\"\n}\ntable \"users\" ttl = \"exp\" {\n    hash-key \"id\"\n}\ntable \"orders\"  p=1\n";
        let doc = ok(text);
        assert_complete(&doc);
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("", None, text),
            ("/region", Some("region"), "\"eu-west-1\""),
            (
                "/alert-emails",
                Some("alert-emails"),
                "\"a@x.io\" \"b@x.io\"",
            ),
            ("/alert-emails/0", None, "\"a@x.io\""),
            ("/alert-emails/1", None, "\"b@x.io\""),
            (
                "/tags",
                Some("tags"),
                "tags owner=\"me\" {\n    team \"ops\"\n}",
            ),
            ("/tags/owner", Some("owner"), "\"me\""),
            ("/tags/team", Some("team"), "\"ops\""),
            (
                "/table",
                Some("table"),
                "table \"users\" ttl = \"exp\" {\n    hash-key \"id\"\n}",
            ),
            (
                "/table/users",
                Some("\"users\""),
                "table \"users\" ttl = \"exp\" {\n    hash-key \"id\"\n}",
            ),
            ("/table/users/ttl", Some("ttl"), "\"exp\""),
            ("/table/users/hash-key", Some("hash-key"), "\"id\""),
            ("/table/orders", Some("\"orders\""), "table \"orders\"  p=1"),
            ("/table/orders/p", Some("p"), "1"),
        ];
        for (ptr, key, value) in cases {
            assert_eq!(at(&doc, text, ptr), (*key, *value), "{ptr}");
        }
        let s = sources(&[(DEV, text)]);
        let l = &doc.spans["/table/users/hash-key"];
        assert_eq!(s.line_col(DEV, l.key.as_ref().unwrap().start), (7, 5));
        assert_eq!(s.line_col(DEV, l.value.start), (7, 14));
    }

    /// A comment after a block's last child may hold braces: the block still ends at
    /// its own closing brace (the example's `bucket "audit"` has such a comment).
    #[test]
    fn a_block_ends_at_its_brace_not_at_one_in_a_comment() {
        let text = "bucket \"audit\" {\n    days 1\n    // set `bucket \"audit\" { … }` and \"}\"\n    /* } */\n}\nalarms {\n    x 1\n}\n";
        let doc = ok(text);
        let block = "bucket \"audit\" {\n    days 1\n    // set `bucket \"audit\" { … }` and \"}\"\n    /* } */\n}";
        assert_eq!(at(&doc, text, "/bucket/audit"), (Some("\"audit\""), block));
        assert_eq!(
            at(&doc, text, "/alarms"),
            (Some("alarms"), "alarms {\n    x 1\n}")
        );
    }

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped() {
        let text =
            "route \"GET /users/{id}\" function=\"get-user\"\nroute \"a~b\" function=\"f\"\n";
        let doc = ok(text);
        assert_complete(&doc);
        assert_eq!(
            doc.value["route"]["GET /users/{id}"]["function"],
            "get-user"
        );
        assert_eq!(
            doc.value.pointer("/route/GET ~1users~1{id}/function"),
            Some(&json!("get-user"))
        );
        assert_eq!(
            at(&doc, text, "/route/GET ~1users~1{id}"),
            (
                Some("\"GET /users/{id}\""),
                "route \"GET /users/{id}\" function=\"get-user\""
            )
        );
        assert_eq!(
            at(&doc, text, "/route/a~0b/function"),
            (Some("function"), "\"f\"")
        );
    }

    #[test]
    fn every_pointer_has_a_span() {
        let text = r#"// a rich project-like document
name "access"
tier "PROD"
pitr
alert-emails "a@x.io" "b@x.io" "c@x.io"
tags owner="platform" "cost center"="42" {
    team "ops"
}
flags {
    beta #true
    ratio 0.5
    label "x"
    nothing #null
}
table "users" ttl="expires" {
    hash-key "id"
    gsi "by-email" hash-key="email" projection="ALL"
    gsi "by/slash~tilde" { hash-key "x"; range-key "y" }
    attributes "id" "email"
}
table "orders" { hash-key "order-id" }
route "GET /users/{id}" function="get-user" auth=#true
route "POST /users" function="create-user"
dashboard {
    widget "errors" { metrics "a" "b"; period 60 }
    deep { deeper { deepest { x 1 } } }
}
"#;
        let doc = ok(text);
        assert_complete(&doc);
        assert!(doc.spans.len() > 40, "{}", doc.spans.len());
    }

    #[test]
    fn kdl_v1_documents_are_accepted() {
        let text = "tier \"DEV\"\npitr true\nnothing null\nraw r\"C:\\path\"\nfeatures {\n    xray-tracing false\n}\ntable \"users\" ttl=\"exp\" {\n    hash-key \"id\"\n}\n";
        let doc = ok(text);
        assert_eq!(
            doc.value,
            json!({"tier": "DEV", "pitr": true, "nothing": null, "raw": "C:\\path",
                   "features": {"xray-tracing": false}, "table": {"users": {"ttl": "exp", "hash-key": "id"}}})
        );
        assert_complete(&doc);
        assert_eq!(at(&doc, text, "/pitr"), (Some("pitr"), "true"));
        assert_eq!(at(&doc, text, "/table/users/ttl"), (Some("ttl"), "\"exp\""));
        assert_eq!(
            at(&doc, text, "/features"),
            (Some("features"), "features {\n    xray-tracing false\n}")
        );
    }

    #[test]
    fn errors_point_at_their_place() {
        type Case = (
            &'static str,
            &'static [(&'static str, usize, usize, &'static str)],
        );
        let cases: &[Case] = &[
            // repeated keys (rules 1–3)
            (
                "region \"a\"\nregion \"b\"",
                &[(DUPLICATE, 2, 1, "`region` is set twice")],
            ),
            ("a 1 2\na 3", &[(DUPLICATE, 2, 1, "`a` is set twice")]),
            (
                "tags {}\ntags { x 1 }",
                &[(DUPLICATE, 2, 1, "`tags` is set twice")],
            ),
            ("tags a=1 a=2", &[(DUPLICATE, 1, 10, "`a` is set twice")]),
            (
                "tags a=1 {\n  a 2\n}",
                &[(DUPLICATE, 2, 3, "`a` is set twice")],
            ),
            // keyed entries
            (
                "table \"u\" {}\ntable \"u\" x=1",
                &[(DUPLICATE, 2, 7, "`table \"u\"` is set twice")],
            ),
            (
                "table \"u\" {}\ntable 1",
                &[(
                    DUPLICATE,
                    2,
                    1,
                    "`table` is set twice: once as keyed entries",
                )],
            ),
            (
                "table 1\ntable \"u\" {}",
                &[(
                    DUPLICATE,
                    2,
                    1,
                    "`table` is set twice: once as a plain value",
                )],
            ),
            (
                "table 1 { x 1 }",
                &[(
                    KEY_NOT_STRING,
                    1,
                    7,
                    "the argument of `table` must be a string",
                )],
            ),
            // several arguments and a block
            (
                "x {\n  gsi \"a\" \"b\" p=1\n}",
                &[(NODE_SHAPE, 2, 3, "`gsi` has several arguments")],
            ),
            // type annotations
            (
                "(t)region \"a\"",
                &[(TYPE_ANNOTATION, 1, 2, "type annotations are not supported")],
            ),
            (
                "region (t)\"a\"",
                &[(TYPE_ANNOTATION, 1, 9, "type annotations are not supported")],
            ),
            (
                "t p=(u)1",
                &[(TYPE_ANNOTATION, 1, 6, "type annotations are not supported")],
            ),
            // numbers
            (
                "n 170141183460469231731687303715884105727",
                &[(
                    NUMBER,
                    1,
                    3,
                    "the number `170141183460469231731687303715884105727` is too large",
                )],
            ),
            ("n #inf", &[(NUMBER, 1, 3, "numbers must be finite")]),
            ("n #nan", &[(NUMBER, 1, 3, "numbers must be finite")]),
            ("t p=1.0e999", &[(NUMBER, 1, 5, "numbers must be finite")]),
            // all errors, not only the first
            (
                "a 1\na 2\nb {\n  c x=1 x=2\n}\nb 3",
                &[
                    (DUPLICATE, 2, 1, "`a` is set twice"),
                    (DUPLICATE, 4, 9, "`x` is set twice"),
                    (DUPLICATE, 6, 1, "`b` is set twice"),
                ],
            ),
        ];
        for (text, want) in cases {
            let got = errs(DEV, text);
            assert_eq!(got.len(), want.len(), "{text:?}: {got:#?}");
            for (g, w) in got.iter().zip(want.iter()) {
                assert_eq!((g.0, g.1, g.2), (w.0, w.1, w.2), "{text:?}: {got:#?}");
                assert!(
                    g.3.starts_with(w.3),
                    "{text:?}: {:?} does not start with {:?}",
                    g.3,
                    w.3
                );
            }
        }
    }

    #[test]
    fn kdl_syntax_errors_keep_kdl_places_and_help() {
        let got = parse(DEV, "region \"eu-west-1\nfoo 1\n").unwrap_err();
        assert!(
            got.iter().all(|d| d.code == SYNTAX && d.span.is_some()),
            "{got:#?}"
        );
        let s = sources(&[(DEV, "region \"eu-west-1\nfoo 1\n")]);
        let first = &got[0];
        assert_eq!(s.line_col(DEV, first.span.as_ref().unwrap().start), (1, 8));
        assert_eq!(
            first.message,
            "unexpected newline in single-line quoted string"
        );
        assert!(
            first.help.as_deref().unwrap_or_default().contains("\"\"\""),
            "{first:#?}"
        );
        // Neither v2 nor v1: the v2 errors are reported.
        let got = errs(DEV, "a {");
        assert!(got.iter().all(|e| e.0 == SYNTAX), "{got:#?}");
        assert_eq!((got[0].1, got[0].2), (1, 3));
    }

    #[test]
    fn nesting_is_limited_without_overflowing_the_stack() {
        let nest = |n: usize| format!("{}x 1{}", "a {".repeat(n), "}".repeat(n));
        // 64 levels pass, even on the 2 MiB stack of a test thread.
        let doc = ok(&nest(MAX_DEPTH));
        assert_complete(&doc);
        for n in [MAX_DEPTH + 1, 20_000] {
            let got = errs(DEV, &nest(n));
            assert_eq!(
                got,
                vec![(
                    TOO_DEEP,
                    1,
                    3 * MAX_DEPTH + 3,
                    "blocks are nested deeper than 64 levels".into()
                )]
            );
        }
        // Braces in strings and comments do not count.
        let many = "{".repeat(100);
        let v2 = format!(
            "a \"{many}\"\nb #\"{many}\"#\n// {many}\n/* /* {many} */ */\nd \"\"\"\n{many}\n\"\"\"\ne ##\"\"\"\n\"# {many}\n\"\"\"##\n"
        );
        let doc = ok(&v2);
        assert_eq!(doc.value["a"], json!(many));
        assert_eq!(doc.value["e"], json!(format!("\"# {many}")));
        let v1 = format!("a \"\\\"{many}\"\nc r#\"{many}\"#\nd r\"{many}\" x=true {{\n}}\n");
        assert_eq!(ok(&v1).value["d"], json!({many.as_str(): {"x": true}}));
        // Deep JSON is refused by us (64) before jsonc-parser's own limit (512).
        let deep_json = format!("{{\"a\": {}{}}}", "[".repeat(100), "]".repeat(100));
        let got = errs("environments/dev.json", &deep_json);
        assert_eq!(
            got,
            vec![(
                TOO_DEEP,
                1,
                7 + MAX_DEPTH,
                "blocks are nested deeper than 64 levels".into()
            )]
        );
    }

    const JSON: &str = r#"{
  "$schema": "../schemas/environment.schema.json",
  // comments are allowed
  "tier": "DEV",
  "alert-emails": ["a@x.io", "b@x.io"],
  "features": { "xray-tracing": true, "n": 1.5 },
  "route": { "GET /users/{id}": { "function": "get-user" } }
}
"#;

    #[test]
    fn json_files_have_the_same_view_and_spans() {
        let path = "environments/dev.json";
        let doc = parse(path, JSON).unwrap();
        assert_eq!(
            doc.value,
            json!({"tier": "DEV", "alert-emails": ["a@x.io", "b@x.io"], "features": {"xray-tracing": true, "n": 1.5},
                   "route": {"GET /users/{id}": {"function": "get-user"}}})
        );
        assert_complete(&doc);
        assert!(!doc.spans.contains_key("/$schema"));
        assert_eq!(at(&doc, JSON, "/tier"), (Some("\"tier\""), "\"DEV\""));
        assert_eq!(at(&doc, JSON, "/alert-emails/1"), (None, "\"b@x.io\""));
        assert_eq!(
            at(&doc, JSON, "/features"),
            (
                Some("\"features\""),
                "{ \"xray-tracing\": true, \"n\": 1.5 }"
            )
        );
        assert_eq!(
            at(&doc, JSON, "/route/GET ~1users~1{id}/function"),
            (Some("\"function\""), "\"get-user\"")
        );
        let s = sources(&[(path, JSON)]);
        assert_eq!(
            s.line_col(path, doc.spans["/features/n"].value.start),
            (6, 44)
        );
    }

    #[test]
    fn json_errors() {
        let path = "environments/dev.json";
        let cases: &[(&str, &str, usize, usize, &str)] = &[
            (
                "{\"a\": 1,\n \"a\": 2}",
                DUPLICATE,
                2,
                2,
                "`a` is set twice",
            ),
            (
                "{\"a\": 1,}",
                SYNTAX,
                1,
                8,
                "trailing commas are not allowed",
            ),
            ("{\"a\": }", SYNTAX, 1, 7, ""),
            (
                "[1]",
                SYNTAX,
                1,
                1,
                "a JSON input file must hold one object",
            ),
            ("", SYNTAX, 1, 1, "a JSON input file must hold one object"),
            (
                "{\"n\": 1e999}",
                NUMBER,
                1,
                7,
                "the number `1e999` is out of range",
            ),
        ];
        for (text, code, line, col, msg) in cases {
            let got = errs(path, text);
            assert_eq!(got.len(), 1, "{text:?}: {got:#?}");
            assert_eq!(
                (got[0].0, got[0].1, got[0].2),
                (*code, *line, *col),
                "{text:?}: {got:#?}"
            );
            assert!(got[0].3.starts_with(msg), "{text:?}: {got:#?}");
        }
    }

    // ------------------------------------------------------------------ extends

    fn docs(files: &[(&str, &str)]) -> BTreeMap<String, Document> {
        files
            .iter()
            .map(|(stem, text)| {
                let path = format!("environments/{stem}.kdl");
                (stem.to_string(), parse(&path, text).unwrap())
            })
            .collect()
    }

    #[test]
    fn extends_chain_of_three_merges_and_keeps_spans_per_file() {
        let root = "tier \"DEV\"\nalert-emails \"a@x.io\" \"b@x.io\"\nfeatures {\n    xray-tracing #false\n    detailed-metrics #true\n}\ntags { owner \"root\" }\ntable \"t\" { k 1 }\n";
        let base =
            "extends \"root\"\nregion \"eu-west-1\"\nfeatures {\n    xray-tracing #true\n}\n";
        let dev = "extends \"_base\"\nalert-emails \"dev@x.io\"\ntags \"not an object\"\ntable \"u\" { k 2 }\n";
        let all = docs(&[("root", root), ("_base", base), ("dev", dev)]);
        let doc = resolve_extends("dev", &all).unwrap();
        assert_eq!(
            doc.value,
            json!({
                "tier": "DEV",
                "alert-emails": "dev@x.io",
                "features": {"xray-tracing": true, "detailed-metrics": true},
                "tags": "not an object",
                "table": {"t": {"k": 1}, "u": {"k": 2}},
                "region": "eu-west-1",
            })
        );
        assert_eq!(&*doc.path, "environments/dev.kdl");
        assert_complete(&doc);
        let file = |ptr: &str| doc.spans[ptr].value.file.to_string();
        let cases = [
            ("", "dev"),
            ("/tier", "root"),
            ("/alert-emails", "dev"),
            ("/features", "_base"),
            ("/features/xray-tracing", "_base"),
            ("/features/detailed-metrics", "root"),
            ("/tags", "dev"),
            ("/region", "_base"),
            ("/table/t/k", "root"),
            ("/table/u/k", "dev"),
            ("/extends", "dev"),
        ];
        for (ptr, stem) in cases {
            assert_eq!(file(ptr), format!("environments/{stem}.kdl"), "{ptr}");
        }
        // Replaced subtrees leave no stale pointers behind.
        assert!(!doc.spans.contains_key("/alert-emails/1"));
        assert!(!doc.spans.contains_key("/alert-emails/0"));
        assert!(!doc.spans.contains_key("/tags/owner"));
        // And the spans are right inside their files.
        let s = sources(&[
            ("environments/root.kdl", root),
            ("environments/_base.kdl", base),
            ("environments/dev.kdl", dev),
        ]);
        let l = &doc.spans["/features/detailed-metrics"];
        assert_eq!(s.line_col(&l.value.file, l.value.start), (5, 22));
        let l = &doc.spans["/features/xray-tracing"];
        assert_eq!(s.line_col(&l.value.file, l.value.start), (4, 18));
        // Without `extends` the document is itself, minus nothing.
        let alone = resolve_extends("root", &all).unwrap();
        assert_eq!(alone.value, all["root"].value);
    }

    #[test]
    fn extends_errors_name_the_chain() {
        let s = sources(&[
            ("environments/dev.kdl", "extends \"_base\"\n"),
            ("environments/_base.kdl", "tier \"DEV\"\nextends \"dev\"\n"),
        ]);
        let all = docs(&[
            ("dev", "extends \"_base\"\n"),
            ("_base", "tier \"DEV\"\nextends \"dev\"\n"),
        ]);
        let e = resolve_extends("dev", &all).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, EXTENDS_CYCLE);
        assert_eq!(e[0].message, "`extends` forms a cycle: dev → _base → dev");
        let span = e[0].span.as_ref().unwrap();
        assert_eq!(
            (&*span.file, s.line_col(&span.file, span.start)),
            ("environments/_base.kdl", (2, 9))
        );

        let all = docs(&[("dev", "extends \"dev\"\n")]);
        let e = resolve_extends("dev", &all).unwrap_err();
        assert_eq!(e[0].message, "`extends` forms a cycle: dev → dev");

        let all = docs(&[
            ("dev", "tier \"DEV\"\nextends \"_bsae\"\n"),
            ("_base", "tier \"DEV\"\n"),
            ("prod", ""),
        ]);
        let e = resolve_extends("dev", &all).unwrap_err();
        assert_eq!(e[0].code, EXTENDS_MISSING);
        assert_eq!(
            e[0].message,
            "`extends` names `_bsae`, which does not exist (dev → _bsae)"
        );
        assert_eq!(e[0].help.as_deref(), Some("did you mean `_base`?"));
        let span = e[0].span.as_ref().unwrap();
        assert_eq!(span.start, "tier \"DEV\"\nextends ".len());

        let all = docs(&[("dev", "extends \"zzzzzz\"\n"), ("_base", ""), ("prod", "")]);
        let e = resolve_extends("dev", &all).unwrap_err();
        assert_eq!(
            e[0].help.as_deref(),
            Some("the files that can be extended are `_base`, `dev`, `prod`")
        );

        let all = docs(&[("dev", "extends 1\n")]);
        let e = resolve_extends("dev", &all).unwrap_err();
        assert_eq!(e[0].code, EXTENDS_TYPE);
        assert_eq!(e[0].span.as_ref().map(|s| s.start), Some(8));

        let e = resolve_extends("nope", &all).unwrap_err();
        assert_eq!(e[0].code, EXTENDS_MISSING);
    }

    #[test]
    fn json_environments_extend_kdl_ones() {
        let mut all = docs(&[("_base", "tier \"DEV\"\nfeatures { xray-tracing #true }\n")]);
        let text = "{\"extends\": \"_base\", \"features\": {\"detailed-metrics\": true}}";
        all.insert("dev".into(), parse("environments/dev.json", text).unwrap());
        let doc = resolve_extends("dev", &all).unwrap();
        assert_eq!(
            doc.value,
            json!({"tier": "DEV", "features": {"xray-tracing": true, "detailed-metrics": true}})
        );
        assert_eq!(
            &*doc.spans["/features/xray-tracing"].value.file,
            "environments/_base.kdl"
        );
        assert_eq!(
            &*doc.spans["/features/detailed-metrics"].value.file,
            "environments/dev.json"
        );
        assert_complete(&doc);
    }

    #[test]
    fn to_kdl_round_trips_through_the_view() {
        let cases = [
            json!({}),
            json!({"tier": "PROD", "pitr": true, "n": 3, "f": 0.5, "z": null, "neg": -2}),
            json!({"alert-emails": ["a@x.io", "b@x.io"]}),
            json!({"features": {"xray-tracing": true}, "empty": {}}),
            json!({"table": {"users": {"hash-key": "id", "gsi": {"by-email": {"hash-key": "email"}}}, "orders": {}}}),
            json!({"route": {"GET /users/{id}": {"function": "get-user"}}, "weird key": "a\"b\\c\nd\u{1}", "1st": "#true", "true": "null"}),
        ];
        for want in cases {
            let text = to_kdl(&want);
            let doc = parse(DEV, &text).unwrap_or_else(|e| panic!("{text}\n{e:#?}"));
            assert_eq!(doc.value, want, "{text}");
        }
        assert_eq!(
            to_kdl(
                &json!({"table": {"users": {"hash-key": "id"}}, "tags": {"owner": "me"}, "list": [1, "a"]})
            ),
            "table \"users\" {\n    hash-key \"id\"\n}\ntags {\n    owner \"me\"\n}\nlist 1 \"a\"\n"
        );
    }
}
