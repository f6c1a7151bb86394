//! Reads issued invoices and credit notes from the `invoices/YEAR` documents, and the
//! sessions they bill from the derived `invoiced_sessions` table.

use std::collections::HashMap;

use progmanager_model::schema::{self, DocKind, InvoiceNumber, IssuedInvoice};
use uuid::Uuid;

use super::InvoiceError;
use crate::error::AppError;
use crate::node::Node;
use crate::projection;
use crate::store::StoreError;

/// Parses a number given on the command line.
pub fn parse_number(text: &str) -> Result<InvoiceNumber, InvoiceError> {
    text.parse().map_err(|_| InvoiceError::InvalidNumber {
        value: text.to_string(),
    })
}

/// IDs of the invoices documents this node holds.
pub fn invoice_doc_ids(node: &Node) -> Vec<String> {
    node.store
        .doc_ids()
        .filter(|id| matches!(schema::doc_kind(id), Some(DocKind::Invoices { .. })))
        .map(str::to_string)
        .collect()
}

/// Every invoice and credit note this node holds, by number.
pub fn all(node: &Node) -> Result<Vec<IssuedInvoice>, AppError> {
    let mut out = Vec::new();
    for doc_id in invoice_doc_ids(node) {
        if let Some(doc) = node.store.doc(&doc_id) {
            out.extend(schema::read_invoices(doc)?);
        }
    }
    out.sort_by_key(|invoice| invoice.number);
    Ok(out)
}

/// The invoice or credit note numbered `text`.
pub fn find(node: &Node, text: &str) -> Result<IssuedInvoice, AppError> {
    let number = parse_number(text)?;
    let unknown = || InvoiceError::UnknownInvoice {
        number: number.to_string(),
    };
    let doc = node
        .store
        .doc(&schema::invoices_doc_id(number.year))
        .ok_or_else(unknown)?;
    let found = schema::read_invoices(doc)?
        .into_iter()
        .find(|invoice| invoice.number == number);
    Ok(found.ok_or_else(unknown)?)
}

/// Sessions billed by an issued invoice that no credit note cancelled, with its number.
pub fn invoiced_sessions(node: &Node) -> Result<HashMap<Uuid, String>, AppError> {
    projection::invoiced_sessions(node.store.connection()).map_err(|e| sqlite(node, e))
}

/// Number of the issued, not credited invoice that bills session `id`, if any.
pub fn invoice_of_session(node: &Node, id: &str) -> Result<Option<String>, AppError> {
    projection::invoice_of_session(node.store.connection(), id).map_err(|e| sqlite(node, e))
}

fn sqlite(node: &Node, source: rusqlite::Error) -> AppError {
    AppError::Store(StoreError::Sqlite {
        path: node.store.path().to_path_buf(),
        source,
    })
}
