//! How the domain records are laid out in Automerge documents.
//!
//! Two kinds of documents make up a facility:
//!
//! - the **facility** document ([`FACILITY_DOC`]): settings, instruments, billing groups,
//!   users, tariffs and member nodes, each a map keyed by its natural code;
//! - one **logbook** per instrument and year ([`logbook_doc_id`]): sessions keyed by a
//!   UUID v7, so concurrent offline writes never collide;
//! - one **invoices** document per year of issue ([`invoices_doc_id`]): issued invoices
//!   and credit notes keyed by their number, written only by the billing office.
//!
//! Every document starts from a deterministic genesis change ([`genesis`]): a fixed actor
//! and timestamp create the root maps, so two nodes that create the same document offline
//! produce the same change, and neither shadows the other's maps.
//!
//! Records are never removed: deletion is a `deleted` field, so a concurrent edit cannot
//! resurrect half a record.

mod facility;
mod invoices;
mod logbook;
mod value;

pub use facility::*;
pub use invoices::*;
pub use logbook::*;
pub use value::SchemaError;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjType, ROOT};

/// Document ID of the facility document.
pub const FACILITY_DOC: &str = "facility";

/// Actor of every genesis change. It never writes anything else.
const GENESIS_ACTOR: &[u8] = b"progmanager-genesis";

/// Root maps of the facility document.
pub const FACILITY_MAPS: [&str; 7] = [
    "settings",
    "instruments",
    "groups",
    "users",
    "tariffs",
    "members",
    "programs",
];

/// Root maps of a logbook document.
pub const LOGBOOK_MAPS: [&str; 2] = ["sessions", "entries"];

/// The kind of a document, derived from its ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocKind {
    Facility,
    Logbook { instrument: String, year: i32 },
    Invoices { year: i32 },
}

/// Document ID of the logbook of `instrument` for the UTC `year` of session starts.
pub fn logbook_doc_id(instrument: &str, year: i32) -> String {
    format!("logbook/{instrument}/{year}")
}

/// Parses a document ID; `None` for an ID this version does not know.
pub fn doc_kind(doc_id: &str) -> Option<DocKind> {
    if doc_id == FACILITY_DOC {
        return Some(DocKind::Facility);
    }
    if let Some(year) = doc_id.strip_prefix("invoices/") {
        let all_digits = !year.is_empty() && year.bytes().all(|b| b.is_ascii_digit());
        return all_digits
            .then(|| year.parse().ok())
            .flatten()
            .map(|year| DocKind::Invoices { year });
    }
    let rest = doc_id.strip_prefix("logbook/")?;
    let (instrument, year) = rest.rsplit_once('/')?;
    let year = year.parse().ok()?;
    if instrument.is_empty() {
        return None;
    }
    Some(DocKind::Logbook {
        instrument: instrument.to_string(),
        year,
    })
}

/// Builds the genesis of a document: the same bytes on every node for the same ID kind.
///
/// Returns `None` for an unknown document ID.
pub fn genesis(doc_id: &str) -> Option<Automerge> {
    let maps: &[&str] = match doc_kind(doc_id)? {
        DocKind::Facility => &FACILITY_MAPS,
        DocKind::Logbook { .. } => &LOGBOOK_MAPS,
        DocKind::Invoices { .. } => &INVOICES_MAPS,
    };

    let mut doc = Automerge::new();
    doc.set_actor(ActorId::from(GENESIS_ACTOR));
    let options = CommitOptions::default()
        .with_time(0)
        .with_message("genesis");
    doc.transact_with::<_, _, automerge::AutomergeError, _>(
        |_| options,
        |tx| {
            for name in maps {
                tx.put_object(ROOT, *name, ObjType::Map)?;
            }
            Ok(())
        },
    )
    .expect("creating root maps in an empty document cannot fail");
    Some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_is_identical_on_two_nodes() {
        let a = genesis(FACILITY_DOC).expect("known doc");
        let b = genesis(FACILITY_DOC).expect("known doc");
        assert_eq!(a.get_heads(), b.get_heads());

        let l1 = genesis(&logbook_doc_id("RMN", 2010)).expect("known doc");
        let l2 = genesis(&logbook_doc_id("XRD", 2026)).expect("known doc");
        assert_eq!(l1.get_heads(), l2.get_heads());
        assert_ne!(a.get_heads(), l1.get_heads());
    }

    #[test]
    fn doc_kind_parses_ids() {
        assert_eq!(doc_kind("facility"), Some(DocKind::Facility));
        assert_eq!(
            doc_kind("logbook/RMN/2010"),
            Some(DocKind::Logbook {
                instrument: "RMN".into(),
                year: 2010
            })
        );
        assert_eq!(doc_kind("logbook//2010"), None);
        assert_eq!(doc_kind("logbook/RMN/abc"), None);
        assert_eq!(doc_kind("other"), None);
        assert_eq!(
            doc_kind("invoices/2026"),
            Some(DocKind::Invoices { year: 2026 })
        );
        assert_eq!(doc_kind("invoices/"), None);
        assert_eq!(doc_kind("invoices/-1"), None);
        let a = genesis(&invoices_doc_id(2026)).expect("known doc");
        let b = genesis(&invoices_doc_id(2026)).expect("known doc");
        assert_eq!(a.get_heads(), b.get_heads());
    }
}
