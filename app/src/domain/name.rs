//! Names people give things (API keys, templates, themselves, security keys): trimmed of whitespace,
//! never empty, at most 255 characters. One rule, with each thing's wording.

use std::marker::PhantomData;

pub const MAX_NAME_LENGTH: usize = 255;

/// Why a name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong,
}

/// The wording of one kind of name's errors.
pub trait Named {
    const EMPTY: &'static str;
    const TOO_LONG: &'static str;
}

/// A valid name of kind `K`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name<K>(String, PhantomData<K>);

impl<K: Named> Name<K> {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = super::strip_obscure_whitespace(raw);
        if name.is_empty() {
            Err(NameError::Empty)
        } else if name.chars().count() > MAX_NAME_LENGTH {
            Err(NameError::TooLong)
        } else {
            Ok(Self(name.to_string(), PhantomData))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The GOV.UK error message for `error`, in this kind's words.
    pub fn message(error: NameError) -> &'static str {
        match error {
            NameError::Empty => K::EMPTY,
            NameError::TooLong => K::TOO_LONG,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyNames;
impl Named for ApiKeyNames {
    const EMPTY: &'static str = "Enter a name for this API key";
    const TOO_LONG: &'static str = "Key name must be 255 characters or fewer";
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateNames;
impl Named for TemplateNames {
    const EMPTY: &'static str = "Enter a name for this template";
    const TOO_LONG: &'static str = "Template name must be 255 characters or fewer";
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonNames;
impl Named for PersonNames {
    const EMPTY: &'static str = "Enter your full name";
    const TOO_LONG: &'static str = "Name must be 255 characters or fewer";
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityKeyNames;
impl Named for SecurityKeyNames {
    const EMPTY: &'static str = "Enter a name for this key";
    const TOO_LONG: &'static str = "Name of key must be 255 characters or fewer";
}

/// An API key's name.
pub type KeyName = Name<ApiKeyNames>;
/// A user's own name.
pub type PersonName = Name<PersonNames>;
/// A security key's name.
pub type SecurityKeyName = Name<SecurityKeyNames>;
/// A template's name.
pub type TemplateName = Name<TemplateNames>;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_bounded_with_each_kinds_words() {
        assert_eq!(KeyName::parse("  "), Err(NameError::Empty));
        assert_eq!(KeyName::parse(&"a".repeat(256)), Err(NameError::TooLong));
        assert_eq!(KeyName::parse(" Live key ").unwrap().as_str(), "Live key");
        assert_eq!(TemplateName::parse(&"é".repeat(255)).unwrap().as_str().chars().count(), 255);
        assert_eq!(KeyName::message(NameError::TooLong), "Key name must be 255 characters or fewer");
        assert_eq!(TemplateName::message(NameError::Empty), "Enter a name for this template");
    }

    proptest! {
        #[test]
        fn a_valid_name_is_never_empty_nor_longer_than_255(raw in "\\PC{0,300}") {
            if let Ok(name) = TemplateName::parse(&raw) {
                prop_assert!(!name.as_str().is_empty());
                prop_assert!(name.as_str().chars().count() <= MAX_NAME_LENGTH);
            }
        }
    }
}
