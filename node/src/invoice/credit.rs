//! Cancelling an issued invoice with a credit note: a document of its own, numbered from
//! the same sequence, with the invoice's lines and negated amounts. The invoice is marked
//! credited in the same SQLite transaction, so its sessions can be billed again.

use chrono::{Datelike, Utc};
use progmanager_model::User;
use progmanager_model::schema::{self, InvoiceKind, IssuedInvoice};

use super::{InvoiceError, office, records, totals};
use crate::error::AppError;
use crate::node::Node;

/// Issues the credit note of invoice `number` and returns it.
pub fn credit(node: &mut Node, admin: &User, number: &str) -> Result<IssuedInvoice, AppError> {
    office::require_this_node(node)?;
    let original = records::find(node, number)?;
    check_creditable(&original)?;

    let tz = node.timezone()?;
    let issued_at = Utc::now();
    let year = issued_at.with_timezone(&tz).year();
    let mut credit = IssuedInvoice {
        number: schema::InvoiceNumber { year, sequence: 0 },
        kind: InvoiceKind::CreditNote,
        issued_at,
        issued_by: admin.login.clone(),
        node: node.node_id.to_string(),
        facility: node.settings()?.name,
        timezone: original.timezone.clone(),
        group: original.group.clone(),
        invoice: totals::negated(&original.invoice),
        tariffs: original.tariffs.clone(),
        sessions: original.sessions.clone(),
        credits: Some(original.number),
        credited_by: None,
    };

    let original_doc = schema::invoices_doc_id(original.number.year);
    let author = node.author(&admin.login);
    node.store.write(&author, |batch| {
        // Another process may have credited the invoice since it was read.
        let latest = batch
            .doc(&original_doc)
            .map(schema::read_invoices)
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .find(|invoice| invoice.number == original.number);
        if let Some(latest) = &latest {
            check_creditable(latest)?;
        }
        let doc_id = schema::invoices_doc_id(year);
        credit.number = schema::next_invoice_number(batch.doc(&doc_id), year)?;
        batch.edit(&doc_id, |tx| -> Result<(), AppError> {
            Ok(schema::put_invoice(tx, &credit)?)
        })?;
        batch.edit(&original_doc, |tx| -> Result<(), AppError> {
            Ok(schema::mark_credited(tx, original.number, credit.number)?)
        })
    })?;
    tracing::info!(credit_note = %credit.number, invoice = %original.number, "credit note issued");
    node.notify_running_node();
    Ok(credit)
}

fn check_creditable(invoice: &IssuedInvoice) -> Result<(), InvoiceError> {
    if invoice.kind == InvoiceKind::CreditNote {
        return Err(InvoiceError::NotAnInvoice {
            number: invoice.number.to_string(),
        });
    }
    if let Some(credit) = invoice.credited_by {
        return Err(InvoiceError::AlreadyCredited {
            number: invoice.number.to_string(),
            credit: credit.to_string(),
        });
    }
    Ok(())
}
