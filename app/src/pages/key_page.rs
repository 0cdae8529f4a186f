//! `/services/{id}/api/keys/{key_id}`: one key's page (who made it and
//! when, its expiry and last use, its last 7 and 30 days as charts, flags,
//! alerts and history), and the alerts list the hub shares.

use crate::components::{BackLink, Button, CsrfField, UsageChart};
use crate::domain::key_usage::{thresholds_text, DayUsage};
use crate::view_model::{ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// An alert on unusual usage, as a page lists it.
#[derive(Clone, Debug)]
pub struct AlertRow {
    pub id: i64,
    /// `29 November at 2:05pm`.
    pub raised: String,
    /// What triggered it.
    pub detail: String,
    /// `Dismissed 29 November at 3:00pm`, once dismissed.
    pub dismissed: Option<String>,
}

#[derive(Clone, Debug)]
pub struct KeyPage {
    pub id: String,
    pub name: String,
    pub type_description: &'static str,
    /// `29 November 2026 at 2:05pm by Ada Lovelace (ada@example.gov.uk)`.
    pub created: String,
    /// `Working`, `Revoked 12 November at 2:30pm`, `Expired 3 December at 9:00am`…
    pub status: String,
    /// `Expires in 12 days (11 December at 2:05pm)` or `Never expires`.
    pub expiry: String,
    /// To the minute, or `Never used`.
    pub last_used: String,
    /// `Never used`, `Unused for 90 days`, `No expiry`.
    pub flags: Vec<&'static str>,
    pub week: Vec<DayUsage>,
    pub month: Vec<DayUsage>,
    pub alerts: Vec<AlertRow>,
    /// The audit entries about this key, newest first.
    pub history: Vec<crate::pages::audit::AuditRow>,
    /// Whether it still works (and can be rotated or revoked).
    pub working: bool,
    /// Whether it was replaced by a rotation already.
    pub rotated: bool,
}

impl ServicePageContent for KeyPage {
    fn title(&self) -> String {
        format!("API key ‘{}’", self.name)
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, key, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <KeyDetails service key csrf_token/> }.into_any()
    }
}

/// Open (or recent) alerts, each with `Dismiss` while open. `back` is where
/// a dismissal returns: `hub` or `key`.
#[component]
pub fn AlertsList(
    service: ServiceContext,
    alerts: Vec<AlertRow>,
    csrf_token: String,
    back: &'static str,
    #[prop(optional)] show_thresholds: bool,
) -> impl IntoView {
    let items = alerts
        .into_iter()
        .map(|a| {
            let action = service.path(&format!("/api/alerts/{}/dismiss", a.id));
            let end = match a.dismissed {
                Some(text) => view! { <p class="govuk-body-s notify-secondary-text">{text}</p> }.into_any(),
                None => view! {
                    <form method="post" action=action novalidate>
                        <CsrfField token=csrf_token.clone()/>
                        <input type="hidden" name="back" value=back/>
                        <Button text="Dismiss" classes="govuk-button--secondary govuk-!-margin-bottom-0"/>
                    </form>
                }
                .into_any(),
            };
            view! {
                <li class="notify-alert">
                    <p class="govuk-body govuk-!-margin-bottom-1"><strong>{a.detail}</strong></p>
                    <p class="govuk-body-s notify-secondary-text govuk-!-margin-bottom-2">{format!("Raised {}", a.raised)}</p>
                    {end}
                </li>
            }
        })
        .collect_view();
    let thresholds = show_thresholds.then(|| view! { <AlertThresholds/> });
    view! {
        <ul class="govuk-list notify-alerts">{items}</ul>
        {thresholds}
    }
}

/// What raises an alert, in a details element.
#[component]
pub fn AlertThresholds() -> impl IntoView {
    let [a, b, c] = thresholds_text();
    view! {
        <details class="govuk-details">
            <summary class="govuk-details__summary">
                <span class="govuk-details__summary-text">"When we raise an alert"</span>
            </summary>
            <div class="govuk-details__text">
                <p class="govuk-body">"We raise an alert when:"</p>
                <ul class="govuk-list govuk-list--bullet">
                    <li>{a}</li>
                    <li>{b}</li>
                    <li>{c}</li>
                </ul>
                <p class="govuk-body">"Alerts show here and on the API integration page until someone dismisses them. We do not email them yet."</p>
            </div>
        </details>
    }
}

#[component]
fn KeyDetails(service: ServiceContext, key: KeyPage, csrf_token: String) -> impl IntoView {
    let flags = (!key.flags.is_empty()).then(|| {
        let tags = key
            .flags
            .iter()
            .map(|f| view! { <li><strong class="govuk-tag govuk-tag--yellow">{*f}</strong></li> })
            .collect_view();
        view! { <ul class="govuk-list notify-flags">{tags}</ul> }
    });
    let open_alerts: Vec<AlertRow> = key.alerts.iter().filter(|a| a.dismissed.is_none()).cloned().collect();
    let alerts = if key.alerts.is_empty() {
        view! { <p class="govuk-body">"No alerts on this key."</p> }.into_any()
    } else {
        view! { <AlertsList service=service.clone() alerts=key.alerts.clone() csrf_token=csrf_token.clone() back="key"/> }
            .into_any()
    };
    let alert_heading =
        if open_alerts.is_empty() { "Alerts".to_string() } else { format!("Alerts ({})", open_alerts.len()) };
    let actions = key.working.then(|| {
        let rotate = (!key.rotated).then(|| view! {
            <a class="govuk-link govuk-link--no-visited-state govuk-!-margin-right-3" href=service.path(&format!("/api/keys/rotate/{}", key.id))>"Rotate this key"</a>
        });
        view! {
            <p class="govuk-body">
                {rotate}
                <a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/api/keys/revoke/{}", key.id))>"Revoke this key"</a>
            </p>
        }
    });
    let row = |label: &'static str, value: String| {
        view! {
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{label}</dt>
                <dd class="govuk-summary-list__value">{value}</dd>
            </div>
        }
    };
    view! {
        <BackLink href=service.path("/api/keys")/>
        <span class="govuk-caption-l">"API key"</span>
        <h1 class="govuk-heading-l">{key.name.clone()}</h1>
        {flags}
        <dl class="govuk-summary-list">
            {row("Type", key.type_description.to_string())}
            {row("Status", key.status.clone())}
            {row("Created", key.created.clone())}
            {row("Expiry", key.expiry.clone())}
            {row("Last used", key.last_used.clone())}
        </dl>
        {actions}
        <h2 class="govuk-heading-m">{alert_heading}</h2>
        {alerts}
        <AlertThresholds/>
        <h2 class="govuk-heading-m">"Usage"</h2>
        <p class="govuk-body">"Messages sent with this key by the day they were sent (UK time), with what happened to them, and requests refused that named this key: with a wrong secret, after it was revoked or expired, or over a limit."</p>
        <UsageChart id="week" caption="Last 7 days".to_string() days=key.week/>
        <UsageChart id="month" caption="Last 30 days".to_string() days=key.month/>
        <h2 class="govuk-heading-m">"History"</h2>
        <crate::pages::audit::AuditTable service=service.clone() rows=key.history empty="Nothing recorded yet." link_keys=false/>
        <p class="govuk-body"><a class="govuk-link" href=service.path("/api/audit")>"See the whole audit log"</a></p>
    }
}
