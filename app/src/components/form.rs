//! GOV.UK form components: the CSRF field, error summary and message, text
//! input, button and back link.

use crate::view_model::FormErrors;
use leptos::prelude::*;

/// GOV.UK back link.
#[component]
pub fn BackLink(#[prop(into)] href: String) -> impl IntoView {
    view! { <a href=href class="govuk-back-link">"Back"</a> }
}

/// GOV.UK inline error message, `id="{field}-error"`, for the field the
/// error summary links to.
#[component]
pub fn ErrorMessage(#[prop(into)] id: String, message: Option<String>) -> impl IntoView {
    message.map(|m| {
        view! {
            <p id=id class="govuk-error-message">
                <span class="govuk-visually-hidden">"Error: "</span>
                {m}
            </p>
        }
    })
}

/// The hidden field that ties a form to the session (CSRF protection).
#[component]
pub fn CsrfField(token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf_token" value=token/> }
}

/// GOV.UK error summary: `There is a problem`, each error linking to its field.
#[component]
pub fn ErrorSummary(errors: FormErrors) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        view! {
            <div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1">
                <div role="alert">
                    <h2 class="govuk-error-summary__title">"There is a problem"</h2>
                    <div class="govuk-error-summary__body">
                        <ul class="govuk-list govuk-error-summary__list">
                            {errors
                                .0
                                .into_iter()
                                .map(|e| {
                                    view! {
                                        <li>
                                            <a href=format!("#{}", e.field)>{e.message}</a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </div>
                </div>
            </div>
        }
    })
}

/// GOV.UK text input with label, optional hint and inline error.
#[component]
pub fn TextInput(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] spellcheck: Option<bool>,
    #[prop(optional, into)] classes: Option<String>,
    #[prop(optional)] label_is_page_heading: bool,
) -> impl IntoView {
    let id = name.clone();
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let error_id = error.as_ref().map(|_| format!("{id}-error"));
    let described_by = [hint_id.clone(), error_id.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let group_class = if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
    let input_class = format!(
        "govuk-input{}{}",
        if error.is_some() { " govuk-input--error" } else { "" },
        classes.map(|c| format!(" {c}")).unwrap_or_default()
    );
    let label_view = if label_is_page_heading {
        view! {
            <h1 class="govuk-label-wrapper">
                <label class="govuk-label govuk-label--l" for=id.clone()>{label}</label>
            </h1>
        }
        .into_any()
    } else {
        view! { <label class="govuk-label" for=id.clone()>{label}</label> }.into_any()
    };
    view! {
        <div class=group_class>
            {label_view}
            {hint.map(|h| view! { <div id=hint_id.clone() class="govuk-hint">{h}</div> })}
            {error.map(|e| {
                view! {
                    <p id=error_id.clone() class="govuk-error-message">
                        <span class="govuk-visually-hidden">"Error: "</span>
                        {e}
                    </p>
                }
            })}
            <input
                class=input_class
                id=id
                name=name
                type=input_type
                value=value
                autocomplete=autocomplete
                spellcheck=spellcheck.map(|s| if s { "true" } else { "false" })
                aria-describedby=(!described_by.is_empty()).then_some(described_by)
            />
        </div>
    }
}

/// GOV.UK button (a form submit button).
#[component]
pub fn Button(#[prop(into)] text: String, #[prop(optional, into)] classes: Option<String>) -> impl IntoView {
    let class = format!("govuk-button{}", classes.map(|c| format!(" {c}")).unwrap_or_default());
    view! {
        <button type="submit" class=class data-module="govuk-button" data-prevent-double-click="true">
            {text}
        </button>
    }
}
