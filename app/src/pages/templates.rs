//! The templates pages: the list, and the form to make or edit one.

use crate::components::{
    BackLink, Button, ButtonLink, CsrfField, ErrorSummary, RadioItem, Radios, Table, TextInput, Textarea,
};
use crate::domain::TemplateType;
use crate::view_model::{capitalise, FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub kind: crate::domain::TemplateType,
    pub version: i64,
}

#[derive(Clone, Debug, Default)]
pub struct TemplateForm {
    /// `None` for a new template.
    pub id: Option<String>,
    pub template_type: String,
    pub name: String,
    pub subject: String,
    pub content: String,
    pub version: Option<i64>,
    /// When editing a letter template: its contact block (`Some(None)`:
    /// none, "Blank").
    pub contact_block: Option<Option<String>>,
    pub errors: FormErrors,
}

/// `/services/{id}/templates/{template_id}/set-template-sender`: choose the
/// letter template's contact block, or none.
#[derive(Clone, Debug, Default)]
pub struct TemplateSenderForm {
    pub template_id: String,
    pub template_name: String,
    /// The service's letter contact blocks: `(id, text)`.
    pub choices: Vec<(String, String)>,
    /// The chosen id, or [`BLANK`].
    pub checked: String,
    pub errors: FormErrors,
}

/// The choice of no contact block.
pub const BLANK: &str = "blank";

impl ServicePageContent for TemplateSenderForm {
    fn title(&self) -> String {
        "Sender address".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, form, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <TemplateSenderPage service form csrf_token/> }.into_any()
    }
}

/// The service's templates.
#[derive(Clone, Debug)]
pub struct TemplateList {
    pub rows: Vec<TemplateRow>,
}

impl ServicePageContent for TemplateList {
    fn title(&self) -> String {
        "Templates".into()
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, templates) = (service.clone(), self.rows.clone());
        view! { <Templates service templates/> }.into_any()
    }
}

impl ServicePageContent for TemplateForm {
    fn title(&self) -> String {
        if self.id.is_some() { "Edit template" } else { "New template" }.into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (service, form, csrf_token) = (service.clone(), self.clone(), csrf_token.to_string());
        view! { <TemplateFormPage service form csrf_token/> }.into_any()
    }
}

