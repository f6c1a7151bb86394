//! SQLite tables derived from the documents, to answer queries without reading whole
//! documents.
//!
//! The documents stay the source of truth. Every process that changes a logbook
//! document (by a local write or by applying a peer's sync message) updates the
//! `sessions` table in the same SQLite transaction as the change rows, for exactly the
//! sessions the change touched. Those come from the patches Automerge records while it
//! applies the change ([`project_patches`]), because a diff of the heads before and after
//! ([`project_change`], used to rebuild) scans the whole document. So the table always
//! matches the committed documents. When the table's layout version
//! differs from [`VERSION`], it is rebuilt from the documents at open.
//!
//! The `invoiced_sessions` table follows the same rule for the `invoices/YEAR` documents:
//! one row per session of each issued invoice that no credit note cancelled, rewritten
//! for the whole document whenever it changes (such a document holds one year of
//! invoices, a small number).

use std::collections::HashMap;

use automerge::{Automerge, ChangeHash, Prop};
use chrono::DateTime;
use progmanager_model::Session;
use progmanager_model::schema::{self, DocKind, SchemaError};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

/// Layout version of the derived tables; bump it to rebuild them on upgrade.
pub const VERSION: &str = "4";

pub const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    instrument TEXT NOT NULL,
    operator TEXT NOT NULL,
    grp TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER,
    kind TEXT NOT NULL,
    samples INTEGER NOT NULL,
    observations TEXT NOT NULL,
    billable INTEGER NOT NULL,
    node TEXT NOT NULL,
    package TEXT,
    booked_end_ms INTEGER,
    program TEXT,
    review TEXT
);
CREATE INDEX IF NOT EXISTS sessions_start ON sessions(start_ms);
DROP INDEX IF EXISTS sessions_open;
CREATE INDEX IF NOT EXISTS sessions_open_start ON sessions(start_ms) WHERE end_ms IS NULL;
CREATE TABLE IF NOT EXISTS invoiced_sessions (
    session_id TEXT NOT NULL,
    invoice TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (session_id, invoice)
);
CREATE INDEX IF NOT EXISTS invoiced_sessions_doc ON invoiced_sessions(doc);
";

/// Errors while deriving the tables.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Updates the rows derived from what `doc` changed since `before`.
pub fn project_change(
    conn: &Connection,
    doc_id: &str,
    doc: &Automerge,
    before: &[ChangeHash],
) -> Result<(), ProjectionError> {
    match schema::doc_kind(doc_id) {
        Some(DocKind::Logbook { .. }) => project_logbook(conn, doc_id, doc, before),
        Some(DocKind::Invoices { .. }) => project_invoices(conn, doc_id, doc),
        _ => Ok(()),
    }
}

/// Updates the rows of the sessions that `doc` changed since `before`.
fn project_logbook(
    conn: &Connection,
    doc_id: &str,
    doc: &Automerge,
    before: &[ChangeHash],
) -> Result<(), ProjectionError> {
    let after = doc.get_heads();
    let mut keys: Vec<String> = doc
        .diff(before, &after)
        .into_iter()
        .filter_map(|patch| session_key(&patch))
        .collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        project_session(conn, doc_id, doc, &key)?;
    }
    Ok(())
}

/// Updates the rows of the sessions that `patches` (recorded while the changes were
/// applied) touched.
pub fn project_patches(
    conn: &Connection,
    doc_id: &str,
    doc: &Automerge,
    patches: &[automerge::Patch],
) -> Result<(), ProjectionError> {
    match schema::doc_kind(doc_id) {
        Some(DocKind::Logbook { .. }) => {}
        Some(DocKind::Invoices { .. }) => return project_invoices(conn, doc_id, doc),
        _ => return Ok(()),
    }
    let mut keys: Vec<String> = patches.iter().filter_map(session_key).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        project_session(conn, doc_id, doc, &key)?;
    }
    Ok(())
}

/// The key of the session a patch touches, if it touches one.
fn session_key(patch: &automerge::Patch) -> Option<String> {
    let (_, first) = patch.path.first()?;
    if *first != Prop::Map("sessions".into()) {
        return None;
    }
    if let Some((_, Prop::Map(key))) = patch.path.get(1) {
        return Some(key.clone());
    }
    match &patch.action {
        automerge::PatchAction::PutMap { key, .. } => Some(key.clone()),
        automerge::PatchAction::DeleteMap { key } => Some(key.clone()),
        _ => None,
    }
}

fn project_session(
    conn: &Connection,
    doc_id: &str,
    doc: &Automerge,
    key: &str,
) -> Result<(), ProjectionError> {
    let Some(session) = schema::read_session_by_key(doc, key)? else {
        conn.execute("DELETE FROM sessions WHERE id = ?1", [key])?;
        return Ok(());
    };
    conn.execute(
        "INSERT OR REPLACE INTO sessions
         (id, doc, instrument, operator, grp, start_ms, end_ms, kind, samples, observations, billable, node,
          package, booked_end_ms, program, review)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            session.id.to_string(),
            doc_id,
            session.instrument,
            session.operator,
            session.group,
            session.start.timestamp_millis(),
            session.end.map(|e| e.timestamp_millis()),
            session.kind,
            session.samples,
            session.observations,
            session.billable,
            session.node,
            session.package,
            session.booked_end.map(|e| e.timestamp_millis()),
            session.program,
            session.review,
        ],
    )?;
    Ok(())
}

