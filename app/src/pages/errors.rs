//! GOV.UK's error pages: 400, 403, 404 and 500.

use crate::view_model::{Page, PageContent};
use leptos::prelude::*;

/// 403: the signed-in user lacks the page's permission (or a form's CSRF
/// token was wrong).
pub struct Forbidden;

impl PageContent for Forbidden {
    fn title(&self) -> String {
        "You do not have permission to view this page".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        view! {
            <h1 class="govuk-heading-l">"You do not have permission to view this page"</h1>
            <p class="govuk-body">
                "If you think you should have permission, ask a member of your team who can manage settings, team and usage."
            </p>
            <p class="govuk-body"><a class="govuk-link" href="/your-services">"Go to your services"</a></p>
        }
        .into_any()
    }
}

/// 404, also for any id that is not one of the user's services'.
pub struct NotFound;

impl PageContent for NotFound {
    fn title(&self) -> String {
        "Page not found".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        view! {
            <h1 class="govuk-heading-l">"Page not found"</h1>
            <p class="govuk-body">"If you typed the web address, check it is correct."</p>
            <p class="govuk-body">"If you pasted the web address, check you copied the entire address."</p>
        }
        .into_any()
    }
}

/// 500: the details are in the log, never on the page.
pub struct ServerError;

impl PageContent for ServerError {
    fn title(&self) -> String {
        "Sorry, there is a problem with the service".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        view! {
            <h1 class="govuk-heading-l">"Sorry, there is a problem with the service"</h1>
            <p class="govuk-body">"Try again later."</p>
        }
        .into_any()
    }
}

/// 400 (and 413): a request the pages never send.
pub struct BadRequest;

impl PageContent for BadRequest {
    fn title(&self) -> String {
        "Sorry, there is a problem with the request".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        view! {
            <h1 class="govuk-heading-l">"Sorry, there is a problem with the request"</h1>
            <p class="govuk-body">"Go back and try again."</p>
        }
        .into_any()
    }
}
