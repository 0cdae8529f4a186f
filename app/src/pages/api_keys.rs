//! The API keys pages: the list (with the revoke confirmation on top of
//! it), the form to create a key, and the new key shown once.

use crate::components::{
    BackLink, Button, ButtonLink, CopyToClipboard, CsrfField, ErrorSummary, RadioItem, Radios, Table, TextInput,
};
use crate::domain::{KeyType, ServicePermission};
use crate::view_model::{FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// One row of the API keys table.
#[derive(Clone, Debug)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub description: &'static str,
    /// `Expires in 12 days`, `Expired`… for a key that expires.
    pub expiry: Option<String>,
    /// Replaced by a newer key of the same name (it works until it expires).
    pub rotated: bool,
    /// `Revoked 12 November at 2:30pm` for a revoked key, `Expired` for an
    /// expired one: it can no longer be used.
    pub revoked: Option<String>,
    /// `Last used 12 November at 2:30pm` or `Never used`.
    pub last_used: String,
}

#[derive(Clone, Debug)]
pub struct ApiKeys {
    pub keys: Vec<KeyRow>,
    /// Members who left while they could see the keys.
    pub departures: Vec<crate::pages::team::DepartureView>,
    /// The key whose revocation is being confirmed: (id, name).
    pub confirm_revoke: Option<(String, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct CreateKeyForm {
    pub key_name: String,
    pub key_type: String,
    /// `30`, `90`, `180`, `365` or `never`.
    pub expires_in: String,
    /// The longest lifetime the service allows (`None`: no limit).
    pub max_lifetime_days: Option<i64>,
    pub errors: FormErrors,
}

impl ServicePageContent for ApiKeys {
    fn title(&self) -> String {
        "API keys".into()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, keys, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        let departures = view! {
            <crate::pages::team::DepartureWarnings service=service.clone() departures=keys.departures.clone() csrf_token=csrf_token.clone()/>
        };
        view! { {departures} <KeysList service keys csrf_token/> }.into_any()
    }
}

impl ServicePageContent for CreateKeyForm {
    fn title(&self) -> String {
        "Create an API key".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, form, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <CreateKey service form csrf_token/> }.into_any()
    }
}

/// `Rotate` for one key: how long the old key keeps working.
#[derive(Clone, Debug, Default)]
pub struct RotateKeyForm {
    pub key_id: String,
    pub name: String,
    /// `1h`, `24h` or `7d`.
    pub overlap: String,
    pub errors: FormErrors,
}

impl ServicePageContent for RotateKeyForm {
    fn title(&self) -> String {
        format!("Rotate ‘{}’", self.name)
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, form, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <RotateKey service form csrf_token/> }.into_any()
    }
}

/// `/services/{id}/api/keys/rotate/{key_id}`.
#[component]
pub fn RotateKey(service: ServiceContext, form: RotateKeyForm, csrf_token: String) -> impl IntoView {
    let items = crate::domain::api_key::Overlap::CHOICES
        .into_iter()
        .map(|o| RadioItem { value: o.value().into(), label: o.label().to_string(), hint: None, disabled: false })
        .collect();
    view! {
        <BackLink href=service.path("/api/keys")/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">{format!("Rotate ‘{}’", form.name)}</h1>
                <p class="govuk-body">
                    "We will make a new key with the same name and type, and show it to you once. The key you have now keeps working for the time you choose, so you can move your systems to the new key, then stops."
                </p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/documentation/api-keys#expiry-and-rotation">"When to rotate a key"</a>
                </p>
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    <Radios
                        name="overlap"
                        legend="How long should the current key keep working?"
                        items
                        checked=form.overlap.clone()
                        error=form.errors.for_field("overlap")
                    />
                    <Button text="Rotate this key"/>
                </form>
            </div>
        </div>
    }
}

/// A key just made: its name, and the whole key string, shown this once.
#[derive(Clone)]
pub struct ShownKey {
    pub name: String,
    pub key: String,
}

impl ServicePageContent for ShownKey {
    fn title(&self) -> String {
        "New API key".into()
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, name, key) = (service.clone(), self.name.clone(), self.key.clone());
        view! { <NewKey service name key/> }.into_any()
    }
}

