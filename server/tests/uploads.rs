//! "Upload a list of recipients": the upload (Notify's messages for what
//! cannot be read) and the check page (Notify's banners in its order, the
//! rows with errors, and a preview of a good file's first message).

mod common;

use app::ssr::store;
use common::*;

/// Posts `bytes` as `file_name` to the template's upload form: the answer.
async fn upload(app: &TestApp, s: &Signed, service: &str, template: &str, file_name: &str, bytes: Vec<u8>) -> Page {
    upload_list(app, s, service, template, file_name, bytes).await
}

/// Uploads `csv` and follows to its check page.
async fn checked(app: &TestApp, s: &Signed, service: &str, template: &str, csv: &str) -> Page {
    let page = upload(app, s, service, template, "people.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(page.status, 302, "{}", page.text());
    app.get(page.location(), Some(&s.cookie)).await
}

/// The email template's header: the recipient column and a column for each
/// placeholder.
async fn header(app: &TestApp, service: &str, template: &str) -> (String, usize) {
    let t = store::get_template(&app.state.pool, service, template).await.unwrap().unwrap();
    let fields = app::domain::template_fields(t.subject.as_deref(), &t.content);
    let mut header = vec!["email address".to_string()];
    header.extend(fields.iter().cloned());
    (header.join(","), fields.len())
}

fn row(email: &str, placeholders: usize, value: &str) -> String {
    let mut cells = vec![email.to_string()];
    cells.extend(std::iter::repeat_n(value.to_string(), placeholders));
    cells.join(",")
}

#[tokio::test]
async fn a_good_file_shows_its_first_message() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    let s = admin(&app).await;
    let page = app.get(&format!("/services/{live}/send/{template}/csv"), Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Upload a list of email addresses"), "{}", page.text());
    let (header, n) = header(&app, &live, &template).await;
    // Spreadsheets on Windows save CSV in their own encoding: a pound sign is one byte.
    let csv = format!(
        "{header}\r\n{}\r\n{}\r\n",
        row("ada@example.gov.uk", n, "Ada £5"),
        row("bob@example.gov.uk", n, "Bob")
    );
    let windows: Vec<u8> = encoding_rs::WINDOWS_1252.encode(&csv).0.into_owned();
    let page = upload(&app, &s, &live, &template, "people.csv", windows).await;
    assert_eq!(page.status, 302, "{}", page.text());
    assert!(page.location().starts_with(&format!("/services/{live}/{template}/check/")));
    let text = app.get(page.location(), Some(&s.cookie)).await.text();
    assert!(
        text.contains("Preview of") && text.contains("‘people.csv’ has 2 email addresses with no problems."),
        "{text}"
    );
    assert!(text.contains("ada@example.gov.uk"), "{text}");
    if n > 0 {
        assert!(text.contains("Ada £5"), "the Windows encoding read: {text}");
    }
}

#[tokio::test]
async fn rows_with_errors_say_what_to_fix_and_where() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    let s = admin(&app).await;
    let (header, n) = header(&app, &live, &template).await;
    assert!(n > 0, "the demo email template has placeholders");
    let csv = format!(
        "{header}\n{}\n{}\n{}\n",
        row("ada@example.gov.uk", n, "Ada"),
        row("not an address", n, "Bob"),
        row("cy@example.gov.uk", n, "")
    );
    let text = checked(&app, &s, &live, &template, &csv).await.text();
    assert!(text.contains("There are some problems with people.csv"), "{text}");
    assert!(text.contains("You need to fix 1 email address and enter missing data in 1 row."), "{text}");
    // The spreadsheet's own row numbers (the header is row 1), and what to fix in each.
    assert!(text.contains("3 email address: Not a valid email address"), "{text}");
    let first_placeholder = header.split(',').nth(1).unwrap();
    assert!(text.contains(&format!("4 {first_placeholder}: Missing")), "{text}");
    assert!(!text.contains("Preview of"));

    let text = checked(&app, &s, &live, &template, "name,reference\nAda,1\n").await.text();
    assert!(text.contains("Your file needs a column called ‘email address’."), "{text}");
    let text = checked(&app, &s, &live, &template, "email address\nada@example.gov.uk\n").await.text();
    assert!(text.contains("Your column names need to match the double brackets in your template"), "{text}");
}

