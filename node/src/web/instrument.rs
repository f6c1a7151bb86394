//! The instrument screen: one big Start or Stop button for the chosen instrument, the
//! running time of the open session, observations at stop, and a form for incident,
//! maintenance and safety records.

use axum::extract::Query;
use axum::response::Response;
use chrono::Datelike as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_bundle::FluentValue;
use progmanager_model::schema::logbook_doc_id;
use progmanager_model::{BillingGroup, Instrument, Level, Session};
use serde::Deserialize;

use crate::counter::{self, ENTRY_KINDS};
use crate::error::AppError;
use crate::ops::{self, StartSession};
use crate::projection::SessionFilter;
use crate::web::guard::{Posted, Viewer};
use crate::web::layout::{csrf_field, esc, options, url_encode};
use crate::web::{announce, with_node};

#[derive(Deserialize)]
pub struct ScreenQuery {
    instrument: Option<String>,
}

#[derive(Deserialize)]
pub struct StartForm {
    instrument: String,
    group: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    samples: String,
    /// Name of a control program of the instrument; empty for none.
    #[serde(default)]
    program: String,
}

#[derive(Deserialize)]
pub struct EntryForm {
    instrument: String,
    kind: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
pub struct StopForm {
    instrument: String,
    #[serde(default)]
    observations: String,
}

/// Records the screen shows, read under one node lock.
struct ScreenData {
    instruments: Vec<Instrument>,
    groups: Vec<BillingGroup>,
    /// Control programs of the chosen instrument.
    programs: Vec<progmanager_model::Program>,
    chosen: Option<String>,
    open: Option<Session>,
    tz: Tz,
}

/// `GET /`: the instrument screen.
pub async fn screen(viewer: Viewer, Query(query): Query<ScreenQuery>) -> Response {
    let result = with_node(&viewer.state.shared, move |node| {
        let instruments = ops::instruments(node)?;
        let chosen = query
            .instrument
            .filter(|code| instruments.iter().any(|i| &i.code == code))
            .or_else(|| instruments.first().map(|i| i.code.clone()));
        let open = match &chosen {
            Some(code) => open_session(node, code)?,
            None => None,
        };
        let mut programs = crate::counter::programs(node)?;
        programs.retain(|p| chosen.as_deref() == Some(p.instrument.as_str()));
        Ok(ScreenData {
            instruments,
            groups: ops::groups(node)?,
            programs,
            chosen,
            open,
            tz: node.timezone()?,
        })
    })
    .await;
    match result {
        Ok(data) => viewer.page(
            &viewer.ui.t("web-instrument-title"),
            &render(&viewer, &data),
        ),
        Err(err) => viewer.fail(err),
    }
}

fn open_session(node: &crate::node::Node, instrument: &str) -> Result<Option<Session>, AppError> {
    let filter = SessionFilter {
        instrument: Some(instrument),
        open_only: true,
        ..SessionFilter::default()
    };
    Ok(node
        .store
        .sessions(&filter)?
        .into_iter()
        .max_by_key(|s| s.start))
}

fn render(viewer: &Viewer, data: &ScreenData) -> String {
    let Some(chosen) = &data.chosen else {
        return format!("<p>{}</p>", esc(&viewer.ui.t("web-no-instruments")));
    };
    let mut html = chooser(viewer, data, chosen);
    match &data.open {
        Some(session) => html.push_str(&stop_form(viewer, session, data.tz)),
        None => html.push_str(&start_form(viewer, data, chosen)),
    }
    html.push_str(&entry_form(viewer, chosen));
    html
}

/// Renders the form of an incident, maintenance or safety record on the chosen instrument.
fn entry_form(viewer: &Viewer, chosen: &str) -> String {
    let ui = viewer.ui;
    let kinds: Vec<(String, String)> = ENTRY_KINDS
        .iter()
        .map(|kind| (kind.to_string(), ui.t(&format!("entry-kind-{kind}"))))
        .collect();
    format!(
        "<details class=\"card\" id=\"incident\"><summary>{}</summary>\
         <form method=\"post\" action=\"/incident\">{}\
         <input type=\"hidden\" name=\"instrument\" value=\"{}\">\
         <label for=\"entry-kind\">{}</label><select id=\"entry-kind\" name=\"kind\">{}</select>\
         <label for=\"entry-text\">{}</label><textarea id=\"entry-text\" name=\"text\" required></textarea>\
         <p><button type=\"submit\" id=\"entry-save\">{}</button></p></form></details>",
        esc(&ui.t("web-incident-title")),
        csrf_field(&viewer.csrf),
        esc(chosen),
        esc(&ui.t("web-incident-kind")),
        options(&kinds, "incident"),
        esc(&ui.t("web-incident-text")),
        esc(&ui.t("web-save")),
    )
}

/// Renders the instrument selector: a GET form, so the choice is a bookmarkable URL.
fn chooser(viewer: &Viewer, data: &ScreenData, chosen: &str) -> String {
    let values: Vec<(String, String)> = data
        .instruments
        .iter()
        .map(|i| (i.code.clone(), format!("{} ({})", i.name, i.code)))
        .collect();
    format!(
        "<form method=\"get\" action=\"/\" class=\"filters\"><div><label for=\"instrument\">{}</label>\
         <select id=\"instrument\" name=\"instrument\">{}</select></div>\
         <button type=\"submit\" id=\"choose\">{}</button></form>",
        esc(&viewer.ui.t("web-field-instrument")),
        options(&values, chosen),
        esc(&viewer.ui.t("web-choose")),
    )
}

/// Groups the user may bill: only their own at level 1, every group above.
fn billable_groups(
    user: &progmanager_model::User,
    groups: &[BillingGroup],
) -> Vec<(String, String)> {
    groups
        .iter()
        .filter(|g| user.level > Level::OWN_GROUP || g.code == user.group)
        .map(|g| (g.code.clone(), format!("{} ({})", g.name, g.code)))
        .collect()
}

fn start_form(viewer: &Viewer, data: &ScreenData, chosen: &str) -> String {
    let ui = viewer.ui;
    let groups = billable_groups(&viewer.user, &data.groups);
    let program_field = if data.programs.is_empty() {
        String::new()
    } else {
        let mut choices = vec![(String::new(), ui.t("web-no-program"))];
        choices.extend(
            data.programs
                .iter()
                .map(|p| (p.name.clone(), p.name.clone())),
        );
        format!(
            "<label for=\"program\">{}</label><select id=\"program\" name=\"program\">{}</select>",
            esc(&ui.t("web-field-program")),
            options(&choices, "")
        )
    };
    format!(
        "<form method=\"post\" action=\"/session/start\" class=\"card\">{}\
         <input type=\"hidden\" name=\"instrument\" value=\"{}\">\
         <p>{}</p>\
         <label for=\"group\">{}</label><select id=\"group\" name=\"group\">{}</select>\
         <label for=\"kind\">{}</label><input id=\"kind\" name=\"kind\">\
         <label for=\"samples\">{}</label><input id=\"samples\" name=\"samples\" type=\"number\" min=\"0\" value=\"0\">{}\
         <p><button type=\"submit\" id=\"start\" class=\"big start\">{}</button></p></form>",
        csrf_field(&viewer.csrf),
        esc(chosen),
        esc(&ui.t("web-instrument-free")),
        esc(&ui.t("web-field-group")),
        options(&groups, &viewer.user.group),
        esc(&ui.t("web-field-kind")),
        esc(&ui.t("web-field-samples")),
        program_field,
        esc(&ui.t("web-start")),
    )
}

fn stop_form(viewer: &Viewer, session: &Session, tz: Tz) -> String {
    let ui = viewer.ui;
    let since = session
        .start
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let running = ui.ta(
        "web-session-running",
        &[
            ("operator", FluentValue::from(session.operator.as_str())),
            ("group", FluentValue::from(session.group.as_str())),
            ("since", FluentValue::from(since)),
        ],
    );
    format!(
        "<div class=\"card\"><p id=\"running-info\">{}</p>\
         <p class=\"running\" id=\"elapsed\" data-start=\"{}\">{}</p>\
         <form method=\"post\" action=\"/session/stop\">{}\
         <input type=\"hidden\" name=\"instrument\" value=\"{}\">\
         <label for=\"observations\">{}</label><textarea id=\"observations\" name=\"observations\"></textarea>\
         <p><button type=\"submit\" id=\"stop\" class=\"big stop\">{}</button></p></form></div>{}",
        esc(&running),
        session.start.timestamp_millis(),
        elapsed(session.start, Utc::now()),
        csrf_field(&viewer.csrf),
        esc(&session.instrument),
        esc(&ui.t("web-field-observations")),
        esc(&ui.t("web-stop")),
        ELAPSED_SCRIPT,
    )
}

/// Refreshes the running time every second from the start instant in `data-start`.
const ELAPSED_SCRIPT: &str = "<script>(function(){var e=document.getElementById('elapsed');\
if(!e)return;var s=Number(e.dataset.start);function p(n){return n<10?'0'+n:''+n}\
function t(){var d=Math.max(0,Math.floor((Date.now()-s)/1000));\
e.textContent=Math.floor(d/3600)+':'+p(Math.floor(d/60)%60)+':'+p(d%60)}\
setInterval(t,1000)})();</script>";

/// Formats the time between `start` and `now` as `H:MM:SS`.
pub fn elapsed(start: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - start).num_seconds().max(0);
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `POST /session/start`.
pub async fn start(posted: Posted<StartForm>) -> Response {
    let Posted { viewer, form } = posted;
    let samples = match form.samples.trim() {
        "" => 0,
        text => match text.parse::<u32>() {
            Ok(samples) => samples,
            Err(_) => return viewer.fail(AppError::invalid("samples", text)),
        },
    };
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        let program = Some(form.program.trim()).filter(|name| !name.is_empty());
        if let Some(name) = program {
            // This server runs inside the node, which launches the program at once.
            let chosen = crate::counter::program(node, &form.instrument, name)?;
            let single =
                !chosen.multiple_instances && chosen.mode == progmanager_model::ProgramMode::Light;
            if single && crate::counter::program_running(node, name)? {
                return Err(AppError::ProgramAlreadyRunning {
                    name: name.to_string(),
                });
            }
        }
        let request = StartSession {
            instrument: &form.instrument,
            group: &form.group,
            kind: form.kind.trim(),
            samples,
            program,
        };
        ops::start_session(node, &user, request)
    })
    .await;
    match result {
        Ok(session) => {
            let doc = logbook_doc_id(&session.instrument, session.start.year());
            announce(&viewer.state.shared, doc);
            let message = viewer.ui.ta(
                "web-session-started",
                &[("instrument", FluentValue::from(session.instrument.as_str()))],
            );
            let to = format!("/?instrument={}", url_encode(&session.instrument));
            viewer.done(message, &to)
        }
        Err(err) => viewer.fail(err),
    }
}

