//! Templates and their versions (each save is a new version).

use super::backend::{on_backend, on_tx, tx_methods, Id};
use super::{new_id, Store};
use crate::domain::TemplateType;
use crate::domain::Timestamp;
use crate::ssr::clock;
use anyhow::Context;
use sqlx::FromRow;

#[derive(Clone, Debug, FromRow)]
pub struct Template {
    pub id: String,
    pub service_id: String,
    pub name: String,
    pub template_type: TemplateType,
    pub subject: Option<String>,
    pub content: String,
    pub version: i64,
    pub archived: bool,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    /// A letter template's contact block (one of the service's letter
    /// contact senders), `None` for none ("Blank").
    pub letter_contact_id: Option<String>,
}

pub struct NewTemplate<'a> {
    pub service_id: &'a str,
    pub name: &'a str,
    pub template_type: TemplateType,
    pub subject: Option<&'a str>,
    pub content: &'a str,
    /// The user who made it (`None` for seeded data).
    pub created_by: Option<&'a str>,
    /// A letter template's contact block (see [`Template::letter_contact_id`]).
    pub letter_contact_id: Option<&'a str>,
}

pub async fn create_template(pool: &Store, t: NewTemplate<'_>) -> anyhow::Result<String> {
    let id = new_id();
    let now = clock::now();
    let mut write = pool.begin_write().await?;
    on_tx!(&mut write, |tx| {
        sqlx::query(
            "INSERT INTO templates (id, service_id, name, template_type, subject, content, version, archived,
             created_at, letter_contact_id) VALUES ($1, $2, $3, $4, $5, $6, 1, FALSE, $7, $8)",
        )
        .bind(Id(&id))
        .bind(Id(t.service_id))
        .bind(t.name)
        .bind(t.template_type)
        .bind(t.subject)
        .bind(t.content)
        .bind(now)
        .bind(t.letter_contact_id.map(Id))
        .execute(&mut **tx)
        .await
        .context("could not create a template")?;
        tx.insert_version(&Version {
            template_id: &id,
            version: 1,
            name: t.name,
            template_type: t.template_type,
            subject: t.subject,
            content: t.content,
            created_at: now,
            created_by: t.created_by,
            letter_contact_id: t.letter_contact_id,
        })
        .await?;
    });
    write.commit().await?;
    pool.service_changed(t.service_id);
    Ok(id)
}

/// One version of a template, as every write of a template records it.
struct Version<'a> {
    template_id: &'a str,
    version: i64,
    name: &'a str,
    template_type: TemplateType,
    subject: Option<&'a str>,
    content: &'a str,
    created_at: Timestamp,
    created_by: Option<&'a str>,
    letter_contact_id: Option<&'a str>,
}

