//! The command line: every command and option, as clap types.
//!
//! Command names are relied on by scripts: keep them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Offline-first management of a facility of shared scientific instruments.
#[derive(Debug, Parser)]
#[command(name = "progmanager", version, about)]
pub struct Cli {
    /// Data directory of this node [default: the platform's data directory]
    #[arg(long, global = true, env = "PROGMANAGER_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Language of messages: fr or en [default: from the locale]
    #[arg(long, global = true, env = "PROGMANAGER_LANG", value_name = "LANG")]
    pub lang: Option<String>,

    /// User who performs the command; the password comes from PROGMANAGER_PASSWORD or a prompt
    #[arg(long, global = true, env = "PROGMANAGER_USER", value_name = "LOGIN")]
    pub user: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new facility on this node, or join an existing one
    Init(InitArgs),
    /// Print a one-time invitation for a new node (last line of output)
    Invite(InviteArgs),
    /// Serve and sync until interrupted (SIGINT or SIGTERM)
    Run(RunArgs),
    /// Manage instruments
    #[command(subcommand)]
    Instrument(InstrumentCommand),
    /// Manage billing groups
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage tariffs
    #[command(subcommand)]
    Tariff(TariffCommand),
    /// Manage users
    #[command(subcommand)]
    User(UserCommand),
    /// Start or stop a session on an instrument
    #[command(subcommand)]
    Session(SessionCommand),
    /// Import records from files
    #[command(subcommand)]
    Import(ImportCommand),
    /// List sessions
    Sessions(SessionsArgs),
    /// Compute the invoice of a period
    Invoice(InvoiceArgs),
    /// List or remove the nodes of the facility
    #[command(subcommand)]
    Member(MemberCommand),
    /// Show the recent log of this node, or save the log files into one file
    Logs {
        /// Write every log file, oldest first, into FILE
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        /// Number of recent lines to show
        #[arg(long, default_value_t = 200)]
        lines: usize,
    },
    /// Show every change of a record: session ID, instrument or group code, login, node ID
    History {
        record_id: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Copy the store now into the backup folder (or DIR), and verify the copy
    Backup(BackupArgs),
    /// Replace the store of this stopped node by a backup, after checking it
    Restore { file: PathBuf },
    /// Define the control programs of instruments
    #[command(subcommand)]
    Program(ProgramCommand),
    /// Write an incident, maintenance or safety record in an instrument's notebook
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Show an instrument's notebook: sessions with their observations, and entries
    Notebook {
        #[arg(long)]
        instrument: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Sessions flagged for review (crashes, forgotten logouts), and their settlement
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Show the sync state of every peer
    Status {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of this node, e.g. the instrument it runs on
    #[arg(long)]
    pub name: String,
    /// Login of the first administrator of a new facility
    #[arg(long, conflicts_with = "join", required_unless_present = "join")]
    pub admin: Option<String>,
    /// Invitation printed by `progmanager invite` on a member node
    #[arg(long)]
    pub join: Option<String>,
    /// Name of the new facility
    #[arg(long, conflicts_with = "join")]
    pub facility: Option<String>,
    /// Time zone in which sessions are shown and billed (IANA name)
    #[arg(long, default_value = "Europe/Paris", conflicts_with = "join")]
    pub timezone: String,
    /// Address to listen on for sync, stored in the configuration
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct InviteArgs {
    /// Address the new node dials (host:port) [default: the running node's]
    #[arg(long, value_name = "ADDR")]
    pub address: Option<String>,
    /// Hours during which the invitation can be used
    #[arg(long, default_value_t = 24)]
    pub valid_hours: u32,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address to listen on for sync (UDP) [default: from the configuration, else 0.0.0.0:4820]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Address of a peer to dial, in addition to the configuration (repeatable)
    #[arg(long = "peer", value_name = "ADDR")]
    pub peers: Vec<String>,
    /// Announce and discover nodes by mDNS on the local network
    #[arg(long, conflicts_with = "no_mdns")]
    pub mdns: bool,
    /// Do not use mDNS, whatever the configuration says
    #[arg(long)]
    pub no_mdns: bool,
    /// Dial only the --peer and configured addresses, not those other members published
    #[arg(long)]
    pub no_address_learning: bool,
    /// Address of the local web interface, or `off` to serve none
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub http: String,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Folder to write this backup to [default: the configured backup folder]
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Set the backup folder the running node writes to on its schedule
    #[arg(long, value_name = "DIR")]
    pub set_dir: Option<PathBuf>,
    /// Minutes between automatic backups (with --set-dir)
    #[arg(long, requires = "set_dir")]
    pub every_minutes: Option<u64>,
    /// Also back up after this many new changes (with --set-dir)
    #[arg(long, requires = "set_dir")]
    pub after_changes: Option<u64>,
    /// Number of backups kept in the folder (with --set-dir)
    #[arg(long, requires = "set_dir")]
    pub keep: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum ProgramCommand {
    /// Add a control program to an instrument, or change it
    Add {
        name: String,
        #[arg(long)]
        instrument: String,
        /// light: the node starts it and its exit stops the counter; heavy: it runs on,
        /// the user starts and stops the counter
        #[arg(long)]
        mode: String,
        /// Path of the executable
        #[arg(long)]
        command: String,
        /// An argument of the program (repeatable)
        #[arg(long = "arg", allow_hyphen_values = true)]
        args: Vec<String>,
        /// Allow several instances to run at once
        #[arg(long)]
        multiple_instances: bool,
    },
    /// List the control programs
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Write an entry now; it is tied to the running session of the instrument, if any
    Add {
        #[arg(long)]
        instrument: String,
        #[arg(long)]
        text: String,
        /// incident, maintenance or safety
        #[arg(long, default_value = "incident")]
        kind: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// List the sessions flagged for review
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Settle a flagged session: confirm it as recorded, or set its end
    Resolve {
        /// Session ID
        id: String,
        /// Keep the session as recorded
        #[arg(long, conflicts_with = "end", required_unless_present = "end")]
        confirm: bool,
        /// Correct end, local time of the facility: YYYY-MM-DD HH:MM
        #[arg(long)]
        end: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum InstrumentCommand {
    /// Add an instrument, or rename an existing one
    Add {
        code: String,
        #[arg(long)]
        name: Option<String>,
        /// Longest expected session in minutes; longer ones are flagged for review
        #[arg(long)]
        max_minutes: Option<u32>,
        /// Allow several sessions at once on this instrument
        #[arg(long)]
        parallel: Option<bool>,
        /// Require observations to stop a session
        #[arg(long)]
        require_observations: Option<bool>,
    },
    /// List the instruments
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add a billing group, or change an existing one
    Add {
        code: String,
        /// internal, public-cnrs, public-other, industrial or other
        #[arg(long)]
        category: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List the billing groups
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum TariffCommand {
    /// Set the tariff of an instrument for a billing category
    Set(TariffSetArgs),
    /// List the tariffs
    List {
        #[arg(long)]
        instrument: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show the tariff versions of an instrument in full, with any conflicting edits
    Show {
        #[arg(long)]
        instrument: String,
        #[arg(long)]
        category: Option<String>,
    },
    /// Show every change of the tariffs of an instrument
    History {
        #[arg(long)]
        instrument: String,
        #[arg(long)]
        category: Option<String>,
    },
    /// Replace or add tariffs from a TOML grid, all or nothing
    Import { file: PathBuf },
    /// Print the tariffs as a TOML grid
    Export {
        #[arg(long)]
        instrument: Option<String>,
    },
    /// Keep one of the values of a tariff that two admins edited concurrently
    Choose {
        #[arg(long)]
        instrument: String,
        #[arg(long)]
        category: String,
        /// Effective date of the version (YYYY-MM-DD), if it has one
        #[arg(long)]
        from: Option<String>,
        /// Number of the value to keep, as `tariff show` lists them
        choice: usize,
    },
}

#[derive(Debug, Args)]
pub struct TariffSetArgs {
    #[arg(long)]
    pub instrument: String,
    /// internal, public-cnrs, public-other, industrial or other
    #[arg(long)]
    pub category: String,
    /// Nothing to pay for this category
    #[arg(long, conflicts_with_all = ["hourly", "per_sample"], required_unless_present_any = ["hourly", "per_sample"])]
    pub covered: bool,
    /// Price per hour of elapsed time, e.g. 30.00
    #[arg(long, value_name = "AMOUNT")]
    pub hourly: Option<String>,
    /// Price per sample, e.g. 23.30
    #[arg(long, value_name = "AMOUNT")]
    pub per_sample: Option<String>,
    /// First date (YYYY-MM-DD) this price applies to [default: every session before the next version]
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password comes from PROGMANAGER_NEW_PASSWORD or a prompt
    Add {
        login: String,
        #[arg(long)]
        level: i64,
        #[arg(long)]
        group: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Change a password (your own, or any user's for an administrator)
    Passwd { login: Option<String> },
    /// Disable a user: they can no longer log in or act
    Disable { login: String },
    /// Enable a disabled user again
    Enable { login: String },
    /// List the users
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Start a session now
    Start {
        #[arg(long)]
        instrument: String,
        /// Billing group that pays
        #[arg(long)]
        group: String,
        /// Kind of measurement, e.g. proton
        #[arg(long, default_value = "")]
        kind: String,
        #[arg(long, default_value_t = 0)]
        samples: u32,
        /// Control program the running node launches (light) or watches (heavy)
        #[arg(long)]
        program: Option<String>,
    },
    /// Stop the running session of an instrument
    Stop {
        #[arg(long)]
        instrument: String,
        #[arg(long, default_value = "")]
        observations: String,
    },
    /// Correct a recorded session (administrators)
    Edit(SessionEditArgs),
}

#[derive(Debug, Args)]
pub struct SessionEditArgs {
    /// Session ID as `sessions` shows it
    pub id: String,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub samples: Option<u32>,
    #[arg(long)]
    pub observations: Option<String>,
    /// New start, local time of the facility: YYYY-MM-DD HH:MM
    #[arg(long)]
    pub start: Option<String>,
    /// New end, local time of the facility: YYYY-MM-DD HH:MM
    #[arg(long)]
    pub end: Option<String>,
    /// Whether the session is billed
    #[arg(long)]
    pub billable: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a logbook page transcribed as tab-separated text
    Passages {
        file: PathBuf,
        #[arg(long)]
        instrument: String,
        /// Create the billing groups that do not exist, in this category
        #[arg(long, value_name = "CATEGORY")]
        create_groups: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[arg(long)]
    pub instrument: Option<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct InvoiceArgs {
    #[command(subcommand)]
    pub command: Option<InvoiceCommand>,
    /// First day of the period (YYYY-MM-DD)
    #[arg(long, required = true)]
    pub from: Option<String>,
    /// Last day of the period, included (YYYY-MM-DD)
    #[arg(long, required = true)]
    pub to: Option<String>,
    /// Bill only this group
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long, value_enum, default_value_t = InvoiceFormat::Table)]
    pub format: InvoiceFormat,
    /// Write the invoice to FILE instead of the standard output (needed for xlsx and pdf)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Issue the invoice: give it a number, freeze its lines and mark its sessions invoiced
    #[arg(long)]
    pub issue: bool,
}

#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Cancel an issued invoice with a credit note (on the billing office node)
    Credit {
        /// Number of the invoice, e.g. 2026-0001
        number: String,
    },
    /// List the issued invoices and credit notes
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show or export an issued invoice as it was frozen
    Show {
        /// Number of the invoice or credit note, e.g. 2026-0001
        number: String,
        #[arg(long, value_enum, default_value_t = InvoiceFormat::Table)]
        format: InvoiceFormat,
        /// Write the document to FILE instead of the standard output (needed for xlsx and pdf)
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Show the node that issues invoices, or make NODE-ID that node (administrators)
    Office {
        /// Node ID (64 hex digits) as `member list` shows it
        #[arg(value_name = "NODE-ID")]
        node_id: Option<String>,
    },
}

/// Output formats of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InvoiceFormat {
    Table,
    Csv,
    Json,
    Xlsx,
    Pdf,
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// List the member nodes
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Remove a node from the facility: every node then refuses it
    Remove {
        /// Node ID (64 hex digits) as `member list` shows it
        node_id: String,
    },
}

/// Output format of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}
