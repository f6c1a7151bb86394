//! Login sessions of the web interface and their CSRF tokens.
//!
//! A session is a random 256-bit token in an `HttpOnly`, `SameSite=Strict` cookie; the
//! table that maps it to a login lives in memory only, so restarting the node logs
//! everyone out. A visitor of the login page gets an anonymous session too, so the login
//! form carries a CSRF token like every other form. Logging in replaces the token, so a
//! token planted before login is worth nothing after it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::i18n::Lang;

/// Name of the session cookie.
pub const COOKIE: &str = "pm_session";
/// A session unused for this long expires.
const IDLE_TIMEOUT: Duration = Duration::from_secs(4 * 3600);
/// A session expires this long after its creation, used or not.
const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// Maximum number of sessions. Beyond it, expired ones are pruned and then new sessions
/// are rejected, so a flood of login page visits cannot exhaust memory.
const MAX_SESSIONS: usize = 10_000;

/// One browser's session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// Logged-in user, `None` before login.
    pub login: Option<String>,
    /// Token every form of this session must send back.
    pub csrf: String,
    /// Language chosen with the fr/en switch; `None` follows the browser.
    pub lang: Option<Lang>,
    /// Message shown once on the next page, after a form redirected.
    pub flash: Option<String>,
    created: Instant,
    last_used: Instant,
}

impl WebSession {
    fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.last_used) > IDLE_TIMEOUT
            || now.duration_since(self.created) > MAX_AGE
    }
}

/// The server-side session table.
#[derive(Debug, Default)]
pub struct SessionTable {
    sessions: Mutex<HashMap<String, WebSession>>,
}

/// Returns a random token of 32 bytes as hex, from the thread's cryptographically secure
/// RNG.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

impl SessionTable {
    /// Returns the live session of `token`, refreshing its idle timer.
    pub fn get(&self, token: &str) -> Option<WebSession> {
        let now = Instant::now();
        let mut sessions = self.lock();
        let session = sessions.get_mut(token)?;
        if session.expired(now) {
            sessions.remove(token);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// Creates a session and returns its token, or `None` when the table is full.
    pub fn create(&self, login: Option<String>, lang: Option<Lang>) -> Option<String> {
        let now = Instant::now();
        let mut sessions = self.lock();
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| !s.expired(now));
            if sessions.len() >= MAX_SESSIONS {
                tracing::warn!(count = sessions.len(), "web session table full");
                return None;
            }
        }
        let token = random_token();
        let session = WebSession {
            login,
            csrf: random_token(),
            lang,
            flash: None,
            created: now,
            last_used: now,
        };
        sessions.insert(token.clone(), session);
        Some(token)
    }

    /// Ends the session of `token`.
    pub fn remove(&self, token: &str) {
        self.lock().remove(token);
    }

    /// Sets the language of the session of `token`.
    pub fn set_lang(&self, token: &str, lang: Lang) {
        if let Some(session) = self.lock().get_mut(token) {
            session.lang = Some(lang);
        }
    }

    /// Stores a message for the next page of the session of `token`.
    pub fn set_flash(&self, token: &str, message: String) {
        if let Some(session) = self.lock().get_mut(token) {
            session.flash = Some(message);
        }
    }

    /// Takes the message stored for the next page, if any.
    pub fn take_flash(&self, token: &str) -> Option<String> {
        self.lock().get_mut(token).and_then(|s| s.flash.take())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, WebSession>> {
        // Every update leaves the map consistent, so a poisoned lock is still usable.
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Compares two tokens in time independent of where they differ.
pub fn tokens_match(expected: &str, received: &str) -> bool {
    let (a, b) = (expected.as_bytes(), received.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Returns the value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Returns the `Set-Cookie` value for session `token`, with `Secure` when `secure` (TLS).
pub fn set_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// Returns the `Set-Cookie` value that deletes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_found_among_others() {
        let header = "a=1; pm_session=abc; b=2";
        assert_eq!(cookie_value(header, COOKIE), Some("abc"));
        assert_eq!(cookie_value("a=1", COOKIE), None);
    }

    #[test]
    fn sessions_created_and_removed() {
        let table = SessionTable::default();
        let token = table.create(Some("alice".into()), None).expect("room");
        let session = table.get(&token).expect("live session");
        assert_eq!(session.login.as_deref(), Some("alice"));
        assert_eq!(session.csrf.len(), 64);
        table.remove(&token);
        assert!(table.get(&token).is_none());
    }

    #[test]
    fn token_comparison() {
        assert!(tokens_match("abcd", "abcd"));
        assert!(!tokens_match("abcd", "abce"));
        assert!(!tokens_match("abcd", "abc"));
    }
}
