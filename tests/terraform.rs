//! The generated tree is real Terraform: `fmt -check`, `init`, `validate` and
//! an offline `plan` (mock credentials, local backend) for every example root,
//! with assertions on what the plan contains.
//!
//! Needs `terraform` on PATH and the AWS provider mirror in `/opt/tf-plugins`;
//! without them it prints a loud SKIPPED line and passes.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::*;

const PLUGINS: &str = "/opt/tf-plugins";

fn terraform_available() -> bool {
    let ok = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Path::new(PLUGINS).is_dir();
    if !ok {
        eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!!! SKIPPED: terraform or {PLUGINS} not found; generated Terraform NOT checked");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
    }
    ok
}

fn tf(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("terraform")
        .current_dir(dir)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "mock")
        .env("AWS_SECRET_ACCESS_KEY", "mock")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap()
}

fn must(dir: &Path, args: &[&str]) -> String {
    let out = tf(dir, args);
    assert!(
        out.status.success(),
        "terraform {} in {} failed:\n{}\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The offline override of SPEC's recipe: local backend, no credential or account checks.
fn write_override(root: &Path) {
    let providers = fs::read_to_string(root.join("providers.tf")).unwrap();
    let mut text = String::from("terraform {\n  backend \"local\" {}\n}\n");
    let skip = "  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n  allowed_account_ids         = null\n";
    text.push_str(&format!("\nprovider \"aws\" {{\n{skip}}}\n"));
    for line in providers.lines() {
        if let Some(alias) = line.trim().strip_prefix("alias").map(|r| {
            r.trim()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"')
                .to_string()
        }) {
            text.push_str(&format!(
                "\nprovider \"aws\" {{\n  alias = \"{alias}\"\n{skip}}}\n"
            ));
        }
    }
    fs::write(root.join("zz_override.tf"), text).unwrap();
}

fn planned(plan: &Value, ty: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut stack = vec![&plan["planned_values"]["root_module"]];
    while let Some(m) = stack.pop() {
        for r in m["resources"].as_array().into_iter().flatten() {
            if r["type"] == ty {
                found.push(r["values"].clone());
            }
        }
        stack.extend(m["child_modules"].as_array().into_iter().flatten());
    }
    found
}

#[test]
fn example_roots_validate_and_plan_offline() {
    if !terraform_available() {
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
    let fmt = tf(&tree, &["fmt", "-check", "-recursive", "-diff"]);
    assert!(
        fmt.status.success(),
        "terraform fmt -check found non-canonical files:\n{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
    for env in ["dev", "sit", "prod"] {
        let root = tree.join("environments").join(env);
        must(
            &root,
            &[
                "init",
                "-backend=false",
                &format!("-plugin-dir={PLUGINS}"),
                "-input=false",
                "-no-color",
            ],
        );
        must(&root, &["validate", "-no-color"]);
        write_override(&root);
        must(
            &root,
            &[
                "init",
                "-reconfigure",
                &format!("-plugin-dir={PLUGINS}"),
                "-input=false",
                "-no-color",
            ],
        );
        must(
            &root,
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-lock=false",
                "-out=tfplan",
            ],
        );
        let plan: Value = serde_json::from_str(&must(&root, &["show", "-json", "tfplan"])).unwrap();
        let tables = planned(&plan, "aws_dynamodb_table");
        assert_eq!(tables.len(), 4, "{env}: expected 4 tables");
        for t in &tables {
            assert_eq!(t["billing_mode"], "PAY_PER_REQUEST", "{env}: {}", t["name"]);
            assert_eq!(
                t["point_in_time_recovery"][0]["enabled"], true,
                "{env}: {} has no PITR",
                t["name"]
            );
            assert_eq!(t["server_side_encryption"][0]["enabled"], true, "{env}");
            let replicas: Vec<&Value> = t["replica"].as_array().into_iter().flatten().collect();
            if env == "prod" {
                assert_eq!(replicas.len(), 1, "prod: {} needs a replica", t["name"]);
                assert_eq!(replicas[0]["region_name"], "eu-west-1");
            } else {
                assert!(
                    replicas.is_empty(),
                    "{env}: {} must not replicate",
                    t["name"]
                );
            }
        }
        let keys = planned(&plan, "aws_kms_key");
        assert!(
            !keys.is_empty() && keys.iter().all(|k| k["enable_key_rotation"] == true),
            "{env}: KMS key with rotation"
        );
        eprintln!(
            "terraform: {env} validated and planned ({} tables)",
            tables.len()
        );
    }
}
