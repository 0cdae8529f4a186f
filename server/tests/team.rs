//! The team in the browser: the team page, inviting by email (Notify's
//! rules and messages), the invitation's single-use link (joining as the
//! invitee, signing in first, or creating the account; refused to anyone
//! else, and once expired or cancelled), and every change on the audit log.

mod common;

use app::ssr::store;
use common::*;

fn users(service: &str) -> String {
    format!("/services/{service}/users")
}

/// The invitation link in the last email sent to `to` (from this server's
/// own service; the built-in outbox keeps it in the tests), as a path.
async fn invitation_link(app: &TestApp, to: &str) -> (String, String) {
    let (subject, body): (String, String) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT subject, body FROM notifications WHERE CAST(service_id AS TEXT) = $1 AND recipient = $2
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(app::ssr::platform_emails::PLATFORM_SERVICE_ID)
    .bind(to)
    .fetch_one(db)
    .await
    .unwrap());
    let start = body.find("/invitation/").expect("a link in the email");
    let path = body[start..start + "/invitation/".len() + 64].to_string();
    (subject, path)
}

async fn invite(app: &TestApp, s: &Signed, service: &str, email: &str, permissions: &[&str]) -> Page {
    let mut form: Vec<(String, String)> =
        vec![("csrf_token".into(), s.csrf.clone()), ("email_address".into(), email.to_string())];
    for p in permissions {
        form.push((format!("permission_{p}"), "y".to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post(&format!("{}/invite", users(service)), Some(&s.cookie), &form).await
}

#[tokio::test]
async fn a_manager_invites_and_the_invitee_joins_with_the_permissions_given() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let s = admin(&app).await;

    // Every member sees the team; only those who manage the service invite.
    let page = app.get(&users(&live), Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("Demo Admin (you)") && text.contains("Manage settings, team and usage"), "{text}");
    assert!(text.contains("Invite a team member") && text.contains("All team members can see sent messages."));
    let viewer = app.sign_in(VIEWER).await;
    let seen = app.get(&users(&live), Some(&viewer)).await;
    assert_eq!(seen.status, 200);
    assert!(seen.text().contains("Demo Viewer (you)") && !seen.text().contains("Invite a team member"));
    assert_eq!(app.get(&format!("{}/invite", users(&live)), Some(&viewer)).await.status, 403);
    let outsider = app.sign_in(OUTSIDER).await;
    assert_eq!(app.get(&users(&live), Some(&outsider)).await.status, 404);

    // Notify's refusals.
    let own = invite(&app, &s, &live, ADMIN, &[]).await;
    assert!(own.text().contains("Enter an email address that is not your own"), "{}", own.text());
    let bad = invite(&app, &s, &live, "not an address", &["send_messages"]).await;
    assert!(bad.body.contains("govuk-error-summary") && bad.body.contains("value=\"not an address\""));
    let member = invite(&app, &s, &live, VIEWER, &[]).await;
    assert!(member.text().contains("This person is already a team member"), "{}", member.text());
    assert!(member.text().contains("Demo Viewer is already a member of ‘Example live service’."));

    // An invitation: the email, the pending row, and a second one refused.
    let sent = invite(&app, &s, &live, "new.person@example.gov.uk", &["view_activity", "send_messages"]).await;
    assert_eq!((sent.status, sent.location()), (302, users(&live).as_str()));
    let list = app.get(&users(&live), Some(&s.cookie)).await.text();
    assert!(list.contains("Invite sent to new.person@example.gov.uk"), "{list}");
    assert!(list.contains("new.person@example.gov.uk Invite pending See dashboard Send messages"), "{list}");
    let again = invite(&app, &s, &live, "New.Person@example.gov.uk", &[]).await;
    assert!(again.text().contains("This person has already received an invite"), "{}", again.text());
    let (subject, link) = invitation_link(&app, "new.person@example.gov.uk").await;
    assert_eq!(subject, "Demo Admin has invited you to collaborate on Example live service");

    // Someone else signed in cannot use it.
    let wrong = app.get(&link, Some(&viewer)).await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.text().contains("You’re signed in as viewer@example.gov.uk"), "{}", wrong.text());

    // The invitee has no account: they make one, and land on the service.
    let form = app.get(&link, None).await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("Create an account") && form.text().contains("new.person@example.gov.uk"));
    let short = app.post(&link, None, &[("name", "New Person"), ("password", "short")]).await;
    assert!(short.text().contains("Your password must be 8 characters or more"), "{}", short.text());
    assert!(short.body.contains("value=\"New Person\""), "the name is kept");
    let created = app
        .post(
            &link,
            None,
            &[("name", "New Person"), ("mobile_number", "07700 900 123"), ("password", "a long enough password")],
        )
        .await;
    assert_eq!((created.status, created.location()), (302, format!("/services/{live}").as_str()));
    let cookie = created.set_cookie().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let team = app.get(&users(&live), Some(&cookie)).await;
    assert_eq!(team.status, 200);
    assert!(
        team.text().contains("New Person (you) new.person@example.gov.uk See dashboard Send messages"),
        "{}",
        team.text()
    );
    assert!(!team.text().contains("Invite a team member"));
    assert_eq!(app.get(&format!("/services/{live}/api"), Some(&cookie)).await.status, 403, "not given the API");

    // Used once: the link now leads to the service, through sign-in.
    let used = app.get(&link, None).await;
    assert_eq!((used.status, used.location()), (302, format!("/sign-in?next=/services/{live}").as_str()));
    assert_eq!(app.post(&link, None, &[("name", "X"), ("password", "another password")]).await.status, 302);
    let (users_now,): (i64,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT count(*) FROM users WHERE email_address = 'new.person@example.gov.uk'"
    )
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(users_now, 1);

    // Every change is on the audit log.
    let audit = app.get(&format!("/services/{live}/api/audit"), Some(&s.cookie)).await.text();
    assert!(audit.contains("Invited new.person@example.gov.uk to join the team"), "{audit}");
    assert!(audit.contains("new.person@example.gov.uk accepted the invitation and joined the team"), "{audit}");
}

