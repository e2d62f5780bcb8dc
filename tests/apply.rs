//! The generated tree applies: every example root on an AWS emulator (moto), then
//! what changes of the inputs and an upgrade of envc do to an applied environment.
//!
//! - `every_example_root_applies_replans_and_destroys`: for dev, sit and prod, in
//!   parallel, each on a moto server of its own account: `terraform init` with the
//!   root's S3 backend (bucket and state key created first, as the one documented
//!   prerequisite), one `terraform apply`, a second plan that must show nothing but
//!   the moto read-back artefacts, and `terraform destroy`; the times are printed.
//! - `toggles_replace_no_stateful_resource`: dev applied once, then each toggle of
//!   the inputs (replication on, X-Ray, detailed metrics, advanced security,
//!   deletion protection, log retention, a new table, a GSI, a route, a flag, a
//!   bucket, Object Lock, memory) planned against the applied state: no replacement
//!   or deletion of a stateful resource, and envc warns of none; a hash-key change,
//!   a replacement by nature, is planned as one and envc warns of it.
//! - `upgrading_from_the_previous_envc_destroys_nothing`: every root of the tree as
//!   committed before this version of envc (`PREVIOUS`) applied, then the new tree
//!   planned against that state: nothing stateful replaced or deleted, and what the
//!   previous tree left outside Terraform is imported (`adopt`): the functions it
//!   expected to exist, and the stage's execution log group API Gateway created.
//!
//! The test's copy of a tree is pointed at moto by override files, with the shims
//! and moto patches that `common::moto` lists (printed by each test). Needs
//! terraform with the provider mirror and moto 5.2.5 (`./test.sh` installs it); a
//! missing tool fails, unless `ENVC_SKIP_TERRAFORM=1` or `ENVC_SKIP_MOTO=1` opts out.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

mod common;
use common::moto::{self, Moto};
use common::terraform::terraform_available;
use common::*;

/// The commit whose committed `terraform/` tree is the previous envc's output.
const PREVIOUS: &str = "ac2e99c";

const ROOTS: &[&str] = &["dev", "sit", "prod"];

const APPLY_LIMIT: Duration = Duration::from_secs(20 * 60);
const PLAN_LIMIT: Duration = Duration::from_secs(10 * 60);

fn tools() -> Option<PathBuf> {
    if !terraform_available() {
        return None;
    }
    moto::available()
}

