//! "Upload a list of recipients" and the page that checks the file
//! (Notify's words and order of problems).

use crate::components::{BackLink, CsrfField, ErrorSummary};
use crate::domain::recipient_file::{ErrorCounts, RowErrors, MAX_ROWS, MAX_ROWS_SHOWN};
use crate::domain::thousands;
use crate::domain::TemplateType;
use crate::view_model::{FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

fn recipients_noun(kind: TemplateType, n: usize) -> String {
    let (one, many) = match kind {
        TemplateType::Email => ("email address", "email addresses"),
        TemplateType::Sms => ("phone number", "phone numbers"),
        TemplateType::Letter => ("address", "addresses"),
    };
    format!("{} {}", thousands(n as i64), if n == 1 { one } else { many })
}

fn messages_noun(kind: TemplateType, n: usize) -> String {
    let (one, many) = match kind {
        TemplateType::Email => ("email", "emails"),
        TemplateType::Sms => ("text message", "text messages"),
        TemplateType::Letter => ("letter", "letters"),
    };
    format!("{} {}", thousands(n as i64), if n == 1 { one } else { many })
}

/// `/services/{id}/send/{template_id}/csv`.
#[derive(Clone, Debug)]
pub struct UploadForm {
    pub template_id: String,
    pub template_name: String,
    pub template_type: TemplateType,
    /// The columns the file needs: the recipient's, then one per placeholder.
    pub columns: Vec<String>,
    pub errors: FormErrors,
}

impl ServicePageContent for UploadForm {
    fn title(&self) -> String {
        match self.template_type {
            TemplateType::Email => "Upload a list of email addresses".into(),
            TemplateType::Sms => "Upload a list of phone numbers".into(),
            TemplateType::Letter => "Upload a list of addresses".into(),
        }
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let f = self.clone();
        let title = self.title();
        let error = f.errors.for_field("file");
        let group_class = if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
        let needed = f.columns.iter().map(|c| view! { <li><code>{c.clone()}</code></li> }).collect_view();
        let described = if error.is_some() { "file-hint file-error" } else { "file-hint" };
        view! {
            <BackLink href=service.path(&format!("/templates/{}", f.template_id))/>
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=f.errors.clone()/>
                    <h1 class="govuk-heading-l">{title}</h1>
                    <p class="govuk-body">{format!("Your file will fill in the template ‘{}’. It needs a column for each of these, in any order:", f.template_name)}</p>
                    <ul class="govuk-list govuk-list--bullet">{needed}</ul>
                    <form method="post" enctype="multipart/form-data" novalidate>
                        <CsrfField token=csrf_token.to_string()/>
                        <div class=group_class>
                            <label class="govuk-label govuk-label--s" for="file">"Upload a file"</label>
                            <div id="file-hint" class="govuk-hint">
                                {format!("A .csv, .tsv, .xlsx, .xlsm, .xls or .ods file, smaller than 10MB, with up to {} rows", thousands(MAX_ROWS as i64))}
                            </div>
                            <crate::components::ErrorMessage id="file-error" message=error.clone()/>
                            <input class="govuk-file-upload" id="file" name="file" type="file" accept=".csv,.tsv,.xlsx,.xlsm,.xls,.ods,text/csv,text/tab-separated-values,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel.sheet.macroEnabled.12" aria-describedby=described/>
                        </div>
                        <button type="submit" class="govuk-button" data-module="govuk-button">"Upload your file"</button>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// A banner of the check page: a heading and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    pub heading: String,
    pub body: Vec<String>,
}

/// `/services/{id}/{template_id}/check/{upload_id}`.
#[derive(Clone, Debug)]
pub struct CheckUpload {
    pub template_id: String,
    pub template_name: String,
    pub template_type: TemplateType,
    pub file_name: String,
    /// The first problem found, in Notify's order (none: the row errors, if
    /// any, say what to fix).
    pub banner: Option<Banner>,
    pub counts: ErrorCounts,
    pub rows_with_errors: Vec<RowErrors>,
    pub rows: usize,
    /// A good file: its first message.
    pub preview: Option<(String, Option<String>, String)>,
    pub upload_id: String,
    /// When it may be sent, after "Now": (value, label).
    pub send_times: Vec<(String, String)>,
    /// The send form's errors (a time no longer offered).
    pub errors: FormErrors,
}

impl ServicePageContent for CheckUpload {
    fn title(&self) -> String {
        if self.preview.is_some() {
            format!("Preview of {}", self.template_name)
        } else {
            "There’s a problem with your file".into()
        }
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let c = self.clone();
        let csrf_token = csrf_token.to_string();
        let again = service.path(&format!("/send/{}/csv", c.template_id));
        let banner = c.banner.clone().map(|b| {
            let body = b.body.into_iter().map(|p| view! { <p class="govuk-body">{p}</p> }).collect_view();
            view! {
                <div class="govuk-error-summary" data-module="govuk-error-summary">
                    <div role="alert">
                        <h2 class="govuk-error-summary__title">{b.heading}</h2>
                        <div class="govuk-error-summary__body">{body}</div>
                    </div>
                </div>
            }
        });
        let kind = c.template_type;
        let needs = c.counts.needs(kind);
        let row_errors = (c.banner.is_none() && !c.rows_with_errors.is_empty()).then(|| {
            let heading = if c.rows_with_errors.len() == 1 && needs.len() == 1 {
                format!("There’s a problem with {}", c.file_name)
            } else {
                format!("There are some problems with {}", c.file_name)
            };
            let needs = format!("You need to {}.", join_and(&needs));
            let shown = c.rows_with_errors.len();
            let rows = c
                .rows_with_errors
                .iter()
                .map(|r| {
                    let problems = r
                        .errors
                        .iter()
                        .map(|e| view! { <li>{format!("{}: {}", e.column, e.message)}</li> })
                        .collect_view();
                    view! {
                        <tr class="govuk-table__row">
                            <th scope="row" class="govuk-table__header">{r.row}</th>
                            <td class="govuk-table__cell"><ul class="govuk-list">{problems}</ul></td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="govuk-error-summary" data-module="govuk-error-summary">
                    <div role="alert">
                        <h2 class="govuk-error-summary__title">{heading}</h2>
                        <div class="govuk-error-summary__body"><p class="govuk-body">{needs}</p></div>
                    </div>
                </div>
                <table class="govuk-table">
                    <caption class="govuk-table__caption govuk-table__caption--m">
                        {if shown >= MAX_ROWS_SHOWN { format!("Only showing the first {MAX_ROWS_SHOWN} rows with errors") } else { "Rows with errors".to_string() }}
                    </caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Row"</th>
                            <th scope="col" class="govuk-table__header">"What to fix"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">{rows}</tbody>
                </table>
            }
        });
        let time_error = c.errors.for_field("scheduled_for");
        let times = c
            .send_times
            .iter()
            .map(|(value, label)| view! { <option value=value.clone()>{label.clone()}</option> })
            .collect_view();
        let preview = c.preview.clone().map(|(recipient, subject, body)| {
            let paragraphs = body.split("\n\n").map(|p| view! { <p class="govuk-body notify-preserve-lines">{p.to_string()}</p> }).collect_view();
            view! {
                <h1 class="govuk-heading-l">{format!("Preview of {}", c.template_name)}</h1>
                <p class="govuk-body">{format!("‘{}’ has {} with no problems.", c.file_name, recipients_noun(kind, c.rows))}</p>
                <dl class="govuk-summary-list">
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">"To"</dt>
                        <dd class="govuk-summary-list__value">{recipient}</dd>
                    </div>
                    {subject.map(|s| view! {
                        <div class="govuk-summary-list__row">
                            <dt class="govuk-summary-list__key">"Subject"</dt>
                            <dd class="govuk-summary-list__value">{s}</dd>
                        </div>
                    })}
                </dl>
                <div class="govuk-inset-text">{paragraphs}</div>
                <form method="post" action=service.path(&format!("/start-job/{}", c.upload_id)) novalidate>
                    <CsrfField token=csrf_token.clone()/>
                    <div class=if time_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <label class="govuk-label govuk-label--s" for="scheduled_for">"When should these messages be sent?"</label>
                        <div id="scheduled_for-hint" class="govuk-hint">"Now, or at a time within the next 4 days"</div>
                        <crate::components::ErrorMessage id="scheduled_for-error" message=time_error.clone()/>
                        <select class="govuk-select" id="scheduled_for" name="scheduled_for" aria-describedby=if time_error.is_some() { "scheduled_for-hint scheduled_for-error" } else { "scheduled_for-hint" }>
                            <option value="" selected>"Now"</option>
                            {times}
                        </select>
                    </div>
                    <button type="submit" class="govuk-button" data-module="govuk-button">{format!("Send {}", messages_noun(kind, c.rows))}</button>
                </form>
            }
        });
        let heading = c.preview.is_none().then(|| view! { <h1 class="govuk-heading-l">{c.file_name.clone()}</h1> });
        view! {
            <BackLink href=again.clone()/>
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-full">
                    <ErrorSummary errors=c.errors.clone()/>
                    {banner}
                    {heading}
                    {row_errors}
                    {preview}
                    <p class="govuk-body"><a class="govuk-link govuk-link--no-visited-state" href=again>"Upload a different file"</a></p>
                </div>
            </div>
        }
        .into_any()
    }
}

/// "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The check page's banner for a file, in Notify's order.
pub fn banner_for(
    kind: TemplateType,
    file_name: &str,
    checked: &crate::domain::recipient_file::Checked,
    sent_previously: bool,
    not_allowed: usize,
    remaining_today: i64,
) -> Option<Banner> {
    if checked.too_many_rows {
        return Some(Banner {
            heading: "Your file has too many rows".into(),
            body: vec![format!(
                "Notify can process up to {} rows at once. Your file has more.",
                thousands(MAX_ROWS as i64)
            )],
        });
    }
    if checked.rows == 0 && checked.missing_recipient_columns.is_empty() {
        return Some(Banner {
            heading: "Your file is missing some rows".into(),
            body: vec!["It needs at least one row of data.".into()],
        });
    }
    if !checked.missing_recipient_columns.is_empty() {
        let body = match kind {
            TemplateType::Letter => "Your file needs at least 3 address columns, for example ‘address line 1’, ‘address line 2’ and ‘address line 3’.".to_string(),
            _ => format!("Your file needs a column called ‘{}’.", checked.missing_recipient_columns[0]),
        };
        return Some(Banner { heading: "There’s a problem with your column names".into(), body: vec![body] });
    }
    if let Some(column) = checked.duplicate_recipient_columns.first() {
        return Some(Banner {
            heading: "There’s a problem with your column names".into(),
            body: vec![format!(
                "We found more than one column called ‘{column}’. Delete or rename one of these columns and try again."
            )],
        });
    }
    if !checked.missing_placeholders.is_empty() {
        let names: Vec<String> = checked.missing_placeholders.iter().map(|p| format!("‘{p}’")).collect();
        let plural = if names.len() == 1 { "a column" } else { "columns" };
        return Some(Banner {
            heading: "Your column names need to match the double brackets in your template".into(),
            body: vec![format!("Your file is missing {plural} called {}.", join_and(&names))],
        });
    }
    if sent_previously {
        return Some(Banner {
            heading: "These messages have already been sent today".into(),
            body: vec!["If you need to resend them, rename the file and upload it again.".into()],
        });
    }
    if not_allowed > 0 && kind == TemplateType::Letter {
        return Some(Banner {
            heading: "You cannot send these letters".into(),
            body: vec!["In trial mode you can only preview how your letters will look.".into()],
        });
    }
    if not_allowed > 0 {
        let noun = match kind {
            TemplateType::Sms => "phone numbers",
            _ => "email addresses",
        };
        return Some(Banner {
            heading: format!("You cannot send to these {noun}"),
            body: vec![
                "In trial mode you can only send to yourself, members of your team and people on your guest list."
                    .into(),
                format!(
                    "{} in ‘{file_name}’ {} not.",
                    recipients_noun(kind, not_allowed),
                    if not_allowed == 1 { "is" } else { "are" }
                ),
            ],
        });
    }
    if checked.rows as i64 > remaining_today {
        return Some(Banner {
            heading: if remaining_today == 0 { "Daily limit reached".into() } else { "Too many recipients".into() },
            body: vec![format!(
                "You can still send {} today, but ‘{file_name}’ contains {}.",
                messages_noun(kind, remaining_today.max(0) as usize),
                recipients_noun(kind, checked.rows)
            )],
        });
    }
    None
}

/// `/services/{id}/send/{template_id}/one-off`: "Send one message", the
/// recipient and each placeholder typed in.
#[derive(Clone, Debug)]
pub struct SendOneForm {
    pub template_id: String,
    pub template_name: String,
    pub template_type: TemplateType,
    /// The template's placeholders, in its order, with what was typed.
    pub placeholders: Vec<(String, String)>,
    pub recipient: String,
    pub errors: FormErrors,
}

impl ServicePageContent for SendOneForm {
    fn title(&self) -> String {
        format!("Send ‘{}’", self.template_name)
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let f = self.clone();
        let title = self.title();
        let (label, kind, autocomplete) = match f.template_type {
            TemplateType::Sms => ("Phone number", "tel", "tel"),
            _ => ("Email address", "email", "email"),
        };
        let field = |id: String,
                     label: String,
                     value: String,
                     input_type: &'static str,
                     autocomplete: Option<&'static str>,
                     error: Option<String>| {
            let group = if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
            let input = if error.is_some() { "govuk-input govuk-input--error" } else { "govuk-input" };
            let error_id = format!("{id}-error");
            let described = error.is_some().then(|| error_id.clone());
            view! {
                <div class=group>
                    <label class="govuk-label govuk-label--s" for=id.clone()>{label}</label>
                    <crate::components::ErrorMessage id=error_id message=error/>
                    <input class=input id=id.clone() name=id type=input_type value=value spellcheck="false" autocomplete=autocomplete aria-describedby=described/>
                </div>
            }
        };
        let recipient = field(
            crate::domain::recipient_file::ONE_OFF_RECIPIENT_FIELD.to_string(),
            label.to_string(),
            f.recipient.clone(),
            kind,
            Some(autocomplete),
            f.errors.for_field(crate::domain::recipient_file::ONE_OFF_RECIPIENT_FIELD),
        );
        let placeholders = f
            .placeholders
            .iter()
            .enumerate()
            .map(|(i, (name, value))| {
                let id = format!("placeholder-{i}");
                let error = f.errors.for_field(&id);
                field(id, name.clone(), value.clone(), "text", None, error)
            })
            .collect_view();
        view! {
            <BackLink href=service.path("/templates")/>
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=f.errors.clone()/>
                    <h1 class="govuk-heading-l">{title}</h1>
                    <form method="post" novalidate>
                        <CsrfField token=csrf_token.to_string()/>
                        {recipient}
                        {placeholders}
                        <button type="submit" class="govuk-button" data-module="govuk-button">{format!("Send 1 {}", f.template_type.message_noun())}</button>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}
