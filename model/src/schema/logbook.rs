//! Sessions in a logbook document, keyed by UUID v7.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use uuid::Uuid;

use super::value::{Record, SchemaError, instant, map_entries, root_map};
use crate::types::{NotebookEntry, Session};

pub fn read_sessions<D: ReadDoc>(doc: &D) -> Result<Vec<Session>, SchemaError> {
    let root = root_map(doc, "sessions")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        if r.bool_or("deleted", false) {
            continue;
        }
        out.push(read_session(&r)?);
    }
    Ok(out)
}

/// Reads one session by its key; `None` when absent or deleted.
pub fn read_session_by_key<D: ReadDoc>(doc: &D, key: &str) -> Result<Option<Session>, SchemaError> {
    let root = root_map(doc, "sessions")?;
    let obj = match doc.get(&root, key)? {
        Some((automerge::Value::Object(ObjType::Map), obj)) => obj,
        _ => return Ok(None),
    };
    let r = Record::new(doc, obj, key.to_string());
    if r.bool_or("deleted", false) {
        return Ok(None);
    }
    read_session(&r).map(Some)
}

fn read_session<D: ReadDoc>(r: &Record<'_, D>) -> Result<Session, SchemaError> {
    let id = Uuid::parse_str(&r.key).map_err(|_| r.bad_value("id", &r.key))?;
    let start = r
        .timestamp("start")?
        .ok_or_else(|| r.bad_value("start", ""))?;
    let start = instant(start).ok_or_else(|| r.bad_value("start", &start.to_string()))?;
    let end = match r.timestamp("end")? {
        Some(ms) => Some(instant(ms).ok_or_else(|| r.bad_value("end", &ms.to_string()))?),
        None => None,
    };
    let samples = r.int("samples")?;
    let samples =
        u32::try_from(samples).map_err(|_| r.bad_value("samples", &samples.to_string()))?;
    Ok(Session {
        id,
        instrument: r.str("instrument")?,
        operator: r.str_or_empty("operator"),
        group: r.str("group")?,
        start,
        end,
        kind: r.str_or_empty("kind"),
        samples,
        observations: r.str_or_empty("observations"),
        billable: r.bool_or("billable", true),
        node: r.str_or_empty("node"),
        package: Some(r.str_or_empty("package")).filter(|name| !name.is_empty()),
        program: Some(r.str_or_empty("program")).filter(|name| !name.is_empty()),
        review: Some(r.str_or_empty("review")).filter(|reason| !reason.is_empty()),
        booked_end: match r.timestamp("booked_end")? {
            Some(ms) => {
                Some(instant(ms).ok_or_else(|| r.bad_value("booked_end", &ms.to_string()))?)
            }
            None => None,
        },
    })
}

/// Writes every field of a session, creating its record when absent.
pub fn put_session<T: Transactable>(tx: &mut T, session: &Session) -> Result<(), SchemaError> {
    let root = root_map(tx, "sessions")?;
    let key = session.id.to_string();
    let obj = match tx.get(&root, key.as_str())? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(&root, key.as_str(), ObjType::Map)?,
    };
    tx.put(&obj, "instrument", session.instrument.as_str())?;
    tx.put(&obj, "operator", session.operator.as_str())?;
    tx.put(&obj, "group", session.group.as_str())?;
    tx.put(
        &obj,
        "start",
        ScalarValue::Timestamp(session.start.timestamp_millis()),
    )?;
    match session.end {
        Some(end) => tx.put(&obj, "end", ScalarValue::Timestamp(end.timestamp_millis()))?,
        None => tx.put(&obj, "end", ScalarValue::Null)?,
    }
    tx.put(&obj, "kind", session.kind.as_str())?;
    tx.put(&obj, "samples", i64::from(session.samples))?;
    tx.put(&obj, "observations", session.observations.as_str())?;
    tx.put(&obj, "billable", session.billable)?;
    tx.put(&obj, "node", session.node.as_str())?;
    tx.put(
        &obj,
        "package",
        session.package.as_deref().unwrap_or_default(),
    )?;
    match session.booked_end {
        Some(at) => tx.put(
            &obj,
            "booked_end",
            ScalarValue::Timestamp(at.timestamp_millis()),
        )?,
        None => tx.put(&obj, "booked_end", ScalarValue::Null)?,
    }
    tx.put(
        &obj,
        "program",
        session.program.as_deref().unwrap_or_default(),
    )?;
    tx.put(
        &obj,
        "review",
        session.review.as_deref().unwrap_or_default(),
    )?;
    tx.put(&obj, "deleted", false)?;
    Ok(())
}

