//! The object-level authorisation matrix: every admin route and method (from
//! the router's own table, so a new route cannot be missed) × every kind of
//! user × the service's own ids, another service's ids and ids that do not
//! exist, against the access the table declares. Then the same for the
//! server functions, and every undeclared method.

mod common;

use app::domain::senders::SenderKind;
use app::domain::Permission;
use app::ssr::{clock, store};
use common::*;
use server::web::{admin_route_table, Access};

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Persona {
    SignedOut,
    /// Signed in, member of no service.
    Outsider,
    /// A member of both services who may only view activity.
    Viewer,
    /// A member of the live service with no permission at all.
    BareMember,
    /// An admin of the trial service only.
    OtherAdmin,
    /// An admin of both services.
    Admin,
}

const PERSONAS: [Persona; 6] =
    [Persona::SignedOut, Persona::Outsider, Persona::Viewer, Persona::BareMember, Persona::OtherAdmin, Persona::Admin];

/// Which ids the URL holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ids {
    Own,
    OtherServices,
    Missing,
}

/// The ids of one service's objects.
struct ServiceIds {
    service: String,
    key: String,
    template: String,
    letter_template: String,
    notification: String,
    alert: String,
    reply_to: String,
    sms_sender: String,
    letter_contact: String,
    /// A check of a new reply-to address.
    check: String,
    /// A waiting invitation to the service, and its link's token.
    invitation: String,
    token: String,
    /// A member of the service (not one of the personas), and a departure.
    member: String,
    departure: String,
    /// A password reset link's token (for a user who is none of the personas).
    reset_token: String,
    /// One of the admin's security keys.
    security_key: String,
    /// A list of recipients uploaded for the email template.
    upload: String,
    /// A job sending it, scheduled (so it can be cancelled).
    job: String,
}

