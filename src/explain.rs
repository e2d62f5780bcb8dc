//! Explain: the inputs behind a generated line, and the lines behind an input.
//!
//! [`trace`] compiles a project with every generated line traced ([`crate::trace`]) and
//! every model value's origin known ([`crate::origin`]). [`Traced::line`] answers for a
//! generated line: the input places that set each value written on it or deciding it,
//! through `extends`; envc's defaults (with the rule, and the tier they depend on);
//! values envc derived (with what from); or nothing but template text.
//! [`Traced::affected`] answers for an input line: every generated line that cites a
//! place on it. [`to_text`] and [`to_json`] print the answers; the JSON form is
//! documented in `docs/explain-and-docs.md`.

use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::diag::{Diagnostic, Sources, Span};
use crate::origin::{self, Aspect, Cite, Origins, Place};
use crate::render::{Renderer, TracedFile, module_enabled};
use crate::trace::{Read, Reason, Via};
use crate::{Checks, Compiled, Failed, Inputs, compile_with};

/// A compiled project whose every generated line knows its reasons.
pub struct Traced {
    pub compiled: Compiled,
    /// Generated path (relative to the output directory) → text and reasons per line.
    pub files: BTreeMap<String, TracedFile>,
    project: Origins,
    modules: Origins,
    environments: BTreeMap<String, Origins>,
    /// Per generated README: the origins of the facts it read ([`crate::docs`]).
    docs: BTreeMap<String, Origins>,
    /// Every place of every input file by the line its name (or value) starts on.
    places: BTreeMap<(String, usize), Vec<Place>>,
    /// Input place (file, pointer) → the generated lines that cite it, built on first use.
    citing: OnceLock<Citing>,
}

/// Input place (file, pointer) → the generated lines (path, 1-based line) that cite it.
type Citing = BTreeMap<(String, String), BTreeSet<(String, usize)>>;

/// Compile `inputs` (every environment) and trace every generated line. With
/// [`Checks::SchemaOnly`] the semantic rules are skipped (for provenance tests only).
pub fn trace(inputs: &Inputs, checks: Checks) -> Result<Traced, Failed> {
    trace_only(inputs, &[], checks)
}

