//! Handler tests: the server in-process over lsp-server's in-memory
//! connection, a project in a temporary directory, exact ranges.

use std::collections::BTreeMap;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::{Position, Range, Uri};
use serde_json::{Value, json};

use super::serve;

mod fuzz;

const EXAMPLE: &[(&str, &str)] = &[
    ("envc.kdl", include_str!("../../envc.kdl")),
    (
        "environments/_base.kdl",
        include_str!("../../environments/_base.kdl"),
    ),
    (
        "environments/dev.kdl",
        include_str!("../../environments/dev.kdl"),
    ),
    (
        "environments/sit.kdl",
        include_str!("../../environments/sit.kdl"),
    ),
    (
        "environments/prod.kdl",
        include_str!("../../environments/prod.kdl"),
    ),
];

pub(super) struct Client {
    conn: Connection,
    server: Option<JoinHandle<u8>>,
    next: i32,
    pub(super) dir: tempfile::TempDir,
    /// Latest diagnostics per URI.
    pub(super) diags: BTreeMap<String, Vec<lsp_types::Diagnostic>>,
    /// Every publishDiagnostics received, in order (uri).
    pub(super) published: Vec<String>,
}

/// The example project with `changes` applied (`None` deletes a file).
pub(super) fn project(changes: &[(&str, Option<&str>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut files: BTreeMap<&str, &str> = EXAMPLE.iter().copied().collect();
    for (k, v) in changes {
        match v {
            Some(v) => files.insert(k, v),
            None => files.remove(k),
        };
    }
    std::fs::create_dir_all(dir.path().join("environments")).unwrap();
    for (k, v) in files {
        std::fs::write(dir.path().join(k), v).unwrap();
    }
    dir
}

pub(super) fn uri_of(dir: &Path, rel: &str) -> Uri {
    envc::ide::path_to_uri(&dir.join(rel)).unwrap()
}

impl Client {
    pub(super) fn start(dir: tempfile::TempDir, utf8: bool) -> Client {
        let (server_conn, conn) = Connection::memory();
        let server = std::thread::spawn(move || serve(&server_conn).unwrap());
        let mut c = Client {
            conn,
            server: Some(server),
            next: 0,
            dir,
            diags: BTreeMap::new(),
            published: Vec::new(),
        };
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let root = uri_of(c.dir.path(), "");
        let init = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root,
                "capabilities": {"general": {"positionEncodings": encodings}},
            }),
        );
        let caps = &init.response_result.unwrap()["capabilities"];
        assert_eq!(
            caps["positionEncoding"],
            if utf8 { "utf-8" } else { "utf-16" }
        );
        c.notify("initialized", json!({}));
        c
    }

    pub(super) fn uri(&self, rel: &str) -> Uri {
        uri_of(self.dir.path(), rel)
    }

    fn recv(&mut self) -> Message {
        let msg = self
            .conn
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers within a minute");
        if let Message::Notification(n) = &msg
            && n.method == "textDocument/publishDiagnostics"
        {
            let uri = n.params["uri"].as_str().unwrap().to_string();
            let d: Vec<lsp_types::Diagnostic> =
                serde_json::from_value(n.params["diagnostics"].clone()).unwrap();
            self.published.push(uri.clone());
            self.diags.insert(uri, d);
        }
        msg
    }

    pub(super) fn request(&mut self, method: &str, params: Value) -> Response {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.into(), params).into())
            .unwrap();
        loop {
            if let Message::Response(r) = self.recv()
                && r.id == id
            {
                return r;
            }
        }
    }

    pub(super) fn ok(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        match r.response_result {
            Ok(v) => v,
            Err(e) => panic!("{method}: {e:?}"),
        }
    }

    pub(super) fn notify(&mut self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.into(), params).into())
            .unwrap();
    }

    /// Wait until the server has handled everything sent so far.
    pub(super) fn sync(&mut self) {
        let r = self.request("envc/sync", Value::Null);
        assert_eq!(
            r.response_result.unwrap_err().code,
            lsp_server::ErrorCode::MethodNotFound as i32
        );
    }

    pub(super) fn open(&mut self, rel: &str, text: &str) {
        let uri = self.uri(rel);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "kdl", "version": 1, "text": text}}),
        );
    }

    /// Replace the whole text of an open file.
    pub(super) fn set(&mut self, rel: &str, version: i32, text: &str) {
        let uri = self.uri(rel);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    pub(super) fn diagnostics(&mut self, rel: &str) -> Vec<lsp_types::Diagnostic> {
        self.sync();
        let uri = self.uri(rel);
        self.diags.get(uri.as_str()).cloned().unwrap_or_default()
    }

    /// (range, code, message) of each diagnostic of a file.
    pub(super) fn diag_summary(&mut self, rel: &str) -> Vec<(Range, String, String)> {
        self.diagnostics(rel)
            .into_iter()
            .map(|d| {
                let code = match d.code {
                    Some(lsp_types::NumberOrString::String(s)) => s,
                    _ => String::new(),
                };
                (d.range, code, d.message)
            })
            .collect()
    }

    pub(super) fn at(&self, rel: &str, line: u32, character: u32) -> Value {
        json!({"textDocument": {"uri": self.uri(rel)}, "position": {"line": line, "character": character}})
    }

    pub(super) fn shutdown(mut self) -> u8 {
        let r = self.request("shutdown", Value::Null);
        assert!(r.response_result.is_ok());
        self.notify("exit", Value::Null);
        self.server.take().unwrap().join().unwrap()
    }
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Range {
    Range::new(Position::new(l1, c1), Position::new(l2, c2))
}

/// Labels of completion items.
fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

fn item<'a>(v: &'a Value, label: &str) -> &'a Value {
    v.as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no completion `{label}` in {v}"))
}

