//! Shared helpers of the integration tests.
#![allow(dead_code)]

pub mod moto;
pub mod terraform;
pub mod tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A line of a test's findings (times, counts, workarounds), written to the real stderr:
/// libtest captures only `print!`/`eprint!`, and these belong in every run's output.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn envc_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_envc"))
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary copy of the example project at the repository root (inputs only).
pub fn example_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(repo().join("envc.kdl"), tmp.path().join("envc.kdl")).unwrap();
    fs::create_dir_all(tmp.path().join("environments")).unwrap();
    for e in fs::read_dir(repo().join("environments")).unwrap() {
        let e = e.unwrap();
        fs::copy(
            e.path(),
            tmp.path().join("environments").join(e.file_name()),
        )
        .unwrap();
    }
    tmp
}

pub fn envc(project: &Path, args: &[&str]) -> Output {
    Command::new(envc_bin())
        .arg("-C")
        .arg(project)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Every file under `dir`, relative path → bytes.
pub fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// Replace `from` with `to` in a file; fails when `from` is not there, so an
/// edit that no longer applies cannot make a test pass vacuously.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} does not contain `{from}`",
        path.display()
    );
    fs::write(path, text.replace(from, to)).unwrap();
}
