//! Report: the one place a [`Diagnostic`] becomes text — human (rustc-like,
//! via miette, with the source line and the span underlined), JSON
//! (`{file, line, column, code, severity, message, label, help}`), or an
//! editor's diagnostic ([`to_lsp`], for the language server).
//! Line and column are computed here, from [`Sources`], and nowhere else; an
//! editor's range is computed by [`crate::ide::pos`] in the encoding the
//! editor asked for.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity, Sources};

/// A diagnostic with its place resolved to 1-based line and column.
#[derive(Debug, Serialize, PartialEq)]
pub struct Located<'a> {
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub code: &'a str,
    pub severity: &'static str,
    pub message: &'a str,
    pub label: Option<&'a str>,
    pub help: Option<&'a str>,
}

pub fn locate<'a>(d: &'a Diagnostic, sources: &Sources) -> Located<'a> {
    let (line, column) = match &d.span {
        Some(s) => {
            let (l, c) = sources.line_col(&s.file, s.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    Located {
        file: d.span.as_ref().map(|s| &*s.file),
        line,
        column,
        code: d.code,
        severity: match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        message: &d.message,
        label: d.label.as_deref(),
        help: d.help.as_deref(),
    }
}

/// JSON array of every diagnostic, pretty-printed, with a trailing newline.
pub fn to_json(diags: &[Diagnostic], sources: &Sources) -> String {
    let located: Vec<Located> = diags.iter().map(|d| locate(d, sources)).collect();
    let mut s = serde_json::to_string_pretty(&located).expect("diagnostics serialize");
    s.push('\n');
    s
}

/// Human rendering of every diagnostic: a first line that names the place
/// plainly, so that it can be grepped and clicked (`file:line:column: error:
/// message [code]`), then the source excerpt with the span underlined and the
/// help line. The message is printed once. The caller adds the count line,
/// which depends on what the command would have done ([`count_line`]).
pub fn to_human(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        // Wrapping would break key names at their hyphens.
        .with_wrap_lines(false)
        .with_links(false);
    let mut out = String::new();
    for d in diags {
        let loc = locate(d, sources);
        let (severity, paint) = match d.severity {
            Severity::Error => ("error", "\x1b[1;31m"),
            Severity::Warning => ("warning", "\x1b[1;33m"),
        };
        let severity = if color {
            format!("{paint}{severity}\x1b[0m")
        } else {
            severity.to_string()
        };
        if let (Some(f), Some(l), Some(c)) = (loc.file, loc.line, loc.column) {
            out.push_str(&format!("{f}:{l}:{c}: "));
        }
        out.push_str(&format!("{severity}: {} [{}]\n", d.message, d.code));
        let text = d
            .span
            .as_ref()
            .and_then(|s| sources.get(&s.file).map(|t| (s, t)));
        if let Some((span, text)) = text {
            // miette draws the excerpt under a header line holding the message, which
            // is already on the first line: render with an empty message, keep from the box on.
            let len = span
                .end
                .saturating_sub(span.start)
                .min(text.len().saturating_sub(span.start));
            let mut md = MietteDiagnostic::new("").with_label(LabeledSpan::new(
                d.label.clone(),
                span.start.min(text.len()),
                len,
            ));
            if let Some(h) = &d.help {
                md = md.with_help(h.clone());
            }
            let report = miette::Report::new(md)
                .with_source_code(NamedSource::new(&*span.file, text.to_string()));
            let mut excerpt = String::new();
            let _ = handler.render_report(&mut excerpt, report.as_ref());
            let from = excerpt.find('\n').map_or(0, |i| i + 1);
            out.push_str(&excerpt[from..]);
        } else if let Some(h) = &d.help {
            out.push_str(&format!("  help: {h}\n"));
        }
        out.push('\n');
    }
    out
}

/// The closing line of a failed run, e.g. `error: 2 errors found, nothing was
/// written`: `outcome` says what the failure means for the command (empty: nothing).
pub fn count_line(diags: &[Diagnostic], outcome: &str) -> Option<String> {
    let n = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (n > 0).then(|| {
        format!(
            "error: {n} error{} found{}{outcome}\n",
            if n == 1 { "" } else { "s" },
            if outcome.is_empty() { "" } else { ", " },
        )
    })
}

/// An editor's diagnostic (Language Server Protocol) at `range`: the message,
/// then the help line, with the code and `envc` as its source. The label, which
/// the human printer writes under the caret, is left out: an editor underlines
/// the range and shows the message beside it.
pub fn to_lsp(d: &Diagnostic, range: lsp_types::Range) -> lsp_types::Diagnostic {
    let loc = locate(d, &Sources::default());
    let message = match loc.help {
        Some(h) => format!("{}\nhelp: {h}", loc.message),
        None => loc.message.to_string(),
    };
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => lsp_types::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp_types::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp_types::NumberOrString::String(loc.code.to_string())),
        source: Some("envc".to_string()),
        message,
        ..Default::default()
    }
}
