//! A job: a list of recipients sent as one, from a checked file (the
//! admin's "Send N emails") or `POST /v2/notifications/bulk`. Its status,
//! and when it may be scheduled for: now, or a time within the next 4 days
//! (Notify's `ChooseTimeForm` offers the hours of today and the next 3 days;
//! GC Notify's bulk API takes any time up to 96 hours ahead).

use super::london_time::{time_of_day, to_london};
use super::permission::string_enum;
use super::Timestamp;
use time::Duration;

string_enum! {
    /// Where a job is, as Notify names it.
    JobStatus {
        Scheduled => "scheduled",
        Pending => "pending",
        InProgress => "in progress",
        Finished => "finished",
        Cancelled => "cancelled",
        SendingLimitsExceeded => "sending limits exceeded",
    }
}

impl JobStatus {
    /// Waiting for the worker, or being sent: its rows are still coming.
    pub fn is_sending(self) -> bool {
        matches!(self, Self::Pending | Self::InProgress)
    }
}

/// How far ahead a job may be scheduled.
pub const MAX_SCHEDULE_AHEAD: Duration = Duration::hours(96);

/// Why a time to send at was refused (GC Notify's words for its bulk API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    NotATime,
    InThePast,
    TooFarAhead,
}

impl ScheduleError {
    pub fn message(self) -> &'static str {
        match self {
            ScheduleError::NotATime => {
                "scheduled_for is not a valid date and time (use ISO 8601, for example 2026-12-08T09:00:00Z)"
            }
            ScheduleError::InThePast => "scheduled_for datetime cannot be in the past",
            ScheduleError::TooFarAhead => "scheduled_for datetime can only be up to 96 hours in the future",
        }
    }
}

/// Reads a time to send at: RFC 3339 (`2026-12-08T09:00:00Z`, or with an
/// offset), or a time without a zone (`2026-12-08T09:00`, `2026-12-08
/// 09:00:00`), taken as UTC as Notify takes it. It must not be in the past
/// (a minute's grace for clocks) and at most [`MAX_SCHEDULE_AHEAD`] ahead.
pub fn parse_scheduled_for(text: &str, now: Timestamp) -> Result<Timestamp, ScheduleError> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    use time::PrimitiveDateTime;
    let text = text.trim();
    if text.len() > 64 {
        return Err(ScheduleError::NotATime);
    }
    let at = time::OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| {
            [
                format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
                format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
                format_description!("[year]-[month]-[day]T[hour]:[minute]"),
                format_description!("[year]-[month]-[day] [hour]:[minute]"),
            ]
            .iter()
            .find_map(|f| PrimitiveDateTime::parse(text, f).ok())
            .map(PrimitiveDateTime::assume_utc)
        })
        .filter(|t| (1..=9999).contains(&t.year()))
        .ok_or(ScheduleError::NotATime)?;
    let at = Timestamp::from_time(at);
    if at < now - Duration::minutes(1) {
        return Err(ScheduleError::InThePast);
    }
    if at > now + MAX_SCHEDULE_AHEAD {
        return Err(ScheduleError::TooFarAhead);
    }
    Ok(at)
}

/// The times the admin offers after "Now": each hour on the hour from the
/// next one, through the end of the third day after today (London time),
/// labelled as Notify labels them ("Today at 3:00pm", "Tomorrow at
/// midday", "Wednesday at 9:00am").
pub fn send_time_choices(now: Timestamp) -> Vec<(Timestamp, String)> {
    let today = to_london(now.time()).date();
    let mut t = top_of_hour(now) + Duration::hours(1);
    let mut out = Vec::new();
    while is_offered_day(t, today) {
        let local = to_london(t);
        let day = if local.date() == today {
            "Today".to_string()
        } else if local.date() == today + Duration::days(1) {
            "Tomorrow".to_string()
        } else {
            local.weekday().to_string()
        };
        out.push((Timestamp::from_time(t), format!("{day} at {}", time_of_day(local))));
        t += Duration::hours(1);
    }
    out
}

fn top_of_hour(t: Timestamp) -> time::OffsetDateTime {
    let t = t.time();
    t.replace_time(time::Time::from_hms(t.hour(), 0, 0).expect("an hour of a day"))
}

/// Whether `t` falls on or before the third day after `today` (London).
fn is_offered_day(t: time::OffsetDateTime, today: time::Date) -> bool {
    to_london(t).date() <= today + Duration::days(3)
}

