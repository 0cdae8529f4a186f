//! `/services/{id}/api/audit`: the service's audit log, newest first, a
//! page at a time.

use crate::components::{BackLink, Table};
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

/// Audit entries as a table (or `empty` when there are none); with
/// `link_keys`, each entry about a key links to the key's page.
#[component]
pub fn AuditTable(service: ServiceContext, rows: Vec<AuditRow>, empty: &'static str, link_keys: bool) -> impl IntoView {
    let rows = (!rows.is_empty()).then(|| {
        rows.into_iter()
            .map(|r| {
                let link = r.key_id.filter(|_| link_keys).map(|id| {
                    view! {
                        " "<a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/api/keys/{id}"))>
                            "View key"<span class="govuk-visually-hidden">{format!(": {}", r.what)}</span>
                        </a>
                    }
                });
                view! {
                    <tr class="govuk-table__row">
                        <td class="govuk-table__cell">{r.when}</td>
                        <td class="govuk-table__cell">{r.who}</td>
                        <td class="govuk-table__cell">{r.what.clone()}{link}</td>
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    });
    view! { <Table heads=&[("When", false), ("Who", false), ("What", false)] empty rows/> }
}

#[component]
fn AuditPage(service: ServiceContext, log: AuditLog) -> impl IntoView {
    let base = service.path("/api/audit");
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
        <AuditTable service=service.clone() rows=log.rows empty="Nothing has changed yet." link_keys=true/>
        {(previous.is_some() || next.is_some()).then(|| view! {
            <nav class="govuk-pagination govuk-pagination--block" aria-label="Pages of the audit log">
                {previous}
                {next}
            </nav>
        })}
    }
}
