//! The pages, one module per page group. `shell` renders a whole document
//! for a [`Page`] the server has prepared.

mod api_integration;
mod errors;
mod notifications;
mod services;
mod sign_in;
mod templates;

use crate::components::Layout;
use crate::view_model::{Content, Page};
use leptos::config::LeptosOptions;
use leptos::hydration::HydrationScripts;
use leptos::prelude::*;

pub fn shell(options: LeptosOptions, page: Page) -> impl IntoView {
    let title = page.title();
    let css = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en" class="govuk-template govuk-template--rebranded">
            <head>
                <meta charset="utf-8"/>
                <title>{title}</title>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="theme-color" content="#1d70b8"/>
                <link rel="icon" sizes="48x48" href="/assets/images/favicon.ico"/>
                <link rel="stylesheet" href="/css/govuk-frontend.min.css"/>
                <link rel="stylesheet" href=css/>
                <HydrationScripts options islands=true/>
                <script type="module" src="/js/enhance.js"></script>
            </head>
            <body class="govuk-template__body">
                <Body page/>
            </body>
        </html>
    }
}

#[component]
fn Body(page: Page) -> impl IntoView {
    let content = page.content.clone();
    let service = page.service.clone();
    let csrf = page.viewer.as_ref().map(|v| v.csrf_token.clone()).unwrap_or_default();
    let svc = move || service.clone().expect("this page always has a service");
    let inner = match content {
        Content::SignIn(form) => view! { <sign_in::SignIn form/> }.into_any(),
        Content::YourServices(list) => view! { <services::YourServices services=list/> }.into_any(),
        Content::Dashboard(d) => view! { <services::ServiceDashboard service=svc() dashboard=d/> }.into_any(),
        Content::ApiHub { callbacks_href, log } => {
            view! { <api_integration::Hub service=svc() callbacks_href log/> }.into_any()
        }
        Content::Notification(n) => view! { <notifications::NotificationPage service=svc() n/> }.into_any(),
        Content::Templates(templates) => view! { <templates::Templates service=svc() templates/> }.into_any(),
        Content::TemplateForm(form) => {
            view! { <templates::TemplateFormPage service=svc() form csrf_token=csrf/> }.into_any()
        }
        Content::ApiKeys(keys) => view! { <api_integration::KeysList service=svc() keys csrf_token=csrf/> }.into_any(),
        Content::CreateKey(form) => {
            view! { <api_integration::CreateKey service=svc() form csrf_token=csrf/> }.into_any()
        }
        Content::NewKey { name, key } => view! { <api_integration::NewKey service=svc() name key/> }.into_any(),
        Content::GuestList(form) => {
            view! { <api_integration::GuestList service=svc() form csrf_token=csrf/> }.into_any()
        }
        Content::Callbacks(rows) => view! { <api_integration::Callbacks service=svc() rows/> }.into_any(),
        Content::CallbackForm(form) => view! { <api_integration::CallbackFormPage form csrf_token=csrf/> }.into_any(),
        Content::BadRequest => view! { <errors::BadRequest/> }.into_any(),
        Content::Forbidden => view! { <errors::Forbidden/> }.into_any(),
        Content::NotFound => view! { <errors::NotFound/> }.into_any(),
        Content::ServerError => view! { <errors::ServerError/> }.into_any(),
    };
    view! { <Layout page>{inner}</Layout> }
}
