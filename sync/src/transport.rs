//! QUIC transport between nodes: one quinn endpoint that both accepts and opens
//! connections, and links that carry length-prefixed frames on one bidirectional stream.
//!
//! Tasks and messages:
//!
//! - `bind` spawns an accept task that takes every incoming connection from the endpoint
//!   and spawns a handshake task for it.
//! - A handshake task completes the TLS handshake (which runs the client verifier of
//!   `tls`), waits for the peer's first bidirectional stream and sends the resulting
//!   `Link`, or the error, into a bounded channel.
//! - `Transport::accept` receives from that channel, so one slow or silent peer never
//!   delays the others.
//!
//! The connecting side sends the first frame. A QUIC stream becomes visible to the peer
//! only when data is written on it, so the acceptor returns a `Link` only after that
//! first frame has arrived.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::{ConnectionError, Endpoint, RecvStream, SendStream};
use thiserror::Error;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::frame::{self, Frame, FrameError, LENGTH_PREFIX_LEN, MAX_FRAME_LEN};
use crate::identity::{CERTIFICATE_NAME, Identity, NodeId};
use crate::tls::{self, PeerPolicy, Pin, TlsError};

/// Time an accepted peer has to open its stream and send its first frame.
pub const FIRST_STREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// Number of accepted links or handshake errors that wait for `Transport::accept`
/// before handshake tasks wait in turn.
const ACCEPT_QUEUE_LEN: usize = 16;

/// QUIC application error code sent when the transport closes its endpoint.
const CLOSE_CODE: u32 = 0;

/// Error returned by the transport and by the frame sender and receiver of a link.
#[derive(Debug, Error)]
pub enum TransportError {
    /// A TLS configuration could not be built from the node identity.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The UDP socket could not be bound.
    #[error("failed to bind QUIC endpoint on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The local address of the socket could not be read.
    #[error("failed to read the local address of the QUIC endpoint: {0}")]
    LocalAddr(std::io::Error),
    /// quinn refused to start a connection, for example to an unspecified address.
    #[error("failed to start a connection to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: quinn::ConnectError,
    },
    /// The QUIC or TLS handshake failed, including when a verifier rejected a node id.
    #[error("handshake with {addr} failed: {source}")]
    Handshake {
        addr: SocketAddr,
        source: ConnectionError,
    },
    /// The handshake completed without a peer certificate, which the verifiers forbid.
    #[error("peer at {addr} presented no certificate")]
    MissingPeerCertificate { addr: SocketAddr },
    /// The connecting side could not open its stream.
    #[error("failed to open a stream to node {peer}: {source}")]
    OpenStream {
        peer: NodeId,
        source: ConnectionError,
    },
    /// The accepted peer closed the connection before opening its stream.
    #[error("node {peer} closed the connection before opening a stream: {source}")]
    AcceptStream {
        peer: NodeId,
        source: ConnectionError,
    },
    /// The accepted peer sent nothing within `FIRST_STREAM_TIMEOUT`.
    #[error("node {peer} opened no stream within {timeout:?}")]
    FirstStreamTimedOut { peer: NodeId, timeout: Duration },
    /// A frame to send is longer than `MAX_FRAME_LEN`.
    #[error("{kind} frame of {len} bytes to node {peer} exceeds the maximum of {max} bytes")]
    FrameTooLong {
        peer: NodeId,
        kind: &'static str,
        len: usize,
        max: usize,
    },
    /// Writing to the stream failed, for example because the connection was closed.
    #[error("failed to send to node {peer}: {source}")]
    Write {
        peer: NodeId,
        source: quinn::WriteError,
    },
    /// The stream was already finished or reset.
    #[error("failed to finish the stream to node {peer}: {source}")]
    Finish {
        peer: NodeId,
        source: quinn::ClosedStream,
    },
    /// Reading from the stream failed, for example because the connection was closed.
    #[error("failed to receive from node {peer}: {source}")]
    Read {
        peer: NodeId,
        source: quinn::ReadError,
    },
    /// The stream ended inside a frame.
    #[error("stream from node {peer} ended inside a frame: {read} of {expected} bytes read")]
    TruncatedFrame {
        peer: NodeId,
        read: usize,
        expected: usize,
    },
    /// A received frame is invalid.
    #[error("invalid frame from node {peer}: {source}")]
    InvalidFrame { peer: NodeId, source: FrameError },
}

