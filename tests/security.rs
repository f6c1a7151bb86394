//! Users, audit trail, backups and files on disk.

mod common;

use std::time::Duration;

use common::{TestNode, set_up_nmr, wait_converged, wait_for};

fn as_user(node: &TestNode, login: &str, password: &str, args: &[&str]) -> std::process::Output {
    node.command()
        .env("PROGMANAGER_USER", login)
        .env("PROGMANAGER_PASSWORD", password)
        .args(args)
        .output()
        .expect("progmanager runs")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn disabled_user_cannot_log_in() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = TestNode::new(root.path(), "nmr");
    node.init_facility();
    set_up_nmr(&node);
    node.ok(&["user", "add", "marie", "--level", "1", "--group", "LMCP"]);
    node.ok(&["user", "disable", "marie"]);
    let refused = as_user(&node, "marie", common::PASSWORD, &["sessions"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("is disabled"),
        "{}",
        stderr(&refused)
    );
    node.ok(&["user", "enable", "marie"]);
    let accepted = as_user(&node, "marie", common::PASSWORD, &["sessions"]);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
}

#[test]
fn repeated_failures_lock_the_login() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = TestNode::new(root.path(), "nmr");
    node.init_facility();
    for _ in 0..5 {
        let output = as_user(&node, "admin", "wrong", &["sessions"]);
        assert!(
            stderr(&output).contains("login failed"),
            "{}",
            stderr(&output)
        );
    }
    let locked = as_user(&node, "admin", common::PASSWORD, &["sessions"]);
    assert!(!locked.status.success());
    assert!(
        stderr(&locked).contains("is locked on this node"),
        "{}",
        stderr(&locked)
    );
    let log = std::fs::read_dir(node.dir.join("logs"))
        .expect("log folder")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    assert!(log.contains("login failed"), "{log}");
    assert!(!log.contains("wrong"), "the log holds a password");
}

/// A user created on the office before the network was cut logs in on the NMR node,
/// which has no peer at all.
#[test]
fn login_works_on_a_node_cut_off_from_every_peer() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let nmr = TestNode::new(root.path(), "nmr");
    office.init_facility();
    set_up_nmr(&office);
    office.ok(&["user", "add", "marie", "--level", "1", "--group", "LMCP"]);
    office.start();
    nmr.join(&office);
    office.stop();
    let output = as_user(
        &nmr,
        "marie",
        common::PASSWORD,
        &[
            "session",
            "start",
            "--instrument",
            "RMN400",
            "--group",
            "LMCP",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let wrong = as_user(&nmr, "marie", "guess", &["sessions"]);
    assert!(!wrong.status.success());
}

/// A session edited on two nodes while they were apart: its history shows both edits,
/// with who made them and on which node.
#[test]
fn history_shows_edits_from_two_nodes() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut nmr = TestNode::new(root.path(), "nmr");
    office.init_facility();
    set_up_nmr(&office);
    office.start();
    nmr.join(&office);
    nmr.start();
    nmr.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
        "--kind",
        "proton",
    ]);
    nmr.ok(&[
        "session",
        "stop",
        "--instrument",
        "RMN400",
        "--observations",
        "signal ok",
    ]);
    let ids = wait_converged(&office, &nmr, Duration::from_secs(30));
    let id = ids[0].clone();
    office.stop();
    nmr.stop();

    office.ok(&["session", "edit", &id, "--group", "AREVA"]);
    nmr.ok(&[
        "session",
        "edit",
        &id,
        "--kind",
        "carbone",
        "--observations",
        "re-shimmed",
    ]);
    office.start();
    nmr.start();
    let merged = wait_for(Duration::from_secs(30), || {
        let sessions = office.json(&["sessions", "--format", "json"]);
        let session = &sessions[0];
        (session["group"] == "AREVA" && session["kind"] == "carbone").then_some(())
    });
    assert!(merged.is_some(), "the two edits did not merge");

    let history = office.json(&["history", &id, "--format", "json"]);
    let entries = history.as_array().expect("history entries");
    let find = |field: &str, new: &str| {
        entries
            .iter()
            .find(|e| e["field"] == field && e["new"] == new)
            .unwrap_or_else(|| panic!("no change of {field} to {new}: {history}"))
    };
    let group = find("group", "AREVA");
    assert_eq!(group["old"], "LMCP");
    assert_eq!(group["user"], "admin");
    assert_eq!(group["node"], office.node_id());
    let kind = find("kind", "carbone");
    assert_eq!(kind["old"], "proton");
    assert_eq!(kind["node"], nmr.node_id());
    let observations = find("observations", "re-shimmed");
    assert_eq!(observations["old"], "signal ok");

    let table = office.ok(&["history", &id]);
    assert!(table.contains("office"), "{table}");
    assert!(table.contains("nmr"), "{table}");
}

