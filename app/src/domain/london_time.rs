//! Times shown as Notify shows them, in Europe/London:
//! `12 November at 2:30pm`, with `midnight` and `midday`.

use time::{Date, Month, OffsetDateTime, Time, UtcOffset, Weekday};

/// The last Sunday of `month` in `year`, at 01:00 UTC: when UK clocks change.
fn last_sunday_1am_utc(year: i32, month: Month) -> OffsetDateTime {
    let next_month_first = match month {
        Month::December => Date::from_calendar_date(year + 1, Month::January, 1),
        m => Date::from_calendar_date(year, m.next(), 1),
    }
    .expect("a valid date");
    let mut day = next_month_first.previous_day().expect("a valid date");
    while day.weekday() != Weekday::Sunday {
        day = day.previous_day().expect("a valid date");
    }
    day.with_time(Time::from_hms(1, 0, 0).expect("a valid time")).assume_utc()
}

/// `t` in UK local time (GMT, or BST from the last Sunday of March to the
/// last Sunday of October, changing at 01:00 UTC).
pub fn to_london(t: OffsetDateTime) -> OffsetDateTime {
    let utc = t.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let bst = utc >= last_sunday_1am_utc(year, Month::March) && utc < last_sunday_1am_utc(year, Month::October);
    let offset = if bst { UtcOffset::from_hms(1, 0, 0).expect("valid") } else { UtcOffset::UTC };
    utc.to_offset(offset)
}

/// `2:30pm` or `1:00am` (minutes always shown), `midnight` and `midday`.
pub fn time_of_day(t: OffsetDateTime) -> String {
    let (h, m) = (t.hour(), t.minute());
    match (h, m) {
        (0, 0) => "midnight".to_string(),
        (12, 0) => "midday".to_string(),
        _ => {
            let (h12, suffix) = match h {
                0 => (12, "am"),
                1..=11 => (h, "am"),
                12 => (12, "pm"),
                _ => (h - 12, "pm"),
            };
            format!("{h12}:{m:02}{suffix}")
        }
    }
}

/// `12 November at 2:30pm` (Notify's `format_datetime_short`).
pub fn datetime_short(t: OffsetDateTime) -> String {
    let local = to_london(t);
    format!("{} {} at {}", local.day(), local.month(), time_of_day(local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn winter_is_gmt_and_summer_is_bst() {
        assert_eq!(datetime_short(datetime!(2026-01-01 01:00 UTC)), "1 January at 1:00am");
        assert_eq!(datetime_short(datetime!(2026-11-12 14:30 UTC)), "12 November at 2:30pm");
        assert_eq!(datetime_short(datetime!(2026-07-01 13:30 UTC)), "1 July at 2:30pm");
    }

    #[test]
    fn midnight_and_midday() {
        assert_eq!(datetime_short(datetime!(2026-01-05 00:00 UTC)), "5 January at midnight");
        assert_eq!(datetime_short(datetime!(2026-01-05 12:00 UTC)), "5 January at midday");
        // 23:00 UTC in summer is midnight in London, the next day.
        assert_eq!(datetime_short(datetime!(2026-06-30 23:00 UTC)), "1 July at midnight");
    }

    #[test]
    fn the_clocks_change_at_one_in_the_morning_utc() {
        // 2026: BST starts 29 March, ends 25 October.
        assert_eq!(time_of_day(to_london(datetime!(2026-03-29 00:59 UTC))), "12:59am");
        assert_eq!(time_of_day(to_london(datetime!(2026-03-29 01:00 UTC))), "2:00am");
        assert_eq!(time_of_day(to_london(datetime!(2026-10-25 00:59 UTC))), "1:59am");
        assert_eq!(time_of_day(to_london(datetime!(2026-10-25 01:00 UTC))), "1:00am");
    }
}
