//! Callbacks: the list (for services that can have more than one kind) and
//! the form of each kind, with Notify's wording.

use crate::components::{BackLink, Button, CsrfField, ErrorSummary, TextInput};
use crate::domain::CallbackKind;
use crate::view_model::{FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// How the pages name each kind of callback.
impl CallbackKind {
    pub fn row_label(self) -> &'static str {
        match self {
            Self::DeliveryStatus => "Delivery receipts",
            Self::ReceivedTextMessages => "Received text messages",
            Self::ReturnedLetters => "Returned letters",
        }
    }
    pub fn heading(self) -> &'static str {
        match self {
            Self::DeliveryStatus => "Callbacks for delivery receipts",
            Self::ReceivedTextMessages => "Callbacks for received text messages",
            Self::ReturnedLetters => "Callbacks for returned letters",
        }
    }
}

#[derive(Clone, Debug)]
pub struct CallbackRow {
    pub kind: CallbackKind,
    pub url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct CallbackForm {
    pub kind: CallbackKind,
    pub url: String,
    /// True when a token is saved: the field shows the placeholder value.
    pub token_saved: bool,
    pub errors: FormErrors,
    pub back_href: String,
}

/// The callbacks list.
#[derive(Clone, Debug)]
pub struct CallbackList {
    pub rows: Vec<CallbackRow>,
}

impl ServicePageContent for CallbackList {
    fn title(&self) -> String {
        "Callbacks".into()
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, rows) = (service.clone(), self.rows.clone());
        view! { <Callbacks service rows/> }.into_any()
    }
}

impl ServicePageContent for CallbackForm {
    fn title(&self) -> String {
        self.kind.heading().into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &ServiceContext, csrf_token: &str) -> AnyView {
        let (form, csrf_token) = (self.clone(), csrf_token.to_string());
        view! { <CallbackFormPage form csrf_token/> }.into_any()
    }
}

/// `/services/{id}/api/callbacks`.
#[component]
pub fn Callbacks(service: ServiceContext, rows: Vec<CallbackRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|r| {
            let href = service.path(&format!("/api/callbacks/{}", r.kind.slug()));
            let hidden = format!(" {} callback settings", r.kind.row_label().to_lowercase());
            view! {
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{r.kind.row_label()}</dt>
                    <dd class="govuk-summary-list__value">{r.url.unwrap_or_else(|| "Not set".to_string())}</dd>
                    <dd class="govuk-summary-list__actions">
                        <a class="govuk-link govuk-link--no-visited-state" href=href>
                            "Change"<span class="govuk-visually-hidden">{hidden}</span>
                        </a>
                    </dd>
                </div>
            }
        })
        .collect_view();
    view! {
        <BackLink href=service.path("/api")/>
        <h1 class="govuk-heading-l">"Callbacks"</h1>
        <dl class="govuk-summary-list">{rows}</dl>
    }
}

/// One of the three callback forms.
#[component]
pub fn CallbackFormPage(form: CallbackForm, csrf_token: String) -> impl IntoView {
    let intro = match form.kind {
        CallbackKind::DeliveryStatus => {
            "When you send an email or text message, we can tell you if Notify was able to deliver it."
        }
        CallbackKind::ReceivedTextMessages => {
            "When you receive a text message in Notify, we can forward it to your system."
        }
        CallbackKind::ReturnedLetters => "When a letter you sent is returned to Notify, we can tell your system.",
    };
    let token_value =
        if form.token_saved { crate::domain::callback::TOKEN_PLACEHOLDER.to_string() } else { String::new() };
    view! {
        <BackLink href=form.back_href.clone()/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">{form.kind.heading()}</h1>
                <p class="govuk-body">{intro}</p>
                <p class="govuk-body">"Read the Callbacks section of our API documentation for more information."</p>
                <p class="govuk-body">"Leave the URL empty and save to stop the callbacks."</p>
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    <TextInput
                        name="url"
                        label="URL"
                        hint="Must start with https://".to_string()
                        value=form.url.clone()
                        error=form.errors.for_field("url")
                        input_type="url"
                        spellcheck=false
                    />
                    <TextInput
                        name="bearer_token"
                        label="Bearer token"
                        hint="At least 10 characters".to_string()
                        value=token_value
                        error=form.errors.for_field("bearer_token")
                        input_type="password"
                        autocomplete="new-password"
                    />
                    <Button text="Save"/>
                </form>
            </div>
        </div>
    }
}
