//! Which link of a node may ask its peer for missing changes, per document, without I/O.
//!
//! An Automerge sync message carries the sender's `have` (a Bloom filter of the changes it
//! has) and `need` (hashes it requests). The peer replies with every change the message
//! shows missing. A node that lacks changes several peers have would get them from each
//! of those peers at once, because each link's sync state requests them on its own. In
//! the sync benchmark, four nodes after an offline period sent 1.5 to 6 times the bytes
//! of bare Automerge this way (docs/benchmarks.md).
//!
//! The intake lets one link at a time ask, per document, while the node is behind a
//! peer: the others still send their heads, with `have` and `need` removed
//! ([`crate::session::PeerSync::generate_with`]), so their peers send nothing yet. When
//! the asking link's peer has nothing left that the node lacks, the intake opens for the
//! next link that is behind, whose peer then sends only what is still missing. When the
//! node is behind no peer, every link asks, as plain Automerge sync does, so changes
//! written live reach every connected peer at once.
//!
//! A link keeps the turn until its peer's heads are all in the document, the link closes,
//! or [`HOLD_LIMIT_MS`] pass without a message from that peer; the turn then goes to the
//! next link that generates a message, and the node's periodic announcement makes every
//! link generate one.

use std::collections::{BTreeSet, HashMap};

use automerge::{Automerge, ChangeHash};

/// Identifies one link of a node for the lifetime of that link.
pub type LinkKey = u64;

/// Time after which a link that has the turn but receives nothing from its peer loses it.
pub const HOLD_LIMIT_MS: i64 = 3_000;

/// The turn to ask, per document, for one node.
#[derive(Debug, Default)]
pub struct Intake {
    docs: HashMap<String, DocIntake>,
}

#[derive(Debug, Default)]
struct DocIntake {
    /// Last heads each link's peer announced or sent.
    heads: HashMap<LinkKey, Vec<ChangeHash>>,
    /// Links whose peer has changes the document lacks, according to `heads`.
    behind: BTreeSet<LinkKey>,
    /// The link whose turn it is, and when its peer last sent something.
    holder: Option<(LinkKey, i64)>,
}

impl DocIntake {
    fn update(&mut self, link: LinkKey, doc: &Automerge) {
        let lacking = self.heads.get(&link).is_some_and(|heads| {
            heads
                .iter()
                .any(|h| doc.get_change_meta_by_hash(h).is_none())
        });
        if lacking {
            self.behind.insert(link);
        } else {
            self.behind.remove(&link);
        }
    }

    /// Ends the turn of a holder that is no longer behind, and returns whether other
    /// links may now ask.
    fn settle(&mut self, was_behind: bool) -> bool {
        let released = match self.holder {
            Some((link, _)) if !self.behind.contains(&link) => {
                self.holder = None;
                true
            }
            _ => false,
        };
        released || (was_behind && self.behind.is_empty())
    }
}

impl Intake {
    pub fn new() -> Intake {
        Intake::default()
    }

    /// Records the heads that `link`'s peer announced or sent for `doc_id`. Returns
    /// whether other links may now ask for the document, so the caller makes them
    /// generate a message.
    pub fn peer_heads(
        &mut self,
        link: LinkKey,
        doc_id: &str,
        heads: &[ChangeHash],
        doc: &Automerge,
        now_ms: i64,
    ) -> bool {
        let entry = self.docs.entry(doc_id.to_string()).or_default();
        let was_behind = !entry.behind.is_empty();
        entry.heads.insert(link, heads.to_vec());
        entry.update(link, doc);
        if let Some((holder, since)) = &mut entry.holder
            && *holder == link
        {
            *since = now_ms;
        }
        entry.settle(was_behind)
    }

    /// Re-evaluates every link of `doc_id` after the document received changes, which
    /// may have come from another link. Returns whether other links may now ask.
    pub fn doc_changed(&mut self, doc_id: &str, doc: &Automerge) -> bool {
        let Some(entry) = self.docs.get_mut(doc_id) else {
            return false;
        };
        let was_behind = !entry.behind.is_empty();
        let links: Vec<LinkKey> = entry.heads.keys().copied().collect();
        for link in links {
            entry.update(link, doc);
        }
        entry.settle(was_behind)
    }

