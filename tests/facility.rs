//! End-to-end tests of a facility: real nodes as child processes, syncing over QUIC on
//! 127.0.0.1, with their stores in temporary directories.

mod common;

use std::time::Duration;

use common::{LOGBOOK, TestNode, set_up_nmr, wait_converged, wait_for};
use serde_json::Value;

const CONVERGE: Duration = Duration::from_secs(30);

fn group_totals(invoice: &Value) -> Vec<(String, String)> {
    let mut totals: Vec<(String, String)> = invoice["groups"]
        .as_array()
        .expect("groups array")
        .iter()
        .map(|g| {
            (
                g["group"].as_str().expect("group code").to_string(),
                g["total"].as_str().expect("group total").to_string(),
            )
        })
        .collect();
    totals.sort();
    totals
}

/// The office creates the facility, the NMR node joins, the office stops; the NMR node
/// imports the paper logbook and gets its tariffs while the office is down; once the
/// office runs again, its invoice bills every imported session.
#[test]
fn office_bills_logbook_imported_while_it_was_down() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut nmr = TestNode::new(root.path(), "nmr");

    office.init_facility();
    office.start();
    nmr.join(&office);
    nmr.start();
    office.stop();

    set_up_nmr(&nmr);
    let report = nmr.ok(&[
        "import",
        "passages",
        LOGBOOK,
        "--instrument",
        "RMN400",
        "--create-groups",
        "internal",
    ]);
    assert!(report.contains("7 sessions imported"), "{report}");

    office.start();
    let expected = vec![
        ("AREVA".to_string(), "480.00".to_string()),
        ("Idenix".to_string(), "300.00".to_string()),
        ("LMCP".to_string(), "150.00".to_string()),
        ("NSA".to_string(), "0.00".to_string()),
        ("SGP".to_string(), "0.00".to_string()),
        ("service".to_string(), "0.00".to_string()),
    ];
    let invoice = wait_for(CONVERGE, || {
        let output = office.output(&[
            "invoice",
            "--from",
            "2010-06-01",
            "--to",
            "2010-06-30",
            "--format",
            "json",
        ]);
        let invoice: Value = serde_json::from_slice(&output.stdout).ok()?;
        (group_totals(&invoice) == expected).then_some(invoice)
    })
    .unwrap_or_else(|| {
        panic!(
            "the office never billed the logbook\n{}\n{}",
            office.logs(),
            nmr.logs()
        )
    });
    assert_eq!(invoice["total"], "930.00");
    let lines: usize = invoice["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["lines"].as_array().expect("lines").len())
        .sum();
    assert_eq!(lines, 7);
}

/// Sessions recorded while the office is down reach it once both run again.
#[test]
fn offline_sessions_reach_peer_after_reconnect() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut xrd = TestNode::new(root.path(), "xrd");
    office.init_facility();
    office.ok(&["instrument", "add", "XRD"]);
    office.ok(&["group", "add", "LMCP", "--category", "public-cnrs"]);
    office.start();
    xrd.join(&office);
    office.stop();

    // No node runs: the commands work on the stores alone.
    xrd.ok(&[
        "session",
        "start",
        "--instrument",
        "XRD",
        "--group",
        "LMCP",
        "--kind",
        "powder",
    ]);
    xrd.ok(&[
        "session",
        "stop",
        "--instrument",
        "XRD",
        "--observations",
        "ok",
    ]);
    assert_eq!(xrd.session_ids().len(), 1);
    assert!(office.session_ids().is_empty());

    office.start();
    xrd.start();
    let ids = wait_converged(&office, &xrd, CONVERGE);
    assert_eq!(ids.len(), 1);

    // A change on a connected node reaches the other without a restart.
    xrd.ok(&["session", "start", "--instrument", "XRD", "--group", "LMCP"]);
    let ids = wait_converged(&office, &xrd, CONVERGE);
    assert_eq!(ids.len(), 2);
}

