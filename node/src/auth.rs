//! Logging in a user for a command: password from the environment or a prompt, checked
//! against the replicated argon2id hash, so it works offline on any node.

use std::io::IsTerminal;

use chrono::Utc;
use progmanager_model::User;
use progmanager_model::password::verify_password;
use progmanager_model::permissions::Denied;
use progmanager_model::schema::read_users;
use rusqlite::Connection;

use crate::error::AppError;
use crate::node::Node;
use crate::tr;

/// Environment variable with the password of `--user`.
pub const PASSWORD_VAR: &str = "PROGMANAGER_PASSWORD";
/// Environment variable with a new password for `user add` and `user passwd`.
pub const NEW_PASSWORD_VAR: &str = "PROGMANAGER_NEW_PASSWORD";

/// Failed logins in a row after which a login is locked on this node.
const MAX_FAILURES: i64 = 5;
/// How long a locked login stays locked, in minutes.
const LOCK_MINUTES: i64 = 15;

/// Checks the password of `login` and returns the user.
///
/// Failed attempts are counted per node: each one waits longer before answering (250 ms,
/// doubling, at most 4 s), and after five in a row the login is locked on this node for
/// fifteen minutes. A success clears the count.
pub fn login(node: &Node, login: Option<&str>) -> Result<User, AppError> {
    let login = login.ok_or(AppError::UserRequired)?;
    check_not_locked(node, login)?;
    let password = read_password(PASSWORD_VAR, &tr!("prompt-password", login = login), false)?;
    check_password(node, login, &password)
}

/// Fails when `login` is locked on this node after repeated failures.
pub fn check_not_locked(node: &Node, login: &str) -> Result<(), AppError> {
    let now = Utc::now().timestamp_millis();
    if let Some(until) = locked_until(node.store.connection(), login)
        && until > now
    {
        tracing::warn!(user = login, "login attempt on a locked login");
        return Err(AppError::LoginLocked {
            login: login.to_string(),
            minutes: (until - now + 59_999) / 60_000,
        });
    }
    Ok(())
}

/// Checks `password` for `login` (already known not to be locked), counting failures;
/// every interface (command line, web) logs users in through this function.
pub fn check_password(node: &Node, login: &str, password: &str) -> Result<User, AppError> {
    check_not_locked(node, login)?;
    let conn = node.store.connection();
    let now = Utc::now().timestamp_millis();
    let users = read_users(node.facility_doc()?)?;
    let user = users.into_iter().find(|u| u.login == login);

    // The same error for an unknown login and a wrong password, so logins cannot be probed.
    match user {
        Some(user) if verify_password(password, &user.password_hash) => {
            let _ = conn.execute("DELETE FROM login_failures WHERE login = ?1", [login]);
            if !user.active {
                let denied = Denied::Disabled {
                    login: user.login.clone(),
                };
                return Err(AppError::Denied {
                    denied,
                    action: tr!("action-log-in"),
                });
            }
            Ok(user)
        }
        _ => {
            let count = record_failure(conn, login, now);
            tracing::warn!(user = login, failures = count, "login failed");
            let delay = 250u64
                .saturating_mul(1 << (count - 1).clamp(0, 4))
                .min(4_000);
            std::thread::sleep(std::time::Duration::from_millis(delay));
            Err(AppError::LoginFailed {
                login: login.to_string(),
            })
        }
    }
}

fn locked_until(conn: &Connection, login: &str) -> Option<i64> {
    conn.query_row(
        "SELECT locked_until_ms FROM login_failures WHERE login = ?1",
        [login],
        |row| row.get::<_, Option<i64>>(0),
    )
    .ok()
    .flatten()
}

/// Counts a failure and locks the login after too many; returns the count.
fn record_failure(conn: &Connection, login: &str, now: i64) -> i64 {
    let count: i64 = conn
        .query_row(
            "INSERT INTO login_failures (login, count) VALUES (?1, 1)
             ON CONFLICT(login) DO UPDATE SET count = count + 1
             RETURNING count",
            [login],
            |row| row.get(0),
        )
        .unwrap_or(1);
    if count >= MAX_FAILURES {
        let until = now + LOCK_MINUTES * 60_000;
        let _ = conn.execute(
            "UPDATE login_failures SET locked_until_ms = ?2, count = 0 WHERE login = ?1",
            rusqlite::params![login, until],
        );
        tracing::warn!(
            user = login,
            minutes = LOCK_MINUTES,
            "login locked after repeated failures"
        );
    }
    count
}

/// Reads a password from `variable`, else from the terminal (twice when `confirm`).
pub fn read_password(
    variable: &'static str,
    prompt: &str,
    confirm: bool,
) -> Result<String, AppError> {
    if let Ok(password) = std::env::var(variable) {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(AppError::PasswordMissing { variable });
    }
    let first = rpassword::prompt_password(prompt).map_err(|e| AppError::io("terminal", e))?;
    if confirm {
        let second = rpassword::prompt_password(tr!("prompt-password-again"))
            .map_err(|e| AppError::io("terminal", e))?;
        if first != second {
            return Err(AppError::PasswordMismatch);
        }
    }
    Ok(first)
}
