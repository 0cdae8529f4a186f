//! "Send one message" from a template (issue 23): the recipient and the
//! placeholders typed in, checked through the same checks as a file (the
//! message is a list of one row: `ssr::uploads::check_file`), then stored
//! as a message of the team member, not of the API: it is not in the API
//! integration page's message log, as in Notify.

use crate::domain::recipient_file::{self, recipient_columns, rows_to_text};
use crate::domain::{template_fields, TemplateType};
use crate::ssr::jobs::{default_sender, RowMessages};
use crate::ssr::store::{self, Store};
use crate::ssr::uploads::{check_file, FileToCheck, Restriction};

use crate::domain::recipient_file::ONE_OFF_RECIPIENT_FIELD as RECIPIENT_FIELD;

/// The form's field for the template's `i`th placeholder.
pub fn placeholder_field(i: usize) -> String {
    format!("placeholder-{i}")
}

/// The placeholders a template's form asks for, in the template's order
/// (the recipient's own column aside).
pub fn placeholders(template: &store::Template) -> Vec<String> {
    let recipient: Vec<String> =
        recipient_columns(template.template_type).iter().map(|c| recipient_file::column_key(c)).collect();
    template_fields(template.subject.as_deref(), &template.content)
        .into_iter()
        .filter(|f| !recipient.contains(&recipient_file::column_key(f)))
        .collect()
}

/// Sends one message of `template` (an email or text message template) to
/// `recipient`, its placeholders filled with `values` (in
/// [`placeholders`]' order): the message's id, or what is wrong, by field.
pub async fn send(
    pool: &Store,
    service: &store::Service,
    template: &store::Template,
    recipient: &str,
    values: &[String],
) -> anyhow::Result<Result<String, Vec<(String, String)>>> {
    let kind = template.template_type;
    anyhow::ensure!(kind != TemplateType::Letter, "letters are sent from a file");
    let names = placeholders(template);
    let recipient_column = recipient_columns(kind)[0];
    let header: Vec<String> = std::iter::once(recipient_column.to_string()).chain(names.iter().cloned()).collect();
    let row: Vec<String> = std::iter::once(recipient.trim().to_string())
        .chain((0..names.len()).map(|i| values.get(i).cloned().unwrap_or_default()))
        .collect();
    let text = rows_to_text([header, row]);
    let file = FileToCheck { file_name: "", content: &text, delimiter: b',' };
    let check = check_file(pool, service, template, &file, Restriction::of_service(service), false).await?;
    let noun = kind.message_noun();
    let mut errors: Vec<(String, String)> = Vec::new();
    match &check.checked {
        Err(problem) => errors.push((RECIPIENT_FIELD.into(), problem.message())),
        // Nothing typed at all: a blank row, which a file skips.
        Ok(checked) if checked.rows == 0 => {
            let whom = if kind == TemplateType::Email { "Enter an email address" } else { "Enter a phone number" };
            errors.push((RECIPIENT_FIELD.into(), whom.into()));
            errors.extend(names.iter().enumerate().map(|(i, n)| (placeholder_field(i), format!("Enter {n}"))));
        }
        Ok(checked) => {
            for cell in checked.rows_with_errors.iter().flat_map(|r| &r.errors) {
                let at = names
                    .iter()
                    .position(|n| recipient_file::column_key(n) == recipient_file::column_key(&cell.column));
                let (field, message) = match (cell.column.as_str(), at) {
                    (c, _) if c == recipient_column => (
                        RECIPIENT_FIELD.to_string(),
                        match (cell.message.as_str(), kind) {
                            ("Missing", TemplateType::Email) => "Enter an email address".to_string(),
                            ("Missing", _) => "Enter a phone number".to_string(),
                            (other, _) => other.to_string(),
                        },
                    ),
                    (_, Some(i)) => (placeholder_field(i), format!("Enter {}", names[i])),
                    // The message as a whole (too long, or empty).
                    _ => (
                        names.first().map(|_| placeholder_field(0)).unwrap_or(RECIPIENT_FIELD.into()),
                        cell.message.clone(),
                    ),
                };
                if !errors.iter().any(|(f, _)| *f == field) {
                    errors.push((field, message));
                }
            }
            if errors.is_empty() && check.not_allowed > 0 {
                let whom = if kind == TemplateType::Email { "email address" } else { "phone number" };
                errors.push((
                    RECIPIENT_FIELD.into(),
                    format!("You cannot send to this {whom}: in trial mode you can only send to yourself, members of your team and people on your guest list"),
                ));
            }
            if errors.is_empty() && check.remaining_today < 1 {
                errors.push((
                    RECIPIENT_FIELD.into(),
                    format!("You cannot send any more {noun}s today: your daily limit is reached"),
                ));
            }
        }
    }
    if errors.is_empty() && !check.is_sendable() {
        // Not expected: every check above has its words.
        errors.push((RECIPIENT_FIELD.into(), "This message cannot be sent".into()));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let keys: Vec<String> = match records.next() {
        Some(Ok(header)) => header.iter().map(recipient_file::column_key).collect(),
        _ => anyhow::bail!("a one-off message's row could not be read back"),
    };
    let record = match records.next() {
        Some(Ok(record)) => record,
        _ => anyhow::bail!("a one-off message's row could not be read back"),
    };
    let reply_to = default_sender(pool, service, template).await?;
    let Some(message) = RowMessages::of_template(&service.id, template, reply_to).message(&keys, &record, None) else {
        anyhow::bail!("a checked one-off message could not be made");
    };
    store::create_notifications(pool, &[&message]).await?;
    tracing::info!(service_id = %service.id, notification_id = %message.id, "one message sent from the admin");
    Ok(Ok(message.id))
}
