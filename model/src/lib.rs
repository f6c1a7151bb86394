//! progmanager's domain: records, CRDT schema, billing and permissions, without I/O.
//!
//! - [`types`]: instruments, billing groups, users, sessions, tariffs.
//! - [`tariff`]: the price rules of tariffs; [`holidays`]: their public holiday calendars.
//! - [`grid`]: whole tariff grids as TOML text, imported and exported.
//! - [`schema`]: how those records live in Automerge documents.
//! - [`logbook`]: parser for paper logbook pages transcribed as tab-separated text.
//! - [`billing`]: prices sessions with tariffs and builds invoices.
//! - [`permissions`]: the one function that decides who may do what.
//! - [`password`]: argon2id hashing of user passwords.

pub mod billing;
pub mod grid;
pub mod holidays;
pub mod logbook;
pub mod password;
pub mod permissions;
pub mod schema;
pub mod tariff;
pub mod types;

pub use types::*;
