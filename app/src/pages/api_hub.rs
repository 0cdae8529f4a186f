//! `/services/{id}/api`: the API integration hub, with the message log of
//! the last messages sent through the API.

use crate::components::RelativeTimes;
use crate::view_model::{ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// One message in the hub's message log.
#[derive(Clone, Debug)]
pub struct LogItem {
    pub id: String,
    pub recipient: String,
    pub key_name: String,
    /// RFC 3339, for `<time datetime>`.
    pub created_at: String,
    /// `just now`, `5 minutes ago`…
    pub when: String,
    /// `id`, `client_reference`… in Notify's order, only those set.
    pub details: Vec<(&'static str, String)>,
    /// (`View email`, href) when the viewer may see the message.
    pub view_link: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct MessageLog {
    pub items: Vec<LogItem>,
    pub full: bool,
}

/// The hub: where the callbacks link goes, and the log.
#[derive(Clone, Debug)]
pub struct ApiHub {
    pub callbacks_href: String,
    pub log: MessageLog,
}

impl ServicePageContent for ApiHub {
    fn title(&self) -> String {
        "API integration".into()
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, callbacks_href, log) = (service.clone(), self.callbacks_href.clone(), self.log.clone());
        view! { <Hub service callbacks_href log/> }.into_any()
    }
}

/// `/services/{id}/api`: links to keys, guest list and callbacks, and the
/// message log of the last 50 messages sent through the API.
#[component]
pub fn Hub(service: ServiceContext, callbacks_href: String, log: MessageLog) -> impl IntoView {
    const RETENTION: &str = "Notify deletes messages after 7 days.";
    let empty = log.items.is_empty();
    let full = log.full;
    let items = log
        .items
        .into_iter()
        .map(|item| {
            let details = item
                .details
                .into_iter()
                .map(|(k, v)| view! { <dt>{format!("{k}:")}</dt><dd>{v}</dd> })
                .collect_view();
            view! {
                <div class="api-notifications-item">
                    <details class="govuk-details govuk-!-margin-bottom-2">
                        <summary class="govuk-details__summary">
                            <span class="govuk-details__summary-text">
                                <span class="api-notifications-item__heading">
                                    <span class="api-notifications-item__recipient">{item.recipient}</span>
                                    " "
                                    <span class="api-notifications-item__meta-key">{item.key_name}</span>
                                    " "
                                    <time class="api-notifications-item__meta-time" datetime=item.created_at data-notify-module="update-relative-time">
                                        {item.when}
                                    </time>
                                </span>
                            </span>
                        </summary>
                        <div class="govuk-details__text">
                            <dl id=format!("notification-{}", item.id) class="api-notifications-item__data">{details}</dl>
                            {item.view_link.map(|(text, href)| view! { <a class="govuk-link" href=href>{text}</a> })}
                        </div>
                    </details>
                </div>
            }
        })
        .collect_view();
    view! {
        <h1 class="govuk-heading-l">"API integration"</h1>
        <ul class="govuk-list notify-pills">
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/api/keys")>"API keys"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/api/guest-list")>"Guest list"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=callbacks_href>"Callbacks"</a></li>
        </ul>
        <h2 class="govuk-heading-m">"Message log"</h2>
        <p class="govuk-body"><a class="govuk-link" href=service.path("/api")>"Refresh"</a></p>
        <div class="api-notifications">
            {if empty {
                view! {
                    <p class="govuk-body govuk-hint api-notifications-item">"When you send messages via the API they’ll appear here."</p>
                    <p class="govuk-body govuk-hint">{RETENTION}</p>
                }
                .into_any()
            } else {
                view! {
                    {items}
                    <div class="api-notifications-item govuk-hint govuk-!-margin-top-4">
                        {full.then_some("Only showing the first 50 messages. ")}
                        {RETENTION}
                    </div>
                    <RelativeTimes/>
                }
                .into_any()
            }}
        </div>
    }
}
