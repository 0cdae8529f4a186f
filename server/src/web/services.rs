//! `GET /your-services` and `GET /services/{service_id}`.

use super::error::PageError;
use super::extract::{Member, ServicePage};
use super::session::SignedIn;
use crate::AppState;
use app::pages::services::{Dashboard, ServiceList};
use app::ssr::store;
use app::view_model::{Flash, ServiceSummary};
use axum::extract::State;
use axum::response::Response;

pub async fn your_services(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageError> {
    let services = store::services_for_user(&state.pool, &signed_in.user.id)
        .await?
        .into_iter()
        .map(|s| ServiceSummary { id: s.id, name: s.name, restricted: s.restricted })
        .collect();
    let mut page = signed_in.page(ServiceList { services });
    page.flash = store::take_flash(&state.pool, &signed_in.digest).await?.map(|message| Flash { message });
    Ok(super::show(page))
}

/// Jobs the dashboard lists.
const DASHBOARD_JOBS: i64 = 10;

pub async fn dashboard(State(state): State<AppState>, ctx: ServicePage<Member>) -> Result<Response, PageError> {
    use super::extract::{PageAccess, ViewMessages};
    let template_counts = store::template_counts(&state.pool, ctx.id()).await?;
    let jobs = if ViewMessages::ANY_OF.iter().any(|p| ctx.service.can(*p)) {
        Some(app::ssr::jobs::recent_jobs(&state.pool, ctx.id(), DASHBOARD_JOBS).await?)
    } else {
        None
    };
    ctx.show_with_flash(&state, Dashboard { template_counts, jobs }).await
}
