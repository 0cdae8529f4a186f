//! A list of recipients uploaded to send a template to (Notify's
//! `RecipientCSV`): the file read as text (UTF-8, with or without a byte
//! order mark, or the common Windows encoding), its columns matched to the
//! template as Notify matches them (case, spaces, `_` and `-` ignored, and
//! invisible characters too), and every row checked, streaming: only the
//! counts and the first [`MAX_ROWS_SHOWN`] rows with errors are kept. A cell
//! is only ever text: a formula (`=HYPERLINK(…)`) is never evaluated.
//! Reading and checking run on the server (`decode`, `check`); the types
//! and words are shared with the pages.

#[cfg(feature = "ssr")]
use super::template::length_error;
#[cfg(feature = "ssr")]
use super::template::template_fields;
use super::template::TemplateType;
use super::thousands;
#[cfg(feature = "ssr")]
use super::{EmailAddress, PhoneNumber};

/// Notify's largest file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Rows one file may hold.
pub const MAX_ROWS: usize = 100_000;
/// Columns one file may have.
pub const MAX_COLUMNS: usize = 1_000;
/// The longest cell read, in characters (a message is at most 2 MB, and
/// no recipient or placeholder needs more than this).
pub const MAX_CELL_CHARS: usize = 100_000;
/// "Send one message"'s field for the recipient (its placeholders' are
/// `placeholder-0`, `placeholder-1`…).
pub const ONE_OFF_RECIPIENT_FIELD: &str = "recipient";
/// Rows with errors shown on the check page.
pub const MAX_ROWS_SHOWN: usize = 50;

/// Why a file cannot be checked at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    TooLarge,
    /// Not text (a binary file renamed `.csv`, say).
    CannotRead,
    TooManyColumns,
    /// A cell longer than [`MAX_CELL_CHARS`], in this row (1 is the header).
    CellTooLong(usize),
    /// A spreadsheet that unpacks to more than [`MAX_UNPACKED_BYTES`] (a
    /// "zip bomb", or a workbook of many sheets that are not needed).
    TooMuchToUnpack,
}

impl FileProblem {
    /// Notify's words.
    pub fn message(&self) -> String {
        match self {
            FileProblem::Empty => "The file is empty".into(),
            FileProblem::TooLarge => "The file must be smaller than 10MB".into(),
            FileProblem::CannotRead => "Notify cannot read this file - try using a different file type".into(),
            FileProblem::TooManyColumns => {
                format!("Your file has too many columns (Notify can process up to {MAX_COLUMNS} columns)")
            }
            FileProblem::TooMuchToUnpack => "Your file took too long to process – try again, or remove any sheets, columns or rows that are not needed".into(),
            FileProblem::CellTooLong(row) => format!(
                "Row {row} has a cell longer than {} characters - remove what is not needed and try again",
                thousands(MAX_CELL_CHARS as i64)
            ),
        }
    }
}

/// The file's bytes as text: UTF-8 (a leading byte order mark dropped), or
/// else Windows-1252, as spreadsheets on Windows save CSV. Anything with a
/// NUL byte or other control characters is not a text file.
#[cfg(feature = "ssr")]
pub fn decode(bytes: &[u8]) -> Result<String, FileProblem> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooLarge);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
    };
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(FileProblem::CannotRead);
    }
    if text.trim().is_empty() {
        return Err(FileProblem::Empty);
    }
    Ok(text)
}

/// The most an Excel workbook's parts may unpack to, together: a 10MB
/// file of repeated cells can unpack to gigabytes (a "zip bomb").
pub const MAX_UNPACKED_BYTES: u64 = 40 * 1024 * 1024;
/// Parts an Excel workbook may have.
#[cfg(feature = "ssr")]
const MAX_PARTS: usize = 1_000;

