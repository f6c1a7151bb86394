//! Sync benchmark: four nodes each record 1,000 sessions while disconnected, then run and
//! sync over QUIC on 127.0.0.1. Prints the time to converge, the bytes sent, the same
//! sync done in memory with bare Automerge for comparison, and the delay between a
//! session written on one node and its arrival on a connected peer.
//!
//! Run with `cargo run --release --example bench_sync`. Figures go in
//! `docs/benchmarks.md`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use automerge::Automerge;
use progmanager_model::Category;
use progmanager_node::cmd::init::{create, join_facility};
use progmanager_node::net::join::create_invitation;
use progmanager_node::net::run::{RunInfo, RunOptions, run};
use progmanager_node::net::shared::Shared;
use progmanager_node::node::{DataDir, Node};
use progmanager_node::ops::{self, StartSession};
use progmanager_node::projection::SessionFilter;
use progmanager_node::store::Store;
use progmanager_sync::Frame;
use progmanager_sync::session::PeerSync;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

const NODES: usize = 4;
const SESSIONS_PER_NODE: usize = 1_000;
const ARRIVALS: usize = 100;

struct Running {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    address: SocketAddr,
    shared: Arc<Shared>,
}

async fn start(dir: &DataDir, port: u16, learn: bool) -> anyhow::Result<Running> {
    let node = Node::open(dir.clone())?;
    let options = RunOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        static_peers: Vec::new(),
        mdns: false,
        learn_addresses: learn,
        clock_tolerance_ms: 120_000,
        heartbeat: Duration::from_secs(10),
        http: None,
    };
    let stop = CancellationToken::new();
    let (ready, info) = oneshot::channel();
    let token = stop.clone();
    let task = tokio::spawn(async move {
        let result = run(node, options, token, move |info: &RunInfo| {
            let _ = ready.send((info.listen, Arc::clone(&info.shared)));
        })
        .await;
        if let Err(err) = result {
            eprintln!("node failed: {}", err.localized());
        }
    });
    let (address, shared) = info.await?;
    Ok(Running {
        stop,
        task,
        address,
        shared,
    })
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }

    fn sessions(&self) -> usize {
        let node = self.shared.node();
        node.store
            .sessions(&SessionFilter::default())
            .map(|s| s.len())
            .unwrap_or(0)
    }
}

fn admin(node: &Node) -> anyhow::Result<progmanager_model::User> {
    ops::users(node)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no admin"))
}

