//! Hostile and broken input (issue 5): every case either compiles or is
//! rejected with exit 1 and an error at a place — never a panic, a crash or
//! unbounded memory. Each runs the real binary, so a stack overflow or abort
//! shows up as a signal, not as a test-harness panic.

use std::fs;
use std::path::Path;

mod common;
use common::*;

/// Run `validate` and `build`; return (status, stderr) of the build.
fn run(p: &Path) -> (Option<i32>, String) {
    let tree = p.join("terraform");
    let before = tree.exists().then(|| read_tree(&tree));
    let v = envc(p, &["validate"]);
    let b = envc(p, &["build"]);
    let err = String::from_utf8_lossy(&b.stderr).into_owned();
    assert_eq!(
        v.status.code(),
        b.status.code(),
        "validate and build disagree: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic:\n{err}"
    );
    assert!(
        b.status.code().is_some(),
        "killed by a signal (crash):\n{err}"
    );
    if b.status.code() == Some(1) {
        let first = err.lines().next().unwrap_or_default();
        let place = first.split(": error: ").next().unwrap_or_default();
        assert!(
            place.rsplitn(3, ':').count() == 3 && first.contains(": error: "),
            "error without a place: {first}"
        );
        assert_eq!(
            tree.exists().then(|| read_tree(&tree)),
            before,
            "a failed build changed the tree"
        );
    }
    (b.status.code(), err)
}

fn with_dev(bytes: &[u8]) -> (tempfile::TempDir, Option<i32>, String) {
    let p = example_project();
    fs::write(p.path().join("environments/dev.kdl"), bytes).unwrap();
    let (code, err) = run(p.path());
    (p, code, err)
}

/// The `flags` map of the dev root's terraform.tfvars (parameters.tf makes one SSM parameter per entry).
fn flags(p: &Path) -> Vec<(String, hcl::Expression)> {
    let tfvars = fs::read_to_string(p.join("terraform/environments/dev/terraform.tfvars")).unwrap();
    let body: hcl::Body = hcl::from_str(&tfvars).unwrap();
    match body
        .attributes()
        .find(|a| a.key.as_str() == "flags")
        .map(|a| a.expr.clone())
    {
        Some(hcl::Expression::Object(o)) => {
            o.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
        }
        other => panic!("flags is not an object: {other:?}"),
    }
}

fn flag_count(p: &Path) -> usize {
    flags(p).len()
}

const DEV: &str =
    "extends \"_base\"\ntier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\n";

#[test]
fn deep_nesting_is_refused_at_its_place() {
    let mut s = String::from(DEV);
    s.push_str(&"tags {\n".repeat(20_000));
    s.push_str(&"}\n".repeat(20_000));
    let (_p, code, err) = with_dev(s.as_bytes());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("nest"), "{err}");
    // The same in a JSON environment file.
    let p = example_project();
    fs::remove_file(p.path().join("environments/dev.kdl")).unwrap();
    let json = format!(
        "{{\"tier\": \"DEV\", \"tags\": {}1{}}}",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    fs::write(p.path().join("environments/dev.json"), json).unwrap();
    assert_eq!(run(p.path()).0, Some(1));
}

#[test]
fn a_50_mb_file_is_refused_quickly() {
    let mut s = String::from(DEV);
    s.push_str("flags {\n");
    let line = format!("    f{{}} \"{}\"\n", "x".repeat(1000));
    let mut i = 0;
    while s.len() < 50 * 1024 * 1024 {
        s.push_str(&line.replace("{}", &i.to_string()));
        i += 1;
    }
    s.push_str("}\n");
    let started = std::time::Instant::now();
    let (_p, code, err) = with_dev(s.as_bytes());
    assert_eq!(code, Some(1), "{}", &err[..err.len().min(2000)]);
    assert!(
        err.starts_with("environments/dev.kdl:1:1: error: file is 52"),
        "{err}"
    );
    assert!(err.contains("at most 16 MiB"), "{err}");
    assert!(
        started.elapsed().as_secs() < 30,
        "refusing took {:?}",
        started.elapsed()
    );
}

