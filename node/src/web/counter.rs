//! Administration of the usage counter (level 3): the control programs of instruments and
//! the review list of flagged sessions, with the form that settles each one.

use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Datelike;
use fluent_bundle::FluentValue;
use progmanager_model::permissions::Action;
use progmanager_model::schema::{FACILITY_DOC, logbook_doc_id};
use progmanager_model::{Program, ProgramMode, Session};
use serde::Deserialize;

use crate::counter;
use crate::error::AppError;
use crate::ops;
use crate::web::guard::{Posted, Viewer};
use crate::web::layout::{csrf_field, esc, options, table};
use crate::web::{WebState, announce, with_node};

pub fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/admin/programs", get(programs_page).post(add_program))
        .route("/admin/review", get(review_page))
        .route("/admin/review/resolve", post(resolve))
}

#[derive(Deserialize)]
pub struct ProgramForm {
    instrument: String,
    name: String,
    mode: String,
    command: String,
    /// Arguments separated by spaces.
    #[serde(default)]
    args: String,
    #[serde(default)]
    multiple: Option<String>,
}

#[derive(Deserialize)]
pub struct ResolveForm {
    id: String,
    /// Corrected end, `YYYY-MM-DD HH:MM` local time; empty confirms the session as it is.
    #[serde(default)]
    end: String,
}

/// `GET /admin/programs`: every control program, and a form to add one.
pub async fn programs_page(viewer: Viewer) -> Response {
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::EditPrograms)?;
        Ok((counter::programs(node)?, ops::instruments(node)?))
    })
    .await;
    let (programs, instruments) = match result {
        Ok(data) => data,
        Err(err) => return viewer.fail(err),
    };
    let ui = viewer.ui;
    let rows: Vec<Vec<String>> = programs
        .iter()
        .map(|p| {
            vec![
                esc(&p.instrument),
                esc(&p.name),
                esc(p.mode.code()),
                esc(&format!("{} {}", p.command, p.args.join(" "))),
                esc(&p.multiple_instances.to_string()),
            ]
        })
        .collect();
    let instrument_choices: Vec<(String, String)> = instruments
        .iter()
        .map(|i| (i.code.clone(), i.code.clone()))
        .collect();
    let modes: Vec<(String, String)> = [ProgramMode::Light, ProgramMode::Heavy]
        .iter()
        .map(|m| {
            (
                m.code().to_string(),
                ui.t(&format!("web-program-mode-{}", m.code())),
            )
        })
        .collect();
    let body = format!(
        "{}<form method=\"post\" action=\"/admin/programs\" class=\"card\">{}\
         <label for=\"p-instrument\">{}</label><select id=\"p-instrument\" name=\"instrument\">{}</select>\
         <label for=\"p-name\">{}</label><input id=\"p-name\" name=\"name\">\
         <label for=\"p-mode\">{}</label><select id=\"p-mode\" name=\"mode\">{}</select>\
         <label for=\"p-command\">{}</label><input id=\"p-command\" name=\"command\">\
         <label for=\"p-args\">{}</label><input id=\"p-args\" name=\"args\">\
         <label><input type=\"checkbox\" id=\"p-multiple\" name=\"multiple\" value=\"on\"> {}</label>\
         <p><button type=\"submit\" id=\"program-save\">{}</button></p></form>",
        table(
            ui,
            "programs",
            &[
                "web-field-instrument",
                "web-column-name",
                "web-program-mode",
                "web-program-command",
                "web-program-multiple"
            ],
            &rows
        ),
        csrf_field(&viewer.csrf),
        esc(&ui.t("web-field-instrument")),
        options(&instrument_choices, ""),
        esc(&ui.t("web-column-name")),
        esc(&ui.t("web-program-mode")),
        options(&modes, "light"),
        esc(&ui.t("web-program-command")),
        esc(&ui.t("web-program-args")),
        esc(&ui.t("web-program-multiple")),
        esc(&ui.t("web-save")),
    );
    viewer.page(&ui.t("web-programs-title"), &body)
}

