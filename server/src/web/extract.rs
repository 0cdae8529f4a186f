//! Extractors: what an admin handler needs, stated in its arguments and
//! checked before it runs. A signed-in user (else 302 to sign-in, coming
//! back afterwards); a service page for a permission set (the service in the
//! URL, else 404; one of the permissions, else 403); a form with the session's
//! CSRF token (else 403), read within a size limit (else 413) and decoded
//! into a typed struct (else 400).

use super::error::PageError;
use super::session::{self, SignedIn};
use crate::AppState;
use app::domain::Permission;
use app::pages::errors;
use app::ssr::store;
use app::view_model::{Flash, InService, NavItem, Page, ServiceContext, ServicePageContent, ServiceSummary};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// The largest form body an admin page reads; a larger one answers 413.
pub const FORM_LIMIT: usize = 256 * 1024;

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        if let Some(signed_in) = parts.extensions.get::<SignedIn>() {
            return Ok(signed_in.clone());
        }
        match session::load(state, &parts.headers).await? {
            Some(signed_in) => {
                parts.extensions.insert(signed_in.clone());
                Ok(signed_in)
            }
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
                Err(PageError::SignIn { next })
            }
        }
    }
}

/// The permissions a page asks for (any one of them; none for a page every
/// member may see) and the navigation item it belongs to.
pub trait PageAccess: Send + Sync + 'static {
    const ANY_OF: &'static [Permission];
    const NAV: NavItem;
}

/// The service dashboard: any member.
pub struct Member;
impl PageAccess for Member {
    const ANY_OF: &'static [Permission] = &[];
    const NAV: NavItem = NavItem::Dashboard;
}

/// The API integration pages.
pub struct ManageApiKeys;
impl PageAccess for ManageApiKeys {
    const ANY_OF: &'static [Permission] = &[Permission::ManageApiKeys];
    const NAV: NavItem = NavItem::ApiIntegration;
}

/// Reading the service's settings a developer needs (reply-to ids), as
/// Notify allows: those who manage the service or its API keys.
pub struct ReadSettings;

impl PageAccess for ReadSettings {
    const ANY_OF: &'static [Permission] = &[Permission::ManageService, Permission::ManageApiKeys];
    const NAV: NavItem = NavItem::ApiIntegration;
}

/// Changing the service's settings.
pub struct ManageService;

impl PageAccess for ManageService {
    const ANY_OF: &'static [Permission] = &[Permission::ManageService];
    const NAV: NavItem = NavItem::ApiIntegration;
}

/// The team page: every member sees it.
pub struct TeamList;
impl PageAccess for TeamList {
    const ANY_OF: &'static [Permission] = &[];
    const NAV: NavItem = NavItem::Team;
}

/// Inviting and cancelling invitations: those who manage the service.
pub struct ManageTeam;
impl PageAccess for ManageTeam {
    const ANY_OF: &'static [Permission] = &[Permission::ManageService];
    const NAV: NavItem = NavItem::Team;
}

/// The templates pages.
pub struct ManageTemplates;
impl PageAccess for ManageTemplates {
    const ANY_OF: &'static [Permission] = &[Permission::ManageTemplates];
    const NAV: NavItem = NavItem::Templates;
}

/// Sending from a file: those who may send messages.
pub struct SendFromFile;
impl PageAccess for SendFromFile {
    const ANY_OF: &'static [Permission] = &[Permission::SendMessages];
    const NAV: NavItem = NavItem::Templates;
}

/// A sent message's page: those who can see activity or send.
pub struct ViewMessages;
impl PageAccess for ViewMessages {
    const ANY_OF: &'static [Permission] = &[Permission::ViewActivity, Permission::SendMessages];
    const NAV: NavItem = NavItem::Other;
}

/// A page of the service named by the URL's `{service_id}`, for a member
/// holding one of `A`'s permissions.
pub struct ServicePage<A> {
    pub signed_in: SignedIn,
    pub service: ServiceContext,
    frame: Page,
    access: PhantomData<A>,
}

/// The frame (viewer, service, navigation) of the page being answered, kept
/// for a later refusal (a wrong CSRF token answers 403 inside the service).
#[derive(Clone)]
struct Frame(Page);

impl<A: PageAccess> FromRequestParts<AppState> for ServicePage<A> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| PageError::NotFound)?;
        let service_id = params
            .iter()
            .find(|(name, _)| *name == "service_id")
            .map(|(_, value)| value.to_string())
            .ok_or(PageError::NotFound)?;
        Self::open(parts, state, &service_id).await
    }
}

