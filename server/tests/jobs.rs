//! Sending a list of recipients: from a checked file in the admin ("Send N
//! emails", now or scheduled, cancelled while scheduled), the job's page
//! and the dashboard's list, the bulk API (`POST /v2/notifications/bulk`,
//! its refusals, `GET` of a job), messages from jobs left out of the API's
//! lists unless asked for, and every row sent exactly once when the server
//! is killed (`kill -9`) while a job is being stored.

mod common;

use app::ssr::store;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Uploads `csv` as `file_name` for the template: the upload's id.
async fn upload(app: &TestApp, s: &Signed, service: &str, template: &str, file_name: &str, csv: &str) -> String {
    let page = upload_list(app, s, service, template, file_name, csv.as_bytes().to_vec()).await;
    assert_eq!(page.status, 302, "{}", page.text());
    page.location().rsplit('/').next().unwrap().to_string()
}

/// The email template's header and a row for `email`.
async fn email_list(app: &TestApp, service: &str, template: &str, emails: &[&str]) -> String {
    let t = store::get_template(&app.state.pool, service, template).await.unwrap().unwrap();
    let fields = app::domain::template_fields(t.subject.as_deref(), &t.content);
    let mut lines =
        vec![std::iter::once("email address".to_string()).chain(fields.iter().cloned()).collect::<Vec<_>>().join(",")];
    for e in emails {
        lines.push(
            std::iter::once(e.to_string())
                .chain(fields.iter().map(|_| "Ada".to_string()))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    lines.join("\n") + "\n"
}

/// Waits until the job has stored `n` messages and finished.
async fn finished(app: &TestApp, job_id: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (count,): (i64,) = on_db!(app.state.pool, |db| sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE CAST(job_id AS TEXT) = $1"
        )
        .bind(job_id)
        .fetch_one(db)
        .await
        .unwrap());
        let (status,): (String,) =
            on_db!(app.state.pool, |db| sqlx::query_as("SELECT job_status FROM jobs WHERE CAST(id AS TEXT) = $1")
                .bind(job_id)
                .fetch_one(db)
                .await
                .unwrap());
        if count == n && status == "finished" {
            return;
        }
        assert!(Instant::now() < deadline, "job {job_id}: {count} of {n} messages, {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_checked_file_is_sent_and_its_page_shows_it() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    let s = admin(&app).await;
    let csv =
        email_list(&app, &live, &template, &["ada@example.gov.uk", "bob@example.gov.uk", "cy@example.gov.uk"]).await;
    let upload_id = upload(&app, &s, &live, &template, "people.csv", &csv).await;
    let check = app.get(&format!("/services/{live}/{template}/check/{upload_id}"), Some(&s.cookie)).await;
    let text = check.text();
    assert!(text.contains("Send 3 emails"), "{text}");
    assert!(text.contains("When should these messages be sent?") && text.contains("Now Today at"), "{text}");

    // Without the session's token: refused, nothing made.
    let refused =
        app.post(&format!("/services/{live}/start-job/{upload_id}"), Some(&s.cookie), &[("scheduled_for", "")]).await;
    assert_eq!(refused.status, 403);

    let sent = app
        .post(
            &format!("/services/{live}/start-job/{upload_id}"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("scheduled_for", "")],
        )
        .await;
    assert_eq!(sent.status, 302, "{}", sent.text());
    let job_id = sent.location().rsplit('/').next().unwrap().to_string();
    assert_eq!(sent.location(), format!("/services/{live}/jobs/{job_id}"));
    finished(&app, &job_id, 3).await;

    // Each message carries its job and row, in the file's order.
    let rows: Vec<(String, i64, String)> = on_db!(app.state.pool, |db| {
        sqlx::query_as(
        "SELECT recipient, job_row_number, key_type FROM notifications WHERE CAST(job_id AS TEXT) = $1 ORDER BY job_row_number",
    )
    .bind(&job_id).fetch_all(db).await.unwrap()
    });
    assert_eq!(
        rows,
        vec![
            ("ada@example.gov.uk".to_string(), 0, "normal".to_string()),
            ("bob@example.gov.uk".to_string(), 1, "normal".to_string()),
            ("cy@example.gov.uk".to_string(), 2, "normal".to_string())
        ]
    );

    // The job's page: its file, who sent it, progress and its messages.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = app.get(&format!("/services/{live}/jobs/{job_id}"), Some(&s.cookie)).await;
        assert_eq!(page.status, 200);
        let text = page.text();
        assert!(text.contains("people.csv") && text.contains("Sent by"), "{text}");
        assert!(text.contains("ada@example.gov.uk") && text.contains("Refresh"), "{text}");
        if text.contains("3 of 3 messages delivered or failed (100%)") {
            assert!(text.contains("Finished"), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "the job's messages were not delivered: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A message's page leads back to its job (not to the API integration
    // page, which those who see messages may not have).
    let (message_id,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) FROM notifications WHERE CAST(job_id AS TEXT) = $1 LIMIT 1"
    )
    .bind(&job_id)
    .fetch_one(db)
    .await
    .unwrap());
    let message = app.get(&format!("/services/{live}/notification/{message_id}"), Some(&s.cookie)).await;
    assert!(message.body.contains(&format!("href=\"/services/{live}/jobs/{job_id}\"")), "{}", message.body);
    // The dashboard lists it.
    let dashboard = app.get(&format!("/services/{live}"), Some(&s.cookie)).await.text();
    assert!(dashboard.contains("Files sent") && dashboard.contains("people.csv"), "{dashboard}");

    // The same file again today: Notify's banner, and no second job.
    let again = upload(&app, &s, &live, &template, "people.csv", &csv).await;
    let text = app.get(&format!("/services/{live}/{template}/check/{again}"), Some(&s.cookie)).await.text();
    assert!(text.contains("These messages have already been sent today"), "{text}");
    assert!(!text.contains("Send 3 emails"), "{text}");
    let refused = app
        .post(
            &format!("/services/{live}/start-job/{again}"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("scheduled_for", "")],
        )
        .await;
    assert_eq!(refused.status, 302);
    assert!(refused.location().contains("/check/"), "sent back to the check page");
    let (jobs,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM jobs").fetch_one(db).await.unwrap());
    assert_eq!(jobs, 1);

    // Messages from a file are not the API's: not in the hub's log, and not
    // in `GET /v2/notifications` unless asked for.
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await.text();
    assert!(!hub.contains("ada@example.gov.uk"), "{hub}");
    let key = make_key(&app, &live, "normal", "Reader").await;
    let listed = api_get(&app, &live, &key, "/v2/notifications").await;
    assert_eq!(listed["notifications"].as_array().unwrap().len(), 0, "{listed}");
    let listed = api_get(&app, &live, &key, "/v2/notifications?include_jobs=true").await;
    assert_eq!(listed["notifications"].as_array().unwrap().len(), 3, "{listed}");
    let refused = app
        .client
        .get(format!("{}/v2/notifications?include_jobs=false", app.base))
        .header("authorization", format!("Bearer {}", token(&live, key.secret())))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], "include_jobs false is not one of [true, True]");
}

#[tokio::test]
async fn a_scheduled_job_waits_and_can_be_cancelled() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let template = template_id(&app, &live, "email").await;
    let s = admin(&app).await;
    let csv = email_list(&app, &live, &template, &["ada@example.gov.uk"]).await;
    let upload_id = upload(&app, &s, &live, &template, "later.csv", &csv).await;
    let choices = app::domain::job::send_time_choices(app::ssr::clock::now());
    let at = choices[3].0.text();

    // A time that is not offered (past, or not on the hour) is refused with a message.
    let wrong = app
        .post(
            &format!("/services/{live}/start-job/{upload_id}"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("scheduled_for", "2020-01-01T09:00:00.000000Z")],
        )
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.text().contains("Choose a time within the next 4 days"), "{}", wrong.text());

    let sent = app
        .post(
            &format!("/services/{live}/start-job/{upload_id}"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("scheduled_for", &at)],
        )
        .await;
    assert_eq!(sent.status, 302, "{}", sent.text());
    let job_path = sent.location().to_string();
    let page = app.get(&job_path, Some(&s.cookie)).await.text();
    assert!(page.contains("Scheduled for") && page.contains("Cancel sending"), "{page}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (count,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE job_id IS NOT NULL")
            .fetch_one(db)
            .await
            .unwrap());
    assert_eq!(count, 0, "a scheduled job waits for its time");

    let cancelled = app.post(&format!("{job_path}/cancel"), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(cancelled.status, 302);
    let page = app.get(&job_path, Some(&s.cookie)).await.text();
    assert!(page.contains("Sending ‘later.csv’ cancelled") && page.contains("Cancelled"), "{page}");
    assert!(!page.contains("Cancel sending"), "{page}");
}

