//! Issuing an invoice: on the billing office node only, the computed lines are frozen
//! under the next number of the year, in the same SQLite transaction that writes them.
//!
//! The number is one more than the highest number of the year in the `invoices/YEAR`
//! document, read after the store took SQLite's write lock (`BEGIN IMMEDIATE`) and
//! applied every row other processes appended. If the write fails, nothing is
//! committed, so no number is lost and the sequence has no gap.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Utc};
use chrono_tz::Tz;
use progmanager_model::billing::{Invoice, LinePricing};
use progmanager_model::schema::{self, InvoiceKind, IssuedInvoice};
use progmanager_model::{BillingGroup, Tariff, User};
use uuid::Uuid;

use super::{InvoiceError, office, records, totals};
use crate::error::AppError;
use crate::node::Node;
use crate::store::Batch;

/// An issued invoice and the sessions left out because an earlier invoice bills them.
pub struct Issued {
    pub invoice: IssuedInvoice,
    /// Session ID and number of the invoice that already bills it.
    pub left_out: Vec<(Uuid, String)>,
}

/// Issues `computed` (the preview of a period) as a numbered invoice.
pub fn issue(
    node: &mut Node,
    admin: &User,
    computed: &Invoice,
    group: Option<&str>,
) -> Result<Issued, AppError> {
    office::require_this_node(node)?;
    let invoiced = records::invoiced_sessions(node)?;
    let (invoice, left_out) = totals::without_sessions(computed, &invoiced)?;
    if invoice.groups.is_empty() {
        return Err(InvoiceError::NothingToInvoice {
            from: computed.from.to_string(),
            to: computed.to.to_string(),
        }
        .into());
    }

    let settings = node.settings()?;
    let tz: Tz = node.timezone()?;
    let tariffs = tariffs_used(
        &invoice,
        &crate::ops::groups(node)?,
        &crate::ops::tariffs(node)?,
        tz,
    );
    let issued_at = Utc::now();
    let year = issued_at.with_timezone(&tz).year();
    let mut issued = IssuedInvoice {
        number: schema::InvoiceNumber { year, sequence: 0 },
        kind: InvoiceKind::Invoice,
        issued_at,
        issued_by: admin.login.clone(),
        node: node.node_id.to_string(),
        facility: settings.name,
        timezone: tz.name().to_string(),
        group: group.map(str::to_string),
        sessions: invoice
            .groups
            .iter()
            .flat_map(|g| g.lines.iter().map(|l| l.session))
            .collect(),
        invoice,
        tariffs,
        credits: None,
        credited_by: None,
    };

    let doc_ids = records::invoice_doc_ids(node);
    let author = node.author(&admin.login);
    node.store.write(&author, |batch| {
        check_not_invoiced(batch, &doc_ids, &issued.sessions)?;
        let doc_id = schema::invoices_doc_id(year);
        issued.number = schema::next_invoice_number(batch.doc(&doc_id), year)?;
        batch.edit(&doc_id, |tx| -> Result<(), AppError> {
            Ok(schema::put_invoice(tx, &issued)?)
        })
    })?;
    tracing::info!(invoice = %issued.number, sessions = issued.sessions.len(), "invoice issued");
    node.notify_running_node();
    Ok(Issued {
        invoice: issued,
        left_out,
    })
}

/// Fails when another process issued an invoice for one of `sessions` after the preview
/// was computed, reading the documents under the write lock.
fn check_not_invoiced(
    batch: &Batch<'_>,
    doc_ids: &[String],
    sessions: &[Uuid],
) -> Result<(), AppError> {
    let requested: HashSet<&Uuid> = sessions.iter().collect();
    for doc_id in doc_ids {
        let Some(doc) = batch.doc(doc_id) else {
            continue;
        };
        for invoice in schema::read_invoices(doc)? {
            if !invoice.is_active_invoice() {
                continue;
            }
            if let Some(session) = invoice.sessions.iter().find(|s| requested.contains(s)) {
                return Err(InvoiceError::IssuedMeanwhile {
                    session: session.to_string(),
                    invoice: invoice.number.to_string(),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// Returns the tariff versions that priced the charged and covered lines.
///
/// For each line, that is the version of its instrument and its group's category with the
/// latest effective date on or before the local date of the session start. The billing
/// engine selects versions by the same rule.
pub fn tariffs_used(
    invoice: &Invoice,
    groups: &[BillingGroup],
    tariffs: &[Tariff],
    tz: Tz,
) -> Vec<Tariff> {
    let categories: HashMap<&str, _> = groups
        .iter()
        .map(|g| (g.code.as_str(), g.category))
        .collect();
    let mut used: Vec<Tariff> = Vec::new();
    for group in &invoice.groups {
        let category = categories
            .get(group.group.as_str())
            .copied()
            .unwrap_or(group.category);
        for line in &group.lines {
            if line.pricing == LinePricing::Unbilled {
                continue;
            }
            let date = line.start.with_timezone(&tz).date_naive();
            let version = tariffs
                .iter()
                .filter(|t| t.instrument == line.instrument && t.category == category)
                .filter(|t| t.effective_from.is_none_or(|from| from <= date))
                .max_by_key(|t| t.effective_from);
            if let Some(version) = version
                && !used.contains(version)
            {
                used.push(version.clone());
            }
        }
    }
    used
}
