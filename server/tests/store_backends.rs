//! The store's aggregates written for both backends (issue 20: users,
//! services, the team and invitations, templates and their versions, API
//! keys, senders, the guest list, the audit log, sessions and flash
//! messages, security keys, uploads), run through the same journey on SQLite
//! and on a throwaway PostgreSQL cluster: each step answers the same on
//! both. Also: three instances migrating one PostgreSQL database at once.

mod common;

use app::domain::senders::SenderKind;
use app::domain::sign_in_method::SignInMethod;
use app::domain::{KeyType, Permission, ServicePermission, TemplateType, Timestamp};
use app::ssr::clock;
use app::ssr::store::{self, Audit, CreateKeyError, NewApiKey, NewTemplate, NewUser, SenderError, Store, TeamError};
use time::Duration;

async fn sqlite_store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite:{}", dir.path().join("notify.db").display());
    store::connect(&url).await.unwrap()
}

fn key<'a>(id: &'a str, service_id: &'a str, name: &'a str, digest: &'a str, by: &'a str) -> NewApiKey<'a> {
    NewApiKey {
        id,
        service_id,
        name,
        name_fingerprint: name,
        key_type: KeyType::Normal,
        secret_ciphertext: "sealed",
        secret_digest: digest,
        created_by: Some(by),
        expires_at: None,
    }
}

fn new_user<'a>(name: &'a str, email_address: &'a str) -> NewUser<'a> {
    NewUser {
        name,
        email_address,
        mobile_number: None,
        password_hash: "hash",
        platform_admin: false,
        sign_in_method: SignInMethod::EmailAuth,
    }
}

/// Another service, for what must not be shared between services.
async fn bob_service(pool: &Store) -> String {
    store::create_service(pool, &format!("Other {}", store::new_id()), true, &[]).await.unwrap()
}

/// A code (and link) sent to `user_id` in browser `browser-1`.
fn code<'a>(
    user_id: &'a str,
    id: &'a str,
    purpose: store::CodePurpose,
    detail: Option<&'a str>,
) -> store::NewVerifyCode<'a> {
    store::NewVerifyCode {
        id,
        user_id,
        purpose,
        channel: "email",
        browser_digest: Some("browser-1"),
        sealed_code: Some("sealed"),
        link_digest: Some(id),
        detail,
    }
}

