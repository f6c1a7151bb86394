//! One module per family of commands; each turns parsed arguments into calls of
//! [`crate::ops`] and prints the result in the user's language.

pub mod admin;
pub mod counter;
pub mod init;
pub mod invoice;
pub mod maintenance;
pub mod report;
pub mod session;
pub mod setup;
pub mod tariff;
