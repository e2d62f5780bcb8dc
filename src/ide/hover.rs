//! Hover: what the schema says about the key under the cursor (description,
//! type, allowed values, default); in an environment file, the value the
//! environment ends up with after `extends` and defaults, and where it came
//! from; on a region code, the region's name; on a reference, the definition
//! it names.
//!
//! The hover is a list of sections, each from its own function, joined with
//! rules. On a key, the last one lists the generated lines the key affects, as
//! `envc explain <file>:<line>` does ([`crate::explain::Traced::generated_from`]),
//! from a trace of the project kept until the next edit.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Uri};
use serde_json::Value;

use super::complete::show;
use super::nav::{self, Symbol};
use super::{At, Workspace};
use crate::diag::Span;
use crate::load::{Part, unescape_pointer};
use crate::schema::{self, Tier};
use crate::{OUT_DIR, PROJECT_FILE, aws, env_stem};

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
    if part == Part::Key {
        sections.extend(generates_section(&at, &ptr, &span));
    }
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

/// How many roots a hover traces at most (the modules always): tracing costs a compile
/// of each, and a hover must not wait for a thousand of them.
const TRACED_ROOTS: usize = 5;
/// How many generated lines a hover lists.
const SHOWN_LINES: usize = 10;

/// On a key: the generated lines it affects, those of the modules and of the roots
/// whose environments read the file (at most [`TRACED_ROOTS`] of them).
fn generates_section(at: &At, ptr: &str, key: &Span) -> Option<String> {
    let all = at.project.inputs.environment_names();
    let reading: Vec<String> = if at.rel == PROJECT_FILE {
        all.clone()
    } else {
        let stem = env_stem(at.rel)?;
        all.iter()
            .filter(|n| at.project.chain(n).iter().any(|s| s == stem))
            .cloned()
            .collect()
    };
    if reading.is_empty() && at.rel != PROJECT_FILE {
        return None; // a shared file that no environment extends
    }
    let traced_envs = &reading[..reading.len().min(TRACED_ROOTS)];
    let only = if traced_envs.len() == all.len() {
        Vec::new()
    } else {
        traced_envs.to_vec()
    };
    let traced = at.project.traced(&only)?;
    let lines = traced.generated_from(at.rel, ptr);
    let line = at.file.lines.line_number(at.text, key.start);
    let explain = format!("`envc explain {}:{line}`", at.rel);
    let mut s = match lines.len() {
        0 => "Generates no line of the tree".to_string(),
        1 => "Generates 1 line:\n".to_string(),
        n => format!("Generates {n} lines:\n"),
    };
    for (file, n) in lines.iter().take(SHOWN_LINES) {
        let shown = format!("{OUT_DIR}/{file}:{n}");
        match crate::ide::path_to_uri(&at.project.dir.join(OUT_DIR).join(file)) {
            Some(uri) => s.push_str(&format!("\n- [`{shown}`]({}#L{n})", uri.as_str())),
            None => s.push_str(&format!("\n- `{shown}`")),
        }
    }
    if lines.len() > SHOWN_LINES {
        s.push_str(&format!(
            "\n- … and {} more ({explain} lists them)",
            lines.len() - SHOWN_LINES
        ));
    }
    let skipped = reading.len() - traced_envs.len();
    if skipped > 0 {
        s.push_str(&format!(
            "\n\nIn the modules and the roots of `{}`; {skipped} other root{} not searched ({explain} searches every one).",
            traced_envs.join("`, `"),
            if skipped == 1 { " was" } else { "s were" },
        ));
    }
    Some(s)
}
