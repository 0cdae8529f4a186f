//! "Upload a list of recipients" (Notify's flow, issue 23): a file stored
//! as text, then checked against its template, its service's trial mode and
//! its daily limit, row by row (`domain::recipient_file`). The check page
//! shows what the checks found; `ssr::jobs` sends a file that passes them.

use crate::domain::recipient_file::{self, Checked, FileProblem, TemplateShape};
use crate::domain::template::fill;
use crate::domain::{EmailAddress, PhoneNumber, TemplateType};
use crate::ssr::recipients::{is_team_or_guest, Recipient};
use crate::ssr::{clock, store};

/// Why an upload is refused before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadProblem {
    NoFile,
    NotASpreadsheet,
    /// A spreadsheet format not read.
    SaveAsCsv,
    File(FileProblem),
}

impl UploadProblem {
    pub fn message(&self) -> String {
        match self {
            UploadProblem::NoFile => "You need to choose a file to upload".into(),
            UploadProblem::NotASpreadsheet => "The file must be a spreadsheet that Notify can read".into(),
            UploadProblem::SaveAsCsv => "Notify cannot read this file - try saving it as a CSV instead".into(),
            UploadProblem::File(p) => p.message(),
        }
    }
}

/// How a file is read, by its name's extension.
enum FileKind {
    /// Text, its cells separated by this.
    Text(char),
    /// An Excel workbook (`.xlsx`, `.xlsm`), read cell by cell here.
    Excel,
    /// A spreadsheet read whole (`.xls`, `.ods`), by a [`SheetReader`].
    Sheet,
}

/// Reads a spreadsheet (`.xls`, `.ods`) as CSV text where a file that
/// unpacks to gigabytes cannot hurt (the server: a child process under the
/// kernel's limits).
pub trait SheetReader: Send + Sync {
    fn read_whole_sheet(
        &self,
        bytes: Vec<u8>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, FileProblem>> + Send + '_>>;
}

fn kind_of(file_name: &str) -> Result<FileKind, UploadProblem> {
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "csv" => Ok(FileKind::Text(',')),
        "tsv" => Ok(FileKind::Text('\t')),
        "xlsx" | "xlsm" => Ok(FileKind::Excel),
        "xls" | "ods" => Ok(FileKind::Sheet),
        _ => Err(UploadProblem::NotASpreadsheet),
    }
}

/// Stores an uploaded file for `template` (it is checked when its page is
/// shown): the upload's id.
pub async fn upload(
    pool: &store::Store,
    service_id: &str,
    template: &store::Template,
    user_id: &str,
    file_name: &str,
    bytes: &[u8],
    sheets: &dyn SheetReader,
) -> anyhow::Result<Result<String, UploadProblem>> {
    let file_name = file_name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if file_name.is_empty() && bytes.is_empty() {
        return Ok(Err(UploadProblem::NoFile));
    }
    let kind = match kind_of(file_name) {
        Ok(kind) => kind,
        Err(problem) => return Ok(Err(problem)),
    };
    let (delimiter, read) = match kind {
        FileKind::Text(delimiter) => (delimiter, recipient_file::decode(bytes)),
        // Kept as CSV text, as Notify keeps every file it reads.
        FileKind::Excel => (',', recipient_file::read_excel(bytes)),
        FileKind::Sheet if bytes.len() > recipient_file::MAX_FILE_BYTES => (',', Err(FileProblem::TooLarge)),
        FileKind::Sheet => (',', sheets.read_whole_sheet(bytes.to_vec()).await),
    };
    let text = match read {
        Ok(text) => text,
        Err(problem) => return Ok(Err(UploadProblem::File(problem))),
    };
    let name: String = file_name.chars().take(255).collect();
    Ok(Ok(store::create_upload(pool, service_id, &template.id, &name, delimiter, &text, user_id).await?))
}

/// A message filled in from the file's first row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
}

/// What the check page shows.
#[derive(Clone, Debug)]
pub struct UploadCheck {
    pub file_name: String,
    pub template_name: String,
    pub template_type: TemplateType,
    pub checked: Result<Checked, FileProblem>,
    /// In trial mode, the valid recipients who are neither team members nor
    /// on the guest list.
    pub not_allowed: usize,
    pub trial: bool,
    /// A job from a file of this name was sent with this version of the
    /// template today ("These messages have already been sent today").
    pub sent_previously: bool,
    /// Messages of this type the service may still send today.
    pub remaining_today: i64,
    pub preview: Option<Preview>,
}

impl UploadCheck {
    /// Whether the file could be sent as it is.
    pub fn is_sendable(&self) -> bool {
        matches!(&self.checked, Ok(c) if c.is_sendable())
            && self.not_allowed == 0
            && !self.sent_previously
            && self.checked.as_ref().is_ok_and(|c| (c.rows as i64) <= self.remaining_today)
    }
}