/// One journey through every aggregate written for both backends, with
/// what each step must answer.
async fn journey(pool: &Store) {
    // Users.
    let ada = store::create_user(pool, new_user("Ada", "Ada@Example.gov.uk")).await.unwrap();
    let bob = store::create_user(pool, new_user("Bob", "bob@example.gov.uk")).await.unwrap();
    let found = store::find_user_by_email(pool, "ada@example.GOV.uk").await.unwrap().expect("found without case");
    assert_eq!((found.id.as_str(), found.name.as_str()), (ada.as_str(), "Ada"));
    assert_eq!(found.auth_type, SignInMethod::EmailAuth);
    assert!(store::get_user(pool, "not-an-id").await.unwrap().is_none(), "a malformed id finds nothing");
    store::set_user_name(pool, &ada, "Ada Lovelace").await.unwrap();
    store::set_user_sign_in_method(pool, &ada, SignInMethod::SmsAuth).await.unwrap();
    let ada_row = store::get_user(pool, &ada).await.unwrap().unwrap();
    assert_eq!((ada_row.name.as_str(), ada_row.auth_type), ("Ada Lovelace", SignInMethod::SmsAuth));

    // Sessions and flash messages.
    store::create_session(pool, "digest-1", &ada, "csrf").await.unwrap();
    let long_ago = clock::ago(Duration::hours(1));
    let session = store::touch_session(pool, "digest-1", long_ago, long_ago).await.unwrap().expect("a session");
    assert_eq!((session.user_id.as_str(), session.csrf_token.as_str()), (ada.as_str(), "csrf"));
    assert!(store::touch_session(pool, "digest-1", clock::now(), long_ago).await.unwrap().is_none(), "idle");
    store::set_flash(pool, "digest-1", "Saved").await.unwrap();
    assert_eq!(store::take_flash(pool, "digest-1").await.unwrap().as_deref(), Some("Saved"));
    assert_eq!(store::take_flash(pool, "digest-1").await.unwrap(), None, "a flash message is shown once");
    store::record_sign_in_failure(pool, "ada@example.gov.uk").await.unwrap();
    store::record_sign_in_failure(pool, "ada@example.gov.uk").await.unwrap();
    assert_eq!(store::count_sign_in_failures_since(pool, "ada@example.gov.uk", long_ago).await.unwrap(), 2);
    store::clear_sign_in_failures(pool, "ada@example.gov.uk").await.unwrap();
    assert_eq!(store::count_sign_in_failures_since(pool, "ada@example.gov.uk", long_ago).await.unwrap(), 0);

    // Password resets end every session.
    store::create_password_reset(pool, &ada, "reset-1").await.unwrap();
    let (reset_user, _, used) = store::password_reset(pool, "reset-1").await.unwrap().unwrap();
    assert_eq!((reset_user.as_str(), used), (ada.as_str(), None));
    assert!(store::complete_password_reset(pool, "reset-1", &ada, "new-hash").await.unwrap());
    assert!(!store::complete_password_reset(pool, "reset-1", &ada, "again").await.unwrap(), "used once");
    assert!(store::touch_session(pool, "digest-1", long_ago, long_ago).await.unwrap().is_none());
    assert_eq!(store::get_user(pool, &ada).await.unwrap().unwrap().password_hash, "new-hash");

    // Services and membership.
    let service =
        store::create_service(pool, "Tax", true, &[ServicePermission::Email, ServicePermission::Sms]).await.unwrap();
    assert_eq!(store::find_service_by_name(pool, "TAX").await.unwrap().unwrap().id, service);
    assert_eq!(
        store::service_permissions(pool, &service).await.unwrap(),
        vec![ServicePermission::Email, ServicePermission::Sms]
    );
    store::grant(pool, &ada, &service, &[Permission::ManageService, Permission::ManageApiKeys]).await.unwrap();
    store::grant(pool, &ada, &service, &[Permission::ManageService]).await.unwrap();
    assert_eq!(
        store::user_permissions(pool, &ada, &service).await.unwrap(),
        Some(vec![Permission::ManageApiKeys, Permission::ManageService])
    );
    assert_eq!(store::user_permissions(pool, &bob, &service).await.unwrap(), None, "not a member");
    assert_eq!(store::services_for_user(pool, &ada).await.unwrap().len(), 1);
    store::set_daily_limit(pool, &service, TemplateType::Sms, 250).await.unwrap();
    store::set_rate_limit(pool, &service, 99).await.unwrap();
    store::set_max_key_lifetime(pool, &service, Some(30)).await.unwrap();
    let sending = store::sending_service(pool, &service).await.unwrap();
    assert_eq!((sending.rate_limit, sending.daily_limit(TemplateType::Sms)), (99, 250));
    let mut permissions: Vec<&str> = sending.permissions.split(',').collect();
    permissions.sort();
    assert_eq!(permissions, ["email", "sms"]);
    assert_eq!(store::get_service(pool, &service).await.unwrap().unwrap().max_key_lifetime_days, Some(30));
    store::set_restricted(pool, &service, false).await.unwrap();
    assert!(!store::get_service(pool, &service).await.unwrap().unwrap().restricted);

    // Senders: the first of a kind is the default; duplicates refused.
    let texts = store::senders(pool, &service, SenderKind::SmsSender).await.unwrap();
    assert_eq!(texts.len(), 1, "a new service sends texts from GOVUK");
    let reply = store::add_sender(pool, &service, SenderKind::EmailReplyTo, "a@example.gov.uk", false, &ada)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store::add_sender(pool, &service, SenderKind::EmailReplyTo, "A@example.gov.uk", false, &ada).await.unwrap(),
        Err(SenderError::Duplicate)
    );
    let other = store::add_sender(pool, &service, SenderKind::EmailReplyTo, "b@example.gov.uk", true, &ada)
        .await
        .unwrap()
        .unwrap();
    let replies = store::senders(pool, &service, SenderKind::EmailReplyTo).await.unwrap();
    assert_eq!(
        replies.iter().map(|s| (s.id.as_str(), s.is_default)).collect::<Vec<_>>(),
        [(other.as_str(), true), (reply.as_str(), false)]
    );
    assert_eq!(
        store::update_sender(pool, &service, SenderKind::EmailReplyTo, &reply, "b@example.gov.uk", false, &ada)
            .await
            .unwrap(),
        Err(SenderError::Duplicate)
    );
    assert!(!store::delete_sender(pool, &service, SenderKind::EmailReplyTo, &other, &ada).await.unwrap(), "default");
    assert!(store::delete_sender(pool, &service, SenderKind::EmailReplyTo, &reply, &ada).await.unwrap());

    // Templates and their versions.
    let template = store::create_template(
        pool,
        NewTemplate {
            service_id: &service,
            name: "Reminder",
            template_type: TemplateType::Email,
            subject: Some("Hello"),
            content: "Hello ((name))",
            created_by: None,
            letter_contact_id: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        store::update_template(pool, &service, &template, "Reminder", Some("Hi"), "Hi ((name))", &ada).await.unwrap(),
        Some(2)
    );
    store::attribute_template_versions(pool, &service, &bob).await.unwrap();
    let first = store::get_template_version(pool, &service, &template, 1).await.unwrap().unwrap();
    assert_eq!((first.content.as_str(), first.created_by.as_deref()), ("Hello ((name))", Some("bob@example.gov.uk")));
    let second = store::get_template_version(pool, &service, &template, 2).await.unwrap().unwrap();
    assert_eq!(second.created_by.as_deref(), Some("Ada@Example.gov.uk"));
    let listed = store::list_templates(pool, &service).await.unwrap();
    assert_eq!((listed.len(), listed[0].version, listed[0].subject.as_deref()), (1, 2, Some("Hi")));
    assert_eq!(store::template_counts(pool, &service).await.unwrap(), vec![(TemplateType::Email, 1)]);
    assert!(store::get_template(pool, &bob, &template).await.unwrap().is_none(), "another service's id");

    // API keys: names unique among working keys, rotation, revocation.
    let key_id = store::new_id();
    let created = store::create_api_key(pool, key(&key_id, &service, "live", "digest-a", &ada)).await.unwrap();
    assert_eq!(created.as_deref(), Ok(key_id.as_str()));
    let twin = store::new_id();
    assert_eq!(
        store::create_api_key(pool, key(&twin, &service, "live", "digest-b", &ada)).await.unwrap(),
        Err(CreateKeyError::DuplicateName)
    );
    assert!(store::api_key_name_taken(pool, &service, "live").await.unwrap());
    let rotated = store::new_id();
    let until = clock::now() + Duration::hours(1);
    assert_eq!(
        store::rotate_api_key(pool, &key_id, key(&rotated, &service, "live", "digest-c", &ada), until).await.unwrap(),
        Some(rotated.clone())
    );
    let old = store::get_api_key(pool, &service, &key_id).await.unwrap().unwrap();
    assert_eq!((old.rotated_to.as_deref(), old.expires_at), (Some(rotated.as_str()), Some(until)));
    assert_eq!(old.created_by.as_deref(), Some(ada.as_str()));
    assert_eq!(store::auth_key_by_digest(pool, "digest-c").await.unwrap().unwrap().id, rotated);
    assert!(store::revoke_api_key(pool, &service, &rotated, Some(&ada)).await.unwrap());
    assert!(!store::revoke_api_key(pool, &service, &rotated, Some(&ada)).await.unwrap(), "revoked once");
    assert_eq!(
        store::revoke_leaked_key(pool, &service, &key_id, |name, _| format!("{name} leaked")).await.unwrap(),
        Some(true)
    );
    assert_eq!(store::revoke_leaked_key(pool, &bob, &key_id, |_, _| String::new()).await.unwrap(), None);
    let events: Vec<String> =
        store::api_key_events(pool, &service).await.unwrap().into_iter().map(|e| e.event).collect();
    assert_eq!(events, ["created", "created", "revoked", "revoked"]);
    assert_eq!(store::list_api_keys(pool, &service, Timestamp::now() - Duration::days(7)).await.unwrap().len(), 2);
    assert_eq!(store::auth_keys(pool, &service, Timestamp::now()).await.unwrap().len(), 0, "both revoked");
    assert_eq!(store::leak_reports_since(pool, &service, long_ago).await.unwrap(), ["live leaked"]);
    assert_eq!(
        store::key_audit_log(pool, &service, &key_id, 10).await.unwrap().len(),
        4,
        "created, rotated, revoked, reported"
    );

    // The guest list, with its audit entry in the same transaction.
    let emails = vec!["guest@example.gov.uk".to_string()];
    let phones = vec!["+447700900123".to_string()];
    let audit = Audit { user_id: Some(&ada), description: "Changed the guest list" };
    store::replace_guest_list(pool, &service, &emails, &phones, audit).await.unwrap();
    let list = store::guest_list(pool, &service).await.unwrap();
    assert_eq!((list.email_addresses, list.phone_numbers), (emails, phones));
    let (log, more) = store::audit_log(pool, &service, 1, 3).await.unwrap();
    assert!(more, "more than three entries");
    assert_eq!(log[0].description, "Changed the guest list");
    assert_eq!(log[0].user_name.as_deref(), Some("Ada Lovelace"));

    // The team: invitations, permissions, the last manager, departures.
    let invitation_id =
        store::create_invitation(pool, &service, "bob@example.gov.uk", &[Permission::ManageApiKeys], &ada, "token-1")
            .await
            .unwrap();
    assert_eq!(store::pending_invitations(pool, &service, long_ago).await.unwrap().len(), 1);
    let invitation = store::invitation_by_token(pool, "token-1").await.unwrap().unwrap();
    assert_eq!((invitation.id.as_str(), invitation.service_name.as_str()), (invitation_id.as_str(), "Tax"));
    assert!(store::accept_invitation(pool, &invitation, &bob).await.unwrap());
    assert!(!store::accept_invitation(pool, &invitation, &bob).await.unwrap(), "accepted once");
    let members = store::members(pool, &service).await.unwrap();
    assert_eq!(members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["Ada Lovelace", "Bob"]);
    assert_eq!(
        store::set_member_permissions(pool, &service, &ada, &[], &ada).await.unwrap(),
        Err(TeamError::LastManager)
    );
    let new_key = store::new_id();
    store::create_api_key(pool, key(&new_key, &service, "after", "digest-d", &ada)).await.unwrap().unwrap();
    assert_eq!(store::remove_member(pool, &service, &bob, &ada).await.unwrap().as_deref(), Ok("Bob"));
    assert_eq!(store::remove_member(pool, &service, &bob, &ada).await.unwrap(), Err(TeamError::NotMember));
    let warnings = store::departure_warnings(pool, &service).await.unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].keys, [(new_key.clone(), "after".to_string())]);
    assert!(store::dismiss_departure(pool, &service, &warnings[0].id, &ada).await.unwrap());
    assert!(store::departure_warnings(pool, &service).await.unwrap().is_empty());

    // Security keys.
    assert!(store::add_security_key(pool, &ada, "Yubikey", "cred-1", "{}").await.unwrap());
    assert!(!store::add_security_key(pool, &bob, "Copy", "cred-1", "{}").await.unwrap(), "a credential once");
    let keys = store::security_keys(pool, &ada).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(store::rename_security_key(pool, &ada, &keys[0].id, "Blue").await.unwrap());
    assert!(!store::rename_security_key(pool, &bob, &keys[0].id, "Mine").await.unwrap(), "not Bob's");
    store::create_webauthn_challenge(pool, &ada, "register", None, "state-1").await.unwrap();
    store::create_webauthn_challenge(pool, &ada, "register", None, "state-2").await.unwrap();
    assert_eq!(
        store::take_webauthn_challenge(pool, &ada, "register", None, long_ago).await.unwrap().as_deref(),
        Some("state-2")
    );
    assert_eq!(store::take_webauthn_challenge(pool, &ada, "register", None, long_ago).await.unwrap(), None);
    assert_eq!(store::delete_security_key(pool, &ada, &keys[0].id).await.unwrap(), Some(false));

    // Security codes and links.
    use store::{CodePurpose, DetailChange};
    let (first_code, second_code) = (store::new_id(), store::new_id());
    store::create_verify_code(pool, code(&ada, &first_code, CodePurpose::SignIn, None)).await.unwrap();
    store::create_verify_code(pool, code(&ada, &second_code, CodePurpose::SignIn, None)).await.unwrap();
    let (latest, sent) = store::sign_in_code_for_browser(pool, "browser-1", long_ago).await.unwrap().unwrap();
    assert_eq!((latest.id.as_str(), sent, latest.used_at), (second_code.as_str(), 2, None));
    let replaced = store::verify_code_by_link(pool, &first_code, CodePurpose::SignIn).await.unwrap().unwrap();
    assert!(replaced.used_at.is_some(), "a new code replaces the last");
    assert_eq!(store::record_wrong_code(pool, &second_code).await.unwrap(), 1);
    assert_eq!(store::record_wrong_code(pool, &second_code).await.unwrap(), 2);
    assert!(store::use_verify_code(pool, &second_code).await.unwrap());
    assert!(!store::use_verify_code(pool, &second_code).await.unwrap(), "a code works once");
    let (email_code, taken_code) = (store::new_id(), store::new_id());
    store::create_verify_code(pool, code(&ada, &email_code, CodePurpose::NewEmail, Some("ada@new.gov.uk")))
        .await
        .unwrap();
    assert_eq!(
        store::latest_verify_code(pool, &ada, CodePurpose::NewEmail).await.unwrap().unwrap().detail.as_deref(),
        Some("ada@new.gov.uk")
    );
    let confirm = |id| store::confirm_account_detail(pool, id, CodePurpose::NewEmail);
    assert_eq!(confirm(&email_code).await.unwrap(), DetailChange::Changed);
    assert_eq!(confirm(&email_code).await.unwrap(), DetailChange::Spent);
    assert!(store::find_user_by_email(pool, "ADA@new.gov.uk").await.unwrap().is_some());
    store::create_verify_code(pool, code(&ada, &taken_code, CodePurpose::NewEmail, Some("BOB@example.gov.uk")))
        .await
        .unwrap();
    assert_eq!(confirm(&taken_code).await.unwrap(), DetailChange::Taken);

    // Callbacks' settings (their events are not written for PostgreSQL yet).
    use app::domain::CallbackKind;
    use store::CallbackSettings;
    let settings = |url| CallbackSettings {
        url,
        bearer_token_ciphertext: "sealed-token",
        new_signing_secret_ciphertext: Some("sealed-secret"),
    };
    let saved = Audit { user_id: Some(&ada), description: "Saved the callback" };
    store::save_callback(pool, &service, CallbackKind::DeliveryStatus, settings("https://a.example"), saved)
        .await
        .unwrap();
    let again = CallbackSettings { new_signing_secret_ciphertext: None, ..settings("https://b.example") };
    store::save_callback(pool, &service, CallbackKind::DeliveryStatus, again, saved).await.unwrap();
    let callback = store::callback(pool, &service, CallbackKind::DeliveryStatus).await.unwrap().unwrap();
    assert_eq!(
        (callback.url.as_str(), callback.signing_secret_ciphertext.as_deref(), callback.service_id.as_str()),
        ("https://b.example", Some("sealed-secret"), service.as_str()),
        "saving again keeps the signing secret"
    );
    let until = clock::now() + Duration::days(1);
    let rotated = Audit { user_id: Some(&ada), description: "Rotated" };
    assert!(store::rotate_signing_secret(pool, &service, CallbackKind::DeliveryStatus, "new", until, rotated)
        .await
        .unwrap());
    let callback = store::callback(pool, &service, CallbackKind::DeliveryStatus).await.unwrap().unwrap();
    assert_eq!(callback.previous_signing_secret_ciphertext.as_deref(), Some("sealed-secret"));
    assert_eq!(callback.previous_signing_secret_until, Some(until));
    assert!(store::resume_callback(pool, &service, CallbackKind::DeliveryStatus, rotated).await.unwrap());
    assert!(!store::resume_callback(pool, &service, CallbackKind::ReturnedLetters, rotated).await.unwrap());
    assert_eq!(store::callbacks(pool, &service).await.unwrap().len(), 1);
    assert!(store::delete_callback(pool, &service, CallbackKind::DeliveryStatus, rotated).await.unwrap());
    assert!(!store::delete_callback(pool, &service, CallbackKind::DeliveryStatus, rotated).await.unwrap());

    // An inbound number, which becomes the default text message sender.
    assert!(store::set_inbound_number(pool, &service, "07700900111").await.unwrap());
    assert!(!store::set_inbound_number(pool, &bob_service(pool).await, "07700900111").await.unwrap(), "taken");
    assert_eq!(store::inbound_number(pool, &service).await.unwrap().as_deref(), Some("07700900111"));
    let texts = store::senders(pool, &service, SenderKind::SmsSender).await.unwrap();
    assert!(texts.iter().any(|s| s.value == "07700900111" && s.is_default), "{texts:?}");

    // Retention.
    use app::domain::retention::RetentionDays;
    store::set_retention(pool, &service, TemplateType::Email, RetentionDays::new(30).unwrap()).await.unwrap();
    store::set_retention(pool, &service, TemplateType::Email, RetentionDays::new(14).unwrap()).await.unwrap();
    assert_eq!(store::retention(pool, &service).await.unwrap().for_type(TemplateType::Email).days(), 14);
    assert!(store::service_ids(pool).await.unwrap().contains(&service));
    let nothing_old = clock::now() - Duration::days(14);
    assert_eq!(
        store::delete_expired_notifications(pool, &service, TemplateType::Email, nothing_old, 100).await.unwrap(),
        0
    );

    // Secrets sealed before they were bound to their row are sealed again.
    let secrets = app::ssr::secrets::Secrets::new(&[7; 32]);
    let unbound_key = store::new_id();
    let sealed = secrets.seal_unbound("secret");
    let unbound = NewApiKey { secret_ciphertext: &sealed, ..key(&unbound_key, &service, "old", "digest-e", &ada) };
    store::create_api_key(pool, unbound).await.unwrap().unwrap();
    assert_eq!(store::reseal_unbound_secrets(pool, &secrets).await.unwrap(), 1);
    assert_eq!(store::reseal_unbound_secrets(pool, &secrets).await.unwrap(), 0, "once");
    let resealed = store::auth_key_by_digest(pool, "digest-e").await.unwrap().unwrap().secret_ciphertext;
    assert!(resealed.starts_with("v2."), "{resealed}");

    // Uploads.
    let upload =
        store::create_upload(pool, &service, &template, "list.csv", ',', "email address\n", &ada).await.unwrap();
    let stored = store::get_upload(pool, &service, &template, &upload).await.unwrap().unwrap();
    assert_eq!((stored.file_name.as_str(), stored.delimiter.as_str()), ("list.csv", ","));
    assert!(store::find_upload(pool, &bob, &upload).await.unwrap().is_none(), "another service's upload");
    assert_eq!(store::delete_uploads_before(pool, &service, clock::now() + Duration::seconds(1)).await.unwrap(), 1);
}

