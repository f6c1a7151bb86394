//! One link to one peer: Hello, document announcement, then Automerge sync until the link
//! ends.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use automerge::ChangeHash;
use progmanager_model::schema::FACILITY_DOC;
use progmanager_sync::intake::LinkKey;
use progmanager_sync::session::{PeerSync, heads_bytes};
use progmanager_sync::{Frame, FrameSender, Link, NodeId};
use tokio::sync::{broadcast, mpsc};
use tracing::{Instrument, debug, info, warn};

use crate::error::AppError;
use crate::net::shared::{LinkGuard, Shared};
use crate::net::status::now_ms;

/// Interval at which a link announces its heads again, so a sync that stalled (for
/// example after a Bloom filter false positive) is detected and restarted.
const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(5);

/// How a link ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMode {
    /// Sync until the link closes or the node stops.
    Serve,
    /// Stop once both sides hold the same heads for every document (used by `init --join`).
    UntilSynced,
}

/// Runs a registered link to its end.
pub async fn serve_link(shared: Arc<Shared>, link: Link, guard: LinkGuard, mode: LinkMode) {
    let peer = link.peer;
    let remote = link.remote.to_string();
    shared.status.update(peer, |s| {
        s.connected = true;
        s.address = remote;
        s.last_contact_ms = Some(now_ms());
    });
    let span = tracing::info_span!("peer", peer = %peer.short(), remote = %link.remote);
    async move {
        info!("link up");
        let connection = link.connection.clone();
        match drive(&shared, link, &guard, mode).await {
            Ok(()) => info!("link closed"),
            Err(err) => warn!(error = %err, "link failed"),
        }
        connection.close(0u32.into(), b"bye");
        shared.status.update(peer, |s| s.connected = false);
        drop(guard);
    }
    .instrument(span)
    .await
}

struct LinkState {
    peer: NodeId,
    /// Key of this link in the node's intake.
    key: LinkKey,
    sync: PeerSync,
    outgoing: mpsc::UnboundedSender<Frame>,
    /// Documents the peer announced, to know when `UntilSynced` is done.
    peer_docs: Option<BTreeSet<String>>,
}

async fn drive(
    shared: &Arc<Shared>,
    link: Link,
    guard: &LinkGuard,
    mode: LinkMode,
) -> Result<(), AppError> {
    let Link {
        peer,
        sender,
        mut receiver,
        ..
    } = link;
    let (outgoing, queue) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_frames(Arc::clone(shared), sender, queue));
    let mut changes = shared.changes.subscribe();
    let mut opened = shared.intake_opened.subscribe();
    let mut state = LinkState {
        peer,
        key: guard.key(),
        sync: PeerSync::new(),
        outgoing,
        peer_docs: None,
    };

    state.send(hello(shared));
    // Sync messages follow the peer's `Docs`, which gives the intake the peer's heads, so
    // the first message already shows whether this link may ask.
    announce(shared, &mut state);

    let mut ticker = tokio::time::interval(ANNOUNCE_INTERVAL);
    ticker.tick().await;
    let result = loop {
        tokio::select! {
            _ = guard.cancel.cancelled() => break Ok(()),
            frame = receiver.recv() => match frame {
                Ok(Some(Frame::Bye)) | Ok(None) => break Ok(()),
                Ok(Some(frame)) => {
                    shared.status.update(state.peer, |s| s.last_contact_ms = Some(now_ms()));
                    if let Err(err) = handle_frame(shared, &mut state, frame) {
                        break Err(err);
                    }
                    state.record_sync_state(shared);
                }
                Err(err) => break Err(AppError::Network { detail: err.to_string() }),
            },
            change = changes.recv() => match change {
                Ok(doc) => state.generate(shared, &doc),
                Err(broadcast::error::RecvError::Lagged(_)) => sync_all(shared, &mut state),
                Err(broadcast::error::RecvError::Closed) => break Ok(()),
            },
            open = opened.recv() => match open {
                Ok(doc) => state.generate(shared, &doc),
                Err(broadcast::error::RecvError::Lagged(_)) => sync_all(shared, &mut state),
                Err(broadcast::error::RecvError::Closed) => break Ok(()),
            },
            _ = ticker.tick() => announce(shared, &mut state),
        }
        if mode == LinkMode::UntilSynced && state.fully_synced(shared).0 {
            state.send(Frame::Bye);
            break Ok(());
        }
    };

    drop(state);
    // The writer ends when the queue is closed and drained.
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    result
}

