//! `/services/{id}/api`: the API integration hub, with the message log of
//! the last messages sent through the API. With JavaScript the log keeps
//! itself current ([`LiveMessageLog`] polls [`fetch_message_log`]); without
//! it the page shows the log as it was when served, with a Refresh link.

use crate::components::RelativeTimes;
use crate::view_model::{ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// How often an open hub asks for new messages and statuses.
pub const POLL_MILLISECONDS: u32 = 5_000;

pub use crate::activity::{LogItem, MessageLog};

/// The hub: where the callbacks link goes, and the log.
#[derive(Clone, Debug)]
pub struct ApiHub {
    pub callbacks_href: String,
    pub log: MessageLog,
    /// Working API keys that expire within 30 days.
    pub expiring_keys: usize,
    /// Leak reports of the last 7 days, newest first.
    pub leaks: Vec<String>,
    /// Alerts on unusual usage nobody has dismissed, newest first.
    pub alerts: Vec<crate::pages::key_page::AlertRow>,
    /// Members who left while they could see the keys.
    pub departures: Vec<crate::pages::team::DepartureView>,
}

impl ServicePageContent for ApiHub {
    fn title(&self) -> String {
        "API integration".into()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, callbacks_href, log) = (service.clone(), self.callbacks_href.clone(), self.log.clone());
        let (expiring_keys, leaks, alerts) = (self.expiring_keys, self.leaks.clone(), self.alerts.clone());
        let csrf_token = csrf_token.to_string();
        let departures = view! {
            <crate::pages::team::DepartureWarnings service=service.clone() departures=self.departures.clone() csrf_token=csrf_token.clone()/>
        };
        view! { {departures} <Hub service callbacks_href log expiring_keys leaks alerts csrf_token/> }.into_any()
    }
}

/// The hub's message log, now: a server function, checked as the hub page is
/// (a session, membership of the service, `manage_api_keys`).
#[server(prefix = "/_fn", endpoint = "message-log", input = leptos::server_fn::codec::GetUrl)]
pub async fn fetch_message_log(service_id: String) -> Result<MessageLog, ServerFnError> {
    use crate::ssr::backend::BackendContext;
    let backend = use_context::<BackendContext>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    let request = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    backend.0.message_log(request, service_id).await.map_err(|refusal| {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::from_u16(refusal.status()).unwrap_or_default());
        }
        ServerFnError::new(refusal.message())
    })
}

