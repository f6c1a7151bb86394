//! Logging in a user for a command: password from the environment or a prompt, checked
//! against the replicated argon2id hash, so it works offline on any node.

use std::io::IsTerminal;

use progmanager_model::User;
use progmanager_model::password::verify_password;
use progmanager_model::schema::read_users;

use crate::error::AppError;
use crate::node::Node;
use crate::tr;

/// Environment variable with the password of `--user`.
pub const PASSWORD_VAR: &str = "PROGMANAGER_PASSWORD";
/// Environment variable with a new password for `user add` and `user passwd`.
pub const NEW_PASSWORD_VAR: &str = "PROGMANAGER_NEW_PASSWORD";

/// Checks the password of `login` and returns the user.
pub fn login(node: &Node, login: Option<&str>) -> Result<User, AppError> {
    let login = login.ok_or(AppError::UserRequired)?;
    let password = read_password(PASSWORD_VAR, &tr!("prompt-password", login = login), false)?;
    let users = read_users(node.facility_doc()?)?;
    let user = users.into_iter().find(|u| u.login == login);

    // The same error for an unknown login and a wrong password, so logins cannot be probed.
    match user {
        Some(user) if verify_password(&password, &user.password_hash) => Ok(user),
        _ => {
            tracing::info!(user = login, "login failed");
            Err(AppError::LoginFailed {
                login: login.to_string(),
            })
        }
    }
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
