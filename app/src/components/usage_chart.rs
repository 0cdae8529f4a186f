//! A key's usage by day as a server-rendered SVG bar chart (no JavaScript
//! needed), with the same figures in a table for screen readers and anyone
//! who prefers numbers.

use crate::domain::key_usage::{nice_ceiling, DayUsage};
use crate::domain::thousands;
use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 10.0;

/// GOV.UK colours: green, red, mid grey, orange.
const DELIVERED: &str = "#00703c";
const FAILED: &str = "#d4351c";
const IN_PROGRESS: &str = "#b1b4b6";
const REFUSED: &str = "#f47738";

/// `Mon 23` for a week's chart, `23 Nov` for a month's.
fn day_label(day: &DayUsage, short_range: bool) -> String {
    let month = &day.date.month().to_string()[..3];
    if short_range {
        format!("{} {}", &day.date.weekday().to_string()[..3], day.date.day())
    } else {
        format!("{} {month}", day.date.day())
    }
}

/// One bar's rectangles: `(y, height, colour)` from the bottom up.
fn stack(day: &DayUsage, scale: f64) -> Vec<(f64, f64, &'static str)> {
    let mut y = HEIGHT - BOTTOM;
    let mut out = Vec::new();
    for (n, colour) in [(day.delivered, DELIVERED), (day.failed, FAILED), (day.in_progress(), IN_PROGRESS)] {
        if n > 0 {
            let h = n as f64 * scale;
            y -= h;
            out.push((y, h, colour));
        }
    }
    out
}

/// `caption` heads the chart; `id` makes its ids unique on the page.
#[component]
pub fn UsageChart(id: &'static str, caption: String, days: Vec<DayUsage>) -> impl IntoView {
    let top = nice_ceiling(days.iter().map(|d| d.sent().max(d.refused)).max().unwrap_or(0));
    let plot = HEIGHT - BOTTOM - TOP;
    let scale = plot / top as f64;
    let slot = (WIDTH - LEFT) / days.len().max(1) as f64;
    let bar = (slot * 0.55).max(2.0);
    let refused_bar = (slot * 0.2).max(1.0);
    let short_range = days.len() <= 7;
    let label_every = if short_range { 1 } else { 5 };
    let day_count = days.len();
    let (sent, delivered, failed, refused) = days
        .iter()
        .fold((0, 0, 0, 0), |(s, d, f, r), day| (s + day.sent(), d + day.delivered, f + day.failed, r + day.refused));
    let count = |n: i64, one: &str, many: &str| format!("{} {}", thousands(n), if n == 1 { one } else { many });
    let summary = format!(
        "{caption}: {} sent, {} delivered, {} failed, {} refused",
        count(sent, "message", "messages"),
        thousands(delivered),
        thousands(failed),
        count(refused, "request", "requests")
    );
    let gridlines = [0, top / 2, top]
        .into_iter()
        .map(|v| {
            let y = HEIGHT - BOTTOM - v as f64 * scale;
            view! {
                <line x1=LEFT x2=WIDTH y1=format!("{y:.1}") y2=format!("{y:.1}") stroke="#b1b4b6" stroke-width="1"/>
                <text x=LEFT - 6.0 y=format!("{:.1}", y + 4.0) text-anchor="end" font-size="12" fill="#0b0c0c">{thousands(v)}</text>
            }
        })
        .collect_view();
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let x = LEFT + i as f64 * slot + (slot - bar - refused_bar) / 2.0;
            let rects = stack(day, scale)
                .into_iter()
                .map(|(y, h, colour)| {
                    view! { <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{h:.1}") fill=colour/> }
                })
                .collect_view();
            let refused = (day.refused > 0).then(|| {
                let h = day.refused as f64 * scale;
                view! {
                    <rect x=format!("{:.1}", x + bar) y=format!("{:.1}", HEIGHT - BOTTOM - h) width=format!("{refused_bar:.1}") height=format!("{h:.1}") fill=REFUSED/>
                }
            });
            let label = (i % label_every == 0 || i + 1 == day_count).then(|| {
                view! {
                    <text x=format!("{:.1}", LEFT + i as f64 * slot + slot / 2.0) y=HEIGHT - 8.0 text-anchor="middle" font-size="12" fill="#0b0c0c">
                        {day_label(day, short_range)}
                    </text>
                }
            });
            view! { {rects}{refused}{label} }
        })
        .collect_view();
    let rows = days
        .iter()
        .rev()
        .map(|d| {
            view! {
                <tr class="govuk-table__row">
                    <th scope="row" class="govuk-table__header">{format!("{} {} {}", d.date.day(), d.date.month(), d.date.year())}</th>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{thousands(d.emails)}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{thousands(d.texts)}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{thousands(d.letters)}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{thousands(d.delivered)}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{thousands(d.failed)}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{thousands(d.refused)}</td>
                </tr>
            }
        })
        .collect_view();
    let (heading_id, labelled_by) = (format!("{id}-heading"), format!("{id}-heading"));
    view! {
        <section class="notify-usage-chart" aria-labelledby=labelled_by>
            <h3 class="govuk-heading-s" id=heading_id>{caption.clone()}</h3>
            <svg class="notify-usage-chart__svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone() focusable="false">
                <title>{summary.clone()}</title>
                {gridlines}
                {bars}
            </svg>
            <ul class="govuk-list notify-usage-chart__legend">
                <li><span class="notify-swatch notify-swatch--delivered" aria-hidden="true"></span>"Delivered"</li>
                <li><span class="notify-swatch notify-swatch--failed" aria-hidden="true"></span>"Failed"</li>
                <li><span class="notify-swatch notify-swatch--in-progress" aria-hidden="true"></span>"Still sending"</li>
                <li><span class="notify-swatch notify-swatch--refused" aria-hidden="true"></span>"Refused requests"</li>
            </ul>
            <details class="govuk-details">
                <summary class="govuk-details__summary">
                    <span class="govuk-details__summary-text">{format!("{caption} as a table")}</span>
                </summary>
                <div class="govuk-details__text">
                    <table class="govuk-table">
                        <caption class="govuk-table__caption govuk-table__caption--s">{summary}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">"Day"</th>
                                <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Emails"</th>
                                <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Text messages"</th>
                                <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Letters"</th>
                                <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Delivered"</th>
                                <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Failed"</th>
                                <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Refused"</th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">{rows}</tbody>
                    </table>
                </div>
            </details>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(sent: i64, delivered: i64, failed: i64) -> DayUsage {
        DayUsage { date: date!(2026 - 11 - 29), emails: sent, texts: 0, letters: 0, delivered, failed, refused: 0 }
    }

    #[test]
    fn bars_stack_from_the_axis_and_fill_their_share() {
        let scale = (HEIGHT - BOTTOM - TOP) / 10.0;
        let parts = stack(&day(10, 6, 1), scale);
        assert_eq!(parts.len(), 3);
        let total: f64 = parts.iter().map(|(_, h, _)| h).sum();
        assert!((total - (HEIGHT - BOTTOM - TOP)).abs() < 1e-9);
        assert_eq!(parts[0].2, DELIVERED);
        assert!((parts[0].0 + parts[0].1 - (HEIGHT - BOTTOM)).abs() < 1e-9);
        assert!(stack(&day(0, 0, 0), scale).is_empty());
    }

    #[test]
    fn figures_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