/// A backup taken while the node writes contains every session acknowledged before the
/// backup started; restored into the stopped node, the node holds them and catches up.
#[test]
fn backup_while_writing_then_restore() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut nmr = TestNode::new(root.path(), "nmr");
    nmr.init_facility();
    set_up_nmr(&nmr);
    nmr.start();
    let backups = root.path().join("usb");

    for _ in 0..10 {
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
    let acknowledged = nmr.session_ids();

    // Another process keeps writing while the backup runs.
    let writer_dir = nmr.dir.clone();
    let writer = std::thread::spawn(move || {
        let node = TestNode::new(writer_dir.parent().expect("parent"), "nmr");
        for _ in 0..10 {
            node.ok(&[
                "session",
                "start",
                "--instrument",
                "RMN400",
                "--group",
                "AREVA",
            ]);
            node.ok(&["session", "stop", "--instrument", "RMN400"]);
        }
    });
    let report = nmr.ok(&[
        "backup",
        "--set-dir",
        backups.to_str().expect("utf-8"),
        "--keep",
        "3",
    ]);
    writer.join().expect("writer thread");
    assert!(report.contains("verified"), "{report}");
    let file = std::fs::read_dir(&backups)
        .expect("backup folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "sqlite"))
        .expect("a backup file");
    // Rotation below deletes this first backup from the folder: keep a copy.
    let kept = root.path().join("first-backup.sqlite");
    std::fs::copy(&file, &kept).expect("copy the backup");
    let file = kept;

    // Rotation keeps three.
    for _ in 0..4 {
        nmr.ok(&["backup"]);
    }
    let count = std::fs::read_dir(&backups).expect("backup folder").count();
    assert_eq!(count, 3);

    let running = nmr.fails(&["restore", file.to_str().expect("utf-8")]);
    assert!(running.contains("already running"), "{running}");
    nmr.stop();
    let garbage = root.path().join("garbage.sqlite");
    std::fs::write(&garbage, b"not a database").expect("write");
    let invalid = nmr.fails(&["restore", garbage.to_str().expect("utf-8")]);
    assert!(invalid.contains("not a valid backup"), "{invalid}");

    nmr.ok(&["restore", file.to_str().expect("utf-8")]);
    let restored = nmr.session_ids();
    for id in &acknowledged {
        assert!(
            restored.contains(id),
            "session {id} acknowledged before the backup is missing"
        );
    }
}

#[cfg(unix)]
#[test]
fn private_files_are_readable_only_by_owner() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("temp dir");
    let node = TestNode::new(root.path(), "nmr");
    node.init_facility();
    let mode = |name: &str| {
        std::fs::metadata(node.dir.join(name))
            .expect("file exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("node.key"), 0o600);
    assert_eq!(mode("store.sqlite"), 0o600);
    assert_eq!(mode(""), 0o700);
}

#[test]
fn logs_show_and_save() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut node = TestNode::new(root.path(), "nmr");
    node.init_facility();
    node.start();
    node.stop();
    let recent = node.ok(&["logs", "--lines", "50"]);
    assert!(recent.contains("node started"), "{recent}");
    let saved = root.path().join("saved.log");
    node.ok(&["logs", "--save", saved.to_str().expect("utf-8")]);
    let text = std::fs::read_to_string(&saved).expect("saved log");
    assert!(text.contains("node stopped"), "{text}");
}
