//! The history of a record, read from the Automerge history of its document: every change
//! that touched it, when, by which user on which node, with old and new values.
//!
//! Each change carries a JSON message `{"user": LOGIN, "node": NODE-ID}` written by the
//! store; changes received from peers keep the message of the node that made them.

use automerge::{Automerge, ChangeHash, ObjId, Prop, ReadDoc, Value};
use chrono::{DateTime, Utc};
use serde::Serialize;

use progmanager_model::schema::{self, FACILITY_DOC};

/// One field of the record changed by one change.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub time: DateTime<Utc>,
    pub user: String,
    pub node: String,
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Hex hash of the Automerge change.
    pub change: String,
}

/// Location of a record: its document and the path of its map from the root.
#[derive(Debug, Clone)]
pub struct RecordLocation {
    pub doc: String,
    pub root_map: &'static str,
    pub key: String,
}

/// Fields whose values are never shown, only that they changed.
const SECRET_FIELDS: [&str; 1] = ["password_hash"];

/// Finds the facility record with key `record_id` in any root map of the facility document.
pub fn locate_in_facility(doc: &Automerge, record_id: &str) -> Option<RecordLocation> {
    for map in schema::FACILITY_MAPS {
        let Ok(Some((Value::Object(_), root))) = doc.get(automerge::ROOT, map) else {
            continue;
        };
        if let Ok(Some((Value::Object(_), _))) = doc.get(&root, record_id) {
            return Some(RecordLocation {
                doc: FACILITY_DOC.to_string(),
                root_map: map,
                key: record_id.to_string(),
            });
        }
    }
    None
}

/// Every change of the record at `location` in `doc`, oldest first.
pub fn record_history(doc: &Automerge, location: &RecordLocation) -> Vec<HistoryEntry> {
    let mut entries = Vec::new();
    for change in doc.get_changes(&[]) {
        let deps: Vec<ChangeHash> = change.deps().to_vec();
        let hash = change.hash();
        let (user, node) = author_of(change.message());
        let time = DateTime::from_timestamp(change.timestamp(), 0).unwrap_or_default();
        for patch in doc.diff(&deps, &[hash]) {
            let Some(field) = field_of(&patch, location) else {
                continue;
            };
            let new = new_value(&patch.action);
            let old = old_value(doc, location, &field, &deps);
            let secret = SECRET_FIELDS.contains(&field.as_str());
            entries.push(HistoryEntry {
                time,
                user: user.clone(),
                node: node.clone(),
                old: if secret {
                    old.map(|_| "***".into())
                } else {
                    old
                },
                new: if secret {
                    new.map(|_| "***".into())
                } else {
                    new
                },
                field,
                change: hash.to_string(),
            });
        }
    }
    entries
}

fn author_of(message: Option<&str>) -> (String, String) {
    let parsed: Option<serde_json::Value> = message.and_then(|m| serde_json::from_str(m).ok());
    let get = |key: &str| {
        parsed
            .as_ref()
            .and_then(|v| v[key].as_str())
            .unwrap_or_default()
            .to_string()
    };
    (get("user"), get("node"))
}

/// The field of the record a patch changes, if it changes the record.
fn field_of(patch: &automerge::Patch, location: &RecordLocation) -> Option<String> {
    let root_prop = Prop::Map(location.root_map.to_string());
    let key_prop = Prop::Map(location.key.clone());
    let path: Vec<&Prop> = patch.path.iter().map(|(_, prop)| prop).collect();
    match (path.first(), path.get(1), &patch.action) {
        (Some(root), Some(key), automerge::PatchAction::PutMap { key: field, .. })
            if **root == root_prop && **key == key_prop =>
        {
            Some(field.clone())
        }
        (Some(root), Some(key), automerge::PatchAction::DeleteMap { key: field })
            if **root == root_prop && **key == key_prop =>
        {
            Some(field.clone())
        }
        (Some(root), None, automerge::PatchAction::PutMap { key, .. })
            if **root == root_prop && *key == location.key =>
        {
            Some("(created)".to_string())
        }
        _ => None,
    }
}

fn new_value(action: &automerge::PatchAction) -> Option<String> {
    match action {
        automerge::PatchAction::PutMap {
            value: (value, _), ..
        } => Some(show(value)),
        _ => None,
    }
}

fn old_value(
    doc: &Automerge,
    location: &RecordLocation,
    field: &str,
    heads: &[ChangeHash],
) -> Option<String> {
    let record = record_obj_at(doc, location, heads)?;
    match doc.get_at(&record, field, heads) {
        Ok(Some((value, _))) => Some(show(&value)),
        _ => None,
    }
}

fn record_obj_at(
    doc: &Automerge,
    location: &RecordLocation,
    heads: &[ChangeHash],
) -> Option<ObjId> {
    let Ok(Some((Value::Object(_), root))) = doc.get_at(automerge::ROOT, location.root_map, heads)
    else {
        return None;
    };
    match doc.get_at(&root, location.key.as_str(), heads) {
        Ok(Some((Value::Object(_), obj))) => Some(obj),
        _ => None,
    }
}

/// A value as text: timestamps in RFC 3339 (UTC), strings without quotes.
fn show(value: &Value<'_>) -> String {
    match value {
        Value::Object(_) => "{}".to_string(),
        Value::Scalar(scalar) => match scalar.as_ref() {
            automerge::ScalarValue::Str(s) => s.to_string(),
            automerge::ScalarValue::Timestamp(ms) => DateTime::from_timestamp_millis(*ms)
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| ms.to_string()),
            automerge::ScalarValue::Null => String::new(),
            other => other.to_string(),
        },
    }
}