/// `/services/{id}/api/keys` (and the revoke confirmation on top of it).
#[component]
pub fn KeysList(service: ServiceContext, keys: ApiKeys, csrf_token: String) -> impl IntoView {
    let empty = keys.keys.is_empty();
    let product = use_context::<crate::view_model::Brand>().unwrap_or_default().product_name().to_string();
    let banner = keys.confirm_revoke.map(|(id, name)| {
        let action = service.path(&format!("/api/keys/revoke/{id}"));
        view! {
            <div class="notify-banner-dangerous banner-dangerous" role="alert">
                <h2 class="govuk-heading-m">{format!("Are you sure you want to revoke ‘{name}’?")}</h2>
                <p class="govuk-body">{format!("You will not be able to use this API key to connect to {product}.")}</p>
                <form method="post" action=action novalidate>
                    <CsrfField token=csrf_token.clone()/>
                    <Button text="Yes, revoke this API key" classes="govuk-button--warning govuk-!-margin-bottom-0"/>
                </form>
            </div>
        }
    });
    let rows = keys
        .keys
        .into_iter()
        .map(|k| {
            let revoked = k.revoked.is_some();
            let action = match k.revoked {
                Some(text) => view! { <span class="notify-revoked-text">{text}</span> }.into_any(),
                None => {
                    let rotate = (!k.rotated).then(|| view! {
                        <a class="govuk-link govuk-link--no-visited-state govuk-!-margin-right-3" href=service.path(&format!("/api/keys/rotate/{}", k.id))>
                            "Rotate"
                            <span class="govuk-visually-hidden">{format!(" {}", k.name)}</span>
                        </a>
                    });
                    view! {
                        {rotate}
                        <a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/api/keys/revoke/{}", k.id))>
                            "Revoke"
                            <span class="govuk-visually-hidden">{format!(" {}", k.name)}</span>
                        </a>
                    }
                    .into_any()
                }
            };
            view! {
                <tr class=if revoked { "govuk-table__row notify-revoked" } else { "govuk-table__row" }>
                    <td class="govuk-table__cell">
                        <div class="govuk-!-font-weight-bold">
                            <a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/api/keys/{}", k.id))>{k.name.clone()}</a>
                        </div>
                        <div class="notify-secondary-text">{k.description}</div>
                        <div class="notify-secondary-text">{k.last_used}</div>
                        {k.rotated.then(|| view! { <div class="notify-secondary-text">"Replaced by a new key"</div> })}
                        {k.expiry.filter(|_| !revoked).map(|e| view! { <div class="notify-secondary-text">{e}</div> })}
                    </td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{action}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <BackLink href=service.path("/api")/>
        {banner}
        <h1 class="govuk-heading-l">"API keys"</h1>
        <p class="govuk-body">
            "Read about the types of key, expiry and rotation in the "
            <a class="govuk-link" href="/documentation/api-keys">"API documentation"</a>
            "."
        </p>
        <Table
            heads=&[("API keys", false), ("Action", true)]
            empty="You have not created any API keys yet"
            rows=(!empty).then(|| rows.into_any())
        />
        <ButtonLink href=service.path("/api/keys/create") text="Create an API key" secondary=true/>
    }
}

/// `/services/{id}/api/keys/create`.
#[component]
pub fn CreateKey(service: ServiceContext, form: CreateKeyForm, csrf_token: String) -> impl IntoView {
    let trial = service.service.restricted;
    let letters = service.service_can(ServicePermission::Letter);
    let items = KeyType::ALL
        .iter()
        .map(|kind| {
            // The same rule `keys::create` enforces.
            let disabled = !crate::domain::api_key::type_allowed(trial, *kind);
            let hint = if disabled {
                Some(view! {
                    "Not available because your service is in "
                    <a class="govuk-link govuk-link--no-visited-state" href="/documentation/api-keys#trial-mode">"trial mode"</a>
                }
                .into_any())
            } else if letters && *kind == KeyType::Team {
                Some(view! { "Cannot be used to send letters" }.into_any())
            } else {
                None
            };
            RadioItem { value: kind.as_str().into(), label: kind.description().to_string(), hint, disabled }
        })
        .collect();
    let max = form.max_lifetime_days;
    let lifetime_items = crate::domain::api_key::KeyLifetime::CHOICES
        .into_iter()
        .map(|choice| {
            // The same rule `keys::create` enforces.
            let disabled = !choice.allowed(max);
            let hint = disabled.then(|| {
                view! { {format!("Not available: keys of this service may last at most {} days", max.unwrap_or_default())} }
                    .into_any()
            });
            RadioItem { value: choice.value().into(), label: choice.label(), hint, disabled }
        })
        .collect();
    view! {
        <BackLink href=service.path("/api/keys")/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">"Create an API key"</h1>
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    <TextInput
                        name="key_name"
                        label="Name for this key"
                        value=form.key_name.clone()
                        error=form.errors.for_field("key_name")
                        autocomplete="off"
                        spellcheck=false
                    />
                    <Radios
                        name="key_type"
                        legend="Type of key"
                        items
                        checked=form.key_type.clone()
                        error=form.errors.for_field("key_type")
                    />
                    <Radios
                        name="expires_in"
                        legend="When should this key stop working?"
                        items=lifetime_items
                        checked=form.expires_in.clone()
                        error=form.errors.for_field("expires_in")
                    />
                    <Button text="Continue"/>
                </form>
            </div>
        </div>
    }
}

/// The page that shows a new key, once.
#[component]
pub fn NewKey(service: ServiceContext, name: String, key: String) -> impl IntoView {
    view! {
        <h1 class="govuk-heading-l">"New API key"</h1>
        <p class="govuk-body">"Copy your key to somewhere safe."</p>
        <p class="govuk-body">"You will not be able to see it again once you leave this page."</p>
        <div class="copy-to-clipboard">
            <h2 class="govuk-heading-s govuk-!-margin-bottom-2">{format!("API key ‘{name}’")}</h2>
            <p class="govuk-body copy-to-clipboard__value notify-key" id="api-key">{key}</p>
            <CopyToClipboard target_id="api-key".to_string()/>
        </div>
        <p class="govuk-body">
            "To send your first message with it, see "
            <a class="govuk-link" href="/documentation/clients">"Python and Node clients"</a>
            " in the API documentation."
        </p>
        <p class="govuk-body"><a class="govuk-link" href=service.path("/api/keys")>"Back to API keys"</a></p>
    }
}