impl<A: PageAccess> ServicePage<A> {
    /// The checks of the page, for the service `service_id` (named by a
    /// server function's argument rather than the URL).
    pub async fn open(parts: &mut Parts, state: &AppState, service_id: &str) -> Result<Self, PageError> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        let service_id = service_id.to_string();
        if uuid::Uuid::parse_str(&service_id).is_err() {
            return Err(PageError::NotFound);
        }
        let service = store::get_service(&state.pool, &service_id).await?.ok_or(PageError::NotFound)?;
        let permissions = match store::user_permissions(&state.pool, &signed_in.user.id, &service_id).await? {
            Some(p) => p,
            None if signed_in.user.platform_admin => Permission::ALL.to_vec(),
            None => return Err(PageError::NotFound),
        };
        let service_permissions = store::service_permissions(&state.pool, &service_id).await?;
        let context = ServiceContext {
            service: ServiceSummary { id: service.id, name: service.name, restricted: service.restricted },
            service_permissions,
            permissions,
        };
        let frame = Page {
            viewer: Some(signed_in.viewer()),
            service: Some(context.clone()),
            nav: A::NAV,
            ..Page::new(errors::NotFound)
        };
        let allowed = service.active && (A::ANY_OF.is_empty() || A::ANY_OF.iter().any(|p| context.can(*p)));
        if !allowed {
            return Err(PageError::Forbidden(Box::new(frame)));
        }
        parts.extensions.insert(Frame(frame.clone()));
        Ok(Self { signed_in, service: context, frame, access: PhantomData })
    }
}

impl<A> ServicePage<A> {
    pub fn id(&self) -> &str {
        &self.service.service.id
    }

    /// `/services/{id}{rest}`.
    pub fn path(&self, rest: &str) -> String {
        self.service.path(rest)
    }

    /// The page in this service's frame.
    pub fn page(&self, content: impl ServicePageContent) -> Page {
        self.frame.with(InService(self.service.clone(), content))
    }

    /// Answers 200 with `content` in this service's frame.
    pub fn show(&self, content: impl ServicePageContent) -> Response {
        super::show(self.page(content))
    }

    /// Answers 200 with `content`, and the message left by the last form
    /// (shown once).
    pub async fn show_with_flash(
        &self,
        state: &AppState,
        content: impl ServicePageContent,
    ) -> Result<Response, PageError> {
        let mut page = self.page(content);
        page.flash = store::take_flash(&state.pool, &self.signed_in.digest).await?.map(|message| Flash { message });
        Ok(super::show(page))
    }

    /// Leaves `message` for the next page this session sees.
    pub async fn flash(&self, state: &AppState, message: &str) -> Result<(), PageError> {
        Ok(store::set_flash(&state.pool, &self.signed_in.digest, message).await?)
    }

    /// 403 for a form without the session's CSRF token (one the
    /// [`CsrfForm`] extractor cannot read: a file upload).
    pub fn forbidden(&self) -> PageError {
        PageError::Forbidden(Box::new(self.frame.clone()))
    }

    /// 400 for a request the pages never send.
    pub fn bad_request(&self) -> PageError {
        PageError::BadRequest(Box::new(self.frame.clone()))
    }
}

/// Reads a form body: 413 over [`FORM_LIMIT`], 400 when it is not a form.
async fn form_bytes(req: Request) -> Result<axum::body::Bytes, PageError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_form = content_type.is_empty()
        || content_type
            .split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(PageError::BadRequest(Box::new(Page::new(errors::BadRequest))));
    }
    match axum::body::to_bytes(req.into_body(), FORM_LIMIT).await {
        Ok(bytes) => Ok(bytes),
        Err(e) if is_length_limit(&e) => Err(PageError::TooLarge),
        Err(_) => Err(PageError::BadRequest(Box::new(Page::new(errors::BadRequest)))),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

fn decode<T: DeserializeOwned>(bytes: &[u8], frame: Option<&Frame>) -> Result<T, PageError> {
    serde_urlencoded::from_bytes(bytes).map_err(|_| {
        PageError::BadRequest(Box::new(frame.map(|f| f.0.clone()).unwrap_or_else(|| Page::new(errors::BadRequest))))
    })
}

/// A form posted without a session (sign-in): size-limited and typed.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Form<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, PageError> {
        Ok(Self(decode(&form_bytes(req).await?, None)?))
    }
}

/// A form posted by a signed-in user: as [`Form`], and refused with 403
/// unless it carries the session's `csrf_token`. After a [`ServicePage`]
/// extractor, the 403 keeps the service's frame.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfToken {
    #[serde(default)]
    csrf_token: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let frame = parts.extensions.get::<Frame>().cloned();
        let bytes = form_bytes(Request::from_parts(parts, body)).await?;
        let token: CsrfToken = decode(&bytes, frame.as_ref())?;
        if !signed_in.csrf_matches(&token.csrf_token) {
            let page = match frame {
                Some(Frame(page)) => page,
                None => Page { viewer: Some(signed_in.viewer()), ..Page::new(errors::Forbidden) },
            };
            return Err(PageError::Forbidden(Box::new(page)));
        }
        Ok(Self(decode(&bytes, frame.as_ref())?))
    }
}
