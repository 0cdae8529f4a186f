//! PostgreSQL stopped under a serving instance, then started again: while
//! it is gone `/_status` answers 503, the API Notify's 500 JSON within a
//! second or two (no request hangs), and pages the GOV.UK error page; when
//! it is back the instance serves again without a restart, and every send
//! acknowledged before is there.

mod common;

use common::postgres::Postgres;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_again_under_a_serving_instance() {
    let pg = Postgres::start();
    pg.create_database("faults").await;
    let url = pg.url("faults");
    let app = TestApp::spawn_with(&[("DATABASE_URL", &url)]).await;
    assert!(app.state.pool.is_postgres());
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Faults").await;
    let template = template_id(&app, &live, "email").await;
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let r = send(
            &app,
            &live,
            &key,
            "email",
            serde_json::json!({
                "email_address": format!("person{i}@example.com"),
                "template_id": template,
                "personalisation": {"name": "Ada"},
            }),
        )
        .await;
        assert_eq!(r.0, 201);
        acknowledged.push(r.1["id"].as_str().unwrap().to_string());
    }
    let cookie = app.sign_in(ADMIN).await;

    pg.stop_server();
    let status = app.get("/_status", None).await;
    assert_eq!(status.status, 503, "{}", status.text());
    let started = Instant::now();
    let refused = send(
        &app,
        &live,
        &key,
        "email",
        serde_json::json!({
            "email_address": "late@example.com",
            "template_id": template,
            "personalisation": {"name": "Ada"},
        }),
    )
    .await;
    let took = started.elapsed();
    println!("a send with PostgreSQL gone was answered in {took:?}: {} {}", refused.0, refused.1);
    assert_eq!(refused.0, 500, "{}", refused.1);
    assert_eq!(refused.1["errors"][0]["error"], "Exception", "Notify's 500: {}", refused.1);
    assert!(took < Duration::from_secs(3), "no request hangs: {took:?}");
    let page = app.get(&format!("/services/{live}/api"), Some(&cookie)).await;
    assert_eq!(page.status, 500);
    assert!(page.text().contains("Sorry, there is a problem with the service"), "{}", page.text());

    pg.start_server();
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.get("/_status", None).await.status != 200 {
        assert!(Instant::now() < deadline, "never served again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = send(
        &app,
        &live,
        &key,
        "email",
        serde_json::json!({
            "email_address": "back@example.com",
            "template_id": template,
            "personalisation": {"name": "Ada"},
        }),
    )
    .await;
    assert_eq!(again.0, 201, "serves again without a restart: {}", again.1);
    for id in &acknowledged {
        let n: Value = api_get(&app, &live, &key, &format!("/v2/notifications/{id}")).await;
        assert_eq!(n["id"], id.as_str());
    }
    let page = app.get(&format!("/services/{live}/api"), Some(&cookie)).await;
    assert_eq!(page.status, 200, "the session kept in the database still works");
}
