//! Passwords: argon2id hashes. Checking an unknown user's password still
//! runs a full verification against a fixed dummy hash, so a wrong password
//! and an unknown address take the same time.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::OnceLock;

/// Shortest password a new or reset account may have (Notify's rule).
pub const MIN_NEW_PASSWORD_CHARS: usize = 8;
/// Longest password taken anywhere, in bytes (longer ones are refused
/// before any hashing).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What is wrong with a password chosen for an account (creating one,
/// resetting one), in Notify's words; `None` when it will do.
pub fn new_password_problem(password: &str) -> Option<&'static str> {
    if password.chars().count() < MIN_NEW_PASSWORD_CHARS {
        Some("Your password must be 8 characters or more")
    } else if password.len() > MAX_PASSWORD_BYTES {
        Some("Password must be 1,024 characters or fewer")
    } else {
        None
    }
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("could not hash a password: {e}"))
}

/// True when `password` matches `stored` (a PHC string). A malformed stored
/// hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("a password nobody has").expect("hashing works"))
}

/// Runs a verification that always fails, taking as long as a real one.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, dummy_hash());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_8_characters_to_1024_bytes() {
        assert_eq!(new_password_problem("seven77"), Some("Your password must be 8 characters or more"));
        // Characters, not bytes: eight accented letters will do.
        assert_eq!(new_password_problem("éééééééé"), None);
        assert_eq!(new_password_problem(&"x".repeat(1024)), None);
        assert_eq!(new_password_problem(&"x".repeat(1025)), Some("Password must be 1,024 characters or fewer"));
    }

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("Correct horse", &h));
        assert!(!verify("correct horse", "not a hash"));
    }
}
