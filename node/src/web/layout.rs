//! Page layout, HTML escaping and messages in the request's language.
//!
//! Every page is a plain string built by functions. Every value that comes from a user or
//! a document goes through [`esc`] on its way in.

use fluent_bundle::FluentValue;
use progmanager_model::User;

use crate::i18n::{Lang, message_in};

/// Messages in one request's language.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub lang: Lang,
}

impl Ui {
    /// Message `id` without arguments.
    pub fn t(&self, id: &str) -> String {
        message_in(self.lang, id, &[])
    }

    /// Message `id` with `args`.
    pub fn ta(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        message_in(self.lang, id, args)
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes text for a URL query value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Renders the hidden field that carries the session's CSRF token in a form.
pub fn csrf_field(csrf: &str) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, esc(csrf))
}

/// Context of the frame around a page's body.
pub struct Chrome<'a> {
    pub ui: Ui,
    /// The logged-in user; `None` on the login page.
    pub user: Option<&'a User>,
    pub csrf: &'a str,
    /// Whether no peer is connected, which shows the offline banner.
    pub offline: bool,
    pub flash: Option<String>,
}

/// Renders a whole HTML page.
pub fn page(chrome: &Chrome<'_>, title: &str, body: &str) -> String {
    let ui = chrome.ui;
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · progmanager</title><link rel=\"stylesheet\" href=\"/static/style.css\">\
         </head><body>",
        ui.lang.code(),
        esc(title)
    );
    html.push_str(&header(chrome));
    if chrome.offline && chrome.user.is_some() {
        html.push_str(&format!(
            "<div class=\"banner\" id=\"offline\">{}</div>",
            esc(&ui.t("web-offline-banner"))
        ));
    }
    if let Some(flash) = &chrome.flash {
        html.push_str(&format!("<div class=\"flash\">{}</div>", esc(flash)));
    }
    html.push_str(&format!(
        "<main><h1>{}</h1>{body}</main></body></html>",
        esc(title)
    ));
    html
}

fn header(chrome: &Chrome<'_>) -> String {
    let ui = chrome.ui;
    let mut html = String::from("<header><nav>");
    if let Some(user) = chrome.user {
        let mut links = vec![
            ("/", "web-nav-instrument"),
            ("/notebook", "web-nav-notebook"),
            ("/status", "web-nav-status"),
        ];
        if user.level >= progmanager_model::Level::ADMIN {
            links.push(("/admin", "web-nav-admin"));
            links.push(("/invoices", "web-nav-invoices"));
            links.push(("/charts", "web-nav-charts"));
        }
        for (href, id) in links {
            html.push_str(&format!("<a href=\"{href}\">{}</a>", esc(&ui.t(id))));
        }
        html.push_str(&format!(
            "<span class=\"who\">{}</span>",
            esc(&ui.ta(
                "web-logged-in-as",
                &[("login", FluentValue::from(user.login.as_str()))]
            ))
        ));
        html.push_str(&format!(
            "<form method=\"post\" action=\"/logout\" class=\"inline\">{}\
             <button type=\"submit\" id=\"logout\">{}</button></form>",
            csrf_field(chrome.csrf),
            esc(&ui.t("web-logout"))
        ));
    }
    html.push_str(&lang_switch(chrome));
    html.push_str("</nav></header>");
    html
}

/// Renders the fr/en switch: a small form per language, so that the choice is a
/// CSRF-checked POST.
fn lang_switch(chrome: &Chrome<'_>) -> String {
    let mut html = String::new();
    for lang in [Lang::Fr, Lang::En] {
        html.push_str(&format!(
            "<form method=\"post\" action=\"/lang\" class=\"inline\">{}\
             <input type=\"hidden\" name=\"lang\" value=\"{code}\">\
             <button type=\"submit\" id=\"lang-{code}\">{upper}</button></form>",
            csrf_field(chrome.csrf),
            code = lang.code(),
            upper = lang.code().to_uppercase()
        ));
    }
    html
}

/// Renders an HTML table: `headers` are message IDs, `rows` are already escaped cells.
pub fn table(ui: Ui, id: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut html = format!("<table id=\"{id}\"><thead><tr>");
    for header in headers {
        html.push_str(&format!("<th>{}</th>", esc(&ui.t(header))));
    }
    html.push_str("</tr></thead><tbody>");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            html.push_str(&format!("<td>{cell}</td>"));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// `<option>` elements for `values` (value, label), with `selected` marked.
pub fn options(values: &[(String, String)], selected: &str) -> String {
    values
        .iter()
        .map(|(value, label)| {
            let mark = if value == selected { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{mark}>{}</option>",
                esc(value),
                esc(label)
            )
        })
        .collect()
}

/// The stylesheet, served from the binary: large controls for an instrument PC.
pub const STYLE: &str = include_str!("style.css");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode("RMN 400&é"), "RMN%20400%26%C3%A9");
    }

    #[test]
    fn escape_markup() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
