//! Store benchmark: prints how long a session start or stop takes to be acknowledged on
//! disk, and how long a node takes to load one year of a facility's sessions.
//!
//! Run with `cargo run --release --example bench_store`. Figures go in
//! `docs/benchmarks.md`.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Datelike, TimeZone, Utc};
use progmanager_model::schema;
use progmanager_model::{Category, Session};
use progmanager_node::node::{DataDir, Node};
use progmanager_node::ops::{self, StartSession};
use progmanager_node::projection::SessionFilter;
use progmanager_node::store::Store;
use uuid::Uuid;

const WRITES: usize = 500;
const INSTRUMENTS: usize = 10;
const SESSIONS_PER_INSTRUMENT: usize = 2_500;

fn main() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    acknowledgement_latency(root.path())?;
    start_up_with_one_year(root.path())?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Times `ops::start_session` and `ops::stop_session` on a real data directory: each
/// returns only after its SQLite transaction is committed with `synchronous=FULL`.
fn acknowledgement_latency(root: &Path) -> anyhow::Result<()> {
    let dir = DataDir {
        root: root.join("latency"),
    };
    progmanager_node::cmd::init::create(
        &dir,
        "bench",
        "Bench",
        "Europe/Paris",
        "admin",
        "bench",
        None,
    )?;

    let mut node = Node::open(dir)?;
    let admin = ops::users(&node)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no admin"))?;
    ops::add_instrument(&mut node, &admin, "NMR", None)?;
    ops::add_group(&mut node, &admin, "LMCP", Category::PublicCnrs, None)?;

    let mut starts = Vec::with_capacity(WRITES);
    let mut stops = Vec::with_capacity(WRITES);
    for _ in 0..WRITES {
        let request = StartSession {
            instrument: "NMR",
            group: "LMCP",
            kind: "proton",
            samples: 1,
            program: None,
        };
        let began = Instant::now();
        ops::start_session(&mut node, &admin, request)?;
        starts.push(began.elapsed());
        let began = Instant::now();
        ops::stop_session(&mut node, &admin, "NMR", "")?;
        stops.push(began.elapsed());
    }
    starts.sort();
    stops.sort();
    for (name, times) in [("session start", &starts), ("session stop", &stops)] {
        println!(
            "{name}: median {:.2} ms, p95 {:.2} ms, max {:.2} ms over {WRITES} writes",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.95)),
            ms(*times.last().unwrap_or(&Duration::ZERO)),
        );
    }
    Ok(())
}

/// Builds the store a facility of ten instruments has after one year of live use (one
/// row for each session start and one for each stop, as the node writes them), then
/// times opening it and reading every session.
fn start_up_with_one_year(root: &Path) -> anyhow::Result<()> {
    let path = root.join("year.sqlite");
    let rows = write_year(&path)?;
    let size = std::fs::metadata(&path)?.len();

    let began = Instant::now();
    drop(Store::open(&path)?);
    let first_open = began.elapsed();

    let began = Instant::now();
    let store = Store::open(&path)?;
    let opened = began.elapsed();

    let began = Instant::now();
    let from_table = store.sessions(&SessionFilter::default())?.len();
    let table_read = began.elapsed();

    let began = Instant::now();
    let mut from_docs = 0;
    for (doc_id, doc) in store.docs() {
        if doc_id.starts_with("logbook/") {
            from_docs += schema::read_sessions(doc)?.len();
        }
    }
    let docs_read = began.elapsed();
    anyhow::ensure!(
        from_table == from_docs,
        "the sessions table has {from_table} rows, the documents {from_docs}"
    );

    println!(
        "one year: {from_docs} sessions on {INSTRUMENTS} instruments, {rows} change rows, {:.1} MB",
        size as f64 / 1e6
    );
    println!(
        "  first open, deriving the sessions table: {:.0} ms",
        ms(first_open)
    );
    println!("  start-up (open the store): {:.0} ms", ms(opened));
    println!(
        "  all sessions from the sessions table: {:.0} ms",
        ms(table_read)
    );
    println!("  all sessions from the documents: {:.0} ms", ms(docs_read));
    println!("  peak RSS of the process: {} MB", peak_rss_mb());
    Ok(())
}

/// Writes the rows of one year directly in one transaction (the same bytes the store
/// appends for each write, without paying an fsync per row during set-up).
fn write_year(path: &Path) -> anyhow::Result<usize> {
    drop(Store::open(path)?);
    let mut conn = rusqlite::Connection::open(path)?;
    let tx = conn.transaction()?;
    let mut rows = 0;
    let base = Utc
        .with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("date"))?;
    for instrument in 0..INSTRUMENTS {
        let code = format!("I{instrument}");
        let doc_id = schema::logbook_doc_id(&code, base.year());
        let mut doc = schema::genesis(&doc_id).ok_or_else(|| anyhow::anyhow!("doc id"))?;
        doc.set_actor(automerge::ActorId::random());
        insert(&tx, &doc_id, &doc.save())?;
        rows += 1;
        for i in 0..SESSIONS_PER_INSTRUMENT {
            let start = base + chrono::Duration::minutes(i as i64 * 200);
            let mut session = Session {
                id: Uuid::now_v7(),
                instrument: code.clone(),
                operator: format!("user{}", i % 40),
                group: format!("G{}", i % 30),
                start,
                end: None,
                kind: "proton".into(),
                samples: (i % 4) as u32,
                observations: String::new(),
                billable: true,
                node: "0".repeat(64),
                package: None,
                booked_end: None,
                program: None,
                review: None,
            };
            let heads = doc.get_heads();
            doc.transact::<_, _, anyhow::Error>(|tx| Ok(schema::put_session(tx, &session)?))
                .map_err(|f| f.error)?;
            insert(&tx, &doc_id, &doc.save_after(&heads))?;
            session.end = Some(start + chrono::Duration::minutes(90));
            let heads = doc.get_heads();
            doc.transact::<_, _, anyhow::Error>(|tx| {
                let end = session.end.ok_or_else(|| anyhow::anyhow!("end"))?;
                schema::close_session(tx, session.id, end, "ok")?;
                Ok(())
            })
            .map_err(|f| f.error)?;
            insert(&tx, &doc_id, &doc.save_after(&heads))?;
            rows += 2;
        }
    }
    // The rows were written behind the store's back: have the next open derive the tables.
    tx.execute("DELETE FROM local WHERE key = 'projection_version'", [])?;
    tx.commit()?;
    Ok(rows)
}

fn insert(tx: &rusqlite::Transaction<'_>, doc: &str, data: &[u8]) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO changes (doc, data) VALUES (?1, ?2)",
        rusqlite::params![doc, data],
    )?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident memory of this process, from /proc (Linux only; 0 elsewhere).
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}
