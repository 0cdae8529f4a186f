//! Pure types that validate when parsed. No I/O: compiled for the server and
//! the browser alike, so both sides enforce and explain the same rules.

#[cfg(test)]
mod adversarial;
pub mod api_key;
pub mod callback;
pub mod email;
pub mod email_body;
pub mod guest_list;
pub mod job;
pub mod key_usage;
pub mod london_time;
pub mod name;
pub mod next_path;
pub mod permission;
pub mod phone;
pub mod recipient_file;
pub mod relative_time;
pub mod retention;
pub mod senders;
pub mod sign_in_method;
pub mod simulated;
pub mod sms_sender;
pub mod status;
pub mod template;
pub mod timestamp;

pub use api_key::{KeyName, KeyNameError, KeyType};
pub use callback::{BearerToken, CallbackKind, CallbackUrl};
pub use email::{EmailAddress, EmailAddressError};
pub use guest_list::GuestList;
pub use name::TemplateName;
pub use next_path::safe_next_path;
pub use permission::{Permission, ServicePermission};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use status::NotificationStatus;
pub use template::{fill, personalisation_key, placeholders, template_fields, TemplateType};
pub use timestamp::Timestamp;

/// `1 minute`, `5 minutes`: a count with its noun, one or many.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `100000` as `100,000`, as Notify writes counts.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Strips leading and trailing whitespace, including the obscure kinds people
/// paste from documents (no-break spaces, zero-width spaces, BOMs).
pub fn strip_obscure_whitespace(value: &str) -> &str {
    value.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '\u{180E}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_zero_width_and_no_break_spaces() {
        assert_eq!(strip_obscure_whitespace("\u{200B} a b\u{00A0}\u{FEFF}"), "a b");
    }
}
