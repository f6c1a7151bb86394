//! A node's data directory and the context every command works in.
//!
//! Layout of a data directory:
//!
//! - `store.sqlite`: the documents and node-local tables ([`crate::store`]);
//! - `node.crt`, `node.key`: the node's certificate and private key (mode 0600);
//! - `config.toml`: listen address and static peers ([`Config`]);
//! - `node.lock`: locked by the running node, so only one runs per directory;
//! - `run.json`: written by the running node: its process ID, sync address and the local
//!   port on which commands notify it of their writes.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

use automerge::Automerge;
use chrono_tz::Tz;
use progmanager_model::schema::{self, FACILITY_DOC, Settings};
use progmanager_sync::identity::{Identity, NodeId};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::store::{Author, Store};

/// Default UDP port for sync.
pub const DEFAULT_PORT: u16 = 4820;

/// A node's data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    /// The directory given on the command line, else the platform's data directory.
    pub fn resolve(given: Option<&Path>) -> DataDir {
        let root = match given {
            Some(dir) => dir.to_path_buf(),
            None => dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("progmanager"),
        };
        DataDir { root }
    }

    pub fn store_path(&self) -> PathBuf {
        self.root.join("store.sqlite")
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root.join("node.lock")
    }

    pub fn run_state_path(&self) -> PathBuf {
        self.root.join("run.json")
    }

    pub fn is_initialized(&self) -> bool {
        self.store_path().exists() && Identity::exists(&self.root)
    }

    /// Creates the directory, readable only by its owner on Unix.
    pub fn create(&self) -> Result<(), AppError> {
        std::fs::create_dir_all(&self.root).map_err(|e| AppError::io(&self.root, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::Permissions::from_mode(0o700);
            std::fs::set_permissions(&self.root, mode).map_err(|e| AppError::io(&self.root, e))?;
        }
        Ok(())
    }
}

/// The node's configuration file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on for sync, e.g. `0.0.0.0:4820`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Addresses of peers to dial besides those the facility document lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
    /// Whether to announce this node and find peers by mDNS on the local network. Off by
    /// default: multicast leaves the machine on every interface, and many institute
    /// networks block it anyway; invitations and published addresses suffice.
    #[serde(default)]
    pub mdns: bool,
    /// Whether to dial the addresses other members published in the facility document and
    /// announced when they connected. Off, the node dials only its static peers.
    #[serde(default = "default_true")]
    pub learn_addresses: bool,
    /// Largest clock difference with a peer, in seconds, before the node warns: session
    /// times come from the clock of the node that records them.
    #[serde(default = "default_clock_tolerance")]
    pub clock_tolerance_secs: u64,
    /// Seconds between heartbeats of open sessions: after a crash, a session is closed at
    /// its last heartbeat, so this is the most usage a crash can lose.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_secs: u64,
    /// Folder the running node copies its store to (a USB disk, a network share).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_dir: Option<PathBuf>,
    /// Minutes between automatic backups.
    #[serde(default = "default_backup_minutes")]
    pub backup_every_minutes: u64,
    /// Number of new change rows after which the node backs up before the next period.
    #[serde(default = "default_backup_changes")]
    pub backup_after_changes: u64,
    /// Number of backups kept in the folder.
    #[serde(default = "default_backup_keep")]
    pub backup_keep: usize,
}

fn default_heartbeat() -> u64 {
    10
}

fn default_backup_minutes() -> u64 {
    60
}

fn default_backup_changes() -> u64 {
    200
}

fn default_backup_keep() -> usize {
    14
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: None,
            peers: Vec::new(),
            mdns: false,
            learn_addresses: true,
            clock_tolerance_secs: default_clock_tolerance(),
            heartbeat_secs: default_heartbeat(),
            backup_dir: None,
            backup_every_minutes: default_backup_minutes(),
            backup_after_changes: default_backup_changes(),
            backup_keep: default_backup_keep(),
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_clock_tolerance() -> u64 {
    120
}

impl Config {
    /// Returns the clock tolerance in milliseconds, the unit peers' clocks are compared in.
    pub fn clock_tolerance_ms(&self) -> i64 {
        i64::try_from(self.clock_tolerance_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    pub fn load(dir: &DataDir) -> Result<Config, AppError> {
        let path = dir.config_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| AppError::io(&path, e)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(err) => Err(AppError::io(&path, err)),
        }
    }

    pub fn save(&self, dir: &DataDir) -> Result<(), AppError> {
        let path = dir.config_path();
        let text = toml::to_string(self).map_err(|e| AppError::io(&path, e))?;
        std::fs::write(&path, text).map_err(|e| AppError::io(&path, e))
    }
}

/// Run state the running node publishes for commands run meanwhile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunState {
    pub pid: u32,
    /// Address the node listens on for sync.
    pub listen: String,
    /// Loopback UDP port where a datagram makes the node load new writes at once.
    pub notify_port: u16,
    /// Bound address of the local web interface, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
}

impl RunState {
    pub fn load(dir: &DataDir) -> Option<RunState> {
        let text = std::fs::read_to_string(dir.run_state_path()).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// An opened node: its store, identity and directory.
pub struct Node {
    pub dir: DataDir,
    pub store: Store,
    pub identity: Identity,
    pub node_id: NodeId,
}

impl Node {
    /// Opens the node in `dir`, which must have been initialized.
    pub fn open(dir: DataDir) -> Result<Node, AppError> {
        if !dir.is_initialized() {
            return Err(AppError::NotInitialized { dir: dir.root });
        }
        let identity = Identity::load(&dir.root)?;
        let store = Store::open(&dir.store_path())?;
        let node_id = identity.node_id();
        Ok(Node {
            dir,
            store,
            identity,
            node_id,
        })
    }

    pub fn facility_doc(&self) -> Result<&Automerge, AppError> {
        self.store
            .doc(FACILITY_DOC)
            .ok_or_else(|| AppError::NotInitialized {
                dir: self.dir.root.clone(),
            })
    }

    pub fn settings(&self) -> Result<Settings, AppError> {
        schema::read_settings(self.facility_doc()?)?.ok_or_else(|| AppError::NotInitialized {
            dir: self.dir.root.clone(),
        })
    }

    /// The facility's time zone.
    pub fn timezone(&self) -> Result<Tz, AppError> {
        let settings = self.settings()?;
        settings
            .timezone
            .parse()
            .map_err(|_| AppError::invalid("timezone", settings.timezone))
    }

    /// This node's name as stored locally at `init`.
    pub fn name(&self) -> Result<String, AppError> {
        Ok(self.store.local("node_name")?.unwrap_or_default())
    }

    pub fn author(&self, user: &str) -> Author {
        Author {
            user: user.to_string(),
            node: self.node_id.to_string(),
        }
    }

    /// Tells the running node of this data directory, if any, that the store changed, so
    /// it sends the change to its peers at once instead of at its next periodic check.
    pub fn notify_running_node(&self) {
        let Some(state) = RunState::load(&self.dir) else {
            return;
        };
        let target = SocketAddr::from(([127, 0, 0, 1], state.notify_port));
        if let Ok(socket) = UdpSocket::bind(("127.0.0.1", 0)) {
            // A lost datagram only delays the change until the node's periodic check.
            let _ignored = socket.send_to(b"changed", target);
        }
    }
}
