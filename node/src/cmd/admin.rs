//! Administration commands: instruments, groups, tariffs, users, members.

use progmanager_model::Level;
use progmanager_model::password::hash_password;
use serde_json::json;

use crate::auth::{self, NEW_PASSWORD_VAR};
use crate::cli::{Format, GroupCommand, InstrumentCommand, MemberCommand, UserCommand};
use crate::cmd::report::print_rows;
use crate::error::AppError;
use crate::net::run::running_pid;
use crate::net::status;
use crate::node::{Config, Node};
use crate::ops;
use crate::tr;

pub fn instrument(
    node: &mut Node,
    user: Option<&str>,
    command: &InstrumentCommand,
) -> Result<(), AppError> {
    match command {
        InstrumentCommand::Add {
            code,
            name,
            max_minutes,
            parallel,
            require_observations,
        } => {
            let admin = auth::login(node, user)?;
            ops::add_instrument(node, &admin, code, name.as_deref())?;
            let rules = ops::InstrumentRules {
                max_minutes: *max_minutes,
                parallel: *parallel,
                require_observations: *require_observations,
            };
            let instrument = ops::set_instrument_rules(node, &admin, code, &rules)?;
            node.notify_running_node();
            println!(
                "{}",
                tr!(
                    "instrument-added",
                    code = instrument.code,
                    name = instrument.name
                )
            );
        }
        InstrumentCommand::List { format } => {
            let rows = ops::instruments(node)?
                .into_iter()
                .map(|i| vec![i.code, i.name])
                .collect();
            print_rows(*format, &["code", "name"], rows);
        }
    }
    Ok(())
}

pub fn group(node: &mut Node, user: Option<&str>, command: &GroupCommand) -> Result<(), AppError> {
    match command {
        GroupCommand::Add {
            code,
            category,
            name,
        } => {
            let category = ops::parse_category(category)?;
            let admin = auth::login(node, user)?;
            let group = ops::add_group(node, &admin, code, category, name.as_deref())?;
            node.notify_running_node();
            println!(
                "{}",
                tr!(
                    "group-added",
                    code = group.code,
                    category = group.category.code()
                )
            );
        }
        GroupCommand::List { format } => {
            let rows = ops::groups(node)?
                .into_iter()
                .map(|g| vec![g.code, g.name, g.category.code().to_string()])
                .collect();
            print_rows(*format, &["code", "name", "category"], rows);
        }
    }
    Ok(())
}

pub fn user(node: &mut Node, user: Option<&str>, command: &UserCommand) -> Result<(), AppError> {
    match command {
        UserCommand::Add {
            login,
            level,
            group,
            name,
        } => {
            let level =
                Level::new(*level).map_err(|_| AppError::invalid("level", level.to_string()))?;
            let admin = auth::login(node, user)?;
            let password = auth::read_password(
                NEW_PASSWORD_VAR,
                &tr!("prompt-new-password", login = login.as_str()),
                true,
            )?;
            let hash = hash_password(&password).map_err(|_| AppError::invalid("password", ""))?;
            let new_user = ops::new_user(login, name.as_deref(), level, group, hash);
            ops::add_user(node, &admin, new_user)?;
            node.notify_running_node();
            println!(
                "{}",
                tr!("user-added", login = login.as_str(), level = level.get())
            );
        }
        UserCommand::Passwd { login } => {
            let actor = auth::login(node, user)?;
            let target = login.clone().unwrap_or_else(|| actor.login.clone());
            let password = auth::read_password(
                NEW_PASSWORD_VAR,
                &tr!("prompt-new-password", login = target.as_str()),
                true,
            )?;
            let hash = hash_password(&password).map_err(|_| AppError::invalid("password", ""))?;
            ops::set_password(node, &actor, &target, hash)?;
            node.notify_running_node();
            println!("{}", tr!("user-password-changed", login = target));
        }
        UserCommand::Disable { login } | UserCommand::Enable { login } => {
            let active = matches!(command, UserCommand::Enable { .. });
            let admin = auth::login(node, user)?;
            ops::set_user_active(node, &admin, login, active)?;
            node.notify_running_node();
            let id = if active {
                "user-enabled"
            } else {
                "user-disabled"
            };
            println!("{}", tr!(id, login = login.as_str()));
        }
        UserCommand::List { format } => {
            let rows = ops::users(node)?
                .into_iter()
                .map(|u| {
                    vec![
                        u.login,
                        u.name,
                        u.level.to_string(),
                        u.group,
                        u.active.to_string(),
                    ]
                })
                .collect();
            print_rows(
                *format,
                &["login", "name", "level", "group", "active"],
                rows,
            );
        }
    }
    Ok(())
}

pub fn member(
    node: &mut Node,
    user: Option<&str>,
    command: &MemberCommand,
) -> Result<(), AppError> {
    match command {
        MemberCommand::List { format } => list_members(node, *format),
        MemberCommand::Remove { node_id } => {
            let admin = auth::login(node, user)?;
            let member = ops::remove_member(node, &admin, node_id.trim())?;
            node.notify_running_node();
            println!(
                "{}",
                tr!("member-removed", name = member.name, id = member.node_id)
            );
            Ok(())
        }
    }
}

