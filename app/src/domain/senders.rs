//! The kinds of sender a service keeps a list of, each with one default:
//! reply-to email addresses, text message sender IDs and letter contact
//! blocks (whose default may also be none: "Blank"). Their pages are one set
//! of pages; these are the words and rules that differ.

use super::sms_sender::SmsSender;
use super::EmailAddress;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderKind {
    EmailReplyTo,
    SmsSender,
    LetterContact,
}

impl SenderKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "email_reply_to",
            Self::SmsSender => "sms_sender",
            Self::LetterContact => "letter_contact",
        }
    }

    /// The last part of the list's URL under `/service-settings/`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "email-reply-to",
            Self::SmsSender => "sms-sender",
            Self::LetterContact => "letter-contact",
        }
    }

    /// The form field's name.
    pub fn field(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "email_address",
            Self::SmsSender => "sms_sender",
            Self::LetterContact => "letter_contact_block",
        }
    }

    /// The API field that chooses one (letters take the default).
    pub fn api_field(self) -> Option<&'static str> {
        match self {
            Self::EmailReplyTo => Some("email_reply_to_id"),
            Self::SmsSender => Some("sms_sender_id"),
            Self::LetterContact => None,
        }
    }

    /// The list's own URL under `/service-settings/` (Notify's is plural for
    /// letter contacts).
    pub fn list_slug(self) -> &'static str {
        match self {
            Self::LetterContact => "letter-contacts",
            other => other.slug(),
        }
    }

    /// Whether the default may be deleted (leaving none: letters then have
    /// no contact block).
    pub fn default_is_optional(self) -> bool {
        self == Self::LetterContact
    }

    /// A multi-line value (a textarea).
    pub fn multi_line(self) -> bool {
        self == Self::LetterContact
    }

    /// One of them, as a sentence says it: `reply-to email address`.
    pub fn noun(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "reply-to email address",
            Self::SmsSender => "text message sender ID",
            Self::LetterContact => "sender address",
        }
    }

    /// Several, as a sentence says them.
    pub fn plural_noun(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "reply-to email addresses",
            Self::SmsSender => "text message sender IDs",
            Self::LetterContact => "sender addresses",
        }
    }

    pub fn list_title(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "Reply-to email addresses",
            Self::SmsSender => "Text message sender IDs",
            Self::LetterContact => "Sender addresses",
        }
    }

    pub fn add_title(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "Add reply-to email address",
            Self::SmsSender => "Add text message sender ID",
            Self::LetterContact => "Add your contact details",
        }
    }

    pub fn change_title(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "Change reply-to email address",
            Self::SmsSender => "Change text message sender ID",
            Self::LetterContact => "Change sender address",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "Reply-to email address",
            Self::SmsSender => "Text message sender ID",
            Self::LetterContact => "This will appear as the sender address on your letters",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Self::LetterContact => "10 lines maximum",
            Self::EmailReplyTo => "This should be a shared inbox managed by your team, not your own email address",
            Self::SmsSender => {
                "Text message sender ID can only include letters, numbers, spaces, and the following characters: & . - _"
            }
        }
    }

    pub fn make_default_label(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "Make this email address the default",
            Self::SmsSender => "Make this text message sender ID the default",
            Self::LetterContact => "Set as your default address",
        }
    }

    /// On the form of the default one.
    pub fn is_default_text(self, service_name: &str) -> String {
        match self {
            Self::EmailReplyTo => format!("This is the default reply-to address for {service_name} emails"),
            Self::SmsSender => "This is the default text message sender ID.".to_string(),
            Self::LetterContact => format!("This is currently your default address for {service_name}."),
        }
    }

    /// The service's first is its default.
    pub fn first_text(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "This will be your default reply-to address.",
            Self::SmsSender => "This will be your default text message sender ID.",
            Self::LetterContact => "This will be your default sender address.",
        }
    }

    /// The add form's button (Notify's words differ).
    pub fn add_button(self) -> &'static str {
        match self {
            Self::EmailReplyTo => "Add",
            Self::SmsSender => "Save",
            Self::LetterContact => "Add",
        }
    }

    /// The value typed, checked; or the form's error in Notify's words.
    pub fn parse(self, raw: &str) -> Result<String, String> {
        match self {
            Self::EmailReplyTo => {
                let trimmed = super::strip_obscure_whitespace(raw);
                if trimmed.is_empty() {
                    return Err("Enter an email address".into());
                }
                EmailAddress::parse(trimmed)
                    .map(|a| a.as_str().to_string())
                    .map_err(|_| "Enter an email address in the correct format, like name@example.gov.uk".into())
            }
            Self::SmsSender => SmsSender::parse(raw).map(|s| s.as_str().to_string()),
            Self::LetterContact => {
                let block = raw.replace('\r', "");
                let block = block.trim();
                if block.is_empty() {
                    return Err("Enter a sender address".into());
                }
                let lines = block.matches('\n').count() + 1;
                if lines > 10 {
                    return Err(format!("This address is {lines} lines long - the most you can have is 10 lines"));
                }
                Ok(block.to_string())
            }
        }
    }

    pub fn duplicate_message(self, value: &str) -> String {
        match self {
            Self::EmailReplyTo => format!("Your service already uses ‘{value}’ as an email reply-to address."),
            Self::SmsSender => format!("Your service already uses ‘{value}’ as a text message sender ID."),
            Self::LetterContact => "Your service already has this sender address.".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_checks_its_own_values() {
        assert_eq!(SenderKind::EmailReplyTo.parse(" help@example.gov.uk "), Ok("help@example.gov.uk".into()));
        assert_eq!(SenderKind::EmailReplyTo.parse(""), Err("Enter an email address".into()));
        assert_eq!(SenderKind::SmsSender.parse("DVLA"), Ok("DVLA".into()));
        assert_eq!(SenderKind::SmsSender.parse(""), Err("Enter a text message sender ID".into()));
        assert!(SenderKind::SmsSender.parse("help@example.gov.uk").is_err());
        assert_eq!(SenderKind::LetterContact.parse("  Team\r\nStreet\r\nTown \n"), Ok("Team\nStreet\nTown".into()));
        assert_eq!(SenderKind::LetterContact.parse(" \n "), Err("Enter a sender address".into()));
        let eleven = ["line"; 11].join("\n");
        assert_eq!(
            SenderKind::LetterContact.parse(&eleven),
            Err("This address is 11 lines long - the most you can have is 10 lines".into())
        );
        assert!(SenderKind::LetterContact.parse(&["line"; 10].join("\n")).is_ok());
    }
}
