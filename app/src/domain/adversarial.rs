//! Every function that reads outside text finishes in time proportional to
//! the text, whatever it holds: generated adversarial values (long runs of
//! the characters each parser treats specially, many distinct names,
//! brackets that never close) up to a megabyte, each timed against a benign
//! value of the same length in the same run (machines differ; a quadratic
//! pass over a megabyte is tens of thousands of times slower, not twenty).

use super::api_key::find_keys;
use super::template::{fill_within, placeholders, template_fields, RENDER_LIMIT_BYTES};
use super::{personalisation_key, EmailAddress, GuestList, PhoneNumber};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Pieces that parsers of templates, addresses and numbers treat specially.
const UNITS: &[&str] = &[
    "((",
    "))",
    "((a",
    "((a))",
    "((a??b))",
    "(((",
    ")))",
    "?",
    "??",
    "a-",
    "a.",
    ".",
    "@",
    "a@",
    "@a.",
    "+44",
    "07700",
    "0",
    " ",
    "-",
    "(",
    ")",
    "\u{200B}",
    "é",
    "ς",
    "Σ",
    "\n",
    "\r\n",
    "\\",
    "_",
    "%",
    // Key strings: a service id and a secret, or parts of them.
    "-7f2b0c1e-3d4a-4b5c-8d6e-9f0a1b2c3d4e-",
    "abcdefghijklmnopqrstuvwxyz0123456789",
];

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let started = Instant::now();
    std::hint::black_box(f());
    started.elapsed()
}

/// A value of about `len` bytes: `units` repeated, with a counter where
/// `numbered` so that names are distinct.
fn value(units: &[&str], len: usize, numbered: bool) -> String {
    let mut out = String::with_capacity(len + 32);
    let mut i = 0usize;
    while out.len() < len {
        out.push_str(units[i % units.len()]);
        if numbered {
            out.push_str(&i.to_string());
        }
        i += 1;
    }
    out
}

/// Every reader of outside text, on `text`.
fn read_everything(text: &str) {
    let lookup = |name: &str| personalisation_key(name).len().is_multiple_of(2).then(|| "x".repeat(16));
    std::hint::black_box(placeholders(text));
    std::hint::black_box(template_fields(Some(text), text));
    std::hint::black_box(fill_within(text, &lookup, RENDER_LIMIT_BYTES));
    std::hint::black_box(personalisation_key(text));
    std::hint::black_box(EmailAddress::parse(text).is_ok());
    std::hint::black_box(PhoneNumber::parse(text).is_ok());
    std::hint::black_box(GuestList::parse(text, text).is_ok());
    std::hint::black_box(find_keys(text).len());
}

fn within_bound(text: &str) -> Result<(), TestCaseError> {
    let benign = "a".repeat(text.len());
    let yardstick = time(|| read_everything(&benign));
    let bound = yardstick * 20 + Duration::from_millis(100);
    // Timed again, up to twice, when over the bound: the Rust tests run side
    // by side on two cores, and one slow moment (a 946 KB run of `(` once
    // took 800 ms against its usual 600 ms, bound 757 ms) is not a reader
    // that grows faster than its input, which is over it every time.
    let mut took = time(|| read_everything(text));
    for _ in 0..2 {
        if took <= bound {
            break;
        }
        took = took.min(time(|| read_everything(text)));
    }
    if took <= bound {
        return Ok(());
    }
    // Over the bound: some texts cost each byte more than a benign one (a
    // long run of `(` is about 30 times as dear, so 700 KB of it came to
    // 650 ms against a bound of 500 ms) and still take time in step with
    // their length. Such a reader takes about twice as long for twice the
    // text; one that grows faster than its input, four times or more.
    let mid = (0..=text.len() / 2).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    let half = &text[..mid];
    let mut took_half = time(|| read_everything(half));
    for _ in 0..2 {
        took_half = took_half.min(time(|| read_everything(half)));
    }
    prop_assert!(
        took <= took_half * 3,
        "{} bytes starting {:?} took {:?}, half of them {:?} (a benign value: {:?})",
        text.len(),
        text.chars().take(40).collect::<String>(),
        took,
        took_half,
        yardstick
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn readers_of_outside_text_finish_in_linear_time(
        picks in prop::collection::vec(0..UNITS.len(), 1..4),
        numbered in any::<bool>(),
        kilobytes in 1usize..1024,
    ) {
        let units: Vec<&str> = picks.iter().map(|&i| UNITS[i]).collect();
        within_bound(&value(&units, kilobytes * 1024, numbered))?;
    }
}

#[test]
fn many_distinct_placeholders_are_linear() {
    // 100,000 distinct names: a list compared with every name before it
    // made this quadratic.
    within_bound(&value(&["((name", "))"], 1024 * 1024, true)).unwrap();
}
