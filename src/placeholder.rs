//! Placeholder: the tiny deployment package a function starts with.
//!
//! On a fresh account no package of a function exists yet, so the tree
//! uploads one itself (an `aws_s3_object` with `content_base64`) and creates
//! the function from it; the function's own pipeline then replaces the code
//! (the tree ignores code changes). This module builds that package: a zip
//! holding a handler that answers every invocation with HTTP 503 "not
//! deployed yet", for runtimes whose handler is a source file (Node.js,
//! Python, Ruby), and a note for the others (Java, .NET, custom runtimes),
//! whose invocations fail until the real code arrives.
//!
//! The zip is deterministic: stored (not compressed), fixed timestamps
//! (1980-01-01), fixed permissions and a fixed "made by" system.

use std::io::Write;

use base64::Engine;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

/// The runtime families a placeholder can answer in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Node,
    Python,
    Ruby,
    /// Java, .NET, custom runtimes: compiled code; the placeholder cannot run.
    Compiled,
}

/// The family of a Lambda runtime identifier (`python3.12` → Python).
pub fn family(runtime: &str) -> Family {
    if runtime.starts_with("nodejs") {
        Family::Node
    } else if runtime.starts_with("python") {
        Family::Python
    } else if runtime.starts_with("ruby") {
        Family::Ruby
    } else {
        Family::Compiled
    }
}

/// The source file and function a handler names, for the families that have
/// source handlers: `app.handler` → (`app`, `handler`), `src/api.main` →
/// (`src/api`, `main`), Python's `pkg.mod.handler` → (`pkg/mod`, `handler`).
/// `None` when the handler is not of that form ([`crate::rules`] reports it).
pub fn split_handler(family: Family, handler: &str) -> Option<(String, String)> {
    let (file, function) = handler.rsplit_once('.')?;
    let ident = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let path_ok = |s: &str, sep: char| !s.is_empty() && s.split(sep).all(ident);
    match family {
        Family::Python if path_ok(file, '.') && ident(function) => {
            Some((file.replace('.', "/"), function.to_string()))
        }
        Family::Node | Family::Ruby if path_ok(file, '/') && ident(function) => {
            Some((file.to_string(), function.to_string()))
        }
        _ => None,
    }
}

const BODY: &str = r#"{"message":"this function has not been deployed yet"}"#;

/// The placeholder package of a function, base64-encoded, and what is in it.
pub fn package(function: &str, runtime: &str, handler: &str) -> String {
    let fam = family(runtime);
    let note = format!(
        "Placeholder package of the {function} function, uploaded by the envc-generated Terraform tree \
         so that the function can be created before its code exists. The function's own pipeline \
         replaces it; the tree ignores code changes."
    );
    let (name, text) = match (fam, split_handler(fam, handler)) {
        (Family::Python, Some((file, func))) => (
            format!("{file}.py"),
            format!(
                "# {note}\nimport json\n\n\ndef {func}(event, context):\n    return {{\"statusCode\": 503, \"headers\": {{\"content-type\": \"application/json\"}}, \"body\": json.dumps({BODY})}}\n"
            ),
        ),
        (Family::Node, Some((file, func))) => (
            format!("{file}.js"),
            format!(
                "// {note}\nexports.{func} = async () => ({{ statusCode: 503, headers: {{ \"content-type\": \"application/json\" }}, body: JSON.stringify({BODY}) }});\n"
            ),
        ),
        (Family::Ruby, Some((file, func))) => (
            format!("{file}.rb"),
            format!(
                "# {note}\nrequire 'json'\n\ndef {func}(event:, context:)\n  {{ statusCode: 503, headers: {{ 'content-type' => 'application/json' }}, body: JSON.generate({BODY}) }}\nend\n"
            ),
        ),
        _ => ("PLACEHOLDER.txt".to_string(), format!("{note}\n")),
    };
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .system(System::Unix);
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // Writing to memory cannot fail; a failure would be a bug in the zip crate.
    zip.start_file(name, options)
        .and_then(|()| zip.write_all(text.as_bytes()).map_err(Into::into))
        .expect("zip in memory");
    let bytes = zip.finish().expect("zip in memory").into_inner();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use std::io::Read;

    fn unzip(b64: &str) -> Vec<(String, String)> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).unwrap();
                let mut s = String::new();
                f.read_to_string(&mut s).unwrap();
                (f.name().unwrap().to_string(), s)
            })
            .collect()
    }

    #[test]
    fn handlers_name_their_file() {
        for (rt, handler, file, func) in [
            ("python3.12", "app.handler", "app", "handler"),
            ("python3.12", "pkg.mod.main", "pkg/mod", "main"),
            ("nodejs22.x", "src/index.handler", "src/index", "handler"),
            ("ruby3.3", "function.handler", "function", "handler"),
        ] {
            assert_eq!(
                split_handler(family(rt), handler),
                Some((file.to_string(), func.to_string())),
                "{rt} {handler}"
            );
        }
        assert_eq!(split_handler(Family::Python, "nodot"), None);
        assert_eq!(split_handler(Family::Python, "a-b.handler"), None);
        assert_eq!(split_handler(Family::Node, "a.1x"), None);
        assert_eq!(split_handler(Family::Compiled, "A::B::C"), None);
    }

    #[test]
    fn packages_hold_a_runnable_handler_and_are_deterministic() {
        let p = package("users-api", "python3.12", "app.handler");
        assert_eq!(p, package("users-api", "python3.12", "app.handler"));
        let files = unzip(&p);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "app.py");
        assert!(files[0].1.contains("def handler(event, context):"));
        assert!(files[0].1.contains("503"));
        let node = unzip(&package("x", "nodejs22.x", "index.handler"));
        assert_eq!(node[0].0, "index.js");
        assert!(node[0].1.contains("exports.handler = async"));
        let java = unzip(&package("x", "java21", "a.B::handle"));
        assert_eq!(java[0].0, "PLACEHOLDER.txt");
    }
}
