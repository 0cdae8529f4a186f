//! Sending a list of recipients (issue 23): the one home of its rules,
//! called by the admin's "Send N emails" (a checked upload), the bulk API
//! (`POST /v2/notifications/bulk`) and the job worker.
//!
//! A job is made only from a file that passes every check of the check
//! page (`ssr::uploads::check_file`), again at the moment it is made, and
//! within the daily limit (counted in the same transaction as the job is
//! made). The worker then stores its rows as notifications a batch at a
//! time, each batch with the job's cursor, so a job resumed after a crash
//! (`kill -9`) stores every row exactly once.

use crate::activity::{JobMessageItem, JobProgress, JobSummary};
use crate::domain::job::JobStatus;
use crate::domain::recipient_file::{self, recipient_columns};
use crate::domain::senders::SenderKind;
use crate::domain::template::{fill, normalise_newlines, template_fields};
use crate::domain::{EmailAddress, KeyType, NotificationStatus, PhoneNumber, TemplateType, Timestamp};
use crate::ssr::clock;
use crate::ssr::store::{self, Job, JobRefused, JobRow, NewJob, NewNotification, Store};
use crate::ssr::uploads::{check_file, FileToCheck, Restriction, UploadCheck};

/// Rows stored in one transaction while no send waits for the writer:
/// large enough that a commit's cost (a sync) is spread thin. When sends
/// wait, a batch commits early (`store::store_job_batch`).
pub const BATCH_ROWS: usize = 1_000;

/// Rows made into messages between the worker's yields to other tasks.
const YIELD_EVERY: i64 = 32;

/// Why a job was not made.
#[derive(Clone, Debug)]
pub enum NotStarted {
    /// The file does not pass its checks now (the check page says why).
    Check(Box<UploadCheck>),
    /// Not enough left of today's limit.
    OverDailyLimit { remaining: i64, wanted: i64 },
}

/// Who asks for a job, and how.
#[derive(Clone, Debug)]
pub struct Sender {
    /// The team member (the admin).
    pub user_id: Option<String>,
    /// The API key (the bulk API), and its type.
    pub api_key_id: Option<String>,
    pub key_type: KeyType,
    pub restriction: Restriction,
}

impl Sender {
    /// A team member in the admin: as a live key, limited by trial mode.
    pub fn team_member(user_id: &str, service: &store::Service) -> Self {
        Sender {
            user_id: Some(user_id.to_string()),
            api_key_id: None,
            key_type: KeyType::Normal,
            restriction: Restriction::of_service(service),
        }
    }

    /// An API key: a team key sends to the team and guest list only, as a
    /// live key does in trial mode; a test key pretends.
    pub fn api_key(key_id: &str, key_type: KeyType, service: &store::Service) -> Self {
        let restriction = match key_type {
            KeyType::Test => Restriction::Test,
            KeyType::Team => Restriction::TeamAndGuestList,
            KeyType::Normal => Restriction::of_service(service),
        };
        Sender { user_id: None, api_key_id: Some(key_id.to_string()), key_type, restriction }
    }
}

/// A list to send: its name, its text and how its cells are separated.
#[derive(Clone, Copy, Debug)]
pub struct List<'a> {
    pub file_name: &'a str,
    pub content: &'a str,
    pub delimiter: u8,
}

