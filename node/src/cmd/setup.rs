//! Process set-up shared by the commands: language, logging, runtime.

use crate::i18n::{self, Lang};

/// Chooses the language from `--lang` or the environment.
pub fn init_language(flag: Option<&str>) {
    let lang = flag.and_then(Lang::from_tag).unwrap_or_else(Lang::from_env);
    i18n::init(lang);
}

/// Logs to stderr; `RUST_LOG` overrides the default level (`info` for `run`, `warn`
/// otherwise).
pub fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// A multi-threaded tokio runtime for commands that use the network.
pub fn runtime() -> Result<tokio::runtime::Runtime, crate::error::AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::AppError::io("tokio runtime", e))
}