/// Reads the first sheet of an Excel workbook (`.xlsx`, `.xlsm`) as CSV
/// text, cell by cell (never the whole sheet as one grid: a workbook can
/// name a cell a million rows down). Cells are their values: a formula's
/// saved result, never the formula. The workbook's parts are unpacked and
/// measured first, within [`MAX_UNPACKED_BYTES`].
#[cfg(feature = "ssr")]
pub fn read_excel(bytes: &[u8]) -> Result<String, FileProblem> {
    read_excel_within(bytes, MAX_UNPACKED_BYTES)
}

/// [`read_excel`], its parts unpacking to at most `max_unpacked` bytes (the
/// tests' small bombs stand for the real limit).
#[cfg(feature = "ssr")]
fn read_excel_within(bytes: &[u8], max_unpacked: u64) -> Result<String, FileProblem> {
    use calamine::{DataRef, Reader, Xlsx};
    use std::io::{Cursor, Read};
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooLarge);
    }
    // Unpack every part once, counting: refused past the limit.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| FileProblem::CannotRead)?;
    if archive.len() > MAX_PARTS {
        return Err(FileProblem::TooMuchToUnpack);
    }
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| FileProblem::CannotRead)?;
        let read = std::io::copy(&mut entry.take(max_unpacked - unpacked + 1), &mut std::io::sink())
            .map_err(|_| FileProblem::CannotRead)?;
        unpacked += read;
        if unpacked > max_unpacked {
            return Err(FileProblem::TooMuchToUnpack);
        }
    }
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| FileProblem::CannotRead)?;
    let first = book.sheet_names().into_iter().next().ok_or(FileProblem::Empty)?;
    let mut cells = book.worksheet_cells_reader(&first).map_err(|_| FileProblem::CannotRead)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|_| FileProblem::CannotRead)? {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        if column >= MAX_COLUMNS {
            return Err(FileProblem::TooManyColumns);
        }
        // The header and one row past the limit say "too many rows".
        if row > MAX_ROWS + 1 {
            break;
        }
        let text = match cell.get_value() {
            DataRef::Empty | DataRef::Error(_) => continue,
            DataRef::SharedString(s) => s.to_string(),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::Int(n) => n.to_string(),
            DataRef::Float(f) => f.to_string(),
            DataRef::Bool(b) => b.to_string(),
            DataRef::DateTime(d) => excel_date(d.as_f64()),
        };
        if text.chars().count() > MAX_CELL_CHARS {
            return Err(FileProblem::CellTooLong(row + 1));
        }
        if rows.len() <= row {
            rows.resize_with(row + 1, Vec::new);
        }
        let cells = &mut rows[row];
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    if rows.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) {
        return Err(FileProblem::Empty);
    }
    Ok(rows_to_text(rows))
}

/// Reads the first sheet of an older Excel workbook (`.xls`) or an
/// OpenDocument spreadsheet (`.ods`) as CSV text. calamine reads these only
/// as one grid from the first cell used to the last, which a small file can
/// make gigabytes: the server calls this only in a child process whose
/// memory and time the kernel bounds (`server read-spreadsheet`).
#[cfg(feature = "ssr")]
pub fn read_whole_sheet(bytes: &[u8]) -> Result<String, FileProblem> {
    use calamine::{Data, Reader};
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooLarge);
    }
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|_| FileProblem::CannotRead)?;
    let range = book.worksheet_range_at(0).ok_or(FileProblem::Empty)?.map_err(|_| FileProblem::CannotRead)?;
    if range.width() > MAX_COLUMNS {
        return Err(FileProblem::TooManyColumns);
    }
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        // The header and one row past the limit say "too many rows".
        if i > MAX_ROWS + 1 {
            break;
        }
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Data::Empty | Data::Error(_) => String::new(),
                Data::DateTime(d) => excel_date(d.as_f64()),
                other => other.to_string(),
            })
            .collect();
        if cells.iter().any(|c| c.chars().count() > MAX_CELL_CHARS) {
            return Err(FileProblem::CellTooLong(i + 1));
        }
        rows.push(cells);
    }
    if rows.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) {
        return Err(FileProblem::Empty);
    }
    Ok(rows_to_text(rows))
}

