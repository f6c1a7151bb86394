//! The running node's usage counter: heartbeats of open sessions, control programs, and
//! flags for sessions that need an admin's review.
//!
//! - At start, open sessions recorded by this node that still have a heartbeat row were
//!   open when the node crashed or lost power: each is closed at its last heartbeat and
//!   flagged `closed-at-heartbeat`, its billing held until an admin settles it.
//! - Every tick, each open session recorded by this node gets a heartbeat (a node-local
//!   row, not a document change, so the history does not grow with it).
//! - A session started with a program that has no run yet gets one: a light program is
//!   launched and its exit closes the session at that instant; a heavy program is
//!   launched once and only watched, the user starts and stops the counter.
//! - A session longer than its instrument's maximum is flagged `over-max-length`.
//! - When the node stops, programs it launched are stopped and their sessions closed and
//!   flagged `node-stopped`; sessions without a program stay open, and their heartbeat
//!   rows are removed so the next start does not take the stop for a crash.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use progmanager_model::schema;
use progmanager_model::{Program, ProgramMode, Session};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tracing::{info, warn};
use uuid::Uuid;

use crate::counter::{
    self, REVIEW_CLOSED_AT_HEARTBEAT, REVIEW_NODE_STOPPED, REVIEW_OVER_MAX_LENGTH,
    REVIEW_PROGRAM_FAILED,
};
use crate::error::AppError;
use crate::net::shared::Shared;
use crate::ops;
use crate::projection::SessionFilter;

/// A program run launched by this node.
struct Run {
    program: Program,
    /// Sessions counted on this run; a light run has exactly one.
    sessions: Vec<Uuid>,
    stop: tokio::sync::oneshot::Sender<()>,
}

/// Why a watched program ended.
struct Exited {
    program: String,
    at: DateTime<Utc>,
    success: bool,
}

/// Closes the sessions left open by a crash, then runs the counter until the node stops.
pub async fn supervise(shared: Arc<Shared>, tick: Duration) {
    if let Err(err) = recover(&shared) {
        warn!(error = %err, "recovering sessions after a crash failed");
    }
    let mut runs: HashMap<String, Run> = HashMap::new();
    let (exits, mut exited) = mpsc::unbounded_channel::<Exited>();
    let mut ticker = tokio::time::interval(tick);
    // A change of a logbook may be a session just started with a program: check at once
    // rather than at the next tick, so the program starts with the counter.
    let mut changes = shared.changes.subscribe();
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            Some(exit) = exited.recv() => {
                on_exit(&shared, &mut runs, exit);
                continue;
            }
            _ = ticker.tick() => {}
            change = changes.recv() => {
                if matches!(&change, Ok(doc) if !doc.starts_with("logbook/")) {
                    continue;
                }
            }
        }
        if let Err(err) = check(&shared, &mut runs, &exits) {
            warn!(error = %err, "the usage counter check failed");
        }
    }
    stop_all(&shared, runs).await;
}

/// Open sessions recorded by this node.
fn own_open_sessions(shared: &Shared) -> Result<Vec<Session>, AppError> {
    let filter = SessionFilter {
        open_only: true,
        ..SessionFilter::default()
    };
    let me = shared.node_id.to_string();
    let mut sessions = shared.node().store.sessions(&filter)?;
    sessions.retain(|s| s.node == me);
    Ok(sessions)
}

fn recover(shared: &Shared) -> Result<(), AppError> {
    for session in own_open_sessions(shared)? {
        let last: Option<i64> = shared
            .node()
            .store
            .connection()
            .query_row(
                "SELECT last_ms FROM heartbeats WHERE session_id = ?1",
                [session.id.to_string()],
                |row| row.get(0),
            )
            .ok();
        let Some(at) = last.and_then(DateTime::from_timestamp_millis) else {
            continue;
        };
        let end = at.max(session.start);
        info!(session = %session.id, end = %end, "closing a session left open by a crash at its last heartbeat");
        close(shared, &session, end, Some(REVIEW_CLOSED_AT_HEARTBEAT))?;
    }
    clear_heartbeats(shared);
    Ok(())
}

