//! The `envc` command line: argument parsing, terminal output and exit
//! statuses, around the library's pipeline. Exit statuses live here only.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod lsp;

/// mimalloc instead of glibc malloc: compiling a thousand environments on two
/// threads spent a sixth of its time growing glibc's per-thread arenas. Built
/// without transparent huge pages, which were 7% faster but cost 20 MB of RSS.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use envc::diag::Diagnostic;
use envc::{Compiled, Failed, Inputs, changes, compile, diff, emit, in_scope, report, schema};

#[derive(Parser)]
#[command(
    name = "envc",
    version,
    about = "Compile typed environment files into a committed Terraform tree"
)]
struct Cli {
    /// Project directory (holds envc.kdl and environments/).
    #[arg(
        short = 'C',
        global = true,
        default_value = ".",
        value_name = "PROJECT-DIR"
    )]
    project: PathBuf,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Print only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum DiffFormat {
    /// `---`/`+++` headers and hunks, like `git diff`.
    Unified,
    /// One line per file with +/- counts, like `git diff --stat`.
    Stat,
    /// For pull-request comments and `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// For machines.
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum AffectedFormat {
    /// One line per environment: its name, a tab, why.
    Text,
    /// An object: environment → why.
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum DiagFormat {
    /// Errors with the source line underlined, on stderr.
    Human,
    /// A JSON array of {file, line, column, code, severity, message, label, help}, on stdout.
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum ShowFormat {
    /// The JSON view of the resolved environment.
    Json,
    /// A self-contained KDL environment file.
    Kdl,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum ExplainFormat {
    /// For people.
    Text,
    /// For machines (documented in docs/explain-and-docs.md).
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum DocsFormat {
    /// For machines: every environment's resources by type and module.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Compile the inputs and write the Terraform tree.
    Build {
        /// Output directory [default: <PROJECT-DIR>/terraform].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Only this environment's root (repeatable); modules are always built.
        #[arg(long = "env", value_name = "NAME")]
        envs: Vec<String>,
    },
    /// Compare the tree the inputs produce with the one on disk (exit 1 when they differ).
    Diff {
        /// The tree to compare with [default: <PROJECT-DIR>/terraform].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Only this environment's root (repeatable); modules are always compared.
        #[arg(long = "env", value_name = "NAME")]
        envs: Vec<String>,
        /// How to print the differences.
        #[arg(long, value_enum, default_value_t = DiffFormat::Unified)]
        format: DiffFormat,
        /// Compare with the tree as committed at this git revision instead of the working tree.
        #[arg(long, value_name = "GIT-REF")]
        against: Option<String>,
    },
    /// List the environments whose generated output differs between the inputs at a git revision and the working tree.
    Affected {
        /// The revision to compare with, e.g. `origin/main` (any git revision).
        #[arg(long, value_name = "GIT-REF")]
        base: String,
        /// How to print the list.
        #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
        format: AffectedFormat,
    },
    /// Explain a line: a generated line's inputs, or the generated lines of an input line.
    ///
    /// `envc explain terraform/environments/prod/terraform.tfvars:12` names every input
    /// place behind that line (through `extends`), the defaults and derivations it rests
    /// on, or says it is template text. `envc explain environments/prod.kdl:3` lists
    /// every generated line that depends on what line 3 says.
    Explain {
        /// `<file>:<line>`: a generated file (under the output directory) or an input
        /// file, as you would type it, and a 1-based line number.
        location: String,
        /// The generated tree [default: <PROJECT-DIR>/terraform].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// How to print the answer.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
    },
    /// Print the resource inventory: what `terraform plan` creates for each environment
    /// on an empty state, by type and by module (the READMEs come with `build`).
    Docs {
        /// Only this environment (repeatable).
        #[arg(long = "env", value_name = "NAME")]
        envs: Vec<String>,
        /// How to print it.
        #[arg(long, value_enum)]
        format: DocsFormat,
    },
    /// Check the inputs; write nothing.
    Validate {
        /// Check only these input files (in the context of the project: their `extends`
        /// chain and envc.kdl). Paths as you type them: absolute, or relative to the
        /// current directory or to the project directory.
        files: Vec<PathBuf>,
        /// How to print errors.
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
    },
    /// Write (or check) schemas/*.json.
    Schema {
        /// Output directory [default: <PROJECT-DIR>/schemas].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Exit 1 if the files on disk are not current; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Print an environment as resolved after `extends` and defaults.
    Show {
        /// The environment: the stem of its file in environments/ (e.g. `prod`).
        env: String,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = ShowFormat::Json)]
        format: ShowFormat,
    },
    /// Run the language server over stdin/stdout (for editors).
    Lsp {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Scaffold a new project from the example.
    Init {
        /// Directory to create the project in, relative to the project directory
        /// (`-C`) [default: the project directory].
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script: `envc completions bash > /etc/bash_completion.d/envc`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print envc's manual page (roff): `envc man > /usr/local/share/man/man1/envc.1`.
    Man,
}

const OK: u8 = 0;
const INVALID: u8 = 1;
const TROUBLE: u8 = 2;

/// What a failed build means.
const NOTHING_WRITTEN: &str = "nothing was written";

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { TROUBLE } else { OK });
        }
    };
    ExitCode::from(run(&cli))
}

struct Out {
    color_err: bool,
    color_out: bool,
    quiet: bool,
}

impl Out {
    fn new(cli: &Cli) -> Out {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let pick = |tty: bool| match cli.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => tty && !no_color,
        };
        Out {
            color_err: pick(std::io::stderr().is_terminal()),
            color_out: pick(std::io::stdout().is_terminal()),
            quiet: cli.quiet,
        }
    }
    /// Every diagnostic of a failed run, then the count line saying what the
    /// failure meant for the command (`outcome`: "nothing was written", …).
    fn diagnostics(&self, f: &Failed, outcome: &str) {
        eprint!(
            "{}{}",
            report::to_human(&f.diagnostics, &f.sources, self.color_err),
            report::count_line(&f.diagnostics, outcome).unwrap_or_default()
        );
    }
    /// Warnings of a run that goes on (nothing under `-q`, which prints only errors).
    fn warnings(&self, warnings: &[Diagnostic], sources: &envc::diag::Sources) {
        if !self.quiet && !warnings.is_empty() {
            eprint!("{}", report::to_human(warnings, sources, self.color_err));
        }
    }
    fn error(&self, msg: impl std::fmt::Display) {
        if self.color_err {
            eprintln!("\x1b[1;31merror\x1b[0m: {msg}");
        } else {
            eprintln!("error: {msg}");
        }
    }
    fn warn(&self, msg: impl std::fmt::Display) {
        if self.color_err {
            eprintln!("\x1b[1;33mwarning\x1b[0m: {msg}");
        } else {
            eprintln!("warning: {msg}");
        }
    }
    fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            stdout(&format!("{msg}\n"));
        }
    }
}

