//! The invoice as an Excel workbook (`.xlsx`, with `rust_xlsxwriter`): a header block,
//! then per group a heading, the lines and the group's totals, then the invoice's totals.
//! Rates, samples and amounts are numeric cells (amounts with a 2-decimal format), so a
//! spreadsheet can sum them; every line has a column that describes how its amount was computed.

use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::view::{self, AMOUNT_COLUMN, COLUMNS, InvoiceView};
use crate::error::AppError;

/// Column indexes of [`COLUMNS`] written as numbers with 2 decimals.
const MONEY_COLUMNS: [usize; 5] = [6, 8, AMOUNT_COLUMN, AMOUNT_COLUMN + 1, AMOUNT_COLUMN + 2];
/// Column index of the sample count, written as a whole number.
const SAMPLES_COLUMN: usize = 7;

/// Cell formats of the sheet.
struct Formats {
    bold: Format,
    money: Format,
    bold_money: Format,
    wrap: Format,
}

/// Writes the workbook to `path`.
pub fn write(view: &InvoiceView<'_>, path: &Path) -> Result<(), AppError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    fill(sheet, view).map_err(|e| AppError::io(path, e))?;
    workbook.save(path).map_err(|e| AppError::io(path, e))
}

fn fill(sheet: &mut Worksheet, view: &InvoiceView<'_>) -> Result<(), XlsxError> {
    let formats = Formats {
        bold: Format::new().set_bold(),
        money: Format::new().set_num_format("0.00"),
        bold_money: Format::new().set_bold().set_num_format("0.00"),
        wrap: Format::new().set_text_wrap(),
    };
    sheet.set_name(sheet_name(view))?;
    set_widths(sheet)?;

    sheet.write_string_with_format(0, 0, view.title(), &formats.bold)?;
    let mut row: u32 = 1;
    for line in view.header_lines() {
        sheet.write_string(row, 0, line)?;
        row += 1;
    }
    row += 1;
    for group in &view.invoice.groups {
        sheet.write_string_with_format(row, 0, view.group_heading(group), &formats.bold)?;
        row += 1;
        for (col, name) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(
                row,
                col as u16,
                view::column_title(name),
                &formats.bold,
            )?;
        }
        row += 1;
        for line in &group.lines {
            write_line(
                sheet,
                row,
                &view.line_cells(group, line, &|d| d.to_string()),
                &formats,
            )?;
            row += 1;
        }
        let label = view::group_total_label(group);
        write_totals(sheet, row, &label, view::totals_of_group(group), &formats)?;
        row += 2;
    }
    let label = view::grand_total_label();
    write_totals(
        sheet,
        row,
        &label,
        view::totals_of_invoice(view.invoice),
        &formats,
    )?;
    Ok(())
}

/// Returns the sheet name: the number of an issued document, else a fixed name. Excel
/// limits names to 31 characters, which a number never reaches.
fn sheet_name(view: &InvoiceView<'_>) -> String {
    match view.issued {
        Some(issued) => issued.number.to_string(),
        None => "preview".to_string(),
    }
}

fn set_widths(sheet: &mut Worksheet) -> Result<(), XlsxError> {
    let widths = [10, 12, 12, 17, 17, 9, 10, 8, 10, 11, 11, 9, 13, 70, 24];
    for (col, width) in widths.into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    Ok(())
}

/// Writes one line: numbers where the column holds one, text elsewhere.
fn write_line(
    sheet: &mut Worksheet,
    row: u32,
    cells: &[String],
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (col, text) in cells.iter().enumerate() {
        let number = text.parse::<Decimal>().ok().and_then(|d| d.to_f64());
        match number {
            Some(value) if MONEY_COLUMNS.contains(&col) => {
                sheet.write_number_with_format(row, col as u16, value, &formats.money)?;
            }
            Some(value) if col == SAMPLES_COLUMN => {
                sheet.write_number(row, col as u16, value)?;
            }
            _ if col == COLUMNS.len() - 2 => {
                sheet.write_string_with_format(row, col as u16, text, &formats.wrap)?;
            }
            _ if !text.is_empty() => {
                sheet.write_string(row, col as u16, text)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Writes a total row: the label left of the amounts, then before VAT, VAT and including VAT.
fn write_totals(
    sheet: &mut Worksheet,
    row: u32,
    label: &str,
    totals: [Decimal; 3],
    formats: &Formats,
) -> Result<(), XlsxError> {
    let label_col = (AMOUNT_COLUMN - 1) as u16;
    sheet.write_string_with_format(row, label_col, label, &formats.bold)?;
    for (offset, amount) in totals.into_iter().enumerate() {
        let col = (AMOUNT_COLUMN + offset) as u16;
        let value = amount.to_f64().unwrap_or_default();
        sheet.write_number_with_format(row, col, value, &formats.bold_money)?;
    }
    Ok(())
}
