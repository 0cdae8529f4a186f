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

/// A message of `key_id` (of `key_type`) to `recipient`, made `age` ago.
fn message(
    service: &str,
    key_id: &str,
    key_type: KeyType,
    template_id: &str,
    notification_type: TemplateType,
    recipient: &str,
    age: Duration,
) -> store::NewNotification {
    store::NewNotification {
        id: store::new_id(),
        service_id: service.to_string(),
        api_key_id: Some(key_id.to_string()),
        key_type,
        template_id: template_id.to_string(),
        template_version: 1,
        notification_type,
        recipient: recipient.to_string(),
        client_reference: Some(format!("ref-{recipient}")),
        personalisation: "{}".to_string(),
        subject: (notification_type == TemplateType::Email).then(|| "Hello".to_string()),
        body: "Hello Ada".to_string(),
        postage: None,
        created_at: clock::now() - age,
        reply_to: None,
        one_click_unsubscribe_url: None,
        job: None,
    }
}

/// The message pipeline in the store: the sends' group commit, listing and
/// filtering, the test keys' delivery, the providers' outcomes and
/// receipts, time-outs, complaints, the outbox, the message log, the
/// delivery receipts queued for a callback, and each key's outcome counts.
async fn sends_and_receipts(pool: &Store) {
    use app::domain::key_usage::hour_of;
    use app::domain::{CallbackKind, NotificationStatus::*};
    use store::{DeliveryOutcome, NotificationFilter, ReceiptOutcome};
    let ada = store::create_user(pool, new_user("Ada", "ada@example.gov.uk")).await.unwrap();
    let perms = [ServicePermission::Email, ServicePermission::Sms];
    let service = store::create_service(pool, "Sends", false, &perms).await.unwrap();
    let live = store::new_id();
    store::create_api_key(pool, key(&live, &service, "live", "digest-l", &ada)).await.unwrap().unwrap();
    let test = store::new_id();
    let test_key = NewApiKey { key_type: KeyType::Test, ..key(&test, &service, "test", "digest-t", &ada) };
    store::create_api_key(pool, test_key).await.unwrap().unwrap();
    let template = store::new_id();
    let settings = store::CallbackSettings {
        url: "https://receipts.example",
        bearer_token_ciphertext: "sealed-token",
        new_signing_secret_ciphertext: Some("sealed-secret"),
    };
    let saved = Audit { user_id: Some(&ada), description: "Saved the callback" };
    store::save_callback(pool, &service, CallbackKind::DeliveryStatus, settings, saved).await.unwrap();

    let email = message(
        &service,
        &live,
        KeyType::Normal,
        &template,
        TemplateType::Email,
        "a@example.com",
        Duration::seconds(4),
    );
    let failing = message(
        &service,
        &test,
        KeyType::Test,
        &template,
        TemplateType::Email,
        "perm-fail@simulator.notify",
        Duration::seconds(3),
    );
    let text =
        message(&service, &live, KeyType::Normal, &template, TemplateType::Sms, "+447700900123", Duration::seconds(2));
    let late =
        message(&service, &live, KeyType::Normal, &template, TemplateType::Sms, "+447700900456", Duration::seconds(1));
    store::create_notifications(pool, &[&email, &failing, &text, &late]).await.unwrap();

    // Read back as stored; another service's id and a malformed one find nothing.
    let stored = store::get_notification(pool, &service, &email.id).await.unwrap().unwrap();
    assert_eq!((stored.id.as_str(), stored.service_id.as_str()), (email.id.as_str(), service.as_str()));
    assert_eq!((stored.api_key_id.as_deref(), stored.template_id.as_str()), (Some(live.as_str()), template.as_str()));
    assert_eq!(
        (stored.status, stored.subject.as_deref(), stored.created_at),
        (Created, Some("Hello"), email.created_at)
    );
    let other = bob_service(pool).await;
    assert!(store::get_notification(pool, &other, &email.id).await.unwrap().is_none());
    assert!(store::get_notification(pool, &service, "not-an-id").await.unwrap().is_none());

    // Listed newest first, by each filter.
    let ids = |list: Vec<store::Notification>| list.into_iter().map(|n| n.id).collect::<Vec<_>>();
    let all = NotificationFilter::default();
    assert_eq!(
        ids(store::list_notifications(pool, &service, &all, 10).await.unwrap()),
        [late.id.as_str(), text.id.as_str(), failing.id.as_str(), email.id.as_str()]
    );
    let tests = NotificationFilter { key_type: Some(KeyType::Test), ..Default::default() };
    assert_eq!(ids(store::list_notifications(pool, &service, &tests, 10).await.unwrap()), [failing.id.as_str()]);
    let texts = NotificationFilter { template_type: Some(TemplateType::Sms), ..Default::default() };
    assert_eq!(
        ids(store::list_notifications(pool, &service, &texts, 10).await.unwrap()),
        [late.id.as_str(), text.id.as_str()]
    );
    let by_reference = NotificationFilter { reference: Some("ref-a@example.com".into()), ..Default::default() };
    assert_eq!(ids(store::list_notifications(pool, &service, &by_reference, 10).await.unwrap()), [email.id.as_str()]);
    let older = NotificationFilter { older_than: Some(failing.id.clone()), ..Default::default() };
    assert_eq!(ids(store::list_notifications(pool, &service, &older, 10).await.unwrap()), [email.id.as_str()]);
    let delivered = NotificationFilter { statuses: vec![Delivered, PermanentFailure], ..Default::default() };
    assert!(store::list_notifications(pool, &service, &delivered, 10).await.unwrap().is_empty());
    assert_eq!(ids(store::list_notifications(pool, &other, &all, 10).await.unwrap()), Vec::<String>::new());
    let since = clock::now() - Duration::hours(1);
    assert_eq!(
        store::count_sent_since(pool, &service, TemplateType::Email, since).await.unwrap(),
        1,
        "not the test key's"
    );
    assert_eq!(store::count_sent_since(pool, &service, TemplateType::Sms, since).await.unwrap(), 2);

    // The test key's message gets its simulated outcome, with its receipt.
    assert_eq!(store::deliver_test_notifications(pool).await.unwrap(), 1);
    assert_eq!(store::get_notification(pool, &service, &failing.id).await.unwrap().unwrap().status, PermanentFailure);
    let list = store::list_notifications(pool, &service, &delivered, 10).await.unwrap();
    assert_eq!(ids(list), [failing.id.as_str()]);

    // The providers: live messages wait for them, oldest first.
    let pending = store::pending_real_notifications(pool, 10).await.unwrap();
    assert_eq!(ids(pending.clone()), [email.id.as_str(), text.id.as_str(), late.id.as_str()]);
    let outcomes = [
        (&pending[0], DeliveryOutcome::Finished { status: Delivered, outbox: true }),
        (&pending[1], DeliveryOutcome::Sending),
        (&pending[2], DeliveryOutcome::Sending),
    ];
    store::record_delivery_outcomes(pool, &outcomes).await.unwrap();
    store::record_delivery_outcomes(pool, &outcomes[..1]).await.unwrap();
    assert!(store::pending_real_notifications(pool, 10).await.unwrap().is_empty());
    let outbox = store::outbox_message(pool, &email.id).await.unwrap().unwrap();
    assert_eq!((outbox.notification_id.as_str(), outbox.subject.as_deref()), (email.id.as_str(), Some("Hello")));
    let newest = store::newest_outbox_message(pool, "a@example.com").await.unwrap().unwrap();
    assert_eq!(newest.body, "Hello Ada");

    // A text's receipt: applied once; a late one changes nothing.
    let receipt = store::record_provider_receipt(pool, &text.id, TemplateType::Sms, Delivered).await.unwrap();
    assert_eq!(receipt, ReceiptOutcome::Updated(Delivered));
    let again = store::record_provider_receipt(pool, &text.id, TemplateType::Sms, PermanentFailure).await.unwrap();
    assert_eq!(again, ReceiptOutcome::Ignored(Delivered));
    let unknown = store::record_provider_receipt(pool, &store::new_id(), TemplateType::Sms, Delivered).await.unwrap();
    assert_eq!(unknown, ReceiptOutcome::Unknown);
    let wrong_type = store::record_provider_receipt(pool, &text.id, TemplateType::Email, Delivered).await.unwrap();
    assert_eq!(wrong_type, ReceiptOutcome::Unknown);
    // No receipt for the other within the time: a temporary failure.
    assert_eq!(store::time_out_awaiting_receipts(pool, clock::now() + Duration::hours(1), 10).await.unwrap(), 1);
    assert_eq!(store::get_notification(pool, &service, &late.id).await.unwrap().unwrap().status, TemporaryFailure);

    // Complaints about live emails only.
    assert!(store::record_complaint(pool, &email.id, Some("abuse"), clock::now()).await.unwrap());
    assert!(!store::record_complaint(pool, &failing.id, None, clock::now()).await.unwrap(), "a test key's");
    assert!(!store::record_complaint(pool, &text.id, None, clock::now()).await.unwrap(), "a text message");
    let complaints = store::complaints(pool, &service, &email.id).await.unwrap();
    assert_eq!(complaints.iter().map(|c| c.complaint_type.as_deref()).collect::<Vec<_>>(), [Some("abuse")]);
    assert!(store::complaints(pool, &other, &email.id).await.unwrap().is_empty());

    // The message log: every final status has its receipt queued, once.
    let log = store::message_log(pool, &service, 10).await.unwrap();
    let seen: Vec<(&str, Option<&str>, &str)> =
        log.iter().map(|e| (e.id.as_str(), e.key_name.as_deref(), e.callback_outcome())).collect();
    assert_eq!(
        seen,
        [
            (late.id.as_str(), Some("live"), "queued"),
            (text.id.as_str(), Some("live"), "queued"),
            (failing.id.as_str(), Some("test"), "queued"),
            (email.id.as_str(), Some("live"), "queued"),
        ]
    );

    // Each key's outcomes, counted in the hour each message was made.
    let hour = hour_of(email.created_at.time());
    let mut counted = store::key_usage_since(pool, &live, &hour).await.unwrap();
    counted.retain(|(_, metric, _)| !metric.ends_with(":sent"));
    counted.sort();
    let mut expected: Vec<(String, String, i64)> =
        [(&email, "email:delivered"), (&text, "sms:delivered"), (&late, "sms:failed")]
            .iter()
            .map(|(n, metric)| (hour_of(n.created_at.time()), metric.to_string(), 1))
            .collect();
    expected.sort();
    // Two in one hour add up (the test may run across an hour's end).
    expected.dedup_by(|b, a| {
        let same = a.0 == b.0 && a.1 == b.1;
        if same {
            a.2 += b.2;
        }
        same
    });
    assert_eq!(counted, expected);
    let test_counts = store::key_usage_since(pool, &test, &hour).await.unwrap();
    assert_eq!(test_counts.iter().map(|c| (c.1.as_str(), c.2)).collect::<Vec<_>>(), [("email:failed", 1)]);

    // A send's commit finishes test messages stored before it.
    let waiting =
        message(&service, &test, KeyType::Test, &template, TemplateType::Email, "b@example.com", Duration::ZERO);
    store::create_notifications(pool, &[&waiting]).await.unwrap();
    let next =
        message(&service, &live, KeyType::Normal, &template, TemplateType::Email, "c@example.com", Duration::ZERO);
    assert_eq!(store::create_notifications_finishing_tests(pool, &[&next]).await.unwrap(), 1);
    assert_eq!(store::get_notification(pool, &service, &waiting.id).await.unwrap().unwrap().status, Delivered);
    assert_eq!(store::get_notification(pool, &service, &next.id).await.unwrap().unwrap().status, Created);
}

