//! The notebook: sessions of an instrument filtered by date, user and group, the
//! instrument's incident, maintenance and safety records, and the history of a session.

use std::sync::Arc;

use axum::extract::{Path, Query};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use progmanager_model::permissions::Action;
use progmanager_model::{NotebookEntry, Session};
use serde::Deserialize;

use crate::counter;
use crate::error::AppError;
use crate::history::{HistoryEntry, RecordLocation, record_history};
use crate::node::Node;
use crate::ops;
use crate::projection::SessionFilter;
use crate::web::guard::Viewer;
use crate::web::instrument::elapsed;
use crate::web::layout::{esc, options, table, url_encode};
use crate::web::with_node;

/// Filters of the notebook, from the query string; empty fields filter nothing.
#[derive(Debug, Default, Deserialize)]
pub struct NotebookQuery {
    #[serde(default)]
    instrument: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    group: String,
}

struct NotebookData {
    instruments: Vec<(String, String)>,
    sessions: Vec<Session>,
    /// Records of the chosen instrument; empty when no instrument is chosen.
    entries: Vec<NotebookEntry>,
    tz: Tz,
}

/// Milliseconds at local midnight of `date` in `tz`.
fn local_midnight_ms(date: NaiveDate, tz: Tz) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|at| at.timestamp_millis())
}

fn load(node: &Node, query: &NotebookQuery) -> Result<NotebookData, AppError> {
    let tz = node.timezone()?;
    let from = match query.from.trim() {
        "" => None,
        text => Some(ops::parse_date("from", text)?),
    };
    let to = match query.to.trim() {
        "" => None,
        text => Some(ops::parse_date("to", text)?),
    };
    let filter = SessionFilter {
        instrument: (!query.instrument.is_empty()).then_some(query.instrument.as_str()),
        from_ms: from.and_then(|d| local_midnight_ms(d, tz)),
        until_ms: to
            .and_then(|d| d.succ_opt())
            .and_then(|d| local_midnight_ms(d, tz)),
        ..SessionFilter::default()
    };
    let mut sessions = node.store.sessions(&filter)?;
    sessions.retain(|s| query.user.is_empty() || s.operator == query.user);
    sessions.retain(|s| query.group.is_empty() || s.group == query.group);
    sessions.reverse();
    let mut entries = Vec::new();
    if !query.instrument.is_empty() {
        entries = counter::entries(node, &query.instrument)?;
        let (from_ms, until_ms) = (filter.from_ms, filter.until_ms);
        entries.retain(|e| from_ms.is_none_or(|from| e.at.timestamp_millis() >= from));
        entries.retain(|e| until_ms.is_none_or(|until| e.at.timestamp_millis() < until));
        entries.retain(|e| query.user.is_empty() || e.author == query.user);
        entries.reverse();
    }
    let mut instruments = vec![(String::new(), String::new())];
    instruments.extend(
        ops::instruments(node)?
            .into_iter()
            .map(|i| (i.code.clone(), format!("{} ({})", i.name, i.code))),
    );
    Ok(NotebookData {
        instruments,
        sessions,
        entries,
        tz,
    })
}

/// `GET /notebook`.
pub async fn list(viewer: Viewer, Query(query): Query<NotebookQuery>) -> Response {
    let query = Arc::new(query);
    let loaded = Arc::clone(&query);
    let result = with_node(&viewer.state.shared, move |node| load(node, &loaded)).await;
    match result {
        Ok(data) => {
            let body = format!(
                "{}{}{}",
                filters(&viewer, &query, &data),
                rows(&viewer, &data),
                entries(&viewer, &query, &data)
            );
            viewer.page(&viewer.ui.t("web-notebook-title"), &body)
        }
        Err(err) => viewer.fail(err),
    }
}

fn filters(viewer: &Viewer, query: &NotebookQuery, data: &NotebookData) -> String {
    let ui = viewer.ui;
    let field = |id: &str, label: &str, kind: &str, value: &str| {
        format!(
            "<div><label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\"></div>",
            esc(&ui.t(label)),
            esc(value)
        )
    };
    format!(
        "<form method=\"get\" action=\"/notebook\" class=\"filters\">\
         <div><label for=\"instrument\">{}</label><select id=\"instrument\" name=\"instrument\">{}</select></div>\
         {}{}{}{}<button type=\"submit\" id=\"filter\">{}</button></form>",
        esc(&ui.t("web-field-instrument")),
        options(&data.instruments, &query.instrument),
        field("from", "web-field-from", "date", &query.from),
        field("to", "web-field-to", "date", &query.to),
        field("user", "web-field-user", "text", &query.user),
        field("group", "web-field-group", "text", &query.group),
        esc(&ui.t("web-filter")),
    )
}

