//! Node identity: a self-signed certificate and its private key, and the node id derived
//! from the certificate.
//!
//! A node id is the SHA-256 of the node's DER certificate. Peers pin node ids instead of
//! trusting a certificate authority, so the certificate's names and validity dates carry
//! no meaning. The identity is stored in a directory as `node.crt` and `node.key` (PEM).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Subject alternative name of every node certificate, and the TLS server name that
/// clients request. Verification ignores it because peers are pinned by node id.
pub const CERTIFICATE_NAME: &str = "progmanager-node";

/// File name of the PEM certificate inside an identity directory.
pub const CERTIFICATE_FILE: &str = "node.crt";

/// File name of the PEM PKCS#8 private key inside an identity directory.
pub const KEY_FILE: &str = "node.key";

/// SHA-256 of a node's DER certificate.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub [u8; 32]);

impl NodeId {
    /// Computes the node id of a DER-encoded certificate.
    pub fn of_certificate(der: &[u8]) -> NodeId {
        NodeId(Sha256::digest(der).into())
    }

    /// Returns the first 8 hexadecimal characters, for logs and status pages.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.short())
    }
}

/// Error returned when a text is not a node id.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseNodeIdError {
    /// The text does not have 64 characters.
    #[error("invalid node id {text:?}: expected 64 hexadecimal characters, got {len}")]
    InvalidLength { text: String, len: usize },
    /// The text has a character outside 0-9, a-f and A-F.
    #[error("invalid node id {text:?}: not hexadecimal")]
    InvalidHex { text: String },
}

impl FromStr for NodeId {
    type Err = ParseNodeIdError;

    fn from_str(text: &str) -> Result<NodeId, ParseNodeIdError> {
        let len = text.chars().count();
        if len != 64 {
            return Err(ParseNodeIdError::InvalidLength {
                text: text.to_owned(),
                len,
            });
        }

        let mut bytes = [0; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| ParseNodeIdError::InvalidHex {
            text: text.to_owned(),
        })?;
        Ok(NodeId(bytes))
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NodeId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Error returned by `Identity::generate`, `Identity::save` and `Identity::load`.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// rcgen failed to generate the key pair or to sign the certificate.
    #[error("failed to generate the certificate of node {node_name:?}: {source}")]
    Generate {
        node_name: String,
        source: rcgen::Error,
    },
    /// A file or directory of the identity could not be written.
    #[error("failed to write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// A file of the identity could not be read.
    #[error("failed to read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// A file of the identity is not the expected PEM content.
    #[error("invalid PEM in {}: {source}", path.display())]
    InvalidPem { path: PathBuf, source: pem::Error },
    /// The private key does not belong to the certificate.
    #[error("{} does not match {}: {source}; restore both files from the same backup", key.display(), certificate.display())]
    KeyMismatch {
        certificate: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
}

/// A node's certificate and private key.
pub struct Identity {
    certificate: CertificateDer<'static>,
    /// PKCS#8 DER of the ECDSA P-256 private key.
    key: PrivatePkcs8KeyDer<'static>,
    /// Cached SHA-256 of `certificate`.
    id: NodeId,
}

impl Identity {
    /// Generates a new ECDSA P-256 key pair and a self-signed certificate whose common
    /// name is `node_name` and whose subject alternative name is `CERTIFICATE_NAME`.
    pub fn generate(node_name: &str) -> Result<Identity, IdentityError> {
        let generate_error = |source| IdentityError::Generate {
            node_name: node_name.to_owned(),
            source,
        };

        let key_pair =
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(generate_error)?;
        let mut params = rcgen::CertificateParams::new(vec![CERTIFICATE_NAME.to_owned()])
            .map_err(generate_error)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, node_name);
        let certificate = params.self_signed(&key_pair).map_err(generate_error)?;

        let identity = Identity::from_der(
            certificate.der().clone(),
            PrivatePkcs8KeyDer::from(key_pair.serialize_der()),
        );
        tracing::debug!(node = %identity.id.short(), "generated node identity");
        Ok(identity)
    }

    /// Builds an identity from a DER certificate and its PKCS#8 private key. Nothing
    /// checks here that the key matches the certificate, but the TLS configurations reject
    /// a mismatched pair.
    pub fn from_der(
        certificate: CertificateDer<'static>,
        key: PrivatePkcs8KeyDer<'static>,
    ) -> Identity {
        let id = NodeId::of_certificate(&certificate);
        Identity {
            certificate,
            key,
            id,
        }
    }

    /// Returns the node id, the SHA-256 of the certificate.
    pub fn node_id(&self) -> NodeId {
        self.id
    }

    /// Returns the DER certificate.
    pub fn certificate(&self) -> &CertificateDer<'static> {
        &self.certificate
    }

