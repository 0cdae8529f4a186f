//! `/services/{id}/api/audit`: the service's audit log, newest first, a
//! page at a time.

use crate::components::BackLink;
use crate::view_model::{ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// Entries a page shows.
pub const PER_PAGE: i64 = 50;

#[derive(Clone, Debug)]
pub struct AuditRow {
    /// London time, `29 November at 2:05pm`.
    pub when: String,
    /// The user's name and email address, or `The system`.
    pub who: String,
    pub what: String,
    /// The key it is about: its page.
    pub key_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AuditLog {
    pub rows: Vec<AuditRow>,
    pub page: i64,
    pub more: bool,
}

impl ServicePageContent for AuditLog {
    fn title(&self) -> String {
        if self.page > 1 {
            format!("Audit log (page {})", self.page)
        } else {
            "Audit log".into()
        }
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, log) = (service.clone(), self.clone());
        view! { <AuditPage service log/> }.into_any()
    }
}

#[component]
fn AuditPage(service: ServiceContext, log: AuditLog) -> impl IntoView {
    let base = service.path("/api/audit");
    let rows = log
        .rows
        .into_iter()
        .map(|r| {
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">{r.when}</td>
                    <td class="govuk-table__cell">{r.who}</td>
                    <td class="govuk-table__cell">
                        {r.what.clone()}
                        {r.key_id.map(|id| view! {
                            " "<a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/api/keys/{id}"))>
                                "View key"<span class="govuk-visually-hidden">{format!(": {}", r.what)}</span>
                            </a>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let empty = log.page == 1 && !log.more && rows.is_empty();
    let previous = (log.page > 1).then(|| {
        view! {
            <div class="govuk-pagination__prev">
                <a class="govuk-link govuk-pagination__link" href=format!("{base}?page={}", log.page - 1) rel="prev">
                    <span class="govuk-pagination__link-title">"Previous"<span class="govuk-visually-hidden">" page"</span></span>
                </a>
            </div>
        }
    });
    let next = log.more.then(|| {
        view! {
            <div class="govuk-pagination__next">
                <a class="govuk-link govuk-pagination__link" href=format!("{base}?page={}", log.page + 1) rel="next">
                    <span class="govuk-pagination__link-title">"Next"<span class="govuk-visually-hidden">" page"</span></span>
                </a>
            </div>
        }
    });
    view! {
        <BackLink href=service.path("/api")/>
        <h1 class="govuk-heading-l">"Audit log"</h1>
        <p class="govuk-body">"Every change to this service’s API keys, guest list and callbacks: who made it and when. Secrets are never shown."</p>
        {if empty {
            view! { <p class="govuk-body">"Nothing has changed yet."</p> }.into_any()
        } else {
            view! {
                <table class="govuk-table">
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"When"</th>
                            <th scope="col" class="govuk-table__header">"Who"</th>
                            <th scope="col" class="govuk-table__header">"What"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">{rows}</tbody>
                </table>
            }
            .into_any()
        }}
        {(previous.is_some() || next.is_some()).then(|| view! {
            <nav class="govuk-pagination govuk-pagination--block" aria-label="Pages of the audit log">
                {previous}
                {next}
            </nav>
        })}
    }
}
