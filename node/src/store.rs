//! The node's store: Automerge documents persisted in one SQLite file.
//!
//! Each write appends the incremental changes it made (`save_after` of the heads before
//! it) as one row of the `changes` table, in the same SQLite transaction for every document
//! it touched, before it returns. With WAL and `synchronous=FULL`, a write that returned is
//! on disk, including after a power loss.
//!
//! Several processes may open the same store: the running node and the command-line
//! commands given meanwhile. Each process loads every row at open and later applies the
//! rows other processes appended ([`Store::refresh`]); applying a change twice is a no-op
//! in Automerge. Writers serialize on SQLite's write lock (`BEGIN IMMEDIATE`) and refresh
//! inside it, so each write validates against the latest state. Every process writes with
//! its own random actor ID, because two writers sharing one actor would produce
//! conflicting sequence numbers.
//!
//! TODO: compact a document's rows into one snapshot when they grow numerous; load time
//! grows with the number of rows, not only with the history.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use automerge::transaction::{CommitOptions, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, PatchLog};
use progmanager_model::schema::{self, SchemaError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::projection;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("document {doc:?} in {path}: stored changes failed to load: {reason}")]
    Corrupt {
        path: PathBuf,
        doc: String,
        reason: String,
    },
    #[error("unknown document {0:?}")]
    UnknownDoc(String),
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Author of a change, recorded in the change message for the audit trail.
#[derive(Debug, Clone)]
pub struct Author {
    /// Login of the user, or empty for changes the node makes on its own.
    pub user: String,
    /// Hex node ID.
    pub node: String,
}

impl Author {
    fn message(&self) -> String {
        serde_json::json!({ "user": self.user, "node": self.node }).to_string()
    }
}

/// The documents of a facility and the SQLite file that keeps them.
pub struct Store {
    path: PathBuf,
    conn: Connection,
    docs: BTreeMap<String, Automerge>,
    actor: ActorId,
    /// Highest `changes.id` already applied to `docs`.
    last_row: i64,
}