/// Closes a running session: sets its end and observations only, so a concurrent edit of
/// another field on another node survives.
pub fn close_session<T: Transactable>(
    tx: &mut T,
    id: Uuid,
    end: chrono::DateTime<chrono::Utc>,
    observations: &str,
) -> Result<(), SchemaError> {
    let root = root_map(tx, "sessions")?;
    let key = id.to_string();
    let Some((automerge::Value::Object(ObjType::Map), obj)) = tx.get(&root, key.as_str())? else {
        return Err(SchemaError::BadField {
            record: key,
            field: "id",
        });
    };
    tx.put(&obj, "end", ScalarValue::Timestamp(end.timestamp_millis()))?;
    if !observations.is_empty() {
        tx.put(&obj, "observations", observations)?;
    }
    Ok(())
}

/// Writes the named fields of `session` into its existing record, and nothing else, so
/// concurrent edits of other fields on other nodes survive.
pub fn update_session_fields<T: Transactable>(
    tx: &mut T,
    session: &Session,
    fields: &[&str],
) -> Result<(), SchemaError> {
    let root = root_map(tx, "sessions")?;
    let key = session.id.to_string();
    let Some((automerge::Value::Object(ObjType::Map), obj)) = tx.get(&root, key.as_str())? else {
        return Err(SchemaError::BadField {
            record: key,
            field: "id",
        });
    };
    for field in fields {
        match *field {
            "group" => tx.put(&obj, "group", session.group.as_str())?,
            "kind" => tx.put(&obj, "kind", session.kind.as_str())?,
            "samples" => tx.put(&obj, "samples", i64::from(session.samples))?,
            "observations" => tx.put(&obj, "observations", session.observations.as_str())?,
            "start" => tx.put(
                &obj,
                "start",
                ScalarValue::Timestamp(session.start.timestamp_millis()),
            )?,
            "end" => match session.end {
                Some(end) => tx.put(&obj, "end", ScalarValue::Timestamp(end.timestamp_millis()))?,
                None => tx.put(&obj, "end", ScalarValue::Null)?,
            },
            "billable" => tx.put(&obj, "billable", session.billable)?,
            "review" => tx.put(
                &obj,
                "review",
                session.review.as_deref().unwrap_or_default(),
            )?,
            other => {
                return Err(SchemaError::BadValue {
                    record: key,
                    field: "field",
                    value: other.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Notebook entries (incidents, maintenance, safety) of a logbook, oldest first.
pub fn read_entries<D: ReadDoc>(doc: &D) -> Result<Vec<NotebookEntry>, SchemaError> {
    let root = root_map(doc, "entries")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        if r.bool_or("deleted", false) {
            continue;
        }
        let id = Uuid::parse_str(&r.key).map_err(|_| r.bad_value("id", &r.key))?;
        let at = r.timestamp("at")?.ok_or_else(|| r.bad_value("at", ""))?;
        let at = instant(at).ok_or_else(|| r.bad_value("at", &at.to_string()))?;
        let session = r.str_or_empty("session");
        out.push(NotebookEntry {
            id,
            instrument: r.str("instrument")?,
            kind: r.str("kind")?,
            text: r.str_or_empty("text"),
            author: r.str_or_empty("author"),
            at,
            session: Uuid::parse_str(&session).ok(),
            node: r.str_or_empty("node"),
        });
    }
    out.sort_by_key(|e| (e.at, e.id));
    Ok(out)
}

pub fn put_entry<T: Transactable>(tx: &mut T, entry: &NotebookEntry) -> Result<(), SchemaError> {
    let root = root_map(tx, "entries")?;
    let obj = tx.put_object(&root, entry.id.to_string().as_str(), ObjType::Map)?;
    tx.put(&obj, "instrument", entry.instrument.as_str())?;
    tx.put(&obj, "kind", entry.kind.as_str())?;
    tx.put(&obj, "text", entry.text.as_str())?;
    tx.put(&obj, "author", entry.author.as_str())?;
    tx.put(
        &obj,
        "at",
        ScalarValue::Timestamp(entry.at.timestamp_millis()),
    )?;
    let session = entry.session.map(|s| s.to_string()).unwrap_or_default();
    tx.put(&obj, "session", session)?;
    tx.put(&obj, "node", entry.node.as_str())?;
    tx.put(&obj, "deleted", false)?;
    Ok(())
}