/// One QUIC endpoint that accepts connections from peers the policy accepts and opens
/// connections to pinned peers. Dropping it stops accepting but keeps open links alive.
#[derive(Debug)]
pub struct Transport {
    endpoint: Endpoint,
    /// Copy of the node identity, for the client configuration of each `connect`.
    identity: Identity,
    links: Mutex<mpsc::Receiver<Result<Link, TransportError>>>,
    accept_task: JoinHandle<()>,
}

impl Transport {
    /// Binds a UDP socket on `addr` and starts accepting peers that `policy` accepts.
    ///
    /// Must be called inside a tokio runtime, which runs the endpoint and accept tasks.
    pub fn bind(
        addr: SocketAddr,
        identity: &Identity,
        policy: Arc<dyn PeerPolicy>,
    ) -> Result<Transport, TransportError> {
        let server_config = tls::server_config(identity, policy)?;
        let endpoint = Endpoint::server(server_config, addr)
            .map_err(|source| TransportError::Bind { addr, source })?;

        let (sender, receiver) = mpsc::channel(ACCEPT_QUEUE_LEN);
        let accept_task = tokio::spawn(run_accept_loop(endpoint.clone(), sender));
        tracing::debug!(node = %identity.node_id().short(), %addr, "QUIC endpoint bound");

        Ok(Transport {
            endpoint,
            identity: identity.clone(),
            links: Mutex::new(receiver),
            accept_task,
        })
    }

    /// Returns the address the endpoint is bound to, with the port chosen for port 0.
    pub fn local_addr(&self) -> Result<SocketAddr, TransportError> {
        self.endpoint
            .local_addr()
            .map_err(TransportError::LocalAddr)
    }

    /// Connects to the node at `addr`, checks its certificate against `pin`, and opens the
    /// link's bidirectional stream.
    ///
    /// The caller must send the first frame, because the acceptor's `accept` returns the
    /// link only once that frame arrives. A server that `pin` rejects fails this call. A server that rejects this
    /// node may not: in TLS 1.3 the client finishes its handshake before the server
    /// verifies the client certificate, so the rejection reaches this side only as a
    /// closed connection. The first exchange (the first frame sent, then the first
    /// `recv`) therefore fails at the latest, with `TransportError::Read` or
    /// `TransportError::Write`.
    pub async fn connect(&self, addr: SocketAddr, pin: Pin) -> Result<Link, TransportError> {
        let client_config = tls::client_config(&self.identity, pin)?;
        let connecting = self
            .endpoint
            .connect_with(client_config, addr, CERTIFICATE_NAME)
            .map_err(|source| TransportError::Connect { addr, source })?;
        let connection = connecting
            .await
            .map_err(|source| TransportError::Handshake { addr, source })?;

        let peer = tls::peer_node_id(&connection)
            .ok_or(TransportError::MissingPeerCertificate { addr })?;

        let (send, recv) = connection
            .open_bi()
            .await
            .map_err(|source| TransportError::OpenStream { peer, source })?;
        tracing::debug!(peer = %peer.short(), remote = %addr, "connected");
        Ok(Link::new(peer, addr, connection, send, recv))
    }

    /// Waits for the next peer that passed the verifier and opened its stream.
    ///
    /// Returns `Some(Err(_))` for a failed handshake, including a rejected node id, and for
    /// a peer that opened no stream in time. The caller logs it and calls `accept` again.
    /// Returns `None` once the endpoint is closed.
    pub async fn accept(&self) -> Option<Result<Link, TransportError>> {
        self.links.lock().await.recv().await
    }

