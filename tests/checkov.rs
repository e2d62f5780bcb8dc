//! The security baseline of the generated tree: checkov, offline, on every root of a fresh
//! build of the example project.
//!
//! PROD must pass every check. DEV and SIT may fail only the checks in [`ALLOWED`], each
//! of which follows from an environment setting envc lets lower tiers relax (the README's
//! "Security baseline (checkov)" lists the same). Checks skipped in the generated code
//! (`# checkov:skip=…` with a reason) must be among [`INLINE_SKIPS`].
//!
//! Needs `checkov` on PATH (`./test.sh` installs it); without it the test fails, unless
//! `ENVC_SKIP_CHECKOV=1` opts out (printed).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::*;

/// Checks that DEV and SIT may fail, with the reason.
const ALLOWED: &[(&str, &str)] = &[
    (
        "CKV_AWS_73",
        "API Gateway X-Ray tracing follows features.xray-tracing, off below PROD",
    ),
    (
        "CKV_AWS_338",
        "log retention follows log-retention-days: 14 (DEV) and 30 (SIT) days by default, 365 in PROD",
    ),
    (
        "CKV2_AWS_4",
        "checkov wants the stage's method metrics on: features.detailed-metrics, off in the example's DEV",
    ),
];

/// Checks the generated code skips inline, each with its reason in a comment.
const INLINE_SKIPS: &[&str] = &[
    "CKV_AWS_18",  // S3 access logging: CloudTrail data events record object access
    "CKV_AWS_144", // cross-region replication of the replica bucket and the package bucket
    "CKV_AWS_120", // API Gateway stage caching: responses carry per-caller data
    "CKV_AWS_225", // API Gateway method caching: same reason
    "CKV_AWS_59",  // a route with auth=#false is public by design
    "CKV_AWS_116", // Lambda dead-letter queue: API Gateway invokes synchronously
    "CKV_AWS_117", // Lambda in a VPC: the functions reach only AWS APIs
    "CKV_AWS_272", // Lambda code signing: the function's pipeline deploys (and signs) the code
    "CKV_AWS_115", // Lambda reserved concurrency: unset by default (new accounts' quota)
];

/// Checks that checkov must evaluate on every resource of a type that it saw: a check
/// it cannot evaluate (an unresolved variable, a module it stopped rendering) is left
/// out of the report without a word, and would pass unseen.
const MUST_EVALUATE: &[(&str, &str)] = &[
    ("CKV_AWS_73", "aws_api_gateway_stage"),
    ("CKV_AWS_338", "aws_cloudwatch_log_group"),
    ("CKV_AWS_158", "aws_cloudwatch_log_group"),
    ("CKV_AWS_173", "aws_lambda_function"),
    ("CKV_AWS_363", "aws_lambda_function"),
    ("CKV_AWS_145", "aws_s3_bucket"),
    ("CKV_AWS_7", "aws_kms_key"),
    ("CKV_AWS_119", "aws_dynamodb_table"),
    ("CKV_AWS_28", "aws_dynamodb_table"),
];

fn checkov_available() -> bool {
    tools::require(
        "checkov",
        tools::answers("checkov", &["--version"]),
        "Install it with `pip install checkov`.",
    )
}

/// Run checkov on one root; return its terraform report (`results`, `summary`).
fn checkov(root: &Path) -> Value {
    let out = Command::new("checkov")
        .current_dir(root)
        .args([
            "-d",
            ".",
            "--skip-download",
            "--framework",
            "terraform",
            "-o",
            "json",
        ])
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap();
    // Exit status 1 means "some check failed": the report says which.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov in {} printed no JSON report ({e}):\n{}\n{}",
            root.display(),
            &stdout[..stdout.len().min(2000)],
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // One framework gives one object; several give a list of them.
    let report = match report {
        Value::Array(reports) => reports
            .into_iter()
            .find(|r| r["check_type"] == "terraform")
            .expect("a terraform report"),
        r => r,
    };
    assert_eq!(
        report["check_type"],
        "terraform",
        "{}: checkov found nothing to check:\n{report}",
        root.display()
    );
    report
}