fn read_inputs(dir: &Path, out: &Out) -> Result<Inputs, u8> {
    Inputs::read_dir(dir).map_err(|e| {
        out.error(format!("cannot read project `{}`: {e}", dir.display()));
        TROUBLE
    })
}

fn check_envs(inputs: &Inputs, envs: &[String], out: &Out) -> Result<(), u8> {
    let known = inputs.environment_names();
    for e in envs {
        if !known.contains(e) {
            let list = known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            out.error(format!("unknown environment `{e}` (known: {list})"));
            return Err(TROUBLE);
        }
    }
    Ok(())
}

/// Compile the project; on invalid input, report every diagnostic and say
/// what that means for the command (`outcome`).
fn compile_or_report(
    cli: &Cli,
    envs: &[String],
    out: &Out,
    fail_code: u8,
    outcome: &str,
) -> Result<Compiled, u8> {
    let inputs = read_inputs(&cli.project, out)?;
    check_envs(&inputs, envs, out)?;
    compile(&inputs, envs).map_err(|f| {
        out.diagnostics(&f, outcome);
        fail_code
    })
}

fn run(cli: &Cli) -> u8 {
    let out = Out::new(cli);
    let result = match &cli.command {
        Command::Build { out: dir, envs } => build(cli, &out, dir, envs),
        Command::Diff {
            out: dir,
            envs,
            format,
            against,
        } => diff_cmd(cli, &out, dir, envs, *format, against.as_deref()),
        Command::Affected { base, format } => affected(cli, &out, base, *format),
        Command::Validate { files, format } => validate(cli, &out, files, *format),
        Command::Docs { envs, format } => docs(cli, &out, envs, *format),
        Command::Explain {
            location,
            out: dir,
            format,
        } => explain(cli, &out, location, dir, *format),
        Command::Schema { out: dir, check } => schema_cmd(cli, &out, dir, *check),
        Command::Show { env, format } => show(cli, &out, env, *format),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "envc", &mut script);
            stdout(&String::from_utf8_lossy(&script));
            Ok(())
        }
        Command::Man => man(&out),
        Command::Init { dir } => init(
            &out,
            &cli.project.join(dir.as_deref().unwrap_or(Path::new("."))),
        ),
        Command::Lsp { .. } => return lsp::run(),
    };
    match result {
        Ok(()) => OK,
        Err(code) => code,
    }
}

