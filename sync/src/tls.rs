//! Mutual TLS with pinned node ids: QUIC client and server configurations whose rustls
//! verifiers accept a peer certificate only when its SHA-256 is an accepted node id.
//!
//! No certificate authority is involved. A verifier checks the pin, then still verifies
//! the handshake signature with the certificate's key, so a peer must hold the private key
//! of the certificate it presents. Names and validity dates in the certificate are not
//! checked. Only TLS 1.3 with the ring provider is enabled, client authentication is
//! mandatory, and session resumption is disabled so every connection runs the verifiers.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{NoInitialCipherSuite, QuicClientConfig, QuicServerConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme, version,
};
use thiserror::Error;

use crate::identity::{Identity, NodeId};

/// ALPN protocol id of progmanager links. A peer offering another protocol is rejected.
pub const ALPN: &[u8] = b"progmanager/1";

/// Interval of QUIC keep-alive packets, so idle links to live peers stay open.
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5);

/// Time without any packet from the peer after which a connection is closed.
pub const MAX_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Decision on which node ids may connect, such as the members of the facility.
///
/// It is called during every handshake, so an implementation backed by the facility
/// document rejects a removed member on its next connection.
pub trait PeerPolicy: Send + Sync + fmt::Debug {
    /// Returns whether a peer presenting a certificate with this node id is accepted.
    fn accepts(&self, peer: &NodeId) -> bool;
}

/// Fixed set of accepted node ids.
#[derive(Clone, Debug, Default)]
pub struct AllowList {
    ids: HashSet<NodeId>,
}

impl AllowList {
    /// Creates a policy that accepts exactly these node ids.
    pub fn new(ids: impl IntoIterator<Item = NodeId>) -> AllowList {
        AllowList {
            ids: ids.into_iter().collect(),
        }
    }
}

impl PeerPolicy for AllowList {
    fn accepts(&self, peer: &NodeId) -> bool {
        self.ids.contains(peer)
    }
}

/// Rule that selects the server certificates a client accepts.
#[derive(Clone, Debug)]
pub enum Pin {
    /// Only the server with this node id, for a connection to a known peer.
    Exactly(NodeId),
    /// Any server that the policy accepts, for example an address found by discovery.
    Policy(Arc<dyn PeerPolicy>),
}

impl Pin {
    /// Returns whether this pin accepts the node id.
    pub fn accepts(&self, peer: &NodeId) -> bool {
        match self {
            Pin::Exactly(expected) => expected == peer,
            Pin::Policy(policy) => policy.accepts(peer),
        }
    }
}

/// Error returned when a TLS configuration cannot be built.
#[derive(Debug, Error)]
pub enum TlsError {
    /// The ring provider does not offer TLS 1.3.
    #[error("failed to enable TLS 1.3 with the ring provider: {0}")]
    Tls13Unavailable(rustls::Error),
    /// rustls rejected the node's certificate or private key.
    #[error("certificate of node {node} rejected by rustls: {source}")]
    InvalidCertificate { node: NodeId, source: rustls::Error },
    /// The ring provider lacks the cipher suite that QUIC requires for initial packets.
    #[error("TLS configuration unusable for QUIC: {0}")]
    Quic(NoInitialCipherSuite),
}

/// Builds the QUIC server configuration: this node's certificate, mandatory client
/// certificates checked against `policy`.
pub fn server_config(
    identity: &Identity,
    policy: Arc<dyn PeerPolicy>,
) -> Result<quinn::ServerConfig, TlsError> {
    let provider = provider();
    let verifier = PinnedPeerVerifier::new(Pin::Policy(policy), &provider);

    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&version::TLS13])
        .map_err(TlsError::Tls13Unavailable)?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![identity.certificate().clone()], identity.private_key())
        .map_err(|source| TlsError::InvalidCertificate {
            node: identity.node_id(),
            source,
        })?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    // Without tickets or a session cache no client can resume a session, so the client
    // verifier runs on every connection, including after a member is removed.
    tls.send_tls13_tickets = 0;
    tls.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});

    let quic = QuicServerConfig::try_from(tls).map_err(TlsError::Quic)?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    config.transport_config(transport_config());
    Ok(config)
}

