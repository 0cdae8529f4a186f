//! What a key did, as its page charts it and its alerts judge it: hourly
//! counts (UTC hours, `2026-11-29T17`) named by [`Metric`], added up into
//! London days, and the thresholds of the alerts on unusual usage.

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// An hour with at least this many messages from one key…
pub const SPIKE_FLOOR: i64 = 500;
/// …and more than this many times the key's average hour over the week
/// before it raises an alert.
pub const SPIKE_FACTOR: i64 = 10;
/// The hours the average is taken over (7 days).
pub const BASELINE_HOURS: i64 = 7 * 24;
/// Refused requests naming a service in one hour that raise an alert.
pub const REFUSAL_BURST: i64 = 100;
/// A key used after this many days without use raises an alert.
pub const IDLE_DAYS: i64 = 90;

/// The thresholds, as the key's page and the hub explain them.
pub fn thresholds_text() -> [String; 3] {
    [
        format!(
            "a key sends at least {SPIKE_FLOOR} messages in an hour, and more than {SPIKE_FACTOR} times its average hour over the 7 days before"
        ),
        format!(
            "at least {REFUSAL_BURST} requests naming this service are refused in an hour (a wrong secret, a revoked or expired key, or over a limit)"
        ),
        format!("a key is used after {IDLE_DAYS} days or more without being used"),
    ]
}

/// The UTC hour `t` falls in, as stored: `2026-11-29T17`.
pub fn hour_of(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}T{:02}", t.year(), u8::from(t.month()), t.day(), t.hour())
}

/// The start of a stored hour; `None` for anything else.
pub fn parse_hour(hour: &str) -> Option<OffsetDateTime> {
    let (date, h) = hour.split_once('T')?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(date, format).ok()?;
    if h.len() != 2 {
        return None;
    }
    let h: u8 = h.parse().ok()?;
    Some(PrimitiveDateTime::new(date, Time::from_hms(h, 0, 0).ok()?).assume_utc())
}

/// Whether `this_hour` messages from a key that sent `previous_week` in the
/// [`BASELINE_HOURS`] before is unusual: at least [`SPIKE_FLOOR`], and
/// more than [`SPIKE_FACTOR`] times its average hour.
pub fn is_send_spike(this_hour: i64, previous_week: i64) -> bool {
    this_hour >= SPIKE_FLOOR
        && i128::from(this_hour) * i128::from(BASELINE_HOURS) > i128::from(SPIKE_FACTOR) * i128::from(previous_week)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    Letter,
}

impl Channel {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            "letter" => Some(Self::Letter),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Letter => "letter",
        }
    }
}

/// Why a request naming a key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// A whole key string whose name and service are this key's, with
    /// another secret.
    WrongSecret,
    /// The key was revoked or has expired.
    Ended,
    /// The key's service was over its rate or daily limit.
    OverLimit,
}

/// What one hourly count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Sent(Channel),
    Delivered(Channel),
    Failed(Channel),
    Refused(Refusal),
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        use Channel::*;
        match self {
            Self::Sent(Email) => "email:sent",
            Self::Sent(Sms) => "sms:sent",
            Self::Sent(Letter) => "letter:sent",
            Self::Delivered(Email) => "email:delivered",
            Self::Delivered(Sms) => "sms:delivered",
            Self::Delivered(Letter) => "letter:delivered",
            Self::Failed(Email) => "email:failed",
            Self::Failed(Sms) => "sms:failed",
            Self::Failed(Letter) => "letter:failed",
            Self::Refused(Refusal::WrongSecret) => "refused:secret",
            Self::Refused(Refusal::Ended) => "refused:ended",
            Self::Refused(Refusal::OverLimit) => "refused:limit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (head, tail) = s.split_once(':')?;
        if head == "refused" {
            return Some(Self::Refused(match tail {
                "secret" => Refusal::WrongSecret,
                "ended" => Refusal::Ended,
                "limit" => Refusal::OverLimit,
                _ => return None,
            }));
        }
        let channel = Channel::parse(head)?;
        match tail {
            "sent" => Some(Self::Sent(channel)),
            "delivered" => Some(Self::Delivered(channel)),
            "failed" => Some(Self::Failed(channel)),
            _ => None,
        }
    }
}

