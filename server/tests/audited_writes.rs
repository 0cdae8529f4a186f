//! Each write and its audit entry stand or fall together: with the audit
//! log refusing inserts (a trigger), the guest list, the callbacks and a
//! leak report change nothing; with it working, each change is on the log.
//! (The guest list, the callbacks and leak reports wrote their audit entry
//! after the change had committed.)

mod common;

use app::domain::CallbackKind;
use app::ssr::callbacks::{SaveCallback, Saved};
use app::ssr::store;
use common::*;

async fn refuse_audit(app: &TestApp, refuse: bool) {
    if app.state.pool.is_postgres() {
        // PostgreSQL's trigger calls a function; its DDL is transactional,
        // so every connection sees it once it is committed.
        let sqls: &[&str] = if refuse {
            &[
                "CREATE OR REPLACE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            ]
        } else {
            &["DROP TRIGGER IF EXISTS refuse_audit ON audit_events"]
        };
        for &sql in sqls {
            sqlx::query(sql).execute(app.state.pool.postgres().unwrap()).await.unwrap();
        }
        return;
    }
    let sql = if refuse {
        "CREATE TRIGGER IF NOT EXISTS refuse_audit BEFORE INSERT ON audit_events
         BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
    } else {
        "DROP TRIGGER IF EXISTS refuse_audit"
    };
    // A pooled connection may still hold the snapshot of a read whose
    // statement sqlx resets later, on its worker thread (sqlx issue 2543):
    // there the trigger's schema is stale for a moment. Done again until
    // the schema shows it.
    let db = app.state.pool.sqlite().unwrap();
    for _ in 0..100 {
        sqlx::query(sql).persistent(false).execute(db).await.unwrap();
        let (present,): (bool,) =
            sqlx::query_as("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'trigger' AND name = 'refuse_audit'")
                .persistent(false)
                .fetch_one(db)
                .await
                .unwrap();
        if present == refuse {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the trigger could not be {}", if refuse { "made" } else { "dropped" });
}

async fn audit_entries(app: &TestApp, service_id: &str) -> Vec<String> {
    let rows: Vec<(String,)> = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT description FROM audit_events WHERE CAST(service_id AS TEXT) = $1 ORDER BY id"
    )
    .bind(service_id)
    .fetch_all(db)
    .await
    .unwrap());
    rows.into_iter().map(|(d,)| d).collect()
}

fn save<'a>(url: &'a str, bearer_token: &'a str) -> SaveCallback<'a> {
    SaveCallback { kind: CallbackKind::DeliveryStatus, url, bearer_token, allow_private: false }
}

async fn working(pool: &store::Store, service_id: &str, key_id: &str) -> bool {
    store::get_api_key(pool, service_id, key_id).await.unwrap().unwrap().expiry_date.is_none()
}

#[tokio::test]
async fn the_guest_list_is_not_replaced_when_its_audit_entry_cannot_be_written() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let admin = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let pool = &app.state.pool;
    let before = audit_entries(&app, &live).await;

    refuse_audit(&app, true).await;
    let failed = app::ssr::guest_list::replace(pool, &live, &admin.id, "guest@example.com", "").await;
    assert!(failed.is_err());
    assert!(store::guest_list(pool, &live).await.unwrap().email_addresses.is_empty(), "the list changed");

    refuse_audit(&app, false).await;
    app::ssr::guest_list::replace(pool, &live, &admin.id, "guest@example.com", "07700900123").await.unwrap().unwrap();
    assert_eq!(store::guest_list(pool, &live).await.unwrap().email_addresses, ["guest@example.com"]);
    let after = audit_entries(&app, &live).await;
    assert_eq!(&after[before.len()..], ["Updated the guest list: 1 email address, 1 mobile number"]);

    // A bad line changes nothing and records nothing.
    let refused = app::ssr::guest_list::replace(pool, &live, &admin.id, "not an address", "").await.unwrap();
    assert!(refused.is_err());
    assert_eq!(audit_entries(&app, &live).await, after);
}

