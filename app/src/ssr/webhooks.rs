//! Standard Webhooks signing (<https://www.standardwebhooks.com>): each
//! callback has a `whsec_…` secret; every request carries `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,{base64 HMAC-SHA256 of
//! "id.timestamp.body"}`, one signature per secret in use.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// Hours a replaced signing secret keeps signing beside the new one, so a
/// receiver can move to the new secret without refusing a callback.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;

/// A new signing secret: 32 bytes from the OS CSPRNG, `whsec_` and base64.
pub fn new_signing_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes of a `whsec_…` secret (`None` when it is not one).
fn key_bytes(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()
}

/// `v1,{signature}` of one message under one secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_bytes(secret)?).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` value: one signature per secret, space-separated
/// (the current secret first, then one being rotated out).
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets.into_iter().filter_map(|s| signature(s, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Whether `header` holds a valid signature of the message under `secret`,
/// compared in constant time: what a receiver does.
pub fn verify(secret: &str, header: &str, id: &str, timestamp: i64, body: &[u8]) -> bool {
    let Some(expected) = signature(secret, id, timestamp, body) else { return false };
    header.split(' ').any(|candidate| super::tokens::constant_time_eq(candidate, &expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standard_webhooks_test_vector() {
        // From the Standard Webhooks reference libraries' tests.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn new_secrets_are_prefixed_random_and_32_bytes() {
        let (a, b) = (new_signing_secret(), new_signing_secret());
        assert!(a.starts_with("whsec_"));
        assert_ne!(a, b);
        assert_eq!(key_bytes(&a).unwrap().len(), 32);
    }

    #[test]
    fn two_secrets_give_two_signatures_either_verifies() {
        let (old, new) = (new_signing_secret(), new_signing_secret());
        let header = signature_header([new.as_str(), old.as_str()], "msg_1", 1, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(&old, &header, "msg_1", 1, b"{}"));
        assert!(verify(&new, &header, "msg_1", 1, b"{}"));
        assert!(!verify(&new, &header, "msg_1", 2, b"{}"), "the timestamp is signed");
        assert!(!verify(&new, &header, "msg_2", 1, b"{}"), "the id is signed");
    }

    proptest! {
        #[test]
        fn any_change_to_the_body_breaks_the_signature(body in proptest::collection::vec(any::<u8>(), 0..64), flip in 0usize..64) {
            let secret = new_signing_secret();
            let header = signature_header([secret.as_str()], "msg_x", 1700000000, &body);
            prop_assert!(verify(&secret, &header, "msg_x", 1700000000, &body));
            if !body.is_empty() {
                let mut changed = body.clone();
                let i = flip % changed.len();
                changed[i] ^= 1;
                prop_assert!(!verify(&secret, &header, "msg_x", 1700000000, &changed));
            }
        }
    }
}

/// `compact` JSON (as SQLite's `json_object` and serde write it) spaced and
/// escaped as Python's `json.dumps` writes it, which is what Notify sends:
/// `", "` and `": "` between items, and every character outside ASCII as
/// `\uXXXX` (surrogate pairs beyond the first plane). Keys keep their order.
pub fn python_json(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + compact.len() / 8);
    let (mut in_string, mut escaped) = (false, false);
    for c in compact.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ',' => out.push_str(", "),
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod python_json_tests {
    use super::python_json;
    use proptest::prelude::*;

    #[test]
    fn spaced_and_escaped_as_json_dumps() {
        assert_eq!(
            python_json(r#"{"id":"a,b:c","reference":null,"to":"zoë@example.com","template_version":1,"x":[1,2]}"#),
            r#"{"id": "a,b:c", "reference": null, "to": "zo\u00eb@example.com", "template_version": 1, "x": [1, 2]}"#
        );
        assert_eq!(python_json(r#"{"q":"say \"hi\", ok"}"#), r#"{"q": "say \"hi\", ok"}"#);
        assert_eq!(python_json(r#"{"e":"😀"}"#), r#"{"e": "\ud83d\ude00"}"#);
    }

    proptest! {
        #[test]
        fn the_same_json_value_comes_out(s in "\\PC{0,40}", n in any::<i64>()) {
            let compact = serde_json::json!({"s": s, "n": n, "list": [s.clone(), "x"]}).to_string();
            let spaced = python_json(&compact);
            let a: serde_json::Value = serde_json::from_str(&compact).unwrap();
            let b: serde_json::Value = serde_json::from_str(&spaced).unwrap();
            prop_assert_eq!(a, b);
            prop_assert!(spaced.is_ascii());
        }
    }
}
