//! External tools the suites need (terraform, checkov, …).
//!
//! A missing tool fails the test that needs it: a suite that cannot run must
//! never pass unseen. A user who cannot install a tool opts out explicitly with
//! `ENVC_SKIP_<TOOL>=1` (e.g. `ENVC_SKIP_CHECKOV=1`); the test then passes
//! without checking anything, and says so on the terminal, outside the test
//! harness's output capture, so that the opt-out is seen without `--nocapture`.

use std::io::Write;
use std::process::Command;

/// The opt-out variable of a tool: `ENVC_SKIP_CHECKOV` for `checkov`.
pub fn skip_var(tool: &str) -> String {
    format!(
        "ENVC_SKIP_{}",
        tool.to_ascii_uppercase().replace(['-', ' ', '.'], "_")
    )
}

/// Whether `tool` answers `<tool> <version_args>` successfully.
pub fn answers(tool: &str, version_args: &[&str]) -> bool {
    Command::new(tool)
        .args(version_args)
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Require a tool: `present` says whether it is usable, `install` how to get it.
/// Returns `true` when the test should run, `false` when the user opted out
/// (printed loudly); panics when the tool is missing and no opt-out is set.
pub fn require(tool: &str, present: bool, install: &str) -> bool {
    let var = skip_var(tool);
    let opted_out = std::env::var_os(&var).is_some_and(|v| !v.is_empty() && v != "0");
    if opted_out {
        // Written to the real stderr: libtest captures only print!/eprint!.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! {var} is set: the checks that need `{tool}` were NOT run ({})\n",
            std::thread::current().name().unwrap_or("a test")
        );
        return false;
    }
    assert!(
        present,
        "`{tool}` is needed by this test and was not found. {install}\n\
         (`./test.sh` installs what comes from a package registry.) \
         To run the suite without it, set {var}=1: the checks that need it are then skipped, and say so."
    );
    true
}
