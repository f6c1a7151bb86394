//! `logs`, `history`, `backup` and `restore`.

use std::path::{Path, PathBuf};

use progmanager_model::permissions::Action;

use crate::auth;
use crate::backup;
use crate::cli::{BackupArgs, Format};
use crate::cmd::report::print_rows;
use crate::cmd::setup::LOG_DIR;
use crate::error::AppError;
use crate::history::{self, RecordLocation};
use crate::net::run::{InstanceLock, running_pid};
use crate::node::{Config, DataDir, Node};
use crate::ops;
use crate::tr;

/// Log files of the data directory, oldest first (their names end with the date).
fn log_files(dir: &DataDir) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.root.join(LOG_DIR))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

pub fn logs(
    node: &Node,
    user: Option<&str>,
    save: Option<&Path>,
    lines: usize,
) -> Result<(), AppError> {
    let admin = auth::login(node, user)?;
    ops::require(&admin, Action::ViewLogs)?;
    let files = log_files(&node.dir);

    if let Some(target) = save {
        let mut all = Vec::new();
        for file in &files {
            all.extend(std::fs::read(file).map_err(|e| AppError::io(file, e))?);
        }
        std::fs::write(target, &all).map_err(|e| AppError::io(target, e))?;
        println!(
            "{}",
            tr!(
                "logs-saved",
                file = target.display().to_string(),
                count = files.len()
            )
        );
        return Ok(());
    }

    let mut recent: Vec<String> = Vec::new();
    for file in files.iter().rev() {
        let text = std::fs::read_to_string(file).map_err(|e| AppError::io(file, e))?;
        let mut lines_of_file: Vec<String> = text.lines().map(str::to_string).collect();
        lines_of_file.append(&mut recent);
        recent = lines_of_file;
        if recent.len() >= lines {
            break;
        }
    }
    let skip = recent.len().saturating_sub(lines);
    for line in &recent[skip..] {
        println!("{line}");
    }
    Ok(())
}

pub fn history(
    node: &Node,
    user: Option<&str>,
    record_id: &str,
    format: Format,
) -> Result<(), AppError> {
    let admin = auth::login(node, user)?;
    ops::require(&admin, Action::ViewHistory)?;
    let location = locate(node, record_id)?;
    let doc = node
        .store
        .doc(&location.doc)
        .ok_or_else(|| AppError::UnknownRecord {
            id: record_id.to_string(),
        })?;
    let entries = history::record_history(doc, &location);
    let tz = node.timezone()?;
    let names: std::collections::HashMap<String, String> = ops::members(node)?
        .into_iter()
        .map(|m| (m.node_id, m.name))
        .collect();

    if format == Format::Json {
        println!("{}", serde_json::to_value(&entries).unwrap_or_default());
        return Ok(());
    }
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                e.time
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                e.user.clone(),
                names
                    .get(&e.node)
                    .cloned()
                    .unwrap_or_else(|| e.node.chars().take(8).collect()),
                e.field.clone(),
                e.old.clone().unwrap_or_default(),
                e.new.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_rows(
        format,
        &["time", "user", "node", "field", "old", "new"],
        rows,
    );
    Ok(())
}

/// Finds a record: a session by ID, else a facility record by code, login or node ID.
fn locate(node: &Node, record_id: &str) -> Result<RecordLocation, AppError> {
    if let Some(doc) = node.store.session_doc(record_id)? {
        return Ok(RecordLocation {
            doc,
            root_map: "sessions",
            key: record_id.to_string(),
        });
    }
    history::locate_in_facility(node.facility_doc()?, record_id).ok_or_else(|| {
        AppError::UnknownRecord {
            id: record_id.to_string(),
        }
    })
}

pub fn backup(node: &Node, user: Option<&str>, args: &BackupArgs) -> Result<(), AppError> {
    let admin = auth::login(node, user)?;
    ops::require(&admin, Action::EditSettings)?;
    let mut config = Config::load(&node.dir)?;
    if let Some(dir) = &args.set_dir {
        let absolute = std::path::absolute(dir).map_err(|e| AppError::io(dir, e))?;
        config.backup_dir = Some(absolute);
        if let Some(minutes) = args.every_minutes {
            config.backup_every_minutes = minutes.max(1);
        }
        if let Some(changes) = args.after_changes {
            config.backup_after_changes = changes;
        }
        if let Some(keep) = args.keep {
            config.backup_keep = keep.max(1);
        }
        config.save(&node.dir)?;
        println!(
            "{}",
            tr!(
                "backup-configured",
                dir = config
                    .backup_dir
                    .as_ref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
                minutes = config.backup_every_minutes,
                changes = config.backup_after_changes,
                keep = config.backup_keep
            )
        );
    }

    let folder = args
        .to
        .clone()
        .or(config.backup_dir.clone())
        .ok_or(AppError::NoBackupFolder)?;
    let report = backup::back_up(
        &node.dir.store_path(),
        &node.name()?,
        &folder,
        config.backup_keep,
    )?;
    println!(
        "{}",
        tr!(
            "backup-done",
            file = report.path.display().to_string(),
            documents = report.documents,
            rows = report.change_rows,
            removed = report.removed.len()
        )
    );
    Ok(())
}

pub fn restore(dir: &DataDir, user: Option<&str>, file: &Path) -> Result<(), AppError> {
    if let Some(pid) = running_pid(dir) {
        return Err(AppError::AlreadyRunning {
            dir: dir.root.clone(),
            pid,
        });
    }
    let _lock = InstanceLock::acquire(dir)?;
    // With a store in place, only its administrator may replace it; a node whose store
    // was lost has nobody to ask.
    if dir.store_path().exists() {
        let node = Node::open(dir.clone())?;
        let admin = auth::login(&node, user)?;
        ops::require(&admin, Action::EditSettings)?;
    }
    let kept = backup::restore(dir, file)?;
    println!(
        "{}",
        tr!(
            "restore-done",
            file = file.display().to_string(),
            kept = kept.display().to_string()
        )
    );
    Ok(())
}
