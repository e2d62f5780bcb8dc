//! Completion in KDL files: what may be written at the cursor, from the schema
//! (keys of the block, properties of the node, enum values, booleans, region
//! codes with their names) and from the project (table and bucket names in a
//! function's grants, function names in a route, `extends` stems, attribute
//! names in a table's keys), with each key's description and, in an
//! environment file, the default for the file's tier.
//!
//! The text at the cursor is usually not valid KDL yet (`region "eu-w`), so the
//! place is found by a lexical scan of the text before the cursor — which blocks
//! are open, and which tokens the current node has — not by the parser.
//! `.json` files are completed by the editor from their `$schema`.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Position, TextEdit, Uri,
};
use serde_json::Value;

use super::{At, Workspace};
use crate::load::escape_pointer;
use crate::schema::{self, Kind};
use crate::{PROJECT_FILE, aws, env_stem};

/// One token of the node the cursor is in.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// A bare word (node name, property key, identifier string, number, `#true`).
    Word(String),
    /// A quoted string.
    Str(String),
    Eq,
}

/// Where the cursor is, lexically.
#[derive(Debug, Default, PartialEq)]
struct Context {
    /// The open blocks, outermost first: the node name and its first argument.
    blocks: Vec<(String, Option<String>)>,
    /// The tokens of the current node before the cursor.
    tokens: Vec<Tok>,
    /// The partial word or string at the cursor: its start offset and text.
    partial: Option<(usize, String)>,
    /// Whether the partial text is inside an open string.
    in_string: bool,
}

fn is_word(c: char) -> bool {
    !c.is_whitespace() && !"{}();=\"/\\".contains(c)
}

/// Scan `text[..offset]`.
fn scan(text: &str, offset: usize) -> Context {
    let b = &text[..super::pos::floor_boundary(text, offset)];
    let mut cx = Context::default();
    let mut chars = b.char_indices().peekable();
    let mut depth_comment = 0usize;
    while let Some((i, c)) = chars.next() {
        if depth_comment > 0 {
            if c == '*' && chars.peek().is_some_and(|&(_, n)| n == '/') {
                chars.next();
                depth_comment -= 1;
            } else if c == '/' && chars.peek().is_some_and(|&(_, n)| n == '*') {
                chars.next();
                depth_comment += 1;
            }
            continue;
        }
        match c {
            '/' if chars.peek().is_some_and(|&(_, n)| n == '/') => {
                while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                    chars.next();
                }
            }
            '/' if chars.peek().is_some_and(|&(_, n)| n == '*') => {
                chars.next();
                depth_comment = 1;
            }
            '/' if chars.peek().is_some_and(|&(_, n)| n == '-') => {
                chars.next();
            }
            '\\' => {
                // Line continuation: skip to the next line.
                while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                    chars.next();
                }
                chars.next();
            }
            '\n' | ';' => cx.tokens.clear(),
            '{' => {
                let name = match cx.tokens.first() {
                    Some(Tok::Word(w) | Tok::Str(w)) => w.clone(),
                    _ => String::new(),
                };
                let arg = match cx.tokens.get(1) {
                    Some(Tok::Str(s) | Tok::Word(s)) if cx.tokens.get(2) != Some(&Tok::Eq) => {
                        Some(s.clone())
                    }
                    _ => None,
                };
                cx.tokens.clear();
                cx.blocks.push((name, arg));
            }
            '}' => {
                cx.blocks.pop();
                cx.tokens.clear();
            }
            '=' => cx.tokens.push(Tok::Eq),
            '(' => {
                // A type annotation: skip it.
                while chars.peek().is_some_and(|&(_, n)| n != ')' && n != '\n') {
                    chars.next();
                }
                chars.next();
            }
            '"' => {
                let start = i + 1;
                let mut s = String::new();
                let mut closed = false;
                while let Some((_, n)) = chars.next() {
                    match n {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                s.push(e);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => s.push(n),
                    }
                }
                if closed {
                    cx.tokens.push(Tok::Str(s));
                } else {
                    cx.partial = Some((start, s));
                    cx.in_string = true;
                    return cx;
                }
            }
            c if c.is_whitespace() => {}
            _ => {
                let mut w = String::from(c);
                while let Some(&(_, n)) = chars.peek() {
                    if !is_word(n) {
                        break;
                    }
                    w.push(n);
                    chars.next();
                }
                let end = chars.peek().map_or(b.len(), |&(j, _)| j);
                if end == b.len() {
                    cx.partial = Some((i, w));
                    return cx;
                }
                cx.tokens.push(Tok::Word(w));
            }
        }
    }
    cx
}

fn pointer(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| format!("/{}", escape_pointer(p)))
        .collect()
}

