//! Sealed secrets are bound to their row and purpose: a ciphertext moved to
//! another row does not open there, and values sealed before the binding are
//! re-sealed bound at start-up.

mod common;

use app::ssr::secrets::SealedFor;
use common::*;

async fn templates_status(app: &TestApp, service_id: &str, secret: &str) -> u16 {
    app.client
        .get(format!("{}/v2/templates", app.base))
        .header("authorization", format!("Bearer {}", token(service_id, secret)))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn ciphertext(app: &TestApp, key_id: &str) -> String {
    let (c,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT secret_ciphertext FROM api_keys WHERE CAST(id AS TEXT) = $1"
    )
    .bind(key_id)
    .fetch_one(db)
    .await
    .unwrap());
    c
}

async fn set_ciphertext(app: &TestApp, key_id: &str, value: &str) {
    on_db!(app.state.pool, |db| sqlx::query("UPDATE api_keys SET secret_ciphertext = $1 WHERE CAST(id AS TEXT) = $2")
        .bind(value)
        .bind(key_id)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
}

#[tokio::test]
async fn a_secret_copied_to_another_keys_row_does_not_open_there() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let mine = make_key(&app, &live, "test", "Mine").await;
    let victim = make_key(&app, &live, "normal", "Victim").await;
    // Someone with write access to the database copies their key's sealed
    // secret over the live key's, hoping their secret now signs as it.
    let sealed = ciphertext(&app, &mine.id).await;
    assert!(sealed.starts_with("v2."));
    set_ciphertext(&app, &victim.id, &sealed).await;
    assert_eq!(app.state.secrets.open(&sealed, SealedFor::ApiKeySecret { key_id: &victim.id }), None);
    // The first request loads the service's keys: the victim's row opens to
    // nothing, so nothing but the real owner's row verifies `mine`.
    assert_eq!(templates_status(&app, &live, mine.secret()).await, 200);
    assert_eq!(templates_status(&app, &live, victim.secret()).await, 403);
    // A callback token copied from one service's row to another's does not
    // open either.
    let token =
        app.state.secrets.seal("t", SealedFor::CallbackToken { service_id: &live, callback_type: "delivery_status" });
    let trial = app.service_id("Example trial service").await;
    assert_eq!(
        app.state
            .secrets
            .open(&token, SealedFor::CallbackToken { service_id: &trial, callback_type: "delivery_status" }),
        None
    );
}

#[tokio::test]
async fn secrets_sealed_before_the_binding_are_resealed_bound_at_start_up() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Old").await;
    set_ciphertext(&app, &key.id, &app.state.secrets.seal_unbound(key.secret())).await;
    let resealed = app::ssr::store::reseal_unbound_secrets(&app.state.pool, &app.state.secrets).await.unwrap();
    assert_eq!(resealed, 1);
    let now = ciphertext(&app, &key.id).await;
    assert!(now.starts_with("v2."), "{now}");
    assert_eq!(
        app.state.secrets.open(&now, SealedFor::ApiKeySecret { key_id: &key.id }).as_deref(),
        Some(key.secret())
    );
    assert_eq!(templates_status(&app, &live, key.secret()).await, 200);
    // Once only.
    assert_eq!(app::ssr::store::reseal_unbound_secrets(&app.state.pool, &app.state.secrets).await.unwrap(), 0);
}