fn rows(viewer: &Viewer, data: &NotebookData) -> String {
    let ui = viewer.ui;
    if data.sessions.is_empty() {
        return format!(
            "<p id=\"no-sessions\">{}</p>",
            esc(&ui.t("web-no-sessions"))
        );
    }
    let rows: Vec<Vec<String>> = data
        .sessions
        .iter()
        .map(|s| {
            let start = s.start.with_timezone(&data.tz);
            let duration = s
                .end
                .map(|end| elapsed(s.start, end))
                .unwrap_or_else(|| ui.t("web-running"));
            vec![
                esc(&s.instrument),
                esc(&start.format("%Y-%m-%d %H:%M").to_string()),
                esc(&duration),
                esc(&s.operator),
                esc(&s.group),
                esc(&s.kind),
                s.samples.to_string(),
                esc(&s.observations),
                format!(
                    "<a href=\"/history/{}\">{}</a>",
                    url_encode(&s.id.to_string()),
                    esc(&ui.t("web-history"))
                ),
            ]
        })
        .collect();
    table(
        ui,
        "sessions",
        &[
            "web-field-instrument",
            "web-column-start",
            "web-column-duration",
            "web-field-user",
            "web-field-group",
            "web-field-kind",
            "web-field-samples",
            "web-field-observations",
            "web-history",
        ],
        &rows,
    )
}

fn entries(viewer: &Viewer, query: &NotebookQuery, data: &NotebookData) -> String {
    let ui = viewer.ui;
    if query.instrument.is_empty() {
        return String::new();
    }
    let title = format!("<h2>{}</h2>", esc(&ui.t("web-entries-title")));
    if data.entries.is_empty() {
        return format!(
            "{title}<p id=\"no-entries\">{}</p>",
            esc(&ui.t("web-no-entries"))
        );
    }
    let rows: Vec<Vec<String>> = data
        .entries
        .iter()
        .map(|e| {
            vec![
                esc(&e
                    .at
                    .with_timezone(&data.tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()),
                esc(&ui.t(&format!("entry-kind-{}", e.kind))),
                esc(&e.author),
                esc(&e.text),
            ]
        })
        .collect();
    let headers = [
        "web-column-time",
        "web-column-kind",
        "web-field-user",
        "web-column-text",
    ];
    format!("{title}{}", table(ui, "entries", &headers, &rows))
}

/// `GET /history/{id}`: every change of a session, with who made it and on which node.
pub async fn history(viewer: Viewer, Path(id): Path<String>) -> Response {
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::ViewHistory)?;
        session_history(node, &id)
    })
    .await;
    match result {
        Ok((entries, tz)) => {
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    vec![
                        esc(&e
                            .time
                            .with_timezone(&tz)
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string()),
                        esc(&e.user),
                        esc(&e.node.chars().take(8).collect::<String>()),
                        esc(&e.field),
                        esc(e.old.as_deref().unwrap_or("")),
                        esc(e.new.as_deref().unwrap_or("")),
                    ]
                })
                .collect();
            let headers = [
                "web-column-time",
                "web-field-user",
                "web-column-node",
                "web-column-field",
                "web-column-old",
                "web-column-new",
            ];
            let body = table(viewer.ui, "history", &headers, &rows);
            viewer.page(&viewer.ui.t("web-history-title"), &body)
        }
        Err(err) => viewer.fail(err),
    }
}

fn session_history(node: &Node, id: &str) -> Result<(Vec<HistoryEntry>, Tz), AppError> {
    let unknown = || AppError::UnknownSession { id: id.to_string() };
    let doc_id = node.store.session_doc(id)?.ok_or_else(unknown)?;
    let doc = node.store.doc(&doc_id).ok_or_else(unknown)?;
    let location = RecordLocation {
        doc: doc_id.clone(),
        root_map: "sessions",
        key: id.to_string(),
    };
    Ok((record_history(doc, &location), node.timezone()?))
}
