//! How a user proves who they are after their password (Notify's
//! `email_auth`, `sms_auth` and `webauthn_auth`), and the 5-digit security codes sent for it.

use super::permission::string_enum;

string_enum! {
    /// A user's sign-in method. A password alone is for users made by the
    /// demo seed or by the command line with `--password-only` (demos and
    /// scripted set-ups), and for accounts from before sign-in methods.
    SignInMethod {
        EmailAuth => "email_auth",
        SmsAuth => "sms_auth",
        WebauthnAuth => "webauthn_auth",
        PasswordOnly => "password_only",
    }
}

impl SignInMethod {
    /// As Notify's "Sign-in method" radios and summaries say it.
    pub fn label(self) -> &'static str {
        match self {
            SignInMethod::EmailAuth => "Email link or code",
            SignInMethod::SmsAuth => "Text message code",
            SignInMethod::WebauthnAuth => "Security key",
            SignInMethod::PasswordOnly => "Password only",
        }
    }

    /// Whether a code is sent after the password.
    pub fn has_second_factor(self) -> bool {
        self != SignInMethod::PasswordOnly
    }
}

/// A security code: exactly [`SecurityCode::DIGITS`] ASCII digits. Never
/// printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityCode(String);

impl std::fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecurityCode(…)")
    }
}

/// Why a typed code is not a security code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    Missing,
    NotDigits,
    WrongLength,
}

impl CodeProblem {
    /// Notify's message; `thing` is what the field asks for ("your text
    /// message code").
    pub fn message(self, thing: &str) -> String {
        match self {
            CodeProblem::Missing => format!("Enter {thing}"),
            CodeProblem::NotDigits => "Numbers only".to_string(),
            CodeProblem::WrongLength => "Security code must be 5 digits".to_string(),
        }
    }
}

impl SecurityCode {
    pub const DIGITS: usize = 5;

    /// A code as typed: spaces (people copy "123 45") and surrounding
    /// whitespace are ignored.
    pub fn parse(typed: &str) -> Result<Self, CodeProblem> {
        let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if code.is_empty() {
            Err(CodeProblem::Missing)
        } else if !code.bytes().all(|b| b.is_ascii_digit()) {
            Err(CodeProblem::NotDigits)
        } else if code.len() != Self::DIGITS {
            Err(CodeProblem::WrongLength)
        } else {
            Ok(SecurityCode(code))
        }
    }

    /// A code drawn uniformly from the 100,000 from the OS's generator.
    #[cfg(feature = "ssr")]
    pub fn random() -> Self {
        use rand::Rng;
        let n: u32 = rand::rngs::OsRng.gen_range(0..100_000);
        SecurityCode(format!("{n:05}"))
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
    fn notify_words() {
        assert_eq!(CodeProblem::Missing.message("your text message code"), "Enter your text message code");
        assert_eq!(SecurityCode::parse(" 12a45 "), Err(CodeProblem::NotDigits));
        assert_eq!(SecurityCode::parse("1234"), Err(CodeProblem::WrongLength));
        assert_eq!(SecurityCode::parse("123456"), Err(CodeProblem::WrongLength));
        assert_eq!(SecurityCode::parse("   "), Err(CodeProblem::Missing));
        assert_eq!(SecurityCode::parse("123 45").unwrap().as_str(), "12345");
        assert_eq!(format!("{:?}", SecurityCode::parse("12345").unwrap()), "SecurityCode(…)");
        assert_eq!(SignInMethod::parse("sms_auth"), Some(SignInMethod::SmsAuth));
        assert!(!SignInMethod::PasswordOnly.has_second_factor());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn random_codes_are_five_digits_and_vary() {
        let codes: std::collections::HashSet<String> =
            (0..200).map(|_| SecurityCode::random().as_str().to_string()).collect();
        assert!(codes.iter().all(|c| SecurityCode::parse(c).is_ok()));
        assert!(codes.len() > 190, "{} distinct of 200", codes.len());
    }

    proptest! {
        #[test]
        fn five_digits_with_any_spacing_are_the_code(code in "[0-9]{5}", spaces in proptest::collection::vec(0usize..6, 0..4)) {
            let mut typed = code.clone();
            for at in spaces.into_iter().rev() {
                typed.insert(at.min(typed.len()), ' ');
            }
            let parsed = SecurityCode::parse(&typed).unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
        }

        #[test]
        fn other_lengths_of_digits_are_refused(code in "[0-9]{1,4}|[0-9]{6,20}") {
            prop_assert_eq!(SecurityCode::parse(&code), Err(CodeProblem::WrongLength));
        }

        #[test]
        fn anything_with_a_non_digit_is_refused(typed in "\\PC*[^0-9\\s]\\PC*") {
            prop_assert_eq!(SecurityCode::parse(&typed), Err(CodeProblem::NotDigits));
        }

        #[test]
        fn a_parsed_code_is_always_five_ascii_digits(typed in "\\PC{0,12}") {
            if let Ok(code) = SecurityCode::parse(&typed) {
                prop_assert!(code.as_str().len() == 5 && code.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