tx_methods! {
    /// Template versions written inside a transaction.
    trait TemplateTx {
        /// Records one version of a template.
        async fn insert_version(&mut self, v: &Version<'_>) -> anyhow::Result<()> {
            sqlx::query(
                "INSERT INTO template_versions (template_id, version, name, template_type, subject, content,
                 created_at, created_by, letter_contact_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(Id(v.template_id))
            .bind(v.version)
            .bind(v.name)
            .bind(v.template_type)
            .bind(v.subject)
            .bind(v.content)
            .bind(v.created_at)
            .bind(v.created_by.map(Id))
            .bind(v.letter_contact_id.map(Id))
            .execute(&mut **self)
            .await
            .context("could not record a template version")?;
            Ok(())
        }
    }
}

/// Saves a new version of a template (name, subject and content may all
/// change; the type may not). Returns the new version number, or `None` when
/// the template is not one of this service's.
pub async fn update_template(
    pool: &Store,
    service_id: &str,
    template_id: &str,
    name: &str,
    subject: Option<&str>,
    content: &str,
    created_by: &str,
) -> anyhow::Result<Option<i64>> {
    let now = clock::now();
    let mut write = pool.begin_write().await?;
    let next = on_tx!(&mut write, |tx| {
        let row: Option<(i64, TemplateType, Option<String>)> = sqlx::query_as(
            "SELECT version, template_type, CAST(letter_contact_id AS TEXT) AS letter_contact_id FROM templates
             WHERE id = $1 AND service_id = $2 AND hidden = FALSE",
        )
        .bind(Id(template_id))
        .bind(Id(service_id))
        .fetch_optional(&mut **tx)
        .await?;
        let Some((version, template_type, letter_contact_id)) = row else { return Ok(None) };
        let next = version + 1;
        sqlx::query(
            "UPDATE templates SET name = $1, subject = $2, content = $3, version = $4, updated_at = $5
             WHERE id = $6",
        )
        .bind(name)
        .bind(subject)
        .bind(content)
        .bind(next)
        .bind(now)
        .bind(Id(template_id))
        .execute(&mut **tx)
        .await?;
        tx.insert_version(&Version {
            template_id,
            version: next,
            name,
            template_type,
            subject,
            content,
            created_at: now,
            created_by: Some(created_by),
            letter_contact_id: letter_contact_id.as_deref(),
        })
        .await?;
        next
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(Some(next))
}

pub async fn list_templates(pool: &Store, service_id: &str) -> anyhow::Result<Vec<Template>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Template>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, name, template_type, subject,
         content, version, archived, created_at, updated_at, CAST(letter_contact_id AS TEXT) AS letter_contact_id
         FROM templates WHERE service_id = $1 AND archived = FALSE AND hidden = FALSE
         ORDER BY lower(name)",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not list templates")
}

/// Every template of the service the API may be asked for (archived ones
/// too, so that it can say so), for the API's per-service snapshot: a send
/// then needs no read. Writers of templates announce the change.
pub async fn service_templates(pool: &Store, service_id: &str) -> anyhow::Result<Vec<Template>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Template>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, name, template_type, subject,
         content, version, archived, created_at, updated_at, CAST(letter_contact_id AS TEXT) AS letter_contact_id
         FROM templates WHERE service_id = $1 AND hidden = FALSE",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not load the service's templates")
}

/// One of the templates of the service that emails this service's own users
/// (hidden from every page): `None` if there is no such template.
pub async fn get_platform_template(pool: &Store, template_id: &str) -> anyhow::Result<Option<Template>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Template>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, name, template_type, subject,
         content, version, archived, created_at, updated_at, CAST(letter_contact_id AS TEXT) AS letter_contact_id
         FROM templates WHERE id = $1 AND service_id = $2",
    )
    .bind(Id(template_id))
    .bind(Id(crate::ssr::platform_emails::PLATFORM_SERVICE_ID))
    .fetch_optional(db)
    .await)
    .context("could not load a platform template")
}

pub async fn get_template(pool: &Store, service_id: &str, template_id: &str) -> anyhow::Result<Option<Template>> {
    on_backend!(pool, |db| sqlx::query_as::<_, Template>(
        "SELECT CAST(id AS TEXT) AS id, CAST(service_id AS TEXT) AS service_id, name, template_type, subject,
         content, version, archived, created_at, updated_at, CAST(letter_contact_id AS TEXT) AS letter_contact_id
         FROM templates WHERE id = $1 AND service_id = $2 AND hidden = FALSE",
    )
    .bind(Id(template_id))
    .bind(Id(service_id))
    .fetch_optional(db)
    .await)
    .context("could not load a template")
}

pub async fn template_counts(pool: &Store, service_id: &str) -> anyhow::Result<Vec<(TemplateType, i64)>> {
    on_backend!(pool, |db| sqlx::query_as(
        "SELECT template_type, COUNT(*) FROM templates WHERE service_id = $1 AND archived = FALSE AND hidden = FALSE
         GROUP BY template_type ORDER BY template_type",
    )
    .bind(Id(service_id))
    .fetch_all(db)
    .await)
    .context("could not count templates")
}

#[derive(Clone, Debug, FromRow)]
pub struct TemplateVersion {
    pub template_id: String,
    pub version: i64,
    pub name: String,
    pub template_type: TemplateType,
    pub subject: Option<String>,
    pub content: String,
    pub created_at: Timestamp,
    /// The email address of the user who made this version.
    pub created_by: Option<String>,
    /// The contact block this version of a letter template chose (its text
    /// now, as Notify gives it), `None` for none.
    pub letter_contact_block: Option<String>,
}