    /// Closes the endpoint and all its connections. `accept` then returns `None` once
    /// the handshakes in progress have ended.
    pub fn close(&self) {
        tracing::debug!("closing QUIC endpoint");
        self.endpoint
            .close(quinn::VarInt::from_u32(CLOSE_CODE), b"endpoint closed");
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

async fn run_accept_loop(endpoint: Endpoint, links: mpsc::Sender<Result<Link, TransportError>>) {
    while let Some(incoming) = endpoint.accept().await {
        let links = links.clone();
        tokio::spawn(async move {
            let result = accept_link(incoming).await;
            if let Err(error) = &result {
                tracing::debug!(%error, "incoming connection failed");
            }
            // A closed channel means the transport was dropped, which drops the link too.
            let _ = links.send(result).await;
        });
    }
    tracing::debug!("QUIC endpoint closed, accept loop stopped");
}

/// Completes the handshake of an incoming connection and accepts its first stream.
async fn accept_link(incoming: quinn::Incoming) -> Result<Link, TransportError> {
    let addr = incoming.remote_address();
    let connection = incoming
        .await
        .map_err(|source| TransportError::Handshake { addr, source })?;
    let peer =
        tls::peer_node_id(&connection).ok_or(TransportError::MissingPeerCertificate { addr })?;

    let accepted = tokio::time::timeout(FIRST_STREAM_TIMEOUT, connection.accept_bi()).await;
    let (send, recv) = match accepted {
        Ok(Ok(streams)) => streams,
        Ok(Err(source)) => return Err(TransportError::AcceptStream { peer, source }),
        Err(_elapsed) => {
            connection.close(
                quinn::VarInt::from_u32(CLOSE_CODE),
                b"no stream opened in time",
            );
            return Err(TransportError::FirstStreamTimedOut {
                peer,
                timeout: FIRST_STREAM_TIMEOUT,
            });
        }
    };

    tracing::debug!(peer = %peer.short(), remote = %addr, "accepted");
    Ok(Link::new(peer, addr, connection, send, recv))
}

/// An authenticated connection to one peer and its frame stream.
#[derive(Debug)]
pub struct Link {
    /// Node id of the peer, taken from the certificate it presented.
    pub peer: NodeId,
    /// Address of the peer's UDP socket.
    pub remote: SocketAddr,
    /// The QUIC connection, for statistics and for closing it.
    pub connection: quinn::Connection,
    /// Sending half of the link's stream.
    pub sender: FrameSender,
    /// Receiving half of the link's stream.
    pub receiver: FrameReceiver,
}

impl Link {
    fn new(
        peer: NodeId,
        remote: SocketAddr,
        connection: quinn::Connection,
        send: SendStream,
        recv: RecvStream,
    ) -> Link {
        Link {
            peer,
            remote,
            connection,
            sender: FrameSender { peer, stream: send },
            receiver: FrameReceiver::new(peer, recv),
        }
    }
}

/// Sending half of a link: writes one encoded frame at a time.
#[derive(Debug)]
pub struct FrameSender {
    peer: NodeId,
    stream: SendStream,
}

impl FrameSender {
    /// Encodes and writes one frame, and returns its length on the wire with the prefix.
    /// Returns once the frame is queued in the connection, not when the peer has
    /// received it.
    pub async fn send(&mut self, frame: &Frame) -> Result<usize, TransportError> {
        let encoded = frame::encode(frame);
        let len = encoded.len() - LENGTH_PREFIX_LEN;
        if len > MAX_FRAME_LEN {
            return Err(TransportError::FrameTooLong {
                peer: self.peer,
                kind: frame.kind(),
                len,
                max: MAX_FRAME_LEN,
            });
        }

        self.stream
            .write_all(&encoded)
            .await
            .map_err(|source| TransportError::Write {
                peer: self.peer,
                source,
            })?;
        tracing::trace!(peer = %self.peer.short(), kind = frame.kind(), len, "frame sent");
        Ok(encoded.len())
    }

    /// Writes `bytes` on the stream as they are, without a length prefix or any check.
    /// Only for tests of how a receiver handles malformed input.
    #[doc(hidden)]
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|source| TransportError::Write {
                peer: self.peer,
                source,
            })
    }

