//! Docs: the facts the generated documentation states, read from the generated tree.
//!
//! Takes the rendered Terraform files of one build and returns, for each module README,
//! each environment overview and the index, a JSON value of facts that the `README.md`
//! templates print, with the origin of each fact: the generated lines it was read from
//! ([`Cite::Generated`]), whose own origins `envc explain` follows back to the inputs.
//!
//! Nothing here is a table kept by hand. Resources are the `resource` blocks of the
//! rendered root and of the modules it calls; their `count` and `for_each` are
//! evaluated (with `hcl-rs`) from the values the root's `terraform.tfvars` sets, passed
//! through the module calls of its `main.tf` and the modules' `locals`. So the counts
//! change when a template does, and `tests/docs.rs` compares them with what
//! `terraform plan` creates. Inputs and outputs come from the rendered `variables.tf`
//! and `outputs.tf`, the wiring between modules from the root's module calls.
//!
//! It deliberately understands only the HCL the templates write (canonical layout, one
//! attribute per line): it is not a Terraform evaluator. A `count` it cannot evaluate
//! is an error, which a test run of every example root would show.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::origin::{Cite, Origins};

/// A generated line: path relative to the output directory and 1-based number.
pub type Line = (String, usize);

/// One top-level block or attribute of a generated file, by lines.
#[derive(Clone, Debug)]
struct Item {
    /// `resource "aws_kms_key" "main"` → `["resource", "aws_kms_key", "main"]`; an
    /// attribute → `[name]`.
    header: Vec<String>,
    /// 1-based first and last line.
    start: usize,
    end: usize,
    /// For a block, its attributes at depth one: name → (first line, last line, source).
    attrs: Vec<(String, usize, usize, String)>,
}

/// The top-level blocks and attributes of a canonical HCL file.
fn items(text: &str) -> Vec<Item> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("//") || line.starts_with(' ') {
            i += 1;
            continue;
        }
        let end = closing(&lines, i);
        if let Some((name, _)) = t
            .split_once('=')
            .filter(|(n, _)| !n.contains('"') && !n.trim().contains(' '))
        {
            out.push(Item {
                header: vec![name.trim().to_string()],
                start: i + 1,
                end: end + 1,
                attrs: Vec::new(),
            });
        } else {
            let header: Vec<String> = t
                .trim_end_matches('{')
                .split_whitespace()
                .map(|w| w.trim_matches('"').to_string())
                .collect();
            let mut attrs = Vec::new();
            let mut j = i + 1;
            while j < end {
                let l = lines[j];
                let indent = l.len() - l.trim_start().len();
                let lt = l.trim();
                if indent == 2
                    && let Some((name, _)) = lt.split_once('=').filter(|(n, _)| {
                        let n = n.trim();
                        !n.is_empty()
                            && n.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    })
                {
                    let e = closing(&lines, j);
                    attrs.push((
                        name.trim().to_string(),
                        j + 1,
                        e + 1,
                        lines[j..=e].join("\n"),
                    ));
                    j = e + 1;
                    continue;
                }
                if indent == 2 && lt.ends_with('{') {
                    // A nested block: skip it whole.
                    j = closing(&lines, j) + 1;
                    continue;
                }
                j += 1;
            }
            out.push(Item {
                header,
                start: i + 1,
                end: end + 1,
                attrs,
            });
        }
        i = end + 1;
    }
    out
}

/// The 0-based line where the brackets opened on line `i` close (`i` if they do there).
fn closing(lines: &[&str], i: usize) -> usize {
    let mut depth = 0i32;
    for (k, line) in lines.iter().enumerate().skip(i) {
        let mut quote = false;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quote => escaped = true,
                '"' => quote = !quote,
                '#' if !quote => break,
                '{' | '[' | '(' if !quote => depth += 1,
                '}' | ']' | ')' if !quote => depth -= 1,
                _ => {}
            }
        }
        if depth <= 0 {
            return k;
        }
    }
    lines.len().saturating_sub(1)
}

/// The value of an attribute's source (`name = expr`), evaluated with `vars` and `locals`.
fn evaluate(source: &str, ctx: &Scope) -> Result<hcl::Value, String> {
    evaluate_with(source, ctx, &hcl::Map::new())
}

