//! Command-line behaviour on one node without the network: permissions, import errors,
//! messages in French and English.

mod common;

use common::{LOGBOOK, TestNode, set_up_nmr};

fn facility() -> (tempfile::TempDir, TestNode) {
    let root = tempfile::tempdir().expect("temp dir");
    let node = TestNode::new(root.path(), "nmr");
    node.init_facility();
    set_up_nmr(&node);
    (root, node)
}

fn as_user(node: &TestNode, login: &str, args: &[&str]) -> std::process::Output {
    node.command()
        .env("PROGMANAGER_USER", login)
        .args(args)
        .output()
        .expect("progmanager runs")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn levels_are_enforced() {
    let (_root, node) = facility();
    node.ok(&["user", "add", "marie", "--level", "1", "--group", "LMCP"]);
    node.ok(&["user", "add", "paul", "--level", "2", "--group", "LMCP"]);

    // Level 1: own group only, no administration.
    let own = as_user(
        &node,
        "marie",
        &[
            "session",
            "start",
            "--instrument",
            "RMN400",
            "--group",
            "LMCP",
        ],
    );
    assert!(own.status.success(), "{}", stderr(&own));
    let stop = as_user(
        &node,
        "marie",
        &["session", "stop", "--instrument", "RMN400"],
    );
    assert!(stop.status.success(), "{}", stderr(&stop));
    let other = as_user(
        &node,
        "marie",
        &[
            "session",
            "start",
            "--instrument",
            "RMN400",
            "--group",
            "AREVA",
        ],
    );
    assert!(!other.status.success());
    assert!(
        stderr(&other).contains("only for their own group LMCP"),
        "{}",
        stderr(&other)
    );
    let admin = as_user(&node, "marie", &["instrument", "add", "XRD"]);
    assert!(!admin.status.success());
    assert!(
        stderr(&admin).contains("needs level 3"),
        "{}",
        stderr(&admin)
    );

    // Level 2: any group, still no administration, and not another user's session.
    let any = as_user(
        &node,
        "paul",
        &[
            "session",
            "start",
            "--instrument",
            "RMN400",
            "--group",
            "AREVA",
        ],
    );
    assert!(any.status.success(), "{}", stderr(&any));
    let stop_other = as_user(
        &node,
        "marie",
        &["session", "stop", "--instrument", "RMN400"],
    );
    assert!(!stop_other.status.success());
    let tariff = as_user(
        &node,
        "paul",
        &[
            "tariff",
            "set",
            "--instrument",
            "RMN400",
            "--category",
            "other",
            "--covered",
        ],
    );
    assert!(!tariff.status.success());
    assert!(
        stderr(&tariff).contains("edit tariffs"),
        "{}",
        stderr(&tariff)
    );
    let invoice = as_user(
        &node,
        "paul",
        &["invoice", "--from", "2010-06-01", "--to", "2010-06-30"],
    );
    assert!(!invoice.status.success());
}

#[test]
fn wrong_password_is_rejected() {
    let (_root, node) = facility();
    let output = node
        .command()
        .env("PROGMANAGER_PASSWORD", "wrong")
        .args(["sessions"])
        .output()
        .expect("progmanager runs");
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("login failed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn second_session_on_busy_instrument_is_rejected() {
    let (_root, node) = facility();
    node.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
    ]);
    let error = node.fails(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "AREVA",
    ]);
    assert!(error.contains("is in use by admin since"), "{error}");
    let error = node.fails(&["session", "stop", "--instrument", "XRD"]);
    assert!(error.contains("no running session"), "{error}");
}