#[tokio::test]
async fn trial_mode_and_the_daily_limit_are_checked_before_sending() {
    let app = TestApp::spawn().await;
    let trial = app.service_id("Example trial service").await;
    let template = template_id(&app, &trial, "email").await;
    let s = admin(&app).await;
    let (header, n) = header(&app, &trial, &template).await;
    // The admin is a team member; a stranger is not.
    let csv = format!("{header}\n{}\n{}\n", row(ADMIN, n, "A"), row("stranger@example.com", n, "B"));
    let text = checked(&app, &s, &trial, &template, &csv).await.text();
    assert!(text.contains("You cannot send to these email addresses"), "{text}");
    assert!(text
        .contains("In trial mode you can only send to yourself, members of your team and people on your guest list."));

    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    store::set_daily_limit(&app.state.pool, &live, app::domain::TemplateType::Email, 1).await.unwrap();
    let csv = format!("{header}\n{}\n{}\n", row("a@example.gov.uk", n, "A"), row("b@example.gov.uk", n, "B"));
    let text = checked(&app, &s, &live, &template, &csv).await.text();
    assert!(text.contains("You can still send 1 email today, but ‘people.csv’ contains 2 email addresses."), "{text}");
}

#[tokio::test]
async fn files_that_cannot_be_read_get_notifys_messages() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    let s = admin(&app).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("people.ods", b"PK\x03\x04zip".to_vec(), "Notify cannot read this file - try using a different file type"),
        ("people.xls", b"\xD0\xCF\x11\xE0".to_vec(), "Notify cannot read this file - try using a different file type"),
        ("people.xlsx", b"PK\x03\x04zip".to_vec(), "Notify cannot read this file - try using a different file type"),
        ("people.png", b"not a spreadsheet".to_vec(), "The file must be a spreadsheet that Notify can read"),
        (
            "picture.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR".to_vec(),
            "Notify cannot read this file - try using a different file type",
        ),
        ("", Vec::new(), "You need to choose a file to upload"),
        ("big.csv", vec![b'a'; 10 * 1024 * 1024 + 1], "The file must be smaller than 10MB"),
    ];
    for (name, bytes, message) in cases {
        let page = upload(&app, &s, &live, &template, name, bytes).await;
        assert_eq!(page.status, 200, "{name}");
        let text = page.text();
        assert!(text.contains(message), "{name}: {text}");
        assert!(page.body.contains("href=\"#file\""), "the error summary links to the field");
    }
    let uploads: (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT count(*) FROM uploads").fetch_one(db).await.unwrap());
    assert_eq!(uploads.0, 0, "nothing stored");

    // Without the session's token, or without the permission to send: refused.
    let forged = Signed { cookie: s.cookie.clone(), csrf: "0".repeat(64) };
    assert_eq!(upload(&app, &forged, &live, &template, "people.csv", b"email address\n".to_vec()).await.status, 403);
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&format!("/services/{live}/send/{template}/csv"), Some(&viewer)).await.status, 403);
}