/// `name = "value"` of the first line of `file` that sets `name`.
fn setting(file: &Path, name: &str) -> String {
    let text = fs::read_to_string(file).unwrap();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(name))
        .filter_map(|r| r.trim_start().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_string())
        .next()
        .unwrap_or_else(|| panic!("{} sets no {name}", file.display()))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == ".terraform" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else {
            fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

fn build(project: &Path) -> String {
    let out = envc(project, &["build"]);
    assert!(
        out.status.success(),
        "envc build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn show(dir: &Path, plan: &str, m: &Moto) -> Value {
    let (json, _) = moto::must_timed(dir, &["show", "-json", plan], PLAN_LIMIT, m);
    serde_json::from_str(&json).unwrap()
}

/// A root of `tree` applied on `m`: the S3 backend's bucket and key created, `init`.
fn init_with_s3_backend(python: &Path, m: &Moto, tree: &Path, root: &str) -> PathBuf {
    let dir = tree.join("environments").join(root);
    moto::prepare(tree, root, &m.endpoint(), false, true, true);
    let backend = dir.join("backend.tf");
    m.bootstrap(
        python,
        "state",
        &setting(&backend, "region"),
        &[
            &setting(&backend, "bucket"),
            &setting(&backend, "kms_key_id"),
        ],
    );
    let config = moto::backend_config(&dir, &m.endpoint());
    moto::must_timed(
        &dir,
        &[
            "init",
            "-input=false",
            "-no-color",
            &format!("-backend-config={}", config.display()),
        ],
        PLAN_LIMIT,
        m,
    );
    dir
}

struct Times {
    root: &'static str,
    resources: usize,
    apply: Duration,
    replan: Duration,
    destroy: Duration,
}

fn apply_replan_destroy(python: &Path, built: &Path, root: &'static str) -> Times {
    let tfvars = built
        .join("environments")
        .join(root)
        .join("terraform.tfvars");
    let m = Moto::start(python, &setting(&tfvars, "account_id"));
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("terraform");
    copy_dir(built, &tree);
    let dir = init_with_s3_backend(python, &m, &tree, root);

    let (out, apply) = moto::must_timed(
        &dir,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        APPLY_LIMIT,
        &m,
    );
    let resources = out
        .lines()
        .find_map(|l| l.strip_prefix("Apply complete! Resources: "))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        resources > 100,
        "{root}: applied only {resources} resources"
    );
    // The state is in the root's S3 backend on moto, locked with S3's lock file.
    let listed = moto::must_timed(&dir, &["state", "list"], PLAN_LIMIT, &m).0;
    assert_eq!(listed.lines().count(), resources, "{root}: state list");

    let (_, replan) = moto::must_timed(
        &dir,
        &["plan", "-input=false", "-no-color", "-out=replan"],
        PLAN_LIMIT,
        &m,
    );
    let changes = moto::changes(&show(&dir, "replan", &m));
    let unexpected = moto::unexpected(&changes);
    assert!(
        unexpected.is_empty(),
        "{root}: the plan after the apply is not empty:\n{}",
        unexpected.join("\n")
    );

    let (_, destroy) = moto::must_timed(
        &dir,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
        APPLY_LIMIT,
        &m,
    );
    let left = moto::must_timed(&dir, &["state", "list"], PLAN_LIMIT, &m).0;
    assert!(left.trim().is_empty(), "{root}: destroy left {left}");
    Times {
        root,
        resources,
        apply,
        replan,
        destroy,
    }
}

#[test]
fn every_example_root_applies_replans_and_destroys() {
    let Some(python) = tools() else { return };
    moto::print_workarounds(&python, "apply");
    let p = example_project();
    build(p.path());
    let built = p.path().join("terraform");
    let times: Vec<Times> = std::thread::scope(|s| {
        let handles: Vec<_> = ROOTS
            .iter()
            .map(|root| {
                let (python, built) = (&python, &built);
                s.spawn(move || apply_replan_destroy(python, built, root))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for t in &times {
        report(&format!(
            "apply: {}: {} resources; apply {:.0} s, re-plan {:.0} s, destroy {:.0} s",
            t.root,
            t.resources,
            t.apply.as_secs_f64(),
            t.replan.as_secs_f64(),
            t.destroy.as_secs_f64()
        ));
    }
}

/// An edit of the example project, and what its plan must contain to show that it
/// did something (an address with one of the actions).
struct Toggle {
    name: &'static str,
    edit: fn(&Path),
    expect: (&'static str, &'static str),
}

fn append(path: &Path, text: &str) {
    let mut t = fs::read_to_string(path).unwrap();
    t.push_str(text);
    fs::write(path, t).unwrap();
}

const TOGGLES: &[Toggle] = &[
    Toggle {
        name: "replication on",
        edit: |p| {
            edit(
                &p.join("environments/dev.kdl"),
                "cross-region-replication #false",
                "cross-region-replication #true\nfailover-region \"eu-central-1\"",
            )
        },
        expect: ("aws_kms_key.failover[0]", "create"),
    },
    Toggle {
        name: "X-Ray",
        edit: |p| {
            edit(
                &p.join("environments/dev.kdl"),
                "detailed-metrics #false",
                "detailed-metrics #false\n    xray-tracing #true",
            )
        },
        expect: ("module.api_gateway.aws_api_gateway_stage.this", "update"),
    },
    Toggle {
        name: "detailed metrics",
        edit: |p| {
            edit(
                &p.join("environments/dev.kdl"),
                "detailed-metrics #false",
                "detailed-metrics #true",
            )
        },
        expect: (
            "module.api_gateway.aws_api_gateway_method_settings.all",
            "update",
        ),
    },
    Toggle {
        name: "advanced security",
        edit: |p| {
            edit(
                &p.join("environments/dev.kdl"),
                "detailed-metrics #false",
                "detailed-metrics #false\n    cognito-advanced-security #true",
            )
        },
        expect: ("module.cognito.aws_cognito_user_pool.this", "update"),
    },
    Toggle {
        name: "deletion protection",
        edit: |p| {
            edit(
                &p.join("environments/dev.kdl"),
                "detailed-metrics #false",
                "detailed-metrics #false\n    deletion-protection #true",
            )
        },
        expect: ("module.dynamodb.aws_dynamodb_table.users", "update"),
    },
    Toggle {
        name: "log retention",
        edit: |p| append(&p.join("environments/dev.kdl"), "log-retention-days 90\n"),
        expect: (
            "module.cloudwatch.aws_cloudwatch_log_group.users_api",
            "update",
        ),
    },
    Toggle {
        name: "a new table",
        edit: |p| {
            append(
                &p.join("envc.kdl"),
                "table \"tenants\" hash-key=\"tenant_id\" {\n    attribute \"tenant_id\" type=\"S\"\n}\n",
            )
        },
        expect: ("module.dynamodb.aws_dynamodb_table.tenants", "create"),
    },
    Toggle {
        name: "a GSI",
        edit: |p| {
            edit(
                &p.join("envc.kdl"),
                "    attribute \"role_id\" type=\"S\"\n}",
                "    attribute \"role_id\" type=\"S\"\n    gsi \"by-role-id\" hash-key=\"role_id\"\n}",
            )
        },
        expect: ("module.dynamodb.aws_dynamodb_table.roles", "update"),
    },
    Toggle {
        name: "a route",
        edit: |p| {
            edit(
                &p.join("envc.kdl"),
                "    route \"POST /authorize\" function=\"authorizer\"",
                "    route \"POST /authorize\" function=\"authorizer\"\n    route \"GET /roles/{role_id}/users\" function=\"assignments-api\"",
            )
        },
        expect: (
            "module.api_gateway.aws_api_gateway_method.get_roles_role_id_users",
            "create",
        ),
    },
    Toggle {
        name: "a flag",
        edit: |p| {
            edit(
                &p.join("environments/dev.kdl"),
                "    max-sessions-per-user 10",
                "    max-sessions-per-user 10\n    dark-mode #true",
            )
        },
        expect: ("aws_ssm_parameter.flags[\"dark-mode\"]", "create"),
    },
    Toggle {
        name: "a bucket",
        edit: |p| {
            append(
                &p.join("envc.kdl"),
                "bucket \"exports\" {\n    warm-after-days 30\n    cold-after-days 60\n    archive-after-days 150\n    expire-after-days 400\n}\n",
            )
        },
        expect: ("module.s3_audit.aws_s3_bucket.exports", "create"),
    },
    Toggle {
        name: "Object Lock",
        edit: |p| {
            append(
                &p.join("environments/dev.kdl"),
                "bucket \"audit\" {\n    object-lock mode=\"GOVERNANCE\" days=30\n}\n",
            )
        },
        expect: (
            "module.s3_audit.aws_s3_bucket_object_lock_configuration.audit[0]",
            "create",
        ),
    },
    Toggle {
        name: "function memory",
        edit: |p| {
            append(
                &p.join("environments/dev.kdl"),
                "function \"roles-api\" memory=1024\n",
            )
        },
        expect: ("module.lambda.aws_lambda_function.roles_api", "update"),
    },
];

/// Plan a copy of the applied tree, edited and rebuilt, against the applied state.
/// Returns the plan's changes and what `envc build` printed.
fn plan_edit(
    m: &Moto,
    base_project: &Path,
    base_tree: &Path,
    edit_fn: fn(&Path),
) -> (Vec<moto::Change>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    fs::copy(base_project.join("envc.kdl"), project.join("envc.kdl")).unwrap();
    copy_dir(
        &base_project.join("environments"),
        &project.join("environments"),
    );
    // The tree as applied, so that `envc build` compares with it and warns.
    copy_dir(base_tree, &project.join("terraform"));
    edit_fn(project);
    let warnings = build(project);
    let tree = project.join("terraform");
    moto::prepare(&tree, "dev", &m.endpoint(), false, false, false);
    let dir = tree.join("environments/dev");
    let config = moto::backend_config(&dir, &m.endpoint());
    moto::must_timed(
        &dir,
        &[
            "init",
            "-input=false",
            "-no-color",
            &format!("-backend-config={}", config.display()),
        ],
        PLAN_LIMIT,
        m,
    );
    let (plan, _) = moto::must_timed(
        &dir,
        &[
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            "-refresh=false",
            "-json",
        ],
        PLAN_LIMIT,
        m,
    );
    (moto::planned_changes(&plan), warnings)
}

#[test]
fn toggles_replace_no_stateful_resource() {
    let Some(python) = tools() else { return };
    moto::print_workarounds(&python, "toggles");
    let base = example_project();
    build(base.path());
    let base_tree = base.path().join("terraform");
    let dev = base_tree.join("environments/dev");
    let m = Moto::start(
        &python,
        &setting(&dev.join("terraform.tfvars"), "account_id"),
    );
    // The applied copy: apply with the shims, keep a clean copy to rebuild over.
    let applied = tempfile::tempdir().unwrap();
    let applied_tree = applied.path().join("terraform");
    copy_dir(&base_tree, &applied_tree);
    let dir = init_with_s3_backend(&python, &m, &applied_tree, "dev");
    let (_, took) = moto::must_timed(
        &dir,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        APPLY_LIMIT,
        &m,
    );
    report(&format!(
        "toggles: dev applied in {:.0} s",
        took.as_secs_f64()
    ));

    let started = std::time::Instant::now();
    let mut problems = Vec::new();
    // Two plans at a time: each keeps a core busy.
    for pair in TOGGLES.chunks(2) {
        let results: Vec<(Vec<moto::Change>, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .map(|t| {
                    let (m, base, base_tree) = (&m, base.path(), &base_tree);
                    s.spawn(move || plan_edit(m, base, base_tree, t.edit))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (t, (changes, warnings)) in pair.iter().zip(results) {
            let destructive = moto::destructive(&changes);
            let (address, action) = t.expect;
            let found = changes
                .iter()
                .any(|c| c.address.ends_with(address) && c.actions.iter().any(|a| a == action));
            report(&format!(
                "toggles: {}: {} changes, {} replacing or deleting a stateful resource",
                t.name,
                changes.len(),
                destructive.len()
            ));
            if !destructive.is_empty() {
                problems.push(format!("{}: {}", t.name, destructive.join(", ")));
            }
            if !found {
                problems.push(format!(
                    "{}: the plan lacks {action} of {address}: {:?}",
                    t.name,
                    changes.iter().map(|c| &c.address).collect::<Vec<_>>()
                ));
            }
            for code in [
                "envc::changes::replace",
                "envc::changes::destroy",
                "envc::changes::replace-all",
            ] {
                if warnings.contains(&format!("[{code}]")) {
                    problems.push(format!("{}: envc warned {code}:\n{warnings}", t.name));
                }
            }
            if t.name == "Object Lock" && !warnings.contains("[envc::changes::object-lock]") {
                problems.push(format!("Object Lock: envc did not warn:\n{warnings}"));
            }
        }
    }

    // A replacement by nature: Terraform replaces the table, and envc says so first.
    let (changes, warnings) = plan_edit(&m, base.path(), &base_tree, |p| {
        edit(
            &p.join("envc.kdl"),
            "table \"roles\" hash-key=\"tenant_id\" range-key=\"role_id\"",
            "table \"roles\" hash-key=\"role_id\" range-key=\"tenant_id\"",
        )
    });
    let replaced = moto::destructive(&changes);
    assert!(
        replaced
            .iter()
            .any(|c| c.starts_with("module.dynamodb.aws_dynamodb_table.roles ")),
        "a hash-key change must replace the table: {replaced:?}"
    );
    assert!(
        warnings.contains("[envc::changes::replace]")
            && warnings.contains("module.dynamodb.aws_dynamodb_table.roles"),
        "envc must warn of the replacement:\n{warnings}"
    );
    report(&format!(
        "toggles: {} toggles and a replacement by nature planned in {:.0} s",
        TOGGLES.len(),
        started.elapsed().as_secs_f64()
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The previous envc's committed tree, from git.
fn previous_tree(into: &Path) {
    let archive = Command::new("git")
        .current_dir(repo())
        .args(["archive", "--format=tar", PREVIOUS, "terraform"])
        .output()
        .unwrap();
    assert!(
        archive.status.success(),
        "git archive {PREVIOUS}: {} (the upgrade test needs the repository's history)",
        String::from_utf8_lossy(&archive.stderr)
    );
    let mut tar = Command::new("tar")
        .current_dir(into)
        .args(["-x", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    tar.stdin
        .take()
        .unwrap()
        .write_all(&archive.stdout)
        .unwrap();
    assert!(tar.wait().unwrap().success());
}

fn upgrade_root(
    python: &Path,
    old: &Path,
    project: &Path,
    root: &'static str,
) -> (Duration, Duration, BTreeMap<&'static str, usize>) {
    let tfvars = old.join("environments").join(root).join("terraform.tfvars");
    let m = Moto::start(python, &setting(&tfvars, "account_id"));
    let region = setting(&tfvars, "region");
    let tmp = tempfile::tempdir().unwrap();
    // The previous tree expected its functions deployed elsewhere: deploy them first.
    let functions: Vec<String> = [
        "assignments-api",
        "audit-export",
        "authenticate",
        "authorizer",
        "roles-api",
        "users-api",
    ]
    .iter()
    .map(|f| format!("am-{root}-{f}"))
    .collect();
    let names: Vec<&str> = functions.iter().map(String::as_str).collect();
    m.bootstrap(python, "functions", &region, &names);
    let old_tree = tmp.path().join("old");
    copy_dir(old, &old_tree);
    moto::prepare(&old_tree, root, &m.endpoint(), true, true, false);
    let old_dir = old_tree.join("environments").join(root);
    moto::must_timed(
        &old_dir,
        &["init", "-input=false", "-no-color"],
        PLAN_LIMIT,
        &m,
    );
    let (_, apply) = moto::must_timed(
        &old_dir,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        APPLY_LIMIT,
        &m,
    );
    // Traffic on the API made API Gateway create the stage's execution log group.
    let state: Value =
        serde_json::from_str(&fs::read_to_string(old_dir.join("terraform.tfstate")).unwrap())
            .unwrap();
    let api_id = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["module"] == "module.api_gateway" && r["type"] == "aws_api_gateway_rest_api")
        .and_then(|r| r["instances"][0]["attributes"]["id"].as_str())
        .expect("the previous tree's REST API")
        .to_string();
    m.bootstrap(
        python,
        "log-group",
        &region,
        &[&format!("API-Gateway-Execution-Logs_{api_id}/v1")],
    );

    // The new tree, with the previous state: same shims, local backend.
    let new_tree = tmp.path().join("new");
    copy_dir(&project.join("terraform"), &new_tree);
    moto::prepare(&new_tree, root, &m.endpoint(), true, true, false);
    let new_dir = new_tree.join("environments").join(root);
    fs::copy(
        old_dir.join("terraform.tfstate"),
        new_dir.join("terraform.tfstate"),
    )
    .unwrap();
    moto::must_timed(
        &new_dir,
        &["init", "-input=false", "-no-color"],
        PLAN_LIMIT,
        &m,
    );
    let (_, plan) = moto::must_timed(
        &new_dir,
        &["plan", "-input=false", "-no-color", "-out=upgrade"],
        PLAN_LIMIT,
        &m,
    );
    let changes = moto::changes(&show(&new_dir, "upgrade", &m));
    let destructive = moto::destructive(&changes);
    assert!(
        destructive.is_empty(),
        "{root}: upgrading replaces or deletes: {destructive:?}"
    );
    let imported = changes
        .iter()
        .filter(|c| c.ty == "aws_lambda_function" && c.importing)
        .count();
    let created = changes
        .iter()
        .filter(|c| c.ty == "aws_lambda_function" && c.actions.iter().any(|a| a == "create"))
        .count();
    assert_eq!(
        (imported, created),
        (6, 0),
        "{root}: the functions are imported, not created"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.importing
                && c.address == "module.api_gateway.aws_cloudwatch_log_group.execution"),
        "{root}: the execution log group API Gateway created is imported"
    );
    let mut counts = BTreeMap::new();
    for c in changes
        .iter()
        .filter(|c| c.actions == ["update"] && !c.importing)
    {
        report(&format!(
            "upgrade: {root}: updates {} {:?}",
            c.address, c.attributes
        ));
    }
    for c in &changes {
        let kind = if c.importing {
            "import"
        } else if c.actions == ["create"] {
            "create"
        } else if c.actions == ["update"] {
            "update"
        } else if c.actions == ["no-op"] {
            "move"
        } else {
            "replace/delete (not stateful)"
        };
        *counts.entry(kind).or_default() += 1;
    }
    (apply, plan, counts)
}

#[test]
fn upgrading_from_the_previous_envc_destroys_nothing() {
    let Some(python) = tools() else { return };
    moto::print_workarounds(&python, "upgrade");
    let tmp = tempfile::tempdir().unwrap();
    previous_tree(tmp.path());
    let old = tmp.path().join("terraform");
    // The new inputs adopt the functions the previous tree expected to exist; the
    // build over the previous tree must not warn of a replacement or deletion.
    let p = example_project();
    copy_dir(&old, &p.path().join("terraform"));
    for root in ROOTS {
        append(
            &p.path().join("environments").join(format!("{root}.kdl")),
            "adopt \"functions\" \"api-execution-log-group\"\n",
        );
    }
    let warnings = build(p.path());
    for code in [
        "envc::changes::replace",
        "envc::changes::destroy",
        "envc::changes::replace-all",
    ] {
        assert!(
            !warnings.contains(&format!("[{code}]")),
            "upgrading: envc warned {code}:\n{warnings}"
        );
    }
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = ROOTS
            .iter()
            .map(|root| {
                let (python, old, project) = (&python, &old, p.path());
                s.spawn(move || (root, upgrade_root(python, old, project, root)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (root, (apply, plan, counts)) in results {
        report(&format!(
            "upgrade: {root}: previous tree applied in {:.0} s, new tree planned in {:.0} s: {counts:?}",
            apply.as_secs_f64(),
            plan.as_secs_f64()
        ));
    }
}
