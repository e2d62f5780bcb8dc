//! The VS Code extension (`editors/vscode/`) builds from its lock file with npm
//! (`npm ci`, `npm run compile`), its Node tests pass, and what it tells VS Code
//! is what the language server serves. A missing npm fails this test, unless
//! `ENVC_SKIP_NPM=1` opts out.

mod common;

use std::process::Command;

use common::tools;

fn npm(args: &[&str]) {
    let dir = common::repo().join("editors/vscode");
    let out = Command::new("npm")
        .args(args)
        .args(
            ["--no-audit", "--no-fund"]
                .iter()
                .filter(|_| args[0] == "ci"),
        )
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "npm {}:\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn vscode_extension_builds_and_serves_the_input_files() {
    if !tools::require(
        "npm",
        tools::answers("npm", &["--version"]),
        "Install Node.js 20 or later with npm.",
    ) {
        return;
    }
    npm(&["ci"]);
    npm(&["run", "compile"]);
    npm(&["test"]);
    let dir = common::repo().join("editors/vscode");
    let main = std::fs::read_to_string(dir.join("out/extension.js")).unwrap();
    assert!(main.contains("vscode-languageclient/node") && main.contains("LanguageClient"));
    let config = std::fs::read_to_string(dir.join("out/config.js")).unwrap();
    assert!(config.contains("\"lsp\""), "{config}");
    // The schemas VS Code validates environments/*.json with are the committed ones.
    for name in ["environment.schema.json", "project.schema.json"] {
        assert_eq!(
            std::fs::read_to_string(dir.join("schemas").join(name)).unwrap(),
            std::fs::read_to_string(common::repo().join("schemas").join(name)).unwrap(),
            "{name}"
        );
    }
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    assert_eq!(
        package["contributes"]["jsonValidation"][0],
        serde_json::json!({"fileMatch": "**/environments/*.json", "url": "./schemas/environment.schema.json"})
    );
    assert_eq!(package["main"], "./out/extension.js");
}