/// Whether `at` is one of the times [`send_time_choices`] offers now, or
/// the hour just begun (a form posted a little after the page was shown).
pub fn is_offered_time(at: Timestamp, now: Timestamp) -> bool {
    let t = at.time();
    t.minute() == 0
        && t.second() == 0
        && t.nanosecond() == 0
        && t >= top_of_hour(now)
        && is_offered_day(t, to_london(now.time()).date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn at(t: time::OffsetDateTime) -> Timestamp {
        Timestamp::from_time(t)
    }

    #[test]
    fn times_with_and_without_a_zone() {
        let now = at(datetime!(2026-12-07 10:30 UTC));
        assert_eq!(parse_scheduled_for("2026-12-08T09:00:00Z", now), Ok(at(datetime!(2026-12-08 09:00 UTC))));
        assert_eq!(parse_scheduled_for("2026-12-08T10:00:00+01:00", now), Ok(at(datetime!(2026-12-08 09:00 UTC))));
        assert_eq!(parse_scheduled_for("2026-12-08 09:00", now), Ok(at(datetime!(2026-12-08 09:00 UTC))));
        assert_eq!(parse_scheduled_for("2026-12-08T09:00", now), Ok(at(datetime!(2026-12-08 09:00 UTC))));
        assert_eq!(parse_scheduled_for("tomorrow", now), Err(ScheduleError::NotATime));
        assert_eq!(parse_scheduled_for("2026-12-07T09:00:00Z", now), Err(ScheduleError::InThePast));
        assert_eq!(parse_scheduled_for("2026-12-11T10:31:00Z", now), Err(ScheduleError::TooFarAhead));
        assert_eq!(parse_scheduled_for("2026-12-11T10:30:00Z", now), Ok(at(datetime!(2026-12-11 10:30 UTC))));
    }

    #[test]
    fn choices_run_hourly_to_the_end_of_the_third_day_after_today() {
        let now = at(datetime!(2026-12-07 10:30 UTC));
        let choices = send_time_choices(now);
        assert_eq!(choices[0], (at(datetime!(2026-12-07 11:00 UTC)), "Today at 11:00am".to_string()));
        assert_eq!(choices[1].1, "Today at midday");
        assert_eq!(choices[13].1, "Tomorrow at midnight");
        assert_eq!(choices.last().unwrap(), &(at(datetime!(2026-12-10 23:00 UTC)), "Thursday at 11:00pm".to_string()));
        assert_eq!(choices.len(), 13 + 24 * 3);
        assert!(is_offered_time(choices[5].0, now));
        assert!(!is_offered_time(at(datetime!(2026-12-07 11:30 UTC)), now));
        assert!(!is_offered_time(at(datetime!(2026-12-11 00:00 UTC)), now));
    }

    #[test]
    fn summer_choices_are_in_london_time() {
        let now = at(datetime!(2026-07-01 22:10 UTC));
        let choices = send_time_choices(now);
        // 23:00 UTC is midnight in London, the next day.
        assert_eq!(choices[0].1, "Tomorrow at midnight");
    }

    proptest! {
        #[test]
        fn anything_parsed_is_within_the_window(text in ".{0,80}", offset in -200i64..200) {
            let now = at(datetime!(2026-12-07 10:30 UTC));
            if let Ok(t) = parse_scheduled_for(&text, now) {
                prop_assert!(t >= now - Duration::minutes(1) && t <= now + MAX_SCHEDULE_AHEAD);
            }
            let text = (now + Duration::hours(offset)).text();
            let parsed = parse_scheduled_for(&text, now);
            prop_assert_eq!(parsed.is_ok(), (0..=96).contains(&offset), "{:?}", parsed);
        }

        #[test]
        fn every_choice_is_offered_and_ahead(minutes in 0i64..(60 * 24 * 400)) {
            let now = at(datetime!(2026-01-01 00:00 UTC)) + Duration::minutes(minutes);
            let choices = send_time_choices(now);
            // Three whole days and what is left of today: 71 hours when the
            // clocks go forward, 97 at most when they go back.
            prop_assert!(choices.len() >= 71 && choices.len() <= 97, "{}", choices.len());
            for (t, _) in &choices {
                prop_assert!(*t > now && *t <= now + MAX_SCHEDULE_AHEAD);
                prop_assert!(is_offered_time(*t, now));
            }
        }
    }
}
