//! Per-peer Automerge sync sessions, without I/O.
//!
//! One [`PeerSync`] lives for one connection to one peer and holds an Automerge
//! `sync::State` per document. It is created fresh on every connection: reusing a sync
//! state across reconnects is a known way to make two peers believe they are in sync while
//! they differ.
//!
//! The caller owns the documents and the transport. Its loop is:
//!
//! 1. on connect, send [`PeerSync::announce`] and then [`PeerSync::generate`] for every
//!    document;
//! 2. on a `Docs` frame, create (empty) any document the peer has and we lack, then
//!    generate for every document the peer listed;
//! 3. on a `Sync` frame, [`PeerSync::receive`] it into the document, persist what changed,
//!    generate a reply for that document, and tell the other peers' sessions the document
//!    changed;
//! 4. on a local change, generate for the changed document.
//!
//! `generate` returns `None` once the peer has everything, which bounds every exchange.

use std::collections::{HashMap, HashSet};

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};

use crate::frame::Frame;

/// Errors from applying a peer's sync message.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("document {doc:?}: invalid sync message: {reason}")]
    InvalidMessage { doc: String, reason: String },
    #[error("document {doc:?}: applying the peer's changes failed: {reason}")]
    Apply { doc: String, reason: String },
}

/// Sync states of every document shared with one peer during one connection.
#[derive(Debug, Default)]
pub struct PeerSync {
    states: HashMap<String, sync::State>,
    /// Documents whose last message went out without `have` and `need`.
    withheld: HashSet<String>,
}

impl PeerSync {
    pub fn new() -> PeerSync {
        PeerSync::default()
    }

    /// Lists the documents we hold with their heads, so the peer learns of new ones.
    pub fn announce<'a>(docs: impl IntoIterator<Item = (&'a str, &'a Automerge)>) -> Frame {
        let heads = docs
            .into_iter()
            .map(|(id, doc)| (id.to_string(), heads_bytes(&doc.get_heads())))
            .collect();
        Frame::Docs { heads }
    }

    /// Builds the next sync message for `doc_id`, or `None` when there is nothing to send.
    pub fn generate(&mut self, doc_id: &str, doc: &Automerge) -> Option<Frame> {
        self.generate_with(doc_id, doc, true)
    }

    /// Builds the next sync message for `doc_id`. With `ask` false the message carries our
    /// heads but neither `have` nor `need`, so the peer learns what we have and sends
    /// nothing back (see [`crate::intake`]). The first message after such a one that may
    /// ask is always sent, even when our heads did not change, so the peer learns what we
    /// lack.
    pub fn generate_with(&mut self, doc_id: &str, doc: &Automerge, ask: bool) -> Option<Frame> {
        let state = self.states.entry(doc_id.to_string()).or_default();
        if ask && self.withheld.remove(doc_id) {
            state.have_responded = false;
        }
        let mut message = doc.generate_sync_message(state)?;
        if !ask {
            message.have.clear();
            message.need.clear();
            self.withheld.insert(doc_id.to_string());
        }
        Some(Frame::Sync {
            doc: doc_id.to_string(),
            message: message.encode(),
        })
    }

    /// Returns the heads the peer last sent for `doc_id`, if it sent any on this
    /// connection.
    pub fn their_heads(&self, doc_id: &str) -> Option<&[ChangeHash]> {
        self.states.get(doc_id)?.their_heads.as_deref()
    }

    /// Applies a peer's sync message to `doc`.
    pub fn receive(
        &mut self,
        doc_id: &str,
        doc: &mut Automerge,
        message: &[u8],
    ) -> Result<(), SyncError> {
        let message = sync::Message::decode(message).map_err(|err| SyncError::InvalidMessage {
            doc: doc_id.to_string(),
            reason: err.to_string(),
        })?;
        let state = self.states.entry(doc_id.to_string()).or_default();
        doc.receive_sync_message(state, message)
            .map_err(|err| SyncError::Apply {
                doc: doc_id.to_string(),
                reason: err.to_string(),
            })
    }

    /// Applies a peer's sync message to `doc`, recording the patches it makes in `log`, so
    /// the caller learns what changed without diffing the whole document.
    pub fn receive_logged(
        &mut self,
        doc_id: &str,
        doc: &mut Automerge,
        message: &[u8],
        log: &mut automerge::PatchLog,
    ) -> Result<(), SyncError> {
        let message = sync::Message::decode(message).map_err(|err| SyncError::InvalidMessage {
            doc: doc_id.to_string(),
            reason: err.to_string(),
        })?;
        let state = self.states.entry(doc_id.to_string()).or_default();
        doc.receive_sync_message_log_patches(state, message, log)
            .map_err(|err| SyncError::Apply {
                doc: doc_id.to_string(),
                reason: err.to_string(),
            })
    }

    /// Whether the peer's last known heads for `doc_id` equal `doc`'s heads.
    pub fn in_sync(&self, doc_id: &str, doc: &Automerge) -> bool {
        let Some(state) = self.states.get(doc_id) else {
            return false;
        };
        let mut ours = doc.get_heads();
        ours.sort();
        match &state.their_heads {
            Some(theirs) => {
                let mut theirs = theirs.clone();
                theirs.sort();
                theirs == ours
            }
            None => false,
        }
    }

    /// Forgets the state of one document, so the next exchange starts over. The node calls
    /// it when announced heads differ although the state claims both sides agree.
    pub fn reset(&mut self, doc_id: &str) {
        self.states.remove(doc_id);
        self.withheld.remove(doc_id);
    }
}

/// Converts change hashes into the raw bytes carried by `Docs` frames.
pub fn heads_bytes(heads: &[ChangeHash]) -> Vec<[u8; 32]> {
    heads.iter().map(|h| h.0).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    /// Builds a fresh document with one key, for tests of this crate.
    pub(crate) fn doc_with(key: &str) -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(automerge::ROOT, key, 1_i64)?;
            Ok(())
        })
        .expect("write to a fresh document");
        doc
    }

    /// Runs the exchange between two sessions until neither has anything to send.
    fn exchange(a: &mut Automerge, b: &mut Automerge) -> usize {
        let (mut sa, mut sb) = (PeerSync::new(), PeerSync::new());
        let mut rounds = 0;
        for _ in 0..20 {
            let mut sent = false;
            if let Some(Frame::Sync { message, .. }) = sa.generate("d", a) {
                sb.receive("d", b, &message).expect("valid message");
                sent = true;
            }
            if let Some(Frame::Sync { message, .. }) = sb.generate("d", b) {
                sa.receive("d", a, &message).expect("valid message");
                sent = true;
            }
            if !sent {
                break;
            }
            rounds += 1;
        }
        assert!(sa.in_sync("d", a));
        assert!(sb.in_sync("d", b));
        rounds
    }

    #[test]
    fn two_documents_converge() {
        let mut a = doc_with("a");
        let mut b = doc_with("b");
        let rounds = exchange(&mut a, &mut b);
        assert!(rounds < 20, "exchange did not settle");
        assert_eq!(a.get_heads(), b.get_heads());
    }

    #[test]
    fn garbage_message_is_an_error() {
        let mut session = PeerSync::new();
        let mut doc = Automerge::new();
        let result = session.receive("d", &mut doc, &[0xff, 0x00, 0x13]);
        assert!(matches!(result, Err(SyncError::InvalidMessage { .. })));
    }
}