async fn objects(app: &TestApp, service: &str, name: &str) -> ServiceIds {
    let key = make_key(app, service, "test", name).await;
    let template = template_id(app, service, "email").await;
    let letter_template_id = template_id(app, service, "letter").await;
    // A letter, so that every page about a notification (its PDF too) has
    // something to show; stored directly, as not every service sends letters.
    let letter_template = store::list_templates(&app.state.pool, service).await.unwrap().remove(0);
    let notification = uuid::Uuid::new_v4().to_string();
    store::create_notifications(
        &app.state.pool,
        &[&store::NewNotification {
            id: notification.clone(),
            service_id: service.to_string(),
            api_key_id: Some(key.id.clone()),
            key_type: app::domain::KeyType::Test,
            template_id: letter_template.id,
            template_version: 1,
            notification_type: app::domain::TemplateType::Letter,
            recipient: "A Person\n1 Street\nSW1A 1AA".to_string(),
            client_reference: None,
            personalisation: "{}".to_string(),
            subject: Some("Matrix".to_string()),
            body: "Dear M".to_string(),
            postage: Some("second".to_string()),
            created_at: clock::now(),
            reply_to: None,
            one_click_unsubscribe_url: None,
            job: None,
        }],
    )
    .await
    .unwrap();
    store::record_usage(
        &app.state.pool,
        &[(key.id.clone(), app::domain::key_usage::hour_of(clock::now().time()), "email:sent", 600)],
        &[],
    )
    .await
    .unwrap();
    store::raise_alerts(&app.state.pool, clock::now()).await.unwrap();
    let alert = store::open_alerts(&app.state.pool, service).await.unwrap().remove(0).id.to_string();
    // Two reply-to addresses: the one in URLs is not the default (which
    // cannot be deleted).
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let slug = name.to_lowercase().replace(' ', "-");
    let mut not_default = Vec::new();
    for (kind, values) in [
        (SenderKind::EmailReplyTo, [format!("{slug}-default@example.gov.uk"), format!("{slug}-other@example.gov.uk")]),
        // Every service has GOVUK already; sender IDs are short.
        (SenderKind::SmsSender, [format!("S{}", rand_digits()), format!("T{}", rand_digits())]),
        (SenderKind::LetterContact, [format!("{slug}\nFirst Street"), format!("{slug}\nSecond Street")]),
    ] {
        for value in values {
            store::add_sender(&app.state.pool, service, kind, &value, false, &admin_user.id).await.unwrap().unwrap();
        }
        let id = store::senders(&app.state.pool, service, kind)
            .await
            .unwrap()
            .into_iter()
            .rev()
            .find(|r| !r.is_default)
            .unwrap()
            .id;
        not_default.push(id);
    }
    let letter_contact = not_default.pop().unwrap();
    let sms_sender = not_default.pop().unwrap();
    let reply_to = not_default.pop().unwrap();
    let check =
        app::ssr::reply_to::start(&app.state.pool, service, &format!("{slug}-checked@example.gov.uk"), false, None)
            .await
            .unwrap()
            .unwrap();
    let token = app::ssr::tokens::random_token();
    let admin = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let invitation = store::create_invitation(
        &app.state.pool,
        service,
        &format!("{slug}-invitee-{}@example.gov.uk", rand_digits()),
        &[app::domain::Permission::SendMessages],
        &admin.id,
        &app::ssr::tokens::digest(&token),
    )
    .await
    .unwrap();
    let hash = app::ssr::passwords::hash("a member's password").unwrap();
    let mut member_ids = Vec::new();
    for n in 0..2 {
        let email = format!("{slug}-member-{n}-{}@example.gov.uk", rand_digits());
        let id = store::create_user(
            &app.state.pool,
            store::NewUser {
                name: "A member",
                email_address: &email,
                mobile_number: None,
                password_hash: &hash,
                platform_admin: false,
                sign_in_method: app::domain::sign_in_method::SignInMethod::PasswordOnly,
            },
        )
        .await
        .unwrap();
        store::grant(&app.state.pool, &id, service, &[app::domain::Permission::ManageApiKeys]).await.unwrap();
        member_ids.push(id);
    }
    store::remove_member(&app.state.pool, service, &member_ids[1], &admin.id).await.unwrap().unwrap();
    let (departure,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) FROM departures WHERE CAST(user_id AS TEXT) = $1"
    )
    .bind(&member_ids[1])
    .fetch_one(db)
    .await
    .unwrap());
    let reset_token = app::ssr::tokens::random_token();
    store::create_password_reset(&app.state.pool, &member_ids[0], &app::ssr::tokens::digest(&reset_token))
        .await
        .unwrap();
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let credential_id = app::ssr::tokens::random_token();
    store::add_security_key(&app.state.pool, &admin_user.id, &format!("{slug} key"), &credential_id, "{}")
        .await
        .unwrap();
    let security_key = store::security_keys(&app.state.pool, &admin_user.id)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.credential_id == credential_id)
        .unwrap()
        .id;
    let upload = store::create_upload(
        &app.state.pool,
        service,
        &template,
        "people.csv",
        ',',
        "email address,name\nsomeone@example.gov.uk,Someone\n",
        &admin_user.id,
    )
    .await
    .unwrap();
    let job = scheduled_job(app, service, &template).await;
    ServiceIds {
        upload,
        job,
        security_key,
        reset_token,
        member: member_ids.remove(0),
        departure,
        invitation,
        token,
        check,
        service: service.to_string(),
        key: key.id,
        template,
        letter_template: letter_template_id,
        notification,
        alert,
        reply_to,
        sms_sender,
        letter_contact,
    }
}

/// A job of the service sending its email template tomorrow: its id.
async fn scheduled_job(app: &TestApp, service: &str, template: &str) -> String {
    let t = store::get_template(&app.state.pool, service, template).await.unwrap().unwrap();
    let job = store::NewJob {
        service_id: service.to_string(),
        template_id: t.id.clone(),
        template_version: t.version,
        notification_type: t.template_type,
        template_subject: t.subject.clone(),
        template_content: t.content.clone(),
        original_file_name: "people.csv".into(),
        delimiter: ',',
        content: "email address\nsomeone@example.gov.uk\n".into(),
        notification_count: 1,
        scheduled_for: Some(app::ssr::clock::now() + time::Duration::days(1)),
        created_by: None,
        api_key_id: None,
        key_type: app::domain::KeyType::Normal,
        reply_to: None,
    };
    store::create_job(&app.state.pool, &job, 1000).await.unwrap().unwrap().id
}

/// A delivery-status callback for the service, as its admin saved it.
async fn save_delivery_callback(app: &TestApp, service_id: &str) {
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let token = app.state.secrets.seal(
        "a-long-enough-token",
        app::ssr::secrets::SealedFor::CallbackToken { service_id, callback_type: "delivery_status" },
    );
    store::save_callback(
        &app.state.pool,
        service_id,
        app::domain::CallbackKind::DeliveryStatus,
        store::CallbackSettings {
            url: "https://example.gov.uk/callback",
            bearer_token_ciphertext: &token,
            new_signing_secret_ciphertext: None,
        },
        store::Audit { user_id: Some(&admin_user.id), description: "Set the callback" },
    )
    .await
    .unwrap();
}