async fn write_frames(
    shared: Arc<Shared>,
    mut sender: FrameSender,
    mut queue: mpsc::UnboundedReceiver<Frame>,
) {
    while let Some(frame) = queue.recv().await {
        let is_bye = frame == Frame::Bye;
        match sender.send(&frame).await {
            Ok(bytes) => {
                shared
                    .sent_bytes
                    .fetch_add(bytes as u64, std::sync::atomic::Ordering::Relaxed);
            }
            Err(err) => {
                debug!(error = %err, "sending a frame failed");
                return;
            }
        }
        if is_bye {
            let _ = sender.finish();
            return;
        }
    }
}

fn hello(shared: &Shared) -> Frame {
    Frame::Hello {
        facility: shared.facility_id.clone(),
        node_name: shared.node_name.clone(),
        clock_ms: chrono::Utc::now().timestamp_millis(),
        listen: shared.listen.get().cloned(),
    }
}

fn announce(shared: &Shared, state: &mut LinkState) {
    let node = shared.node();
    let frame = PeerSync::announce(node.store.docs());
    drop(node);
    state.send(frame);
}

fn sync_all(shared: &Shared, state: &mut LinkState) {
    let ids: Vec<String> = shared.node().store.doc_ids().map(str::to_string).collect();
    for id in ids {
        state.generate(shared, &id);
    }
}

fn handle_frame(shared: &Arc<Shared>, state: &mut LinkState, frame: Frame) -> Result<(), AppError> {
    match frame {
        Frame::Hello {
            facility,
            node_name,
            clock_ms,
            ..
        } => {
            if facility != shared.facility_id {
                return Err(AppError::Network {
                    detail: format!(
                        "peer belongs to facility {facility}, not {}",
                        shared.facility_id
                    ),
                });
            }
            let skew_ms = clock_ms - now_ms();
            info!(name = %node_name, skew_ms, "peer hello");
            if skew_ms.abs() > shared.clock_tolerance_ms {
                warn!(
                    name = %node_name,
                    skew_ms,
                    tolerance_ms = shared.clock_tolerance_ms,
                    "the peer's clock differs from ours beyond the tolerance: check both clocks, session times come from them"
                );
            }
            shared
                .status
                .update(state.peer, |s| s.clock_skew_ms = Some(skew_ms));
            Ok(())
        }
        Frame::Docs { heads } => {
            on_docs(shared, state, heads);
            Ok(())
        }
        Frame::Sync { doc, message } => on_sync(shared, state, &doc, &message),
        Frame::Join { .. } | Frame::JoinAccepted { .. } | Frame::JoinRejected { .. } => {
            debug!(
                kind = "join",
                "ignoring a join frame on an established link"
            );
            Ok(())
        }
        Frame::Bye => Ok(()),
    }
}

