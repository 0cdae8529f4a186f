//! The templates pages: the list, and the form to make or edit one.

use crate::components::{Button, CsrfField, ErrorSummary, TextInput};
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
    pub errors: FormErrors,
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
    let rows = templates
        .into_iter()
        .map(|t| {
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">
                        <a class="govuk-link" href=service.path(&format!("/templates/{}", t.id))>{t.name}</a>
                    </td>
                    <td class="govuk-table__cell">{capitalise(t.kind.message_noun())}" template"</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{t.version.to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1 class="govuk-heading-l">"Templates"</h1>
        {if empty {
            view! { <p class="govuk-body">"You have not made any templates yet."</p> }.into_any()
        } else {
            view! {
                <table class="govuk-table">
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Name"</th>
                            <th scope="col" class="govuk-table__header">"Type"</th>
                            <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Version"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">{rows}</tbody>
                </table>
            }
            .into_any()
        }}
        <a href=service.path("/templates/new") role="button" draggable="false" class="govuk-button" data-module="govuk-button">
            "New template"
        </a>
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
        let group = if type_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
        let items = TemplateType::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let id = if i == 0 { "template_type".to_string() } else { format!("template_type-{}", i + 1) };
                view! {
                    <div class="govuk-radios__item">
                        <input class="govuk-radios__input" id=id.clone() name="template_type" type="radio" value=t.as_str() checked=form.template_type == t.as_str()/>
                        <label class="govuk-label govuk-radios__label" for=id>{capitalise(t.message_noun())}</label>
                    </div>
                }
            })
            .collect_view();
        view! {
            <div class=group>
                <fieldset class="govuk-fieldset">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Type of template"</legend>
                    {type_error.map(|e| view! { <p id="template_type-error" class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p> })}
                    <div class="govuk-radios govuk-radios--small" data-module="govuk-radios">{items}</div>
                </fieldset>
            </div>
        }
        .into_any()
    };
    let content_group =
        if content_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
    let content_class = if content_error.is_some() { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" };
    view! {
        <a href=service.path("/templates") class="govuk-back-link">"Back"</a>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">{if editing { "Edit template" } else { "New template" }}</h1>
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
                    <div class=content_group>
                        <label class="govuk-label" for="template_content">"Message"</label>
                        <div id="template_content-hint" class="govuk-hint">"Use double brackets to personalise your message: ((first name))"</div>
                        {content_error.map(|e| view! { <p id="template_content-error" class="govuk-error-message"><span class="govuk-visually-hidden">"Error: "</span>{e}</p> })}
                        <textarea class=content_class id="template_content" name="template_content" rows="8" aria-describedby="template_content-hint">{form.content.clone()}</textarea>
                    </div>
                    <Button text="Save"/>
                </form>
            </div>
        </div>
    }
}