    /// Returns a copy of the private key, for the TLS configurations.
    pub(crate) fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }

    /// Writes `node.crt` and `node.key` in PEM into `dir`, creating `dir` if needed.
    ///
    /// Each file is written to a temporary file, flushed to disk and renamed over the
    /// old one. On Unix the key is created with mode 0600. The two renames are not one
    /// atomic step, so a crash between them can leave a new key next to an old
    /// certificate, which `load` then reports as a mismatch.
    pub fn save(&self, dir: &Path) -> Result<(), IdentityError> {
        fs::create_dir_all(dir).map_err(|source| IdentityError::Write {
            path: dir.to_owned(),
            source,
        })?;

        let certificate_pem = to_pem("CERTIFICATE", &self.certificate);
        let key_pem = to_pem("PRIVATE KEY", self.key.secret_pkcs8_der());
        write_atomically(&dir.join(KEY_FILE), key_pem.as_bytes(), true)?;
        write_atomically(
            &dir.join(CERTIFICATE_FILE),
            certificate_pem.as_bytes(),
            false,
        )?;
        sync_directory(dir)?;

        tracing::debug!(node = %self.id.short(), dir = %dir.display(), "saved node identity");
        Ok(())
    }

    /// Reads `node.crt` and `node.key` from `dir` and checks that they belong together.
    pub fn load(dir: &Path) -> Result<Identity, IdentityError> {
        let certificate_path = dir.join(CERTIFICATE_FILE);
        let key_path = dir.join(KEY_FILE);

        let certificate: CertificateDer<'static> = read_pem(&certificate_path)?;
        let key: PrivatePkcs8KeyDer<'static> = read_pem(&key_path)?;

        let provider = rustls::crypto::ring::default_provider();
        rustls::sign::CertifiedKey::from_der(
            vec![certificate.clone()],
            PrivateKeyDer::Pkcs8(key.clone_key()),
            &provider,
        )
        .map_err(|source| IdentityError::KeyMismatch {
            certificate: certificate_path.clone(),
            key: key_path.clone(),
            source,
        })?;

        let identity = Identity::from_der(certificate, key);
        tracing::debug!(node = %identity.id.short(), dir = %dir.display(), "loaded node identity");
        Ok(identity)
    }

    /// Returns whether both `node.crt` and `node.key` exist in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(CERTIFICATE_FILE).is_file() && dir.join(KEY_FILE).is_file()
    }
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity {
            certificate: self.certificate.clone(),
            key: self.key.clone_key(),
            id: self.id,
        }
    }
}