fn on_docs(shared: &Shared, state: &mut LinkState, heads: Vec<(String, Vec<[u8; 32]>)>) {
    let mut names = BTreeSet::new();
    for (doc_id, their_heads) in heads {
        let mut node = shared.node();
        if node.store.ensure_remote_doc(&doc_id) {
            debug!(doc = %doc_id, "learned of a document from the peer");
        }
        let Some(doc) = node.store.doc(&doc_id) else {
            // A document kind this version does not know: leave it to newer nodes.
            continue;
        };
        let hashes: Vec<ChangeHash> = their_heads.iter().copied().map(ChangeHash).collect();
        let opened =
            shared
                .intake()
                .peer_heads(state.key, &doc_id, &hashes, doc, shared.monotonic_ms());
        if opened {
            let _no_receivers = shared.intake_opened.send(doc_id.clone());
        }
        let mut ours = heads_bytes(&doc.get_heads());
        let mut theirs = their_heads;
        ours.sort();
        theirs.sort();
        let stale = ours != theirs && state.sync.in_sync(&doc_id, doc);
        drop(node);
        if stale {
            debug!(doc = %doc_id, "announced heads differ from the sync state: restarting");
            state.sync.reset(&doc_id);
        }
        state.generate(shared, &doc_id);
        names.insert(doc_id);
    }
    state.peer_docs = Some(names);
}

fn on_sync(
    shared: &Arc<Shared>,
    state: &mut LinkState,
    doc_id: &str,
    message: &[u8],
) -> Result<(), AppError> {
    let (changed, opened) = {
        let mut node = shared.node();
        let sync = &mut state.sync;
        let changed = node.store.apply_remote(doc_id, |doc, log| {
            sync.receive_logged(doc_id, doc, message, log)
                .map_err(|err| AppError::Network {
                    detail: err.to_string(),
                })
        })?;
        let mut opened = false;
        if let Some(doc) = node.store.doc(doc_id) {
            let theirs = state.sync.their_heads(doc_id).unwrap_or_default();
            let mut intake = shared.intake();
            opened = intake.peer_heads(state.key, doc_id, theirs, doc, shared.monotonic_ms());
            if changed {
                opened |= intake.doc_changed(doc_id, doc);
            }
        }
        (changed, opened)
    };
    if opened {
        let _no_receivers = shared.intake_opened.send(doc_id.to_string());
    }
    if changed {
        debug!(doc = %doc_id, bytes = message.len(), "received changes");
        if doc_id == FACILITY_DOC {
            shared.refresh_policy()?;
        }
        let _no_receivers = shared.changes.send(doc_id.to_string());
    }
    state.generate(shared, doc_id);
    Ok(())
}

impl LinkState {
    fn send(&self, frame: Frame) {
        // Fails only once the writer stopped, and the link then ends on its own.
        let _closed = self.outgoing.send(frame);
    }

    fn generate(&mut self, shared: &Shared, doc_id: &str) {
        let node = shared.node();
        let Some(doc) = node.store.doc(doc_id) else {
            return;
        };
        let ask = shared
            .intake()
            .may_ask(self.key, doc_id, shared.monotonic_ms());
        let frame = self.sync.generate_with(doc_id, doc, ask);
        drop(node);
        if let Some(frame) = frame {
            if let Frame::Sync { message, .. } = &frame {
                tracing::trace!(doc = %doc_id, ask, bytes = message.len(), "sync message");
            }
            self.send(frame);
        }
    }

    /// Whether both sides hold the same heads for every document, and per document.
    fn fully_synced(&self, shared: &Shared) -> (bool, BTreeMap<String, bool>) {
        let node = shared.node();
        let mut ids: BTreeSet<String> = node.store.doc_ids().map(str::to_string).collect();
        if let Some(peer_docs) = &self.peer_docs {
            ids.extend(peer_docs.iter().cloned());
        }
        let docs: BTreeMap<String, bool> = ids
            .into_iter()
            .map(|id| {
                let same = node
                    .store
                    .doc(&id)
                    .is_some_and(|doc| self.sync.in_sync(&id, doc));
                (id, same)
            })
            .collect();
        let all = self.peer_docs.is_some() && docs.values().all(|same| *same);
        (all, docs)
    }

    fn record_sync_state(&self, shared: &Shared) {
        let (all, docs) = self.fully_synced(shared);
        shared.status.update(self.peer, |s| {
            s.in_sync = all;
            s.docs = docs;
            if all {
                s.last_sync_ms = Some(now_ms());
            }
        });
    }
}
