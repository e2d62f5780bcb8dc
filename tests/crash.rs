//! Crashes and concurrency (issue 5): a build killed with SIGKILL at random
//! moments leaves every file old or new (never torn or empty) and no
//! temporaries Terraform would read; the next build completes the tree; two
//! builds at once never interleave.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::*;

/// A project with `n` environments; `flag` changes every environment's output.
fn synth(dir: &Path, n: usize, flag: u32) {
    fs::create_dir_all(dir.join("environments")).unwrap();
    fs::copy(repo().join("envc.kdl"), dir.join("envc.kdl")).unwrap();
    fs::copy(
        repo().join("environments/_base.kdl"),
        dir.join("environments/_base.kdl"),
    )
    .unwrap();
    for i in 0..n {
        fs::write(
            dir.join(format!("environments/e{i}.kdl")),
            format!("extends \"_base\"\ntier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"{:012}\"\nflags {{\n    f {flag}\n}}\n", i + 1),
        )
        .unwrap();
    }
}

fn built(n: usize, flag: u32) -> BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    synth(tmp.path(), n, flag);
    assert!(envc(tmp.path(), &["build", "-q"]).status.success());
    read_tree(&tmp.path().join("terraform"))
}

#[test]
fn sigkill_mid_build_leaves_old_or_new_files_only() {
    let n = 150;
    let old = built(n, 1);
    let new = built(n, 2);
    assert_ne!(old, new);
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    synth(p, n, 1);
    assert!(envc(p, &["build", "-q"]).status.success());
    synth(p, n, 2);
    let mut mixed = 0;
    for round in 0..12u64 {
        let mut child = Command::new(envc_bin())
            .arg("-C")
            .arg(p)
            .args(["build", "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the build: compile first, then writes.
        std::thread::sleep(Duration::from_millis(20 + (round * 37) % 400));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let tree = read_tree(&p.join("terraform"));
        let (mut saw_old, mut saw_new) = (false, false);
        for (path, bytes) in &tree {
            let name = path.rsplit('/').next().unwrap();
            if name.ends_with(".envc-tmp") {
                continue; // not read by Terraform; removed by the next build
            }
            assert!(
                name.ends_with(".tf")
                    || name.ends_with(".tfvars")
                    || name == "README.md"
                    || name == ".envc-manifest",
                "unexpected file {path}"
            );
            let is_old = old.get(path) == Some(bytes);
            let is_new = new.get(path) == Some(bytes);
            assert!(
                is_old || is_new,
                "round {round}: {path} is neither old nor new ({} bytes)",
                bytes.len()
            );
            saw_old |= is_old && !is_new;
            saw_new |= is_new && !is_old;
        }
        mixed += usize::from(saw_old && saw_new);
        if status.success() {
            // Put the old tree back for the next round.
            synth(p, n, 1);
            assert!(envc(p, &["build", "-q"]).status.success());
            synth(p, n, 2);
        }
    }
    // The next build completes the tree and removes leftovers.
    assert!(envc(p, &["build", "-q"]).status.success());
    assert_eq!(read_tree(&p.join("terraform")), new);
    eprintln!("crash test: {mixed} of 12 kills left a mix of old and new files (each file whole)");
}

#[test]
fn concurrent_builds_never_interleave() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    synth(p, 100, 1);
    let spawn = || {
        Command::new(envc_bin())
            .arg("-C")
            .arg(p)
            .arg("build")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success());
    // Exactly one wrote the tree; the other, after waiting, found it complete.
    let outs = [
        String::from_utf8_lossy(&a.stdout).into_owned(),
        String::from_utf8_lossy(&b.stdout).into_owned(),
    ];
    assert_eq!(
        outs.iter()
            .filter(|o| o.contains(" 0 files written"))
            .count(),
        1,
        "{outs:?}"
    );
    assert_eq!(read_tree(&p.join("terraform")), built(100, 1));
}

#[test]
fn unwritable_output_directory_is_a_clear_error_and_changes_nothing() {
    let p = example_project();
    assert!(envc(p.path(), &["build", "-q"]).status.success());
    let before = read_tree(&p.path().join("terraform"));
    let dev = p.path().join("environments/dev.kdl");
    edit(&dev, "max-sessions-per-user 10", "max-sessions-per-user 11");
    // A user's file where the `sit` root's directory must go: staging the
    // writes fails after `dev`'s changed files were staged; those are rolled back.
    fs::remove_dir_all(p.path().join("terraform/environments/sit")).unwrap();
    fs::write(
        p.path().join("terraform/environments/sit"),
        "not a directory\n",
    )
    .unwrap();
    let expected = read_tree(&p.path().join("terraform"));
    let out = envc(p.path(), &["build"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("environments/sit") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(
        read_tree(&p.path().join("terraform")),
        expected,
        "a failed build changed files"
    );
    assert_ne!(before, expected, "the test did not change the tree");
}
