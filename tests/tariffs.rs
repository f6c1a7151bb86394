//! Tariffs through the command line: grid import and export, and concurrent edits on two
//! disconnected nodes settled by an admin.

mod common;

use std::time::Duration;

use common::{TestNode, wait_for};

const GRID: &str = r#"
[[tariff]]
instrument = "RMN500"
category = "industrial"

[tariff.rule]
hourly = "70"
weekend = "60"
vat_percent = "20"
"#;

#[test]
fn grid_import_bills_a_weekend_night() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = TestNode::new(root.path(), "office");
    node.init_facility();
    node.ok(&["instrument", "add", "RMN500"]);
    node.ok(&["group", "add", "ACME", "--category", "industrial"]);
    let grid = root.path().join("grid.toml");
    std::fs::write(&grid, GRID).expect("write grid");
    node.ok(&["tariff", "import", grid.to_str().expect("utf-8")]);

    // Friday 20:00 to Saturday 02:00 in Paris: 4 h at 70 and 2 h at 60.
    let sessions = root.path().join("night.tsv");
    std::fs::write(
        &sessions,
        "date\topérateur\tgroupe\tdébut\tfin\ttype\tobservations\n6/3/26\tRoux\tACME\t20h\t2h\tproton\t-\n",
    )
    .expect("write logbook");
    node.ok(&[
        "import",
        "passages",
        sessions.to_str().expect("utf-8"),
        "--instrument",
        "RMN500",
    ]);
    let invoice = node.json(&[
        "invoice",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
    ]);
    assert_eq!(invoice["total"], "400.00", "{invoice}");
    assert_eq!(invoice["groups"][0]["total"], "400.00");

    let exported = node.ok(&["tariff", "export", "--instrument", "RMN500"]);
    assert!(exported.contains("weekend = \"60\""), "{exported}");
    let again = root.path().join("again.toml");
    std::fs::write(&again, &exported).expect("write export");
    node.ok(&["tariff", "import", again.to_str().expect("utf-8")]);
}

#[test]
fn invalid_grid_imports_nothing() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = TestNode::new(root.path(), "office");
    node.init_facility();
    node.ok(&["instrument", "add", "RMN500"]);
    let grid = root.path().join("grid.toml");
    let text = format!(
        "{GRID}\n[[tariff]]\ninstrument = \"RMN500\"\ncategory = \"internal\"\n\n[tariff.rule]\nhourly = 9.5\n"
    );
    std::fs::write(&grid, text).expect("write grid");
    let error = node.fails(&["tariff", "import", grid.to_str().expect("utf-8")]);
    assert!(error.contains("line 16"), "{error}");
    assert!(error.contains("\"hourly\" = \"9.5\""), "{error}");
    let tariffs = node.json(&["tariff", "list", "--format", "json"]);
    assert_eq!(tariffs.as_array().map(Vec::len), Some(0), "{tariffs}");

    let unknown = root.path().join("unknown.toml");
    std::fs::write(&unknown, GRID.replace("RMN500", "XRD9")).expect("write grid");
    let error = node.fails(&["tariff", "import", unknown.to_str().expect("utf-8")]);
    assert!(error.contains("unknown instrument \"XRD9\""), "{error}");
}

/// Two admins set the same tariff on two disconnected nodes: after sync both values are
/// shown, and the one an admin chooses wins everywhere.
#[test]
fn concurrent_tariff_edits_are_shown_and_settled() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut nmr = TestNode::new(root.path(), "nmr");
    office.init_facility();
    office.ok(&["instrument", "add", "RMN500"]);
    office.ok(&[
        "tariff",
        "set",
        "--instrument",
        "RMN500",
        "--category",
        "industrial",
        "--hourly",
        "100",
    ]);
    office.start();
    nmr.join(&office);
    office.stop();

    office.ok(&[
        "tariff",
        "set",
        "--instrument",
        "RMN500",
        "--category",
        "industrial",
        "--hourly",
        "110",
    ]);
    nmr.ok(&[
        "tariff",
        "set",
        "--instrument",
        "RMN500",
        "--category",
        "industrial",
        "--hourly",
        "120",
    ]);
    office.start();
    nmr.start();

    let shown = wait_for(Duration::from_secs(30), || {
        let show = office.ok(&["tariff", "show", "--instrument", "RMN500"]);
        show.contains("Conflict").then_some(show)
    })
    .unwrap_or_else(|| panic!("no conflict shown\n{}\n{}", office.logs(), nmr.logs()));
    assert!(shown.contains("110 per hour"), "{shown}");
    assert!(shown.contains("120 per hour"), "{shown}");

    let choice = if shown.contains("[1] 120 per hour") {
        "1"
    } else {
        "2"
    };
    nmr.ok(&[
        "tariff",
        "choose",
        "--instrument",
        "RMN500",
        "--category",
        "industrial",
        choice,
    ]);
    let settled = wait_for(Duration::from_secs(30), || {
        let show = office.ok(&["tariff", "show", "--instrument", "RMN500"]);
        (!show.contains("Conflict") && show.contains("hourly = \"120\"")).then_some(())
    });
    assert!(
        settled.is_some(),
        "{}",
        office.ok(&["tariff", "show", "--instrument", "RMN500"])
    );
    let error = office.fails(&[
        "tariff",
        "choose",
        "--instrument",
        "RMN500",
        "--category",
        "industrial",
        "1",
    ]);
    assert!(error.contains("no conflicting values"), "{error}");
}