/// An Excel date (days since 30 December 1899, the fraction the time of
/// day) as `2026-12-07`, or `2026-12-07 14:30` with a time.
#[cfg(feature = "ssr")]
fn excel_date(serial: f64) -> String {
    let base = time::macros::datetime!(1899-12-30 0:00);
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return serial.to_string();
    }
    let at = base + time::Duration::seconds((serial * 86_400.0).round() as i64);
    if at.time() == time::Time::MIDNIGHT {
        format!("{:04}-{:02}-{:02}", at.year(), at.month() as u8, at.day())
    } else {
        format!("{:04}-{:02}-{:02} {:02}:{:02}", at.year(), at.month() as u8, at.day(), at.hour(), at.minute())
    }
}

/// Rows (the first the header) as CSV text, quoted where a cell needs it,
/// as the bulk API's `rows` are kept: read back by [`check`], the same
/// cells.
#[cfg(feature = "ssr")]
pub fn rows_to_text(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A column name as Notify compares them: lower case, without spaces, `_`
/// or `-`, and without invisible characters (a byte order mark, zero-width
/// spaces) that spreadsheets leave in headers.
pub fn column_key(name: &str) -> String {
    name.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '_' | '-' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The columns a template's recipients are read from.
pub fn recipient_columns(kind: TemplateType) -> &'static [&'static str] {
    match kind {
        TemplateType::Email => &["email address"],
        TemplateType::Sms => &["phone number"],
        TemplateType::Letter => &[
            "address line 1",
            "address line 2",
            "address line 3",
            "address line 4",
            "address line 5",
            "address line 6",
            "address line 7",
            "postcode",
        ],
    }
}

/// The template a file is checked against.
#[derive(Clone, Debug)]
pub struct TemplateShape {
    pub kind: TemplateType,
    pub subject: Option<String>,
    pub content: String,
}

impl TemplateShape {
    /// The template's placeholders that are not recipient columns.
    #[cfg(feature = "ssr")]
    fn placeholder_keys(&self) -> Vec<(String, String)> {
        let recipient: Vec<String> = recipient_columns(self.kind).iter().map(|c| column_key(c)).collect();
        template_fields(self.subject.as_deref(), &self.content)
            .into_iter()
            .map(|name| (column_key(&name), name))
            .filter(|(key, _)| !recipient.contains(key))
            .collect()
    }
}

/// What is wrong in one cell of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellError {
    /// The column, as the file names it.
    pub column: String,
    pub message: String,
}

/// A row with errors, as the check page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowErrors {
    /// The row's number in the spreadsheet (the header is row 1).
    pub row: usize,
    pub errors: Vec<CellError>,
}

/// How many rows have each kind of error (Notify's "You need to …" list).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    pub bad_recipients: usize,
    pub missing_data: usize,
    pub too_long: usize,
    pub empty_messages: usize,
}

impl ErrorCounts {
    /// "fix 3 email addresses", "enter missing data in 1 row"…
    pub fn needs(&self, kind: TemplateType) -> Vec<String> {
        let rows = |n: usize| if n == 1 { "1 row".to_string() } else { format!("{} rows", thousands(n as i64)) };
        let mut out = Vec::new();
        if self.bad_recipients > 0 {
            let n = self.bad_recipients;
            out.push(match kind {
                TemplateType::Email => {
                    format!("fix {} email address{}", thousands(n as i64), if n == 1 { "" } else { "es" })
                }
                TemplateType::Sms => {
                    format!("fix {} phone number{}", thousands(n as i64), if n == 1 { "" } else { "s" })
                }
                TemplateType::Letter => {
                    format!("fix {} address{}", thousands(n as i64), if n == 1 { "" } else { "es" })
                }
            });
        }
        if self.missing_data > 0 {
            out.push(format!("enter missing data in {}", rows(self.missing_data)));
        }
        if self.too_long > 0 {
            out.push(format!("shorten the messages in {}", rows(self.too_long)));
        }
        if self.empty_messages > 0 {
            out.push(format!("check you have content for the empty messages in {}", rows(self.empty_messages)));
        }
        out
    }

