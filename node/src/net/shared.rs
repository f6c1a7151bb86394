//! State shared by the tasks of a running node.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, Utc};
use progmanager_model::schema::{self, FACILITY_DOC};
use progmanager_sync::NodeId;
use progmanager_sync::intake::{Intake, LinkKey};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::AppError;
use crate::net::policy::MembershipPolicy;
use crate::net::status::StatusBoard;
use crate::node::Node;

/// Clock tolerance used while joining, before the configuration matters.
const DEFAULT_CLOCK_TOLERANCE_MS: i64 = 120_000;

/// What a peer link needs to know about the node it runs in.
pub struct Shared {
    node: Mutex<Node>,
    pub node_id: NodeId,
    pub node_name: String,
    pub facility_id: String,
    /// Address advertised to peers in `Hello`, set once the endpoint is bound.
    pub listen: OnceLock<String>,
    pub policy: Arc<MembershipPolicy>,
    /// IDs of documents that changed, locally or from a peer.
    pub changes: broadcast::Sender<String>,
    /// Turn of the node's links to ask their peers for missing changes, per document.
    intake: Mutex<Intake>,
    /// IDs of documents whose intake opened, so that links that waited may ask now.
    pub intake_opened: broadcast::Sender<String>,
    /// Start of the node, for the monotonic times the intake compares.
    started: std::time::Instant,
    links: Mutex<HashMap<NodeId, LinkEntry>>,
    next_link: AtomicU64,
    pub shutdown: CancellationToken,
    pub status: StatusBoard,
    /// Bytes of frames sent to peers since the node started (frame bodies and length
    /// prefixes, without QUIC and UDP overhead).
    pub sent_bytes: AtomicU64,
    /// Addresses of members found by mDNS, for the dialers.
    discovered: Mutex<HashMap<NodeId, String>>,
    /// Largest clock difference with a peer before a warning, in milliseconds.
    pub clock_tolerance_ms: i64,
}

/// A registered link to a peer.
#[derive(Debug, Clone)]
struct LinkEntry {
    id: u64,
    /// Whether the link was opened by the node with the smaller ID; when both nodes dial
    /// each other at once, both keep that one, so they agree without talking.
    preferred: bool,
    cancel: CancellationToken,
    connected_at: DateTime<Utc>,
}

/// A link accepted by [`Shared::register_link`]; unregisters itself when dropped.
pub struct LinkGuard {
    shared: Arc<Shared>,
    peer: NodeId,
    id: u64,
    pub cancel: CancellationToken,
}

impl LinkGuard {
    /// Key of the link in the node's intake.
    pub fn key(&self) -> LinkKey {
        self.id
    }
}

impl Drop for LinkGuard {
    fn drop(&mut self) {
        if let Ok(mut links) = self.shared.links.lock()
            && links
                .get(&self.peer)
                .is_some_and(|entry| entry.id == self.id)
        {
            links.remove(&self.peer);
        }
        let opened = self.shared.intake().link_closed(self.id);
        for doc in opened {
            let _no_receivers = self.shared.intake_opened.send(doc);
        }
    }
}

impl Shared {
    pub fn new(node: Node, clock_tolerance_ms: i64) -> Result<Arc<Shared>, AppError> {
        let settings = node.settings()?;
        let shared = Shared::build(node, settings.facility_id, clock_tolerance_ms)?;
        shared.refresh_policy()?;
        Ok(shared)
    }

    /// State for a node that is joining: it has no facility document yet and talks only to
    /// the inviting node.
    pub fn for_join(
        node: Node,
        listen: Option<String>,
        facility_id: String,
        inviter: NodeId,
    ) -> Result<Arc<Shared>, AppError> {
        let shared = Shared::build(node, facility_id, DEFAULT_CLOCK_TOLERANCE_MS)?;
        if let Some(listen) = listen {
            let _ = shared.listen.set(listen);
        }
        let inviter = progmanager_model::schema::Member {
            node_id: inviter.to_string(),
            name: String::new(),
            address: String::new(),
            joined_ms: 0,
            removed: false,
        };
        shared.policy.set_members(&[inviter]);
        Ok(shared)
    }

