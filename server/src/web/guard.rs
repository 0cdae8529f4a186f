//! The checks every admin page makes: a session (else 302 to sign-in,
//! coming back afterwards), membership of the service in the URL (else 404)
//! and the page's permission (else 403).

use super::error::{forbidden, not_found, AppError};
use super::form::FormFields;
use super::session::{self, SignedIn};
use crate::AppState;
use app::domain::Permission;
use app::ssr::store;
use app::view_model::{Content, NavItem, Page, ServiceContext, ServiceSummary};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::{IntoResponse, Response};

pub async fn require_user(state: &AppState, parts: &Parts) -> Result<SignedIn, Response> {
    match session::load(state, &parts.headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => {
            let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let target =
                format!("/sign-in?next={}", form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>());
            Err(super::found(&target))
        }
        Err(e) => Err(e.into_response()),
    }
}

/// Loads the service in the URL for a signed-in user and checks that they
/// hold one of `any_of` (none needed when empty). Returns the page frame.
pub async fn require_service(
    state: &AppState,
    parts: &Parts,
    signed_in: &SignedIn,
    service_id: &str,
    any_of: &[Permission],
    nav: NavItem,
) -> Result<Page, Response> {
    let inner = async {
        if uuid::Uuid::parse_str(service_id).is_err() {
            return Ok::<_, AppError>(None);
        }
        let Some(service) = store::get_service(&state.pool, service_id).await? else { return Ok(None) };
        let permissions = match store::user_permissions(&state.pool, &signed_in.user.id, service_id).await? {
            Some(p) => p,
            None if signed_in.user.platform_admin => Permission::ALL.to_vec(),
            None => return Ok(None),
        };
        let service_permissions = store::service_permissions(&state.pool, service_id).await?;
        Ok(Some((service, permissions, service_permissions)))
    };
    let (service, permissions, service_permissions) = match inner.await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(not_found(state, parts).await),
        Err(e) => return Err(e.into_response()),
    };
    let context = ServiceContext {
        service: ServiceSummary { id: service.id, name: service.name, restricted: service.restricted },
        service_permissions,
        permissions,
    };
    let allowed = service.active && (any_of.is_empty() || any_of.iter().any(|p| context.can(*p)));
    let page =
        Page { viewer: Some(signed_in.viewer()), service: Some(context), nav, flash: None, content: Content::NotFound };
    if allowed {
        Ok(page)
    } else {
        Err(forbidden(state, parts, page).await)
    }
}

/// A service page that passed its checks, with the posted form (if any).
pub struct ServicePage {
    pub signed_in: SignedIn,
    pub page: Page,
    pub parts: Parts,
    pub form: FormFields,
}

/// Every check a service page makes, in one place: a session (else 302 to
/// sign-in), the service in the URL (else 404), one of `any_of` (else 403)
/// and, for a POST, the session's CSRF token (else 403).
pub async fn open_service_page(
    state: &AppState,
    service_id: &str,
    req: Request,
    any_of: &[Permission],
    nav: NavItem,
) -> Result<ServicePage, Response> {
    let (parts, body) = req.into_parts();
    let signed_in = require_user(state, &parts).await?;
    let page = require_service(state, &parts, &signed_in, service_id, any_of, nav).await?;
    let mut form = FormFields::default();
    if parts.method == Method::POST {
        let bytes = axum::body::to_bytes(body, 256 * 1024).await.unwrap_or_default();
        form = FormFields::parse(&bytes);
        if !signed_in.csrf_matches(form.get("csrf_token")) {
            return Err(forbidden(state, &parts, page).await);
        }
    }
    Ok(ServicePage { signed_in, page, parts, form })
}
