//! Transport tests over real QUIC on 127.0.0.1: pinned mutual TLS, rejection on both
//! sides, frames in both directions, a large sync message, and malformed frames from an
//! accepted member.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use progmanager_sync::tls::AllowList;
use progmanager_sync::{
    Frame, FrameError, Identity, Link, MAX_FRAME_LEN, NodeId, PeerPolicy, Pin, Transport,
    TransportError,
};

/// Upper bound of every test, far above the few milliseconds a loopback exchange takes.
const TEST_TIMEOUT: Duration = Duration::from_secs(20);

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

fn identity(name: &str) -> Identity {
    Identity::generate(name).expect("generation works offline")
}

fn allow(ids: &[NodeId]) -> Arc<dyn PeerPolicy> {
    Arc::new(AllowList::new(ids.iter().copied()))
}

fn hello(node_name: &str) -> Frame {
    Frame::Hello {
        facility: "plateforme".to_owned(),
        node_name: node_name.to_owned(),
        clock_ms: 1_700_000_000_000,
        listen: None,
    }
}

/// Runs a test body under `TEST_TIMEOUT`.
async fn with_timeout<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("test timed out");
}

/// Two transports whose policies accept each other.
fn mutual_pair() -> (Identity, Transport, Identity, Transport) {
    let server_id = identity("server");
    let client_id = identity("client");
    let policy = allow(&[server_id.node_id(), client_id.node_id()]);
    let server = Transport::bind(loopback(), &server_id, policy.clone()).expect("bind server");
    let client = Transport::bind(loopback(), &client_id, policy).expect("bind client");
    (server_id, server, client_id, client)
}

async fn accept_link(transport: &Transport) -> Link {
    transport
        .accept()
        .await
        .expect("endpoint open")
        .expect("accepted peer")
}

#[tokio::test]
async fn accepted_peers_exchange_frames() {
    with_timeout(async {
        let (server_id, server, client_id, client) = mutual_pair();
        let server_addr = server.local_addr().expect("server address");

        let mut outgoing = client
            .connect(server_addr, Pin::Exactly(server_id.node_id()))
            .await
            .expect("connect");
        assert_eq!(outgoing.peer, server_id.node_id());
        outgoing
            .sender
            .send(&hello("client"))
            .await
            .expect("send hello");

        let mut incoming = accept_link(&server).await;
        assert_eq!(incoming.peer, client_id.node_id());
        assert_eq!(
            incoming.receiver.recv().await.expect("recv hello"),
            Some(hello("client"))
        );

        let reply = Frame::Docs {
            heads: vec![("facility".to_owned(), vec![[9; 32]])],
        };
        incoming.sender.send(&reply).await.expect("send docs");
        incoming.sender.send(&Frame::Bye).await.expect("send bye");
        incoming.sender.finish().expect("finish");

        assert_eq!(
            outgoing.receiver.recv().await.expect("recv docs"),
            Some(reply)
        );
        assert_eq!(
            outgoing.receiver.recv().await.expect("recv bye"),
            Some(Frame::Bye)
        );
        assert_eq!(outgoing.receiver.recv().await.expect("recv end"), None);
    })
    .await;
}

#[tokio::test]
async fn policy_pin_accepts_listed_server() {
    with_timeout(async {
        let (server_id, server, _client_id, client) = mutual_pair();
        let server_addr = server.local_addr().expect("server address");

        let mut outgoing = client
            .connect(server_addr, Pin::Policy(allow(&[server_id.node_id()])))
            .await
            .expect("connect");
        outgoing.sender.send(&Frame::Bye).await.expect("send");

        let mut incoming = accept_link(&server).await;
        assert_eq!(
            incoming.receiver.recv().await.expect("recv"),
            Some(Frame::Bye)
        );
    })
    .await;
}

