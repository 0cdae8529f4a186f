//! Retention: notifications older than their service's period for their
//! channel are deleted with their outbox copies; the rest stay; the hub says
//! the period; the queries that must not slow down as history grows use
//! their indexes.

mod common;

use app::domain::retention::RetentionDays;
use app::domain::TemplateType;
use app::ssr::store;
use common::*;
use serde_json::json;
use std::time::Duration;

/// `sql`'s count: `SELECT count(*) FROM … WHERE {column} = ?`, the column
/// (an id) compared as text, so on either backend.
async fn count(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    let (head, column) = sql.rsplit_once(" WHERE ").expect("a WHERE clause");
    let column = column.strip_suffix(" = ?").expect("one id compared");
    let sql = format!("{head} WHERE CAST({column} AS TEXT) = $1");
    let (n,): (i64,) = on_db!(app.state.pool, |db| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap());
    n
}

async fn age(app: &TestApp, id: &str, days: i64) {
    let then = app::ssr::clock::now() - time::Duration::days(days);
    on_db!(app.state.pool, |db| sqlx::query("UPDATE notifications SET created_at = $1 WHERE CAST(id AS TEXT) = $2")
        .bind(then)
        .bind(id)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
}

#[tokio::test]
async fn expired_notifications_go_with_their_outbox_copies_and_the_rest_stay() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "normal", "Live key").await;
    let email = template_id(&app, &live, "email").await;
    let sms = template_id(&app, &live, "sms").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (s, b) = send(
            &app,
            &live,
            &key,
            "email",
            json!({"email_address": "a@example.com", "template_id": email, "personalisation": {"name": "Ada"}}),
        )
        .await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    let (s, b) = send(
        &app,
        &live,
        &key,
        "sms",
        json!({"phone_number": "07700900123", "template_id": sms, "personalisation": {"name": "Ada"}}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let text = b["id"].as_str().unwrap().to_string();
    // Delivered by the built-in provider: each has its outbox copy.
    for _ in 0..50 {
        if count(&app, "SELECT count(*) FROM outbox WHERE notification_id = ?", &text).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&app, "SELECT count(*) FROM outbox WHERE notification_id = ?", &ids[0]).await, 1);

    // Text messages are kept 30 days here; emails the default 7.
    store::set_retention(&app.state.pool, &live, TemplateType::Sms, RetentionDays::new(30).unwrap()).await.unwrap();
    age(&app, &ids[0], 8).await;
    age(&app, &ids[1], 6).await;
    age(&app, &text, 8).await;

    let deleted = server::workers::retention::run_once(&app.state.pool).await.unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM notifications WHERE id = ?", &ids[0]).await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox WHERE notification_id = ?", &ids[0]).await,
        0,
        "the outbox copy too"
    );
    for kept in [&ids[1], &ids[2], &text] {
        assert_eq!(count(&app, "SELECT count(*) FROM notifications WHERE id = ?", kept).await, 1);
    }
    // The API no longer finds it.
    let r = app
        .client
        .get(format!("{}/v2/notifications/{}", app.base, ids[0]))
        .header("authorization", format!("Bearer {}", token(&live, key.secret())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn deletes_go_in_batches_until_none_is_left() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Test key").await;
    let email = template_id(&app, &live, "email").await;
    let n = server::workers::retention::BATCH as usize * 2 + 7;
    let rows: Vec<store::NewNotification> = (0..n)
        .map(|i| store::NewNotification {
            id: uuid::Uuid::new_v4().to_string(),
            service_id: live.clone(),
            api_key_id: Some(key.id.clone()),
            key_type: app::domain::KeyType::Test,
            template_id: email.clone(),
            template_version: 1,
            notification_type: TemplateType::Email,
            recipient: format!("r{i}@example.com"),
            client_reference: None,
            personalisation: "{}".into(),
            subject: Some("s".into()),
            body: "b".into(),
            postage: None,
            created_at: (app::ssr::clock::now() - time::Duration::days(10)),
            reply_to: None,
            one_click_unsubscribe_url: None,
            job: None,
        })
        .collect();
    store::create_notifications(&app.state.pool, &rows.iter().collect::<Vec<_>>()).await.unwrap();
    assert_eq!(server::workers::retention::run_once(&app.state.pool).await.unwrap(), n as u64);
    assert_eq!(count(&app, "SELECT count(*) FROM notifications WHERE service_id = ?", &live).await, 0);
}

#[tokio::test]
async fn the_hub_says_the_period_that_applies() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let cookie = app.sign_in(ADMIN).await;
    let hub = app.get(&format!("/services/{live}/api"), Some(&cookie)).await;
    assert!(hub.text().contains("Notify deletes messages after 7 days."), "{}", hub.text());
    store::set_retention(&app.state.pool, &live, TemplateType::Sms, RetentionDays::new(30).unwrap()).await.unwrap();
    let hub = app.get(&format!("/services/{live}/api"), Some(&cookie)).await;
    assert!(
        hub.text()
            .contains("Notify deletes emails after 7 days, text messages after 30 days and letters after 7 days."),
        "{}",
        hub.text()
    );
}

