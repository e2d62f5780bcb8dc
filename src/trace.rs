//! Trace: which model values decide each line a template writes.
//!
//! [`crate::render`] renders every template twice over its life: plainly for `build`, and
//! traced for `envc explain`, the documentation and the provenance tests. A traced render
//! differs in three ways, none of which a template author writes:
//!
//! - The context is made of [`Tracked`] objects (the model's JSON, by path). Each read
//!   is logged: a leaf value (`project.tables[0].name`), an element of a list (the loop
//!   variable of a `for`), the truth of a list or object (`{% if env.flags %}`), the
//!   enumeration of a list (an empty `for`). Leaves stay plain values, so comparisons,
//!   tests and filters behave exactly as in a plain render.
//! - The output goes through a sink that knows its offset. The formatter (every
//!   `{{ … }}`) claims the reads logged since the last event for the bytes it writes; an
//!   object or list written whole is encoded with [`crate::format::encode_traced`], which
//!   says which element landed on which line.
//! - The templates are loaded through [`instrument`], which adds tags that write nothing
//!   around each `if`/`elif`/`else`/`for`: a mark before the tag, an enter after it and an
//!   exit before the next branch or the end. The reads between mark and enter decide the
//!   branch, and every byte written until the exit inherits them, so a line inside
//!   `{% if env.cross_region_replication %}` is decided by that value too.
//!
//! A read that no output and no condition claims (a leaf read in a `{% set %}` and used
//! later) cannot be attributed honestly: the traced render fails with the template's
//! name rather than guess. Macros render into a buffer the sink does not see; a macro
//! that writes model values is refused the same way (none does).

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value as JValue};
use minijinja::{Error, ErrorKind};
use serde_json::Value;

use crate::load::escape_pointer;

/// What a template did with a model value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Read {
    /// Read a leaf value (or found a key missing).
    Leaf(Arc<str>),
    /// Took an element of a list: the element exists.
    Item(Arc<str>),
    /// Tested a list or object for truth: whether it is empty (or absent).
    Truth(Arc<str>),
    /// Enumerated a list or object (a `for` over it, `in`): its membership.
    Iter(Arc<str>),
    /// Took the length of a list or object (`| length`): each element counts.
    Len(Arc<str>),
}

impl Read {
    pub fn path(&self) -> &str {
        match self {
            Read::Leaf(p) | Read::Item(p) | Read::Truth(p) | Read::Iter(p) | Read::Len(p) => p,
        }
    }
}

/// How a read reaches a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// The value is written on the line.
    Value,
    /// The value decides whether (or how often) the line is written.
    Condition,
}

/// One reason of one generated line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reason {
    pub via: Via,
    pub read: Read,
}

/// A render's log, kept per thread for the duration of one traced render.
#[derive(Default)]
struct Recorder {
    out: Vec<u8>,
    pending: Vec<Read>,
    /// Open branches: the reads that decided them, where they start, whether inline.
    frames: Vec<(Vec<Read>, usize, bool)>,
    /// Per `for` tag: the reads of its header (the loop expression), kept for later iterations.
    headers: std::collections::HashMap<u32, Vec<Read>>,
    values: Vec<(Range<usize>, Vec<Read>)>,
    scopes: Vec<(Range<usize>, Vec<Read>, bool)>,
    /// Reads that decided between branches holding `resource` or `module` blocks (or
    /// how often a loop of them runs): which blocks the file declares depends on them.
    absent: Vec<(String, Read)>,
    /// What `hcl(indent)` encoded last, with the reads of each element (by offset).
    encoded: Option<(String, Vec<(usize, Read)>)>,
    error: Option<String>,
}

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    RECORDER.with(|r| r.borrow_mut().as_mut().map(f))
}

fn log(read: Read) {
    with(|r| r.pending.push(read));
}

/// What a traced render produced: the text and, per event, where it applies.
pub struct Log {
    pub text: String,
    values: Vec<(Range<usize>, Vec<Read>)>,
    scopes: Vec<(Range<usize>, Vec<Read>, bool)>,
    /// Per resource type: the reads that decided which `resource` blocks of that type
    /// the file declares, including those a branch not taken would have declared.
    pub absent: Vec<(String, Read)>,
}

