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
        } => {
            let request = StartSession {
                instrument,
                group,
                kind,
                samples: *samples,
            };
            let session = ops::start_session(node, &user, request)?;
            node.notify_running_node();
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
fn parse_local(
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
