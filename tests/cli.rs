//! End-to-end tests of the `envc` binary on fixture projects.
//!
//! Every directory `tests/fixtures/<case>/` is one case, discovered at run time:
//! - `project/`: files laid over a copy of the example project at the repository
//!   root (`envc.kdl`, `environments/`); a file containing only `<deleted>` removes it;
//! - `args`: the command line (one argument per line; `-C <tmp>` is added);
//! - `status`, `stdout`, `stderr`: the expected exit status and exact output
//!   (`<tmp>` stands for the temporary project path).
//!
//! After a failing `build`, no `terraform/` directory may exist.
//! `ENVC_BLESS=1 cargo test --test cli` rewrites the expectations: review them with `git diff`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

fn overlay(src: &Path, dst: &Path) {
    for entry in fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&to).unwrap();
            overlay(&entry.path(), &to);
        } else {
            let bytes = fs::read(entry.path()).unwrap();
            if bytes.trim_ascii() == b"<deleted>" {
                let _ = fs::remove_file(&to);
            } else {
                fs::write(&to, bytes).unwrap();
            }
        }
    }
}

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases: Vec<PathBuf> = fs::read_dir(root.join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("args").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixture cases went missing");
    let bless = std::env::var_os("ENVC_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let tmp = example_project();
        if case.join("project").is_dir() {
            overlay(&case.join("project"), tmp.path());
        }
        let args: Vec<String> = fs::read_to_string(case.join("args"))
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let out = Command::new(envc_bin())
            .arg("-C")
            .arg(tmp.path())
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let norm = |b: &[u8]| {
            String::from_utf8_lossy(b).replace(&tmp.path().display().to_string(), "<tmp>")
        };
        let got = [
            ("status", format!("{}\n", out.status.code().unwrap_or(-1))),
            ("stdout", norm(&out.stdout)),
            ("stderr", norm(&out.stderr)),
        ];
        for (name, text) in &got {
            let path = case.join(name);
            if bless {
                fs::write(&path, text).unwrap();
                continue;
            }
            let want = fs::read_to_string(&path).unwrap_or_default();
            if want != *text {
                failures.push(format!(
                    "{}: {name} differs\n--- want\n{want}\n--- got\n{text}",
                    case.display()
                ));
            }
        }
        if args.first().map(String::as_str) == Some("build") && !out.status.success() {
            assert!(
                !tmp.path().join("terraform").exists(),
                "{}: a failed build wrote files",
                case.display()
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every bad-input fixture names its file:line:column in the first line of each error.
#[test]
fn every_error_has_a_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in fs::read_dir(root.join("tests/fixtures")).unwrap() {
        let case = entry.unwrap().path();
        let Ok(status) = fs::read_to_string(case.join("status")) else {
            continue;
        };
        if status.trim() != "1"
            || !case
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("bad-")
        {
            continue;
        }
        let stderr = fs::read_to_string(case.join("stderr")).unwrap();
        let places = stderr
            .lines()
            .filter(|l| l.contains(": error: "))
            .collect::<Vec<_>>();
        assert!(!places.is_empty(), "{}: no error line", case.display());
        for line in places {
            let place = line.split(": error: ").next().unwrap();
            let parts: Vec<&str> = place.rsplitn(3, ':').collect();
            assert!(
                parts.len() == 3
                    && parts[0].parse::<usize>().is_ok()
                    && parts[1].parse::<usize>().is_ok(),
                "{}: `{line}` has no file:line:column",
                case.display()
            );
        }
    }
}