/// [`evaluate`], where `resources` holds the literal attributes of the resource
/// blocks beside the expression (`aws_kms_key` → `main` → `multi_region`), which
/// Terraform knows before apply.
fn evaluate_with(
    source: &str,
    ctx: &Scope,
    resources: &hcl::Map<String, hcl::Value>,
) -> Result<hcl::Value, String> {
    if let Some(v) = simple(source, ctx) {
        return v;
    }
    // Known only after apply (another module's output, a resource's attribute), or a
    // document: not worth the parser.
    let expr = source.split_once('=').map_or(source, |(_, e)| e);
    if expr.contains("module.")
        || expr.contains("jsonencode(")
        || (expr.trim_start().starts_with("aws_")
            && !resources
                .keys()
                .any(|ty| expr.trim_start().starts_with(ty.as_str())))
    {
        return Err("not known before apply".into());
    }
    let body: hcl::Body = hcl::parse(source).map_err(|e| e.to_string())?;
    let attr = body.attributes().next().ok_or("no attribute")?;
    let mut c = hcl::eval::Context::new();
    c.declare_var(
        "var",
        hcl::Value::Object(
            ctx.vars
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
        ),
    );
    c.declare_var(
        "local",
        hcl::Value::Object(
            ctx.locals
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
        ),
    );
    for (ty, blocks) in resources {
        c.declare_var(ty.as_str(), blocks.clone());
    }
    c.declare_func(
        "toset",
        hcl::eval::FuncDef::builder()
            .param(hcl::eval::ParamType::Any)
            .build(|args| Ok(args[0].clone())),
    );
    c.declare_func(
        "coalesce",
        hcl::eval::FuncDef::builder()
            .variadic_param(hcl::eval::ParamType::Any)
            .build(|args| {
                args.iter()
                    .find(|v| !v.is_null())
                    .cloned()
                    .ok_or_else(|| "no non-null argument".to_string())
            }),
    );
    c.declare_func(
        "lookup",
        hcl::eval::FuncDef::builder()
            .params([
                hcl::eval::ParamType::Any,
                hcl::eval::ParamType::String,
                hcl::eval::ParamType::Any,
            ])
            .build(|args| match (&args[0], &args[1]) {
                (hcl::Value::Object(map), hcl::Value::String(key)) => {
                    Ok(map.get(key).cloned().unwrap_or_else(|| args[2].clone()))
                }
                (hcl::Value::Null, _) => Ok(args[2].clone()),
                _ => Err("lookup takes a map and a key".to_string()),
            }),
    );
    c.declare_func(
        "contains",
        hcl::eval::FuncDef::builder()
            .params([hcl::eval::ParamType::Any, hcl::eval::ParamType::Any])
            .build(|args| match &args[0] {
                hcl::Value::Array(items) => Ok(hcl::Value::Bool(items.contains(&args[1]))),
                _ => Err("contains takes a list".to_string()),
            }),
    );
    hcl::eval::Evaluate::evaluate(attr.expr(), &c).map_err(|e| e.to_string())
}

/// Most values the templates write are a literal or a plain `var.x` / `local.y`: those
/// are read without the HCL parser (a thousand environments make it count).
fn simple(source: &str, ctx: &Scope) -> Option<Result<hcl::Value, String>> {
    let (_, expr) = source.split_once('=')?;
    let expr = expr.trim();
    if expr.contains('\n') {
        return None;
    }
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let known = |map: &BTreeMap<String, (hcl::Value, BTreeSet<Line>)>, name: &str| {
        Some(
            map.get(name)
                .map(|(v, _)| v.clone())
                .ok_or_else(|| format!("unknown `{name}`")),
        )
    };
    match expr {
        "true" => Some(Ok(hcl::Value::Bool(true))),
        "false" => Some(Ok(hcl::Value::Bool(false))),
        "null" => Some(Ok(hcl::Value::Null)),
        _ if expr.parse::<i64>().is_ok() => Some(Ok(hcl::Value::from(expr.parse::<i64>().ok()?))),
        _ if expr.len() >= 2
            && expr.starts_with('"')
            && expr.ends_with('"')
            && !expr[1..expr.len() - 1].contains(['"', '\\', '$', '%']) =>
        {
            Some(Ok(hcl::Value::String(expr[1..expr.len() - 1].to_string())))
        }
        _ => match expr.split_once('.') {
            Some(("var", name)) if ident(name) => known(&ctx.vars, name),
            Some(("local", name)) if ident(name) => known(&ctx.locals, name),
            _ => None,
        },
    }
}

/// The `var.x` and `local.y` an expression's source names.
fn references(source: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (kind, prefix) in [("var", "var."), ("local", "local.")] {
        let mut rest = source;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            let after = &rest[i + prefix.len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && !name.is_empty()
            {
                out.push((kind, name));
            }
            rest = after;
        }
    }
    out
}

/// Known values in one module (or the root): each with the generated lines it rests on.
#[derive(Default)]
struct Scope {
    vars: BTreeMap<String, (hcl::Value, BTreeSet<Line>)>,
    locals: BTreeMap<String, (hcl::Value, BTreeSet<Line>)>,
    /// Of the variables that are maps written in `terraform.tfvars`, the lines of each
    /// element and attribute (when tracking).
    parts: BTreeMap<String, Parts>,
    /// Whether to keep the lines (only `explain` reads them: a build need not pay).
    track: bool,
}

/// The lines of a map that `terraform.tfvars` writes one element per `"key" = …` line
/// (`functions`, `object_lock`): an expression that reads only part of each element
/// rests only on those lines.
#[derive(Clone, Debug, Default)]
struct Parts {
    /// The map's own lines (`name = {`, its `}`) and the lines that passed it on.
    outer: BTreeSet<Line>,
    /// Per element key: its first line, and the lines of each of its attributes.
    elements: BTreeMap<String, (Line, BTreeMap<String, BTreeSet<Line>>)>,
}

