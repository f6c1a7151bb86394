//! Invoices a finance office accepts: issued with a number, frozen, cancelled only by a
//! credit note, and exported as CSV, xlsx, PDF and JSON.
//!
//! - [`office`]: the billing office, the only node that issues, so numbers never collide.
//! - [`issue`], [`credit`]: issuing an invoice or a credit note under the next number.
//! - [`records`]: reading issued documents and the sessions they bill.
//! - [`totals`]: leaving out invoiced sessions, negating for a credit note.
//! - [`changes`]: lines whose session changed after the issue.
//! - [`view`], [`breakdown`]: what every rendering shows, in the user's language.
//! - [`table`], [`export_csv`], [`export_xlsx`], [`export_pdf`], [`export_json`]: the
//!   renderings.
//! - [`error`]: what can go wrong, in French and English.

pub mod breakdown;
pub mod changes;
pub mod credit;
pub mod error;
pub mod export_csv;
pub mod export_json;
pub mod export_pdf;
pub mod export_xlsx;
pub mod issue;
pub mod office;
pub mod records;
pub mod table;
pub mod totals;
pub mod view;

pub use error::InvoiceError;
