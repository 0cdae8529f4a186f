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
            <ErrorMessage id=format!("{id}-error") message=error/>
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

/// `govuk-form-group`, with its error modifier when `error`.
fn group_class(error: bool) -> &'static str {
    if error {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    }
}

/// A textarea's content as HTML. Leptos writes a textarea's text child as
/// it is on the server, so a value holding `</textarea>` would end the
/// element and the rest would be markup (and `&amp;` would come back as
/// `&`). Escaped here instead, and led by a newline, which the HTML parser
/// drops, so that a value's own leading newline is kept. What the browser
/// shows, and sends back, is exactly `value`.
pub fn textarea_html(value: &str) -> String {
    let mut html = String::with_capacity(value.len() + 16);
    html.push('\n');
    escape_html_into(&mut html, value);
    html
}

/// Text for `inner_html` (or any HTML written by hand): `&`, `<`, `>` and
/// both quotes escaped.
pub fn escape_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    escape_html_into(&mut html, text);
    html
}

fn escape_html_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

/// GOV.UK textarea with label, hint and inline error.
#[component]
pub fn Textarea(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] bold_label: bool,
    hint: &'static str,
    value: String,
    error: Option<String>,
    #[prop(default = 5)] rows: u32,
    #[prop(optional)] no_spellcheck: bool,
) -> impl IntoView {
    let has_error = error.is_some();
    let label_class = if bold_label { "govuk-label govuk-label--s" } else { "govuk-label" };
    let class = if has_error { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" };
    let described = if has_error { format!("{name}-hint {name}-error") } else { format!("{name}-hint") };
    view! {
        <div class=group_class(has_error)>
            <label class=label_class for=name>{label}</label>
            <div id=format!("{name}-hint") class="govuk-hint">{hint}</div>
            <ErrorMessage id=format!("{name}-error") message=error/>
            <textarea
                class=class
                id=name
                name=name
                rows=rows.to_string()
                spellcheck=no_spellcheck.then_some("false")
                aria-describedby=described
                inner_html=textarea_html(&value)
            ></textarea>
        </div>
    }
}

/// One choice of a [`Radios`] group.
pub struct RadioItem {
    /// What the form sends: a fixed word, or an id.
    pub value: std::borrow::Cow<'static, str>,
    pub label: String,
    pub hint: Option<AnyView>,
    pub disabled: bool,
}

/// GOV.UK radios in a fieldset with a legend and inline error; the first
/// input's id is `name` (what the error summary links to), the others
/// `name-2`, `name-3`…
#[component]
pub fn Radios(
    name: &'static str,
    legend: &'static str,
    items: Vec<RadioItem>,
    checked: String,
    error: Option<String>,
    #[prop(optional)] small: bool,
) -> impl IntoView {
    let has_error = error.is_some();
    let error_id = format!("{name}-error");
    let described = has_error.then(|| error_id.clone());
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let id = if i == 0 { name.to_string() } else { format!("{name}-{}", i + 1) };
            let hint_id = format!("{id}-item-hint");
            let has_hint = item.hint.is_some();
            view! {
                <div class="govuk-radios__item">
                    <input
                        class="govuk-radios__input"
                        id=id.clone()
                        name=name
                        type="radio"
                        value=item.value.to_string()
                        checked=checked == item.value && !item.disabled
                        disabled=item.disabled
                        aria-describedby=has_hint.then(|| hint_id.clone())
                    />
                    <label class="govuk-label govuk-radios__label" for=id>{item.label}</label>
                    {item.hint.map(|h| view! { <div id=hint_id class="govuk-hint govuk-radios__hint">{h}</div> })}
                </div>
            }
        })
        .collect_view();
    view! {
        <div class=group_class(has_error)>
            <fieldset class="govuk-fieldset" aria-describedby=described>
                <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{legend}</legend>
                <ErrorMessage id=error_id message=error/>
                <div class=if small { "govuk-radios govuk-radios--small" } else { "govuk-radios" } data-module="govuk-radios">
                    {items}
                </div>
            </fieldset>
        </div>
    }
}