/// Both nodes write while disconnected, then converge to the same data.
#[test]
fn concurrent_offline_writes_converge() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut sem = TestNode::new(root.path(), "sem");
    office.init_facility();
    office.start();
    sem.join(&office);
    office.stop();

    // The same instrument and group created on both sides while disconnected.
    for node in [&office, &sem] {
        node.ok(&["instrument", "add", "SEM"]);
        node.ok(&["group", "add", "LMCP", "--category", "public-cnrs"]);
    }
    office.ok(&[
        "tariff",
        "set",
        "--instrument",
        "SEM",
        "--category",
        "public-cnrs",
        "--hourly",
        "40",
    ]);
    for _ in 0..3 {
        office.ok(&["session", "start", "--instrument", "SEM", "--group", "LMCP"]);
        office.ok(&["session", "stop", "--instrument", "SEM"]);
        sem.ok(&["session", "start", "--instrument", "SEM", "--group", "LMCP"]);
        sem.ok(&["session", "stop", "--instrument", "SEM"]);
    }

    office.start();
    sem.start();
    let ids = wait_converged(&office, &sem, CONVERGE);
    assert_eq!(ids.len(), 6);

    let groups = |node: &TestNode| node.json(&["group", "list", "--format", "json"]);
    let instruments = |node: &TestNode| node.json(&["instrument", "list", "--format", "json"]);
    let tariffs = |node: &TestNode| node.json(&["tariff", "list", "--format", "json"]);
    assert_eq!(groups(&office), groups(&sem));
    assert_eq!(instruments(&office), instruments(&sem));
    assert_eq!(instruments(&sem).as_array().map(Vec::len), Some(1));
    let synced = wait_for(CONVERGE, || {
        (tariffs(&office) == tariffs(&sem)).then_some(())
    });
    assert!(synced.is_some(), "tariffs differ");
}

/// Every session acknowledged before a SIGKILL is still there after a restart, and a node
/// killed in the middle of receiving a sync converges after it restarts.
#[test]
fn sigkill_loses_no_acknowledged_session() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut nmr = TestNode::new(root.path(), "nmr");
    office.init_facility();
    office.start();
    nmr.join(&office);
    nmr.start();
    set_up_nmr(&nmr);

    // Sessions acknowledged while the node runs, then a kill.
    for _ in 0..5 {
        nmr.ok(&[
            "session",
            "start",
            "--instrument",
            "RMN400",
            "--group",
            "LMCP",
        ]);
        nmr.ok(&["session", "stop", "--instrument", "RMN400"]);
    }
    let before = nmr.session_ids();
    assert_eq!(before.len(), 5);
    nmr.kill();
    assert_eq!(nmr.session_ids(), before);

    // A large import on the office reaches the NMR node, which is killed while it syncs.
    let big = root.path().join("big.tsv");
    std::fs::write(&big, big_logbook(1500)).expect("write logbook");
    office.ok(&[
        "import",
        "passages",
        big.to_str().expect("utf-8 path"),
        "--instrument",
        "RMN400",
        "--create-groups",
        "internal",
    ]);
    nmr.start();
    std::thread::sleep(Duration::from_millis(300));
    nmr.kill();
    let partial = nmr.session_ids().len();
    assert!(partial >= 5, "acknowledged sessions lost: {partial}");

    nmr.start();
    let ids = wait_converged(&office, &nmr, CONVERGE);
    assert_eq!(ids.len(), 1505);
    for id in &before {
        assert!(ids.contains(id), "session {id} lost");
    }
}

/// A logbook of `rows` sessions of one hour, one a day from 2011 on.
fn big_logbook(rows: usize) -> String {
    let mut text = String::from("date\topérateur\tgroupe\tdébut\tfin\ttype\tobservations\n");
    let start = chrono::NaiveDate::from_ymd_opt(2011, 1, 1).expect("valid date");
    for i in 0..rows {
        let day = start + chrono::Days::new(i as u64);
        text.push_str(&format!(
            "{}\tOp{}\tG{}\t9h\t10h\tproton\tligne {}\n",
            day.format("%-d/%-m/%y"),
            i % 7,
            i % 5,
            i
        ));
    }
    text
}
