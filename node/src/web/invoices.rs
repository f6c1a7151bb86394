//! Invoice pages (level 3): the preview of a period, issuing it as a numbered invoice on
//! the billing office, and the issued invoices with their CSV, xlsx and PDF exports.
//!
//! The renderings come from [`crate::invoice`], as for `progmanager invoice`; they format
//! their texts with `tr!`, so they run inside [`in_lang`] to follow the user's language.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono_tz::Tz;
use fluent_bundle::FluentValue;
use progmanager_model::User;
use progmanager_model::billing::{Invoice, InvoiceRequest, compute_invoice};
use progmanager_model::permissions::Action;
use progmanager_model::schema::IssuedInvoice;
use serde::Deserialize;

use crate::error::AppError;
use crate::i18n::in_lang;
use crate::invoice::view::InvoiceView;
use crate::invoice::{export_csv, export_pdf, export_xlsx, issue, records, table};
use crate::node::Node;
use crate::ops;
use crate::web::guard::{Posted, Viewer};
use crate::web::layout::{csrf_field, esc, options, table as html_table, url_encode};
use crate::web::session::random_token;
use crate::web::{WebState, announce, with_node};

pub fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/invoices", get(page))
        .route("/invoices/issue", post(issue_period))
        .route("/invoices/{number}/{format}", get(download))
}

/// A period and an optional group, from the query string or the issue form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    group: String,
}

struct InvoicesData {
    groups: Vec<(String, String)>,
    /// The preview as text, when a period was given.
    preview: Option<String>,
    issued: Vec<IssuedInvoice>,
}

/// Computes the invoice of `period` as `invoice` previews it on the command line.
fn compute(node: &Node, period: &Period) -> Result<(Invoice, Tz), AppError> {
    let from = ops::parse_date("from", &period.from)?;
    let to = ops::parse_date("to", &period.to)?;
    if to < from {
        return Err(AppError::invalid("to", period.to.clone()));
    }
    let groups = ops::groups(node)?;
    let group = Some(period.group.clone()).filter(|g| !g.is_empty());
    if let Some(code) = &group
        && !groups.iter().any(|g| &g.code == code)
    {
        return Err(AppError::UnknownGroup { code: code.clone() });
    }
    let tz = node.timezone()?;
    let request = InvoiceRequest {
        from,
        to,
        group,
        tz,
    };
    let invoice = compute_invoice(
        &ops::sessions(node)?,
        &groups,
        &ops::tariffs(node)?,
        &request,
    )?;
    Ok((invoice, tz))
}

fn load(node: &Node, user: &User, period: &Period) -> Result<InvoicesData, AppError> {
    ops::require(user, Action::ViewInvoices)?;
    let preview = if period.from.is_empty() && period.to.is_empty() {
        None
    } else {
        let (invoice, tz) = compute(node, period)?;
        let view = InvoiceView {
            facility: node.settings()?.name,
            invoice: &invoice,
            issued: None,
            tz,
            flags: HashMap::new(),
        };
        Some(table::render(&view))
    };
    let mut groups = vec![(String::new(), String::new())];
    groups.extend(
        ops::groups(node)?
            .into_iter()
            .map(|g| (g.code.clone(), g.code)),
    );
    let mut issued = records::all(node)?;
    issued.sort_by_key(|invoice| std::cmp::Reverse((invoice.number.year, invoice.number.sequence)));
    Ok(InvoicesData {
        groups,
        preview,
        issued,
    })
}

/// `GET /invoices`.
pub async fn page(viewer: Viewer, Query(period): Query<Period>) -> Response {
    let (user, lang) = (viewer.user.clone(), viewer.ui.lang);
    let loaded = period.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        in_lang(lang, || load(node, &user, &loaded))
    })
    .await;
    match result {
        Ok(data) => {
            let body = format!(
                "{}{}{}",
                period_form(&viewer, &period, &data),
                preview(&viewer, &period, &data),
                issued_list(&viewer, &data.issued)
            );
            viewer.page(&viewer.ui.t("web-invoices-title"), &body)
        }
        Err(err) => viewer.fail(err),
    }
}

fn period_form(viewer: &Viewer, period: &Period, data: &InvoicesData) -> String {
    let ui = viewer.ui;
    format!(
        "<form method=\"get\" action=\"/invoices\" class=\"filters\">\
         <div><label for=\"from\">{}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{}\" required></div>\
         <div><label for=\"to\">{}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{}\" required></div>\
         <div><label for=\"group\">{}</label><select id=\"group\" name=\"group\">{}</select></div>\
         <button type=\"submit\" id=\"preview\">{}</button></form>",
        esc(&ui.t("web-field-from")),
        esc(&period.from),
        esc(&ui.t("web-field-to")),
        esc(&period.to),
        esc(&ui.t("web-field-group")),
        options(&data.groups, &period.group),
        esc(&ui.t("web-invoice-preview")),
    )
}