    fn build(
        node: Node,
        facility_id: String,
        clock_tolerance_ms: i64,
    ) -> Result<Arc<Shared>, AppError> {
        let node_name = node.name()?;
        let policy = MembershipPolicy::with_invitations(&node.dir.store_path());
        let (changes, _) = broadcast::channel(1024);
        let (intake_opened, _) = broadcast::channel(256);
        Ok(Arc::new(Shared {
            intake: Mutex::new(Intake::new()),
            intake_opened,
            started: std::time::Instant::now(),
            node_id: node.node_id,
            node_name,
            facility_id,
            listen: OnceLock::new(),
            policy: Arc::new(policy),
            changes,
            links: Mutex::new(HashMap::new()),
            next_link: AtomicU64::new(1),
            shutdown: CancellationToken::new(),
            status: StatusBoard::default(),
            discovered: Mutex::new(HashMap::new()),
            sent_bytes: AtomicU64::new(0),
            clock_tolerance_ms,
            node: Mutex::new(node),
        }))
    }

    /// Locks the node; held only for short, non-blocking work.
    pub fn node(&self) -> MutexGuard<'_, Node> {
        // A panic while holding the lock leaves the documents consistent (every write is
        // one SQLite transaction), so a poisoned lock is still usable.
        self.node
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the intake. Callers that also need the node lock take it first.
    pub fn intake(&self) -> MutexGuard<'_, Intake> {
        self.intake
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Milliseconds since the node started, a clock that never goes back.
    pub fn monotonic_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Reloads rows other processes appended and tells the links which documents changed.
    pub fn refresh_store(&self) -> Result<(), AppError> {
        let changed: BTreeSet<String> = self.node().store.refresh()?;
        if changed.contains(FACILITY_DOC) {
            self.refresh_policy()?;
        }
        for doc in changed {
            let _no_receivers = self.changes.send(doc);
        }
        Ok(())
    }

    /// Updates the member set from the facility document.
    pub fn refresh_policy(&self) -> Result<(), AppError> {
        let node = self.node();
        let members = schema::read_members(node.facility_doc()?)?;
        self.policy.set_members(&members);
        drop(node);
        self.close_non_members();
        Ok(())
    }

    /// Closes the links of peers that are no longer members (removed by an admin).
    fn close_non_members(&self) {
        let Ok(links) = self.links.lock() else {
            return;
        };
        for (peer, entry) in links.iter() {
            if !self.policy.is_member(peer) {
                tracing::info!(peer = %peer.short(), "closing the link of a removed member");
                entry.cancel.cancel();
            }
        }
    }

    /// Registers a new link to `peer`, or returns `None` when an existing link is kept
    /// instead.
    pub fn register_link(
        self: &Arc<Self>,
        peer: NodeId,
        initiated_here: bool,
    ) -> Option<LinkGuard> {
        let initiator = if initiated_here { self.node_id } else { peer };
        let preferred = initiator == self.node_id.min(peer);
        let mut links = self.links.lock().ok()?;
        if let Some(existing) = links.get(&peer) {
            if existing.preferred || !preferred {
                return None;
            }
            existing.cancel.cancel();
        }
        let id = self.next_link.fetch_add(1, Ordering::Relaxed);
        let cancel = self.shutdown.child_token();
        links.insert(
            peer,
            LinkEntry {
                id,
                preferred,
                cancel: cancel.clone(),
                connected_at: Utc::now(),
            },
        );
        Some(LinkGuard {
            shared: Arc::clone(self),
            peer,
            id,
            cancel,
        })
    }

    /// Records an address found by discovery.
    pub fn add_discovered(&self, peer: NodeId, address: String) {
        if let Ok(mut discovered) = self.discovered.lock() {
            discovered.insert(peer, address);
        }
    }

    /// Addresses found by discovery, for members only.
    pub fn discovered(&self) -> Vec<(NodeId, String)> {
        let Ok(discovered) = self.discovered.lock() else {
            return Vec::new();
        };
        discovered
            .iter()
            .filter(|(id, _)| self.policy.is_member(id))
            .map(|(id, address)| (*id, address.clone()))
            .collect()
    }

    pub fn is_linked(&self, peer: &NodeId) -> bool {
        self.links
            .lock()
            .map(|links| links.contains_key(peer))
            .unwrap_or(false)
    }

    /// Connected peers with the time their current link was established.
    pub fn linked_peers(&self) -> Vec<(NodeId, DateTime<Utc>)> {
        self.links
            .lock()
            .map(|links| links.iter().map(|(id, e)| (*id, e.connected_at)).collect())
            .unwrap_or_default()
    }
}