#[tokio::test]
async fn sends_and_receipts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sends_and_receipts(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn sends_and_receipts_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("sends").await;
    sends_and_receipts(&store::connect(&pg.url("sends")).await.unwrap()).await;
}

/// Two instances finishing the same test keys' messages at once: each
/// message is finished once, with one receipt.
#[tokio::test]
async fn two_instances_finish_each_test_message_once_on_postgres() {
    use app::domain::CallbackKind;
    let pg = common::postgres::Postgres::start();
    pg.create_database("twice").await;
    let one = store::connect(&pg.url("twice")).await.unwrap();
    let two = store::connect(&pg.url("twice")).await.unwrap();
    let ada = store::create_user(&one, new_user("Ada", "ada@example.gov.uk")).await.unwrap();
    let service = store::create_service(&one, "Twice", false, &[ServicePermission::Email]).await.unwrap();
    let test = store::new_id();
    let test_key = NewApiKey { key_type: KeyType::Test, ..key(&test, &service, "test", "digest-t", &ada) };
    store::create_api_key(&one, test_key).await.unwrap().unwrap();
    let settings = store::CallbackSettings {
        url: "https://receipts.example",
        bearer_token_ciphertext: "sealed-token",
        new_signing_secret_ciphertext: Some("sealed-secret"),
    };
    let saved = Audit { user_id: Some(&ada), description: "Saved the callback" };
    store::save_callback(&one, &service, CallbackKind::DeliveryStatus, settings, saved).await.unwrap();
    let template = store::new_id();
    let messages: Vec<_> = (0..3000)
        .map(|i| {
            let to = format!("person{i}@example.com");
            message(&service, &test, KeyType::Test, &template, TemplateType::Email, &to, Duration::ZERO)
        })
        .collect();
    store::create_notifications(&one, &messages.iter().collect::<Vec<_>>()).await.unwrap();
    let (a, b) = tokio::join!(store::deliver_test_notifications(&one), store::deliver_test_notifications(&two));
    assert_eq!(a.unwrap() + b.unwrap(), 3000, "each finished once");
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(&pg.options("twice")).await.unwrap();
    let (receipts, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT notification_id) FROM callback_events")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((receipts, distinct), (3000, 3000));
    let (delivered,): (i64,) =
        sqlx::query_as("SELECT n FROM key_usage WHERE metric = 'email:delivered'").fetch_one(&mut conn).await.unwrap();
    assert_eq!(delivered, 3000, "counted once each");
}

