//! Extractors that require a logged-in user and a valid CSRF token, and the error pages.
//!
//! [`Viewer`] reads the session cookie, loads the user from the facility document on each
//! request (so a disabled account loses access at once) and picks the language.
//! [`Posted`] adds the form of a POST, after checking its `csrf` field against the session.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use progmanager_model::User;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::i18n::{Lang, in_lang};
use crate::ops;
use crate::web::WebState;
use crate::web::layout::{Chrome, Ui, esc, page};
use crate::web::session::{COOKIE, WebSession, cookie_value, tokens_match};

/// The logged-in user of a request, with what pages need to render for them.
pub struct Viewer {
    pub token: String,
    pub user: User,
    pub ui: Ui,
    pub csrf: String,
    pub state: Arc<WebState>,
}

/// Returns the language of a request: the session's choice, else the browser's
/// `Accept-Language`, else English.
pub fn request_lang(headers: &HeaderMap, session: Option<&WebSession>) -> Lang {
    if let Some(lang) = session.and_then(|s| s.lang) {
        return lang;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept_language(accept).unwrap_or(Lang::En)
}

/// Returns the first supported language of an `Accept-Language` value, by decreasing
/// quality.
pub fn accept_language(value: &str) -> Option<Lang> {
    let mut tags: Vec<(f32, Lang)> = value
        .split(',')
        .filter_map(|item| {
            let mut fields = item.split(';');
            let lang = Lang::from_tag(fields.next()?)?;
            let quality = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0).then_some((quality, lang))
        })
        .collect();
    // A stable sort keeps the browser's order between equal qualities.
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    tags.first().map(|(_, lang)| *lang)
}

/// Returns the session token of a request's cookie.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookie_value(cookies, COOKIE).map(str::to_string)
}

impl FromRequestParts<Arc<WebState>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<WebState>,
    ) -> Result<Viewer, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let token = session_token(&parts.headers).ok_or_else(to_login)?;
        let session = state.sessions.get(&token).ok_or_else(to_login)?;
        let login = session.login.clone().ok_or_else(to_login)?;
        let user = {
            let node = state.shared.node();
            ops::users(&node)
                .ok()
                .and_then(|users| users.into_iter().find(|u| u.login == login))
        };
        let Some(user) = user.filter(|u| u.active) else {
            state.sessions.remove(&token);
            return Err(to_login());
        };
        Ok(Viewer {
            ui: Ui {
                lang: request_lang(&parts.headers, Some(&session)),
            },
            csrf: session.csrf,
            token,
            user,
            state: Arc::clone(state),
        })
    }
}

/// A POST form of a logged-in user whose CSRF token matched.
pub struct Posted<T> {
    pub viewer: Viewer,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Checks the `csrf` field of an URL-encoded `body` against `expected`.
pub fn check_csrf(body: &[u8], expected: &str) -> bool {
    serde_urlencoded::from_bytes::<CsrfOnly>(body)
        .map(|form| tokens_match(expected, &form.csrf))
        .unwrap_or(false)
}

impl<T: DeserializeOwned> FromRequest<Arc<WebState>> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Arc<WebState>) -> Result<Posted<T>, Response> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !check_csrf(&bytes, &viewer.csrf) {
            tracing::warn!(user = %viewer.user.login, "web form with a wrong CSRF token");
            let message = viewer.ui.t("web-csrf-invalid");
            return Err(viewer.error_page(StatusCode::FORBIDDEN, &message));
        }
        match serde_urlencoded::from_bytes::<T>(&bytes) {
            Ok(form) => Ok(Posted { viewer, form }),
            Err(err) => {
                let message = viewer
                    .ui
                    .ta("web-form-invalid", &[("detail", err.to_string().into())]);
                Err(viewer.error_page(StatusCode::BAD_REQUEST, &message))
            }
        }
    }
}

impl Viewer {
    /// Renders `body` in the page frame for this user.
    pub fn page(&self, title: &str, body: &str) -> Response {
        let offline = !self
            .state
            .shared
            .status
            .snapshot()
            .values()
            .any(|s| s.connected);
        let chrome = Chrome {
            ui: self.ui,
            user: Some(&self.user),
            csrf: &self.csrf,
            offline,
            flash: self.state.sessions.take_flash(&self.token),
        };
        Html(page(&chrome, title, body)).into_response()
    }

    /// Renders an error page with `status` and `message`.
    pub fn error_page(&self, status: StatusCode, message: &str) -> Response {
        let title_id = if status == StatusCode::FORBIDDEN {
            "web-forbidden-title"
        } else {
            "web-error-title"
        };
        let body = format!(
            "<p class=\"error\" id=\"error\">{}</p><p><a href=\"/\" class=\"button\">{}</a></p>",
            esc(message),
            esc(&self.ui.t("web-back"))
        );
        (status, self.page(&self.ui.t(title_id), &body)).into_response()
    }

    /// Renders the error page of a failed operation, in this user's language, and logs it.
    pub fn fail(&self, err: AppError) -> Response {
        let status = match &err {
            AppError::Denied { .. } => StatusCode::FORBIDDEN,
            AppError::UnknownInstrument { .. }
            | AppError::UnknownGroup { .. }
            | AppError::UnknownUser { .. }
            | AppError::UnknownSession { .. }
            | AppError::UnknownRecord { .. }
            | AppError::UnknownMember { .. } => StatusCode::NOT_FOUND,
            AppError::Store(_) | AppError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %err, user = %self.user.login, "web request failed");
        } else {
            tracing::info!(error = %err, user = %self.user.login, %status, "web request rejected");
        }
        let message = in_lang(self.ui.lang, || err.localized());
        self.error_page(status, &message)
    }

    /// Stores `message` for the next page and redirects to `to` (303, so a reload does not
    /// post the form again).
    pub fn done(&self, message: String, to: &str) -> Response {
        self.state.sessions.set_flash(&self.token, message);
        Redirect::to(to).into_response()
    }
}

/// Renders the 404 page for unknown paths.
pub async fn not_found(headers: HeaderMap) -> Response {
    let ui = Ui {
        lang: request_lang(&headers, None),
    };
    (StatusCode::NOT_FOUND, Html(esc(&ui.t("web-not-found")))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_by_quality() {
        assert_eq!(accept_language("fr-FR,fr;q=0.9,en;q=0.8"), Some(Lang::Fr));
        assert_eq!(accept_language("de, en;q=0.5, fr;q=0.7"), Some(Lang::Fr));
        assert_eq!(accept_language("en-US"), Some(Lang::En));
        assert_eq!(accept_language("de"), None);
        assert_eq!(accept_language("fr;q=0"), None);
    }

    #[test]
    fn csrf_field_checked() {
        assert!(check_csrf(b"a=1&csrf=abc", "abc"));
        assert!(!check_csrf(b"a=1&csrf=abd", "abc"));
        assert!(!check_csrf(b"a=1", "abc"));
    }
}