#[tokio::test]
async fn an_existing_user_signs_in_first_and_cancelled_expired_or_forged_links_do_nothing() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let s = admin(&app).await;

    // The outsider has an account: the link asks them to sign in, then joins them.
    assert_eq!(invite(&app, &s, &live, OUTSIDER, &["manage_templates"]).await.status, 302);
    let (_, link) = invitation_link(&app, OUTSIDER).await;
    let unsigned = app.get(&link, None).await;
    assert_eq!((unsigned.status, unsigned.location()), (302, format!("/sign-in?next={link}").as_str()));
    let outsider = app.sign_in(OUTSIDER).await;
    let joined = app.get(&link, Some(&outsider)).await;
    assert_eq!((joined.status, joined.location()), (302, format!("/services/{live}").as_str()));
    let outsider_user = store::find_user_by_email(&app.state.pool, OUTSIDER).await.unwrap().unwrap();
    let permissions = store::user_permissions(&app.state.pool, &outsider_user.id, &live).await.unwrap();
    assert_eq!(permissions, Some(vec![app::domain::Permission::ManageTemplates]));

    // Cancelled.
    assert_eq!(invite(&app, &s, &live, "cancel.me@example.gov.uk", &[]).await.status, 302);
    let (_, cancelled_link) = invitation_link(&app, "cancel.me@example.gov.uk").await;
    let invitation = app::ssr::team::pending(&app.state.pool, &live).await.unwrap().remove(0);
    let cancel = format!("/services/{live}/cancel-invited-user/{}", invitation.id);
    assert_eq!(app.post(&cancel, Some(&s.cookie), &[]).await.status, 403, "no CSRF token");
    let done = app.post(&cancel, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(done.status, 302);
    assert!(app
        .get(&users(&live), Some(&s.cookie))
        .await
        .text()
        .contains("Invitation to cancel.me@example.gov.uk cancelled"));
    assert_eq!(app.post(&cancel, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await.status, 404, "once");
    let page = app.get(&cancelled_link, None).await.text();
    assert!(page.contains("The invitation you were sent has been cancelled"), "{page}");
    assert!(page.contains("Demo Admin cancelled your invitation to ‘Example live service’."), "{page}");
    assert!(app.post(&cancelled_link, None, &[("name", "X"), ("password", "a long password")]).await.status == 302);
    assert!(store::find_user_by_email(&app.state.pool, "cancel.me@example.gov.uk").await.unwrap().is_none());

    // Expired after 2 days.
    assert_eq!(invite(&app, &s, &live, "late@example.gov.uk", &[]).await.status, 302);
    let (_, late_link) = invitation_link(&app, "late@example.gov.uk").await;
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE invited_users SET created_at = $1 WHERE email_address = 'late@example.gov.uk'"
    )
    .bind(app::ssr::clock::ago(time::Duration::days(2) + time::Duration::minutes(1)))
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    assert!(app.get(&late_link, None).await.text().contains("The invitation you were sent has expired"));
    // No longer pending on the team page.
    let team = app.get(&users(&live), Some(&s.cookie)).await.text();
    assert!(!team.contains("late@example.gov.uk Invite pending"), "{team}");

    // Forged or malformed tokens.
    let forged = format!("/invitation/{}", "ab".repeat(32));
    assert_eq!(app.get(&forged, None).await.status, 404);
    assert_eq!(app.get("/invitation/short", None).await.status, 404);
    // Another service's manager cannot cancel this service's invitations.
    let trial = app.service_id("Example trial service").await;
    let elsewhere = format!("/services/{trial}/cancel-invited-user/{}", invitation.id);
    assert_eq!(app.post(&elsewhere, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await.status, 404);
}

/// A user made a member of the service with `permissions` (not a persona).
async fn member(app: &TestApp, service: &str, name: &str, permissions: &[app::domain::Permission]) -> String {
    let hash = app::ssr::passwords::hash("a member's password").unwrap();
    let email = format!("{}@example.gov.uk", name.to_lowercase().replace(' ', "."));
    let id = store::create_user(
        &app.state.pool,
        store::NewUser {
            name,
            email_address: &email,
            mobile_number: None,
            password_hash: &hash,
            platform_admin: false,
            sign_in_method: app::domain::sign_in_method::SignInMethod::PasswordOnly,
        },
    )
    .await
    .unwrap();
    store::grant(&app.state.pool, &id, service, permissions).await.unwrap();
    id
}

#[tokio::test]
async fn a_manager_changes_permissions_and_removes_members_but_never_the_last_manager() {
    use app::domain::Permission::*;
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let s = admin(&app).await;
    let bo = member(&app, &live, "Bo Member", &[ManageApiKeys, ViewActivity]).await;
    let page = app.get(&users(&live), Some(&s.cookie)).await;
    assert!(page.text().contains("Change details for Bo Member"), "{}", page.text());

    // Permissions: what is ticked, on the audit log.
    let form = app.get(&format!("{}/{bo}", users(&live)), Some(&s.cookie)).await;
    assert_eq!(form.status, 200);
    assert!(
        form.text().contains("Change team member’s permissions") && form.text().contains("bo.member@example.gov.uk")
    );
    let changed = app
        .post(
            &format!("{}/{bo}", users(&live)),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("permission_send_messages", "y")],
        )
        .await;
    assert_eq!(changed.status, 302);
    let bo_now = store::user_permissions(&app.state.pool, &bo, &live).await.unwrap();
    assert_eq!(bo_now, Some(vec![SendMessages]));
    assert!(app.get(&users(&live), Some(&s.cookie)).await.text().contains("Bo Member’s permissions were changed"));

    // The only manager cannot stop managing, nor leave.
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let own = format!("{}/{}", users(&live), admin_user.id);
    let refused =
        app.post(&own, Some(&s.cookie), &[("csrf_token", &s.csrf), ("permission_manage_api_keys", "y")]).await;
    assert_eq!(refused.status, 200);
    let message = "Demo Admin is the only team member who can manage settings, team and usage. Give this permission to someone else first.";
    assert!(refused.text().contains(message), "{}", refused.text());
    assert!(refused.body.contains("govuk-error-summary"));
    let leave = app.post(&format!("{own}/delete"), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert!(leave.text().contains(message), "{}", leave.text());
    assert!(store::user_permissions(&app.state.pool, &admin_user.id, &live)
        .await
        .unwrap()
        .unwrap()
        .contains(&ManageService));

    // Not a member here, or no such user: 404; a viewer: 403.
    let trial = app.service_id("Example trial service").await;
    assert_eq!(app.get(&format!("{}/{bo}", users(&trial)), Some(&s.cookie)).await.status, 404);
    assert_eq!(app.get(&format!("{}/{}", users(&live), uuid::Uuid::new_v4()), Some(&s.cookie)).await.status, 404);
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&format!("{}/{bo}", users(&live)), Some(&viewer)).await.status, 403);

    // Removed, after a confirmation.
    let confirm = app.get(&format!("{}/{bo}/delete", users(&live)), Some(&s.cookie)).await;
    assert!(confirm.text().contains("Are you sure you want to remove Bo Member?"), "{}", confirm.text());
    let removed = app.post(&format!("{}/{bo}/delete", users(&live)), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!((removed.status, removed.location()), (302, users(&live).as_str()));
    assert_eq!(store::user_permissions(&app.state.pool, &bo, &live).await.unwrap(), None);
    let list = app.get(&users(&live), Some(&s.cookie)).await.text();
    assert!(
        list.contains("Bo Member was removed from the team") && !list.contains("bo.member@example.gov.uk"),
        "{list}"
    );
    let audit = app.get(&format!("/services/{live}/api/audit"), Some(&s.cookie)).await.text();
    assert!(audit.contains("Changed Bo Member’s permissions to: Send messages"), "{audit}");
    assert!(audit.contains("Removed Bo Member (bo.member@example.gov.uk) from the team"), "{audit}");
    // Bo could not see the keys when they left: no warning.
    assert!(!app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await.text().contains("left the team"));
}