/// A service with a delivery-status callback and `n` test messages
/// delivered, so `n` receipts wait in the outbox: (service, its user).
async fn service_with_receipts(pool: &Store, n: usize) -> (String, String) {
    use app::domain::CallbackKind;
    let ada = store::create_user(pool, new_user("Ada", &format!("{}@example.gov.uk", store::new_id()))).await.unwrap();
    let name = format!("Receipts {}", store::new_id());
    let service = store::create_service(pool, &name, false, &[ServicePermission::Email]).await.unwrap();
    let test = store::new_id();
    let digest = store::new_id();
    let test_key = NewApiKey { key_type: KeyType::Test, ..key(&test, &service, "test", &digest, &ada) };
    store::create_api_key(pool, test_key).await.unwrap().unwrap();
    let settings = store::CallbackSettings {
        url: "https://receipts.example",
        bearer_token_ciphertext: "sealed-token",
        new_signing_secret_ciphertext: Some("sealed-secret"),
    };
    let saved = Audit { user_id: Some(&ada), description: "Saved the callback" };
    store::save_callback(pool, &service, CallbackKind::DeliveryStatus, settings, saved).await.unwrap();
    let template = store::new_id();
    let messages: Vec<_> = (0..n)
        .map(|i| {
            let to = format!("person{i}@example.com");
            let age = Duration::milliseconds((n - i) as i64);
            message(&service, &test, KeyType::Test, &template, TemplateType::Email, &to, age)
        })
        .collect();
    store::create_notifications(pool, &messages.iter().collect::<Vec<_>>()).await.unwrap();
    assert_eq!(store::deliver_test_notifications(pool).await.unwrap(), n as u64);
    (service, ada)
}

