//! How long a service's messages are kept: per channel, 3 to 90 days,
//! 7 by default (Notify's default and range).

use super::TemplateType;

pub const DEFAULT_DAYS: u16 = 7;
pub const MIN_DAYS: u16 = 3;
pub const MAX_DAYS: u16 = 90;

/// Days of retention, within Notify's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RetentionDays(u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Retention must be between 3 and 90 days")]
pub struct RetentionError;

impl RetentionDays {
    pub const DEFAULT: Self = Self(DEFAULT_DAYS);

    pub fn new(days: i64) -> Result<Self, RetentionError> {
        u16::try_from(days).ok().filter(|d| (MIN_DAYS..=MAX_DAYS).contains(d)).map(Self).ok_or(RetentionError)
    }

    pub fn parse(raw: &str) -> Result<Self, RetentionError> {
        raw.trim().parse::<i64>().map_err(|_| RetentionError).and_then(Self::new)
    }

    pub fn days(self) -> u16 {
        self.0
    }
}

/// A service's retention for each channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub email: RetentionDays,
    pub sms: RetentionDays,
    pub letter: RetentionDays,
}

impl Default for Retention {
    fn default() -> Self {
        Self { email: RetentionDays::DEFAULT, sms: RetentionDays::DEFAULT, letter: RetentionDays::DEFAULT }
    }
}

impl Retention {
    pub fn for_type(&self, t: TemplateType) -> RetentionDays {
        match t {
            TemplateType::Email => self.email,
            TemplateType::Sms => self.sms,
            TemplateType::Letter => self.letter,
        }
    }

    pub fn set(&mut self, t: TemplateType, days: RetentionDays) {
        match t {
            TemplateType::Email => self.email = days,
            TemplateType::Sms => self.sms = days,
            TemplateType::Letter => self.letter = days,
        }
    }

    /// What the message log says: Notify's sentence when every channel
    /// keeps messages as long, otherwise each channel's period.
    pub fn sentence(&self) -> String {
        let days = |d: RetentionDays| format!("{} days", d.days());
        if self.email == self.sms && self.sms == self.letter {
            return format!("Notify deletes messages after {}.", days(self.email));
        }
        format!(
            "Notify deletes emails after {}, text messages after {} and letters after {}.",
            days(self.email),
            days(self.sms),
            days(self.letter)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn notifys_range() {
        assert_eq!(RetentionDays::new(2), Err(RetentionError));
        assert_eq!(RetentionDays::new(91), Err(RetentionError));
        assert_eq!(RetentionDays::new(3).unwrap().days(), 3);
        assert_eq!(RetentionDays::parse(" 90 ").unwrap().days(), 90);
        assert_eq!(RetentionDays::parse("seven"), Err(RetentionError));
        assert_eq!(RetentionDays::parse("-7"), Err(RetentionError));
    }

    #[test]
    fn the_log_says_the_period_that_applies() {
        let mut r = Retention::default();
        assert_eq!(r.sentence(), "Notify deletes messages after 7 days.");
        r.set(TemplateType::Sms, RetentionDays::new(30).unwrap());
        assert_eq!(
            r.sentence(),
            "Notify deletes emails after 7 days, text messages after 30 days and letters after 7 days."
        );
        assert_eq!(r.for_type(TemplateType::Sms).days(), 30);
    }

    proptest! {
        #[test]
        fn only_3_to_90_is_accepted(n in -1000i64..1000) {
            prop_assert_eq!(RetentionDays::new(n).is_ok(), (3..=90).contains(&n));
        }
    }
}
