//! Process set-up shared by the commands: language, logging, runtime.

use crate::i18n::{self, Lang};

/// Chooses the language from `--lang` or the environment.
pub fn init_language(flag: Option<&str>) {
    let lang = flag.and_then(Lang::from_tag).unwrap_or_else(Lang::from_env);
    i18n::init(lang);
}

/// Folder of the log files inside a data directory.
pub const LOG_DIR: &str = "logs";
/// Number of daily log files kept.
const LOG_FILES_KEPT: usize = 30;

/// Logs to stderr (`RUST_LOG` overrides the default level: `info` for `run`, `warn`
/// otherwise) and, when the data directory exists, at `info` to a daily log file in it.
pub fn init_logging(default_level: &str, data_dir: &std::path::Path) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let stderr_filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(stderr_filter);

    let log_dir = data_dir.join(LOG_DIR);
    let file = (data_dir.is_dir() && std::fs::create_dir_all(&log_dir).is_ok()).then(|| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("progmanager")
            .filename_suffix("log")
            .max_log_files(LOG_FILES_KEPT)
            .build(&log_dir)
            .ok()
    });
    let file = file.flatten().map(|appender| {
        tracing_subscriber::fmt::layer()
            .with_writer(appender)
            .with_ansi(false)
            .with_filter(tracing_subscriber::EnvFilter::new(
                "info,quinn=warn,rustls=warn",
            ))
    });

    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}

/// A multi-threaded tokio runtime for commands that use the network.
pub fn runtime() -> Result<tokio::runtime::Runtime, crate::error::AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::AppError::io("tokio runtime", e))
}
