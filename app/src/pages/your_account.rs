//! "Your account": the signed-in user's own details, and a page to change
//! each (name; email address, confirmed by a link sent to it; mobile
//! number, confirmed by a code sent to it; password, with the current one;
//! sign-in method).

use crate::components::{BackLink, Button, CsrfField, ErrorSummary, RadioItem, Radios, TextInput};
use crate::view_model::{FormErrors, Page, PageContent};
use leptos::prelude::*;

fn csrf(page: &Page) -> String {
    page.viewer.as_ref().map(|v| v.csrf_token.clone()).unwrap_or_default()
}

/// `/user-profile`.
#[derive(Clone, Debug, Default)]
pub struct YourAccount {
    pub name: String,
    pub email_address: String,
    pub mobile_number: Option<String>,
    pub sign_in_method: String,
    /// A new email address waiting for its link to be used.
    pub pending_email: Option<String>,
    pub security_keys: usize,
}

impl PageContent for YourAccount {
    fn title(&self) -> String {
        "Your account".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        let a = self.clone();
        let row = |key: &'static str, value: String, href: &'static str, hidden: &'static str| {
            view! {
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{key}</dt>
                    <dd class="govuk-summary-list__value">{value}</dd>
                    <dd class="govuk-summary-list__actions">
                        <a class="govuk-link govuk-link--no-visited-state" href=href>
                            "Change"<span class="govuk-visually-hidden">{hidden}</span>
                        </a>
                    </dd>
                </div>
            }
        };
        let email = match &a.pending_email {
            Some(new) => format!("{} (we’ve sent a link to confirm {new})", a.email_address),
            None => a.email_address.clone(),
        };
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-full">
                    <h1 class="govuk-heading-l">"Your account"</h1>
                    <dl class="govuk-summary-list">
                        {row("Name", a.name.clone(), "/user-profile/name", " name")}
                        {row("Email address", email, "/user-profile/email", " email address")}
                        {row("Mobile number", a.mobile_number.clone().unwrap_or_else(|| "Not set".into()), "/user-profile/mobile-number", " mobile number")}
                        {row("Password", "Not shown".to_string(), "/user-profile/password", " password")}
                        {row("Sign-in method", a.sign_in_method.clone(), "/user-profile/sign-in-method", " sign-in method")}
                        {row("Security keys", match a.security_keys {
                            0 => "None registered".to_string(),
                            1 => "1 registered".to_string(),
                            n => format!("{n} registered"),
                        }, "/user-profile/security-keys", " security keys")}
                    </dl>
                </div>
            </div>
        }
        .into_any()
    }
}

/// One "Change your …" form: a heading, what it asks for, and Save.
fn change_form(
    page: &Page,
    heading: &'static str,
    errors: FormErrors,
    fields: AnyView,
    intro: Option<&'static str>,
) -> AnyView {
    let csrf_token = csrf(page);
    view! {
        <BackLink href="/user-profile"/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=errors/>
                <h1 class="govuk-heading-l">{heading}</h1>
                {intro.map(|i| view! { <p class="govuk-body">{i}</p> })}
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    {fields}
                    <Button text="Save"/>
                </form>
            </div>
        </div>
    }
    .into_any()
}

/// `/user-profile/name`.
#[derive(Clone, Debug, Default)]
pub struct ChangeName {
    pub name: String,
    pub errors: FormErrors,
}

impl PageContent for ChangeName {
    fn title(&self) -> String {
        "Change your name".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let fields = view! {
            <TextInput name="name" label="Your name" value=f.name.clone() error=f.errors.for_field("name") autocomplete="name"/>
        }
        .into_any();
        change_form(page, "Change your name", f.errors, fields, None)
    }
}

/// `/user-profile/email`.
#[derive(Clone, Debug, Default)]
pub struct ChangeEmail {
    pub email_address: String,
    pub errors: FormErrors,
}

