//! A facility mesh: a line of five nodes, member removal, sync status.

mod common;

use std::time::Duration;

use common::{TestNode, wait_for};

const CONVERGE: Duration = Duration::from_secs(60);

/// Five nodes where each dials only its neighbour, without learning other addresses,
/// converge: changes travel hop by hop.
#[test]
fn line_of_five_nodes_converges() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut nodes: Vec<TestNode> = (0..5)
        .map(|i| TestNode::new(root.path(), &format!("n{i}")))
        .collect();
    nodes[0].init_facility();
    nodes[0].ok(&["instrument", "add", "XRD"]);
    nodes[0].ok(&["instrument", "add", "SEM"]);
    nodes[0].ok(&["group", "add", "LMCP", "--category", "public-cnrs"]);
    nodes[0].start();
    for i in 1..5 {
        let (first, rest) = nodes.split_at_mut(i);
        rest[0].join(&first[0]);
        // A first run fixes the node's port, which its neighbour then dials.
        rest[0].start_with(&["--no-address-learning"]);
        rest[0].stop();
    }
    nodes[0].stop();

    for i in 0..5 {
        let mut args = vec!["--no-address-learning".to_string()];
        if i > 0 {
            args.push("--peer".into());
            args.push(nodes[i - 1].address());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        nodes[i].start_with(&args);
    }

    nodes[4].ok(&[
        "session",
        "start",
        "--instrument",
        "XRD",
        "--group",
        "LMCP",
        "--kind",
        "far end",
    ]);
    nodes[0].ok(&[
        "session",
        "start",
        "--instrument",
        "SEM",
        "--group",
        "LMCP",
        "--kind",
        "near end",
    ]);
    let converged = wait_for(CONVERGE, || {
        let ids: Vec<Vec<String>> = nodes.iter().map(TestNode::session_ids).collect();
        (ids[0].len() == 2 && ids.iter().all(|i| *i == ids[0])).then_some(())
    });
    if converged.is_none() {
        let logs: Vec<String> = nodes
            .iter()
            .map(|n| format!("--- {} ---\n{}", n.name, n.logs()))
            .collect();
        panic!("the line did not converge\n{}", logs.join("\n"));
    }

    // The middle node only ever talks to its two neighbours. The running node writes the
    // link states for other processes once a second.
    let neighbours = wait_for(Duration::from_secs(10), || {
        let status = nodes[2].json(&["status", "--format", "json"]);
        let mut connected: Vec<String> = status["peers"]
            .as_array()?
            .iter()
            .filter(|p| p["connected"] == true)
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        connected.sort();
        (connected == ["n1", "n3"]).then_some(())
    });
    assert!(
        neighbours.is_some(),
        "{}",
        nodes[2].ok(&["status", "--format", "json"])
    );
}

/// A removed member is refused by every node once the removal has spread, and its new
/// writes reach nobody.
#[test]
fn removed_member_is_refused_everywhere() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut nmr = TestNode::new(root.path(), "nmr");
    let mut xrd = TestNode::new(root.path(), "xrd");
    office.init_facility();
    office.ok(&["instrument", "add", "XRD"]);
    office.ok(&["group", "add", "LMCP", "--category", "public-cnrs"]);
    office.start();
    nmr.join(&office);
    xrd.join(&office);
    nmr.start();
    xrd.start();

    let nmr_id = nmr.node_id();
    let in_sync = wait_for(CONVERGE, || {
        let status = office.json(&["status", "--format", "json"]);
        let peers = status["peers"].as_array()?.clone();
        (peers.len() == 2
            && peers
                .iter()
                .all(|p| p["connected"] == true && p["in_sync"] == true))
        .then_some(())
    });
    assert!(
        in_sync.is_some(),
        "the office never saw both peers in sync\n{}",
        office.logs()
    );

    let error = nmr.fails(&["member", "remove", &nmr_id]);
    assert!(error.contains("cannot remove itself"), "{error}");
    office.ok(&["member", "remove", &nmr_id]);
    let spread = wait_for(CONVERGE, || {
        let members = xrd.json(&["member", "list", "--format", "json"]);
        members
            .as_array()?
            .iter()
            .any(|m| m["id"] == nmr_id.as_str() && m["removed"] == true)
            .then_some(())
    });
    assert!(spread.is_some(), "the removal did not reach xrd");

    // Links to the removed node close, and it cannot reconnect.
    let closed = wait_for(CONVERGE, || {
        let status = nmr.json(&["status", "--format", "json"]);
        status["peers"]
            .as_array()?
            .iter()
            .all(|p| p["connected"] == false)
            .then_some(())
    });
    assert!(
        closed.is_some(),
        "the removed node stayed connected\n{}",
        nmr.logs()
    );
    nmr.ok(&[
        "session",
        "start",
        "--instrument",
        "XRD",
        "--group",
        "LMCP",
        "--kind",
        "after removal",
    ]);
    std::thread::sleep(Duration::from_secs(6));
    assert!(
        office.session_ids().is_empty(),
        "a write of the removed node reached the office"
    );
    assert!(
        xrd.session_ids().is_empty(),
        "a write of the removed node reached xrd"
    );
}