/// `POST /session/stop`.
pub async fn stop(posted: Posted<StopForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let instrument = form.instrument.clone();
    let observations = form.observations.trim().to_string();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::stop_session(node, &user, &instrument, &observations)
    })
    .await;
    match result {
        Ok(session) => {
            let doc = logbook_doc_id(&session.instrument, session.start.year());
            announce(&viewer.state.shared, doc);
            let end = session.end.unwrap_or(session.start);
            let message = viewer.ui.ta(
                "web-session-stopped",
                &[
                    ("instrument", FluentValue::from(session.instrument.as_str())),
                    ("duration", FluentValue::from(elapsed(session.start, end))),
                ],
            );
            let to = format!("/?instrument={}", url_encode(&session.instrument));
            viewer.done(message, &to)
        }
        Err(err) => viewer.fail(err),
    }
}

/// `POST /incident`: writes the record in the instrument's notebook, tied to the running
/// session if there is one.
pub async fn incident(posted: Posted<EntryForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        counter::add_entry(node, &user, &form.instrument, &form.kind, &form.text)
    })
    .await;
    match result {
        Ok(entry) => {
            let doc = logbook_doc_id(&entry.instrument, entry.at.year());
            announce(&viewer.state.shared, doc);
            let kind = viewer.ui.t(&format!("entry-kind-{}", entry.kind));
            let message = viewer.ui.ta(
                "web-incident-saved",
                &[
                    ("kind", FluentValue::from(kind)),
                    ("instrument", FluentValue::from(entry.instrument.as_str())),
                ],
            );
            let to = format!("/?instrument={}", url_encode(&entry.instrument));
            viewer.done(message, &to)
        }
        Err(err) => viewer.fail(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_format() {
        let start = DateTime::from_timestamp(0, 0).expect("epoch");
        let now = DateTime::from_timestamp(3 * 3600 + 5 * 60 + 9, 0).expect("instant");
        assert_eq!(elapsed(start, now), "3:05:09");
        assert_eq!(elapsed(now, start), "0:00:00");
    }
}