/// Eight digits, different each time (sender IDs must differ).
fn rand_digits() -> String {
    format!("{:08}", uuid::Uuid::new_v4().as_u128() % 100_000_000)
}

fn fill(path: &str, ids: &ServiceIds, service: &str) -> String {
    path.replace("{service_id}", service)
        .replace("{key_id}", &ids.key)
        .replace("{template_id}", &ids.template)
        .replace("{letter_template_id}", &ids.letter_template)
        .replace("{notification_id}", &ids.notification)
        .replace("{alert_id}", &ids.alert)
        .replace("{reply_to_id}", &ids.reply_to)
        .replace("{sms_sender_id}", &ids.sms_sender)
        .replace("{letter_contact_id}", &ids.letter_contact)
        .replace("{check_id}", &ids.check)
        .replace("{invited_user_id}", &ids.invitation)
        .replace("{token}", &ids.token)
        .replace("{user_id}", &ids.member)
        .replace("{departure_id}", &ids.departure)
        .replace("{reset_token}", &ids.reset_token)
        .replace("{security_key_id}", &ids.security_key)
        .replace("{upload_id}", &ids.upload)
        .replace("{job_id}", &ids.job)
        .replace("{callback}", "delivery-status-callback")
        .replace("{section}", "callbacks")
}

fn missing_ids() -> ServiceIds {
    ServiceIds {
        service: uuid::Uuid::new_v4().to_string(),
        key: uuid::Uuid::new_v4().to_string(),
        template: uuid::Uuid::new_v4().to_string(),
        letter_template: uuid::Uuid::new_v4().to_string(),
        notification: uuid::Uuid::new_v4().to_string(),
        alert: "987654321".to_string(),
        reply_to: uuid::Uuid::new_v4().to_string(),
        sms_sender: uuid::Uuid::new_v4().to_string(),
        letter_contact: uuid::Uuid::new_v4().to_string(),
        check: uuid::Uuid::new_v4().to_string(),
        invitation: uuid::Uuid::new_v4().to_string(),
        token: app::ssr::tokens::random_token(),
        member: uuid::Uuid::new_v4().to_string(),
        departure: uuid::Uuid::new_v4().to_string(),
        reset_token: app::ssr::tokens::random_token(),
        security_key: uuid::Uuid::new_v4().to_string(),
        upload: uuid::Uuid::new_v4().to_string(),
        job: uuid::Uuid::new_v4().to_string(),
    }
}

/// A signed-in persona's cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn user(app: &TestApp, name: &str, email: &str) -> String {
    let hash = app::ssr::passwords::hash(PASSWORD).unwrap();
    store::create_user(
        &app.state.pool,
        store::NewUser {
            name,
            email_address: email,
            mobile_number: None,
            password_hash: &hash,
            platform_admin: false,
            sign_in_method: app::domain::sign_in_method::SignInMethod::PasswordOnly,
        },
    )
    .await
    .unwrap()
}

async fn session(app: &TestApp, email: &str) -> Session {
    let cookie = app.sign_in(email).await;
    let csrf = app.get("/your-services", Some(&cookie)).await.csrf_token();
    Session { cookie, csrf }
}

/// The permissions `persona` holds on the live service (`None`: not a member).
fn live_permissions(persona: Persona) -> Option<Vec<Permission>> {
    match persona {
        Persona::SignedOut | Persona::Outsider | Persona::OtherAdmin => None,
        Persona::Viewer => Some(vec![Permission::ViewActivity]),
        Persona::BareMember => Some(vec![]),
        Persona::Admin => Some(Permission::ALL.to_vec()),
    }
}

/// What a request should get: `Ok(statuses)` any of which is right.
fn expected(access: Access, persona: Persona, ids: Ids, method: &str, has_sub_ids: bool) -> &'static [u16] {
    match access {
        Access::Public => &[200, 301, 302, 400, 403],
        Access::SignedIn if persona == Persona::SignedOut => &[302],
        Access::SignedIn => &[200],
        // The admin's own security key; anyone else's is not found.
        Access::Own if persona == Persona::SignedOut => &[302],
        Access::Own if persona != Persona::Admin => &[404],
        Access::Own if method == "GET" => &[200],
        Access::Own => &[200, 302],
        Access::Service(any_of) => {
            if persona == Persona::SignedOut {
                return &[302];
            }
            // The service itself: another's or a missing one is 404 to all
            // but its members.
            let Some(held) = live_permissions(persona) else { return &[404] };
            if !any_of.is_empty() && !any_of.iter().any(|p| held.contains(p)) {
                return &[403];
            }
            match (ids, has_sub_ids, method) {
                (Ids::Own, _, "GET") => &[200],
                (Ids::Own, _, _) => &[200, 302],
                (_, true, _) => &[404],
                (_, false, _) => unreachable!("routes without object ids are only tried with their own service"),
            }
        }
    }
}

