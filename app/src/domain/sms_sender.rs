//! A text message sender ID, by Notify's rules: 3 to 11 characters of
//! letters, numbers, spaces and `& . - _`; not starting `00`; not Alert,
//! Info or Verify (spam uses them); a number only if it is a UK mobile
//! number or a short code; NHS no-reply senders spelt `NHSNoReply`.

/// The sender every service has until it adds its own, as Notify's.
pub const DEFAULT_SENDER: &str = "GOVUK";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsSender(String);

impl SmsSender {
    /// The sender, or the form's error in Notify's words.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = super::strip_obscure_whitespace(raw);
        if s.is_empty() {
            return Err("Enter a text message sender ID".into());
        }
        let n = s.chars().count();
        if n < 3 {
            return Err("Text message sender ID must be at least 3 characters long".into());
        }
        if n > 11 {
            return Err("Text message sender ID cannot be longer than 11 characters".into());
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || " &.-_".contains(c)) {
            return Err(
                "Text message sender ID can only include letters, numbers, spaces, and the following characters: & . - _"
                    .into(),
            );
        }
        if s.starts_with("00") {
            return Err("Text message sender ID cannot start with 00".into());
        }
        if ["info", "verify", "alert"].contains(&s.to_lowercase().as_str()) {
            return Err(
                "Text message sender ID cannot be Alert, Info or Verify as those are prohibited due to usage by spam"
                    .into(),
            );
        }
        let numeric = s.chars().all(|c| c.is_ascii_digit() || c == '.');
        let mobile = s.len() == 11 && s.starts_with("07") && s.chars().all(|c| c.is_ascii_digit());
        let short_code = s.len() == 5 && s.starts_with(['6', '7', '8']) && s.chars().all(|c| c.is_ascii_digit());
        if numeric && !mobile && !short_code {
            return Err("A numeric sender id should be a valid mobile number or short code".into());
        }
        let lower = s.to_lowercase();
        if lower.contains("nhs") && lower.contains("no") && lower.contains("reply") && s != "NHSNoReply" {
            return Err("Text message sender ID must match other NHS services - change it to ‘NHSNoReply’".into());
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn notifys_rules_and_messages() {
        for ok in ["GOVUK", "DVLA", "My Council", "A&E.Dept-1_", "07700900123", "60123", "NHSNoReply", "abc"] {
            assert_eq!(SmsSender::parse(ok).map(|s| s.as_str().to_string()), Ok(ok.to_string()), "{ok}");
        }
        for (bad, message) in [
            ("", "Enter a text message sender ID"),
            ("ab", "Text message sender ID must be at least 3 characters long"),
            ("abcdefghijkl", "Text message sender ID cannot be longer than 11 characters"),
            ("héllo", "Text message sender ID can only include letters, numbers, spaces, and the following characters: & . - _"),
            ("00123abc", "Text message sender ID cannot start with 00"),
            ("Verify", "Text message sender ID cannot be Alert, Info or Verify as those are prohibited due to usage by spam"),
            ("12345", "A numeric sender id should be a valid mobile number or short code"),
            ("447700900123", "Text message sender ID cannot be longer than 11 characters"),
            ("NHS-noreply", "Text message sender ID must match other NHS services - change it to ‘NHSNoReply’"),
        ] {
            assert_eq!(SmsSender::parse(bad), Err(message.to_string()), "{bad:?}");
        }
        assert_eq!(SmsSender::parse("  GOVUK\u{a0}").unwrap().as_str(), "GOVUK");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn never_panics_and_what_parses_is_within_the_rules(raw in "\\PC{0,20}") {
            if let Ok(sender) = SmsSender::parse(&raw) {
                let n = sender.as_str().chars().count();
                prop_assert!((3..=11).contains(&n));
                prop_assert_eq!(SmsSender::parse(sender.as_str()), Ok(sender.clone()));
            }
        }
    }
}
