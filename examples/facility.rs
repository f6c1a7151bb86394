//! A facility of four nodes on loopback: XRD, SEM and NMR instrument PCs and the billing
//! office. The instruments log sessions while the office is cut off from them, then the
//! network heals and the office's view is printed.
//!
//! Run with `cargo run --release --example facility`. Everything stays on 127.0.0.1 and
//! in a temporary folder; mDNS is off.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use progmanager_model::Category;
use progmanager_node::cmd::init::{create, join_facility};
use progmanager_node::net::join::create_invitation;
use progmanager_node::net::run::{RunInfo, RunOptions, run};
use progmanager_node::node::{DataDir, Node};
use progmanager_node::ops::{self, StartSession};
use progmanager_node::projection::SessionFilter;
use progmanager_node::store::Store;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "example";

/// A node running in this process.
struct Running {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    address: SocketAddr,
}

async fn start(dir: &DataDir, port: u16, peers: Vec<String>) -> anyhow::Result<Running> {
    let node = Node::open(dir.clone())?;
    let options = RunOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        static_peers: peers,
        mdns: false,
        learn_addresses: false,
        clock_tolerance_ms: 120_000,
        heartbeat: Duration::from_secs(10),
        http: None,
    };
    let stop = CancellationToken::new();
    let (ready, address) = oneshot::channel();
    let token = stop.clone();
    let task = tokio::spawn(async move {
        let result = run(node, options, token, move |info: &RunInfo| {
            let _ = ready.send(info.listen);
        })
        .await;
        if let Err(err) = result {
            eprintln!("node failed: {}", err.localized());
        }
    });
    let address = address.await?;
    Ok(Running {
        stop,
        task,
        address,
    })
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

fn session_count(dir: &DataDir) -> anyhow::Result<usize> {
    Ok(Store::open(&dir.store_path())?
        .sessions(&SessionFilter::default())?
        .len())
}

/// Records `count` sessions of one hour on `instrument` as the admin, without a network.
fn log_sessions(
    dir: &DataDir,
    instrument: &str,
    groups: &[&str],
    count: usize,
) -> anyhow::Result<()> {
    let mut node = Node::open(dir.clone())?;
    let admin = ops::users(&node)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no admin"))?;
    for i in 0..count {
        let group = groups[i % groups.len()];
        let request = StartSession {
            instrument,
            group,
            kind: "measurement",
            samples: 1,
            program: None,
        };
        ops::start_session(&mut node, &admin, request)?;
        ops::stop_session(&mut node, &admin, instrument, "ok")?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let dir = |name: &str| DataDir {
        root: root.path().join(name),
    };
    let office = dir("office");

    // The office creates the facility, its instruments, groups and tariffs.
    create(
        &office,
        "office",
        "Demo facility",
        "Europe/Paris",
        "admin",
        PASSWORD,
        None,
    )?;
    {
        let mut node = Node::open(office.clone())?;
        let admin = ops::users(&node)?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no admin"))?;
        for code in ["XRD", "SEM", "NMR"] {
            ops::add_instrument(&mut node, &admin, code, None)?;
        }
        ops::add_group(&mut node, &admin, "LMCP", Category::PublicCnrs, None)?;
        ops::add_group(&mut node, &admin, "AREVA", Category::Industrial, None)?;
    }

    // The three instrument PCs join while the office runs.
    let running_office = start(&office, 0, Vec::new()).await?;
    let office_port = running_office.address.port();
    for name in ["xrd", "sem", "nmr"] {
        let invitation = {
            let mut node = Node::open(office.clone())?;
            let invitation = create_invitation(&mut node, &running_office.address.to_string(), 1)?;
            node.notify_running_node();
            invitation
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        join_facility(&dir(name), name, &invitation, Some("127.0.0.1:0")).await?;
        println!("{name} joined the facility");
    }
    // Everyone meets the office once, so every node learns of every member.
    let office_address = running_office.address.to_string();
    let mut online = Vec::new();
    for name in ["xrd", "sem", "nmr"] {
        online.push(start(&dir(name), 0, vec![office_address.clone()]).await?);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for name in ["xrd", "sem", "nmr"] {
        while ops::members(&Node::open(dir(name))?)?.len() < 4 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for running in online {
        running.stop().await;
    }
    running_office.stop().await;

    // Partition: the instruments reach each other but not the office.
    let xrd = start(&dir("xrd"), 0, Vec::new()).await?;
    let sem = start(&dir("sem"), 0, vec![xrd.address.to_string()]).await?;
    let nmr = start(&dir("nmr"), 0, vec![sem.address.to_string()]).await?;
    log_sessions(&dir("xrd"), "XRD", &["LMCP"], 20)?;
    log_sessions(&dir("sem"), "SEM", &["AREVA", "LMCP"], 15)?;
    log_sessions(&dir("nmr"), "NMR", &["LMCP"], 10)?;
    for node in [&dir("xrd"), &dir("sem"), &dir("nmr")] {
        Node::open(node.clone())?.notify_running_node();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while session_count(&dir("nmr"))? < 45 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for name in ["xrd", "sem", "nmr"] {
        println!(
            "while partitioned, {name} holds {} sessions",
            session_count(&dir(name))?
        );
    }
    println!(
        "while partitioned, the office holds {} sessions",
        session_count(&office)?
    );

    // Heal: the office comes back and dials one instrument; the rest arrives through it.
    let healed_at = Instant::now();
    let running_office = start(&office, office_port, vec![nmr.address.to_string()]).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while session_count(&office)? < 45 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "after healing, the office holds {} sessions ({} ms)",
        session_count(&office)?,
        healed_at.elapsed().as_millis()
    );

    let node = Node::open(office.clone())?;
    let tz = node.timezone()?;
    for session in ops::sessions(&node)?.iter().take(5) {
        println!(
            "  {} {:<4} {:<6} {}",
            session.start.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S"),
            session.instrument,
            session.group,
            session.operator
        );
    }
    println!("  ...");
    for (code, count) in ["XRD", "SEM", "NMR"].iter().map(|code| {
        let count =
            ops::sessions(&node).map(|s| s.iter().filter(|x| x.instrument == *code).count());
        (code, count)
    }) {
        println!("  {code}: {} sessions", count?);
    }

    for running in [running_office, xrd, sem, nmr] {
        running.stop().await;
    }
    Ok(())
}
