//! The second step of signing in: "Check your phone" (a text message
//! code), "Check your email" (a link, or the code in the email), "Not
//! received …?" (send another), and the page an email link opens.

use crate::components::{Button, ErrorSummary, TextInput};
use crate::view_model::{FormErrors, Page, PageContent};
use leptos::prelude::*;

/// `/two-factor-sms` and `/two-factor-email-sent`: where the code is typed.
#[derive(Clone, Debug, Default)]
pub struct CodeForm {
    /// The code went by email (else by text message).
    pub by_email: bool,
    /// Another code was just sent.
    pub resent: bool,
    pub code: String,
    pub errors: FormErrors,
}

impl CodeForm {
    /// What the field is called in its messages ("Enter your text message code").
    pub fn thing(by_email: bool) -> &'static str {
        if by_email {
            "the security code from the email"
        } else {
            "your text message code"
        }
    }
}

impl PageContent for CodeForm {
    fn title(&self) -> String {
        match (self.by_email, self.resent) {
            (true, true) => "Email resent".into(),
            (true, false) => "Check your email".into(),
            (false, _) => "Check your phone".into(),
        }
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &Page) -> AnyView {
        let form = self.clone();
        let title = self.title();
        let (intro, wait, label, not_received, not_received_href) = if form.by_email {
            (
                "We’ve emailed you a link to sign in. You can also enter the security code from the email.",
                "Emails can take a few minutes to arrive.",
                "Security code",
                "Not received an email?",
                "/email-not-received",
            )
        } else {
            (
                "We’ve sent you a text message with a security code.",
                "Text messages can take a few minutes to arrive.",
                "Text message code",
                "Not received a text message?",
                "/text-not-received",
            )
        };
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="govuk-heading-l">{title}</h1>
                    <p class="govuk-body">{intro}</p>
                    <p class="govuk-body">{wait}</p>
                    <form method="post" novalidate>
                        <TextInput
                            name="code"
                            label=label
                            value=form.code.clone()
                            error=form.errors.for_field("code")
                            input_type="tel"
                            autocomplete="one-time-code"
                            spellcheck=false
                            classes="govuk-input--width-5 govuk-input--extra-letter-spacing"
                        />
                        <div class="govuk-button-group">
                            <Button text="Continue"/>
                            <a class="govuk-link govuk-link--no-visited-state" href=not_received_href>{not_received}</a>
                        </div>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// `/text-not-received` and `/email-not-received`: send another code.
#[derive(Clone, Debug, Default)]
pub struct NotReceived {
    pub by_email: bool,
    pub errors: FormErrors,
}

impl PageContent for NotReceived {
    fn title(&self) -> String {
        if self.by_email {
            "If you do not receive an email link".into()
        } else {
            "If you do not receive a security code".into()
        }
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &Page) -> AnyView {
        let page = self.clone();
        let title = self.title();
        let (check, button) = if page.by_email {
            ("Check your spam folder for an email from us.", "Resend email link")
        } else {
            ("Check the mobile number on your account can receive text messages.", "Resend security code")
        };
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=page.errors.clone()/>
                    <h1 class="govuk-heading-l">{title}</h1>
                    <ol class="govuk-list govuk-list--number">
                        <li>{check}</li>
                        <li>"If it has still not arrived, we can send you a new one. The last one will stop working."</li>
                    </ol>
                    <form method="post" novalidate>
                        <Button text=button/>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// `/email-auth/{token}`: the email link opens a page with a button, so
/// that a mail scanner following the link does not spend it.
#[derive(Clone, Debug, Default)]
pub struct EmailLink;

impl PageContent for EmailLink {
    fn title(&self) -> String {
        "Sign in".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <h1 class="govuk-heading-l">"Sign in"</h1>
                    <form method="post" novalidate>
                        <Button text="Continue to dashboard"/>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// The error summaries of a security key page: one the script fills and
/// shows when the key does not answer, and one for browsers without
/// JavaScript (security keys need it), hidden by the stylesheet once the
/// script runs. The buttons that need the script are hidden until it does
/// (`notify-webauthn-js-only`).
#[component]
pub fn SecurityKeyProblems() -> impl IntoView {
    view! {
        <div class="govuk-error-summary" data-notify-webauthn-error hidden tabindex="-1" aria-live="polite">
            <div role="alert">
                <h2 class="govuk-error-summary__title">"There’s a problem with your security keys"</h2>
                <div class="govuk-error-summary__body">
                    <p class="govuk-body" data-notify-webauthn-message>"Check you have the right key and try again."</p>
                </div>
            </div>
        </div>
        // Shown until the script says it runs (it marks the page `notify-js`).
        <div class="govuk-error-summary notify-webauthn-no-js">
            <div role="alert">
                <h2 class="govuk-error-summary__title">"There’s a problem"</h2>
                <div class="govuk-error-summary__body">
                    <p class="govuk-body">"JavaScript is not available for this page. Security keys need JavaScript to work."</p>
                </div>
            </div>
        </div>
    }
}

/// `/two-factor-webauthn`: the security key's turn.
#[derive(Clone, Debug, Default)]
pub struct KeySignIn;

impl PageContent for KeySignIn {
    fn title(&self) -> String {
        "Get your security key".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <SecurityKeyProblems/>
                    <h1 class="govuk-heading-l">"Get your security key"</h1>
                    <p class="govuk-body">"You need to have your security key to sign in."</p>
                    <button type="button" class="govuk-button notify-webauthn-js-only" data-module="govuk-button" data-notify-webauthn="sign-in">
                        "Check security key"
                    </button>
                </div>
            </div>
        }
        .into_any()
    }
}
