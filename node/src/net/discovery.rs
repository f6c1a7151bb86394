//! mDNS discovery: announces this node as `_progmanager._udp.local.` with its node ID and
//! facility ID in the TXT record, and records the addresses of the other members of the
//! same facility that announce themselves, for the dialers.
//!
//! Discovery is a hint: a discovered node is dialed with its node ID pinned, and the TLS
//! handshake still decides. Nodes of other facilities and this node itself are ignored.
//! Only IPv4 addresses are used.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use progmanager_sync::{NodeId, Transport};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::net::shared::Shared;

pub const SERVICE_TYPE: &str = "_progmanager._udp.local.";

/// Errors that keep discovery from starting.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("mDNS: {0}")]
    Mdns(#[from] mdns_sd::Error),
}

/// Registers this node and browses for the others until the node stops.
pub fn start(
    shared: Arc<Shared>,
    _transport: Arc<Transport>,
    bound: SocketAddr,
) -> Result<JoinHandle<()>, DiscoveryError> {
    let daemon = ServiceDaemon::new()?;
    let id = shared.node_id.to_string();
    let host = format!("pm-{}.local.", shared.node_id.short());
    let properties = [
        ("id", id.as_str()),
        ("facility", shared.facility_id.as_str()),
    ];
    let service = ServiceInfo::new(
        SERVICE_TYPE,
        &shared.node_id.short(),
        &host,
        (),
        bound.port(),
        &properties[..],
    )?
    .enable_addr_auto();
    daemon.register(service)?;
    let events = daemon.browse(SERVICE_TYPE)?;
    info!(port = bound.port(), "mDNS discovery started");

    let task = tokio::task::spawn_blocking(move || {
        while !shared.shutdown.is_cancelled() {
            match events.recv_timeout(Duration::from_millis(500)) {
                Ok(ServiceEvent::ServiceResolved(found)) => {
                    let id = found.get_property_val_str("id");
                    let facility = found.get_property_val_str("facility");
                    let addresses: Vec<SocketAddr> = found
                        .get_addresses_v4()
                        .into_iter()
                        .map(|ip| SocketAddr::new(ip.into(), found.get_port()))
                        .collect();
                    record(&shared, id, facility, &addresses);
                }
                Ok(_) => {}
                Err(flume::RecvTimeoutError::Timeout) => {}
                Err(flume::RecvTimeoutError::Disconnected) => {
                    warn!("mDNS browsing stopped: the daemon ended");
                    break;
                }
            }
        }
        let _ = daemon.shutdown();
    });
    Ok(task)
}

fn record(shared: &Shared, id: Option<&str>, facility: Option<&str>, addresses: &[SocketAddr]) {
    let Some(Ok(id)) = id.map(str::parse::<NodeId>) else {
        return;
    };
    if id == shared.node_id || facility != Some(shared.facility_id.as_str()) {
        return;
    }
    let Some(address) = addresses.first() else {
        return;
    };
    debug!(peer = %id.short(), %address, "found a member by mDNS");
    shared.add_discovered(id, address.to_string());
}
