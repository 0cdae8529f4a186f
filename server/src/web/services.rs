//! `GET /your-services` and `GET /services/{service_id}`.

use super::error::AppError;
use super::guard::{open_service_page, require_user, ServicePage};
use super::render::render;
use crate::AppState;
use app::ssr::store;
use app::view_model::{Content, Dashboard, NavItem, Page, ServiceSummary};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;

pub async fn your_services(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let (parts, _) = req.into_parts();
    let signed_in = match require_user(&state, &parts).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let services = store::services_for_user(&state.pool, &signed_in.user.id)
        .await?
        .into_iter()
        .map(|s| ServiceSummary { id: s.id, name: s.name, restricted: s.restricted })
        .collect();
    let mut page = Page::new(Content::YourServices(services));
    page.viewer = Some(signed_in.viewer());
    page.flash =
        store::take_flash(&state.pool, &signed_in.digest).await?.map(|message| app::view_model::Flash { message });
    Ok(render(&state, &parts, page, StatusCode::OK).await)
}

pub async fn dashboard(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let ServicePage { mut page, parts, .. } =
        match open_service_page(&state, &service_id, req, &[], NavItem::Dashboard).await {
            Ok(p) => p,
            Err(r) => return Ok(r),
        };
    let template_counts = store::template_counts(&state.pool, &service_id).await?;
    page.content = Content::Dashboard(Dashboard { template_counts });
    Ok(render(&state, &parts, page, StatusCode::OK).await)
}