/// Rewrites the `invoiced_sessions` rows of one invoices document.
fn project_invoices(
    conn: &Connection,
    doc_id: &str,
    doc: &Automerge,
) -> Result<(), ProjectionError> {
    conn.execute("DELETE FROM invoiced_sessions WHERE doc = ?1", [doc_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO invoiced_sessions (session_id, invoice, doc) VALUES (?1, ?2, ?3)",
    )?;
    // A document received from a peer is empty until its first changes arrive.
    let invoices = match schema::read_invoices(doc) {
        Err(SchemaError::MissingRoot(_)) => Vec::new(),
        other => other?,
    };
    for invoice in invoices {
        if !invoice.is_active_invoice() {
            continue;
        }
        let number = invoice.number.to_string();
        for session in &invoice.sessions {
            insert.execute(params![session.to_string(), number, doc_id])?;
        }
    }
    Ok(())
}

/// Number of the issued, not credited invoice that bills session `id`, if any.
pub fn invoice_of_session(conn: &Connection, id: &str) -> Result<Option<String>, rusqlite::Error> {
    conn.query_row(
        "SELECT invoice FROM invoiced_sessions WHERE session_id = ?1 ORDER BY invoice LIMIT 1",
        [id],
        |row| row.get(0),
    )
    .optional()
}

/// Every session billed by an issued, not credited invoice, with that invoice's number.
pub fn invoiced_sessions(conn: &Connection) -> Result<HashMap<Uuid, String>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached("SELECT session_id, invoice FROM invoiced_sessions")?;
    let rows = stmt.query_map([], |row| {
        let id: String = row.get(0)?;
        let id = Uuid::parse_str(&id).map_err(|e| invalid_column(0, e))?;
        Ok((id, row.get(1)?))
    })?;
    rows.collect()
}

/// Rebuilds the derived tables from the documents, with the current layout.
pub fn rebuild<'a>(
    conn: &Connection,
    docs: impl Iterator<Item = (&'a str, &'a Automerge)>,
) -> Result<(), ProjectionError> {
    conn.execute_batch("DROP TABLE IF EXISTS sessions; DROP TABLE IF EXISTS invoiced_sessions")?;
    conn.execute_batch(SCHEMA_SQL)?;
    for (doc_id, doc) in docs {
        project_change(conn, doc_id, doc, &[])?;
    }
    Ok(())
}

/// Filter of a sessions query.
#[derive(Debug, Default, Clone)]
pub struct SessionFilter<'a> {
    pub instrument: Option<&'a str>,
    /// Only sessions that have no end yet.
    pub open_only: bool,
    /// Sessions starting at or after this instant (milliseconds since the epoch).
    pub from_ms: Option<i64>,
    /// Sessions starting before this instant (milliseconds since the epoch).
    pub until_ms: Option<i64>,
}

/// Builds the query of sessions matching a filter, with `$extra` (a condition followed by
/// `AND`, or nothing) first in its `WHERE` clause.
macro_rules! sessions_query {
    ($extra:literal) => {
        concat!(
            "SELECT id, instrument, operator, grp, start_ms, end_ms, kind, samples, observations,
                    billable, node, package, booked_end_ms, program, review
             FROM sessions
             WHERE ",
            $extra,
            " (?1 IS NULL OR instrument = ?1)
               AND (?2 IS NULL OR start_ms >= ?2)
               AND (?3 IS NULL OR start_ms < ?3)
             ORDER BY start_ms, id"
        )
    };
}

/// Sessions matching `filter`, ordered by start.
pub fn query_sessions(
    conn: &Connection,
    filter: &SessionFilter<'_>,
) -> Result<Vec<Session>, rusqlite::Error> {
    // Open sessions are few: their query names `end_ms IS NULL` outright, so SQLite reads
    // them from the partial index instead of scanning every session.
    let sql = if filter.open_only {
        sessions_query!("end_ms IS NULL AND")
    } else {
        sessions_query!("")
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(
        params![filter.instrument, filter.from_ms, filter.until_ms],
        |row| {
            let id: String = row.get(0)?;
            let id = Uuid::parse_str(&id).map_err(|e| invalid_column(0, e))?;
            let start: i64 = row.get(4)?;
            let start = DateTime::from_timestamp_millis(start)
                .ok_or_else(|| invalid_column(4, "instant out of range"))?;
            let end: Option<i64> = row.get(5)?;
            Ok(Session {
                id,
                instrument: row.get(1)?,
                operator: row.get(2)?,
                group: row.get(3)?,
                start,
                end: end.and_then(DateTime::from_timestamp_millis),
                kind: row.get(6)?,
                samples: row.get(7)?,
                observations: row.get(8)?,
                billable: row.get(9)?,
                node: row.get(10)?,
                package: row.get(11)?,
                booked_end: row
                    .get::<_, Option<i64>>(12)?
                    .and_then(DateTime::from_timestamp_millis),
                program: row.get(13)?,
                review: row.get(14)?,
            })
        },
    )?;
    rows.collect()
}

fn invalid_column(
    index: usize,
    error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, error.into())
}
