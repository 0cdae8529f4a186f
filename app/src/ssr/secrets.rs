//! Secrets at rest. Secrets we must read back (API key secrets, to verify
//! HS256 JWTs; callback bearer tokens, to call services) are encrypted with
//! XChaCha20-Poly1305 under a key derived from the server key, prefixed with
//! the server key's version so it can be rotated. API key secrets are also
//! stored as an HMAC-SHA-256 digest for a single indexed look-up.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const VERSION: &str = "v1";

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

    /// `v1.` followed by base64url(nonce ‖ ciphertext).
    pub fn encrypt(&self, plaintext: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self.aead.encrypt(&nonce, plaintext.as_bytes()).expect("encryption of a short string cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The plaintext, or `None` if the value was not sealed by this key.
    pub fn decrypt(&self, stored: &str) -> Option<String> {
        let body = stored.strip_prefix(VERSION)?.strip_prefix('.')?;
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self.aead.decrypt(XNonce::from_slice(nonce), sealed).ok()?;
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

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_intact() {
        let a = Secrets::new(&[7; 32]);
        let b = Secrets::new(&[8; 32]);
        let sealed = a.encrypt("my-secret-value");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("my-secret-value"));
        assert_eq!(a.decrypt(&sealed).as_deref(), Some("my-secret-value"));
        assert_eq!(b.decrypt(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(a.decrypt(&tampered), None);
        // The same plaintext seals differently each time.
        assert_ne!(a.encrypt("x"), a.encrypt("x"));
    }

    #[test]
    fn digests_are_keyed_and_stable() {
        let a = Secrets::new(&[7; 32]);
        assert_eq!(a.digest("s"), a.digest("s"));
        assert_ne!(a.digest("s"), Secrets::new(&[8; 32]).digest("s"));
        assert_eq!(a.digest("s").len(), 64);
    }
}