impl Parts {
    /// The parts of the map written on `lines` (1-based `start..=end` of `file`).
    fn of(file: &str, lines: &[&str], start: usize, end: usize) -> Parts {
        let line = |n: usize| (file.to_string(), n);
        let key = |text: &str| {
            text.split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"').to_string())
        };
        let mut parts = Parts {
            outer: BTreeSet::from([line(start), line(end)]),
            elements: BTreeMap::new(),
        };
        let mut i = start; // 0-based index of the line after `start`
        while i + 1 < end {
            let text = lines[i];
            let indent = text.len() - text.trim_start().len();
            let last = closing(lines, i);
            if indent == 2
                && let Some(k) = key(text)
            {
                let mut attrs: BTreeMap<String, BTreeSet<Line>> = BTreeMap::new();
                let mut j = i + 1;
                while j < last {
                    let inner = lines[j];
                    let e = closing(lines, j);
                    if inner.len() - inner.trim_start().len() == 4
                        && let Some(a) = key(inner)
                    {
                        attrs
                            .entry(a)
                            .or_default()
                            .extend((j..=e).map(|n| line(n + 1)));
                    }
                    j = e + 1;
                }
                parts.elements.insert(k, (line(i + 1), attrs));
            }
            i = last + 1;
        }
        parts
    }

    /// The lines the reads of `var.<name>` in `source` rest on, when each one reads
    /// only part of the map: `lookup(var.m, "k", null) == null` (or `!=`) reads whether
    /// element `k` is null, on its first line; `for k, v in var.m : …` that uses `v`
    /// only as `v.attr` reads the keys and those attributes. `None` when a read is of
    /// another form: it rests on the whole map.
    fn read_by(&self, source: &str, name: &str) -> Option<BTreeSet<Line>> {
        let var = format!("var.{name}");
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let mut out = self.outer.clone();
        for (i, _) in source.match_indices(&var) {
            let (before, after) = (&source[..i], &source[i + var.len()..]);
            if after.starts_with(word) || before.ends_with(|c: char| word(c) || c == '.') {
                continue; // another name
            }
            if let Some(lines) = self.null_test(before, after) {
                out.extend(lines);
            } else if let Some(lines) = self.for_attrs(before, after, word) {
                out.extend(lines);
            } else {
                return None;
            }
        }
        Some(out)
    }

    fn null_test(&self, before: &str, after: &str) -> Option<Vec<Line>> {
        before.strip_suffix("lookup(")?;
        let rest = after.strip_prefix(", \"")?;
        let (key, rest) = rest.split_once('"')?;
        let test = rest.strip_prefix(", null)")?.trim_start();
        if !(test.starts_with("== null") || test.starts_with("!= null")) {
            return None;
        }
        Some(
            self.elements
                .get(key)
                .map(|(l, _)| l.clone())
                .into_iter()
                .collect(),
        )
    }

    fn for_attrs(
        &self,
        before: &str,
        after: &str,
        word: impl Fn(char) -> bool,
    ) -> Option<Vec<Line>> {
        let head = before.trim_end().strip_suffix(" in")?;
        let (_, names) = head.rsplit_once("for ")?;
        let value = names.rsplit(',').next()?.trim();
        if value.is_empty() || !value.chars().all(&word) {
            return None;
        }
        let mut attrs = BTreeSet::new();
        for (i, _) in after.match_indices(value) {
            let (pre, post) = (&after[..i], &after[i + value.len()..]);
            if pre.ends_with(|c: char| word(c) || c == '.') || post.starts_with(&word) {
                continue;
            }
            let attr: String = post
                .strip_prefix('.')?
                .chars()
                .take_while(|c| word(*c))
                .collect();
            if attr.is_empty() {
                return None;
            }
            attrs.insert(attr);
        }
        Some(
            self.elements
                .values()
                .flat_map(|(first, by)| {
                    let read = attrs.iter().filter_map(|a| by.get(a)).flatten();
                    std::iter::once(first).chain(read).cloned()
                })
                .collect(),
        )
    }
}

impl Scope {
    fn lines_of(&self, source: &str) -> BTreeSet<Line> {
        let mut out = BTreeSet::new();
        if !self.track {
            return out;
        }
        for (kind, name) in references(source) {
            if kind == "var"
                && let Some(lines) = self.parts.get(&name).and_then(|p| p.read_by(source, &name))
            {
                out.extend(lines);
                continue;
            }
            let map = if kind == "var" {
                &self.vars
            } else {
                &self.locals
            };
            if let Some((_, lines)) = map.get(&name) {
                out.extend(lines.iter().cloned());
            }
        }
        out
    }

    /// Evaluate the `locals` blocks of `files` (as far as they evaluate: several passes).
    fn add_locals(&mut self, files: &[(String, Vec<Item>)]) {
        let mut pending: Vec<(String, usize, String)> = files
            .iter()
            .flat_map(|(path, items)| {
                items
                    .iter()
                    .filter(|i| i.header.first().is_some_and(|h| h == "locals"))
                    .flat_map(move |i| {
                        i.attrs
                            .iter()
                            .map(move |(n, l, _, s)| (path.clone(), *l, format!("{n}|{s}")))
                    })
            })
            .collect();
        loop {
            let before = pending.len();
            pending.retain(|(path, line, packed)| {
                let (name, source) = packed.split_once('|').unwrap_or(("", ""));
                match evaluate(source.trim(), self) {
                    Ok(v) => {
                        let mut lines = self.lines_of(source);
                        if self.track {
                            lines.insert((path.clone(), *line));
                        }
                        self.locals.insert(name.to_string(), (v, lines));
                        false
                    }
                    Err(_) => true,
                }
            });
            if pending.len() == before {
                break;
            }
        }
    }
}

