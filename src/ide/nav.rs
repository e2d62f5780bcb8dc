//! Navigation: the names a project declares and the places that use them.
//!
//! A table or bucket is named by the grants of functions
//! (`function "f" { table "users" access="read" }`), a function by routes
//! (`route "GET /" function="f"`), an environment file by `extends`. Go to
//! definition goes from a use (or the declaration itself) to the declaration;
//! find references lists every use. Document symbols are the outline of a
//! file: its keys, and named entries (`table "users"`) by their names.

use lsp_types::{DocumentSymbol, Location, Position, Range, SymbolKind, Uri};
use serde_json::Value;

use super::{At, ProjectState, Workspace};
use crate::PROJECT_FILE;
use crate::diag::Span;
use crate::load::{Document, Part, escape_pointer, unescape_pointer};
use crate::schema::{self, Kind};

/// Something with a declaration and uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Symbol {
    Table(String),
    Bucket(String),
    Function(String),
    /// An environment file, by stem.
    EnvFile(String),
}

fn segments(ptr: &str) -> Vec<String> {
    ptr.split('/').skip(1).map(unescape_pointer).collect()
}

/// The symbol under the cursor, declared or used there.
pub(crate) fn symbol_at(at: &At) -> Option<Symbol> {
    let (ptr, part) = at.doc()?.pointer_at(at.offset)?;
    let segs = segments(&ptr);
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let value = || at.doc()?.value.pointer(&ptr)?.as_str().map(str::to_string);
    match (at.kind(), s.as_slice(), part) {
        (Kind::Project, ["table", t], Part::Key) => Some(Symbol::Table(t.to_string())),
        (Kind::Project, ["bucket", b], Part::Key) => Some(Symbol::Bucket(b.to_string())),
        (Kind::Project, ["function", f], Part::Key) => Some(Symbol::Function(f.to_string())),
        (Kind::Project, ["function", _, "table", t], Part::Key) => {
            Some(Symbol::Table(t.to_string()))
        }
        (Kind::Project, ["function", _, "bucket", b], Part::Key) => {
            Some(Symbol::Bucket(b.to_string()))
        }
        (Kind::Project, ["api", "route", _, "function"], Part::Value) => {
            value().map(Symbol::Function)
        }
        (Kind::Environment, ["extends"], Part::Value) => value().map(Symbol::EnvFile),
        _ => None,
    }
}

/// Whether the cursor is on a use rather than a declaration.
pub(crate) fn is_reference(at: &At) -> bool {
    let Some((ptr, _)) = at.doc().and_then(|d| d.pointer_at(at.offset)) else {
        return false;
    };
    segments(&ptr).len() > 2 || ptr == "/extends"
}

fn project_doc(p: &ProjectState) -> Option<&Document> {
    p.files
        .get(PROJECT_FILE)?
        .parsed
        .as_ref()
        .ok()
        .map(|d| &**d)
}

/// The file and span of a symbol's declaration.
pub(crate) fn definition_span(p: &ProjectState, sym: &Symbol) -> Option<(String, Span)> {
    let ptr = match sym {
        Symbol::Table(t) => format!("/table/{}", escape_pointer(t)),
        Symbol::Bucket(b) => format!("/bucket/{}", escape_pointer(b)),
        Symbol::Function(f) => format!("/function/{}", escape_pointer(f)),
        Symbol::EnvFile(stem) => {
            let rel = p.env_path(stem)?;
            let text = p.inputs.files.get(rel)?;
            return Some((rel.to_string(), Span::new(&rel.into(), 0, text.len())));
        }
    };
    let doc = project_doc(p)?;
    let l = doc.spans.get(&ptr)?;
    Some((PROJECT_FILE.to_string(), l.value.clone()))
}

pub fn definition(ws: &Workspace, uri: &Uri, pos: Position) -> Option<Vec<Location>> {
    let at = ws.at(uri, pos)?;
    let sym = symbol_at(&at)?;
    let (rel, span) = definition_span(at.project, &sym)?;
    let range = match sym {
        Symbol::EnvFile(_) => Range::default(),
        _ => {
            let doc = project_doc(at.project)?;
            let key = doc
                .spans
                .values()
                .find(|l| l.value == span)
                .and_then(|l| l.key.clone())
                .unwrap_or(span);
            ws.range(at.project, &key)
        }
    };
    Some(vec![Location::new(ws.uri(at.project, &rel)?, range)])
}

