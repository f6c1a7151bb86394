//! Member nodes and backup settings (level 3).
//!
//! Backup settings go to the node's configuration file, which the running node rereads
//! every minute, as `progmanager backup --set-dir` does.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use fluent_bundle::FluentValue;
use progmanager_model::permissions::Action;
use progmanager_model::schema::{FACILITY_DOC, Member};
use serde::Deserialize;

use crate::backup;
use crate::error::AppError;
use crate::node::{Config, Node};
use crate::ops;
use crate::web::guard::{Posted, Viewer};
use crate::web::layout::{csrf_field, esc, table};
use crate::web::{WebState, announce, with_node};

pub fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/admin/settings", get(page))
        .route("/admin/members/remove", post(remove_member))
        .route("/admin/backup", post(save_backup))
        .route("/admin/backup/now", post(back_up_now))
}

#[derive(Deserialize)]
pub struct MemberForm {
    node_id: String,
}

#[derive(Deserialize)]
pub struct BackupForm {
    #[serde(default)]
    dir: String,
    every_minutes: u64,
    after_changes: u64,
    keep: usize,
}

/// Empty form of the "back up now" button.
#[derive(Deserialize)]
pub struct NoFields {}

/// `GET /admin/settings`.
pub async fn page(viewer: Viewer) -> Response {
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::EditSettings)?;
        Ok((
            ops::members(node)?,
            Config::load(&node.dir)?,
            node.node_id.to_string(),
        ))
    })
    .await;
    match result {
        Ok((members, config, this_node)) => {
            let body = format!(
                "{}{}",
                members_table(&viewer, &members, &this_node),
                backup_form(&viewer, &config)
            );
            viewer.page(&viewer.ui.t("web-settings-title"), &body)
        }
        Err(err) => viewer.fail(err),
    }
}

fn members_table(viewer: &Viewer, members: &[Member], this_node: &str) -> String {
    let ui = viewer.ui;
    let rows: Vec<Vec<String>> = members
        .iter()
        .filter(|m| !m.removed)
        .map(|m| {
            let action = if m.node_id == this_node {
                esc(&ui.t("web-this-node"))
            } else {
                format!(
                    "<form method=\"post\" action=\"/admin/members/remove\" class=\"inline\">{}\
                     <input type=\"hidden\" name=\"node_id\" value=\"{}\">\
                     <button type=\"submit\">{}</button></form>",
                    csrf_field(&viewer.csrf),
                    esc(&m.node_id),
                    esc(&ui.t("web-member-remove"))
                )
            };
            vec![
                esc(&m.name),
                esc(&m.node_id.chars().take(16).collect::<String>()),
                esc(&m.address),
                action,
            ]
        })
        .collect();
    let headers = [
        "web-column-name",
        "web-column-node",
        "web-column-address",
        "web-column-action",
    ];
    format!(
        "<h2>{}</h2>{}",
        esc(&ui.t("web-members-title")),
        table(ui, "members", &headers, &rows)
    )
}

fn backup_form(viewer: &Viewer, config: &Config) -> String {
    let ui = viewer.ui;
    let dir = config
        .backup_dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let number = |id: &str, label: &str, value: String| {
        format!(
            "<label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" type=\"number\" min=\"1\" value=\"{}\">",
            esc(&ui.t(label)),
            esc(&value)
        )
    };
    format!(
        "<h2>{}</h2><form method=\"post\" action=\"/admin/backup\" class=\"card\">{}\
         <label for=\"dir\">{}</label><input id=\"dir\" name=\"dir\" size=\"50\" value=\"{}\">{}{}{}\
         <p><button type=\"submit\" id=\"backup-save\">{}</button></p></form>\
         <form method=\"post\" action=\"/admin/backup/now\">{}\
         <button type=\"submit\" id=\"backup-now\">{}</button></form>",
        esc(&ui.t("web-backup-title")),
        csrf_field(&viewer.csrf),
        esc(&ui.t("web-backup-dir")),
        esc(&dir),
        number(
            "every_minutes",
            "web-backup-every",
            config.backup_every_minutes.to_string()
        ),
        number(
            "after_changes",
            "web-backup-after",
            config.backup_after_changes.to_string()
        ),
        number("keep", "web-backup-keep", config.backup_keep.to_string()),
        esc(&ui.t("web-save")),
        csrf_field(&viewer.csrf),
        esc(&ui.t("web-backup-now")),
    )
}

/// `POST /admin/members/remove`.
pub async fn remove_member(posted: Posted<MemberForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::remove_member(node, &user, &form.node_id)
    })
    .await;
    match result {
        Ok(member) => {
            announce(&viewer.state.shared, FACILITY_DOC.to_string());
            let message = viewer.ui.ta(
                "web-member-removed",
                &[("name", FluentValue::from(member.name))],
            );
            viewer.done(message, "/admin/settings")
        }
        Err(err) => viewer.fail(err),
    }
}

fn save_config(node: &Node, form: &BackupForm) -> Result<(), AppError> {
    let mut config = Config::load(&node.dir)?;
    config.backup_dir = match form.dir.trim() {
        "" => None,
        dir => Some(std::path::absolute(dir).map_err(|e| AppError::io(dir, e))?),
    };
    config.backup_every_minutes = form.every_minutes.max(1);
    config.backup_after_changes = form.after_changes;
    config.backup_keep = form.keep.max(1);
    config.save(&node.dir)
}

/// `POST /admin/backup`: saves the backup folder and schedule.
pub async fn save_backup(posted: Posted<BackupForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::EditSettings)?;
        save_config(node, &form)
    })
    .await;
    match result {
        Ok(()) => viewer.done(viewer.ui.t("web-backup-saved"), "/admin/settings"),
        Err(err) => viewer.fail(err),
    }
}

/// `POST /admin/backup/now`: backs up into the configured folder.
pub async fn back_up_now(posted: Posted<NoFields>) -> Response {
    let viewer = posted.viewer;
    let user = viewer.user.clone();
    let prepared = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::EditSettings)?;
        let config = Config::load(&node.dir)?;
        let folder: PathBuf = config.backup_dir.ok_or(AppError::NoBackupFolder)?;
        Ok((
            node.dir.store_path(),
            node.name()?,
            folder,
            config.backup_keep,
        ))
    })
    .await;
    let (store, name, folder, keep) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return viewer.fail(err),
    };
    // The backup reads the store through SQLite's online backup API, without the node lock.
    let result = tokio::task::spawn_blocking(move || backup::back_up(&store, &name, &folder, keep))
        .await
        .unwrap_or_else(|e| Err(AppError::io("backup", e)));
    match result {
        Ok(report) => {
            let path = report.path.display().to_string();
            let message = viewer
                .ui
                .ta("web-backup-done", &[("path", FluentValue::from(path))]);
            viewer.done(message, "/admin/settings")
        }
        Err(err) => viewer.fail(err),
    }
}
