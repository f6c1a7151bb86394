//! State shared by the tasks of a running node.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, Utc};
use progmanager_model::schema::{self, FACILITY_DOC};
use progmanager_sync::NodeId;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::AppError;
use crate::net::policy::MembershipPolicy;
use crate::node::Node;

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
    links: Mutex<HashMap<NodeId, LinkEntry>>,
    next_link: AtomicU64,
    pub shutdown: CancellationToken,
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

impl Drop for LinkGuard {
    fn drop(&mut self) {
        if let Ok(mut links) = self.shared.links.lock()
            && links
                .get(&self.peer)
                .is_some_and(|entry| entry.id == self.id)
        {
            links.remove(&self.peer);
        }
    }
}

impl Shared {
    pub fn new(node: Node) -> Result<Arc<Shared>, AppError> {
        let settings = node.settings()?;
        let shared = Shared::build(node, settings.facility_id)?;
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
        let shared = Shared::build(node, facility_id)?;
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

    fn build(node: Node, facility_id: String) -> Result<Arc<Shared>, AppError> {
        let node_name = node.name()?;
        let (changes, _) = broadcast::channel(1024);
        Ok(Arc::new(Shared {
            node_id: node.node_id,
            node_name,
            facility_id,
            listen: OnceLock::new(),
            policy: Arc::new(MembershipPolicy::default()),
            changes,
            links: Mutex::new(HashMap::new()),
            next_link: AtomicU64::new(1),
            shutdown: CancellationToken::new(),
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

    /// Reloads rows other processes appended and tells the links which documents changed.
    pub fn refresh_store(&self) -> Result<(), AppError> {
        let changed: BTreeSet<String> = self.node().store.refresh()?;
        if changed.contains(FACILITY_DOC) {
            self.refresh_policy()?;
        }
        for doc in changed {
            let _no_receivers = self.changes.send(doc);
        }
        self.refresh_invitations()
    }

    /// Updates the member set from the facility document.
    pub fn refresh_policy(&self) -> Result<(), AppError> {
        let node = self.node();
        let members = schema::read_members(node.facility_doc()?)?;
        self.policy.set_members(&members);
        drop(node);
        self.refresh_invitations()
    }

    fn refresh_invitations(&self) -> Result<(), AppError> {
        let open = crate::net::join::has_open_invitations(&self.node())?;
        self.policy.set_open_invitations(open);
        Ok(())
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