#[tokio::test]
async fn history_queries_use_their_indexes() {
    let app = TestApp::spawn().await;
    for (name, plan) in store::history_query_plans(&app.state.pool).await.unwrap() {
        assert!(!plan.contains("SCAN n") && !plan.contains("SCAN notifications"), "{name}: {plan}");
        assert!(plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"), "{name}: {plan}");
        if name == "daily limit" || name == "retention delete" {
            assert!(plan.contains("COVERING INDEX notifications_daily"), "{name}: {plan}");
        }
    }
}

#[tokio::test]
async fn personalisation_the_template_does_not_use_is_not_stored() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Test key").await;
    let email = template_id(&app, &live, "email").await;
    let filler = "x".repeat(1024 * 1024);
    let (s, b) = send(
        &app,
        &live,
        &key,
        "email",
        json!({"email_address": "a@example.com", "template_id": email, "personalisation": {"Name": "Ada", "unused": filler}}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (stored,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT personalisation FROM notifications WHERE CAST(id AS TEXT) = $1"
    )
    .bind(b["id"].as_str().unwrap())
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(stored, r#"{"Name":"Ada"}"#);
}

/// Uploads are kept 7 days; a finished job's file (its recipients) goes
/// with its messages' retention, the job itself stays listed.
#[tokio::test]
async fn uploads_and_job_files_go_after_their_time() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let email = template_id(&app, &live, "email").await;
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let list = "email address\nada@example.gov.uk\n";
    let old = store::create_upload(&app.state.pool, &live, &email, "old.csv", ',', list, &admin_user.id).await.unwrap();
    let new = store::create_upload(&app.state.pool, &live, &email, "new.csv", ',', list, &admin_user.id).await.unwrap();
    let t = store::get_template(&app.state.pool, &live, &email).await.unwrap().unwrap();
    let job = store::create_job(
        &app.state.pool,
        &store::NewJob {
            service_id: live.clone(),
            template_id: t.id.clone(),
            template_version: t.version,
            notification_type: t.template_type,
            template_subject: t.subject.clone(),
            template_content: t.content.clone(),
            original_file_name: "old.csv".into(),
            delimiter: ',',
            content: list.into(),
            notification_count: 1,
            scheduled_for: Some(app::ssr::clock::now() + time::Duration::days(1)),
            created_by: Some(admin_user.id.clone()),
            api_key_id: None,
            key_type: app::domain::KeyType::Normal,
            reply_to: None,
        },
        1000,
    )
    .await
    .unwrap()
    .unwrap();
    store::cancel_job(&app.state.pool, &live, &job.id).await.unwrap();
    let eight_days_ago = app::ssr::clock::now() - time::Duration::days(8);
    for (table, id) in [("uploads", &old), ("jobs", &job.id)] {
        let sql = if table == "uploads" {
            "UPDATE uploads SET created_at = $1 WHERE CAST(id AS TEXT) = $2"
        } else {
            "UPDATE jobs SET created_at = $1 WHERE CAST(id AS TEXT) = $2"
        };
        on_db!(app.state.pool, |db| sqlx::query(sql)
            .bind(eight_days_ago)
            .bind(id)
            .execute(db)
            .await
            .unwrap()
            .rows_affected());
    }
    server::workers::retention::run_once(&app.state.pool).await.unwrap();
    assert_eq!(count(&app, "SELECT count(*) FROM uploads WHERE id = ?", &old).await, 0, "the old upload went");
    assert_eq!(count(&app, "SELECT count(*) FROM uploads WHERE id = ?", &new).await, 1, "the new one stays");
    assert_eq!(count(&app, "SELECT count(*) FROM jobs WHERE id = ?", &job.id).await, 1, "the job stays listed");
    assert_eq!(
        count(&app, "SELECT count(*) FROM job_files WHERE job_id = ?", &job.id).await,
        0,
        "without its recipients"
    );
}
