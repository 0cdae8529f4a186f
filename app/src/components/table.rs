//! GOV.UK tables and button links.

use leptos::prelude::*;

/// A GOV.UK table with one header row (`(text, numeric)` for each column)
/// and `rows`; `empty` (a sentence) instead when `rows` is `None`.
#[component]
pub fn Table(heads: &'static [(&'static str, bool)], empty: &'static str, rows: Option<AnyView>) -> impl IntoView {
    let Some(rows) = rows else { return view! { <p class="govuk-body">{empty}</p> }.into_any() };
    let heads = heads
        .iter()
        .map(|(text, numeric)| {
            let class =
                if *numeric { "govuk-table__header govuk-table__header--numeric" } else { "govuk-table__header" };
            view! { <th scope="col" class=class>{*text}</th> }
        })
        .collect_view();
    view! {
        <table class="govuk-table">
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">{heads}</tr>
            </thead>
            <tbody class="govuk-table__body">{rows}</tbody>
        </table>
    }
    .into_any()
}

/// A link that looks like a GOV.UK button.
#[component]
pub fn ButtonLink(#[prop(into)] href: String, text: &'static str, #[prop(optional)] secondary: bool) -> impl IntoView {
    let class = if secondary { "govuk-button govuk-button--secondary" } else { "govuk-button" };
    view! { <a href=href role="button" draggable="false" class=class data-module="govuk-button">{text}</a> }
}
