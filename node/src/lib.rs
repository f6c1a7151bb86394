//! The progmanager node: SQLite store, sync runtime, command line and messages.
//!
//! - [`store`]: Automerge documents persisted in SQLite, shared by concurrent processes.
//! - [`node`]: the data directory and the context of a command.
//! - [`ops`], [`import`]: operations on records, with permission checks.
//! - [`invoice`]: issuing invoices and credit notes, and their exports.
//! - [`net`]: the running node: QUIC links, dialers, invitations.
//! - [`cli`], [`cmd`]: the command line.
//! - [`web`]: the local web interface.
//! - [`i18n`], [`error`]: messages in French and English.

pub mod auth;
pub mod backup;
pub mod cli;
pub mod cmd;
pub mod counter;
pub mod error;
pub mod history;
pub mod i18n;
pub mod import;
pub mod invoice;
pub mod net;
pub mod node;
pub mod ops;
pub mod projection;
pub mod store;
pub mod web;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::AppError;
use crate::node::{DataDir, Node};

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::setup::init_language(cli.lang.as_deref());
    let default_level = if matches!(cli.command, Command::Run(_)) {
        "info"
    } else {
        "warn"
    };
    let dir = DataDir::resolve(cli.data_dir.as_deref());
    cmd::setup::init_logging(default_level, &dir.root);

    match execute(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::debug!(error = %err, "command failed");
            eprintln!("{}", tr!("error-prefix", message = err.localized()));
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: &Cli) -> Result<(), AppError> {
    let dir = DataDir::resolve(cli.data_dir.as_deref());
    let user = cli.user.as_deref();
    match &cli.command {
        Command::Init(args) => cmd::init::init(&dir, args),
        Command::Invite(args) => cmd::init::invite(&dir, user, args),
        Command::Run(args) => cmd::init::run_node(&dir, args),
        Command::Instrument(command) => {
            cmd::admin::instrument(&mut Node::open(dir)?, user, command)
        }
        Command::Group(command) => cmd::admin::group(&mut Node::open(dir)?, user, command),
        Command::Tariff(command) => cmd::tariff::tariff(&mut Node::open(dir)?, user, command),
        Command::User(command) => cmd::admin::user(&mut Node::open(dir)?, user, command),
        Command::Member(command) => cmd::admin::member(&mut Node::open(dir)?, user, command),
        Command::Program(command) => cmd::counter::program(&mut Node::open(dir)?, user, command),
        Command::Incident(command) => cmd::counter::incident(&mut Node::open(dir)?, user, command),
        Command::Notebook { instrument, format } => {
            cmd::counter::notebook(&Node::open(dir)?, user, instrument, *format)
        }
        Command::Review(command) => cmd::counter::review(&mut Node::open(dir)?, user, command),
        Command::Status { format } => cmd::admin::status(&Node::open(dir)?, *format),
        Command::Logs { save, lines } => {
            cmd::maintenance::logs(&Node::open(dir)?, user, save.as_deref(), *lines)
        }
        Command::History { record_id, format } => {
            cmd::maintenance::history(&Node::open(dir)?, user, record_id, *format)
        }
        Command::Backup(args) => cmd::maintenance::backup(&Node::open(dir)?, user, args),
        Command::Restore { file } => cmd::maintenance::restore(&dir, user, file),
        Command::Session(command) => cmd::session::session(&mut Node::open(dir)?, user, command),
        Command::Import(command) => cmd::session::import(&mut Node::open(dir)?, user, command),
        Command::Sessions(args) => cmd::report::sessions(&Node::open(dir)?, user, args),
        Command::Invoice(args) => cmd::invoice::invoice(&mut Node::open(dir)?, user, args),
    }
}
