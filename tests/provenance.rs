//! `envc explain` is true, not plausible: over every generated file of the example,
//! every line's cited inputs change it and its uncited inputs do not.
//!
//! The universe is every input place of the example: every JSON pointer of every input
//! file (`envc.kdl`, `environments/*.kdl`), except the maps that merely collect keyed
//! entries (`/table`, whose entries are places of their own). Each place is mutated in
//! every way the schema accepts, one mutation at a time: a scalar gets other values
//! (a flipped boolean, other numbers, other strings and enum values), a name is renamed
//! (`table "users"` → `"usersq"`), an entry is deleted. Each mutated project is compiled
//! with the schema but without the semantic rules ([`envc::Checks::SchemaOnly`]): a line
//! depends on a value even where the rules would refuse the combination (moving a
//! lifecycle day past the next one shows that the line reads it). The generated tree is
//! compared with the original file by file, lines matched by a diff (`similar`, Myers),
//! whitespace runs collapsed (the `=` alignment `terraform fmt` wants is layout: it
//! follows the widest key of neighbouring lines) and a line that only moved counted as
//! unchanged.
//!
//! Then, for every generated line (all of them: nothing is sampled):
//! - every place it cites on its own must have a mutation that changes it;
//! - every group it cites (entries that decide together, none alone) must change it
//!   when all of them are deleted at once;
//! - no mutation of a place it does not cite (nor contain: citing `/table/users/ttl`
//!   covers deleting `/table/users`) may change it.
//!
//! [`the_checker_catches_broken_provenance`] shows the checker failing on provenance
//! broken on purpose (a cite dropped, a cite added).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use envc::Inputs;
use envc::explain::Traced;
use serde_json::Value;
use similar::{Algorithm, DiffOp};

/// An input place: file and pointer.
type Key = (String, String);
/// A generated line: file (relative to the output directory) and 1-based number.
type Line = (String, usize);

struct Edit {
    file: String,
    start: usize,
    end: usize,
    text: String,
}

struct Mutation {
    place: Key,
    what: String,
    edits: Vec<Edit>,
}

/// What a mutation did to the tree: `None` when the mutated inputs do not compile.
struct Observed {
    what: String,
    changed: Option<Changed>,
}

/// What explain claims for one line.
#[derive(Clone, Default)]
struct Claim {
    singles: BTreeSet<Key>,
    /// Of `singles`, those cited only as conditions (whether the line is written).
    conditions: BTreeSet<Key>,
    groups: Vec<BTreeSet<Key>>,
    /// Every cited place, group member and their ancestors: mutating these may change it.
    covered: BTreeSet<Key>,
    stems: bool,
}

