//! What a page needs to render. The server fills these in after it has
//! checked the session and the permissions; page components only display them.

use crate::domain::{Permission, ServicePermission};

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
    ApiIntegration,
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

#[derive(Clone, Debug, Default)]
pub struct SignInForm {
    pub email_address: String,
    pub next: Option<String>,
    pub errors: FormErrors,
}

#[derive(Clone, Debug)]
pub struct Dashboard {
    pub template_counts: Vec<(crate::domain::TemplateType, i64)>,
}

#[derive(Clone, Debug)]
pub enum Content {
    SignIn(SignInForm),
    YourServices(Vec<ServiceSummary>),
    Dashboard(Dashboard),
    Forbidden,
    NotFound,
    ServerError,
}

/// A whole page: layout data plus content.
#[derive(Clone, Debug)]
pub struct Page {
    pub viewer: Option<Viewer>,
    pub service: Option<ServiceContext>,
    pub nav: NavItem,
    pub flash: Option<Flash>,
    pub content: Content,
}

impl Page {
    pub fn new(content: Content) -> Self {
        Self { viewer: None, service: None, nav: NavItem::Other, flash: None, content }
    }

    /// The `<title>`, with GOV.UK's `Error: ` prefix when a form has errors.
    pub fn title(&self) -> String {
        let (title, has_errors) = match &self.content {
            Content::SignIn(form) => ("Sign in".to_string(), !form.errors.is_empty()),
            Content::YourServices(_) => ("Your services".to_string(), false),
            Content::Dashboard(_) => ("Dashboard".to_string(), false),
            Content::Forbidden => ("You do not have permission to view this page".to_string(), false),
            Content::NotFound => ("Page not found".to_string(), false),
            Content::ServerError => ("Sorry, there is a problem with the service".to_string(), false),
        };
        let service = self.service.as_ref().map(|s| format!(" – {}", s.service.name)).unwrap_or_default();
        let prefix = if has_errors { "Error: " } else { "" };
        format!("{prefix}{title}{service} – GOV.UK Notify")
    }
}
