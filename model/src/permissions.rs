//! The one place that decides whether a user may perform an action.
//!
//! Every entry point (command line, web interface, and later remote changes) asks
//! [`check`], so the rules cannot drift apart between them.

use crate::types::{Level, User};

/// Something a user asks to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// Record a billed session for billing group `group`.
    RecordSession {
        group: &'a str,
    },
    /// Record a session that is not billed to anyone.
    RecordUnbilledSession,
    /// Stop a running session started by `operator`.
    StopSession {
        operator: &'a str,
    },
    /// Correct a recorded session (times, group, kind, billing).
    EditSessions,
    EditInstruments,
    EditGroups,
    EditTariffs,
    EditUsers,
    /// Define the control programs of instruments.
    EditPrograms,
    EditSettings,
    ImportLogbook,
    ViewInvoices,
    ViewLogs,
    /// See who changed a record, when and how.
    ViewHistory,
    ManageMembers,
}

impl Action<'_> {
    /// Stable ID of the action, used to look up its name in the user's language.
    pub fn message_id(&self) -> &'static str {
        match self {
            Action::RecordSession { .. } => "action-record-session",
            Action::RecordUnbilledSession => "action-record-unbilled-session",
            Action::StopSession { .. } => "action-stop-session",
            Action::EditSessions => "action-edit-sessions",
            Action::EditInstruments => "action-edit-instruments",
            Action::EditGroups => "action-edit-groups",
            Action::EditTariffs => "action-edit-tariffs",
            Action::EditUsers => "action-edit-users",
            Action::EditPrograms => "action-edit-programs",
            Action::EditSettings => "action-edit-settings",
            Action::ImportLogbook => "action-import-logbook",
            Action::ViewInvoices => "action-view-invoices",
            Action::ViewLogs => "action-view-logs",
            Action::ViewHistory => "action-view-history",
            Action::ManageMembers => "action-manage-members",
        }
    }
}

/// Reason an action was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("user {login:?} is disabled")]
    Disabled { login: String },
    #[error("user {login:?} has level {level} and this action needs level {required}")]
    LevelTooLow {
        login: String,
        level: Level,
        required: Level,
    },
    #[error(
        "user {login:?} may only record sessions for their own group {own:?}, not {requested:?}"
    )]
    OtherGroup {
        login: String,
        own: String,
        requested: String,
    },
}

/// Decides whether `user` may perform `action`.
pub fn check(user: &User, action: &Action<'_>) -> Result<(), Denied> {
    if !user.active {
        return Err(Denied::Disabled {
            login: user.login.clone(),
        });
    }

    let required = required_level(user, action);
    if user.level < required {
        if let Action::RecordSession { group } = action {
            return Err(Denied::OtherGroup {
                login: user.login.clone(),
                own: user.group.clone(),
                requested: group.to_string(),
            });
        }
        return Err(Denied::LevelTooLow {
            login: user.login.clone(),
            level: user.level,
            required,
        });
    }
    Ok(())
}

fn required_level(user: &User, action: &Action<'_>) -> Level {
    match action {
        Action::RecordSession { group } if *group == user.group => Level::OWN_GROUP,
        Action::RecordSession { .. } => Level::ANY_GROUP,
        Action::StopSession { operator } if *operator == user.login => Level::OWN_GROUP,
        Action::StopSession { .. } => Level::ADMIN,
        Action::RecordUnbilledSession
        | Action::EditSessions
        | Action::EditInstruments
        | Action::EditGroups
        | Action::EditTariffs
        | Action::EditUsers
        | Action::EditPrograms
        | Action::EditSettings
        | Action::ImportLogbook
        | Action::ViewInvoices
        | Action::ViewLogs
        | Action::ViewHistory
        | Action::ManageMembers => Level::ADMIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(level: i64) -> User {
        User {
            login: format!("u{level}"),
            name: String::new(),
            level: Level::new(level).expect("valid level"),
            group: "LMCP".into(),
            password_hash: String::new(),
            active: true,
        }
    }

    #[test]
    fn level_one_records_only_own_group() {
        let u = user(1);
        assert_eq!(check(&u, &Action::RecordSession { group: "LMCP" }), Ok(()));
        assert!(matches!(
            check(&u, &Action::RecordSession { group: "AREVA" }),
            Err(Denied::OtherGroup { .. })
        ));
        assert!(matches!(
            check(&u, &Action::EditTariffs),
            Err(Denied::LevelTooLow { .. })
        ));
    }

    #[test]
    fn level_two_records_any_group_but_does_not_administer() {
        let u = user(2);
        assert_eq!(check(&u, &Action::RecordSession { group: "AREVA" }), Ok(()));
        assert!(check(&u, &Action::RecordUnbilledSession).is_err());
        assert!(check(&u, &Action::EditGroups).is_err());
    }

    #[test]
    fn level_three_does_everything() {
        let u = user(3);
        for action in [
            Action::RecordSession { group: "AREVA" },
            Action::RecordUnbilledSession,
            Action::StopSession { operator: "other" },
            Action::EditSessions,
            Action::EditInstruments,
            Action::EditGroups,
            Action::EditTariffs,
            Action::EditUsers,
            Action::EditPrograms,
            Action::EditSettings,
            Action::ImportLogbook,
            Action::ViewInvoices,
            Action::ViewLogs,
            Action::ViewHistory,
            Action::ManageMembers,
        ] {
            assert_eq!(check(&u, &action), Ok(()), "{action:?}");
        }
    }

    #[test]
    fn disabled_user_is_denied_everything() {
        let mut u = user(3);
        u.active = false;
        assert!(matches!(
            check(&u, &Action::RecordSession { group: "LMCP" }),
            Err(Denied::Disabled { .. })
        ));
    }

    #[test]
    fn only_operator_or_admin_stops_a_session() {
        let u = user(2);
        assert_eq!(check(&u, &Action::StopSession { operator: "u2" }), Ok(()));
        assert!(check(&u, &Action::StopSession { operator: "other" }).is_err());
    }
}
