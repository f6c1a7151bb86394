//! The invoice as a text table for the terminal: one table per group, each line followed
//! by how its amount was computed, then the totals.

use rust_decimal::Decimal;

use super::view::{self, COLUMNS, InvoiceView};
use crate::cmd::report::to_table;
use crate::tr;

/// Renders the whole document as text.
pub fn render(view: &InvoiceView<'_>) -> String {
    let mut out = view.title() + "\n";
    for line in view.header_lines() {
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    if view.invoice.groups.is_empty() {
        out.push_str(&tr!("invoices-empty"));
        out.push('\n');
        return out;
    }
    for group in &view.invoice.groups {
        out.push_str(&view.group_heading(group));
        out.push('\n');
        out.push_str(&group_table(view, group));
        let [total, vat, including] = view::totals_of_group(group);
        out.push_str(&totals_line(
            &view::group_total_label(group),
            total,
            vat,
            including,
        ));
        out.push_str("\n\n");
    }
    let [total, vat, including] = view::totals_of_invoice(view.invoice);
    out.push_str(&totals_line(
        &view::grand_total_label(),
        total,
        vat,
        including,
    ));
    out.push('\n');
    out
}

/// Returns the indexes of the table's columns. The group is in the heading and the
/// computation on its own row, so both are left out. The note shows only when a line has one.
fn shown_columns(view: &InvoiceView<'_>) -> Vec<usize> {
    let computation = COLUMNS.len() - 2;
    let note = COLUMNS.len() - 1;
    (1..COLUMNS.len())
        .filter(|&i| i != computation && (i != note || !view.flags.is_empty()))
        .collect()
}

fn group_table(view: &InvoiceView<'_>, group: &progmanager_model::billing::GroupInvoice) -> String {
    let columns = shown_columns(view);
    let headers: Vec<String> = columns
        .iter()
        .map(|&i| view::column_title(COLUMNS[i]))
        .collect();
    let plain = |amount: Decimal| amount.to_string();
    let mut computations = Vec::new();
    let rows: Vec<Vec<String>> = group
        .lines
        .iter()
        .map(|line| {
            let cells = view.line_cells(group, line, &plain);
            computations.push(cells[COLUMNS.len() - 2].clone());
            columns.iter().map(|&i| cells[i].clone()).collect()
        })
        .collect();

    // `to_table` writes the header, a rule, then one text row per line, in order.
    let table = to_table(&headers, &rows);
    let mut out = String::new();
    for (index, row) in table.lines().enumerate() {
        out.push_str(row);
        out.push('\n');
        if let Some(computation) = index.checked_sub(2).and_then(|i| computations.get(i)) {
            out.push_str(&format!("    = {computation}\n"));
        }
    }
    out
}

fn totals_line(label: &str, total: Decimal, vat: Decimal, including: Decimal) -> String {
    tr!(
        "invoices-totals-line",
        label = label,
        total = total.to_string(),
        vat = vat.to_string(),
        including = including.to_string()
    )
}