fn ids(report: &Value, kind: &str) -> Vec<(String, String)> {
    report["results"][kind]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["check_id"].as_str().unwrap_or_default().to_string(),
                c["resource"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn example_roots_meet_the_security_baseline() {
    if !checkov_available() {
        return;
    }
    let p = example_project();
    let out = envc(p.path(), &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envs = ["dev", "sit", "prod"];
    let reports: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = envs
            .iter()
            .map(|env| {
                let root = p.path().join("terraform/environments").join(env);
                s.spawn(move || checkov(&root))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let allowed: BTreeSet<&str> = ALLOWED.iter().map(|(id, _)| *id).collect();
    let mut problems = Vec::new();
    for (env, report) in envs.iter().zip(&reports) {
        let summary = &report["summary"];
        common::report(&format!(
            "checkov: {env}: {} passed, {} failed, {} skipped",
            summary["passed"], summary["failed"], summary["skipped"]
        ));
        let failed = ids(report, "failed_checks");
        let mut by_id: std::collections::BTreeMap<&str, usize> = Default::default();
        for (id, _) in &failed {
            *by_id.entry(id).or_default() += 1;
        }
        for (id, n) in by_id {
            let why = ALLOWED.iter().find(|(a, _)| *a == id).map(|(_, w)| *w);
            common::report(&format!(
                "checkov:   {env} failed {id} ×{n}{}",
                why.map(|w| format!(" (allowed: {w})")).unwrap_or_default()
            ));
        }
        if *env == "prod" {
            if !failed.is_empty() {
                problems.push(format!("prod must fail no check, fails {failed:?}"));
            }
        } else {
            for (id, resource) in failed
                .iter()
                .filter(|(id, _)| !allowed.contains(id.as_str()))
            {
                problems.push(format!(
                    "{env}: {id} on {resource} is not in the allow-list"
                ));
            }
        }
        for c in report["results"]["skipped_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let id = c["check_id"].as_str().unwrap_or_default();
            let resource = c["resource"].as_str().unwrap_or_default();
            if !INLINE_SKIPS.contains(&id) {
                problems.push(format!("{env}: undocumented skip {id} on {resource}"));
            }
            if c["check_result"]["suppress_comment"]
                .as_str()
                .is_none_or(|r| r.trim().len() < 20)
            {
                problems.push(format!("{env}: skip {id} on {resource} gives no reason"));
            }
        }
        let mut evaluated: std::collections::BTreeMap<String, BTreeSet<String>> =
            Default::default();
        for kind in ["passed_checks", "failed_checks", "skipped_checks"] {
            for (id, resource) in ids(report, kind) {
                evaluated.entry(resource).or_default().insert(id);
            }
        }
        for (check, ty) in MUST_EVALUATE {
            let of_type: Vec<&String> = evaluated
                .keys()
                .filter(|r| r.rsplit('.').nth(1) == Some(ty))
                .collect();
            if of_type.is_empty() {
                problems.push(format!("{env}: checkov saw no {ty}"));
            }
            for r in of_type {
                if !evaluated[r].contains(*check) {
                    problems.push(format!("{env}: checkov did not evaluate {check} on {r}"));
                }
            }
        }
        // checkov evaluates module calls silently or not at all (e.g. on a module cycle):
        // a root whose modules went unchecked passes with a handful of checks.
        let passed = summary["passed"].as_u64().unwrap_or(0);
        if passed < 200 {
            problems.push(format!(
                "{env}: only {passed} checks passed: were the modules evaluated?"
            ));
        }
        let resources = summary["resource_count"].as_u64().unwrap_or(0);
        if resources < 100 {
            problems.push(format!("{env}: checkov saw only {resources} resources"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
