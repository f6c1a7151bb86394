//! Listings and the invoice, as a table for people, CSV for spreadsheets and JSON for
//! scripts.
//!
//! CSV follows the user's language: French uses `;` as separator and the decimal comma,
//! as French spreadsheets expect; English uses `,` and the decimal point.

use chrono_tz::Tz;
use progmanager_model::Session;
use rust_decimal::Decimal;
use serde_json::json;

use crate::auth;
use crate::cli::{Format, SessionsArgs};
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
pub fn csv_amount(amount: Decimal) -> String {
    let text = amount.to_string();
    match i18n::lang() {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
}

pub fn to_csv(headers: &[String], rows: &[Vec<String>]) -> String {
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

pub fn to_table(headers: &[String], rows: &[Vec<String>]) -> String {
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