fn out_dir(cli: &Cli, dir: &Option<PathBuf>) -> PathBuf {
    dir.clone()
        .unwrap_or_else(|| cli.project.join(envc::OUT_DIR))
}

fn build(cli: &Cli, out: &Out, dir: &Option<PathBuf>, envs: &[String]) -> Result<(), u8> {
    let target = out_dir(cli, dir);
    let scope = in_scope(envs);
    let io_error = |e: emit::EmitError| {
        out.error(e);
        TROUBLE
    };
    let lock_and_scan = || -> Result<(emit::Lock, emit::Scan), emit::EmitError> {
        let lock = emit::lock(&target, &|path| {
            eprintln!(
                "envc: waiting for another build of `{}` to finish",
                path.display()
            );
        })?;
        Ok((lock, emit::scan_tree(&target, &scope)?))
    };
    // An existing tree is locked and read while compiling. A missing one is
    // not created before the inputs are known to be valid.
    let (compiled, ready) = if target.is_dir() {
        std::thread::scope(|s| {
            let reader = s.spawn(lock_and_scan);
            let compiled = compile_or_report(cli, envs, out, INVALID, NOTHING_WRITTEN);
            (
                compiled,
                Some(
                    reader
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                ),
            )
        })
    } else {
        (
            compile_or_report(cli, envs, out, INVALID, NOTHING_WRITTEN),
            None,
        )
    };
    let compiled = compiled?;
    let (_lock, existing) = match ready {
        Some(r) => r,
        None => lock_and_scan(),
    }
    .map_err(io_error)?;
    // What applying the new tree over the one on disk would replace, destroy or make
    // permanent: only the directories with a changed file are read again.
    let differing = emit::changed_paths(&compiled.files, &existing);
    let scopes = changes::scopes(&differing);
    let previous = emit::read_scanned(&target, &existing, &|p| changes::in_scopes(&scopes, p))
        .map_err(io_error)?;
    let mut warnings = compiled.warnings.clone();
    warnings.extend(changed_warnings(&previous, &scopes, &compiled));
    out.warnings(&warnings, &compiled.sources);
    let summary = emit::apply(&target, &compiled.files, existing, &differing).map_err(io_error)?;
    if !summary.edited.is_empty() {
        out.warn(format!(
            "{} generated file{} had been edited by hand since envc wrote {}; the edits were replaced (git diff shows them): {}",
            summary.edited.len(),
            if summary.edited.len() == 1 { "" } else { "s" },
            if summary.edited.len() == 1 { "it" } else { "them" },
            summary.edited.join(", ")
        ));
    }
    for line in build_report(&target, &compiled.files, &summary) {
        out.info(line);
    }
    Ok(())
}