fn clear_heartbeats(shared: &Shared) {
    let _ = shared
        .node()
        .store
        .connection()
        .execute("DELETE FROM heartbeats", []);
}

/// Closes `session` at `end` as the node, optionally flagging it for review.
fn close(
    shared: &Shared,
    session: &Session,
    end: DateTime<Utc>,
    review: Option<&str>,
) -> Result<(), AppError> {
    let mut closed = session.clone();
    closed.end = Some(end.max(session.start));
    closed.review = review.map(str::to_string);
    let mut fields = vec!["end"];
    if review.is_some() {
        fields.push("review");
    }
    write_fields(shared, &closed, &fields)?;
    let _ = shared.node().store.connection().execute(
        "DELETE FROM heartbeats WHERE session_id = ?1",
        [session.id.to_string()],
    );
    Ok(())
}

fn flag(shared: &Shared, session: &Session, reason: &str) -> Result<(), AppError> {
    let mut flagged = session.clone();
    flagged.review = Some(reason.to_string());
    write_fields(shared, &flagged, &["review"])
}

/// Writes the named fields of `session` as the node and tells the links it changed.
fn write_fields(shared: &Shared, session: &Session, fields: &[&str]) -> Result<(), AppError> {
    let mut node = shared.node();
    let doc_id = node
        .store
        .session_doc(&session.id.to_string())?
        .ok_or_else(|| AppError::UnknownSession {
            id: session.id.to_string(),
        })?;
    let author = node.author("");
    node.store.write(&author, |batch| {
        batch.edit(&doc_id, |tx| -> Result<(), AppError> {
            Ok(schema::update_session_fields(tx, session, fields)?)
        })
    })?;
    drop(node);
    let _ = shared.changes.send(doc_id);
    Ok(())
}

fn check(
    shared: &Arc<Shared>,
    runs: &mut HashMap<String, Run>,
    exits: &mpsc::UnboundedSender<Exited>,
) -> Result<(), AppError> {
    let now = Utc::now();
    let sessions = own_open_sessions(shared)?;
    let (instruments, programs) = {
        let node = shared.node();
        (ops::instruments(&node)?, counter::programs(&node)?)
    };
    for session in &sessions {
        heartbeat(shared, session, now);

        let max = instruments
            .iter()
            .find(|i| i.code == session.instrument)
            .and_then(|i| i.max_minutes);
        let too_long =
            max.is_some_and(|m| now - session.start > chrono::Duration::minutes(i64::from(m)));
        if too_long && session.review.is_none() {
            warn!(session = %session.id, instrument = %session.instrument, "session longer than its instrument's maximum: flagged for review");
            flag(shared, session, REVIEW_OVER_MAX_LENGTH)?;
        }

        if let Some(name) = &session.program {
            attach(shared, runs, exits, session, name, &programs)?;
        }
    }
    Ok(())
}

fn heartbeat(shared: &Shared, session: &Session, now: DateTime<Utc>) {
    let result = shared.node().store.connection().execute(
        "INSERT INTO heartbeats (session_id, last_ms) VALUES (?1, ?2)
         ON CONFLICT(session_id) DO UPDATE SET last_ms = excluded.last_ms",
        rusqlite::params![session.id.to_string(), now.timestamp_millis()],
    );
    if let Err(err) = result {
        warn!(session = %session.id, error = %err, "writing a heartbeat failed");
    }
}

