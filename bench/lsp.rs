//! Benchmark of `envc lsp` (not a test): `cargo bench --bench lsp`.
//!
//! Starts the release binary over stdio, as an editor does, on a synthetic
//! project of N environment files (`BENCH_ENVS`, default 1000; every tenth is
//! PROD with replication, as in `bench/run.sh`, and one has an error so that
//! there are diagnostics to publish), and times:
//! - initialize → the first diagnostics (every file loaded and checked);
//! - an edit of one environment → its diagnostics (p50, p95 of 200 edits);
//! - completion requests: a key, a region, a tier (p50, p95 of 200);
//! - hover on a key, which lists the generated lines it affects: the first after an edit
//!   traces the modules and the environment's root, the next nine reuse it (20 edits);
//! - an edit of envc.kdl → its diagnostics, after every environment was re-checked (20 edits,
//!   an error in the project appearing and going);
//! - an edit of envc.kdl that keeps it valid (every rule of every environment runs) → the
//!   answer to the next request (20 edits);
//! - the server's peak resident memory (VmHWM).

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{Value, json};

fn uri(p: &Path) -> String {
    envc::ide::path_to_uri(p).unwrap().as_str().to_string()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

struct Server {
    to: BufWriter<std::process::ChildStdin>,
    from: mpsc::Receiver<Message>,
    next: i32,
}

impl Server {
    fn send(&mut self, m: Message) {
        m.write(&mut self.to).unwrap();
        self.to.flush().unwrap();
    }
    fn notify(&mut self, method: &str, params: Value) {
        self.send(Notification::new(method.into(), params).into());
    }
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.send(Request::new(id.clone(), method.into(), params).into());
        loop {
            if let Message::Response(r) = self.recv()
                && r.id == id
            {
                return r.response_result.unwrap_or(Value::Null);
            }
        }
    }
    fn recv(&mut self) -> Message {
        self.from
            .recv_timeout(Duration::from_secs(120))
            .expect("server answers")
    }
    /// Wait for the diagnostics of `uri`.
    fn diagnostics_of(&mut self, uri: &str) -> usize {
        loop {
            if let Message::Notification(n) = self.recv()
                && n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == uri
            {
                return n.params["diagnostics"].as_array().map_or(0, Vec::len);
            }
        }
    }
}

