//! The fuzz seeds (`fuzz/seeds/`), the minimised corpus the fuzzers grew
//! from them (`fuzz/interesting/`, `cargo fuzz cmin`), and every input a fuzzer
//! ever crashed on (`fuzz/regressions/`), compiled as an environment file of the example
//! project: no panic, every error placed, and what compiles is canonical HCL.

use std::collections::BTreeMap;
use std::fs;

fn check(name: &str, data: &[u8]) {
    let mut files = BTreeMap::new();
    files.insert(
        "envc.kdl".to_string(),
        include_bytes!("../envc.kdl").to_vec(),
    );
    files.insert(
        "environments/_base.kdl".to_string(),
        include_bytes!("../environments/_base.kdl").to_vec(),
    );
    files.insert("environments/fuzz.kdl".to_string(), data.to_vec());
    let inputs = envc::Inputs::from_files(files);
    match envc::compile(&inputs, &[]) {
        Ok(c) => {
            for (path, text) in &c.files {
                if path.ends_with(".md") {
                    // The documentation: Markdown, owned like the rest.
                    assert!(envc::emit::is_generated(text.as_bytes()), "{name}: {path}");
                    continue;
                }
                assert_eq!(
                    envc::format::align(text),
                    *text,
                    "{name}: {path} is not canonical"
                );
                hcl::parse(text).unwrap_or_else(|e| panic!("{name}: {path} does not parse: {e}"));
            }
        }
        Err(f) => {
            assert!(
                !f.diagnostics.is_empty(),
                "{name}: failed without a diagnostic"
            );
            for d in &f.diagnostics {
                assert!(
                    d.span.is_some(),
                    "{name}: diagnostic without a place: {d:?}"
                );
            }
        }
    }
}

#[test]
fn fuzz_seeds_and_regressions() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in ["seeds", "interesting", "regressions"] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".keep") {
                continue;
            }
            check(&path.display().to_string(), &fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} inputs");
}
