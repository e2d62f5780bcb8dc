//! envc: compile typed environment files into a committed Terraform tree.
//!
//! The pipeline, one module per stage, driven by [`compile`]:
//!
//! [`load`] (KDL/JSON → JSON view + spans, `extends`) →
//! [`schema`] (JSON Schema validation, typed input) →
//! [`model`] (defaults, names: the resolved project and environments) →
//! [`rules`] (semantic checks) →
//! [`render`] (templates → Terraform text, through [`format`]) →
//! [`emit`] (write the tree) or [`diff`] (compare it). Before writing or comparing,
//! [`changes`] reads the previous tree and warns of what an apply would replace or
//! destroy. [`Compiled::warnings`] holds the warnings of the inputs themselves.
//!
//! [`ide`] answers an editor's questions (diagnostics, completion, hover, …)
//! with the same stages, on unsaved text, without rendering.
//!
//! The library does no argument parsing and no terminal output; its only file
//! access is [`Inputs::read_dir`] (reading a project) and [`emit`] (writing a
//! tree), so tests and an editor can feed unsaved text through [`Inputs`].

pub mod aws;
pub mod changes;
pub mod diag;
pub mod diff;
pub mod docs;
pub mod emit;
pub mod explain;
pub mod format;
pub mod git;
pub mod ide;
pub mod load;
pub mod model;
pub mod origin;
pub mod placeholder;
pub mod render;
pub mod report;
pub mod rules;
pub mod schema;
pub mod trace;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use diag::{Diagnostic, Sources, Span};
use load::Document;
use model::{Environment, Project};

/// The project file's path inside a project.
pub const PROJECT_FILE: &str = "envc.kdl";
/// The directory of environment files.
pub const ENV_DIR: &str = "environments";
/// Where the generated tree goes unless `--out` says otherwise.
pub const OUT_DIR: &str = "terraform";
/// Input files larger than this are refused: the KDL parser needs about 17 bytes of
/// memory and 0.4 µs per input byte, and no real environment file comes near it.
pub const MAX_INPUT_BYTES: usize = 16 << 20;

/// The input files of one project, by path relative to the project directory
/// (`envc.kdl`, `environments/dev.kdl`), as text.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub files: BTreeMap<String, String>,
    /// Files that could not be read as text (reported by [`compile`]).
    pub unreadable: Vec<Diagnostic>,
}