#[tokio::test]
async fn the_journey_answers_the_same_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    journey(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn the_journey_answers_the_same_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("journey").await;
    let pool = store::connect(&pg.url("journey")).await.unwrap();
    assert!(pool.is_postgres());
    journey(&pool).await;
}

#[tokio::test]
async fn three_instances_starting_at_once_migrate_the_database_once() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("three").await;
    let url = pg.url("three");
    let (a, b, c) = tokio::join!(store::connect(&url), store::connect(&url), store::connect(&url));
    for started in [a, b, c] {
        assert!(started.expect("every instance starts").is_postgres());
    }
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(&pg.options("three")).await.unwrap();
    let (applied, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(applied, distinct, "each migration recorded once");
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../app/migrations-postgres")).unwrap().count();
    assert_eq!(applied as usize, newest, "every migration applied");
}

#[tokio::test]
async fn a_postgres_url_that_cannot_connect_says_so_without_its_password() {
    let error = store::connect("postgres://notify:hunter2-secret@127.0.0.1:1/notify").await.expect_err("refused");
    let message = format!("{error:#}");
    assert!(message.contains("could not open the PostgreSQL database"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

/// Two managers each removing their own `manage_service` at the same moment:
/// the service keeps one (the rule reads, then writes; on PostgreSQL the
/// store's write lock makes the two take turns, as SQLite's writer does).
async fn the_last_manager_stays_under_concurrent_changes(pool: &Store) {
    for round in 0..10 {
        let (email_a, email_b) = (format!("a{round}@example.gov.uk"), format!("b{round}@example.gov.uk"));
        let a = store::create_user(pool, new_user("A", &email_a)).await.unwrap();
        let b = store::create_user(pool, new_user("B", &email_b)).await.unwrap();
        let service = store::create_service(pool, &format!("Service {round}"), true, &[]).await.unwrap();
        for member in [&a, &b] {
            store::grant(pool, member, &service, &[Permission::ManageService]).await.unwrap();
        }
        let (left_a, left_b) = tokio::join!(
            store::set_member_permissions(pool, &service, &a, &[], &a),
            store::set_member_permissions(pool, &service, &b, &[], &b),
        );
        let outcomes = [left_a.unwrap(), left_b.unwrap()];
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.contains(&Err(TeamError::LastManager)), "round {round}: {outcomes:?}");
    }
}

#[tokio::test]
async fn the_last_manager_stays_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    the_last_manager_stays_under_concurrent_changes(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn the_last_manager_stays_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("managers").await;
    the_last_manager_stays_under_concurrent_changes(&store::connect(&pg.url("managers")).await.unwrap()).await;
}

/// Parallel tries at one sign-in budget: only `limit` are reserved, and a
/// try given back can be made again.
async fn sign_in_budgets_hold_under_parallel_tries(pool: &Store) {
    let since = clock::ago(Duration::minutes(10));
    let tries = (0..20).map(|_| store::reserve_sign_in_attempt(pool, "client:192.0.2.1", since, 5));
    let reserved: Vec<i64> = futures::future::join_all(tries).await.into_iter().filter_map(|r| r.unwrap()).collect();
    assert_eq!(reserved.len(), 5, "{reserved:?}");
    assert_eq!(store::reserve_sign_in_attempt(pool, "client:192.0.2.1", since, 5).await.unwrap(), None);
    store::release_sign_in_attempt(pool, reserved[0]).await.unwrap();
    assert!(store::reserve_sign_in_attempt(pool, "client:192.0.2.1", since, 5).await.unwrap().is_some());
    assert!(store::reserve_sign_in_attempt(pool, "client:192.0.2.2", since, 5).await.unwrap().is_some(), "its own");
}

#[tokio::test]
async fn sign_in_budgets_hold_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sign_in_budgets_hold_under_parallel_tries(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn sign_in_budgets_hold_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("budgets").await;
    sign_in_budgets_hold_under_parallel_tries(&store::connect(&pg.url("budgets")).await.unwrap()).await;
}

/// Key usage counted by the hour, the alerts raised from it, and keys that
/// reach their expiry put on the audit log.
async fn usage_and_alerts(pool: &Store) {
    use app::domain::key_usage::hour_of;
    let ada = store::create_user(pool, new_user("Ada", "ada@example.gov.uk")).await.unwrap();
    let service = store::create_service(pool, "Usage", false, &[ServicePermission::Email]).await.unwrap();
    store::grant(pool, &ada, &service, &[Permission::ManageApiKeys]).await.unwrap();
    let key_id = store::new_id();
    store::create_api_key(pool, key(&key_id, &service, "busy", "digest-u", &ada)).await.unwrap().unwrap();
    let now = clock::now();
    let hour = hour_of(now.time());
    let last_week = hour_of((now - Duration::days(3)).time());
    let usage = [
        (key_id.clone(), hour.clone(), "email:sent", 400),
        (key_id.clone(), hour.clone(), "email:sent", 200),
        (key_id.clone(), last_week.clone(), "email:sent", 10),
        (key_id.clone(), hour.clone(), "email:delivered", 7),
    ];
    let refusals = [(service.clone(), hour.clone(), 60), (service.clone(), hour.clone(), 60)];
    store::record_usage(pool, &usage, &refusals).await.unwrap();
    let mut counted = store::key_usage_since(pool, &key_id, &last_week).await.unwrap();
    counted.sort();
    let row = |hour: &str, metric: &str, n| (hour.to_string(), metric.to_string(), n);
    let mut expected =
        vec![row(&last_week, "email:sent", 10), row(&hour, "email:delivered", 7), row(&hour, "email:sent", 600)];
    expected.sort();
    assert_eq!(counted, expected);

    // 600 sent this hour against 10 in the week before: a spike; 120
    // refusals: a burst. Each raised once however often the rules run.
    assert_eq!(store::raise_alerts(pool, now).await.unwrap(), 2);
    assert_eq!(store::raise_alerts(pool, now).await.unwrap(), 0, "raised once");
    let open = store::open_alerts(pool, &service).await.unwrap();
    let mut kinds: Vec<&str> = open.iter().map(|a| a.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["refusals", "send_spike"]);
    let spike = open.iter().find(|a| a.kind == "send_spike").unwrap();
    assert_eq!((spike.key_id.as_deref(), spike.key_name.as_deref()), (Some(key_id.as_str()), Some("busy")));
    assert!(spike.detail.starts_with("‘busy’ sent 600 messages"), "{}", spike.detail);
    let to_email = store::alerts_to_email(pool, 10).await.unwrap();
    assert_eq!(to_email.len(), 2);
    assert_eq!(to_email[0].recipients, ["ada@example.gov.uk"]);
    assert_eq!(to_email[0].service_name, "Usage");
    let dismissed = store::dismiss_alert(pool, &service, spike.id, &ada).await.unwrap().unwrap();
    assert_eq!(dismissed.kind, "send_spike");
    assert!(store::dismiss_alert(pool, &service, spike.id, &ada).await.unwrap().is_none(), "dismissed once");
    assert_eq!(store::open_alerts(pool, &service).await.unwrap().len(), 1);
    assert_eq!(store::alerts_for_key(pool, &service, &key_id).await.unwrap().len(), 1, "dismissed ones too");

    // Last use recorded (never earlier than a later one).
    store::record_last_used(pool, &[(key_id.clone(), now)]).await.unwrap();
    store::record_last_used(pool, &[(key_id.clone(), now - Duration::minutes(5))]).await.unwrap();
    assert_eq!(store::get_api_key(pool, &service, &key_id).await.unwrap().unwrap().last_used_at, Some(now));

    // A key past its own expiry goes on the audit log once, at that time.
    let expiring = store::new_id();
    let expired_at = now - Duration::minutes(1);
    let short = NewApiKey { expires_at: Some(expired_at), ..key(&expiring, &service, "short", "digest-x", &ada) };
    store::create_api_key(pool, short).await.unwrap().unwrap();
    store::raise_alerts(pool, now).await.unwrap();
    store::raise_alerts(pool, now).await.unwrap();
    let history = store::key_audit_log(pool, &service, &expiring, 10).await.unwrap();
    let expiries: Vec<_> = history.iter().filter(|e| e.description == "API key ‘short’ expired").collect();
    assert_eq!(expiries.len(), 1, "{history:?}");
    assert_eq!(expiries[0].at, expired_at);

    // Counts older than a cut-off go.
    assert_eq!(store::delete_usage_before(pool, &hour).await.unwrap(), 1);
    assert_eq!(store::key_usage_since(pool, &key_id, &last_week).await.unwrap().len(), 2);
}

#[tokio::test]
async fn usage_and_alerts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    usage_and_alerts(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn usage_and_alerts_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("usage").await;
    usage_and_alerts(&store::connect(&pg.url("usage")).await.unwrap()).await;
}
