//! End-to-end scenarios of `envc lsp` with an independent client: pytest-lsp
//! (`tests/lsp/`) starts the binary over stdio, as an editor does, and runs one
//! scenario per feature (diagnostics, positions, completion, hover,
//! definition, references, code actions, symbols, the protocol's rules).
//!
//! `./test.sh` installs pytest-lsp into `target/tools/`. Without it this test
//! fails, unless `ENVC_SKIP_PYTEST_LSP=1` opts out.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::tools;

/// The `pytest` that has pytest-lsp: `ENVC_PYTEST_LSP`, the one test.sh installs, or `pytest-lsp` on PATH.
fn pytest() -> PathBuf {
    if let Some(p) = std::env::var_os("ENVC_PYTEST_LSP") {
        return PathBuf::from(p);
    }
    let local = common::repo().join("target/tools/bin/pytest-lsp");
    if local.exists() {
        return local;
    }
    PathBuf::from("pytest-lsp")
}

#[test]
fn pytest_lsp_scenarios() {
    let pytest = pytest();
    // pytest-lsp adds `--lsp-devtools` to pytest's options.
    let present = Command::new(&pytest).arg("--help").output().is_ok_and(|o| {
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("--lsp-devtools")
    });
    if !tools::require(
        "pytest-lsp",
        present,
        "Install it with `pip install pytest-lsp==1.0.1` and put its `pytest` on PATH as `pytest-lsp`, or set ENVC_PYTEST_LSP to that `pytest`.",
    ) {
        return;
    }
    let out = Command::new(&pytest)
        .current_dir(common::repo().join("tests/lsp"))
        .args(["-q", "-p", "no:cacheprovider", "."])
        .env("ENVC_BIN", common::envc_bin())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pytest-lsp failed:\n{stdout}\n{stderr}"
    );
    // The closing line names how many scenarios passed; none may be skipped.
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.contains("passed"))
        .unwrap_or_default();
    assert!(
        !last.contains("skipped") && !last.contains("failed"),
        "{last}"
    );
    let passed: usize = last
        .split_whitespace()
        .zip(last.split_whitespace().skip(1))
        .find(|(_, w)| w.starts_with("passed"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 14, "only {passed} scenarios ran:\n{stdout}");
}