/// Creates the facility and joins the other nodes; returns their directories and ports.
async fn set_up(root: &std::path::Path) -> anyhow::Result<(Vec<DataDir>, Vec<u16>)> {
    let dirs: Vec<DataDir> = (0..NODES)
        .map(|i| DataDir {
            root: root.join(format!("n{i}")),
        })
        .collect();
    create(
        &dirs[0],
        "n0",
        "Bench",
        "Europe/Paris",
        "admin",
        "bench",
        None,
    )?;
    {
        let mut node = Node::open(dirs[0].clone())?;
        let admin = admin(&node)?;
        ops::add_instrument(&mut node, &admin, "NMR", None)?;
        ops::add_group(&mut node, &admin, "LMCP", Category::PublicCnrs, None)?;
    }
    let first = start(&dirs[0], 0, false).await?;
    let mut ports = vec![first.address.port()];
    for (i, dir) in dirs.iter().enumerate().skip(1) {
        let invitation = {
            let mut node = Node::open(dirs[0].clone())?;
            let invitation = create_invitation(&mut node, &first.address.to_string(), 1)?;
            node.notify_running_node();
            invitation
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        join_facility(dir, &format!("n{i}"), &invitation, Some("127.0.0.1:0")).await?;
        // A first run publishes the node's port in the facility document.
        let running = start(dir, 0, false).await?;
        ports.push(running.address.port());
        tokio::time::sleep(Duration::from_millis(300)).await;
        running.stop().await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.stop().await;
    Ok((dirs, ports))
}

/// Every node records its sessions on the same instrument while disconnected.
fn write_offline(dirs: &[DataDir]) -> anyhow::Result<()> {
    for dir in dirs {
        let mut node = Node::open(dir.clone())?;
        let admin = admin(&node)?;
        for _ in 0..SESSIONS_PER_NODE {
            let request = StartSession {
                instrument: "NMR",
                group: "LMCP",
                kind: "proton",
                samples: 1,
                program: None,
            };
            ops::start_session(&mut node, &admin, request)?;
            ops::stop_session(&mut node, &admin, "NMR", "")?;
        }
    }
    Ok(())
}

/// Syncs copies of the nodes' documents in memory, every pair directly, with bare
/// Automerge sync messages; returns the time and the bytes of all messages.
fn bare_automerge(dirs: &[DataDir]) -> anyhow::Result<(Duration, usize)> {
    let stores: Vec<Store> = dirs
        .iter()
        .map(|d| Store::open(&d.store_path()))
        .collect::<Result<_, _>>()?;
    let mut ids: Vec<String> = stores
        .iter()
        .flat_map(|s| s.doc_ids().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    let mut docs: Vec<Vec<Automerge>> = stores
        .iter()
        .map(|s| {
            ids.iter()
                .map(|id| s.doc(id).cloned().unwrap_or_default())
                .collect()
        })
        .collect();

    let began = Instant::now();
    let mut bytes = 0;
    for (d, id) in ids.iter().enumerate() {
        let mut states: Vec<Vec<PeerSync>> = (0..NODES)
            .map(|_| (0..NODES).map(|_| PeerSync::new()).collect())
            .collect();
        for _round in 0..100 {
            let mut sent = false;
            for from in 0..NODES {
                for to in 0..NODES {
                    if from == to {
                        continue;
                    }
                    let Some(Frame::Sync { message, .. }) =
                        states[from][to].generate(id, &docs[from][d])
                    else {
                        continue;
                    };
                    bytes += message.len();
                    states[to][from].receive(id, &mut docs[to][d], &message)?;
                    sent = true;
                }
            }
            if !sent {
                break;
            }
        }
    }
    let elapsed = began.elapsed();
    for node in &docs[1..] {
        for (d, doc) in node.iter().enumerate() {
            anyhow::ensure!(
                doc.get_heads() == docs[0][d].get_heads(),
                "bare sync did not converge"
            );
        }
    }
    Ok((elapsed, bytes))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `RUST_LOG=progmanager_node=debug` shows what the nodes do, with timestamps.
    progmanager_node::cmd::setup::init_logging("off", std::path::Path::new(""));
    let root = tempfile::tempdir()?;
    let (dirs, ports) = set_up(root.path()).await?;
    write_offline(&dirs)?;
    let (bare_time, bare_bytes) = bare_automerge(&dirs)?;

    // All nodes start; each dials the addresses the others published. The clock runs
    // from the start of the first node, and every byte the nodes send counts.
    let began = Instant::now();
    let mut nodes = Vec::new();
    for (dir, port) in dirs.iter().zip(&ports) {
        nodes.push(start(dir, *port, true).await?);
    }
    let all_running = Instant::now();
    let started = began.elapsed();
    let total = NODES * SESSIONS_PER_NODE;
    let deadline = Instant::now() + Duration::from_secs(120);
    while nodes.iter().any(|n| n.sessions() < total) {
        anyhow::ensure!(Instant::now() < deadline, "no convergence within 120 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let converged = began.elapsed();
    let after_last_start = all_running.elapsed();
    let sent: u64 = nodes
        .iter()
        .map(|n| n.shared.sent_bytes.load(Ordering::Relaxed))
        .sum::<u64>();

    // Arrival on a connected peer of a session written through the store of node 0.
    let mut writer = Node::open(dirs[0].clone())?;
    let admin = admin(&writer)?;
    let mut delays = Vec::with_capacity(ARRIVALS);
    let watcher = rusqlite::Connection::open_with_flags(
        dirs[1].store_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    for _ in 0..ARRIVALS {
        let request = StartSession {
            instrument: "NMR",
            group: "LMCP",
            kind: "latency",
            samples: 0,
            program: None,
        };
        let written = Instant::now();
        let session = ops::start_session(&mut writer, &admin, request)?;
        writer.notify_running_node();
        let id = session.id.to_string();
        loop {
            // A connection of its own, so the polling does not contend for the node's lock.
            let arrived = watcher.query_row(
                "SELECT count(*) FROM sessions WHERE id = ?1",
                [&id],
                |row| row.get::<_, i64>(0),
            )? > 0;
            if arrived {
                break;
            }
            anyhow::ensure!(
                written.elapsed() < Duration::from_secs(10),
                "session {id} never arrived"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        delays.push(written.elapsed());
        ops::stop_session(&mut writer, &admin, "NMR", "")?;
        writer.notify_running_node();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    delays.sort();

    println!(
        "{NODES} nodes, {SESSIONS_PER_NODE} sessions each written while disconnected, all on one instrument"
    );
    println!(
        "  QUIC sync: converged in {} ms, {} bytes of frames sent",
        converged.as_millis(),
        sent
    );
    println!(
        "    of which starting the four nodes one after the other: {} ms; {} ms after the last one was running",
        started.as_millis(),
        after_last_start.as_millis()
    );
    println!(
        "  bare Automerge in memory: {} ms, {} bytes of sync messages",
        bare_time.as_millis(),
        bare_bytes
    );
    println!(
        "  ratios: time {:.2}x, bytes {:.2}x",
        converged.as_secs_f64() / bare_time.as_secs_f64(),
        sent as f64 / bare_bytes as f64
    );
    println!(
        "arrival of a session on a connected peer ({ARRIVALS} sessions): median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        percentile(&delays, 0.5).as_secs_f64() * 1000.0,
        percentile(&delays, 0.95).as_secs_f64() * 1000.0,
        delays
            .last()
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    );

    for node in nodes {
        node.stop().await;
    }
    Ok(())
}
