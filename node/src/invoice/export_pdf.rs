//! The invoice as a PDF (A4 landscape, with `printpdf`): header, then per group a heading,
//! one row per line followed by how its amount was computed, the group's totals, then the
//! invoice's totals.
//!
//! The text uses DejaVu Sans, embedded from the `dejavu` crate, because the 14 standard
//! PDF fonts only cover Latin-1 through a single-byte encoding and `printpdf` writes them
//! without the accented letters of French. The embedded font carries a Unicode map, so
//! text extraction tools read the accents back.

use std::io::BufWriter;
use std::path::Path;

use printpdf::{IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference};
use progmanager_model::billing::{GroupInvoice, InvoiceLine};
use rust_decimal::Decimal;

use super::view::{self, InvoiceView};
use crate::cmd::report::csv_amount;
use crate::error::AppError;

const PAGE_WIDTH: f32 = 297.0;
const PAGE_HEIGHT: f32 = 210.0;
const MARGIN: f32 = 15.0;
/// Points to millimetres.
const PT: f32 = 0.3528;
/// Characters of computation text per printed row at [`SMALL`] size.
const WRAP: usize = 175;
const BODY: f32 = 8.0;
const SMALL: f32 = 7.0;

/// Left-aligned text columns of a line row: column name, left edge (mm) and the most
/// characters that fit before the next column.
const TEXT_COLUMNS: [(&str, f32, usize); 6] = [
    ("start", 15.0, 18),
    ("instrument", 45.0, 16),
    ("operator", 73.0, 17),
    ("duration", 103.0, 9),
    ("samples", 119.0, 8),
    ("pricing", 133.0, 22),
];
/// Right-aligned amount columns: column name and right edge (mm).
const AMOUNT_COLUMNS: [(&str, f32); 4] = [
    ("hourly", 180.0),
    ("amount", 207.0),
    ("vat", 230.0),
    ("amount_including_vat", 262.0),
];

/// A document being written, page after page, from the top down.
struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    /// Baseline of the next row, from the bottom of the page (mm).
    y: f32,
}

/// Writes the PDF to `path`.
pub fn write(view: &InvoiceView<'_>, path: &Path) -> Result<(), AppError> {
    let failed = |e: printpdf::Error| AppError::io(path, e);
    let mut writer = Writer::new(&view.title()).map_err(failed)?;
    writer.header(view);
    for group in &view.invoice.groups {
        writer.group(view, group);
    }
    let totals = view::totals_of_invoice(view.invoice);
    writer.totals(&view::grand_total_label(), totals);

    let file = std::fs::File::create(path).map_err(|e| AppError::io(path, e))?;
    writer.doc.save(&mut BufWriter::new(file)).map_err(failed)
}

impl Writer {
    fn new(title: &str) -> Result<Writer, printpdf::Error> {
        let (doc, page, layer) = PdfDocument::new(title, Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), "text");
        let regular = doc.add_external_font(dejavu::sans::regular())?;
        let bold = doc.add_external_font(dejavu::sans::bold())?;
        let layer = doc.get_page(page).get_layer(layer);
        Ok(Writer {
            doc,
            layer,
            regular,
            bold,
            y: PAGE_HEIGHT - MARGIN,
        })
    }

    /// Moves down by `height` mm, starting a new page when the row would not fit.
    fn advance(&mut self, height: f32) {
        self.keep(height);
        self.y -= height;
    }

    /// Starts a new page unless `height` mm still fit on this one.
    fn keep(&mut self, height: f32) {
        if self.y - height < MARGIN {
            let (page, layer) = self.doc.add_page(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), "text");
            self.layer = self.doc.get_page(page).get_layer(layer);
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    fn text(&self, text: &str, size: f32, x: f32, bold: bool) {
        let font = if bold { &self.bold } else { &self.regular };
        self.layer.use_text(text, size, Mm(x), Mm(self.y), font);
    }

    fn right(&self, text: &str, size: f32, right_edge: f32, bold: bool) {
        self.text(text, size, right_edge - text_width(text, size), bold);
    }

    fn header(&mut self, view: &InvoiceView<'_>) {
        self.advance(6.0);
        self.text(&view.title(), 16.0, MARGIN, true);
        self.advance(2.0);
        for line in view.header_lines() {
            self.advance(5.0);
            self.text(&line, 10.0, MARGIN, false);
        }
        self.advance(4.0);
    }

    fn group(&mut self, view: &InvoiceView<'_>, group: &GroupInvoice) {
        // Keeps the heading with the column titles and the first line.
        self.keep(25.0);
        self.advance(8.0);
        self.text(&view.group_heading(group), 11.0, MARGIN, true);
        self.advance(5.0);
        for (name, x, max) in TEXT_COLUMNS {
            self.text(&truncate(&view::column_title(name), max), BODY, x, true);
        }
        for (name, right) in AMOUNT_COLUMNS {
            self.right(&view::column_title(name), BODY, right, true);
        }
        for line in &group.lines {
            self.line(view, group, line);
        }
        let label = view::group_total_label(group);
        self.totals(&label, view::totals_of_group(group));
    }

    fn line(&mut self, view: &InvoiceView<'_>, group: &GroupInvoice, line: &InvoiceLine) {
        let cells = view.line_cells(group, line, &csv_amount);
        let cell = |name: &str| {
            let index = view::COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
            cells.get(index).cloned().unwrap_or_default()
        };
        self.advance(4.5);
        for (name, x, max) in TEXT_COLUMNS {
            self.text(&truncate(&cell(name), max), BODY, x, false);
        }
        for (name, right) in AMOUNT_COLUMNS {
            self.right(&cell(name), BODY, right, false);
        }
        let mut computation = format!("= {}", cell("computation"));
        let note = cell("note");
        if !note.is_empty() {
            computation.push_str(&format!(" [{note}]"));
        }
        for row in wrap(&computation, WRAP) {
            self.advance(3.5);
            self.text(&row, SMALL, MARGIN + 4.0, false);
        }
    }

    fn totals(&mut self, label: &str, totals: [Decimal; 3]) {
        self.advance(6.0);
        self.right(label, BODY, AMOUNT_COLUMNS[0].1, true);
        for ((_, right), amount) in AMOUNT_COLUMNS[1..].iter().zip(totals) {
            self.right(&csv_amount(amount), BODY, *right, true);
        }
    }
}

/// Estimated width (mm) of `text` in DejaVu Sans at `size` points, from the font's
/// advance widths: 0.636 em for digits, 0.318 em for separators, about 0.6 em otherwise.
fn text_width(text: &str, size: f32) -> f32 {
    let ems: f32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' => 0.636,
            '.' | ',' | ' ' => 0.3179,
            '-' => 0.361,
            _ => 0.6,
        })
        .sum();
    ems * size * PT
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// Splits `text` into rows of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split(' ') {
        let needed = row.chars().count() + word.chars().count() + 1;
        if !row.is_empty() && needed > width {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(word);
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_splits_at_spaces() {
        assert_eq!(wrap("a bb ccc dd", 6), vec!["a bb", "ccc dd"]);
        assert_eq!(wrap("", 6), Vec::<String>::new());
    }

    #[test]
    fn truncate_marks_cut_text() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
