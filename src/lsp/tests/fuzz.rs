//! Robustness: random edits of the fixture files, each followed by a random
//! request at a random (often invalid) position. Every response must be a
//! well-formed result, no handler may panic, and every published diagnostic
//! must lie inside its document. `ENVC_LSP_FUZZ_EDITS` sets the number of
//! edits (default 2,000; the seed is fixed, `ENVC_LSP_FUZZ_SEED` changes it).

use std::path::Path;

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};
use serde_json::{Value, json};

use super::{Client, project};
use crate::lsp::HANDLER_PANICS;
use envc::ide::Encoding;
use envc::ide::pos::apply_changes;

/// splitmix64: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Every input file of the fixture projects and of the example.
fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut stack = vec![root.join("tests/fixtures"), root.join("environments")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "kdl" || x == "json")
                && let Ok(t) = std::fs::read_to_string(&p)
            {
                out.push(t);
            }
        }
    }
    out.push(include_str!("../../../envc.kdl").to_string());
    out.sort();
    out
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "\"",
    "=",
    "#",
    ";",
    "\n",
    "\\",
    "/*",
    "*/",
    "//",
    "/-",
    "(",
    ")",
    " ",
    "é",
    "😀",
    "\r\n",
    "#true",
    "#null",
    "r#\"",
    "\"\"\"",
    "table \"",
    "extends \"",
    "region ",
    "tier \"PROD\"",
    "features {",
    "access=",
    "function=\"",
    "1e999",
    "-",
    "0x",
    "{\"a\":",
    "[",
    "]",
    ",",
];

fn random_position(rng: &mut Rng, text: &str) -> Position {
    let lines = text.split('\n').count() as u32;
    match rng.below(10) {
        0 => Position::new(rng.next() as u32 % 1000, rng.next() as u32 % 1000),
        _ => {
            let line = rng.below(lines as usize + 1) as u32;
            let len = text.split('\n').nth(line as usize).map_or(0, |l| l.len());
            Position::new(line, rng.below(len + 2) as u32)
        }
    }
}

#[test]
fn random_edits_never_crash_or_hang_the_server() {
    let edits: usize = std::env::var("ENVC_LSP_FUZZ_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let seed: u64 = std::env::var("ENVC_LSP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seeds = seeds();
    assert!(seeds.len() > 40, "the fixtures are there: {}", seeds.len());
    let json_env = "{\n  \"tier\": \"DEV\",\n  \"region\": \"eu-west-1\",\n  \"account-id\": \"111111111111\"\n}\n";
    let mut c = Client::start(
        project(&[("environments/qa.json", Some(json_env))]),
        seed.is_multiple_of(2),
    );
    let enc = if seed.is_multiple_of(2) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let mut rng = Rng(seed);
    let files = [
        "envc.kdl",
        "environments/_base.kdl",
        "environments/dev.kdl",
        "environments/prod.kdl",
        "environments/qa.json",
    ];
    let mut texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(c.dir.path().join(f)).unwrap())
        .collect();
    for (f, t) in files.iter().zip(&texts) {
        c.open(f, t);
    }
    let mut versions = vec![1; files.len()];
    let methods = [
        "textDocument/completion",
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/references",
        "textDocument/documentSymbol",
        "textDocument/codeAction",
    ];
    for i in 0..edits {
        let f = rng.below(files.len());
        let text = &texts[f];
        let a = random_position(&mut rng, text);
        let b = if rng.below(3) == 0 {
            a
        } else {
            random_position(&mut rng, text)
        };
        let insert = match rng.below(6) {
            0 => String::new(),
            1 | 2 => (0..1 + rng.below(4)).map(|_| *rng.pick(PIECES)).collect(),
            3 => {
                let s = rng.pick(&seeds).clone();
                let from = envc::ide::pos::floor_boundary(&s, rng.below(s.len()));
                let to = envc::ide::pos::floor_boundary(&s, from + rng.below(200));
                s[from..to].to_string()
            }
            4 if rng.below(20) == 0 => rng.pick(&seeds).clone(),
            _ => {
                let s = rng.pick(&seeds);
                s.lines()
                    .nth(rng.below(s.lines().count()))
                    .unwrap_or("")
                    .to_string()
                    + "\n"
            }
        };
        let change = if insert.len() > 1000 && rng.below(2) == 0 {
            TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: insert,
            }
        } else {
            TextDocumentContentChangeEvent {
                range: Some(Range::new(a, b)),
                range_length: None,
                text: insert,
            }
        };
        apply_changes(&mut texts[f], std::slice::from_ref(&change), enc);
        versions[f] += 1;
        let uri = c.uri(files[f]);
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": versions[f]}, "contentChanges": [change]}),
        );
        let f = rng.below(files.len());
        let pos = random_position(&mut rng, &texts[f]);
        let method = *rng.pick(&methods);
        let mut params = c.at(files[f], pos.line, pos.character);
        if method == "textDocument/references" {
            params["context"] = json!({"includeDeclaration": rng.below(2) == 0});
        }
        if method == "textDocument/codeAction" {
            params["context"] = json!({"diagnostics": []});
            params["range"] = json!({"start": pos, "end": random_position(&mut rng, &texts[f])});
        }
        let r = c.request(method, params);
        let v = match r.response_result {
            Ok(v) => v,
            Err(e) => panic!("edit {i}: {method} failed: {e:?}"),
        };
        well_formed(method, v);
        if i % 50 == 49 {
            c.sync();
            for (f, t) in files.iter().zip(&texts) {
                let lines = t.split('\n').count() as u32;
                for d in c.diags.get(c.uri(f).as_str()).into_iter().flatten() {
                    assert!(
                        d.range.start <= d.range.end && d.range.end.line < lines,
                        "edit {i}: {f}: {d:?}"
                    );
                }
            }
        }
    }
    c.sync();
    assert_eq!(
        HANDLER_PANICS.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a handler panicked"
    );
    // Written past the capture, so that the count shows in a normal test run.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "lsp fuzz: {edits} random edits (seed {seed}), each followed by a request: no failure"
    );
    assert_eq!(c.shutdown(), 0);
}

fn well_formed(method: &str, v: Value) {
    use lsp_types::*;
    let ok = match method {
        "textDocument/completion" => {
            serde_json::from_value::<Option<CompletionResponse>>(v.clone()).is_ok()
        }
        "textDocument/hover" => serde_json::from_value::<Option<Hover>>(v.clone()).is_ok(),
        "textDocument/definition" => {
            serde_json::from_value::<Option<GotoDefinitionResponse>>(v.clone()).is_ok()
        }
        "textDocument/references" => {
            serde_json::from_value::<Option<Vec<Location>>>(v.clone()).is_ok()
        }
        "textDocument/documentSymbol" => {
            serde_json::from_value::<Option<DocumentSymbolResponse>>(v.clone()).is_ok()
        }
        "textDocument/codeAction" => {
            serde_json::from_value::<Option<CodeActionResponse>>(v.clone()).is_ok()
        }
        _ => false,
    };
    assert!(ok, "{method}: {v}");
}
