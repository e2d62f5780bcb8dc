//! The generated documentation says what is true.
//!
//! - The resources an environment overview (and `envc docs --format json`) counts, per
//!   type, are what `terraform plan` creates for that root on an empty state (needs
//!   Terraform, like `tests/terraform.rs`; `ENVC_SKIP_TERRAFORM=1` opts out).
//! - Every overview's Mermaid diagram renders with Mermaid's own CLI (`mmdc`, npm
//!   `@mermaid-js/mermaid-cli`, with Debian's chromium; `./test.sh` installs both;
//!   `ENVC_SKIP_MERMAID=1` opts out), and a broken diagram does not.
//! - The diagram's solid edges are exactly the model's routes → functions and
//!   functions → tables and buckets (a diagram that renders but says something else fails).
//! - Projects without an API, tables or buckets get their READMEs too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::terraform::*;
use common::*;

fn build_example() -> tempfile::TempDir {
    let p = example_project();
    let out = envc(p.path(), &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    p
}

fn docs_json(project: &Path) -> Value {
    let out = envc(project, &["docs", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The `Resources` figure of an overview's summary.
fn readme_total(readme: &str) -> usize {
    readme
        .lines()
        .find_map(|l| {
            l.strip_prefix("| Resources | ")?
                .strip_suffix(" |")?
                .parse()
                .ok()
        })
        .expect("the summary states the resources")
}

#[test]
fn resource_counts_are_what_terraform_plans() {
    if !terraform_available() {
        return;
    }
    let started = std::time::Instant::now();
    let p = build_example();
    let docs = docs_json(p.path());
    let tree = p.path().join("terraform");
    for env in ["dev", "sit", "prod"] {
        let plan = validate_and_plan(&tree.join("environments").join(env));
        let mut planned: BTreeMap<String, u64> = BTreeMap::new();
        for r in planned_all(&plan) {
            *planned
                .entry(r["type"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        let counted: BTreeMap<String, u64> = docs["environments"][env]["resources"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(t, n)| (t.clone(), n.as_u64().unwrap()))
            .collect();
        assert_eq!(
            counted, planned,
            "{env}: the inventory differs from the plan"
        );
        let total: u64 = planned.values().sum();
        assert_eq!(docs["environments"][env]["total"], total, "{env}");
        let readme =
            fs::read_to_string(tree.join(format!("environments/{env}/README.md"))).unwrap();
        assert_eq!(
            readme_total(&readme) as u64,
            total,
            "{env}: the overview's total"
        );
        eprintln!(
            "docs: {env}: {total} resources counted = planned, {} types",
            planned.len()
        );
    }
    // Budget: three offline plans take about a minute and a half on two busy cores.
    assert!(
        started.elapsed().as_secs() < PLAN_BUDGET_SECONDS,
        "planning took {:.0?}, over the {PLAN_BUDGET_SECONDS}s budget",
        started.elapsed()
    );
}

/// The plan test's budget, generous for a loaded CI machine.
const PLAN_BUDGET_SECONDS: u64 = 900;

/// `mmdc` (on PATH, or where `./test.sh` installs it) and a chromium.
fn mermaid() -> Option<(PathBuf, PathBuf)> {
    let installed = repo().join("target/tools/mermaid/node_modules/.bin/mmdc");
    let mmdc = ["mmdc".into(), installed].into_iter().find(|m: &PathBuf| {
        Command::new(m)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let chromium = ["chromium", "chromium-browser"].into_iter().find_map(|c| {
        let out = Command::new("which").arg(c).output().ok()?;
        out.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    });
    let present = mmdc.is_some() && chromium.is_some();
    if !common::tools::require(
        "mermaid",
        present,
        "Install Mermaid's CLI (`PUPPETEER_SKIP_DOWNLOAD=1 npm install @mermaid-js/mermaid-cli`) and Debian's chromium (`apt-get install chromium`).",
    ) {
        return None;
    }
    Some((mmdc?, chromium?))
}

fn render(
    mmdc: &Path,
    chromium: &Path,
    diagram: &str,
    dir: &Path,
    name: &str,
) -> std::process::Output {
    let config = dir.join("puppeteer.json");
    fs::write(
        &config,
        serde_json::json!({"executablePath": chromium, "args": ["--no-sandbox", "--headless", "--disable-gpu"]}).to_string(),
    )
    .unwrap();
    let input = dir.join(format!("{name}.mmd"));
    fs::write(&input, diagram).unwrap();
    Command::new(mmdc)
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(dir.join(format!("{name}.svg")))
        .arg("-p")
        .arg(&config)
        .arg("-q")
        .output()
        .unwrap()
}

/// The text of the README's ```mermaid block.
fn diagram(readme: &str) -> String {
    let start = readme.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let end = start + readme[start..].find("```").expect("the block ends");
    readme[start..end].to_string()
}

#[test]
fn every_overview_diagram_renders() {
    let Some((mmdc, chromium)) = mermaid() else {
        return;
    };
    let p = build_example();
    let tmp = tempfile::tempdir().unwrap();
    for env in ["dev", "sit", "prod"] {
        let readme = fs::read_to_string(
            p.path()
                .join(format!("terraform/environments/{env}/README.md")),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let out = render(&mmdc, &chromium, &diagram(&readme), tmp.path(), env);
        assert!(
            out.status.success(),
            "{env}: the diagram does not render:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = fs::read_to_string(tmp.path().join(format!("{env}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("users-api"),
            "{env}: no diagram in the SVG"
        );
        eprintln!(
            "docs: {env}: the diagram renders ({} bytes of SVG, {:.1?})",
            svg.len(),
            started.elapsed()
        );
    }
    // The check can fail: a diagram Mermaid cannot parse does not render.
    let out = render(
        &mmdc,
        &chromium,
        "flowchart LR\n  a -->\n",
        tmp.path(),
        "broken",
    );
    assert!(!out.status.success(), "mmdc accepted a broken diagram");
}

/// The solid edges of a diagram, by node label: `(from, label, to)`.
fn edges(diagram: &str) -> BTreeSet<(String, String, String)> {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for line in diagram.lines().map(str::trim) {
        // `id["label"]`, `id(["label"])`, `id[("label")]`
        if let Some(open) = line.find(['[', '('])
            && !line.contains("-->")
            && !line.starts_with("subgraph")
        {
            let id = &line[..open];
            if let Some(q) = line.find('"') {
                let rest = &line[q + 1..];
                if let Some(e) = rest.find('"') {
                    labels.insert(id.to_string(), rest[..e].to_string());
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for line in diagram.lines().map(str::trim) {
        let Some((from, rest)) = line.split_once(" -->") else {
            continue;
        };
        let (label, to) = match rest.strip_prefix('|') {
            Some(r) => {
                let (l, t) = r.split_once('|').unwrap();
                (l.to_string(), t.trim())
            }
            None => (String::new(), rest.trim()),
        };
        let name = |id: &str| {
            labels
                .get(id)
                .cloned()
                .unwrap_or_else(|| panic!("no node `{id}`"))
        };
        out.insert((name(from), label, name(to)));
    }
    out
}

/// What the diagram must say: routes → functions, functions → tables and buckets.
fn model_edges(project: &envc::model::Project) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for r in project.api.iter().flat_map(|a| &a.routes) {
        out.insert((r.key.clone(), String::new(), r.function.clone()));
    }
    for f in &project.functions {
        for g in f.tables.iter().chain(&f.buckets) {
            let access = match (g.read, g.write) {
                (true, true) => "read, write",
                (true, false) => "read",
                _ => "write",
            };
            out.insert((f.name.clone(), access.to_string(), g.name.clone()));
        }
    }
    out
}

#[test]
fn diagram_edges_are_exactly_the_models() {
    let inputs = envc::Inputs::read_dir(repo()).unwrap();
    let compiled = envc::compile(&inputs, &[]).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let want = model_edges(&compiled.project);
    assert!(want.len() > 20, "the example has routes and grants");
    for env in ["dev", "sit", "prod"] {
        let readme = &compiled.files[&format!("environments/{env}/README.md")];
        assert_eq!(edges(&diagram(readme)), want, "{env}: the diagram's edges");
    }
    // The check can fail: a diagram with an edge dropped, or one added, differs.
    let readme = &compiled.files["environments/prod/README.md"];
    let d = diagram(readme);
    let dropped = d.replacen("  route_get_users --> fn_users_api\n", "", 1);
    assert_ne!(dropped, d);
    assert_ne!(edges(&dropped), want);
    let added = format!("{d}  fn_authorizer -->|write| table_users\n");
    assert_ne!(edges(&added), want);
}

#[test]
fn projects_without_optional_parts_get_their_readmes() {
    const DEV: &str = "tier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\n";
    for (name, project) in [
        ("empty", "project \"empty\"\n"),
        (
            "table-only",
            "project \"tiny\"\ntable \"items\" hash-key=\"id\" {\n    attribute \"id\" type=\"S\"\n}\n",
        ),
        (
            "public-api",
            "project \"hooks\"\nfunction \"receiver\" {\n    runtime \"python3.12\"\n    handler \"app.handler\"\n    bucket \"inbox\" access=\"write\"\n}\napi {\n    stage \"live\"\n    route \"POST /hooks/{proxy+}\" function=\"receiver\" auth=#false\n}\nbucket \"inbox\" {\n    warm-after-days 30\n    cold-after-days 60\n    archive-after-days 150\n    expire-after-days 400\n}\n",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("envc.kdl"), project).unwrap();
        fs::create_dir_all(tmp.path().join("environments")).unwrap();
        fs::write(tmp.path().join("environments/dev.kdl"), DEV).unwrap();
        let out = envc(tmp.path(), &["build"]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = read_tree(&tmp.path().join("terraform"));
        for readme in [
            "README.md",
            "environments/dev/README.md",
            "modules/cloudwatch/README.md",
        ] {
            let text = String::from_utf8_lossy(&tree[readme]).into_owned();
            assert!(
                text.starts_with("<!-- Code generated by envc. DO NOT EDIT. -->\n"),
                "{name}: {readme}"
            );
        }
        // Every module generated has its README, and only those.
        let modules: BTreeSet<&str> = tree
            .keys()
            .filter_map(|p| p.strip_prefix("modules/")?.split('/').next())
            .collect();
        for m in modules {
            assert!(
                tree.contains_key(&format!("modules/{m}/README.md")),
                "{name}: {m}"
            );
        }
        // And `explain` answers for them.
        let out = envc(
            tmp.path(),
            &["explain", "terraform/environments/dev/README.md:3"],
        );
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn module_readmes_list_the_variables_and_outputs_of_their_files() {
    let inputs = envc::Inputs::read_dir(repo()).unwrap();
    let compiled = envc::compile(&inputs, &[]).unwrap();
    for m in [
        "dynamodb",
        "iam",
        "lambda",
        "api-gateway",
        "cognito",
        "s3-audit",
        "cloudwatch",
        "account",
    ] {
        let readme = &compiled.files[&format!("modules/{m}/README.md")];
        for (file, kind) in [("variables.tf", "variable"), ("outputs.tf", "output")] {
            let body: hcl::Body =
                hcl::parse(&compiled.files[&format!("modules/{m}/{file}")]).unwrap();
            let names: Vec<String> = body
                .blocks()
                .filter(|b| b.identifier() == kind)
                .map(|b| b.labels()[0].as_str().to_string())
                .collect();
            assert!(!names.is_empty(), "{m}/{file}");
            for n in names {
                assert!(
                    readme.contains(&format!("| `{n}` |")),
                    "{m}: README lacks {kind} `{n}`"
                );
            }
        }
    }
}

/// The README's excerpt of an environment overview is the real thing: each of its table
/// rows is a line of the generated `terraform/environments/prod/README.md`.
#[test]
fn the_readme_quotes_a_real_overview() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let overview =
        fs::read_to_string(repo().join("terraform/environments/prod/README.md")).unwrap();
    let quoted: Vec<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("> |"))
        .map(|l| format!("|{l}").replace("](terraform/modules/", "](../../modules/"))
        .collect();
    assert!(quoted.len() > 10, "the README quotes an overview");
    for line in quoted {
        assert!(
            overview.lines().any(|o| o == line),
            "not in the prod overview: {line}"
        );
    }
}