/// One London day of a key's use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayUsage {
    pub date: Date,
    pub emails: i64,
    pub texts: i64,
    pub letters: i64,
    pub delivered: i64,
    pub failed: i64,
    pub refused: i64,
}

impl DayUsage {
    fn empty(date: Date) -> Self {
        Self { date, emails: 0, texts: 0, letters: 0, delivered: 0, failed: 0, refused: 0 }
    }

    /// Messages sent that day, every channel.
    pub fn sent(&self) -> i64 {
        self.emails + self.texts + self.letters
    }

    /// Sent that day, and neither delivered nor failed yet.
    pub fn in_progress(&self) -> i64 {
        (self.sent() - self.delivered - self.failed).max(0)
    }

    fn add(&mut self, metric: Metric, n: i64) {
        match metric {
            Metric::Sent(Channel::Email) => self.emails += n,
            Metric::Sent(Channel::Sms) => self.texts += n,
            Metric::Sent(Channel::Letter) => self.letters += n,
            Metric::Delivered(_) => self.delivered += n,
            Metric::Failed(_) => self.failed += n,
            Metric::Refused(_) => self.refused += n,
        }
    }
}

/// The `days` London days ending with `today`, oldest first, with the
/// hourly `(hour, metric, n)` counts that fall in them added up. Counts
/// outside those days, and rows that do not parse, are left out.
pub fn daily(rows: &[(String, String, i64)], today: Date, days: u16) -> Vec<DayUsage> {
    let first = today - time::Duration::days(i64::from(days.max(1)) - 1);
    let mut out: Vec<DayUsage> =
        (0..i64::from(days.max(1))).map(|i| DayUsage::empty(first + time::Duration::days(i))).collect();
    for (hour, metric, n) in rows {
        let (Some(start), Some(metric)) = (parse_hour(hour), Metric::parse(metric)) else { continue };
        let date = super::london_time::to_london(start).date();
        let index = (date - first).whole_days();
        if let Some(day) = usize::try_from(index).ok().and_then(|i| out.get_mut(i)) {
            day.add(metric, *n);
        }
    }
    out
}

