//! Diff: compare the tree envc would generate with the generated tree on disk.
//!
//! [`compare`] takes two in-memory trees — `expected` (what the compiler
//! produces) and `actual` (the generated files already on disk) — each a map
//! from a path relative to the output directory (`/` separators) to the file's
//! text, and returns one [`FileDiff`] per differing file, sorted by path. The
//! `render_*` functions turn that list into text for people (`unified`, `stat`),
//! pull requests (`markdown`) and machines (`json`).
//!
//! This module does no disk I/O and no compiling: the caller compiles, reads the
//! output directory, and leaves out files without the generated-file header
//! (those belong to the user and are never compared). It also does not decide
//! about colour (the caller passes `color`) or exit status.
//!
//! Direction: the old side (`a/`, `-`) is the disk, the new side (`b/`, `+`) is
//! what `envc build` would write, so applying the diff to the tree gives the
//! result of a build.
//!
//! Every renderer returns text that ends in a newline, or an empty string when
//! there is nothing to print (`unified` and `stat` with no differences).
//!
//! # JSON schema (version 1)
//!
//! ```text
//! {
//!   "version": 1,
//!   "clean": bool,                    // true when there are no differences
//!   "summary": {
//!     "files": n,                     // number of differing files
//!     "added": n,                     // lines added, all files together
//!     "removed": n                    // lines removed, all files together
//!   },
//!   "files": [                        // sorted by path
//!     {
//!       "path": "modules/dynamodb/main.tf",
//!       "status": "added" | "removed" | "modified",
//!       "added": n, "removed": n,     // line counts for this file
//!       "hunks": [
//!         {
//!           "old_start": n, "old_lines": n,   // as in the `@@ -l,n +l,n @@` header
//!           "new_start": n, "new_lines": n,
//!           "lines": [
//!             { "kind": "context" | "added" | "removed",
//!               "text": "...",                 // without its trailing newline
//!               "missing_newline": true }      // only present (and true) on a last
//!                                              // line that has no newline
//!           ]
//!         }
//!       ]
//!     }
//!   ]
//! }
//! ```
//!
//! Starts are 1-based; when a side of a hunk has no lines, its start is the line
//! before the hunk (0 for an empty file), exactly as in a unified diff header.
//! New keys may be added within version 1; existing keys keep their meaning.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, DiffTag, capture_diff_slices, group_diff_ops};

/// Lines of unchanged text shown around each change (as `diff -u` and git).
const CONTEXT: usize = 3;

/// How a file differs between the disk and what envc would generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not on disk; a build would write it.
    Added,
    /// On disk but no longer generated (stale); a build would delete it.
    Removed,
    /// On disk and generated, with different bytes.
    Modified,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Modified => "modified",
        }
    }
}

/// The differences of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    /// Relative to the output dir, with `/` separators: "modules/dynamodb/main.tf",
    /// "environments/prod/main.tf".
    pub path: String,
    pub status: Status,
    /// Number of added lines.
    pub added: usize,
    /// Number of removed lines.
    pub removed: usize,
    pub hunks: Vec<Hunk>,
}

/// One `@@` block: a run of changes with up to 3 lines of context around them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    /// 1-based; for an empty old side, the line before the hunk (0 at the top).
    pub old_start: usize,
    pub old_lines: usize,
    /// 1-based; for an empty new side, the line before the hunk (0 at the top).
    pub new_start: usize,
    pub new_lines: usize,
    pub lines: Vec<Line>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub kind: LineKind,
    /// The line without its trailing `\n` (a `\r` before it is kept: it is a
    /// real difference worth showing).
    pub text: String,
    /// The line is the last of its file and has no newline after it, so a
    /// unified diff prints `\ No newline at end of file` under it. Only ever
    /// true on the last line of a side; omitted from JSON when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub missing_newline: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

/// Compares the generated tree with the one on disk.
///
/// `expected`: what envc generates (path → text); `actual`: generated files
/// found on disk (path → text; files without the generated header were already
/// excluded by the caller). Added = in expected, not on disk; Removed = on disk,
/// not expected; Modified = both, different bytes. Identical files produce
/// nothing. The result is sorted by path.
pub fn compare(
    expected: &BTreeMap<String, String>,
    actual: &BTreeMap<String, String>,
) -> Vec<FileDiff> {
    let mut paths: Vec<&String> = expected.keys().chain(actual.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (status, old, new) = match (actual.get(path), expected.get(path)) {
                (Some(old), Some(new)) if old == new => return None,
                (Some(old), Some(new)) => (Status::Modified, old.as_str(), new.as_str()),
                (None, Some(new)) => (Status::Added, "", new.as_str()),
                (Some(old), None) => (Status::Removed, old.as_str(), ""),
                (None, None) => unreachable!("path comes from one of the maps"),
            };
            Some(diff_file(path, status, old, new))
        })
        .collect()
}

