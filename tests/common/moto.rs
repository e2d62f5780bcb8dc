//! The AWS emulator of the apply tests: moto_server with envc's patches
//! (`tests/moto/envc_moto.py`), one process per account on a free port of
//! 127.0.0.1, stopped when dropped (also when a test fails); the override files
//! that point a test's copy of a tree at it; and what a plan may show.
//!
//! Every departure from the generated tree is made here, in the test's copy, and
//! named with the moto limitation behind it ([`SHIMS`], and the patches that
//! `envc_moto.py --list` prints).

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::repo;
use super::terraform::tf_with;

/// The moto release the patches of `envc_moto.py` are written against.
pub const MOTO_VERSION: &str = "5.2.5";

/// Changes made to the test's copy of a tree, each with the moto limitation behind it.
pub const SHIMS: &[(&str, &str)] = &[
    (
        "no-client-certificate",
        "GenerateClientCertificate is not implemented (404): the copy's stage has no client certificate",
    ),
    (
        "no-table-replicas",
        "DynamoDB global-table replicas never become ACTIVE and the apply hangs: the copy's tables of a replicating root have no replica",
    ),
];

/// Differences a plan right after an apply shows because moto does not read a value
/// back: resource type, the attributes concerned, and the limitation.
pub const READ_BACK: &[(&str, &[&str], &str)] = &[
    (
        "aws_cognito_user_pool",
        &["user_pool_tier"],
        "moto does not read back a user pool's tier",
    ),
    (
        "aws_s3_bucket_notification",
        &["eventbridge"],
        "moto does not read back a bucket's EventBridge notification",
    ),
];

/// Resource types that hold data (or deployed code): no change of an input may replace
/// or delete one, unless by nature.
pub const STATEFUL: &[&str] = &[
    "aws_kms_key",
    "aws_kms_replica_key",
    "aws_dynamodb_table",
    "aws_s3_bucket",
    "aws_cognito_user_pool",
    "aws_cloudwatch_log_group",
    "aws_secretsmanager_secret",
    "aws_ssm_parameter",
    "aws_lambda_function",
];

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(cmd))
            .find(|p| p.is_file())
    })
}

fn has_moto(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            &format!("import moto, sys; sys.exit(moto.__version__ != '{MOTO_VERSION}')"),
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Python interpreter that has moto [`MOTO_VERSION`]: the one `moto_server` on PATH
/// runs with (its shebang, or the `python` beside it in a virtualenv), else `python3`.
pub fn python() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(server) = which("moto_server") {
        if let Some(line) = fs::read_to_string(&server)
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string))
            && let Some(interpreter) = line.strip_prefix("#!")
        {
            candidates.push(PathBuf::from(interpreter.trim()));
        }
        if let Ok(real) = fs::canonicalize(&server) {
            candidates.push(real.with_file_name("python"));
        }
    }
    candidates.push(PathBuf::from("python3"));
    candidates.into_iter().find(|p| has_moto(p))
}

/// The interpreter with moto, when the apply tests run: a missing moto fails the
/// test, unless `ENVC_SKIP_MOTO` opts out (printed).
pub fn available() -> Option<PathBuf> {
    let python = python();
    let run = super::tools::require(
        "moto",
        python.is_some(),
        &format!(
            "Install moto {MOTO_VERSION} with `pip install 'moto[server]=={MOTO_VERSION}'` \
             (envc's patches are written against that release)."
        ),
    );
    if run { python } else { None }
}

