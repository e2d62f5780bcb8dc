//! Report: the one place a [`Diagnostic`] becomes text — human (rustc-like,
//! via miette, with the source line and the span underlined) or JSON
//! (`{file, line, column, code, severity, message, label, help}`).
//! Line and column are computed here, from [`Sources`], and nowhere else.

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

/// Human rendering of every diagnostic, then a count line.
pub fn to_human(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in diags {
        let loc = locate(d, sources);
        let mut md = MietteDiagnostic::new(d.message.clone())
            .with_code(d.code)
            .with_severity(match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            });
        if let Some(h) = &d.help {
            md = md.with_help(h.clone());
        }
        let report = match (&d.span, loc.file.and_then(|f| sources.get(f))) {
            (Some(span), Some(text)) => {
                let len = span
                    .end
                    .saturating_sub(span.start)
                    .min(text.len().saturating_sub(span.start));
                md = md.with_label(LabeledSpan::new(
                    d.label.clone(),
                    span.start.min(text.len()),
                    len,
                ));
                miette::Report::new(md)
                    .with_source_code(NamedSource::new(&*span.file, text.to_string()))
            }
            _ => miette::Report::new(md),
        };
        // The first line names the place plainly, so that it can be grepped and clicked.
        if let (Some(f), Some(l), Some(c)) = (loc.file, loc.line, loc.column) {
            out.push_str(&format!("{f}:{l}:{c}: error: {}\n", d.message));
        }
        let _ = handler.render_report(&mut out, report.as_ref());
        out.push('\n');
    }
    let n = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if n > 0 {
        out.push_str(&format!(
            "error: {n} error{} found, nothing was written\n",
            if n == 1 { "" } else { "s" }
        ));
    }
    out
}
