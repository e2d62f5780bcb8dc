//! `envc validate <file>...`: every path a user can type names the project
//! input it means, and "valid" is said only about files that were checked
//! (issue 8, bug 1).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::*;

/// Run envc in `cwd` with `args` (no implicit `-C`).
fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(envc_bin())
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The example with an unknown region in dev.kdl.
fn broken_dev() -> tempfile::TempDir {
    let p = example_project();
    edit(
        &p.path().join("environments/dev.kdl"),
        "region \"eu-west-1\"",
        "region \"eu-wset-1\"",
    );
    p
}

fn assert_reports_dev_error(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("environments/dev.kdl:3:8: error: unknown AWS region"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !text(&out.stdout).contains("valid"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn an_absolute_path_is_checked() {
    let p = broken_dev();
    let abs = p.path().join("environments/dev.kdl");
    assert_reports_dev_error(&run_in(p.path(), &["validate", abs.to_str().unwrap()]));
    // The same from anywhere else, with -C.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run_in(
        elsewhere.path(),
        &[
            "-C",
            p.path().to_str().unwrap(),
            "validate",
            abs.to_str().unwrap(),
        ],
    );
    assert_reports_dev_error(&out);
}

#[test]
fn dot_slash_and_paths_relative_to_the_current_directory() {
    let p = broken_dev();
    assert_reports_dev_error(&run_in(p.path(), &["validate", "./environments/dev.kdl"]));
    // From the project's parent: relative to the current directory, with -C.
    let parent = p.path().parent().unwrap();
    let name = p.path().file_name().unwrap().to_str().unwrap();
    let out = run_in(
        parent,
        &[
            "-C",
            name,
            "validate",
            &format!("{name}/environments/dev.kdl"),
        ],
    );
    assert_reports_dev_error(&out);
    // From inside environments/.
    let out = run_in(
        &p.path().join("environments"),
        &["-C", "..", "validate", "dev.kdl"],
    );
    assert_reports_dev_error(&out);
}

#[test]
fn paths_relative_to_the_project_directory() {
    let p = broken_dev();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run_in(
        elsewhere.path(),
        &[
            "-C",
            p.path().to_str().unwrap(),
            "validate",
            "environments/dev.kdl",
        ],
    );
    assert_reports_dev_error(&out);
}

#[test]
fn a_valid_file_is_named_and_errors_elsewhere_are_counted() {
    let p = broken_dev();
    let out = run_in(p.path(), &["validate", "environments/sit.kdl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "envc: `environments/sit.kdl` is valid\n");
    let out = run_in(p.path(), &["validate", "envc.kdl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "envc: `envc.kdl` is valid (1 error in other files: `envc validate` shows them)\n"
    );
}

#[test]
fn a_file_outside_the_project_is_an_error() {
    let p = example_project();
    let stray = p.path().parent().unwrap().join(format!(
        "stray-{}.kdl",
        p.path().file_name().unwrap().to_string_lossy()
    ));
    fs::write(&stray, "tier {\n").unwrap();
    let out = run_in(p.path(), &["validate", stray.to_str().unwrap()]);
    fs::remove_file(&stray).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("is not an input of the project")
            && err
                .contains("envc reads `envc.kdl` and `environments/*.kdl`, `environments/*.json`"),
        "{err}"
    );
    assert!(!text(&out.stdout).contains("valid"));
    // A file inside the project that envc does not read.
    fs::write(p.path().join("notes.kdl"), "x 1\n").unwrap();
    let out = run_in(p.path(), &["validate", "notes.kdl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`notes.kdl` is not an input"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let p = example_project();
    let out = run_in(p.path(), &["validate", "environments/qa.kdl"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: `environments/qa.kdl`: no such file\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_broken_dependency_means_not_checked() {
    let p = example_project();
    edit(
        &p.path().join("environments/_base.kdl"),
        "pitr #true",
        "pitr \"yes\"",
    );
    let out = run_in(p.path(), &["validate", "environments/dev.kdl"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("environments/_base.kdl:2:6: error: `pitr` must be"),
        "{err}"
    );
    assert!(
        err.contains("error: `environments/dev.kdl` was not checked fully: the files it depends on have errors"),
        "{err}"
    );
    assert!(!text(&out.stdout).contains("valid"));
}

#[test]
fn a_shared_file_nobody_extends_is_not_called_valid() {
    let p = example_project();
    fs::write(p.path().join("environments/_unused.kdl"), "pitr #true\n").unwrap();
    let out = run_in(p.path(), &["validate", "environments/_unused.kdl"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("no environment extends it: its keys were not checked"),
        "{}",
        text(&out.stderr)
    );
}
