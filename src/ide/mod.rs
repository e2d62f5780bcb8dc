//! IDE: the questions an editor asks about a project, answered on unsaved text.
//!
//! A [`Workspace`] holds, per project directory, the input files (from disk,
//! overlaid with the editor's open buffers through [`Inputs`]) and a cache per
//! file: its line map and its parsed [`Document`]. An edit re-parses the one
//! file edited and re-checks what it can affect: the environment edited and
//! every environment whose `extends` chain goes through it, or, for the project
//! file, the project and every environment (open or not). Checking runs the
//! same stages as [`crate::compile`] ([`crate::check_project`],
//! [`crate::check_environment`]), without rendering.
//!
//! On top of those caches it answers, in the protocol's types: diagnostics
//! (through [`crate::report::to_lsp`], the editor's printer), completion
//! ([`complete`]), hover ([`hover`]), go to definition, references and document
//! symbols ([`nav`]), and code actions ([`actions`]). It owns no protocol loop:
//! the language server shell does, and calls in here.
//!
//! Formatting is deliberately absent: the `kdl` crate's formatter drops
//! comments at the end of a line, and an editor's formatter must be lossless.

pub mod actions;
pub mod complete;
pub mod hover;
pub mod nav;
pub mod pos;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lsp_types::{Position, Range, Uri};

use crate::diag::{Diagnostic, Span};
use crate::explain::Traced;
use crate::load::{self, Document};
use crate::model::Environment;
use crate::schema::Kind;
use crate::{CheckedProject, ENV_DIR, Inputs, PROJECT_FILE, env_stem, report};
pub use pos::{Encoding, LineMap};

/// Diagnostics of one file to send to the editor.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub uri: Uri,
    /// The version of the open buffer they were computed from.
    pub version: Option<i32>,
    pub diagnostics: Vec<lsp_types::Diagnostic>,
}

/// Every project the editor has files of.
#[derive(Debug)]
pub struct Workspace {
    encoding: Encoding,
    projects: BTreeMap<PathBuf, ProjectState>,
}

/// One file's caches.
#[derive(Debug)]
pub(crate) struct FileState {
    pub(crate) lines: LineMap,
    /// The parse of the current text (`Err` with no diagnostic for a file that could not be read).
    pub(crate) parsed: Result<Arc<Document>, Vec<Diagnostic>>,
    /// The last text of this file that parsed: names for completion while the file is being typed.
    pub(crate) last_good: Option<Arc<Document>>,
}

/// One environment's check.
#[derive(Debug, Default)]
pub(crate) struct EnvState {
    pub(crate) merged: Option<Document>,
    pub(crate) env: Option<Environment>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// One project: its inputs and what envc made of them.
#[derive(Debug)]
pub(crate) struct ProjectState {
    pub(crate) dir: PathBuf,
    pub(crate) inputs: Inputs,
    pub(crate) files: BTreeMap<String, FileState>,
    /// Open buffers: their versions and their text as the editor has it (which
    /// [`Inputs`] does not keep for a file over the input limit).
    open: BTreeMap<String, (i32, String)>,
    /// Parsed environment files by stem (each environment once).
    pub(crate) env_docs: BTreeMap<String, Arc<Document>>,
    duplicates: Vec<Diagnostic>,
    pub(crate) project: Option<CheckedProject>,
    project_diagnostics: Vec<Diagnostic>,
    pub(crate) envs: BTreeMap<String, EnvState>,
    /// What the editor was last sent, per file.
    published: BTreeMap<String, Vec<lsp_types::Diagnostic>>,
    /// The diagnostics it came from (for code actions).
    current: BTreeMap<String, Vec<Diagnostic>>,
    /// Traces of the inputs as they are now, for hover's generated lines.
    traces: TraceCache,
}

/// Traces ([`crate::explain::trace_only`]) of a project's current inputs, by the
/// environments they cover; `None` when the inputs do not compile. Built on the first
/// hover that needs one and kept until the next edit: tracing compiles the project.
#[derive(Default)]
pub(crate) struct TraceCache(Mutex<BTreeMap<Vec<String>, Option<Arc<Traced>>>>);

impl std::fmt::Debug for TraceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |c| c.len());
        write!(f, "TraceCache({n} traces)")
    }
}

/// Where a request points: a project, one of its files, and the byte offset.
pub(crate) struct At<'a> {
    pub(crate) ws: &'a Workspace,
    pub(crate) project: &'a ProjectState,
    pub(crate) rel: &'a str,
    pub(crate) text: &'a str,
    pub(crate) file: &'a FileState,
    pub(crate) offset: usize,
}

