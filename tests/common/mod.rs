//! Test harness: real `progmanager` processes on temporary data directories, syncing over
//! QUIC on 127.0.0.1.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const PASSWORD: &str = "test-password";
pub const ADMIN: &str = "admin";
/// The real logbook page transcribed from a facility's paper notebook.
pub const LOGBOOK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/passages-rmn-2010-06.tsv"
);

/// One node: a data directory and, while it runs, its `run` process.
pub struct TestNode {
    pub name: String,
    pub dir: PathBuf,
    /// Sync port, fixed after the first start so peers find the node again after a restart.
    pub port: Option<u16>,
    /// Address of the web interface while the node runs, from `run.json`.
    pub http: Option<String>,
    /// Network namespace the node's processes run in (`ip netns exec`), if any.
    pub netns: Option<String>,
    child: Option<Child>,
}

impl TestNode {
    pub fn new(root: &Path, name: &str) -> TestNode {
        TestNode {
            name: name.to_string(),
            dir: root.join(name),
            port: None,
            http: None,
            netns: None,
            child: None,
        }
    }

    /// A `progmanager` command on this node's data directory, logged in as the admin.
    pub fn command(&self) -> Command {
        let mut command = match &self.netns {
            Some(netns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", netns, env!("CARGO_BIN_EXE_progmanager")]);
                command
            }
            None => Command::new(env!("CARGO_BIN_EXE_progmanager")),
        };
        command
            .arg("--data-dir")
            .arg(&self.dir)
            .env("PROGMANAGER_LANG", "en")
            .env("PROGMANAGER_USER", ADMIN)
            .env("PROGMANAGER_PASSWORD", PASSWORD)
            .env("PROGMANAGER_NEW_PASSWORD", PASSWORD)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        command
    }

    /// Runs a command and returns its output, whatever its status.
    pub fn output(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .output()
            .expect("the progmanager binary runs")
    }

    /// Runs a command that must succeed and returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.output(args);
        assert!(
            output.status.success(),
            "{}: `{}` failed: {}\n{}",
            self.name,
            args.join(" "),
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a command that must fail and returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.output(args);
        assert!(
            !output.status.success(),
            "{}: `{}` should have failed",
            self.name,
            args.join(" ")
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{}: invalid JSON ({e}): {out}", self.name))
    }

    /// Creates a new facility with this node as its first member.
    pub fn init_facility(&self) {
        self.ok(&[
            "init",
            "--name",
            &self.name,
            "--admin",
            ADMIN,
            "--listen",
            "127.0.0.1:0",
        ]);
    }

    /// Joins the facility of `inviter`, which must be running.
    pub fn join(&self, inviter: &TestNode) {
        let invitation = inviter.ok(&["invite"]);
        let invitation = invitation
            .lines()
            .last()
            .expect("an invitation line")
            .to_string();
        self.ok(&[
            "init",
            "--name",
            &self.name,
            "--join",
            &invitation,
            "--listen",
            "127.0.0.1:0",
        ]);
    }

    /// Starts `run` and waits until it has written its run state.
    pub fn start(&mut self) {
        self.start_with(&[]);
    }

    /// Starts `run` with extra arguments and waits until it has written its run state.
    pub fn start_with(&mut self, extra: &[&str]) {
        let listen = format!("127.0.0.1:{}", self.port.unwrap_or(0));
        let mut args = vec!["--no-mdns", "--listen", &listen, "--http", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        self.start_raw(&args);
    }

    /// Starts `run` with exactly `args` and waits until it has written its run state.
    pub fn start_raw(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "{} already runs", self.name);
        let _ = std::fs::remove_file(self.dir.join("run.json"));
        let log = std::fs::File::create(self.dir.join(format!("run-{}.log", now_ms())))
            .expect("log file in the data directory");
        let child = self
            .command()
            .arg("run")
            .args(args)
            .env("RUST_LOG", "progmanager_node=debug,info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the progmanager binary starts");
        self.child = Some(child);

        let state = wait_for(Duration::from_secs(20), || {
            let text = std::fs::read_to_string(self.dir.join("run.json")).ok()?;
            serde_json::from_str::<Value>(&text).ok()
        })
        .unwrap_or_else(|| panic!("{} did not start", self.name));
        let listen = state["listen"]
            .as_str()
            .expect("listen address in run.json");
        let port = listen.rsplit(':').next().and_then(|p| p.parse().ok());
        self.port = port;
        self.http = state["http"].as_str().map(str::to_string);
    }

    /// Stops the node with SIGTERM and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the node with SIGKILL, as a power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port.expect("the node has run"))
    }

    /// The node ID of this node, from `member list`.
    pub fn node_id(&self) -> String {
        let members = self.json(&["member", "list", "--format", "json"]);
        members
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["this_node"] == true)
            .and_then(|m| m["id"].as_str())
            .expect("this node is a member")
            .to_string()
    }

    /// IDs of every session the node holds, sorted.
    pub fn session_ids(&self) -> Vec<String> {
        let sessions = self.json(&["sessions", "--format", "json"]);
        let mut ids: Vec<String> = sessions
            .as_array()
            .expect("an array of sessions")
            .iter()
            .map(|s| s["id"].as_str().expect("session id").to_string())
            .collect();
        ids.sort();
        ids
    }

    /// The run logs of this node, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("run-"))
                {
                    out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        out
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.kill();
    }
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Polls `probe` every 100 ms until it returns `Some`, or `None` after `timeout`.
pub fn wait_for<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until both nodes hold the same sessions, and returns them; panics with both
/// nodes' logs after `timeout`.
pub fn wait_converged(a: &TestNode, b: &TestNode, timeout: Duration) -> Vec<String> {
    let result = wait_for(timeout, || {
        let ids_a = a.session_ids();
        (ids_a == b.session_ids()).then_some(ids_a)
    });
    result.unwrap_or_else(|| {
        panic!(
            "{} and {} did not converge within {timeout:?}\n--- {} ---\n{}\n--- {} ---\n{}",
            a.name,
            b.name,
            a.name,
            a.logs(),
            b.name,
            b.logs()
        )
    })
}

/// Sets up the instrument, groups and tariffs of the real NMR logbook on `node`.
pub fn set_up_nmr(node: &TestNode) {
    node.ok(&["instrument", "add", "RMN400", "--name", "RMN 400 MHz"]);
    node.ok(&["group", "add", "LMCP", "--category", "public-cnrs"]);
    node.ok(&["group", "add", "AREVA", "--category", "industrial"]);
    node.ok(&["group", "add", "Idenix", "--category", "industrial"]);
    node.ok(&[
        "tariff",
        "set",
        "--instrument",
        "RMN400",
        "--category",
        "internal",
        "--covered",
    ]);
    node.ok(&[
        "tariff",
        "set",
        "--instrument",
        "RMN400",
        "--category",
        "public-cnrs",
        "--hourly",
        "30.00",
    ]);
    node.ok(&[
        "tariff",
        "set",
        "--instrument",
        "RMN400",
        "--category",
        "industrial",
        "--hourly",
        "120.00",
    ]);
}