/// Makes a job that sends `list` with `template`, now or at
/// `scheduled_for` (already within the 4 days allowed), after checking it
/// as the check page does. `reply_to_id`: one of the service's reply-to
/// addresses or text message senders (`None`: the default).
pub async fn start(
    pool: &Store,
    service: &store::Service,
    template: &store::Template,
    list: List<'_>,
    sender: &Sender,
    scheduled_for: Option<Timestamp>,
    reply_to: Option<String>,
) -> anyhow::Result<Result<Job, NotStarted>> {
    let file = FileToCheck { file_name: list.file_name, content: list.content, delimiter: list.delimiter };
    // The bulk API names its jobs; only files from the admin are refused
    // for having been sent today (Notify's check of the file name).
    let check = check_file(pool, service, template, &file, sender.restriction, sender.user_id.is_some()).await?;
    if !check.is_sendable() {
        return Ok(Err(NotStarted::Check(Box::new(check))));
    }
    let rows = check.checked.as_ref().map(|c| c.rows).unwrap_or_default() as i64;
    let reply_to = match reply_to {
        Some(value) => Some(value),
        None => default_sender(pool, service, template).await?,
    };
    let sending = store::sending_service(pool, &service.id).await?;
    let limit = sending.daily_limit(template.template_type);
    let job = NewJob {
        service_id: service.id.clone(),
        template_id: template.id.clone(),
        template_version: template.version,
        notification_type: template.template_type,
        template_subject: template.subject.clone(),
        template_content: template.content.clone(),
        original_file_name: list.file_name.to_string(),
        delimiter: list.delimiter as char,
        content: list.content.to_string(),
        notification_count: rows,
        scheduled_for,
        created_by: sender.user_id.clone(),
        api_key_id: sender.api_key_id.clone(),
        key_type: sender.key_type,
        reply_to,
    };
    Ok(match store::create_job(pool, &job, limit).await? {
        Ok(job) => {
            tracing::info!(service_id = %service.id, job_id = %job.id, rows, scheduled = scheduled_for.is_some(), "job made");
            Ok(job)
        }
        Err(JobRefused::OverDailyLimit { remaining }) => Err(NotStarted::OverDailyLimit { remaining, wanted: rows }),
    })
}

/// The service's default sender for the template's type: its default
/// reply-to address, text message sender, or the letter template's contact
/// block.
pub(crate) async fn default_sender(
    pool: &Store,
    service: &store::Service,
    template: &store::Template,
) -> anyhow::Result<Option<String>> {
    Ok(match template.template_type {
        TemplateType::Email => {
            store::senders(pool, &service.id, SenderKind::EmailReplyTo).await?.into_iter().next().map(|s| s.value)
        }
        TemplateType::Sms => {
            store::senders(pool, &service.id, SenderKind::SmsSender).await?.into_iter().next().map(|s| s.value)
        }
        TemplateType::Letter => match &template.letter_contact_id {
            Some(id) => store::senders(pool, &service.id, SenderKind::LetterContact)
                .await?
                .into_iter()
                .find(|s| &s.id == id)
                .map(|s| s.value),
            None => None,
        },
    })
}

/// What became of a job the worker took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Every row is stored: how many messages.
    Finished(i64),
    /// A scheduled job whose time came when the day's limit had no room.
    OverDailyLimit,
}

/// Sends a job the worker claimed: its rows stored as notifications from
/// where it got to, up to [`BATCH_ROWS`] at a time, each batch committed
/// with the job's cursor; then the job is `finished`. Between batches it
/// yields, and a batch commits early when the API's sends are waiting for
/// the writer, so they go first.
pub async fn send(pool: &Store, job: &store::JobWork) -> anyhow::Result<Sent> {
    // A scheduled job is checked against the limit of the day it starts.
    if job.job_status == JobStatus::Scheduled && job.rows_read == 0 && job.key_type != KeyType::Test {
        let sending = store::sending_service(pool, &job.service_id).await?;
        let limit = sending.daily_limit(job.notification_type);
        let sent =
            store::count_sent_since(pool, &job.service_id, job.notification_type, clock::now().start_of_day()).await?;
        if sent + job.notification_count > limit {
            store::end_job(pool, &job.id, JobStatus::SendingLimitsExceeded).await?;
            tracing::warn!(job_id = %job.id, "a scheduled job's day had no room for it: not sent");
            return Ok(Sent::OverDailyLimit);
        }
    }
    let rows = RowMessages::of_job(job);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if job.delimiter == "\t" { b'\t' } else { b',' })
        .has_headers(false)
        .flexible(true)
        .from_reader(job.content.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => anyhow::bail!("a job's file has no header"),
    };
    let keys: Vec<String> = header.iter().map(recipient_file::column_key).collect();
    let mut read = job.rows_read;
    let mut stored = 0i64;
    let mut waiting: std::collections::VecDeque<NewNotification> = std::collections::VecDeque::new();
    let mut records = records.skip(job.rows_read as usize);
    let mut more = true;
    while more || !waiting.is_empty() {
        // Fill the batch from the file.
        while more && waiting.len() < BATCH_ROWS {
            let Some(record) = records.next() else {
                more = false;
                break;
            };
            let record = record?;
            let row_number = read;
            read += 1;
            // Making messages is CPU work on the server's async threads:
            // a batch of it in one go kept requests waiting for tens of
            // milliseconds (bench/jobs.sh), so the worker steps aside often.
            if row_number % YIELD_EVERY == 0 {
                tokio::task::yield_now().await;
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            match rows.message(&keys, &record, Some(JobRow { job_id: job.id.clone(), row_number })) {
                Some(n) => waiting.push_back(n),
                // Checked when the job was made: not expected.
                None => {
                    tracing::error!(job_id = %job.id, row_number, "a job's row could not be made a message: skipped")
                }
            }
        }
        // The cursor after this batch: past every record read when the
        // batch is all that is left to store.
        let refs: Vec<&NewNotification> = waiting.iter().collect();
        let done = store::store_job_batch(pool, &job.id, &refs, read).await?;
        stored += done as i64;
        waiting.drain(..done);
        // Sends were waiting (or more is to come): let them have the writer.
        tokio::task::yield_now().await;
    }
    store::end_job(pool, &job.id, JobStatus::Finished).await?;
    Ok(Sent::Finished(stored))
}

