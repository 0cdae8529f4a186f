//! The test harness: the real router on port 0, a fresh database and data
//! folder per test, the demo data seeded, and a client that neither follows
//! redirects nor keeps cookies (so every test says what it sends).
#![allow(dead_code)]

pub mod postgres;

/// `$body` with `$db` bound to the store's pool, SQLite's or PostgreSQL's
/// (compiled for each): for a test that reads or changes the database
/// beside the server, in SQL both take (`$1` placeholders, ids compared as
/// `CAST(id AS TEXT)`, times bound and read as `Timestamp`).
#[macro_export]
macro_rules! on_db {
    ($store:expr, |$db:ident| $body:expr) => {
        match ($store.sqlite(), $store.postgres()) {
            (Some($db), _) => $body,
            (None, Some($db)) => $body,
            (None, None) => unreachable!("a store is on one backend or the other"),
        }
    };
}

use server::{AppState, Config};
use std::collections::HashMap;

pub const PASSWORD: &str = "notify-demo-password";
pub const ADMIN: &str = "admin@example.gov.uk";
pub const VIEWER: &str = "viewer@example.gov.uk";
pub const OUTSIDER: &str = "outsider@example.gov.uk";

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    pub fn set_cookie(&self) -> Option<String> {
        self.headers.get("set-cookie").and_then(|v| v.to_str().ok()).map(str::to_string)
    }
    /// The `name=value` of the cookie `name` this answer sets.
    pub fn cookie(&self, name: &str) -> String {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("a {name} cookie"))
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }
    /// The page's visible text, roughly: tags and comments removed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.body.split("</head>").last().unwrap_or("").chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
    /// The value of the hidden csrf_token field.
    pub fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("the page has a csrf_token field") + marker.len();
        self.body[start..start + 64].to_string()
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("NOTIFY_DATA_DIR".into(), dir.path().join("data").display().to_string());
        map.insert("NOTIFY_DEMO".into(), "true".into());
        // The test binary is not the server: letters are checked by the
        // server binary cargo built for these tests.
        map.entry("NOTIFY_LETTER_CHECKER".into()).or_insert_with(|| env!("CARGO_BIN_EXE_server").into());
        // The whole suite runs again on PostgreSQL (`NOTIFY_TEST_BACKEND`).
        if let Some(url) = postgres::backend_url().await {
            map.entry("DATABASE_URL".into()).or_insert(url);
        }
        let config = Config::from_lookup(|k| map.get(k).cloned()).unwrap();
        let (router, state) = server::build(config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap()
        });
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: format!("http://{addr}"), state, client, _dir: dir }
    }

    async fn into_page(r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        Page { status, headers, body }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Page {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        Self::into_page(req.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        Self::into_page(req.send().await.unwrap()).await
    }

    /// Signs in and returns the `Cookie` header value for the new session.
    pub async fn sign_in(&self, email: &str) -> String {
        let page = self.post("/sign-in", None, &[("email_address", email), ("password", PASSWORD)]).await;
        assert_eq!(page.status, 302, "sign-in as {email} failed: {}", page.text());
        let set = page.set_cookie().expect("a session cookie");
        set.split(';').next().unwrap().to_string()
    }

    pub async fn service_id(&self, name: &str) -> String {
        app::ssr::store::find_service_by_name(&self.state.pool, name).await.unwrap().unwrap().id
    }
}

/// An API key made directly in the store, with its whole key string.
pub struct Key {
    pub id: String,
    pub whole: String,
}

impl Key {
    pub fn secret(&self) -> &str {
        &self.whole[self.whole.len() - 36..]
    }
}

pub async fn make_key(app: &TestApp, service_id: &str, key_type: &str, name: &str) -> Key {
    use app::domain::{KeyName, KeyType};
    let admin = app::ssr::store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let created = app::ssr::keys::create(
        &app.state.pool,
        &app.state.secrets,
        service_id,
        &KeyName::parse(name).unwrap(),
        KeyType::parse(key_type).unwrap(),
        app::domain::api_key::KeyLifetime::Never,
        Some(&admin.id),
    )
    .await
    .unwrap()
    .unwrap();
    Key { id: created.id, whole: created.key }
}

/// A signed-in admin: the `Cookie` header value and the session's CSRF token.
pub struct Signed {
    pub cookie: String,
    pub csrf: String,
}

pub async fn admin(app: &TestApp) -> Signed {
    let cookie = app.sign_in(ADMIN).await;
    let csrf = app.get("/your-services", Some(&cookie)).await.csrf_token();
    Signed { cookie, csrf }
}

/// Sets the service's delivery-status callback through its page, as its
/// admin would (where receipts are queued for; the tests that send them
/// look at the queue, not at a receiver).
#[allow(dead_code)]
pub async fn set_delivery_status_callback(app: &TestApp, service_id: &str) {
    let s = admin(app).await;
    let page = app
        .post(
            &format!("/services/{service_id}/api/callbacks/delivery-status-callback"),
            Some(&s.cookie),
            &[
                ("csrf_token", &s.csrf),
                ("url", "https://callbacks.example.gov.uk/notify"),
                ("bearer_token", "a-callback-token-1234"),
            ],
        )
        .await;
    assert!(page.status == 200 || page.status == 302, "{}", page.text());
}

/// A notification's status once its provider has been offered it (no longer
/// `created`), or the last one seen after 10 seconds.
#[allow(dead_code)]
pub async fn status_once_offered(app: &TestApp, service_id: &str, key: &Key, id: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = api_get(app, service_id, key, &format!("/v2/notifications/{id}")).await;
        let status = got["status"].as_str().unwrap_or_default().to_string();
        if status != "created" || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The id of the service's first template of type `t` (`email`, `sms`, `letter`).
pub async fn template_id(app: &TestApp, service_id: &str, t: &str) -> String {
    app::ssr::store::list_templates(&app.state.pool, service_id)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.template_type.as_str() == t)
        .unwrap()
        .id
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A JWT as Notify's clients make it.
pub fn token(service_id: &str, secret: &str) -> String {
    app::ssr::jwt::sign(&serde_json::json!({"iss": service_id, "iat": now()}), secret)
}

/// Sends through the v2 API with `key`; returns the status and JSON body.
pub async fn send(
    app: &TestApp,
    service_id: &str,
    key: &Key,
    channel: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = app
        .client
        .post(format!("{}/v2/notifications/{channel}", app.base))
        .header("authorization", format!("Bearer {}", token(service_id, key.secret())))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// `GET {path}` on the API as the key's service (with a JWT): the answer's JSON.
pub async fn api_get(app: &TestApp, service_id: &str, key: &Key, path: &str) -> serde_json::Value {
    app.client
        .get(format!("{}{path}", app.base))
        .header("authorization", format!("Bearer {}", token(service_id, key.secret())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(serde_json::Value::Null)
}

/// Removes what the demo seeds on a service beyond its defaults (its
/// reply-to address, letter contact block and received texts), for tests
/// that start from a service with none. (Call it before the first API
/// request: the API's snapshot of the service is loaded then.)
pub async fn without_demo_senders_and_texts(app: &TestApp, service_id: &str) {
    for sql in [
        "DELETE FROM service_senders WHERE CAST(service_id AS TEXT) = $1 AND kind IN ('email_reply_to', 'letter_contact')",
        "DELETE FROM inbound_sms WHERE CAST(service_id AS TEXT) = $1",
    ] {
        on_db!(app.state.pool, |db| sqlx::query(sql).bind(service_id).execute(db).await.unwrap().rows_affected());
    }
}

/// Posts `bytes` as `file_name` to the template's "Upload a list of
/// recipients" form, as a browser does (multipart): the answer.
#[allow(dead_code)]
pub async fn upload_list(
    app: &TestApp,
    s: &Signed,
    service: &str,
    template: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> Page {
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
    TestApp::into_page(r).await
}

/// The server binary in its own process (for tests that kill it), its data
/// in `data`, the demo seeded, on a free loopback port.
pub struct ServerProcess {
    pub data: std::path::PathBuf,
    pub port: u16,
    pub base: String,
    vars: Vec<(String, String)>,
    child: std::process::Child,
}

impl ServerProcess {
    /// Starts it with `vars` added to its environment, and waits until it
    /// answers `/_status`.
    pub async fn start(data: &std::path::Path, vars: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let child = Self::spawn(data, port, &vars);
        let server = Self { data: data.to_path_buf(), port, base: format!("http://127.0.0.1:{port}"), vars, child };
        server.wait_until_up().await;
        server
    }

    fn spawn(data: &std::path::Path, port: u16, vars: &[(String, String)]) -> std::process::Child {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("NOTIFY_DATA_DIR", data)
            .env("NOTIFY_DEMO", "true")
            .env("NOTIFY_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the server binary starts")
    }

    async fn wait_until_up(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while reqwest::get(format!("{}/_status", self.base)).await.map(|r| r.status().as_u16()).ok() != Some(200) {
            assert!(std::time::Instant::now() < deadline, "the server never came up");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts it again (after [`Self::kill_9`]) on the same port and data.
    pub async fn start_again(&mut self) {
        self.child = Self::spawn(&self.data, self.port, &self.vars);
        self.wait_until_up().await;
    }

    /// An API key of `key_type` for the service named `service_name`, made
    /// through the store beside the process, with its rate limit lifted:
    /// the service's id and the key's secret.
    pub async fn key_for(&self, service_name: &str, key_type: app::domain::KeyType) -> (String, String) {
        let (pool, secrets) = self.open_store().await;
        let service = app::ssr::store::find_service_by_name(&pool, service_name).await.unwrap().unwrap().id;
        app::ssr::store::set_rate_limit(&pool, &service, 100_000_000).await.unwrap();
        let key = app::ssr::keys::create(
            &pool,
            &secrets,
            &service,
            &app::domain::KeyName::parse("Crash").unwrap(),
            key_type,
            app::domain::api_key::KeyLifetime::Never,
            None,
        )
        .await
        .unwrap()
        .unwrap();
        (service, key.key[key.key.len() - 36..].to_string())
    }

    /// The store and secrets the process uses, opened beside it.
    pub async fn open_store(&self) -> (app::ssr::store::Store, app::ssr::secrets::Secrets) {
        let data = self.data.display().to_string();
        let config = Config::from_lookup(|k| (k == "NOTIFY_DATA_DIR").then(|| data.clone())).unwrap();
        let pool = app::ssr::store::connect(&config.database_url).await.unwrap();
        let secrets = app::ssr::secrets::Secrets::new(server::server_key::load_or_create(&config).unwrap().bytes());
        (pool, secrets)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
