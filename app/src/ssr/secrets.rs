//! Secrets at rest. Secrets we must read back (API key secrets, to verify
//! HS256 JWTs; callback bearer tokens and signing secrets, to call services)
//! are encrypted with XChaCha20-Poly1305 under a key derived from the server
//! key, with associated data naming what the value is and which row it
//! belongs to ([`SealedFor`]): a ciphertext copied into another row, or into
//! another column, does not open. API key secrets are also stored as an
//! HMAC-SHA-256 digest for a single indexed look-up.
//!
//! `v2.` values are bound so; `v1.` values (before the binding) open only
//! through [`Secrets::open_unbound`], which the start-up upgrade uses once to
//! re-seal them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Values sealed without associated data (before the row binding).
const UNBOUND: &str = "v1";
/// Values bound to their purpose and row.
const BOUND: &str = "v2";

/// What a sealed value is and which row holds it: its associated data.
#[derive(Clone, Copy, Debug)]
pub enum SealedFor<'a> {
    /// `api_keys.secret_ciphertext` of the key with this id.
    ApiKeySecret { key_id: &'a str },
    /// `service_callbacks.bearer_token_ciphertext` of the service's callback of this type.
    CallbackToken { service_id: &'a str, callback_type: &'a str },
    /// `service_callbacks.signing_secret_ciphertext` (and the previous one).
    SigningSecret { service_id: &'a str, callback_type: &'a str },
    /// `verify_codes.sealed_code` of the code with this id.
    SecurityCode { code_id: &'a str },
}

impl SealedFor<'_> {
    fn associated_data(&self) -> String {
        match self {
            Self::ApiKeySecret { key_id } => format!("notify/api-key-secret/{key_id}"),
            Self::CallbackToken { service_id, callback_type } => {
                format!("notify/callback-token/{service_id}/{callback_type}")
            }
            Self::SigningSecret { service_id, callback_type } => {
                format!("notify/callback-signing-secret/{service_id}/{callback_type}")
            }
            Self::SecurityCode { code_id } => format!("notify/security-code/{code_id}"),
        }
    }
}

#[derive(Clone)]
pub struct Secrets {
    aead: XChaCha20Poly1305,
    digest_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

fn derive(server_key: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_key).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Secrets {
    pub fn new(server_key: &[u8; 32]) -> Self {
        let enc = derive(server_key, "notify secrets encryption v1");
        Self { aead: XChaCha20Poly1305::new((&enc).into()), digest_key: derive(server_key, "notify api key digest v1") }
    }

    /// `v2.` followed by base64url(nonce ‖ ciphertext), bound to `what`.
    pub fn seal(&self, plaintext: &str, what: SealedFor<'_>) -> String {
        self.seal_with(BOUND, plaintext, what.associated_data().as_bytes())
    }

    /// The plaintext of a value [`Self::seal`]ed for `what` with this key;
    /// `None` for anything else (another row, another purpose, another key,
    /// tampered, or unbound).
    pub fn open(&self, stored: &str, what: SealedFor<'_>) -> Option<String> {
        self.open_with(BOUND, stored, what.associated_data().as_bytes())
    }

    /// The plaintext of a `v1.` value, sealed before values were bound to
    /// their row. Only the start-up upgrade reads these, to re-seal them.
    pub fn open_unbound(&self, stored: &str) -> Option<String> {
        self.open_with(UNBOUND, stored, b"")
    }

    /// A `v1.` value, as versions before the binding sealed them: what the
    /// upgrade's tests start from.
    #[doc(hidden)]
    pub fn seal_unbound(&self, plaintext: &str) -> String {
        self.seal_with(UNBOUND, plaintext, b"")
    }

    fn seal_with(&self, version: &str, plaintext: &str, aad: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .aead
            .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad })
            .expect("encryption of a short string cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{version}.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    fn open_with(&self, version: &str, stored: &str, aad: &[u8]) -> Option<String> {
        let body = stored.strip_prefix(version)?.strip_prefix('.')?;
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self.aead.decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad }).ok()?;
        String::from_utf8(plain).ok()
    }

    /// The keyed digest of an API key secret, as hex.
    pub fn digest(&self, secret: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.digest_key).expect("HMAC takes any key length");
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: SealedFor<'static> = SealedFor::ApiKeySecret { key_id: "key-a" };

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_intact() {
        let a = Secrets::new(&[7; 32]);
        let b = Secrets::new(&[8; 32]);
        let sealed = a.seal("my-secret-value", KEY_A);
        assert!(sealed.starts_with("v2."));
        assert!(!sealed.contains("my-secret-value"));
        assert_eq!(a.open(&sealed, KEY_A).as_deref(), Some("my-secret-value"));
        assert_eq!(b.open(&sealed, KEY_A), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(a.open(&tampered, KEY_A), None);
        // The same plaintext seals differently each time.
        assert_ne!(a.seal("x", KEY_A), a.seal("x", KEY_A));
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_own_row_and_column() {
        let a = Secrets::new(&[7; 32]);
        let sealed = a.seal("s", KEY_A);
        assert_eq!(a.open(&sealed, SealedFor::ApiKeySecret { key_id: "key-b" }), None);
        let token = a.seal("t", SealedFor::CallbackToken { service_id: "s1", callback_type: "delivery_status" });
        for elsewhere in [
            SealedFor::CallbackToken { service_id: "s2", callback_type: "delivery_status" },
            SealedFor::CallbackToken { service_id: "s1", callback_type: "inbound_sms" },
            SealedFor::SigningSecret { service_id: "s1", callback_type: "delivery_status" },
            SealedFor::ApiKeySecret { key_id: "s1" },
        ] {
            assert_eq!(a.open(&token, elsewhere), None, "{elsewhere:?}");
        }
        // A row id cannot be made to look like another purpose's.
        let odd = a.seal("x", SealedFor::ApiKeySecret { key_id: "s1/delivery_status" });
        assert_eq!(a.open(&odd, SealedFor::CallbackToken { service_id: "s1", callback_type: "delivery_status" }), None);
    }

    #[test]
    fn unbound_values_open_only_for_the_upgrade() {
        let a = Secrets::new(&[7; 32]);
        let old = a.seal_unbound("legacy");
        assert!(old.starts_with("v1."));
        assert_eq!(a.open(&old, KEY_A), None);
        assert_eq!(a.open_unbound(&old).as_deref(), Some("legacy"));
        assert_eq!(a.open_unbound(&a.seal("new", KEY_A)), None);
    }

    #[test]
    fn digests_are_keyed_and_stable() {
        let a = Secrets::new(&[7; 32]);
        assert_eq!(a.digest("s"), a.digest("s"));
        assert_ne!(a.digest("s"), Secrets::new(&[8; 32]).digest("s"));
        assert_eq!(a.digest("s").len(), 64);
    }
}
