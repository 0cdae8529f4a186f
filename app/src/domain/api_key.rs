//! API keys: their names, types and the key string people copy.

use super::permission::string_enum;

/// Revoked keys stay listed, and say "revoked" to the API, this many days.
pub const REVOKED_KEY_DAYS: i64 = 7;
pub const RANDOM_LENGTH: usize = 30;
pub const CHECKSUM_LENGTH: usize = 6;
pub const SECRET_LENGTH: usize = RANDOM_LENGTH + CHECKSUM_LENGTH;
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

string_enum! {
    /// Notify's key types. `normal` is shown as "Live".
    KeyType {
        Normal => "normal",
        Team => "team",
        Test => "test",
    }
}

impl KeyType {
    pub fn description(self) -> &'static str {
        match self {
            KeyType::Normal => "Live – sends to anyone",
            KeyType::Team => "Team and guest list – limits who you can send to",
            KeyType::Test => "Test – pretends to send messages",
        }
    }
}

/// A service in trial mode may not have live keys.
pub fn type_allowed(service_restricted: bool, key_type: KeyType) -> bool {
    !(service_restricted && key_type == KeyType::Normal)
}

pub use super::name::{KeyName, NameError as KeyNameError};

/// The form two names are compared in: lower case, without whitespace,
/// `_` or `-` ("My Key" = "my_key" = "mykey"), as Notify's `InsensitiveSet`.
pub fn name_fingerprint(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// Notify's `make_string_safe(name, whitespace="_")`: accents removed,
/// whitespace runs turned into `_`, everything but letters, digits and `_`
/// dropped, lower case.
pub fn safe_name(name: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let stripped: String = name.trim().nfd().filter(|c| !is_combining_mark(*c)).collect();
    let mut out = String::new();
    let mut in_space = false;
    for c in stripped.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push('_');
            }
            in_space = true;
            continue;
        }
        in_space = false;
        if c.is_alphanumeric() || c == '_' {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `value` in base 62, most significant digit first, left-padded with `0`
/// to `width` characters.
pub fn base62(mut value: u32, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// The 6-character checksum of `prefix`: its CRC-32 (IEEE, as zlib) in base 62.
pub fn checksum(prefix: &str) -> String {
    base62(crc32fast::hash(prefix.as_bytes()), CHECKSUM_LENGTH)
}

/// The key string shown once: `{safe_name}-{service_id}-{random}{checksum}`.
pub fn key_string(name: &str, service_id: &str, random: &str) -> String {
    let prefix = format!("{}-{service_id}-{random}", safe_name(name));
    let sum = checksum(&prefix);
    format!("{prefix}{sum}")
}

/// The last 36 characters of a key string: what the clients sign JWTs with.
pub fn secret_of(key: &str) -> Option<&str> {
    key.len().checked_sub(SECRET_LENGTH).and_then(|start| key.get(start..))
}

/// True when a whole key string's checksum matches (a typo or a truncated
/// copy fails without a database look-up).
pub fn checksum_matches(key: &str) -> bool {
    match key.len().checked_sub(CHECKSUM_LENGTH).and_then(|i| key.get(..i).zip(key.get(i..))) {
        Some((prefix, sum)) => checksum(prefix) == sum,
        None => false,
    }
}

/// What an `ApiKey-v1` header presents, parsed once: a whole key string
/// (whose checksum matched, so it names its service) or a bare secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresentedKey<'a> {
    /// `name` is the key's safe name as it was made (maybe empty).
    Whole {
        name: &'a str,
        service_id: &'a str,
        secret: &'a str,
    },
    Secret(&'a str),
}

impl<'a> PresentedKey<'a> {
    /// `None` for anything too short to hold a secret, or a whole key whose
    /// checksum does not match (a typo or a truncated copy) or that does not
    /// have a service id where the clients read it (characters -73..-37).
    pub fn parse(raw: &'a str) -> Option<Self> {
        let secret = secret_of(raw)?;
        if raw.len() == SECRET_LENGTH {
            return Some(Self::Secret(secret));
        }
        if !checksum_matches(raw) {
            return None;
        }
        let start = raw.len().checked_sub(SECRET_LENGTH + 37)?;
        let service_id = raw.get(start..start + 36)?;
        raw.get(raw.len() - SECRET_LENGTH - 1..raw.len() - SECRET_LENGTH).filter(|dash| *dash == "-")?;
        let name = raw.get(..start.saturating_sub(1)).unwrap_or_default();
        Some(Self::Whole { name, service_id, secret })
    }

    pub fn secret(&self) -> &'a str {
        match self {
            Self::Whole { secret, .. } | Self::Secret(secret) => secret,
        }
    }

    /// The safe name a whole key was made with; `None` for a bare secret.
    pub fn name(&self) -> Option<&'a str> {
        match self {
            Self::Whole { name, .. } => Some(name),
            Self::Secret(_) => None,
        }
    }

    /// The service a whole key names; `None` for a bare secret.
    pub fn service_id(&self) -> Option<&'a str> {
        match self {
            Self::Whole { service_id, .. } => Some(service_id),
            Self::Secret(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn safe_name_matches_notifys_example() {
        assert_eq!(safe_name("Some default key name 1/2"), "some_default_key_name_12");
        assert_eq!(safe_name("  Café   Crème-brûlée "), "cafe_cremebrulee");
    }

    #[test]
    fn fingerprints_ignore_case_spaces_underscores_and_hyphens() {
        assert_eq!(name_fingerprint("My Key"), name_fingerprint("my_key"));
        assert_eq!(name_fingerprint("my-key"), name_fingerprint("MYKEY"));
        assert_ne!(name_fingerprint("my key 2"), name_fingerprint("my key"));
    }

    #[test]
    fn crc32_is_zlibs() {
        // zlib.crc32(b"123456789") == 0xCBF43926
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 6), "00000z");
        assert_eq!(base62(62, 6), "000010");
        assert_eq!(base62(u32::MAX, 6), "4gfFC3");
    }

    #[test]
    fn the_key_string_has_the_shape_the_clients_expect() {
        let service_id = "6a7f5c9e-5a3b-4c2d-9e8f-0123456789ab";
        let random = "A".repeat(RANDOM_LENGTH);
        let key = key_string("Some default key name 1/2", service_id, &random);
        assert!(key.starts_with("some_default_key_name_12-"));
        assert_eq!(&key[key.len() - 73..key.len() - 37], service_id);
        assert_eq!(secret_of(&key).unwrap().len(), 36);
        assert!(checksum_matches(&key));
        let presented = PresentedKey::parse(&key).unwrap();
        assert_eq!(presented.service_id(), Some(service_id));
        assert_eq!(presented.name(), Some("some_default_key_name_12"));
        assert_eq!(presented.secret(), secret_of(&key).unwrap());
        let secret = PresentedKey::parse(presented.secret()).unwrap();
        assert_eq!((secret.service_id(), secret.secret()), (None, presented.secret()));
        assert_eq!(PresentedKey::parse("too short"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn any_single_character_typo_breaks_the_checksum(random in "[0-9A-Za-z]{30}", pos in 0usize..30, replacement in "[0-9A-Za-z]") {
            let service_id = "6a7f5c9e-5a3b-4c2d-9e8f-0123456789ab";
            let key = key_string("key", service_id, &random);
            prop_assert!(checksum_matches(&key));
            let start = key.len() - SECRET_LENGTH + pos;
            let mut typo = key.clone();
            typo.replace_range(start..start + 1, &replacement);
            prop_assert_eq!(checksum_matches(&typo), typo == key);
        }

        #[test]
        fn presented_keys_never_panic_and_round_trip(raw in "\\PC{0,120}", random in "[0-9A-Za-z]{30}") {
            let _ = PresentedKey::parse(&raw);
            let service_id = "6a7f5c9e-5a3b-4c2d-9e8f-0123456789ab";
            let key = key_string(&raw, service_id, &random);
            let presented = PresentedKey::parse(&key);
            prop_assert_eq!(presented.as_ref().and_then(|p| p.service_id()), Some(service_id));
            let name = safe_name(&raw);
            prop_assert_eq!(presented.as_ref().and_then(|p| p.name()), Some(name.as_str()));
            prop_assert_eq!(presented.map(|p| p.secret()), secret_of(&key));
        }

        #[test]
        fn base62_is_fixed_width_and_in_the_alphabet(v in any::<u32>()) {
            let s = base62(v, 6);
            prop_assert_eq!(s.len(), 6);
            prop_assert!(s.bytes().all(|b| BASE62.contains(&b)));
        }

        #[test]
        fn safe_names_hold_only_safe_characters(name in "\\PC{0,40}") {
            let s = safe_name(&name);
            prop_assert!(s.chars().all(|c| c.is_alphanumeric() || c == '_'));
            prop_assert!(!s.contains('-'));
        }
    }
}

/// How long a new key stays valid: Notify's keys never expire; ours can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyLifetime {
    Days(u16),
    Never,
}

impl KeyLifetime {
    /// The choices the create form offers, in its order.
    pub const CHOICES: [KeyLifetime; 5] =
        [Self::Days(30), Self::Days(90), Self::Days(180), Self::Days(365), Self::Never];

    /// The form's value: `30`, `90`, `180`, `365` or `never`.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::CHOICES.into_iter().find(|c| c.value() == raw.trim())
    }

    pub fn value(self) -> &'static str {
        match self {
            Self::Days(30) => "30",
            Self::Days(90) => "90",
            Self::Days(180) => "180",
            Self::Days(365) => "365",
            Self::Days(_) => "",
            Self::Never => "never",
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::Days(d) => format!("In {d} days"),
            Self::Never => "Never".into(),
        }
    }

    pub fn days(self) -> Option<i64> {
        match self {
            Self::Days(d) => Some(i64::from(d)),
            Self::Never => None,
        }
    }

    /// Whether a service whose keys may live at most `max_days` (none: no
    /// limit) may have a key of this lifetime.
    pub fn allowed(self, max_days: Option<i64>) -> bool {
        match (self, max_days) {
            (_, None) => true,
            (Self::Never, Some(_)) => false,
            (Self::Days(d), Some(max)) => i64::from(d) <= max,
        }
    }

    /// What the form selects at first: never, or the longest allowed.
    pub fn default_for(max_days: Option<i64>) -> Self {
        Self::CHOICES.into_iter().rev().find(|c| c.allowed(max_days)).unwrap_or(Self::Days(30))
    }
}