/// Shows only the node id, so the private key never reaches a log.
impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("node_id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Encodes DER bytes as one PEM block with 64-character lines (RFC 7468).
fn to_pem(label: &str, der: &[u8]) -> String {
    let base64 = BASE64_STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 output is ASCII"));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

fn read_pem<T: PemObject>(path: &Path) -> Result<T, IdentityError> {
    let bytes = fs::read(path).map_err(|source| IdentityError::Read {
        path: path.to_owned(),
        source,
    })?;
    T::from_pem_slice(&bytes).map_err(|source| IdentityError::InvalidPem {
        path: path.to_owned(),
        source,
    })
}

/// Writes `contents` to `path` through a temporary file in the same directory, so a
/// reader sees either the old or the new file, never a partial one.
fn write_atomically(path: &Path, contents: &[u8], secret: bool) -> Result<(), IdentityError> {
    let mut temp_name = path.file_name().unwrap_or_default().to_owned();
    temp_name.push(".tmp");
    let temp_path = path.with_file_name(temp_name);
    let write_error = |source| IdentityError::Write {
        path: temp_path.clone(),
        source,
    };

    // A leftover temporary file from a crash could have looser permissions, and
    // `create_new` only applies the mode to a file it creates.
    match fs::remove_file(&temp_path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(write_error(error)),
        _ => {}
    }

    let mut file = create_new_file(&temp_path, secret).map_err(write_error)?;
    file.write_all(contents).map_err(write_error)?;
    file.sync_all().map_err(write_error)?;
    drop(file);

    fs::rename(&temp_path, path).map_err(|source| IdentityError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(unix)]
fn create_new_file(path: &Path, secret: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;

    let mode = if secret { 0o600 } else { 0o644 };
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

// TODO: restrict the key file's ACL on Windows, where it inherits the directory's permissions.
#[cfg(not(unix))]
fn create_new_file(path: &Path, _secret: bool) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Flushes the directory entry of the renamed files, so the renames survive a power cut.
#[cfg(unix)]
fn sync_directory(dir: &Path) -> Result<(), IdentityError> {
    File::open(dir)
        .and_then(|directory| directory.sync_all())
        .map_err(|source| IdentityError::Write {
            path: dir.to_owned(),
            source,
        })
}

/// Does nothing, because Windows cannot open a directory as a file to flush it.
#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> Result<(), IdentityError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_id_is_sha256_of_certificate() {
        let identity = Identity::generate("xrd-1").expect("generation works offline");
        let expected: [u8; 32] = Sha256::digest(identity.certificate()).into();
        assert_eq!(identity.node_id(), NodeId(expected));
    }

    #[test]
    fn generated_identities_differ() {
        let first = Identity::generate("a").expect("generation works offline");
        let second = Identity::generate("a").expect("generation works offline");
        assert_ne!(first.node_id(), second.node_id());
    }

    #[test]
    fn node_id_text_round_trips() {
        let id = NodeId([0xAB; 32]);
        let text = id.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text, "ab".repeat(32));
        assert_eq!(text.parse::<NodeId>(), Ok(id));
        assert_eq!(text.to_uppercase().parse::<NodeId>(), Ok(id));
        assert_eq!(id.short(), "abababab");
        assert_eq!(format!("{id:?}"), "NodeId(abababab)");
    }

    #[test]
    fn node_id_parse_errors() {
        assert!(matches!(
            "abc".parse::<NodeId>(),
            Err(ParseNodeIdError::InvalidLength { len: 3, .. })
        ));
        let not_hex = "zz".repeat(32);
        assert!(matches!(
            not_hex.parse::<NodeId>(),
            Err(ParseNodeIdError::InvalidHex { .. })
        ));
        // 64 characters but 66 bytes: must not panic inside the hex decoder.
        let multibyte = format!("é{}", "a".repeat(63));
        assert!(multibyte.parse::<NodeId>().is_err());
    }

    #[test]
    fn node_id_serde_is_hex_string() {
        let id = NodeId([1; 32]);
        let json = serde_json::to_string(&id).expect("a node id serializes");
        assert_eq!(json, format!("\"{}\"", "01".repeat(32)));
        let back: NodeId = serde_json::from_str(&json).expect("the output parses back");
        assert_eq!(back, id);

        let error = serde_json::from_str::<NodeId>("\"12\"").expect_err("too short");
        assert!(error.to_string().contains("invalid node id"), "{error}");
    }

    #[test]
    fn save_then_load_keeps_identity() {
        let dir = tempfile::tempdir().expect("temp dir");
        let identity_dir = dir.path().join("identity");
        let identity = Identity::generate("sem-2").expect("generation works offline");

        assert!(!Identity::exists(&identity_dir));
        identity.save(&identity_dir).expect("save");
        assert!(Identity::exists(&identity_dir));

        let loaded = Identity::load(&identity_dir).expect("load");
        assert_eq!(loaded.node_id(), identity.node_id());
        assert_eq!(loaded.certificate(), identity.certificate());
        assert_eq!(
            loaded.key.secret_pkcs8_der(),
            identity.key.secret_pkcs8_der()
        );

        // Saving again replaces the files in place.
        identity.save(&identity_dir).expect("second save");
        let leftovers: Vec<_> = fs::read_dir(&identity_dir)
            .expect("read dir")
            .map(|entry| entry.expect("dir entry").file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn saved_key_is_private() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().expect("temp dir");
        let identity = Identity::generate("nmr").expect("generation works offline");
        identity.save(dir.path()).expect("save");

        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .expect("key metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = Identity::load(dir.path()).expect_err("no files");
        assert!(matches!(error, IdentityError::Read { .. }));
        assert!(error.to_string().contains(CERTIFICATE_FILE), "{error}");

        let identity = Identity::generate("office").expect("generation works offline");
        identity.save(dir.path()).expect("save");
        fs::write(dir.path().join(KEY_FILE), "not a key").expect("overwrite key");
        let error = Identity::load(dir.path()).expect_err("invalid key");
        assert!(matches!(error, IdentityError::InvalidPem { .. }));
        assert!(error.to_string().contains(KEY_FILE), "{error}");
    }

    #[test]
    fn load_rejects_key_of_another_node() {
        let dir = tempfile::tempdir().expect("temp dir");
        let other_dir = tempfile::tempdir().expect("temp dir");
        Identity::generate("one")
            .expect("generation works offline")
            .save(dir.path())
            .expect("save");
        Identity::generate("two")
            .expect("generation works offline")
            .save(other_dir.path())
            .expect("save");
        fs::copy(other_dir.path().join(KEY_FILE), dir.path().join(KEY_FILE)).expect("copy key");

        let error = Identity::load(dir.path()).expect_err("mismatched key");
        assert!(
            matches!(error, IdentityError::KeyMismatch { .. }),
            "{error}"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let identity = Identity::generate("xrd").expect("generation works offline");
        let debug = format!("{identity:?}");
        assert!(debug.contains(&identity.node_id().short()));
        assert!(!debug.contains("key"), "{debug}");
    }
}
