//! `envc lsp`: the language server's protocol loop, a shell like the CLI.
//!
//! It owns the connection (stdio, or an in-memory one in tests), the
//! initialize handshake with its position-encoding negotiation, dispatch, and
//! the protocol's rules: every request gets a response (a handler that fails
//! answers an error and the server goes on; an unknown method is
//! `MethodNotFound`; after `shutdown`, requests are refused until `exit`).
//! Every question is answered by [`envc::ide`]. Messages are handled one at a
//! time, in order, so edits apply in the order the editor sent them.

use std::panic::{AssertUnwindSafe, catch_unwind};

use envc::ide::{self, Encoding, Published, Workspace};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionProviderCapability, CompletionOptions, HoverProviderCapability,
    InitializeParams, OneOf, PositionEncodingKind, PublishDiagnosticsParams, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
};

/// Run the server on stdin/stdout until `exit`. The status is 0 after a
/// `shutdown` request, 1 otherwise (as the protocol asks).
pub fn run() -> u8 {
    let (connection, io) = Connection::stdio();
    let status = match serve(&connection) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("envc lsp: {e}");
            1
        }
    };
    drop(connection);
    let _ = io.join();
    status
}

/// What the server can do, in the encoding negotiated.
fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..Default::default()
            },
        )),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), "=".into(), " ".into()]),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(
            lsp_types::CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        // No formatting: the kdl crate's formatter drops end-of-line comments.
        ..Default::default()
    }
}

/// Serve one client over `connection`; the exit status when it says `exit`.
pub fn serve(connection: &Connection) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": capabilities(encoding),
            "serverInfo": ServerInfo {
                name: "envc".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            },
        }),
    )?;
    let mut ws = Workspace::new(encoding);
    let mut folders: Vec<lsp_types::Uri> = params
        .workspace_folders
        .iter()
        .flatten()
        .map(|f| f.uri.clone())
        .collect();
    #[allow(deprecated)] // Clients that know no folders send only `rootUri`.
    if folders.is_empty()
        && let Some(root) = params.root_uri
    {
        folders.push(root);
    }
    for f in folders {
        if let Some(dir) = ide::uri_to_path(&f) {
            let published = guarded(|| ws.add_folder(&dir));
            publish(connection, published.unwrap_or_default())?;
        }
    }

    let mut shut_down = false;
    for msg in &connection.receiver {
        match msg {
            Message::Request(r) => {
                let resp = if shut_down {
                    Response::new_err(
                        r.id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is shut down".into(),
                    )
                } else if r.method == req::Shutdown::METHOD {
                    shut_down = true;
                    Response::new_ok(r.id, ())
                } else {
                    respond(&ws, r)
                };
                connection.sender.send(resp.into())?;
            }
            Message::Notification(n) => {
                if n.method == note::Exit::METHOD {
                    return Ok(if shut_down { 0 } else { 1 });
                }
                if shut_down {
                    continue;
                }
                let published = guarded(|| notify(&mut ws, n)).unwrap_or_default();
                publish(connection, published)?;
            }
            Message::Response(_) => {}
        }
    }
    Ok(if shut_down { 0 } else { 1 })
}

/// How many handlers panicked (the fuzz test wants none).
#[cfg(test)]
pub(crate) static HANDLER_PANICS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Run a handler; a panic becomes `Err` with its message, and the server goes
/// on. The panic may have left a workspace update half done; the next edit of
/// the file brings it back in line.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        #[cfg(test)]
        HANDLER_PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

fn publish(
    connection: &Connection,
    published: Vec<Published>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    for p in published {
        let params = PublishDiagnosticsParams {
            uri: p.uri,
            diagnostics: p.diagnostics,
            version: p.version,
        };
        connection
            .sender
            .send(Notification::new(note::PublishDiagnostics::METHOD.into(), params).into())?;
    }
    Ok(())
}

