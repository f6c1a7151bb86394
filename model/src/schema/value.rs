//! Typed reads of scalar fields from Automerge maps, with errors naming the field.

use std::cell::OnceCell;

use automerge::{ObjId, ReadDoc, ScalarValue, Value, ValueRef};
use rust_decimal::Decimal;

/// A record in a document that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("root map {0:?} is missing from the document")]
    MissingRoot(&'static str),
    #[error("record {record:?}: field {field:?} is missing or has the wrong type")]
    BadField { record: String, field: &'static str },
    #[error("record {record:?}: field {field:?} has the invalid value {value:?}")]
    BadValue {
        record: String,
        field: &'static str,
        value: String,
    },
    #[error("automerge error: {0}")]
    Automerge(String),
}

impl From<automerge::AutomergeError> for SchemaError {
    fn from(error: automerge::AutomergeError) -> Self {
        SchemaError::Automerge(error.to_string())
    }
}

/// A map object of a document together with the key used in error messages.
///
/// The first field read loads every scalar field of the map in one pass, because a record
/// is read whole and a lookup by key costs a search of the document each time.
pub(crate) struct Record<'a, D: ReadDoc> {
    doc: &'a D,
    obj: ObjId,
    pub key: String,
    fields: OnceCell<Vec<(String, ScalarValue)>>,
}

impl<'a, D: ReadDoc> Record<'a, D> {
    pub fn new(doc: &'a D, obj: ObjId, key: String) -> Self {
        Record {
            doc,
            obj,
            key,
            fields: OnceCell::new(),
        }
    }

    fn scalar(&self, field: &'static str) -> Option<ScalarValue> {
        let fields = self.fields.get_or_init(|| {
            self.doc
                .map_range(&self.obj, ..)
                .filter_map(|item| match item.value {
                    ValueRef::Scalar(value) => {
                        Some((item.key.to_string(), ScalarValue::from(value)))
                    }
                    _ => None,
                })
                .collect()
        });
        fields
            .iter()
            .find(|(key, _)| key == field)
            .map(|(_, value)| value.clone())
    }

    fn bad_field(&self, field: &'static str) -> SchemaError {
        SchemaError::BadField {
            record: self.key.clone(),
            field,
        }
    }

    pub fn str(&self, field: &'static str) -> Result<String, SchemaError> {
        match self.scalar(field) {
            Some(ScalarValue::Str(s)) => Ok(s.to_string()),
            _ => Err(self.bad_field(field)),
        }
    }

    /// A text field that older records may lack.
    pub fn str_or_empty(&self, field: &'static str) -> String {
        match self.scalar(field) {
            Some(ScalarValue::Str(s)) => s.to_string(),
            _ => String::new(),
        }
    }

    pub fn bool_or(&self, field: &'static str, default: bool) -> bool {
        match self.scalar(field) {
            Some(ScalarValue::Boolean(b)) => b,
            _ => default,
        }
    }

    pub fn int(&self, field: &'static str) -> Result<i64, SchemaError> {
        match self.scalar(field) {
            Some(ScalarValue::Int(i)) => Ok(i),
            Some(ScalarValue::Uint(u)) => i64::try_from(u).map_err(|_| self.bad_field(field)),
            _ => Err(self.bad_field(field)),
        }
    }

    pub fn timestamp(&self, field: &'static str) -> Result<Option<i64>, SchemaError> {
        match self.scalar(field) {
            Some(ScalarValue::Timestamp(ms)) => Ok(Some(ms)),
            Some(ScalarValue::Null) | None => Ok(None),
            _ => Err(self.bad_field(field)),
        }
    }

    pub fn decimal(&self, field: &'static str) -> Result<Option<Decimal>, SchemaError> {
        match self.scalar(field) {
            Some(ScalarValue::Str(s)) => s.parse().map(Some).map_err(|_| SchemaError::BadValue {
                record: self.key.clone(),
                field,
                value: s.to_string(),
            }),
            Some(ScalarValue::Null) | None => Ok(None),
            _ => Err(self.bad_field(field)),
        }
    }

    pub fn bad_value(&self, field: &'static str, value: &str) -> SchemaError {
        SchemaError::BadValue {
            record: self.key.clone(),
            field,
            value: value.to_string(),
        }
    }
}

/// Looks up a root map by name.
pub(crate) fn root_map<D: ReadDoc>(doc: &D, name: &'static str) -> Result<ObjId, SchemaError> {
    match doc.get(automerge::ROOT, name) {
        Ok(Some((Value::Object(automerge::ObjType::Map), id))) => Ok(id),
        _ => Err(SchemaError::MissingRoot(name)),
    }
}

/// Lists the `(key, object)` pairs of a map whose values are maps.
pub(crate) fn map_entries<D: ReadDoc>(doc: &D, map: &ObjId) -> Vec<(String, ObjId)> {
    doc.map_range(map, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Object(automerge::ObjType::Map) => {
                Some((item.key.to_string(), item.id()))
            }
            _ => None,
        })
        .collect()
}

/// Converts milliseconds since the epoch into a UTC instant.
pub(crate) fn instant(ms: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(ms)
}
