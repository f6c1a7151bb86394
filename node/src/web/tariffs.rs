//! Tariff pages (level 3): the versions in force, a form to set one, and the conflicting
//! values left by concurrent offline edits, each with a button that keeps it.

use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use fluent_bundle::FluentValue;
use progmanager_model::permissions::Action;
use progmanager_model::schema::{self, FACILITY_DOC, TariffConflict};
use progmanager_model::tariff::TariffRule;
use progmanager_model::{Category, Instrument, Tariff};
use serde::Deserialize;

use crate::error::AppError;
use crate::ops;
use crate::web::guard::{Posted, Viewer};
use crate::web::layout::{Ui, csrf_field, esc, options, table};
use crate::web::{WebState, announce, with_node};

pub fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/admin/tariffs", get(page))
        .route("/admin/tariffs/set", post(set))
        .route("/admin/tariffs/choose", post(choose))
}

#[derive(Deserialize)]
pub struct SetForm {
    instrument: String,
    category: String,
    #[serde(default)]
    covered: Option<String>,
    #[serde(default)]
    hourly: String,
    #[serde(default)]
    per_sample: String,
    #[serde(default)]
    from: String,
}

#[derive(Deserialize)]
pub struct ChooseForm {
    instrument: String,
    category: String,
    #[serde(default)]
    from: String,
    choice: usize,
}

struct TariffData {
    instruments: Vec<Instrument>,
    tariffs: Vec<Tariff>,
    conflicts: Vec<TariffConflict>,
}

/// `GET /admin/tariffs`.
pub async fn page(viewer: Viewer) -> Response {
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::EditTariffs)?;
        let mut tariffs = ops::tariffs(node)?;
        tariffs.sort_by(|a, b| {
            (&a.instrument, a.category.code(), a.effective_from).cmp(&(
                &b.instrument,
                b.category.code(),
                b.effective_from,
            ))
        });
        Ok(TariffData {
            instruments: ops::instruments(node)?,
            tariffs,
            conflicts: schema::read_tariff_conflicts(node.facility_doc()?)?,
        })
    })
    .await;
    match result {
        Ok(data) => {
            let body = format!(
                "{}{}{}",
                conflicts(&viewer, &data.conflicts),
                set_form(&viewer, &data.instruments),
                list(viewer.ui, &data.tariffs)
            );
            viewer.page(&viewer.ui.t("web-tariffs-title"), &body)
        }
        Err(err) => viewer.fail(err),
    }
}

/// Summarizes a rule in one line.
pub fn describe(ui: Ui, rule: &TariffRule) -> String {
    if rule.covered {
        return ui.t("web-tariff-covered");
    }
    let mut parts = Vec::new();
    if let Some(hourly) = rule.hourly {
        parts.push(ui.ta(
            "web-tariff-hourly",
            &[("amount", FluentValue::from(hourly.to_string()))],
        ));
    }
    if let Some(per_sample) = rule.per_sample {
        parts.push(ui.ta(
            "web-tariff-per-sample",
            &[("amount", FluentValue::from(per_sample.to_string()))],
        ));
    }
    if !rule.periods.is_empty() || rule.weekend.is_some() || rule.holiday.is_some() {
        parts.push(ui.t("web-tariff-special-rates"));
    }
    if parts.is_empty() {
        return ui.t("web-tariff-free");
    }
    parts.join(", ")
}

fn list(ui: Ui, tariffs: &[Tariff]) -> String {
    let rows: Vec<Vec<String>> = tariffs
        .iter()
        .map(|t| {
            vec![
                esc(&t.instrument),
                esc(t.category.code()),
                esc(&t.effective_from.map(|d| d.to_string()).unwrap_or_default()),
                esc(&describe(ui, &t.rule)),
            ]
        })
        .collect();
    let headers = [
        "web-field-instrument",
        "web-field-category",
        "web-field-from",
        "web-column-rule",
    ];
    format!(
        "<h2>{}</h2>{}",
        esc(&ui.t("web-tariffs-list")),
        table(ui, "tariffs", &headers, &rows)
    )
}