fn list_members(node: &Node, format: Format) -> Result<(), AppError> {
    let members = ops::members(node)?;
    let statuses = status::read_all(node.store.connection())
        .map_err(|e| AppError::io(node.store.path(), e))?;
    let tz = node.timezone()?;
    let own_id = node.node_id.to_string();
    let contact = |id: &str| -> Option<i64> {
        if id == own_id {
            return Some(status::now_ms());
        }
        statuses.get(id).and_then(|s| s.last_contact_ms)
    };
    if format == Format::Json {
        let value: Vec<_> = members
            .iter()
            .map(|m| {
                json!({
                    "id": m.node_id,
                    "name": m.name,
                    "address": m.address,
                    "removed": m.removed,
                    "this_node": m.node_id == own_id,
                    "last_contact": contact(&m.node_id).map(|ms| format_ms(ms, tz)),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(value));
        return Ok(());
    }
    let rows = members
        .iter()
        .map(|m| {
            vec![
                m.node_id.clone(),
                m.name.clone(),
                m.address.clone(),
                if m.node_id == own_id {
                    tr!("member-this-node")
                } else {
                    contact(&m.node_id)
                        .map(|ms| format_ms(ms, tz))
                        .unwrap_or_default()
                },
                m.removed.to_string(),
            ]
        })
        .collect();
    print_rows(
        format,
        &["id", "name", "address", "last_contact", "removed"],
        rows,
    );
    Ok(())
}

/// Formats milliseconds since the epoch as RFC 3339 in the facility's time zone.
pub fn format_ms(ms: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|at| ops::local_rfc3339(at, tz))
        .unwrap_or_default()
}

pub fn status(node: &Node, format: Format) -> Result<(), AppError> {
    let tz = node.timezone()?;
    let running = running_pid(&node.dir);
    let statuses = status::read_all(node.store.connection())
        .map_err(|e| AppError::io(node.store.path(), e))?;
    let own_id = node.node_id.to_string();
    let config = Config::load(&node.dir)?;
    let tolerance_ms = config.clock_tolerance_ms();
    let beyond_tolerance = |skew_ms: i64| skew_ms.saturating_abs() > tolerance_ms;
    let peers: Vec<_> = ops::members(node)?
        .into_iter()
        .filter(|m| m.node_id != own_id && !m.removed)
        .map(|m| {
            let status = statuses.get(&m.node_id).cloned().unwrap_or_default();
            // A stopped node's last link states are history, not connections.
            let connected = running.is_some() && status.connected;
            (m, status, connected)
        })
        .collect();

    if format == Format::Json {
        let items: Vec<_> = peers
            .iter()
            .map(|(m, s, connected)| {
                json!({
                    "id": m.node_id,
                    "name": m.name,
                    "address": if s.address.is_empty() { m.address.clone() } else { s.address.clone() },
                    "connected": connected,
                    "last_sync": s.last_sync_ms.map(|ms| format_ms(ms, tz)),
                    "in_sync": *connected && s.in_sync,
                    "clock_skew_ms": s.clock_skew_ms,
                    "clock_warning": s.clock_skew_ms.is_some_and(beyond_tolerance),
                    "documents": s.docs,
                })
            })
            .collect();
        let value = json!({"node": own_id, "running": running.is_some(), "peers": items});
        println!("{value}");
        return Ok(());
    }

    let heading = match &running {
        Some(pid) => tr!("status-running", node = own_id.clone(), pid = pid.clone()),
        None => tr!("status-stopped", node = own_id.clone()),
    };
    println!("{heading}");
    let yes_no = |b: bool| if b { tr!("yes") } else { tr!("no") };
    let rows = peers
        .iter()
        .map(|(m, s, connected)| {
            vec![
                m.name.clone(),
                m.node_id.chars().take(8).collect(),
                if s.address.is_empty() {
                    m.address.clone()
                } else {
                    s.address.clone()
                },
                yes_no(*connected),
                s.last_sync_ms
                    .map(|ms| format_ms(ms, tz))
                    .unwrap_or_default(),
                yes_no(*connected && s.in_sync),
                s.clock_skew_ms
                    .map(|ms| format!("{:+.1}", ms as f64 / 1000.0))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    print_rows(
        format,
        &[
            "name",
            "id",
            "address",
            "connected",
            "last_sync",
            "in_sync",
            "clock_skew",
        ],
        rows,
    );
    for (member, status, _) in &peers {
        if let Some(skew) = status.clock_skew_ms.filter(|ms| beyond_tolerance(*ms)) {
            println!(
                "{}",
                tr!(
                    "status-clock-warning",
                    name = member.name.clone(),
                    seconds = format!("{:+.1}", skew as f64 / 1000.0),
                    tolerance = config.clock_tolerance_secs.to_string()
                )
            );
        }
    }
    Ok(())
}
