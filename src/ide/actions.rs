//! Code actions: the fixes diagnostics carry ([`Suggestion`]) as workspace
//! edits — a did-you-mean replacement (unknown key, enum value, region,
//! reference, `extends`), or a missing required key inserted with a
//! placeholder value taken from the schema.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Uri, WorkspaceEdit,
};
use serde_json::Value;

use super::{At, Workspace};
use crate::diag::{Diagnostic, Suggestion};
use crate::load::escape_pointer;
use crate::report;
use crate::schema::{self, Kind};

/// The fixes of the diagnostics that overlap `range` in the file at `uri`.
pub fn code_actions(ws: &Workspace, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
    let Some(at) = ws.at(uri, range.start) else {
        return Vec::new();
    };
    let end = at.file.lines.offset(at.text, range.end, ws.encoding());
    let (from, to) = (at.offset.min(end), at.offset.max(end));
    let mut out = Vec::new();
    for d in ws.diagnostics_of(at.project, at.rel) {
        let (Some(span), Some(s)) = (&d.span, &d.suggestion) else {
            continue;
        };
        if *span.file != *at.rel || span.start > to || from > span.end {
            continue;
        }
        let fix = match s {
            Suggestion::Replace(name) => replace(&at, d, name),
            Suggestion::AddKey { parent, key } => add_key(&at, parent, key),
        };
        let Some((title, edit)) = fix else { continue };
        let lsp_diag = report::to_lsp(d, at.range(span));
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![lsp_diag]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            is_preferred: Some(true),
            ..Default::default()
        }));
    }
    out
}

fn replace(at: &At, d: &Diagnostic, name: &str) -> Option<(String, TextEdit)> {
    let span = d.span.as_ref()?;
    let old = at.text.get(span.start..span.end)?;
    let quoted = ["\"", "#\"", "##", "r\"", "r#"]
        .iter()
        .any(|q| old.starts_with(q));
    let new = if quoted {
        serde_json::to_string(name).ok()?
    } else {
        name.to_string()
    };
    Some((
        format!("Replace with `{name}`"),
        TextEdit::new(at.range(span), new),
    ))
}

/// A value of the right type to start from.
fn placeholder(kind: Kind, ptr: &str, json: bool) -> Option<String> {
    let info = schema::key_info(kind, ptr)?;
    if info.named_entries {
        return None;
    }
    if let Some(v) = info.values.first() {
        return Some(v.to_string());
    }
    Some(
        match (info.block, info.expected.as_str(), json) {
            (true, _, true) => "{}",
            (true, _, false) => "{\n}",
            (_, e, true) if e.starts_with("a boolean") => "false",
            (_, e, false) if e.starts_with("a boolean") => "#false",
            (_, e, _) if e.contains("number") => "0",
            _ => "\"\"",
        }
        .to_string(),
    )
}

fn add_key(at: &At, parent: &str, key: &str) -> Option<(String, TextEdit)> {
    let doc = at.doc()?;
    let json = at.rel.ends_with(".json");
    let ptr = format!("{parent}/{}", escape_pointer(key));
    let value = placeholder(at.kind(), &ptr, json)?;
    let title = format!("Add `{key}`");
    let text = at.text;
    let (offset, insert) = if json {
        // After the `{` that opens the object.
        let span = doc.value_span(parent);
        let open = span.start + text.get(span.start..)?.find('{')?;
        let empty = doc
            .value
            .pointer(parent)
            .and_then(Value::as_object)
            .is_some_and(|m| m.is_empty());
        let comma = if empty { "" } else { "," };
        let indent = "  ".repeat(parent.matches('/').count() + 1);
        (
            open + 1,
            format!(
                "\n{indent}{}: {value}{comma}",
                serde_json::to_string(key).ok()?
            ),
        )
    } else if parent.is_empty() {
        let sep = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        (text.len(), format!("{sep}{key} {value}\n"))
    } else {
        let span = doc.value_span(parent);
        let node = text.get(span.start..span.end)?;
        let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let indent: String = text[line_start..span.start]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        if node.ends_with('}') {
            let close = span.end - 1;
            let before = &text[..close];
            let close_line = before.rfind('\n').map_or(0, |i| i + 1);
            if before[close_line..].trim().is_empty() {
                (close_line, format!("{indent}    {key} {value}\n"))
            } else {
                (close, format!("; {key} {value} "))
            }
        } else {
            let value = if value.contains('\n') {
                "{ }".into()
            } else {
                value
            };
            (span.end, format!(" {key}={value}"))
        }
    };
    let pos = at.file.lines.position(text, offset, at.ws.encoding());
    Some((title, TextEdit::new(Range::new(pos, pos), insert)))
}
