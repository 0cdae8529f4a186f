//! Demo data, seeded only when `NOTIFY_DEMO` is on. Running it again never
//! duplicates anything: each user, service and template is looked up first.

use app::domain::{Permission, ServicePermission, TemplateType};
use app::ssr::{passwords, store};
use store::Store;

pub const DEMO_PASSWORD: &str = "notify-demo-password";
/// The demo live service's inbound number.
pub const DEMO_INBOUND_NUMBER: &str = "07700900500";
pub const TRIAL_SERVICE: &str = "Example trial service";
pub const LIVE_SERVICE: &str = "Example live service";

struct DemoUser {
    name: &'static str,
    email: &'static str,
    mobile: &'static str,
    permissions: &'static [Permission],
}

const USERS: &[DemoUser] = &[
    DemoUser {
        name: "Demo Admin",
        email: "admin@example.gov.uk",
        mobile: "+447700900001",
        permissions: Permission::ALL,
    },
    DemoUser {
        name: "Demo Viewer",
        email: "viewer@example.gov.uk",
        mobile: "+447700900002",
        permissions: &[Permission::ViewActivity],
    },
    DemoUser { name: "Demo Outsider", email: "outsider@example.gov.uk", mobile: "+447700900003", permissions: &[] },
];

async fn ensure_service(
    pool: &Store,
    name: &str,
    restricted: bool,
    perms: &[ServicePermission],
) -> anyhow::Result<String> {
    if let Some(s) = store::find_service_by_name(pool, name).await? {
        return Ok(s.id);
    }
    let id = store::create_service(pool, name, restricted, perms).await?;
    for (template_type, name, subject, content) in [
        (
            TemplateType::Email,
            "Appointment reminder email",
            Some("Your appointment, ((name))"),
            "Dear ((name)),\n\nThis is a reminder of your appointment.\n\nThank you",
        ),
        (
            TemplateType::Sms,
            "Appointment reminder text",
            None,
            // Saved as a browser's form sends it, with `\r\n`.
            "Hello ((name)),\r\nthis is a reminder of your appointment.",
        ),
        (
            TemplateType::Letter,
            "Appointment reminder letter",
            Some("Your appointment"),
            "Dear ((name)),\n\nPlease come to your appointment.",
        ),
    ] {
        store::create_template(
            pool,
            store::NewTemplate {
                service_id: &id,
                name,
                template_type,
                subject,
                content,
                created_by: None,
                letter_contact_id: None,
            },
        )
        .await?;
    }
    Ok(id)
}

pub async fn seed(pool: &Store) -> anyhow::Result<()> {
    use ServicePermission::*;
    let trial = ensure_service(pool, TRIAL_SERVICE, true, &[Email, Sms]).await?;
    let live = ensure_service(pool, LIVE_SERVICE, false, &[Email, Sms, Letter, InboundSms]).await?;
    // The live service receives texts: it has an inbound number (from the
    // range Ofcom keeps for drama, so it reaches nobody).
    if store::inbound_number(pool, &live).await?.is_none() {
        store::set_inbound_number(pool, &live, DEMO_INBOUND_NUMBER).await?;
    }
    for u in USERS {
        let user_id = match store::find_user_by_email(pool, u.email).await? {
            Some(existing) => existing.id,
            None => {
                let hash = passwords::hash(DEMO_PASSWORD)?;
                store::create_user(
                    pool,
                    store::NewUser {
                        name: u.name,
                        email_address: u.email,
                        mobile_number: Some(u.mobile),
                        password_hash: &hash,
                        platform_admin: false,
                        // The demo signs in with its published password alone.
                        sign_in_method: app::domain::sign_in_method::SignInMethod::PasswordOnly,
                    },
                )
                .await?
            }
        };
        if u.email != "outsider@example.gov.uk" {
            for service in [&trial, &live] {
                store::grant(pool, &user_id, service, u.permissions).await?;
            }
        }
        // The demo's templates were made by its admin.
        if u.email == "admin@example.gov.uk" {
            for service in [&trial, &live] {
                store::attribute_template_versions(pool, service, &user_id).await?;
            }
            seed_senders_and_inbox(pool, &live, &user_id).await?;
        }
    }
    tracing::info!("demo data is in place");
    Ok(())
}

/// The live service shows each sender feature at once: a reply-to address
/// and a letter contact block (each its default), and a received text (its
/// inbound number is already its default text message sender).
async fn seed_senders_and_inbox(pool: &Store, live: &str, admin_id: &str) -> anyhow::Result<()> {
    use app::domain::senders::SenderKind;
    for (kind, value) in [
        (SenderKind::EmailReplyTo, "appointments@example.gov.uk"),
        (SenderKind::LetterContact, "Appointments team\nExample live service\n10 Whitehall\nLondon\nSW1A 2AA"),
    ] {
        if store::senders(pool, live, kind).await?.iter().all(|s| s.value != value) {
            store::add_sender(pool, live, kind, value, true, admin_id)
                .await?
                .map_err(|e| anyhow::anyhow!("demo sender refused: {e:?}"))?;
        }
    }
    // The letter template, made without a contact block (version 1), then
    // given the service's (version 2): letters print it, and the API shows
    // both versions' choices.
    let contact = store::senders(pool, live, SenderKind::LetterContact).await?.into_iter().find(|s| s.is_default);
    for t in store::list_templates(pool, live).await? {
        if t.template_type == TemplateType::Letter && t.letter_contact_id.is_none() && t.version == 1 {
            if let Some(contact) = &contact {
                store::set_template_letter_contact(pool, live, &t.id, Some(&contact.id), admin_id).await?;
            }
        }
    }
    if store::received_texts(pool, live, None, 1).await?.is_empty() {
        store::receive_text(
            pool,
            DEMO_INBOUND_NUMBER,
            "07700900111",
            "Can I change my appointment to Thursday?",
            None,
            None,
        )
        .await?;
    }
    Ok(())
}
