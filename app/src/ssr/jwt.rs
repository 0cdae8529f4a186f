//! The JSON Web Tokens Notify's clients send: HS256, `iss` = service id,
//! `iat` within ±30 s, signed with the API key's secret. Only what the
//! authentication rules need: read the claims without trusting them, then
//! verify the signature against one key's secret in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far `iat` may be from the server's clock.
pub const CLOCK_LEEWAY_SECONDS: i64 = 30;

/// A token split into its parts, with the header and claims decoded but
/// not yet trusted.
#[derive(Debug)]
pub struct UnverifiedToken<'a> {
    signing_input: &'a str,
    signature: Vec<u8>,
    pub alg: Option<String>,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// The token is not a JWT at all.
#[derive(Debug, PartialEq, Eq)]
pub struct NotAJwt;

fn decode_json(part: &str) -> Result<serde_json::Map<String, serde_json::Value>, NotAJwt> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| NotAJwt)?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(NotAJwt),
    }
}

pub fn parse(token: &str) -> Result<UnverifiedToken<'_>, NotAJwt> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(NotAJwt);
    };
    let signing_input = &token[..header.len() + 1 + claims.len()];
    let header_map = decode_json(header)?;
    let claims = decode_json(claims)?;
    let signature = URL_SAFE_NO_PAD.decode(signature.trim_end_matches('=')).map_err(|_| NotAJwt)?;
    let alg = header_map.get("alg").and_then(|v| v.as_str()).map(str::to_string);
    Ok(UnverifiedToken { signing_input, signature, alg, claims })
}

/// The outcome of checking a token against one key's secret.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// Signed with this secret, `iat` in range and no disallowed claim.
    Valid,
    /// Not signed with this secret (or no usable `iat`): try the next key.
    WrongKey,
    /// Signed with this secret but `iat` is too far from now.
    ClockSkew,
    /// Signed with this secret but carries a claim we refuse (`aud`, an
    /// expired `exp`, a future `nbf`).
    Invalid,
}

impl UnverifiedToken<'_> {
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(|v| v.as_str())
    }

    pub fn is_hs256(&self) -> bool {
        self.alg.as_deref() == Some("HS256")
    }

    /// Checks the signature with `secret` (constant-time), then the times.
    pub fn check(&self, secret: &str, now: i64) -> Check {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(self.signing_input.as_bytes());
        if mac.verify_slice(&self.signature).is_err() {
            return Check::WrongKey;
        }
        let Some(iat) = self.claims.get("iat").and_then(number) else { return Check::WrongKey };
        if self.claims.contains_key("aud") {
            return Check::Invalid;
        }
        if self.claims.get("exp").and_then(number).is_some_and(|exp| exp < now - CLOCK_LEEWAY_SECONDS) {
            return Check::Invalid;
        }
        if self.claims.get("nbf").and_then(number).is_some_and(|nbf| nbf > now + CLOCK_LEEWAY_SECONDS) {
            return Check::Invalid;
        }
        if (iat - now).abs() > CLOCK_LEEWAY_SECONDS {
            return Check::ClockSkew;
        }
        Check::Valid
    }
}

fn number(v: &serde_json::Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f.round() as i64))
}

