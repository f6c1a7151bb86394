//! What every rendering of an invoice shows, in the user's language: the header, the
//! line cells and the totals. The table, CSV, xlsx, PDF and JSON renderings all read an
//! [`InvoiceView`], so they show the same facts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use progmanager_model::billing::{GroupInvoice, Invoice, InvoiceLine, LinePricing};
use progmanager_model::schema::{InvoiceKind, IssuedInvoice};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::breakdown;
use super::changes::LineChange;
use crate::tr;

/// An invoice to render: a preview of a period, or an issued document.
pub struct InvoiceView<'a> {
    pub facility: String,
    pub invoice: &'a Invoice,
    /// `None` for a preview.
    pub issued: Option<&'a IssuedInvoice>,
    pub tz: Tz,
    /// Lines to point out: sessions an issued invoice already bills (in a preview), or
    /// sessions changed since the issue (in an issued invoice).
    pub flags: HashMap<Uuid, LineFlag>,
}

/// Why a line is pointed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineFlag {
    /// The issued invoice with this number already bills the session.
    Invoiced(String),
    /// The session changed after the issue.
    Changed(LineChange),
}

impl LineFlag {
    /// Returns the remark in the user's language.
    pub fn note(&self) -> String {
        match self {
            LineFlag::Invoiced(number) => tr!("invoices-note-invoiced", number = number.clone()),
            LineFlag::Changed(LineChange::Changed) => tr!("invoices-note-changed"),
            LineFlag::Changed(LineChange::Removed) => tr!("invoices-note-removed"),
        }
    }
}

/// Line columns, as JSON-like names; titles come from [`column_title`].
pub const COLUMNS: [&str; 15] = [
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
    "vat",
    "amount_including_vat",
    "computation",
    "note",
];

/// Index of the amount before VAT in [`COLUMNS`]; VAT and the amount including VAT follow.
pub const AMOUNT_COLUMN: usize = 10;

/// Returns the title of a column in the user's language.
pub fn column_title(name: &str) -> String {
    match name {
        "vat" | "amount_including_vat" | "computation" | "note" => {
            tr!(&format!("invoices-column-{name}"))
        }
        other => tr!(&format!("column-{other}")),
    }
}

impl InvoiceView<'_> {
    /// Returns the document title: invoice or credit note with its number, or a preview.
    pub fn title(&self) -> String {
        match self.issued {
            None => tr!("invoices-title-preview"),
            Some(issued) if issued.kind == InvoiceKind::CreditNote => {
                tr!(
                    "invoices-title-credit-note",
                    number = issued.number.to_string()
                )
            }
            Some(issued) => tr!("invoices-title-invoice", number = issued.number.to_string()),
        }
    }

    /// Header lines after the title: facility, date of issue, period, references.
    pub fn header_lines(&self) -> Vec<String> {
        let mut lines = vec![tr!(
            "invoices-header-facility",
            name = self.facility.clone()
        )];
        if let Some(issued) = self.issued {
            let date = issued.issued_at.with_timezone(&self.tz).date_naive();
            lines.push(tr!("invoices-header-date", date = date.to_string()));
        }
        lines.push(tr!(
            "invoices-header-period",
            from = self.invoice.from.to_string(),
            to = self.invoice.to.to_string(),
            timezone = self.tz.name()
        ));
        if let Some(credits) = self.issued.and_then(|i| i.credits) {
            lines.push(tr!("invoices-header-credits", number = credits.to_string()));
        }
        if let Some(credit) = self.issued.and_then(|i| i.credited_by) {
            lines.push(tr!("invoices-header-credited", number = credit.to_string()));
        }
        lines
    }

    /// Returns the heading of a group: code, name and category.
    pub fn group_heading(&self, group: &GroupInvoice) -> String {
        tr!(
            "invoices-group-heading",
            group = group.group.clone(),
            name = group.name.clone(),
            category = tr!(&format!("invoices-category-{}", group.category.code()))
        )
    }

    /// Builds the text cells of a line, one per [`COLUMNS`] entry, with amounts as `amount`
    /// writes them.
    pub fn line_cells(
        &self,
        group: &GroupInvoice,
        line: &InvoiceLine,
        amount: &dyn Fn(Decimal) -> String,
    ) -> Vec<String> {
        let local = |at: DateTime<Utc>| {
            at.with_timezone(&self.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        let samples = if line.samples > 0 {
            line.samples.to_string()
        } else {
            String::new()
        };
        vec![
            group.group.clone(),
            line.instrument.clone(),
            line.operator.clone(),
            local(line.start),
            local(line.end),
            format!(
                "{}:{:02}",
                line.duration_minutes / 60,
                line.duration_minutes % 60
            ),
            line.hourly_rate.map(amount).unwrap_or_default(),
            samples,
            line.per_sample_rate.map(amount).unwrap_or_default(),
            pricing_label(line.pricing),
            amount(line.amount),
            amount(line.vat),
            amount(line.amount_including_vat),
            breakdown::describe(&line.breakdown, self.tz),
            self.flags
                .get(&line.session)
                .map(LineFlag::note)
                .unwrap_or_default(),
        ]
    }
}

/// Returns the three totals of a group: before VAT, VAT, including VAT.
pub fn totals_of_group(group: &GroupInvoice) -> [Decimal; 3] {
    [group.total, group.total_vat, group.total_including_vat]
}

/// Returns the three totals of the whole invoice.
pub fn totals_of_invoice(invoice: &Invoice) -> [Decimal; 3] {
    [
        invoice.total,
        invoice.total_vat,
        invoice.total_including_vat,
    ]
}

/// Label of a group's total row.
pub fn group_total_label(group: &GroupInvoice) -> String {
    tr!("invoices-group-total", group = group.group.clone())
}

/// Label of the invoice's total row.
pub fn grand_total_label() -> String {
    tr!("invoices-grand-total")
}

pub fn pricing_label(pricing: LinePricing) -> String {
    match pricing {
        LinePricing::Charged => tr!("pricing-charged"),
        LinePricing::Covered => tr!("pricing-covered"),
        LinePricing::Unbilled => tr!("pricing-unbilled"),
    }
}