fn set_form(viewer: &Viewer, instruments: &[Instrument]) -> String {
    let ui = viewer.ui;
    let instruments: Vec<(String, String)> = instruments
        .iter()
        .map(|i| (i.code.clone(), format!("{} ({})", i.name, i.code)))
        .collect();
    let categories: Vec<(String, String)> = Category::ALL
        .iter()
        .map(|c| (c.code().to_string(), c.code().to_string()))
        .collect();
    format!(
        "<h2>{}</h2><form method=\"post\" action=\"/admin/tariffs/set\" class=\"card\">{}\
         <label for=\"t-instrument\">{}</label><select id=\"t-instrument\" name=\"instrument\">{}</select>\
         <label for=\"t-category\">{}</label><select id=\"t-category\" name=\"category\">{}</select>\
         <label><input type=\"checkbox\" id=\"t-covered\" name=\"covered\" value=\"on\"> {}</label>\
         <label for=\"t-hourly\">{}</label><input id=\"t-hourly\" name=\"hourly\" inputmode=\"decimal\">\
         <label for=\"t-per-sample\">{}</label><input id=\"t-per-sample\" name=\"per_sample\" inputmode=\"decimal\">\
         <label for=\"t-from\">{}</label><input id=\"t-from\" name=\"from\" type=\"date\">\
         <p><button type=\"submit\" id=\"tariff-save\">{}</button></p></form>",
        esc(&ui.t("web-tariff-set-title")),
        csrf_field(&viewer.csrf),
        esc(&ui.t("web-field-instrument")),
        options(&instruments, ""),
        esc(&ui.t("web-field-category")),
        options(&categories, ""),
        esc(&ui.t("web-field-covered")),
        esc(&ui.t("web-field-hourly")),
        esc(&ui.t("web-field-per-sample")),
        esc(&ui.t("web-field-from")),
        esc(&ui.t("web-save")),
    )
}

fn conflicts(viewer: &Viewer, conflicts: &[TariffConflict]) -> String {
    let ui = viewer.ui;
    if conflicts.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<h2 id=\"conflicts\">{}</h2>",
        esc(&ui.t("web-tariff-conflicts"))
    );
    for conflict in conflicts {
        let t = &conflict.current;
        let from = t.effective_from.map(|d| d.to_string()).unwrap_or_default();
        html.push_str(&format!(
            "<div class=\"card\"><p>{} · {} · {}</p>",
            esc(&t.instrument),
            esc(t.category.code()),
            esc(&from)
        ));
        for (index, rule) in conflict.values.iter().enumerate() {
            html.push_str(&format!(
                "<form method=\"post\" action=\"/admin/tariffs/choose\">{}\
                 <input type=\"hidden\" name=\"instrument\" value=\"{}\">\
                 <input type=\"hidden\" name=\"category\" value=\"{}\">\
                 <input type=\"hidden\" name=\"from\" value=\"{}\">\
                 <input type=\"hidden\" name=\"choice\" value=\"{}\">\
                 <button type=\"submit\">{}</button></form>",
                csrf_field(&viewer.csrf),
                esc(&t.instrument),
                esc(t.category.code()),
                esc(&from),
                index + 1,
                esc(&ui.ta(
                    "web-tariff-keep",
                    &[("rule", FluentValue::from(describe(ui, rule)))]
                )),
            ));
        }
        html.push_str("</div>");
    }
    html
}

fn optional_amount(
    field: &'static str,
    text: &str,
) -> Result<Option<rust_decimal::Decimal>, AppError> {
    match text.trim() {
        "" => Ok(None),
        value => ops::parse_amount(field, value).map(Some),
    }
}

fn tariff_from_form(form: &SetForm) -> Result<Tariff, AppError> {
    let effective_from = match form.from.trim() {
        "" => None,
        text => Some(ops::parse_date("from", text)?),
    };
    let rule = TariffRule::simple(
        form.covered.is_some(),
        optional_amount("hourly", &form.hourly)?,
        optional_amount("per_sample", &form.per_sample)?,
    );
    Ok(Tariff {
        instrument: form.instrument.clone(),
        category: ops::parse_category(&form.category)?,
        effective_from,
        rule,
    })
}

/// `POST /admin/tariffs/set`.
pub async fn set(posted: Posted<SetForm>) -> Response {
    let Posted { viewer, form } = posted;
    let tariff = match tariff_from_form(&form) {
        Ok(tariff) => tariff,
        Err(err) => return viewer.fail(err),
    };
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::set_tariff(node, &user, tariff)
    })
    .await;
    finish(&viewer, result)
}

/// `POST /admin/tariffs/choose`.
pub async fn choose(posted: Posted<ChooseForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        let category = ops::parse_category(&form.category)?;
        let from = match form.from.trim() {
            "" => None,
            text => Some(ops::parse_date("from", text)?),
        };
        ops::choose_tariff(node, &user, &form.instrument, category, from, form.choice)
    })
    .await;
    finish(&viewer, result)
}

fn finish(viewer: &Viewer, result: Result<Tariff, AppError>) -> Response {
    match result {
        Ok(tariff) => {
            announce(&viewer.state.shared, FACILITY_DOC.to_string());
            let message = viewer.ui.ta(
                "web-tariff-saved",
                &[
                    ("instrument", FluentValue::from(tariff.instrument.as_str())),
                    ("category", FluentValue::from(tariff.category.code())),
                    ("rule", FluentValue::from(describe(viewer.ui, &tariff.rule))),
                ],
            );
            viewer.done(message, "/admin/tariffs")
        }
        Err(err) => viewer.fail(err),
    }
}