fn attempt(e: &store::ClaimedEvent, fate: store::EventFate, status_code: Option<u16>) -> store::AttemptRecord {
    store::AttemptRecord {
        event_rowid: e.rowid,
        event_id: e.id.clone(),
        service_id: e.service_id.clone(),
        kind: e.callback_type,
        at: clock::now(),
        status_code,
        outcome: status_code.map(|c| format!("HTTP {c}")).unwrap_or_else(|| "Connection refused".into()),
        duration_ms: 12,
        succeeded: matches!(fate, store::EventFate::Delivered),
        first_try: e.attempts == 0,
        fate,
    }
}

/// The callbacks' outbox: finding new and due events, claiming them,
/// recording attempts, the attempt log and counts, resending, and pruning.
async fn callback_outbox(pool: &Store) {
    use app::domain::CallbackKind::DeliveryStatus;
    use store::EventFate;
    let (service, _) = service_with_receipts(pool, 3).await;
    let now = clock::now();
    // New events in the order written; from the newest, nothing new.
    let fresh = store::new_callback_events(pool, 0, now, 10).await.unwrap();
    assert_eq!(fresh.len(), 3);
    assert!(fresh.windows(2).all(|w| w[0].rowid < w[1].rowid), "in the order written");
    assert!(fresh.iter().all(|e| e.service_id == service && e.callback_type == DeliveryStatus));
    let last = store::last_callback_event(pool).await.unwrap();
    assert_eq!(last, fresh[2].rowid);
    assert!(store::new_callback_events(pool, last, now, 10).await.unwrap().is_empty());
    let backlog = store::callback_backlog(pool, &service, DeliveryStatus, (fresh[0].created_at, fresh[0].rowid), 10)
        .await
        .unwrap();
    assert_eq!(backlog.iter().map(|e| e.rowid).collect::<Vec<_>>(), [fresh[1].rowid, fresh[2].rowid]);

    // Claimed whole: the receipt as Notify sends it.
    let rowids: Vec<i64> = fresh.iter().map(|e| e.rowid).collect();
    let mut claimed = store::claim_events(pool, &rowids).await.unwrap();
    claimed.sort_by_key(|e| e.rowid);
    assert_eq!(claimed.len(), 3);
    let payload: serde_json::Value = serde_json::from_str(&claimed[0].payload).unwrap();
    assert_eq!(payload["status"], "delivered");
    assert_eq!(payload["to"], "person0@example.com");
    assert!(claimed[0].id.starts_with("msg_") && !claimed[0].is_test && claimed[0].attempts == 0);
    let key = store::callback_key(&service, DeliveryStatus);
    let by_key = store::callbacks_by_key(pool, &[key]).await.unwrap();
    assert_eq!(by_key.iter().map(|c| c.url.as_str()).collect::<Vec<_>>(), ["https://receipts.example"]);

    // One delivered, one to try again in an hour, one failed for good.
    let later = clock::now() + Duration::hours(1);
    let outcomes = [
        attempt(&claimed[0], EventFate::Delivered, Some(200)),
        attempt(&claimed[1], EventFate::Retry(later), Some(503)),
        attempt(&claimed[2], EventFate::Failed, None),
    ];
    store::record_callback_attempts(pool, &outcomes).await.unwrap();
    let log = store::callback_attempts(pool, &service, DeliveryStatus, 10).await.unwrap();
    let mut seen: Vec<(String, Option<i64>, String)> =
        log.iter().map(|a| (a.event_id.clone(), a.status_code, a.event_state.clone())).collect();
    seen.sort();
    let mut expected = vec![
        (claimed[0].id.clone(), Some(200), "delivered".to_string()),
        (claimed[1].id.clone(), Some(503), "pending".to_string()),
        (claimed[2].id.clone(), None, "failed".to_string()),
    ];
    expected.sort();
    assert_eq!(seen, expected, "a first try that delivered is shown from its event");
    assert_eq!(store::callback_event_counts(pool, &service, DeliveryStatus).await.unwrap(), (1, 1));
    let (state, attempts) = store::callback_event_state(pool, &service, &claimed[1].id).await.unwrap().unwrap();
    assert_eq!((state.as_str(), attempts.len()), ("pending", 1));
    assert_eq!(attempts[0].next_attempt_at, Some(later));
    let other = bob_service(pool).await;
    assert!(store::callback_event_state(pool, &other, &claimed[1].id).await.unwrap().is_none());
    let callback = store::callback(pool, &service, DeliveryStatus).await.unwrap().unwrap();
    assert_eq!(callback.failing_since, Some(outcomes[1].at), "failing since the first failure after a success");

    // Nothing is due until the retry's time; the failed one is sent again.
    let nothing_claimed = std::collections::HashSet::new();
    assert!(store::due_callback_events(pool, clock::now(), &nothing_claimed, 10).await.unwrap().is_empty());
    assert!(store::resend_event(pool, &service, DeliveryStatus, &claimed[2].id).await.unwrap());
    assert!(!store::resend_event(pool, &service, DeliveryStatus, &claimed[2].id).await.unwrap(), "waiting now");
    let due = store::due_callback_events(pool, clock::now(), &nothing_claimed, 10).await.unwrap();
    assert_eq!(due.iter().map(|e| e.rowid).collect::<Vec<_>>(), [claimed[2].rowid]);
    let held: std::collections::HashSet<i64> = [claimed[2].rowid].into();
    assert!(store::due_callback_events(pool, clock::now(), &held, 10).await.unwrap().is_empty(), "held ones left out");
    let again = store::claim_events(pool, &[claimed[2].rowid]).await.unwrap();
    store::record_callback_attempts(pool, &[attempt(&again[0], EventFate::Failed, Some(400))]).await.unwrap();
    let since = clock::now() - Duration::hours(1);
    assert_eq!(store::resend_failed_since(pool, &service, DeliveryStatus, since).await.unwrap(), 1);

    // Events queued outright: a test callback (sent while paused too).
    let sample = serde_json::json!({"id": "x", "status": "delivered"});
    let queued = store::queue_callback_event(pool, &service, DeliveryStatus, None, &sample, true).await.unwrap();
    assert!(queued.is_some_and(|id| id.starts_with("msg_")));
    let none = store::queue_callback_event(pool, &other, DeliveryStatus, None, &sample, true).await.unwrap();
    assert!(none.is_none(), "no callback, no event");

    // History older than a week goes; waiting events stay.
    let pruned = store::prune_callback_history(pool, clock::now() + Duration::days(8)).await.unwrap();
    assert_eq!(pruned, 1, "the delivered one");
    assert_eq!(store::callback_event_counts(pool, &service, DeliveryStatus).await.unwrap(), (3, 0));
}

