//! load → schema → model → rules on one environment file (KDL or JSON), against the example project.
#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let json = text.trim_start().starts_with('{');
    let path: Arc<str> = if json { "environments/fuzz.json".into() } else { "environments/fuzz.kdl".into() };
    let Ok(doc) = envc::load::parse_document(&path, text) else { return };
    let mut docs = BTreeMap::new();
    docs.insert("fuzz".to_string(), doc);
    let Ok(doc) = envc::load::resolve_extends("fuzz", &docs) else { return };
    let Ok(file) = envc::schema::check::<envc::schema::EnvironmentFile>(envc::schema::Kind::Environment, &doc) else { return };
    let project_path: Arc<str> = "envc.kdl".into();
    let project_doc = envc::load::parse_document(&project_path, include_str!("../../envc.kdl")).expect("example parses");
    let project_file = envc::schema::check::<envc::schema::ProjectFile>(envc::schema::Kind::Project, &project_doc).expect("example is valid");
    let project = envc::model::resolve_project(&project_file);
    let env = envc::model::resolve_environment(&project, "fuzz", &file);
    let _ = envc::rules::check_environment(&project, &project_doc, &env, &doc);
});
