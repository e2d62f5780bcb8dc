//! Running Terraform on generated roots: the offline recipe (local backend,
//! mock credentials, no account checks) shared by every suite that plans.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

pub const PLUGINS: &str = "/opt/tf-plugins";

/// Whether the Terraform tests run: terraform and the provider mirror must be
/// there (they install from no registry reachable here), unless `ENVC_SKIP_TERRAFORM` is set.
pub fn terraform_available() -> bool {
    let present = super::tools::answers("terraform", &["version"]) && Path::new(PLUGINS).is_dir();
    super::tools::require(
        "terraform",
        present,
        &format!(
            "Install Terraform ≥ 1.10 and a mirror of the hashicorp/aws provider in {PLUGINS} \
             (see the README's prerequisites)."
        ),
    )
}

/// A Terraform CLI configuration that installs the AWS provider from the mirror and
/// links it into each working directory (the mirror doubles as the plugin cache)
/// instead of copying its 700 MB: `terraform init` takes a second, not ten.
pub fn cli_config() -> &'static Path {
    static CONFIG: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        // Under target/tmp, written whole and renamed: test binaries run it concurrently.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join("envc-tests.tfrc");
        let temp = dir.join(format!("envc-tests.tfrc.{}", std::process::id()));
        fs::write(
            &temp,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{PLUGINS}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n\
                 plugin_cache_dir = \"{PLUGINS}\"\nplugin_cache_may_break_dependency_lock_file = true\n"
            ),
        )
        .unwrap();
        fs::rename(&temp, &path).unwrap();
        path
    })
}

/// `terraform <args>` in `dir`, offline: mock credentials, the provider from the mirror.
pub fn tf(dir: &Path, args: &[&str]) -> std::process::Output {
    tf_with(dir, args, &[])
}

/// [`tf`] with more environment variables (moto's credentials, timeouts, …).
pub fn tf_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new("terraform");
    cmd.current_dir(dir)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "mock")
        .env("AWS_SECRET_ACCESS_KEY", "mock")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_CLI_CONFIG_FILE", cli_config());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

pub fn must(dir: &Path, args: &[&str]) -> String {
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
pub fn write_override(root: &Path) {
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

pub fn planned(plan: &Value, ty: &str) -> Vec<Value> {
    planned_all(plan)
        .into_iter()
        .filter(|r| r["type"] == ty)
        .map(|r| r["values"].clone())
        .collect()
}

/// Every planned resource (`address`, `type`, `values`, …), in every module.
pub fn planned_all(plan: &Value) -> Vec<Value> {
    let mut found = Vec::new();
    let mut stack = vec![&plan["planned_values"]["root_module"]];
    while let Some(m) = stack.pop() {
        found.extend(m["resources"].as_array().into_iter().flatten().cloned());
        stack.extend(m["child_modules"].as_array().into_iter().flatten());
    }
    found
}

/// `terraform fmt -check`, then `init` + `validate` and an offline plan of the root at
/// `root` (a directory of a generated tree); returns the plan as JSON.
pub fn validate_and_plan(root: &Path) -> Value {
    must(
        root,
        &["init", "-backend=false", "-input=false", "-no-color"],
    );
    must(root, &["validate", "-no-color"]);
    write_override(root);
    must(root, &["init", "-reconfigure", "-input=false", "-no-color"]);
    let plan = must(
        root,
        &[
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            "-out=tfplan",
        ],
    );
    assert!(
        !plan.contains("Warning:"),
        "{}: the plan warns:\n{plan}",
        root.display()
    );
    serde_json::from_str(&must(root, &["show", "-json", "tfplan"])).unwrap()
}

pub fn fmt_check(tree: &Path) {
    let fmt = tf(tree, &["fmt", "-check", "-recursive", "-diff"]);
    assert!(
        fmt.status.success(),
        "terraform fmt -check found non-canonical files:\n{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
}