impl At<'_> {
    pub(crate) fn kind(&self) -> Kind {
        if self.rel == PROJECT_FILE {
            Kind::Project
        } else {
            Kind::Environment
        }
    }
    pub(crate) fn doc(&self) -> Option<&Document> {
        self.file.parsed.as_ref().ok().map(|d| &**d)
    }
    pub(crate) fn range(&self, span: &Span) -> Range {
        self.ws.range(self.project, span)
    }
}

impl Workspace {
    pub fn new(encoding: Encoding) -> Workspace {
        Workspace {
            encoding,
            projects: BTreeMap::new(),
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// A folder the editor opened: when it holds a project, load and check it
    /// (every file, open or not) and answer its diagnostics.
    pub fn add_folder(&mut self, dir: &Path) -> Vec<Published> {
        if !dir.join(PROJECT_FILE).is_file() {
            return Vec::new();
        }
        self.project_mut(dir);
        self.publish(dir)
    }

    /// The editor opened a file with this text.
    pub fn open(&mut self, uri: &Uri, version: i32, text: String) -> Vec<Published> {
        let Some((dir, rel)) = locate(uri) else {
            return Vec::new();
        };
        let p = self.project_mut(&dir);
        p.open.insert(rel.clone(), (version, text.clone()));
        p.set_text(&rel, text);
        self.publish(&dir)
    }

    /// The editor changed an open file.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: &[lsp_types::TextDocumentContentChangeEvent],
    ) -> Vec<Published> {
        let Some((dir, rel)) = locate(uri) else {
            return Vec::new();
        };
        let enc = self.encoding;
        let p = self.project_mut(&dir);
        let mut text = match p.open.remove(&rel) {
            Some((_, text)) => text,
            None => p.inputs.files.get(&rel).cloned().unwrap_or_default(),
        };
        pos::apply_changes(&mut text, changes, enc);
        p.open.insert(rel.clone(), (version, text.clone()));
        p.set_text(&rel, text);
        self.publish(&dir)
    }

    /// The editor closed a file: from now on its text is the one on disk.
    pub fn close(&mut self, uri: &Uri) -> Vec<Published> {
        let Some((dir, rel)) = locate(uri) else {
            return Vec::new();
        };
        let p = self.project_mut(&dir);
        p.open.remove(&rel);
        p.reload(&rel);
        self.publish(&dir)
    }

    /// A file changed on disk (created, changed, deleted); open buffers win.
    pub fn disk_changed(&mut self, uri: &Uri) -> Vec<Published> {
        let Some((dir, rel)) = locate(uri) else {
            return Vec::new();
        };
        if !self.projects.contains_key(&dir) {
            return Vec::new();
        }
        let p = self.project_mut(&dir);
        if p.open.contains_key(&rel) {
            return Vec::new();
        }
        p.reload(&rel);
        self.publish(&dir)
    }

    fn project_mut(&mut self, dir: &Path) -> &mut ProjectState {
        self.projects
            .entry(dir.to_path_buf())
            .or_insert_with(|| ProjectState::load(dir))
    }

    /// The file at `uri` and the byte offset of `pos` in it.
    pub(crate) fn at(&self, uri: &Uri, pos: Position) -> Option<At<'_>> {
        let (dir, rel) = locate(uri)?;
        let project = self.projects.get(&dir)?;
        let (rel, file) = project.files.get_key_value(&rel)?;
        let text = project.inputs.files.get(rel)?;
        let offset = file.lines.offset(text, pos, self.encoding);
        Some(At {
            ws: self,
            project,
            rel,
            text,
            file,
            offset,
        })
    }

    pub(crate) fn range(&self, project: &ProjectState, span: &Span) -> Range {
        match (
            project.files.get(&*span.file),
            project.inputs.files.get(&*span.file),
        ) {
            (Some(f), Some(text)) => f.lines.range(text, span.start, span.end, self.encoding),
            _ => Range::default(),
        }
    }

    pub(crate) fn uri(&self, project: &ProjectState, rel: &str) -> Option<Uri> {
        path_to_uri(&project.dir.join(rel))
    }