/// The completion items at a position of a KDL file.
pub fn completion(ws: &Workspace, uri: &Uri, pos: Position) -> Option<Vec<CompletionItem>> {
    let at = ws.at(uri, pos)?;
    if at.rel.ends_with(".json") {
        return None;
    }
    let cx = scan(at.text, at.offset);
    let kind = at.kind();
    let mut path: Vec<String> = Vec::new();
    for (name, arg) in &cx.blocks {
        path.push(name.clone());
        if let Some(a) = arg {
            path.push(a.clone());
        }
    }
    let from = cx.partial.as_ref().map_or(at.offset, |(s, _)| *s);
    let range = at.file.lines.range(at.text, from, at.offset, ws.encoding());
    let mut out = Completer {
        at: &at,
        range,
        in_string: cx.in_string,
        closing_quote: at.text[at.offset..].starts_with('"'),
        items: Vec::new(),
    };
    let words = |t: &Tok| match t {
        Tok::Word(w) | Tok::Str(w) => Some(w.clone()),
        Tok::Eq => None,
    };
    match cx.tokens.as_slice() {
        // A node name.
        [] if !cx.in_string => out.keys(kind, &path, false),
        // The first argument of node `name`.
        [Tok::Word(name)] => {
            path.push(name.clone());
            out.values(kind, &path, true);
        }
        // A property value: `… key=`.
        [first, rest @ .., Tok::Word(key), Tok::Eq] => {
            path.extend(words(first));
            if let Some(arg) = rest.first().and_then(words) {
                path.push(arg);
            }
            path.push(key.clone());
            out.values(kind, &path, false);
        }
        // A property key after the node's name and argument.
        [first, rest @ ..] if !cx.in_string && rest.last() != Some(&Tok::Eq) => {
            path.extend(words(first));
            if let Some(arg) = rest.first().and_then(words) {
                path.push(arg);
            }
            out.keys(kind, &path, true);
        }
        _ => {}
    }
    Some(out.items)
}

struct Completer<'a> {
    at: &'a At<'a>,
    range: lsp_types::Range,
    in_string: bool,
    closing_quote: bool,
    items: Vec<CompletionItem>,
}