#[tokio::test]
async fn rejected_client_fails_first_exchange() {
    with_timeout(async {
        let server_id = identity("server");
        let client_id = identity("stranger");
        // The server accepts only itself, the client accepts the server.
        let server = Transport::bind(loopback(), &server_id, allow(&[server_id.node_id()]))
            .expect("bind server");
        let client = Transport::bind(loopback(), &client_id, allow(&[server_id.node_id()]))
            .expect("bind client");
        let server_addr = server.local_addr().expect("server address");

        let exchange = async {
            let mut link = client
                .connect(server_addr, Pin::Exactly(server_id.node_id()))
                .await?;
            link.sender.send(&hello("stranger")).await?;
            link.receiver.recv().await
        };
        let result = exchange.await;
        assert!(result.is_err(), "rejected client got {result:?}");

        let accepted = server.accept().await.expect("endpoint open");
        assert!(accepted.is_err(), "server returned a link: {accepted:?}");
    })
    .await;
}

#[tokio::test]
async fn wrong_server_pin_fails_connect() {
    with_timeout(async {
        let (_server_id, server, _client_id, client) = mutual_pair();
        let server_addr = server.local_addr().expect("server address");

        let result = client
            .connect(server_addr, Pin::Exactly(NodeId([0x55; 32])))
            .await;
        assert!(result.is_err(), "connect to unpinned server succeeded");

        let accepted = server.accept().await.expect("endpoint open");
        assert!(accepted.is_err(), "server returned a link: {accepted:?}");
    })
    .await;
}

/// Bytes from a xorshift generator, so a frame's content depends on its seed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[tokio::test]
async fn large_sync_frame_arrives_intact() {
    with_timeout(async {
        let (server_id, server, _client_id, client) = mutual_pair();
        let server_addr = server.local_addr().expect("server address");

        let frame = Frame::Sync {
            doc: "logbook-xrd-2025".to_owned(),
            message: noise(0x2545_F491_4F6C_DD1D, 1024 * 1024),
        };

        let mut outgoing = client
            .connect(server_addr, Pin::Exactly(server_id.node_id()))
            .await
            .expect("connect");
        let send = async {
            outgoing.sender.send(&frame).await.expect("send sync");
        };
        let receive = async {
            let mut incoming = accept_link(&server).await;
            incoming.receiver.recv().await.expect("recv sync")
        };
        let ((), received) = tokio::join!(send, receive);
        assert_eq!(received, Some(frame));
    })
    .await;
}

/// A link's loop waits for frames in `select!` beside other events, which drops the
/// receive future whenever another event comes first. Frames that arrive over many polls
/// must still come out whole and in order.
#[tokio::test]
async fn cancelled_receives_lose_no_bytes() {
    with_timeout(async {
        let (server_id, server, _client_id, client) = mutual_pair();
        let server_addr = server.local_addr().expect("server address");
        let frames: Vec<Frame> = (1..=3)
            .map(|seed| Frame::Sync {
                doc: format!("logbook/xrd/{seed}"),
                message: noise(seed, 512 * 1024),
            })
            .collect();

        let mut outgoing = client
            .connect(server_addr, Pin::Exactly(server_id.node_id()))
            .await
            .expect("connect");
        let send = async {
            for frame in &frames {
                outgoing.sender.send(frame).await.expect("send sync");
            }
        };
        let receive = async {
            let mut incoming = accept_link(&server).await;
            let mut received = Vec::new();
            let mut cancelled = 0;
            for _ in 0..1_000_000 {
                if received.len() == frames.len() {
                    break;
                }
                tokio::select! {
                    frame = incoming.receiver.recv() => {
                        received.push(frame.expect("recv sync").expect("a frame"));
                    }
                    () = tokio::task::yield_now() => cancelled += 1,
                }
            }
            (received, cancelled)
        };
        let ((), (received, cancelled)) = tokio::join!(send, receive);
        assert!(
            cancelled > 0,
            "no receive was cancelled, so the test proved nothing"
        );
        assert_eq!(received, frames);
    })
    .await;
}

