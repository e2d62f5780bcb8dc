//! The `envc` command line: argument parsing, terminal output and exit
//! statuses, around the library's pipeline. Exit statuses live here only.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    Unified,
    Stat,
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum AffectedFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum DiagFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum ShowFormat {
    Json,
    Kdl,
}

#[derive(Subcommand)]
enum Command {
    /// Compile and write the Terraform tree.
    Build {
        /// Output directory [default: <PROJECT-DIR>/terraform].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only this environment (repeatable); modules are always built.
        #[arg(long = "env", value_name = "NAME")]
        envs: Vec<String>,
    },
    /// Compare the generated tree with the one on disk (exit 1 when they differ).
    Diff {
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long = "env", value_name = "NAME")]
        envs: Vec<String>,
        #[arg(long, value_enum, default_value_t = DiffFormat::Unified)]
        format: DiffFormat,
        /// Compare with the tree as committed at this git revision instead of the working tree.
        #[arg(long, value_name = "GIT-REF")]
        against: Option<String>,
    },
    /// List the environments whose generated output differs between the inputs at a git revision and the working tree.
    Affected {
        #[arg(long, value_name = "GIT-REF")]
        base: String,
        #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
        format: AffectedFormat,
    },
    /// Check the inputs; write nothing.
    Validate {
        /// Only report errors in these files (paths relative to the project directory).
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
    },
    /// Write (or check) schemas/*.json.
    Schema {
        /// Output directory [default: <PROJECT-DIR>/schemas].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Exit 1 if the files on disk are not current; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Print an environment as resolved after `extends` and defaults.
    Show {
        env: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Json)]
        format: ShowFormat,
    },
    /// Scaffold a new project from the example.
    Init {
        /// Directory to create the project in [default: .].
        dir: Option<PathBuf>,
    },
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
    fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            println!("{msg}");
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
        Command::Schema { out: dir, check } => schema_cmd(cli, &out, dir, *check),
        Command::Show { env, format } => show(cli, &out, env, *format),
        Command::Init { dir } => init(&out, dir.as_deref().unwrap_or(Path::new("."))),
    };
    match result {
        Ok(()) => OK,
        Err(code) => code,
    }
}

fn out_dir(cli: &Cli, dir: &Option<PathBuf>) -> PathBuf {
    dir.clone().unwrap_or_else(|| cli.project.join("terraform"))
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
    out.info(format!(
        "envc: {} written, {} unchanged, {} removed ({})",
        summary.written.len(),
        summary.unchanged,
        summary.removed.len(),
        target.display()
    ));
    Ok(())
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
        None => PathBuf::from("terraform"),
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
        .filter(|(p, b)| scope(p) && emit::is_generated(b))
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
    let _ = std::io::stdout().write_all(text.as_bytes());
    if diffs.is_empty() {
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
        AffectedFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&report).expect("json"))
        }
        AffectedFormat::Text => {
            for (env, why) in &report {
                println!("{env}\t{}", why.join(","));
            }
        }
    }
    Ok(())
}

fn validate(cli: &Cli, out: &Out, files: &[PathBuf], format: DiagFormat) -> Result<(), u8> {
    let inputs = read_inputs(&cli.project, out)?;
    let wanted: Vec<String> = files
        .iter()
        .map(|f| {
            f.to_string_lossy()
                .replace('\\', "/")
                .trim_start_matches("./")
                .to_string()
        })
        .collect();
    let selected = |d: &Diagnostic| {
        wanted.is_empty()
            || d.span
                .as_ref()
                .is_none_or(|s| wanted.iter().any(|w| *w == *s.file))
    };
    let mut failed = match compile(&inputs, &[]) {
        Ok(compiled) => {
            let warnings: Vec<Diagnostic> = compiled
                .warnings
                .into_iter()
                .filter(|d| selected(d))
                .collect();
            if format == DiagFormat::Json {
                print!("{}", report::to_json(&warnings, &compiled.sources));
            } else {
                out.warnings(&warnings, &compiled.sources);
                out.info("envc: inputs are valid");
            }
            return Ok(());
        }
        Err(failed) => failed,
    };
    if !files.is_empty() {
        failed.diagnostics.retain(|d| selected(d));
        if failed.diagnostics.iter().all(|d| !d.is_error()) {
            match format {
                DiagFormat::Json => {
                    print!("{}", report::to_json(&failed.diagnostics, &failed.sources))
                }
                DiagFormat::Human => out.warnings(&failed.diagnostics, &failed.sources),
            }
            return Ok(());
        }
    }
    match format {
        DiagFormat::Json => print!("{}", report::to_json(&failed.diagnostics, &failed.sources)),
        DiagFormat::Human => out.diagnostics(&failed, ""),
    }
    Err(INVALID)
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
        ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&value).expect("json")),
        ShowFormat::Kdl => print!("{}", envc::load::to_kdl(&value)),
    }
    Ok(())
}

const EXAMPLE: &[(&str, &str)] = &[
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
    let taken: Vec<&str> = EXAMPLE
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| dir.join(p).exists())
        .collect();
    if !taken.is_empty() {
        out.error(format!(
            "refusing to overwrite existing files in {}: {}",
            dir.display(),
            taken.join(", ")
        ));
        return Err(TROUBLE);
    }
    for (rel, text) in EXAMPLE {
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
    for kind in [schema::Kind::Project, schema::Kind::Environment] {
        let path = dir.join("schemas").join(kind.file_name());
        let _ = std::fs::create_dir_all(dir.join("schemas"));
        if let Err(e) = std::fs::write(&path, schema::json_schema_text(kind)) {
            out.error(format!("{}: {e}", path.display()));
            return Err(TROUBLE);
        }
    }
    out.info(format!(
        "envc: new project in {}; run `envc -C {} build`",
        dir.display(),
        dir.display()
    ));
    Ok(())
}

/// Unset optional keys serialize as `null`; a resolved view leaves them out.
fn drop_nulls(v: &mut serde_json::Value) {
    if let serde_json::Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        m.values_mut().for_each(drop_nulls);
    }
}
