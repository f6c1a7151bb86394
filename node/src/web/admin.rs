//! Administration pages (level 3): instruments, billing groups and users, with links to
//! the tariffs, member nodes and backup settings.

use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use fluent_bundle::FluentValue;
use progmanager_model::password::hash_password;
use progmanager_model::permissions::Action;
use progmanager_model::schema::FACILITY_DOC;
use progmanager_model::{BillingGroup, Category, Instrument, Level, User};
use serde::Deserialize;

use crate::error::AppError;
use crate::ops;
use crate::web::guard::{Posted, Viewer};
use crate::web::layout::{Ui, csrf_field, esc, options, table};
use crate::web::{WebState, announce, with_node};

pub fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/instruments", post(add_instrument))
        .route("/admin/groups", post(add_group))
        .route("/admin/users", post(add_user))
        .route("/admin/users/active", post(set_active))
}

#[derive(Deserialize)]
pub struct InstrumentForm {
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
pub struct GroupForm {
    code: String,
    #[serde(default)]
    name: String,
    category: String,
}

#[derive(Deserialize)]
pub struct UserForm {
    login: String,
    #[serde(default)]
    name: String,
    level: i64,
    #[serde(default)]
    group: String,
    password: String,
}

#[derive(Deserialize)]
pub struct ActiveForm {
    login: String,
    active: bool,
}

struct AdminData {
    instruments: Vec<Instrument>,
    groups: Vec<BillingGroup>,
    users: Vec<User>,
}

/// `GET /admin`: every list with its form.
pub async fn page(viewer: Viewer) -> Response {
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::require(&user, Action::EditSettings)?;
        Ok(AdminData {
            instruments: ops::instruments(node)?,
            groups: ops::groups(node)?,
            users: ops::users(node)?,
        })
    })
    .await;
    match result {
        Ok(data) => {
            let body = format!(
                "<p><a class=\"button\" id=\"tariffs-link\" href=\"/admin/tariffs\">{}</a> \
                 <a class=\"button\" id=\"settings-link\" href=\"/admin/settings\">{}</a> \
                 <a class=\"button\" id=\"programs-link\" href=\"/admin/programs\">{}</a> \
                 <a class=\"button\" id=\"review-link\" href=\"/admin/review\">{}</a></p>{}{}{}",
                esc(&viewer.ui.t("web-tariffs-title")),
                esc(&viewer.ui.t("web-settings-title")),
                esc(&viewer.ui.t("web-programs-title")),
                esc(&viewer.ui.t("web-review-title")),
                instruments(&viewer, &data.instruments),
                groups(&viewer, &data.groups),
                users(&viewer, &data)
            );
            viewer.page(&viewer.ui.t("web-admin-title"), &body)
        }
        Err(err) => viewer.fail(err),
    }
}

fn text_field(ui: Ui, id: &str, name: &str, label: &str, kind: &str) -> String {
    format!(
        "<label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{name}\" type=\"{kind}\">",
        esc(&ui.t(label))
    )
}

fn instruments(viewer: &Viewer, instruments: &[Instrument]) -> String {
    let ui = viewer.ui;
    let rows: Vec<Vec<String>> = instruments
        .iter()
        .map(|i| vec![esc(&i.code), esc(&i.name)])
        .collect();
    format!(
        "<h2>{}</h2>{}<form method=\"post\" action=\"/admin/instruments\" class=\"card\">{}{}{}\
         <p><button type=\"submit\" id=\"instrument-save\">{}</button></p></form>",
        esc(&ui.t("web-instruments-title")),
        table(
            ui,
            "instruments",
            &["web-column-code", "web-column-name"],
            &rows
        ),
        csrf_field(&viewer.csrf),
        text_field(ui, "i-code", "code", "web-column-code", "text"),
        text_field(ui, "i-name", "name", "web-column-name", "text"),
        esc(&ui.t("web-save")),
    )
}

fn groups(viewer: &Viewer, groups: &[BillingGroup]) -> String {
    let ui = viewer.ui;
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| vec![esc(&g.code), esc(&g.name), esc(g.category.code())])
        .collect();
    let categories: Vec<(String, String)> = Category::ALL
        .iter()
        .map(|c| (c.code().to_string(), c.code().to_string()))
        .collect();
    format!(
        "<h2>{}</h2>{}<form method=\"post\" action=\"/admin/groups\" class=\"card\">{}{}{}\
         <label for=\"g-category\">{}</label><select id=\"g-category\" name=\"category\">{}</select>\
         <p><button type=\"submit\" id=\"group-save\">{}</button></p></form>",
        esc(&ui.t("web-groups-title")),
        table(
            ui,
            "groups",
            &["web-column-code", "web-column-name", "web-field-category"],
            &rows
        ),
        csrf_field(&viewer.csrf),
        text_field(ui, "g-code", "code", "web-column-code", "text"),
        text_field(ui, "g-name", "name", "web-column-name", "text"),
        esc(&ui.t("web-field-category")),
        options(&categories, "internal"),
        esc(&ui.t("web-save")),
    )
}

