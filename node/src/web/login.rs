//! The login page, logout and the fr/en switch.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth;
use crate::i18n::{Lang, in_lang};
use crate::web::guard::{check_csrf, request_lang, session_token};
use crate::web::layout::{Chrome, Ui, csrf_field, esc, page};
use crate::web::session::{WebSession, clear_cookie, set_cookie};
use crate::web::{WebState, with_node};

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
}

/// Returns the session of the request's cookie, with its token.
fn current(state: &WebState, headers: &HeaderMap) -> Option<(String, WebSession)> {
    let token = session_token(headers)?;
    let session = state.sessions.get(&token)?;
    Some((token, session))
}

/// `GET /login`: the login form, with an anonymous session for its CSRF token.
pub async fn form(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let existing = current(&state, &headers);
    if existing.as_ref().is_some_and(|(_, s)| s.login.is_some()) {
        return Redirect::to("/").into_response();
    }
    let (token, session) = match existing {
        Some(found) => found,
        None => match anonymous(&state) {
            Some(created) => created,
            None => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        },
    };
    let ui = Ui {
        lang: request_lang(&headers, Some(&session)),
    };
    let html = login_page(ui, &session.csrf, None);
    (
        [(header::SET_COOKIE, set_cookie(&token, state.secure))],
        Html(html),
    )
        .into_response()
}

/// Creates a session for a visitor who is not logged in yet.
fn anonymous(state: &WebState) -> Option<(String, WebSession)> {
    let token = state.sessions.create(None, None)?;
    let session = state.sessions.get(&token)?;
    Some((token, session))
}

fn login_page(ui: Ui, csrf: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"error\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "{error}<form method=\"post\" action=\"/login\" class=\"card\">{}\
         <label for=\"login\">{}</label><input id=\"login\" name=\"login\" autocomplete=\"username\" autofocus required>\
         <label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <p><button type=\"submit\" id=\"submit\" class=\"big start\">{}</button></p></form>",
        csrf_field(csrf),
        esc(&ui.t("web-login-field")),
        esc(&ui.t("web-password-field")),
        esc(&ui.t("web-login-button")),
    );
    let chrome = Chrome {
        ui,
        user: None,
        csrf,
        offline: false,
        flash: None,
    };
    page(&chrome, &ui.t("web-login-title"), &body)
}

/// `POST /login`: checks the password like the command line, then replaces the anonymous
/// session with a logged-in one under a new token.
pub async fn submit(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((token, session)) = current(&state, &headers) else {
        return Redirect::to("/login").into_response();
    };
    let ui = Ui {
        lang: request_lang(&headers, Some(&session)),
    };
    if !check_csrf(&body, &session.csrf) {
        let html = login_page(ui, &session.csrf, Some(&ui.t("web-csrf-invalid")));
        return (StatusCode::FORBIDDEN, Html(html)).into_response();
    }
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return Redirect::to("/login").into_response();
    };

    // NOTE: a failed check sleeps (up to 4 s) while holding the node lock, which delays
    // the node's other tasks for that time.
    let login = form.login.trim().to_string();
    let result = with_node(&state.shared, move |node| {
        auth::check_password(node, &login, &form.password)
    })
    .await;
    match result {
        Ok(user) => {
            state.sessions.remove(&token);
            let Some(new_token) = state
                .sessions
                .create(Some(user.login.clone()), session.lang)
            else {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            };
            tracing::info!(user = %user.login, "web login");
            (
                [(header::SET_COOKIE, set_cookie(&new_token, state.secure))],
                Redirect::to("/"),
            )
                .into_response()
        }
        Err(err) => {
            let message = in_lang(ui.lang, || err.localized());
            let html = login_page(ui, &session.csrf, Some(&message));
            (StatusCode::UNAUTHORIZED, Html(html)).into_response()
        }
    }
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some((token, session)) = current(&state, &headers)
        && check_csrf(&body, &session.csrf)
    {
        state.sessions.remove(&token);
    }
    (
        [(header::SET_COOKIE, clear_cookie(state.secure))],
        Redirect::to("/login"),
    )
        .into_response()
}

/// `POST /lang`: stores the chosen language in the session, logged in or not.
pub async fn switch_lang(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some((token, session)) = current(&state, &headers)
        && check_csrf(&body, &session.csrf)
        && let Ok(form) = serde_urlencoded::from_bytes::<LangForm>(&body)
        && let Some(lang) = Lang::from_tag(&form.lang)
    {
        state.sessions.set_lang(&token, lang);
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(local_path)
        .unwrap_or("/");
    Redirect::to(back).into_response()
}

/// The path of a same-site URL, so the switch returns to the page it was clicked on
/// without becoming an open redirect.
fn local_path(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map(|(_, rest)| rest)?;
    let path = &rest[rest.find('/')?..];
    (path.starts_with('/') && !path.starts_with("//")).then_some(path)
}