    pub fn any(&self) -> bool {
        *self != ErrorCounts::default()
    }
}

/// A file checked against a template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// The header's column names, as the file has them.
    pub columns: Vec<String>,
    /// Rows of data (blank rows skipped, as Notify skips them).
    pub rows: usize,
    /// The file has more than [`MAX_ROWS`] rows (counting stopped after).
    pub too_many_rows: bool,
    /// The recipient columns the file lacks (for letters, when it has fewer
    /// than 3 address columns: all of them).
    pub missing_recipient_columns: Vec<String>,
    /// Recipient columns given more than once.
    pub duplicate_recipient_columns: Vec<String>,
    /// The template's placeholders no column gives, as the template names them.
    pub missing_placeholders: Vec<String>,
    pub counts: ErrorCounts,
    /// The first [`MAX_ROWS_SHOWN`] rows with errors.
    pub rows_with_errors: Vec<RowErrors>,
    /// Each row's recipient, in order, as typed (trimmed), for the trial
    /// mode and daily limit checks.
    pub recipients: Vec<String>,
}

impl Checked {
    /// Whether the file can be sent as it is.
    pub fn is_sendable(&self) -> bool {
        !self.too_many_rows
            && self.rows > 0
            && self.missing_recipient_columns.is_empty()
            && self.duplicate_recipient_columns.is_empty()
            && self.missing_placeholders.is_empty()
            && !self.counts.any()
    }
}

/// Reads the rows of `text` (`delimiter` `b','`, or `b'\t'` for `.tsv`) and
/// checks each against `template`.
#[cfg(feature = "ssr")]
pub fn check(text: &str, delimiter: u8, template: &TemplateShape) -> Result<Checked, FileProblem> {
    check_within(text, delimiter, template, MAX_ROWS)
}