    /// Returns whether the next message on `link` for `doc_id` may ask the peer for what
    /// the document lacks. Gives `link` the turn when it is behind and the turn is free.
    pub fn may_ask(&mut self, link: LinkKey, doc_id: &str, now_ms: i64) -> bool {
        let Some(entry) = self.docs.get_mut(doc_id) else {
            return true;
        };
        if entry.behind.is_empty() {
            return true;
        }
        match entry.holder {
            Some((holder, _)) if holder == link => true,
            Some((_, since)) if now_ms - since < HOLD_LIMIT_MS => false,
            _ if entry.behind.contains(&link) => {
                entry.holder = Some((link, now_ms));
                true
            }
            _ => false,
        }
    }

    /// Forgets a closed link. Returns the documents that other links may now ask for.
    pub fn link_closed(&mut self, link: LinkKey) -> Vec<String> {
        let mut opened = Vec::new();
        for (doc_id, entry) in &mut self.docs {
            let was_behind = !entry.behind.is_empty();
            entry.heads.remove(&link);
            entry.behind.remove(&link);
            if entry.settle(was_behind) {
                opened.push(doc_id.clone());
            }
        }
        opened.sort();
        opened
    }

    /// Returns the link whose turn it is for `doc_id`, if the node is behind a peer.
    #[cfg(test)]
    fn holder(&self, doc_id: &str) -> Option<LinkKey> {
        self.docs
            .get(doc_id)
            .and_then(|entry| entry.holder)
            .map(|(link, _)| link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::doc_with;

    /// Builds our document, the peers' document, and an intake where links 1 and 2 both
    /// lead to peers that have the peers' document.
    fn two_links_behind() -> (Automerge, Automerge, Intake) {
        let ours = doc_with("a");
        let theirs = doc_with("b");
        let mut intake = Intake::new();
        intake.peer_heads(1, "d", &theirs.get_heads(), &ours, 0);
        intake.peer_heads(2, "d", &theirs.get_heads(), &ours, 0);
        (ours, theirs, intake)
    }

    #[test]
    fn intake_gives_the_turn_to_one_link() {
        let (mut ours, theirs, mut intake) = two_links_behind();
        assert!(intake.may_ask(2, "d", 10));
        assert!(!intake.may_ask(1, "d", 10));
        assert_eq!(intake.holder("d"), Some(2));

        ours.merge(&mut theirs.clone()).expect("merge");
        assert!(intake.doc_changed("d", &ours), "the turn must open");
        assert!(intake.may_ask(1, "d", 20));
        assert_eq!(intake.holder("d"), None);
    }

    #[test]
    fn intake_expires_a_silent_holder() {
        let (_, _, mut intake) = two_links_behind();
        assert!(intake.may_ask(1, "d", 0));
        assert!(!intake.may_ask(2, "d", HOLD_LIMIT_MS - 1));
        assert!(intake.may_ask(2, "d", HOLD_LIMIT_MS));
        assert_eq!(intake.holder("d"), Some(2));
    }

    #[test]
    fn intake_opens_when_the_holder_closes() {
        let (_, _, mut intake) = two_links_behind();
        assert!(intake.may_ask(1, "d", 0));
        assert_eq!(intake.link_closed(1), vec!["d".to_string()]);
        assert!(intake.may_ask(2, "d", 1));
    }

    #[test]
    fn intake_defers_link_with_nothing_new() {
        let ours = doc_with("a");
        let theirs = doc_with("b");
        let mut intake = Intake::new();
        intake.peer_heads(1, "d", &theirs.get_heads(), &ours, 0);
        intake.peer_heads(2, "d", &ours.get_heads(), &ours, 0);
        assert!(!intake.may_ask(2, "d", 0));
        assert!(intake.may_ask(1, "d", 0));
        // Once nothing is missing, every link may ask again.
        assert!(intake.peer_heads(1, "d", &ours.get_heads(), &ours, 1));
        assert!(intake.may_ask(2, "d", 2));
    }
}
