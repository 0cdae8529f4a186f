//! A moment as the store keeps it: UTC, to the microsecond.
//!
//! Rows carry [`Timestamp`]s from the database to the page, so no code
//! parses a stored string (and quietly shows nothing when it cannot) and no
//! code compares times as text. Each backend stores it in its own way:
//! SQLite as text that sorts as time does (`2026-12-06T15:40:00.123456Z`,
//! the form the store has always written, so existing rows decode), and
//! PostgreSQL as `timestamptz` (microseconds too, so a value reads back
//! equal on both).

use std::fmt;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The stored text form: RFC 3339, six fractional digits, `Z`.
const TEXT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// A moment in UTC, whole microseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Later than any real moment (`9999-12-31T00:00:00.000000Z`): what a
    /// column of times holds for "not until something changes".
    pub const NEVER: Timestamp = Timestamp(time::macros::datetime!(9999-12-31 0:00 UTC));

    /// Now, to the microsecond.
    pub fn now() -> Self {
        Self::from_time(OffsetDateTime::now_utc())
    }

    /// `t` in UTC, cut to whole microseconds (what both backends keep).
    pub fn from_time(t: OffsetDateTime) -> Self {
        let t = t.to_offset(UtcOffset::UTC);
        let micros = t.microsecond();
        Self(t.replace_nanosecond(micros * 1_000).expect("microseconds are whole nanoseconds"))
    }

    /// Midnight (UTC) at the start of this moment's day: where Notify's
    /// daily limits start counting.
    pub fn start_of_day(self) -> Self {
        Self(self.0.replace_time(time::Time::MIDNIGHT))
    }

    /// The moment, for calendars and clocks.
    pub fn time(self) -> OffsetDateTime {
        self.0
    }

    /// Reads the stored text form (and only that form).
    pub fn parse(text: &str) -> Option<Self> {
        let t = PrimitiveDateTime::parse(text, TEXT).ok()?.assume_utc();
        // Only years with four digits keep text order equal to time order.
        (1..=9999).contains(&t.year()).then_some(Self(t))
    }

    /// The stored text form, also the one Notify's API answers with.
    pub fn text(self) -> String {
        self.0.format(TEXT).expect("a UTC time with a four-digit year always formats")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.text())
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Self::from_time(self.0 + d)
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Self::from_time(self.0 - d)
    }
}

impl std::ops::Sub<Timestamp> for Timestamp {
    type Output = Duration;
    fn sub(self, other: Timestamp) -> Duration {
        self.0 - other.0
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a stored time")))
    }
}

#[cfg(feature = "ssr")]
mod stored {
    //! Written by hand for PostgreSQL (sqlx's `time` feature is left off on
    //! purpose: with it, an `OffsetDateTime` bound by mistake would be
    //! stored in SQLite in another text form, one that does not sort with
    //! ours; without it, that mistake does not compile).
    use super::Timestamp;
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::types::Oid;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
    use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
    use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
    use time::macros::{datetime, format_description};
    use time::{Duration, OffsetDateTime};

    impl Type<Sqlite> for Timestamp {
        fn type_info() -> SqliteTypeInfo {
            <str as Type<Sqlite>>::type_info()
        }
        fn compatible(ty: &SqliteTypeInfo) -> bool {
            <str as Type<Sqlite>>::compatible(ty)
        }
    }

