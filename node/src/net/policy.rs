//! Which node IDs may connect: the facility's members, plus anyone while an invitation is
//! open (such a peer must then present the invitation before anything else).

use std::collections::HashSet;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use progmanager_model::schema::Member;
use progmanager_sync::{NodeId, PeerPolicy};

#[derive(Debug, Default)]
pub struct MembershipPolicy {
    members: RwLock<HashSet<NodeId>>,
    open_invitations: AtomicBool,
}

impl MembershipPolicy {
    /// Replaces the member set from the facility document.
    pub fn set_members(&self, members: &[Member]) {
        let ids = members
            .iter()
            .filter(|m| !m.removed)
            .filter_map(|m| m.node_id.parse().ok())
            .collect();
        if let Ok(mut guard) = self.members.write() {
            *guard = ids;
        }
    }

    pub fn set_open_invitations(&self, open: bool) {
        self.open_invitations.store(open, Ordering::SeqCst);
    }

    pub fn is_member(&self, peer: &NodeId) -> bool {
        self.members
            .read()
            .map(|members| members.contains(peer))
            .unwrap_or(false)
    }
}

impl PeerPolicy for MembershipPolicy {
    fn accepts(&self, peer: &NodeId) -> bool {
        self.is_member(peer) || self.open_invitations.load(Ordering::SeqCst)
    }
}
