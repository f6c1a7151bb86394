//! The usage counter on an instrument node with no peer: control programs as real child
//! processes, crash recovery, forgotten logouts.

mod common;

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use common::{TestNode, set_up_nmr, wait_for};
use serde_json::Value;

/// An NMR node with a one-second heartbeat, running, with no peer.
fn instrument_node(root: &std::path::Path) -> TestNode {
    let mut node = TestNode::new(root, "nmr");
    node.init_facility();
    set_up_nmr(&node);
    let config = node.dir.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    assert!(text.contains("heartbeat_secs = 10"), "{text}");
    let text = text.replace("heartbeat_secs = 10", "heartbeat_secs = 1");
    std::fs::write(&config, text).expect("write config");
    node.start();
    node
}

fn sessions(node: &TestNode) -> Vec<Value> {
    node.json(&["sessions", "--format", "json"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn instant(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("an instant")).expect("RFC 3339")
}

fn seconds(session: &Value) -> f64 {
    (instant(&session["end"]) - instant(&session["start"])).as_seconds_f64()
}

fn wait_closed(node: &TestNode, count: usize) -> Vec<Value> {
    wait_for(Duration::from_secs(20), || {
        let all = sessions(node);
        (all.len() >= count && all.iter().all(|s| !s["end"].is_null())).then_some(all)
    })
    .unwrap_or_else(|| panic!("sessions not closed: {:?}\n{}", sessions(node), node.logs()))
}

#[test]
fn light_program_exit_closes_the_session() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = instrument_node(root.path());
    node.ok(&[
        "program",
        "add",
        "acquire",
        "--instrument",
        "RMN400",
        "--mode",
        "light",
        "--command",
        "/bin/sleep",
        "--arg",
        "2",
    ]);
    let started = node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
        "--program",
        "acquire",
    ]);
    assert!(started.contains("Program acquire launched"), "{started}");

    let all = wait_closed(&node, 1);
    let duration = seconds(&all[0]);
    assert!(
        (1.9..4.0).contains(&duration),
        "the session lasted {duration} s for a 2 s program"
    );
}

#[test]
fn crashing_program_closes_the_session() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = instrument_node(root.path());
    node.ok(&[
        "program",
        "add",
        "crash",
        "--instrument",
        "RMN400",
        "--mode",
        "light",
        "--command",
        "/bin/sh",
        "--arg",
        "-c",
        "--arg",
        "sleep 1; kill -9 $$",
    ]);
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
        "--program",
        "crash",
    ]);
    let all = wait_closed(&node, 1);
    let duration = seconds(&all[0]);
    assert!(
        (0.9..3.0).contains(&duration),
        "the session lasted {duration} s for a program killed after 1 s"
    );
}

#[test]
fn heavy_program_runs_on_while_user_starts_and_stops() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = instrument_node(root.path());
    node.ok(&[
        "program",
        "add",
        "daq",
        "--instrument",
        "RMN400",
        "--mode",
        "heavy",
        "--command",
        "/bin/sleep",
        "--arg",
        "300",
    ]);
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
        "--program",
        "daq",
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        sessions(&node)[0]["end"].is_null(),
        "a heavy program must not stop the counter by itself"
    );
    node.ok(&[
        "session",
        "stop",
        "--instrument",
        "RMN400",
        "--observations",
        "done",
    ]);
    // The same program serves the next session without a second launch.
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "AREVA",
        "--program",
        "daq",
    ]);
    node.ok(&["session", "stop", "--instrument", "RMN400"]);
    let all = wait_closed(&node, 2);
    assert!(
        all.iter()
            .all(|s| s["observations"] == "done" || s["group"] == "AREVA")
    );
}

#[test]
fn second_instance_is_refused() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = instrument_node(root.path());
    node.ok(&["instrument", "add", "RMN400", "--parallel", "true"]);
    node.ok(&[
        "program",
        "add",
        "viewer",
        "--instrument",
        "RMN400",
        "--mode",
        "light",
        "--command",
        "/bin/sleep",
        "--arg",
        "30",
    ]);
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
        "--program",
        "viewer",
    ]);
    let error = node.fails(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "AREVA",
        "--program",
        "viewer",
    ]);
    assert!(
        error.contains("already runs and allows only one instance"),
        "{error}"
    );
}