/// The patches `envc_moto.py` applies: name and the limitation behind it.
pub fn patches(python: &Path) -> Vec<(String, String)> {
    let out = Command::new(python)
        .arg(repo().join("tests/moto/envc_moto.py"))
        .arg("--list")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "envc_moto.py --list: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Print the shims, the patches and the read-back artefacts once per test.
pub fn print_workarounds(python: &Path, what: &str) {
    super::report(&format!(
        "{what}: moto {MOTO_VERSION}; the test's copy of the tree differs by:"
    ));
    for (name, why) in SHIMS {
        super::report(&format!("  shim  {name}: {why}"));
    }
    super::report(
        "  setting deletion_protection = false (zz_moto.auto.tfvars): so that destroy can delete",
    );
    for (name, why) in patches(python) {
        super::report(&format!("  patch {name}: {why}"));
    }
    for (ty, attrs, why) in READ_BACK {
        super::report(&format!(
            "  tolerated in a second plan: {ty}.{} ({why})",
            attrs.join(", ")
        ));
    }
}

/// One moto server: one emulated account.
pub struct Moto {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[9..12] == b"200"
}

impl Moto {
    /// Start a server whose account is `account` (every request is that account's).
    pub fn start(python: &Path, account: &str) -> Moto {
        // Another process can take the free port before moto binds it: try again then.
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let log = dir.path().join("moto.log");
            let port = free_port();
            let out = fs::File::create(&log).unwrap();
            let child = Command::new(python)
                .arg(repo().join("tests/moto/envc_moto.py"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_ACCOUNT_ID", account)
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap();
            let mut moto = Moto {
                child,
                port,
                log,
                _dir: dir,
            };
            let deadline = Instant::now() + Duration::from_secs(90);
            while Instant::now() < deadline && !matches!(moto.child.try_wait(), Ok(Some(_))) {
                if answers(port) {
                    return moto;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            let log = moto.log();
            assert!(
                log.contains("Address already in use"),
                "moto did not start on port {port}:\n{log}"
            );
        }
        panic!("moto found no free port");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The end of the server's log (for failure messages).
    pub fn log(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let from = text.len().saturating_sub(6000);
        let from = (from..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text[from..].to_string()
    }

    /// Run `tests/moto/bootstrap.py <what> <endpoint> <region> <args>`.
    pub fn bootstrap(&self, python: &Path, what: &str, region: &str, args: &[&str]) {
        let out = Command::new(python)
            .arg(repo().join("tests/moto/bootstrap.py"))
            .args([what, &self.endpoint(), region])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "bootstrap {what}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The AWS services a generated tree uses (provider `endpoints` keys).
const SERVICES: &[&str] = &[
    "apigateway",
    "cloudwatch",
    "cloudwatchlogs",
    "cognitoidp",
    "dynamodb",
    "iam",
    "kms",
    "lambda",
    "s3",
    "sns",
    "ssm",
    "sts",
    "wafv2",
];

/// Point the test's copy of a tree at moto: provider endpoints in the root (every
/// alias the root declares) and the client-certificate shim; with `local_backend`, a
/// local backend instead of the root's S3 backend (else [`backend_config`] points the
/// S3 backend at moto); with `no_replicas`, the table-replica shim (for an apply: a
/// plan alone does not wait for replicas); with `destroyable`, deletion protection off.
pub fn prepare(
    tree: &Path,
    root: &str,
    endpoint: &str,
    local_backend: bool,
    no_replicas: bool,
    destroyable: bool,
) {
    let dir = tree.join("environments").join(root);
    let providers = fs::read_to_string(dir.join("providers.tf")).unwrap();
    let endpoints: String = SERVICES
        .iter()
        .map(|s| format!("    {s} = \"{endpoint}\"\n"))
        .collect();
    let settings = format!(
        "  skip_credentials_validation = true\n  skip_metadata_api_check = true\n  s3_use_path_style = true\n\n  endpoints {{\n{endpoints}  }}\n"
    );
    let mut text = String::new();
    if local_backend {
        text.push_str("terraform {\n  backend \"local\" {}\n}\n\n");
    }
    text.push_str(&format!("provider \"aws\" {{\n{settings}}}\n"));
    let replicates = providers.contains("alias");
    for line in providers.lines() {
        if let Some(alias) = line.trim().strip_prefix("alias") {
            let alias = alias
                .trim()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"');
            text.push_str(&format!(
                "\nprovider \"aws\" {{\n  alias = \"{alias}\"\n{settings}}}\n"
            ));
        }
    }
    fs::write(dir.join("zz_moto_override.tf"), text).unwrap();
    if destroyable {
        fs::write(
            dir.join("zz_moto.auto.tfvars"),
            "# The test's copy: destroy must be able to delete.\ndeletion_protection = false\n",
        )
        .unwrap();
    }
    let gateway = tree.join("modules/api-gateway");
    if gateway.is_dir() {
        fs::write(
            gateway.join("zz_moto_override.tf"),
            "# Shim no-client-certificate: moto does not implement GenerateClientCertificate.\n\
             resource \"aws_api_gateway_client_certificate\" \"this\" {\n  count = 0\n}\n\n\
             resource \"aws_api_gateway_stage\" \"this\" {\n  client_certificate_id = null\n}\n",
        )
        .unwrap();
    }
    let tables = tree.join("modules/dynamodb/main.tf");
    if no_replicas && replicates && tables.is_file() {
        let mut shim = String::from(
            "# Shim no-table-replicas: moto's global-table replicas never become ACTIVE.\n",
        );
        for line in fs::read_to_string(&tables).unwrap().lines() {
            if let Some(name) = line
                .strip_prefix("resource \"aws_dynamodb_table\" \"")
                .and_then(|r| r.split('"').next())
            {
                shim.push_str(&format!(
                    "\nresource \"aws_dynamodb_table\" \"{name}\" {{\n  dynamic \"replica\" {{\n    for_each = []\n    content {{\n      region_name = replica.value\n    }}\n  }}\n}}\n"
                ));
            }
        }
        fs::write(tree.join("modules/dynamodb/zz_moto_override.tf"), shim).unwrap();
    }
}

/// A backend configuration file that points the root's S3 backend at moto (the
/// bucket, key, region, KMS key and lock file are the generated backend.tf's).
pub fn backend_config(dir: &Path, endpoint: &str) -> PathBuf {
    let path = dir.join("moto.s3.tfbackend");
    fs::write(
        &path,
        format!(
            "endpoints = {{\n  s3 = \"{endpoint}\"\n  sts = \"{endpoint}\"\n  iam = \"{endpoint}\"\n}}\n\
             use_path_style = true\nskip_credentials_validation = true\nskip_requesting_account_id = true\n\
             skip_metadata_api_check = true\nskip_region_validation = true\n"
        ),
    )
    .unwrap();
    path
}

/// `terraform <args>` in `dir` against moto, killed after `limit` (a hanging provider
/// wait fails the test instead of hanging it). Returns the output and the time taken.
pub fn tf_timed(dir: &Path, args: &[&str], limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let dir2 = dir.to_path_buf();
    let args2: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let args: Vec<&str> = args2.iter().map(String::as_str).collect();
        let _ = tx.send(tf_with(
            &dir2,
            &args,
            &[("TF_LOG", ""), ("AWS_EC2_METADATA_DISABLED", "true")],
        ));
    });
    match rx.recv_timeout(limit) {
        Ok(out) => (out, started.elapsed()),
        Err(_) => panic!(
            "terraform {} in {} did not finish within {limit:?}",
            args.join(" "),
            dir.display()
        ),
    }
}

/// Like [`tf_timed`], and the command must succeed.
pub fn must_timed(dir: &Path, args: &[&str], limit: Duration, moto: &Moto) -> (String, Duration) {
    let (out, took) = tf_timed(dir, args, limit);
    assert!(
        out.status.success(),
        "terraform {} in {} failed:\n{}\n{}\n--- moto log ---\n{}",
        args.join(" "),
        dir.display(),
        tail(&String::from_utf8_lossy(&out.stdout)),
        String::from_utf8_lossy(&out.stderr),
        moto.log()
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), took)
}

fn tail(s: &str) -> &str {
    let from = s.len().saturating_sub(8000);
    let from = (from..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    &s[from..]
}

/// One entry of a plan's `resource_changes` that does something.
#[derive(Debug)]
pub struct Change {
    pub address: String,
    pub ty: String,
    pub actions: Vec<String>,
    /// Top-level attributes whose value changes (or becomes unknown).
    pub attributes: Vec<String>,
    /// Whether an `importing` block is set (an import, not a creation).
    pub importing: bool,
}

/// The changes of a plan (`terraform show -json <plan>`), no-ops left out.
pub fn changes(plan: &Value) -> Vec<Change> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rc| {
            let change = &rc["change"];
            let actions: Vec<String> = change["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let importing = !change["importing"].is_null();
            if actions == ["no-op"] && !importing || actions == ["read"] {
                return None;
            }
            let (before, after) = (&change["before"], &change["after"]);
            let mut attributes: Vec<String> = after
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, v)| before.get(k.as_str()) != Some(v))
                .map(|(k, _)| k.clone())
                .chain(
                    change["after_unknown"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(_, v)| **v == Value::Bool(true))
                        .map(|(k, _)| k.clone()),
                )
                .collect();
            attributes.sort();
            attributes.dedup();
            Some(Change {
                address: rc["address"].as_str().unwrap_or_default().to_string(),
                ty: rc["type"].as_str().unwrap_or_default().to_string(),
                actions,
                attributes,
                importing,
            })
        })
        .collect()
}

/// The changes of `terraform plan -json` output (its `planned_change` messages):
/// addresses, types and actions, without the attributes (no `terraform show` needed).
pub fn planned_changes(json_lines: &str) -> Vec<Change> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["type"] == "planned_change")
        .map(|m| {
            let change = &m["change"];
            let action = change["action"].as_str().unwrap_or_default();
            let actions = match action {
                "replace" => vec!["delete".to_string(), "create".to_string()],
                other => vec![other.to_string()],
            };
            Change {
                address: change["resource"]["addr"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                ty: change["resource"]["resource_type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                actions,
                attributes: Vec::new(),
                importing: action == "import" || !change["importing"].is_null(),
            }
        })
        .filter(|c| c.actions != ["noop"] && c.actions != ["no-op"] && c.actions != ["move"])
        .collect()
}

/// The changes of a second plan that are not [`READ_BACK`] artefacts.
pub fn unexpected(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter(|c| {
            let tolerated = c.actions == ["update"]
                && READ_BACK.iter().any(|(ty, attrs, _)| {
                    *ty == c.ty && c.attributes.iter().all(|a| attrs.contains(&a.as_str()))
                });
            !tolerated
        })
        .map(|c| format!("{} {:?} {:?}", c.address, c.actions, c.attributes))
        .collect()
}

/// The changes that replace or delete a [`STATEFUL`] resource.
pub fn destructive(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter(|c| STATEFUL.contains(&c.ty.as_str()) && c.actions.iter().any(|a| a == "delete"))
        .map(|c| format!("{} {:?}", c.address, c.actions))
        .collect()
}
