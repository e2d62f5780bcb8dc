//! Hover: what the schema says about the key under the cursor (description,
//! type, allowed values, default); in an environment file, the value the
//! environment ends up with after `extends` and defaults, and where it came
//! from; on a region code, the region's name; on a reference, the definition
//! it names.
//!
//! The hover is a list of sections, each from its own function, joined with
//! rules. A section on the generated lines a key affects belongs here once
//! rendering records where each generated line came from.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Uri};
use serde_json::Value;

use super::complete::show;
use super::nav::{self, Symbol};
use super::{At, Workspace};
use crate::load::{Part, unescape_pointer};
use crate::schema::{self, Tier};
use crate::{aws, env_stem};

pub fn hover(ws: &Workspace, uri: &Uri, pos: Position) -> Option<Hover> {
    let at = ws.at(uri, pos)?;
    let doc = at.doc()?;
    let (ptr, part) = doc.pointer_at(at.offset)?;
    let loc = doc.spans.get(&ptr)?;
    let span = match part {
        Part::Key => loc.key.clone().unwrap_or_else(|| loc.value.clone()),
        Part::Value => loc.value.clone(),
    };
    let mut sections = Vec::new();
    sections.extend(schema_section(&at, &ptr));
    sections.extend(resolved_section(&at, &ptr));
    if part == Part::Value {
        sections.extend(region_section(doc.value.pointer(&ptr)));
    }
    sections.extend(definition_section(&at));
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: Some(at.range(&span)),
    })
}

/// Name, expected type, description, allowed values, and (environment files) the tier's default.
fn schema_section(at: &At, ptr: &str) -> Option<String> {
    let info = schema::key_info(at.kind(), ptr)?;
    let name = ptr
        .rsplit('/')
        .next()
        .map(unescape_pointer)
        .unwrap_or_default();
    let mut s = format!("**`{name}`** — {}", info.expected);
    if let Some(d) = &info.description {
        s.push_str(&format!("\n\n{d}"));
    }
    if !info.values.is_empty() && info.values.len() <= 30 && !info.expected.starts_with("one of") {
        let vals: Vec<String> = info.values.iter().map(show).collect();
        s.push_str(&format!("\n\nAllowed: `{}`", vals.join("`, `")));
    }
    if let Some((tier, default)) = tier_default(at, ptr) {
        s.push_str(&format!("\n\nDefault for {tier:?}: `{}`", show(&default)));
    }
    Some(s)
}

/// The tier of an environment file and its default at `ptr`.
fn tier_default(at: &At, ptr: &str) -> Option<(Tier, Value)> {
    let stem = env_stem(at.rel)?;
    let project = at.project.project.as_ref()?;
    let tier = at
        .project
        .envs
        .get(stem)
        .and_then(|e| e.merged.as_ref())
        .and_then(|m| m.value.get("tier").cloned())
        .or_else(|| at.doc()?.value.get("tier").cloned())?;
    let tier: Tier = serde_json::from_value(tier).ok()?;
    let v = crate::model::tier_defaults(&project.project, tier)
        .pointer(ptr)
        .filter(|v| !v.is_object())?
        .clone();
    Some((tier, v))
}