/// What a build gave the user: the tree, its modules and roots, which of them
/// changed, then the file counts.
fn build_report(target: &Path, files: &BTreeMap<String, String>, s: &emit::Summary) -> Vec<String> {
    // The part of the tree a path belongs to: `modules/<m>` or `environments/<env>`.
    let part = |path: &str| -> Option<(String, String)> {
        let mut it = path.splitn(3, '/');
        let (kind, name) = (it.next()?, it.next()?);
        it.next()?;
        Some((kind.to_string(), name.to_string()))
    };
    let mut parts: BTreeMap<String, BTreeMap<String, &str>> = BTreeMap::new();
    for p in files.keys().filter_map(|p| part(p)) {
        parts.entry(p.0).or_default().insert(p.1, "up to date");
    }
    for (path, what) in s
        .written
        .iter()
        .map(|p| (p, "written"))
        .chain(s.removed.iter().map(|p| (p, "written")))
    {
        if let Some((kind, name)) = part(path)
            && let Some(state) = parts.get_mut(&kind).and_then(|m| m.get_mut(&name))
        {
            *state = what;
        }
    }
    let count = |kind: &str| parts.get(kind).map_or(0, BTreeMap::len);
    let shown = target.display().to_string();
    let mut lines = vec![format!(
        "envc: {}/ — {} module{}, {} environment root{}",
        shown
            .strip_prefix("./")
            .unwrap_or(&shown)
            .trim_end_matches('/'),
        count("modules"),
        if count("modules") == 1 { "" } else { "s" },
        count("environments"),
        if count("environments") == 1 { "" } else { "s" },
    )];
    for (kind, label) in [("modules", "modules:"), ("environments", "roots:  ")] {
        let Some(names) = parts.get(kind) else {
            continue;
        };
        let mut groups = Vec::new();
        for state in ["written", "up to date"] {
            let these: Vec<&str> = names
                .iter()
                .filter(|(_, s)| **s == state)
                .map(|(n, _)| n.as_str())
                .collect();
            if !these.is_empty() {
                groups.push(format!("{} {state}", name_list(&these)));
            }
        }
        lines.push(format!("  {label} {}", groups.join("; ")));
    }
    lines.push(format!(
        "  {} file{} written, {} unchanged, {} removed",
        s.written.len(),
        if s.written.len() == 1 { "" } else { "s" },
        s.unchanged,
        s.removed.len()
    ));
    lines
}