/// Makes sure the session's program runs: launches it for a light program or a heavy
/// program not yet running, and counts the session on the run.
fn attach(
    shared: &Arc<Shared>,
    runs: &mut HashMap<String, Run>,
    exits: &mpsc::UnboundedSender<Exited>,
    session: &Session,
    name: &str,
    programs: &[Program],
) -> Result<(), AppError> {
    if runs.values().any(|r| r.sessions.contains(&session.id)) {
        return Ok(());
    }
    let Some(program) = programs
        .iter()
        .find(|p| p.instrument == session.instrument && p.name == name)
    else {
        return Ok(());
    };
    let key = run_key(program, session);
    if let Some(run) = runs.get_mut(&key) {
        run.sessions.push(session.id);
        record_run(shared, session, program, None, None);
        return Ok(());
    }
    match launch(program, exits.clone(), key.clone()) {
        Ok((pid, stop)) => {
            info!(session = %session.id, program = %program.name, pid, "program launched");
            record_run(shared, session, program, Some(pid), None);
            runs.insert(
                key,
                Run {
                    program: program.clone(),
                    sessions: vec![session.id],
                    stop,
                },
            );
        }
        Err(err) => {
            warn!(session = %session.id, program = %program.name, error = %err, "launching the program failed");
            record_run(shared, session, program, None, Some(&err.to_string()));
            close(shared, session, Utc::now(), Some(REVIEW_PROGRAM_FAILED))?;
        }
    }
    Ok(())
}

/// Light programs get one run per session; a heavy program one run for all sessions, or
/// one per session when several instances are allowed.
fn run_key(program: &Program, session: &Session) -> String {
    match (program.mode, program.multiple_instances) {
        (ProgramMode::Heavy, false) => format!("{}|{}", program.instrument, program.name),
        _ => format!("{}|{}|{}", program.instrument, program.name, session.id),
    }
}

fn record_run(
    shared: &Shared,
    session: &Session,
    program: &Program,
    pid: Option<u32>,
    error: Option<&str>,
) {
    let _ = shared.node().store.connection().execute(
        "INSERT OR REPLACE INTO program_runs (session_id, program, pid, started_ms, error) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![session.id.to_string(), program.name, pid, Utc::now().timestamp_millis(), error],
    );
}

/// Starts the program and a task that reports its exit.
fn launch(
    program: &Program,
    exits: mpsc::UnboundedSender<Exited>,
    key: String,
) -> Result<(u32, tokio::sync::oneshot::Sender<()>), std::io::Error> {
    let mut child: Child = Command::new(&program.command)
        .args(&program.args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::select! {
            status = child.wait() => {
                let at = Utc::now();
                let success = status.map(|s| s.success()).unwrap_or(false);
                let _ = exits.send(Exited { program: key, at, success });
            }
            _ = stopped => {
                let _ = child.kill().await;
            }
        }
    });
    Ok((pid, stop))
}

fn on_exit(shared: &Shared, runs: &mut HashMap<String, Run>, exit: Exited) {
    let Some(run) = runs.remove(&exit.program) else {
        return;
    };
    info!(program = %run.program.name, success = exit.success, "program exited");
    let ended = exit.at.timestamp_millis();
    for id in &run.sessions {
        let _ = shared.node().store.connection().execute(
            "UPDATE program_runs SET ended_ms = ?2 WHERE session_id = ?1",
            rusqlite::params![id.to_string(), ended],
        );
    }
    let Ok(open) = own_open_sessions(shared) else {
        return;
    };
    for session in open.iter().filter(|s| run.sessions.contains(&s.id)) {
        // A light program's exit is the end of its session, a crash included. A heavy
        // program that exits under an open counter ends the session too, flagged, since
        // the instrument was not controlled any more.
        let review = match run.program.mode {
            ProgramMode::Light => None,
            ProgramMode::Heavy => Some(REVIEW_PROGRAM_FAILED),
        };
        if let Err(err) = close(shared, session, exit.at, review) {
            warn!(session = %session.id, error = %err, "closing the session of an exited program failed");
        }
    }
}

async fn stop_all(shared: &Shared, runs: HashMap<String, Run>) {
    let now = Utc::now();
    let open = own_open_sessions(shared).unwrap_or_default();
    for (_, run) in runs {
        let _ = run.stop.send(());
        for session in open.iter().filter(|s| run.sessions.contains(&s.id)) {
            if let Err(err) = close(shared, session, now, Some(REVIEW_NODE_STOPPED)) {
                warn!(session = %session.id, error = %err, "closing a session at stop failed");
            }
        }
    }
    // Give killed children a moment to be reaped.
    tokio::time::sleep(Duration::from_millis(100)).await;
    clear_heartbeats(shared);
}