/// Checks an upload against its template, the service's trial mode and
/// what is left of today's limit.
pub async fn check_upload(
    pool: &store::Store,
    service: &store::Service,
    template: &store::Template,
    upload: &store::Upload,
) -> anyhow::Result<UploadCheck> {
    let file = FileToCheck {
        file_name: &upload.file_name,
        content: &upload.content,
        delimiter: if upload.delimiter == "\t" { b'\t' } else { b',' },
    };
    check_file(pool, service, template, &file, Restriction::of_service(service), true).await
}

/// A list of recipients as text, from an upload or the bulk API.
#[derive(Clone, Copy, Debug)]
pub struct FileToCheck<'a> {
    pub file_name: &'a str,
    pub content: &'a str,
    /// `b','`, or `b'\t'` for `.tsv`.
    pub delimiter: u8,
}

/// Who a list may be sent to, and whether it counts against the daily limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restriction {
    /// Anyone (a live service, from the admin or with a live key).
    Anyone,
    /// Team members and the guest list only (a service in trial mode, or a
    /// team key).
    TeamAndGuestList,
    /// Anyone, pretending (a test key): no daily limit either.
    Test,
}

impl Restriction {
    pub fn of_service(service: &store::Service) -> Self {
        if service.restricted {
            Restriction::TeamAndGuestList
        } else {
            Restriction::Anyone
        }
    }
}

/// Checks a list of recipients against its template, who it may be sent to
/// (`restriction`), what is left of today's limit and (`once_a_day`) files of
/// the same name sent today.
pub async fn check_file(
    pool: &store::Store,
    service: &store::Service,
    template: &store::Template,
    file: &FileToCheck<'_>,
    restriction: Restriction,
    once_a_day: bool,
) -> anyhow::Result<UploadCheck> {
    let shape = TemplateShape {
        kind: template.template_type,
        subject: template.subject.clone(),
        content: template.content.clone(),
    };
    let checked = recipient_file::check(file.content, file.delimiter, &shape);
    let remaining_today = if restriction == Restriction::Test {
        i64::MAX
    } else {
        let sending = store::sending_service(pool, &service.id).await?;
        let limit = sending.daily_limit(template.template_type);
        let sent =
            store::count_sent_since(pool, &service.id, template.template_type, clock::now().start_of_day()).await?;
        (limit - sent).max(0)
    };
    let mut not_allowed = 0;
    if let Ok(c) = &checked {
        // Letters cannot be sent in trial mode at all (Notify: "In trial
        // mode you can only preview how your letters will look").
        if restriction == Restriction::TeamAndGuestList && template.template_type == TemplateType::Letter {
            not_allowed = c.rows;
        }
        if restriction == Restriction::TeamAndGuestList && template.template_type != TemplateType::Letter {
            let (mut emails, mut mobiles) = store::team_contacts(pool, &service.id).await?;
            let guests = store::guest_list(pool, &service.id).await?;
            emails.extend(guests.email_addresses);
            mobiles.extend(guests.phone_numbers);
            not_allowed = c
                .recipients
                .iter()
                .filter_map(|r| match template.template_type {
                    TemplateType::Email => EmailAddress::parse(r).ok().map(Recipient::Email),
                    _ => PhoneNumber::parse(r).ok().map(Recipient::Phone),
                })
                .filter(|r| !is_team_or_guest(r, &emails, &mobiles))
                .count();
        }
    }
    let sent_previously = once_a_day
        && store::sent_previously(
            pool,
            &service.id,
            &template.id,
            template.version,
            file.file_name,
            clock::now().start_of_day(),
        )
        .await?;
    let preview = checked
        .as_ref()
        .ok()
        .filter(|c| c.is_sendable())
        .and_then(|_| first_row_preview(file.content, file.delimiter, template));
    Ok(UploadCheck {
        file_name: file.file_name.to_string(),
        template_name: template.name.clone(),
        template_type: template.template_type,
        checked,
        not_allowed,
        trial: restriction == Restriction::TeamAndGuestList,
        sent_previously,
        remaining_today,
        preview,
    })
}

/// The first row's message.
fn first_row_preview(text: &str, delimiter: u8, template: &store::Template) -> Option<Preview> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records.next()?.ok()?;
    let keys: Vec<String> = header.iter().map(recipient_file::column_key).collect();
    let row = records.filter_map(Result::ok).find(|r| r.iter().any(|c| !c.trim().is_empty()))?;
    let value = |name: &str| {
        let key = recipient_file::column_key(name);
        keys.iter().position(|k| *k == key).and_then(|i| row.get(i)).map(|v| v.trim().to_string())
    };
    let recipient = recipient_file::recipient_columns(template.template_type)
        .iter()
        .filter_map(|c| value(c))
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    Some(Preview {
        recipient,
        subject: template.subject.as_deref().map(|s| fill(s, &value)),
        body: fill(&template.content, &value),
    })
}