/// `a, b, c`, or `a, b, … and 992 more` for long lists.
fn name_list(names: &[&str]) -> String {
    const SHOWN: usize = 10;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// [`changes::warnings`] for the directories in `scopes`.
fn changed_warnings(
    previous: &BTreeMap<String, String>,
    scopes: &std::collections::BTreeSet<String>,
    compiled: &Compiled,
) -> Vec<Diagnostic> {
    if scopes.is_empty() {
        return Vec::new();
    }
    let current: BTreeMap<String, String> = compiled
        .files
        .iter()
        .filter(|(p, _)| changes::in_scopes(scopes, p))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    changes::warnings(previous, &current, compiled)
}

/// The tree `diff` compares with: scanned on disk, or as committed at a revision.
enum Disk {
    Scanned(emit::Scan),
    Committed(BTreeMap<String, String>),
}

/// The generated files under `--out` as committed at `rev`.
fn committed_tree(
    cli: &Cli,
    dir: &Option<PathBuf>,
    rev: &str,
    scope: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, String>, String> {
    let sub = match dir {
        None => PathBuf::from(envc::OUT_DIR),
        Some(d) if d.is_relative() => d.clone(),
        Some(d) => d
            .strip_prefix(&cli.project)
            .map(Path::to_path_buf)
            .map_err(|_| {
                format!(
                    "--out `{}` is not inside the project directory",
                    d.display()
                )
            })?,
    };
    let files = envc::git::files_at(&cli.project, rev, &sub.to_string_lossy())?;
    Ok(files
        .into_iter()
        .filter(|(p, b)| p != emit::MANIFEST && scope(p) && emit::is_generated(b))
        .map(|(p, b)| (p, emit::text_of(b)))
        .collect())
}

fn diff_cmd(
    cli: &Cli,
    out: &Out,
    dir: &Option<PathBuf>,
    envs: &[String],
    format: DiffFormat,
    against: Option<&str>,
) -> Result<(), u8> {
    let target = out_dir(cli, dir);
    let scope = in_scope(envs);
    let read_disk = || {
        match against {
            None => emit::scan_tree(&target, &scope)
                .map(Disk::Scanned)
                .map_err(|e| e.to_string()),
            Some(rev) => committed_tree(cli, dir, rev, &scope).map(Disk::Committed),
        }
        .map_err(|e| {
            out.error(e);
            TROUBLE
        })
    };
    // Read the tree on disk while compiling, on the core the compile leaves idle.
    let (compiled, on_disk) = std::thread::scope(|s| {
        let reader = s.spawn(read_disk);
        let compiled = compile_or_report(cli, envs, out, TROUBLE, "cannot compare");
        (
            compiled,
            reader
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    });
    let (compiled, on_disk) = (compiled?, on_disk?);
    let io = |e: emit::EmitError| {
        out.error(e);
        TROUBLE
    };
    let (diffs, warnings) = match on_disk {
        Disk::Committed(actual) => {
            let changed = compiled
                .files
                .iter()
                .filter(|(p, t)| actual.get(*p) != Some(*t))
                .map(|(p, _)| p)
                .chain(actual.keys().filter(|p| !compiled.files.contains_key(*p)));
            let scopes = changes::scopes(changed);
            (
                diff::compare(&compiled.files, &actual),
                changed_warnings(&actual, &scopes, &compiled),
            )
        }
        Disk::Scanned(scan) => {
            // Each file was read once and digested; only those that differ are read again.
            let (want, have) = emit::differing(&target, &compiled.files, &scan).map_err(io)?;
            let scopes = changes::scopes(want.keys().chain(have.keys()));
            let previous = emit::read_scanned(&target, &scan, &|p| changes::in_scopes(&scopes, p))
                .map_err(io)?;
            (
                diff::compare(&want, &have),
                changed_warnings(&previous, &scopes, &compiled),
            )
        }
    };
    let mut all = compiled.warnings.clone();
    all.extend(warnings);
    out.warnings(&all, &compiled.sources);
    let text = match format {
        DiffFormat::Unified => diff::render_unified(&diffs, out.color_out),
        DiffFormat::Stat => diff::render_stat(&diffs),
        DiffFormat::Markdown => diff::render_markdown(&diffs, 60_000),
        DiffFormat::Json => diff::render_json(&diffs),
    };
    stdout(&text);
    if diffs.is_empty() {
        if !out.quiet {
            eprintln!("envc: no differences");
        }
        Ok(())
    } else {
        Err(INVALID)
    }
}

/// Per environment: which generated parts differ between the inputs at `base` and the working tree.
fn affected(cli: &Cli, out: &Out, base: &str, format: AffectedFormat) -> Result<(), u8> {
    let now = compile_or_report(cli, &[], out, TROUBLE, "cannot compare")?;
    let then_inputs = envc::git::files_at(&cli.project, base, "")
        .map(Inputs::from_files)
        .map_err(|e| {
            out.error(e);
            TROUBLE
        })?;
    let then = compile(&then_inputs, &[]).map_err(|f| {
        out.error(format!("the inputs at `{base}` do not compile:"));
        out.diagnostics(&f, "cannot compare");
        TROUBLE
    })?;
    let report = envc::affected(&then.files, &now.files);
    match format {
        AffectedFormat::Json => stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("json")
        )),
        AffectedFormat::Text => {
            for (env, why) in &report {
                stdout(&format!("{env}\t{}\n", why.join(",")));
            }
        }
    }
    Ok(())
}

fn validate(cli: &Cli, out: &Out, files: &[PathBuf], format: DiagFormat) -> Result<(), u8> {
    let inputs = read_inputs(&cli.project, out)?;
    let named = files
        .iter()
        .map(|f| input_path(&cli.project, f))
        .collect::<Result<Vec<String>, String>>()
        .map_err(|e| {
            out.error(e);
            TROUBLE
        })?;
    let v = if named.is_empty() {
        let (diagnostics, sources) = match compile(&inputs, &[]) {
            Ok(c) => (c.warnings, c.sources),
            Err(f) => (f.diagnostics, f.sources),
        };
        envc::Validation {
            diagnostics,
            sources,
            blocked: Vec::new(),
            unused: Vec::new(),
            elsewhere: 0,
        }
    } else {
        envc::validate(&inputs, &named)
    };
    match format {
        DiagFormat::Json => stdout(&report::to_json(&v.diagnostics, &v.sources)),
        DiagFormat::Human => eprint!(
            "{}{}",
            report::to_human(&v.diagnostics, &v.sources, out.color_err),
            report::count_line(&v.diagnostics, "").unwrap_or_default()
        ),
    }
    for file in &v.blocked {
        out.error(format!(
            "`{file}` was not checked fully: the files it depends on have errors"
        ));
    }
    for file in &v.unused {
        out.warn(format!(
            "`{file}` parses, but no environment extends it: its keys were not checked"
        ));
    }
    let failed = v
        .diagnostics
        .iter()
        .any(|d| d.severity == envc::diag::Severity::Error);
    if failed || !v.blocked.is_empty() {
        return Err(INVALID);
    }
    let checked: Vec<String> = named
        .iter()
        .filter(|f| !v.unused.contains(f))
        .map(|f| format!("`{f}`"))
        .collect();
    let what = match checked.len() {
        _ if named.is_empty() => "the project's inputs are valid".to_string(),
        0 => return Ok(()),
        1 => format!("{} is valid", checked[0]),
        _ => format!("{} are valid", checked.join(", ")),
    };
    let note = match v.elsewhere {
        0 => String::new(),
        n => format!(
            " ({n} error{} in other files: `envc validate` shows them)",
            if n == 1 { "" } else { "s" }
        ),
    };
    if format == DiagFormat::Human {
        out.info(format!("envc: {what}{note}"));
    }
    Ok(())
}

fn docs(cli: &Cli, out: &Out, envs: &[String], format: DocsFormat) -> Result<(), u8> {
    let compiled = compile_or_report(cli, envs, out, INVALID, "")?;
    let report = envc::docs::report(&compiled).map_err(|e| {
        out.error(format!(
            "cannot count the resources (this is a bug in envc): {e}"
        ));
        TROUBLE
    })?;
    match format {
        DocsFormat::Json => stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("json")
        )),
    }
    Ok(())
}