/// One resource block of a root or module, with how many instances it makes.
#[derive(Clone, Debug)]
pub struct Counted {
    /// `root` or the module's name (`dynamodb`).
    pub module: String,
    pub ty: String,
    pub name: String,
    pub file: String,
    pub count: usize,
    /// The generated lines the count rests on: the block's header, its `count` or
    /// `for_each`, and every line the values they read come from.
    pub lines: BTreeSet<Line>,
    /// `count = …` / `for_each = …` as written, when the block has one.
    pub condition: Option<String>,
    /// The block's first and last line in `file`.
    block: (usize, usize),
}

/// The parsed files of each module directory, parsed once for every environment.
pub struct ModuleDirs {
    dirs: BTreeMap<String, Vec<(String, Vec<Item>)>>,
    files: BTreeMap<String, String>,
    /// Per module: its variables' defaults.
    defaults: BTreeMap<String, Values>,
}

type Values = BTreeMap<String, (hcl::Value, BTreeSet<Line>)>;

/// The defaults of the `variable` blocks of a directory's files.
fn defaults(dir: &[(String, Vec<Item>)]) -> Values {
    let mut out = Values::new();
    for (path, items) in dir {
        for item in items {
            if item.header.first().is_some_and(|h| h == "variable")
                && let Some(name) = item.header.get(1)
                && let Some((_, line, _, source)) = item.attrs.iter().find(|a| a.0 == "default")
                && let Ok(v) = evaluate(source, &Scope::default())
            {
                out.insert(name.clone(), (v, BTreeSet::from([(path.clone(), *line)])));
            }
        }
    }
    out
}

/// Parse the files of `modules` once.
pub fn parse_modules(files: &BTreeMap<String, String>, modules: &[&str]) -> ModuleDirs {
    let dirs: BTreeMap<String, Vec<(String, Vec<Item>)>> = modules
        .iter()
        .map(|m| (m.to_string(), directory(files, &format!("modules/{m}"))))
        .collect();
    ModuleDirs {
        defaults: dirs.iter().map(|(m, d)| (m.clone(), defaults(d))).collect(),
        dirs,
        files: files
            .iter()
            .filter(|(p, _)| p.starts_with("modules/"))
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect(),
    }
}

/// The parsed files of one directory of the tree (`modules/iam/`, `environments/dev/`).
fn directory(files: &BTreeMap<String, String>, dir: &str) -> Vec<(String, Vec<Item>)> {
    let prefix = format!("{dir}/");
    files
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .filter(|(p, _)| {
            p.strip_prefix(dir)
                .and_then(|r| r.strip_prefix('/'))
                .is_some_and(|r| !r.contains('/') && (r.ends_with(".tf") || r.ends_with(".tfvars")))
        })
        .map(|(p, t)| (p.clone(), items(t)))
        .collect()
}

/// The attributes of the resource blocks in `dir` whose value is a literal, by type
/// and name: what a `count` may read of another resource before apply.
fn resource_literals(dir: &[(String, Vec<Item>)]) -> hcl::Map<String, hcl::Value> {
    let mut out: hcl::Map<String, hcl::Value> = hcl::Map::new();
    for item in dir.iter().flat_map(|(_, items)| items) {
        let [kind, ty, name] = item.header.as_slice() else {
            continue;
        };
        if kind != "resource" {
            continue;
        }
        let attrs: hcl::Map<String, hcl::Value> = item
            .attrs
            .iter()
            .filter_map(|(attr, _, _, source)| {
                Some((attr.clone(), simple(source, &Scope::default())?.ok()?))
            })
            .collect();
        let blocks = out
            .entry(ty.clone())
            .or_insert_with(|| hcl::Value::Object(hcl::Map::new()));
        if let hcl::Value::Object(blocks) = blocks {
            blocks.insert(name.clone(), hcl::Value::Object(attrs));
        }
    }
    out
}

