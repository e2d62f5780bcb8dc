//! What Terraform engineers expect of a CLI beside its commands: shell
//! completions (clap_complete) and a manual page (clap_mangen), checked with
//! the shell and the man-page formatter that read them.

use std::process::{Command, Output};

mod common;
use common::*;

fn run(args: &[&str]) -> Output {
    Command::new(envc_bin()).args(args).output().unwrap()
}

#[test]
fn completions_exist_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["build", "diff", "validate", "affected", "completions"] {
            assert!(script.contains(word), "{shell} completions lack `{word}`");
        }
    }
    let bad = run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Source the bash script and ask it what completes `envc bu` and `envc diff --format `.
#[test]
fn bash_completes_subcommands_and_values() {
    let complete = |line: &str| -> String {
        let words: Vec<&str> = line.split(' ').collect();
        let script = format!(
            "source <('{}' completions bash)\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n_envc envc '{}' '{}'\necho \"${{COMPREPLY[@]}}\"",
            envc_bin().display(),
            words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = Command::new("bash").arg("-c").arg(script).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("envc bu").trim(), "build");
    let formats = complete("envc diff --format ");
    for f in ["unified", "stat", "markdown", "json"] {
        assert!(formats.split_whitespace().any(|w| w == f), "{formats}");
    }
}

#[test]
fn the_manual_page_renders_every_command() {
    let out = run(&["man"]);
    assert!(out.status.success());
    let present = tools::answers("groff", &["--version"]);
    if !tools::require("groff", present, "Install it with `apt-get install groff`.") {
        return;
    }
    let mut child = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &out.stdout).unwrap();
    let checked = child.wait_with_output().unwrap();
    assert!(checked.status.success());
    assert!(
        checked.stderr.is_empty(),
        "groff warns about the page:\n{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let rendered = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' man | groff -k -man -Tutf8 -P-c -P-b -P-u",
            envc_bin().display()
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&rendered.stdout);
    for section in [
        "NAME",
        "SYNOPSIS",
        "ENVC BUILD",
        "ENVC DIFF",
        "ENVC VALIDATE",
        "ENVC AFFECTED",
        "ENVC COMPLETIONS",
        "EXIT STATUS",
    ] {
        assert!(text.contains(section), "the page lacks {section}:\n{text}");
    }
    assert!(text.contains("--against"), "{text}");
}
