//! Backups of the store: consistent copies taken with SQLite's online backup API while the
//! node may be writing, verified by loading every document of the copy, and rotated.
//!
//! A backup file is a complete store. Restoring one puts it in place of the store of a
//! stopped node; the node then catches up from its peers with whatever happened since.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use rusqlite::{Connection, OpenFlags};

use progmanager_model::schema::{self, FACILITY_DOC};

use crate::error::AppError;
use crate::node::DataDir;
use crate::store::Store;

/// Prefix of backup file names; rotation only ever deletes files named like this.
const PREFIX: &str = "progmanager-";
const SUFFIX: &str = ".sqlite";

/// What a verified backup holds.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub documents: usize,
    pub change_rows: i64,
    pub bytes: u64,
    /// Older backups deleted by rotation.
    pub removed: Vec<PathBuf>,
}

/// Copies the store at `store_path` of node `name` into `folder`, verifies the copy and
/// keeps the `keep` newest backups of this node there.
pub fn back_up(
    store_path: &Path,
    name: &str,
    folder: &Path,
    keep: usize,
) -> Result<BackupReport, AppError> {
    create_private_dir(folder)?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let file_name = format!("{PREFIX}{}-{stamp}{SUFFIX}", sanitize(name));
    let target = folder.join(&file_name);
    let partial = folder.join(format!("{file_name}.partial"));

    let source = Connection::open_with_flags(store_path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| AppError::io(store_path, e))?;
    copy_store(&source, &partial)?;
    restrict(&partial)?;
    let (documents, change_rows) = verify(&partial)?;
    std::fs::rename(&partial, &target).map_err(|e| AppError::io(&target, e))?;
    let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);

    let removed = rotate(folder, &sanitize(name), keep)?;
    tracing::info!(path = %target.display(), documents, change_rows, "backup written and verified");
    Ok(BackupReport {
        path: target,
        documents,
        change_rows,
        bytes,
        removed,
    })
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn create_private_dir(folder: &Path) -> Result<(), AppError> {
    std::fs::create_dir_all(folder).map_err(|e| AppError::io(folder, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| AppError::io(folder, e))?;
    }
    Ok(())
}

fn restrict(path: &Path) -> Result<(), AppError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| AppError::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Copies a live database with the online backup API: the copy is one consistent
/// snapshot even while other connections write.
fn copy_store(source: &Connection, target: &Path) -> Result<(), AppError> {
    let _ = std::fs::remove_file(target);
    let mut destination = Connection::open(target).map_err(|e| AppError::io(target, e))?;
    let backup = rusqlite::backup::Backup::new(source, &mut destination)
        .map_err(|e| AppError::io(target, e))?;
    backup
        .run_to_completion(256, Duration::from_millis(10), None)
        .map_err(|e| AppError::io(target, e))?;
    drop(backup);
    destination
        .pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| AppError::io(target, e))?;
    Ok(())
}

/// Opens a backup read-only and loads every document; returns the number of documents
/// and of change rows. Fails unless the facility document is there.
pub fn verify(path: &Path) -> Result<(usize, i64), AppError> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            AppError::InvalidBackup {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
    let invalid = |reason: String| AppError::InvalidBackup {
        path: path.to_path_buf(),
        reason,
    };
    let mut stmt = conn
        .prepare("SELECT doc, data FROM changes ORDER BY id")
        .map_err(|e| invalid(e.to_string()))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid(e.to_string()))?;
    let count = rows.len() as i64;

    let mut docs: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    for (doc, data) in rows {
        docs.entry(doc).or_default().extend_from_slice(&data);
    }
    for (doc_id, data) in &docs {
        let mut doc = automerge::Automerge::new();
        doc.load_incremental(data)
            .map_err(|e| invalid(format!("document {doc_id}: {e}")))?;
        if doc_id == FACILITY_DOC && !matches!(schema::read_settings(&doc), Ok(Some(_))) {
            return Err(invalid("the facility settings are missing".into()));
        }
    }
    if !docs.contains_key(FACILITY_DOC) {
        return Err(invalid("the facility document is missing".into()));
    }
    Ok((docs.len(), count))
}

/// Deletes the oldest backups of node `name` in `folder` beyond the `keep` newest.
fn rotate(folder: &Path, name: &str, keep: usize) -> Result<Vec<PathBuf>, AppError> {
    let prefix = format!("{PREFIX}{name}-");
    let mut backups: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| AppError::io(folder, e))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(SUFFIX))
        })
        .collect();
    // The time stamp in the name sorts in time order.
    backups.sort();
    let excess = backups.len().saturating_sub(keep.max(1));
    let removed: Vec<PathBuf> = backups.into_iter().take(excess).collect();
    for path in &removed {
        std::fs::remove_file(path).map_err(|e| AppError::io(path, e))?;
    }
    Ok(removed)
}

/// Puts the backup `file` in place of the store of the stopped node in `dir`. The
/// replaced store is kept beside it as `store.sqlite.before-restore-TIME`.
pub fn restore(dir: &DataDir, file: &Path) -> Result<PathBuf, AppError> {
    verify(file)?;
    let backup_facility = facility_id_of(file)?;
    if dir.store_path().exists() {
        let current = Store::open(&dir.store_path())?;
        let current_facility = current.local("facility_id")?;
        drop(current);
        if current_facility.is_some_and(|id| Some(&id) != backup_facility.as_ref()) {
            return Err(AppError::InvalidBackup {
                path: file.to_path_buf(),
                reason: "it belongs to another facility".into(),
            });
        }
    }

    let staged = dir.root.join("store.sqlite.restoring");
    std::fs::copy(file, &staged).map_err(|e| AppError::io(&staged, e))?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| AppError::io(&staged, e))?;
    restrict(&staged)?;

    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = dir
        .root
        .join(format!("store.sqlite.before-restore-{stamp}"));
    if dir.store_path().exists() {
        // The store was closed cleanly by its last connection, so its WAL is empty; moving
        // the three files together keeps the old store whole anyway.
        std::fs::rename(dir.store_path(), &kept).map_err(|e| AppError::io(&kept, e))?;
        for suffix in ["-wal", "-shm"] {
            let from = dir.root.join(format!("store.sqlite{suffix}"));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", kept.display()));
                std::fs::rename(&from, &to).map_err(|e| AppError::io(&to, e))?;
            }
        }
    }
    std::fs::rename(&staged, dir.store_path()).map_err(|e| AppError::io(dir.store_path(), e))?;
    tracing::info!(file = %file.display(), kept = %kept.display(), "store restored from a backup");
    Ok(kept)
}

fn facility_id_of(file: &Path) -> Result<Option<String>, AppError> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| AppError::io(file, e))?;
    let id = conn
        .query_row(
            "SELECT value FROM local WHERE key = 'facility_id'",
            [],
            |row| row.get(0),
        )
        .ok();
    Ok(id)
}
