//! The sync status page: every member node with its link state and last sync.

use axum::response::Response;
use chrono::{DateTime, Utc};
use progmanager_model::schema::Member;

use crate::net::status::PeerStatus;
use crate::ops;
use crate::web::guard::Viewer;
use crate::web::layout::{esc, table};
use crate::web::with_node;

/// `GET /status`.
pub async fn page(viewer: Viewer) -> Response {
    let shared = std::sync::Arc::clone(&viewer.state.shared);
    let result = with_node(&viewer.state.shared, |node| {
        Ok((ops::members(node)?, node.timezone()?))
    })
    .await;
    let (members, tz) = match result {
        Ok(loaded) => loaded,
        Err(err) => return viewer.fail(err),
    };
    let statuses = shared.status.snapshot();
    let this_node = shared.node_id.to_string();
    let ui = viewer.ui;
    let time = |ms: Option<i64>| {
        ms.and_then(DateTime::<Utc>::from_timestamp_millis)
            .map(|at| {
                at.with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|| ui.t("web-never"))
    };
    let rows: Vec<Vec<String>> = members
        .iter()
        .filter(|m| !m.removed && m.node_id != this_node)
        .map(|member| {
            let status = statuses
                .iter()
                .find(|(id, _)| id.to_string() == member.node_id)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            row(&viewer, member, &status, &time)
        })
        .collect();
    let body = if rows.is_empty() {
        format!("<p id=\"no-peers\">{}</p>", esc(&ui.t("web-no-peers")))
    } else {
        table(
            ui,
            "peers",
            &[
                "web-column-node",
                "web-column-address",
                "web-column-state",
                "web-column-last-contact",
                "web-column-last-sync",
            ],
            &rows,
        )
    };
    viewer.page(&ui.t("web-status-title"), &body)
}

fn row(
    viewer: &Viewer,
    member: &Member,
    status: &PeerStatus,
    time: &dyn Fn(Option<i64>) -> String,
) -> Vec<String> {
    let state = match (status.connected, status.in_sync) {
        (true, true) => "web-peer-in-sync",
        (true, false) => "web-peer-syncing",
        (false, _) => "web-peer-disconnected",
    };
    let address = if status.address.is_empty() {
        &member.address
    } else {
        &status.address
    };
    vec![
        esc(&format!(
            "{} ({})",
            member.name,
            member.node_id.chars().take(8).collect::<String>()
        )),
        esc(address),
        esc(&viewer.ui.t(state)),
        esc(&time(status.last_contact_ms)),
        esc(&time(status.last_sync_ms)),
    ]
}
