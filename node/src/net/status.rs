//! What the running node knows of each peer's link, for `status` and `member list`.
//!
//! Link tasks update an in-memory map as frames arrive; a task writes it to the node-local
//! `peer_status` table once a second, so the commands given meanwhile (other processes)
//! can read it. Nothing here replicates.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::Utc;
use progmanager_sync::NodeId;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

/// The state of the link to one peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    pub address: String,
    pub connected: bool,
    /// Last time a frame arrived from the peer (milliseconds since the epoch).
    pub last_contact_ms: Option<i64>,
    /// Last time both sides held the same heads for every document.
    pub last_sync_ms: Option<i64>,
    /// Whether both sides held the same heads for every document at the last check.
    pub in_sync: bool,
    /// Peer clock minus ours, measured from its `Hello`.
    pub clock_skew_ms: Option<i64>,
    /// Per document: whether both sides hold the same heads.
    pub docs: BTreeMap<String, bool>,
}

/// Link states of every peer since the node started.
#[derive(Debug, Default)]
pub struct StatusBoard {
    peers: Mutex<HashMap<NodeId, PeerStatus>>,
    dirty: Mutex<bool>,
}

impl StatusBoard {
    /// Applies `update` to the status of `peer`.
    pub fn update(&self, peer: NodeId, update: impl FnOnce(&mut PeerStatus)) {
        if let Ok(mut peers) = self.peers.lock() {
            let status = peers.entry(peer).or_default();
            let before = status.clone();
            update(status);
            if *status != before
                && let Ok(mut dirty) = self.dirty.lock()
            {
                *dirty = true;
            }
        }
    }

    pub fn snapshot(&self) -> HashMap<NodeId, PeerStatus> {
        self.peers.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Writes the statuses to `conn` if they changed since the last write.
    pub fn flush(&self, conn: &Connection) -> Result<(), rusqlite::Error> {
        let changed = self
            .dirty
            .lock()
            .map(|mut dirty| std::mem::replace(&mut *dirty, false))
            .unwrap_or(false);
        if !changed {
            return Ok(());
        }
        write_all(conn, &self.snapshot())
    }

    /// Marks every peer disconnected, for a node that stops.
    pub fn disconnect_all(&self) {
        let ids: Vec<NodeId> = self.snapshot().into_keys().collect();
        for id in ids {
            self.update(id, |s| s.connected = false);
        }
    }
}

fn write_all(
    conn: &Connection,
    peers: &HashMap<NodeId, PeerStatus>,
) -> Result<(), rusqlite::Error> {
    let tx = conn.unchecked_transaction()?;
    for (id, status) in peers {
        let docs = serde_json::to_string(&status.docs).unwrap_or_else(|_| "{}".into());
        tx.execute(
            "INSERT OR REPLACE INTO peer_status
             (node_id, address, connected, last_contact_ms, last_sync_ms, in_sync, clock_skew_ms, docs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id.to_string(),
                status.address,
                status.connected,
                status.last_contact_ms,
                status.last_sync_ms,
                status.in_sync,
                status.clock_skew_ms,
                docs
            ],
        )?;
    }
    tx.commit()
}

/// Reads the statuses the running node last wrote.
pub fn read_all(conn: &Connection) -> Result<BTreeMap<String, PeerStatus>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT node_id, address, connected, last_contact_ms, last_sync_ms, in_sync, clock_skew_ms, docs
         FROM peer_status",
    )?;
    let rows = stmt.query_map([], |row| {
        let docs: String = row.get(7)?;
        Ok((
            row.get::<_, String>(0)?,
            PeerStatus {
                address: row.get(1)?,
                connected: row.get(2)?,
                last_contact_ms: row.get(3)?,
                last_sync_ms: row.get(4)?,
                in_sync: row.get(5)?,
                clock_skew_ms: row.get(6)?,
                docs: serde_json::from_str(&docs).unwrap_or_default(),
            },
        ))
    })?;
    rows.collect()
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}
