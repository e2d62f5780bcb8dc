//! Git: read files as committed at a revision, for `diff --against` and
//! `affected --base`. The only place envc runs `git`; it reads, never writes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Every file under `dir/sub` (a directory relative to `dir`, `""` for `dir` itself)
/// as committed at `rev`: path relative to `dir/sub` (with `/`) → bytes.
pub fn files_at(dir: &Path, rev: &str, sub: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let commit = format!("{rev}^{{commit}}");
    git(dir, &["rev-parse", "--verify", "--quiet", &commit])
        .map_err(|_| format!("unknown git revision `{rev}`"))?;
    let prefix = String::from_utf8_lossy(&git(dir, &["rev-parse", "--show-prefix"])?)
        .trim()
        .to_string();
    let sub = sub.trim_matches('/');
    let full = if sub.is_empty() {
        prefix.trim_end_matches('/').to_string()
    } else {
        format!("{prefix}{sub}")
    };
    let listing = git(
        dir,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--full-tree",
            rev,
            "--",
            if full.is_empty() { "." } else { &full },
        ],
    )?;
    let mut wanted = Vec::new();
    for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut parts = meta.split(' ');
        let (_mode, kind, oid) = (parts.next(), parts.next(), parts.next());
        if kind != Some("blob") {
            continue;
        }
        let rel = if full.is_empty() {
            path.to_string()
        } else {
            path.strip_prefix(&format!("{full}/"))
                .unwrap_or(path)
                .to_string()
        };
        wanted.push((rel, oid.unwrap_or_default().to_string()));
    }
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    // One `git cat-file --batch` for all blobs.
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git: no stdin")?;
    let oids: String = wanted.iter().map(|(_, o)| format!("{o}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(oids.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().ok_or("git: no stdout")?);
    let mut files = BTreeMap::new();
    for (rel, _) in &wanted {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(|e| e.to_string())?;
        let size: usize = header
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: unexpected `{}`", header.trim()))?;
        let mut body = vec![0; size + 1];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        body.pop();
        files.insert(rel.clone(), body);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(files)
}
