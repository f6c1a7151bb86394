//! Invitations and joining a facility.
//!
//! `invite` stores the SHA-256 of a random secret with an expiry in the node-local
//! `invitations` table and prints an invitation: the facility ID, the inviting node's ID
//! and address, and the secret. While an invitation is open, the running node's TLS
//! verifier lets unknown nodes finish the handshake, but such a node must send `Join` with
//! a valid, unused secret as its first frame, or the link is closed. A redeemed secret
//! is marked used in the same transaction that checks it, so it works once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use progmanager_model::schema::{self, FACILITY_DOC, Member};
use progmanager_sync::{Frame, FrameReceiver, Link, NodeId, Pin, Transport, TransportError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::error::AppError;
use crate::net::peer::{LinkMode, serve_link};
use crate::net::shared::Shared;
use crate::node::Node;

/// Prefix of the text form of an invitation, with the format version.
const PREFIX: &str = "pm1-";

/// Time allowed for the joining node to present its invitation.
const JOIN_TIMEOUT: Duration = Duration::from_secs(15);

/// An invitation to join a facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    #[serde(rename = "f")]
    pub facility: String,
    /// Hex node ID of the inviting node, pinned by the joining node.
    #[serde(rename = "n")]
    pub node: String,
    /// Address of the inviting node (`host:port`).
    #[serde(rename = "a")]
    pub address: String,
    #[serde(rename = "s")]
    pub secret: String,
}

impl Invitation {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("an invitation always serializes");
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    pub fn decode(text: &str) -> Result<Invitation, AppError> {
        let invalid = |reason: &str| AppError::InvalidInvitation {
            reason: reason.to_string(),
        };
        let body = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| invalid("it does not start with pm1-"))?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| invalid("it is not valid base64url; was it copied whole?"))?;
        let invitation: Invitation =
            serde_json::from_slice(&json).map_err(|_| invalid("its content is malformed"))?;
        invitation
            .node
            .parse::<NodeId>()
            .map_err(|_| invalid("its node ID is malformed"))?;
        Ok(invitation)
    }
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates and stores a new invitation valid for `valid_hours`.
pub fn create_invitation(
    node: &mut Node,
    address: &str,
    valid_hours: u32,
) -> Result<Invitation, AppError> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    let now = Utc::now().timestamp_millis();
    let expires = now + i64::from(valid_hours) * 3_600_000;
    let hash = hash_secret(&secret);
    node.store.local_transaction(|tx| {
        tx.execute(
            "INSERT INTO invitations (secret_hash, created_ms, expires_ms) VALUES (?1, ?2, ?3)",
            rusqlite::params![hash, now, expires],
        )
        .map(|_| ())
    })?;
    Ok(Invitation {
        facility: node.settings()?.facility_id,
        node: node.node_id.to_string(),
        address: address.to_string(),
        secret,
    })
}

/// Marks the invitation with `secret` used by `peer`; false when it is unknown, used or
/// expired.
fn redeem(node: &mut Node, secret: &str, peer: &NodeId) -> Result<bool, AppError> {
    let hash = hash_secret(secret);
    let now = Utc::now().timestamp_millis();
    let peer = peer.to_string();
    Ok(node.store.local_transaction(|tx| {
        tx.execute(
            "UPDATE invitations SET used_by = ?1
             WHERE secret_hash = ?2 AND used_by IS NULL AND expires_ms > ?3",
            rusqlite::params![peer, hash, now],
        )
        .map(|updated| updated == 1)
    })?)
}

/// Handles an incoming link from a node that is not a member: it must present a valid
/// invitation, and then becomes a member and syncs like any other peer.
pub async fn admit(shared: Arc<Shared>, mut link: Link) {
    let peer = link.peer;
    let first = tokio::time::timeout(JOIN_TIMEOUT, link.receiver.recv()).await;
    let Ok(Ok(Some(Frame::Join {
        secret,
        node_name,
        listen,
    }))) = first
    else {
        warn!(peer = %peer.short(), "non-member connected without an invitation: closing");
        link.connection.close(1u32.into(), b"not a member");
        return;
    };

    match add_member(&shared, &peer, &secret, &node_name, listen.as_deref()) {
        Ok(true) => {}
        Ok(false) => {
            warn!(peer = %peer.short(), name = %node_name, "invalid, used or expired invitation");
            let reason = "invalid, used or expired invitation".to_string();
            let _ = link.sender.send(&Frame::JoinRejected { reason }).await;
            let _ = link.sender.finish();
            tokio::time::sleep(Duration::from_millis(200)).await;
            link.connection.close(1u32.into(), b"rejected");
            return;
        }
        Err(err) => {
            warn!(peer = %peer.short(), error = %err, "adding a member failed");
            link.connection.close(1u32.into(), b"internal error");
            return;
        }
    }

    info!(peer = %peer.short(), name = %node_name, "node joined the facility");
    let accepted = Frame::JoinAccepted {
        facility: shared.facility_id.clone(),
    };
    if let Err(err) = link.sender.send(&accepted).await {
        warn!(peer = %peer.short(), error = %err, "sending the join acceptance failed");
        return;
    }
    let Some(guard) = shared.register_link(peer, false) else {
        return;
    };
    serve_link(shared, link, guard, LinkMode::Serve).await;
}