impl PageContent for ChangeEmail {
    fn title(&self) -> String {
        "Change your email address".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let fields = view! {
            <TextInput name="email_address" label="New email address" value=f.email_address.clone()
                error=f.errors.for_field("email_address") input_type="email" autocomplete="email" spellcheck=false/>
            <TextInput name="password" label="Your password" hint="To confirm it’s you"
                error=f.errors.for_field("password") input_type="password" autocomplete="current-password"/>
        }
        .into_any();
        change_form(
            page,
            "Change your email address",
            f.errors,
            fields,
            Some("We’ll send a link to the new address. Your email address changes when you use it."),
        )
    }
}

/// `/user-profile/mobile-number`.
#[derive(Clone, Debug, Default)]
pub struct ChangeMobile {
    pub mobile_number: String,
    pub errors: FormErrors,
}

impl PageContent for ChangeMobile {
    fn title(&self) -> String {
        "Change your mobile number".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let fields = view! {
            <TextInput name="mobile_number" label="New mobile number" value=f.mobile_number.clone()
                error=f.errors.for_field("mobile_number") input_type="tel" autocomplete="tel"/>
            <TextInput name="password" label="Your password" hint="To confirm it’s you"
                error=f.errors.for_field("password") input_type="password" autocomplete="current-password"/>
        }
        .into_any();
        change_form(
            page,
            "Change your mobile number",
            f.errors,
            fields,
            Some("We’ll send a security code to the new number."),
        )
    }
}

/// `/user-profile/mobile-number/confirm`.
#[derive(Clone, Debug, Default)]
pub struct ConfirmMobile {
    pub code: String,
    pub errors: FormErrors,
}

impl PageContent for ConfirmMobile {
    fn title(&self) -> String {
        "Enter your text message code".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let fields = view! {
            <TextInput name="code" label="Text message code" value=f.code.clone() error=f.errors.for_field("code")
                input_type="tel" autocomplete="one-time-code" spellcheck=false
                classes="govuk-input--width-5 govuk-input--extra-letter-spacing"/>
        }
        .into_any();
        change_form(
            page,
            "Enter your text message code",
            f.errors,
            fields,
            Some("We’ve sent a security code to your new mobile number."),
        )
    }
}

/// `/user-profile/password`.
#[derive(Clone, Debug, Default)]
pub struct ChangePassword {
    pub errors: FormErrors,
}

impl PageContent for ChangePassword {
    fn title(&self) -> String {
        "Change your password".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let fields = view! {
            <TextInput name="old_password" label="Current password" error=f.errors.for_field("old_password")
                input_type="password" autocomplete="current-password"/>
            <TextInput name="new_password" label="New password" hint="At least 8 characters"
                error=f.errors.for_field("new_password") input_type="password" autocomplete="new-password"/>
        }
        .into_any();
        change_form(page, "Change your password", f.errors, fields, None)
    }
}

/// `/user-profile/sign-in-method`.
#[derive(Clone, Debug, Default)]
pub struct ChangeSignInMethod {
    /// The method's stored word (`email_auth`…).
    pub checked: String,
    pub has_mobile: bool,
    pub has_keys: bool,
    pub errors: FormErrors,
}

impl PageContent for ChangeSignInMethod {
    fn title(&self) -> String {
        "Change your sign-in method".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let items = vec![
            RadioItem {
                value: "email_auth".into(),
                label: "Email link or code".into(),
                hint: Some(view! { "We’ll email you a link, or a code, each time you sign in" }.into_any()),
                disabled: false,
            },
            RadioItem {
                value: "sms_auth".into(),
                label: "Text message code".into(),
                hint: Some(if f.has_mobile {
                    view! { "We’ll text a code to your mobile number each time you sign in" }.into_any()
                } else {
                    view! { "Add a mobile number to your account first" }.into_any()
                }),
                disabled: !f.has_mobile,
            },
            RadioItem {
                value: "webauthn_auth".into(),
                label: "Security key".into(),
                hint: Some(if f.has_keys {
                    view! { "You’ll use one of your security keys each time you sign in" }.into_any()
                } else {
                    view! { "Register a security key first" }.into_any()
                }),
                disabled: !f.has_keys,
            },
        ];
        let fields = view! {
            <Radios name="sign_in_method" legend="How do you want to sign in?" items checked=f.checked.clone()
                error=f.errors.for_field("sign_in_method")/>
        }
        .into_any();
        change_form(
            page,
            "Change your sign-in method",
            f.errors,
            fields,
            Some("After your password, we’ll ask for a second proof that it’s you."),
        )
    }
}

