//! "just now", "5 minutes ago": how Notify's message log says when.
//! Shared by the server (first render) and the browser (kept current).

/// Describes a moment `seconds` ago.
pub fn relative(seconds: i64) -> String {
    let s = seconds.max(0);
    let plural = |n: i64, unit: &str| format!("{} ago", super::plural(n, unit, &format!("{unit}s")));
    match s {
        0..30 => "just now".to_string(),
        30..60 => "in the last minute".to_string(),
        60..3600 => plural(s / 60, "minute"),
        3600..86_400 => plural(s / 3600, "hour"),
        _ => plural(s / 86_400, "day"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_like_notify() {
        assert_eq!(relative(0), "just now");
        assert_eq!(relative(29), "just now");
        assert_eq!(relative(45), "in the last minute");
        assert_eq!(relative(60), "1 minute ago");
        assert_eq!(relative(5 * 60 + 10), "5 minutes ago");
        assert_eq!(relative(3600), "1 hour ago");
        assert_eq!(relative(3 * 86_400), "3 days ago");
        assert_eq!(relative(-5), "just now", "a clock slightly ahead is not the future");
    }

    proptest! {
        #[test]
        fn later_is_never_described_as_sooner(a in 0i64..1_000_000, b in 0i64..1_000_000) {
            let rank = |s: &str| if s == "just now" { 0 } else if s == "in the last minute" { 1 } else { 2 };
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(rank(&relative(lo)) <= rank(&relative(hi)));
        }
    }
}