const DEV: &str =
    "extends \"_base\"\ntier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\n";

// ---------------------------------------------------------------------------
// 1. diagnostics

#[test]
fn initialize_publishes_the_diagnostics_of_unopened_files() {
    let dir = project(&[(
        "environments/sit.kdl",
        Some("extends \"_base\"\ntier \"SIT\"\nregoin \"eu-west-1\"\n"),
    )]);
    let mut c = Client::start(dir, false);
    let d = c.diag_summary("environments/sit.kdl");
    assert_eq!(
        d,
        [
            (
                range(0, 0, 0, 0),
                "envc::schema::missing-key".into(),
                "missing required key `region` in the file".into()
            ),
            (
                range(2, 0, 2, 6),
                "envc::schema::unknown-key".into(),
                "unknown key `regoin`\nhelp: did you mean `region`?".into()
            ),
        ]
    );
    assert!(c.diag_summary("environments/dev.kdl").is_empty());
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn an_edit_is_checked_and_a_fix_clears_the_diagnostic() {
    let mut c = Client::start(project(&[]), false);
    c.open("environments/dev.kdl", DEV);
    assert!(c.diag_summary("environments/dev.kdl").is_empty());
    c.set(
        "environments/dev.kdl",
        2,
        &DEV.replace("tier \"DEV\"", "tier \"DEVV\""),
    );
    assert_eq!(
        c.diag_summary("environments/dev.kdl"),
        [(
            range(1, 5, 1, 11),
            "envc::schema::invalid-value".into(),
            "invalid value `DEVV` for `tier`\nhelp: did you mean `DEV`?".into()
        )]
    );
    // Incremental change: replace `DEVV` by `DEV`.
    let uri = c.uri("environments/dev.kdl");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3},
               "contentChanges": [{"range": {"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 10}}, "text": "DEV"}]}),
    );
    assert!(c.diag_summary("environments/dev.kdl").is_empty());
    // A syntax error, then rules: a region that does not exist.
    c.set(
        "environments/dev.kdl",
        4,
        &DEV.replace("region \"eu-west-1\"", "region \"eu-west-1"),
    );
    let d = c.diag_summary("environments/dev.kdl");
    assert!(
        d.iter().all(|(_, code, _)| code == "envc::load::syntax"),
        "{d:?}"
    );
    c.set(
        "environments/dev.kdl",
        5,
        &DEV.replace("eu-west-1", "eu-wset-1"),
    );
    assert_eq!(
        c.diag_summary("environments/dev.kdl"),
        [(
            range(2, 7, 2, 18),
            "envc::rules::unknown-region".into(),
            "unknown AWS region `eu-wset-1`\nhelp: did you mean `eu-west-1`?".into()
        )]
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn an_edit_of_base_rechecks_every_environment_that_extends_it() {
    // dev and sit take their account from _base; prod has its own.
    let dev =
        include_str!("../../environments/dev.kdl").replace("account-id \"111111111111\"\n", "");
    let sit =
        include_str!("../../environments/sit.kdl").replace("account-id \"222222222222\"\n", "");
    let base = format!(
        "{}account-id \"111111111111\"\n",
        include_str!("../../environments/_base.kdl")
    );
    let dir = project(&[
        ("environments/dev.kdl", Some(&dev)),
        ("environments/sit.kdl", Some(&sit)),
        ("environments/_base.kdl", Some(&base)),
    ]);
    let mut c = Client::start(dir, false);
    assert!(c.diag_summary("environments/dev.kdl").is_empty());
    c.open("environments/_base.kdl", &base);
    c.set(
        "environments/_base.kdl",
        2,
        include_str!("../../environments/_base.kdl"),
    );
    for f in ["environments/dev.kdl", "environments/sit.kdl"] {
        let d = c.diag_summary(f);
        assert_eq!(d.len(), 1, "{f}: {d:?}");
        assert_eq!(
            (d[0].0, d[0].1.as_str()),
            (range(0, 0, 0, 0), "envc::rules::account-id-required")
        );
    }
    assert!(c.diag_summary("environments/prod.kdl").is_empty());
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn an_edit_of_the_project_rechecks_every_environment_including_unopened_ones() {
    let envc = include_str!("../../envc.kdl");
    let start = envc.find("user-pool {").unwrap();
    let end = envc.find("// ---- s3-audit").unwrap();
    let without_pool = format!("{}{}", &envc[..start], &envc[end..]);
    let prod = include_str!("../../environments/prod.kdl").replace(
        "cognito-advanced-security #true",
        "cognito-advanced-security #false",
    );
    let dir = project(&[
        ("envc.kdl", Some(&without_pool)),
        ("environments/prod.kdl", Some(&prod)),
    ]);
    let mut c = Client::start(dir, false);
    assert!(c.diag_summary("environments/prod.kdl").is_empty());
    c.open("envc.kdl", &without_pool);
    c.set("envc.kdl", 2, envc);
    let line = prod
        .lines()
        .position(|l| l.contains("cognito-advanced-security"))
        .unwrap() as u32;
    assert_eq!(
        c.diag_summary("environments/prod.kdl"),
        [(
            range(line, 30, line, 36),
            "envc::rules::prod-advanced-security".into(),
            "Cognito advanced security cannot be turned off in a PROD environment".into()
        )]
    );
    // And back.
    c.set("envc.kdl", 3, &without_pool);
    assert!(c.diag_summary("environments/prod.kdl").is_empty());
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn json_environments_get_the_semantic_rules() {
    let json = "{\n  \"$schema\": \"../schemas/environment.schema.json\",\n  \"tier\": \"DEV\",\n  \"region\": \"eu-wst-1\",\n  \"account-id\": \"111111111111\"\n}\n";
    let mut c = Client::start(project(&[("environments/qa.json", Some(json))]), false);
    assert_eq!(
        c.diag_summary("environments/qa.json"),
        [(
            range(3, 12, 3, 22),
            "envc::rules::unknown-region".into(),
            "unknown AWS region `eu-wst-1`\nhelp: did you mean `eu-west-1`?".into()
        )]
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn a_file_over_the_input_limit_gets_one_diagnostic() {
    let mut c = Client::start(project(&[]), false);
    let big = format!("tier \"DEV\"\n// {}\n", "x".repeat(envc::MAX_INPUT_BYTES));
    c.open("environments/dev.kdl", &big);
    let d = c.diag_summary("environments/dev.kdl");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].0, d[0].1.as_str()),
        (range(0, 0, 0, 0), "envc::load::too-large")
    );
    // An incremental edit applies to the editor's text, not to what envc refused: delete the comment.
    let uri = c.uri("environments/dev.kdl");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}}, "text": "region \"eu-west-1\"\naccount-id \"111111111111\"\n"}]}),
    );
    assert!(c.diag_summary("environments/dev.kdl").is_empty());
    assert_eq!(c.shutdown(), 0);
}

