//! `/services/{id}/api/guest-list`: who team keys (and a trial service)
//! may send to, beside the team.

use crate::components::{BackLink, Button, CsrfField, ErrorSummary};
use crate::view_model::{FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct GuestListForm {
    pub email_addresses: String,
    pub phone_numbers: String,
    pub errors: FormErrors,
}

impl ServicePageContent for GuestListForm {
    fn title(&self) -> String {
        "Guest list".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, form, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <GuestList service form csrf_token/> }.into_any()
    }
}

/// `/services/{id}/api/guest-list`.
#[component]
pub fn GuestList(service: ServiceContext, form: GuestListForm, csrf_token: String) -> impl IntoView {
    let field = |name: &'static str, label: &'static str, hint: &'static str, value: String, error: Option<String>| {
        let group_class = if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
        let textarea_class = if error.is_some() { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" };
        let described = if error.is_some() { format!("{name}-hint {name}-error") } else { format!("{name}-hint") };
        view! {
            <div class=group_class>
                <label class="govuk-label govuk-label--s" for=name>{label}</label>
                <div id=format!("{name}-hint") class="govuk-hint">{hint}</div>
                {error.map(|e| view! {
                    <p id=format!("{name}-error") class="govuk-error-message">
                        <span class="govuk-visually-hidden">"Error: "</span>{e}
                    </p>
                })}
                <textarea class=textarea_class id=name name=name rows="5" spellcheck="false" aria-describedby=described>{value}</textarea>
            </div>
        }
    };
    let emails_error =
        form.errors.0.iter().filter(|e| e.field == "email_addresses").map(|e| e.message.clone()).collect::<Vec<_>>();
    let phones_error =
        form.errors.0.iter().filter(|e| e.field == "phone_numbers").map(|e| e.message.clone()).collect::<Vec<_>>();
    let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join(". "));
    view! {
        <BackLink href=service.path("/api")/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">"Guest list"</h1>
                <p class="govuk-body">
                    "You can use a team and guest list key to send real messages to your team and up to 5 other email addresses or phone numbers."
                </p>
                <p class="govuk-body">"You do not need to add yourself or your team members to the guest list."</p>
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    {field("email_addresses", "Email addresses", "Up to 5 email addresses, one on each line", form.email_addresses, join(emails_error))}
                    {field("phone_numbers", "Mobile numbers", "Up to 5 mobile numbers, one on each line. UK or international.", form.phone_numbers, join(phones_error))}
                    <Button text="Save"/>
                </form>
            </div>
        </div>
    }
}