/// One of the user's security keys, as listed.
#[derive(Clone, Debug)]
pub struct KeyListed {
    pub id: String,
    pub name: String,
    /// "Last used 2 hours ago", "Never used (registered 5 minutes ago)".
    pub used: String,
}

/// `/user-profile/security-keys`.
#[derive(Clone, Debug, Default)]
pub struct SecurityKeys {
    pub keys: Vec<KeyListed>,
    /// Whether keys can work at this service's address.
    pub available: bool,
}

impl PageContent for SecurityKeys {
    fn title(&self) -> String {
        "Security keys".into()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let csrf_token = csrf(page);
        let rows = f
            .keys
            .iter()
            .map(|k| {
                let href = format!("/user-profile/security-keys/{}", k.id);
                view! {
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">{k.name.clone()}</dt>
                        <dd class="govuk-summary-list__value">{k.used.clone()}</dd>
                        <dd class="govuk-summary-list__actions">
                            <a class="govuk-link govuk-link--no-visited-state" href=href>
                                "Manage"<span class="govuk-visually-hidden">{format!(" {}", k.name)}</span>
                            </a>
                        </dd>
                    </div>
                }
            })
            .collect_view();
        let list = (!f.keys.is_empty()).then(|| view! { <dl class="govuk-summary-list">{rows}</dl> });
        let register = if f.available {
            view! {
                <button type="button" class="govuk-button govuk-button--secondary notify-webauthn-js-only" data-module="govuk-button"
                    data-notify-webauthn="register" data-csrf-token=csrf_token>
                    "Register a key"
                </button>
            }
            .into_any()
        } else {
            view! {
                <div class="govuk-inset-text">
                    "Security keys work only where this service is reached at a domain name over HTTPS (or at localhost). Ask whoever runs it to set NOTIFY_BASE_URL so."
                </div>
            }
            .into_any()
        };
        view! {
            <crate::components::BackLink href="/user-profile"/>
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <crate::pages::two_factor::SecurityKeyProblems/>
                    <h1 class="govuk-heading-l">"Security keys"</h1>
                    <p class="govuk-body">
                        "A security key is a physical key, or a passkey on your phone or computer, that you use to sign in after your password. It cannot be used on a site pretending to be this one."
                    </p>
                    {list}
                    {register}
                </div>
            </div>
        }
        .into_any()
    }
}

/// `/user-profile/security-keys/{key_id}`: rename or delete a key.
#[derive(Clone, Debug, Default)]
pub struct ManageSecurityKey {
    pub id: String,
    pub name: String,
    pub errors: FormErrors,
}

impl PageContent for ManageSecurityKey {
    fn title(&self) -> String {
        "Manage security key".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, page: &Page) -> AnyView {
        let f = self.clone();
        let csrf_token = csrf(page);
        let delete = format!("/user-profile/security-keys/{}/delete", f.id);
        view! {
            <BackLink href="/user-profile/security-keys"/>
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=f.errors.clone()/>
                    <h1 class="govuk-heading-l">"Manage security key"</h1>
                    <form method="post" novalidate>
                        <CsrfField token=csrf_token.clone()/>
                        <TextInput name="name" label="Name of key" value=f.name.clone() error=f.errors.for_field("name")/>
                        <Button text="Save"/>
                    </form>
                    <form method="post" action=delete novalidate>
                        <CsrfField token=csrf_token/>
                        <button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button">
                            "Delete"<span class="govuk-visually-hidden">{format!(" {}", f.name)}</span>
                        </button>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}