/// The top of a chart's scale for a largest value `n`: the smallest of 1,
/// 2 or 5 times a power of ten that is at least `n` (at least 10, so the
/// half-way line is a whole number).
pub fn nice_ceiling(n: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            let top = step.saturating_mul(m);
            if top >= n.max(10) || top == i64::MAX {
                return top;
            }
        }
        step = step.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    #[test]
    fn hours_round_trip() {
        let t = datetime!(2026-11-29 17:42:10 UTC);
        assert_eq!(hour_of(t), "2026-11-29T17");
        assert_eq!(parse_hour("2026-11-29T17"), Some(datetime!(2026-11-29 17:00 UTC)));
        for bad in ["", "2026-11-29", "2026-11-29T7", "2026-11-29T24", "2026-13-01T00", "x-11-29T17"] {
            assert_eq!(parse_hour(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_spike_needs_the_floor_and_ten_times_the_usual_hour() {
        // A new key with no history: the floor decides.
        assert!(!is_send_spike(499, 0));
        assert!(is_send_spike(500, 0));
        // 100 an hour all week (16,800): 1,000 is exactly ten times, not more.
        assert!(!is_send_spike(1_000, 16_800));
        assert!(is_send_spike(1_001, 16_800));
        // A busy key's ordinary hour is not a spike.
        assert!(!is_send_spike(5_000, 168 * 5_000));
    }

    #[test]
    fn metrics_round_trip() {
        use Channel::*;
        let all = [
            Metric::Sent(Email),
            Metric::Sent(Sms),
            Metric::Sent(Letter),
            Metric::Delivered(Email),
            Metric::Delivered(Sms),
            Metric::Delivered(Letter),
            Metric::Failed(Email),
            Metric::Failed(Sms),
            Metric::Failed(Letter),
            Metric::Refused(Refusal::WrongSecret),
            Metric::Refused(Refusal::Ended),
            Metric::Refused(Refusal::OverLimit),
        ];
        for m in all {
            assert_eq!(Metric::parse(m.as_str()), Some(m));
        }
        assert_eq!(Metric::parse("email:bounced"), None);
        assert_eq!(Metric::parse("fax:sent"), None);
    }

    #[test]
    fn hours_add_up_into_london_days() {
        let rows = vec![
            // 23:00 UTC on 28 June is 00:00 BST on 29 June.
            ("2026-06-28T23".to_string(), "email:sent".to_string(), 3),
            ("2026-06-28T22".to_string(), "sms:sent".to_string(), 2),
            ("2026-06-29T10".to_string(), "email:delivered".to_string(), 2),
            ("2026-06-29T10".to_string(), "refused:limit".to_string(), 7),
            // Before the window, and rubbish: left out.
            ("2026-06-20T10".to_string(), "email:sent".to_string(), 100),
            ("nonsense".to_string(), "email:sent".to_string(), 100),
        ];
        let days = daily(&rows, date!(2026 - 06 - 29), 7);
        assert_eq!(days.len(), 7);
        assert_eq!(days[0].date, date!(2026 - 06 - 23));
        let last = days[6];
        assert_eq!((last.emails, last.texts, last.delivered, last.refused), (3, 0, 2, 7));
        assert_eq!(last.in_progress(), 1);
        assert_eq!(days[5].texts, 2);
    }

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0), 10);
        assert_eq!(nice_ceiling(6), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(20), 20);
        assert_eq!(nice_ceiling(21), 50);
        assert_eq!(nice_ceiling(4_321), 5_000);
    }

    proptest! {
        #[test]
        fn a_scale_holds_its_value_within_two_and_a_half_times(n in 0i64..1_000_000_000_000) {
            let top = nice_ceiling(n);
            prop_assert!(top >= n);
            prop_assert!(2 * top <= n.max(10) * 5 + 1);
            prop_assert_eq!(top % 2, 0);
        }

        #[test]
        fn every_count_in_the_window_is_added_once(
            counts in proptest::collection::vec((0i64..30 * 24, 0usize..12, 0i64..1000), 0..200)
        ) {
            let metrics = ["email:sent", "sms:sent", "letter:sent", "email:delivered", "sms:failed",
                           "refused:secret", "refused:ended", "refused:limit", "letter:failed",
                           "sms:delivered", "letter:delivered", "email:failed"];
            // Winter: London days are UTC days.
            let start = datetime!(2026-01-02 00:00 UTC);
            let rows: Vec<(String, String, i64)> = counts.iter()
                .map(|(h, m, n)| (hour_of(start + time::Duration::hours(*h)), metrics[*m].to_string(), *n))
                .collect();
            let days = daily(&rows, date!(2026 - 01 - 31), 30);
            let total: i64 = days.iter().map(|d| d.sent() + d.delivered + d.failed + d.refused).sum();
            prop_assert_eq!(total, counts.iter().map(|(_, _, n)| n).sum::<i64>());
        }

        #[test]
        fn more_sends_never_stop_being_a_spike(this_hour in 0i64..1_000_000, week in 0i64..100_000_000, extra in 0i64..1000) {
            if is_send_spike(this_hour, week) {
                prop_assert!(is_send_spike(this_hour + extra, week));
            }
        }

        #[test]
        fn hour_of_always_parses_back(secs in 0i64..4_000_000_000) {
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let start = parse_hour(&hour_of(t)).unwrap();
            prop_assert!(start <= t && t - start < time::Duration::hours(1));
        }
    }
}