/// `/services/{id}/templates`.
#[component]
pub fn Templates(service: ServiceContext, templates: Vec<TemplateRow>) -> impl IntoView {
    let empty = templates.is_empty();
    let can_send = service.can(crate::domain::Permission::SendMessages);
    let rows = templates
        .into_iter()
        .map(|t| {
            let upload = can_send.then(|| {
                view! {
                    <br/>
                    <a class="govuk-link govuk-!-font-size-16" href=service.path(&format!("/send/{}/csv", t.id))>
                        "Upload a list of recipients"<span class="govuk-visually-hidden">{format!(" for {}", t.name)}</span>
                    </a>
                    {(t.kind != crate::domain::TemplateType::Letter).then(|| view! {
                        " "
                        <a class="govuk-link govuk-!-font-size-16 govuk-!-margin-left-2" href=service.path(&format!("/send/{}/one-off", t.id))>
                            "Send one message"<span class="govuk-visually-hidden">{format!(" of {}", t.name)}</span>
                        </a>
                    })}
                }
            });
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">
                        <a class="govuk-link" href=service.path(&format!("/templates/{}", t.id))>{t.name.clone()}</a>
                        {upload}
                    </td>
                    <td class="govuk-table__cell">{capitalise(t.kind.message_noun())}" template"</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{t.version.to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1 class="govuk-heading-l">"Templates"</h1>
        <Table
            heads=&[("Name", false), ("Type", false), ("Version", true)]
            empty="You have not made any templates yet."
            rows=(!empty).then(|| rows.into_any())
        />
        <ButtonLink href=service.path("/templates/new") text="New template"/>
    }
}

/// The letter template's sender address and the link to change it.
#[component]
fn SenderAddress(change: String, contact_block: Option<String>) -> impl IntoView {
    let value = match contact_block {
        Some(text) => text.lines().map(|line| view! { {line.to_string()}<br/> }).collect_view().into_any(),
        None => "Blank".into_any(),
    };
    view! {
        <dl class="govuk-summary-list">
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">"Sender address"</dt>
                <dd class="govuk-summary-list__value">{value}</dd>
                <dd class="govuk-summary-list__actions">
                    <a class="govuk-link" href=change>
                        "Change"<span class="govuk-visually-hidden">" sender address"</span>
                    </a>
                </dd>
            </div>
        </dl>
    }
}

/// `/services/{id}/templates/{template_id}/set-template-sender`.
#[component]
pub fn TemplateSenderPage(service: ServiceContext, form: TemplateSenderForm, csrf_token: String) -> impl IntoView {
    let mut items: Vec<RadioItem> = form
        .choices
        .iter()
        .map(|(id, text)| RadioItem {
            value: id.clone().into(),
            label: text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", "),
            hint: None,
            disabled: false,
        })
        .collect();
    items.push(RadioItem { value: BLANK.into(), label: "Blank".into(), hint: None, disabled: false });
    let template_path = service.path(&format!("/templates/{}", form.template_id));
    view! {
        <BackLink href=template_path/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">"Sender address"</h1>
                <p class="govuk-body">
                    "Letters sent with ‘"{form.template_name.clone()}"’ show this address in the top right corner."
                </p>
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    <Radios
                        name="sender"
                        legend="Choose a sender address"
                        items
                        checked=form.checked.clone()
                        error=form.errors.for_field("sender")
                    />
                    <Button text="Save"/>
                </form>
                <p class="govuk-body">
                    <a class="govuk-link" href=service.path("/service-settings/letter-contact/add")>
                        "Add a new sender address"
                    </a>
                </p>
            </div>
        </div>
    }
}

/// `/services/{id}/templates/new` and `/services/{id}/templates/{template_id}`.
#[component]
pub fn TemplateFormPage(service: ServiceContext, form: TemplateForm, csrf_token: String) -> impl IntoView {
    let editing = form.id.is_some();
    let kind = TemplateType::parse(&form.template_type);
    let type_error = form.errors.for_field("template_type");
    let content_error = form.errors.for_field("template_content");
    let type_field = if editing {
        view! {
            <p class="govuk-body">
                {kind.map(|k| format!("{} template, version {}", capitalise(k.message_noun()), form.version.unwrap_or(1)))}
            </p>
            <input type="hidden" name="template_type" value=form.template_type.clone()/>
        }
        .into_any()
    } else {
        let items = TemplateType::ALL
            .iter()
            .map(|t| RadioItem {
                value: t.as_str().into(),
                label: capitalise(t.message_noun()),
                hint: None,
                disabled: false,
            })
            .collect();
        view! {
            <Radios
                name="template_type"
                legend="Type of template"
                items
                checked=form.template_type.clone()
                error=type_error
                small=true
            />
        }
        .into_any()
    };
    view! {
        <BackLink href=service.path("/templates")/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">{if editing { "Edit template" } else { "New template" }}</h1>
                {form.contact_block.clone().map(|contact_block| {
                    let change = service
                        .path(&format!("/templates/{}/set-template-sender", form.id.clone().unwrap_or_default()));
                    view! { <SenderAddress change contact_block/> }
                })}
                <form method="post" novalidate>
                    <CsrfField token=csrf_token/>
                    {type_field}
                    <TextInput
                        name="name"
                        label="Template name"
                        hint="Your recipients will not see this".to_string()
                        value=form.name.clone()
                        error=form.errors.for_field("name")
                    />
                    <TextInput
                        name="subject"
                        label="Subject line (email and letter templates)"
                        value=form.subject.clone()
                        error=form.errors.for_field("subject")
                    />
                    <Textarea
                        name="template_content"
                        label="Message"
                        hint="Use double brackets to personalise your message: ((first name))"
                        value=form.content.clone()
                        error=content_error
                        rows=8
                    />
                    <Button text="Save"/>
                </form>
            </div>
        </div>
    }
}