#[tokio::test]
async fn callback_outbox_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    callback_outbox(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn callback_outbox_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("outbox").await;
    callback_outbox(&store::connect(&pg.url("outbox")).await.unwrap()).await;
}

/// Two instances on one PostgreSQL claim the same events at once: each
/// event goes to one of them. Events one holds are not offered to the
/// other; when its lease runs out (it died), the other takes them over,
/// and a renewed lease keeps them.
#[tokio::test]
async fn each_callback_event_is_claimed_by_one_instance_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("leases").await;
    let one = store::connect(&pg.url("leases")).await.unwrap();
    let two = store::connect(&pg.url("leases")).await.unwrap();
    service_with_receipts(&one, 400).await;
    let now = clock::now();
    let fresh = store::new_callback_events(&two, 0, now, 1000).await.unwrap();
    assert_eq!(fresh.len(), 400);
    let rowids: Vec<i64> = fresh.iter().map(|e| e.rowid).collect();
    let (a, b) = tokio::join!(store::claim_events(&one, &rowids), store::claim_events(&two, &rowids));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 400, "each claimed once: {} and {}", a.len(), b.len());
    let mine: std::collections::HashSet<i64> = a.iter().map(|e| e.rowid).collect();
    assert!(b.iter().all(|e| !mine.contains(&e.rowid)));

    // Held: not offered to the other, and not claimed by it.
    let none = std::collections::HashSet::new();
    let later = clock::now();
    assert!(store::new_callback_events(&two, 0, later, 1000).await.unwrap().is_empty());
    assert!(store::due_callback_events(&two, later, &none, 1000).await.unwrap().is_empty());
    assert!(store::claim_events(&two, &rowids).await.unwrap().len() == b.len(), "only its own again");
    let mine: Vec<i64> = mine.into_iter().collect();
    assert_eq!(store::renew_callback_leases(&one, &mine).await.unwrap(), mine.len() as u64);
    assert_eq!(store::renew_callback_leases(&two, &mine).await.unwrap(), 0, "not its leases");

    // The first instance dies: past its leases, the second takes its events.
    let after_lease = clock::now() + store::CALLBACK_LEASE + Duration::seconds(1);
    let due = store::due_callback_events(&two, after_lease, &none, 1000).await.unwrap();
    assert_eq!(due.len(), 400, "every lease has run out by then");
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(&pg.options("leases")).await.unwrap();
    sqlx::query("UPDATE callback_events SET lease_until = now() - interval '1 second' WHERE leased_by IS NOT NULL")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(store::claim_events(&two, &mine).await.unwrap().len(), mine.len(), "taken over");
    assert!(store::claim_events(&one, &mine).await.unwrap().is_empty(), "no longer the first's");
}

