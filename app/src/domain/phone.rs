//! Mobile numbers: UK mobiles and international numbers, normalised to
//! E.164 (`+447700900123`), with Notify's error messages.

use serde::{Deserialize, Serialize};

/// A valid mobile number in E.164 form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhoneNumber(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneNumberError {
    Empty,
    InvalidCharacters,
    TooShort,
    TooLong,
    NotUkMobile,
    UnknownCountryCode,
    NotValid,
}

impl PhoneNumberError {
    /// The message, naming the number as `what` (`Mobile number 1`, say).
    pub fn message(self, what: &str) -> String {
        match self {
            Self::Empty => format!("Enter a {}", what.to_lowercase()),
            Self::InvalidCharacters => format!("{what} can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -"),
            Self::TooShort => format!("{what} is too short"),
            Self::TooLong => format!("{what} is too long"),
            Self::NotUkMobile => format!("{what} does not look like a UK mobile number"),
            Self::UnknownCountryCode => format!("Country code for {} not found", what.to_lowercase()),
            Self::NotValid => format!("{what} is not valid – double check the phone number you entered"),
        }
    }
}

/// ITU-T E.164 country calling codes in use (1 to 3 digits).
fn is_country_code(code: &str) -> bool {
    const CODES: &[&str] = &[
        "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48",
        "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82",
        "84", "86", "90", "91", "92", "93", "94", "95", "98", "211", "212", "213", "216", "218", "220", "221", "222",
        "223", "224", "225", "226", "227", "228", "229", "230", "231", "232", "233", "234", "235", "236", "237", "238",
        "239", "240", "241", "242", "243", "244", "245", "246", "247", "248", "249", "250", "251", "252", "253", "254",
        "255", "256", "257", "258", "260", "261", "262", "263", "264", "265", "266", "267", "268", "269", "290", "291",
        "297", "298", "299", "350", "351", "352", "353", "354", "355", "356", "357", "358", "359", "370", "371", "372",
        "373", "374", "375", "376", "377", "378", "380", "381", "382", "383", "385", "386", "387", "389", "420", "421",
        "423", "500", "501", "502", "503", "504", "505", "506", "507", "508", "509", "590", "591", "592", "593", "594",
        "595", "596", "597", "598", "599", "670", "672", "673", "674", "675", "676", "677", "678", "679", "680", "681",
        "682", "683", "685", "686", "687", "688", "689", "690", "691", "692", "850", "852", "853", "855", "856", "880",
        "886", "960", "961", "962", "963", "964", "965", "966", "967", "968", "970", "971", "972", "973", "974", "975",
        "976", "977", "992", "993", "994", "995", "996", "998",
    ];
    CODES.contains(&code)
}

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, PhoneNumberError> {
        let trimmed = super::strip_obscure_whitespace(raw);
        if trimmed.is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        if !trimmed.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || "()+-".contains(c)) {
            return Err(PhoneNumberError::InvalidCharacters);
        }
        let plus = trimmed.starts_with('+');
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        // A UK number: 07…, 447…, +447…, 00447… (and the same with a 0 after 44).
        let uk_national = if !plus && digits.starts_with('0') && !digits.starts_with("00") {
            Some(digits[1..].to_string())
        } else {
            let international = digits.strip_prefix("00").filter(|_| !plus).unwrap_or(&digits);
            international.strip_prefix("44").map(|rest| rest.strip_prefix('0').unwrap_or(rest).to_string())
        };
        if let Some(national) = uk_national {
            if !national.starts_with('7') {
                return Err(if national.len() < 10 {
                    PhoneNumberError::TooShort
                } else {
                    PhoneNumberError::NotUkMobile
                });
            }
            return match national.len() {
                n if n < 10 => Err(PhoneNumberError::TooShort),
                n if n > 10 => Err(PhoneNumberError::TooLong),
                _ => Ok(Self(format!("+44{national}"))),
            };
        }
        let international = digits.strip_prefix("00").filter(|_| !plus).unwrap_or(&digits).to_string();
        if international.len() < 8 {
            return Err(PhoneNumberError::TooShort);
        }
        if international.len() > 15 {
            return Err(PhoneNumberError::TooLong);
        }
        let code = (1..=3).map(|n| &international[..n]).find(|c| is_country_code(c));
        match code {
            None => Err(PhoneNumberError::UnknownCountryCode),
            Some(c) if international.len() - c.len() < 4 => Err(PhoneNumberError::NotValid),
            Some(_) => Ok(Self(format!("+{international}"))),
        }
    }

    /// E.164, with a leading `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uk_mobiles_in_every_usual_form_normalise_alike() {
        for raw in
            ["07700900123", "07700 900 123", "+447700900123", "447700900123", "0044 7700 900123", "+44 (0)7700-900123"]
        {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), "+447700900123", "{raw}");
        }
    }

    #[test]
    fn international_numbers_are_kept_in_e164() {
        assert_eq!(PhoneNumber::parse("+1 202-555-0104").unwrap().as_str(), "+12025550104");
        assert_eq!(PhoneNumber::parse("0033 6 12 34 56 78").unwrap().as_str(), "+33612345678");
    }

    #[test]
    fn each_mistake_gets_notifys_message() {
        let cases = [
            ("0770090012", PhoneNumberError::TooShort, "Mobile number 1 is too short"),
            ("077009001234", PhoneNumberError::TooLong, "Mobile number 1 is too long"),
            ("02079460000", PhoneNumberError::NotUkMobile, "Mobile number 1 does not look like a UK mobile number"),
            (
                "07700 900 12a",
                PhoneNumberError::InvalidCharacters,
                "Mobile number 1 can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -",
            ),
            ("+8091234567", PhoneNumberError::UnknownCountryCode, "Country code for mobile number 1 not found"),
            ("+1234", PhoneNumberError::TooShort, "Mobile number 1 is too short"),
            ("+1234567890123456", PhoneNumberError::TooLong, "Mobile number 1 is too long"),
        ];
        for (raw, error, message) in cases {
            assert_eq!(PhoneNumber::parse(raw), Err(error), "{raw}");
            assert_eq!(error.message("Mobile number 1"), message);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn any_uk_mobile_normalises_to_plus_44(rest in "[0-9]{9}") {
            let n = PhoneNumber::parse(&format!("07{rest}")).unwrap();
            prop_assert_eq!(n.as_str(), format!("+447{rest}"));
            // And parsing the normalised form gives the same number.
            prop_assert_eq!(PhoneNumber::parse(n.as_str()).unwrap(), n);
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = PhoneNumber::parse(&s);
        }
    }
}