#[test]
fn program_without_running_node_is_refused() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut node = instrument_node(root.path());
    node.ok(&[
        "program",
        "add",
        "viewer",
        "--instrument",
        "RMN400",
        "--mode",
        "light",
        "--command",
        "/bin/sleep",
        "--arg",
        "30",
    ]);
    node.stop();
    let error = node.fails(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
        "--program",
        "viewer",
    ]);
    assert!(
        error.contains("needs the node of this instrument to run"),
        "{error}"
    );
    assert!(sessions(&node).is_empty());
}

/// A node killed during a session closes it, after restart, at its last heartbeat and
/// flags it for review.
#[test]
fn sigkill_during_session_closes_it_at_last_heartbeat() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut node = instrument_node(root.path());
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
    ]);
    std::thread::sleep(Duration::from_millis(3500));
    node.kill();
    let killed = chrono::Utc::now();
    std::thread::sleep(Duration::from_millis(2000));
    node.start();

    let all = wait_closed(&node, 1);
    let end = instant(&all[0]["end"]);
    let lost = (killed - end.with_timezone(&chrono::Utc)).as_seconds_f64();
    assert!(
        (0.0..2.5).contains(&lost),
        "closed {lost} s before the kill"
    );
    assert!(
        seconds(&all[0]) >= 2.0,
        "closed too early: {}",
        seconds(&all[0])
    );
    let review = node.json(&["review", "list", "--format", "json"]);
    assert_eq!(review[0]["reason"], "closed-at-heartbeat", "{review}");
}

/// A forgotten session is flagged and held from billing until an admin corrects it; it
/// is then billed with the corrected time.
#[test]
fn forgotten_session_is_held_then_billed_as_corrected() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = instrument_node(root.path());
    node.ok(&["instrument", "add", "RMN400", "--max-minutes", "60"]);
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
    ]);
    let id = sessions(&node)[0]["id"].as_str().expect("id").to_string();
    node.ok(&["session", "edit", &id, "--start", "2026-03-02 08:00"]);

    let flagged = wait_for(Duration::from_secs(20), || {
        let review = node.json(&["review", "list", "--format", "json"]);
        (review[0]["reason"] == "over-max-length").then_some(())
    });
    assert!(
        flagged.is_some(),
        "the forgotten session was not flagged\n{}",
        node.logs()
    );
    node.ok(&["session", "stop", "--instrument", "RMN400"]);
    let held = node.output(&[
        "invoice",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
    ]);
    let invoice: Value = serde_json::from_slice(&held.stdout).expect("invoice JSON");
    assert_eq!(invoice["total"], "0.00", "{invoice}");
    assert!(String::from_utf8_lossy(&held.stderr).contains("await review"));

    node.ok(&["review", "resolve", &id, "--end", "2026-03-02 09:30"]);
    let invoice = node.json(&[
        "invoice",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
    ]);
    assert_eq!(invoice["total"], "45.00", "1.5 h at 30.00: {invoice}");
    let review = node.json(&["review", "list", "--format", "json"]);
    assert_eq!(review.as_array().map(Vec::len), Some(0));
}

#[test]
fn incident_is_written_in_the_notebook() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = instrument_node(root.path());
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
    ]);
    node.ok(&[
        "incident",
        "add",
        "--instrument",
        "RMN400",
        "--text",
        "helium level low",
    ]);
    node.ok(&[
        "incident",
        "add",
        "--instrument",
        "RMN400",
        "--kind",
        "maintenance",
        "--text",
        "shim coils checked",
    ]);
    let notebook = node.ok(&["notebook", "--instrument", "RMN400"]);
    assert!(notebook.contains("helium level low"), "{notebook}");
    assert!(notebook.contains("Maintenance"), "{notebook}");
    let error = node.fails(&[
        "incident",
        "add",
        "--instrument",
        "RMN400",
        "--kind",
        "party",
        "--text",
        "x",
    ]);
    assert!(error.contains("entry kind"), "{error}");
}