impl Completer<'_> {
    fn push(
        &mut self,
        label: String,
        kind: CompletionItemKind,
        insert: String,
        detail: Option<String>,
        doc: Option<String>,
    ) {
        self.items.push(CompletionItem {
            label,
            kind: Some(kind),
            detail,
            documentation: doc.map(|d| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: d,
                })
            }),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(self.range, insert))),
            ..Default::default()
        });
    }

    /// The defaults of the file's tier (environment files), in the JSON view.
    fn tier_defaults(&self) -> Option<Value> {
        let stem = env_stem(self.at.rel)?;
        let p = self.at.project.project.as_ref()?;
        let tier = self
            .at
            .project
            .envs
            .get(stem)
            .and_then(|e| e.merged.as_ref())
            .and_then(|m| m.value.get("tier").cloned())
            .or_else(|| self.at.doc().and_then(|d| d.value.get("tier").cloned()))?;
        let tier: schema::Tier = serde_json::from_value(tier).ok()?;
        let tier_name = format!("{tier:?}");
        let mut v = crate::model::tier_defaults(&p.project, tier);
        if let Value::Object(m) = &mut v {
            m.insert("$tier".into(), tier_name.into());
        }
        Some(v)
    }

    /// The keys of the block at `path` (as child nodes, or as `key=` properties).
    fn keys(&mut self, kind: Kind, path: &[String], properties: bool) {
        let ptr = pointer(path);
        let Some(info) = schema::key_info(kind, &ptr) else {
            return;
        };
        let defaults = self.tier_defaults();
        for (key, description) in &info.keys {
            let child = format!("{ptr}/{}", escape_pointer(key));
            let Some(ci) = schema::key_info(kind, &child) else {
                continue;
            };
            if properties && ci.block {
                continue;
            }
            let mut detail = ci.expected.clone();
            if let Some(d) = defaults.as_ref()
                && let Some(v) = d.pointer(&child)
                && !v.is_object()
            {
                detail = format!(
                    "{detail} · default for {}: {}",
                    d["$tier"].as_str().unwrap_or(""),
                    show(v)
                );
            }
            let insert = if properties {
                format!("{key}=")
            } else {
                key.clone()
            };
            let item_kind = if ci.block {
                CompletionItemKind::MODULE
            } else {
                CompletionItemKind::PROPERTY
            };
            self.push(
                key.clone(),
                item_kind,
                insert,
                Some(detail),
                description.clone(),
            );
        }
    }

    /// The values of the place at `path`: references, enum values, booleans, regions.
    fn values(&mut self, kind: Kind, path: &[String], first_argument: bool) {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        if self.references(kind, &names, first_argument) {
            return;
        }
        let ptr = pointer(path);
        let Some(info) = schema::key_info(kind, &ptr) else {
            return;
        };
        let default = self
            .tier_defaults()
            .and_then(|d| d.pointer(&ptr).cloned().map(|v| (v, d["$tier"].clone())));
        let is_default = |v: &Value| {
            default
                .as_ref()
                .filter(|(d, _)| d == v)
                .map(|(_, t)| format!("default for {}", t.as_str().unwrap_or("")))
        };
        if info.definition.as_deref() == Some("RegionCode") {
            for r in aws::REGIONS.iter().filter(|r| aws::partition(r) == "aws") {
                let insert = self.string(r);
                self.push(
                    (*r).to_string(),
                    CompletionItemKind::VALUE,
                    insert,
                    aws::region_name(r).map(str::to_string),
                    None,
                );
            }
            return;
        }
        for v in &info.values {
            let (label, insert) = match v {
                Value::String(s) => (s.clone(), self.string(s)),
                other => (other.to_string(), other.to_string()),
            };
            self.push(
                label,
                CompletionItemKind::ENUM_MEMBER,
                insert,
                is_default(v),
                info.description.clone(),
            );
        }
        if info.values.is_empty() && info.expected.starts_with("a boolean") && !self.in_string {
            for b in [true, false] {
                let label = format!("#{b}");
                self.push(
                    label.clone(),
                    CompletionItemKind::VALUE,
                    label,
                    is_default(&Value::Bool(b)),
                    info.description.clone(),
                );
            }
        }
    }

    /// Names the project declares, where a reference is expected. `true` when `path` is such a place.
    fn references(&mut self, kind: Kind, path: &[&str], first_argument: bool) -> bool {
        let project = self.project_doc();
        let keys_of = |ptr: &str| -> Vec<String> {
            project
                .as_ref()
                .and_then(|d| d.value.pointer(ptr))
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (names, detail): (Vec<String>, &str) = match (kind, path) {
            (Kind::Project, ["function", _, "table"]) if first_argument => {
                (keys_of("/table"), "table")
            }
            (Kind::Project, ["function", _, "bucket"]) if first_argument => {
                (keys_of("/bucket"), "bucket")
            }
            (Kind::Project, ["api", "route", _, "function"]) => (keys_of("/function"), "function"),
            (Kind::Project, ["table", t, "hash-key" | "range-key" | "ttl"])
            | (Kind::Project, ["table", t, "gsi", _, "hash-key" | "range-key"]) => (
                keys_of(&format!("/table/{}/attribute", escape_pointer(t))),
                "attribute",
            ),
            (Kind::Environment, ["extends"]) => {
                let own = env_stem(self.at.rel).unwrap_or_default();
                let stems = self
                    .at
                    .project
                    .files
                    .keys()
                    .filter_map(|p| env_stem(p))
                    .filter(|s| *s != own)
                    .map(str::to_string)
                    .collect();
                (stems, "environment file")
            }
            _ => return false,
        };
        for n in names {
            let insert = self.string(&n);
            self.push(
                n,
                CompletionItemKind::REFERENCE,
                insert,
                Some(detail.to_string()),
                None,
            );
        }
        true
    }

    /// The project file's last document that parsed.
    fn project_doc(&self) -> Option<std::sync::Arc<crate::load::Document>> {
        self.at
            .project
            .files
            .get(PROJECT_FILE)
            .and_then(|f| f.last_good.clone())
    }

    /// A string as it is inserted: inside an open string, the text and the closing
    /// quote if there is none yet; elsewhere quoted.
    fn string(&self, s: &str) -> String {
        let quoted = serde_json::to_string(s).unwrap_or_default();
        if self.in_string {
            let inner = &quoted[1..quoted.len() - 1];
            if self.closing_quote {
                inner.to_string()
            } else {
                format!("{inner}\"")
            }
        } else {
            quoted
        }
    }
}

/// A JSON value as KDL shows it (`#true`, `14`, `"text"`).
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::Bool(b) => format!("#{b}"),
        Value::Null => "#null".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(text: &str) -> Context {
        let at = text.find('|').unwrap();
        let t = text.replace('|', "");
        scan(&t, at)
    }

    #[test]
    fn scan_finds_the_block_and_the_node() {
        let c = cx("function \"f\" {\n    table \"us|");
        assert_eq!(c.blocks, [("function".to_string(), Some("f".to_string()))]);
        assert_eq!(c.tokens, [Tok::Word("table".into())]);
        assert_eq!(c.partial, Some((26, "us".into())));
        assert!(c.in_string);

        let c = cx("api {\n  route \"GET /a\" function=|");
        assert_eq!(c.blocks, [("api".to_string(), None)]);
        assert_eq!(
            c.tokens,
            [
                Tok::Word("route".into()),
                Tok::Str("GET /a".into()),
                Tok::Word("function".into()),
                Tok::Eq
            ]
        );

        let c = cx("// a { comment\nfeatures { /* } */\n  xr|");
        assert_eq!(c.blocks, [("features".to_string(), None)]);
        assert!(c.tokens.is_empty());
        assert_eq!(c.partial.map(|p| p.1), Some("xr".to_string()));

        let c = cx("tags { a \"}\" }\nreg|");
        assert!(c.blocks.is_empty());
    }
}
