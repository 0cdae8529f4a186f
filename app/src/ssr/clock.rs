//! UTC timestamps as stored in the database: RFC 3339, microseconds, `Z`.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

pub fn format(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(FORMAT).expect("a UTC time always formats")
}

pub fn parse(s: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(s, FORMAT).ok().map(|t| t.assume_utc())
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn now_string() -> String {
    format(now())
}

pub fn ago(d: Duration) -> String {
    format(now() - d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_sorts_as_text() {
        let a = now();
        let b = a + Duration::milliseconds(1);
        let (sa, sb) = (format(a), format(b));
        assert!(sa < sb);
        assert_eq!(format(parse(&sa).unwrap()), sa);
        assert!(sa.ends_with('Z'));
    }
}