fn explain(
    cli: &Cli,
    out: &Out,
    location: &str,
    dir: &Option<PathBuf>,
    format: ExplainFormat,
) -> Result<(), u8> {
    let usage = |msg: String| {
        out.error(msg);
        TROUBLE
    };
    let Some((path, line)) = location
        .rsplit_once(':')
        .and_then(|(p, l)| Some((p, l.parse::<usize>().ok().filter(|n| *n > 0)?)))
    else {
        return Err(usage(format!(
            "`{location}` is not `<file>:<line>` (a file and a line number from 1)"
        )));
    };
    let target = out_dir(cli, dir);
    let inputs = read_inputs(&cli.project, out)?;
    let traced = envc::explain::trace(&inputs, envc::Checks::All).map_err(|f| {
        out.diagnostics(&f, "cannot explain");
        INVALID
    })?;
    let shown_out = {
        let t = target
            .strip_prefix(&cli.project)
            .unwrap_or(&target)
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        format!("{}/", t.trim_end_matches('/'))
    };
    let typed = Path::new(path);
    // An input file of the project?
    if let Ok(rel) = input_path(&cli.project, typed) {
        if inputs
            .files
            .get(&rel)
            .is_none_or(|t| t.lines().count() < line)
        {
            return Err(usage(format!("`{rel}` has no line {line}")));
        }
        let (places, lines) = traced.affected(&rel, line);
        let text = match format {
            ExplainFormat::Text => {
                envc::explain::affected_to_text(&traced, &rel, line, &places, &lines, &shown_out)
            }
            ExplainFormat::Json => format!(
                "{}\n",
                serde_json::to_string_pretty(&envc::explain::affected_to_json(
                    &traced, &rel, line, &places, &lines, &shown_out
                ))
                .expect("json")
            ),
        };
        stdout(&text);
        return Ok(());
    }
    // A generated file: relative to the current directory, the project or the tree.
    let Some(rel) = generated_path(&cli.project, &target, typed) else {
        return Err(usage(format!(
            "`{path}` is neither an input of the project nor a file under `{}`",
            target.display()
        )));
    };
    let Some(generated) = traced.files.get(&rel) else {
        return Err(usage(format!(
            "`{path}` is not a file envc generates (from these inputs)"
        )));
    };
    let Some(answer) = traced.line(&rel, line) else {
        return Err(usage(format!(
            "`{path}` has {} lines; there is no line {line}",
            generated.text.lines().count()
        )));
    };
    if let Ok(on_disk) = std::fs::read(target.join(&rel))
        && emit::text_of(on_disk) != generated.text
    {
        out.warn(format!(
            "`{path}` on disk differs from what the inputs generate (run `envc build`); this explains the generated line {line}"
        ));
    }
    let shown = format!("{shown_out}{rel}");
    let text = match format {
        ExplainFormat::Text => envc::explain::to_text(&traced, &answer, &shown),
        ExplainFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&envc::explain::to_json(&traced, &answer, &shown))
                .expect("json")
        ),
    };
    stdout(&text);
    Ok(())
}

