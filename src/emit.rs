//! Emit: put a compiled tree on disk, touching only what envc owns.
//!
//! Takes the generated files (path relative to the output directory → text)
//! and the output directory. A file is envc's when its first line is
//! [`HEADER`]; every other file is the user's and is never written, replaced
//! or deleted (a generated path that lands on a user file is a clash, and
//! nothing at all is written). Unchanged files are not rewritten (their mtime
//! stays); changed files are written atomically (temporary file in the same
//! directory, then rename); generated files that are no longer produced are
//! removed. Emit does not compile and does not compare content for display:
//! that is [`crate::diff`].

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::render::HEADER;

/// What a build did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub written: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
}

#[derive(Debug)]
pub enum EmitError {
    /// A generated path is taken by a file envc did not generate.
    Clash(Vec<PathBuf>),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmitError::Clash(paths) => {
                write!(f, "refusing to overwrite files envc did not generate (they lack the `{HEADER}` line):")?;
                for p in paths {
                    write!(f, "\n  {}", p.display())?;
                }
                Ok(())
            }
            EmitError::Io(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

/// Whether `text` is a generated file's content.
pub fn is_generated(text: &[u8]) -> bool {
    text.starts_with(HEADER.as_bytes()) && matches!(text.get(HEADER.len()), None | Some(b'\n') | Some(b'\r'))
}

/// The generated files currently under `out` (relative path with `/` → bytes),
/// restricted to paths for which `in_scope` holds. Directories named
/// `.terraform` (provider caches) and symlinks are not followed.
pub fn read_generated(out: &Path, in_scope: &dyn Fn(&str) -> bool) -> Result<BTreeMap<String, Vec<u8>>, EmitError> {
    let mut found = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = out.join(&rel);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(EmitError::Io(dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| EmitError::Io(dir.clone(), e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let ft = entry.file_type().map_err(|e| EmitError::Io(entry.path(), e))?;
            let child = rel.join(name);
            if ft.is_dir() {
                if name != ".terraform" && name != ".git" {
                    stack.push(child);
                }
            } else if ft.is_file() {
                let key = slash_path(&child);
                if !in_scope(&key) || is_temp(name) {
                    continue;
                }
                let bytes = read_head_then_all(&entry.path())?;
                if let Some(b) = bytes {
                    found.insert(key, b);
                }
            }
        }
    }
    Ok(found)
}

/// Read a file only if it starts with the header (reads the rest only then).
fn read_head_then_all(path: &Path) -> Result<Option<Vec<u8>>, EmitError> {
    let bytes = fs::read(path).map_err(|e| EmitError::Io(path.to_path_buf(), e))?;
    Ok(is_generated(&bytes).then_some(bytes))
}

fn slash_path(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

const TEMP_SUFFIX: &str = ".envc-tmp";

fn is_temp(name: &str) -> bool {
    name.ends_with(TEMP_SUFFIX)
}

/// Write `files` under `out`, remove stale generated files in scope, and report what changed.
/// Nothing is written when any target path is a user's file.
pub fn emit(out: &Path, files: &BTreeMap<String, String>, in_scope: &dyn Fn(&str) -> bool) -> Result<Summary, EmitError> {
    let existing = read_generated(out, in_scope)?;
    // Clashes first, so that a clash writes nothing.
    let clashes: Vec<PathBuf> = files
        .keys()
        .filter(|p| !existing.contains_key(*p))
        .map(|p| out.join(p))
        .filter(|p| fs::symlink_metadata(p).is_ok())
        .collect();
    if !clashes.is_empty() {
        return Err(EmitError::Clash(clashes));
    }
    let mut summary = Summary::default();
    for (rel, text) in files {
        if existing.get(rel).is_some_and(|old| old == text.as_bytes()) {
            summary.unchanged += 1;
            continue;
        }
        write_atomic(&out.join(rel), text.as_bytes())?;
        summary.written.push(rel.clone());
    }
    for rel in existing.keys().filter(|p| !files.contains_key(*p)) {
        let path = out.join(rel);
        fs::remove_file(&path).map_err(|e| EmitError::Io(path.clone(), e))?;
        // Drop directories the removal emptied (never above `out`).
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == out || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        summary.removed.push(rel.clone());
    }
    Ok(summary)
}

/// Write to a temporary file in the same directory, flush it to disk, then rename over the target.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EmitError> {
    let io = |e| EmitError::Io(path.to_path_buf(), e);
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}{TEMP_SUFFIX}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_recognition() {
        assert!(is_generated(format!("{HEADER}\nx").as_bytes()));
        assert!(is_generated(HEADER.as_bytes()));
        assert!(!is_generated(format!("{HEADER} extra\n").as_bytes()));
        assert!(!is_generated(b"# my file\n"));
    }
}
