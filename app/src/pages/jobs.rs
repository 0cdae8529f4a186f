//! A job's page (`/services/{id}/jobs/{job_id}`): what it sends, how far it
//! has got (a progress bar and counts by status, kept current with
//! JavaScript through [`fetch_job_progress`], and a Refresh link without),
//! its first messages, and "Cancel sending" while it is scheduled.

use crate::activity::{JobProgress, JobSummary};
use crate::components::{BackLink, CsrfField};
use crate::domain::thousands;
use crate::view_model::{ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// How often an open job page asks how its job is getting on.
pub const POLL_MILLISECONDS: u32 = 2_000;

#[derive(Clone, Debug)]
pub struct JobPage {
    pub job_id: String,
    pub file_name: String,
    pub template_name: String,
    /// `Sent by … on …`.
    pub sent_by: String,
    /// The form to cancel it, while it is scheduled (for those who send).
    pub can_cancel: bool,
    pub progress: JobProgress,
}

impl ServicePageContent for JobPage {
    fn title(&self) -> String {
        self.file_name.clone()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let p = self.clone();
        let here = service.path(&format!("/jobs/{}", p.job_id));
        let cancel = p.can_cancel.then(|| {
            view! {
                <form method="post" action=format!("{here}/cancel") novalidate>
                    <CsrfField token=csrf_token.to_string()/>
                    <button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button">"Cancel sending"</button>
                </form>
            }
        });
        view! {
            <BackLink href=service.path("")/>
            <h1 class="govuk-heading-l">
                <span class="govuk-caption-l">{p.template_name.clone()}</span>
                {p.file_name.clone()}
            </h1>
            <p class="govuk-body">{p.sent_by.clone()}</p>
            {cancel}
            <p class="govuk-body"><a class="govuk-link" href=here>"Refresh"</a></p>
            <LiveJobProgress service_id=service.service.id.clone() job_id=p.job_id.clone() progress=p.progress.clone()/>
        }
        .into_any()
    }
}

/// A job's progress: asked for again every [`POLL_MILLISECONDS`] while the
/// page is open and the job is not done (not while the tab is hidden).
#[island]
pub fn LiveJobProgress(service_id: String, job_id: String, progress: JobProgress) -> impl IntoView {
    let progress = RwSignal::new(progress);
    let root = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let (service_id, job_id) = (service_id.clone(), job_id.clone());
            leptos::task::spawn_local(async move {
                while !progress.get_untracked().done {
                    gloo_timers::future::TimeoutFuture::new(POLL_MILLISECONDS).await;
                    let Some(el) = root.get_untracked() else { break };
                    if !el.is_connected() {
                        break;
                    }
                    if document().hidden() {
                        continue;
                    }
                    if let Ok(fresh) = fetch_job_progress(service_id.clone(), job_id.clone()).await {
                        if fresh != progress.get_untracked() {
                            progress.set(fresh);
                        }
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&service_id, &job_id);
    });
    view! { <div class="notify-job-progress" node_ref=root>{move || progress_view(progress.get())}</div> }
}

fn progress_view(p: JobProgress) -> AnyView {
    let finished = p.delivered + p.failed;
    let percent = if p.total > 0 { finished * 100 / p.total } else { 100 };
    let counts = [("sending", p.sending), ("delivered", p.delivered), ("failed", p.failed)]
        .into_iter()
        .map(|(label, n)| {
            view! {
                <div class="govuk-grid-column-one-third">
                    <p class="govuk-heading-l govuk-!-margin-bottom-1">{thousands(n)}</p>
                    <p class="govuk-body">{label}</p>
                </div>
            }
        })
        .collect_view();
    let rows = p
        .messages
        .iter()
        .map(|m| {
            let recipient = match &m.href {
                Some(href) => view! { <a class="govuk-link" href=href.clone()>{m.recipient.clone()}</a> }.into_any(),
                None => view! { <span>{m.recipient.clone()}</span> }.into_any(),
            };
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell govuk-table__cell--numeric">{m.row}</td>
                    <td class="govuk-table__cell">{recipient}</td>
                    <td class="govuk-table__cell">{m.status.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let table = (!p.messages.is_empty()).then(|| {
        view! {
            <table class="govuk-table">
                <caption class="govuk-table__caption govuk-table__caption--m">
                    {if p.more { format!("The first {} messages", p.messages.len()) } else { "Messages".to_string() }}
                </caption>
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Row"</th>
                        <th scope="col" class="govuk-table__header">"Recipient"</th>
                        <th scope="col" class="govuk-table__header">"Status"</th>
                    </tr>
                </thead>
                <tbody class="govuk-table__body">{rows}</tbody>
            </table>
        }
    });
    view! {
        <p class="govuk-body govuk-!-font-weight-bold" id="job-status">{p.status.clone()}</p>
        <label class="govuk-label" for="job-progress-bar">
            {format!("{} of {} messages delivered or failed ({percent}%)", thousands(finished), thousands(p.total))}
        </label>
        <progress class="notify-progress" id="job-progress-bar" max=p.total.max(1) value=finished.min(p.total)>
            {format!("{percent}%")}
        </progress>
        <div class="govuk-grid-row govuk-!-margin-top-4">{counts}</div>
        {table}
    }
    .into_any()
}

/// A job's progress, now: a server function, checked as the job's page is
/// (a session, membership of the service, seeing messages or sending).
#[server(prefix = "/_fn", endpoint = "job-progress", input = leptos::server_fn::codec::GetUrl)]
pub async fn fetch_job_progress(service_id: String, job_id: String) -> Result<JobProgress, ServerFnError> {
    use crate::ssr::backend::BackendContext;
    let backend = use_context::<BackendContext>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    let request = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    backend.0.job_progress(request, service_id, job_id).await.map_err(|refusal| {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::from_u16(refusal.status()).unwrap_or_default());
        }
        ServerFnError::new(refusal.message())
    })
}

/// The dashboard's list of the service's newest jobs.
#[component]
pub fn JobsList(jobs: Vec<JobSummary>) -> impl IntoView {
    if jobs.is_empty() {
        return view! {
            <h2 class="govuk-heading-m">"Files sent"</h2>
            <p class="govuk-body">"Files you upload and send from a template will appear here."</p>
        }
        .into_any();
    }
    let rows = jobs
        .into_iter()
        .map(|j| {
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">
                        <a class="govuk-link govuk-!-font-weight-bold" href=j.href>{j.file_name}</a>
                        <span class="govuk-hint govuk-!-display-block govuk-!-margin-bottom-0">{format!("{} – {}", j.template_name, j.hint)}</span>
                    </td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{thousands(j.total)}</td>
                    <td class="govuk-table__cell">{j.status}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="govuk-table">
            <caption class="govuk-table__caption govuk-table__caption--m">"Files sent"</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"File"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Messages"</th>
                    <th scope="col" class="govuk-table__header">"Status"</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">{rows}</tbody>
        </table>
    }
    .into_any()
}