fn diff_file(path: &str, status: Status, old: &str, new: &str) -> FileDiff {
    // Split on `\n` only, keeping it, as git does: a lone `\r` is not a line end.
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);
    let mut file = FileDiff {
        path: path.to_owned(),
        status,
        added: 0,
        removed: 0,
        hunks: Vec::new(),
    };
    for group in group_diff_ops(ops, CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let mut hunk = Hunk {
            old_start: header_start(old_range.start, old_range.len()),
            old_lines: old_range.len(),
            new_start: header_start(new_range.start, new_range.len()),
            new_lines: new_range.len(),
            lines: Vec::new(),
        };
        for op in &group {
            push_op_lines(op, &old_lines, &new_lines, &mut hunk.lines);
        }
        for line in &hunk.lines {
            match line.kind {
                LineKind::Added => file.added += 1,
                LineKind::Removed => file.removed += 1,
                LineKind::Context => {}
            }
        }
        file.hunks.push(hunk);
    }
    file
}

/// The start shown in a hunk header: 1-based, or the line before an empty range.
fn header_start(index: usize, len: usize) -> usize {
    if len == 0 { index } else { index + 1 }
}

fn push_op_lines(op: &DiffOp, old: &[&str], new: &[&str], out: &mut Vec<Line>) {
    let line = |kind, raw: &str| Line {
        kind,
        text: raw.strip_suffix('\n').unwrap_or(raw).to_owned(),
        missing_newline: !raw.ends_with('\n'),
    };
    let (tag, old_range, new_range) = op.as_tag_tuple();
    match tag {
        DiffTag::Equal => out.extend(old[old_range].iter().map(|r| line(LineKind::Context, r))),
        DiffTag::Delete => out.extend(old[old_range].iter().map(|r| line(LineKind::Removed, r))),
        DiffTag::Insert => out.extend(new[new_range].iter().map(|r| line(LineKind::Added, r))),
        DiffTag::Replace => {
            out.extend(old[old_range].iter().map(|r| line(LineKind::Removed, r)));
            out.extend(new[new_range].iter().map(|r| line(LineKind::Added, r)));
        }
    }
}

// ---------------------------------------------------------------------------
// unified

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// Renders a git-style unified diff: `--- a/<path>` / `+++ b/<path>` headers
/// (`/dev/null` for the missing side of an added or removed file), `@@` hunks,
/// and `\ No newline at end of file` where a side ends without one. With
/// `color`, headers are bold, hunk headers cyan, removed lines red and added
/// lines green (ANSI codes); without it the text is plain.
pub fn render_unified(diffs: &[FileDiff], color: bool) -> String {
    let mut out = String::new();
    for file in diffs {
        unified_file(file, color, &mut out);
    }
    out
}