#[test]
fn import_with_bad_rows_writes_nothing() {
    let (root, node) = facility();
    let file = root.path().join("bad.tsv");
    let text = "date\topérateur\tgroupe\tdébut\tfin\ttype\tobservations\n\
                2/6/10\tDurand\tLMCP\t14h\t15h\tcarbone\t-\n\
                2/6/10\tHaddad\tLMCP\t14.75h\t16h\tproton\t-\n\
                31/2/10\tMoreau\tLMCP\t16.30h\t18.30h\tproton\t-\n";
    std::fs::write(&file, text).expect("write file");
    let error = node.fails(&[
        "import",
        "passages",
        file.to_str().expect("utf-8"),
        "--instrument",
        "RMN400",
    ]);
    assert!(error.contains("2 invalid rows"), "{error}");
    assert!(
        error.contains("line 3, column \"début\": invalid time \"14.75h\""),
        "{error}"
    );
    assert!(
        error.contains("line 4, column \"date\": invalid date \"31/2/10\""),
        "{error}"
    );
    assert!(
        node.session_ids().is_empty(),
        "a failed import wrote sessions"
    );
}

#[test]
fn import_with_unknown_groups_writes_nothing() {
    let (_root, node) = facility();
    let error = node.fails(&["import", "passages", LOGBOOK, "--instrument", "RMN400"]);
    assert!(error.contains("line 2: unknown group \"SGP\""), "{error}");
    assert!(
        error.contains("line 5: unknown group \"service\""),
        "{error}"
    );
    assert!(node.session_ids().is_empty());
    let groups = node.json(&["group", "list", "--format", "json"]);
    assert_eq!(groups.as_array().map(Vec::len), Some(3));
}

#[test]
fn import_twice_records_once_and_warns_of_overlaps() {
    let (_root, node) = facility();
    let first = node.output(&[
        "import",
        "passages",
        LOGBOOK,
        "--instrument",
        "RMN400",
        "--create-groups",
        "internal",
    ]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("line 2: the session overlaps the one of line 3"),
        "{}",
        stderr(&first)
    );
    let second = node.output(&[
        "import",
        "passages",
        LOGBOOK,
        "--instrument",
        "RMN400",
        "--create-groups",
        "internal",
    ]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 sessions imported"));
    assert_eq!(node.session_ids().len(), 7);
}

#[test]
fn messages_follow_the_locale() {
    let (_root, node) = facility();
    let output = node
        .command()
        .env_remove("PROGMANAGER_LANG")
        .env("LANG", "fr_FR.UTF-8")
        .args(["session", "stop", "--instrument", "RMN400"])
        .output()
        .expect("progmanager runs");
    assert!(
        stderr(&output).starts_with("erreur : aucun passage en cours"),
        "{}",
        stderr(&output)
    );

    let csv = node
        .command()
        .args(["--lang", "fr", "tariff", "list", "--format", "csv"])
        .output()
        .expect("progmanager runs");
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(csv.starts_with("Instrument;Catégorie;"), "{csv}");
}

#[test]
fn sessions_json_has_offsets_in_facility_time_zone() {
    let (_root, node) = facility();
    node.ok(&[
        "import",
        "passages",
        LOGBOOK,
        "--instrument",
        "RMN400",
        "--create-groups",
        "internal",
    ]);
    let sessions = node.json(&["sessions", "--format", "json"]);
    let first = &sessions[0];
    assert_eq!(first["start"], "2010-06-02T14:00:00+02:00");
    assert_eq!(first["end"], "2010-06-02T15:00:00+02:00");
    assert_eq!(first["operator"], "Durand");
    assert_eq!(first["group"], "SGP");
    assert_eq!(first["kind"], "carbone");
    assert_eq!(first["observations"], "");
    assert_eq!(sessions[2]["observations"], "pas de signal?");
}

#[test]
fn second_run_on_same_directory_is_rejected() {
    let (_root, mut node) = facility();
    node.start();
    let error = node.fails(&["run", "--listen", "127.0.0.1:0"]);
    assert!(error.contains("another node is already running"), "{error}");
    // Commands still work while the node runs.
    node.ok(&["instrument", "add", "XRD"]);
    node.stop();
}
