//! `progmanager run`: serve and sync until SIGINT or SIGTERM.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::Arc;
use std::time::Duration;

use progmanager_model::schema::{self, FACILITY_DOC};
use progmanager_sync::Transport;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::error::AppError;
use crate::net::dial;
use crate::net::join::admit;
use crate::net::peer::{LinkMode, serve_link};
use crate::net::shared::Shared;
use crate::node::{Config, DataDir, Node, RunState};

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

/// The process ID of the node running on `dir`, if one runs.
pub fn running_pid(dir: &DataDir) -> Option<String> {
    let path = dir.lock_path();
    let mut file = std::fs::File::open(&path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(_) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            Some(pid.trim().to_string())
        }
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

/// Run settings of a node, from the configuration and the command line.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub listen: SocketAddr,
    pub static_peers: Vec<String>,
    pub mdns: bool,
    pub learn_addresses: bool,
    pub clock_tolerance_ms: i64,
    /// Address of the local web interface; `None` serves none.
    pub http: Option<SocketAddr>,
    /// Interval of session heartbeats and program checks.
    pub heartbeat: Duration,
}

/// Runs the node until `shutdown` is cancelled.
pub async fn run(
    node: Node,
    options: RunOptions,
    shutdown: CancellationToken,
    ready: impl FnOnce(&RunInfo),
) -> Result<(), AppError> {
    let dir = node.dir.clone();
    let shared = Shared::new(node, options.clock_tolerance_ms)?;
    let transport = Arc::new(
        Transport::bind(
            options.listen,
            &shared.node().identity,
            shared.policy.clone(),
        )
        .map_err(|e| AppError::Network {
            detail: e.to_string(),
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

    let mut tasks = Vec::new();
    let http = match options.http {
        Some(addr) => {
            let (task, bound) = start_web(&shared, addr).await?;
            tasks.push(task);
            Some(bound)
        }
        None => None,
    };

    let state = RunState {
        pid: std::process::id(),
        listen: advertised.clone(),
        notify_port,
        http: http.map(|addr| addr.to_string()),
    };
    write_run_state(&dir, &state)?;
    let info = RunInfo {
        node_id: shared.node_id.to_string(),
        listen: bound,
        advertised,
        http,
        shared: Arc::clone(&shared),
    };
    info!(node = %shared.node_id.short(), listen = %bound, "node started");
    ready(&info);

    tasks.extend([
        tokio::spawn(accept_loop(Arc::clone(&shared), Arc::clone(&transport))),
        tokio::spawn(dial::supervise(
            Arc::clone(&shared),
            Arc::clone(&transport),
            options.static_peers.clone(),
            options.learn_addresses,
        )),
        tokio::spawn(watch_store(Arc::clone(&shared), notify)),
        tokio::spawn(flush_status(Arc::clone(&shared))),
        tokio::spawn(back_up_on_schedule(Arc::clone(&shared), dir.clone())),
        tokio::spawn(crate::net::supervisor::supervise(
            Arc::clone(&shared),
            options.heartbeat,
        )),
    ]);
    if options.mdns {
        match crate::net::discovery::start(Arc::clone(&shared), Arc::clone(&transport), bound) {
            Ok(task) => tasks.push(task),
            Err(err) => warn!(error = %err, "mDNS discovery is off: starting it failed"),
        }
    }

    shutdown.cancelled().await;
    info!("stopping");
    shared.shutdown.cancel();
    transport.close();
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
    }
    shared.status.disconnect_all();
    if let Err(err) = shared.status.flush(shared.node().store.connection()) {
        warn!(error = %err, "saving the peer status failed");
    }
    let _ = std::fs::remove_file(dir.run_state_path());
    info!("node stopped");
    Ok(())
}

/// Binds the web interface on `addr` and serves it until the node stops; returns the
/// task and the bound address.
async fn start_web(
    shared: &Arc<Shared>,
    addr: SocketAddr,
) -> Result<(tokio::task::JoinHandle<()>, SocketAddr), AppError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| AppError::io(addr.to_string(), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| AppError::io(addr.to_string(), e))?;
    let task = tokio::spawn(crate::web::serve(
        Arc::clone(shared),
        listener,
        shared.shutdown.clone(),
    ));
    info!(address = %bound, "web interface started");
    Ok((task, bound))
}

/// Backs up the store into the configured folder every period, or sooner after the
/// configured number of new change rows. Reads the configuration each minute, so
/// `backup --set-dir` takes effect without a restart.
async fn back_up_on_schedule(shared: Arc<Shared>, dir: DataDir) {
    let mut last_time = std::time::Instant::now();
    let mut last_rows = shared.node().store.change_rows().unwrap_or(0);
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let Ok(config) = Config::load(&dir) else {
            continue;
        };
        let Some(folder) = config.backup_dir.clone() else {
            continue;
        };
        let rows = shared.node().store.change_rows().unwrap_or(last_rows);
        let period = Duration::from_secs(config.backup_every_minutes.max(1) * 60);
        let due = last_time.elapsed() >= period
            || rows.saturating_sub(last_rows)
                >= i64::try_from(config.backup_after_changes).unwrap_or(i64::MAX);
        if !due {
            continue;
        }
        let store_path = dir.store_path();
        let name = shared.node_name.clone();
        let keep = config.backup_keep;
        let result = tokio::task::spawn_blocking(move || {
            crate::backup::back_up(&store_path, &name, &folder, keep)
        })
        .await;
        match result {
            Ok(Ok(_)) => {
                last_time = std::time::Instant::now();
                last_rows = rows;
            }
            Ok(Err(err)) => error!(error = %err, "automatic backup failed"),
            Err(err) => error!(error = %err, "automatic backup task failed"),
        }
    }
}

/// Writes the peers' link states for the commands given meanwhile, once a second.
async fn flush_status(shared: Arc<Shared>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let node = shared.node();
        if let Err(err) = shared.status.flush(node.store.connection()) {
            warn!(error = %err, "saving the peer status failed");
        }
    }
}

/// Report `run` gives once it serves.
pub struct RunInfo {
    pub node_id: String,
    pub listen: SocketAddr,
    pub advertised: String,
    /// Bound address of the web interface, when it runs.
    pub http: Option<SocketAddr>,
    /// The running node's state, for examples and benchmarks that watch it.
    pub shared: Arc<Shared>,
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

/// Waits for SIGINT or SIGTERM.
pub async fn wait_for_signal() {
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
