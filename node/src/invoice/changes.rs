//! Finds the lines of an issued invoice whose session changed after the issue.
//!
//! The node that issues refuses to edit an invoiced session, but an edit made offline
//! on another node before that node learned of the invoice cannot be refused; it merges
//! when the nodes sync. Such lines are flagged by comparing the frozen line with the
//! session as it is now.

use std::collections::HashMap;

use progmanager_model::Session;
use progmanager_model::billing::{BreakdownItem, GroupInvoice, InvoiceLine};
use progmanager_model::schema::{InvoiceKind, IssuedInvoice};
use uuid::Uuid;

/// How the session of a frozen line differs from the current records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineChange {
    /// A field that the line's amount depends on differs.
    Changed,
    /// The session no longer exists.
    Removed,
}

/// The lines of `issued` whose session changed since the issue. Credit notes have none,
/// because they only cancel what the invoice froze.
pub fn changed_lines(issued: &IssuedInvoice, sessions: &[Session]) -> HashMap<Uuid, LineChange> {
    let mut out = HashMap::new();
    if issued.kind == InvoiceKind::CreditNote {
        return out;
    }
    let current: HashMap<Uuid, &Session> = sessions.iter().map(|s| (s.id, s)).collect();
    for group in &issued.invoice.groups {
        for line in &group.lines {
            match current.get(&line.session) {
                None => {
                    out.insert(line.session, LineChange::Removed);
                }
                Some(session) if differs(group, line, session) => {
                    out.insert(line.session, LineChange::Changed);
                }
                Some(_) => {}
            }
        }
    }
    out
}

fn differs(group: &GroupInvoice, line: &InvoiceLine, session: &Session) -> bool {
    let billable_at_issue = !line.breakdown.contains(&BreakdownItem::NotBillable);
    session.group != group.group
        || session.instrument != line.instrument
        || session.operator != line.operator
        || session.kind != line.kind
        || session.start != line.start
        || session.end != Some(line.end)
        || session.samples != line.samples
        || session.billable != billable_at_issue
}
