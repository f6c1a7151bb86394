//! Messages in the user's language (French or English), from Fluent files.
//!
//! The language comes from `--lang`, else `PROGMANAGER_LANG`, else the POSIX locale
//! variables (`LC_ALL`, `LC_MESSAGES`, `LANG`): French when it starts with `fr`, English
//! otherwise. Both files hold the same message IDs; a test checks it.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::langid;

/// A language the interface exists in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

/// The English message files; each has a French twin in [`FR_FTL`], in the same order.
pub const EN_FTL: &[&str] = &[
    include_str!("../locales/en/progmanager.ftl"),
    include_str!("../locales/en/invoices.ftl"),
    include_str!("../locales/en/web.ftl"),
];
pub const FR_FTL: &[&str] = &[
    include_str!("../locales/fr/progmanager.ftl"),
    include_str!("../locales/fr/invoices.ftl"),
    include_str!("../locales/fr/web.ftl"),
];

/// The language of this process's messages (command line, logs), chosen once.
static LANG: OnceLock<Lang> = OnceLock::new();

thread_local! {
    /// Language that overrides [`LANG`] on this thread inside [`in_lang`].
    static SCOPED_LANG: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}
static EN_BUNDLE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
static FR_BUNDLE: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();

impl Lang {
    /// Parses a language tag or locale such as `fr`, `fr_FR.UTF-8` or `en-GB`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("fr") {
            Some(Lang::Fr)
        } else if tag.starts_with("en") || tag == "c" || tag.starts_with("c.") || tag == "posix" {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language from the environment, English when nothing says otherwise.
    pub fn from_env() -> Lang {
        let vars = ["PROGMANAGER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"];
        vars.iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty())
            .and_then(|value| Lang::from_tag(&value))
            .unwrap_or(Lang::En)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

fn build_bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let (id, sources) = match lang {
        Lang::En => (langid!("en"), EN_FTL),
        Lang::Fr => (langid!("fr"), FR_FTL),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    for source in sources {
        let resource = FluentResource::try_new(source.to_string())
            .expect("the embedded Fluent files are checked by the i18n tests");
        bundle
            .add_resource(resource)
            .expect("the embedded Fluent files define each message once");
    }
    bundle
}

/// Chooses the language for this process; later calls keep the first choice.
pub fn init(lang: Lang) {
    let _ = LANG.get_or_init(|| lang);
}

/// Returns the language of this process's messages, or of the enclosing [`in_lang`] call.
pub fn lang() -> Lang {
    SCOPED_LANG
        .with(|scoped| scoped.get())
        .unwrap_or_else(|| *LANG.get_or_init(Lang::from_env))
}

/// Runs `f` with `tr!` formatting in `lang` on this thread, so that messages built by
/// shared code (such as [`crate::error::AppError::localized`]) follow one web request's
/// language. `f` must not await: the override is per thread.
pub fn in_lang<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let previous = SCOPED_LANG.with(|scoped| scoped.replace(Some(lang)));
    let result = f();
    SCOPED_LANG.with(|scoped| scoped.set(previous));
    result
}

/// Returns the bundle of `lang`, built on first use.
fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    match lang {
        Lang::En => EN_BUNDLE.get_or_init(|| build_bundle(Lang::En)),
        Lang::Fr => FR_BUNDLE.get_or_init(|| build_bundle(Lang::Fr)),
    }
}

/// Formats message `id` with `args` in the process language; a missing message shows its
/// ID, never panics.
pub fn message(id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    message_in(lang(), id, args)
}

/// Formats message `id` with `args` in `lang`, for interfaces that serve users of both
/// languages at once (the web interface). A missing message shows its ID.
pub fn message_in(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let bundle = bundle(lang);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        return id.to_string();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fluent_args), &mut errors)
        .into_owned()
}

/// Formats a message in the user's language: `tr!("id")` or `tr!("id", name = value)`.
#[macro_export]
macro_rules! tr {
    ($id:expr) => {
        $crate::i18n::message($id, &[])
    };
    ($id:expr, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::message(
            $id,
            &[$((stringify!($name), fluent_bundle::FluentValue::from($value))),+],
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(sources: &[&str]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for source in sources {
            let resource = FluentResource::try_new(source.to_string()).expect("valid Fluent file");
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    assert!(
                        out.insert(m.id.name.to_string()),
                        "message {} defined twice",
                        m.id.name
                    );
                }
            }
        }
        out
    }

    #[test]
    fn both_languages_define_the_same_messages() {
        let en = ids(EN_FTL);
        let fr = ids(FR_FTL);
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
    }

    #[test]
    fn bundles_build_without_errors() {
        for lang in [Lang::En, Lang::Fr] {
            let _ = build_bundle(lang);
        }
    }

    /// Message IDs written literally after `tr!(` in the node's sources.
    fn literal_ids(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("source directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                literal_ids(&path, out);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source file");
            for (index, _) in text.match_indices("tr!(") {
                // Skips `include_str!(` and this function's own string literal.
                let before = text[..index].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' || before == '"' {
                    continue;
                }
                let rest = text[index + 4..].trim_start();
                if let Some(literal) = rest.strip_prefix('"')
                    && let Some(end) = literal.find('"')
                {
                    out.insert(literal[..end].to_string());
                }
            }
        }
    }

    #[test]
    fn every_used_message_exists() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = BTreeSet::new();
        literal_ids(&src, &mut used);
        used.remove("id");
        assert!(used.len() > 40, "the scan found too few messages: {used:?}");
        // IDs built at run time by the model and by `column-*` / `field-*` lookups.
        for id in [
            "logbook-empty-file",
            "logbook-missing-column",
            "logbook-unknown-column",
            "logbook-duplicate-column",
            "logbook-wrong-field-count",
            "logbook-empty-field",
            "logbook-invalid-date",
            "logbook-invalid-time",
            "logbook-nonexistent-local-time",
            "logbook-zero-duration",
            "action-record-session",
            "action-edit-tariffs",
            "column-per_sample",
            "logbook-column-date",
            "logbook-column-operator",
            "logbook-column-group",
            "logbook-column-start",
            "logbook-column-end",
            "logbook-column-kind",
            "logbook-column-observations",
            "field-per_sample",
        ] {
            used.insert(id.to_string());
        }
        let defined = ids(EN_FTL);
        let missing: Vec<_> = used.difference(&defined).collect();
        assert!(
            missing.is_empty(),
            "messages used but not defined: {missing:?}"
        );
    }

    #[test]
    fn locale_tags_select_language() {
        assert_eq!(Lang::from_tag("fr_FR.UTF-8"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("en_GB.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("C.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de_DE"), None);
    }
}
