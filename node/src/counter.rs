//! The usage counter's records: control programs, notebook entries (incidents,
//! maintenance, safety) and the review of flagged sessions. The running node's side
//! (launching and watching programs, heartbeats, recovery) is in `net::supervisor`.

use chrono::{DateTime, Datelike, Utc};
use progmanager_model::permissions::Action;
use progmanager_model::schema::{self, FACILITY_DOC};
use progmanager_model::{NotebookEntry, Program, Session, User};
use uuid::Uuid;

use crate::error::AppError;
use crate::node::Node;
use crate::ops::{self, SessionEdit, require};
use crate::projection::SessionFilter;

/// Reasons a session is flagged for review.
pub const REVIEW_CLOSED_AT_HEARTBEAT: &str = "closed-at-heartbeat";
pub const REVIEW_OVER_MAX_LENGTH: &str = "over-max-length";
pub const REVIEW_NODE_STOPPED: &str = "node-stopped";
pub const REVIEW_PROGRAM_FAILED: &str = "program-failed";

/// Kinds of notebook entries.
pub const ENTRY_KINDS: [&str; 3] = ["incident", "maintenance", "safety"];

pub fn programs(node: &Node) -> Result<Vec<Program>, AppError> {
    Ok(schema::read_programs(node.facility_doc()?)?)
}

pub fn add_program(node: &mut Node, admin: &User, program: Program) -> Result<(), AppError> {
    require(admin, Action::EditPrograms)?;
    ops::validate_code("program", &program.name)?;
    if !ops::instruments(node)?
        .iter()
        .any(|i| i.code == program.instrument)
    {
        return Err(AppError::UnknownInstrument {
            code: program.instrument.clone(),
        });
    }
    let author = node.author(&admin.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_program(tx, &program)?)
        })
    })
}

/// Finds the program `name` of `instrument`.
pub fn program(node: &Node, instrument: &str, name: &str) -> Result<Program, AppError> {
    programs(node)?
        .into_iter()
        .find(|p| p.instrument == instrument && p.name == name)
        .ok_or_else(|| AppError::UnknownProgram {
            instrument: instrument.to_string(),
            name: name.to_string(),
        })
}

/// Whether a run of `program` launched by this node is still alive.
pub fn program_running(node: &Node, program: &str) -> Result<bool, AppError> {
    let count: i64 = node
        .store
        .connection()
        .query_row(
            "SELECT count(*) FROM program_runs WHERE program = ?1 AND pid IS NOT NULL AND ended_ms IS NULL",
            [program],
            |row| row.get(0),
        )
        .map_err(|e| AppError::io(node.store.path(), e))?;
    Ok(count > 0)
}

/// Writes an incident, maintenance or safety record in the instrument's notebook; it is
/// tied to the session running on the instrument, if any.
pub fn add_entry(
    node: &mut Node,
    user: &User,
    instrument: &str,
    kind: &str,
    text: &str,
) -> Result<NotebookEntry, AppError> {
    if !ENTRY_KINDS.contains(&kind) {
        return Err(AppError::invalid("entry_kind", kind));
    }
    if text.trim().is_empty() {
        return Err(AppError::invalid("text", text));
    }
    if !ops::instruments(node)?.iter().any(|i| i.code == instrument) {
        return Err(AppError::UnknownInstrument {
            code: instrument.to_string(),
        });
    }
    let filter = SessionFilter {
        instrument: Some(instrument),
        open_only: true,
        ..SessionFilter::default()
    };
    let session = node
        .store
        .sessions(&filter)?
        .into_iter()
        .next()
        .map(|s| s.id);
    let entry = NotebookEntry {
        id: Uuid::now_v7(),
        instrument: instrument.to_string(),
        kind: kind.to_string(),
        text: text.trim().to_string(),
        author: user.login.clone(),
        at: Utc::now(),
        session,
        node: node.node_id.to_string(),
    };
    let doc_id = schema::logbook_doc_id(instrument, entry.at.year());
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(&doc_id, |tx| -> Result<(), AppError> {
            Ok(schema::put_entry(tx, &entry)?)
        })
    })?;
    Ok(entry)
}

/// Notebook entries of an instrument, oldest first.
pub fn entries(node: &Node, instrument: &str) -> Result<Vec<NotebookEntry>, AppError> {
    let mut out = Vec::new();
    for (doc_id, doc) in node.store.docs() {
        if let Some(schema::DocKind::Logbook {
            instrument: code, ..
        }) = schema::doc_kind(doc_id)
            && code == instrument
        {
            out.extend(schema::read_entries(doc)?);
        }
    }
    out.sort_by_key(|e| (e.at, e.id));
    Ok(out)
}

/// Sessions flagged for review, oldest first.
pub fn review_list(node: &Node) -> Result<Vec<Session>, AppError> {
    let mut sessions = ops::sessions(node)?;
    sessions.retain(|s| s.review.is_some());
    Ok(sessions)
}

/// Settles a flagged session: keeps it as recorded, or sets its end, then releases its
/// billing.
pub fn resolve_review(
    node: &mut Node,
    admin: &User,
    id: &str,
    end: Option<DateTime<Utc>>,
) -> Result<Session, AppError> {
    let edit = SessionEdit {
        end,
        review: Some(None),
        ..SessionEdit::default()
    };
    ops::edit_session(node, admin, id, &edit)
}
