//! `/services/{id}/service-settings/email-reply-to` and `…/sms-sender`: the
//! service's reply-to email addresses or text message sender IDs (Notify's
//! pages and words), the form to add one, and the form to change or delete
//! one. One set of pages; [`SenderKind`] says what differs.

use crate::components::{BackLink, Button, ButtonLink, CopyToClipboard, CsrfField, ErrorSummary, TextInput, Textarea};
use crate::domain::senders::SenderKind;
use crate::view_model::{FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct SenderRow {
    pub id: String,
    pub value: String,
    pub is_default: bool,
}

/// The list.
#[derive(Clone, Debug)]
pub struct SenderList {
    pub kind: SenderKind,
    pub items: Vec<SenderRow>,
    /// `manage_service`: may add and change (others with `manage_api_keys`
    /// see the list, for the ids).
    pub can_manage: bool,
}

impl ServicePageContent for SenderList {
    fn title(&self) -> String {
        self.kind.list_title().into()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, list, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <SenderListPage service list csrf_token/> }.into_any()
    }
}

/// Adding (`id` none) or changing a sender.
#[derive(Clone, Debug)]
pub struct SenderForm {
    pub kind: SenderKind,
    pub id: Option<String>,
    pub value: String,
    /// The checkbox `Make this email address the default`.
    pub make_default: bool,
    /// The address being changed is the default (no checkbox, no delete).
    pub is_default: bool,
    /// The service has no address yet: the first is the default.
    pub first: bool,
    /// Asking to confirm the deletion.
    pub confirm_delete: bool,
    pub errors: FormErrors,
    /// The check of this reply-to address failed: the form is shown again
    /// on the check's page, to try again (Notify's words).
    pub check_failed: bool,
    /// Where the form posts (the add or change page), when it is shown on
    /// another page.
    pub action: Option<String>,
}

impl SenderForm {
    /// An empty form of `kind`.
    pub fn new(kind: SenderKind) -> Self {
        Self {
            kind,
            id: None,
            value: String::new(),
            make_default: false,
            is_default: false,
            first: false,
            confirm_delete: false,
            errors: FormErrors::default(),
            check_failed: false,
            action: None,
        }
    }
}

/// The check of a new reply-to email address, while its email is on its
/// way or once it was delivered (a failed check shows [`SenderForm`] with
/// `check_failed`).
#[derive(Clone, Debug)]
pub struct ReplyToCheck {
    pub address: String,
    /// Delivered and saved.
    pub added: bool,
    /// The add or change page it came from.
    pub back: String,
    /// This page again (to look again without JavaScript).
    pub refresh: String,
}

/// The check page's title and heading.
pub const CHECK_TITLE: &str = "Reply-to email address check";

impl ServicePageContent for ReplyToCheck {
    fn title(&self) -> String {
        CHECK_TITLE.into()
    }
    fn view(&self, service: &ServiceContext, _csrf_token: &str) -> AnyView {
        let list = service.path("/service-settings/email-reply-to");
        let check = self.clone();
        let status = if check.added {
            view! {
                <p class="govuk-body">"The check is complete."</p>
                <p class="govuk-body">{format!("We’ve added ‘{}’ to your reply-to email addresses.", check.address)}</p>
            }
            .into_any()
        } else {
            view! {
                <p class="govuk-body">{format!("We need to check that ‘{}’ is a real email address.", check.address)}</p>
                <p class="govuk-body">"This can take up to a minute."</p>
            }
            .into_any()
        };
        let next = if check.added {
            view! { <ButtonLink href=list text="Continue"/> }.into_any()
        } else {
            view! {
                <p class="govuk-body">
                    <a class="govuk-link govuk-link--no-visited-state" href=check.refresh.clone()>"Refresh"</a>
                </p>
            }
            .into_any()
        };
        view! {
            <BackLink href=check.back.clone()/>
            <h1 class="govuk-heading-l">{CHECK_TITLE}</h1>
            <div role="status">{status}</div>
            {next}
        }
        .into_any()
    }
}

impl ServicePageContent for SenderForm {
    fn title(&self) -> String {
        if self.check_failed {
            CHECK_TITLE
        } else if self.id.is_some() {
            self.kind.change_title()
        } else {
            self.kind.add_title()
        }
        .into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, form, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <SenderFormPage service form csrf_token/> }.into_any()
    }
}