#[tokio::test]
async fn a_departure_asks_for_the_keys_they_could_see_to_be_rotated() {
    use app::domain::Permission::*;
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let s = admin(&app).await;
    let before: Vec<Key> =
        vec![make_key(&app, &live, "normal", "Payments").await, make_key(&app, &live, "test", "Tests").await];
    let cy = member(&app, &live, "Cy Developer", &[ManageApiKeys]).await;
    let dee = member(&app, &live, "Dee Developer", &[ManageApiKeys]).await;
    // Made after they leave: not theirs to have seen.
    for who in [&cy, &dee] {
        let removed =
            app.post(&format!("{}/{who}/delete", users(&live)), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
        assert_eq!(removed.status, 302);
    }
    let after = make_key(&app, &live, "normal", "Later").await;

    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await.text();
    assert!(hub.contains("Cy Developer left the team on"), "{hub}");
    assert!(hub.contains("These keys were created or could be seen by them: rotate them."), "{hub}");
    assert!(
        hub.contains("Rotate ‘Payments’") && hub.contains("Rotate ‘Tests’") && !hub.contains("Rotate ‘Later’"),
        "{hub}"
    );
    let keys_page = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(keys_page.text().contains("Dee Developer left the team on"), "{}", keys_page.text());
    assert!(keys_page.body.contains(&format!("/services/{live}/api/keys/rotate/{}", before[0].id)));

    // Dismissed: that warning goes (on the audit log); the other stays.
    let (cy_departure,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT) FROM departures WHERE CAST(user_id AS TEXT) = $1"
    )
    .bind(&cy)
    .fetch_one(db)
    .await
    .unwrap());
    let dismiss = format!("/services/{live}/api/departures/{cy_departure}/dismiss");
    assert_eq!(app.post(&dismiss, Some(&s.cookie), &[]).await.status, 403, "no CSRF token");
    let done = app.post(&dismiss, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!((done.status, done.location()), (302, format!("/services/{live}/api").as_str()));
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await.text();
    assert!(
        hub.contains("Warning dismissed") && !hub.contains("Cy Developer left") && hub.contains("Dee Developer left"),
        "{hub}"
    );
    assert_eq!(app.post(&dismiss, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await.status, 404, "once");

    // Every listed key revoked: the warning goes by itself.
    for key in &before {
        let revoked = app
            .post(&format!("/services/{live}/api/keys/revoke/{}", key.id), Some(&s.cookie), &[("csrf_token", &s.csrf)])
            .await;
        assert_eq!(revoked.status, 302);
    }
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await.text();
    assert!(!hub.contains("left the team"), "{hub}");
    let _ = after;
    let audit = app.get(&format!("/services/{live}/api/audit"), Some(&s.cookie)).await.text();
    assert!(audit.contains("Dismissed the warning to rotate the keys Cy Developer could see"), "{audit}");
}

/// A change to a member reads (are they a member? the last manager?) before
/// it writes. With another connection committing all the while (the
/// workers do, always), every change still lands: none fails with
/// "database is locked" because another commit came between its read and
/// its write.
#[tokio::test]
async fn changes_to_members_land_while_other_writers_commit() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let viewer = store::find_user_by_email(&app.state.pool, VIEWER).await.unwrap().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (pool, stop, live) = (app.state.pool.clone(), stop.clone(), live.clone());
        tokio::spawn(async move {
            let mut commits = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                on_db!(pool, |db| sqlx::query("UPDATE services SET name = name WHERE CAST(id AS TEXT) = $1")
                    .bind(&live)
                    .execute(db)
                    .await
                    .unwrap()
                    .rows_affected());
                commits += 1;
                tokio::task::yield_now().await;
            }
            commits
        })
    };
    let mut failures = Vec::new();
    for n in 0..200 {
        let permissions: &[app::domain::Permission] = if n % 2 == 0 {
            &[app::domain::Permission::ViewActivity, app::domain::Permission::SendMessages]
        } else {
            &[app::domain::Permission::ViewActivity]
        };
        match store::set_member_permissions(&app.state.pool, &live, &viewer.id, permissions, &admin_user.id).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("refused: {e:?}"),
            Err(e) => failures.push(e.to_string()),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let commits = writer.await.unwrap();
    assert!(commits > 0, "the other writer committed");
    assert!(failures.is_empty(), "{} of 200 changes failed: {:?}", failures.len(), failures.first());
}
