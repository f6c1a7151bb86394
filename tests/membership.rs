//! Membership: invitations work once, and nodes outside the facility are rejected.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{TestNode, wait_for};
use progmanager_sync::{AllowList, Frame, Identity, Pin, Transport};

#[test]
fn invitation_works_only_once() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    office.init_facility();
    office.start();

    let invitation = office.ok(&["invite"]);
    let invitation = invitation
        .lines()
        .last()
        .expect("invitation line")
        .to_string();
    let first = TestNode::new(root.path(), "first");
    first.ok(&["init", "--name", "first", "--join", &invitation]);

    let second = TestNode::new(root.path(), "second");
    let error = second.fails(&["init", "--name", "second", "--join", &invitation]);
    assert!(error.contains("rejected the invitation"), "{error}");
    // The failed join leaves nothing behind, so it can be retried with a new invitation.
    assert!(!second.dir.join("store.sqlite").exists());
    second.join(&office);

    let members = office.json(&["member", "list", "--format", "json"]);
    assert_eq!(members.as_array().map(Vec::len), Some(3));
}

#[test]
fn malformed_invitation_is_rejected() {
    let root = tempfile::tempdir().expect("temp dir");
    let node = TestNode::new(root.path(), "lost");
    let error = node.fails(&["init", "--name", "lost", "--join", "pm1-not-base64!"]);
    assert!(error.contains("invalid invitation"), "{error}");
}

/// A node of another facility, and a bare QUIC client with an unknown certificate, are
/// both rejected by a running member node.
#[test]
fn non_member_is_rejected() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    office.init_facility();
    office.start();
    office.ok(&["instrument", "add", "XRD"]);

    // Another facility's node dials the office as a static peer.
    let stranger = TestNode::new(root.path(), "stranger");
    stranger.init_facility();
    stranger.ok(&["instrument", "add", "INTRUDER"]);
    let mut command = stranger.command();
    let log = std::fs::File::create(stranger.dir.join("run-stranger.log")).expect("log file");
    let mut child = command
        .args([
            "run",
            "--listen",
            "127.0.0.1:0",
            "--peer",
            &office.address(),
        ])
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("stranger starts");
    let failed = wait_for(Duration::from_secs(20), || {
        stranger
            .logs()
            .contains("link failed")
            .then_some(())
            .or_else(|| {
                stranger
                    .logs()
                    .contains("dialing a peer failed")
                    .then_some(())
            })
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        failed.is_some(),
        "the stranger was not rejected:\n{}",
        stranger.logs()
    );
    let instruments = office.json(&["instrument", "list", "--format", "json"]);
    assert_eq!(
        instruments.as_array().map(Vec::len),
        Some(1),
        "{instruments}"
    );

    // A raw client whose certificate the office does not know fails its first exchange.
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let address: std::net::SocketAddr = office.address().parse().expect("socket address");
    let outcome = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), async {
            let identity = Identity::generate("intruder").expect("identity");
            let transport = Transport::bind(
                "127.0.0.1:0".parse().expect("address"),
                &identity,
                Arc::new(AllowList::default()),
            )
            .expect("bind");
            let office_id = office_node_id(&office);
            let mut link = match transport.connect(address, Pin::Exactly(office_id)).await {
                Ok(link) => link,
                Err(_) => return true,
            };
            let hello = Frame::Join {
                secret: "guess".into(),
                node_name: "intruder".into(),
                listen: None,
            };
            if link.sender.send(&hello).await.is_err() {
                return true;
            }
            matches!(
                link.receiver.recv().await,
                Err(_) | Ok(None) | Ok(Some(Frame::JoinRejected { .. }))
            )
        })
        .await
    });
    assert_eq!(outcome.ok(), Some(true), "the intruder was not rejected");
}

fn office_node_id(office: &TestNode) -> progmanager_sync::NodeId {
    let members = office.json(&["member", "list", "--format", "json"]);
    let id = members[0]["id"].as_str().expect("member id");
    id.parse().expect("node id")
}