#[tokio::test]
async fn every_admin_route_answers_every_kind_of_user_as_its_access_says() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    let bare = user(&app, "Bare Member", "bare@example.gov.uk").await;
    store::grant(&app.state.pool, &bare, &live, &[]).await.unwrap();
    let other = user(&app, "Other Admin", "other-admin@example.gov.uk").await;
    store::grant(&app.state.pool, &other, &trial, Permission::ALL).await.unwrap();
    let own = objects(&app, &live, "Matrix own").await;
    let others = objects(&app, &trial, "Matrix other").await;
    save_delivery_callback(&app, &live).await;
    save_delivery_callback(&app, &trial).await;
    let missing = missing_ids();
    let mut sessions = Vec::new();
    for persona in PERSONAS {
        let email = match persona {
            Persona::SignedOut => None,
            Persona::Outsider => Some(OUTSIDER),
            Persona::Viewer => Some(VIEWER),
            Persona::BareMember => Some("bare@example.gov.uk"),
            Persona::OtherAdmin => Some("other-admin@example.gov.uk"),
            Persona::Admin => Some(ADMIN),
        };
        let s = match email {
            Some(e) => Some(session(&app, e).await),
            None => None,
        };
        sessions.push((persona, s));
    }

    let table = admin_route_table();
    assert!(table.len() >= 25, "the table lists every admin route");
    let mut cells = 0;
    let mut wrong = Vec::new();
    // Reads first, then refused writes, then the admin's own writes (which
    // change things) last.
    for pass in ["GET", "POST refused", "POST own"] {
        for route in &table {
            for method in route.methods {
                if (pass == "GET") != (*method == "GET") {
                    continue;
                }
                let has_sub_ids = [
                    "{key_id}",
                    "{template_id}",
                    "{letter_template_id}",
                    "{notification_id}",
                    "{alert_id}",
                    "{reply_to_id}",
                    "{sms_sender_id}",
                    "{letter_contact_id}",
                    "{check_id}",
                    "{invited_user_id}",
                    "{user_id}",
                    "{departure_id}",
                    "{upload_id}",
                    "{job_id}",
                ]
                .iter()
                .any(|p| route.path.contains(p));
                let is_service_route = route.path.contains("{service_id}");
                for (persona, session) in &sessions {
                    for ids in [Ids::Own, Ids::OtherServices, Ids::Missing] {
                        if ids != Ids::Own && !(is_service_route && has_sub_ids) {
                            // Only the service's own ids to vary… but a
                            // missing service is tried for every route.
                            if !(is_service_route && ids == Ids::Missing) {
                                continue;
                            }
                        }
                        let admin_write = *method == "POST" && *persona == Persona::Admin && ids == Ids::Own;
                        if *method == "POST" && (pass == "POST own") != admin_write {
                            continue;
                        }
                        if route.access == Access::Public && *method == "POST" {
                            continue; // sign-in, sign-out, leak reports: their own tests
                        }
                        // The admin's own writes each get fresh objects: a
                        // revoked key cannot then be rotated.
                        let fresh;
                        let objects_in_path = match ids {
                            Ids::Own if admin_write => {
                                fresh = objects(&app, &live, &format!("Fresh {cells}")).await;
                                // An earlier write may have cleared it.
                                save_delivery_callback(&app, &live).await;
                                &fresh
                            }
                            Ids::Own => &own,
                            Ids::OtherServices => &others,
                            Ids::Missing => &missing,
                        };
                        // Another service's objects under the live service's
                        // URL; a missing service when the route has no other ids.
                        let service = if ids == Ids::Missing && !has_sub_ids { &missing.service } else { &own.service };
                        let path = fill(route.path, objects_in_path, service);
                        let page = match *method {
                            "GET" => app.get(&path, session.as_ref().map(|s| s.cookie.as_str())).await,
                            _ => {
                                let csrf = session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default();
                                app.post(&path, session.as_ref().map(|s| s.cookie.as_str()), &[("csrf_token", &csrf)])
                                    .await
                            }
                        };
                        let sub_ids_for_expectation = has_sub_ids || ids == Ids::Missing;
                        let allowed = if ids == Ids::Missing && !has_sub_ids {
                            // A service that does not exist: 302 signed out, 404 otherwise.
                            match (route.access, persona) {
                                (Access::Service(_), Persona::SignedOut) => &[302][..],
                                (Access::Service(_), _) => &[404][..],
                                (access, _) => expected(access, *persona, Ids::Own, method, false),
                            }
                        } else {
                            expected(route.access, *persona, ids, method, sub_ids_for_expectation)
                        };
                        cells += 1;
                        if !allowed.contains(&page.status) {
                            wrong.push(format!(
                                "{method} {path} as {persona:?} with {ids:?} ids: {} (expected {allowed:?})",
                                page.status
                            ));
                        }
                        if page.status == 302 && *persona == Persona::SignedOut && route.access != Access::Public {
                            assert!(page.location().starts_with("/sign-in"), "{method} {path}: {}", page.location());
                        }
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {cells} cells wrong:\n{}", wrong.len(), wrong.join("\n"));
    assert!(cells > 300, "{cells} cells");
    println!("authorisation matrix: {cells} cells, 0 wrong");
}

#[tokio::test]
async fn methods_a_route_does_not_declare_are_refused() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let ids = objects(&app, &live, "Methods").await;
    let signed = admin(&app).await;
    let mut checked = 0;
    for route in admin_route_table() {
        let path = fill(route.path, &ids, &live);
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if route.methods.contains(&method) {
                continue;
            }
            let r = app
                .client
                .request(method.parse().unwrap(), format!("{}{path}", app.base))
                .header("cookie", &signed.cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf_token={}", signed.csrf))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 405, "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 90, "{checked}");
}

#[tokio::test]
async fn server_functions_check_the_session_and_the_permission_as_pages_do() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    let other = user(&app, "Other Admin", "other-admin@example.gov.uk").await;
    store::grant(&app.state.pool, &other, &trial, Permission::ALL).await.unwrap();
    save_delivery_callback(&app, &live).await;
    let admin_s = session(&app, ADMIN).await;
    let viewer = session(&app, VIEWER).await;
    let outsider = session(&app, OUTSIDER).await;
    let other_admin = session(&app, "other-admin@example.gov.uk").await;
    let missing = uuid::Uuid::new_v4().to_string();
    for (endpoint, query) in [
        ("message-log", format!("service_id={live}")),
        ("callback-activity", format!("service_id={live}&callback=delivery-status-callback")),
    ] {
        let get = |cookie: Option<String>, query: String| {
            let app = &app;
            async move {
                let mut req = app.client.get(format!("{}/_fn/{endpoint}?{query}", app.base));
                if let Some(c) = cookie {
                    req = req.header("cookie", c);
                }
                req.send().await.unwrap().status().as_u16()
            }
        };
        assert_eq!(get(None, query.clone()).await, 401, "{endpoint} signed out");
        assert_eq!(get(Some(outsider.cookie.clone()), query.clone()).await, 404, "{endpoint} outsider");
        assert_eq!(get(Some(other_admin.cookie.clone()), query.clone()).await, 404, "{endpoint} other admin");
        assert_eq!(get(Some(viewer.cookie.clone()), query.clone()).await, 403, "{endpoint} viewer");
        assert_eq!(get(Some(admin_s.cookie.clone()), query.clone()).await, 200, "{endpoint} admin");
        let elsewhere = query.replace(&live, &missing);
        assert_eq!(get(Some(admin_s.cookie.clone()), elsewhere).await, 404, "{endpoint} missing service");
    }
    // A job's progress: for those who see its page (seeing messages, or
    // sending), in its own service only.
    let job = scheduled_job(&app, &live, &template_id(&app, &live, "email").await).await;
    let progress = |cookie: Option<&str>, service: &str, job: &str| {
        let mut req = app.client.get(format!("{}/_fn/job-progress?service_id={service}&job_id={job}", app.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c.to_string());
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(progress(None, &live, &job).await, 401);
    assert_eq!(progress(Some(&outsider.cookie), &live, &job).await, 404);
    assert_eq!(progress(Some(&other_admin.cookie), &live, &job).await, 404);
    assert_eq!(progress(Some(&other_admin.cookie), &trial, &job).await, 404, "another service's job");
    assert_eq!(progress(Some(&viewer.cookie), &live, &job).await, 200);
    assert_eq!(progress(Some(&admin_s.cookie), &live, &job).await, 200);
    assert_eq!(progress(Some(&admin_s.cookie), &live, &missing).await, 404);
    assert_eq!(progress(Some(&admin_s.cookie), &live, "not-a-job").await, 404);
    // The state-changing one also needs the session's CSRF token.
    let post = |cookie: &str, csrf: &str| {
        let body = format!("service_id={live}&callback=delivery-status-callback&csrf_token={csrf}");
        let req = app
            .client
            .post(format!("{}/_fn/send-test-callback", app.base))
            .header("cookie", cookie.to_string())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(&viewer.cookie, &viewer.csrf).await, 403);
    assert_eq!(post(&outsider.cookie, &outsider.csrf).await, 404);
    assert_eq!(post(&admin_s.cookie, &viewer.csrf).await, 403, "another session's token");
    assert_eq!(post(&admin_s.cookie, "").await, 403, "no token");
}

/// Everything a refused write could have changed, in one string.
async fn state_of(app: &TestApp) -> String {
    // Each backend joins the keys' and templates' states with its own
    // aggregate.
    let sql = if app.state.pool.is_postgres() {
        "SELECT 'audit ' || count(*) FROM audit_events
         UNION ALL SELECT 'keys ' || coalesce(string_agg(CAST(id AS TEXT) || coalesce(CAST(expiry_date AS TEXT), '')
                                      || coalesce(CAST(rotated_to AS TEXT), ''), ',' ORDER BY id), '') FROM api_keys
         UNION ALL SELECT 'templates ' || coalesce(string_agg(CAST(id AS TEXT) || version, ',' ORDER BY id), '')
                   FROM templates
         UNION ALL SELECT 'callbacks ' || count(*) FROM service_callbacks
         UNION ALL SELECT 'guest list ' || count(*) FROM guest_list
         UNION ALL SELECT 'alerts ' || count(*) FROM key_alerts WHERE dismissed_at IS NOT NULL
         UNION ALL SELECT 'sessions ' || count(*) FROM sessions"
    } else {
        "SELECT 'audit ' || count(*) FROM audit_events
         UNION ALL SELECT 'keys ' || group_concat(id || coalesce(expiry_date, '') || coalesce(rotated_to, '')) FROM api_keys
         UNION ALL SELECT 'templates ' || group_concat(id || version) FROM templates
         UNION ALL SELECT 'callbacks ' || count(*) FROM service_callbacks
         UNION ALL SELECT 'guest list ' || count(*) FROM guest_list
         UNION ALL SELECT 'alerts ' || count(*) FROM key_alerts WHERE dismissed_at IS NOT NULL
         UNION ALL SELECT 'sessions ' || count(*) FROM sessions"
    };
    let rows: Vec<(String,)> = on_db!(app.state.pool, |db| sqlx::query_as(sql).fetch_all(db).await.unwrap());
    rows.into_iter().map(|(r,)| r).collect::<Vec<_>>().join("; ")
}

#[tokio::test]
async fn every_write_without_the_sessions_own_token_or_from_another_site_is_refused() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let own = objects(&app, &live, "Csrf").await;
    let admin_s = session(&app, ADMIN).await;
    let viewer = session(&app, VIEWER).await;
    let before = state_of(&app).await;
    let mut tried = 0;
    for route in admin_route_table() {
        if !route.methods.contains(&"POST") || route.access == Access::Public && route.path != "/sign-out" {
            continue;
        }
        let path = fill(route.path, &own, &live);
        let attempts: [(&str, Option<&str>, Option<&str>); 4] = [
            ("no token", None, None),
            ("another session's token", Some(viewer.csrf.as_str()), None),
            ("a foreign Origin", Some(admin_s.csrf.as_str()), Some("https://evil.example")),
            ("Origin: null", Some(admin_s.csrf.as_str()), Some("null")),
        ];
        for (what, token, origin) in attempts {
            let mut form = vec![("url", "https://example.gov.uk/x"), ("bearer_token", "a-long-enough-token")];
            if let Some(t) = token {
                form.push(("csrf_token", t));
            }
            let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
            let mut req = app
                .client
                .post(format!("{}{path}", app.base))
                .header("cookie", &admin_s.cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            if let Some(o) = origin {
                req = req.header("origin", o);
            }
            let status = req.send().await.unwrap().status().as_u16();
            assert_eq!(status, 403, "POST {path} with {what}");
            tried += 1;
        }
    }
    assert_eq!(state_of(&app).await, before, "a refused write changed something");
    assert!(tried >= 48, "{tried}");
}
