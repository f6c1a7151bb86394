//! `init`, `invite` and `run`: creating or joining a facility and running the node.

use std::net::SocketAddr;

use progmanager_model::Level;
use progmanager_model::password::hash_password;
use progmanager_model::permissions::Action;
use progmanager_model::schema::Settings;
use progmanager_sync::Identity;
use rand::Rng;

use crate::auth::{self, NEW_PASSWORD_VAR, PASSWORD_VAR};
use crate::cli::{InitArgs, InviteArgs, RunArgs};
use crate::error::AppError;
use crate::net::join::{self, Invitation};
use crate::net::run::{
    InstanceLock, RunInfo, RunOptions, advertised_address, run, wait_for_signal,
};
use crate::node::{Config, DEFAULT_PORT, DataDir, Node, RunState};
use crate::ops::{self, NewFacility};
use crate::store::Store;
use crate::tr;
use tokio_util::sync::CancellationToken;

/// Login of the administrator created by a first `run` on an empty data directory.
pub const DEFAULT_ADMIN: &str = "admin";

pub fn init(dir: &DataDir, args: &InitArgs) -> Result<(), AppError> {
    if dir.is_initialized() {
        return Err(AppError::AlreadyInitialized {
            dir: dir.root.clone(),
        });
    }
    if let Some(listen) = &args.listen {
        parse_listen(listen)?;
    }
    match (&args.join, &args.admin) {
        (Some(invitation), _) => init_join(dir, args, invitation),
        (None, Some(admin)) => {
            let password = auth::read_password(
                PASSWORD_VAR,
                &tr!("prompt-new-password", login = admin.as_str()),
                true,
            )?;
            let facility = args.facility.clone().unwrap_or_else(|| args.name.clone());
            create(
                dir,
                &args.name,
                &facility,
                &args.timezone,
                admin,
                &password,
                args.listen.as_deref(),
            )?;
            println!(
                "{}",
                tr!(
                    "init-created",
                    facility = facility,
                    dir = dir.root.display().to_string(),
                    admin = admin.as_str()
                )
            );
            Ok(())
        }
        (None, None) => Err(AppError::invalid("admin", "")),
    }
}

/// Creates a new facility in `dir` with this node as its first member.
pub fn create(
    dir: &DataDir,
    node_name: &str,
    facility: &str,
    timezone: &str,
    admin: &str,
    password: &str,
    listen: Option<&str>,
) -> Result<(), AppError> {
    timezone
        .parse::<chrono_tz::Tz>()
        .map_err(|_| AppError::invalid("timezone", timezone))?;
    ops::validate_code("login", admin)?;
    let hash = hash_password(password).map_err(|_| AppError::invalid("password", ""))?;

    let mut node = prepare_node(dir, node_name, listen)?;
    let settings = Settings {
        facility_id: uuid::Uuid::now_v7().to_string(),
        name: facility.to_string(),
        timezone: timezone.to_string(),
    };
    node.store.set_local("facility_id", &settings.facility_id)?;
    let admin = ops::new_user(admin, None, Level::ADMIN, "", hash);
    let listen = listen.unwrap_or_default();
    let advertised = match listen.parse::<SocketAddr>() {
        Ok(addr) => advertised_address(addr).to_string(),
        Err(_) => listen.to_string(),
    };
    ops::create_facility(
        &mut node,
        NewFacility {
            settings,
            node_name,
            listen: &advertised,
            admin,
        },
    )
}

/// Creates the directory, identity, store and configuration of a new node.
fn prepare_node(dir: &DataDir, node_name: &str, listen: Option<&str>) -> Result<Node, AppError> {
    dir.create()?;
    let identity = Identity::generate(node_name)?;
    identity.save(&dir.root)?;
    let store = Store::open(&dir.store_path())?;
    store.set_local("node_name", node_name)?;
    drop(store);
    restrict_file(&dir.store_path())?;
    if let Some(listen) = listen {
        let config = Config {
            listen: Some(listen.to_string()),
            ..Config::default()
        };
        config.save(dir)?;
    }
    Node::open(dir.clone())
}

#[cfg(unix)]
fn restrict_file(path: &std::path::Path) -> Result<(), AppError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| AppError::io(path, e))
}

#[cfg(not(unix))]
fn restrict_file(_path: &std::path::Path) -> Result<(), AppError> {
    Ok(())
}

fn init_join(dir: &DataDir, args: &InitArgs, text: &str) -> Result<(), AppError> {
    let invitation = Invitation::decode(text)?;
    let runtime = crate::cmd::setup::runtime()?;
    runtime.block_on(join_facility(
        dir,
        &args.name,
        &invitation,
        args.listen.as_deref(),
    ))?;
    println!(
        "{}",
        tr!("init-joined", dir = dir.root.display().to_string())
    );
    Ok(())
}

