use leptos::prelude::*;

#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <h1 class="govuk-heading-l">"You do not have permission to view this page"</h1>
        <p class="govuk-body">
            "If you think you should have permission, ask a member of your team who can manage settings, team and usage."
        </p>
        <p class="govuk-body"><a class="govuk-link" href="/your-services">"Go to your services"</a></p>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1 class="govuk-heading-l">"Page not found"</h1>
        <p class="govuk-body">"If you typed the web address, check it is correct."</p>
        <p class="govuk-body">"If you pasted the web address, check you copied the entire address."</p>
    }
}

#[component]
pub fn ServerError() -> impl IntoView {
    view! {
        <h1 class="govuk-heading-l">"Sorry, there is a problem with the service"</h1>
        <p class="govuk-body">"Try again later."</p>
    }
}

#[component]
pub fn BadRequest() -> impl IntoView {
    view! {
        <h1 class="govuk-heading-l">"Sorry, there is a problem with the request"</h1>
        <p class="govuk-body">"Go back and try again."</p>
    }
}