#[derive(Default)]
struct Report {
    lines: usize,
    places: usize,
    valid: usize,
    invalid: usize,
    cited: usize,
    unverifiable: Vec<String>,
    cited_failed: Vec<String>,
    group_checks: usize,
    group_failed: Vec<String>,
    uncited: usize,
    uncited_failed: Vec<String>,
    moved: usize,
    stems: usize,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> Inputs {
    Inputs::read_dir(repo()).unwrap()
}

/// Every place of every input file, with its spans and value.
fn universe(inputs: &Inputs) -> Vec<(Key, envc::load::Located, Value)> {
    let mut out = Vec::new();
    for (file, text) in &inputs.files {
        let doc = envc::load::parse_document(&Arc::from(file.as_str()), text).unwrap();
        for (pointer, located) in &doc.spans {
            if pointer.is_empty() {
                continue;
            }
            let value = doc.value.pointer(pointer).cloned().unwrap_or(Value::Null);
            // A map of keyed entries points at its first entry's node: not a place.
            let collection = value.as_object().is_some_and(|m| {
                m.keys().any(|k| {
                    doc.spans
                        .get(&format!("{pointer}/{}", envc::load::escape_pointer(k)))
                        .is_some_and(|c| c.value == located.value)
                })
            });
            if !collection {
                out.push(((file.clone(), pointer.clone()), located.clone(), value));
            }
        }
    }
    out
}

/// The string enumerations of the committed schemas (`enum` lists, and `oneOf`/`anyOf`
/// lists of `const`s): the other values a string of one of them may take.
fn schema_enums() -> &'static [Vec<String>] {
    static ENUMS: std::sync::OnceLock<Vec<Vec<String>>> = std::sync::OnceLock::new();
    fn walk(v: &Value, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(m) => {
                let strings = |list: &Vec<Value>, f: &dyn Fn(&Value) -> Option<String>| {
                    list.iter().map(f).collect::<Option<Vec<String>>>()
                };
                if let Some(Value::Array(list)) = m.get("enum")
                    && let Some(e) = strings(list, &|x| x.as_str().map(String::from))
                {
                    out.push(e);
                }
                for key in ["oneOf", "anyOf"] {
                    if let Some(Value::Array(list)) = m.get(key)
                        && let Some(e) =
                            strings(list, &|x| x.get("const")?.as_str().map(String::from))
                    {
                        out.push(e);
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    ENUMS.get_or_init(|| {
        let mut out = Vec::new();
        for name in ["project", "environment"] {
            let path = repo().join(format!("schemas/{name}.schema.json"));
            let text = std::fs::read_to_string(&path).unwrap();
            walk(&serde_json::from_str(&text).unwrap(), &mut out);
        }
        assert!(
            out.iter().any(|e| e.iter().any(|x| x == "PROD")),
            "the schemas' enumerations were not found: {out:?}"
        );
        out
    })
}

/// The other values a scalar may take.
fn alternatives(v: &Value) -> Vec<String> {
    match v {
        Value::Bool(b) => vec![if *b { "#false" } else { "#true" }.to_string()],
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0) as i64;
            let mut c: Vec<i64> = vec![x + 1, x * 2 + 7, 1, 7, 30, 90, 365, 3653, 5000];
            c.retain(|y| *y != x);
            c.dedup();
            c.iter().map(|y| y.to_string()).collect()
        }
        Value::String(s) => {
            let mut c = vec![format!("{s}q")];
            for e in schema_enums() {
                if e.contains(s) {
                    c.extend(e.iter().filter(|x| *x != s).cloned());
                }
            }
            let region = s.split('-').count() >= 3
                && s.rsplit('-')
                    .next()
                    .is_some_and(|n| n.chars().all(|ch| ch.is_ascii_digit()))
                && s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
            if region {
                c.extend(
                    ["eu-central-1", "us-east-1"]
                        .iter()
                        .filter(|x| **x != s)
                        .map(|x| x.to_string()),
                );
            }
            if s.len() == 12 && s.chars().all(|ch| ch.is_ascii_digit()) {
                c.push("999999999999".into());
            }
            if s.contains('@') {
                c.push(format!("q{s}"));
            }
            if let Some((method, path)) = s.split_once(' ') {
                let other = if method == "PATCH" { "GET" } else { "PATCH" };
                c.push(format!("{other} {path}"));
            }
            c.iter()
                .map(|x| serde_json::to_string(x).unwrap())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Every way to mutate one place, each on its own.
fn mutations(inputs: &Inputs, key: &Key, at: &envc::load::Located, v: &Value) -> Vec<Mutation> {
    let text = &inputs.files[&key.0];
    let mut out = Vec::new();
    let edit = |start: usize, end: usize, new: String| Edit {
        file: key.0.clone(),
        start,
        end,
        text: new,
    };
    // Another value.
    for alt in alternatives(v) {
        out.push(Mutation {
            place: key.clone(),
            what: format!("value → {alt}"),
            edits: vec![edit(at.value.start, at.value.end, alt)],
        });
    }
    // Another name (a keyed entry's argument, a map key; a fixed key fails the schema).
    if let Some(k) = &at.key {
        let name = &text[k.start..k.end];
        let renamed = match name.strip_suffix('"') {
            Some(inner) => format!("{inner}q\""),
            None => format!("{name}q"),
        };
        out.push(Mutation {
            place: key.clone(),
            what: format!("rename {name} → {renamed}"),
            edits: vec![edit(k.start, k.end, renamed)],
        });
    }
    // Gone.
    out.push(Mutation {
        place: key.clone(),
        what: "delete".into(),
        edits: vec![deletion(key, at)],
    });
    out
}

fn deletion(key: &Key, at: &envc::load::Located) -> Edit {
    let start = at
        .key
        .as_ref()
        .map_or(at.value.start, |k| k.start.min(at.value.start));
    let end = at
        .key
        .as_ref()
        .map_or(at.value.end, |k| k.end.max(at.value.end));
    Edit {
        file: key.0.clone(),
        start,
        end,
        text: String::new(),
    }
}

fn apply(inputs: &Inputs, edits: &[&Edit]) -> Inputs {
    let mut out = inputs.clone();
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.file.clone(), e.start)));
    let mut last: Option<(String, usize)> = None;
    for e in sorted {
        // Nested edits (a deleted entry inside a deleted entry): the outer one wins.
        if let Some((f, s)) = &last
            && *f == e.file
            && e.end > *s
        {
            continue;
        }
        let t = out.files.get_mut(&e.file).unwrap();
        t.replace_range(e.start..e.end, &e.text);
        last = Some((e.file.clone(), e.start));
    }
    out
}

fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lines next to a difference that a matching may still pair differently: more than
/// the longest block the templates repeat (a dashboard widget is 26 lines).
const MARGIN: usize = 64;

/// A line whose text the new file still has counts as unchanged when some alignment
/// at most this many matches short of the best pairs it: two blocks of the same shape
/// (the API's dashboard widget and the tables' one) otherwise trade their first lines.
/// A line whose text is gone is changed whatever the slack.
const SLACK: u32 = 2;

/// How a mutation changed the tree, old line by old line.
#[derive(Default)]
struct Changed {
    /// Lines unmatched in some optimal alignment of old and new (a diff could show them changed).
    may: BTreeSet<Line>,
    /// Lines unmatched in every alignment within [`SLACK`] of the best, whose text
    /// does not reappear elsewhere (every diff shows them changed; they did not move).
    must: BTreeSet<Line>,
    moved: usize,
}

/// Lines of `before` against `after`, matched by a longest common subsequence of
/// whitespace-collapsed lines. Repeated text (two identical resource blocks) admits
/// several optimal matchings: a deleted block can be matched against its twin. So the
/// answer is two sets: what some matching shows changed, what every matching does.
fn changed_lines(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Changed {
    let mut out = Changed::default();
    for (path, old) in before {
        let Some(new) = after.get(path) else {
            let all: Vec<Line> = (1..=old.lines().count())
                .map(|n| (path.clone(), n))
                .collect();
            out.may.extend(all.iter().cloned());
            out.must.extend(all);
            continue;
        };
        if new == old {
            continue;
        }
        let a: Vec<String> = old.lines().map(normalize).collect();
        let b: Vec<String> = new.lines().map(normalize).collect();
        let (may, must) = alignments(&a, &b);
        // A line that every matching leaves out but whose text the new file has among
        // its own unmatched lines moved (a reordered block): it did not change.
        let ops = similar::capture_diff_slices(Algorithm::Myers, &a, &b);
        let mut inserted: BTreeMap<&str, usize> = BTreeMap::new();
        for op in &ops {
            if let DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } = *op
            {
                for l in &b[new_index..new_index + new_len] {
                    *inserted.entry(l).or_default() += 1;
                }
            }
        }
        for i in may {
            out.may.insert((path.clone(), i + 1));
        }
        for i in must {
            match inserted.get_mut(a[i].as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    out.moved += 1;
                }
                _ => {
                    out.must.insert((path.clone(), i + 1));
                }
            }
        }
    }
    out
}

/// Old lines unmatched in some longest common subsequence of `a` and `b`, and those
/// unmatched in every common subsequence within [`SLACK`] of the longest (0-based). The common prefix and suffix are matched but for a margin of
/// [`MARGIN`] lines next to the difference, where a repeated block may shift.
fn alignments(a: &[String], b: &[String]) -> (Vec<usize>, Vec<usize>) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (pre, suf) = (pre.saturating_sub(MARGIN), suf.saturating_sub(MARGIN));
    let (a, b) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    // f[i][j]: LCS of a[..i], b[..j]; g[i][j]: LCS of a[i..], b[j..].
    let mut f = vec![0u32; (n + 1) * w];
    for i in 1..=n {
        for j in 1..=m {
            f[i * w + j] = if a[i - 1] == b[j - 1] {
                f[(i - 1) * w + j - 1] + 1
            } else {
                f[(i - 1) * w + j].max(f[i * w + j - 1])
            };
        }
    }
    let mut g = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            g[i * w + j] = if a[i] == b[j] {
                g[(i + 1) * w + j + 1] + 1
            } else {
                g[(i + 1) * w + j].max(g[i * w + j + 1])
            };
        }
    }
    let total = f[n * w + m];
    let (mut may, mut must) = (Vec::new(), Vec::new());
    for i in 0..n {
        let skippable = (0..=m).any(|j| f[i * w + j] + g[(i + 1) * w + j] == total);
        let matchable = (0..m)
            .any(|j| a[i] == b[j] && f[i * w + j] + 1 + g[(i + 1) * w + j + 1] + SLACK >= total);
        if skippable {
            may.push(pre + i);
        }
        if !matchable {
            must.push(pre + i);
        }
    }
    (may, must)
}

