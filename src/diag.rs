//! Diagnostics: the one error model every stage reports into.
//!
//! A [`Diagnostic`] carries a code, a lowercase message, an optional primary
//! [`Span`] (file + byte range, never line/column: those are computed only when
//! printing, from [`Sources`]), an optional help line and, where envc knows
//! the fix, a machine-applicable [`Suggestion`]. It is printed in three ways —
//! human (rustc-like, through miette), JSON, and as editor diagnostics for the
//! language server — by [`crate::report`]; no stage formats errors itself.

use std::collections::BTreeMap;
use std::sync::Arc;

/// A byte range in one input file. `file` is the path relative to the project
/// directory, as the user would type it (`environments/dev.kdl`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: Arc<str>,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: &Arc<str>, start: usize, end: usize) -> Self {
        Span {
            file: file.clone(),
            start,
            end,
        }
    }
    /// A zero-length span at the start of a file (used when there is no better place).
    pub fn file_start(file: &Arc<str>) -> Self {
        Span {
            file: file.clone(),
            start: 0,
            end: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine code, e.g. `envc::schema::unknown-key`.
    pub code: &'static str,
    /// Lowercase, names in backticks.
    pub message: String,
    /// Where it happened. `None` only for errors that have no place in an input (I/O).
    pub span: Option<Span>,
    /// Text under the caret line (short: "unknown key", "expected a boolean").
    pub label: Option<String>,
    /// "did you mean `region`?" and similar.
    pub help: Option<String>,
    /// The fix an editor can apply (a code action); printers other than the
    /// editor's ignore it.
    pub suggestion: Option<Suggestion>,
}

/// A fix that can be applied without asking the user anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suggestion {
    /// Replace the text at the diagnostic's span with this name (written in the
    /// same style as the text it replaces: quoted if that was quoted).
    Replace(String),
    /// Add the required key `key` to the object at JSON pointer `parent`.
    AddKey { parent: String, key: String },
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            suggestion: None,
        }
    }
    /// A warning: reported, but the command still does its work.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
    pub fn at_opt(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
    /// "did you mean `name`?", with the replacement an editor can apply.
    pub fn did_you_mean(self, name: &str) -> Self {
        self.help(format!("did you mean `{name}`?"))
            .suggest(Suggestion::Replace(name.to_string()))
    }
    pub fn did_you_mean_opt(self, name: Option<&str>) -> Self {
        match name {
            Some(n) => self.did_you_mean(n),
            None => self,
        }
    }
    pub fn suggest(mut self, suggestion: Suggestion) -> Self {
        self.suggestion = Some(suggestion);
        self
    }
    pub fn suggest_opt(mut self, suggestion: Option<Suggestion>) -> Self {
        self.suggestion = suggestion;
        self
    }
}

/// The text of every input file read in a run, keyed by the same path a
/// [`Span`] carries, so that spans can be turned into line/column and a
/// source excerpt when (and only when) a diagnostic is printed.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: BTreeMap<Arc<str>, Arc<str>>,
}

impl Sources {
    pub fn insert(&mut self, path: &Arc<str>, text: &Arc<str>) {
        self.files.insert(path.clone(), text.clone());
    }
    pub fn get(&self, path: &str) -> Option<&Arc<str>> {
        self.files.get(path)
    }
    /// Every file's path and text.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<str>)> {
        self.files.iter()
    }
    /// 1-based line and column (column counted in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, path: &str, offset: usize) -> (usize, usize) {
        let Some(text) = self.files.get(path) else {
            return (1, 1);
        };
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

/// The syntax of an input file, so that advice speaks the language of the file
/// it is about: `#true` and `key value` in KDL, `true` and `"key": value` in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Kdl,
    Json,
}

impl Syntax {
    /// The syntax of the file at `path` (`.json` files are JSON, the rest KDL).
    pub fn of(path: &str) -> Syntax {
        if path.ends_with(".json") {
            Syntax::Json
        } else {
            Syntax::Kdl
        }
    }

    /// A scalar as this syntax writes it: `#true`/`true`, `"text"`, `5`.
    pub fn literal(self, value: &serde_json::Value) -> String {
        use serde_json::Value;
        match (self, value) {
            (Syntax::Kdl, Value::Bool(b)) => format!("#{b}"),
            (Syntax::Kdl, Value::Null) => "#null".to_string(),
            (_, v) => v.to_string(),
        }
    }

    /// A setting as this syntax writes it: `key value` / `"key": value`.
    pub fn setting(self, key: &str, value: &serde_json::Value) -> String {
        match self {
            Syntax::Kdl => format!("{key} {}", self.literal(value)),
            Syntax::Json => format!("\"{key}\": {}", self.literal(value)),
        }
    }

    /// How a boolean is written: ``a boolean (`#true` or `#false`)``.
    pub fn boolean(self) -> String {
        format!(
            "a boolean (`{}` or `{}`)",
            self.literal(&true.into()),
            self.literal(&false.into())
        )
    }
}

/// Suggest the candidate nearest to `word` (Jaro-Winkler ≥ 0.8 or a small edit distance).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        let close = score >= 0.8 || strsim::levenshtein(word, c) <= 2.max(word.len() / 4);
        if close && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let mut s = Sources::default();
        let p: Arc<str> = "a.kdl".into();
        s.insert(&p, &Arc::from("ab\ncdé\nx"));
        assert_eq!(s.line_col("a.kdl", 0), (1, 1));
        assert_eq!(s.line_col("a.kdl", 3), (2, 1));
        assert_eq!(s.line_col("a.kdl", 7), (2, 4));
        assert_eq!(s.line_col("a.kdl", 8), (3, 1));
    }

    #[test]
    fn nearest_suggests_close_names_only() {
        let keys = ["region", "failover-region", "tier"];
        assert_eq!(nearest("regoin", keys), Some("region"));
        assert_eq!(nearest("failover-regoin", keys), Some("failover-region"));
        assert_eq!(nearest("zzzzzz", keys), None);
    }
}