fn unified_file(file: &FileDiff, color: bool, out: &mut String) {
    let (bold, red, green, cyan, reset) = if color {
        (BOLD, RED, GREEN, CYAN, RESET)
    } else {
        ("", "", "", "", "")
    };
    let old = match file.status {
        Status::Added => "/dev/null".to_owned(),
        _ => format!("a/{}", file.path),
    };
    let new = match file.status {
        Status::Removed => "/dev/null".to_owned(),
        _ => format!("b/{}", file.path),
    };
    let _ = writeln!(out, "{bold}--- {old}{reset}");
    let _ = writeln!(out, "{bold}+++ {new}{reset}");
    for hunk in &file.hunks {
        let _ = writeln!(
            out,
            "{cyan}@@ -{} +{} @@{reset}",
            header_range(hunk.old_start, hunk.old_lines),
            header_range(hunk.new_start, hunk.new_lines)
        );
        for line in &hunk.lines {
            let (sign, colour) = match line.kind {
                LineKind::Context => (' ', ""),
                LineKind::Added => ('+', green),
                LineKind::Removed => ('-', red),
            };
            let end = if colour.is_empty() { "" } else { reset };
            let _ = writeln!(out, "{colour}{sign}{}{end}", line.text);
            if line.missing_newline {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
}

/// `l,n`, shortened to `l` when `n` is 1, as diff and git print it.
fn header_range(start: usize, len: usize) -> String {
    if len == 1 {
        start.to_string()
    } else {
        format!("{start},{len}")
    }
}

// ---------------------------------------------------------------------------
// stat

/// Widest `+-` bar; longer ones are scaled down. Fixed (not the terminal
/// width) so the output is the same everywhere.
const STAT_BAR: usize = 50;

/// Renders like `git diff --stat`: one ` path | N ++--` line per file, paths
/// padded and counts right-aligned to a common width, bars scaled so the
/// largest fits 50 columns, then a ` K files changed, X
/// insertions(+), Y deletions(-)` total (zero parts left out, as git does).
pub fn render_stat(diffs: &[FileDiff]) -> String {
    if diffs.is_empty() {
        return String::new();
    }
    let path_width = diffs
        .iter()
        .map(|f| f.path.chars().count())
        .max()
        .unwrap_or(0);
    let max_change = diffs.iter().map(|f| f.added + f.removed).max().unwrap_or(0);
    let count_width = max_change.to_string().len();
    let mut out = String::new();
    for file in diffs {
        let (plus, minus) = stat_bar(file.added, file.removed, max_change);
        let total = file.added + file.removed;
        let bar = format!("{}{}", "+".repeat(plus), "-".repeat(minus));
        let line = format!(" {:<path_width$} | {total:>count_width$} {bar}", file.path);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let added: usize = diffs.iter().map(|f| f.added).sum();
    let removed: usize = diffs.iter().map(|f| f.removed).sum();
    let _ = write!(out, " {} changed", plural(diffs.len(), "file", "files"));
    if added > 0 {
        let _ = write!(out, ", {}(+)", plural(added, "insertion", "insertions"));
    }
    if removed > 0 {
        let _ = write!(out, ", {}(-)", plural(removed, "deletion", "deletions"));
    }
    out.push('\n');
    out
}

/// git's scaling (diff.c, `show_stats`): every non-zero side keeps at least
/// one character, and the smaller side is scaled while the larger takes the rest.
fn stat_bar(added: usize, removed: usize, max_change: usize) -> (usize, usize) {
    if max_change <= STAT_BAR {
        return (added, removed);
    }
    let scale = |n: usize| {
        if n == 0 {
            0
        } else {
            1 + n * (STAT_BAR - 1) / max_change
        }
    };
    let mut total = scale(added + removed);
    if total < 2 && added > 0 && removed > 0 {
        total = 2;
    }
    if added < removed {
        let plus = scale(added);
        (plus, total - plus)
    } else {
        let minus = scale(removed);
        (total - minus, minus)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---------------------------------------------------------------------------
// markdown

/// Renders a report for a GitHub pull-request comment or `$GITHUB_STEP_SUMMARY`.
///
/// Layout:
///
/// 1. `### envc diff: clean` followed by one sentence, and nothing else; or
///    `### envc diff: N files differ`.
/// 2. A summary table with one row per *directory owner* — the first two
///    components of the file's directory, so `environments/prod`,
///    `modules/dynamodb` (`.` for files at the top of the tree) — with columns
///    Files / Added / Removed / Changes (e.g. `1 added, 2 modified`), then a
///    bold total row, then a sentence saying how to fix it.
/// 3. Each file in a collapsible `<details>` block whose summary is
///    `<code>path</code> (+a −r, status)` and whose body is its unified diff in
///    a ```` ```diff ```` fence, made longer than any backtick run in the
///    content so the content cannot close it.
///
/// The whole output stays within `limit` bytes (bytes are never fewer than
/// characters, so this also bounds GitHub's character limit). When a file's
/// diff would overflow it is cut at a line boundary, the fence is closed, and
/// a note "… N more lines not shown (run `envc diff` locally)" follows; files that do
/// not fit at all are counted (and named, as far as room allows) in a last line.
/// The table is dropped only if it alone would not fit; a `limit` smaller than
/// the headline gives a cut headline.
pub fn render_markdown(diffs: &[FileDiff], limit: usize) -> String {
    if diffs.is_empty() {
        let text =
            "### envc diff: clean\n\nThe generated Terraform tree matches the environment files.\n";
        return cut_to(text, limit).to_owned();
    }
    let headline = format!(
        "### envc diff: {} differ{}\n",
        plural(diffs.len(), "file", "files"),
        if diffs.len() == 1 { "s" } else { "" }
    );
    if headline.len() > limit {
        return cut_to(&headline, limit).to_owned();
    }
    let mut out = headline;
    // Room kept for the "files not shown" line while any file is still to come.
    let reserve = trailer(diffs.len(), &[], usize::MAX).len();

    let table = markdown_table(diffs);
    if out.len() + table.len() + reserve <= limit {
        out.push_str(&table);
    }

    for (i, file) in diffs.iter().enumerate() {
        let rest_reserve = if i + 1 < diffs.len() { reserve } else { 0 };
        let block = details_block(file, None);
        if out.len() + block.len() + rest_reserve <= limit {
            out.push_str(&block);
            continue;
        }
        // The block does not fit whole: show as many lines as fit, then stop.
        let room = limit.saturating_sub(out.len() + rest_reserve);
        if let Some(cut) = truncated_block(file, room) {
            out.push_str(&cut);
            let rest = &diffs[i + 1..];
            if !rest.is_empty() {
                out.push_str(&trailer(rest.len(), rest, limit - out.len()));
            }
        } else {
            let rest = &diffs[i..];
            out.push_str(&trailer(rest.len(), rest, limit - out.len()));
        }
        break;
    }
    debug_assert!(out.len() <= limit);
    out
}

fn markdown_table(diffs: &[FileDiff]) -> String {
    #[derive(Default)]
    struct Row {
        files: usize,
        added: usize,
        removed: usize,
        by_status: [usize; 3],
    }
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for file in diffs {
        let row = rows.entry(owner(&file.path)).or_default();
        row.files += 1;
        row.added += file.added;
        row.removed += file.removed;
        row.by_status[file.status as usize] += 1;
    }
    let mut out = String::from(
        "\n| Directory | Files | Added | Removed | Changes |\n|:--|--:|--:|--:|:--|\n",
    );
    for (owner, row) in &rows {
        let changes: Vec<String> = [Status::Added, Status::Modified, Status::Removed]
            .into_iter()
            .filter(|s| row.by_status[*s as usize] > 0)
            .map(|s| format!("{} {}", row.by_status[s as usize], s.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "| `{owner}` | {} | +{} | −{} | {} |",
            row.files,
            row.added,
            row.removed,
            changes.join(", ")
        );
    }
    let added: usize = diffs.iter().map(|f| f.added).sum();
    let removed: usize = diffs.iter().map(|f| f.removed).sum();
    let _ = writeln!(
        out,
        "| **total** | **{}** | **+{added}** | **−{removed}** | |",
        diffs.len()
    );
    out.push_str("\nRun `envc build` and commit the result to bring the tree up to date.\n");
    out
}

/// The first two components of a path's directory: `environments/prod`,
/// `modules/dynamodb`; `.` for a file at the top of the tree.
fn owner(path: &str) -> String {
    let Some((dir, _)) = path.rsplit_once('/') else {
        return ".".to_owned();
    };
    let mut parts = dir.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}/{b}"),
        (Some(a), None) => a.to_owned(),
        _ => ".".to_owned(),
    }
}

/// A `<details>` block; with `shown = Some(n)` only the first `n` diff lines
/// are included, followed by a note on the rest.
fn details_block(file: &FileDiff, shown: Option<usize>) -> String {
    let body = file_body(file);
    let fence = fence_for(&body);
    let total = body.split_inclusive('\n').count();
    let shown_lines = shown.unwrap_or(total).min(total);
    let mut out = format!(
        "\n<details><summary><code>{}</code> (+{} −{}, {}{})</summary>\n\n{fence}diff\n",
        html_escape(&file.path),
        file.added,
        file.removed,
        file.status.as_str(),
        if shown_lines < total {
            ", truncated"
        } else {
            ""
        }
    );
    // Every body line ends in `\n` (unified_file writes whole lines).
    for line in body.split_inclusive('\n').take(shown_lines) {
        out.push_str(line);
    }
    let _ = writeln!(out, "{fence}");
    if shown_lines < total {
        let _ = writeln!(
            out,
            "\n… {} not shown (run `envc diff` locally)",
            plural(total - shown_lines, "more line", "more lines")
        );
    }
    out.push_str("\n</details>\n");
    out
}

/// The largest truncated block of `file` that fits in `room` bytes and shows
/// at least one line; `None` when not even that fits.
fn truncated_block(file: &FileDiff, room: usize) -> Option<String> {
    let body = file_body(file);
    let total = body.split_inclusive('\n').count();
    // Size of the block with no lines but the note counting all of them: the
    // note only gets shorter as lines are shown, so this bounds the skeleton.
    let skeleton = details_block(file, Some(0)).len();
    let mut used = skeleton;
    let mut shown = 0;
    for line in body.split_inclusive('\n').take(total.saturating_sub(1)) {
        if used + line.len() > room {
            break;
        }
        used += line.len();
        shown += 1;
    }
    (shown > 0).then(|| details_block(file, Some(shown)))
}

fn file_body(file: &FileDiff) -> String {
    let mut body = String::new();
    unified_file(file, false, &mut body);
    body
}

/// A backtick fence longer than any backtick run in `content` (at least 3).
fn fence_for(content: &str) -> String {
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The last line for files that did not fit: their count, then as many of
/// their paths as fit in `room` bytes.
fn trailer(count: usize, files: &[FileDiff], room: usize) -> String {
    let head = format!(
        "\n… {} not shown (run `envc diff` locally)",
        plural(count, "more file", "more files")
    );
    let mut out = head.clone();
    for (i, file) in files.iter().enumerate() {
        let sep = if i == 0 { ": " } else { ", " };
        let item = format!("{sep}`{}`", file.path);
        let tail = if i + 1 < files.len() { ", …" } else { "" };
        if out.len() + item.len() + tail.len() + 1 > room {
            if i > 0 {
                out.push_str(", …");
            }
            break;
        }
        out.push_str(&item);
    }
    out.push('\n');
    if out.len() <= room {
        out
    } else if head.len() < room {
        head + "\n"
    } else {
        String::new() // a limit too small for anything but the headline
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `s` cut to at most `limit` bytes at a character boundary.
fn cut_to(s: &str, limit: usize) -> &str {
    if s.len() <= limit {
        return s;
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

// ---------------------------------------------------------------------------
// json

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    clean: bool,
    summary: JsonSummary,
    files: &'a [FileDiff],
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    added: usize,
    removed: usize,
}

/// Renders the differences as pretty JSON following the schema in the module
/// documentation (version 1).
pub fn render_json(diffs: &[FileDiff]) -> String {
    let report = JsonReport {
        version: 1,
        clean: diffs.is_empty(),
        summary: JsonSummary {
            files: diffs.len(),
            added: diffs.iter().map(|f| f.added).sum(),
            removed: diffs.iter().map(|f| f.removed).sum(),
        },
        files: diffs,
    };
    let mut out = serde_json::to_string_pretty(&report).expect("diff report serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    /// Diffs of `(path, on disk, generated)`; `None` = file absent on that side.
    fn diffs(files: &[(&str, Option<&str>, Option<&str>)]) -> Vec<FileDiff> {
        let actual = files.iter().filter_map(|(p, a, _)| a.map(|a| (*p, a)));
        let expected = files.iter().filter_map(|(p, _, e)| e.map(|e| (*p, e)));
        compare(
            &tree(&expected.collect::<Vec<_>>()),
            &tree(&actual.collect::<Vec<_>>()),
        )
    }

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn added_file() {
        let d = diffs(&[("modules/iam/main.tf", None, Some("# gen\nx = 1\n"))]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].status, Status::Added);
        assert_eq!((d[0].added, d[0].removed), (2, 0));
        assert_eq!(
            render_unified(&d, false),
            "--- /dev/null\n+++ b/modules/iam/main.tf\n@@ -0,0 +1,2 @@\n+# gen\n+x = 1\n"
        );
    }

    #[test]
    fn removed_file() {
        let d = diffs(&[("environments/old/main.tf", Some("# gen\n"), None)]);
        assert_eq!(d[0].status, Status::Removed);
        assert_eq!((d[0].added, d[0].removed), (0, 1));
        assert_eq!(
            render_unified(&d, false),
            "--- a/environments/old/main.tf\n+++ /dev/null\n@@ -1 +0,0 @@\n-# gen\n"
        );
    }

    #[test]
    fn modified_file_and_identical_files_sorted_by_path() {
        let d = diffs(&[
            ("z.tf", Some("same\n"), Some("same\n")),
            ("b.tf", Some("a\nold\nc\n"), Some("a\nnew\nc\n")),
            ("a.tf", None, Some("x\n")),
        ]);
        let paths: Vec<&str> = d.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.tf", "b.tf"]);
        assert_eq!(d[1].status, Status::Modified);
        assert_eq!(
            render_unified(&d[1..], false),
            "--- a/b.tf\n+++ b/b.tf\n@@ -1,3 +1,3 @@\n a\n-old\n+new\n c\n"
        );
        assert!(compare(&tree(&[("x", "1\n")]), &tree(&[("x", "1\n")])).is_empty());
    }

    #[test]
    fn missing_newline_at_end_of_file() {
        // Only the newline differs.
        let d = diffs(&[("t.tf", Some("a\nb\n"), Some("a\nb"))]);
        assert_eq!(
            render_unified(&d, false),
            "--- a/t.tf\n+++ b/t.tf\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"
        );
        // Both sides lack it; the last line is unchanged context.
        let d = diffs(&[("t.tf", Some("x\nb"), Some("y\nb"))]);
        assert_eq!(
            render_unified(&d, false),
            "--- a/t.tf\n+++ b/t.tf\n@@ -1,2 +1,2 @@\n-x\n+y\n b\n\\ No newline at end of file\n"
        );
        let last = d[0].hunks[0].lines.last().unwrap();
        assert_eq!((last.text.as_str(), last.missing_newline), ("b", true));
    }

    #[test]
    fn nearby_changes_merge_into_one_hunk() {
        // Changes at lines 2 and 9: 6 equal lines between them, within 2 × 3 context.
        let old = numbered(12);
        let new = old
            .replace("line 2\n", "two\n")
            .replace("line 9\n", "nine\n");
        let d = diffs(&[("f", Some(&old), Some(&new))]);
        assert_eq!(
            render_unified(&d, false),
            "--- a/f\n+++ b/f\n@@ -1,12 +1,12 @@\n line 1\n-line 2\n+two\n line 3\n line 4\n \
             line 5\n line 6\n line 7\n line 8\n-line 9\n+nine\n line 10\n line 11\n line 12\n"
        );
        // Changes at lines 2 and 10: 7 equal lines, so two hunks.
        let new = old
            .replace("line 2\n", "two\n")
            .replace("line 10\n", "ten\n");
        let d = diffs(&[("f", Some(&old), Some(&new))]);
        let headers: Vec<(usize, usize, usize, usize)> = d[0]
            .hunks
            .iter()
            .map(|h| (h.old_start, h.old_lines, h.new_start, h.new_lines))
            .collect();
        assert_eq!(headers, [(1, 5, 1, 5), (7, 6, 7, 6)]);
        assert!(render_unified(&d, false).contains("@@ -1,5 +1,5 @@\n line 1\n-line 2\n"));
        assert!(render_unified(&d, false).contains("@@ -7,6 +7,6 @@\n line 7\n"));
    }

    #[test]
    fn pure_insertion_header_points_at_line_before() {
        let old = numbered(10);
        let new = old.replace("line 5\n", "line 5\nextra\n");
        let d = diffs(&[("f", Some(&old), Some(&new))]);
        let h = &d[0].hunks[0];
        assert_eq!(
            (h.old_start, h.old_lines, h.new_start, h.new_lines),
            (3, 6, 3, 7)
        );
        assert!(render_unified(&d, false).contains("@@ -3,6 +3,7 @@\n"));
    }

    #[test]
    fn colour_codes_only_when_asked() {
        let d = diffs(&[("f", Some("a\nb\n"), Some("a\nc\n"))]);
        let plain = render_unified(&d, false);
        assert!(!plain.contains('\x1b'));
        assert_eq!(
            render_unified(&d, true),
            "\x1b[1m--- a/f\x1b[0m\n\x1b[1m+++ b/f\x1b[0m\n\x1b[36m@@ -1,2 +1,2 @@\x1b[0m\n a\n\
             \x1b[31m-b\x1b[0m\n\x1b[32m+c\x1b[0m\n"
        );
        for text in [
            render_stat(&d),
            render_markdown(&d, 60_000),
            render_json(&d),
        ] {
            assert!(!text.contains('\x1b'));
        }
    }

    #[test]
    fn stat_aligns_paths_and_counts_and_totals() {
        let d = diffs(&[
            (
                "environments/prod/main.tf",
                Some(&numbered(12)),
                Some(&numbered(12).replace("line 3\n", "x\ny\n")),
            ),
            ("modules/iam/outputs.tf", None, Some("a\n")),
            ("stale.tf", Some("a\nb\n"), None),
        ]);
        assert_eq!(
            render_stat(&d),
            " environments/prod/main.tf | 3 ++-\n modules/iam/outputs.tf    | 1 +\n \
             stale.tf                  | 2 --\n 3 files changed, 3 insertions(+), 3 deletions(-)\n"
        );
        let one = diffs(&[("a", None, Some("x\n"))]);
        assert_eq!(
            render_stat(&one),
            " a | 1 +\n 1 file changed, 1 insertion(+)\n"
        );
        assert_eq!(render_stat(&[]), "");
    }

    #[test]
    fn stat_scales_long_bars() {
        let d = diffs(&[
            ("big", None, Some(&numbered(200))),
            ("small", Some("a\nb\n"), Some("a\nc\n")),
        ]);
        let stat = render_stat(&d);
        let lines: Vec<&str> = stat.lines().collect();
        assert_eq!(lines[0], format!(" big   | 200 {}", "+".repeat(50)));
        assert_eq!(lines[1], " small |   2 +-");
        assert_eq!(
            lines[2],
            " 2 files changed, 201 insertions(+), 1 deletion(-)"
        );
    }

    #[test]
    fn markdown_clean() {
        assert_eq!(
            render_markdown(&[], 60_000),
            "### envc diff: clean\n\nThe generated Terraform tree matches the environment files.\n"
        );
    }

    #[test]
    fn markdown_headline_table_and_details() {
        let d = diffs(&[
            ("environments/prod/main.tf", Some("a\nb\n"), Some("a\nc\n")),
            ("modules/dynamodb/main.tf", None, Some("x\n")),
            ("modules/dynamodb/gsi.tf", None, Some("y\nz\n")),
        ]);
        let expected = "\
### envc diff: 3 files differ

| Directory | Files | Added | Removed | Changes |
|:--|--:|--:|--:|:--|
| `environments/prod` | 1 | +1 | −1 | 1 modified |
| `modules/dynamodb` | 2 | +3 | −0 | 2 added |
| **total** | **3** | **+4** | **−1** | |

Run `envc build` and commit the result to bring the tree up to date.

<details><summary><code>environments/prod/main.tf</code> (+1 −1, modified)</summary>

```diff
--- a/environments/prod/main.tf
+++ b/environments/prod/main.tf
@@ -1,2 +1,2 @@
 a
-b
+c
```

</details>

<details><summary><code>modules/dynamodb/gsi.tf</code> (+2 −0, added)</summary>

```diff
--- /dev/null
+++ b/modules/dynamodb/gsi.tf
@@ -0,0 +1,2 @@
+y
+z
```

</details>

<details><summary><code>modules/dynamodb/main.tf</code> (+1 −0, added)</summary>

```diff
--- /dev/null
+++ b/modules/dynamodb/main.tf
@@ -0,0 +1 @@
+x
```

</details>
";
        assert_eq!(render_markdown(&d, 60_000), expected);
        let one = diffs(&[("main.tf", None, Some("x\n"))]);
        let md = render_markdown(&one, 60_000);
        assert!(md.starts_with("### envc diff: 1 file differs\n"));
        assert!(md.contains("| `.` | 1 | +1 | −0 | 1 added |\n"));
    }

    /// Every fence opened in `md` is closed by the same fence, in order.
    fn fences_balanced(md: &str) -> bool {
        let mut open: Option<&str> = None;
        for line in md.lines() {
            match open {
                None => {
                    if line.starts_with("```") {
                        open = Some(line.trim_end_matches(|c| c != '`'));
                    }
                }
                Some(fence) => {
                    if line == fence {
                        open = None;
                    }
                }
            }
        }
        open.is_none() && md.matches("<details>").count() == md.matches("</details>").count()
    }

    #[test]
    fn markdown_truncates_a_long_file_at_a_line_boundary() {
        let d = diffs(&[("modules/iam/main.tf", None, Some(&numbered(100)))]);
        let md = render_markdown(&d, 600);
        assert!(md.len() <= 600, "{} bytes", md.len());
        assert!(fences_balanced(&md), "{md}");
        assert!(md.contains("<code>modules/iam/main.tf</code> (+100 −0, added, truncated)"));
        let tail = md.split("+line ").last().unwrap();
        let shown: usize = tail.split('\n').next().unwrap().parse().unwrap();
        assert!(tail.starts_with(&format!(
            "{shown}\n```\n\n… {} more lines not shown (run `envc diff` locally)\n\n</details>\n",
            100 - shown
        )));
    }

    #[test]
    fn markdown_lists_files_that_do_not_fit() {
        let d = diffs(&[
            ("a.tf", None, Some(&numbered(3))),
            ("b.tf", None, Some(&numbered(3))),
            ("c.tf", None, Some(&numbered(3))),
        ]);
        let full = render_markdown(&d, 60_000);
        let first_block_end = full.find("</details>\n").unwrap() + "</details>\n".len();
        let md = render_markdown(&d, first_block_end + 80);
        assert!(md.starts_with(&full[..first_block_end]));
        assert!(
            md.ends_with("\n… 2 more files not shown (run `envc diff` locally): `b.tf`, `c.tf`\n"),
            "{md}"
        );
    }

    #[test]
    fn markdown_stays_within_every_limit_with_balanced_fences() {
        let d = diffs(&[
            (
                "environments/dev/main.tf",
                Some(&numbered(40)),
                Some(&numbered(40).replace("line 20\n", "x\n")),
            ),
            ("modules/dynamodb/main.tf", None, Some(&numbered(60))),
            ("modules/iam/main.tf", Some("a\n"), None),
            ("modules/s3-audit/main.tf", None, Some("b\n")),
        ]);
        let full = render_markdown(&d, usize::MAX).len();
        for limit in 0..=full + 10 {
            let md = render_markdown(&d, limit);
            assert!(md.len() <= limit, "limit {limit}: {} bytes", md.len());
            assert!(fences_balanced(&md), "limit {limit}:\n{md}");
            if limit >= 200 {
                assert!(md.starts_with("### envc diff: 4 files differ\n"));
            }
        }
    }

    #[test]
    fn markdown_fence_outgrows_backticks_in_content() {
        let d = diffs(&[("README.md", None, Some("```hcl\nx\n````\n"))]);
        let md = render_markdown(&d, 60_000);
        assert!(md.contains("\n`````diff\n--- /dev/null\n+++ b/README.md\n@@ -0,0 +1,3 @@\n+```hcl\n+x\n+````\n`````\n"));
        assert!(fences_balanced(&md));
    }

    #[test]
    fn markdown_escapes_html_in_paths() {
        let d = diffs(&[("a<b>&.tf", None, Some("x\n"))]);
        assert!(render_markdown(&d, 60_000).contains("<code>a&lt;b&gt;&amp;.tf</code>"));
    }

    #[test]
    fn json_has_documented_keys_and_round_trips() {
        let d = diffs(&[
            ("a.tf", Some("x\ny"), Some("x\nz\n")),
            ("b.tf", None, Some("new\n")),
        ]);
        let text = render_json(&d);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(keys(&v), ["version", "clean", "summary", "files"]);
        assert_eq!(v["version"], 1);
        assert_eq!(v["clean"], false);
        assert_eq!(
            v["summary"],
            serde_json::json!({"files": 2, "added": 2, "removed": 1})
        );
        assert_eq!(
            keys(&v["files"][0]),
            ["path", "status", "added", "removed", "hunks"]
        );
        assert_eq!(v["files"][1]["status"], "added");
        let hunk = &v["files"][0]["hunks"][0];
        assert_eq!(
            keys(hunk),
            ["old_start", "old_lines", "new_start", "new_lines", "lines"]
        );
        assert_eq!(
            hunk["lines"],
            serde_json::json!([
                {"kind": "context", "text": "x"},
                {"kind": "removed", "text": "y", "missing_newline": true},
                {"kind": "added", "text": "z"},
            ])
        );
        let back: Vec<FileDiff> = serde_json::from_value(v["files"].clone()).unwrap();
        assert_eq!(back, d);
        assert!(text.ends_with("}\n"));

        let clean: serde_json::Value = serde_json::from_str(&render_json(&[])).unwrap();
        assert_eq!(
            clean,
            serde_json::json!({"version": 1, "clean": true, "summary": {"files": 0, "added": 0, "removed": 0}, "files": []})
        );
    }
}