/// The path relative to the output directory that `typed` names: taken from the
/// current directory, the project directory or the output directory, whichever
/// lands inside the output directory (the file need not exist).
fn generated_path(project: &Path, target: &Path, typed: &Path) -> Option<String> {
    // No tree on disk yet: compare lexically.
    let root = target
        .canonicalize()
        .ok()
        .or_else(|| std::path::absolute(target).ok())?;
    let mut candidates = vec![typed.to_path_buf()];
    if typed.is_relative() {
        candidates.push(project.join(typed));
        candidates.push(target.join(typed));
    }
    candidates.into_iter().find_map(|c| {
        let abs = match (
            c.parent().and_then(|p| p.canonicalize().ok()),
            c.file_name(),
        ) {
            (Some(dir), Some(name)) => dir.join(name),
            _ => std::path::absolute(&c).ok()?,
        };
        let rel = abs.strip_prefix(&root).ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    })
}

/// The project input a path names, as a project-relative path (`environments/dev.kdl`).
/// A relative path is taken from the current directory, else from the project
/// directory (`-C`); it must name an existing input of the project.
fn input_path(project: &Path, typed: &Path) -> Result<String, String> {
    let root = project
        .canonicalize()
        .map_err(|e| format!("cannot read project `{}`: {e}", project.display()))?;
    let mut candidates = vec![typed.to_path_buf()];
    if typed.is_relative() {
        candidates.push(project.join(typed));
    }
    let found: Vec<PathBuf> = candidates
        .iter()
        .filter_map(|c| c.canonicalize().ok())
        .collect();
    let Some(first) = found.first() else {
        return Err(format!("`{}`: no such file", typed.display()));
    };
    let inside = found.iter().find_map(|p| {
        let rel = p.strip_prefix(&root).ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    });
    match inside {
        Some(rel) if envc::is_input_path(&rel) => Ok(rel),
        _ => Err(format!(
            "`{}` is not an input of the project in `{}`: envc reads `{}` and `{}/*.kdl`, `{}/*.json` there",
            if found.len() == 1 {
                first.display().to_string()
            } else {
                typed.display().to_string()
            },
            root.display(),
            envc::PROJECT_FILE,
            envc::ENV_DIR,
            envc::ENV_DIR
        )),
    }
}

fn schema_cmd(cli: &Cli, out: &Out, dir: &Option<PathBuf>, check: bool) -> Result<(), u8> {
    let target = dir.clone().unwrap_or_else(|| cli.project.join("schemas"));
    let mut stale = Vec::new();
    for kind in [schema::Kind::Project, schema::Kind::Environment] {
        let path = target.join(kind.file_name());
        let text = schema::json_schema_text(kind);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            stale.push(path);
        } else {
            std::fs::create_dir_all(&target)
                .and_then(|()| std::fs::write(&path, text))
                .map_err(|e| {
                    out.error(format!("{}: {e}", path.display()));
                    TROUBLE
                })?;
            out.info(format!("envc: wrote {}", path.display()));
        }
    }
    if stale.is_empty() {
        if check {
            out.info("envc: schemas are current");
        }
        Ok(())
    } else {
        for p in &stale {
            out.error(format!("{} is not current; run `envc schema`", p.display()));
        }
        Err(INVALID)
    }
}

fn show(cli: &Cli, out: &Out, env: &str, format: ShowFormat) -> Result<(), u8> {
    let envs = vec![env.to_string()];
    let compiled = compile_or_report(cli, &envs, out, INVALID, "")?;
    let Some(e) = compiled.environments.first() else {
        return Err(TROUBLE);
    };
    let mut value = serde_json::to_value(e.resolved_file()).expect("environments serialize");
    drop_nulls(&mut value);
    match format {
        ShowFormat::Json => stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&value).expect("json")
        )),
        ShowFormat::Kdl => stdout(&envc::load::to_kdl(&value)),
    }
    Ok(())
}

