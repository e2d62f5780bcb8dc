//! The Zed extension (`editors/zed/`) builds for the target Zed loads
//! extensions as, `wasm32-wasip2`. `./test.sh` adds the target with rustup;
//! without it this test fails, unless `ENVC_SKIP_ZED=1` opts out.

mod common;

use std::process::Command;

use common::tools;

#[test]
fn zed_extension_builds_for_wasm32_wasip2() {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(common::repo())
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l == "wasm32-wasip2")
        });
    if !tools::require(
        "zed",
        installed,
        "Add the target with `rustup target add wasm32-wasip2`.",
    ) {
        return;
    }
    let dir = common::repo().join("editors/zed");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--locked", "--target", "wasm32-wasip2"])
        .current_dir(&dir)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("target/wasm32-wasip2/debug/zed_envc.wasm")
            .is_file()
    );
    let manifest = std::fs::read_to_string(dir.join("extension.toml")).unwrap();
    assert!(manifest.contains("[language_servers.envc]"));
}