/// In an environment: the value after `extends` and defaults, and where it
/// came from; for a block, each of its values; on `extends`, what the chain
/// contributes.
fn resolved_section(at: &At, ptr: &str) -> Option<String> {
    let stem = env_stem(at.rel)?;
    let env = at.project.envs.get(stem)?;
    let merged = env.merged.as_ref()?;
    let resolved = match &env.env {
        Some(e) => serde_json::to_value(e.resolved_file()).ok()?,
        None => merged.value.clone(),
    };
    if ptr == "/extends" {
        let own = at.doc()?;
        let mut lines = Vec::new();
        for (p, l) in &merged.spans {
            let inherited = *l.value.file != *at.rel && own.value.pointer(p).is_none();
            let leaf = merged.value.pointer(p).is_some_and(|v| !v.is_object());
            if inherited && leaf && p.matches('/').count() <= 2 {
                lines.push(format!(
                    "- `{}`: `{}` — {}",
                    dotted(p),
                    shown(resolved.pointer(p)?),
                    origin(at, merged, p)
                ));
            }
        }
        if lines.is_empty() {
            return None;
        }
        return Some(format!("Inherited by `{stem}`:\n\n{}", lines.join("\n")));
    }
    let value = resolved.pointer(ptr).filter(|v| !v.is_null())?;
    match value {
        Value::Object(map) => {
            let lines: Vec<String> = map
                .iter()
                .filter(|(_, v)| !v.is_null() && !v.is_object())
                .map(|(k, v)| {
                    let p = format!("{ptr}/{}", crate::load::escape_pointer(k));
                    format!("- `{k}`: `{}` — {}", shown(v), origin(at, merged, &p))
                })
                .collect();
            (!lines.is_empty()).then(|| format!("Resolved in `{stem}`:\n\n{}", lines.join("\n")))
        }
        v => Some(format!(
            "Resolved in `{stem}`: `{}` — {}",
            shown(v),
            origin(at, merged, ptr)
        )),
    }
}

fn dotted(ptr: &str) -> String {
    ptr.split('/')
        .skip(1)
        .map(unescape_pointer)
        .collect::<Vec<_>>()
        .join(".")
}

fn shown(v: &Value) -> String {
    match v {
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(" "),
        v => show(v),
    }
}

/// Where the value at `ptr` of an environment comes from.
fn origin(at: &At, merged: &crate::load::Document, ptr: &str) -> String {
    let line_of = |file: &str, offset: usize| {
        at.project
            .files
            .get(file)
            .zip(at.project.inputs.files.get(file))
            .map_or(1, |(f, text)| f.lines.line_number(text, offset))
    };
    if let Some(l) = merged
        .spans
        .get(ptr)
        .filter(|_| merged.value.pointer(ptr).is_some())
    {
        let file = l.value.file.rsplit('/').next().unwrap_or(&l.value.file);
        return format!("set in {file}:{}", line_of(&l.value.file, l.value.start));
    }
    if let Some((tier, _)) = tier_default(at, ptr) {
        return format!("default for {tier:?}");
    }
    let project = at.project.project.as_ref();
    if let Some(l) = project
        .filter(|_| ptr.starts_with("/alarms/") || ptr.starts_with("/tags/"))
        .and_then(|p| p.doc.spans.get(ptr))
    {
        return format!(
            "set in envc.kdl:{}, the project's value",
            line_of(crate::PROJECT_FILE, l.value.start)
        );
    }
    "derived by envc".to_string()
}

fn region_section(value: Option<&Value>) -> Option<String> {
    let code = value?.as_str()?;
    aws::region_name(code).map(|name| format!("`{code}`: {name}"))
}

/// On a reference: the definition it names.
fn definition_section(at: &At) -> Option<String> {
    let sym = nav::symbol_at(at)?;
    if !nav::is_reference(at) {
        return None;
    }
    let (rel, span) = nav::definition_span(at.project, &sym)?;
    let text = at.project.inputs.files.get(&rel)?;
    let line = at
        .project
        .files
        .get(&rel)
        .map_or(1, |f| f.lines.line_number(text, span.start));
    let mut snippet: Vec<&str> = text.get(span.start..span.end)?.lines().collect();
    if snippet.len() > 15 {
        snippet.truncate(15);
        snippet.push("…");
    }
    let what = match sym {
        Symbol::Table(_) => "table",
        Symbol::Bucket(_) => "bucket",
        Symbol::Function(_) => "function",
        Symbol::EnvFile(_) => "environment file",
    };
    let lang = if rel.ends_with(".json") {
        "json"
    } else {
        "kdl"
    };
    Some(format!(
        "Defined in `{rel}:{line}` ({what}):\n\n```{lang}\n{}\n```",
        snippet.join("\n")
    ))
}