/// A member whose clock is ten minutes ahead connects: the node it reaches warns in its
/// log, and `status` shows the difference with a warning in both languages.
#[test]
fn skewed_clock_is_reported() {
    use progmanager_node::node::{DataDir, Node};
    use progmanager_sync::tls::AllowList;
    use progmanager_sync::{Frame, Identity, NodeId, Pin, Transport};

    const AHEAD_MS: i64 = 10 * 60 * 1000;

    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    office.init_facility();
    office.start();
    let lab = TestNode::new(root.path(), "lab");
    lab.join(&office);

    // The lab's own identity and facility, used by a client that sends a Hello from a
    // clock ten minutes ahead instead of running the lab's node.
    let identity = Identity::load(&lab.dir).expect("the lab's identity");
    let facility = Node::open(DataDir {
        root: lab.dir.clone(),
    })
    .and_then(|node| node.settings())
    .expect("the lab's settings")
    .facility_id;
    let office_id: NodeId = office.node_id().parse().expect("a node id");
    let office_address = office.address().parse().expect("a socket address");

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let link = runtime.block_on(async {
        let policy = std::sync::Arc::new(AllowList::new([office_id]));
        let transport = Transport::bind("127.0.0.1:0".parse().expect("address"), &identity, policy)
            .expect("bind");
        let mut link = tokio::time::timeout(
            Duration::from_secs(20),
            transport.connect(office_address, Pin::Exactly(office_id)),
        )
        .await
        .expect("connects in time")
        .expect("the office accepts a member");
        let hello = Frame::Hello {
            facility,
            node_name: "lab".to_string(),
            clock_ms: chrono::Utc::now().timestamp_millis() + AHEAD_MS,
            listen: None,
        };
        link.sender.send(&hello).await.expect("send Hello");
        (transport, link)
    });

    let peer = wait_for(Duration::from_secs(20), || {
        let status = office.json(&["status", "--format", "json"]);
        status["peers"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == "lab" && p["clock_warning"] == true)
            .cloned()
    })
    .unwrap_or_else(|| panic!("no clock warning in status\n{}", office.logs()));
    let skew = peer["clock_skew_ms"].as_i64().expect("a clock difference");
    assert!(
        (skew - AHEAD_MS).abs() < 5_000,
        "clock difference {skew} ms"
    );
    assert!(
        office.logs().contains("the peer's clock differs"),
        "{}",
        office.logs()
    );

    let table = office.ok(&["status"]);
    assert!(
        table.contains("Warning: the clock of lab differs from this node's by +600"),
        "{table}"
    );
    let french = office
        .command()
        .env("PROGMANAGER_LANG", "fr")
        .arg("status")
        .output()
        .expect("status runs");
    let french = String::from_utf8_lossy(&french.stdout);
    assert!(french.contains("l'horloge de lab diffère"), "{french}");
    drop(link);
}