fn add_member(
    shared: &Shared,
    peer: &NodeId,
    secret: &str,
    name: &str,
    listen: Option<&str>,
) -> Result<bool, AppError> {
    let mut node = shared.node();
    if !redeem(&mut node, secret, peer)? {
        return Ok(false);
    }
    let member = Member {
        node_id: peer.to_string(),
        name: name.to_string(),
        address: listen.unwrap_or_default().to_string(),
        joined_ms: Utc::now().timestamp_millis(),
        removed: false,
    };
    let author = node.author("");
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_member(tx, &member)?)
        })
    })?;
    drop(node);
    shared.refresh_policy()?;
    let _ = shared.changes.send(FACILITY_DOC.to_string());
    Ok(true)
}

/// The joining side: presents the invitation, then syncs every document once.
pub async fn join(
    node: Node,
    invitation: &Invitation,
    target: SocketAddr,
    node_name: &str,
    listen: Option<String>,
) -> Result<(), AppError> {
    let inviter: NodeId = invitation
        .node
        .parse()
        .map_err(|_| AppError::InvalidInvitation {
            reason: "its node ID is malformed".into(),
        })?;
    let bind: SocketAddr = if target.is_ipv6() {
        "[::]:0".parse().expect("a valid literal address")
    } else {
        "0.0.0.0:0".parse().expect("a valid literal address")
    };
    let pin_policy = Arc::new(progmanager_sync::AllowList::new([inviter]));
    let transport =
        Transport::bind(bind, &node.identity, pin_policy).map_err(|e| AppError::Network {
            detail: e.to_string(),
        })?;
    let mut link = tokio::time::timeout(
        JOIN_TIMEOUT,
        transport.connect(target, Pin::Exactly(inviter)),
    )
    .await
    .map_err(|_| AppError::JoinFailed {
        detail: format!("no answer from {target}"),
    })?
    .map_err(|err| match err {
        // The handshake completed on this side, then the inviter closed the connection.
        TransportError::OpenStream { .. } => closed_by_inviter(&err),
        _ => AppError::JoinFailed {
            detail: err.to_string(),
        },
    })?;

    let join = Frame::Join {
        secret: invitation.secret.clone(),
        node_name: node_name.to_string(),
        listen: listen.clone(),
    };
    link.sender
        .send(&join)
        .await
        .map_err(|err| closed_by_inviter(&err))?;
    expect_acceptance(&mut link.receiver, &invitation.facility).await?;

    // The facility document arrives through sync; the node records its facility now.
    node.store.set_local("facility_id", &invitation.facility)?;
    let shared = Shared::for_join(node, listen, invitation.facility.clone(), inviter)?;
    let guard = shared
        .register_link(inviter, true)
        .ok_or_else(|| AppError::JoinFailed {
            detail: "link rejected".into(),
        })?;
    tokio::time::timeout(
        Duration::from_secs(120),
        serve_link(Arc::clone(&shared), link, guard, LinkMode::UntilSynced),
    )
    .await
    .map_err(|_| AppError::JoinFailed {
        detail: "the documents did not finish syncing within 120 s".into(),
    })?;
    transport.close();

    let node = shared.node();
    node.settings().map_err(|_| AppError::JoinFailed {
        detail: "the facility document did not arrive".into(),
    })?;
    Ok(())
}

async fn expect_acceptance(receiver: &mut FrameReceiver, facility: &str) -> Result<(), AppError> {
    let answer = tokio::time::timeout(JOIN_TIMEOUT, receiver.recv())
        .await
        .map_err(|_| AppError::JoinFailed {
            detail: "the inviting node did not answer".into(),
        })?;
    match answer {
        Ok(Some(Frame::JoinAccepted { facility: f })) if f == facility => Ok(()),
        Ok(Some(Frame::JoinAccepted { facility: f })) => Err(AppError::JoinFailed {
            detail: format!("the inviting node belongs to facility {f}"),
        }),
        Ok(Some(Frame::JoinRejected { reason })) => Err(AppError::JoinRejected { reason }),
        Ok(_) => Err(AppError::JoinFailed {
            detail: "unexpected answer from the inviting node".into(),
        }),
        Err(err) => Err(closed_by_inviter(&err)),
    }
}

/// Returns the error for a connection the inviting node closed after the handshake.
///
/// With no invitation open, the inviting node's TLS verifier rejects this node's
/// certificate. This side gets only a closed connection, as an error when it opens its
/// stream, sends `Join` or waits for the reply, depending on timing.
fn closed_by_inviter(err: &TransportError) -> AppError {
    AppError::JoinRejected {
        reason: format!(
            "the connection was closed ({err}); the invitation is probably used or expired"
        ),
    }
}
