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