fn resources_in(
    module: &str,
    dir: &[(String, Vec<Item>)],
    scope: &Scope,
) -> Result<Vec<Counted>, String> {
    let mut out = Vec::new();
    // Line 0 of `<file>#<type>` stands for what decided which blocks of the type the
    // file declares (a branch not taken leaves no line to cite).
    let declared =
        |ty: &str| -> Vec<Line> { dir.iter().map(|(p, _)| (format!("{p}#{ty}"), 0)).collect() };
    let literals = resource_literals(dir);
    for (path, items) in dir {
        for item in items
            .iter()
            .filter(|i| i.header.first().is_some_and(|h| h == "resource"))
        {
            let (Some(ty), Some(name)) = (item.header.get(1), item.header.get(2)) else {
                continue;
            };
            let mut lines = BTreeSet::new();
            if scope.track {
                lines.insert((path.clone(), item.start));
                lines.extend(declared(ty));
            }
            let mut count = 1;
            let mut condition = None;
            for (attr, line, _, source) in &item.attrs {
                if attr != "count" && attr != "for_each" {
                    continue;
                }
                let v = evaluate_with(source, scope, &literals).map_err(|e| {
                    format!("{path}:{line}: cannot evaluate `{}`: {e}", source.trim())
                })?;
                count = match (attr.as_str(), &v) {
                    ("count", hcl::Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
                    (_, hcl::Value::Array(a)) => a.len(),
                    (_, hcl::Value::Object(o)) => o.len(),
                    _ => return Err(format!("{path}:{line}: `{}` is not a count", source.trim())),
                };
                if scope.track {
                    lines.insert((path.clone(), *line));
                    lines.extend(scope.lines_of(source));
                }
                condition = Some(source.trim().to_string());
            }
            out.push(Counted {
                module: module.to_string(),
                ty: ty.clone(),
                name: name.clone(),
                file: path.clone(),
                count,
                lines,
                condition,
                block: (item.start, item.end),
            });
        }
    }
    Ok(out)
}

/// Every resource the root of `env` creates on an empty state, in its own files and in
/// the modules it calls, with the instances each block makes.
pub fn inventory(
    files: &BTreeMap<String, String>,
    modules: &ModuleDirs,
    env: &str,
    track: bool,
) -> Result<Vec<Counted>, String> {
    let root_dir = format!("environments/{env}");
    let root = directory(files, &root_dir);
    let mut scope = Scope {
        track,
        ..Scope::default()
    };
    // Variables: their defaults, then what terraform.tfvars sets.
    for (path, items) in &root {
        for item in items {
            if item.header.first().is_some_and(|h| h == "variable")
                && let Some(name) = item.header.get(1)
                && let Some((_, line, _, source)) = item.attrs.iter().find(|a| a.0 == "default")
                && let Ok(v) = evaluate(source, &Scope::default())
            {
                let lines = if track {
                    BTreeSet::from([(path.clone(), *line)])
                } else {
                    BTreeSet::new()
                };
                scope.vars.insert(name.clone(), (v, lines));
            }
        }
    }
    let tfvars = format!("{root_dir}/terraform.tfvars");
    if let Some((_, items)) = root.iter().find(|(p, _)| *p == tfvars) {
        let text = &files[&tfvars];
        let lines: Vec<&str> = text.lines().collect();
        for item in items {
            let source = lines[item.start - 1..item.end].join("\n");
            let v = evaluate(&source, &Scope::default())
                .map_err(|e| format!("{tfvars}:{}: {e}", item.start))?;
            let span = if track {
                (item.start..=item.end)
                    .map(|n| (tfvars.clone(), n))
                    .collect()
            } else {
                BTreeSet::new()
            };
            if track {
                let parts = Parts::of(&tfvars, &lines, item.start, item.end);
                scope.parts.insert(item.header[0].clone(), parts);
            }
            scope.vars.insert(item.header[0].clone(), (v, span));
        }
    }
    scope.add_locals(&root);
    let mut out = resources_in("root", &root, &scope)?;
    // The modules the root calls, with the values it passes them.
    for (path, items) in &root {
        for call in items
            .iter()
            .filter(|i| i.header.first().is_some_and(|h| h == "module"))
        {
            let Some(source) = call.attrs.iter().find(|a| a.0 == "source") else {
                continue;
            };
            let Some(module) = source
                .3
                .split('"')
                .nth(1)
                .and_then(|s| s.strip_prefix("../../modules/"))
            else {
                continue;
            };
            let Some(dir) = modules.dirs.get(module) else {
                continue;
            };
            let mut inner = Scope {
                vars: modules.defaults.get(module).cloned().unwrap_or_default(),
                track,
                ..Scope::default()
            };
            for (arg, line, _, source) in &call.attrs {
                // Values known before apply only: module outputs and resource attributes are not.
                if let Ok(v) = evaluate(source, &scope) {
                    let mut lines = scope.lines_of(source);
                    if track {
                        lines.insert((path.clone(), *line));
                        // A map passed on as it is keeps its parts.
                        let passed = source
                            .split_once('=')
                            .and_then(|(_, e)| e.trim().strip_prefix("var."));
                        if let Some(mut parts) = passed.and_then(|n| scope.parts.get(n)).cloned() {
                            parts.outer.insert((path.clone(), *line));
                            inner.parts.insert(arg.clone(), parts);
                        }
                    }
                    inner.vars.insert(arg.clone(), (v, lines));
                }
            }
            inner.add_locals(dir);
            let mut found = resources_in(module, dir, &inner)?;
            if track {
                let header = (path.clone(), call.start);
                found.iter_mut().for_each(|r| {
                    r.lines.insert(header.clone());
                });
            }
            out.extend(found);
        }
    }
    Ok(out)
}

/// A generated line as a cite; line 0 of `<file>#<type>`: the file's blocks of the type.
fn generated((file, line): &Line) -> Cite {
    match (line, file.split_once('#')) {
        (0, Some((file, ty))) => Cite::Declares {
            file: file.to_string(),
            ty: ty.to_string(),
        },
        _ => Cite::Generated {
            file: file.clone(),
            line: *line,
        },
    }
}

/// Facts of one module's README: what it creates (statically), inputs, outputs.
pub fn module_facts(modules: &ModuleDirs, module: &str, traced: bool) -> (Value, Origins) {
    let empty = Vec::new();
    let dir = modules.dirs.get(module).unwrap_or(&empty);
    let mut o = Origins::default();
    let cite = |lines: Vec<Line>| -> Vec<Cite> {
        lines
            .into_iter()
            .map(|(file, line)| Cite::Generated { file, line })
            .collect()
    };
    let mut resources = Vec::new();
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for (path, items) in dir {
        let file = path.rsplit('/').next().unwrap_or(path).to_string();
        for item in items {
            let attr = |name: &str| item.attrs.iter().find(|a| a.0 == name);
            let text_of = |name: &str| {
                attr(name)
                    .map(|(_, _, _, s)| s.split_once('=').map_or("", |(_, v)| v).trim().to_string())
            };
            let string_of = |name: &str| {
                attr(name)
                    .and_then(|(_, _, _, s)| evaluate(s, &Scope::default()).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let mut lines = vec![(path.clone(), item.start)];
            match item.header.first().map(String::as_str) {
                Some("resource") if item.header.len() == 3 => {
                    let cond = attr("count")
                        .or(attr("for_each"))
                        .map(|(_, l, _, s)| (*l, s.trim().to_string()));
                    if let Some((l, _)) = &cond {
                        lines.push((path.clone(), *l));
                    }
                    let i = resources.len();
                    resources.push(json!({
                        "type": item.header[1], "name": item.header[2], "file": file,
                        "created": cond.map(|(_, s)| s),
                    }));
                    if traced {
                        for f in ["", "/type", "/name", "/file", "/created"] {
                            o.set(format!("/resources/{i}{f}"), cite(lines.clone()));
                        }
                    }
                }
                Some("variable") if item.header.len() == 2 => {
                    for name in ["type", "default", "description"] {
                        if let Some((_, l, _, _)) = attr(name) {
                            lines.push((path.clone(), *l));
                        }
                    }
                    let i = inputs.len();
                    inputs.push(json!({
                        "name": item.header[1],
                        "type": text_of("type").unwrap_or_else(|| "any".into()),
                        "default": text_of("default"),
                        "description": string_of("description"),
                    }));
                    if traced {
                        for f in ["", "/name", "/type", "/default", "/description"] {
                            o.set(format!("/inputs/{i}{f}"), cite(lines.clone()));
                        }
                    }
                }
                Some("output") if item.header.len() == 2 => {
                    if let Some((_, l, _, _)) = attr("description") {
                        lines.push((path.clone(), *l));
                    }
                    let i = outputs.len();
                    outputs.push(
                        json!({"name": item.header[1], "description": string_of("description")}),
                    );
                    if traced {
                        for f in ["", "/name", "/description"] {
                            o.set(format!("/outputs/{i}{f}"), cite(lines.clone()));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    (
        json!({"module": module, "resources": resources, "inputs": inputs, "outputs": outputs}),
        o,
    )
}

/// The resources of one environment by module and type (`envc docs --format json`).
pub fn by_type(counted: &[Counted]) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for c in counted.iter().filter(|c| c.count > 0) {
        *out.entry(c.module.clone())
            .or_default()
            .entry(c.ty.clone())
            .or_default() += c.count;
    }
    out
}

/// Facts of an environment overview: the stack by module and type, the total, how the
/// module calls connect, what each key encrypts, the WAF's rules.
pub fn environment_facts(
    files: &BTreeMap<String, String>,
    parsed: &ModuleDirs,
    env: &str,
    modules: &[&str],
    traced: bool,
) -> Result<(Value, Origins), String> {
    let counted = inventory(files, parsed, env, traced)?;
    let text_of = |path: &str| files.get(path).or_else(|| parsed.files.get(path));
    let mut o = Origins::default();
    let cite = |lines: &BTreeSet<Line>| -> Vec<Cite> { lines.iter().map(generated).collect() };
    let set = |o: &mut Origins, path: String, lines: &BTreeSet<Line>| {
        if traced {
            o.set(path, cite(lines));
        }
    };
    // The stack: the root first, then the modules in the order of the tree.
    let mut order = vec!["root".to_string()];
    order.extend(modules.iter().map(|m| m.to_string()));
    let mut stack = Vec::new();
    let mut all_lines = BTreeSet::new();
    let mut total = 0;
    for m in &order {
        let mine: Vec<&Counted> = counted.iter().filter(|c| &c.module == m).collect();
        let mut types: BTreeMap<&str, (usize, BTreeSet<Line>)> = BTreeMap::new();
        let mut lines = BTreeSet::new();
        for c in &mine {
            let e = types.entry(&c.ty).or_default();
            e.0 += c.count;
            e.1.extend(c.lines.iter().cloned());
            lines.extend(c.lines.iter().cloned());
        }
        types.retain(|_, (n, _)| *n > 0);
        let n: usize = types.values().map(|(n, _)| n).sum();
        let i = stack.len();
        let list: Vec<Value> = types
            .iter()
            .map(|(t, (n, _))| json!({"type": t, "count": n}))
            .collect();
        for (j, (_, (_, l))) in types.iter().enumerate() {
            set(&mut o, format!("/stack/{i}/types/{j}"), l);
            set(&mut o, format!("/stack/{i}/types/{j}/type"), l);
            set(&mut o, format!("/stack/{i}/types/{j}/count"), l);
        }
        set(&mut o, format!("/stack/{i}"), &lines);
        set(&mut o, format!("/stack/{i}/module"), &lines);
        set(&mut o, format!("/stack/{i}/total"), &lines);
        set(&mut o, format!("/stack/{i}/types"), &lines);
        stack.push(json!({"module": m, "total": n, "types": list}));
        all_lines.extend(lines);
        total += n;
    }
    set(&mut o, "/total".into(), &all_lines);
    // How the module calls connect: an argument that is another module's output.
    let root_dir = format!("environments/{env}");
    let mut wiring = Vec::new();
    for (path, items) in directory(files, &root_dir) {
        for call in items
            .iter()
            .filter(|i| i.header.first().is_some_and(|h| h == "module"))
        {
            let to = call.header.get(1).cloned().unwrap_or_default();
            for (arg, line, _, source) in &call.attrs {
                let value = source.split_once('=').map_or("", |(_, v)| v).trim();
                if let Some(rest) = value.strip_prefix("module.")
                    && let Some((from, output)) = rest.split_once('.')
                {
                    let i = wiring.len();
                    wiring.push(json!({"from": from, "output": output, "to": to, "input": arg}));
                    let l = BTreeSet::from([(path.clone(), *line)]);
                    for f in ["", "/from", "/output", "/to", "/input"] {
                        set(&mut o, format!("/wiring/{i}{f}"), &l);
                    }
                }
            }
        }
    }
    // What each key encrypts: resources with an attribute naming it.
    let mut lines_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut keys = Vec::new();
    for (key, names) in [
        ("primary", &["var.kms_key_arn", "aws_kms_key.main.arn"][..]),
        (
            "replica",
            &[
                "var.replica_kms_key_arn",
                "aws_kms_replica_key.failover.arn",
            ][..],
        ),
    ] {
        let mut by: BTreeMap<&str, (usize, BTreeSet<Line>)> = BTreeMap::new();
        for c in counted.iter().filter(|c| c.count > 0) {
            // Lines that hand the key to the resource's encryption: `kms_key_id`,
            // `kms_master_key_id`, `kms_key_arn`, `key_id`, `replica_kms_key_id`.
            let lines = lines_of.entry(c.file.as_str()).or_insert_with(|| {
                text_of(&c.file)
                    .map_or("", String::as_str)
                    .lines()
                    .collect()
            });
            let uses: Vec<usize> = lines
                .iter()
                .enumerate()
                .skip(c.block.0 - 1)
                .take(c.block.1 + 1 - c.block.0)
                .filter(|(_, l)| {
                    let t = l.trim_start();
                    let attr = t.split(['=', ' ']).next().unwrap_or("");
                    (attr.starts_with("kms_") || attr == "key_id" || attr == "replica_kms_key_id")
                        && names.iter().any(|k| t.contains(k))
                })
                .map(|(i, _)| i + 1)
                .collect();
            if uses.is_empty() {
                continue;
            }
            let e = by.entry(&c.ty).or_default();
            e.0 += c.count;
            e.1.extend(c.lines.iter().cloned());
            e.1.extend(uses.into_iter().map(|l| (c.file.clone(), l)));
        }
        // A key that the root does not create encrypts nothing (a replica block with no
        // instance names it all the same).
        let created = |ty: &str| counted.iter().any(|c| c.ty == ty && c.count > 0);
        if by.is_empty() || (key == "replica" && !created("aws_kms_replica_key")) {
            continue;
        }
        if key == "replica" {
            for c in counted.iter().filter(|c| c.ty == "aws_kms_replica_key") {
                for (_, (_, l)) in by.iter_mut() {
                    l.extend(c.lines.iter().cloned());
                }
            }
        }
        let k = keys.len();
        let list: Vec<Value> = by
            .iter()
            .map(|(t, (n, _))| json!({"type": t, "count": n}))
            .collect();
        let mut all = BTreeSet::new();
        for (j, (_, (_, l))) in by.iter().enumerate() {
            set(&mut o, format!("/keys/{k}/encrypts/{j}"), l);
            set(&mut o, format!("/keys/{k}/encrypts/{j}/type"), l);
            set(&mut o, format!("/keys/{k}/encrypts/{j}/count"), l);
            all.extend(l.iter().cloned());
        }
        set(&mut o, format!("/keys/{k}"), &all);
        set(&mut o, format!("/keys/{k}/key"), &all);
        set(&mut o, format!("/keys/{k}/encrypts"), &all);
        keys.push(json!({"key": key, "encrypts": list}));
    }
    // The WAF's rules, as the api-gateway module writes them.
    let mut waf = Vec::new();
    if let Some(text) = text_of("modules/api-gateway/main.tf") {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if lines[i].trim() == "rule {" {
                let end = closing(&lines, i);
                let get = |key: &str| {
                    lines[i..=end].iter().enumerate().find_map(|(k, l)| {
                        let (n, v) = l.trim().split_once('=')?;
                        (n.trim() == key)
                            .then(|| (i + k + 1, v.trim().trim_matches('"').to_string()))
                    })
                };
                if let (Some((nl, name)), Some((pl, priority))) = (get("name"), get("priority")) {
                    let group = get("vendor_name").and_then(|(vl, _)| {
                        lines[vl..=end].iter().enumerate().find_map(|(k, l)| {
                            let k = k + vl - i;
                            let t = l.trim();
                            let (n, v) = t.split_once('=')?;
                            (n.trim() == "name")
                                .then(|| (i + k + 1, v.trim().trim_matches('"').to_string()))
                        })
                    });
                    let limit = get("limit");
                    let counted_only = lines[i..=end].iter().any(|l| l.contains("count {}"));
                    let mut l = BTreeSet::from([
                        ("modules/api-gateway/main.tf".to_string(), nl),
                        ("modules/api-gateway/main.tf".to_string(), pl),
                    ]);
                    if let Some((gl, _)) = &group {
                        l.insert(("modules/api-gateway/main.tf".to_string(), *gl));
                    }
                    if let Some((ll, _)) = &limit {
                        l.insert(("modules/api-gateway/main.tf".to_string(), *ll));
                    }
                    let w = waf.len();
                    waf.push(json!({
                        "name": name,
                        "priority": priority.parse::<u64>().unwrap_or(0),
                        "managed_group": group.map(|(_, g)| g),
                        "rate_limit": limit.map(|(_, v)| v.parse::<u64>().unwrap_or(0)),
                        "counts_hosting_providers": counted_only,
                    }));
                    for f in [
                        "",
                        "/name",
                        "/priority",
                        "/managed_group",
                        "/rate_limit",
                        "/counts_hosting_providers",
                    ] {
                        set(&mut o, format!("/waf/{w}{f}"), &l);
                    }
                }
                i = end + 1;
                continue;
            }
            i += 1;
        }
    }
    let types = by_type(&counted);
    // A block with no instance counts too: its `count` decides that.
    let mut per_type: BTreeMap<&str, BTreeSet<Line>> = BTreeMap::new();
    for c in &counted {
        per_type
            .entry(&c.ty)
            .or_default()
            .extend(c.lines.iter().cloned());
    }
    for (t, l) in &per_type {
        set(&mut o, format!("/resources/{t}"), l);
    }
    Ok((
        json!({
            "stack": stack,
            "total": total,
            "wiring": wiring,
            "keys": keys,
            "waf": waf,
            "resources": types.values().fold(BTreeMap::<String, usize>::new(), |mut acc, m| {
                for (t, n) in m { *acc.entry(t.clone()).or_default() += n; }
                acc
            }),
        }),
        o,
    ))
}

/// The inventory of every compiled environment, for machines (`envc docs --format json`):
/// per environment its place and the resources `terraform plan` creates on an empty
/// state, by type and by module.
pub fn report(compiled: &crate::Compiled) -> Result<Value, String> {
    let modules: Vec<&str> = crate::render::TEMPLATES
        .iter()
        .filter_map(|t| match t.scope {
            crate::render::Scope::Module(m) => Some(m),
            _ => None,
        })
        .filter(|m| crate::render::module_enabled(&compiled.project, m))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let parsed = parse_modules(&compiled.files, &modules);
    let mut envs = serde_json::Map::new();
    for env in &compiled.environments {
        let counted = inventory(&compiled.files, &parsed, &env.name, false)?;
        let by_module = by_type(&counted);
        let mut resources: BTreeMap<String, usize> = BTreeMap::new();
        for types in by_module.values() {
            for (t, n) in types {
                *resources.entry(t.clone()).or_default() += n;
            }
        }
        let total: usize = resources.values().sum();
        envs.insert(
            env.name.clone(),
            json!({
                "tier": env.tier,
                "region": env.region,
                "failover_region": env.failover_region,
                "account_id": env.account_id,
                "resources": resources,
                "total": total,
                "modules": by_module,
            }),
        );
    }
    Ok(json!({"version": 1, "project": compiled.project.name, "environments": envs}))
}

/// Facts of the index: one row per environment (its totals read from its overview's facts).
pub fn index_facts(
    totals: &[(&crate::model::Environment, Value, Vec<Cite>)],
    environments: Option<&BTreeMap<String, Origins>>,
) -> (Value, Origins) {
    let mut o = Origins::default();
    let mut rows = Vec::new();
    for (i, (env, total, total_cites)) in totals.iter().enumerate() {
        rows.push(json!({
            "name": env.name, "tier": env.tier, "region": env.region,
            "failover_region": env.failover_region, "account_id": env.account_id, "total": total,
        }));
        if let Some(origins) = environments.and_then(|m| m.get(&env.name)) {
            for (field, from) in [
                ("name", "/name"),
                ("tier", "/tier"),
                ("region", "/region"),
                ("failover_region", "/failover_region"),
                ("account_id", "/account_id"),
            ] {
                o.set(
                    format!("/environments/{i}/{field}"),
                    origins.get(from).to_vec(),
                );
            }
            o.set(format!("/environments/{i}"), origins.get("/name").to_vec());
            o.set(format!("/environments/{i}/total"), total_cites.clone());
        }
    }
    (json!({"environments": rows}), o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_references() {
        let text = "locals {\n  a = var.x ? 1 : 0\n  b = {\n    c = 1\n  }\n}\n\nresource \"t\" \"n\" {\n  count = local.a\n\n  name = \"x\"\n}\n";
        let got = items(text);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0]
                .attrs
                .iter()
                .map(|a| (a.0.as_str(), a.1, a.2))
                .collect::<Vec<_>>(),
            [("a", 2, 2), ("b", 3, 5)]
        );
        assert_eq!(got[1].header, ["resource", "t", "n"]);
        assert_eq!(got[1].attrs[0].0, "count");
        assert_eq!(
            references("count = var.x_y ? local.z : avar.q"),
            [("var", "x_y".to_string()), ("local", "z".to_string())]
        );
    }
}