impl Inputs {
    /// Read `envc.kdl` and `environments/*.{kdl,json}` of the project at `dir`.
    pub fn read_dir(dir: &Path) -> std::io::Result<Inputs> {
        let mut inputs = Inputs::default();
        inputs.read_one(dir, PROJECT_FILE)?;
        let env_dir = dir.join(ENV_DIR);
        match std::fs::read_dir(&env_dir) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry?;
                    let name = entry.file_name();
                    let Some(name) = name.to_str() else { continue };
                    if (name.ends_with(".kdl") || name.ends_with(".json"))
                        && entry.file_type()?.is_file()
                    {
                        inputs.read_one(dir, &format!("{ENV_DIR}/{name}"))?;
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(inputs)
    }

    /// Replace (or add) one file's text, e.g. an editor's unsaved buffer. The
    /// same limits apply as to files read from disk.
    pub fn set(&mut self, rel: &str, bytes: Vec<u8>) {
        self.remove(rel);
        self.insert(rel, bytes);
    }

    /// Forget one file.
    pub fn remove(&mut self, rel: &str) {
        self.files.remove(rel);
        self.unreadable
            .retain(|d| d.span.as_ref().is_none_or(|s| &*s.file != rel));
    }

    /// Read one file of the project at `dir` again (gone from disk: forgotten).
    pub fn reload(&mut self, dir: &Path, rel: &str) -> std::io::Result<()> {
        self.remove(rel);
        self.read_one(dir, rel)
    }

    fn read_one(&mut self, dir: &Path, rel: &str) -> std::io::Result<()> {
        match std::fs::read(dir.join(rel)) {
            Ok(b) => self.insert(rel, b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Inputs from files given by path relative to the project (e.g. read from git):
    /// the project file and environment files are taken, everything else ignored.
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> Inputs {
        let mut inputs = Inputs::default();
        for (rel, bytes) in files {
            if rel == PROJECT_FILE || env_stem(&rel).is_some() {
                inputs.insert(&rel, bytes);
            }
        }
        inputs
    }

    fn insert(&mut self, rel: &str, bytes: Vec<u8>) {
        if bytes.len() > MAX_INPUT_BYTES {
            let path: Arc<str> = rel.into();
            self.unreadable.push(
                Diagnostic::error(
                    "envc::load::too-large",
                    format!(
                        "file is {} bytes; envc reads input files of at most {} MiB",
                        bytes.len(),
                        MAX_INPUT_BYTES >> 20
                    ),
                )
                .at(Span::file_start(&path))
                .label("too large")
                .help("split it with `extends`, or move data out of the environment file"),
            );
            self.files.insert(rel.to_string(), String::new());
            return;
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                self.files.insert(rel.to_string(), text);
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let path: Arc<str> = rel.into();
                // Keep the valid prefix so that the place can be shown.
                let text = String::from_utf8_lossy(&e.into_bytes()[..at]).into_owned();
                self.unreadable.push(
                    Diagnostic::error("envc::load::utf8", "file is not valid UTF-8")
                        .at(Span::new(&path, at, at))
                        .label("invalid byte here"),
                );
                self.files.insert(rel.to_string(), text);
            }
        }
    }

    /// Environment names (file stems not starting with `_`), sorted.
    pub fn environment_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|p| env_stem(p))
            .filter(|s| !s.starts_with('_'))
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Whether a project-relative path (`/`-separated) is one of the files envc
/// reads: the project file or an environment file.
pub fn is_input_path(path: &str) -> bool {
    path == PROJECT_FILE || env_stem(path).is_some()
}

/// The stem of an environment file's path (`environments/dev.kdl` → `dev`,
/// `environments/_base.kdl` → `_base`); `None` for any other path.
pub fn env_stem(path: &str) -> Option<&str> {
    let name = path.strip_prefix(ENV_DIR)?.strip_prefix('/')?;
    name.strip_suffix(".kdl")
        .or_else(|| name.strip_suffix(".json"))
        .filter(|s| !s.contains('/'))
}

/// A successful compile: every generated file and the models they came from.
#[derive(Debug)]
pub struct Compiled {
    /// Generated files, path relative to the output directory (`/` separated) → text.
    pub files: BTreeMap<String, String>,
    pub project: Project,
    pub environments: Vec<Environment>,
    pub sources: Sources,
    /// What the inputs ask for that works but deserves a word (a deprecated key, a
    /// setting that cannot be undone), each at its place, sorted. The command still
    /// does its work; the CLI prints them. [`changes::warnings`] adds those that
    /// need the previous tree.
    pub warnings: Vec<Diagnostic>,
}

/// A failed compile: every diagnostic of the stage that failed.
#[derive(Debug)]
pub struct Failed {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

/// Compile a project. `only` restricts the environments compiled (all when empty);
/// modules are always compiled.
pub fn compile(inputs: &Inputs, only: &[String]) -> Result<Compiled, Failed> {
    compile_with(inputs, only, Checks::All, false).map(|(c, _)| c)
}

/// Which checks [`compile_with`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checks {
    /// Everything: what `build` does.
    All,
    /// The schema but not the semantic rules. For provenance tests, which must render
    /// inputs that the rules refuse (a lifecycle day moved past the next one) to show
    /// that a line depends on them; never for writing a tree.
    SchemaOnly,
}

/// [`compile`] with a choice of checks. [`Checks::SchemaOnly`] is for provenance tests.
pub fn compile_checked(
    inputs: &Inputs,
    only: &[String],
    checks: Checks,
) -> Result<Compiled, Failed> {
    compile_with(inputs, only, checks, false).map(|(c, _)| c)
}

/// What [`compile_with`] keeps beyond [`Compiled`]: the documents the models were
/// resolved from, for [`explain`].
pub(crate) struct Kept {
    pub project: Document,
    /// Per environment: its merged document and the `extends` links of its chain.
    pub environments: BTreeMap<String, (Document, Vec<origin::Link>)>,
}

/// [`compile`], with a choice of checks; with `keep`, also returns the documents
/// (otherwise freed before rendering: with many environments they weigh).
pub(crate) fn compile_with(
    inputs: &Inputs,
    only: &[String],
    checks: Checks,
    keep: bool,
) -> Result<(Compiled, Kept), Failed> {
    let mut sources = Sources::default();
    for (path, text) in &inputs.files {
        let p: Arc<str> = path.as_str().into();
        sources.insert(&p, &Arc::from(text.as_str()));
    }
    let fail = |diagnostics: Vec<Diagnostic>, sources: &Sources| Failed {
        diagnostics,
        sources: sources.clone(),
    };
    if !inputs.unreadable.is_empty() {
        return Err(fail(inputs.unreadable.clone(), &sources));
    }

    // load
    let mut errors = Vec::new();
    let Some(project_text) = inputs.files.get(PROJECT_FILE) else {
        return Err(fail(
            vec![
                Diagnostic::error(
                    "envc::load::no-project",
                    format!("no `{PROJECT_FILE}` in the project directory"),
                )
                .help("run `envc init` to scaffold a project, or pass `-C <project-dir>`"),
            ],
            &sources,
        ));
    };
    let project_path: Arc<str> = PROJECT_FILE.into();
    let project_doc = load::parse_document(&project_path, project_text);
    let (env_paths, duplicates) = environment_files(inputs.files.keys().map(String::as_str));
    errors.extend(duplicates);
    let parsed = par_map(&env_paths, |(_, path)| {
        load::parse_document(&Arc::from(*path), &inputs.files[*path])
    });
    let mut env_docs: BTreeMap<String, Document> = BTreeMap::new();
    let mut unparsed: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for ((stem, _), doc) in env_paths.iter().zip(parsed) {
        match doc {
            Ok(doc) => {
                env_docs.insert(stem.to_string(), doc);
            }
            Err(e) => {
                unparsed.insert(stem);
                errors.extend(e);
            }
        }
    }
    let names: Vec<String> = inputs
        .environment_names()
        .into_iter()
        .filter(|n| only.is_empty() || only.contains(n))
        .collect();

    // An environment is checked when every file of its `extends` chain loaded
    // (a file that did not has its errors reported already).
    let chain_loaded = |name: &str| {
        extends_chain(name, &|stem| env_docs.get(stem).map(|d| &d.value))
            .iter()
            .all(|stem| !unparsed.contains(stem.as_str()))
    };

    // The project: schema, model, rules.
    let project = project_doc
        .map_err(|e| errors.extend(e))
        .ok()
        .and_then(|doc| {
            check_project_with(doc, checks)
                .map_err(|e| errors.extend(e))
                .ok()
        });

    // Each environment: extends, schema, model, rules — in parallel, stopping between stages.
    type EnvDoc = (Document, Vec<origin::Link>);
    type EnvResult = Result<(Environment, Vec<Diagnostic>, Option<EnvDoc>), Vec<Diagnostic>>;
    let per_env = par_map(&names, |name| -> EnvResult {
        if !chain_loaded(name) {
            return Err(Vec::new());
        }
        let checked = check_environment_with(name, &env_docs, project.as_ref(), checks);
        let warned = checked.warnings;
        let env = checked.result?;
        let (Some(doc), true, Some(p)) = (checked.merged, keep, &project) else {
            return Ok((env, warned, None));
        };
        let links = extends_links(name, &env_docs, &p.project);
        Ok((env, warned, Some((doc, links))))
    });
    let mut environments = Vec::with_capacity(names.len());
    let mut kept_envs = BTreeMap::new();
    let mut warnings = Vec::new();
    for r in per_env {
        match r {
            Ok((env, warned, doc)) => {
                if let Some(doc) = doc {
                    kept_envs.insert(env.name.clone(), doc);
                }
                environments.push(env);
                warnings.extend(warned);
            }
            Err(e) => errors.extend(e),
        }
    }
    // The documents (views and span maps) are not needed past the rules: free them before rendering.
    drop(env_docs);
    if let Some(p) = &project {
        warnings.extend(p.warnings.iter().cloned());
        let at = origin::Placer::new(&sources, &p.project);
        errors.extend(rules::check_environments(&p.project, &environments, &at));
    }
    let Some(CheckedProject {
        project,
        doc: project_doc,
        ..
    }) = project.filter(|_| errors.iter().all(|d| !d.is_error()))
    else {
        errors.extend(warnings);
        return Err(fail(sorted(errors), &sources));
    };

    // render
    let internal = |e: render::RenderError| {
        fail(
            vec![Diagnostic::error(
                "envc::render::internal",
                format!(
                    "template `{}` failed (this is a bug in envc): {}",
                    e.template, e.message
                ),
            )],
            &sources,
        )
    };
    let renderer = render::Renderer::new(&project);
    // Collected into a vector first: the map is then built in one pass over the
    // sorted paths rather than by 9,000 searches from its root.
    let mut all: Vec<(String, String)> =
        renderer.modules().map_err(internal)?.into_iter().collect();
    for root in par_map(&environments, |env| renderer.root(env)) {
        all.extend(root.map_err(internal)?);
    }
    let mut files: BTreeMap<String, String> = all.into_iter().collect();
    // The documentation states facts of the Terraform files: rendered after them.
    let docs = renderer
        .docs(&render::DocInputs {
            project: &project,
            environments: &environments,
            files: &files,
            index: only.is_empty(),
        })
        .map_err(internal)?;
    files.extend(docs);
    Ok((
        Compiled {
            files,
            project,
            environments,
            sources,
            warnings: sorted(warnings),
        },
        Kept {
            project: project_doc,
            environments: kept_envs,
        },
    ))
}

/// The `extends` links of an environment's chain, each with the file it leads to and
/// the environment as it would be without that link (`None`: it would not compile).
fn extends_links(
    name: &str,
    env_docs: &BTreeMap<String, Document>,
    project: &Project,
) -> Vec<origin::Link> {
    let chain = extends_chain(name, &|stem| env_docs.get(stem).map(|d| &d.value));
    chain
        .windows(2)
        .filter_map(|w| {
            let place = origin::place(&env_docs[&w[0]], "/extends")?;
            let to = env_docs.get(&w[1])?.path.clone();
            let mut cut = env_docs.clone();
            if let Some(d) = cut.get_mut(&w[0]) {
                if let serde_json::Value::Object(m) = &mut d.value {
                    m.shift_remove("extends");
                }
                d.spans.remove("/extends");
            }
            let without = load::resolve_extends(name, &cut)
                .ok()
                .and_then(|d| {
                    schema::check::<schema::EnvironmentFile>(schema::Kind::Environment, &d).ok()
                })
                .map(|f| {
                    serde_json::to_value(model::resolve_environment(project, name, &f))
                        .expect("the model serializes")
                });
            Some(origin::Link { to, place, without })
        })
        .collect()
}

/// The stems of an environment's `extends` chain, itself first, as far as the
/// documents `view` returns go (a missing file or a cycle ends it: reporting
/// those is [`load::resolve_extends`]'s job).
pub(crate) fn extends_chain<'a>(
    name: &str,
    view: &dyn Fn(&str) -> Option<&'a serde_json::Value>,
) -> Vec<String> {
    let mut chain = vec![name.to_string()];
    let mut cur = name.to_string();
    while let Some(parent) = view(&cur)
        .and_then(|v| v.get("extends"))
        .and_then(serde_json::Value::as_str)
    {
        if chain.iter().any(|c| c == parent) {
            break;
        }
        chain.push(parent.to_string());
        cur = parent.to_string();
    }
    chain
}

/// What a check of some input files found (`envc validate <file>...`).
#[derive(Debug)]
pub struct Validation {
    /// Diagnostics in the files asked about and in the files they depend on
    /// (the project file, the `extends` chain): those bear on the answer.
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
    /// Files asked about that could not be checked fully: files they depend on have errors.
    pub blocked: Vec<String>,
    /// Shared (`_`) files asked about that no environment extends: only their syntax was checked.
    pub unused: Vec<String>,
    /// Errors in other files, which the files asked about do not depend on.
    pub elsewhere: usize,
}

/// Check the input files `files` (project-relative paths, each an input of the
/// project: see [`is_input_path`]) in the context of the whole project: an
/// environment file through its `extends` chain and the project file, the
/// project file and a shared `_` file through every environment that uses them.
/// Nothing is rendered.
pub fn validate(inputs: &Inputs, files: &[String]) -> Validation {
    let stems: Vec<&str> = files.iter().filter_map(|f| env_stem(f)).collect();
    // An environment file alone needs only its own environment compiled.
    let only: Vec<String> = if files
        .iter()
        .all(|f| env_stem(f).is_some_and(|s| !s.starts_with('_')))
    {
        stems.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    let views: BTreeMap<String, serde_json::Value> = inputs
        .files
        .iter()
        .filter_map(|(path, text)| {
            let stem = env_stem(path)?;
            let doc = load::parse_document(&Arc::from(path.as_str()), text).ok()?;
            Some((stem.to_string(), doc.value))
        })
        .collect();
    let view = |stem: &str| views.get(stem);
    let path_of = |stem: &str| {
        inputs
            .files
            .keys()
            .find(|p| env_stem(p) == Some(stem))
            .cloned()
    };
    // What the answer depends on: the files asked about, the project file, their chains.
    let mut relevant: std::collections::BTreeSet<String> = files.iter().cloned().collect();
    relevant.insert(PROJECT_FILE.to_string());
    for stem in &stems {
        relevant.extend(extends_chain(stem, &view).iter().filter_map(|s| path_of(s)));
    }
    let mut unused = Vec::new();
    for (file, stem) in files.iter().filter_map(|f| Some((f, env_stem(f)?))) {
        let used = inputs
            .environment_names()
            .iter()
            .any(|env| extends_chain(env, &view).iter().any(|s| s == stem));
        if stem.starts_with('_') && !used {
            unused.push(file.clone());
        }
    }
    let (diagnostics, sources) = match compile(inputs, &only) {
        Ok(c) => (c.warnings, c.sources),
        Err(f) => (f.diagnostics, f.sources),
    };
    let (bearing, other): (Vec<Diagnostic>, Vec<Diagnostic>) = diagnostics
        .into_iter()
        .partition(|d| d.span.as_ref().is_none_or(|s| relevant.contains(&*s.file)));
    let in_file = |d: &Diagnostic, f: &str| d.span.as_ref().is_some_and(|s| &*s.file == f);
    let blocked = files
        .iter()
        .filter(|f| {
            !bearing.iter().any(|d| in_file(d, f))
                && bearing
                    .iter()
                    .any(|d| d.severity == diag::Severity::Error && !in_file(d, f))
        })
        .cloned()
        .collect();
    Validation {
        elsewhere: other
            .iter()
            .filter(|d| d.severity == diag::Severity::Error)
            .count(),
        diagnostics: bearing,
        sources,
        blocked,
        unused,
    }
}

/// The environment files among `paths` (relative to the project), as (stem,
/// path), and an error for each environment defined by two files
/// (`dev.kdl` and `dev.json`): the second is left out.
pub fn environment_files<'a>(
    paths: impl Iterator<Item = &'a str>,
) -> (Vec<(&'a str, &'a str)>, Vec<Diagnostic>) {
    let mut env_paths = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for path in paths {
        let Some(stem) = env_stem(path) else { continue };
        if let Some(other) = seen.insert(stem, path) {
            errors.push(
                Diagnostic::error(
                    "envc::load::duplicate-environment",
                    format!("environment `{stem}` is defined twice: `{other}` and `{path}`"),
                )
                .at(Span::file_start(&Arc::from(path)))
                .help("keep one of the two files"),
            );
            continue;
        }
        env_paths.push((stem, path));
    }
    (env_paths, errors)
}

/// A project file that passed the schema and the rules: the resolved project,
/// and its document, where the rules of an environment place errors about the
/// names the project makes.
#[derive(Debug)]
pub struct CheckedProject {
    pub project: Project,
    pub doc: Document,
    /// What the rules warn about (a valid project may have warnings).
    pub warnings: Vec<Diagnostic>,
}

/// Check the project file without rendering: schema, model, rules.
pub fn check_project(doc: Document) -> Result<CheckedProject, Vec<Diagnostic>> {
    check_project_with(doc, Checks::All)
}

fn check_project_with(doc: Document, checks: Checks) -> Result<CheckedProject, Vec<Diagnostic>> {
    let file = schema::check::<schema::ProjectFile>(schema::Kind::Project, &doc)?;
    let project = model::resolve_project(&file);
    let (found, warnings): (Vec<_>, Vec<_>) = match checks {
        Checks::All => rules::check_project(&project, &doc),
        Checks::SchemaOnly => Vec::new(),
    }
    .into_iter()
    .partition(Diagnostic::is_error);
    if found.is_empty() {
        Ok(CheckedProject {
            project,
            doc,
            warnings,
        })
    } else {
        Err(found)
    }
}

/// One environment checked without rendering.
#[derive(Debug)]
pub struct CheckedEnvironment {
    /// The environment's document after `extends` (`None` when the chain does not resolve).
    pub merged: Option<Document>,
    /// The resolved environment, or every diagnostic of the stage that failed
    /// (its warnings too). Without a valid project, an environment that passes
    /// the schema fails with no error.
    pub result: Result<Environment, Vec<Diagnostic>>,
    /// What the rules warn about a valid environment.
    pub warnings: Vec<Diagnostic>,
}

/// Check environment `name` without rendering: `extends` (through `docs`, the
/// parsed environment files by stem), schema, model, and, with a valid
/// project, the rules.
pub fn check_environment<D: std::borrow::Borrow<Document>>(
    name: &str,
    docs: &BTreeMap<String, D>,
    project: Option<&CheckedProject>,
) -> CheckedEnvironment {
    check_environment_with(name, docs, project, Checks::All)
}

fn check_environment_with<D: std::borrow::Borrow<Document>>(
    name: &str,
    docs: &BTreeMap<String, D>,
    project: Option<&CheckedProject>,
    checks: Checks,
) -> CheckedEnvironment {
    let doc = match load::resolve_extends(name, docs) {
        Ok(doc) => doc,
        Err(e) => {
            return CheckedEnvironment {
                merged: None,
                result: Err(e),
                warnings: Vec::new(),
            };
        }
    };
    let mut warnings = Vec::new();
    let result = (|| {
        let file = schema::check::<schema::EnvironmentFile>(schema::Kind::Environment, &doc)?;
        let Some(p) = project else {
            return Err(Vec::new());
        };
        let env = model::resolve_environment(&p.project, name, &file);
        let (found, warned): (Vec<_>, Vec<_>) = match checks {
            Checks::All => rules::check_environment(&p.project, &p.doc, &env, &doc),
            Checks::SchemaOnly => Vec::new(),
        }
        .into_iter()
        .partition(Diagnostic::is_error);
        if found.is_empty() {
            warnings = warned;
            Ok(env)
        } else {
            Err(found.into_iter().chain(warned).collect())
        }
    })();
    CheckedEnvironment {
        merged: Some(doc),
        result,
        warnings,
    }
}

/// `items.iter().map(f)`, spread over the machine's cores (one rayon pool for
/// the whole run, so allocator heaps are reused), results in order.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    if items.len() < 16 {
        return items.iter().map(f).collect();
    }
    items.par_iter().with_min_len(8).map(f).collect()
}

