//! `duijie lsp`: a language server for `.map` files over standard input and
//! output, on the same checker as `duijie check`: diagnostics as you type
//! (debounced), completion of fields with their 中文 labels and types,
//! functions, tables, definitions and sync variables; hover; go to
//! definition (tables, definitions, includes, spec fields in their TOML);
//! a quick fix for "did you mean" diagnostics; formatting with the
//! canonical printer. Editor set-up: docs/editors.md.

mod analysis;
mod scan;
mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use duijie_compiler::spec::Specs;
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, Formatting, GotoDefinition, HoverRequest, Request as _,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CompletionOptions, CompletionParams, CompletionResponse,
    DocumentFormattingParams, GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents,
    HoverParams, HoverProviderCapability, MarkupContent, MarkupKind, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit, Url, WorkspaceEdit,
};

pub use analysis::functions;

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// How long to wait after a change before checking again, milliseconds.
    #[arg(long, default_value_t = 25)]
    pub debounce_ms: u64,
}

/// One open document.
struct Doc {
    path: PathBuf,
    text: String,
    /// When it changed and has not been checked since.
    dirty: Option<Instant>,
}

struct Server {
    docs: HashMap<Url, Doc>,
    /// Specs by project root, loaded on first use and again after a save.
    specs: HashMap<PathBuf, Result<Specs, String>>,
    debounce: Duration,
}

pub fn run(args: LspArgs) -> anyhow::Result<i32> {
    let (connection, io) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let caps = serde_json::to_value(capabilities)?;
    connection
        .initialize(caps)
        .context("the editor did not initialize the language server")?;
    let mut server = Server {
        docs: HashMap::new(),
        specs: HashMap::new(),
        debounce: Duration::from_millis(args.debounce_ms),
    };
    server.serve(&connection)?;
    drop(connection);
    io.join()
        .context("the language server's input or output failed")?;
    Ok(0)
}

