//! The invoice as CSV (UTF-8) for spreadsheets: one row per line with every column of
//! [`COLUMNS`], then a total row per group and one for the invoice. French uses `;` and
//! the decimal comma, English `,` and the decimal point.

use rust_decimal::Decimal;

use super::view::{self, AMOUNT_COLUMN, COLUMNS, InvoiceView};
use crate::cmd::report::{csv_amount, to_csv};

/// Renders the lines and totals as CSV text.
pub fn render(view: &InvoiceView<'_>) -> String {
    let headers: Vec<String> = COLUMNS
        .iter()
        .map(|name| view::column_title(name))
        .collect();
    let mut rows = Vec::new();
    for group in &view.invoice.groups {
        for line in &group.lines {
            rows.push(view.line_cells(group, line, &csv_amount));
        }
    }
    for group in &view.invoice.groups {
        let label = view::group_total_label(group);
        rows.push(total_row(
            &group.group,
            &label,
            view::totals_of_group(group),
        ));
    }
    let label = view::grand_total_label();
    rows.push(total_row("", &label, view::totals_of_invoice(view.invoice)));
    to_csv(&headers, &rows)
}

fn total_row(group: &str, label: &str, totals: [Decimal; 3]) -> Vec<String> {
    let mut row = vec![String::new(); COLUMNS.len()];
    row[0] = group.to_string();
    row[AMOUNT_COLUMN - 1] = label.to_string();
    for (offset, amount) in totals.into_iter().enumerate() {
        row[AMOUNT_COLUMN + offset] = csv_amount(amount);
    }
    row
}
