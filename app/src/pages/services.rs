//! `/your-services` and a service's dashboard.

use crate::domain::{Permission, ServicePermission, TemplateType};
use crate::view_model::{Page, PageContent, ServiceContext, ServicePageContent, ServiceSummary};
use leptos::prelude::*;

/// The services the signed-in user belongs to.
#[derive(Clone, Debug)]
pub struct ServiceList {
    pub services: Vec<ServiceSummary>,
}

impl PageContent for ServiceList {
    fn title(&self) -> String {
        "Your services".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        let services = self.services.clone();
        view! { <YourServices services/> }.into_any()
    }
}

#[derive(Clone, Debug)]
pub struct Dashboard {
    pub template_counts: Vec<(crate::domain::TemplateType, i64)>,
    /// The newest jobs (shown to those who may see messages or send).
    pub jobs: Option<Vec<crate::activity::JobSummary>>,
}

impl ServicePageContent for Dashboard {
    fn title(&self) -> String {
        "Dashboard".into()
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, dashboard) = (service.clone(), self.clone());
        view! { <ServiceDashboard service dashboard/> }.into_any()
    }
}

#[component]
fn TrialModeTag(restricted: bool) -> impl IntoView {
    restricted.then(|| view! { <strong class="govuk-tag govuk-tag--blue notify-trial-tag">"Trial mode"</strong> })
}

/// `GET /your-services`: the services the user belongs to.
#[component]
pub fn YourServices(services: Vec<ServiceSummary>) -> impl IntoView {
    let empty = services.is_empty();
    view! {
        <h1 class="govuk-heading-l">"Your services"</h1>
        {empty.then(|| view! { <p class="govuk-body">"You are not a team member of any services yet."</p> })}
        {(!empty).then(|| view! {
            <ul class="govuk-list govuk-list--spaced notify-service-list">
                {services
                    .into_iter()
                    .map(|s| {
                        view! {
                            <li>
                                <a class="govuk-link govuk-link--no-visited-state govuk-!-font-weight-bold" href=format!("/services/{}", s.id)>
                                    {s.name}
                                </a>
                                " "
                                <TrialModeTag restricted=s.restricted/>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        })}
    }
}

fn channel_name(p: ServicePermission) -> &'static str {
    match p {
        ServicePermission::Email => "Emails",
        ServicePermission::Sms => "Text messages",
        ServicePermission::Letter => "Letters",
        ServicePermission::InboundSms => "Receiving text messages",
    }
}

/// `GET /services/{service_id}`: the service's dashboard.
#[component]
pub fn ServiceDashboard(service: ServiceContext, dashboard: Dashboard) -> impl IntoView {
    let restricted = service.service.restricted;
    let channels = service.service_permissions.iter().map(|p| channel_name(*p)).collect::<Vec<_>>().join(", ");
    let counts = dashboard
        .template_counts
        .iter()
        .map(|(t, n)| {
            let noun = match t {
                TemplateType::Email => "Email templates",
                TemplateType::Sms => "Text message templates",
                TemplateType::Letter => "Letter templates",
            };
            view! {
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{noun}</dt>
                    <dd class="govuk-summary-list__value">{n.to_string()}</dd>
                </div>
            }
        })
        .collect_view();
    let api_link = service.can(Permission::ManageApiKeys).then(|| {
        view! {
            <p class="govuk-body">
                <a class="govuk-link" href=service.path("/api")>"API integration"</a>
                " – API keys, guest list and callbacks, and the messages your keys sent."
            </p>
        }
    });
    view! {
        <h1 class="govuk-heading-l">
            <span class="govuk-caption-l">{service.service.name.clone()}</span>
            "Dashboard "
            <TrialModeTag restricted/>
        </h1>
        {restricted.then(|| view! {
            <div class="govuk-inset-text">
                "Your service is in trial mode. You can only send messages to yourself, your team and your guest list."
            </div>
        })}
        <dl class="govuk-summary-list">
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">"Can send"</dt>
                <dd class="govuk-summary-list__value">{if channels.is_empty() { "Nothing yet".to_string() } else { channels }}</dd>
            </div>
            {counts}
        </dl>
        {api_link}
        {dashboard.jobs.clone().map(|jobs| view! { <crate::pages::jobs::JobsList jobs/> })}
    }
}