fn users(viewer: &Viewer, data: &AdminData) -> String {
    let ui = viewer.ui;
    let rows: Vec<Vec<String>> = data.users.iter().map(|u| user_row(viewer, u)).collect();
    let mut groups = vec![(String::new(), String::new())];
    groups.extend(data.groups.iter().map(|g| (g.code.clone(), g.code.clone())));
    let levels: Vec<(String, String)> = (1..=3).map(|l| (l.to_string(), l.to_string())).collect();
    format!(
        "<h2>{}</h2>{}<form method=\"post\" action=\"/admin/users\" class=\"card\">{}{}{}\
         <label for=\"u-level\">{}</label><select id=\"u-level\" name=\"level\">{}</select>\
         <label for=\"u-group\">{}</label><select id=\"u-group\" name=\"group\">{}</select>{}\
         <p><button type=\"submit\" id=\"user-save\">{}</button></p></form>",
        esc(&ui.t("web-users-title")),
        table(
            ui,
            "users",
            &[
                "web-field-user",
                "web-column-name",
                "web-column-level",
                "web-field-group",
                "web-column-state",
            ],
            &rows
        ),
        csrf_field(&viewer.csrf),
        text_field(ui, "u-login", "login", "web-field-user", "text"),
        text_field(ui, "u-name", "name", "web-column-name", "text"),
        esc(&ui.t("web-column-level")),
        options(&levels, "1"),
        esc(&ui.t("web-field-group")),
        options(&groups, ""),
        text_field(
            ui,
            "u-password",
            "password",
            "web-password-field",
            "password"
        ),
        esc(&ui.t("web-save")),
    )
}

fn user_row(viewer: &Viewer, user: &User) -> Vec<String> {
    let ui = viewer.ui;
    let (state, button, next) = if user.active {
        ("web-user-active", "web-user-disable", "false")
    } else {
        ("web-user-disabled", "web-user-enable", "true")
    };
    let toggle = format!(
        "{} <form method=\"post\" action=\"/admin/users/active\" class=\"inline\">{}\
         <input type=\"hidden\" name=\"login\" value=\"{}\">\
         <input type=\"hidden\" name=\"active\" value=\"{next}\">\
         <button type=\"submit\">{}</button></form>",
        esc(&ui.t(state)),
        csrf_field(&viewer.csrf),
        esc(&user.login),
        esc(&ui.t(button)),
    );
    vec![
        esc(&user.login),
        esc(&user.name),
        user.level.get().to_string(),
        esc(&user.group),
        toggle,
    ]
}

/// Shows `message_id` with the saved `code` and returns to the admin page, or the error.
fn finish(viewer: &Viewer, result: Result<String, AppError>, message_id: &str) -> Response {
    match result {
        Ok(code) => {
            announce(&viewer.state.shared, FACILITY_DOC.to_string());
            let message = viewer
                .ui
                .ta(message_id, &[("code", FluentValue::from(code))]);
            viewer.done(message, "/admin")
        }
        Err(err) => viewer.fail(err),
    }
}

fn optional(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// `POST /admin/instruments`.
pub async fn add_instrument(posted: Posted<InstrumentForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        let code = form.code.trim();
        ops::add_instrument(node, &user, code, optional(&form.name)).map(|i| i.code)
    })
    .await;
    finish(&viewer, result, "web-saved")
}

/// `POST /admin/groups`.
pub async fn add_group(posted: Posted<GroupForm>) -> Response {
    let Posted { viewer, form } = posted;
    let user = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        let category = ops::parse_category(&form.category)?;
        ops::add_group(
            node,
            &user,
            form.code.trim(),
            category,
            optional(&form.name),
        )
        .map(|g| g.code)
    })
    .await;
    finish(&viewer, result, "web-saved")
}

/// `POST /admin/users`: hashes the password (argon2id) on the blocking pool before taking
/// the node lock.
pub async fn add_user(posted: Posted<UserForm>) -> Response {
    let Posted { viewer, form } = posted;
    let admin = viewer.user.clone();
    if let Err(err) = ops::require(&admin, Action::EditUsers) {
        return viewer.fail(err);
    }
    let level = match Level::new(form.level) {
        Ok(level) => level,
        Err(_) => return viewer.fail(AppError::invalid("level", form.level.to_string())),
    };
    if form.password.is_empty() {
        return viewer.fail(AppError::invalid("password", ""));
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await;
    let Ok(Ok(hash)) = hash else {
        return viewer.fail(AppError::invalid("password", ""));
    };
    let result = with_node(&viewer.state.shared, move |node| {
        let login = form.login.trim();
        let user = ops::new_user(login, optional(&form.name), level, form.group.trim(), hash);
        ops::add_user(node, &admin, user)?;
        Ok(login.to_string())
    })
    .await;
    finish(&viewer, result, "web-saved")
}

/// `POST /admin/users/active`: enables or disables an account.
pub async fn set_active(posted: Posted<ActiveForm>) -> Response {
    let Posted { viewer, form } = posted;
    let admin = viewer.user.clone();
    let result = with_node(&viewer.state.shared, move |node| {
        ops::set_user_active(node, &admin, &form.login, form.active)?;
        Ok(form.login)
    })
    .await;
    finish(&viewer, result, "web-saved")
}