fn notify(ws: &mut Workspace, n: Notification) -> Vec<Published> {
    match n.method.as_str() {
        note::DidOpenTextDocument::METHOD => {
            let Ok(p) = n
                .extract::<lsp_types::DidOpenTextDocumentParams>(note::DidOpenTextDocument::METHOD)
            else {
                return Vec::new();
            };
            ws.open(
                &p.text_document.uri,
                p.text_document.version,
                p.text_document.text,
            )
        }
        note::DidChangeTextDocument::METHOD => {
            let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                note::DidChangeTextDocument::METHOD,
            ) else {
                return Vec::new();
            };
            ws.change(
                &p.text_document.uri,
                p.text_document.version,
                &p.content_changes,
            )
        }
        note::DidCloseTextDocument::METHOD => {
            let Ok(p) = n.extract::<lsp_types::DidCloseTextDocumentParams>(
                note::DidCloseTextDocument::METHOD,
            ) else {
                return Vec::new();
            };
            ws.close(&p.text_document.uri)
        }
        note::DidChangeWatchedFiles::METHOD => {
            let Ok(p) = n.extract::<lsp_types::DidChangeWatchedFilesParams>(
                note::DidChangeWatchedFiles::METHOD,
            ) else {
                return Vec::new();
            };
            p.changes
                .iter()
                .flat_map(|c| ws.disk_changed(&c.uri))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Answer one request.
fn respond(ws: &Workspace, r: Request) -> Response {
    let id = r.id.clone();
    let method = r.method.clone();
    match guarded(|| answer(ws, r)) {
        Ok(Some(Ok(v))) => Response::new_ok(id, v),
        Ok(Some(Err(e))) => Response::new_err(id, ErrorCode::InvalidParams as i32, e),
        Ok(None) => Response::new_err(
            id,
            ErrorCode::MethodNotFound as i32,
            format!("envc lsp does not handle `{method}`"),
        ),
        Err(panic) => Response::new_err(
            id,
            ErrorCode::InternalError as i32,
            format!("envc lsp failed on `{method}` (a bug in envc): {panic}"),
        ),
    }
}

/// `None` for a method the server does not know; `Some(Err)` for bad parameters.
fn answer(ws: &Workspace, r: Request) -> Option<Result<serde_json::Value, String>> {
    fn run<R: req::Request>(
        r: Request,
        f: impl FnOnce(R::Params) -> R::Result,
    ) -> Result<serde_json::Value, String> {
        let params: R::Params = serde_json::from_value(r.params).map_err(|e| e.to_string())?;
        serde_json::to_value(f(params)).map_err(|e| e.to_string())
    }
    Some(match r.method.as_str() {
        req::Completion::METHOD => run::<req::Completion>(r, |p| {
            let at = p.text_document_position;
            ide::complete::completion(ws, &at.text_document.uri, at.position)
                .map(lsp_types::CompletionResponse::Array)
        }),
        req::HoverRequest::METHOD => run::<req::HoverRequest>(r, |p| {
            let at = p.text_document_position_params;
            ide::hover::hover(ws, &at.text_document.uri, at.position)
        }),
        req::GotoDefinition::METHOD => run::<req::GotoDefinition>(r, |p| {
            let at = p.text_document_position_params;
            ide::nav::definition(ws, &at.text_document.uri, at.position)
                .map(lsp_types::GotoDefinitionResponse::Array)
        }),
        req::References::METHOD => run::<req::References>(r, |p| {
            let at = p.text_document_position;
            ide::nav::references(
                ws,
                &at.text_document.uri,
                at.position,
                p.context.include_declaration,
            )
        }),
        req::DocumentSymbolRequest::METHOD => run::<req::DocumentSymbolRequest>(r, |p| {
            ide::nav::symbols(ws, &p.text_document.uri)
                .map(lsp_types::DocumentSymbolResponse::Nested)
        }),
        req::CodeActionRequest::METHOD => run::<req::CodeActionRequest>(r, |p| {
            Some(ide::actions::code_actions(
                ws,
                &p.text_document.uri,
                p.range,
            ))
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