/// Creates a node in `dir` that joins the facility of `invitation`, syncing every document
/// from the inviting node before it returns. On failure nothing is left behind, so the
/// same command can be run again.
pub async fn join_facility(
    dir: &DataDir,
    name: &str,
    invitation: &Invitation,
    listen: Option<&str>,
) -> Result<(), AppError> {
    let result = async {
        let target = crate::net::dial::resolve(&invitation.address)
            .await
            .map_err(|detail| AppError::JoinFailed { detail })?;
        let node = prepare_node(dir, name, listen)?;
        let advertised = match listen.map(parse_listen).transpose()? {
            Some(addr) => advertised_address(addr).to_string(),
            None => advertised_address(SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT))).to_string(),
        };
        join::join(node, invitation, target, name, Some(advertised)).await
    }
    .await;
    if result.is_err() {
        for path in [
            dir.store_path(),
            dir.root.join("node.crt"),
            dir.root.join("node.key"),
            dir.config_path(),
        ] {
            let _ = std::fs::remove_file(path);
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.root.join(format!("store.sqlite{suffix}")));
        }
    }
    result
}

pub fn invite(dir: &DataDir, user: Option<&str>, args: &InviteArgs) -> Result<(), AppError> {
    let mut node = Node::open(dir.clone())?;
    let admin = auth::login(&node, user)?;
    ops::require(&admin, Action::ManageMembers)?;
    let address = match &args.address {
        Some(address) => address.clone(),
        None => RunState::load(dir)
            .map(|s| s.listen)
            .ok_or(AppError::NodeNotRunning)?,
    };
    let invitation = join::create_invitation(&mut node, &address, args.valid_hours)?;
    node.notify_running_node();
    eprintln!(
        "{}",
        tr!(
            "invite-created",
            hours = args.valid_hours,
            address = address
        )
    );
    println!("{}", invitation.encode());
    Ok(())
}

fn parse_listen(value: &str) -> Result<SocketAddr, AppError> {
    value
        .parse()
        .map_err(|_| AppError::invalid("listen", value))
}

pub fn run_node(dir: &DataDir, args: &RunArgs) -> Result<(), AppError> {
    if !dir.is_initialized() {
        first_run(dir)?;
    }
    let _lock = InstanceLock::acquire(dir)?;
    let node = Node::open(dir.clone())?;
    let config = Config::load(dir)?;
    let listen = args
        .listen
        .clone()
        .or(config.listen.clone())
        .unwrap_or_else(|| format!("0.0.0.0:{DEFAULT_PORT}"));
    let mut static_peers = config.peers.clone();
    static_peers.extend(args.peers.iter().cloned());
    let options = RunOptions {
        listen: parse_listen(&listen)?,
        static_peers,
        mdns: (config.mdns || args.mdns) && !args.no_mdns,
        learn_addresses: config.learn_addresses && !args.no_address_learning,
        clock_tolerance_ms: config.clock_tolerance_ms(),
        heartbeat: std::time::Duration::from_secs(config.heartbeat_secs.max(1)),
        http: parse_http(&args.http)?,
    };

    let runtime = crate::cmd::setup::runtime()?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let on_signal = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            on_signal.cancel();
        });
        run(node, options, shutdown, |info: &RunInfo| {
            println!(
                "{}",
                tr!(
                    "run-started",
                    node = info.node_id.clone(),
                    listen = info.listen.to_string(),
                    address = info.advertised.clone(),
                    dir = dir.root.display().to_string()
                )
            );
            if let Some(http) = info.http {
                println!(
                    "{}",
                    tr!("run-web-started", url = format!("http://{http}/"))
                );
            }
        })
        .await
    })
}

/// Parses the web interface address of `run --http`: an address, or `off` for none.
fn parse_http(value: &str) -> Result<Option<SocketAddr>, AppError> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| AppError::invalid("http", value))
}

/// Creates a facility with defaults on a data directory that never held a node.
fn first_run(dir: &DataDir) -> Result<(), AppError> {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let node_name = if host.is_empty() {
        "progmanager".to_string()
    } else {
        host
    };
    let (password, generated) = match std::env::var(PASSWORD_VAR) {
        Ok(password) if !password.is_empty() => (password, false),
        _ => (random_password(), true),
    };
    let facility = tr!("default-facility-name");
    create(
        dir,
        &node_name,
        &facility,
        "Europe/Paris",
        DEFAULT_ADMIN,
        &password,
        None,
    )?;
    println!(
        "{}",
        tr!(
            "first-run-created",
            dir = dir.root.display().to_string(),
            node = node_name
        )
    );
    if generated {
        println!(
            "{}",
            tr!(
                "first-run-admin-generated",
                login = DEFAULT_ADMIN,
                password = password,
                variable = NEW_PASSWORD_VAR
            )
        );
    } else {
        println!(
            "{}",
            tr!(
                "first-run-admin-env",
                login = DEFAULT_ADMIN,
                variable = PASSWORD_VAR
            )
        );
    }
    Ok(())
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
