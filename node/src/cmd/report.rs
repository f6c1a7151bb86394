//! Listings and the invoice, as a table for people, CSV for spreadsheets and JSON for
//! scripts.
//!
//! CSV follows the user's language: French uses `;` as separator and the decimal comma,
//! as French spreadsheets expect; English uses `,` and the decimal point.

use chrono::NaiveDate;
use chrono_tz::Tz;
use progmanager_model::Session;
use progmanager_model::billing::{
    Invoice, InvoiceLine, InvoiceRequest, LinePricing, compute_invoice,
};
use progmanager_model::permissions::Action;
use rust_decimal::Decimal;
use serde_json::json;

use crate::auth;
use crate::cli::{Format, InvoiceArgs, SessionsArgs};
use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::node::Node;
use crate::ops::{self, local_rfc3339};
use crate::tr;

/// Prints rows under `headers` (message IDs `column-NAME`, JSON keys `NAME`).
pub fn print_rows(format: Format, headers: &[&str], rows: Vec<Vec<String>>) {
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|row| {
                    let map = headers
                        .iter()
                        .zip(row)
                        .map(|(h, v)| (h.to_string(), json!(v)))
                        .collect();
                    serde_json::Value::Object(map)
                })
                .collect();
            println!("{}", serde_json::Value::Array(items));
        }
        Format::Csv => {
            let titles: Vec<String> = headers
                .iter()
                .map(|h| tr!(&format!("column-{h}")))
                .collect();
            print!("{}", to_csv(&titles, &rows));
        }
        Format::Table => {
            let titles: Vec<String> = headers
                .iter()
                .map(|h| tr!(&format!("column-{h}")))
                .collect();
            print!("{}", to_table(&titles, &rows));
        }
    }
}

fn csv_separator() -> u8 {
    match i18n::lang() {
        Lang::Fr => b';',
        Lang::En => b',',
    }
}

