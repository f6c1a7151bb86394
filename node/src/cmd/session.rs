//! `session start|stop` and `import passages`.

use crate::auth;
use crate::cli::{ImportCommand, SessionCommand};
use crate::error::AppError;
use crate::import::import_passages;
use crate::node::Node;
use crate::ops::{self, SessionEdit, StartSession};
use crate::tr;

pub fn session(
    node: &mut Node,
    user: Option<&str>,
    command: &SessionCommand,
) -> Result<(), AppError> {
    let user = auth::login(node, user)?;
    let tz = node.timezone()?;
    match command {
        SessionCommand::Start {
            instrument,
            group,
            kind,
            samples,
            program,
        } => {
            let request = StartSession {
                instrument,
                group,
                kind,
                samples: *samples,
                program: program.as_deref(),
            };
            if let Some(name) = program {
                check_program(node, instrument, name)?;
            }
            let session = ops::start_session(node, &user, request)?;
            node.notify_running_node();
            if let Some(name) = program {
                wait_for_launch(node, &session.id.to_string(), name)?;
            }
            println!(
                "{}",
                tr!(
                    "session-started",
                    instrument = session.instrument.clone(),
                    group = session.group.clone(),
                    start = session
                        .start
                        .with_timezone(&tz)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string(),
                    id = session.id.to_string()
                )
            );
        }
        SessionCommand::Edit(args) => {
            let edit = SessionEdit {
                group: args.group.clone(),
                kind: args.kind.clone(),
                samples: args.samples,
                observations: args.observations.clone(),
                start: args
                    .start
                    .as_deref()
                    .map(|v| parse_local("start", v, tz))
                    .transpose()?,
                end: args
                    .end
                    .as_deref()
                    .map(|v| parse_local("end", v, tz))
                    .transpose()?,
                billable: args.billable,
                review: None,
            };
            let session = ops::edit_session(node, &user, &args.id, &edit)?;
            node.notify_running_node();
            println!(
                "{}",
                tr!(
                    "session-edited",
                    id = session.id.to_string(),
                    fields = edit.fields().join(", ")
                )
            );
        }
        SessionCommand::Stop {
            instrument,
            observations,
        } => {
            let session = ops::stop_session(node, &user, instrument, observations)?;
            node.notify_running_node();
            let end = session.end.unwrap_or(session.start);
            let minutes = (end - session.start).num_minutes();
            println!(
                "{}",
                tr!(
                    "session-stopped",
                    instrument = session.instrument.clone(),
                    end = end
                        .with_timezone(&tz)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string(),
                    duration = format!("{}:{:02}", minutes / 60, minutes % 60)
                )
            );
        }
    }
    Ok(())
}

pub fn import(
    node: &mut Node,
    user: Option<&str>,
    command: &ImportCommand,
) -> Result<(), AppError> {
    match command {
        ImportCommand::Passages {
            file,
            instrument,
            create_groups,
        } => {
            let category = create_groups
                .as_deref()
                .map(ops::parse_category)
                .transpose()?;
            let user = auth::login(node, user)?;
            let report = import_passages(node, &user, file, instrument, category)?;
            node.notify_running_node();

            let file_name = file.display().to_string();
            for line in &report.duplicates {
                eprintln!(
                    "{}",
                    tr!(
                        "import-warning-duplicate",
                        file = file_name.clone(),
                        line = *line
                    )
                );
            }
            for line in &report.across_midnight {
                eprintln!(
                    "{}",
                    tr!(
                        "import-warning-midnight",
                        file = file_name.clone(),
                        line = *line
                    )
                );
            }
            for (line, other) in &report.overlaps {
                let message = match other {
                    Some(other) => tr!(
                        "import-warning-overlap",
                        file = file_name.clone(),
                        line = *line,
                        other = *other
                    ),
                    None => tr!(
                        "import-warning-overlap-existing",
                        file = file_name.clone(),
                        line = *line
                    ),
                };
                eprintln!("{message}");
            }
            if !report.created_groups.is_empty() {
                println!(
                    "{}",
                    tr!(
                        "import-groups-created",
                        groups = report.created_groups.join(", ")
                    )
                );
            }
            println!(
                "{}",
                tr!(
                    "import-done",
                    count = report.imported,
                    instrument = instrument.as_str(),
                    skipped = report.duplicates.len()
                )
            );
        }
    }
    Ok(())
}

/// Parses `YYYY-MM-DD HH:MM` in the facility's time zone.
pub fn parse_local(
    field: &'static str,
    value: &str,
    tz: chrono_tz::Tz,
) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%d %H:%M")
        .map_err(|_| AppError::invalid(field, value))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| AppError::invalid(field, value))
}

/// A session with a program needs the running node of this data directory, which launches
/// and watches the program, and a program that allows one instance must not run yet.
fn check_program(node: &Node, instrument: &str, name: &str) -> Result<(), AppError> {
    let program = crate::counter::program(node, instrument, name)?;
    if crate::net::run::running_pid(&node.dir).is_none() {
        return Err(AppError::ProgramNeedsNode);
    }
    if !program.multiple_instances
        && program.mode == progmanager_model::ProgramMode::Light
        && crate::counter::program_running(node, name)?
    {
        return Err(AppError::ProgramAlreadyRunning {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Waits until the running node has launched the session's program, or reports why not.
fn wait_for_launch(node: &Node, session: &str, name: &str) -> Result<(), AppError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        let row: Option<(Option<i64>, Option<String>)> = node
            .store
            .connection()
            .query_row(
                "SELECT pid, error FROM program_runs WHERE session_id = ?1",
                [session],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .ok();
        match row {
            Some((_, Some(reason))) => {
                return Err(AppError::ProgramNotLaunched {
                    name: name.to_string(),
                    reason,
                });
            }
            Some((pid, None)) => {
                println!(
                    "{}",
                    tr!("program-launched", name = name, pid = pid.unwrap_or(0))
                );
                return Ok(());
            }
            None => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    Err(AppError::ProgramNotLaunched {
        name: name.to_string(),
        reason: tr!("program-launch-timeout"),
    })
}