/// Received texts, precompiled letters and their checks and returns, and
/// jobs: made within the daily limit, claimed, stored a batch at a time
/// with their cursor, listed, counted and ended.
async fn texts_letters_and_jobs(pool: &Store) {
    use app::domain::job::JobStatus;
    use app::domain::{CallbackKind, NotificationStatus};
    let ada = store::create_user(pool, new_user("Ada", "ada@example.gov.uk")).await.unwrap();
    let perms = [ServicePermission::Sms, ServicePermission::Letter, ServicePermission::InboundSms];
    let service = store::create_service(pool, "Post", false, &perms).await.unwrap();
    let live = store::new_id();
    store::create_api_key(pool, key(&live, &service, "live", "digest-p", &ada)).await.unwrap().unwrap();
    let settings = |url| store::CallbackSettings {
        url,
        bearer_token_ciphertext: "sealed-token",
        new_signing_secret_ciphertext: Some("sealed-secret"),
    };
    let saved = Audit { user_id: Some(&ada), description: "Saved a callback" };
    for kind in [CallbackKind::ReceivedTextMessages, CallbackKind::ReturnedLetters] {
        store::save_callback(pool, &service, kind, settings("https://hooks.example"), saved).await.unwrap();
    }

    // Received texts: to the service with the number, newest first, paged.
    assert!(store::set_inbound_number(pool, &service, "07700900500").await.unwrap());
    let first = store::receive_text(pool, "07700900500", "447700900111", "Hello", None, Some("ref-1")).await.unwrap();
    let first = first.expect("the service has the number");
    let second = store::receive_text(pool, "07700900500", "447700900222", "Again", None, None).await.unwrap().unwrap();
    assert!(store::receive_text(pool, "07700900999", "447700900111", "Lost", None, None).await.unwrap().is_none());
    let texts = store::received_texts(pool, &service, None, 10).await.unwrap();
    assert_eq!(texts.iter().map(|t| t.content.as_str()).collect::<Vec<_>>(), ["Again", "Hello"]);
    assert_eq!((texts[1].id.as_str(), texts[1].service_id.as_str()), (first.id.as_str(), service.as_str()));
    let older = store::received_texts(pool, &service, Some(&second.id), 10).await.unwrap();
    assert_eq!(older.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [first.id.as_str()]);
    let other = bob_service(pool).await;
    assert!(store::received_texts(pool, &other, Some(&second.id), 10).await.unwrap().is_empty());
    let counts = store::callback_event_counts(pool, &service, CallbackKind::ReceivedTextMessages).await.unwrap();
    assert_eq!(counts, (2, 0), "each queued for the service's callback");
    let later = clock::now() + Duration::seconds(1);
    assert_eq!(store::delete_received_texts_before(pool, &service, later).await.unwrap(), 2);

    // A precompiled letter: stored with its file, checked, sent, returned.
    let (template, version) = store::precompiled_template(pool, &service).await.unwrap();
    assert_eq!(store::precompiled_template(pool, &service).await.unwrap(), (template.clone(), version), "made once");
    let mut letter =
        message(&service, &live, KeyType::Normal, &template, TemplateType::Letter, "A Person", Duration::ZERO);
    letter.client_reference = Some("letter-1".into());
    let pdf = b"%PDF-1.7 a letter".to_vec();
    store::create_precompiled_letter(pool, &letter, &pdf).await.unwrap();
    let since = clock::now() - Duration::hours(1);
    assert_eq!(store::letter_file_bytes_since(pool, &service, false, since).await.unwrap(), pdf.len() as i64);
    assert_eq!(store::letter_file_bytes_since(pool, &service, true, since).await.unwrap(), 0, "not a test key's");
    let waiting = store::letters_to_check(pool, 10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].notification_id.as_str(), waiting[0].service_id.as_str()),
        (letter.id.as_str(), service.as_str())
    );
    store::begin_letter_check(pool, &letter.id).await.unwrap();
    assert_eq!(store::letters_to_check(pool, 10).await.unwrap()[0].check_attempts, 1);
    assert_eq!(store::letter_file(pool, &letter.id).await.unwrap(), Some(pdf.clone()));
    let check = store::LetterCheck { page_count: Some(2), invalid_reason: None, invalid_pages: vec![] };
    store::record_letter_check(pool, &letter.id, &check).await.unwrap();
    assert!(store::letters_to_check(pool, 10).await.unwrap().is_empty());
    let stored = store::get_notification(pool, &service, &letter.id).await.unwrap().unwrap();
    assert_eq!(stored.status, NotificationStatus::Created, "on to the provider");
    let file = store::precompiled_file(pool, &service, &letter.id).await.unwrap().unwrap();
    assert!(file.pdf == pdf && file.checked_at.is_some());
    assert!(store::precompiled_file(pool, &other, &letter.id).await.unwrap().is_none());
    assert_eq!(store::letter_check(pool, &service, &letter.id).await.unwrap(), Some((Some(2), None, vec![])));
    let pending = store::pending_real_notifications(pool, 10).await.unwrap();
    let sent = [(&pending[0], store::DeliveryOutcome::Sending)];
    store::record_delivery_outcomes(pool, &sent).await.unwrap();
    let returned = store::return_letters(pool, &service, &["letter-1".to_string()]).await.unwrap();
    assert_eq!(returned, [letter.id.clone()]);
    assert!(store::return_letters(pool, &service, &[letter.id.clone()]).await.unwrap().is_empty(), "once");
    let counts = store::callback_event_counts(pool, &service, CallbackKind::ReturnedLetters).await.unwrap();
    assert_eq!(counts, (1, 0));

    // Jobs: the daily limit counts what jobs still have to send.
    let new_job = |count: i64, scheduled_for: Option<Timestamp>| store::NewJob {
        service_id: service.clone(),
        template_id: template.clone(),
        template_version: 1,
        notification_type: TemplateType::Sms,
        template_subject: None,
        template_content: "Hello ((name))".into(),
        original_file_name: "people.csv".into(),
        delimiter: ',',
        content: "phone number,name\n07700900001,Ada\n07700900002,Bob\n07700900003,Cy\n".into(),
        notification_count: count,
        scheduled_for,
        created_by: Some(ada.clone()),
        api_key_id: None,
        key_type: KeyType::Normal,
        reply_to: None,
    };
    let job = store::create_job(pool, &new_job(3, None), 4).await.unwrap().unwrap();
    assert_eq!((job.job_status, job.created_by_name.as_deref()), (JobStatus::Pending, Some("Ada")));
    let refused = store::create_job(pool, &new_job(3, None), 4).await.unwrap();
    assert_eq!(refused.unwrap_err(), store::JobRefused::OverDailyLimit { remaining: 1 });
    let soon = clock::now() + Duration::hours(1);
    let scheduled = store::create_job(pool, &new_job(3, Some(soon)), 4).await.unwrap().unwrap();
    assert!(store::cancel_job(pool, &service, &scheduled.id).await.unwrap());
    assert!(!store::cancel_job(pool, &service, &job.id).await.unwrap(), "only a scheduled job");
    assert!(store::sent_previously(pool, &service, &template, 1, "people.csv", since).await.unwrap());
    assert!(!store::sent_previously(pool, &service, &template, 1, "others.csv", since).await.unwrap());
    let listed = store::list_jobs(pool, &service, 10).await.unwrap();
    assert_eq!(listed.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), [scheduled.id.as_str(), job.id.as_str()]);
    assert!(store::get_job(pool, &other, &job.id).await.unwrap().is_none());

    // Claimed, and stored a batch at a time.
    let work = store::claim_next_job(pool).await.unwrap().expect("the job waiting");
    assert_eq!((work.id.as_str(), work.job_status, work.rows_read), (job.id.as_str(), JobStatus::Pending, 0));
    assert!(work.content.starts_with("phone number"));
    let rows: Vec<store::NewNotification> = (0..3)
        .map(|i| {
            let to = format!("0770090000{}", i + 1);
            let mut n = message(&service, &live, KeyType::Normal, &template, TemplateType::Sms, &to, Duration::ZERO);
            n.api_key_id = None;
            n.job = Some(store::JobRow { job_id: job.id.clone(), row_number: i });
            n
        })
        .collect();
    assert_eq!(store::store_job_batch(pool, &job.id, &[&rows[0], &rows[1]], 2).await.unwrap(), 2);
    let resumed = store::claim_next_job(pool).await.unwrap();
    if pool.is_postgres() {
        assert!(resumed.is_none(), "its lease holds");
    } else {
        let resumed = resumed.expect("one process: taken again from its cursor");
        assert_eq!((resumed.job_status, resumed.rows_read), (JobStatus::InProgress, 2));
    }
    assert_eq!(store::store_job_batch(pool, &job.id, &[&rows[2]], 3).await.unwrap(), 1);
    store::end_job(pool, &job.id, JobStatus::Finished).await.unwrap();
    assert!(store::claim_next_job(pool).await.unwrap().is_none());
    let counts = store::job_status_counts(pool, &job.id).await.unwrap();
    assert_eq!(counts, [(NotificationStatus::Created, 3)]);
    let messages = store::job_messages(pool, &service, &job.id, 10).await.unwrap();
    assert_eq!(messages.iter().map(|m| m.job_row_number).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(messages[0].id, rows[0].id);
    let unlisted = store::list_notifications(pool, &service, &store::NotificationFilter::default(), 10).await.unwrap();
    assert_eq!(unlisted.len(), 1, "only the letter: a job's messages are listed on request");
    let ended = store::get_job(pool, &service, &job.id).await.unwrap().unwrap();
    assert_eq!(ended.job_status, JobStatus::Finished);
    let forgotten =
        store::forget_job_files_before(pool, &service, TemplateType::Sms, clock::now() + Duration::seconds(1));
    assert_eq!(forgotten.await.unwrap(), 2, "the finished and the cancelled");
}

