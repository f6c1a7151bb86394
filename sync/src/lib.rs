//! Networking of progmanager nodes: node identity, pinned mutual TLS, the wire format and
//! the QUIC transport.
//!
//! - `identity`: a node's self-signed certificate and key, and its node id (the SHA-256 of
//!   the certificate).
//! - `tls`: QUIC client and server configurations whose verifiers accept only pinned or
//!   policy-accepted node ids.
//! - `frame`: encoding and decoding of the frames exchanged on a link, without I/O.
//! - `transport`: one quinn endpoint per node, and links that send and receive frames.
//! - `session`: the per-peer Automerge sync state machine, without I/O.
//! - `intake`: which link of a node may ask its peer for missing changes, without I/O.

pub mod frame;
pub mod identity;
pub mod intake;
pub mod session;
pub mod tls;
pub mod transport;

pub use frame::{Frame, FrameError, MAX_FRAME_LEN, PROTOCOL_VERSION};
pub use identity::{Identity, IdentityError, NodeId, ParseNodeIdError};
pub use tls::{AllowList, PeerPolicy, Pin, TlsError};
pub use transport::{FrameReceiver, FrameSender, Link, Transport, TransportError};
