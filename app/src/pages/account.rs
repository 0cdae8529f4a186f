//! A user's own account: "Forgotten your password?", "Check your inbox",
//! "Create a new password", and what an unusable link says.

use crate::components::{Button, ErrorSummary, TextInput};
use crate::view_model::{FormErrors, Page, PageContent};
use leptos::prelude::*;

/// `/forgot-password`.
#[derive(Clone, Debug, Default)]
pub struct ForgotPassword {
    pub email_address: String,
    pub errors: FormErrors,
}

impl PageContent for ForgotPassword {
    fn title(&self) -> String {
        "Forgotten your password?".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &Page) -> AnyView {
        let form = self.clone();
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="govuk-heading-l">"Forgotten your password?"</h1>
                    <p class="govuk-body">"We’ll send you an email to create a new password."</p>
                    <form method="post" novalidate>
                        <TextInput
                            name="email_address"
                            label="Email address"
                            value=form.email_address.clone()
                            error=form.errors.for_field("email_address")
                            input_type="email"
                            autocomplete="email"
                            spellcheck=false
                        />
                        <Button text="Send email"/>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// A page of a heading and some paragraphs (check your inbox; a link that
/// cannot be used), with an optional link onwards.
#[derive(Clone, Debug)]
pub struct Notice {
    pub heading: String,
    pub paragraphs: Vec<String>,
    /// (text, href)
    pub link: Option<(String, String)>,
}

impl PageContent for Notice {
    fn title(&self) -> String {
        self.heading.clone()
    }
    fn view(&self, _: &Page) -> AnyView {
        let notice = self.clone();
        let paragraphs = notice.paragraphs.into_iter().map(|p| view! { <p class="govuk-body">{p}</p> }).collect_view();
        let link = notice.link.map(|(text, href)| {
            view! { <p class="govuk-body"><a class="govuk-link" href=href>{text}</a></p> }
        });
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <h1 class="govuk-heading-l">{notice.heading}</h1>
                    {paragraphs}
                    {link}
                </div>
            </div>
        }
        .into_any()
    }
}

/// `/new-password/{token}`.
#[derive(Clone, Debug, Default)]
pub struct NewPassword {
    pub errors: FormErrors,
}

impl PageContent for NewPassword {
    fn title(&self) -> String {
        "Create a new password".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &Page) -> AnyView {
        let form = self.clone();
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="govuk-heading-l">"Create a new password"</h1>
                    <p class="govuk-body">"You can now create a new password for your account."</p>
                    <form method="post" novalidate>
                        <TextInput
                            name="new_password"
                            label="Password"
                            hint="At least 8 characters"
                            error=form.errors.for_field("new_password")
                            input_type="password"
                            autocomplete="new-password"
                        />
                        <Button text="Continue"/>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}