/// [`check`], with at most `max_rows` rows (the tests' small files stand
/// for the real limit).
#[cfg(feature = "ssr")]
fn check_within(text: &str, delimiter: u8, template: &TemplateShape, max_rows: usize) -> Result<Checked, FileProblem> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(_)) => return Err(FileProblem::CannotRead),
        None => return Err(FileProblem::Empty),
    };
    if header.len() > MAX_COLUMNS {
        return Err(FileProblem::TooManyColumns);
    }
    if header.iter().any(|c| c.chars().count() > MAX_CELL_CHARS) {
        return Err(FileProblem::CellTooLong(1));
    }
    let columns: Vec<String> = header.iter().map(|c| c.trim().to_string()).collect();
    let keys: Vec<String> = columns.iter().map(|c| column_key(c)).collect();
    let position = |key: &str| keys.iter().position(|k| k == key);

    let mut checked = Checked { columns: columns.clone(), ..Default::default() };
    let recipient_keys: Vec<String> = recipient_columns(template.kind).iter().map(|c| column_key(c)).collect();
    for (key, name) in recipient_keys.iter().zip(recipient_columns(template.kind)) {
        if keys.iter().filter(|k| *k == key).count() > 1 {
            checked.duplicate_recipient_columns.push(name.to_string());
        }
    }
    let recipient_at: Vec<Option<usize>> = recipient_keys.iter().map(|k| position(k)).collect();
    match template.kind {
        TemplateType::Letter => {
            if recipient_at.iter().flatten().count() < 3 {
                checked.missing_recipient_columns =
                    recipient_columns(template.kind).iter().map(|c| c.to_string()).collect();
            }
        }
        _ => {
            if recipient_at[0].is_none() {
                checked.missing_recipient_columns.push(recipient_columns(template.kind)[0].to_string());
            }
        }
    }
    let placeholders = template.placeholder_keys();
    let placeholder_at: Vec<(String, String, Option<usize>)> = placeholders
        .into_iter()
        .map(|(key, name)| {
            let at = position(&key);
            (key, name, at)
        })
        .collect();
    checked.missing_placeholders =
        placeholder_at.iter().filter(|(_, _, at)| at.is_none()).map(|(_, n, _)| n.clone()).collect();
    if !checked.missing_recipient_columns.is_empty() || !checked.missing_placeholders.is_empty() {
        // Rows cannot be checked against columns that are not there; count them.
        for record in records {
            let record = record.map_err(|_| FileProblem::CannotRead)?;
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            checked.rows += 1;
            if checked.rows > max_rows {
                checked.too_many_rows = true;
                break;
            }
        }
        return Ok(checked);
    }

    for (index, record) in records.enumerate() {
        let record = record.map_err(|_| FileProblem::CannotRead)?;
        let row_number = index + 2;
        if record.len() > MAX_COLUMNS {
            return Err(FileProblem::TooManyColumns);
        }
        if record.iter().any(|c| c.len() > MAX_CELL_CHARS && c.chars().count() > MAX_CELL_CHARS) {
            return Err(FileProblem::CellTooLong(row_number));
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        checked.rows += 1;
        if checked.rows > max_rows {
            checked.too_many_rows = true;
            checked.rows_with_errors.clear();
            break;
        }
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let mut errors = Vec::new();
        let mut bad_recipient = false;
        let mut missing = false;
        match template.kind {
            TemplateType::Email | TemplateType::Sms => {
                let value = cell(recipient_at[0]);
                let column = columns[recipient_at[0].expect("checked above")].clone();
                checked.recipients.push(value.to_string());
                let problem = if value.is_empty() {
                    Some("Missing".to_string())
                } else if template.kind == TemplateType::Email {
                    EmailAddress::parse(value).err().map(|_| "Not a valid email address".to_string())
                } else {
                    PhoneNumber::parse(value).err().map(|e| e.message("Phone number"))
                };
                if let Some(message) = problem {
                    bad_recipient = true;
                    errors.push(CellError { column, message });
                }
            }
            TemplateType::Letter => {
                let lines: Vec<&str> = recipient_at.iter().map(|at| cell(*at)).filter(|l| !l.is_empty()).collect();
                checked.recipients.push(lines.join(", "));
                if lines.len() < 3 {
                    bad_recipient = true;
                    errors.push(CellError {
                        column: "address".into(),
                        message: "Address must be at least 3 lines long".into(),
                    });
                }
            }
        }
        for (_, _, at) in &placeholder_at {
            if cell(*at).is_empty() {
                missing = true;
                errors.push(CellError { column: columns[at.expect("present")].clone(), message: "Missing".into() });
            }
        }
        let mut too_long = false;
        let mut empty = false;
        if !missing && template.kind != TemplateType::Letter {
            let value = |name: &str| {
                let key = column_key(name);
                keys.iter().position(|k| *k == key).map(|i| cell(Some(i)).to_string())
            };
            let body = super::template::fill(&template.content, &value);
            if body.trim().is_empty() {
                empty = true;
                errors.push(CellError { column: "message".into(), message: "Message is empty".into() });
            } else if let Some(message) = length_error(template.kind, &body) {
                too_long = true;
                errors.push(CellError { column: "message".into(), message });
            }
        }
        checked.counts.bad_recipients += usize::from(bad_recipient);
        checked.counts.missing_data += usize::from(missing);
        checked.counts.too_long += usize::from(too_long);
        checked.counts.empty_messages += usize::from(empty);
        if !errors.is_empty() && checked.rows_with_errors.len() < MAX_ROWS_SHOWN {
            checked.rows_with_errors.push(RowErrors { row: row_number, errors });
        }
    }
    Ok(checked)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn email_template() -> TemplateShape {
        TemplateShape {
            kind: TemplateType::Email,
            subject: Some("Hello ((name))".into()),
            content: "Your reference is ((reference))".into(),
        }
    }

    fn sms_template() -> TemplateShape {
        TemplateShape { kind: TemplateType::Sms, subject: None, content: "Hi ((name))".into() }
    }

    #[test]
    fn a_good_file_is_sendable() {
        let text = "email address,name,reference\nada@example.gov.uk,Ada,A1\nbob@example.gov.uk,Bob,B2\n";
        let checked = check(text, b',', &email_template()).unwrap();
        assert_eq!(checked.rows, 2);
        assert!(checked.is_sendable(), "{checked:?}");
        assert_eq!(checked.recipients, ["ada@example.gov.uk", "bob@example.gov.uk"]);
    }

    #[test]
    fn notify_words_for_what_a_file_lacks() {
        let checked = check("name,reference\nAda,A1\n", b',', &email_template()).unwrap();
        assert_eq!(checked.missing_recipient_columns, ["email address"]);
        let checked = check("email address\nada@example.gov.uk\n", b',', &email_template()).unwrap();
        assert_eq!(checked.missing_placeholders, ["reference", "name"]);
        let checked =
            check("Email_Address,EMAIL ADDRESS,name,reference\na@b.gov.uk,c@d.gov.uk,A,B\n", b',', &email_template())
                .unwrap();
        assert_eq!(checked.duplicate_recipient_columns, ["email address"]);
        assert!(!checked.is_sendable());
    }

    #[test]
    fn rows_with_errors_say_what_to_fix() {
        let text = "phone number,name\n07700900123,Ada\nnot a number,Bob\n,Cy\n07700900124,\n";
        let checked = check(text, b',', &sms_template()).unwrap();
        assert_eq!(checked.rows, 4);
        assert_eq!(checked.counts, ErrorCounts { bad_recipients: 2, missing_data: 1, too_long: 0, empty_messages: 0 });
        assert_eq!(checked.counts.needs(TemplateType::Sms), ["fix 2 phone numbers", "enter missing data in 1 row"]);
        assert_eq!(checked.rows_with_errors[0].row, 3);
        assert_eq!(checked.rows_with_errors[1].errors[0].message, "Missing");
        assert_eq!(
            checked.rows_with_errors[2].errors,
            [CellError { column: "name".into(), message: "Missing".into() }]
        );
    }

    #[test]
    fn a_message_too_long_is_an_error_of_its_row() {
        let long = "x".repeat(1000);
        let text = format!("phone number,name\n07700900123,{long}\n");
        let checked = check(&text, b',', &sms_template()).unwrap();
        assert_eq!(checked.counts.too_long, 1);
        assert!(checked.rows_with_errors[0].errors[0]
            .message
            .starts_with("Text messages cannot be longer than 918 characters"));
    }

    #[test]
    fn letters_need_three_address_lines() {
        let letter = TemplateShape { kind: TemplateType::Letter, subject: Some("Hi".into()), content: "Hello".into() };
        let checked = check("address line 1,postcode\nA,SW1A 1AA\n", b',', &letter).unwrap();
        assert_eq!(checked.missing_recipient_columns.len(), 8);
        let text = "address_line_1,address_line_2,postcode\nA,B,SW1A 1AA\nA,,\n";
        let checked = check(text, b',', &letter).unwrap();
        assert_eq!(checked.counts.bad_recipients, 1);
        assert_eq!(checked.rows_with_errors[0].errors[0].message, "Address must be at least 3 lines long");
    }

    #[test]
    fn bad_files_answer_clear_messages() {
        assert_eq!(decode(b"\x00\x01PNG binary\x00"), Err(FileProblem::CannotRead));
        assert_eq!(decode(b""), Err(FileProblem::Empty));
        assert_eq!(decode(&vec![b'a'; MAX_FILE_BYTES + 1]), Err(FileProblem::TooLarge));
        // The common Windows encoding: a pound sign is one byte.
        assert_eq!(decode(b"name\n\xA35\n").unwrap(), "name\n\u{a3}5\n");
        assert_eq!(decode(b"\xEF\xBB\xBFemail address\n").unwrap(), "email address\n");
        let wide = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(check(&wide, b',', &email_template()), Err(FileProblem::TooManyColumns));
        let big_cell = format!("email address,name,reference\na@b.gov.uk,{},x\n", "y".repeat(MAX_CELL_CHARS + 1));
        assert_eq!(check(&big_cell, b',', &email_template()), Err(FileProblem::CellTooLong(2)));
        assert_eq!(
            FileProblem::TooManyColumns.message(),
            "Your file has too many columns (Notify can process up to 1000 columns)"
        );
    }

    #[test]
    fn more_rows_than_the_limit_are_too_many() {
        // 100,000 rows are bench/uploads.sh's; here a limit of 10 stands for it.
        let mut text = String::from("phone number,name\n");
        for _ in 0..10 {
            text.push_str("07700900123,A\n");
        }
        let at_limit = check_within(&text, b',', &sms_template(), 10).unwrap();
        assert!(!at_limit.too_many_rows && at_limit.is_sendable());
        text.push_str("07700900123,A\n");
        let over = check_within(&text, b',', &sms_template(), 10).unwrap();
        assert!(over.too_many_rows && !over.is_sendable());
        assert!(
            check_within("phone\n1\n2\n", b',', &sms_template(), 1).unwrap().too_many_rows,
            "counted without the columns too"
        );
    }

    #[test]
    fn a_formula_is_only_text() {
        let text = "email address,name,reference\na@b.gov.uk,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",=1+1\n";
        let checked = check(text, b',', &email_template()).unwrap();
        assert!(checked.is_sendable(), "{checked:?}");
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_or_refused_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(text) = decode(&bytes) {
                let _ = check(&text, b',', &email_template());
                let _ = check(&text, b'\t', &sms_template());
            }
        }

        #[test]
        fn headers_match_whatever_their_case_spacing_and_invisible_characters(
            upper in any::<bool>(), sep in prop::sample::select(vec![" ", "_", "-", "  ", "\u{200B}"]), bom in any::<bool>(),
        ) {
            let mut header = format!("email{sep}address");
            if upper { header = header.to_uppercase(); }
            if bom { header = format!("\u{FEFF}{header}"); }
            let text = format!("{header},name,reference\na@b.gov.uk,A,B\n");
            let checked = check(&text, b',', &email_template()).unwrap();
            prop_assert!(checked.is_sendable(), "{:?}", checked);
        }

        #[test]
        fn line_endings_and_a_byte_order_mark_change_nothing(
            rows in proptest::collection::vec(("[a-z]{1,8}", "[A-Za-z ]{0,12}"), 1..30),
            ending in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        ) {
            let mut plain = String::from("email address,name,reference\n");
            let mut other = String::from("\u{FEFF}email address,name,reference");
            for (local, name) in &rows {
                plain.push_str(&format!("{local}@example.gov.uk,{name},r\n"));
                other.push_str(&format!("{ending}{local}@example.gov.uk,{name},r"));
            }
            let a = check(&decode(plain.as_bytes()).unwrap(), b',', &email_template()).unwrap();
            let b = check(&decode(other.as_bytes()).unwrap(), b',', &email_template()).unwrap();
            prop_assert_eq!(a, b);
        }

        #[test]
        fn counts_and_rows_shown_agree(valid in proptest::collection::vec(any::<bool>(), 1..200)) {
            let mut text = String::from("phone number,name\n");
            for ok in &valid {
                text.push_str(if *ok { "07700900123,A\n" } else { "12,A\n" });
            }
            let checked = check(&text, b',', &sms_template()).unwrap();
            let bad = valid.iter().filter(|ok| !**ok).count();
            prop_assert_eq!(checked.rows, valid.len());
            prop_assert_eq!(checked.counts.bad_recipients, bad);
            prop_assert_eq!(checked.rows_with_errors.len(), bad.min(MAX_ROWS_SHOWN));
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
pub(crate) mod excel_tests {
    use super::*;
    use std::io::Write;

    /// An `.xlsx` workbook whose first sheet's `<sheetData>` is `sheet_data`.
    pub(crate) fn workbook(sheet_data: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
            ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#)),
        ];
        for (name, text) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// A row of inline-string cells at `row` (1-based), from column A.
    pub(crate) fn row(row: usize, cells: &[&str]) -> String {
        let cells: String = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!(r#"<c r="{}{row}" t="inlineStr"><is><t>{c}</t></is></c>"#, (b'A' + i as u8) as char))
            .collect();
        format!(r#"<row r="{row}">{cells}</row>"#)
    }

    #[test]
    fn a_workbook_is_read_as_its_first_sheets_cells() {
        let data = row(1, &["email address", "name"])
            + &row(2, &["ada@example.gov.uk", "=HYPERLINK(&quot;http://evil&quot;)"])
            + r#"<row r="4"><c r="A4" t="inlineStr"><is><t>bob@example.gov.uk</t></is></c><c r="B4"><v>42</v></c></row>"#;
        let text = read_excel(&workbook(&data)).unwrap();
        // The empty third row is kept (a blank row, skipped when checked).
        assert_eq!(
            text,
            "email address,name\nada@example.gov.uk,\"=HYPERLINK(\"\"http://evil\"\")\"\n\"\"\nbob@example.gov.uk,42\n"
        );
        // Read back as the upload's check reads it: the formula is text.
        let shape = TemplateShape { kind: TemplateType::Email, subject: None, content: "Hi ((name))".into() };
        let checked = check(&text, b',', &shape).unwrap();
        assert_eq!(checked.rows, 2);
        assert!(checked.is_sendable(), "{checked:?}");
    }

    #[test]
    fn what_a_workbook_cannot_be() {
        assert_eq!(read_excel(b"PK\x03\x04zip"), Err(FileProblem::CannotRead));
        assert_eq!(read_excel(&workbook("")), Err(FileProblem::Empty));
        // A cell in a column past the limit.
        let wide = r#"<row r="1"><c r="ZZZ1" t="inlineStr"><is><t>x</t></is></c></row>"#;
        assert_eq!(read_excel(&workbook(wide)), Err(FileProblem::TooManyColumns));
        // A cell a million rows down is not a million-row grid: read at once.
        let far = row(1, &["email address"])
            + r#"<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>"#;
        let started = std::time::Instant::now();
        let text = read_excel(&workbook(&far)).unwrap();
        assert_eq!(text, "email address\n");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_workbook_read_whole_reads_as_read_cell_by_cell() {
        let data = row(1, &["email address", "name"]) + &row(2, &["ada@example.gov.uk", "Ada"]);
        assert_eq!(read_whole_sheet(&workbook(&data)), read_excel(&workbook(&data)));
        assert_eq!(read_whole_sheet(b"not a spreadsheet"), Err(FileProblem::CannotRead));
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_read() {
        // About 2 MB of cells, compressed to a few kilobytes, against a
        // 1 MB stand-in for the real limit (a real bomb's 80 MB would cost
        // the tests beside it seconds of CPU).
        let cell = r#"<c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c>"#;
        let one_row = format!("<row>{}</row>", cell.repeat(1000));
        let bytes = workbook(&one_row.repeat(25));
        assert!(bytes.len() < 64 * 1024, "{} bytes", bytes.len());
        assert_eq!(read_excel_within(&bytes, 1024 * 1024), Err(FileProblem::TooMuchToUnpack));
        // Within the limit, the same file is read.
        assert!(read_excel_within(&bytes, 4 * 1024 * 1024).is_ok());
    }
}