#[tokio::test]
async fn oversized_frame_is_not_sent() {
    with_timeout(async {
        let (server_id, server, _client_id, client) = mutual_pair();
        let server_addr = server.local_addr().expect("server address");
        let mut outgoing = client
            .connect(server_addr, Pin::Exactly(server_id.node_id()))
            .await
            .expect("connect");

        // Noise, because a long run of zeros would go out compressed and fit.
        let frame = Frame::Sync {
            doc: "d".to_owned(),
            message: noise(0x5DEE_CE66_D1CE_4E5B, progmanager_sync::MAX_FRAME_LEN),
        };
        let error = outgoing.sender.send(&frame).await.expect_err("too long");
        assert!(error.to_string().contains("exceeds the maximum"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn closed_endpoint_stops_accept() {
    with_timeout(async {
        let server =
            Transport::bind(loopback(), &identity("server"), allow(&[])).expect("bind server");
        server.close();
        assert!(server.accept().await.is_none());
    })
    .await;
}

/// How the receiver must reject one malformed input.
#[derive(Debug, Clone, Copy)]
enum Rejection {
    TooLong,
    Truncated,
    UnknownVersion,
    UnknownTag,
}

impl Rejection {
    fn matches(self, error: &TransportError) -> bool {
        let source = match error {
            TransportError::InvalidFrame { source, .. } => Some(source),
            _ => None,
        };
        match self {
            Rejection::TooLong => matches!(source, Some(FrameError::TooLong { .. })),
            Rejection::Truncated => matches!(error, TransportError::TruncatedFrame { .. }),
            Rejection::UnknownVersion => {
                matches!(source, Some(FrameError::UnknownVersion { .. }))
            }
            Rejection::UnknownTag => matches!(source, Some(FrameError::UnknownTag { .. })),
        }
    }
}

#[tokio::test]
async fn malformed_frames_from_member_are_errors() {
    let oversized = u32::try_from(MAX_FRAME_LEN + 1).expect("16 MiB + 1 fits in u32");
    let mut oversized_prefix = oversized.to_be_bytes().to_vec();
    oversized_prefix.extend_from_slice(&[1, 7]);
    // (name, bytes written, whether the stream is finished after them, expected error)
    let cases: [(&str, Vec<u8>, bool, Rejection); 6] = [
        (
            "oversized length prefix",
            oversized_prefix,
            false,
            Rejection::TooLong,
        ),
        (
            "truncated body",
            vec![0, 0, 0, 20, 1, 1, 0, 0],
            true,
            Rejection::Truncated,
        ),
        (
            "truncated length prefix",
            vec![0, 0],
            true,
            Rejection::Truncated,
        ),
        (
            "unknown version",
            vec![0, 0, 0, 2, 9, 7],
            false,
            Rejection::UnknownVersion,
        ),
        (
            "unknown tag",
            vec![0, 0, 0, 2, 1, 0xEE],
            false,
            Rejection::UnknownTag,
        ),
        // Text from a client that speaks another protocol: "GET " read as a length is
        // about 1.2 GB, above the maximum.
        (
            "garbage",
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            false,
            Rejection::TooLong,
        ),
    ];

    with_timeout(async {
        let (server_id, server, client_id, client) = mutual_pair();
        let server_addr = server.local_addr().expect("server address");

        for (name, bytes, finish, expected) in cases {
            let mut outgoing = client
                .connect(server_addr, Pin::Exactly(server_id.node_id()))
                .await
                .expect("connect");
            outgoing
                .sender
                .send_raw(&bytes)
                .await
                .expect("write raw bytes");
            if finish {
                outgoing.sender.finish().expect("finish");
            }

            let mut incoming = accept_link(&server).await;
            assert_eq!(
                incoming.peer,
                client_id.node_id(),
                "{name}: policy accepted the client"
            );
            let result = incoming.receiver.recv().await;
            let error = result.expect_err(name);
            assert!(
                expected.matches(&error),
                "{name}: expected {expected:?}, got {error}"
            );
            // The client link stays open until the server has read, so no case ends as
            // a closed connection instead of the malformed input.
            drop(outgoing);
        }
    })
    .await;
}