/// Hostile files: each answers a clear message (or, when it can be read, a
/// check page), nothing is stored for those refused, and the server answers
/// other requests meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corpus_of_hostile_files_is_answered_clearly() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    let s = admin(&app).await;
    let (header, n) = header(&app, &live, &template).await;
    let million_columns = format!("email address{}\n", ",x".repeat(1_000_000));
    let long_cell = format!("{header}\n{}\n", row("ada@example.gov.uk", n, &"a".repeat(5 * 1024 * 1024)));
    let refused: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "binary.csv",
            (0..=255u8).cycle().take(4096).collect(),
            "Notify cannot read this file - try using a different file type",
        ),
        (
            "wide.csv",
            million_columns.into_bytes(),
            "Your file has too many columns (Notify can process up to 1000 columns)",
        ),
        ("long.csv", long_cell.into_bytes(), "has a cell longer than 100,000 characters"),
        (
            "bomb.xlsx",
            b"PK\x03\x04\x14\x00not really a zip".to_vec(),
            "Notify cannot read this file - try using a different file type",
        ),
    ];
    for (name, bytes, message) in refused {
        let started = std::time::Instant::now();
        let page = upload(&app, &s, &live, &template, name, bytes).await;
        let text =
            if page.status == 302 { app.get(page.location(), Some(&s.cookie)).await.text() } else { page.text() };
        assert!(text.contains(message), "{name}: {text}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{name} took {:?}", started.elapsed());
        let status = app.get("/_status", None).await;
        assert_eq!(status.status, 200, "still answering after {name}");
    }
    // A byte order mark, mixed line endings, a header with invisible
    // characters and a formula: read as text, and the file can be sent.
    let tricky = format!(
        "\u{FEFF}email\u{200B} address{}\r\n{}\n{}\r\n",
        header.strip_prefix("email address").unwrap(),
        row("ada@example.gov.uk", n, "=HYPERLINK(\"http://evil.example\",\"x\")"),
        row("bob@example.gov.uk", n, "Bob")
    );
    let text = checked(&app, &s, &live, &template, &tricky).await.text();
    assert!(text.contains("has 2 email addresses with no problems"), "{text}");
}

/// An OpenDocument spreadsheet whose first table's rows are `rows` (the
/// `<table:table-row>` elements).
fn ods(rows: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", deflated).unwrap();
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="People">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

fn ods_row(cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .map(|c| format!(r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#))
        .collect();
    format!("<table:table-row>{cells}</table:table-row>")
}

/// An OpenDocument spreadsheet is read (in a child process); one that
/// repeats a cell across a million rows and every column (a few hundred
/// bytes) is refused with a clear message, nothing stored, and the server
/// answers meanwhile; a reader that runs out of its limits is "took too
/// long", and the server carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ods_is_read_and_one_that_unfolds_to_billions_of_cells_is_refused() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    let s = admin(&app).await;
    let (header, n) = header(&app, &live, &template).await;
    let columns: Vec<&str> = header.split(',').collect();
    let mut cells = vec!["ada@example.gov.uk"];
    cells.extend(std::iter::repeat_n("Ada", n));
    let page = upload(&app, &s, &live, &template, "people.ods", ods(&(ods_row(&columns) + &ods_row(&cells)))).await;
    assert_eq!(page.status, 302, "{}", page.text());
    let text = app.get(page.location(), Some(&s.cookie)).await.text();
    assert!(text.contains("‘people.ods’ has 1 email address with no problems"), "{text}");

    let bomb = ods(&format!(
        r#"{}<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        ods_row(&columns)
    ));
    assert!(bomb.len() < 2_000, "{} bytes", bomb.len());
    let uploads_before: (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT count(*) FROM uploads").fetch_one(db).await.unwrap());
    let started = std::time::Instant::now();
    let (page, status) = tokio::join!(upload(&app, &s, &live, &template, "bomb.ods", bomb), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        app.get("/_status", None).await.status
    });
    assert_eq!(status, 200, "the server answers while the file is read");
    assert_eq!(page.status, 200, "{}", page.text());
    // calamine refuses this one itself; one it would unfold ends the child.
    let text = page.text();
    assert!(
        text.contains("Notify cannot read this file") || text.contains("Your file took too long to process"),
        "{text}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    let uploads_after: (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT count(*) FROM uploads").fetch_one(db).await.unwrap());
    assert_eq!(uploads_after, uploads_before, "nothing stored");
}

/// A spreadsheet's reader that runs out of its limits (here, too little
/// memory to start at all) answers Notify's "took too long": the child
/// ends, the server does not.
#[tokio::test]
async fn a_reader_out_of_its_limits_is_took_too_long() {
    use app::ssr::uploads::SheetReader;
    let reader = server::spreadsheets::ChildReader {
        program: env!("CARGO_BIN_EXE_server").into(),
        limits: server::child::Limits {
            memory: 4 * 1024 * 1024,
            cpu_seconds: 1,
            wall_clock: std::time::Duration::from_secs(5),
        },
    };
    let got = reader.read_whole_sheet(ods(&ods_row(&["email address"]))).await;
    assert_eq!(got, Err(app::domain::recipient_file::FileProblem::TooMuchToUnpack));
}