fn sorted(mut d: Vec<Diagnostic>) -> Vec<Diagnostic> {
    d.sort_by(|a, b| a.span.cmp(&b.span).then_with(|| a.message.cmp(&b.message)));
    d.dedup();
    d
}

/// Which generated paths a build with `only` environments owns: all modules, and
/// the roots of those environments (all roots when `only` is empty).
pub fn in_scope(only: &[String]) -> impl Fn(&str) -> bool + Sync + '_ {
    move |path: &str| {
        if path.starts_with("modules/") {
            return true;
        }
        match path
            .strip_prefix("environments/")
            .and_then(|p| p.split_once('/'))
        {
            Some((env, _)) => only.is_empty() || only.iter().any(|o| o == env),
            None => only.is_empty(),
        }
    }
}

/// Which environments' generated output differs between two compiled trees, and why:
/// `root` (its own files), a module name (a module it uses changed), `added` or `removed`.
/// Environments whose output is identical are left out.
pub fn affected(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<String>> {
    let envs = |t: &BTreeMap<String, String>| -> std::collections::BTreeSet<String> {
        t.keys()
            .filter_map(|p| {
                p.strip_prefix("environments/")?
                    .split_once('/')
                    .map(|(e, _)| e.to_string())
            })
            .collect()
    };
    let (old_envs, new_envs) = (envs(before), envs(after));
    let mut changed_modules = std::collections::BTreeSet::new();
    let mut changed_roots = std::collections::BTreeSet::new();
    for path in before.keys().chain(after.keys()) {
        if before.get(path) == after.get(path) {
            continue;
        }
        let mut parts = path.split('/');
        match (parts.next(), parts.next()) {
            (Some("modules"), Some(m)) => changed_modules.insert(m.to_string()),
            (Some("environments"), Some(e)) => changed_roots.insert(e.to_string()),
            _ => false,
        };
    }
    let mut out = BTreeMap::new();
    for env in old_envs.union(&new_envs) {
        let mut why = Vec::new();
        if !old_envs.contains(env) {
            why.push("added".to_string());
        } else if !new_envs.contains(env) {
            why.push("removed".to_string());
        } else {
            if changed_roots.contains(env) {
                why.push("root".to_string());
            }
            // Every root instantiates every module.
            why.extend(changed_modules.iter().cloned());
        }
        if !why.is_empty() {
            out.insert(env.clone(), why);
        }
    }
    out
}