fn observe(
    inputs: &Inputs,
    before: &BTreeMap<String, String>,
    what: String,
    edits: &[&Edit],
) -> Observed {
    let mutated = apply(inputs, edits);
    match envc::compile_checked(&mutated, &[], envc::Checks::SchemaOnly) {
        Ok(c) => Observed {
            what,
            changed: Some(changed_lines(before, &c.files)),
        },
        Err(_) => Observed {
            what,
            changed: None,
        },
    }
}

/// `items` mapped on every core.
fn par<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let n = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let chunk = items.len().div_ceil(n).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// What explain claims, line by line.
fn claims(traced: &Traced) -> BTreeMap<Line, Claim> {
    let mut out = BTreeMap::new();
    for (path, f) in &traced.files {
        for n in 1..=f.lines.len() {
            let answer = traced.line(path, n).unwrap();
            let mut claim = Claim::default();
            let mut values = BTreeSet::new();
            for s in answer.sources(traced.sources()) {
                if s.through != "together" {
                    let k = (s.file.clone(), s.pointer.clone());
                    if s.via == "value" {
                        values.insert(k.clone());
                    }
                    claim.singles.insert(k);
                }
            }
            claim.conditions = claim.singles.difference(&values).cloned().collect();
            for g in answer.groups() {
                claim.groups.push(
                    g.iter()
                        .map(|p| (p.file.to_string(), p.pointer.clone()))
                        .collect(),
                );
            }
            claim.stems = answer.because.iter().any(|b| b.cites.iter().any(has_stem));
            claim.covered = cover(&claim);
            out.insert((path.clone(), n), claim);
        }
    }
    out
}