/// An edit of several documents that is persisted all together or not at all.
pub struct Batch<'s> {
    store: &'s mut Store,
    author: &'s Author,
    /// Heads of each touched document before the batch, to compute what to persist.
    before: BTreeMap<String, Vec<ChangeHash>>,
    /// Patches of each touched document, recorded as the changes are applied: deriving
    /// the touched records from them costs what the change costs, where a diff of the
    /// heads would scan the whole document.
    logs: BTreeMap<String, PatchLog>,
}

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_doc ON changes(doc, id);
CREATE TABLE IF NOT EXISTS local (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS peer_status (
    node_id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    connected INTEGER NOT NULL,
    last_contact_ms INTEGER,
    last_sync_ms INTEGER,
    in_sync INTEGER NOT NULL,
    clock_skew_ms INTEGER,
    docs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeats (
    session_id TEXT PRIMARY KEY,
    last_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS program_runs (
    session_id TEXT PRIMARY KEY,
    program TEXT NOT NULL,
    pid INTEGER,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    error TEXT
);
CREATE TABLE IF NOT EXISTS login_failures (
    login TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    locked_until_ms INTEGER
);
CREATE TABLE IF NOT EXISTS invitations (
    secret_hash TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_by TEXT
);
";

impl Store {
    /// Opens (or creates) the store at `path` and loads every document.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            path: path.to_path_buf(),
            conn,
            docs: BTreeMap::new(),
            actor: ActorId::random(),
            last_row: 0,
        };
        store.configure()?;
        store.refresh()?;
        store.check_projection()?;
        Ok(store)
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        let conn = &self.conn;
        let result = conn
            .busy_timeout(Duration::from_secs(10))
            .and_then(|_| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|_| conn.execute_batch(SCHEMA_SQL));
        result
            .and_then(|_| conn.execute_batch(projection::SCHEMA_SQL))
            .map_err(|source| self.sqlite(source))
    }

    /// Rebuilds the derived tables when their layout version changed (or on a new store).
    fn check_projection(&mut self) -> Result<(), StoreError> {
        if self.local("projection_version")?.as_deref() == Some(projection::VERSION) {
            return Ok(());
        }
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.sqlite(e))?;
        let result = self.refresh().and_then(|_| {
            projection::rebuild(&self.conn, self.docs.iter().map(|(k, v)| (k.as_str(), v)))
                .map_err(|e| self.projection(e))?;
            self.set_local("projection_version", projection::VERSION)
        });
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        self.conn.execute_batch(end).map_err(|e| self.sqlite(e))?;
        result
    }

    fn projection(&self, error: projection::ProjectionError) -> StoreError {
        match error {
            projection::ProjectionError::Sqlite(source) => self.sqlite(source),
            projection::ProjectionError::Schema(err) => StoreError::Schema(err),
        }
    }

    /// Returns the ID of the logbook document that contains session `id`.
    pub fn session_doc(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT doc FROM sessions WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Sessions matching `filter`, from the derived `sessions` table.
    pub fn sessions(
        &self,
        filter: &projection::SessionFilter<'_>,
    ) -> Result<Vec<progmanager_model::Session>, StoreError> {
        projection::query_sessions(&self.conn, filter).map_err(|e| self.sqlite(e))
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies rows appended since the last refresh, by this or another process.
    ///
    /// Returns the IDs of the documents that changed.
    pub fn refresh(&mut self) -> Result<BTreeSet<String>, StoreError> {
        let rows = self.rows_after(self.last_row)?;

        // All new rows of a document are applied in one call: Automerge applies a batch
        // of changes much faster than the same changes one call at a time.
        let mut by_doc: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for (id, doc_id, data) in rows {
            self.last_row = id;
            by_doc.entry(doc_id).or_default().extend_from_slice(&data);
        }

        let mut changed = BTreeSet::new();
        for (doc_id, data) in by_doc {
            let actor = self.actor.clone();
            let doc = self.docs.entry(doc_id.clone()).or_insert_with(|| {
                let mut doc = Automerge::new();
                doc.set_actor(actor);
                doc
            });
            let before = doc.get_heads();
            doc.load_incremental(&data)
                .map_err(|err| StoreError::Corrupt {
                    path: self.path.clone(),
                    doc: doc_id.clone(),
                    reason: err.to_string(),
                })?;
            if doc.get_heads() != before {
                changed.insert(doc_id);
            }
        }
        Ok(changed)
    }

    fn rows_after(&self, after: i64) -> Result<Vec<(i64, String, Vec<u8>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, doc, data FROM changes WHERE id > ?1 ORDER BY id")
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([after], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        rows.map_err(|e| self.sqlite(e))
    }

    /// The document `doc_id`, if this node has it.
    pub fn doc(&self, doc_id: &str) -> Option<&Automerge> {
        self.docs.get(doc_id)
    }

    pub fn doc_ids(&self) -> impl Iterator<Item = &str> {
        self.docs.keys().map(String::as_str)
    }

    pub fn docs(&self) -> impl Iterator<Item = (&str, &Automerge)> {
        self.docs.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Runs `edit` as one atomic write: every document it changes is persisted in one
    /// SQLite transaction, or none is and the in-memory documents are reloaded.
    pub fn write<T, E>(
        &mut self,
        author: &Author,
        edit: impl FnOnce(&mut Batch<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.sqlite(e))?;
        let result = self.write_locked(author, edit);
        match result {
            Ok(value) => Ok(value),
            Err(err) => {
                let _rollback = self.conn.execute_batch("ROLLBACK");
                self.reload()?;
                Err(err)
            }
        }
    }

    fn write_locked<T, E>(
        &mut self,
        author: &Author,
        edit: impl FnOnce(&mut Batch<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.refresh()?;
        let mut batch = Batch {
            store: self,
            author,
            before: BTreeMap::new(),
            logs: BTreeMap::new(),
        };
        let value = edit(&mut batch)?;
        let before = std::mem::take(&mut batch.before);
        let mut logs = std::mem::take(&mut batch.logs);
        for (doc_id, heads) in before {
            if let Some(doc) = self.docs.get(&doc_id) {
                let projected = match logs.get_mut(&doc_id) {
                    Some(log) => {
                        let patches = doc.make_patches(log);
                        projection::project_patches(&self.conn, &doc_id, doc, &patches)
                    }
                    None => projection::project_change(&self.conn, &doc_id, doc, &heads),
                };
                projected.map_err(|e| self.projection(e))?;
            }
            self.append_changes(&doc_id, &heads)?;
        }
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| self.sqlite(e))?;
        Ok(value)
    }

    /// Appends what `doc_id` gained since `heads` as one row.
    fn append_changes(&mut self, doc_id: &str, heads: &[ChangeHash]) -> Result<(), StoreError> {
        let doc = self
            .docs
            .get(doc_id)
            .ok_or_else(|| StoreError::UnknownDoc(doc_id.to_string()))?;
        if doc.get_heads() == heads {
            return Ok(());
        }
        let data = doc.save_after(heads);
        self.conn
            .execute(
                "INSERT INTO changes (doc, data) VALUES (?1, ?2)",
                params![doc_id, data],
            )
            .map_err(|e| self.sqlite(e))?;
        self.last_row = self.conn.last_insert_rowid();
        Ok(())
    }

    /// Drops the in-memory documents and loads them again from the file.
    fn reload(&mut self) -> Result<(), StoreError> {
        self.docs.clear();
        self.last_row = 0;
        self.refresh()?;
        Ok(())
    }

    /// Applies a change that arrived from a peer (a sync message, through `apply`) and
    /// persists what it added. Returns whether the document changed.
    pub fn apply_remote<E>(
        &mut self,
        doc_id: &str,
        apply: impl FnOnce(&mut Automerge, &mut PatchLog) -> Result<(), E>,
    ) -> Result<bool, E>
    where
        E: From<StoreError>,
    {
        let author = Author {
            user: String::new(),
            node: String::new(),
        };
        self.write(&author, |batch| {
            let mut log = batch.logs.remove(doc_id).unwrap_or_else(PatchLog::active);
            let doc = batch.remote_doc(doc_id)?;
            let before = doc.get_heads();
            let applied = apply(doc, &mut log);
            let changed = doc.get_heads() != before;
            batch.logs.insert(doc_id.to_string(), log);
            applied?;
            Ok(changed)
        })
    }

    /// Creates an empty document for an ID a peer announced, so sync can fill it.
    ///
    /// Nothing is persisted until a change arrives.
    pub fn ensure_remote_doc(&mut self, doc_id: &str) -> bool {
        if self.docs.contains_key(doc_id) || schema::doc_kind(doc_id).is_none() {
            return false;
        }
        let mut doc = Automerge::new();
        doc.set_actor(self.actor.clone());
        self.docs.insert(doc_id.to_string(), doc);
        true
    }

    /// Reads a node-local value (not replicated).
    pub fn local(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM local WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Writes a node-local value (not replicated), durably.
    pub fn set_local(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO local (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.sqlite(e))
    }

    /// The SQLite connection, for node-local tables such as invitations.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Number of rows in the `changes` table, for benchmarks and status.
    pub fn change_rows(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM changes", [], |row| row.get(0))
            .map_err(|e| self.sqlite(e))
    }

    /// Runs a closure inside one SQLite transaction that also sees other processes'
    /// latest writes; used for node-local tables that must change atomically.
    pub fn local_transaction<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let value = f(&tx).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(value)
    }
}

impl Batch<'_> {
    /// Edits document `doc_id` in one Automerge transaction, creating it from its
    /// deterministic genesis when this node does not have it yet.
    pub fn edit<T, E>(
        &mut self,
        doc_id: &str,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.open_doc(doc_id)?;
        let message = self.author.message();
        let time = chrono::Utc::now().timestamp();
        let doc = self
            .store
            .docs
            .get_mut(doc_id)
            .ok_or_else(|| StoreError::UnknownDoc(doc_id.to_string()))?;
        let log = self.logs.remove(doc_id).unwrap_or_else(PatchLog::active);
        let mut tx = doc
            .transaction_log_patches(log)
            .map_err(|err| StoreError::UnknownDoc(format!("{doc_id}: {err}")))?;
        match f(&mut tx) {
            Ok(value) => {
                let options = CommitOptions::default()
                    .with_message(message)
                    .with_time(time);
                let (_, log) = tx.commit_with(options);
                self.logs.insert(doc_id.to_string(), log);
                Ok(value)
            }
            Err(err) => {
                // The whole batch fails and `Store::write` reloads the documents.
                tx.rollback();
                Err(err)
            }
        }
    }

    /// Returns a document inside the batch, including the batch's own edits.
    pub fn doc(&self, doc_id: &str) -> Option<&Automerge> {
        self.store.docs.get(doc_id)
    }

    fn open_doc(&mut self, doc_id: &str) -> Result<(), StoreError> {
        let store = &mut *self.store;
        // A document announced by a peer is held empty until its changes arrive; a local
        // write to it starts from the genesis like a new document.
        let is_empty = store
            .docs
            .get(doc_id)
            .is_some_and(|doc| doc.get_heads().is_empty());
        if !store.docs.contains_key(doc_id) || is_empty {
            let mut doc = schema::genesis(doc_id)
                .ok_or_else(|| StoreError::UnknownDoc(doc_id.to_string()))?;
            doc.set_actor(store.actor.clone());
            store.docs.insert(doc_id.to_string(), doc);
            // An empty head list makes the genesis change part of what is persisted.
            self.before.entry(doc_id.to_string()).or_default();
            return Ok(());
        }
        if let Some(doc) = store.docs.get(doc_id) {
            self.before
                .entry(doc_id.to_string())
                .or_insert_with(|| doc.get_heads());
        }
        Ok(())
    }

    fn remote_doc(&mut self, doc_id: &str) -> Result<&mut Automerge, StoreError> {
        self.store.ensure_remote_doc(doc_id);
        let store = &mut *self.store;
        let doc = store
            .docs
            .get_mut(doc_id)
            .ok_or_else(|| StoreError::UnknownDoc(doc_id.to_string()))?;
        self.before
            .entry(doc_id.to_string())
            .or_insert_with(|| doc.get_heads());
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use crate::projection::SessionFilter;
    use chrono::{TimeZone, Utc};
    use progmanager_model::Session;
    use progmanager_sync::Frame;
    use progmanager_sync::session::PeerSync;

    fn author() -> Author {
        Author {
            user: "admin".into(),
            node: "test".into(),
        }
    }

    fn session(instrument: &str, hour: u32) -> Session {
        Session {
            id: uuid::Uuid::now_v7(),
            instrument: instrument.into(),
            operator: "marie".into(),
            group: "LMCP".into(),
            start: Utc
                .with_ymd_and_hms(2026, 3, 2, hour, 0, 0)
                .single()
                .expect("valid instant"),
            end: None,
            kind: "proton".into(),
            samples: 1,
            observations: String::new(),
            billable: true,
            node: "test".into(),
            package: None,
            booked_end: None,
            program: None,
            review: None,
        }
    }

    fn add(store: &mut Store, session: &Session) {
        let doc_id = schema::logbook_doc_id(&session.instrument, 2026);
        store
            .write(&author(), |batch| {
                batch.edit(&doc_id, |tx| -> Result<(), AppError> {
                    Ok(schema::put_session(tx, session)?)
                })
            })
            .expect("write succeeds");
    }

    fn all(store: &Store) -> Vec<Session> {
        store.sessions(&SessionFilter::default()).expect("query")
    }

    #[test]
    fn write_survives_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store.sqlite");
        let s = session("NMR", 9);
        {
            let mut store = Store::open(&path).expect("open");
            add(&mut store, &s);
        }
        let store = Store::open(&path).expect("reopen");
        let doc = store.doc("logbook/NMR/2026").expect("logbook loaded");
        assert_eq!(schema::read_sessions(doc).expect("read"), vec![s.clone()]);
        assert_eq!(all(&store), vec![s]);
    }

    #[test]
    fn failed_batch_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store.sqlite");
        let mut store = Store::open(&path).expect("open");
        add(&mut store, &session("NMR", 9));
        let rows = store.change_rows().expect("count");

        let result: Result<(), AppError> = store.write(&author(), |batch| {
            batch.edit("logbook/NMR/2026", |tx| -> Result<(), AppError> {
                Ok(schema::put_session(tx, &session("NMR", 10))?)
            })?;
            batch.edit("logbook/XRD/2026", |tx| -> Result<(), AppError> {
                Ok(schema::put_session(tx, &session("XRD", 11))?)
            })?;
            Err(AppError::UserRequired)
        });
        assert!(result.is_err());
        assert_eq!(store.change_rows().expect("count"), rows);
        assert_eq!(all(&store).len(), 1);
        assert!(
            store.doc("logbook/XRD/2026").is_none(),
            "memory kept a rolled-back document"
        );
        let doc = store.doc("logbook/NMR/2026").expect("logbook");
        assert_eq!(schema::read_sessions(doc).expect("read").len(), 1);
    }

    #[test]
    fn second_process_sees_writes_after_refresh() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store.sqlite");
        let mut first = Store::open(&path).expect("open");
        let mut second = Store::open(&path).expect("open again");
        add(&mut first, &session("NMR", 9));
        add(&mut second, &session("NMR", 10));

        let changed = first.refresh().expect("refresh");
        assert!(changed.contains("logbook/NMR/2026"));
        let doc = first.doc("logbook/NMR/2026").expect("logbook");
        assert_eq!(schema::read_sessions(doc).expect("read").len(), 2);
        assert_eq!(all(&first).len(), 2);
        assert!(first.refresh().expect("refresh").is_empty());
    }

    #[test]
    fn synced_changes_reach_the_sessions_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut office = Store::open(&dir.path().join("office.sqlite")).expect("open");
        let mut nmr = Store::open(&dir.path().join("nmr.sqlite")).expect("open");
        let mut s = session("NMR", 9);
        add(&mut nmr, &s);
        s.end = Some(s.start + chrono::Duration::hours(2));
        add(&mut nmr, &s);

        let doc_id = "logbook/NMR/2026";
        office.ensure_remote_doc(doc_id);
        let (mut to_office, mut to_nmr) = (PeerSync::new(), PeerSync::new());
        for _ in 0..10 {
            let mut sent = false;
            if let Some(Frame::Sync { message, .. }) =
                to_office.generate(doc_id, nmr.doc(doc_id).expect("doc"))
            {
                office
                    .apply_remote(doc_id, |doc, log| {
                        to_nmr
                            .receive_logged(doc_id, doc, &message, log)
                            .map_err(|e| AppError::Network {
                                detail: e.to_string(),
                            })
                    })
                    .expect("apply");
                sent = true;
            }
            if let Some(Frame::Sync { message, .. }) =
                to_nmr.generate(doc_id, office.doc(doc_id).expect("doc"))
            {
                nmr.apply_remote(doc_id, |doc, log| {
                    to_office
                        .receive_logged(doc_id, doc, &message, log)
                        .map_err(|e| AppError::Network {
                            detail: e.to_string(),
                        })
                })
                .expect("apply");
                sent = true;
            }
            if !sent {
                break;
            }
        }
        assert_eq!(all(&office), vec![s.clone()]);
        drop(office);
        let reopened = Store::open(&dir.path().join("office.sqlite")).expect("reopen");
        assert_eq!(all(&reopened), vec![s]);
    }
}