/// How long a rotated key keeps working beside its replacement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    Hour,
    Day,
    Week,
}

impl Overlap {
    pub const CHOICES: [Overlap; 3] = [Self::Hour, Self::Day, Self::Week];

    /// The form's value: `1h`, `24h` or `7d`.
    pub fn value(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::Week => "7d",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::CHOICES.into_iter().find(|o| o.value() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Hour => "1 hour",
            Self::Day => "24 hours",
            Self::Week => "7 days",
        }
    }

    pub fn duration(self) -> time::Duration {
        match self {
            Self::Hour => time::Duration::HOUR,
            Self::Day => time::Duration::DAY,
            Self::Week => time::Duration::WEEK,
        }
    }
}

/// `Expires in 12 days`, `Expires tomorrow`, `Expires today` or `Expired`,
/// from the seconds left (negative once past).
pub fn expiry_text(seconds_left: i64) -> String {
    const DAY: i64 = 86_400;
    match seconds_left {
        s if s <= 0 => "Expired".into(),
        s if s < 3600 => format!("Expires in {}", super::plural((s / 60).max(1), "minute", "minutes")),
        s if s < DAY => format!("Expires in {}", super::plural(s / 3600, "hour", "hours")),
        s if s < 2 * DAY => "Expires tomorrow".into(),
        s => format!("Expires in {} days", s / DAY),
    }
}

