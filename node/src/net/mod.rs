//! The running node's networking: the QUIC endpoint, one task per peer link, dialers with
//! backoff, local change notifications, and the join handshake.
//!
//! Tasks and messages:
//!
//! - `accept` loop: takes links from the transport; a non-member must first present an
//!   invitation (`Join`), then every link runs [`peer::serve_link`].
//! - one dialer per known address ([`dial`]): connects when no link to that peer exists,
//!   with capped, jittered exponential backoff.
//! - notifier: a loopback UDP socket on which commands run meanwhile announce their
//!   writes, plus a periodic check of the store; both reload new rows and broadcast the
//!   IDs of the changed documents.
//! - each link task receives those broadcasts and sends the peer what it lacks, so a
//!   change reaches a connected peer without waiting for a poll.

pub mod dial;
pub mod discovery;
pub mod join;
pub mod peer;
pub mod policy;
pub mod run;
pub mod shared;
pub mod status;
pub mod supervisor;