#[test]
fn invalid_utf8_nul_bom_and_crlf() {
    let (_p, code, err) = with_dev(b"tier \"DEV\"\nregion \"eu-\xff-1\"\n");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("environments/dev.kdl:2:12: error: file is not valid UTF-8"),
        "{err}"
    );
    let (_p, code, _) = with_dev(format!("{DEV}pitr #true\0\n").as_bytes());
    assert_eq!(code, Some(1));
    let (_p, code, err) = with_dev(format!("\u{feff}{DEV}").as_bytes());
    assert_eq!(code, Some(0), "a BOM is allowed: {err}");
    let (p, code, err) = with_dev(DEV.replace('\n', "\r\n").as_bytes());
    assert_eq!(code, Some(0), "CRLF is allowed: {err}");
    // CRLF input: errors still point at the right line and column.
    fs::write(p.path().join("environments/dev.kdl"), "extends \"_base\"\r\ntier \"DEV\"\r\nregion \"eu-wset-1\"\r\naccount-id \"111111111111\"\r\n").unwrap();
    let (code, err) = run(p.path());
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("environments/dev.kdl:3:8: error: unknown AWS region"),
        "{err}"
    );
}

#[test]
fn long_strings_and_thousands_of_keys() {
    let long = "y".repeat(1 << 20);
    let (_p, code, err) = with_dev(format!("{DEV}tags {{\n    big \"{long}\"\n}}\n").as_bytes());
    assert_eq!(code, Some(1), "a 1 MB tag value breaks AWS's limit");
    assert!(
        err.contains("invalid value of tag `big`"),
        "{}",
        &err[..err.len().min(500)]
    );
    let mut s = String::from(DEV);
    s.push_str("flags {\n");
    for i in 0..5000 {
        s.push_str(&format!("    flag-{i} {i}\n"));
    }
    s.push_str("}\n");
    let (p, code, err) = with_dev(s.as_bytes());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(flag_count(p.path()), 5000);
}

#[test]
fn an_extends_chain_of_1000_files() {
    let p = example_project();
    let envs = p.path().join("environments");
    fs::write(
        envs.join("_c0.kdl"),
        "tier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\n",
    )
    .unwrap();
    for i in 1..1000 {
        fs::write(
            envs.join(format!("_c{i}.kdl")),
            format!("extends \"_c{}\"\nflags {{\n    f{i} {i}\n}}\n", i - 1),
        )
        .unwrap();
    }
    fs::write(envs.join("dev.kdl"), "extends \"_c999\"\n").unwrap();
    let (code, err) = run(p.path());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(flag_count(p.path()), 999);
    // Close the chain into a cycle: an error naming it, at a place.
    fs::write(envs.join("_c0.kdl"), "extends \"_c999\"\n").unwrap();
    let (code, err) = run(p.path());
    assert_eq!(code, Some(1));
    assert!(
        err.contains("forms a cycle"),
        "{}",
        &err[..err.len().min(500)]
    );
}

#[test]
fn strings_that_look_like_hcl_never_change_its_structure() {
    let nasty = r#"a\"b ${var.x} %{ if true } }\n\" = evil"#;
    let s = format!(
        "{DEV}flags {{\n    nasty \"{}\"\n}}\nalert-emails \"x@example.com\"\n",
        nasty.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let (p, code, err) = with_dev(s.as_bytes());
    assert_eq!(code, Some(0), "{err}");
    let value = flags(p.path())
        .into_iter()
        .find(|(k, _)| k == "nasty")
        .map(|(_, v)| v)
        .expect("flag nasty has a value");
    // hcl-rs reads `$${` back as `${`, as Terraform does.
    assert_eq!(value, hcl::Expression::String(nasty.to_string()));
}

#[test]
fn environment_names_cannot_become_paths_outside_the_tree() {
    for stem in ["..", ".", "a b", "x\u{1}y", "-dev", "DEV"] {
        let p = example_project();
        fs::write(p.path().join(format!("environments/{stem}.kdl")), DEV).unwrap();
        let (code, err) = run(p.path());
        assert_eq!(code, Some(1), "{stem:?}: {err}");
        assert!(err.contains("invalid environment name"), "{stem:?}: {err}");
        assert!(!p.path().join("terraform").exists());
    }
}
