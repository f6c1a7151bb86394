//! `program`, `incident`, `notebook` and `review`: the usage counter's commands.

use progmanager_model::permissions::Action;
use progmanager_model::{Program, ProgramMode};

use crate::auth;
use crate::cli::{Format, IncidentCommand, ProgramCommand, ReviewCommand};
use crate::cmd::report::print_rows;
use crate::counter;
use crate::error::AppError;
use crate::node::Node;
use crate::ops;
use crate::tr;

pub fn program(
    node: &mut Node,
    user: Option<&str>,
    command: &ProgramCommand,
) -> Result<(), AppError> {
    match command {
        ProgramCommand::Add {
            name,
            instrument,
            mode,
            command,
            args,
            multiple_instances,
        } => {
            let mode: ProgramMode = mode
                .parse()
                .map_err(|_| AppError::invalid("mode", mode.clone()))?;
            let admin = auth::login(node, user)?;
            let program = Program {
                instrument: instrument.clone(),
                name: name.clone(),
                mode,
                command: command.clone(),
                args: args.clone(),
                multiple_instances: *multiple_instances,
            };
            counter::add_program(node, &admin, program)?;
            node.notify_running_node();
            println!(
                "{}",
                tr!(
                    "program-added",
                    name = name.as_str(),
                    instrument = instrument.as_str(),
                    mode = mode.code()
                )
            );
        }
        ProgramCommand::List { format } => {
            let rows = counter::programs(node)?
                .into_iter()
                .map(|p| {
                    vec![
                        p.instrument,
                        p.name,
                        p.mode.code().to_string(),
                        p.command,
                        p.args.join(" "),
                        p.multiple_instances.to_string(),
                    ]
                })
                .collect();
            print_rows(
                *format,
                &["instrument", "name", "mode", "command", "args", "multiple"],
                rows,
            );
        }
    }
    Ok(())
}

pub fn incident(
    node: &mut Node,
    user: Option<&str>,
    command: &IncidentCommand,
) -> Result<(), AppError> {
    let IncidentCommand::Add {
        instrument,
        text,
        kind,
    } = command;
    let user = auth::login(node, user)?;
    let entry = counter::add_entry(node, &user, instrument, kind, text)?;
    node.notify_running_node();
    println!(
        "{}",
        tr!(
            "entry-added",
            kind = tr!(&format!("entry-kind-{kind}")),
            instrument = entry.instrument
        )
    );
    Ok(())
}

pub fn notebook(
    node: &Node,
    user: Option<&str>,
    instrument: &str,
    format: Format,
) -> Result<(), AppError> {
    auth::login(node, user)?;
    let tz = node.timezone()?;
    let fmt = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let mut rows: Vec<(chrono::DateTime<chrono::Utc>, Vec<String>)> = Vec::new();
    for session in ops::sessions(node)?
        .into_iter()
        .filter(|s| s.instrument == instrument)
    {
        let text = if session.observations.is_empty() {
            session.kind.clone()
        } else {
            format!("{}: {}", session.kind, session.observations)
        };
        rows.push((
            session.start,
            vec![
                fmt(session.start),
                tr!("entry-kind-session"),
                session.operator,
                session.group,
                text,
                session.id.to_string(),
            ],
        ));
    }
    for entry in counter::entries(node, instrument)? {
        rows.push((
            entry.at,
            vec![
                fmt(entry.at),
                tr!(&format!("entry-kind-{}", entry.kind)),
                entry.author,
                String::new(),
                entry.text,
                entry.id.to_string(),
            ],
        ));
    }
    rows.sort_by_key(|(at, _)| *at);
    print_rows(
        format,
        &["time", "kind", "user", "group", "text", "id"],
        rows.into_iter().map(|(_, r)| r).collect(),
    );
    Ok(())
}

pub fn review(
    node: &mut Node,
    user: Option<&str>,
    command: &ReviewCommand,
) -> Result<(), AppError> {
    let admin = auth::login(node, user)?;
    ops::require(&admin, Action::EditSessions)?;
    let tz = node.timezone()?;
    match command {
        ReviewCommand::List { format } => {
            let sessions = counter::review_list(node)?;
            if *format == Format::Json {
                let items: Vec<_> = sessions
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.id.to_string(),
                            "instrument": s.instrument,
                            "operator": s.operator,
                            "group": s.group,
                            "start": ops::local_rfc3339(s.start, tz),
                            "end": s.end.map(|e| ops::local_rfc3339(e, tz)),
                            "reason": s.review,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(items));
                return Ok(());
            }
            let fmt = |at: chrono::DateTime<chrono::Utc>| {
                at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
            };
            let rows = sessions
                .into_iter()
                .map(|s| {
                    let reason = s.review.clone().unwrap_or_default();
                    vec![
                        s.id.to_string(),
                        s.instrument,
                        s.operator,
                        fmt(s.start),
                        s.end.map(fmt).unwrap_or_else(|| tr!("session-running")),
                        tr!(&format!("review-reason-{reason}")),
                    ]
                })
                .collect();
            print_rows(
                *format,
                &["id", "instrument", "operator", "start", "end", "reason"],
                rows,
            );
        }
        ReviewCommand::Resolve { id, end, .. } => {
            let end = end
                .as_deref()
                .map(|v| crate::cmd::session::parse_local("end", v, tz))
                .transpose()?;
            let session = counter::resolve_review(node, &admin, id, end)?;
            node.notify_running_node();
            let end = session
                .end
                .map(|e| e.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            println!(
                "{}",
                tr!("review-resolved", id = session.id.to_string(), end = end)
            );
        }
    }
    Ok(())
}