#[cfg(test)]
mod lifetime_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_forms_choices_round_trip() {
        for c in KeyLifetime::CHOICES {
            assert_eq!(KeyLifetime::parse(c.value()), Some(c));
        }
        assert_eq!(KeyLifetime::parse("7"), None);
        assert_eq!(KeyLifetime::parse(""), None);
    }

    #[test]
    fn a_services_longest_lifetime_rules_out_longer_keys() {
        assert!(KeyLifetime::Never.allowed(None));
        assert!(!KeyLifetime::Never.allowed(Some(365)));
        assert!(KeyLifetime::Days(90).allowed(Some(90)));
        assert!(!KeyLifetime::Days(180).allowed(Some(90)));
        assert_eq!(KeyLifetime::default_for(None), KeyLifetime::Never);
        assert_eq!(KeyLifetime::default_for(Some(100)), KeyLifetime::Days(90));
        assert_eq!(KeyLifetime::default_for(Some(10)), KeyLifetime::Days(30));
    }

    #[test]
    fn expiry_in_words() {
        assert_eq!(expiry_text(-1), "Expired");
        assert_eq!(expiry_text(3600), "Expires in 1 hour");
        assert_eq!(expiry_text(90), "Expires in 1 minute");
        assert_eq!(expiry_text(59 * 60), "Expires in 59 minutes");
        assert_eq!(expiry_text(5 * 3600 + 10), "Expires in 5 hours");
        assert_eq!(expiry_text(86_400 + 5), "Expires tomorrow");
        assert_eq!(expiry_text(12 * 86_400 + 5), "Expires in 12 days");
    }

    proptest! {
        #[test]
        fn the_default_is_always_allowed_when_anything_is(max in 30i64..1000) {
            prop_assert!(KeyLifetime::default_for(Some(max)).allowed(Some(max)));
        }
    }
}