async fn bulk(app: &TestApp, service: &str, key: &Key, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/v2/notifications/bulk", app.base))
        .header("authorization", format!("Bearer {}", token(service, key.secret())))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_bulk_api_makes_a_job_and_reports_it() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let email = template_id(&app, &live, "email").await;
    let t = store::get_template(&app.state.pool, &live, &email).await.unwrap().unwrap();
    let fields = app::domain::template_fields(t.subject.as_deref(), &t.content);
    let header: Vec<Value> =
        std::iter::once("email address".to_string()).chain(fields.iter().cloned()).map(Value::from).collect();
    let row = |e: &str| -> Vec<Value> {
        std::iter::once(Value::from(e)).chain(fields.iter().map(|_| Value::from("Ada"))).collect()
    };
    let key = make_key(&app, &live, "normal", "Bulk").await;

    let (status, body) = bulk(
        &app,
        &live,
        &key,
        json!({"name": "December", "template_id": email, "rows": [header, row("ada@example.gov.uk"), row("bob@example.gov.uk")]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["notification_count"], 2);
    assert_eq!(body["data"]["original_file_name"], "December");
    assert_eq!(body["data"]["api_key"]["id"], key.id.as_str());
    finished(&app, &job_id, 2).await;
    let got = api_get(&app, &live, &key, &format!("/v2/notifications/bulk/{job_id}")).await;
    assert_eq!(got["data"]["job_status"], "finished", "{got}");
    let total: i64 = got["data"]["statistics"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 2, "{got}");

    // The same list as CSV text, scheduled.
    let csv = email_list(&app, &live, &email, &["cy@example.gov.uk"]).await;
    let at = (app::ssr::clock::now() + time::Duration::hours(2)).text();
    let (status, body) =
        bulk(&app, &live, &key, json!({"name": "Later", "template_id": email, "csv": csv, "scheduled_for": at})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["job_status"], "scheduled");

    // Refusals, in Notify's error JSON.
    let message = |b: &Value, i: usize| b["errors"][i]["message"].as_str().unwrap_or_default().to_string();
    let (status, body) = bulk(&app, &live, &key, json!({"template_id": email})).await;
    assert_eq!(status, 400);
    assert_eq!(message(&body, 0), "name is a required property");
    assert_eq!(message(&body, 1), "You should specify either rows or csv");
    let (status, body) = bulk(
        &app,
        &live,
        &key,
        json!({"name": "x", "template_id": email, "csv": csv, "scheduled_for": "2020-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!((status, message(&body, 0).as_str()), (400, "scheduled_for datetime cannot be in the past"));
    let (status, body) =
        bulk(&app, &live, &key, json!({"name": "x", "template_id": uuid::Uuid::new_v4(), "csv": csv})).await;
    assert_eq!((status, message(&body, 0).as_str()), (400, "Template not found"));
    let (status, body) =
        bulk(&app, &live, &key, json!({"name": "x", "template_id": email, "csv": "name\nAda\n"})).await;
    assert_eq!((status, message(&body, 0).as_str()), (400, "Missing column headers: email address"));
    let (status, body) = bulk(
        &app,
        &live,
        &key,
        json!({"name": "x", "template_id": email, "rows": [header, row("ada@example.gov.uk"), row("not an address"), row("")]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(message(&body, 0), "Some rows have errors");
    assert_eq!(message(&body, 1), "Row 3 - `email address`: Not a valid email address");
    assert_eq!(message(&body, 2), "Row 4 - `email address`: Missing");
    // A team key sends only to the team and the guest list.
    let team = make_key(&app, &live, "team", "Team bulk").await;
    let (status, body) = bulk(
        &app,
        &live,
        &team,
        json!({"name": "x", "template_id": email, "rows": [header, row("someone@example.com")]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        message(&body, 0),
        "You cannot send to these recipients because you used a team and guest list API key."
    );
    // Nothing refused was stored.
    let (jobs,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM jobs").fetch_one(db).await.unwrap());
    assert_eq!(jobs, 2);

    // A test key's job pretends, as its single sends do.
    let test = make_key(&app, &live, "test", "Test bulk").await;
    let (status, body) = bulk(
        &app,
        &live,
        &test,
        json!({"name": "Pretend", "template_id": email, "rows": [header, row("someone@example.com")]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let job_id = body["data"]["id"].as_str().unwrap().to_string();
    finished(&app, &job_id, 1).await;
    let listed = api_get(&app, &live, &test, "/v2/notifications?include_jobs=true").await;
    assert_eq!(listed["notifications"][0]["email_address"], "someone@example.com", "{listed}");

    // Another service's job, or a malformed id.
    let trial = app.service_id("Example trial service").await;
    let other = make_key(&app, &trial, "team", "Other").await;
    let got = api_get(&app, &trial, &other, &format!("/v2/notifications/bulk/{job_id}")).await;
    assert_eq!(got["errors"][0]["error"], "NoResultFound", "{got}");
    let got = api_get(&app, &trial, &other, "/v2/notifications/bulk/not-a-uuid").await;
    assert_eq!(got["errors"][0]["message"], "job_id is not a valid UUID", "{got}");
}

#[tokio::test]
async fn the_daily_limit_counts_jobs_still_sending() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let email = template_id(&app, &live, "email").await;
    store::set_daily_limit(&app.state.pool, &live, app::domain::TemplateType::Email, 3).await.unwrap();
    let csv = email_list(&app, &live, &email, &["a@example.gov.uk", "b@example.gov.uk"]).await;
    let key = make_key(&app, &live, "normal", "Bulk").await;
    let (status, body) = bulk(&app, &live, &key, json!({"name": "one", "template_id": email, "csv": csv})).await;
    assert_eq!(status, 201, "{body}");
    // 2 of 3 taken (sent or still to send): 2 more do not fit.
    let (status, body) = bulk(&app, &live, &key, json!({"name": "two", "template_id": email, "csv": csv})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "You only have 1 remaining messages before you reach your daily limit. You've tried to send 2 messages."
    );
}

/// The job worker's query for a job's counts stays on the job's index.
#[tokio::test]
async fn a_jobs_counts_use_its_index() {
    let app = TestApp::spawn().await;
    let plans = store::job_query_plans(&app.state.pool).await.unwrap();
    assert!(plans[0].contains("notifications_job_row"), "{plans:?}");
}

/// A bulk job of 30,000 rows, the server killed (SIGKILL) twice while it is
/// being stored: after the restarts every row is a message exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_a_job_is_stored_sends_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&dir.path().join("data"), &[]).await;
    let (live, secret) = server.key_for("Example live service", app::domain::KeyType::Normal).await;
    let (pool, _) = server.open_store().await;
    store::set_daily_limit(&pool, &live, app::domain::TemplateType::Email, 1_000_000).await.unwrap();
    let t = store::list_templates(&pool, &live)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.template_type.as_str() == "email")
        .unwrap();
    let fields = app::domain::template_fields(t.subject.as_deref(), &t.content);
    let rows = 30_000;
    let mut csv =
        std::iter::once("email address".to_string()).chain(fields.iter().cloned()).collect::<Vec<_>>().join(",") + "\n";
    for i in 0..rows {
        csv += &std::iter::once(format!("person{i}@example.gov.uk"))
            .chain(fields.iter().map(|_| "Ada".to_string()))
            .collect::<Vec<_>>()
            .join(",");
        csv += "\n";
    }
    let r = reqwest::Client::new()
        .post(format!("{}/v2/notifications/bulk", server.base))
        .header("authorization", format!("Bearer {}", token(&live, &secret)))
        .json(&json!({"name": "Crash", "template_id": t.id, "csv": csv}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let job_id = r.json::<Value>().await.unwrap()["data"]["id"].as_str().unwrap().to_string();
    let count = |pool: store::Store, job_id: String| async move {
        let (n, distinct): (i64, i64) = on_db!(pool, |db| sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT job_row_number) FROM notifications WHERE CAST(job_id AS TEXT) = $1"
        )
        .bind(&job_id)
        .fetch_one(db)
        .await
        .unwrap());
        (n, distinct)
    };
    let mut killed_midway = 0;
    for _ in 0..2 {
        // Kill it once some rows, not all, are stored.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (n, _) = count(pool.clone(), job_id.clone()).await;
            if n > 0 {
                if n < rows {
                    killed_midway += 1;
                }
                break;
            }
            assert!(Instant::now() < deadline, "the job never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill_9();
        server.start_again().await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // The status first: a job is finished after its last rows commit,
        // so rows counted after reading `finished` are all of them (counted
        // before, the last batch could commit in between).
        let (status,): (String,) =
            on_db!(pool, |db| sqlx::query_as("SELECT job_status FROM jobs WHERE CAST(id AS TEXT) = $1")
                .bind(&job_id)
                .fetch_one(db)
                .await
                .unwrap());
        let (n, distinct) = count(pool.clone(), job_id.clone()).await;
        assert_eq!(n, distinct, "a row was stored twice");
        if status == "finished" {
            assert_eq!(n, rows, "every row is a message");
            break;
        }
        assert!(Instant::now() < deadline, "{n} of {rows} after the restarts ({status})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("killed {killed_midway} times while the job was being stored");
    assert!(killed_midway >= 1, "no kill landed while the job was being stored");
    server.kill_9();
}

#[tokio::test]
async fn send_one_message_goes_through_the_same_checks() {
    let app = TestApp::spawn().await;
    let trial = app.service_id("Example trial service").await;
    let email = template_id(&app, &trial, "email").await;
    let s = admin(&app).await;
    let path = format!("/services/{trial}/send/{email}/one-off");
    let page = app.get(&path, Some(&s.cookie)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let text = page.text();
    assert!(text.contains("Email address") && text.contains("Send 1 email"), "{text}");
    let names =
        app::ssr::one_off::placeholders(&store::get_template(&app.state.pool, &trial, &email).await.unwrap().unwrap());
    let fields: Vec<(String, String)> =
        (0..names.len()).map(|i| (format!("placeholder-{i}"), "Ada".to_string())).collect();
    let post = |recipient: &'static str, fill: bool| {
        let mut form: Vec<(String, String)> =
            vec![("csrf_token".into(), s.csrf.clone()), ("recipient".into(), recipient.into())];
        if fill {
            form.extend(fields.clone());
        }
        let (app, path, cookie) = (&app, path.clone(), s.cookie.clone());
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.post(&path, Some(&cookie), &form).await
        }
    };
    // Nothing typed: what to enter, with the input kept.
    let refused = post("", false).await;
    assert_eq!(refused.status, 200);
    assert!(refused.text().contains("Enter an email address"), "{}", refused.text());
    if let Some(first) = names.first() {
        assert!(refused.text().contains(&format!("Enter {first}")), "{}", refused.text());
    }
    // Trial mode: not a team member or on the guest list.
    let refused = post("someone@example.com", true).await;
    assert_eq!(refused.status, 200);
    assert!(refused.text().contains("in trial mode you can only send to yourself"), "{}", refused.text());
    assert!(refused.body.contains("value=\"someone@example.com\""), "the input is kept");
    // A team member: sent, and its page shown.
    let sent = post(ADMIN, true).await;
    assert_eq!(sent.status, 302, "{}", sent.text());
    assert!(sent.location().starts_with(&format!("/services/{trial}/notification/")), "{}", sent.location());
    let id = sent.location().rsplit('/').next().unwrap().to_string();
    let (api_key, job): (Option<String>, Option<String>) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT CAST(api_key_id AS TEXT), CAST(job_id AS TEXT) FROM notifications WHERE CAST(id AS TEXT) = $1"
    )
    .bind(&id)
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!((api_key, job), (None, None), "a message of the team, not of the API or a job");
    assert_eq!(app.get(sent.location(), Some(&s.cookie)).await.status, 200);
    // Letters are sent from a file.
    let letter = template_id(&app, &trial, "letter").await;
    assert_eq!(app.get(&format!("/services/{trial}/send/{letter}/one-off"), Some(&s.cookie)).await.status, 404);
}
