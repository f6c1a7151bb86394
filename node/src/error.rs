//! Errors a user sees, each rendered in their language with the value at fault and what to
//! do next.

use std::path::PathBuf;

use progmanager_model::billing::BillingError;
use progmanager_model::grid::GridImportError;
use progmanager_model::logbook::{LogbookError, LogbookErrorKind};
use progmanager_model::permissions::{Action, Denied};
use progmanager_sync::identity::IdentityError;

use crate::store::StoreError;
use crate::tr;

/// Every error a command can end with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(
        "data directory {dir} holds no node: run `progmanager init` or `progmanager run` first"
    )]
    NotInitialized { dir: PathBuf },
    #[error("data directory {dir} already holds a node")]
    AlreadyInitialized { dir: PathBuf },
    #[error("another node is running on data directory {dir} (process {pid})")]
    AlreadyRunning { dir: PathBuf, pid: String },
    #[error("{file}: {error}")]
    TariffGrid {
        file: PathBuf,
        error: Box<progmanager_model::grid::GridImportError>,
    },
    #[error("the tariff of {instrument} for {category} has no conflicting values")]
    NoTariffConflict {
        instrument: String,
        category: String,
    },
    #[error("instrument {instrument}: a session stops only with observations")]
    ObservationsRequired { instrument: String },
    #[error("instrument {instrument} has no program {name:?}")]
    UnknownProgram { instrument: String, name: String },
    #[error("no node runs on this data directory to launch and watch the program")]
    ProgramNeedsNode,
    #[error("program {name:?} already runs and allows one instance")]
    ProgramAlreadyRunning { name: String },
    #[error("the node did not launch program {name:?}: {reason}")]
    ProgramNotLaunched { name: String, reason: String },
    #[error("unknown member node {id}")]
    UnknownMember { id: String },
    #[error("a node cannot remove itself")]
    RemoveSelf,
    #[error("{path}: not a valid backup: {reason}")]
    InvalidBackup { path: PathBuf, reason: String },
    #[error("no backup folder: give --to DIR or set one with --set-dir DIR")]
    NoBackupFolder,
    #[error("user {login:?} is locked after too many failed logins")]
    LoginLocked { login: String, minutes: i64 },
    #[error("no session, instrument, group, user, tariff or node has the ID {id:?}")]
    UnknownRecord { id: String },
    #[error("unknown session {id}")]
    UnknownSession { id: String },
    #[error("no node is running on this data directory")]
    NodeNotRunning,
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("this command acts for a user: give --user LOGIN")]
    UserRequired,
    #[error("login failed for user {login:?}")]
    LoginFailed { login: String },
    #[error("no password: set {variable} or run the command in a terminal")]
    PasswordMissing { variable: &'static str },
    #[error("the two passwords differ")]
    PasswordMismatch,
    #[error("permission denied: {denied} (action: {action})")]
    Denied { denied: Denied, action: String },
    #[error("unknown instrument {code:?}")]
    UnknownInstrument { code: String },
    #[error("unknown billing group {code:?}")]
    UnknownGroup { code: String },
    #[error("unknown user {login:?}")]
    UnknownUser { login: String },
    #[error("user {login:?} already exists")]
    UserExists { login: String },
    #[error("invalid {field} {value:?}")]
    InvalidValue { field: &'static str, value: String },
    #[error("instrument {instrument} is in use by {operator} since {since}")]
    InstrumentBusy {
        instrument: String,
        operator: String,
        since: String,
    },
    #[error("no running session on instrument {instrument}")]
    NoOpenSession { instrument: String },
    #[error("{file}: {count} invalid rows, nothing imported")]
    Logbook {
        file: PathBuf,
        errors: Vec<LogbookError>,
        count: usize,
    },
    #[error("{file}: unknown billing groups, nothing imported")]
    ImportUnknownGroups {
        file: PathBuf,
        groups: Vec<(String, usize)>,
    },
    #[error(transparent)]
    Billing(#[from] BillingError),
    #[error("invalid invitation: {reason}")]
    InvalidInvitation { reason: String },
    #[error("the inviting node rejected the invitation: {reason}")]
    JoinRejected { reason: String },
    #[error("joining failed: {detail}")]
    JoinFailed { detail: String },
    #[error("network error: {detail}")]
    Network { detail: String },
    #[error(transparent)]
    Invoice(#[from] crate::invoice::InvoiceError),
    #[error("the document data is invalid: {0}")]
    Schema(#[from] progmanager_model::schema::SchemaError),
}

impl AppError {
    pub fn io(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> AppError {
        AppError::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }

    pub fn denied(denied: Denied, action: &Action<'_>) -> AppError {
        AppError::Denied {
            denied,
            action: tr!(action.message_id()),
        }
    }

    pub fn invalid(field: &'static str, value: impl Into<String>) -> AppError {
        AppError::InvalidValue {
            field,
            value: value.into(),
        }
    }

    /// The message in the user's language, possibly on several lines.
    pub fn localized(&self) -> String {
        match self {
            AppError::NotInitialized { dir } => {
                tr!("error-not-initialized", dir = dir.display().to_string())
            }
            AppError::AlreadyInitialized { dir } => {
                tr!("error-already-initialized", dir = dir.display().to_string())
            }
            AppError::AlreadyRunning { dir, pid } => tr!(
                "error-already-running",
                dir = dir.display().to_string(),
                pid = pid.clone()
            ),
            AppError::NodeNotRunning => tr!("error-node-not-running"),
            AppError::InvalidBackup { path, reason } => tr!(
                "error-invalid-backup",
                path = path.display().to_string(),
                reason = reason.clone()
            ),
            AppError::NoBackupFolder => tr!("error-no-backup-folder"),
            AppError::LoginLocked { login, minutes } => {
                tr!(
                    "error-login-locked",
                    login = login.clone(),
                    minutes = *minutes
                )
            }
            AppError::UnknownSession { id } => tr!("error-unknown-session", id = id.clone()),
            AppError::UnknownRecord { id } => tr!("error-unknown-record", id = id.clone()),
            AppError::UnknownMember { id } => tr!("error-unknown-member", id = id.clone()),
            AppError::ObservationsRequired { instrument } => {
                tr!(
                    "error-observations-required",
                    instrument = instrument.clone()
                )
            }
            AppError::UnknownProgram { instrument, name } => tr!(
                "error-unknown-program",
                instrument = instrument.clone(),
                name = name.clone()
            ),
            AppError::ProgramNeedsNode => tr!("error-program-needs-node"),
            AppError::ProgramAlreadyRunning { name } => {
                tr!("error-program-already-running", name = name.clone())
            }
            AppError::ProgramNotLaunched { name, reason } => tr!(
                "error-program-not-launched",
                name = name.clone(),
                reason = reason.clone()
            ),
            AppError::TariffGrid { file, error } => localize_grid(file, error),
            AppError::NoTariffConflict {
                instrument,
                category,
            } => tr!(
                "error-no-tariff-conflict",
                instrument = instrument.clone(),
                category = category.clone()
            ),
            AppError::RemoveSelf => tr!("error-remove-self"),
            AppError::Io { path, message } => tr!(
                "error-io",
                path = path.display().to_string(),
                detail = message.clone()
            ),
            AppError::Store(err) => tr!("error-store", detail = err.to_string()),
            AppError::Identity(err) => tr!("error-identity", detail = err.to_string()),
            AppError::UserRequired => tr!("error-user-required"),
            AppError::LoginFailed { login } => tr!("error-login-failed", login = login.clone()),
            AppError::PasswordMissing { variable } => {
                tr!("error-password-missing", variable = *variable)
            }
            AppError::PasswordMismatch => tr!("error-password-mismatch"),
            AppError::Denied { denied, action } => localize_denied(denied, action),
            AppError::UnknownInstrument { code } => {
                tr!("error-unknown-instrument", code = code.clone())
            }
            AppError::UnknownGroup { code } => tr!("error-unknown-group", code = code.clone()),
            AppError::UnknownUser { login } => tr!("error-unknown-user", login = login.clone()),
            AppError::UserExists { login } => tr!("error-user-exists", login = login.clone()),
            AppError::InvalidValue { field, value } => tr!(
                "error-invalid-value",
                field = tr!(&format!("field-{field}")),
                value = value.clone()
            ),
            AppError::InstrumentBusy {
                instrument,
                operator,
                since,
            } => tr!(
                "error-instrument-busy",
                instrument = instrument.clone(),
                operator = operator.clone(),
                since = since.clone()
            ),
            AppError::NoOpenSession { instrument } => {
                tr!("error-no-open-session", instrument = instrument.clone())
            }
            AppError::Logbook {
                file,
                errors,
                count,
            } => localize_logbook(file, errors, *count),
            AppError::ImportUnknownGroups { file, groups } => localize_unknown_groups(file, groups),
            AppError::Billing(err) => localize_billing(err),
            AppError::InvalidInvitation { reason } => {
                tr!("error-invalid-invitation", reason = reason.clone())
            }
            AppError::JoinRejected { reason } => {
                tr!("error-join-rejected", reason = reason.clone())
            }
            AppError::JoinFailed { detail } => tr!("error-join-failed", detail = detail.clone()),
            AppError::Network { detail } => tr!("error-network", detail = detail.clone()),
            AppError::Schema(err) => tr!("error-schema", detail = err.to_string()),
            AppError::Invoice(err) => err.localized(),
        }
    }
}

fn localize_denied(denied: &Denied, action: &str) -> String {
    match denied {
        Denied::Disabled { login } => tr!("denied-disabled", login = login.clone()),
        Denied::LevelTooLow {
            login,
            level,
            required,
        } => tr!(
            "denied-level",
            login = login.clone(),
            level = level.get(),
            required = required.get(),
            action = action.to_string()
        ),
        Denied::OtherGroup {
            login,
            own,
            requested,
        } => tr!(
            "denied-other-group",
            login = login.clone(),
            own = own.clone(),
            requested = requested.clone()
        ),
    }
}

fn localize_logbook(file: &std::path::Path, errors: &[LogbookError], count: usize) -> String {
    let mut out = tr!(
        "import-invalid-rows",
        file = file.display().to_string(),
        count = count
    );
    for error in errors {
        let detail = localize_logbook_error(error);
        let file = file.display().to_string();
        let line = if error.column.is_empty() {
            tr!(
                "import-line-error",
                file = file,
                line = error.line,
                detail = detail
            )
        } else {
            tr!(
                "import-row-error",
                file = file,
                line = error.line,
                column = error.column.clone(),
                detail = detail
            )
        };
        out.push('\n');
        out.push_str(&line);
    }
    out
}

fn localize_logbook_error(error: &LogbookError) -> String {
    let id = error.kind.message_id();
    match &error.kind {
        LogbookErrorKind::MissingColumn(name) => {
            tr!(id, value = tr!(&format!("logbook-column-{name}")))
        }
        LogbookErrorKind::WrongFieldCount { expected, found } => tr!(
            id,
            expected = *expected,
            found = *found,
            value = error.value.clone()
        ),
        _ => tr!(id, value = error.value.clone()),
    }
}

fn localize_unknown_groups(file: &std::path::Path, groups: &[(String, usize)]) -> String {
    let mut out = tr!("import-unknown-groups", file = file.display().to_string());
    for (code, line) in groups {
        out.push('\n');
        out.push_str(&tr!(
            "import-unknown-group-line",
            file = file.display().to_string(),
            line = *line,
            code = code.clone()
        ));
    }
    out
}

fn localize_billing(err: &BillingError) -> String {
    match err {
        BillingError::UnknownGroup { session, group } => tr!(
            "billing-unknown-group",
            session = session.to_string(),
            group = group.clone()
        ),
        BillingError::MissingTariff {
            instrument,
            category,
            session,
        } => tr!(
            "billing-missing-tariff",
            instrument = instrument.clone(),
            category = category.code(),
            session = session.to_string()
        ),
        BillingError::EndBeforeStart { session, .. } => {
            tr!("billing-end-before-start", session = session.to_string())
        }
        BillingError::AmountOverflow { session } => {
            tr!("billing-overflow", session = session.to_string())
        }
        BillingError::TotalOverflow => tr!("billing-overflow", session = "-"),
    }
}

fn localize_grid(file: &std::path::Path, error: &GridImportError) -> String {
    let file = file.display().to_string();
    match error {
        GridImportError::Syntax {
            line,
            field,
            value,
            message,
        } => tr!(
            "tariff-grid-syntax",
            file = file,
            line = *line,
            field = field.clone().unwrap_or_default(),
            value = value.clone().unwrap_or_default(),
            detail = message.clone()
        ),
        GridImportError::InvalidRule {
            line,
            instrument,
            category,
            source,
        } => tr!(
            "tariff-grid-invalid-rule",
            file = file,
            line = *line,
            instrument = instrument.clone(),
            category = category.code(),
            field = source.field.to_string(),
            value = source.value.clone(),
            detail = source.reason.to_string()
        ),
        GridImportError::Duplicate {
            line,
            first_line,
            instrument,
            category,
            ..
        } => tr!(
            "tariff-grid-duplicate",
            file = file,
            line = *line,
            first = *first_line,
            instrument = instrument.clone(),
            category = category.code()
        ),
    }
}
