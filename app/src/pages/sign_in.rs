//! `/sign-in`.

use crate::components::{Button, ErrorSummary, TextInput};
use crate::view_model::{FormErrors, Page, PageContent};
use leptos::prelude::*;

#[derive(Clone, Debug, Default)]
pub struct SignInForm {
    pub email_address: String,
    pub next: Option<String>,
    pub errors: FormErrors,
}

impl PageContent for SignInForm {
    fn title(&self) -> String {
        "Sign in".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &Page) -> AnyView {
        let form = self.clone();
        view! { <SignIn form/> }.into_any()
    }
}

/// `GET /sign-in`, and the same page re-rendered with errors after a
/// failed `POST /sign-in`. The password is never sent back.
#[component]
pub fn SignIn(form: SignInForm) -> impl IntoView {
    let action = match &form.next {
        Some(next) => format!("/sign-in?next={}", url_escape(next)),
        None => "/sign-in".to_string(),
    };
    let errors = form.errors.clone();
    view! {
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=errors.clone()/>
                <h1 class="govuk-heading-l">"Sign in"</h1>
                <form method="post" action=action novalidate>
                    <TextInput
                        name="email_address"
                        label="Email address"
                        value=form.email_address
                        error=errors.for_field("email_address")
                        input_type="email"
                        autocomplete="email"
                        spellcheck=false
                    />
                    <TextInput
                        name="password"
                        label="Password"
                        error=errors.for_field("password")
                        input_type="password"
                        autocomplete="current-password"
                    />
                    <Button text="Continue"/>
                </form>
                <p class="govuk-body">
                    <a class="govuk-link" href="/forgot-password">"Forgotten your password?"</a>
                </p>
            </div>
        </div>
    }
}

/// Percent-encodes a path for use as a query value.
pub(crate) fn url_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::url_escape;

    #[test]
    fn escapes_query_characters_but_keeps_slashes() {
        assert_eq!(url_escape("/services/a?b=c&d"), "/services/a%3Fb%3Dc%26d");
    }
}
