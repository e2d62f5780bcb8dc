//! The whole compile (load → … → render) of the example project with one fuzzed environment file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut files = std::collections::BTreeMap::new();
    files.insert("envc.kdl".to_string(), include_bytes!("../../envc.kdl").to_vec());
    files.insert("environments/_base.kdl".to_string(), include_bytes!("../../environments/_base.kdl").to_vec());
    files.insert("environments/fuzz.kdl".to_string(), data.to_vec());
    let inputs = envc::Inputs::from_files(files);
    match envc::compile(&inputs, &[]) {
        Ok(c) => {
            // Whatever compiles renders canonical, parseable HCL.
            for (path, text) in &c.files {
                if path.ends_with(".md") {
                    // The documentation is Markdown, owned like the rest.
                    assert!(envc::emit::is_generated(text.as_bytes()), "{path}");
                    continue;
                }
                assert_eq!(envc::format::align(text), *text, "{path} is not canonical");
                if path.ends_with(".tf") || path.ends_with(".tfvars") {
                    hcl::parse(text).unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{text}"));
                }
            }
        }
        Err(f) => {
            // Every error has a place.
            for d in &f.diagnostics {
                assert!(d.span.is_some(), "diagnostic without a place: {d:?}");
            }
        }
    }
});