/// [`trace`] of the modules and the roots of the environments `only` (all when empty),
/// as `build --env` compiles them: what an editor needs for one environment file.
pub fn trace_only(inputs: &Inputs, only: &[String], checks: Checks) -> Result<Traced, Failed> {
    let (compiled, kept) = compile_with(inputs, only, checks, true)?;
    let internal = |message: String| Failed {
        diagnostics: vec![Diagnostic::error("envc::explain::internal", message)],
        sources: compiled.sources.clone(),
    };
    let project = origin::project_origins(&compiled.project, &kept.project);
    let all: Vec<&str> = crate::render::TEMPLATES
        .iter()
        .filter_map(|t| match t.scope {
            crate::render::Scope::Module(m) => Some(m),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let enabled: Vec<&str> = all
        .iter()
        .copied()
        .filter(|m| module_enabled(&compiled.project, m))
        .collect();
    let modules = origin::modules_origins(&project, &enabled, &all);
    let mut environments = BTreeMap::new();
    for env in &compiled.environments {
        let Some((doc, links)) = kept.environments.get(&env.name) else {
            continue;
        };
        environments.insert(
            env.name.clone(),
            origin::environment_origins(env, doc, links, &project, &kept.project),
        );
    }
    let renderer = Renderer::new(&compiled.project);
    let failed = |e: crate::render::RenderError| {
        internal(format!(
            "tracing `{}` failed (this is a bug in envc): {}",
            e.template, e.message
        ))
    };
    let mut files = renderer.modules_traced(&compiled.project).map_err(failed)?;
    for env in &compiled.environments {
        files.extend(
            renderer
                .root_traced(&compiled.project, env)
                .map_err(failed)?,
        );
    }
    let docs_traced = renderer
        .docs_traced(
            &crate::render::DocInputs {
                project: &compiled.project,
                environments: &compiled.environments,
                files: &compiled.files,
                index: only.is_empty(),
            },
            &environments,
        )
        .map_err(failed)?;
    let mut places: BTreeMap<(String, usize), Vec<Place>> = BTreeMap::new();
    for (file, text) in &inputs.files {
        let Ok(doc) = crate::load::parse_document(&std::sync::Arc::from(file.as_str()), text)
        else {
            continue;
        };
        for (pointer, l) in &doc.spans {
            // A map of keyed entries points at its first entry: that line names the entry.
            let collection = doc
                .value
                .pointer(pointer)
                .and_then(|v| v.as_object())
                .is_some_and(|m| {
                    m.keys().any(|k| {
                        doc.spans
                            .get(&format!("{pointer}/{}", crate::load::escape_pointer(k)))
                            .is_some_and(|c| c.value == l.value)
                    })
                });
            if pointer.is_empty() || collection {
                continue;
            }
            let span = l.key.as_ref().unwrap_or(&l.value);
            let line = compiled.sources.line_col(file, span.start).0;
            if let Some(p) = origin::place(&doc, pointer) {
                places.entry((file.clone(), line)).or_default().push(p);
            }
        }
    }
    let mut docs = BTreeMap::new();
    for (path, d) in docs_traced {
        files.insert(path.clone(), d.file);
        docs.insert(path, d.facts);
    }
    for (path, traced) in &files {
        if compiled.files.get(path) != Some(&traced.text) {
            return Err(internal(format!(
                "the traced render of `{path}` differs from the build's (this is a bug in envc)"
            )));
        }
    }
    Ok(Traced {
        compiled,
        files,
        project,
        modules,
        environments,
        docs,
        places,
        citing: OnceLock::new(),
    })
}

/// One input place a line rests on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Source {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// The JSON pointer of the place in its file's view.
    pub pointer: String,
    /// `value` (the value written there), `name` (an entry's name), `entry` (that the
    /// entry exists), `extends` (the link through which another file's value arrives).
    pub role: &'static str,
    /// `value` (written on the line) or `condition` (decides whether or how often the
    /// line is written).
    pub via: &'static str,
    /// How the place reaches the model value: `written`, `default`, `derived`,
    /// `together` or `extends`.
    pub through: &'static str,
    /// The model value, as a template reads it (`env.features.xray_tracing`).
    pub model: String,
    #[serde(skip)]
    pub place: Place,
}

/// A model value a line reads, with its cites.
#[derive(Clone, Debug)]
pub struct Because {
    pub via: Via,
    /// `env.features.xray_tracing`.
    pub model: String,
    /// What the template did: read the value, took an element, tested for truth,
    /// enumerated.
    pub read: &'static str,
    pub cites: Vec<Cite>,
}

/// The answer for one generated line.
#[derive(Clone, Debug)]
pub struct LineAnswer {
    pub file: String,
    pub line: usize,
    pub text: String,
    pub because: Vec<Because>,
}

impl LineAnswer {
    /// Every input place, flattened (each once per role and model value).
    pub fn sources(&self, sources: &Sources) -> Vec<Source> {
        let mut out: Vec<Source> = Vec::new();
        for b in &self.because {
            for c in &b.cites {
                flatten(c, "written", b, sources, &mut out);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The places that decide the line together (none alone), each group once.
    pub fn groups(&self) -> Vec<Vec<Place>> {
        let mut out = Vec::new();
        for b in &self.because {
            for c in &b.cites {
                collect_groups(c, &mut out);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether nothing but template text decides the line.
    pub fn template_text(&self) -> bool {
        self.because.is_empty()
    }
}

fn collect_groups(c: &Cite, out: &mut Vec<Vec<Place>>) {
    match c {
        Cite::Together { places, .. } if places.len() > 1 => out.push(places.clone()),
        Cite::Default { because: cs, .. } | Cite::Derived { from: cs, .. } => {
            cs.iter().for_each(|c| collect_groups(c, out))
        }
        _ => {}
    }
}

fn flatten(c: &Cite, through: &'static str, b: &Because, sources: &Sources, out: &mut Vec<Source>) {
    let mut push = |place: &Place, aspect: Aspect, through: &'static str| {
        let span = place.span(aspect);
        let (line, column) = sources.line_col(&span.file, span.start);
        let (end_line, end_column) = sources.line_col(&span.file, span.end);
        out.push(Source {
            file: place.file.to_string(),
            line,
            column,
            end_line,
            end_column,
            pointer: place.pointer.clone(),
            role: aspect.as_str(),
            via: via_str(b.via),
            through: if aspect == Aspect::Extends {
                "extends"
            } else {
                through
            },
            model: b.model.clone(),
            place: place.clone(),
        });
    };
    match c {
        Cite::At { place, aspect } => push(place, *aspect, through),
        Cite::Together { places, .. } => {
            for p in places {
                push(
                    p,
                    Aspect::Entry,
                    if places.len() > 1 {
                        "together"
                    } else {
                        through
                    },
                );
            }
        }
        Cite::Default { because, .. } => because
            .iter()
            .for_each(|c| flatten(c, "default", b, sources, out)),
        Cite::Derived { from, .. } => from
            .iter()
            .for_each(|c| flatten(c, "derived", b, sources, out)),
        Cite::FileStem { .. } | Cite::Generated { .. } | Cite::Declares { .. } => {}
    }
}

fn via_str(v: Via) -> &'static str {
    match v {
        Via::Value => "value",
        Via::Condition => "condition",
    }
}

impl Traced {
    /// The origins of a read: its model root (`project`, `env`, `modules`) and path.
    fn cites(&self, file: &str, env: Option<&str>, path: &str) -> Vec<Cite> {
        let (root, rest) = path.split_once('/').map_or((path, ""), |(r, p)| (r, p));
        let pointer = if rest.is_empty() {
            String::new()
        } else {
            format!("/{rest}")
        };
        let origins = match root {
            "project" => Some(&self.project),
            "modules" => Some(&self.modules),
            "env" => env.and_then(|e| self.environments.get(e)),
            "docs" => self.docs.get(file),
            _ => None,
        };
        let cites = origins
            .map(|o| o.get(&pointer).to_vec())
            .unwrap_or_default();
        // A fact read from generated lines rests on what those lines rest on.
        let (generated, mut direct): (Vec<Cite>, Vec<Cite>) = cites
            .into_iter()
            .partition(|c| matches!(c, Cite::Generated { .. } | Cite::Declares { .. }));
        if !generated.is_empty() {
            let mut from: Vec<Cite> = Vec::new();
            let mut names = Vec::new();
            for g in &generated {
                if let Cite::Declares { file, ty } = g {
                    // What decided which blocks of the type the file declares.
                    if let Some(f) = self.files.get(file) {
                        for (t, r) in &f.declares {
                            if t == ty || t == "*" {
                                from.extend(self.because(file, Self::env_of(file), r).cites);
                            }
                        }
                    }
                    continue;
                }
                let Cite::Generated { file, line } = g else {
                    continue;
                };
                names.push(format!("{file}:{line}"));
                if let Some(answer) = self.line(file, *line) {
                    for b in answer.because {
                        from.extend(b.cites);
                    }
                }
            }
            from.sort();
            from.dedup();
            let shown = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            let more = names.len().saturating_sub(3);
            direct.push(Cite::derived(
                format!(
                    "read from the generated {shown}{}",
                    if more > 0 {
                        format!(" and {more} more lines")
                    } else {
                        String::new()
                    }
                ),
                from,
            ));
        }
        direct
    }

    /// The origins of each element of the list or object a read names.
    fn element_cites(&self, file: &str, env: Option<&str>, path: &str) -> Vec<Cite> {
        let (root, rest) = path.split_once('/').map_or((path, ""), |(r, p)| (r, p));
        let pointer = if rest.is_empty() {
            String::new()
        } else {
            format!("/{rest}")
        };
        let origins = match root {
            "project" => Some(&self.project),
            "modules" => Some(&self.modules),
            "env" => env.and_then(|e| self.environments.get(e)),
            "docs" => self.docs.get(file),
            _ => None,
        };
        let mut cites = origins.map(|o| o.elements(&pointer)).unwrap_or_default();
        if cites.is_empty() {
            // No element: what made the list empty.
            cites = self.cites(file, env, path);
        }
        cites.sort();
        cites.dedup();
        cites
    }

    /// The environment a generated path belongs to (`environments/<env>/…`).
    fn env_of(path: &str) -> Option<&str> {
        path.strip_prefix("environments/")?.split('/').next()
    }

    /// Why line `line` (1-based) of generated file `path` (relative to the output
    /// directory) is what it is. `None` when there is no such file or line.
    pub fn line(&self, path: &str, line: usize) -> Option<LineAnswer> {
        let f = self.files.get(path)?;
        let text = f.text.lines().nth(line.checked_sub(1)?)?.to_string();
        let reasons = f.lines.get(line - 1)?;
        let env = Self::env_of(path);
        // A list or object read whose origin says nothing (a struct of the model that
        // is always there) adds nothing; an unset leaf does: it says "not set".
        let mut because: Vec<Because> = reasons
            .iter()
            .map(|r| self.because(path, env, r))
            .filter(|b| b.read == "value" || !b.cites.is_empty())
            .collect();
        prune(&mut because);
        Some(LineAnswer {
            file: path.to_string(),
            line,
            text,
            because,
        })
    }

    fn because(&self, file: &str, env: Option<&str>, r: &Reason) -> Because {
        let (read, cites) = match &r.read {
            Read::Leaf(p) => ("value", self.cites(file, env, p)),
            Read::Item(p) => ("element", self.cites(file, env, p)),
            Read::Truth(p) => ("truth", self.cites(file, env, p)),
            Read::Iter(p) => ("membership", self.cites(file, env, p)),
            // A length changes with each element: each element's origin counts.
            Read::Len(p) => ("length", self.element_cites(file, env, p)),
        };
        Because {
            via: r.via,
            model: r.read.path().replace('/', "."),
            read,
            cites,
        }
    }

    /// Every generated line that cites a place on line `line` (1-based) of input `file`,
    /// with the places found there.
    pub fn affected(&self, file: &str, line: usize) -> (Vec<Place>, Vec<(String, usize)>) {
        // The places named on the line; a block's line stands for all it holds.
        let named = self
            .places
            .get(&(file.to_string(), line))
            .cloned()
            .unwrap_or_default();
        let mut lines = BTreeSet::new();
        for p in &named {
            lines.extend(self.generated_from(&p.file, &p.pointer));
        }
        (named, lines.into_iter().collect())
    }

    /// Every generated line that cites the place at `pointer` of input `file`, or a
    /// place inside it (a block stands for everything it holds; `""` for the file).
    pub fn generated_from(&self, file: &str, pointer: &str) -> BTreeSet<(String, usize)> {
        let citing = self.citing.get_or_init(|| self.citing());
        let inside = |p: &str| {
            pointer.is_empty()
                || p == pointer
                || p.strip_prefix(pointer).is_some_and(|r| r.starts_with('/'))
        };
        citing
            .range((file.to_string(), pointer.to_string())..)
            .take_while(|((f, p), _)| f == file && (pointer.is_empty() || p.starts_with(pointer)))
            .filter(|((_, p), _)| inside(p))
            .flat_map(|(_, lines)| lines.iter().cloned())
            .collect()
    }

    /// The generated lines that cite each input place.
    fn citing(&self) -> Citing {
        let mut out = Citing::new();
        for (path, f) in &self.files {
            for n in 1..=f.lines.len() {
                let Some(answer) = self.line(path, n) else {
                    continue;
                };
                let mut places = Vec::new();
                for b in &answer.because {
                    b.cites.iter().for_each(|c| c.places(&mut places));
                }
                for (p, _) in places {
                    out.entry((p.file.to_string(), p.pointer))
                        .or_default()
                        .insert((path.clone(), n));
                }
            }
        }
        out
    }

    /// Model values that have no origin: each needs a rule in [`crate::origin`].
    /// Empty when every value of the model is accounted for (tested).
    pub fn unexplained(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .project
            .missing()
            .into_iter()
            .map(|p| format!("project{p}"))
            .collect();
        for (name, o) in &self.environments {
            out.extend(o.missing().into_iter().map(|p| format!("env {name}: {p}")));
        }
        out
    }

    /// The sources of the compile, for line and column numbers.
    pub fn sources(&self) -> &Sources {
        &self.compiled.sources
    }
}

/// Drop what a line's other reasons already say: a group of entries of which one is
/// cited on its own (the line is about that entry), and reads with nothing behind them
/// that another read of the same value covers.
fn prune(because: &mut Vec<Because>) {
    let mut single: Vec<Place> = Vec::new();
    for b in because.iter() {
        for c in &b.cites {
            if let Cite::At { place, .. } = c {
                single.push(place.clone());
            }
        }
    }
    for b in because.iter_mut() {
        let before = b.cites.len();
        b.cites.retain(|c| match c {
            Cite::Together { places, .. } if places.len() > 1 => {
                !places.iter().any(|g| single.iter().any(|s| g.contains(s)))
            }
            _ => true,
        });
        if before > 0 && b.cites.is_empty() {
            // Implied by the entry the line is about: say nothing.
            b.read = "implied";
        }
    }
    because.retain(|b| b.read != "implied");
    because.sort_by(|a, b| (a.via, &a.model).cmp(&(b.via, &b.model)));
    because.dedup_by(|a, b| a.via == b.via && a.model == b.model && a.cites == b.cites);
}

// ---------------------------------------------------------------------------
// Printing

fn excerpt(sources: &Sources, span: &Span) -> String {
    let Some(text) = sources.get(&span.file) else {
        return String::new();
    };
    let start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[span.start.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    text[start..end].trim().to_string()
}

fn place_text(sources: &Sources, p: &Place, aspect: Aspect) -> String {
    let span = p.span(aspect);
    let (line, col) = sources.line_col(&span.file, span.start);
    format!("{}:{line}:{col}", span.file)
}

fn cite_text(sources: &Sources, c: &Cite, depth: usize, out: &mut Vec<String>) {
    let pad = "  ".repeat(depth);
    match c {
        Cite::At { place, aspect } => {
            let what = match aspect {
                Aspect::Value => "set here",
                Aspect::Name => "named here",
                Aspect::Entry => "declared here",
                Aspect::Extends => "through",
            };
            out.push(format!(
                "{pad}{}  {what}: {}",
                place_text(sources, place, *aspect),
                excerpt(sources, place.span(*aspect))
            ));
        }
        Cite::Together { what, places } => {
            if places.len() == 1 {
                cite_text(
                    sources,
                    &Cite::at(places[0].clone(), Aspect::Entry),
                    depth,
                    out,
                );
                return;
            }
            out.push(format!(
                "{pad}all of {what} together (removing every one of them changes it):"
            ));
            for p in places {
                cite_text(sources, &Cite::at(p.clone(), Aspect::Entry), depth + 1, out);
            }
        }
        Cite::Default { rule, because } => {
            out.push(format!("{pad}not written: {rule}"));
            for c in because {
                cite_text(sources, c, depth + 1, out);
            }
        }
        Cite::Derived { how, from } => {
            out.push(format!("{pad}derived: {how}, from"));
            for c in from {
                cite_text(sources, c, depth + 1, out);
            }
        }
        Cite::FileStem { file } => {
            out.push(format!("{pad}the environment's name: the stem of `{file}`"))
        }
        Cite::Generated { file, line } => out.push(format!("{pad}read from {file}:{line}")),
        Cite::Declares { file, ty } => out.push(format!("{pad}the `{ty}` blocks of {file}")),
    }
}

/// The human answer for a generated line; `shown` is the path as the user named it.
pub fn to_text(t: &Traced, a: &LineAnswer, shown: &str) -> String {
    let sources = t.sources();
    let mut out = vec![
        format!("{shown}:{}", a.line),
        format!("    {}", a.text.trim_end()),
        String::new(),
    ];
    let (values, conditions): (Vec<&Because>, Vec<&Because>) =
        a.because.iter().partition(|b| b.via == Via::Value);
    let section = |title: &str, list: &[&Because], out: &mut Vec<String>| {
        if list.is_empty() {
            return;
        }
        out.push(title.to_string());
        // Values with the same origins (the facts of one table row) are told once.
        let mut groups: Vec<(Vec<&str>, &Because)> = Vec::new();
        for b in list {
            match groups
                .iter_mut()
                .find(|(_, g)| g.cites == b.cites && !b.cites.is_empty() && g.read == b.read)
            {
                Some((names, _)) => names.push(&b.model),
                None => groups.push((vec![&b.model], b)),
            }
        }
        for (names, b) in groups {
            let model = names.join(", ");
            let b = &Because { model, ..b.clone() };
            let read = match b.read {
                "element" => format!("{} exists", b.model),
                "truth" => format!("{} is non-empty", b.model),
                "membership" => format!("the elements of {}", b.model),
                "length" => format!("the number of elements of {}", b.model),
                _ => b.model.clone(),
            };
            if b.cites.is_empty() {
                out.push(format!("  {read}: not set in any input"));
                continue;
            }
            out.push(format!("  {read}"));
            for c in &b.cites {
                cite_text(sources, c, 2, out);
            }
        }
    };
    section("written on the line:", &values, &mut out);
    section("written because:", &conditions, &mut out);
    if a.template_text() {
        out.push("template text: no input decides this line".to_string());
    }
    out.join("\n") + "\n"
}

/// The JSON answer for a generated line (documented in `docs/explain-and-docs.md`).
pub fn to_json(t: &Traced, a: &LineAnswer, shown: &str) -> serde_json::Value {
    let sources = t.sources();
    let mut defaults = Vec::new();
    let mut derived = Vec::new();
    let mut together = Vec::new();
    let mut stems = Vec::new();
    let mut unset = Vec::new();
    fn walk(
        c: &Cite,
        b: &Because,
        sources: &Sources,
        lists: &mut [&mut Vec<serde_json::Value>; 4],
    ) {
        let places = |cs: &[Cite]| {
            let tmp = Because {
                via: b.via,
                model: b.model.clone(),
                read: b.read,
                cites: cs.to_vec(),
            };
            let mut out = Vec::new();
            for c in cs {
                flatten(c, "written", &tmp, sources, &mut out);
            }
            out
        };
        match c {
            Cite::Default { rule, because } => {
                lists[0].push(json!({"model": b.model, "via": via_str(b.via), "rule": rule, "sources": places(because)}));
                because.iter().for_each(|c| walk(c, b, sources, lists));
            }
            Cite::Derived { how, from } => {
                lists[1].push(json!({"model": b.model, "via": via_str(b.via), "how": how, "sources": places(from)}));
                from.iter().for_each(|c| walk(c, b, sources, lists));
            }
            Cite::Together { what, places: ps } if ps.len() > 1 => {
                let cs: Vec<Cite> = ps
                    .iter()
                    .map(|p| Cite::at(p.clone(), Aspect::Entry))
                    .collect();
                lists[2].push(json!({"model": b.model, "via": via_str(b.via), "what": what, "sources": places(&cs)}));
            }
            Cite::FileStem { file } => {
                lists[3].push(
                    json!({"model": b.model, "via": via_str(b.via), "file": file.to_string()}),
                );
            }
            _ => {}
        }
    }
    for b in &a.because {
        if b.cites.is_empty() {
            unset.push(json!({"model": b.model, "via": via_str(b.via)}));
        }
        for c in &b.cites {
            walk(
                c,
                b,
                sources,
                &mut [&mut defaults, &mut derived, &mut together, &mut stems],
            );
        }
    }
    json!({
        "version": 1,
        "file": shown,
        "line": a.line,
        "text": a.text,
        "template_text": a.template_text(),
        "sources": a.sources(sources),
        "defaults": defaults,
        "derived": derived,
        "together": together,
        "file_stems": stems,
        "unset": unset,
    })
}

/// The human answer for an input line.
pub fn affected_to_text(
    t: &Traced,
    file: &str,
    line: usize,
    places: &[Place],
    lines: &[(String, usize)],
    out_dir: &str,
) -> String {
    let sources = t.sources();
    let mut out = Vec::new();
    let text = sources
        .get(file)
        .and_then(|s| s.lines().nth(line.saturating_sub(1)))
        .unwrap_or("")
        .trim()
        .to_string();
    out.push(format!("{file}:{line}"));
    out.push(format!("    {text}"));
    out.push(String::new());
    if places.is_empty() {
        out.push("no generated line depends on this line".to_string());
    } else {
        let names: Vec<String> = places
            .iter()
            .map(|p| format!("`{}`", pointer_name(&p.pointer)))
            .collect();
        out.push(format!(
            "{} generated line{} in {} file{} depend{} on {}:",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines.iter().map(|(f, _)| f).collect::<BTreeSet<_>>().len(),
            if lines.iter().map(|(f, _)| f).collect::<BTreeSet<_>>().len() == 1 {
                ""
            } else {
                "s"
            },
            if lines.len() == 1 { "s" } else { "" },
            names.join(", ")
        ));
        for (f, n) in lines {
            let text = t.files[f].text.lines().nth(n - 1).unwrap_or("").trim();
            out.push(format!("  {out_dir}{f}:{n}  {text}"));
        }
    }
    out.join("\n") + "\n"
}

/// The JSON answer for an input line.
pub fn affected_to_json(
    t: &Traced,
    file: &str,
    line: usize,
    places: &[Place],
    lines: &[(String, usize)],
    out_dir: &str,
) -> serde_json::Value {
    let sources = t.sources();
    let places: Vec<serde_json::Value> = places
        .iter()
        .map(|p| {
            let span = p.span(Aspect::Name);
            let (l, c) = sources.line_col(&span.file, span.start);
            json!({"file": p.file.to_string(), "line": l, "column": c, "pointer": p.pointer})
        })
        .collect();
    let generated: Vec<serde_json::Value> = lines
        .iter()
        .map(|(f, n)| {
            json!({"file": format!("{out_dir}{f}"), "line": n, "text": t.files[f].text.lines().nth(n - 1).unwrap_or("")})
        })
        .collect();
    json!({"version": 1, "file": file, "line": line, "places": places, "generated": generated})
}

/// `/table/users/hash-key` → `table.users.hash-key`.
fn pointer_name(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(crate::load::unescape_pointer)
        .collect::<Vec<_>>()
        .join(".")
}