/// Run `render` with a fresh recorder on this thread, writing into the sink it is given.
pub fn record(render: impl FnOnce(&mut Sink) -> Result<(), Error>) -> Result<Log, String> {
    RECORDER.with(|r| *r.borrow_mut() = Some(Recorder::default()));
    let result = render(&mut Sink);
    let rec = RECORDER.with(|r| r.borrow_mut().take()).unwrap_or_default();
    result.map_err(|e| format!("{e:#}"))?;
    if let Some(e) = rec.error {
        return Err(e);
    }
    if let Some(read) = rec.pending.first() {
        return Err(orphan(read));
    }
    Ok(Log {
        text: String::from_utf8(rec.out).map_err(|e| e.to_string())?,
        values: rec.values,
        scopes: rec.scopes,
        absent: rec.absent,
    })
}

fn orphan(read: &Read) -> String {
    format!(
        "`{}` is read where nothing is written and nothing is decided (a `{{% set %}}`?); \
         envc cannot trace it to the lines that use it: write the expression where its value is used",
        read.path().replace('/', ".")
    )
}

/// The output of a traced render: appends to the recorder and so knows its offset.
pub struct Sink;

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        with(|r| r.out.extend_from_slice(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn offset() -> usize {
    with(|r| r.out.len()).unwrap_or(0)
}

/// The formatter's part: write `text` for a `{{ … }}`, claiming the pending reads for
/// it, and `fine` (element reads at offsets into `text`) for the lines they land on.
pub fn write_value(
    out: &mut minijinja::Output<'_>,
    text: &str,
    fine: Vec<(usize, Read)>,
) -> Result<(), Error> {
    let reads = with(|r| std::mem::take(&mut r.pending)).unwrap_or_default();
    let start = offset();
    out.write_str(text).map_err(Error::from)?;
    let end = offset();
    if end - start != text.len() && !(reads.is_empty() && fine.is_empty()) {
        // Written into a macro's or a filter block's buffer: no offset to attribute to.
        with(|r| {
            r.error.get_or_insert_with(|| {
                format!(
                    "`{}` is written inside a macro; envc cannot trace macro output: write it in the template",
                    reads.first().or(fine.first().map(|f| &f.1)).map_or("a value", |r| r.path())
                )
            });
        });
        return Ok(());
    }
    with(|r| {
        if !reads.is_empty() {
            r.values.push((start..end, reads));
        }
        for (at, read) in fine {
            r.values.push((start + at..start + at, vec![read]));
        }
    });
    Ok(())
}

/// `hcl(indent)` encoded `text` from a tracked value: keep its element reads for the
/// formatter, which writes it next.
pub fn stash_encoded(text: &str, fine: Vec<(usize, Read)>) {
    with(|r| r.encoded = Some((text.to_string(), fine)));
}

/// The element reads of `text` if `hcl(indent)` just encoded it.
pub fn take_encoded(text: &str) -> Vec<(usize, Read)> {
    with(|r| match r.encoded.take() {
        Some((t, fine)) if t == text => fine,
        _ => Vec::new(),
    })
    .unwrap_or_default()
}

/// `__mark(id)`: a branch tag follows; its condition's reads start here.
pub fn mark(id: u32) {
    with(|r| {
        if let Some(read) = r.pending.first()
            && r.error.is_none()
        {
            r.error = Some(orphan(read));
        }
        r.pending.clear();
        r.headers.remove(&id);
    });
}

/// `__enter(id, kind, inline, declares)`: a branch starts (an `if` branch, a `for`
/// iteration, a `for`'s `else`); what decided it was read since the mark.
/// `declares`: the resource types whose blocks the construct's branches hold.
pub fn enter(id: u32, kind: &str, inline: bool, declares: &str) {
    with(|r| {
        if !declares.is_empty() {
            for ty in declares.split(',') {
                for read in &r.pending {
                    // How many blocks a loop declares changes with each element.
                    let read = match read {
                        Read::Iter(p) => Read::Len(p.clone()),
                        other => other.clone(),
                    };
                    r.absent.push((ty.to_string(), read));
                }
            }
        }
        let mut reads = std::mem::take(&mut r.pending);
        if kind == "for" {
            // Every iteration is decided by the loop's header (read once, before the
            // first) and by its own element; not by the list's membership as a whole.
            reads.retain(|x| !matches!(x, Read::Iter(_) | Read::Len(_)));
            match r.headers.get(&id) {
                Some(header) => {
                    let mut all = header.clone();
                    all.extend(reads);
                    reads = all;
                }
                None => {
                    let mut header = reads.clone();
                    if matches!(header.last(), Some(Read::Item(_))) {
                        header.pop();
                    }
                    r.headers.insert(id, header);
                }
            }
        }
        let start = r.out.len();
        r.frames.push((reads, start, inline));
    });
}

/// `__exit(id)`: the branch ends.
pub fn exit() {
    with(|r| {
        if let Some(read) = r.pending.first()
            && r.error.is_none()
        {
            r.error = Some(orphan(read));
        }
        r.pending.clear();
        if let Some((reads, start, inline)) = r.frames.pop() {
            let end = r.out.len();
            r.scopes.push((start..end, reads, inline));
        }
    });
}

impl Log {
    /// The reasons of every line of the text, by 0-based line of [`Log::text`].
    pub fn lines(&self) -> Vec<Vec<Reason>> {
        let text = &self.text;
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if starts.last() == Some(&text.len()) && !text.is_empty() {
            starts.pop();
        }
        let line_of = |x: usize| starts.partition_point(|&s| s <= x).saturating_sub(1);
        let mut lines: Vec<Vec<Reason>> = vec![Vec::new(); starts.len()];
        let mut add = |line: usize, via: Via, reads: &[Read]| {
            if let Some(l) = lines.get_mut(line) {
                for read in reads {
                    let r = Reason {
                        via,
                        read: read.clone(),
                    };
                    if !l.contains(&r) {
                        l.push(r);
                    }
                }
            }
        };
        for (range, reads) in &self.values {
            let last = if range.end > range.start {
                range.end - 1
            } else {
                range.start
            };
            for line in line_of(range.start)..=line_of(last) {
                add(line, Via::Value, reads);
            }
        }
        for (range, reads, inline) in &self.scopes {
            if range.end > range.start {
                for line in line_of(range.start)..=line_of(range.end - 1) {
                    add(line, Via::Condition, reads);
                }
            } else if *inline {
                // An inline branch that wrote nothing still shaped the line it is on.
                add(line_of(range.start), Via::Condition, reads);
            }
        }
        lines
    }
}

// ---------------------------------------------------------------------------
// The tracked context

/// A list or object of the model, by its path (`project/tables/0`), that logs every read.
#[derive(Debug)]
pub struct Tracked {
    root: Arc<Value>,
    pointer: String,
    path: Arc<str>,
}

impl Tracked {
    /// The model root `name` (`project`, `env`, …) as a template value.
    pub fn root(name: &str, value: Value) -> JValue {
        JValue::from_object(Tracked {
            root: Arc::new(value),
            pointer: String::new(),
            path: name.into(),
        })
    }

    pub fn json(&self) -> &Value {
        self.root.pointer(&self.pointer).unwrap_or(&Value::Null)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn len(&self) -> usize {
        match self.json() {
            Value::Array(a) => a.len(),
            Value::Object(m) => m.len(),
            _ => 0,
        }
    }
}

impl Object for Tracked {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        if self.json().is_array() {
            ObjectRepr::Seq
        } else {
            ObjectRepr::Map
        }
    }

    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        let (token, child, seq) = match self.json() {
            Value::Array(a) => {
                let i = key.as_usize()?;
                (i.to_string(), a.get(i), true)
            }
            Value::Object(m) => {
                let k = key.as_str()?;
                (k.to_string(), m.get(k), false)
            }
            _ => return None,
        };
        let token = escape_pointer(&token);
        let path: Arc<str> = format!("{}/{token}", self.path).into();
        match child {
            None => {
                if !seq {
                    log(Read::Leaf(path));
                }
                None
            }
            Some(c) if c.is_object() || c.is_array() => {
                if seq {
                    log(Read::Item(path.clone()));
                }
                Some(JValue::from_object(Tracked {
                    root: self.root.clone(),
                    pointer: format!("{}/{token}", self.pointer),
                    path,
                }))
            }
            Some(leaf) => {
                log(Read::Leaf(path));
                Some(JValue::from(minijinja::value::Serde(leaf.clone())))
            }
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        log(Read::Iter(self.path.clone()));
        match self.json() {
            Value::Array(a) => Enumerator::Seq(a.len()),
            Value::Object(m) => {
                // Each key, as it is taken: a `for` over the keys reads each one.
                let path = self.path.clone();
                let keys: Vec<String> = m.keys().cloned().collect();
                Enumerator::Iter(Box::new(keys.into_iter().map(move |k| {
                    log(Read::Leaf(format!("{path}/{}", escape_pointer(&k)).into()));
                    JValue::from(k)
                })))
            }
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        // `| length`: every element counts.
        log(Read::Len(self.path.clone()));
        Some(self.len())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        log(Read::Truth(self.path.clone()));
        self.len() != 0
    }
}

/// The element reads of a tracked value written whole, by offset into `encoded`'s
/// text: each leaf and each object key where [`crate::format::encode_traced`] wrote it.
pub fn element_reads(t: &Tracked, at: Vec<(usize, String, bool)>) -> Vec<(usize, Read)> {
    at.into_iter()
        .map(|(offset, pointer, leaf)| {
            let path: Arc<str> = format!("{}{pointer}", t.path).into();
            (
                offset,
                if leaf {
                    Read::Leaf(path)
                } else {
                    Read::Item(path)
                },
            )
        })
        .collect()
}

/// Reject a value the formatter cannot write (kept next to the tracked path for symmetry).
pub fn not_an_object() -> Error {
    Error::new(ErrorKind::InvalidOperation, "objects need `| hcl(indent)`")
}

// ---------------------------------------------------------------------------
// Instrumenting templates

/// Adds the tags that delimit branches to a template's source: before each `if` and
/// `for` a `__mark`, after each `if`/`elif`/`else`/`for` an `__enter`, before each
/// `elif`/`else`/`endif`/`endfor` an `__exit`. An `if` or `for` without an `else` gets
/// an empty one, so that a branch not taken still claims the reads that decided it (and
/// marks its line, when inline). The tags write
/// nothing and keep `trim_blocks`/`lstrip_blocks` intact (the whitespace modifiers of an
/// original tag move to the outermost added one), so the output is byte-identical.
pub fn instrument(source: &str) -> String {
    let mut out = String::with_capacity(source.len() * 2);
    // Open `if`/`for` tags: id, kind, whether inline, whether an `else` was seen.
    let mut open: Vec<(u32, &'static str, bool, bool, String)> = Vec::new();
    let mut next_id = 0u32;
    let mut i = 0;
    let bytes = source.as_bytes();
    while i < source.len() {
        let Some(rel) = source[i..].find('{') else {
            out.push_str(&source[i..]);
            break;
        };
        let at = i + rel;
        out.push_str(&source[i..at]);
        let rest = &source[at..];
        if rest.starts_with("{#") {
            let end = rest.find("#}").map_or(rest.len(), |e| e + 2);
            out.push_str(&rest[..end]);
            i = at + end;
            continue;
        }
        if rest.starts_with("{{") {
            let end = tag_end(rest, "}}");
            out.push_str(&rest[..end]);
            i = at + end;
            continue;
        }
        if !rest.starts_with("{%") {
            out.push('{');
            i = at + 1;
            continue;
        }
        let end = tag_end(rest, "%}");
        let tag = &rest[..end];
        i = at + end;
        let inner = tag[2..tag.len() - 2]
            .trim_start_matches(['-', '+'])
            .trim_end_matches(['-', '+']);
        let keyword = inner.split_whitespace().next().unwrap_or("");
        // Block style: alone on its line (only blanks before it on the line, a newline after it).
        let line_start = source[..at].rfind('\n').map_or(0, |n| n + 1);
        let alone = source[line_start..at].trim().is_empty()
            && (bytes.get(i) == Some(&b'\n') || i == source.len());
        let inline = !alone;
        let (pre, post) = modifiers(tag);
        let body = &tag[2 + pre.len()..tag.len() - 2 - post.len()];
        let plain = format!("{{%{body}%}}");
        let set = |call: String| format!("{{% set __p = {call} %}}");
        match keyword {
            "if" | "for" => {
                let id = next_id;
                next_id += 1;
                let kind = if keyword == "if" { "if" } else { "for" };
                // Whether any branch holds `resource` or `module` blocks: then what
                // decides between the branches decides what the file declares.
                let structural = declared_types(construct_text(&source[i..]));
                open.push((id, kind, inline, false, structural.clone()));
                out.push_str(&format!("{{%{pre} set __p = __mark({id}) %}}"));
                out.push_str(&plain);
                out.push_str(&format!(
                    "{{% set __p = __enter({id}, \"{kind}\", {inline}, \"{structural}\") {post}%}}"
                ));
            }
            "elif" | "else" => {
                let Some(top) = open.last_mut() else {
                    out.push_str(tag);
                    continue;
                };
                if keyword == "else" {
                    top.3 = true;
                }
                let (id, kind, structural) = (top.0, top.1, top.4.clone());
                let entered = if kind == "for" { "empty" } else { "if" };
                out.push_str(&format!("{{%{pre} set __p = __exit({id}) %}}"));
                out.push_str(&plain);
                out.push_str(&format!(
                    "{{% set __p = __enter({id}, \"{entered}\", {inline}, \"{structural}\") {post}%}}"
                ));
            }
            "endif" | "endfor" => {
                let Some((id, kind, opened_inline, had_else, structural)) = open.pop() else {
                    out.push_str(tag);
                    continue;
                };
                out.push_str(&format!("{{%{pre} set __p = __exit({id}) %}}"));
                if !had_else {
                    // An empty `else`: a branch not taken (a loop not run) still claims
                    // the reads that decided so, and marks its line when inline.
                    let entered = if kind == "for" { "empty" } else { "if" };
                    out.push_str("{% else %}");
                    out.push_str(&set(format!(
                        "__enter({id}, \"{entered}\", {opened_inline}, \"{structural}\")"
                    )));
                    out.push_str(&set(format!("__exit({id})")));
                }
                out.push_str(&format!("{{%{body}{post}%}}"));
            }
            _ => out.push_str(tag),
        }
    }
    out
}

/// The resource types whose `resource` blocks a construct's text declares, comma-separated.
fn declared_types(text: &str) -> String {
    let mut types: Vec<&str> = text
        .match_indices("resource \"")
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest.split('"').next()
        })
        .collect();
    types.sort();
    types.dedup();
    types.join(",")
}

/// The template text of an `if`/`for` construct whose opening tag ends where `rest`
/// starts, up to its `endif`/`endfor` (nested constructs included).
fn construct_text(rest: &str) -> &str {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(rel) = rest[i..].find("{%") {
        let at = i + rel;
        let end = at + tag_end(&rest[at..], "%}");
        let inner = rest[at + 2..end.saturating_sub(2).max(at + 2)].trim_matches(['-', '+', ' ']);
        match inner.split_whitespace().next().unwrap_or("") {
            "if" | "for" => depth += 1,
            "endif" | "endfor" if depth == 0 => return &rest[..at],
            "endif" | "endfor" => depth -= 1,
            _ => {}
        }
        i = end;
    }
    rest
}

/// Where a tag opened with `{{`/`{%` ends (after its closing `close`), skipping strings.
fn tag_end(rest: &str, close: &str) -> usize {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(2) {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if rest[i..].starts_with(close) => return i + close.len(),
            None => {}
        }
    }
    rest.len()
}

/// The whitespace modifiers of a tag: after `{%` and before `%}` (`-` or `+`, or none).
fn modifiers(tag: &str) -> (&str, &str) {
    let pre = match tag.as_bytes().get(2) {
        Some(b'-') => "-",
        Some(b'+') => "+",
        _ => "",
    };
    let post = match tag.as_bytes().get(tag.len().saturating_sub(3)) {
        Some(b'-') if tag.len() > 4 => "-",
        Some(b'+') if tag.len() > 4 => "+",
        _ => "",
    };
    (pre, post)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instrumenting_adds_marks_and_keeps_modifiers() {
        let got =
            instrument("a{% if x %}b{% else %}c{% endif %}\n{%- for y in z -%}\n{% endfor %}\n");
        assert_eq!(
            got,
            "a{% set __p = __mark(0) %}{% if x %}{% set __p = __enter(0, \"if\", true, \"\") %}b\
             {% set __p = __exit(0) %}{% else %}{% set __p = __enter(0, \"if\", true, \"\") %}c\
             {% set __p = __exit(0) %}{% endif %}\n\
             {%- set __p = __mark(1) %}{% for y in z %}{% set __p = __enter(1, \"for\", false, \"\") -%}\n\
             {% set __p = __exit(1) %}{% else %}{% set __p = __enter(1, \"empty\", false, \"\") %}{% set __p = __exit(1) %}{% endfor %}\n"
        );
    }

    /// Render `template` traced over `env = value`, as render.rs does.
    fn traced(template: &str, value: serde_json::Value) -> Result<Log, String> {
        let mut jinja = minijinja::Environment::new();
        jinja.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .unwrap(),
        );
        jinja.set_formatter(|out, _, v| {
            let text = v.to_string();
            write_value(out, &text, Vec::new())
        });
        jinja.add_function("__mark", |id: u32| mark(id));
        jinja.add_function(
            "__enter",
            |id: u32, kind: String, inline: bool, d: String| enter(id, &kind, inline, &d),
        );
        jinja.add_function("__exit", |_id: u32| exit());
        jinja.add_template_owned("t", instrument(template)).unwrap();
        let tmpl = jinja.get_template("t").unwrap();
        let ctx = JValue::from(std::collections::BTreeMap::from([(
            "env",
            Tracked::root("env", value),
        )]));
        record(|sink| tmpl.render_captured_to(&ctx, sink).map(|_| ()))
    }

    fn reads(log: &Log, line: usize) -> Vec<(Via, String)> {
        let mut v: Vec<(Via, String)> = log.lines()[line]
            .iter()
            .map(|r| (r.via, r.read.path().to_string()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_line_inside_a_branch_is_decided_by_its_condition() {
        let log = traced(
            "a = {{ env.a }}\n{% if env.on %}\nb = 1\n{% endif %}\n{% for x in env.xs %}\nx = {{ x.n }}\n{% endfor %}\n",
            serde_json::json!({"a": 1, "on": true, "xs": [{"n": 1}, {"n": 2}]}),
        )
        .unwrap();
        assert_eq!(log.text, "a = 1\nb = 1\nx = 1\nx = 2\n");
        assert_eq!(reads(&log, 0), [(Via::Value, "env/a".to_string())]);
        assert_eq!(reads(&log, 1), [(Via::Condition, "env/on".to_string())]);
        // Each iteration is decided by its own element, not by its siblings.
        assert_eq!(
            reads(&log, 3),
            [
                (Via::Value, "env/xs/1/n".to_string()),
                (Via::Condition, "env/xs/1".to_string())
            ]
        );
    }

    #[test]
    fn an_inline_branch_not_taken_still_marks_its_line() {
        let log = traced(
            "a{% if env.on %} b{% endif %} c\n",
            serde_json::json!({"on": false}),
        )
        .unwrap();
        assert_eq!(log.text, "a c\n");
        assert_eq!(reads(&log, 0), [(Via::Condition, "env/on".to_string())]);
    }

    #[test]
    fn a_value_that_cannot_be_traced_is_refused_not_guessed() {
        // Read in a `set`, written later: the read cannot be tied to its line.
        let e = traced(
            "{% set x = env.a %}\n{% if true %}\n{{ x }}\n{% endif %}\n",
            serde_json::json!({"a": 1}),
        );
        assert!(
            e.as_ref()
                .is_err_and(|e| e.contains("is read where nothing is written")),
            "{:?}",
            e.map(|l| l.text)
        );
        // Written by a macro: its output is captured where the offset is unknown.
        let e = traced(
            "{% macro m() %}{{ env.a }}{% endmacro %}\n{{ m() }}\n",
            serde_json::json!({"a": 1}),
        );
        assert!(
            e.as_ref()
                .is_err_and(|e| e.contains("written inside a macro")),
            "{:?}",
            e.map(|l| l.text)
        );
    }

    #[test]
    fn strings_and_comments_are_not_tags() {
        let src = "{# {% if %} #}{{ \"%}\" }}{% set a = \"{% if\" %}";
        assert_eq!(instrument(src), src);
    }
}
