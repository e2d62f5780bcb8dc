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
    ("environments/_base.kdl", include_str!("../../environments/_base.kdl")),
    ("environments/dev.kdl", include_str!("../../environments/dev.kdl")),
    ("environments/sit.kdl", include_str!("../../environments/sit.kdl")),
    ("environments/prod.kdl", include_str!("../../environments/prod.kdl")),
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
        let encodings = if utf8 { json!(["utf-8", "utf-16"]) } else { json!(["utf-16"]) };
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
        assert_eq!(caps["positionEncoding"], if utf8 { "utf-8" } else { "utf-16" });
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
        assert_eq!(r.response_result.unwrap_err().code, lsp_server::ErrorCode::MethodNotFound as i32);
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

const DEV: &str = "extends \"_base\"\ntier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\n";

// ---------------------------------------------------------------------------
// 1. diagnostics

#[test]
fn initialize_publishes_the_diagnostics_of_unopened_files() {
    let dir = project(&[("environments/sit.kdl", Some("extends \"_base\"\ntier \"SIT\"\nregoin \"eu-west-1\"\n"))]);
    let mut c = Client::start(dir, false);
    let d = c.diag_summary("environments/sit.kdl");
    assert_eq!(
        d,
        [
            (range(0, 0, 0, 0), "envc::schema::missing-key".into(), "missing required key `region` in the file".into()),
            (range(2, 0, 2, 6), "envc::schema::unknown-key".into(), "unknown key `regoin`\nhelp: did you mean `region`?".into()),
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
    c.set("environments/dev.kdl", 2, &DEV.replace("tier \"DEV\"", "tier \"DEVV\""));
    assert_eq!(
        c.diag_summary("environments/dev.kdl"),
        [(range(1, 5, 1, 11), "envc::schema::invalid-value".into(),
          "invalid value `DEVV` for `tier`\nhelp: did you mean `DEV`?".into())]
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
    c.set("environments/dev.kdl", 4, &DEV.replace("region \"eu-west-1\"", "region \"eu-west-1"));
    let d = c.diag_summary("environments/dev.kdl");
    assert!(d.iter().all(|(_, code, _)| code == "envc::load::syntax"), "{d:?}");
    c.set("environments/dev.kdl", 5, &DEV.replace("eu-west-1", "eu-wset-1"));
    assert_eq!(
        c.diag_summary("environments/dev.kdl"),
        [(range(2, 7, 2, 18), "envc::rules::unknown-region".into(),
          "unknown AWS region `eu-wset-1`\nhelp: did you mean `eu-west-1`?".into())]
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn an_edit_of_base_rechecks_every_environment_that_extends_it() {
    // dev and sit take their account from _base; prod has its own.
    let dev = include_str!("../../environments/dev.kdl").replace("account-id \"111111111111\"\n", "");
    let sit = include_str!("../../environments/sit.kdl").replace("account-id \"222222222222\"\n", "");
    let base = format!("{}account-id \"111111111111\"\n", include_str!("../../environments/_base.kdl"));
    let dir = project(&[
        ("environments/dev.kdl", Some(&dev)),
        ("environments/sit.kdl", Some(&sit)),
        ("environments/_base.kdl", Some(&base)),
    ]);
    let mut c = Client::start(dir, false);
    assert!(c.diag_summary("environments/dev.kdl").is_empty());
    c.open("environments/_base.kdl", &base);
    c.set("environments/_base.kdl", 2, include_str!("../../environments/_base.kdl"));
    for f in ["environments/dev.kdl", "environments/sit.kdl"] {
        let d = c.diag_summary(f);
        assert_eq!(d.len(), 1, "{f}: {d:?}");
        assert_eq!((d[0].0, d[0].1.as_str()), (range(0, 0, 0, 0), "envc::rules::account-id-required"));
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
    let prod = include_str!("../../environments/prod.kdl")
        .replace("cognito-advanced-security #true", "cognito-advanced-security #false");
    let dir = project(&[("envc.kdl", Some(&without_pool)), ("environments/prod.kdl", Some(&prod))]);
    let mut c = Client::start(dir, false);
    assert!(c.diag_summary("environments/prod.kdl").is_empty());
    c.open("envc.kdl", &without_pool);
    c.set("envc.kdl", 2, envc);
    let line = prod.lines().position(|l| l.contains("cognito-advanced-security")).unwrap() as u32;
    assert_eq!(
        c.diag_summary("environments/prod.kdl"),
        [(range(line, 30, line, 36), "envc::rules::prod-advanced-security".into(),
          "Cognito advanced security cannot be turned off in a PROD environment".into())]
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
        [(range(3, 12, 3, 22), "envc::rules::unknown-region".into(),
          "unknown AWS region `eu-wst-1`\nhelp: did you mean `eu-west-1`?".into())]
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
    assert_eq!((d[0].0, d[0].1.as_str()), (range(0, 0, 0, 0), "envc::load::too-large"));
    c.set("environments/dev.kdl", 2, DEV);
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
        (false, u16_start, (utf16(&prefix[..value_at]), utf16(&prefix[..value_at]) + utf16(value))),
        (true, u8_start, (value_at as u32, (value_at + value.len()) as u32)),
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
        assert!(h["contents"]["value"].as_str().unwrap().contains("Resolved in `dev`: `\"Zoë😀\"` — set in dev.kdl:5"), "{h}");
        assert_eq!(c.shutdown(), 0);
    }
}