/// The key format for secret scanners, as a regular expression: a safe name
/// (lower-case letters, digits, `_` and `.`; may be empty), the service id,
/// and 36 base-62 characters whose last 6 are a checksum of the rest.
pub const KEY_PATTERN: &str =
    r"[a-z0-9_.]*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9A-Za-z]{36}";

/// Every whole key string in `text` whose checksum matches (what a leak
/// report is checked for before any database look-up), once each.
pub fn find_keys(text: &str) -> Vec<&str> {
    fn is_uuid(s: &[u8]) -> bool {
        s.len() == 36
            && s.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
            })
    }
    let bytes = text.as_bytes();
    let mut found: Vec<&str> = Vec::new();
    // Each key once, in the order found, however many times it repeats.
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    while i + 36 + 1 + SECRET_LENGTH <= bytes.len() {
        // A `-` before the service id, its 36 characters, a `-`, then the secret.
        let candidate = i > 0
            && bytes[i - 1] == b'-'
            && is_uuid(&bytes[i..i + 36])
            && bytes[i + 36] == b'-'
            && bytes[i + 37..i + 37 + SECRET_LENGTH].iter().all(u8::is_ascii_alphanumeric);
        if candidate {
            let mut start = i - 1;
            while start > 0 && matches!(bytes[start - 1], b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.') {
                start -= 1;
            }
            let key = &text[start..i + 37 + SECRET_LENGTH];
            if checksum_matches(key) && seen.insert(key) {
                found.push(key);
            }
            i += 37 + SECRET_LENGTH;
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod find_tests {
    use super::*;
    use proptest::prelude::*;

    const SERVICE: &str = "7f2b0c1e-3d4a-4b5c-8d6e-9f0a1b2c3d4e";

    #[test]
    fn finds_keys_in_text_and_drops_the_mistyped() {
        let key = key_string("My key", SERVICE, &"a".repeat(RANDOM_LENGTH));
        let text = format!("config:\n  NOTIFY_KEY=\"{key}\" # oops\nand again {key}.");
        assert_eq!(find_keys(&text), vec![key.as_str()]);
        let mut typo = key.clone().into_bytes();
        let last = typo.len() - 10;
        typo[last] = if typo[last] == b'b' { b'c' } else { b'b' };
        assert!(find_keys(&String::from_utf8(typo).unwrap()).is_empty());
        let unnamed = key_string("", SERVICE, &"Z".repeat(RANDOM_LENGTH));
        assert_eq!(find_keys(&format!("x {unnamed} y")), vec![unnamed.as_str()]);
    }

    proptest! {
        #[test]
        fn every_key_is_found_wherever_it_is(before in "[ -~\\n]{0,40}", after in "[ -~\\n]{0,40}", random in "[0-9A-Za-z]{30}") {
            let key = key_string("leaky", SERVICE, &random);
            let text = format!("{before} {key} {after}");
            prop_assert!(find_keys(&text).contains(&key.as_str()));
        }

        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = find_keys(&s);
        }
    }
}