// ---------------------------------------------------------------------------
// 2. positions

#[test]
fn non_ascii_before_an_error_does_not_shift_its_range() {
    let prefix = "tags { team \"Zoë😀\" }; ";
    let text = format!("{DEV}{prefix}regoin \"x\"\n");
    let value = "\"Zoë😀\"";
    let value_at = prefix.find('"').unwrap();
    let utf16 = |s: &str| s.encode_utf16().count() as u32;
    let (u16_start, u8_start) = (utf16(prefix), prefix.len() as u32);
    assert_eq!((u16_start, u8_start), (23, 26));
    for (utf8, start, value_range) in [
        (
            false,
            u16_start,
            (
                utf16(&prefix[..value_at]),
                utf16(&prefix[..value_at]) + utf16(value),
            ),
        ),
        (
            true,
            u8_start,
            (value_at as u32, (value_at + value.len()) as u32),
        ),
    ] {
        let mut c = Client::start(project(&[]), utf8);
        c.open("environments/dev.kdl", &text);
        let d = c.diag_summary("environments/dev.kdl");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].0, range(4, start, 4, start + 6), "utf8={utf8}");
        // Positions from the client are read in the same encoding.
        let h = c.ok("textDocument/hover", c.at("environments/dev.kdl", 4, 14));
        assert_eq!(
            serde_json::from_value::<Range>(h["range"].clone()).unwrap(),
            range(4, value_range.0, 4, value_range.1),
            "utf8={utf8}: {h}"
        );
        assert!(
            h["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("Resolved in `dev`: `\"Zoë😀\"` — set in dev.kdl:5"),
            "{h}"
        );
        assert_eq!(c.shutdown(), 0);
    }
}

// ---------------------------------------------------------------------------
// 3. completion

/// Completion at the `|` of `text` (opened as `rel`).
fn complete(c: &mut Client, rel: &str, text: &str) -> Value {
    let at = text.find('|').unwrap();
    let text = text.replace('|', "");
    let line = text[..at].matches('\n').count() as u32;
    let col = text[..at]
        .rsplit('\n')
        .next()
        .unwrap()
        .encode_utf16()
        .count() as u32;
    c.open(rel, &text);
    c.ok("textDocument/completion", c.at(rel, line, col))
}

