//! The local web interface: what the command line does, for people, in French and English.
//!
//! - [`session`]: login sessions and CSRF tokens.
//! - [`guard`]: the extractors that require a login and check CSRF tokens, and the error
//!   pages.
//! - [`layout`]: HTML escaping, the page frame and messages in the request's language.
//! - [`login`], [`instrument`], [`notebook`], [`admin`], [`tariffs`], [`invoices`],
//!   [`settings`], [`status`], [`charts`]: one file per family of pages.
//!
//! Every handler checks permissions through the same operations as the command line
//! ([`crate::ops`]) and runs them on the blocking pool, because they lock the node and
//! write SQLite. The server stops when the node's shutdown token is cancelled.

pub mod admin;
pub mod charts;
pub mod counter;
pub mod guard;
pub mod instrument;
pub mod invoices;
pub mod layout;
pub mod login;
pub mod notebook;
pub mod session;
pub mod settings;
pub mod status;
pub mod tariffs;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::AppError;
use crate::net::shared::Shared;
use crate::node::Node;
use session::SessionTable;

/// State shared by the handlers.
pub struct WebState {
    pub shared: Arc<Shared>,
    pub sessions: SessionTable,
    /// Whether pages are served over TLS, which adds `Secure` to the session cookie.
    /// NOTE: the server speaks plain HTTP on the loopback interface only, so this is false.
    pub secure: bool,
}

/// Serves the web interface on `listener` until `shutdown` is cancelled.
pub async fn serve(shared: Arc<Shared>, listener: TcpListener, shutdown: CancellationToken) {
    let state = Arc::new(WebState {
        shared,
        sessions: SessionTable::default(),
        secure: false,
    });
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    match result {
        Ok(()) => tracing::info!("web interface stopped"),
        Err(err) => tracing::error!(error = %err, "web interface failed"),
    }
}

fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .route("/static/style.css", get(style))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang", post(login::switch_lang))
        .route("/", get(instrument::screen))
        .route("/session/start", post(instrument::start))
        .route("/session/stop", post(instrument::stop))
        .route("/incident", post(instrument::incident))
        .route("/notebook", get(notebook::list))
        .route("/history/{id}", get(notebook::history))
        .route("/status", get(status::page))
        .route("/charts", get(charts::page))
        .merge(admin::routes())
        .merge(counter::routes())
        .merge(tariffs::routes())
        .merge(invoices::routes())
        .merge(settings::routes())
        .fallback(guard::not_found)
        .with_state(state)
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        layout::STYLE,
    )
}

/// Runs `work` on the node on the blocking pool: operations lock the node, read
/// Automerge documents and write SQLite.
pub async fn with_node<T, F>(shared: &Arc<Shared>, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Node) -> Result<T, AppError> + Send + 'static,
{
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || work(&mut shared.node()))
        .await
        .map_err(|e| AppError::io("web", std::io::Error::other(e.to_string())))?
}

/// Tells the links that document `doc` changed, so they push the write to peers at once.
pub fn announce(shared: &Shared, doc: String) {
    let _no_receivers = shared.changes.send(doc);
}

#[cfg(test)]
mod tests {
    use fluent_bundle::FluentResource;

    use crate::i18n::{EN_FTL, FR_FTL};

    /// Collects every `"web-…"` literal in the web sources.
    fn used_ids() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(dir).expect("web source folder").flatten() {
            let text = std::fs::read_to_string(entry.path()).expect("web source file");
            for (index, _) in text.match_indices("\"web-") {
                let rest = &text[index + 1..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or(rest.len());
                // `end > 4` skips the bare prefix this test searches for.
                if end > 4 && rest[end..].starts_with('"') {
                    ids.push(rest[..end].to_string());
                }
            }
        }
        ids
    }

    fn defines(sources: &[&str], id: &str) -> bool {
        sources.iter().any(|source| {
            FluentResource::try_new(source.to_string())
                .map(|resource| {
                    resource.entries().any(|entry| {
                        matches!(entry, fluent_syntax::ast::Entry::Message(m) if m.id.name == id)
                    })
                })
                .unwrap_or(false)
        })
    }

    #[test]
    fn every_web_message_exists() {
        let ids = used_ids();
        assert!(ids.len() > 50, "the scan found too few messages: {ids:?}");
        for id in ids {
            assert!(defines(EN_FTL, &id), "{id} is missing in English");
            assert!(defines(FR_FTL, &id), "{id} is missing in French");
        }
    }
}