/// Makes an HS256 token (for tests, benchmarks and the compatibility suite).
pub fn sign(claims: &serde_json::Value, secret: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let input = format!("{header}.{body}");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "0123456789abcdefghijABCDEFGHIJ012345";

    #[test]
    fn a_client_token_verifies_with_its_secret_only() {
        let t = sign(&json!({"iss": "svc", "iat": 1000}), SECRET);
        let parsed = parse(&t).unwrap();
        assert!(parsed.is_hs256());
        assert_eq!(parsed.issuer(), Some("svc"));
        assert_eq!(parsed.check(SECRET, 1000), Check::Valid);
        assert_eq!(parsed.check("another-secret", 1000), Check::WrongKey);
    }

    #[test]
    fn iat_must_be_within_thirty_seconds_either_way() {
        let t = sign(&json!({"iss": "svc", "iat": 1000}), SECRET);
        let parsed = parse(&t).unwrap();
        assert_eq!(parsed.check(SECRET, 1030), Check::Valid);
        assert_eq!(parsed.check(SECRET, 970), Check::Valid);
        assert_eq!(parsed.check(SECRET, 1031), Check::ClockSkew);
        assert_eq!(parsed.check(SECRET, 969), Check::ClockSkew);
        let no_iat = sign(&json!({"iss": "svc"}), SECRET);
        assert_eq!(parse(&no_iat).unwrap().check(SECRET, 1000), Check::WrongKey);
    }

    #[test]
    fn refused_claims() {
        let aud = sign(&json!({"iss": "svc", "iat": 1000, "aud": "x"}), SECRET);
        assert_eq!(parse(&aud).unwrap().check(SECRET, 1000), Check::Invalid);
        let exp = sign(&json!({"iss": "svc", "iat": 1000, "exp": 900}), SECRET);
        assert_eq!(parse(&exp).unwrap().check(SECRET, 1000), Check::Invalid);
    }

    #[test]
    fn malformed_tokens_are_not_jwts() {
        for bad in ["", "abc", "a.b", "a.b.c.d", "eyJ.eyJ.sig", "e30.e30"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let tampered = sign(&json!({"iss": "svc", "iat": 1000}), SECRET).replace("eyJ0eXAi", "eyJ0eXBi");
        assert!(parse(&tampered).map(|t| t.check(SECRET, 1000) != Check::Valid).unwrap_or(true));
    }

    #[test]
    fn the_algorithm_is_read_from_the_header() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let body = URL_SAFE_NO_PAD.encode(br#"{"iss":"svc","iat":1}"#);
        let t = format!("{header}.{body}.");
        assert!(!parse(&t).unwrap().is_hs256());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            #[test]
            fn parsing_anything_never_panics(token in "\\PC{0,300}", dots in "[A-Za-z0-9_=-]{0,40}\\.[A-Za-z0-9_=-]{0,60}\\.[A-Za-z0-9_=-]{0,40}") {
                for t in [token.as_str(), dots.as_str()] {
                    if let Ok(parsed) = parse(t) {
                        let _ = parsed.issuer();
                        let _ = parsed.check("secret", 0);
                    }
                }
            }

            #[test]
            fn a_signed_token_checks_only_with_its_secret_and_time(
                secret in "[A-Za-z0-9]{36}",
                other in "[A-Za-z0-9]{36}",
                iss in "\\PC{0,40}",
                iat in 0i64..4_000_000_000,
                skew in -100i64..100,
            ) {
                let token = sign(&json!({"iss": iss, "iat": iat}), &secret);
                let parsed = parse(&token).unwrap();
                prop_assert_eq!(parsed.issuer(), Some(iss.as_str()));
                prop_assert!(parsed.is_hs256());
                let expected = if skew.abs() > CLOCK_LEEWAY_SECONDS { Check::ClockSkew } else { Check::Valid };
                prop_assert_eq!(parsed.check(&secret, iat + skew), expected);
                if other != secret {
                    prop_assert_eq!(parsed.check(&other, iat), Check::WrongKey);
                }
            }

            #[test]
            fn any_change_to_a_signed_token_breaks_it(secret in "[A-Za-z0-9]{36}", pos in 0usize..1000, c in "[A-Za-z0-9_-]") {
                let token = sign(&json!({"iss": "service", "iat": 1_000}), &secret);
                let pos = pos % token.len();
                let mut changed = token.clone();
                changed.replace_range(pos..pos + 1, &c);
                // Base64 can spell the same last byte two ways: a change that
                // decodes to the same bytes is the same token.
                if let Ok(parsed) = parse(&changed) {
                    let same = parse(&token).unwrap();
                    if parsed.signing_input != same.signing_input || parsed.signature != same.signature {
                        prop_assert_ne!(parsed.check(&secret, 1_000), Check::Valid);
                    }
                }
            }
        }
    }
}
