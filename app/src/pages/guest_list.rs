//! `/services/{id}/api/guest-list`: who team keys (and a trial service)
//! may send to, beside the team.

use crate::components::{BackLink, Button, CsrfField, ErrorSummary, Textarea};
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
                    <Textarea
                        name="email_addresses"
                        label="Email addresses"
                        bold_label=true
                        hint="Up to 5 email addresses, one on each line"
                        value=form.email_addresses
                        error=join(emails_error)
                        no_spellcheck=true
                    />
                    <Textarea
                        name="phone_numbers"
                        label="Mobile numbers"
                        bold_label=true
                        hint="Up to 5 mobile numbers, one on each line. UK or international."
                        value=form.phone_numbers
                        error=join(phones_error)
                        no_spellcheck=true
                    />
                    <Button text="Save"/>
                </form>
            </div>
        </div>
    }
}