#[test]
fn completion_of_keys_with_descriptions_and_tier_defaults() {
    let mut c = Client::start(project(&[]), false);
    let prod = include_str!("../../environments/prod.kdl");
    let v = complete(&mut c, "environments/prod.kdl", &format!("{prod}log|"));
    let l = labels(&v);
    for k in [
        "tier",
        "region",
        "log-retention-days",
        "features",
        "alarms",
        "backend",
    ] {
        assert!(l.contains(&k.to_string()), "{k} in {l:?}");
    }
    assert!(!l.contains(&"$schema".to_string()));
    let days = item(&v, "log-retention-days");
    assert_eq!(
        days["detail"],
        "one of `1`, `3`, `5`, `7`, `14`, `30`, `60`, `90`, `120`, `150`, `180`, `365`, `400`, `545`, `731`, `1096`, `1827`, `2192`, `2557`, `2922`, `3288`, `3653` · default for PROD: 365"
    );
    assert!(
        days["documentation"]["value"]
            .as_str()
            .unwrap()
            .starts_with("CloudWatch Logs retention in days")
    );
    let line = prod.lines().count() as u32;
    assert_eq!(
        days["textEdit"]["range"],
        json!({"start": {"line": line, "character": 0}, "end": {"line": line, "character": 3}})
    );
    assert_eq!(days["textEdit"]["newText"], "log-retention-days");

    // Inside a block.
    let v = complete(
        &mut c,
        "environments/dev.kdl",
        &format!("{DEV}features {{\n    |\n}}\n"),
    );
    assert_eq!(
        labels(&v),
        [
            "deletion-protection",
            "xray-tracing",
            "cognito-advanced-security",
            "detailed-metrics"
        ]
    );
    assert_eq!(
        item(&v, "detailed-metrics")["detail"],
        "a boolean (`#true` or `#false`) · default for DEV: #false"
    );
    let v = complete(
        &mut c,
        "environments/dev.kdl",
        &format!("{DEV}backend {{ |"),
    );
    assert_eq!(
        labels(&v),
        ["bucket", "region", "key", "kms-key", "lock-table"]
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn completion_of_project_nodes_and_properties() {
    let mut c = Client::start(project(&[]), false);
    let envc = include_str!("../../envc.kdl");
    let v = complete(
        &mut c,
        "envc.kdl",
        &format!("{envc}table \"t\" {{\n    |\n}}\n"),
    );
    assert_eq!(
        labels(&v),
        ["hash-key", "range-key", "attribute", "gsi", "ttl"]
    );
    assert_eq!(item(&v, "gsi")["kind"], 9, "a block is a module"); // CompletionItemKind::MODULE
    let v = complete(
        &mut c,
        "envc.kdl",
        &format!("{envc}table \"t\" {{\n    gsi \"g\" |\n}}\n"),
    );
    assert_eq!(labels(&v), ["hash-key", "range-key", "projection"]);
    assert_eq!(item(&v, "projection")["textEdit"]["newText"], "projection=");
    let v = complete(
        &mut c,
        "envc.kdl",
        &format!("{envc}api {{\n    route \"GET /x\" |\n}}\n"),
    );
    assert_eq!(labels(&v), ["function", "auth"]);
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn completion_of_values_regions_and_references() {
    let mut c = Client::start(project(&[]), false);
    let v = complete(&mut c, "environments/dev.kdl", "tier |");
    assert_eq!(labels(&v), ["DEV", "SIT", "UAT", "STAGING", "PROD"]);
    assert_eq!(item(&v, "PROD")["textEdit"]["newText"], "\"PROD\"");
    // Inside an open string: the rest and the closing quote.
    let v = complete(
        &mut c,
        "environments/dev.kdl",
        "tier \"DEV\"\nregion \"eu-w|",
    );
    let eu = item(&v, "eu-west-1");
    assert_eq!(eu["detail"], "Europe (Ireland)");
    assert_eq!(
        eu["textEdit"],
        json!({"range": {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 12}}, "newText": "eu-west-1\""})
    );
    assert!(
        !labels(&v).contains(&"us-gov-west-1".to_string()),
        "refused partitions are not offered"
    );
    let v = complete(
        &mut c,
        "environments/dev.kdl",
        "tier \"PROD\"\nlog-retention-days |",
    );
    assert_eq!(item(&v, "365")["detail"], "default for PROD");
    assert_eq!(item(&v, "365")["textEdit"]["newText"], "365");
    let v = complete(&mut c, "environments/dev.kdl", "pitr |");
    assert_eq!(labels(&v), ["#true", "#false"]);
    let v = complete(&mut c, "environments/dev.kdl", "extends \"|\"");
    assert_eq!(labels(&v), ["_base", "prod", "sit"]);
    assert_eq!(item(&v, "_base")["textEdit"]["newText"], "_base");

    let envc = include_str!("../../envc.kdl");
    let v = complete(
        &mut c,
        "envc.kdl",
        &format!("{envc}function \"f\" {{\n    table \"|\n}}\n"),
    );
    assert_eq!(
        labels(&v),
        ["users", "roles", "role-assignments", "sessions"]
    );
    let v = complete(
        &mut c,
        "envc.kdl",
        &format!("{envc}function \"f\" {{\n    bucket \"audit\" access=|\n}}\n"),
    );
    assert_eq!(labels(&v), ["read", "write", "read-write"]);
    let v = complete(
        &mut c,
        "envc.kdl",
        &format!("{envc}api {{\n    route \"GET /x\" function=\"|\n}}\n"),
    );
    assert_eq!(
        labels(&v),
        [
            "authenticate",
            "users-api",
            "roles-api",
            "assignments-api",
            "authorizer",
            "audit-export"
        ]
    );
    let v = complete(
        &mut c,
        "envc.kdl",
        &format!("{envc}table \"t\" hash-key=\"|\" {{\n    attribute \"pk\" type=\"S\"\n}}\n"),
    );
    // The project document of this text does not parse as a whole; names come from the last text that did.
    assert!(v.as_array().is_some());
    assert_eq!(c.shutdown(), 0);
}

// ---------------------------------------------------------------------------
// 4. hover

fn hover_text(c: &mut Client, rel: &str, line: u32, col: u32) -> String {
    let h = c.ok("textDocument/hover", c.at(rel, line, col));
    h["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn hover_shows_schema_resolved_value_and_origin() {
    let mut c = Client::start(project(&[]), false);
    let dev = include_str!("../../environments/dev.kdl");
    c.open("environments/dev.kdl", dev);
    // `detailed-metrics` in dev's features (line 7): set in dev.kdl.
    let h = hover_text(&mut c, "environments/dev.kdl", 6, 6);
    assert!(h.starts_with("**`detailed-metrics`** — a boolean (`#true` or `#false`)\n\nDetailed (per-method) API Gateway metrics."), "{h}");
    assert!(h.contains("Default for DEV: `#false`"), "{h}");
    assert!(
        h.contains("Resolved in `dev`: `#false` — set in dev.kdl:7"),
        "{h}"
    );
    // `region`: the value's name too.
    let h = hover_text(&mut c, "environments/dev.kdl", 2, 10);
    assert!(
        h.contains("Resolved in `dev`: `\"eu-west-1\"` — set in dev.kdl:3"),
        "{h}"
    );
    assert!(h.contains("`eu-west-1`: Europe (Ireland)"), "{h}");
    // `extends`: what the chain gives; a block: each value and its origin.
    let h = hover_text(&mut c, "environments/dev.kdl", 0, 3);
    assert!(h.contains("**`extends`**"), "{h}");
    assert!(h.contains("Inherited by `dev`:\n\n- `pitr`: `#true` — set in _base.kdl:2\n- `tags.compliance`: `\"internal\"` — set in _base.kdl:7"), "{h}");
    let h = hover_text(&mut c, "environments/dev.kdl", 5, 3);
    assert!(h.contains("Resolved in `dev`:\n\n- `deletion-protection`: `#false` — default for DEV\n- `xray-tracing`: `#false` — default for DEV\n- `cognito-advanced-security`: `#false` — default for DEV\n- `detailed-metrics`: `#false` — set in dev.kdl:7"), "{h}");
    let mut c2 = Client::start(
        project(&[(
            "environments/dev.kdl",
            Some(&format!("{dev}log-retention-days 14\n")),
        )]),
        false,
    );
    let n = dev.lines().count() as u32;
    let h = hover_text(&mut c2, "environments/dev.kdl", n, 3);
    assert!(
        h.contains(&format!(
            "Resolved in `dev`: `14` — set in dev.kdl:{}",
            n + 1
        )),
        "{h}"
    );
    assert_eq!(c2.shutdown(), 0);
    // In _base (not an environment): the schema only.
    let base = include_str!("../../environments/_base.kdl");
    c.open("environments/_base.kdl", base);
    let h = hover_text(&mut c, "environments/_base.kdl", 1, 1);
    assert!(
        h.starts_with("**`pitr`**") && !h.contains("Resolved"),
        "{h}"
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn hover_shows_defaults_and_inherited_values() {
    // prod inherits `pitr` from _base... and sets its own; sit sets no features.
    let mut c = Client::start(project(&[]), false);
    let sit = format!(
        "{}features {{\n    xray-tracing #false\n}}\n",
        include_str!("../../environments/sit.kdl")
    );
    c.open("environments/sit.kdl", &sit);
    let line = sit
        .lines()
        .position(|l| l.contains("xray-tracing"))
        .unwrap() as u32;
    let h = hover_text(&mut c, "environments/sit.kdl", line, 6);
    assert!(
        h.contains("Resolved in `sit`: `#false` — set in sit.kdl:"),
        "{h}"
    );
    // `features` block: its `detailed-metrics` comes from _base.
    let envc_dev = "extends \"_base\"\ntier \"PROD\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\nfailover-region \"eu-west-2\"\ncross-region-replication #true\nlog-retention-days 365\n";
    c.open("environments/dev.kdl", envc_dev);
    let h = hover_text(&mut c, "environments/dev.kdl", 6, 3);
    assert!(h.contains("Default for PROD: `365`"), "{h}");
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn hover_on_a_reference_shows_its_definition() {
    let mut c = Client::start(project(&[]), false);
    let envc = include_str!("../../envc.kdl");
    c.open("envc.kdl", envc);
    let line = envc
        .lines()
        .position(|l| l.contains("table \"sessions\" access=\"read-write\""))
        .unwrap() as u32;
    let h = hover_text(&mut c, "envc.kdl", line, 13);
    let def = envc
        .lines()
        .position(|l| l.starts_with("table \"sessions\""))
        .unwrap()
        + 1;
    assert!(h.contains(&format!("Defined in `envc.kdl:{def}` (table):\n\n```kdl\ntable \"sessions\" hash-key=\"session_id\" {{")), "{h}");
    let line = envc
        .lines()
        .position(|l| l.contains("route \"GET /roles\" function="))
        .unwrap() as u32;
    let h = hover_text(&mut c, "envc.kdl", line, 40);
    assert!(
        h.contains("(function):\n\n```kdl\nfunction \"roles-api\" {"),
        "{h}"
    );
    assert_eq!(c.shutdown(), 0);
}

/// The generated lines listed under "Generates" in a hover, as (file, line).
fn generated_in(hover: &str) -> Vec<(String, usize)> {
    let Some((_, list)) = hover.split_once("Generates ") else {
        return Vec::new();
    };
    list.lines()
        .filter_map(|l| l.strip_prefix("- [`terraform/"))
        .filter_map(|l| {
            let (loc, _) = l.split_once('`')?;
            let (file, line) = loc.rsplit_once(':')?;
            Some((file.to_string(), line.parse().ok()?))
        })
        .collect()
}

#[test]
fn hover_on_a_key_lists_the_generated_lines_it_affects() {
    let mut c = Client::start(project(&[]), false);
    let base = include_str!("../../environments/_base.kdl");
    c.open("environments/_base.kdl", base);
    // `pitr #true` in _base reaches dev and sit (prod sets its own).
    let h = hover_text(&mut c, "environments/_base.kdl", 1, 1);
    assert!(h.contains("Generates 4 lines:"), "{h}");
    let want: Vec<(String, usize)> = [
        ("environments/dev/README.md", 19),
        ("environments/dev/terraform.tfvars", 7),
        ("environments/sit/README.md", 19),
        ("environments/sit/terraform.tfvars", 7),
    ]
    .iter()
    .map(|(f, n)| (f.to_string(), *n))
    .collect();
    assert_eq!(generated_in(&h), want, "{h}");
    let link = format!(
        "{}#L7)",
        uri_of(c.dir.path(), "terraform/environments/dev/terraform.tfvars").as_str()
    );
    assert!(h.contains(&link), "{h}");
    // An edit drops the trace: once dev sets `pitr` itself, _base's reaches sit only.
    let dev = include_str!("../../environments/dev.kdl");
    c.open("environments/dev.kdl", &format!("{dev}pitr #true\n"));
    let h = hover_text(&mut c, "environments/_base.kdl", 1, 1);
    assert_eq!(generated_in(&h), want[2..], "{h}");
    // A key of the project file reaches every root: the first ten lines are listed,
    // the rest counted, as `envc explain` counts them.
    let envc = include_str!("../../envc.kdl");
    c.open("envc.kdl", envc);
    let prefix = envc.lines().position(|l| l.starts_with("prefix ")).unwrap();
    let h = hover_text(&mut c, "envc.kdl", prefix as u32, 2);
    let mut inputs = envc::Inputs::read_dir(c.dir.path()).unwrap();
    inputs.set(
        "environments/dev.kdl",
        format!("{dev}pitr #true\n").into_bytes(),
    );
    let all = envc::explain::trace(&inputs, envc::Checks::All)
        .unwrap()
        .generated_from("envc.kdl", "/prefix");
    assert!(all.len() > 10, "{all:?}");
    assert_eq!(
        generated_in(&h),
        all.iter().take(10).cloned().collect::<Vec<_>>(),
        "{h}"
    );
    assert!(
        h.contains(&format!("Generates {} lines:", all.len()))
            && h.contains(&format!(
                "- … and {} more (`envc explain envc.kdl:{}` lists them)",
                all.len() - 10,
                prefix + 1
            )),
        "{h}"
    );
    // A value is not a key: no list.
    let h = hover_text(&mut c, "environments/_base.kdl", 1, 7);
    assert!(!h.contains("Generates"), "{h}");
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn hover_traces_at_most_a_few_roots() {
    let extra: Vec<(String, String)> = (1..=3)
        .map(|i| {
            (
                format!("environments/e{i}.kdl"),
                format!("tier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"44444444444{i}\"\n"),
            )
        })
        .collect();
    let changes: Vec<(&str, Option<&str>)> = extra
        .iter()
        .map(|(f, t)| (f.as_str(), Some(t.as_str())))
        .collect();
    let mut c = Client::start(project(&changes), false);
    let envc = include_str!("../../envc.kdl");
    c.open("envc.kdl", envc);
    let prefix = envc.lines().position(|l| l.starts_with("prefix ")).unwrap();
    let h = hover_text(&mut c, "envc.kdl", prefix as u32, 2);
    assert!(
        h.contains("In the modules and the roots of `dev`, `e1`, `e2`, `e3`, `prod`; 1 other root was not searched"),
        "{h}"
    );
    assert!(!h.contains("environments/sit/"), "{h}");
    // An environment file is traced with its own root only.
    c.open("environments/e2.kdl", &extra[1].1);
    let h = hover_text(&mut c, "environments/e2.kdl", 1, 2);
    let lines = generated_in(&h);
    assert!(!lines.is_empty(), "{h}");
    assert!(
        lines.iter().all(|(f, _)| f.starts_with("environments/e2/")),
        "{h}"
    );
    assert!(!h.contains("not searched"), "{h}");
    assert_eq!(c.shutdown(), 0);
}

// ---------------------------------------------------------------------------
// 5. definition and references

#[test]
fn definition_and_references_of_tables_functions_and_extends() {
    let mut c = Client::start(project(&[]), false);
    let envc = include_str!("../../envc.kdl");
    c.open("envc.kdl", envc);
    let line_of = |needle: &str| envc.lines().position(|l| l.contains(needle)).unwrap() as u32;
    let grant = line_of("table \"sessions\" access=\"read-write\"");
    let def = c.ok("textDocument/definition", c.at("envc.kdl", grant, 13));
    let decl = line_of("table \"sessions\" hash-key");
    assert_eq!(
        def,
        json!([{"uri": c.uri("envc.kdl"), "range": {"start": {"line": decl, "character": 6}, "end": {"line": decl, "character": 16}}}])
    );
    let route = line_of("route \"GET /roles\" function=");
    let def = c.ok("textDocument/definition", c.at("envc.kdl", route, 40));
    let f = line_of("function \"roles-api\"");
    assert_eq!(def[0]["range"]["start"], json!({"line": f, "character": 9}));

    // References of `roles` from its declaration: three grants, and the declaration.
    let roles = line_of("table \"roles\" hash-key");
    let mut params = c.at("envc.kdl", roles, 8);
    params["context"] = json!({"includeDeclaration": true});
    let refs = c.ok("textDocument/references", params.clone());
    let lines: Vec<u64> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    let expect: Vec<u64> = std::iter::once(roles as u64)
        .chain(
            envc.lines()
                .enumerate()
                .filter(|(_, l)| l.trim_start().starts_with("table \"roles\" access"))
                .map(|(i, _)| i as u64),
        )
        .collect();
    assert_eq!(lines, expect);
    assert_eq!(lines.len(), 4);
    params["context"] = json!({"includeDeclaration": false});
    assert_eq!(
        c.ok("textDocument/references", params)
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A function: its routes.
    let mut params = c.at("envc.kdl", f, 12);
    params["context"] = json!({"includeDeclaration": false});
    let refs = c.ok("textDocument/references", params);
    assert_eq!(refs.as_array().unwrap().len(), 3, "{refs}");
    assert_eq!(
        refs[0]["range"],
        json!({"start": {"line": route, "character": 32}, "end": {"line": route, "character": 43}})
    );

    // extends → the file; references of `_base`: every file extending it.
    c.open(
        "environments/dev.kdl",
        include_str!("../../environments/dev.kdl"),
    );
    let def = c.ok(
        "textDocument/definition",
        c.at("environments/dev.kdl", 0, 10),
    );
    assert_eq!(
        def,
        json!([{"uri": c.uri("environments/_base.kdl"), "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}}])
    );
    let mut params = c.at("environments/dev.kdl", 0, 10);
    params["context"] = json!({"includeDeclaration": false});
    let refs = c.ok("textDocument/references", params);
    let mut uris: Vec<&str> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    uris.sort();
    assert_eq!(uris.len(), 3);
    assert!(uris[0].ends_with("environments/dev.kdl") && uris[2].ends_with("environments/sit.kdl"));
    assert_eq!(c.shutdown(), 0);
}

// ---------------------------------------------------------------------------
// 6. code actions

fn actions(c: &mut Client, rel: &str, r: Range) -> Value {
    c.ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": c.uri(rel)}, "range": r, "context": {"diagnostics": []}}),
    )
}

fn edit_of(c: &Client, action: &Value, rel: &str) -> (Range, String) {
    let edits = &action["edit"]["changes"][c.uri(rel).as_str()];
    assert_eq!(edits.as_array().unwrap().len(), 1);
    (
        serde_json::from_value(edits[0]["range"].clone()).unwrap(),
        edits[0]["newText"].as_str().unwrap().to_string(),
    )
}

#[test]
fn code_actions_fix_did_you_mean_and_missing_keys() {
    let mut c = Client::start(project(&[]), false);
    let text = "extends \"_bsae\"\ntier \"PRDO\"\nregoin \"eu-west-1\"\nfeatures {\n    xray-tracin #true\n}\n";
    c.open("environments/dev.kdl", text);
    let d = c.diag_summary("environments/dev.kdl");
    assert_eq!(d.len(), 1, "extends first: {d:?}");
    let a = actions(&mut c, "environments/dev.kdl", range(0, 9, 0, 9));
    assert_eq!(a[0]["title"], "Replace with `_base`");
    assert_eq!(
        edit_of(&c, &a[0], "environments/dev.kdl"),
        (range(0, 8, 0, 15), "\"_base\"".into())
    );
    let text = text.replace("_bsae", "_base");
    c.set("environments/dev.kdl", 2, &text);
    let d = c.diag_summary("environments/dev.kdl");
    assert_eq!(d.len(), 4, "{d:?}");
    // The whole file: one fix per diagnostic that has one.
    let a = actions(&mut c, "environments/dev.kdl", range(0, 0, 6, 0));
    let got: Vec<(String, (Range, String))> = a
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["title"].as_str().unwrap().to_string(),
                edit_of(&c, x, "environments/dev.kdl"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Add `region`".to_string(),
                (range(6, 0, 6, 0), "region \"\"\n".to_string())
            ),
            (
                "Replace with `PROD`".into(),
                (range(1, 5, 1, 11), "\"PROD\"".into())
            ),
            (
                "Replace with `region`".into(),
                (range(2, 0, 2, 6), "region".into())
            ),
            (
                "Replace with `xray-tracing`".into(),
                (range(4, 4, 4, 15), "xray-tracing".into())
            ),
        ]
    );
    assert_eq!(a[1]["kind"], "quickfix");
    assert_eq!(
        a[1]["diagnostics"][0]["code"],
        "envc::schema::invalid-value"
    );
    // Only the diagnostics under the range.
    assert_eq!(
        actions(&mut c, "environments/dev.kdl", range(2, 1, 2, 1))
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A rule's missing key, a reference in the project, a missing key in a block.
    c.set(
        "environments/dev.kdl",
        3,
        "tier \"DEV\"\nregion \"eu-west-1\"",
    );
    let a = actions(&mut c, "environments/dev.kdl", range(0, 0, 0, 0));
    assert_eq!(a[0]["title"], "Add `account-id`");
    assert_eq!(
        edit_of(&c, &a[0], "environments/dev.kdl"),
        (range(1, 18, 1, 18), "\naccount-id \"\"\n".into())
    );
    let envc = include_str!("../../envc.kdl").replace(
        "table \"sessions\" access=\"read-write\"",
        "table \"sesions\" access=\"read-write\"",
    );
    c.open("envc.kdl", &envc);
    let line = envc
        .lines()
        .position(|l| l.contains("\"sesions\""))
        .unwrap() as u32;
    let a = actions(&mut c, "envc.kdl", range(line, 12, line, 12));
    assert_eq!(
        edit_of(&c, &a[0], "envc.kdl"),
        (range(line, 10, line, 19), "\"sessions\"".into())
    );
    let envc2 = format!(
        "{}table \"t\" range-key=\"pk\" {{\n    attribute \"pk\" type=\"S\"\n}}\n",
        include_str!("../../envc.kdl")
    );
    c.set("envc.kdl", 2, &envc2);
    let n = envc2.lines().count() as u32;
    let a = actions(&mut c, "envc.kdl", range(n - 3, 0, n - 1, 1));
    let titles: Vec<&str> = a
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Add `hash-key`"]);
    assert_eq!(
        edit_of(&c, &a[0], "envc.kdl"),
        (range(n - 1, 0, n - 1, 0), "    hash-key \"\"\n".into())
    );
    assert_eq!(c.shutdown(), 0);
}

// ---------------------------------------------------------------------------
// 7. document symbols

#[test]
fn document_symbols_outline_the_project_and_environments() {
    let mut c = Client::start(project(&[]), false);
    let envc = include_str!("../../envc.kdl");
    c.open("envc.kdl", envc);
    let s = c.ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.uri("envc.kdl")}}),
    );
    let names: Vec<(String, String)> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().to_string(),
                x["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        &names[..4],
        [
            ("project".into(), "".into()),
            ("prefix".into(), "".into()),
            ("tags".into(), "".into()),
            ("users".into(), "table".into())
        ]
    );
    assert!(names.contains(&("audit-export".into(), "function".into())));
    let users = &s[3];
    assert_eq!(users["kind"], 23); // STRUCT
    let decl = envc
        .lines()
        .position(|l| l.starts_with("table \"users\""))
        .unwrap() as u64;
    assert_eq!(
        users["selectionRange"]["start"],
        json!({"line": decl, "character": 6})
    );
    assert_eq!(
        users["range"]["start"],
        json!({"line": decl, "character": 0})
    );
    assert_eq!(users["range"]["end"]["line"], decl + 6);
    let children: Vec<&str> = users["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        children,
        [
            "hash-key",
            "user_id",
            "email",
            "tenant_id",
            "by-email",
            "by-tenant"
        ]
    );
    let api = s
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "api")
        .unwrap();
    let routes: Vec<&str> = api["children"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["detail"] == "route")
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(routes.len(), 15);
    assert_eq!(routes[0], "POST /auth/token");

    c.open(
        "environments/prod.kdl",
        include_str!("../../environments/prod.kdl"),
    );
    let s = c.ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.uri("environments/prod.kdl")}}),
    );
    let names: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "extends",
            "tier",
            "region",
            "account-id",
            "failover-region",
            "pitr",
            "cross-region-replication",
            "features",
            "flags",
            "alarms",
            "alert-emails",
            "authenticate",
        ]
    );
    assert_eq!(c.shutdown(), 0);
}

