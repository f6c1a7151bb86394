//! Which node IDs may connect: the facility's members, plus anyone while an invitation is
//! open (such a peer must then present the invitation before anything else).

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use progmanager_model::schema::Member;
use progmanager_sync::{NodeId, PeerPolicy};
use rusqlite::{Connection, OpenFlags};

#[derive(Debug, Default)]
pub struct MembershipPolicy {
    members: RwLock<HashSet<NodeId>>,
    /// Read-only connection to the store, to look for open invitations during a
    /// handshake: `invite` runs in another process, so a cached flag could be stale.
    invitations: Option<Mutex<Connection>>,
}

impl MembershipPolicy {
    /// A policy that also admits unknown nodes while the store at `store` has an open
    /// invitation.
    pub fn with_invitations(store: &Path) -> MembershipPolicy {
        // A handshake that finds the store busy waits for it, so a joining node with a
        // valid invitation is not rejected.
        let connection = Connection::open_with_flags(store, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|connection| {
                connection.busy_timeout(std::time::Duration::from_secs(2))?;
                Ok(connection)
            })
            .map_err(
                |err| tracing::warn!(error = %err, "invitations cannot be checked: joining is off"),
            )
            .ok();
        MembershipPolicy {
            members: RwLock::default(),
            invitations: connection.map(Mutex::new),
        }
    }

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

    pub fn is_member(&self, peer: &NodeId) -> bool {
        self.members
            .read()
            .map(|members| members.contains(peer))
            .unwrap_or(false)
    }

    fn has_open_invitation(&self) -> bool {
        let Some(connection) = &self.invitations else {
            return false;
        };
        let Ok(connection) = connection.lock() else {
            return false;
        };
        let now = chrono::Utc::now().timestamp_millis();
        connection
            .query_row(
                "SELECT count(*) FROM invitations WHERE used_by IS NULL AND expires_ms > ?1",
                [now],
                |row| row.get::<_, i64>(0),
            )
            .map_err(|err| tracing::warn!(error = %err, "reading open invitations failed"))
            .is_ok_and(|count| count > 0)
    }
}

impl PeerPolicy for MembershipPolicy {
    fn accepts(&self, peer: &NodeId) -> bool {
        self.is_member(peer) || self.has_open_invitation()
    }
}
