//! The Zed extension of envc: Zed starts only the language servers that an
//! extension registers. This one starts `envc lsp` (the `envc` on the PATH of
//! the worktree's shell) for KDL and JSON files; the server itself answers only
//! for `envc.kdl` and `environments/*.{kdl,json}` and ignores other files.

use zed_extension_api::{self as zed, LanguageServerId, Result};

struct Envc;

impl zed::Extension for Envc {
    fn new() -> Self {
        Envc
    }

    fn language_server_command(
        &mut self,
        _id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let command = worktree
            .which("envc")
            .ok_or_else(|| "envc is not on the PATH: install it with `cargo install --path <envc checkout>`".to_string())?;
        Ok(zed::Command {
            command,
            args: vec!["lsp".into()],
            env: Vec::new(),
        })
    }
}

zed::register_extension!(Envc);