#[component]
fn SenderListPage(service: ServiceContext, list: SenderList, csrf_token: String) -> impl IntoView {
    let kind = list.kind;
    let base = service.path(&format!("/service-settings/{}", kind.slug()));
    let several = list.items.len() > 1;
    let no_items = list.items.is_empty();
    // Letter contact blocks may have no default: "Blank" is then the default.
    let blank = kind.default_is_optional().then(|| {
        let has_default = list.items.iter().any(|i| i.is_default);
        let make_default = (list.can_manage && has_default).then(|| {
            view! {
                <form method="post" action=format!("{base}/make-blank-default") novalidate>
                    <CsrfField token=csrf_token.clone()/>
                    <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">
                        "Make default"<span class="govuk-visually-hidden">" Blank"</span>
                    </button>
                </form>
            }
        });
        view! {
            <li class="notify-sender">
                <div class="govuk-grid-row">
                    <div class="govuk-grid-column-three-quarters">
                        <p class="govuk-body notify-secondary-text">"Blank"{(!has_default).then_some(" (default)")}</p>
                    </div>
                    <div class="govuk-grid-column-one-quarter">{make_default}</div>
                </div>
            </li>
        }
    });
    let items = list
        .items
        .into_iter()
        .map(|item| {
            // A contact block is named by its first line.
            let first_line = item.value.lines().next().unwrap_or_default().to_string();
            let change = list.can_manage.then(|| {
                view! {
                    <a class="govuk-link govuk-link--no-visited-state" href=format!("{base}/{}/edit", item.id)>
                        "Change"<span class="govuk-visually-hidden">{format!(" {first_line}")}</span>
                    </a>
                }
            });
            let copy_id = format!("sender-{}", item.id);
            let id_block = several.then(|| {
                view! {
                    <div class="copy-to-clipboard">
                        <p class="govuk-body govuk-!-margin-bottom-1 notify-secondary-text">{format!("ID for {first_line}")}</p>
                        <p class="govuk-body copy-to-clipboard__value notify-key" id=copy_id.clone()>{item.id.clone()}</p>
                        <CopyToClipboard target_id=copy_id.clone()/>
                    </div>
                }
            });
            view! {
                <li class="notify-sender">
                    <div class="govuk-grid-row">
                        <div class="govuk-grid-column-three-quarters">
                            {if kind.multi_line() {
                                let lines = item.value.lines().map(|l| view! { {l.to_string()}<br/> }).collect_view();
                                view! {
                                    <p class="govuk-body govuk-!-margin-bottom-1">{lines}</p>
                                    {item.is_default.then(|| view! { <p class="govuk-hint">"(default)"</p> })}
                                }
                                .into_any()
                            } else {
                                view! {
                                    <h2 class="govuk-heading-s govuk-!-margin-bottom-1">
                                        {item.value.clone()}
                                        {item.is_default.then(|| view! { <span class="govuk-hint govuk-!-display-inline">" (default)"</span> })}
                                    </h2>
                                }
                                .into_any()
                            }}
                        </div>
                        <div class="govuk-grid-column-one-quarter">{change}</div>
                    </div>
                    {id_block}
                </li>
            }
        })
        .collect_view();
    let empty = view! {
        <p class="govuk-body notify-secondary-text">{format!("You have not added any {} yet", kind.plural_noun())}</p>
    };
    let about = match kind {
        SenderKind::EmailReplyTo => view! {
            <p class="govuk-body">"You need to add at least one reply-to address so recipients can reply to your messages."</p>
            <p class="govuk-body">"Emails with a reply-to address:"</p>
            <ul class="govuk-list govuk-list--bullet">
                <li>"are less likely to be labelled as spam"</li>
                <li>"appear more trustworthy"</li>
            </ul>
        }
        .into_any(),
        SenderKind::SmsSender => view! {
            <p class="govuk-body">"The text message sender ID tells your users who the message is from."</p>
        }
        .into_any(),
        SenderKind::LetterContact => ().into_any(),
    };
    let api_note = match kind.api_field() {
        Some(field) => view! {
            <p class="govuk-body">"To use one other than the default, give its ID as "<code>{field}</code>" when you send with the API."</p>
        }
        .into_any(),
        None => view! {
            <p class="govuk-body">"Letters sent with the API show the default sender address; the API gives it as a letter template’s "<code>"letter_contact_block"</code>"."</p>
        }
        .into_any(),
    };
    view! {
        <BackLink href=service.path("/api")/>
        <h1 class="govuk-heading-l">{kind.list_title()}</h1>
        <ul class="govuk-list">{blank}{items}</ul>
        {(no_items && !kind.default_is_optional()).then_some(empty)}
        {list.can_manage.then(|| view! { <ButtonLink href=format!("{base}/add") text=kind.add_title()/> })}
        {about}
        {api_note}
    }
}

