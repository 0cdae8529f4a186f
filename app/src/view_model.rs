//! The frame every page shares (who is signed in, the service in the URL and
//! what they may do in it, the navigation, a message carried over a
//! redirect) and the traits a page module implements. The server fills the
//! frame in after it has checked the session and the permissions.

use crate::domain::{Permission, ServicePermission};
use leptos::prelude::AnyView;
use std::sync::Arc;

/// The signed-in user, as the layout needs them.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub name: String,
    pub email_address: String,
    pub csrf_token: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    pub restricted: bool,
}

/// The service in the URL, with what the viewer may do in it.
#[derive(Clone, Debug)]
pub struct ServiceContext {
    pub service: ServiceSummary,
    pub service_permissions: Vec<ServicePermission>,
    pub permissions: Vec<Permission>,
}

impl ServiceContext {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
    pub fn service_can(&self, permission: ServicePermission) -> bool {
        self.service_permissions.contains(&permission)
    }
    pub fn path(&self, rest: &str) -> String {
        format!("/services/{}{}", self.service.id, rest)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NavItem {
    Dashboard,
    Templates,
    ApiIntegration,
    Team,
    Other,
}

/// A message carried across a redirect, shown once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub message: String,
}

/// One validation error, linked from the error summary to its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Errors of a form, in the order of its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn for_field(&self, field: &str) -> Option<String> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.clone())
    }
}

/// What a page shows inside the frame: one page module's data, its title
/// and its view. A new page is a new implementation, in its own module.
pub trait PageContent: Send + Sync + 'static {
    /// The page's title, before the service name and the product's name.
    fn title(&self) -> String;
    /// Whether a form on the page has errors (the title then starts `Error: `).
    fn has_errors(&self) -> bool {
        false
    }
    fn view(&self, frame: &Page) -> AnyView;
}

/// A page of one service: it is given the service (never absent) and the
/// session's CSRF token for its forms.
pub trait ServicePageContent: Send + Sync + 'static {
    fn title(&self) -> String;
    fn has_errors(&self) -> bool {
        false
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView;
}

/// A service page's content with its service.
pub struct InService<T>(pub ServiceContext, pub T);

impl<T: ServicePageContent> PageContent for InService<T> {
    fn title(&self) -> String {
        self.1.title()
    }
    fn has_errors(&self) -> bool {
        self.1.has_errors()
    }
    fn view(&self, frame: &Page) -> AnyView {
        self.1.view(&self.0, frame.csrf_token())
    }
}

/// A whole page: the frame every page shares, and its content.
#[derive(Clone)]
pub struct Page {
    pub viewer: Option<Viewer>,
    pub service: Option<ServiceContext>,
    pub nav: NavItem,
    pub flash: Option<Flash>,
    pub content: Arc<dyn PageContent>,
    /// Whose look the page has (set by the server as it renders).
    pub brand: Brand,
}

/// The name a neutral brand shows when `NOTIFY_PRODUCT_NAME` is not set.
pub const DEFAULT_PRODUCT_NAME: &str = "Notify API";

/// Whose look the pages have (`NOTIFY_BRAND`). The GOV.UK Design System lets
/// only services on GOV.UK show the crown, the GOV.UK logotype and GDS
/// Transport; anyone else who runs this shows the neutral brand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Brand {
    /// GOV.UK's: the crown, the logotype, GDS Transport, "GOV.UK Notify" and
    /// the Open Government Licence footer.
    GovUk,
    /// Anyone's: the product's name, no crown, no logotype, the system font
    /// stack GOV.UK Frontend falls back to; the same components and colours.
    Neutral { product_name: String },
}

impl Default for Brand {
    fn default() -> Self {
        Brand::Neutral { product_name: DEFAULT_PRODUCT_NAME.to_string() }
    }
}

impl Brand {
    /// The product's name as the pages show it.
    pub fn product_name(&self) -> &str {
        match self {
            Brand::GovUk => "GOV.UK Notify",
            Brand::Neutral { product_name } => product_name,
        }
    }

    /// GOV.UK Frontend's stylesheet for this brand (the neutral one has no
    /// GDS Transport and no crown).
    pub fn stylesheet(&self) -> &'static str {
        match self {
            Brand::GovUk => "/css/govuk-frontend.min.css",
            Brand::Neutral { .. } => "/css/govuk-frontend-neutral.min.css",
        }
    }
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page").field("title", &self.title()).finish_non_exhaustive()
    }
}

impl Page {
    /// `content` in an empty frame (nobody signed in, no service).
    pub fn new(content: impl PageContent) -> Self {
        Self {
            viewer: None,
            service: None,
            nav: NavItem::Other,
            flash: None,
            content: Arc::new(content),
            brand: Brand::default(),
        }
    }

    /// The same frame with other content.
    pub fn with(&self, content: impl PageContent) -> Self {
        Self { content: Arc::new(content), ..self.clone() }
    }

    /// The session's CSRF token, for the page's forms ("" when signed out).
    pub fn csrf_token(&self) -> &str {
        self.viewer.as_ref().map(|v| v.csrf_token.as_str()).unwrap_or("")
    }

    /// The `<title>`, with GOV.UK's `Error: ` prefix when a form has errors.
    pub fn title(&self) -> String {
        let service = self.service.as_ref().map(|s| format!(" – {}", s.service.name)).unwrap_or_default();
        let prefix = if self.content.has_errors() { "Error: " } else { "" };
        format!("{prefix}{}{service} – {}", self.content.title(), self.brand.product_name())
    }
}

/// `text message` → `Text message`.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