    impl<'r> Decode<'r, Sqlite> for Timestamp {
        fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
            let text = <&str as Decode<Sqlite>>::decode(value)?;
            Timestamp::parse(text).ok_or_else(|| format!("{text:?} is not a stored time").into())
        }
    }

    impl Encode<'_, Sqlite> for Timestamp {
        fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
            <String as Encode<Sqlite>>::encode(self.text(), buf)
        }
    }

    /// PostgreSQL's epoch: `timestamptz` travels as microseconds since it.
    const PG_EPOCH: OffsetDateTime = datetime!(2000-01-01 0:00 UTC);
    /// `timestamptz`'s type id.
    const TIMESTAMPTZ: Oid = Oid(1184);

    impl Type<Postgres> for Timestamp {
        fn type_info() -> PgTypeInfo {
            PgTypeInfo::with_oid(TIMESTAMPTZ)
        }
    }

    impl<'r> Decode<'r, Postgres> for Timestamp {
        fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            match value.format() {
                PgValueFormat::Binary => {
                    let bytes: [u8; 8] = value.as_bytes()?.try_into().map_err(|_| "a timestamptz is 8 bytes")?;
                    let micros = i64::from_be_bytes(bytes);
                    let t = PG_EPOCH.checked_add(Duration::microseconds(micros)).ok_or("a timestamptz out of range")?;
                    Ok(Timestamp::from_time(t))
                }
                // `2026-12-06 15:40:00.123456+00` (in the session's time
                // zone, with its offset), from a simple query.
                PgValueFormat::Text => {
                    let t = OffsetDateTime::parse(
                        value.as_str()?,
                        format_description!(
                            "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]][offset_hour sign:mandatory][optional [:[offset_minute][optional [:[offset_second]]]]]"
                        ),
                    )?;
                    Ok(Timestamp::from_time(t))
                }
            }
        }
    }

    impl Encode<'_, Postgres> for Timestamp {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            let micros: i64 = (self.0 - PG_EPOCH).whole_microseconds().try_into()?;
            buf.extend_from_slice(&micros.to_be_bytes());
            Ok(IsNull::No)
        }

        fn size_hint(&self) -> usize {
            8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any moment from year 1 to 9999, to the nanosecond.
    fn any_time() -> impl Strategy<Value = OffsetDateTime> {
        let first = OffsetDateTime::new_utc(
            time::Date::from_calendar_date(1, time::Month::January, 1).unwrap(),
            time::Time::MIDNIGHT,
        );
        let last = OffsetDateTime::new_utc(
            time::Date::from_calendar_date(9999, time::Month::December, 31).unwrap(),
            time::Time::from_hms_nano(23, 59, 59, 999_999_999).unwrap(),
        );
        (first.unix_timestamp_nanos()..=last.unix_timestamp_nanos())
            .prop_map(|n| OffsetDateTime::from_unix_timestamp_nanos(n).unwrap())
    }

    proptest! {
        #[test]
        fn the_text_form_reads_back_as_the_same_moment(t in any_time()) {
            let stamp = Timestamp::from_time(t);
            prop_assert_eq!(Timestamp::parse(&stamp.text()), Some(stamp));
        }

        #[test]
        fn text_order_is_time_order(a in any_time(), b in any_time()) {
            let (a, b) = (Timestamp::from_time(a), Timestamp::from_time(b));
            prop_assert_eq!(a.text().cmp(&b.text()), a.cmp(&b));
        }

        #[test]
        fn only_the_nanoseconds_below_a_microsecond_are_dropped(t in any_time()) {
            let kept = Timestamp::from_time(t).time();
            prop_assert!(kept <= t && t - kept < Duration::microseconds(1));
        }

        #[test]
        fn the_offset_of_the_input_does_not_change_the_moment(t in any_time(), hours in -12i8..=12) {
            let there = t.to_offset(UtcOffset::from_hms(hours, 0, 0).unwrap());
            prop_assume!((1..=9999).contains(&there.year()));
            prop_assert_eq!(Timestamp::from_time(there), Timestamp::from_time(t));
            prop_assert!(Timestamp::from_time(there).text().ends_with('Z'));
        }

        #[test]
        fn serde_uses_the_text_form(t in any_time()) {
            let stamp = Timestamp::from_time(t);
            let json = serde_json::to_string(&stamp).unwrap();
            prop_assert_eq!(&json, &format!("\"{}\"", stamp.text()));
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), stamp);
        }
    }

    #[test]
    fn never_is_after_any_real_time_and_reads_back() {
        assert_eq!(Timestamp::NEVER.text(), "9999-12-31T00:00:00.000000Z");
        assert_eq!(Timestamp::parse(&Timestamp::NEVER.text()), Some(Timestamp::NEVER));
        assert!(Timestamp::now() < Timestamp::NEVER);
    }

    #[test]
    fn reads_the_rows_already_stored() {
        let stamp = Timestamp::parse("2026-12-06T15:40:00.123456Z").unwrap();
        assert_eq!(stamp.time().microsecond(), 123_456);
        assert_eq!(stamp.to_string(), "2026-12-06T15:40:00.123456Z");
    }

    #[test]
    fn refuses_other_forms() {
        for text in [
            "",
            "2026-12-06",
            "2026-12-06 15:40:00",
            "2026-12-06T15:40:00Z",
            "2026-12-06T15:40:00.123Z",
            "2026-12-06T15:40:00.123456+01:00",
            "2026-13-06T15:40:00.123456Z",
            " 2026-12-06T15:40:00.123456Z",
        ] {
            assert_eq!(Timestamp::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_day_starts_at_utc_midnight() {
        let t = Timestamp::parse("2026-03-29T00:59:59.999999Z").unwrap();
        assert_eq!(t.start_of_day().text(), "2026-03-29T00:00:00.000000Z");
        assert_eq!(t.start_of_day().start_of_day(), t.start_of_day());
    }

    #[test]
    fn arithmetic_keeps_microseconds() {
        let a = Timestamp::parse("2026-12-06T23:59:59.999999Z").unwrap();
        assert_eq!((a + Duration::microseconds(1)).text(), "2026-12-07T00:00:00.000000Z");
        assert_eq!((a + Duration::nanoseconds(1500)) - a, Duration::microseconds(1));
        assert_eq!((a - Duration::days(1)).text(), "2026-12-05T23:59:59.999999Z");
    }
}
