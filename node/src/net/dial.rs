//! Dialers: one task per peer address, connecting whenever no link to that peer exists.
//!
//! Targets are the addresses of the facility's members (from the facility document) and
//! the static peers of the configuration and command line. A supervisor recomputes them
//! every few seconds, starting a dialer for each new address and stopping the dialers of
//! addresses that went away. Failures are retried with capped, jittered exponential
//! backoff that resets after a successful link.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use progmanager_model::schema;
use progmanager_sync::{NodeId, Pin, Transport};
use rand::Rng;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::net::peer::{LinkMode, serve_link};
use crate::net::shared::Shared;

const SUPERVISE_INTERVAL: Duration = Duration::from_secs(2);
const BACKOFF_START: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A peer address to keep a link to, with the node ID when the facility lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    address: String,
    node: Option<NodeId>,
}

/// Keeps one dialer running per target until the node stops.
pub async fn supervise(
    shared: Arc<Shared>,
    transport: Arc<Transport>,
    static_peers: Vec<String>,
    learn_addresses: bool,
) {
    let mut dialers: HashMap<String, CancellationToken> = HashMap::new();
    loop {
        let targets = targets(&shared, &static_peers, learn_addresses);
        dialers.retain(|address, cancel| {
            let keep = targets.iter().any(|t| &t.address == address);
            if !keep {
                debug!(%address, "stopping the dialer of a removed address");
                cancel.cancel();
            }
            keep
        });
        for target in targets {
            if dialers.contains_key(&target.address) {
                continue;
            }
            let cancel = shared.shutdown.child_token();
            dialers.insert(target.address.clone(), cancel.clone());
            tokio::spawn(dial_loop(
                Arc::clone(&shared),
                Arc::clone(&transport),
                target,
                cancel,
            ));
        }

        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tokio::time::sleep(SUPERVISE_INTERVAL) => {}
        }
    }
}

fn targets(shared: &Shared, static_peers: &[String], learn_addresses: bool) -> Vec<Target> {
    let mut out: Vec<Target> = static_peers
        .iter()
        .map(|address| Target {
            address: address.clone(),
            node: None,
        })
        .collect();
    for (id, address) in shared.discovered() {
        if !out.iter().any(|t| t.address == address) {
            out.push(Target {
                address,
                node: Some(id),
            });
        }
    }
    if !learn_addresses {
        return out;
    }
    let node = shared.node();
    let members = node
        .facility_doc()
        .ok()
        .and_then(|doc| schema::read_members(doc).ok())
        .unwrap_or_default();
    drop(node);
    for member in members {
        // Port 0 is what `init --listen 127.0.0.1:0` stores before the node first runs.
        if member.removed || member.address.is_empty() || member.address.ends_with(":0") {
            continue;
        }
        let Ok(id) = member.node_id.parse::<NodeId>() else {
            continue;
        };
        if id == shared.node_id || out.iter().any(|t| t.address == member.address) {
            continue;
        }
        out.push(Target {
            address: member.address,
            node: Some(id),
        });
    }
    out
}

async fn dial_loop(
    shared: Arc<Shared>,
    transport: Arc<Transport>,
    mut target: Target,
    cancel: CancellationToken,
) {
    let mut backoff = BACKOFF_START;
    loop {
        let linked = target.node.is_some_and(|id| shared.is_linked(&id));
        let delay = if linked {
            SUPERVISE_INTERVAL
        } else {
            match dial_once(&shared, &transport, &mut target).await {
                Ok(()) => {
                    backoff = BACKOFF_START;
                    BACKOFF_START
                }
                Err(err) => {
                    warn!(address = %target.address, error = %err, "dialing a peer failed");
                    let delay = jittered(backoff);
                    debug!(address = %target.address, delay_ms = delay.as_millis() as u64, "retrying later");
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    delay
                }
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// A delay between half and all of `base`, so nodes that failed together do not retry in
/// lockstep.
fn jittered(base: Duration) -> Duration {
    let factor = rand::rng().random_range(0.5..=1.0);
    base.mul_f64(factor)
}

/// Connects once and serves the link until it ends.
async fn dial_once(
    shared: &Arc<Shared>,
    transport: &Transport,
    target: &mut Target,
) -> Result<(), String> {
    let addr = resolve(&target.address).await?;
    let pin = match target.node {
        Some(id) => Pin::Exactly(id),
        None => Pin::Policy(shared.policy.clone()),
    };
    let link = tokio::time::timeout(CONNECT_TIMEOUT, transport.connect(addr, pin))
        .await
        .map_err(|_| format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))?
        .map_err(|e| e.to_string())?;

    let peer = link.peer;
    target.node = Some(peer);
    if peer == shared.node_id {
        link.connection.close(0u32.into(), b"self");
        return Err("this address is the node itself".into());
    }
    let Some(guard) = shared.register_link(peer, true) else {
        debug!(peer = %peer.short(), "a link to this peer already exists");
        link.connection.close(0u32.into(), b"duplicate");
        return Ok(());
    };
    info!(peer = %peer.short(), address = %target.address, "connected to peer");
    serve_link(Arc::clone(shared), link, guard, LinkMode::Serve).await;
    Ok(())
}

/// Resolves `host:port` (or a literal socket address) to one address.
pub async fn resolve(address: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = address.parse() {
        return Ok(addr);
    }
    tokio::net::lookup_host(address)
        .await
        .map_err(|e| format!("cannot resolve {address}: {e}"))?
        .next()
        .ok_or_else(|| format!("{address} resolves to no address"))
}
