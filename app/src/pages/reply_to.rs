//! `/services/{id}/service-settings/email-reply-to`: the service's reply-to
//! email addresses (Notify's pages and words), the form to add one, and the
//! form to change or delete one.

use crate::components::{BackLink, Button, ButtonLink, CopyToClipboard, CsrfField, ErrorSummary, TextInput};
use crate::view_model::{FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct ReplyToRow {
    pub id: String,
    pub email_address: String,
    pub is_default: bool,
}

/// The list.
#[derive(Clone, Debug)]
pub struct ReplyToList {
    pub items: Vec<ReplyToRow>,
    /// `manage_service`: may add and change (others with `manage_api_keys`
    /// see the list, for the ids).
    pub can_manage: bool,
}

impl ServicePageContent for ReplyToList {
    fn title(&self) -> String {
        "Reply-to email addresses".into()
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, list) = (service.clone(), self.clone());
        view! { <ReplyToListPage service list/> }.into_any()
    }
}

/// Adding (`id` none) or changing an address.
#[derive(Clone, Debug, Default)]
pub struct ReplyToForm {
    pub id: Option<String>,
    pub email_address: String,
    /// The checkbox `Make this email address the default`.
    pub make_default: bool,
    /// The address being changed is the default (no checkbox, no delete).
    pub is_default: bool,
    /// The service has no address yet: the first is the default.
    pub first: bool,
    /// Asking to confirm the deletion.
    pub confirm_delete: bool,
    pub errors: FormErrors,
}

impl ServicePageContent for ReplyToForm {
    fn title(&self) -> String {
        if self.id.is_some() { "Change reply-to email address" } else { "Add reply-to email address" }.into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, form, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <ReplyToFormPage service form csrf_token/> }.into_any()
    }
}

#[component]
fn ReplyToListPage(service: ServiceContext, list: ReplyToList) -> impl IntoView {
    let several = list.items.len() > 1;
    let no_items = list.items.is_empty();
    let items = list
        .items
        .into_iter()
        .map(|item| {
            let change = list.can_manage.then(|| {
                view! {
                    <a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/service-settings/email-reply-to/{}/edit", item.id))>
                        "Change"<span class="govuk-visually-hidden">{format!(" {}", item.email_address)}</span>
                    </a>
                }
            });
            let copy_id = format!("reply-to-{}", item.id);
            let id_block = several.then(|| {
                view! {
                    <div class="copy-to-clipboard">
                        <p class="govuk-body govuk-!-margin-bottom-1 notify-secondary-text">{format!("ID for {}", item.email_address)}</p>
                        <p class="govuk-body copy-to-clipboard__value notify-key" id=copy_id.clone()>{item.id.clone()}</p>
                        <CopyToClipboard target_id=copy_id.clone()/>
                    </div>
                }
            });
            view! {
                <li class="notify-reply-to">
                    <div class="govuk-grid-row">
                        <div class="govuk-grid-column-three-quarters">
                            <h2 class="govuk-heading-s govuk-!-margin-bottom-1">
                                {item.email_address.clone()}
                                {item.is_default.then(|| view! { <span class="govuk-hint govuk-!-display-inline">" (default)"</span> })}
                            </h2>
                        </div>
                        <div class="govuk-grid-column-one-quarter">{change}</div>
                    </div>
                    {id_block}
                </li>
            }
        })
        .collect_view();
    let empty =
        view! { <p class="govuk-body notify-secondary-text">"You have not added any reply-to email addresses yet"</p> };
    view! {
        <BackLink href=service.path("/api")/>
        <h1 class="govuk-heading-l">"Reply-to email addresses"</h1>
        <ul class="govuk-list">{items}</ul>
        {no_items.then_some(empty)}
        {list.can_manage.then(|| view! {
            <ButtonLink href=service.path("/service-settings/email-reply-to/add") text="Add reply-to email address"/>
        })}
        <p class="govuk-body">"You need to add at least one reply-to address so recipients can reply to your messages."</p>
        <p class="govuk-body">"Emails with a reply-to address:"</p>
        <ul class="govuk-list govuk-list--bullet">
            <li>"are less likely to be labelled as spam"</li>
            <li>"appear more trustworthy"</li>
        </ul>
        <p class="govuk-body">"To use an address other than the default, give its ID as "<code>"email_reply_to_id"</code>" when you send an email with the API."</p>
    }
}

#[component]
fn ReplyToFormPage(service: ServiceContext, form: ReplyToForm, csrf_token: String) -> impl IntoView {
    let heading = if form.id.is_some() { "Change reply-to email address" } else { "Add reply-to email address" };
    let banner = form.confirm_delete.then(|| {
        let action =
            service.path(&format!("/service-settings/email-reply-to/{}/delete", form.id.clone().unwrap_or_default()));
        view! {
            <div class="notify-banner-dangerous banner-dangerous" role="alert">
                <h2 class="govuk-heading-m">"Are you sure you want to delete this reply-to email address?"</h2>
                <form method="post" action=action novalidate>
                    <CsrfField token=csrf_token.clone()/>
                    <Button text="Yes, delete" classes="govuk-button--warning govuk-!-margin-bottom-0"/>
                </form>
            </div>
        }
    });
    let default_choice = if form.is_default {
        view! { <p class="govuk-body">{format!("This is the default reply-to address for {} emails", service.service.name)}</p> }.into_any()
    } else if form.first {
        view! { <p class="govuk-body">"This will be your default reply-to address."</p> }.into_any()
    } else {
        view! {
            <div class="govuk-form-group">
                <div class="govuk-checkboxes" data-module="govuk-checkboxes">
                    <div class="govuk-checkboxes__item">
                        <input class="govuk-checkboxes__input" id="is_default" name="is_default" type="checkbox" value="y" checked=form.make_default/>
                        <label class="govuk-label govuk-checkboxes__label" for="is_default">"Make this email address the default"</label>
                    </div>
                </div>
            </div>
        }
        .into_any()
    };
    let delete_link = form.id.clone().filter(|_| !form.is_default).map(|id| {
        view! {
            <a class="govuk-link govuk-link--no-visited-state notify-delete-link" href=service.path(&format!("/service-settings/email-reply-to/{id}/delete"))>"Delete"</a>
        }
    });
    let button = if form.id.is_some() { "Save" } else { "Add" };
    view! {
        <BackLink href=service.path("/service-settings/email-reply-to")/>
        {banner}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">{heading}</h1>
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    <TextInput
                        name="email_address"
                        label="Reply-to email address"
                        value=form.email_address.clone()
                        error=form.errors.for_field("email_address")
                        hint="This should be a shared inbox managed by your team, not your own email address"
                        input_type="email"
                        autocomplete="email"
                        spellcheck=false
                        classes="govuk-!-width-full"
                    />
                    {default_choice}
                    <div class="govuk-button-group">
                        <Button text=button/>
                        {delete_link}
                    </div>
                </form>
            </div>
        </div>
    }
}