// ---------------------------------------------------------------------------
// 8. formatting, 9. robustness

#[test]
fn formatting_is_not_offered_because_the_kdl_formatter_drops_comments() {
    let text = "tier \"DEV\" // why DEV\nfeatures {\n    xray-tracing #true // traced\n}\n";
    let mut doc: kdl::KdlDocument = text.parse().unwrap();
    doc.autoformat();
    let formatted = doc.to_string();
    assert!(
        !formatted.contains("// why DEV") || !formatted.contains("// traced"),
        "kdl's formatter keeps comments now: offer formatting\n{formatted}"
    );
    let mut c = Client::start(project(&[]), false);
    let r = c.request("textDocument/formatting", json!({"textDocument": {"uri": c.uri("environments/dev.kdl")}, "options": {"tabSize": 4, "insertSpaces": true}}));
    assert_eq!(
        r.response_result.unwrap_err().code,
        lsp_server::ErrorCode::MethodNotFound as i32
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn unknown_requests_bad_params_and_the_shutdown_protocol() {
    let mut c = Client::start(project(&[]), false);
    let r = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": c.uri("envc.kdl")}}),
    );
    let e = r.response_result.unwrap_err();
    assert_eq!(e.code, lsp_server::ErrorCode::MethodNotFound as i32);
    assert_eq!(
        e.message,
        "envc lsp does not handle `textDocument/semanticTokens/full`"
    );
    let r = c.request("textDocument/hover", json!({"nonsense": 1}));
    assert_eq!(
        r.response_result.unwrap_err().code,
        lsp_server::ErrorCode::InvalidParams as i32
    );
    // Files outside a project, other schemes, positions far outside the text.
    for uri in [
        "file:///tmp/elsewhere.kdl",
        "untitled:Untitled-1",
        "file:///",
    ] {
        let v = c.ok(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
        );
        assert!(v.is_null());
    }
    c.open("environments/dev.kdl", DEV);
    let v = c.ok(
        "textDocument/completion",
        c.at("environments/dev.kdl", 999_999, 999_999),
    );
    assert!(v.is_array());
    // The server still works.
    assert!(!hover_text(&mut c, "environments/dev.kdl", 1, 1).is_empty());
    let r = c.request("shutdown", Value::Null);
    assert!(r.response_result.is_ok());
    let r = c.request("textDocument/hover", c.at("environments/dev.kdl", 1, 1));
    assert_eq!(
        r.response_result.unwrap_err().code,
        lsp_server::ErrorCode::InvalidRequest as i32
    );
    c.notify("exit", Value::Null);
    assert_eq!(c.server.take().unwrap().join().unwrap(), 0);
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut c = Client::start(project(&[]), false);
    c.notify("exit", Value::Null);
    assert_eq!(c.server.take().unwrap().join().unwrap(), 1);
}
