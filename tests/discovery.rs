//! mDNS discovery between two network namespaces joined by a veth pair, which this test
//! creates (it needs root and iproute2; without them it prints why and stops). Neither
//! node knows the other's address: they find each other by mDNS only.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{TestNode, wait_converged};

/// Two namespaces and the veth pair between them, removed when dropped.
struct Namespaces {
    names: [String; 2],
}

impl Namespaces {
    /// Creates `pm-<pid>-a` (10.77.0.1/24) and `pm-<pid>-b` (10.77.0.2/24).
    fn create() -> Result<Namespaces, String> {
        let id = std::process::id();
        let names = [format!("pm-{id}-a"), format!("pm-{id}-b")];
        let namespaces = Namespaces {
            names: names.clone(),
        };
        let (veth_a, veth_b) = (format!("pma{id}"), format!("pmb{id}"));
        let steps: Vec<Vec<String>> = vec![
            vec!["netns".into(), "add".into(), names[0].clone()],
            vec!["netns".into(), "add".into(), names[1].clone()],
            vec![
                "link".into(),
                "add".into(),
                veth_a.clone(),
                "type".into(),
                "veth".into(),
                "peer".into(),
                "name".into(),
                veth_b.clone(),
            ],
            vec![
                "link".into(),
                "set".into(),
                veth_a.clone(),
                "netns".into(),
                names[0].clone(),
            ],
            vec![
                "link".into(),
                "set".into(),
                veth_b.clone(),
                "netns".into(),
                names[1].clone(),
            ],
        ];
        for step in steps {
            run_ip(&step)?;
        }
        for (name, veth, address) in [
            (&names[0], &veth_a, "10.77.0.1/24"),
            (&names[1], &veth_b, "10.77.0.2/24"),
        ] {
            for step in [
                vec!["-n", name, "link", "set", "lo", "up"],
                vec!["-n", name, "addr", "add", address, "dev", veth],
                vec!["-n", name, "link", "set", veth, "up", "multicast", "on"],
                vec!["-n", name, "route", "add", "224.0.0.0/4", "dev", veth],
            ] {
                let step: Vec<String> = step.into_iter().map(str::to_string).collect();
                run_ip(&step)?;
            }
        }
        Ok(namespaces)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

fn run_ip(args: &[String]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[test]
fn nodes_in_two_namespaces_find_each_other_by_mdns() {
    let namespaces = match Namespaces::create() {
        Ok(namespaces) => namespaces,
        Err(reason) => {
            println!("skipped: network namespaces cannot be created here ({reason})");
            return;
        }
    };
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    office.netns = Some(namespaces.names[0].clone());
    let mut nmr = TestNode::new(root.path(), "nmr");
    nmr.netns = Some(namespaces.names[1].clone());

    office.init_facility();
    office.ok(&["instrument", "add", "RMN400"]);
    office.ok(&["group", "add", "LMCP", "--category", "public-cnrs"]);
    office.start_raw(&["--no-mdns", "--listen", "10.77.0.1:4820", "--http", "off"]);
    let invitation = office.ok(&["invite"]);
    let invitation = invitation.lines().last().expect("invitation").to_string();
    nmr.ok(&[
        "init",
        "--name",
        "nmr",
        "--join",
        &invitation,
        "--listen",
        "10.77.0.2:4820",
    ]);
    office.stop();

    // No static peer and no published address: only mDNS can bring them together.
    let discovery_only = ["--mdns", "--no-address-learning", "--http", "off"];
    office.start_raw(&[&["--listen", "10.77.0.1:4820"][..], &discovery_only[..]].concat());
    nmr.start_raw(&[&["--listen", "10.77.0.2:4820"][..], &discovery_only[..]].concat());
    nmr.ok(&[
        "session",
        "start",
        "--instrument",
        "RMN400",
        "--group",
        "LMCP",
    ]);
    let ids = wait_converged(&office, &nmr, Duration::from_secs(60));
    assert_eq!(ids.len(), 1);
    assert!(
        office.logs().contains("found a member by mDNS"),
        "{}",
        office.logs()
    );
}