/// Every place that names `sym` (and its declaration when asked).
pub fn references(
    ws: &Workspace,
    uri: &Uri,
    pos: Position,
    include_declaration: bool,
) -> Option<Vec<Location>> {
    let at = ws.at(uri, pos)?;
    let sym = symbol_at(&at)?;
    let p = at.project;
    let mut spans: Vec<Span> = Vec::new();
    if let Symbol::EnvFile(stem) = &sym {
        for f in p.files.values() {
            if let Ok(doc) = &f.parsed
                && doc.value.get("extends").and_then(Value::as_str) == Some(stem)
                && let Some(l) = doc.spans.get("/extends")
            {
                spans.push(l.value.clone());
            }
        }
    } else if let Some(doc) = project_doc(p) {
        let functions = doc.value.get("function").and_then(Value::as_object);
        for (f, body) in functions.into_iter().flatten() {
            let (map, name) = match &sym {
                Symbol::Table(t) => ("table", t),
                Symbol::Bucket(b) => ("bucket", b),
                _ => continue,
            };
            if body.get(map).and_then(|m| m.get(name)).is_some() {
                let ptr = format!(
                    "/function/{}/{map}/{}",
                    escape_pointer(f),
                    escape_pointer(name)
                );
                spans.push(doc.key_span(&ptr));
            }
        }
        if let Symbol::Function(name) = &sym {
            let routes = doc.value.pointer("/api/route").and_then(Value::as_object);
            for (r, body) in routes.into_iter().flatten() {
                if body.get("function").and_then(Value::as_str) == Some(name) {
                    let ptr = format!("/api/route/{}/function", escape_pointer(r));
                    spans.push(doc.value_span(&ptr));
                }
            }
        }
        if include_declaration {
            let ptr = match &sym {
                Symbol::Table(t) => format!("/table/{}", escape_pointer(t)),
                Symbol::Bucket(b) => format!("/bucket/{}", escape_pointer(b)),
                Symbol::Function(f) => format!("/function/{}", escape_pointer(f)),
                Symbol::EnvFile(_) => String::new(),
            };
            if doc.spans.contains_key(&ptr) {
                spans.insert(0, doc.key_span(&ptr));
            }
        }
    }
    Some(
        spans
            .iter()
            .filter_map(|s| Some(Location::new(ws.uri(p, &s.file)?, ws.range(p, s))))
            .collect(),
    )
}

/// The outline of a file.
pub fn symbols(ws: &Workspace, uri: &Uri) -> Option<Vec<DocumentSymbol>> {
    let at = ws.at(uri, Position::default())?;
    let doc = at.doc()?;
    Some(outline(&at, doc, "", &doc.value))
}

fn symbol_kind(key: &str, v: &Value) -> SymbolKind {
    match (key, v) {
        ("table", _) => SymbolKind::STRUCT,
        ("function", _) => SymbolKind::FUNCTION,
        ("route", _) => SymbolKind::METHOD,
        ("bucket", _) => SymbolKind::PACKAGE,
        ("client", _) => SymbolKind::INTERFACE,
        ("gsi", _) => SymbolKind::KEY,
        (_, Value::Object(_)) => SymbolKind::NAMESPACE,
        (_, Value::Array(_)) => SymbolKind::ARRAY,
        (_, Value::Bool(_)) => SymbolKind::BOOLEAN,
        (_, Value::Number(_)) => SymbolKind::NUMBER,
        _ => SymbolKind::PROPERTY,
    }
}

fn outline(at: &At, doc: &Document, ptr: &str, value: &Value) -> Vec<DocumentSymbol> {
    let Some(map) = value.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, v) in map {
        let here = format!("{ptr}/{}", escape_pointer(key));
        let named = schema::key_info(at.kind(), &here).is_some_and(|i| i.named_entries)
            && v.as_object()
                .is_some_and(|m| !m.is_empty() && m.values().all(Value::is_object));
        if named {
            // `table "users" { … }`: one symbol per entry, named by its argument.
            for (name, entry) in v.as_object().into_iter().flatten() {
                let entry_ptr = format!("{here}/{}", escape_pointer(name));
                if let Some(sym) = symbol(
                    at,
                    doc,
                    &entry_ptr,
                    name,
                    Some(key),
                    entry,
                    symbol_kind(key, entry),
                ) {
                    out.push(sym);
                }
            }
        } else if let Some(sym) = symbol(at, doc, &here, key, None, v, symbol_kind(key, v)) {
            out.push(sym);
        }
    }
    out
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be set to build one.
fn symbol(
    at: &At,
    doc: &Document,
    ptr: &str,
    name: &str,
    detail: Option<&str>,
    value: &Value,
    kind: SymbolKind,
) -> Option<DocumentSymbol> {
    let l = doc.spans.get(ptr)?;
    let key = l.key.clone().unwrap_or_else(|| l.value.clone());
    let whole = Span::new(
        &l.value.file,
        key.start.min(l.value.start),
        key.end.max(l.value.end),
    );
    let children = outline(at, doc, ptr, value);
    Some(DocumentSymbol {
        name: if name.is_empty() {
            "\"\"".into()
        } else {
            name.to_string()
        },
        detail: detail.map(str::to_string),
        kind,
        tags: None,
        deprecated: None,
        range: at.range(&whole),
        selection_range: at.range(&key),
        children: (!children.is_empty()).then_some(children),
    })
}