fn preview(viewer: &Viewer, period: &Period, data: &InvoicesData) -> String {
    let Some(text) = &data.preview else {
        return String::new();
    };
    format!(
        "<pre id=\"invoice-preview\" class=\"card\">{}</pre>\
         <form method=\"post\" action=\"/invoices/issue\">{}\
         <input type=\"hidden\" name=\"from\" value=\"{}\">\
         <input type=\"hidden\" name=\"to\" value=\"{}\">\
         <input type=\"hidden\" name=\"group\" value=\"{}\">\
         <button type=\"submit\" id=\"issue\" class=\"big start\">{}</button></form>",
        esc(text),
        csrf_field(&viewer.csrf),
        esc(&period.from),
        esc(&period.to),
        esc(&period.group),
        esc(&viewer.ui.t("web-invoice-issue")),
    )
}

fn issued_list(viewer: &Viewer, issued: &[IssuedInvoice]) -> String {
    let ui = viewer.ui;
    let rows: Vec<Vec<String>> = issued
        .iter()
        .map(|invoice| {
            let number = invoice.number.to_string();
            let links: Vec<String> = ["csv", "xlsx", "pdf"]
                .iter()
                .map(|format| {
                    format!(
                        "<a class=\"button\" id=\"download-{}-{format}\" href=\"/invoices/{}/{format}\">{}</a>",
                        esc(&number),
                        url_encode(&number),
                        format.to_uppercase()
                    )
                })
                .collect();
            vec![
                esc(&number),
                esc(&format!("{} – {}", invoice.invoice.from, invoice.invoice.to)),
                esc(invoice.group.as_deref().unwrap_or("")),
                esc(&invoice.invoice.total_including_vat.to_string()),
                links.join(" "),
            ]
        })
        .collect();
    let headers = [
        "web-column-number",
        "web-column-period",
        "web-field-group",
        "web-column-total",
        "web-column-download",
    ];
    format!(
        "<h2>{}</h2>{}",
        esc(&ui.t("web-invoices-issued")),
        html_table(ui, "issued", &headers, &rows)
    )
}

/// `POST /invoices/issue`: issues the previewed period; only the billing office may.
pub async fn issue_period(posted: Posted<Period>) -> Response {
    let Posted { viewer, form } = posted;
    let (user, lang) = (viewer.user.clone(), viewer.ui.lang);
    let result = with_node(&viewer.state.shared, move |node| {
        in_lang(lang, || {
            ops::require(&user, Action::ViewInvoices)?;
            let (computed, _) = compute(node, &form)?;
            let group = Some(form.group.as_str()).filter(|g| !g.is_empty());
            issue::issue(node, &user, &computed, group)
        })
    })
    .await;
    match result {
        Ok(issued) => {
            let invoice = &issued.invoice;
            let doc = format!("invoices/{}", invoice.number.year);
            announce(&viewer.state.shared, doc);
            let message = viewer.ui.ta(
                "web-invoice-issued",
                &[
                    ("number", FluentValue::from(invoice.number.to_string())),
                    (
                        "total",
                        FluentValue::from(invoice.invoice.total_including_vat.to_string()),
                    ),
                ],
            );
            viewer.done(message, "/invoices")
        }
        Err(err) => viewer.fail(err),
    }
}

/// Renders issued invoice `number` as `format` (csv, xlsx or pdf).
fn export(node: &Node, user: &User, number: &str, format: &str) -> Result<Vec<u8>, AppError> {
    ops::require(user, Action::ViewInvoices)?;
    let issued = records::find(node, number)?;
    let view = InvoiceView {
        facility: issued.facility.clone(),
        invoice: &issued.invoice,
        issued: Some(&issued),
        tz: issued.timezone.parse().unwrap_or(node.timezone()?),
        flags: HashMap::new(),
    };
    if format == "csv" {
        return Ok(export_csv::render(&view).into_bytes());
    }
    // The xlsx and PDF writers take a path: write a private temporary file, read it back.
    let path = std::env::temp_dir().join(format!("progmanager-web-{}.{format}", random_token()));
    let written = match format {
        "xlsx" => export_xlsx::write(&view, &path),
        _ => export_pdf::write(&view, &path),
    };
    let bytes = written.and_then(|()| std::fs::read(&path).map_err(|e| AppError::io(&path, e)));
    let _ = std::fs::remove_file(&path);
    bytes
}

/// `GET /invoices/{number}/{format}`: an issued invoice as a file to download.
pub async fn download(viewer: Viewer, Path((number, format)): Path<(String, String)>) -> Response {
    let content_type = match format.as_str() {
        "csv" => "text/csv; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf" => "application/pdf",
        _ => return viewer.error_page(StatusCode::NOT_FOUND, &viewer.ui.t("web-not-found")),
    };
    let (user, lang) = (viewer.user.clone(), viewer.ui.lang);
    let (wanted, kind) = (number.clone(), format.clone());
    let result = with_node(&viewer.state.shared, move |node| {
        in_lang(lang, || export(node, &user, &wanted, &kind))
    })
    .await;
    match result {
        Ok(bytes) => {
            let safe: String = number
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let disposition = format!("attachment; filename=\"invoice-{safe}.{format}\"");
            (
                [
                    (header::CONTENT_TYPE, content_type.to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(err) => viewer.fail(err),
    }
}
