//! The API integration area: hub, API keys, guest list and callbacks.

use crate::components::{Button, CopyToClipboard, CsrfField, ErrorSummary, RelativeTimes, TextInput};
use crate::domain::{KeyType, ServicePermission};
use crate::view_model::{ApiKeys, CallbackForm, CallbackRow, CreateKeyForm, GuestListForm, MessageLog, ServiceContext};
use leptos::prelude::*;

#[component]
fn BackLink(href: String) -> impl IntoView {
    view! { <a href=href class="govuk-back-link">"Back"</a> }
}

/// `/services/{id}/api`: links to keys, guest list and callbacks, and the
/// message log of the last 50 messages sent through the API.
#[component]
pub fn Hub(service: ServiceContext, callbacks_href: String, log: MessageLog) -> impl IntoView {
    const RETENTION: &str = "Notify deletes messages after 7 days.";
    let empty = log.items.is_empty();
    let full = log.full;
    let items = log
        .items
        .into_iter()
        .map(|item| {
            let details = item
                .details
                .into_iter()
                .map(|(k, v)| view! { <dt>{format!("{k}:")}</dt><dd>{v}</dd> })
                .collect_view();
            view! {
                <div class="api-notifications-item">
                    <details class="govuk-details govuk-!-margin-bottom-2">
                        <summary class="govuk-details__summary">
                            <span class="govuk-details__summary-text">
                                <span class="api-notifications-item__heading">
                                    <span class="api-notifications-item__recipient">{item.recipient}</span>
                                    " "
                                    <span class="api-notifications-item__meta-key">{item.key_name}</span>
                                    " "
                                    <time class="api-notifications-item__meta-time" datetime=item.created_at data-notify-module="update-relative-time">
                                        {item.when}
                                    </time>
                                </span>
                            </span>
                        </summary>
                        <div class="govuk-details__text">
                            <dl id=format!("notification-{}", item.id) class="api-notifications-item__data">{details}</dl>
                            {item.view_link.map(|(text, href)| view! { <a class="govuk-link" href=href>{text}</a> })}
                        </div>
                    </details>
                </div>
            }
        })
        .collect_view();
    view! {
        <h1 class="govuk-heading-l">"API integration"</h1>
        <ul class="govuk-list notify-pills">
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/api/keys")>"API keys"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=service.path("/api/guest-list")>"Guest list"</a></li>
            <li class="pill-separate-item"><a class="govuk-link govuk-link--no-visited-state" href=callbacks_href>"Callbacks"</a></li>
        </ul>
        <h2 class="govuk-heading-m">"Message log"</h2>
        <p class="govuk-body"><a class="govuk-link" href=service.path("/api")>"Refresh"</a></p>
        <div class="api-notifications">
            {if empty {
                view! {
                    <p class="govuk-body govuk-hint api-notifications-item">"When you send messages via the API they’ll appear here."</p>
                    <p class="govuk-body govuk-hint">{RETENTION}</p>
                }
                .into_any()
            } else {
                view! {
                    {items}
                    <div class="api-notifications-item govuk-hint govuk-!-margin-top-4">
                        {full.then_some("Only showing the first 50 messages. ")}
                        {RETENTION}
                    </div>
                    <RelativeTimes/>
                }
                .into_any()
            }}
        </div>
    }
}

/// `/services/{id}/api/keys` (and the revoke confirmation on top of it).
#[component]
pub fn KeysList(service: ServiceContext, keys: ApiKeys, csrf_token: String) -> impl IntoView {
    let empty = keys.keys.is_empty();
    let banner = keys.confirm_revoke.map(|(id, name)| {
        let action = service.path(&format!("/api/keys/revoke/{id}"));
        view! {
            <div class="notify-banner-dangerous banner-dangerous" role="alert">
                <h2 class="govuk-heading-m">{format!("Are you sure you want to revoke ‘{name}’?")}</h2>
                <p class="govuk-body">"You will not be able to use this API key to connect to GOV.UK Notify."</p>
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
                None => view! {
                    <a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/api/keys/revoke/{}", k.id))>
                        "Revoke"
                        <span class="govuk-visually-hidden">{format!(" {}", k.name)}</span>
                    </a>
                }
                .into_any(),
            };
            view! {
                <tr class=if revoked { "govuk-table__row notify-revoked" } else { "govuk-table__row" }>
                    <td class="govuk-table__cell">
                        <div class="govuk-!-font-weight-bold">{k.name}</div>
                        <div class="notify-secondary-text">{k.description}</div>
                        <div class="notify-secondary-text">{k.last_used}</div>
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
        {if empty {
            view! { <p class="govuk-body">"You have not created any API keys yet"</p> }.into_any()
        } else {
            view! {
                <table class="govuk-table">
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"API keys"</th>
                            <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Action"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">{rows}</tbody>
                </table>
            }
            .into_any()
        }}
        <a href=service.path("/api/keys/create") role="button" draggable="false" class="govuk-button govuk-button--secondary" data-module="govuk-button">
            "Create an API key"
        </a>
    }
}

/// `/services/{id}/api/keys/create`.
#[component]
pub fn CreateKey(service: ServiceContext, form: CreateKeyForm, csrf_token: String) -> impl IntoView {
    let trial = service.service.restricted;
    let letters = service.service_can(ServicePermission::Letter);
    let type_error = form.errors.for_field("key_type");
    let group_class =
        if type_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
    let fieldset_described_by = type_error.as_ref().map(|_| "key_type-error");
    let items = KeyType::ALL
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let id = if i == 0 { "key_type".to_string() } else { format!("key_type-{}", i + 1) };
            let hint_id = format!("{id}-item-hint");
            let disabled = trial && *kind == KeyType::Normal;
            let hint = if disabled {
                Some(view! {
                    "Not available because your service is in "
                    <a class="govuk-link govuk-link--no-visited-state" href="https://www.notifications.service.gov.uk/using-notify/trial-mode">"trial mode"</a>
                }
                .into_any())
            } else if letters && *kind == KeyType::Team {
                Some(view! { "Cannot be used to send letters" }.into_any())
            } else {
                None
            };
            let has_hint = hint.is_some();
            view! {
                <div class="govuk-radios__item">
                    <input
                        class="govuk-radios__input"
                        id=id.clone()
                        name="key_type"
                        type="radio"
                        value=kind.as_str()
                        checked=form.key_type == kind.as_str() && !disabled
                        disabled=disabled
                        aria-describedby=has_hint.then(|| hint_id.clone())
                    />
                    <label class="govuk-label govuk-radios__label" for=id>{kind.description()}</label>
                    {hint.map(|h| view! { <div id=hint_id class="govuk-hint govuk-radios__hint">{h}</div> })}
                </div>
            }
        })
        .collect_view();
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
                    <div class=group_class>
                        <fieldset class="govuk-fieldset" aria-describedby=fieldset_described_by>
                            <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Type of key"</legend>
                            {type_error.map(|e| view! {
                                <p id="key_type-error" class="govuk-error-message">
                                    <span class="govuk-visually-hidden">"Error: "</span>{e}
                                </p>
                            })}
                            <div class="govuk-radios" data-module="govuk-radios">{items}</div>
                        </fieldset>
                    </div>
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
        <p class="govuk-body"><a class="govuk-link" href=service.path("/api/keys")>"Back to API keys"</a></p>
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
    use crate::view_model::CallbackKind;
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