fn main() {
    let n: usize = std::env::var("BENCH_ENVS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::var_os("BENCH_TMPDIR").map_or_else(std::env::temp_dir, Into::into);
    let dir = tempfile::tempdir_in(tmp).unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("environments")).unwrap();
    let envc_kdl = std::fs::read_to_string(repo.join("envc.kdl")).unwrap();
    std::fs::write(p.join("envc.kdl"), &envc_kdl).unwrap();
    std::fs::copy(
        repo.join("environments/_base.kdl"),
        p.join("environments/_base.kdl"),
    )
    .unwrap();
    let regions = [
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
        "us-east-1",
        "us-west-2",
        "ap-southeast-2",
        "af-south-1",
    ];
    for i in 1..=n {
        let (r, f) = (regions[i % 7], regions[(i + 1) % 7]);
        let text = if i % 10 == 0 {
            format!(
                "extends \"_base\"\ntier \"PROD\"\nregion \"{r}\"\naccount-id \"{i:012}\"\nfailover-region \"{f}\"\ncross-region-replication #true\nflags {{\n    n {i}\n}}\nalert-emails \"oncall@example.com\"\n"
            )
        } else {
            format!(
                "extends \"_base\"\ntier \"DEV\"\nregion \"{r}\"\naccount-id \"{i:012}\"\nflags {{\n    n {i}\n}}\n"
            )
        };
        let text = if i == 13 {
            text.replace("region", "regoin")
        } else {
            text
        };
        std::fs::write(p.join(format!("environments/e{i}.kdl")), text).unwrap();
    }

    let envc = env!("CARGO_BIN_EXE_envc");
    let start = Instant::now();
    let mut child = Command::new(envc)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        while let Ok(Some(m)) = Message::read(&mut r) {
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    let mut s = Server {
        to: BufWriter::new(child.stdin.take().unwrap()),
        from: rx,
        next: 0,
    };
    s.request(
        "initialize",
        json!({"processId": null, "rootUri": uri(p), "capabilities": {}}),
    );
    s.notify("initialized", json!({}));
    let e13 = uri(&p.join("environments/e13.kdl"));
    assert_eq!(
        s.diagnostics_of(&e13),
        2,
        "missing `region`, unknown `regoin`"
    );
    let first = start.elapsed().as_secs_f64() * 1000.0;

    // One environment, edited: an error appears and goes, so every edit publishes.
    let e7_path = p.join("environments/e7.kdl");
    let e7 = uri(&e7_path);
    let text = std::fs::read_to_string(&e7_path).unwrap();
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": e7, "languageId": "kdl", "version": 1, "text": text}}),
    );
    let mut edits = Vec::new();
    for v in 0..200 {
        let t = if v % 2 == 0 {
            text.replace("tier \"DEV\"", "tier \"DEVV\"")
        } else {
            text.clone()
        };
        let t0 = Instant::now();
        s.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": e7, "version": v + 2}, "contentChanges": [{"text": t}]}),
        );
        s.diagnostics_of(&e7);
        edits.push(t0.elapsed().as_secs_f64() * 1000.0);
    }

    // Completion: a key, a region, a tier.
    let mut completions = Vec::new();
    let lines = text.lines().count() as u32;
    for k in 0..200 {
        let (line, character) = match k % 3 {
            0 => (lines, 0),
            1 => (2, 8),
            _ => (1, 6),
        };
        let t0 = Instant::now();
        let r = s.request("textDocument/completion", json!({"textDocument": {"uri": e7}, "position": {"line": line, "character": character}}));
        completions.push(t0.elapsed().as_secs_f64() * 1000.0);
        assert!(r.as_array().is_some_and(|a| !a.is_empty()), "{r}");
    }

    // Hover on a key (`region`): the first after an edit traces the modules and e7's root
    // (what the key can affect), the next ones reuse that trace.
    let mut traced_hovers = Vec::new();
    let mut hovers = Vec::new();
    for v in 0..20 {
        let t = text.replace(&format!("n {}", 7), &format!("n {}", 7 + v % 2));
        s.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": e7, "version": v + 1000}, "contentChanges": [{"text": t}]}),
        );
        for k in 0..10 {
            let t0 = Instant::now();
            let r = s.request(
                "textDocument/hover",
                json!({"textDocument": {"uri": e7}, "position": {"line": 2, "character": 2}}),
            );
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            assert!(
                r["contents"]["value"]
                    .as_str()
                    .is_some_and(|h| h.contains("Generates")),
                "{r}"
            );
            if k == 0 {
                traced_hovers.push(ms);
            } else {
                hovers.push(ms);
            }
        }
    }

    // The project file, edited: every environment is checked again before it publishes.
    let envc_uri = uri(&p.join("envc.kdl"));
    s.notify("textDocument/didOpen", json!({"textDocument": {"uri": envc_uri, "languageId": "kdl", "version": 1, "text": envc_kdl}}));
    let mut project = Vec::new();
    for v in 0..20 {
        let t = if v % 2 == 0 {
            format!("{envc_kdl}prefx \"x\"\n")
        } else {
            envc_kdl.clone()
        };
        let t0 = Instant::now();
        s.notify("textDocument/didChange", json!({"textDocument": {"uri": envc_uri, "version": v + 2}, "contentChanges": [{"text": t}]}));
        s.diagnostics_of(&envc_uri);
        project.push(t0.elapsed().as_secs_f64() * 1000.0);
    }

    // The same with the project staying valid (every rule runs): an alarm
    // threshold changes, nothing is published, so time the answer to the next
    // request, which the server handles after the edit.
    let mut valid = Vec::new();
    for v in 0..20 {
        let t = envc_kdl.replace("api-5xx-errors 5", &format!("api-5xx-errors {}", 6 + v % 2));
        let t0 = Instant::now();
        s.notify("textDocument/didChange", json!({"textDocument": {"uri": envc_uri, "version": v + 100}, "contentChanges": [{"text": t}]}));
        s.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": e7}}),
        );
        valid.push(t0.elapsed().as_secs_f64() * 1000.0);
    }

    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let (hwm, rss) = (kib("VmHWM:") / 1024.0, kib("VmRSS:") / 1024.0);
    s.request("shutdown", Value::Null);
    s.notify("exit", Value::Null);
    let _ = child.wait();

    println!(
        "envc lsp, {n} environment files (release build, {} cores)",
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );
    println!("{:<52} {:>9} {:>9} {:>9}", "", "p50", "p95", "max");
    let row = |name: &str, v: &mut Vec<f64>, goal: &str| {
        let (p50, p95) = (percentile(v, 0.5), percentile(v, 0.95));
        let max = v.iter().copied().fold(0.0, f64::max);
        println!("{name:<52} {p50:>6.2} ms {p95:>6.2} ms {max:>6.2} ms   goal {goal}");
    };
    println!(
        "{:<52} {:>9} {:>9} {first:>6.1} ms   goal ≤ 1000 ms",
        "initialize → first diagnostics", "", ""
    );
    row(
        "edit of one environment → its diagnostics (200)",
        &mut edits,
        "p95 ≤ 20 ms",
    );
    row("completion (200)", &mut completions, "p95 ≤ 10 ms");
    row(
        "hover on a key, trace reused (180)",
        &mut hovers,
        "p95 ≤ 10 ms",
    );
    row(
        "hover on a key after an edit: traces e7's root (20)",
        &mut traced_hovers,
        "p95 ≤ 500 ms",
    );
    row(
        "edit of envc.kdl → all re-checked, published (20)",
        &mut project,
        "≤ 500 ms",
    );
    row(
        "edit of envc.kdl, valid → all re-checked (20)",
        &mut valid,
        "≤ 500 ms",
    );
    println!(
        "{:<52} {hwm:>6.1} MB peak, {rss:.1} MB at the end   goal ≤ 150 MB",
        "resident memory (VmHWM)"
    );
}
