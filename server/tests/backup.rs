//! `server backup` while the server serves, and `server restore`: every
//! send acknowledged before the backup is in the copy and readable through
//! the API after a restore; a restore is refused while a server uses the
//! database, and so is a second server.

mod common;

use common::*;
use std::process::Command;

fn cli(data_dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("NOTIFY_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("NOTIFY_SECRET_KEY")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_made_while_serving_restores_every_acknowledged_send() {
    let app = TestApp::spawn().await;
    let data = app.state.config.data_dir.clone();
    let service = app.service_id("Example live service").await;
    let key = make_key(&app, &service, "test", "backup").await;
    let template = template_id(&app, &service, "email").await;
    let body = serde_json::json!({"template_id": template, "email_address": "ada@example.com", "personalisation": {"name": "Ada"}});
    let mut acknowledged = Vec::new();
    for _ in 0..40 {
        let (status, sent) = send(&app, &service, &key, "email", body.clone()).await;
        assert_eq!(status, 201);
        acknowledged.push(sent["id"].as_str().unwrap().to_string());
    }
    // Sends go on while the copy is made.
    let sending = {
        let (base, client, service, secret) =
            (app.base.clone(), app.client.clone(), service.clone(), key.secret().to_string());
        let body = body.clone();
        tokio::spawn(async move {
            for _ in 0..100 {
                let r = client
                    .post(format!("{base}/v2/notifications/email"))
                    .header("authorization", format!("Bearer {}", token(&service, &secret)))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
            }
        })
    };
    let backups = tempfile::tempdir().unwrap();
    let copy = backups.path().join("notify-copy.db");
    let copy_arg = copy.to_str().unwrap();
    let data_for_cli = data.clone();
    let copy_for_cli = copy_arg.to_string();
    let (ok, out) =
        tokio::task::spawn_blocking(move || cli(&data_for_cli, &["backup", "--to", &copy_for_cli])).await.unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("backed up to") && out.contains("Keep the server key"), "{out}");
    sending.await.unwrap();

    // A copy is never written over.
    let (ok, out) = cli(&data, &["backup", "--to", copy_arg]);
    assert!(!ok && out.contains("already exists"), "{out}");
    // Nor is the database a server has open replaced, nor may a second
    // server open it.
    let (ok, out) = cli(&data, &["restore", "--from", copy_arg]);
    assert!(!ok && out.contains("a server is using"), "{out}");
    let second = server::Config::from_lookup(|k| match k {
        "NOTIFY_DATA_DIR" => Some(data.display().to_string()),
        _ => None,
    })
    .unwrap();
    let refused = server::build(second).await.err().expect("a second server on the same database is refused");
    assert!(format!("{refused:#}").contains("a server is using"), "{refused:#}");

    // Restored elsewhere, with the server key kept apart, every send
    // acknowledged before the backup reads back through the API.
    let elsewhere = tempfile::tempdir().unwrap();
    let restored_dir = elsewhere.path().join("data");
    let (ok, out) = cli(&restored_dir, &["restore", "--from", copy_arg]);
    assert!(ok, "{out}");
    assert!(out.contains("restored"), "{out}");
    let key_hex = std::fs::read_to_string(data.join("secret.key")).unwrap();
    let database_url = format!("sqlite:{}", restored_dir.join("notify.db").display());
    let restored =
        TestApp::spawn_with(&[("DATABASE_URL", database_url.as_str()), ("NOTIFY_SECRET_KEY", key_hex.trim())]).await;
    for id in &acknowledged {
        let n = api_get(&restored, &service, &key, &format!("/v2/notifications/{id}")).await;
        assert_eq!(n["id"], id.as_str(), "{n}");
    }
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_copy_and_keeps_the_database_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, not even close").unwrap();
    let data = dir.path().join("data");
    let (ok, out) = cli(&data, &["restore", "--from", junk.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("not a SQLite database")
            || out.contains("damaged")
            || out.contains("not a database of this service"),
        "{out}"
    );

    // A database of ours, restored over another: the one replaced is kept.
    let (ok, out) = cli(&data, &["list-services"]);
    assert!(ok, "{out}");
    let copy = dir.path().join("copy.db");
    let (ok, out) = cli(&data, &["backup", "--to", copy.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&data, &["restore", "--from", copy.to_str().unwrap()]);
    assert!(ok, "{out}");
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("notify.db.before-restore-") && !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(out.contains(&kept[0]), "{out}");
}
