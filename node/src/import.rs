//! Import of a paper logbook page transcribed as tab-separated text.
//!
//! The import is all or nothing: every row is parsed and checked first, and the sessions
//! (and any group created on request) are then written in one atomic batch. Rows that
//! repeat a session already recorded (same instrument, start, end, group and operator) are
//! skipped, so importing a file twice records it once. Overlapping sessions are imported
//! with a warning, because real logbooks contain them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use progmanager_model::logbook::{LogbookRow, parse_passages};
use progmanager_model::permissions::Action;
use progmanager_model::{BillingGroup, Category, Session, User};
use uuid::Uuid;

use crate::error::AppError;
use crate::node::Node;
use crate::ops;

/// What an import did, for the report printed to the user.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    /// Lines skipped because the same session is already recorded.
    pub duplicates: Vec<usize>,
    /// Pairs of overlapping sessions: the line, and the other line (or `None` for a session
    /// recorded before the import).
    pub overlaps: Vec<(usize, Option<usize>)>,
    /// Lines whose end is on the next day.
    pub across_midnight: Vec<usize>,
    pub created_groups: Vec<String>,
}

/// Key that identifies the same session recorded twice.
type SessionKey = (DateTime<Utc>, DateTime<Utc>, String, String);

pub fn import_passages(
    node: &mut Node,
    user: &User,
    file: &Path,
    instrument: &str,
    create_groups: Option<Category>,
) -> Result<ImportReport, AppError> {
    ops::require(user, Action::ImportLogbook)?;
    if !ops::instruments(node)?.iter().any(|i| i.code == instrument) {
        return Err(AppError::UnknownInstrument {
            code: instrument.to_string(),
        });
    }

    let text = ops::read_text(file)?;
    let tz = node.timezone()?;
    let rows = parse_passages(&text, tz).map_err(|errors| AppError::Logbook {
        file: file.to_path_buf(),
        count: errors.len(),
        errors,
    })?;

    let mut report = ImportReport::default();
    let new_groups = groups_to_create(node, file, &rows, create_groups)?;
    report.created_groups = new_groups.iter().map(|g| g.code.clone()).collect();

    let existing: Vec<Session> = ops::sessions(node)?
        .into_iter()
        .filter(|s| s.instrument == instrument)
        .collect();
    let known: HashSet<SessionKey> = existing.iter().filter_map(session_key).collect();

    let mut accepted: Vec<(usize, Session)> = Vec::new();
    for row in &rows {
        let session = session_from_row(node, instrument, row);
        let key = session_key(&session);
        if key.is_some_and(|k| known.contains(&k)) {
            report.duplicates.push(row.line);
            continue;
        }
        if row.crosses_midnight {
            report.across_midnight.push(row.line);
        }
        accepted.push((row.line, session));
    }
    report.overlaps = find_overlaps(&accepted, &existing);

    let sessions: Vec<Session> = accepted.into_iter().map(|(_, s)| s).collect();
    ops::write_sessions(node, user, &new_groups, &sessions)?;
    report.imported = sessions.len();
    Ok(report)
}

/// Groups of the file that do not exist: created in `category` when given, else an error
/// listing each with its first line.
fn groups_to_create(
    node: &Node,
    file: &Path,
    rows: &[LogbookRow],
    category: Option<Category>,
) -> Result<Vec<BillingGroup>, AppError> {
    let known: HashSet<String> = ops::groups(node)?.into_iter().map(|g| g.code).collect();
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        if !known.contains(&row.group) {
            missing.entry(row.group.clone()).or_insert(row.line);
        }
    }
    if missing.is_empty() {
        return Ok(Vec::new());
    }

    let Some(category) = category else {
        let mut groups: Vec<(String, usize)> = missing.into_iter().collect();
        groups.sort_by_key(|(_, line)| *line);
        return Err(AppError::ImportUnknownGroups {
            file: file.to_path_buf(),
            groups,
        });
    };
    for code in missing.keys() {
        ops::validate_code("group", code)?;
    }
    Ok(missing
        .into_keys()
        .map(|code| BillingGroup {
            name: code.clone(),
            code,
            category,
        })
        .collect())
}

fn session_from_row(node: &Node, instrument: &str, row: &LogbookRow) -> Session {
    Session {
        id: Uuid::now_v7(),
        instrument: instrument.to_string(),
        operator: row.operator.clone(),
        group: row.group.clone(),
        start: row.start,
        end: Some(row.end),
        kind: row.kind.clone(),
        samples: 0,
        observations: row.observations.clone(),
        billable: true,
        node: node.node_id.to_string(),
        package: None,
        booked_end: None,
        program: None,
        review: None,
    }
}

fn session_key(session: &Session) -> Option<SessionKey> {
    Some((
        session.start,
        session.end?,
        session.group.clone(),
        session.operator.clone(),
    ))
}

fn overlaps(a_start: DateTime<Utc>, a_end: DateTime<Utc>, b: &Session) -> bool {
    match b.end {
        Some(b_end) => a_start < b_end && b.start < a_end,
        None => b.start < a_end,
    }
}

fn find_overlaps(
    accepted: &[(usize, Session)],
    existing: &[Session],
) -> Vec<(usize, Option<usize>)> {
    let mut found = Vec::new();
    for (i, (line, session)) in accepted.iter().enumerate() {
        let Some(end) = session.end else { continue };
        for (other_line, other) in &accepted[i + 1..] {
            if overlaps(session.start, end, other) {
                found.push((*line, Some(*other_line)));
            }
        }
        if existing
            .iter()
            .any(|other| overlaps(session.start, end, other))
        {
            found.push((*line, None));
        }
    }
    found
}