impl Server {
    fn serve(&mut self, connection: &Connection) -> anyhow::Result<()> {
        loop {
            let wait = self
                .docs
                .values()
                .filter_map(|d| d.dirty)
                .min()
                .map(|t| (t + self.debounce).saturating_duration_since(Instant::now()));
            let message = match wait {
                Some(w) => match connection.receiver.recv_timeout(w) {
                    Ok(m) => m,
                    Err(crossbeam_timeout) if crossbeam_timeout.is_timeout() => {
                        self.check_due(connection)?;
                        continue;
                    }
                    Err(_) => return Ok(()),
                },
                None => match connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                },
            };
            match message {
                Message::Request(req) => {
                    if connection.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    let response = self.request(req);
                    connection.sender.send(Message::Response(response))?;
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn specs_for(&mut self, path: &Path) -> Result<&Specs, String> {
        let root = analysis::project_root(path);
        self.specs
            .entry(root.clone())
            .or_insert_with(|| analysis::load_specs(&root))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn check_due(&mut self, connection: &Connection) -> anyhow::Result<()> {
        let now = Instant::now();
        let due: Vec<Url> = self
            .docs
            .iter()
            .filter(|(_, d)| d.dirty.is_some_and(|t| t + self.debounce <= now))
            .map(|(u, _)| u.clone())
            .collect();
        for uri in due {
            let Some(doc) = self.docs.get_mut(&uri) else {
                continue;
            };
            doc.dirty = None;
            let (path, text) = (doc.path.clone(), doc.text.clone());
            let published = match self.specs_for(&path) {
                Ok(specs) => analysis::diagnostics(&path, &text, specs),
                Err(e) => vec![(path.clone(), vec![spec_error(&e)])],
            };
            for (file, diagnostics) in published {
                let file_uri = if file == path {
                    uri.clone()
                } else {
                    match Url::from_file_path(analysis::absolute(&file)) {
                        Ok(u) => u,
                        Err(()) => continue,
                    }
                };
                let params = PublishDiagnosticsParams {
                    uri: file_uri,
                    diagnostics,
                    version: None,
                };
                connection
                    .sender
                    .send(Message::Notification(Notification::new(
                        PublishDiagnostics::METHOD.to_string(),
                        params,
                    )))?;
            }
        }
        Ok(())
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                {
                    let path = path_of(&p.text_document.uri);
                    self.docs.insert(
                        p.text_document.uri,
                        Doc {
                            path,
                            text: p.text_document.text,
                            // Checked at once.
                            dirty: Some(Instant::now() - self.debounce),
                        },
                    );
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                {
                    if let (Some(doc), Some(change)) = (
                        self.docs.get_mut(&p.text_document.uri),
                        p.content_changes.into_iter().last(),
                    ) {
                        doc.text = change.text;
                        doc.dirty = Some(Instant::now());
                    }
                }
            }
            DidSaveTextDocument::METHOD => {
                // A saved spec or include may change what every file means.
                self.specs.clear();
                let now = Instant::now();
                for doc in self.docs.values_mut() {
                    doc.dirty = Some(now);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                {
                    self.docs.remove(&p.text_document.uri);
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            Completion::METHOD => self.with_params(req, |s, p: CompletionParams| {
                let pos = p.text_document_position;
                s.at(
                    &pos.text_document.uri,
                    pos.position,
                    |path, text, offset, specs| {
                        Some(CompletionResponse::Array(analysis::complete(
                            path, text, offset, specs,
                        )))
                    },
                )
            }),
            HoverRequest::METHOD => self.with_params(req, |s, p: HoverParams| {
                let pos = p.text_document_position_params;
                s.at(
                    &pos.text_document.uri,
                    pos.position,
                    |path, text, offset, specs| {
                        analysis::hover(path, text, offset, specs).map(|(value, range)| Hover {
                            contents: HoverContents::Markup(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value,
                            }),
                            range: Some(range),
                        })
                    },
                )
            }),
            GotoDefinition::METHOD => self.with_params(req, |s, p: GotoDefinitionParams| {
                let pos = p.text_document_position_params;
                s.at(
                    &pos.text_document.uri,
                    pos.position,
                    |path, text, offset, specs| {
                        analysis::definition(path, text, offset, specs)
                            .map(GotoDefinitionResponse::Scalar)
                    },
                )
            }),
            CodeActionRequest::METHOD => {
                self.with_params(req, |_, p: CodeActionParams| Some(quick_fixes(p)))
            }
            Formatting::METHOD => self.with_params(req, |s, p: DocumentFormattingParams| {
                let doc = s.docs.get(&p.text_document.uri)?;
                format_edits(&doc.text)
            }),
            _ => Err(lsp_server::ResponseError {
                code: lsp_server::ErrorCode::MethodNotFound as i32,
                message: format!("duijie lsp does not answer {}", req.method),
                data: None,
            }),
        };
        Response {
            id,
            response_result: result,
        }
    }

    fn with_params<P: serde::de::DeserializeOwned, R: serde::Serialize>(
        &mut self,
        req: Request,
        f: impl FnOnce(&mut Self, P) -> Option<R>,
    ) -> Result<serde_json::Value, lsp_server::ResponseError> {
        let params: P =
            serde_json::from_value(req.params).map_err(|e| lsp_server::ResponseError {
                code: lsp_server::ErrorCode::InvalidParams as i32,
                message: format!("{}: {e}", req.method),
                data: None,
            })?;
        Ok(match f(self, params) {
            Some(r) => serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
            None => serde_json::Value::Null,
        })
    }

    /// Runs `f` on the document `uri` at `pos` (its text, the byte offset
    /// and its specs).
    fn at<R>(
        &mut self,
        uri: &Url,
        pos: lsp_types::Position,
        f: impl FnOnce(&Path, &str, usize, &Specs) -> Option<R>,
    ) -> Option<R> {
        let doc = self.docs.get(uri)?;
        let (path, text) = (doc.path.clone(), doc.text.clone());
        let offset = text::offset(&text, pos);
        let specs = self.specs_for(&path).ok()?;
        f(&path, &text, offset, specs)
    }
}

fn path_of(uri: &Url) -> PathBuf {
    uri.to_file_path()
        .unwrap_or_else(|()| PathBuf::from(uri.path()))
}

fn spec_error(message: &str) -> lsp_types::Diagnostic {
    lsp_types::Diagnostic {
        severity: Some(lsp_types::DiagnosticSeverity::ERROR),
        source: Some("duijie".into()),
        message: format!("the specs cannot be loaded: {message}"),
        ..lsp_types::Diagnostic::default()
    }
}

/// "Did you mean" fixes for the diagnostics the editor sends back.
fn quick_fixes(p: CodeActionParams) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in p.context.diagnostics {
        let help = d
            .data
            .as_ref()
            .and_then(|v| v.get("help"))
            .and_then(|h| h.as_str())
            .map(str::to_string);
        let Some(replacement) = help.as_deref().and_then(analysis::suggestion) else {
            continue;
        };
        let edit = TextEdit {
            range: d.range,
            new_text: replacement.to_string(),
        };
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("replace with `{replacement}`"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(p.text_document.uri.clone(), vec![edit])])),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    out
}

/// The whole text in the canonical layout, when it parses and has no
/// comments (the printer does not keep comments, and formatting must not
/// lose them).
fn format_edits(text: &str) -> Option<Vec<TextEdit>> {
    if text
        .lines()
        .any(|l| scan::strip_comment(l).len() != l.len())
    {
        return None;
    }
    let file = duijie_dsl::parse(text).ok()?;
    let formatted = duijie_dsl::to_source(&file);
    if formatted == text {
        return Some(Vec::new());
    }
    Some(vec![TextEdit {
        range: text::range(text, 0, text.len()),
        new_text: formatted,
    }])
}