/// `/services/{id}/api`: links to keys, guest list and callbacks, and the
/// message log of the last 50 messages sent through the API.
#[component]
pub fn Hub(
    service: ServiceContext,
    callbacks_href: String,
    log: MessageLog,
    expiring_keys: usize,
    leaks: Vec<String>,
    alerts: Vec<crate::pages::key_page::AlertRow>,
    csrf_token: String,
) -> impl IntoView {
    let alerts = (!alerts.is_empty()).then(|| {
        let service = service.clone();
        view! {
            <h2 class="govuk-heading-m">{format!("Alerts on unusual usage ({})", alerts.len())}</h2>
            <crate::pages::key_page::AlertsList service alerts csrf_token back="hub" show_thresholds=true/>
        }
    });
    let leaks = (!leaks.is_empty()).then(|| {
        let items = leaks.into_iter().map(|l| view! { <li>{l}</li> }).collect_view();
        view! {
            <div class="govuk-notification-banner" role="region" aria-labelledby="leak-banner-title" data-module="govuk-notification-banner">
                <div class="govuk-notification-banner__header">
                    <h2 class="govuk-notification-banner__title" id="leak-banner-title">"Important"</h2>
                </div>
                <div class="govuk-notification-banner__content">
                    <p class="govuk-notification-banner__heading">"An API key was reported as leaked in the last 7 days"</p>
                    <ul class="govuk-list govuk-list--bullet">{items}</ul>
                    <p class="govuk-body">"Make a new key for any system that used it. "
                        <a class="govuk-notification-banner__link" href=service.path("/api/audit")>"See the audit log"</a>
                    </p>
                </div>
            </div>
        }
    });
    let expiring = (expiring_keys > 0).then(|| {
        let text = if expiring_keys == 1 {
            "1 API key expires within 30 days.".to_string()
        } else {
            format!("{expiring_keys} API keys expire within 30 days.")
        };
        view! {
            <div class="govuk-warning-text">
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text">
                    <span class="govuk-visually-hidden">"Warning"</span>
                    {text} " "
                    <a class="govuk-link" href=service.path("/api/keys")>"Check your API keys"</a>
                </strong>
            </div>
        }
    });
    view! {
        {leaks}
        <h1 class="govuk-heading-l">"API integration"</h1>
        <p class="govuk-body">
            "Read the " <a class="govuk-link" href="/documentation">"API documentation"</a>
            " to connect your service to this one."
        </p>
        {expiring}
        {alerts}
        <ul class="govuk-list notify-pills">
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/api/keys")>"API keys"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/api/guest-list")>"Guest list"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=callbacks_href>"Callbacks"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/api/audit")>"Audit log"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/service-settings/email-reply-to")>"Reply-to email addresses"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/service-settings/sms-sender")>"Text message sender IDs"</a></li>
            {service.service_can(crate::domain::ServicePermission::InboundSms).then(|| view! {
                <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/inbox")>"Received text messages"</a></li>
            })}
            {service.service_can(crate::domain::ServicePermission::Letter).then(|| view! {
                <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/service-settings/letter-contacts")>"Sender addresses"</a></li>
            })}
        </ul>
        <h2 class="govuk-heading-m">"Message log"</h2>
        <p class="govuk-body"><a class="govuk-link" href=service.path("/api")>"Refresh"</a></p>
        <LiveMessageLog service_id=service.service.id.clone() log/>
        <RelativeTimes/>
    }
}

/// The log, kept current while the page is open: every
/// [`POLL_MILLISECONDS`] it asks [`fetch_message_log`] again (not while the
/// tab is hidden; never again once the page has been left).
#[island]
pub fn LiveMessageLog(service_id: String, log: MessageLog) -> impl IntoView {
    let log = RwSignal::new(log);
    let root = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let service_id = service_id.clone();
            leptos::task::spawn_local(async move {
                loop {
                    gloo_timers::future::TimeoutFuture::new(POLL_MILLISECONDS).await;
                    // The page was swapped for another one: stop.
                    let Some(el) = root.get_untracked() else { break };
                    if !el.is_connected() {
                        break;
                    }
                    if document().hidden() {
                        continue;
                    }
                    if let Ok(fresh) = fetch_message_log(service_id.clone()).await {
                        if fresh.differs_from(&log.get_untracked()) {
                            log.set(fresh);
                        }
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &service_id;
    });
    view! { <div class="api-notifications" node_ref=root>{move || log_view(log.get())}</div> }
}

fn log_view(log: MessageLog) -> AnyView {
    let retention = log.retention.clone();
    if log.items.is_empty() {
        return view! {
            <p class="govuk-body govuk-hint api-notifications-item">"When you send messages via the API they’ll appear here."</p>
            <p class="govuk-body govuk-hint">{retention}</p>
        }
        .into_any();
    }
    let full = log.full;
    let items = log.items.into_iter().map(log_item).collect_view();
    view! {
        {items}
        <div class="api-notifications-item govuk-hint govuk-!-margin-top-4">
            {full.then_some("Only showing the first 50 messages. ")}
            {retention}
        </div>
    }
    .into_any()
}

fn log_item(item: LogItem) -> impl IntoView {
    let details =
        item.details.into_iter().map(|(k, v)| view! { <dt>{format!("{k}:")}</dt><dd>{v}</dd> }).collect_view();
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
}
