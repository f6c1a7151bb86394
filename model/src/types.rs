//! Domain records of a facility: instruments, billing groups, users, sessions and tariffs.
//!
//! These are plain values. The CRDT schema (`crate::schema`) reads them from and writes
//! them to Automerge documents; the billing engine (`crate::billing`) prices sessions
//! with them. Instants are UTC; the facility's time zone is applied only for display
//! and billing.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::tariff::{DEFAULT_UNBILLED_KINDS, TariffRule};

/// Who pays for a billing group's sessions, which selects the tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A team of the institute itself.
    Internal,
    /// An external public laboratory of the CNRS.
    PublicCnrs,
    /// An external public laboratory outside the CNRS (university, other agency).
    PublicOther,
    /// A company.
    Industrial,
    /// Anything else (associations, schools, ...).
    Other,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Internal,
        Category::PublicCnrs,
        Category::PublicOther,
        Category::Industrial,
        Category::Other,
    ];

    /// The code used on the command line, in files and in documents.
    pub fn code(self) -> &'static str {
        match self {
            Category::Internal => "internal",
            Category::PublicCnrs => "public-cnrs",
            Category::PublicOther => "public-other",
            Category::Industrial => "industrial",
            Category::Other => "other",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for a category code that is not one of [`Category::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown category {0:?}: expected internal, public-cnrs, public-other, industrial or other"
)]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| UnknownCategory(s.to_string()))
    }
}

/// A user's level: 1 measures for their own group, 2 for any group, 3 administers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Level(u8);

/// Error for a level outside 1..=3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid level {0}: expected 1, 2 or 3")]
pub struct InvalidLevel(pub i64);

impl Level {
    pub const OWN_GROUP: Level = Level(1);
    pub const ANY_GROUP: Level = Level(2);
    pub const ADMIN: Level = Level(3);

    pub fn new(value: i64) -> Result<Level, InvalidLevel> {
        match value {
            1..=3 => Ok(Level(value as u8)),
            _ => Err(InvalidLevel(value)),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One instrument of the facility, identified by a short code such as `RMN400`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub code: String,
    pub name: String,
    /// Longest expected session in minutes; a longer one (a forgotten logout) is flagged
    /// for review and its billing held until an admin settles it.
    #[serde(default)]
    pub max_minutes: Option<u32>,
    /// Whether several sessions may run at once (e.g. with a sample changer).
    #[serde(default)]
    pub parallel: bool,
    /// Whether a session can only be stopped with observations.
    #[serde(default)]
    pub require_observations: bool,
}

/// How a control program is tied to the usage counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgramMode {
    /// Started by the node with the session; its exit closes the session.
    Light,
    /// Runs continuously; the user starts and stops the counter.
    Heavy,
}

impl ProgramMode {
    pub fn code(self) -> &'static str {
        match self {
            ProgramMode::Light => "light",
            ProgramMode::Heavy => "heavy",
        }
    }
}

impl FromStr for ProgramMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "light" => Ok(ProgramMode::Light),
            "heavy" => Ok(ProgramMode::Heavy),
            other => Err(other.to_string()),
        }
    }
}

/// An instrument's control program, launched and watched by the instrument's node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub instrument: String,
    pub name: String,
    pub mode: ProgramMode,
    /// Path of the executable.
    pub command: String,
    pub args: Vec<String>,
    /// Whether a second instance may run while one runs.
    pub multiple_instances: bool,
}

/// A notebook entry written outside the session form: an incident, a maintenance or a
/// safety record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotebookEntry {
    pub id: Uuid,
    pub instrument: String,
    /// `incident`, `maintenance` or `safety`.
    pub kind: String,
    pub text: String,
    pub author: String,
    pub at: DateTime<Utc>,
    /// The session running on the instrument when the entry was written, if any.
    pub session: Option<Uuid>,
    pub node: String,
}

/// A team or company that pays for sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingGroup {
    pub code: String,
    pub name: String,
    pub category: Category,
}

/// A person who may log in on any node of the facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub login: String,
    pub name: String,
    pub level: Level,
    /// Code of the billing group the user belongs to; level 1 users bill only it.
    pub group: String,
    /// Argon2id hash in PHC string form; replicated so login works offline everywhere.
    pub password_hash: String,
    pub active: bool,
}

/// One use of an instrument ("passage").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: Uuid,
    pub instrument: String,
    /// Login of the user who measured, or the name written in a paper logbook.
    pub operator: String,
    /// Code of the billing group that pays.
    pub group: String,
    pub start: DateTime<Utc>,
    /// `None` while the session is running.
    pub end: Option<DateTime<Utc>>,
    /// Kind of measurement, free text such as `proton` or `maintenance`.
    pub kind: String,
    pub samples: u32,
    pub observations: String,
    /// False for sessions an admin recorded as not to be billed.
    pub billable: bool,
    /// Node ID (hex) of the node that recorded the session.
    pub node: String,
    /// Name of the tariff package the user chose for this session, such as `weekend`.
    #[serde(default)]
    pub package: Option<String>,
    /// End of the booking, when the session was booked; time beyond it may be billed in
    /// steps (see `TariffRule::overrun_step_minutes`).
    #[serde(default)]
    pub booked_end: Option<DateTime<Utc>>,
    /// Name of the control program the session runs with, if any.
    #[serde(default)]
    pub program: Option<String>,
    /// Why the session awaits an admin's review (billing held), if it does: for example
    /// `closed-at-heartbeat` after a crash or `over-max-length` for a forgotten logout.
    #[serde(default)]
    pub review: Option<String>,
}

/// One version of the price rule of one instrument for one billing category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    pub instrument: String,
    pub category: Category,
    /// First local date the rule applies to; `None` for a rule that applies to every
    /// session before the next version. A session is billed with the version in force at
    /// its start, so a new price never rewrites past invoices.
    pub effective_from: Option<chrono::NaiveDate>,
    pub rule: TariffRule,
}

/// Session kinds that are never billed when no tariff lists its own: the instrument was
/// not available to a user.
pub const UNBILLED_KINDS: [&str; 3] = DEFAULT_UNBILLED_KINDS;

impl Session {
    /// Checks whether the session is priced at all: billable, closed, and not of a default
    /// unbilled kind. A tariff may list other kinds in `TariffRule::unbilled_kinds`.
    pub fn is_billed(&self) -> bool {
        let kind = self.kind.trim().to_lowercase();
        self.billable && self.end.is_some() && !UNBILLED_KINDS.contains(&kind.as_str())
    }
}