/// Makes the rows of a list into messages: the template as it was, who
/// sends them and how. Used for a job's rows and for "Send one message".
pub(crate) struct RowMessages {
    service_id: String,
    template_id: String,
    template_version: i64,
    kind: TemplateType,
    subject: Option<String>,
    content: String,
    reply_to: Option<String>,
    key_type: KeyType,
    api_key_id: Option<String>,
    fields: Vec<String>,
}

impl RowMessages {
    fn of_job(job: &store::JobWork) -> Self {
        RowMessages {
            service_id: job.service_id.clone(),
            template_id: job.template_id.clone(),
            template_version: job.template_version,
            kind: job.notification_type,
            subject: job.template_subject.clone(),
            content: job.template_content.clone(),
            reply_to: job.reply_to.clone(),
            key_type: job.key_type,
            api_key_id: job.api_key_id.clone(),
            fields: template_fields(job.template_subject.as_deref(), &job.template_content),
        }
    }

    /// A team member's message from the admin (as a live key sends).
    pub(crate) fn of_template(service_id: &str, template: &store::Template, reply_to: Option<String>) -> Self {
        RowMessages {
            service_id: service_id.to_string(),
            template_id: template.id.clone(),
            template_version: template.version,
            kind: template.template_type,
            subject: template.subject.clone(),
            content: template.content.clone(),
            reply_to,
            key_type: KeyType::Normal,
            api_key_id: None,
            fields: template_fields(template.subject.as_deref(), &template.content),
        }
    }

    /// The message of a row (`keys`: the header's [`recipient_file::column_key`]s),
    /// `None` if it does not make one.
    pub(crate) fn message(
        &self,
        keys: &[String],
        record: &csv::StringRecord,
        job: Option<JobRow>,
    ) -> Option<NewNotification> {
        let value = |name: &str| {
            let key = recipient_file::column_key(name);
            keys.iter().position(|k| *k == key).map(|i| record.get(i).unwrap_or("").trim().to_string())
        };
        let recipient = match self.kind {
            TemplateType::Email => EmailAddress::parse(&value("email address")?).ok()?.as_str().to_string(),
            TemplateType::Sms => PhoneNumber::parse(&value("phone number")?).ok()?.as_str().to_string(),
            TemplateType::Letter => {
                let lines: Vec<String> = recipient_columns(TemplateType::Letter)
                    .iter()
                    .filter_map(|c| value(c))
                    .filter(|l| !l.is_empty())
                    .collect();
                if lines.len() < 3 {
                    return None;
                }
                lines.join("\n")
            }
        };
        let body = fill(&self.content, &value);
        let body = if self.kind == TemplateType::Sms { normalise_newlines(&body) } else { body };
        let personalisation: serde_json::Map<String, serde_json::Value> =
            self.fields.iter().filter_map(|f| value(f).map(|v| (f.clone(), serde_json::Value::String(v)))).collect();
        Some(NewNotification {
            id: uuid::Uuid::now_v7().to_string(),
            service_id: self.service_id.clone(),
            api_key_id: self.api_key_id.clone(),
            key_type: self.key_type,
            template_id: self.template_id.clone(),
            template_version: self.template_version,
            notification_type: self.kind,
            recipient,
            client_reference: None,
            personalisation: serde_json::Value::Object(personalisation).to_string(),
            subject: self.subject.as_deref().map(|s| fill(s, &value)),
            body,
            postage: (self.kind == TemplateType::Letter).then(|| "second".to_string()),
            created_at: clock::now(),
            reply_to: self.reply_to.clone(),
            one_click_unsubscribe_url: None,
            job,
        })
    }
}