#[tokio::test]
async fn texts_letters_and_jobs_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    texts_letters_and_jobs(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn texts_letters_and_jobs_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("post").await;
    texts_letters_and_jobs(&store::connect(&pg.url("post")).await.unwrap()).await;
}

/// Two instances on one PostgreSQL: a job is sent by one of them; when that
/// one stops renewing its lease (it died), the other takes the job over
/// from its cursor, and the first can store nothing more of it.
#[tokio::test]
async fn a_job_is_taken_over_only_when_its_lease_runs_out_on_postgres() {
    let pg = common::postgres::Postgres::start();
    pg.create_database("jobs").await;
    let one = store::connect(&pg.url("jobs")).await.unwrap();
    let two = store::connect(&pg.url("jobs")).await.unwrap();
    let ada = store::create_user(&one, new_user("Ada", "ada@example.gov.uk")).await.unwrap();
    let service = store::create_service(&one, "Jobs", false, &[ServicePermission::Sms]).await.unwrap();
    let template = store::new_id();
    let job = store::NewJob {
        service_id: service.clone(),
        template_id: template.clone(),
        template_version: 1,
        notification_type: TemplateType::Sms,
        template_subject: None,
        template_content: "Hello".into(),
        original_file_name: "people.csv".into(),
        delimiter: ',',
        content: "phone number\n07700900001\n07700900002\n".into(),
        notification_count: 2,
        scheduled_for: None,
        created_by: Some(ada.clone()),
        api_key_id: None,
        key_type: KeyType::Normal,
        reply_to: None,
    };
    let job = store::create_job(&one, &job, 100).await.unwrap().unwrap();
    let (a, b) = tokio::join!(store::claim_next_job(&one), store::claim_next_job(&two));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_some() != b.is_some(), "taken by one: {a:?} {b:?}");
    let (holder, other) = if a.is_some() { (&one, &two) } else { (&two, &one) };
    let rows: Vec<store::NewNotification> = (0..2)
        .map(|i| {
            let to = format!("0770090000{}", i + 1);
            let mut n =
                message(&service, &template, KeyType::Normal, &template, TemplateType::Sms, &to, Duration::ZERO);
            n.api_key_id = None;
            n.job = Some(store::JobRow { job_id: job.id.clone(), row_number: i });
            n
        })
        .collect();
    assert_eq!(store::store_job_batch(holder, &job.id, &[&rows[0]], 1).await.unwrap(), 1);
    assert!(store::claim_next_job(other).await.unwrap().is_none(), "renewed with the batch");

    // The holder dies: its lease runs out.
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(&pg.options("jobs")).await.unwrap();
    sqlx::query("UPDATE jobs SET lease_until = now() - interval '1 second'").execute(&mut conn).await.unwrap();
    let taken = store::claim_next_job(other).await.unwrap().expect("taken over");
    assert_eq!((taken.id.as_str(), taken.rows_read), (job.id.as_str(), 1), "from its cursor");
    assert!(store::store_job_batch(holder, &job.id, &[&rows[1]], 2).await.is_err(), "no longer the first's");
    assert_eq!(store::store_job_batch(other, &job.id, &[&rows[1]], 2).await.unwrap(), 1);
    assert_eq!(store::job_status_counts(other, &job.id).await.unwrap().iter().map(|c| c.1).sum::<i64>(), 2);
}