#[tokio::test]
async fn callback_settings_change_only_with_their_audit_entry() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let admin = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let (pool, secrets) = (&app.state.pool, &app.state.secrets);
    let saved = || store::callback(pool, &live, CallbackKind::DeliveryStatus);
    let before = audit_entries(&app, &live).await;

    refuse_audit(&app, true).await;
    let url = "https://example.gov.uk/receipts";
    assert!(app::ssr::callbacks::save(pool, secrets, &live, &admin.id, save(url, "a-long-enough-token"))
        .await
        .is_err());
    assert!(saved().await.unwrap().is_none(), "saved without its audit entry");

    refuse_audit(&app, false).await;
    let first = app::ssr::callbacks::save(pool, secrets, &live, &admin.id, save(url, "a-long-enough-token")).await;
    let Ok(Ok(Saved::Saved { new_signing_secret: Some(secret) })) = first else { panic!("not saved: {first:?}") };
    assert!(secret.starts_with("whsec_"));
    // The same URL with the saved token: nothing to do, nothing recorded.
    let again = app::ssr::callbacks::save(pool, secrets, &live, &admin.id, save(url, "bearer_token_set")).await;
    assert_eq!(again.unwrap(), Ok(Saved::Unchanged));

    refuse_audit(&app, true).await;
    let signing = saved().await.unwrap().unwrap().signing_secret_ciphertext;
    let rotated =
        app::ssr::callbacks::rotate_signing_secret(pool, secrets, &live, &admin.id, CallbackKind::DeliveryStatus);
    assert!(rotated.await.is_err());
    assert_eq!(saved().await.unwrap().unwrap().signing_secret_ciphertext, signing, "rotated without its audit entry");
    on_db!(pool, |db| sqlx::query(
        "UPDATE service_callbacks SET paused_at = '2026-01-01T00:00:00.000000Z', pause_reason = 'HTTP 500'"
    )
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    assert!(app::ssr::callbacks::resume(pool, &live, &admin.id, CallbackKind::DeliveryStatus).await.is_err());
    assert!(saved().await.unwrap().unwrap().paused_at.is_some(), "resumed without its audit entry");
    let other = save("https://example.gov.uk/elsewhere", "bearer_token_set");
    assert!(app::ssr::callbacks::save(pool, secrets, &live, &admin.id, other).await.is_err());
    assert_eq!(saved().await.unwrap().unwrap().url, url, "changed without its audit entry");
    assert!(app::ssr::callbacks::save(pool, secrets, &live, &admin.id, save("", "")).await.is_err());
    assert!(saved().await.unwrap().is_some(), "removed without its audit entry");

    refuse_audit(&app, false).await;
    assert!(app::ssr::callbacks::resume(pool, &live, &admin.id, CallbackKind::DeliveryStatus).await.unwrap());
    let rotated =
        app::ssr::callbacks::rotate_signing_secret(pool, secrets, &live, &admin.id, CallbackKind::DeliveryStatus);
    assert!(rotated.await.unwrap().is_some_and(|s| s.starts_with("whsec_")));
    let removed = app::ssr::callbacks::save(pool, secrets, &live, &admin.id, save("", "")).await.unwrap();
    assert_eq!(removed, Ok(Saved::Removed));
    // Removing what is not there records nothing.
    let removed = app::ssr::callbacks::save(pool, secrets, &live, &admin.id, save("", "")).await.unwrap();
    assert_eq!(removed, Ok(Saved::Unchanged));
    let after = audit_entries(&app, &live).await;
    assert_eq!(
        &after[before.len()..],
        [
            "Set the delivery receipts callback to https://example.gov.uk/receipts with a new bearer token",
            "Resumed the delivery receipts callback",
            "Made a new signing secret for the delivery receipts callback",
            "Removed the delivery receipts callback",
        ]
    );
}

#[tokio::test]
async fn a_leaked_key_stays_working_when_the_report_cannot_be_recorded() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "normal", "Leaky").await;
    let pool = &app.state.pool;

    refuse_audit(&app, true).await;
    assert!(app::ssr::keys::revoke_leaked(pool, &live, &key.id, "a public gist").await.is_err());
    assert!(working(pool, &live, &key.id).await, "revoked without the report on the audit log");

    refuse_audit(&app, false).await;
    let revoked = app::ssr::keys::revoke_leaked(pool, &live, &key.id, "a public gist\n").await.unwrap();
    assert_eq!(revoked, Some(true));
    assert!(!working(pool, &live, &key.id).await);
    // Reported again: recorded, not revoked twice.
    assert_eq!(app::ssr::keys::revoke_leaked(pool, &live, &key.id, "").await.unwrap(), Some(false));
    // Another service's key is not this service's to report.
    let trial = app.service_id("Example trial service").await;
    assert_eq!(app::ssr::keys::revoke_leaked(pool, &trial, &key.id, "").await.unwrap(), None);
    let entries = audit_entries(&app, &live).await;
    assert_eq!(
        &entries[entries.len() - 3..],
        [
            "Revoked API key ‘Leaky’",
            "API key ‘Leaky’ was reported as leaked, found at a public gist, and revoked",
            "API key ‘Leaky’ was reported as leaked, found at somewhere not given (it no longer worked)",
        ]
    );
}
