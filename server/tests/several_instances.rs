//! Three server processes on one PostgreSQL database behind a real load
//! balancer (Debian's HAProxy, started here with its own configuration on
//! loopback, checking each instance's `/_status`): what a team running
//! several instances relies on.
//!
//! - A session made through one instance works on the others; a key made
//!   beside them works through every one.
//! - A key revoked is refused by every instance within the bound measured
//!   here (each hears the change through `LISTEN`/`NOTIFY`).
//! - 1,000 sends, each with a delivery receipt to a callback: every receipt
//!   arrives, none twice (by `webhook-id`), whichever instance sent it.
//! - The rate limit holds across the three (each takes its share).
//! - `kill -9` of one instance in the middle of sends: every notification
//!   acknowledged (201) is readable afterwards, and its receipt arrives.

mod common;

use common::postgres::Postgres;
use common::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The key every instance shares (they must: each opens the others'
/// sealed secrets).
const SECRET_KEY: &str = "6b6579206f6620746865207468726565206f66207468656d2c20736861726564";

/// HAProxy in front of `ports`, on a free loopback port of its own.
struct Balancer {
    base: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Balancer {
    async fn start(ports: &[u16]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    server app{i} 127.0.0.1:{p} check inter 500ms fall 2 rise 1\n"))
            .collect();
        let config = format!(
            "global\n    maxconn 2048\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n    \
             retries 2\n    option redispatch\n\
             frontend api\n    bind 127.0.0.1:{port}\n    default_backend instances\n\
             backend instances\n    balance roundrobin\n    option httpchk GET /_status\n    \
             http-check expect status 200\n{servers}"
        );
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).unwrap();
        let haproxy = ["/usr/sbin/haproxy", "haproxy"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists() || *p == "haproxy")
            .unwrap();
        let child = std::process::Command::new(haproxy)
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("HAProxy is installed (scripts/bootstrap.sh installs it)");
        let balancer = Self { base: format!("http://127.0.0.1:{port}"), child, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/_status", balancer.base)).await.map(|r| r.status().as_u16()).ok() != Some(200) {
            assert!(Instant::now() < deadline, "HAProxy never answered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        balancer
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Delivery receipts received, by `webhook-id`, with how often each came.
#[derive(Clone, Default)]
struct Receipts(Arc<Mutex<HashMap<String, (usize, Value)>>>);

impl Receipts {
    async fn start(&self) -> String {
        let seen = self.0.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let seen = seen.clone();
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                let id = parts.headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                seen.lock().unwrap().entry(id).or_insert((0, json)).0 += 1;
                "ok"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/receipts")
    }

    /// Notification id → how many receipts (by distinct `webhook-id`) and
    /// the most deliveries of any one of them.
    fn by_notification(&self) -> HashMap<String, (usize, usize)> {
        let mut out: HashMap<String, (usize, usize)> = HashMap::new();
        for (times, body) in self.0.lock().unwrap().values() {
            let id = body["id"].as_str().unwrap_or("").to_string();
            let entry = out.entry(id).or_default();
            entry.0 += 1;
            entry.1 = entry.1.max(*times);
        }
        out
    }
}

struct Cluster {
    _pg: Postgres,
    url: String,
    servers: Vec<ServerProcess>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    async fn start() -> Self {
        let pg = Postgres::start();
        pg.create_database("shared").await;
        let url = pg.url("shared");
        let vars = [
            ("DATABASE_URL", url.as_str()),
            ("NOTIFY_SECRET_KEY", SECRET_KEY),
            ("NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS", "true"),
        ];
        let mut dirs = Vec::new();
        let mut servers = Vec::new();
        // The first seeds the demo data; the others then find it there.
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            servers.push(ServerProcess::start(&dir.path().join("data"), &vars).await);
            dirs.push(dir);
        }
        Self { _pg: pg, url, servers, _dirs: dirs }
    }

    async fn store(&self) -> (app::ssr::store::Store, app::ssr::secrets::Secrets) {
        let pool = app::ssr::store::connect(&self.url).await.unwrap();
        let key = hex_bytes(SECRET_KEY);
        (pool, app::ssr::secrets::Secrets::new(&key))
    }
}

fn hex_bytes(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

async fn send_email(
    client: &reqwest::Client,
    base: &str,
    service: &str,
    secret: &str,
    template: &str,
    i: usize,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/v2/notifications/email"))
        .header("authorization", format!("Bearer {}", token(service, secret)))
        .json(&json!({
            "email_address": format!("person{i}@example.com"),
            "template_id": template,
            "personalisation": {"name": "Ada"},
            "reference": format!("ref-{i}"),
        }))
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_haproxy_share_sessions_keys_revocations_and_callbacks() {
    let mut cluster = Cluster::start().await;
    let ports: Vec<u16> = cluster.servers.iter().map(|s| s.port).collect();
    let balancer = Balancer::start(&ports).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // Signed in through the balancer; the session works on every instance.
    let form = [("email_address", ADMIN), ("password", PASSWORD)];
    let signed_in = client.post(format!("{}/sign-in", balancer.base)).form(&form).send().await.unwrap();
    assert_eq!(signed_in.status().as_u16(), 302);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    for server in &cluster.servers {
        let page = client.get(format!("{}/your-services", server.base)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200, "signed in on {}", server.base);
    }

    // A key and a callback made beside the instances (as the admin would on
    // any one of them).
    let (pool, secrets) = cluster.store().await;
    let live = app::ssr::store::find_service_by_name(&pool, "Example live service").await.unwrap().unwrap().id;
    app::ssr::store::set_rate_limit(&pool, &live, 100_000_000).await.unwrap();
    app::ssr::store::set_daily_limit(&pool, &live, app::domain::TemplateType::Email, 1_000_000).await.unwrap();
    let admin_user = app::ssr::store::find_user_by_email(&pool, ADMIN).await.unwrap().unwrap();
    let receipts = Receipts::default();
    let url = receipts.start().await;
    let sealed = |what| secrets.seal("receiver-token", what);
    app::ssr::store::save_callback(
        &pool,
        &live,
        app::domain::CallbackKind::DeliveryStatus,
        app::ssr::store::CallbackSettings {
            url: &url,
            bearer_token_ciphertext: &sealed(app::ssr::secrets::SealedFor::CallbackToken {
                service_id: &live,
                callback_type: "delivery_status",
            }),
            new_signing_secret_ciphertext: None,
        },
        app::ssr::store::Audit { user_id: Some(&admin_user.id), description: "Set the callback" },
    )
    .await
    .unwrap();
    let make_key = |name: &'static str| {
        let (pool, secrets, live, admin) = (pool.clone(), secrets.clone(), live.clone(), admin_user.id.clone());
        async move {
            let key = app::ssr::keys::create(
                &pool,
                &secrets,
                &live,
                &app::domain::KeyName::parse(name).unwrap(),
                app::domain::KeyType::Test,
                app::domain::api_key::KeyLifetime::Never,
                Some(&admin),
            )
            .await
            .unwrap()
            .unwrap();
            (key.id.clone(), key.key[key.key.len() - 36..].to_string())
        }
    };
    let (_, secret) = make_key("Shared").await;
    let template = app::ssr::store::list_templates(&pool, &live)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.template_type.as_str() == "email")
        .unwrap()
        .id;
    // A key is taken by every instance as soon as it is made (one that has
    // not heard of it yet looks again before refusing it).
    let works_everywhere = |secret: String| {
        let (client, servers, live, template) = (&client, &cluster.servers, live.clone(), template.clone());
        async move {
            for server in servers {
                let r = send_email(client, &server.base, &live, &secret, &template, 0).await.unwrap();
                assert_eq!(r.status().as_u16(), 201, "the new key works on {} at once", server.base);
            }
        }
    };
    works_everywhere(secret.clone()).await;

    // Revoked beside them: every instance refuses it within the bound.
    let (revoked_id, revoked_secret) = make_key("Revoked").await;
    works_everywhere(revoked_secret.clone()).await;
    let revoked_at = Instant::now();
    assert!(app::ssr::store::revoke_api_key(&pool, &live, &revoked_id, Some(&admin_user.id)).await.unwrap());
    let mut slowest = Duration::ZERO;
    for server in &cluster.servers {
        loop {
            let r = send_email(&client, &server.base, &live, &revoked_secret, &template, 0).await.unwrap();
            if r.status().as_u16() == 403 {
                slowest = slowest.max(revoked_at.elapsed());
                break;
            }
            assert!(revoked_at.elapsed() < Duration::from_secs(5), "{} still takes the revoked key", server.base);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    println!("a revoke was refused by all three instances within {slowest:?}");
    assert!(
        slowest < Duration::from_millis(500),
        "every instance hears of a revoke well within the snapshot's second: {slowest:?}"
    );

    // Revoked by the admin command, a process of its own that ends at once:
    // it announces the change before it ends.
    let (_, commanded_secret) = make_key("Revoked by command").await;
    works_everywhere(commanded_secret.clone()).await;
    let data = tempfile::tempdir().unwrap();
    let revoked = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["revoke-api-key", "--service-id", &live, "--name", "Revoked by command"])
        .env("DATABASE_URL", &cluster.url)
        .env("NOTIFY_SECRET_KEY", SECRET_KEY)
        .env("NOTIFY_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    let command_ended = Instant::now();
    let mut slowest = Duration::ZERO;
    for server in &cluster.servers {
        loop {
            let r = send_email(&client, &server.base, &live, &commanded_secret, &template, 0).await.unwrap();
            if r.status().as_u16() == 403 {
                slowest = slowest.max(command_ended.elapsed());
                break;
            }
            assert!(command_ended.elapsed() < Duration::from_secs(5), "{} still takes the key", server.base);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    println!("a key revoked by the admin command was refused by all three within {slowest:?} of its end");
    assert!(slowest < Duration::from_millis(500), "heard, not waited out: {slowest:?}");

    // The rate limit holds across the three: each takes a third of it.
    app::ssr::store::set_rate_limit(&pool, &live, 300).await.unwrap();
    // Each instance counts the others within a beat of their start.
    tokio::time::sleep(app::ssr::store::INSTANCE_BEAT * 2).await;
    let burst_started = Instant::now();
    let burst = futures::stream::iter(0..400)
        .map(|i| send_email(&client, &balancer.base, &live, &secret, &template, 5000 + i))
        .buffer_unordered(20)
        .collect::<Vec<_>>()
        .await;
    let elapsed = burst_started.elapsed().as_secs_f64();
    let statuses: Vec<u16> = burst.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    let accepted = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(accepted + statuses.iter().filter(|s| **s == 429).count(), 400, "accepted or refused: {statuses:?}");
    // One instance alone lets through a third of a minute's limit at once
    // (101 of 300) then 5 a second; three together, three bursts of a
    // third of their share (35 each) and the same 5 a second.
    let bound = 105 + (elapsed * 5.0).ceil() as usize + 1;
    println!("with a limit of 300 a minute, three instances accepted {accepted} of 400 at once ({elapsed:.2} s)");
    assert!(accepted <= bound && accepted >= 90, "{accepted} accepted, bound {bound}");
    app::ssr::store::set_rate_limit(&pool, &live, 100_000_000).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // 1,000 sends through the balancer, each with a receipt.
    let mut sent = Vec::new();
    let started = Instant::now();
    for chunk in (0..1000).collect::<Vec<_>>().chunks(50) {
        let rounds = chunk.iter().map(|&i| send_email(&client, &balancer.base, &live, &secret, &template, i));
        for r in futures::future::join_all(rounds).await {
            let r = r.unwrap();
            assert_eq!(r.status().as_u16(), 201);
            sent.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
        }
    }
    println!("1,000 sends through HAProxy in {:?}", started.elapsed());
    wait_for_receipts(&receipts, &sent, Duration::from_secs(60)).await;

    // kill -9 of one instance while sends are in flight through the
    // balancer, 20 at a time.
    let mut victim = cluster.servers.remove(1);
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        victim.kill_9();
        victim
    });
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    let sends = futures::stream::iter(0..1500)
        .map(|i| send_email(&client, &balancer.base, &live, &secret, &template, 1000 + i))
        .buffer_unordered(20)
        .collect::<Vec<_>>()
        .await;
    let _victim = killer.await.unwrap();
    for r in sends {
        match r {
            Ok(r) if r.status().as_u16() == 201 => {
                acknowledged.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string())
            }
            // In flight on the instance killed: not acknowledged.
            _ => refused += 1,
        }
    }
    println!("during the kill: {} acknowledged, {refused} not", acknowledged.len());
    assert!(acknowledged.len() >= 1000, "the other two went on taking sends: {}", acknowledged.len());
    for id in &acknowledged {
        let r = client
            .get(format!("{}/v2/notifications/{id}", balancer.base))
            .header("authorization", format!("Bearer {}", token(&live, &secret)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged {id} is readable");
    }
    // The dead instance's claims run out and another sends what it held.
    wait_for_receipts(&receipts, &acknowledged, Duration::from_secs(90)).await;
    let counts = receipts.by_notification();
    // One receipt (one `webhook-id`) per message, always; the same receipt
    // may come twice only if the instance sending it was killed mid-way.
    for id in sent.iter().chain(&acknowledged) {
        assert_eq!(counts[id].0, 1, "{id}: one receipt");
    }
    let resent = acknowledged.iter().filter(|id| counts[*id].1 > 1).count();
    println!("receipts sent twice, with the same webhook-id (in flight when their instance was killed): {resent}");
    for id in &sent {
        assert_eq!(counts[id].1, 1, "{id}: sent once, before the kill");
    }
}

async fn wait_for_receipts(receipts: &Receipts, ids: &[String], within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let counts = receipts.by_notification();
        let missing = ids.iter().filter(|id| !counts.contains_key(*id)).count();
        if missing == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{missing} of {} receipts never arrived", ids.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