/// `POST /admin/programs`.
pub async fn add_program(posted: Posted<ProgramForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        let mode: ProgramMode = form
            .mode
            .parse()
            .map_err(|_| AppError::invalid("mode", form.mode.clone()))?;
        let program = Program {
            instrument: form.instrument.trim().to_string(),
            name: form.name.trim().to_string(),
            mode,
            command: form.command.trim().to_string(),
            args: form.args.split_whitespace().map(str::to_string).collect(),
            multiple_instances: form.multiple.is_some(),
        };
        let name = program.name.clone();
        counter::add_program(node, &user, program)?;
        Ok(name)
    })
    .await;
    match result {
        Ok(name) => {
            announce(&viewer.state.shared, FACILITY_DOC.to_string());
            let message = viewer
                .ui
                .ta("web-program-saved", &[("name", FluentValue::from(name))]);
            viewer.done(message, "/admin/programs")
        }
        Err(err) => viewer.fail(err),
    }
}

/// `GET /admin/review`: the sessions flagged for review, each with a form to settle it.
pub async fn review_page(viewer: Viewer) -> Response {
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::EditSessions)?;
        Ok((counter::review_list(node)?, node.timezone()?))
    })
    .await;
    let (sessions, tz) = match result {
        Ok(data) => data,
        Err(err) => return viewer.fail(err),
    };
    let ui = viewer.ui;
    let fmt = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let rows: Vec<Vec<String>> = sessions
        .iter()
        .map(|s: &Session| {
            let reason = s.review.clone().unwrap_or_default();
            let end = s.end.map(fmt).unwrap_or_default();
            let form = format!(
                "<form method=\"post\" action=\"/admin/review/resolve\" class=\"inline\">{}\
                 <input type=\"hidden\" name=\"id\" value=\"{}\">\
                 <input name=\"end\" value=\"{}\" aria-label=\"{}\">\
                 <button type=\"submit\" class=\"resolve\">{}</button></form>",
                csrf_field(&viewer.csrf),
                esc(&s.id.to_string()),
                esc(&end),
                esc(&ui.t("web-review-end")),
                esc(&ui.t("web-review-resolve")),
            );
            vec![
                esc(&s.instrument),
                esc(&s.operator),
                esc(&s.group),
                esc(&fmt(s.start)),
                esc(&ui.t(&format!("review-reason-{reason}"))),
                form,
            ]
        })
        .collect();
    let body = format!(
        "<p>{}</p>{}",
        esc(&ui.t("web-review-help")),
        table(
            ui,
            "review",
            &[
                "web-field-instrument",
                "web-review-operator",
                "web-field-group",
                "web-review-start",
                "web-review-reason",
                "web-review-settle"
            ],
            &rows
        )
    );
    viewer.page(&ui.t("web-review-title"), &body)
}

/// `POST /admin/review/resolve`: confirms the session, or sets the corrected end.
pub async fn resolve(posted: Posted<ResolveForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        let tz = node.timezone()?;
        let current = ops::sessions(node)?
            .into_iter()
            .find(|s| s.id.to_string() == form.id)
            .ok_or_else(|| AppError::UnknownSession {
                id: form.id.clone(),
            })?;
        let shown = current
            .end
            .map(|e| e.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string());
        let typed = form.end.trim();
        // An unchanged end confirms the session as recorded, to the second.
        let end = if typed.is_empty() || Some(typed) == shown.as_deref() {
            None
        } else {
            Some(crate::cmd::session::parse_local("end", typed, tz)?)
        };
        counter::resolve_review(node, &user, &form.id, end)
    })
    .await;
    match result {
        Ok(session) => {
            announce(
                &viewer.state.shared,
                logbook_doc_id(&session.instrument, session.start.year()),
            );
            let message = viewer.ui.t("web-review-settled");
            viewer.done(message, "/admin/review")
        }
        Err(err) => viewer.fail(err),
    }
}