    /// Ends the stream after the frames already sent, so the peer's `recv` returns `None`.
    pub fn finish(&mut self) -> Result<(), TransportError> {
        self.stream
            .finish()
            .map_err(|source| TransportError::Finish {
                peer: self.peer,
                source,
            })
    }
}

/// Receiving half of a link: reads one frame at a time.
#[derive(Debug)]
pub struct FrameReceiver {
    peer: NodeId,
    stream: RecvStream,
    /// Bytes of the frame being read: the length prefix, then the body. They survive a
    /// cancelled [`FrameReceiver::recv`], so the next call resumes where it stopped.
    partial: Vec<u8>,
    /// How many bytes of `partial` hold data.
    filled: usize,
    /// Body length announced by the prefix, once the prefix is complete.
    body_len: Option<usize>,
}

impl FrameReceiver {
    fn new(peer: NodeId, stream: RecvStream) -> FrameReceiver {
        FrameReceiver {
            peer,
            stream,
            partial: vec![0; LENGTH_PREFIX_LEN],
            filled: 0,
            body_len: None,
        }
    }

    /// Reads the next frame. Returns `Ok(None)` when the peer finished the stream between
    /// two frames. A length prefix above `MAX_FRAME_LEN` is rejected before the body is
    /// allocated.
    ///
    /// Cancel-safe: a link's loop waits on this in `select!` beside other events, and a
    /// frame whose bytes arrive over several polls must not lose the part already read.
    pub async fn recv(&mut self) -> Result<Option<Frame>, TransportError> {
        loop {
            if self.filled == self.partial.len() {
                match self.body_len {
                    None => {
                        let mut prefix = [0; LENGTH_PREFIX_LEN];
                        prefix.copy_from_slice(&self.partial);
                        let len =
                            frame::decode_length(prefix).map_err(|source| self.invalid(source))?;
                        self.body_len = Some(len);
                        self.partial = vec![0; len];
                        self.filled = 0;
                        continue;
                    }
                    Some(len) => {
                        let body = std::mem::replace(&mut self.partial, vec![0; LENGTH_PREFIX_LEN]);
                        self.filled = 0;
                        self.body_len = None;
                        let frame = frame::decode(&body).map_err(|source| self.invalid(source))?;
                        tracing::trace!(peer = %self.peer.short(), kind = frame.kind(), len, "frame received");
                        return Ok(Some(frame));
                    }
                }
            }
            let read = self
                .stream
                .read(&mut self.partial[self.filled..])
                .await
                .map_err(|source| TransportError::Read {
                    peer: self.peer,
                    source,
                })?;
            match read {
                Some(count) => self.filled += count,
                None => return self.finished(),
            }
        }
    }

    /// Returns the end of the stream: `None` between two frames, an error in the middle
    /// of one.
    fn finished(&self) -> Result<Option<Frame>, TransportError> {
        match self.body_len {
            None if self.filled == 0 => Ok(None),
            None => Err(self.truncated(self.filled, LENGTH_PREFIX_LEN)),
            Some(len) => {
                Err(self.truncated(LENGTH_PREFIX_LEN + self.filled, LENGTH_PREFIX_LEN + len))
            }
        }
    }

    fn truncated(&self, read: usize, expected: usize) -> TransportError {
        TransportError::TruncatedFrame {
            peer: self.peer,
            read,
            expected,
        }
    }

    fn invalid(&self, source: FrameError) -> TransportError {
        TransportError::InvalidFrame {
            peer: self.peer,
            source,
        }
    }
}