/// A job's messages listed on its page.
pub const MESSAGES_SHOWN: i64 = 50;

/// What a job is doing, in words.
pub fn status_words(job: &Job) -> String {
    match job.job_status {
        JobStatus::Scheduled => match job.scheduled_for {
            Some(at) => format!("Scheduled for {}", crate::domain::london_time::datetime_short(at.time())),
            None => "Scheduled".into(),
        },
        JobStatus::Pending => "Waiting to send".into(),
        JobStatus::InProgress => "Sending".into(),
        JobStatus::Finished => "Finished".into(),
        JobStatus::Cancelled => "Cancelled".into(),
        JobStatus::SendingLimitsExceeded => "Not sent: the daily limit was reached".into(),
    }
}

/// A message's status as a job's page shows it: `Delivered`, `Sending`,
/// `Temporary failure`…
fn message_status(status: NotificationStatus, kind: TemplateType) -> String {
    let shown = status.shown(kind).replace('-', " ");
    let mut chars = shown.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// How far `job` has got, with its first [`MESSAGES_SHOWN`] messages
/// (linked to their pages when `link_messages`).
pub async fn progress(pool: &Store, job: &Job, link_messages: bool) -> anyhow::Result<JobProgress> {
    let counts = store::job_status_counts(pool, &job.id).await?;
    let count = |f: fn(NotificationStatus) -> bool| counts.iter().filter(|(s, _)| f(*s)).map(|(_, n)| n).sum::<i64>();
    let made: i64 = counts.iter().map(|(_, n)| n).sum();
    let delivered = count(|s| matches!(s, NotificationStatus::Delivered | NotificationStatus::Sent));
    let failed = count(|s| {
        matches!(
            s,
            NotificationStatus::TechnicalFailure
                | NotificationStatus::TemporaryFailure
                | NotificationStatus::PermanentFailure
                | NotificationStatus::ValidationFailed
                | NotificationStatus::VirusScanFailed
                | NotificationStatus::ReturnedLetter
                | NotificationStatus::Cancelled
        )
    });
    let still_coming = match job.job_status {
        JobStatus::Scheduled | JobStatus::Pending | JobStatus::InProgress => (job.notification_count - made).max(0),
        _ => 0,
    };
    let sending = made - delivered - failed + still_coming;
    let listed = store::job_messages(pool, &job.service_id, &job.id, MESSAGES_SHOWN + 1).await?;
    let more = listed.len() as i64 > MESSAGES_SHOWN;
    let messages = listed
        .into_iter()
        .take(MESSAGES_SHOWN as usize)
        .map(|m| JobMessageItem {
            row: m.job_row_number + 2,
            recipient: m.recipient.lines().next().unwrap_or("").to_string(),
            status: message_status(m.status, job.notification_type),
            href: link_messages.then(|| format!("/services/{}/notification/{}", job.service_id, m.id)),
        })
        .collect();
    let done =
        !matches!(job.job_status, JobStatus::Scheduled | JobStatus::Pending | JobStatus::InProgress) && sending == 0;
    Ok(JobProgress {
        status: status_words(job),
        total: job.notification_count,
        made,
        sending,
        delivered,
        failed,
        done,
        messages,
        more,
    })
}

/// The service's newest jobs, as its dashboard lists them.
pub async fn recent_jobs(pool: &Store, service_id: &str, limit: i64) -> anyhow::Result<Vec<JobSummary>> {
    Ok(store::list_jobs(pool, service_id, limit)
        .await?
        .into_iter()
        .map(|job| JobSummary {
            href: format!("/services/{}/jobs/{}", job.service_id, job.id),
            file_name: job.original_file_name.clone(),
            template_name: job.template_name.clone().unwrap_or_else(|| "Deleted template".into()),
            hint: sent_by(&job),
            status: status_words(&job),
            total: job.notification_count,
        })
        .collect())
}

/// `Sent by Ada Lovelace on 7 December at 9:00am`, or by the API.
pub fn sent_by(job: &Job) -> String {
    let when = crate::domain::london_time::datetime_short(job.created_at.time());
    match &job.created_by_name {
        Some(name) => format!("Sent by {name} on {when}"),
        None => format!("Sent through the API on {when}"),
    }
}
