//! "Upload a list of recipients": the upload (Notify's messages for what
//! cannot be read) and the check page (Notify's banners in its order, the
//! rows with errors, and a preview of a good file's first message).

mod common;

use app::ssr::store;
use common::*;

/// Posts `bytes` as `file_name` to the template's upload form: the answer.
async fn upload(app: &TestApp, s: &Signed, service: &str, template: &str, file_name: &str, bytes: Vec<u8>) -> Page {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", s.csrf.clone())
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()));
    let r = app
        .client
        .post(format!("{}/services/{service}/send/{template}/csv", app.base))
        .header("cookie", &s.cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Page { status, headers, body: r.text().await.unwrap() }
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
        ("people.xlsx", b"PK\x03\x04zip".to_vec(), "Notify cannot read this file - try saving it as a CSV instead"),
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
        sqlx::query_as("SELECT count(*) FROM uploads").fetch_one(app.state.pool.sqlite()).await.unwrap();
    assert_eq!(uploads.0, 0, "nothing stored");

    // Without the session's token, or without the permission to send: refused.
    let forged = Signed { cookie: s.cookie.clone(), csrf: "0".repeat(64) };
    assert_eq!(upload(&app, &forged, &live, &template, "people.csv", b"email address\n".to_vec()).await.status, 403);
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&format!("/services/{live}/send/{template}/csv"), Some(&viewer)).await.status, 403);
}
