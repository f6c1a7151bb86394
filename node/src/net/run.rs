//! `progmanager run`: serve and sync until SIGINT or SIGTERM.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::Arc;
use std::time::Duration;

use progmanager_model::schema::{self, FACILITY_DOC};
use progmanager_sync::Transport;
use tokio::net::UdpSocket;
use tracing::{debug, error, info, warn};

use crate::error::AppError;
use crate::net::dial;
use crate::net::join::admit;
use crate::net::peer::{LinkMode, serve_link};
use crate::net::shared::Shared;
use crate::node::{DataDir, Node, RunState};

/// Interval of the fallback check for writes of other processes whose notification was
/// lost.
const STORE_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Exclusive lock on a data directory, released when dropped (or when the process dies).
pub struct InstanceLock {
    _file: File,
}

impl InstanceLock {
    /// Takes the lock, or fails naming the process that holds it.
    pub fn acquire(dir: &DataDir) -> Result<InstanceLock, AppError> {
        let path = dir.lock_path();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| AppError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(AppError::AlreadyRunning {
                    dir: dir.root.clone(),
                    pid: pid.trim().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(err)) => return Err(AppError::io(&path, err)),
        }
        let written = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| write!(file, "{}", std::process::id()))
            .and_then(|_| file.flush());
        written.map_err(|e| AppError::io(&path, e))?;
        Ok(InstanceLock { _file: file })
    }
}

/// The address peers should dial: the listen address, or for a wildcard address the
/// first non-loopback IPv4 address of this machine.
pub fn advertised_address(listen: SocketAddr) -> SocketAddr {
    if !listen.ip().is_unspecified() {
        return listen;
    }
    let ip = if_addrs::get_if_addrs()
        .ok()
        .and_then(|addrs| {
            addrs
                .into_iter()
                .map(|iface| iface.ip())
                .find(|ip| ip.is_ipv4() && !ip.is_loopback())
        })
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    SocketAddr::new(ip, listen.port())
}

/// Runs the node until a termination signal.
pub async fn run(
    node: Node,
    listen: SocketAddr,
    static_peers: Vec<String>,
    ready: impl FnOnce(&RunInfo),
) -> Result<(), AppError> {
    let dir = node.dir.clone();
    let shared = Shared::new(node)?;
    let transport = Arc::new(
        Transport::bind(listen, &shared.node().identity, shared.policy.clone()).map_err(|e| {
            AppError::Network {
                detail: e.to_string(),
            }
        })?,
    );
    let bound = transport.local_addr().map_err(|e| AppError::Network {
        detail: e.to_string(),
    })?;
    let advertised = advertised_address(bound).to_string();
    let _ = shared.listen.set(advertised.clone());
    publish_address(&mut shared.node(), &advertised)?;

    let notify =
        StdUdpSocket::bind(("127.0.0.1", 0)).map_err(|e| AppError::io("127.0.0.1:0", e))?;
    let notify_port = notify
        .local_addr()
        .map_err(|e| AppError::io("127.0.0.1:0", e))?
        .port();
    notify
        .set_nonblocking(true)
        .map_err(|e| AppError::io("127.0.0.1:0", e))?;
    let notify = UdpSocket::from_std(notify).map_err(|e| AppError::io("127.0.0.1:0", e))?;

    let state = RunState {
        pid: std::process::id(),
        listen: advertised.clone(),
        notify_port,
    };
    write_run_state(&dir, &state)?;
    let info = RunInfo {
        node_id: shared.node_id.to_string(),
        listen: bound,
        advertised,
    };
    info!(node = %shared.node_id.short(), listen = %bound, "node started");
    ready(&info);

    let accept_task = tokio::spawn(accept_loop(Arc::clone(&shared), Arc::clone(&transport)));
    let dial_task = tokio::spawn(dial::supervise(
        Arc::clone(&shared),
        Arc::clone(&transport),
        static_peers,
    ));
    let watch_task = tokio::spawn(watch_store(Arc::clone(&shared), notify));

    wait_for_signal().await;
    info!("stopping");
    shared.shutdown.cancel();
    transport.close();
    for task in [accept_task, dial_task, watch_task] {
        let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
    }
    let _ = std::fs::remove_file(dir.run_state_path());
    info!("node stopped");
    Ok(())
}

/// What `run` prints once it serves.
pub struct RunInfo {
    pub node_id: String,
    pub listen: SocketAddr,
    pub advertised: String,
}

fn write_run_state(dir: &DataDir, state: &RunState) -> Result<(), AppError> {
    let path = dir.run_state_path();
    let text = serde_json::to_string(state).map_err(|e| AppError::io(&path, e))?;
    std::fs::write(&path, text).map_err(|e| AppError::io(&path, e))
}

/// Records this node's sync address in the facility document when it changed.
fn publish_address(node: &mut Node, address: &str) -> Result<(), AppError> {
    let id = node.node_id.to_string();
    let members = schema::read_members(node.facility_doc()?)?;
    if members
        .iter()
        .any(|m| m.node_id == id && m.address == address)
    {
        return Ok(());
    }
    let author = node.author("");
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_member_address(tx, &id, address)?)
        })
    })
}

async fn accept_loop(shared: Arc<Shared>, transport: Arc<Transport>) {
    while let Some(result) = transport.accept().await {
        let link = match result {
            Ok(link) => link,
            Err(err) => {
                warn!(error = %err, "incoming connection failed");
                continue;
            }
        };
        let peer = link.peer;
        if !shared.policy.is_member(&peer) {
            tokio::spawn(admit(Arc::clone(&shared), link));
            continue;
        }
        let Some(guard) = shared.register_link(peer, false) else {
            debug!(peer = %peer.short(), "a link to this peer already exists");
            link.connection.close(0u32.into(), b"duplicate");
            continue;
        };
        tokio::spawn(serve_link(
            Arc::clone(&shared),
            link,
            guard,
            LinkMode::Serve,
        ));
    }
}

/// Loads writes of other processes when notified, and at a fixed interval as a fallback.
async fn watch_store(shared: Arc<Shared>, notify: UdpSocket) {
    let mut buffer = [0u8; 64];
    let mut ticker = tokio::time::interval(STORE_CHECK_INTERVAL);
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = notify.recv_from(&mut buffer) => {}
            _ = ticker.tick() => {}
        }
        if let Err(err) = shared.refresh_store() {
            error!(error = %err, "loading new writes from the store failed");
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(err) => {
                warn!(error = %err, "cannot listen for SIGTERM; stopping on SIGINT only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
