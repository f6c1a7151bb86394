//! Errors of issuing, crediting, showing and exporting invoices, each rendered in the
//! user's language with the value at fault and what to do next.

use crate::tr;

/// Every way an invoice command can fail on its own terms.
#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    /// Issuing or crediting was asked on a node other than the billing office.
    #[error("this node is not the billing office; invoices are issued on node {office} ({name})")]
    NotBillingOffice { office: String, name: String },

    /// The facility has no member to act as billing office.
    #[error(
        "the facility has no billing office: set one with `progmanager invoice office NODE-ID`"
    )]
    NoBillingOffice,

    /// The node chosen as billing office was removed from the facility.
    #[error("node {id} was removed from the facility and cannot be the billing office")]
    RemovedNode { id: String },

    /// No invoice or credit note has this number.
    #[error("no invoice or credit note has the number {number:?}")]
    UnknownInvoice { number: String },

    /// A text given as an invoice number is not of the form `YYYY-NNNN`.
    #[error("invalid invoice number {value:?}: expected YEAR-SEQUENCE such as 2026-0001")]
    InvalidNumber { value: String },

    /// The invoice was already cancelled by a credit note.
    #[error("invoice {number} was already cancelled by credit note {credit}")]
    AlreadyCredited { number: String, credit: String },

    /// A credit note was given where an invoice is expected.
    #[error("{number} is a credit note, not an invoice")]
    NotAnInvoice { number: String },

    /// The period has no closed session left to invoice.
    #[error("no session left to invoice from {from} to {to}")]
    NothingToInvoice { from: String, to: String },

    /// An edit of a session that an issued invoice bills.
    #[error("session {session} is billed by issued invoice {invoice}; credit the invoice first")]
    SessionInvoiced { session: String, invoice: String },

    /// Another issue invoiced a session while this one was being computed.
    #[error("session {session} was invoiced on {invoice} meanwhile; run the command again")]
    IssuedMeanwhile { session: String, invoice: String },

    /// An xlsx or PDF export without `--output FILE`.
    #[error("the {format} format is written to a file: give --output FILE")]
    OutputRequired { format: &'static str },
}

impl InvoiceError {
    /// Returns the message in the user's language.
    pub fn localized(&self) -> String {
        match self {
            InvoiceError::NotBillingOffice { office, name } => tr!(
                "invoices-error-not-office",
                office = office.clone(),
                name = name.clone()
            ),
            InvoiceError::NoBillingOffice => tr!("invoices-error-no-office"),
            InvoiceError::RemovedNode { id } => tr!("invoices-error-removed-node", id = id.clone()),
            InvoiceError::UnknownInvoice { number } => {
                tr!("invoices-error-unknown", number = number.clone())
            }
            InvoiceError::InvalidNumber { value } => {
                tr!("invoices-error-invalid-number", value = value.clone())
            }
            InvoiceError::AlreadyCredited { number, credit } => tr!(
                "invoices-error-already-credited",
                number = number.clone(),
                credit = credit.clone()
            ),
            InvoiceError::NotAnInvoice { number } => {
                tr!("invoices-error-not-an-invoice", number = number.clone())
            }
            InvoiceError::NothingToInvoice { from, to } => tr!(
                "invoices-error-nothing",
                from = from.clone(),
                to = to.clone()
            ),
            InvoiceError::SessionInvoiced { session, invoice } => tr!(
                "invoices-error-session-invoiced",
                session = session.clone(),
                invoice = invoice.clone()
            ),
            InvoiceError::IssuedMeanwhile { session, invoice } => tr!(
                "invoices-error-issued-meanwhile",
                session = session.clone(),
                invoice = invoice.clone()
            ),
            InvoiceError::OutputRequired { format } => {
                tr!("invoices-error-output-required", format = *format)
            }
        }
    }
}