/// What `init` writes: the example project, and a `.gitignore` for what
/// Terraform and envc leave in a working copy that must not be committed.
const EXAMPLE: &[(&str, &str)] = &[
    (".gitignore", include_str!("../templates/init/gitignore")),
    ("envc.kdl", include_str!("../envc.kdl")),
    (
        "environments/_base.kdl",
        include_str!("../environments/_base.kdl"),
    ),
    (
        "environments/dev.kdl",
        include_str!("../environments/dev.kdl"),
    ),
    (
        "environments/sit.kdl",
        include_str!("../environments/sit.kdl"),
    ),
    (
        "environments/prod.kdl",
        include_str!("../environments/prod.kdl"),
    ),
];

fn init(out: &Out, dir: &Path) -> Result<(), u8> {
    let schemas = [schema::Kind::Project, schema::Kind::Environment].map(|k| {
        (
            format!("schemas/{}", k.file_name()),
            schema::json_schema_text(k),
        )
    });
    let files: Vec<(&str, &str)> = EXAMPLE
        .iter()
        .copied()
        .chain(schemas.iter().map(|(p, t)| (p.as_str(), t.as_str())))
        .collect();
    // An existing .gitignore is the user's: kept, not an obstacle.
    let kept_gitignore = dir.join(".gitignore").exists();
    let taken: Vec<&str> = files
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| *p != ".gitignore" && dir.join(p).exists())
        .collect();
    if !taken.is_empty() {
        out.error(format!(
            "refusing to overwrite existing files in {}: {}",
            dir.display(),
            taken.join(", ")
        ));
        return Err(TROUBLE);
    }
    for (rel, text) in files {
        if rel == ".gitignore" && kept_gitignore {
            continue;
        }
        let path = dir.join(rel);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text));
        if let Err(e) = written {
            out.error(format!("{}: {e}", path.display()));
            return Err(TROUBLE);
        }
    }
    if kept_gitignore {
        out.warn(format!(
            "kept the existing {}; make sure it ignores `.terraform/`, `*.tfstate*`, plan files and `*.envc-tmp`",
            dir.join(".gitignore").display()
        ));
    }
    out.info(format!(
        "envc: new project in {}; run `envc -C {} build`",
        dir.display(),
        dir.display()
    ));
    Ok(())
}

/// The manual page: envc's help as roff, every subcommand in one page.
fn man(out: &Out) -> Result<(), u8> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    let written = man
        .render_title(&mut page)
        .and_then(|()| man.render_name_section(&mut page))
        .and_then(|()| man.render_synopsis_section(&mut page))
        .and_then(|()| man.render_description_section(&mut page))
        .and_then(|()| man.render_options_section(&mut page))
        .and_then(|()| {
            // Each subcommand's own synopsis and options, under its own heading.
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let name = format!("envc {}", sub.get_name());
                page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
                let man = clap_mangen::Man::new(sub.clone().bin_name(name));
                man.render_synopsis_section(&mut page)?;
                man.render_description_section(&mut page)?;
                man.render_options_section(&mut page)?;
            }
            Ok(())
        })
        .and_then(|()| {
            page.extend_from_slice(
                b".SH \"EXIT STATUS\"\n.TP\n0\nsuccess; for \\fBdiff\\fR, no differences\n\
                  .TP\n1\ninvalid input (\\fBbuild\\fR, \\fBvalidate\\fR, \\fBshow\\fR); differences found (\\fBdiff\\fR); stale schemas (\\fBschema --check\\fR)\n\
                  .TP\n2\nusage error, I/O error, a clash with a file envc did not generate; for \\fBdiff\\fR, could not compare\n",
            );
            man.render_version_section(&mut page)
        });
    written.map_err(|e| {
        out.error(e);
        TROUBLE
    })?;
    stdout(&String::from_utf8_lossy(&page));
    Ok(())
}

/// Write to stdout. A closed pipe (`envc diff | head`) is not an error worth a
/// message, and never a panic as `println!` would make it.
fn stdout(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Unset optional keys serialize as `null`; a resolved view leaves them out.
fn drop_nulls(v: &mut serde_json::Value) {
    if let serde_json::Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        m.values_mut().for_each(drop_nulls);
    }
}
