//! Sending a checked file and following it: `POST
//! /services/{id}/start-job/{upload_id}` (Notify's address) makes the job
//! through `app::ssr::jobs`, which owns the rules; a job's page
//! (`/services/{id}/jobs/{job_id}`), and cancelling a scheduled job.

use super::error::{found, PageError};
use super::extract::{CsrfForm, PageAccess, SendFromFile, ServicePage, ViewMessages};
use crate::AppState;
use app::domain::job::{is_offered_time, JobStatus};
use app::domain::{Permission, Timestamp};
use app::pages::jobs::JobPage;
use app::ssr::jobs::{self, List, NotStarted, Sender};
use app::ssr::{clock, store};
use app::view_model::FormErrors;
use axum::extract::{Path, State};
use axum::response::Response;

type Answer = Result<Response, PageError>;

#[derive(serde::Deserialize)]
pub struct StartForm {
    #[serde(default)]
    scheduled_for: String,
}

pub async fn start(
    State(state): State<AppState>,
    ctx: ServicePage<SendFromFile>,
    Path((_, upload_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Answer {
    let upload = store::find_upload(&state.pool, ctx.id(), &upload_id).await?.ok_or(PageError::NotFound)?;
    let template = store::get_template(&state.pool, ctx.id(), &upload.template_id)
        .await?
        .filter(|t| !t.archived)
        .ok_or(PageError::NotFound)?;
    let check_path = ctx.path(&format!("/{}/check/{}", template.id, upload.id));
    let mut errors = FormErrors::default();
    let scheduled_for = match form.scheduled_for.trim() {
        "" => None,
        text => match Timestamp::parse(text).filter(|at| is_offered_time(*at, clock::now())) {
            Some(at) => Some(at),
            None => {
                errors.push("scheduled_for", "Choose a time within the next 4 days");
                None
            }
        },
    };
    if errors.is_empty() {
        let service = store::get_service(&state.pool, ctx.id()).await?.ok_or(PageError::NotFound)?;
        let sender = Sender::team_member(&ctx.signed_in.user.id, &service);
        let delimiter = if upload.delimiter == "\t" { b'\t' } else { b',' };
        let list = List { file_name: &upload.file_name, content: &upload.content, delimiter };
        match jobs::start(&state.pool, &service, &template, list, &sender, scheduled_for, None).await? {
            Ok(job) => return Ok(found(&ctx.path(&format!("/jobs/{}", job.id)))),
            // The check page says what changed since it was shown.
            Err(NotStarted::Check(_)) => return Ok(found(&check_path)),
            Err(NotStarted::OverDailyLimit { remaining, wanted }) => {
                let noun = template.template_type.message_noun();
                errors.push(
                    "scheduled_for",
                    format!(
                        "You can still send {} {noun}s today, but ‘{}’ contains {}: files already sending count too",
                        app::domain::thousands(remaining),
                        upload.file_name,
                        app::domain::thousands(wanted)
                    ),
                );
            }
        }
    }
    let page = super::uploads::check_page(&state, &ctx, &template, &upload, errors).await?;
    Ok(ctx.show(page))
}

async fn job_of(state: &AppState, service_id: &str, job_id: &str) -> Result<store::Job, PageError> {
    if uuid::Uuid::parse_str(job_id).is_err() {
        return Err(PageError::NotFound);
    }
    store::get_job(&state.pool, service_id, job_id).await?.ok_or(PageError::NotFound)
}

/// What a job's page and its server function show of its progress.
pub async fn progress(
    state: &AppState,
    ctx: &ServicePage<ViewMessages>,
    job: &store::Job,
) -> Result<app::activity::JobProgress, PageError> {
    let can_view = ViewMessages::ANY_OF.iter().any(|p| ctx.service.can(*p));
    Ok(jobs::progress(&state.pool, job, can_view).await?)
}

pub async fn job_page(
    State(state): State<AppState>,
    ctx: ServicePage<ViewMessages>,
    Path((_, job_id)): Path<(String, String)>,
) -> Answer {
    let job = job_of(&state, ctx.id(), &job_id).await?;
    let progress = progress(&state, &ctx, &job).await?;
    let page = JobPage {
        job_id: job.id.clone(),
        file_name: job.original_file_name.clone(),
        template_name: job.template_name.clone().unwrap_or_else(|| "Deleted template".into()),
        sent_by: jobs::sent_by(&job),
        can_cancel: job.job_status == JobStatus::Scheduled && ctx.service.can(Permission::SendMessages),
        progress,
    };
    ctx.show_with_flash(&state, page).await
}

#[derive(serde::Deserialize)]
pub struct Confirm {}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: ServicePage<SendFromFile>,
    Path((_, job_id)): Path<(String, String)>,
    CsrfForm(Confirm {}): CsrfForm<Confirm>,
) -> Answer {
    let job = job_of(&state, ctx.id(), &job_id).await?;
    if store::cancel_job(&state.pool, ctx.id(), &job.id).await? {
        tracing::info!(service_id = %ctx.id(), job_id = %job.id, "scheduled job cancelled");
        ctx.flash(&state, &format!("Sending ‘{}’ cancelled", job.original_file_name)).await?;
    }
    // Too late (it started): its page shows it sending.
    Ok(found(&ctx.path(&format!("/jobs/{}", job.id))))
}