    /// What changed since the editor was last told, for one project. Ranges are
    /// compared, not only spans: an edit before a diagnostic moves its range.
    fn publish(&mut self, dir: &Path) -> Vec<Published> {
        let Some(p) = self.projects.get(dir) else {
            return Vec::new();
        };
        let now = p.diagnostics();
        let mut out = Vec::new();
        let files: BTreeSet<&String> = now.keys().chain(p.published.keys()).collect();
        let mut changed = Vec::new();
        for rel in files {
            let new = now.get(rel).cloned().unwrap_or_default();
            let lsp: Vec<lsp_types::Diagnostic> = new
                .iter()
                .map(|d| {
                    let range = d
                        .span
                        .as_ref()
                        .map_or_else(Range::default, |s| self.range(p, s));
                    report::to_lsp(d, range)
                })
                .collect();
            if p.published.get(rel).map_or(&[][..], Vec::as_slice) == lsp.as_slice() {
                continue;
            }
            let Some(uri) = self.uri(p, rel) else {
                continue;
            };
            out.push(Published {
                uri,
                version: p.open.get(rel).map(|(v, _)| *v),
                diagnostics: lsp.clone(),
            });
            changed.push((rel.clone(), lsp));
        }
        if let Some(p) = self.projects.get_mut(dir) {
            for (rel, lsp) in changed {
                if lsp.is_empty() {
                    p.published.remove(&rel);
                } else {
                    p.published.insert(rel, lsp);
                }
            }
            p.current = now;
        }
        out
    }

    /// The current diagnostics of one file (for code actions).
    pub(crate) fn diagnostics_of<'a>(
        &self,
        project: &'a ProjectState,
        rel: &str,
    ) -> &'a [Diagnostic] {
        project.current.get(rel).map_or(&[], Vec::as_slice)
    }
}

impl ProjectState {
    fn load(dir: &Path) -> ProjectState {
        let inputs = Inputs::read_dir(dir).unwrap_or_default();
        let mut p = ProjectState {
            dir: dir.to_path_buf(),
            inputs,
            files: BTreeMap::new(),
            open: BTreeMap::new(),
            env_docs: BTreeMap::new(),
            duplicates: Vec::new(),
            project: None,
            project_diagnostics: Vec::new(),
            envs: BTreeMap::new(),
            published: BTreeMap::new(),
            current: BTreeMap::new(),
            traces: TraceCache::default(),
        };
        let rels: Vec<String> = p.inputs.files.keys().cloned().collect();
        let parsed = crate::par_map(&rels, |rel| p.parse(rel));
        for (rel, f) in rels.into_iter().zip(parsed) {
            p.files.insert(rel, f);
        }
        p.index_environments();
        p.check_project();
        let all = p.inputs.environment_names();
        p.check_envs(&all);
        p
    }

    fn parse(&self, rel: &str) -> FileState {
        let text = self.inputs.files.get(rel).map_or("", String::as_str);
        let unreadable = self
            .inputs
            .unreadable
            .iter()
            .any(|d| d.span.as_ref().is_some_and(|s| &*s.file == rel));
        let parsed = if unreadable {
            Err(Vec::new())
        } else {
            load::parse_document(&Arc::from(rel), text).map(Arc::new)
        };
        FileState {
            lines: LineMap::new(text),
            last_good: parsed.as_ref().ok().cloned(),
            parsed,
        }
    }

    fn set_text(&mut self, rel: &str, text: String) {
        if rel != PROJECT_FILE && env_stem(rel).is_none() {
            return;
        }
        self.inputs.set(rel, text.into_bytes());
        self.refresh(rel);
    }

    fn reload(&mut self, rel: &str) {
        if self.inputs.reload(&self.dir, rel).is_err() {
            self.inputs.remove(rel);
        }
        self.refresh(rel);
    }

    /// Re-parse `rel` and re-check what it affects.
    fn refresh(&mut self, rel: &str) {
        self.traces = TraceCache::default();
        if self.inputs.files.contains_key(rel) {
            let mut f = self.parse(rel);
            if f.last_good.is_none() {
                f.last_good = self.files.get(rel).and_then(|old| old.last_good.clone());
            }
            self.files.insert(rel.to_string(), f);
        } else {
            self.files.remove(rel);
        }
        if rel == PROJECT_FILE {
            self.check_project();
            let all = self.inputs.environment_names();
            self.check_envs(&all);
            return;
        }
        let Some(stem) = env_stem(rel) else { return };
        self.index_environments();
        let affected: Vec<String> = self
            .inputs
            .environment_names()
            .into_iter()
            .filter(|name| self.chain(name).iter().any(|s| s == stem))
            .collect();
        self.check_envs(&affected);
    }

    /// The stems of the `extends` chain of environment `name`, itself first
    /// (a missing or cyclic link ends it).
    pub(crate) fn chain(&self, name: &str) -> Vec<String> {
        crate::extends_chain(name, &|stem| self.env_docs.get(stem).map(|d| &d.value))
    }