/// Writes an amount for CSV in the user's language.
fn csv_amount(amount: Decimal) -> String {
    let text = amount.to_string();
    match i18n::lang() {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
}

fn to_csv(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(csv_separator())
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(headers);
    for row in rows {
        let _ = writer.write_record(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn to_table(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(headers);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rule));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

pub fn sessions(node: &Node, user: Option<&str>, args: &SessionsArgs) -> Result<(), AppError> {
    auth::login(node, user)?;
    let tz = node.timezone()?;
    let mut sessions = ops::sessions(node)?;
    sessions.retain(|s| args.instrument.as_ref().is_none_or(|i| &s.instrument == i));
    if args.format == Format::Json {
        let items: Vec<_> = sessions.iter().map(|s| session_json(s, tz)).collect();
        println!("{}", serde_json::Value::Array(items));
        return Ok(());
    }
    let rows = sessions.iter().map(|s| session_row(s, tz)).collect();
    print_rows(
        args.format,
        &[
            "id",
            "instrument",
            "operator",
            "group",
            "start",
            "end",
            "kind",
            "samples",
            "observations",
        ],
        rows,
    );
    Ok(())
}

fn session_json(s: &Session, tz: Tz) -> serde_json::Value {
    json!({
        "id": s.id.to_string(),
        "instrument": s.instrument,
        "operator": s.operator,
        "group": s.group,
        "start": local_rfc3339(s.start, tz),
        "end": s.end.map(|e| local_rfc3339(e, tz)),
        "kind": s.kind,
        "samples": s.samples,
        "observations": s.observations,
        "billable": s.billable,
        "node": s.node,
    })
}

fn session_row(s: &Session, tz: Tz) -> Vec<String> {
    let fmt = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    vec![
        s.id.to_string(),
        s.instrument.clone(),
        s.operator.clone(),
        s.group.clone(),
        fmt(s.start),
        s.end.map(fmt).unwrap_or_else(|| tr!("session-running")),
        s.kind.clone(),
        s.samples.to_string(),
        s.observations.clone(),
    ]
}

pub fn invoice(node: &Node, user: Option<&str>, args: &InvoiceArgs) -> Result<(), AppError> {
    let user = auth::login(node, user)?;
    ops::require(&user, Action::ViewInvoices)?;
    let from = ops::parse_date("from", &args.from)?;
    let to = ops::parse_date("to", &args.to)?;
    if to < from {
        return Err(AppError::invalid("to", args.to.clone()));
    }
    if let Some(group) = &args.group
        && !ops::groups(node)?.iter().any(|g| &g.code == group)
    {
        return Err(AppError::UnknownGroup {
            code: group.clone(),
        });
    }
    let tz = node.timezone()?;
    let request = InvoiceRequest {
        from,
        to,
        group: args.group.clone(),
        tz,
    };
    let invoice = compute_invoice(
        &ops::sessions(node)?,
        &ops::groups(node)?,
        &ops::tariffs(node)?,
        &request,
    )?;
    if !invoice.open_sessions.is_empty() {
        eprintln!(
            "{}",
            tr!("invoice-open-sessions", count = invoice.open_sessions.len())
        );
    }
    match args.format {
        Format::Json => println!("{}", invoice_json(&invoice, tz)),
        Format::Csv => print!("{}", invoice_csv(&invoice, tz)),
        Format::Table => print!("{}", invoice_table(&invoice, tz, from, to)),
    }
    Ok(())
}

fn pricing_label(pricing: &LinePricing) -> String {
    match pricing {
        LinePricing::Charged => tr!("pricing-charged"),
        LinePricing::Covered => tr!("pricing-covered"),
        LinePricing::Unbilled => tr!("pricing-unbilled"),
    }
}

fn line_json(line: &InvoiceLine, tz: Tz) -> serde_json::Value {
    json!({
        "session": line.session.to_string(),
        "instrument": line.instrument,
        "operator": line.operator,
        "kind": line.kind,
        "start": local_rfc3339(line.start, tz),
        "end": local_rfc3339(line.end, tz),
        "duration_minutes": line.duration_minutes,
        "hours": line.hours.to_string(),
        "samples": line.samples,
        "hourly_rate": line.hourly_rate.map(|d| d.to_string()),
        "per_sample_rate": line.per_sample_rate.map(|d| d.to_string()),
        "amount": line.amount.to_string(),
        "pricing": line.pricing,
    })
}

fn invoice_json(invoice: &Invoice, tz: Tz) -> serde_json::Value {
    let groups: Vec<_> = invoice
        .groups
        .iter()
        .map(|g| {
            json!({
                "group": g.group,
                "name": g.name,
                "category": g.category.code(),
                "lines": g.lines.iter().map(|l| line_json(l, tz)).collect::<Vec<_>>(),
                "total": g.total.to_string(),
            })
        })
        .collect();
    json!({
        "from": invoice.from.to_string(),
        "to": invoice.to.to_string(),
        "timezone": tz.name(),
        "groups": groups,
        "total": invoice.total.to_string(),
        "open_sessions": invoice.open_sessions.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
    })
}

fn invoice_rows(invoice: &Invoice, tz: Tz, amount: impl Fn(Decimal) -> String) -> Vec<Vec<String>> {
    let fmt = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let mut rows = Vec::new();
    for group in &invoice.groups {
        for line in &group.lines {
            rows.push(vec![
                group.group.clone(),
                line.instrument.clone(),
                line.operator.clone(),
                fmt(line.start),
                fmt(line.end),
                format!(
                    "{}:{:02}",
                    line.duration_minutes / 60,
                    line.duration_minutes % 60
                ),
                line.hourly_rate.map(&amount).unwrap_or_default(),
                if line.samples > 0 {
                    line.samples.to_string()
                } else {
                    String::new()
                },
                line.per_sample_rate.map(&amount).unwrap_or_default(),
                pricing_label(&line.pricing),
                amount(line.amount),
            ]);
        }
    }
    rows
}

const INVOICE_COLUMNS: [&str; 11] = [
    "group",
    "instrument",
    "operator",
    "start",
    "end",
    "duration",
    "hourly",
    "samples",
    "per_sample",
    "pricing",
    "amount",
];

fn invoice_csv(invoice: &Invoice, tz: Tz) -> String {
    let headers: Vec<String> = INVOICE_COLUMNS
        .iter()
        .map(|h| tr!(&format!("column-{h}")))
        .collect();
    let mut rows = invoice_rows(invoice, tz, csv_amount);
    for group in &invoice.groups {
        let mut row = vec![String::new(); INVOICE_COLUMNS.len()];
        row[0] = group.group.clone();
        row[9] = tr!("invoice-group-total");
        row[10] = csv_amount(group.total);
        rows.push(row);
    }
    let mut total = vec![String::new(); INVOICE_COLUMNS.len()];
    total[9] = tr!("invoice-total");
    total[10] = csv_amount(invoice.total);
    rows.push(total);
    to_csv(&headers, &rows)
}

fn invoice_table(invoice: &Invoice, tz: Tz, from: NaiveDate, to: NaiveDate) -> String {
    let mut out = tr!(
        "invoice-title",
        from = from.to_string(),
        to = to.to_string(),
        timezone = tz.name()
    ) + "\n\n";
    if invoice.groups.is_empty() {
        out.push_str(&tr!("invoice-empty"));
        out.push('\n');
        return out;
    }
    for group in &invoice.groups {
        out.push_str(&tr!(
            "invoice-group-heading",
            group = group.group.clone(),
            name = group.name.clone(),
            category = group.category.code()
        ));
        out.push('\n');
        let single = Invoice {
            groups: vec![group.clone()],
            ..invoice.clone()
        };
        let headers: Vec<String> = INVOICE_COLUMNS[1..]
            .iter()
            .map(|h| tr!(&format!("column-{h}")))
            .collect();
        let rows: Vec<Vec<String>> = invoice_rows(&single, tz, |d| d.to_string())
            .into_iter()
            .map(|mut r| r.split_off(1))
            .collect();
        out.push_str(&to_table(&headers, &rows));
        out.push_str(&tr!(
            "invoice-group-total-line",
            group = group.group.clone(),
            total = group.total.to_string()
        ));
        out.push_str("\n\n");
    }
    out.push_str(&tr!(
        "invoice-total-line",
        total = invoice.total.to_string()
    ));
    out.push('\n');
    out
}