fn has_stem(c: &envc::origin::Cite) -> bool {
    use envc::origin::Cite;
    match c {
        Cite::FileStem { .. } => true,
        Cite::Default { because: cs, .. } | Cite::Derived { from: cs, .. } => {
            cs.iter().any(has_stem)
        }
        _ => false,
    }
}

/// The places whose mutation a claim allows to change the line: those it cites and
/// their ancestors (deleting the table deletes the key it cites).
fn cover(claim: &Claim) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    for (file, pointer) in claim.singles.iter().chain(claim.groups.iter().flatten()) {
        let mut p = pointer.as_str();
        loop {
            out.insert((file.clone(), p.to_string()));
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => break,
            }
        }
    }
    out
}

/// Per generated file, per line: the lines of its innermost bracket block (`{ … }`,
/// `[ … ]`, `( … )`; a line that opens a block belongs to it), or the line alone.
type Blocks = BTreeMap<String, Vec<std::ops::RangeInclusive<usize>>>;

fn blocks(files: &BTreeMap<String, String>) -> Blocks {
    files
        .iter()
        .map(|(path, text)| {
            let lines: Vec<&str> = text.lines().collect();
            let mut of: Vec<Option<std::ops::RangeInclusive<usize>>> = vec![None; lines.len()];
            let mut open: Vec<usize> = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let n = i + 1;
                // Brackets outside strings and comments.
                let mut quote = false;
                let mut escaped = false;
                for c in line.chars() {
                    match c {
                        _ if escaped => escaped = false,
                        '\\' if quote => escaped = true,
                        '"' => quote = !quote,
                        '#' if !quote => break,
                        '{' | '[' | '(' if !quote => open.push(n),
                        '}' | ']' | ')' if !quote => {
                            // Inner blocks close first and claim their lines first.
                            if let Some(start) = open.pop().filter(|start| *start < n) {
                                for slot in &mut of[start - 1..n] {
                                    slot.get_or_insert(start..=n);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            let of = of
                .into_iter()
                .enumerate()
                .map(|(i, b)| b.unwrap_or(i + 1..=i + 1))
                .collect();
            (path.clone(), of)
        })
        .collect()
}

/// The observations: every mutation of every place, and each cited group's deletion.
struct Observations {
    by_place: BTreeMap<Key, Vec<Observed>>,
    groups: BTreeMap<BTreeSet<Key>, Observed>,
}

fn observe_all(inputs: &Inputs, traced: &Traced, claims: &BTreeMap<Line, Claim>) -> Observations {
    let before = &traced.compiled.files;
    let places = universe(inputs);
    let all: Vec<Mutation> = places
        .iter()
        .flat_map(|(k, at, v)| mutations(inputs, k, at, v))
        .collect();
    let observed = par(&all, |m| {
        (
            m.place.clone(),
            observe(
                inputs,
                before,
                m.what.clone(),
                &m.edits.iter().collect::<Vec<_>>(),
            ),
        )
    });
    let mut by_place: BTreeMap<Key, Vec<Observed>> = places
        .iter()
        .map(|(k, _, _)| (k.clone(), Vec::new()))
        .collect();
    for (k, o) in observed {
        by_place.entry(k).or_default().push(o);
    }
    let located: BTreeMap<&Key, (&envc::load::Located, &Value)> =
        places.iter().map(|(k, l, v)| (k, (l, v))).collect();
    let groups: BTreeSet<BTreeSet<Key>> = claims
        .values()
        .flat_map(|c| c.groups.iter().cloned())
        .collect();
    let groups: Vec<BTreeSet<Key>> = groups.into_iter().collect();
    // All members at once: deleted; where the schema refuses that, each given another
    // value; else each renamed. The first that compiles is the observation.
    let observed = par(&groups, |g| {
        let members: Vec<Vec<Mutation>> = g
            .iter()
            .filter_map(|k| located.get(k).map(|(at, v)| mutations(inputs, k, at, v)))
            .collect();
        let mut last = None;
        for (what, pick) in [
            (
                "delete all",
                &(|m: &Mutation| m.what == "delete") as &dyn Fn(&Mutation) -> bool,
            ),
            ("change all", &|m: &Mutation| m.what.starts_with("value")),
            ("rename all", &|m: &Mutation| m.what.starts_with("rename")),
        ] {
            let edits: Vec<&Edit> = members
                .iter()
                .filter_map(|ms| ms.iter().find(|m| pick(m)))
                .flat_map(|m| m.edits.iter())
                .collect();
            if edits.is_empty() {
                continue;
            }
            let o = observe(inputs, before, what.into(), &edits);
            if o.changed.is_some() {
                return o;
            }
            last = Some(o);
        }
        last.unwrap_or(Observed {
            what: "none".into(),
            changed: None,
        })
    });
    Observations {
        by_place,
        groups: groups.into_iter().zip(observed).collect(),
    }
}

fn verify(claims: &BTreeMap<Line, Claim>, obs: &Observations, blocks: &Blocks) -> Report {
    let mut r = Report {
        lines: claims.len(),
        places: obs.by_place.len(),
        ..Report::default()
    };
    for list in obs.by_place.values() {
        for o in list {
            match &o.changed {
                Some(c) => {
                    r.valid += 1;
                    r.moved += c.moved;
                }
                None => r.invalid += 1,
            }
        }
    }
    let show = |k: &Key| format!("{}#{}", k.0, k.1);
    // Which lines each place's mutations may change, and which they must change.
    let mut may: BTreeMap<&Key, BTreeMap<&Line, &str>> = BTreeMap::new();
    let mut must: BTreeMap<&Key, BTreeMap<&Line, &str>> = BTreeMap::new();
    let mut testable: BTreeSet<&Key> = BTreeSet::new();
    for (k, list) in &obs.by_place {
        for o in list {
            if let Some(c) = &o.changed {
                testable.insert(k);
                for line in &c.may {
                    may.entry(k).or_default().entry(line).or_insert(&o.what);
                }
                for line in &c.must {
                    must.entry(k).or_default().entry(line).or_insert(&o.what);
                }
            }
        }
    }
    for (line, claim) in claims {
        if claim.stems {
            r.stems += 1;
        }
        for k in &claim.singles {
            r.cited += 1;
            if !testable.contains(k) {
                r.unverifiable.push(format!(
                    "{}:{} cites {}: no mutation of it compiles",
                    line.0,
                    line.1,
                    show(k)
                ));
            } else if !may.get(k).is_some_and(|m| {
                // A value must change the line; a condition may change its block
                // instead (a read statement that became a write statement keeps its
                // `{`, `Effect` and `},` lines, all decided by `access`).
                m.contains_key(line)
                    || (claim.conditions.contains(k)
                        && blocks[&line.0][line.1 - 1]
                            .clone()
                            .any(|n| m.contains_key(&(line.0.clone(), n))))
            }) {
                let tried: Vec<&str> = obs.by_place[k]
                    .iter()
                    .filter(|o| o.changed.is_some())
                    .map(|o| o.what.as_str())
                    .collect();
                r.cited_failed.push(format!(
                    "{}:{} cites {} but no change of it changes the line (tried: {})",
                    line.0,
                    line.1,
                    show(k),
                    tried.join("; ")
                ));
            }
        }
        for g in &claim.groups {
            r.group_checks += 1;
            let o = &obs.groups[g];
            let block = blocks[&line.0][line.1 - 1].clone();
            if !o.changed.as_ref().is_some_and(|c| {
                c.may.contains(line) || block.clone().any(|n| c.may.contains(&(line.0.clone(), n)))
            }) {
                r.group_failed.push(format!(
                    "{}:{} cites {} together but deleting them all {}",
                    line.0,
                    line.1,
                    g.iter().map(show).collect::<Vec<_>>().join(", "),
                    if o.changed.is_none() {
                        "does not compile"
                    } else {
                        "leaves it unchanged"
                    }
                ));
            }
        }
    }
    for k in &testable {
        let hits = must.get(k);
        for (line, claim) in claims {
            if claim.covered.contains(*k) {
                continue;
            }
            r.uncited += 1;
            if let Some(what) = hits.and_then(|m| m.get(line)) {
                r.uncited_failed.push(format!(
                    "{}:{} changes when {} is mutated ({what}), but explain does not cite it",
                    line.0,
                    line.1,
                    show(k)
                ));
            }
        }
    }
    r
}

fn summary(r: &Report) -> String {
    format!(
        "{} generated lines, {} input places, {} mutations ({} compile, {} refused by the schema); \
         {} cited checks ({} failed, {} unverifiable), {} group checks ({} failed), \
         {} uncited checks ({} failed); {} lines only moved; {} lines rest on an environment's file name (not mutated)",
        r.lines,
        r.places,
        r.valid + r.invalid,
        r.valid,
        r.invalid,
        r.cited,
        r.cited_failed.len(),
        r.unverifiable.len(),
        r.group_checks,
        r.group_failed.len(),
        r.uncited,
        r.uncited_failed.len(),
        r.moved,
        r.stems
    )
}

fn failures(r: &Report) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    all.extend(r.cited_failed.iter().cloned());
    all.extend(r.unverifiable.iter().cloned());
    all.extend(r.group_failed.iter().cloned());
    all.extend(r.uncited_failed.iter().cloned());
    all
}

/// Budget: the whole check runs in about half a minute on two cores; fail loudly if it
/// takes far longer (a runaway mutation set), rather than eat the CI's time.
const BUDGET_SECONDS: u64 = 600;

#[test]
fn explain_is_true_over_every_generated_line_of_the_example() {
    let started = Instant::now();
    let inputs = example();
    let traced = envc::explain::trace(&inputs, envc::Checks::All)
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let claims = claims(&traced);
    let obs = observe_all(&inputs, &traced, &claims);
    let blocks = blocks(&traced.compiled.files);
    let report = verify(&claims, &obs, &blocks);
    let elapsed = started.elapsed();
    eprintln!("provenance: {} in {:.1?}", summary(&report), elapsed);
    let fails = failures(&report);
    let shown: Vec<&String> = fails.iter().take(100000).collect();
    assert!(
        fails.is_empty(),
        "{} provenance failures ({}):\n{}",
        fails.len(),
        summary(&report),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        report.uncited > 500_000 && report.cited > 3_000,
        "the check checked too little: {}",
        summary(&report)
    );
    assert!(
        elapsed.as_secs() < BUDGET_SECONDS,
        "the provenance check took {elapsed:.0?}, over its budget of {BUDGET_SECONDS}s"
    );
    // The same observations against provenance broken on purpose.
    the_checker_catches_broken_provenance(&claims, &obs, &blocks);
}

/// A cite dropped from a line, and a cite added to a line, each make the check fail.
fn the_checker_catches_broken_provenance(
    claims: &BTreeMap<Line, Claim>,
    obs: &Observations,
    blocks: &Blocks,
) {
    let line: Line = ("environments/prod/terraform.tfvars".into(), 5);
    let region: Key = ("environments/prod.kdl".into(), "/region".into());
    assert!(
        claims[&line].singles.contains(&region),
        "the prod region line cites `region`"
    );

    let mut dropped = claims.clone();
    let c = dropped.get_mut(&line).unwrap();
    c.singles.remove(&region);
    c.covered = cover(c);
    let r = verify(&dropped, obs, blocks);
    assert!(
        r.uncited_failed
            .iter()
            .any(|f| f.starts_with("environments/prod/terraform.tfvars:5 ")
                && f.contains("#/region")),
        "dropping a cite went unnoticed: {}",
        summary(&r)
    );

    let mut added = claims.clone();
    let c = added.get_mut(&line).unwrap();
    let tier: Key = ("environments/prod.kdl".into(), "/tier".into());
    c.singles.insert(tier);
    c.covered = cover(c);
    let r = verify(&added, obs, blocks);
    assert!(
        r.cited_failed.iter().any(|f| f.starts_with("environments/prod/terraform.tfvars:5 ") && f.contains("#/tier")),
        "adding a cite went unnoticed: {}",
        summary(&r)
    );
}

/// Every value of the resolved model has an origin: a new model field that is neither
/// written in an input under its own name nor covered by a rule in `src/origin.rs` fails
/// here, naming the field.
#[test]
fn every_model_value_has_an_origin() {
    let traced = envc::explain::trace(&example(), envc::Checks::All)
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    assert_eq!(traced.unexplained(), Vec::<String>::new());
}