    /// Rebuild the parsed environment documents by stem, and the duplicate errors.
    fn index_environments(&mut self) {
        let (paths, duplicates) = crate::environment_files(self.files.keys().map(String::as_str));
        self.duplicates = duplicates;
        self.env_docs = paths
            .iter()
            .filter_map(|(stem, path)| {
                let doc = self.files.get(*path)?.parsed.as_ref().ok()?;
                Some((stem.to_string(), doc.clone()))
            })
            .collect();
        let names: BTreeSet<String> = self.inputs.environment_names().into_iter().collect();
        self.envs.retain(|k, _| names.contains(k));
    }

    /// The trace of the modules and of the roots of `only` (every root when empty) for
    /// the inputs as they are now: traced on first use, kept until the next edit.
    pub(crate) fn traced(&self, only: &[String]) -> Option<Arc<Traced>> {
        let mut cache = self.traces.0.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(only.to_vec())
            .or_insert_with(|| {
                crate::explain::trace_only(&self.inputs, only, crate::Checks::All)
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }

    /// The path of the environment file of a stem.
    pub(crate) fn env_path(&self, stem: &str) -> Option<&str> {
        ["kdl", "json"].iter().find_map(|ext| {
            let p = format!("{ENV_DIR}/{stem}.{ext}");
            self.files.get_key_value(&p).map(|(k, _)| k.as_str())
        })
    }

    fn check_project(&mut self) {
        self.project = None;
        self.project_diagnostics.clear();
        let Some(Ok(doc)) = self.files.get(PROJECT_FILE).map(|f| &f.parsed) else {
            return;
        };
        match crate::check_project((**doc).clone()) {
            Ok(p) => {
                self.project_diagnostics = p.warnings.clone();
                self.project = Some(p);
            }
            Err(e) => self.project_diagnostics = e,
        }
    }

    fn check_envs(&mut self, names: &[String]) {
        let this = &*self;
        let results = crate::par_map(names, |name| {
            // A file of the chain that does not parse reports its own errors; the environment waits.
            let blocked = this.chain(name).iter().any(|stem| {
                this.env_path(stem)
                    .and_then(|p| this.files.get(p))
                    .is_some_and(|f| f.parsed.is_err())
            });
            if blocked {
                return EnvState::default();
            }
            let checked = crate::check_environment(name, &this.env_docs, this.project.as_ref());
            let (env, diagnostics) = match checked.result {
                Ok(env) => (Some(env), checked.warnings),
                Err(d) => (None, d),
            };
            EnvState {
                merged: checked.merged,
                env,
                diagnostics,
            }
        });
        for (name, state) in names.iter().zip(results) {
            self.envs.insert(name.clone(), state);
        }
    }

    /// Every current diagnostic, by file, sorted and without repeats.
    fn diagnostics(&self) -> BTreeMap<String, Vec<Diagnostic>> {
        let mut all: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        let parse_errors = self
            .files
            .values()
            .filter_map(|f| f.parsed.as_ref().err())
            .flatten();
        let env_errors = self.envs.values().flat_map(|e| &e.diagnostics);
        for d in self
            .inputs
            .unreadable
            .iter()
            .chain(parse_errors)
            .chain(&self.duplicates)
            .chain(&self.project_diagnostics)
            .chain(env_errors)
        {
            if let Some(s) = &d.span {
                all.entry(s.file.to_string()).or_default().push(d.clone());
            }
        }
        for list in all.values_mut() {
            list.sort_by(|a, b| a.span.cmp(&b.span).then_with(|| a.message.cmp(&b.message)));
            list.dedup();
        }
        all
    }
}

/// The project directory and the path inside it of a file envc reads
/// (`…/envc.kdl`, `…/environments/<name>.kdl|json`); `None` for anything else.
pub fn locate(uri: &Uri) -> Option<(PathBuf, String)> {
    let path = uri_to_path(uri)?;
    let name = path.file_name()?.to_str()?.to_string();
    let parent = path.parent()?;
    if name == PROJECT_FILE {
        return Some((parent.to_path_buf(), name));
    }
    if parent.file_name()?.to_str()? == ENV_DIR
        && (name.ends_with(".kdl") || name.ends_with(".json"))
    {
        let dir = parent.parent()?.to_path_buf();
        return Some((dir, format!("{ENV_DIR}/{name}")));
    }
    None
}

/// A `file:` URI as a path.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    if !uri
        .scheme()
        .is_some_and(|s| s.as_str().eq_ignore_ascii_case("file"))
    {
        return None;
    }
    let decoded = uri.path().as_estr().decode().into_string().ok()?;
    Some(PathBuf::from(decoded.into_owned()))
}

/// A path as a `file:` URI.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}