/// Builds the QUIC client configuration: this node's certificate as client certificate,
/// and a server certificate accepted only if `pin` accepts its node id.
pub fn client_config(identity: &Identity, pin: Pin) -> Result<quinn::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = PinnedPeerVerifier::new(pin, &provider);

    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&version::TLS13])
        .map_err(TlsError::Tls13Unavailable)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(vec![identity.certificate().clone()], identity.private_key())
        .map_err(|source| TlsError::InvalidCertificate {
            node: identity.node_id(),
            source,
        })?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.resumption = rustls::client::Resumption::disabled();

    let quic = QuicClientConfig::try_from(tls).map_err(TlsError::Quic)?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic));
    config.transport_config(transport_config());
    Ok(config)
}

/// Returns the node id of the certificate a connection's peer presented, or `None`
/// before the handshake completes.
pub fn peer_node_id(connection: &quinn::Connection) -> Option<NodeId> {
    let identity = connection.peer_identity()?;
    let certificates = identity.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    let end_entity = certificates.first()?;
    Some(NodeId::of_certificate(end_entity))
}

/// Returns the ring provider. rustls and quinn could also bring aws-lc-rs, and rustls
/// panics when it has to pick a process-wide default between two providers, so every
/// configuration names its provider explicitly.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn transport_config() -> Arc<quinn::TransportConfig> {
    let idle_ms = u32::try_from(MAX_IDLE_TIMEOUT.as_millis())
        .expect("MAX_IDLE_TIMEOUT of 30 s fits in u32 milliseconds");
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(Some(KEEP_ALIVE_INTERVAL));
    transport.max_idle_timeout(Some(quinn::IdleTimeout::from(quinn::VarInt::from_u32(
        idle_ms,
    ))));
    Arc::new(transport)
}

/// Verifier used on both sides: pins the node id of the peer's end-entity certificate,
/// then verifies handshake signatures with the provider's algorithms.
#[derive(Debug)]
struct PinnedPeerVerifier {
    pin: Pin,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedPeerVerifier {
    fn new(pin: Pin, provider: &CryptoProvider) -> PinnedPeerVerifier {
        PinnedPeerVerifier {
            pin,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    fn check_pin(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let peer = NodeId::of_certificate(end_entity);
        if self.pin.accepts(&peer) {
            tracing::trace!(peer = %peer.short(), "peer certificate accepted");
            Ok(())
        } else {
            tracing::debug!(peer = %peer.short(), "peer certificate rejected: node id not accepted");
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
}

impl ServerCertVerifier for PinnedPeerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check_pin(end_entity)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl ClientCertVerifier for PinnedPeerVerifier {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check_pin(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity::generate("test").expect("generation works offline")
    }

    #[test]
    fn pin_exactly_accepts_only_its_id() {
        let pin = Pin::Exactly(NodeId([1; 32]));
        assert!(pin.accepts(&NodeId([1; 32])));
        assert!(!pin.accepts(&NodeId([2; 32])));
    }

    #[test]
    fn allow_list_accepts_only_members() {
        let pin = Pin::Policy(Arc::new(AllowList::new([NodeId([1; 32]), NodeId([3; 32])])));
        assert!(pin.accepts(&NodeId([1; 32])));
        assert!(pin.accepts(&NodeId([3; 32])));
        assert!(!pin.accepts(&NodeId([2; 32])));
    }

    #[test]
    fn verifier_pins_certificate_hash() {
        let peer = identity();
        let accepting = PinnedPeerVerifier::new(Pin::Exactly(peer.node_id()), &provider());
        let rejecting = PinnedPeerVerifier::new(Pin::Exactly(NodeId([0; 32])), &provider());

        assert!(accepting.check_pin(peer.certificate()).is_ok());
        assert!(matches!(
            rejecting.check_pin(peer.certificate()),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure
            ))
        ));
    }

    #[test]
    fn verifier_offers_ecdsa_p256() {
        let verifier = PinnedPeerVerifier::new(Pin::Exactly(NodeId([0; 32])), &provider());
        let schemes = ServerCertVerifier::supported_verify_schemes(&verifier);
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP256_SHA256));
        assert!(ClientCertVerifier::client_auth_mandatory(&verifier));
    }

    #[test]
    fn configs_build_for_generated_identity() {
        let identity = identity();
        let policy: Arc<dyn PeerPolicy> = Arc::new(AllowList::default());
        assert!(server_config(&identity, policy.clone()).is_ok());
        assert!(client_config(&identity, Pin::Policy(policy)).is_ok());
    }
}
