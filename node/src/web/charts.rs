//! Usage charts (level 3): hours per instrument, per billing group and per month, and the
//! amounts billed per group by issued invoices and credit notes, drawn as server-side SVG
//! bar charts.

use std::collections::BTreeMap;

use axum::response::Response;
use chrono_tz::Tz;
use progmanager_model::Session;
use progmanager_model::permissions::Action;
use progmanager_model::schema::IssuedInvoice;
use rust_decimal::prelude::ToPrimitive;

use crate::invoice::records;
use crate::ops;
use crate::web::guard::Viewer;
use crate::web::layout::esc;
use crate::web::with_node;

/// Height of one bar and its gap, in SVG user units.
const BAR: usize = 28;
/// Width of the label column and of the longest bar.
const LABEL_WIDTH: usize = 220;
const BAR_WIDTH: usize = 480;

/// `GET /charts`.
pub async fn page(viewer: Viewer) -> Response {
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::ViewInvoices)?;
        Ok((ops::sessions(node)?, records::all(node)?, node.timezone()?))
    })
    .await;
    let (sessions, issued, tz) = match result {
        Ok(loaded) => loaded,
        Err(err) => return viewer.fail(err),
    };
    let ui = viewer.ui;
    let charts = [
        (
            "chart-instrument",
            "web-chart-instrument",
            hours_by(&sessions, |s| s.instrument.clone()),
            "h",
        ),
        (
            "chart-group",
            "web-chart-group",
            hours_by(&sessions, |s| s.group.clone()),
            "h",
        ),
        (
            "chart-month",
            "web-chart-month",
            hours_by(&sessions, |s| month(s, tz)),
            "h",
        ),
        (
            "chart-billed",
            "web-chart-billed",
            billed_by_group(&issued),
            "",
        ),
    ];
    let mut body = String::new();
    for (id, title, values, unit) in charts {
        body.push_str(&format!(
            "<h2>{}</h2>{}",
            esc(&ui.t(title)),
            bar_chart(id, &values, unit)
        ));
    }
    viewer.page(&ui.t("web-charts-title"), &body)
}

fn month(session: &Session, tz: Tz) -> String {
    session.start.with_timezone(&tz).format("%Y-%m").to_string()
}

/// Hours of the closed sessions, summed per key.
pub fn hours_by(sessions: &[Session], key: impl Fn(&Session) -> String) -> BTreeMap<String, f64> {
    let mut totals = BTreeMap::new();
    for session in sessions {
        let Some(end) = session.end else {
            continue;
        };
        let hours = (end - session.start).num_seconds().max(0) as f64 / 3600.0;
        *totals.entry(key(session)).or_insert(0.0) += hours;
    }
    totals
}

/// Amounts before VAT billed per group by issued documents; a credit note's negative
/// amounts cancel the invoice it credits.
pub fn billed_by_group(issued: &[IssuedInvoice]) -> BTreeMap<String, f64> {
    let mut totals = BTreeMap::new();
    for document in issued {
        for group in &document.invoice.groups {
            let amount = group.total.to_f64().unwrap_or(0.0);
            *totals.entry(group.group.clone()).or_insert(0.0) += amount;
        }
    }
    totals
}

/// Renders a horizontal bar chart of `values` with `unit` after each value, labels
/// escaped. Negative values draw no bar.
pub fn bar_chart(id: &str, values: &BTreeMap<String, f64>, unit: &str) -> String {
    let max = values.values().copied().fold(0.0_f64, f64::max);
    let width = LABEL_WIDTH + BAR_WIDTH + 80;
    let height = BAR * values.len().max(1);
    let mut svg = format!(
        "<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" font-size=\"14\">"
    );
    for (index, (label, value)) in values.iter().enumerate() {
        let y = index * BAR;
        let length = if max > 0.0 {
            (value.max(0.0) / max * BAR_WIDTH as f64).round()
        } else {
            0.0
        };
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{length}\" height=\"{}\" fill=\"#24476b\"/>\
             <text x=\"{}\" y=\"{}\">{value:.2} {unit}</text>",
            y + 18,
            esc(label),
            y + 4,
            BAR - 8,
            LABEL_WIDTH as f64 + length + 6.0,
            y + 18,
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_escapes_labels() {
        let mut values = BTreeMap::new();
        values.insert("<b>".to_string(), 2.0);
        values.insert("A".to_string(), 1.0);
        let svg = bar_chart("c", &values, "h");
        assert!(svg.contains("&lt;b&gt;"));
        assert!(svg.contains("width=\"480\""));
        assert!(svg.contains("2.00 h"));
    }
}