/// Names `user_id` as the author of the service's template versions that
/// have none (the demo's seeded templates, made before its users).
pub async fn attribute_template_versions(pool: &Store, service_id: &str, user_id: &str) -> anyhow::Result<()> {
    on_backend!(pool, |db| sqlx::query(
        "UPDATE template_versions SET created_by = $1
         WHERE created_by IS NULL AND template_id IN (SELECT id FROM templates WHERE service_id = $2)",
    )
    .bind(Id(user_id))
    .bind(Id(service_id))
    .execute(db)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn get_template_version(
    pool: &Store,
    service_id: &str,
    template_id: &str,
    version: i64,
) -> anyhow::Result<Option<TemplateVersion>> {
    on_backend!(pool, |db| sqlx::query_as::<_, TemplateVersion>(
        "SELECT CAST(v.template_id AS TEXT) AS template_id, v.version, v.name, v.template_type, v.subject,
         v.content, v.created_at, u.email_address AS created_by, s.value AS letter_contact_block
         FROM template_versions v JOIN templates t ON t.id = v.template_id LEFT JOIN users u ON u.id = v.created_by
         LEFT JOIN service_senders s ON s.id = v.letter_contact_id AND s.service_id = t.service_id
         WHERE v.template_id = $1 AND t.service_id = $2 AND v.version = $3",
    )
    .bind(Id(template_id))
    .bind(Id(service_id))
    .bind(version)
    .fetch_optional(db)
    .await)
    .context("could not load a template version")
}

/// What choosing a letter template's contact block came to.
#[derive(Debug, PartialEq, Eq)]
pub enum ContactChoice {
    /// Saved as this new version.
    Saved(i64),
    /// Not one of the service's letter templates.
    NoSuchTemplate,
    /// Not one of the service's letter contact blocks.
    NoSuchContact,
}

/// Chooses a letter template's contact block (`None`: none, "Blank"), as a
/// new version of the template, as every change to a template is. The rules
/// are here, for every entry point: the template is one of the service's
/// letter templates, the contact block one of its letter contact blocks.
pub async fn set_template_letter_contact(
    pool: &Store,
    service_id: &str,
    template_id: &str,
    letter_contact_id: Option<&str>,
    created_by: &str,
) -> anyhow::Result<ContactChoice> {
    let now = clock::now();
    let mut write = pool.begin_write().await?;
    let next = on_tx!(&mut write, |tx| {
        let row: Option<(i64, String, Option<String>, String)> = sqlx::query_as(
            "SELECT version, name, subject, content FROM templates
             WHERE id = $1 AND service_id = $2 AND hidden = FALSE AND archived = FALSE AND template_type = 'letter'",
        )
        .bind(Id(template_id))
        .bind(Id(service_id))
        .fetch_optional(&mut **tx)
        .await?;
        let Some((version, name, subject, content)) = row else { return Ok(ContactChoice::NoSuchTemplate) };
        if let Some(contact) = letter_contact_id {
            let known: Option<(String,)> = sqlx::query_as(
                "SELECT CAST(id AS TEXT) AS id FROM service_senders
                 WHERE id = $1 AND service_id = $2 AND kind = 'letter_contact' AND archived = FALSE",
            )
            .bind(Id(contact))
            .bind(Id(service_id))
            .fetch_optional(&mut **tx)
            .await?;
            if known.is_none() {
                return Ok(ContactChoice::NoSuchContact);
            }
        }
        let next = version + 1;
        sqlx::query("UPDATE templates SET letter_contact_id = $1, version = $2, updated_at = $3 WHERE id = $4")
            .bind(letter_contact_id.map(Id))
            .bind(next)
            .bind(now)
            .bind(Id(template_id))
            .execute(&mut **tx)
            .await?;
        tx.insert_version(&Version {
            template_id,
            version: next,
            name: &name,
            template_type: TemplateType::Letter,
            subject: subject.as_deref(),
            content: &content,
            created_at: now,
            created_by: Some(created_by),
            letter_contact_id,
        })
        .await
        .context("could not save a template's contact block")?;
        next
    });
    write.commit().await?;
    pool.service_changed(service_id);
    Ok(ContactChoice::Saved(next))
}
