//! Invoice benchmark: one year of a ten-instrument facility (25,000 sessions) priced with
//! tariffs that use periods, weekends, holidays, minimums and VAT. Prints the time to read
//! the sessions from a store's sessions table and to compute the invoice, and the memory.
//!
//! Run with `cargo run --release --example bench_invoice`. Figures go in
//! `docs/benchmarks.md`.

use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};
use progmanager_model::billing::{InvoiceRequest, compute_invoice};
use progmanager_model::grid::import_grid;
use progmanager_model::{BillingGroup, Category, Session};
use progmanager_node::projection::{self, SessionFilter};
use uuid::Uuid;

const INSTRUMENTS: usize = 10;
const SESSIONS_PER_INSTRUMENT: usize = 2_500;
const GROUPS: usize = 40;

fn grid() -> String {
    let mut text = String::new();
    for i in 0..INSTRUMENTS {
        for (category, hourly) in [
            ("internal", "0"),
            ("public-cnrs", "30"),
            ("public-other", "45"),
            ("industrial", "120"),
            ("other", "60"),
        ] {
            text.push_str(&format!(
                "[[tariff]]\ninstrument = \"I{i}\"\ncategory = \"{category}\"\n\n[tariff.rule]\nhourly = \"{hourly}\"\nweekend = \"20\"\nholiday = \"20\"\nminimum_minutes = 15\nvat_percent = \"20\"\n\n[[tariff.rule.periods]]\nname = \"night\"\nfrom = \"20:00\"\nto = \"08:00\"\nhourly = \"10\"\n\n"
            ));
        }
    }
    text
}

fn sessions() -> Vec<Session> {
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 7, 0, 0)
        .single()
        .expect("valid instant");
    let mut out = Vec::with_capacity(INSTRUMENTS * SESSIONS_PER_INSTRUMENT);
    for i in 0..INSTRUMENTS {
        for n in 0..SESSIONS_PER_INSTRUMENT {
            let start = base + chrono::Duration::minutes((n as i64) * 210 + (i as i64) * 7);
            out.push(Session {
                id: Uuid::now_v7(),
                instrument: format!("I{i}"),
                operator: format!("user{}", n % 50),
                group: format!("G{}", (n + i) % GROUPS),
                start,
                end: Some(start + chrono::Duration::minutes(30 + (n as i64 % 7) * 25)),
                kind: if n % 97 == 0 {
                    "maintenance".into()
                } else {
                    "measurement".into()
                },
                samples: (n % 5) as u32,
                observations: String::new(),
                billable: true,
                node: "0".repeat(64),
                package: None,
                booked_end: None,
                program: None,
                review: None,
            });
        }
    }
    out
}

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

fn main() -> anyhow::Result<()> {
    let tariffs = import_grid(&grid())?;
    let groups: Vec<BillingGroup> = (0..GROUPS)
        .map(|g| BillingGroup {
            code: format!("G{g}"),
            name: format!("Group {g}"),
            category: Category::ALL[g % Category::ALL.len()],
        })
        .collect();
    let all = sessions();

    // The sessions table as the node keeps it, in a real SQLite file.
    let dir = tempfile::tempdir()?;
    let conn = rusqlite::Connection::open(dir.path().join("bench.sqlite"))?;
    conn.execute_batch(projection::SCHEMA_SQL)?;
    let tx = conn.unchecked_transaction()?;
    for s in &all {
        tx.execute(
            "INSERT INTO sessions (id, doc, instrument, operator, grp, start_ms, end_ms, kind, samples, observations, billable, node)
             VALUES (?1, 'logbook', ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', 1, ?9)",
            rusqlite::params![s.id.to_string(), s.instrument, s.operator, s.group, s.start.timestamp_millis(), s.end.map(|e| e.timestamp_millis()), s.kind, s.samples, s.node],
        )?;
    }
    tx.commit()?;
    drop(all);

    let request = InvoiceRequest {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
        group: None,
        tz: chrono_tz::Europe::Paris,
    };
    let mut reads = Vec::new();
    let mut computes = Vec::new();
    let mut total = String::new();
    let mut lines = 0;
    for _ in 0..5 {
        let began = Instant::now();
        let loaded = projection::query_sessions(&conn, &SessionFilter::default())?;
        reads.push(began.elapsed());
        let began = Instant::now();
        let invoice = compute_invoice(&loaded, &groups, &tariffs, &request)?;
        computes.push(began.elapsed());
        total = invoice.total.to_string();
        lines = invoice.groups.iter().map(|g| g.lines.len()).sum();
    }
    reads.sort();
    computes.sort();
    println!(
        "one year, {} sessions on {INSTRUMENTS} instruments, {GROUPS} groups: {lines} lines, total {total}",
        INSTRUMENTS * SESSIONS_PER_INSTRUMENT
    );
    println!(
        "  read the sessions table: median {} ms",
        reads[2].as_millis()
    );
    println!(
        "  compute the invoice: median {} ms",
        computes[2].as_millis()
    );
    println!(
        "  read and compute: median {} ms",
        (reads[2] + computes[2]).as_millis()
    );
    println!("  peak RSS of the process: {} MB", peak_rss_mb());
    Ok(())
}