#[component]
fn SenderFormPage(service: ServiceContext, form: SenderForm, csrf_token: String) -> impl IntoView {
    let kind = form.kind;
    let base = service.path(&format!("/service-settings/{}", kind.slug()));
    let heading = if form.check_failed {
        CHECK_TITLE
    } else if form.id.is_some() {
        kind.change_title()
    } else {
        kind.add_title()
    };
    let problem = form.check_failed.then(|| {
        view! {
            <div class="notify-banner-dangerous banner-dangerous" role="alert">
                <h2 class="govuk-heading-m">"There’s a problem with your reply-to address"</h2>
                <p class="govuk-body">{format!("We sent an email to ‘{}’ but it could not be delivered.", form.value)}</p>
                <p class="govuk-body">"You can try again, or use a different address."</p>
            </div>
        }
    });
    let banner = form.confirm_delete.then(|| {
        let action = format!("{base}/{}/delete", form.id.clone().unwrap_or_default());
        view! {
            <div class="notify-banner-dangerous banner-dangerous" role="alert">
                <h2 class="govuk-heading-m">{format!("Are you sure you want to delete this {}?", kind.noun())}</h2>
                <form method="post" action=action novalidate>
                    <CsrfField token=csrf_token.clone()/>
                    <Button text="Yes, delete" classes="govuk-button--warning govuk-!-margin-bottom-0"/>
                </form>
            </div>
        }
    });
    let default_choice = if form.is_default {
        view! { <p class="govuk-body">{kind.is_default_text(&service.service.name)}</p> }.into_any()
    } else if form.first {
        view! { <p class="govuk-body">{kind.first_text()}</p> }.into_any()
    } else {
        view! {
            <div class="govuk-form-group">
                <div class="govuk-checkboxes" data-module="govuk-checkboxes">
                    <div class="govuk-checkboxes__item">
                        <input class="govuk-checkboxes__input" id="is_default" name="is_default" type="checkbox" value="y" checked=form.make_default/>
                        <label class="govuk-label govuk-checkboxes__label" for="is_default">{kind.make_default_label()}</label>
                    </div>
                </div>
            </div>
        }
        .into_any()
    };
    let delete_link = form.id.clone().filter(|_| !form.is_default || kind.default_is_optional()).map(|id| {
        view! {
            <a class="govuk-link govuk-link--no-visited-state notify-delete-link" href=format!("{base}/{id}/delete")>"Delete"</a>
        }
    });
    let button = if form.check_failed {
        "Try again"
    } else if form.id.is_some() {
        "Save"
    } else {
        kind.add_button()
    };
    let delete_link = delete_link.filter(|_| !form.check_failed);
    let (input_type, autocomplete, width) = match kind {
        SenderKind::EmailReplyTo => ("email", "email", "govuk-!-width-full"),
        SenderKind::SmsSender | SenderKind::LetterContact => ("text", "off", "govuk-!-width-one-quarter"),
    };
    let field = if kind.multi_line() {
        view! {
            <Textarea
                name=kind.field()
                label=kind.label()
                hint=kind.hint()
                value=form.value.clone()
                error=form.errors.for_field(kind.field())
                rows=10
            />
        }
        .into_any()
    } else {
        view! {
            <TextInput
                name=kind.field()
                label=kind.label()
                value=form.value.clone()
                error=form.errors.for_field(kind.field())
                hint=kind.hint()
                input_type
                autocomplete
                spellcheck=false
                classes=width
            />
        }
        .into_any()
    };
    let list_url = service.path(&format!("/service-settings/{}", kind.list_slug()));
    view! {
        <BackLink href=list_url/>
        {banner}
        {problem}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">{heading}</h1>
                <form method="post" action=form.action.clone() novalidate>
                    <CsrfField token=csrf_token/>
                    {field}
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
