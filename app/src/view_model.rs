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
    Templates,
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

/// One row of the API keys table.
#[derive(Clone, Debug)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub description: &'static str,
    /// `Revoked 12 November at 2:30pm` for a revoked key.
    pub revoked: Option<String>,
    /// `Last used 12 November at 2:30pm` or `Never used`.
    pub last_used: String,
}

#[derive(Clone, Debug)]
pub struct ApiKeys {
    pub keys: Vec<KeyRow>,
    /// The key whose revocation is being confirmed: (id, name).
    pub confirm_revoke: Option<(String, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct CreateKeyForm {
    pub key_name: String,
    pub key_type: String,
    pub errors: FormErrors,
}

#[derive(Clone, Debug)]
pub struct GuestListForm {
    pub email_addresses: String,
    pub phone_numbers: String,
    pub errors: FormErrors,
}

pub use crate::domain::callback::CallbackKind;

/// How the pages name each kind of callback.
impl CallbackKind {
    pub fn row_label(self) -> &'static str {
        match self {
            Self::DeliveryStatus => "Delivery receipts",
            Self::ReceivedTextMessages => "Received text messages",
            Self::ReturnedLetters => "Returned letters",
        }
    }
    pub fn heading(self) -> &'static str {
        match self {
            Self::DeliveryStatus => "Callbacks for delivery receipts",
            Self::ReceivedTextMessages => "Callbacks for received text messages",
            Self::ReturnedLetters => "Callbacks for returned letters",
        }
    }
}

#[derive(Clone, Debug)]
pub struct CallbackRow {
    pub kind: CallbackKind,
    pub url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct CallbackForm {
    pub kind: CallbackKind,
    pub url: String,
    /// True when a token is saved: the field shows the placeholder value.
    pub token_saved: bool,
    pub errors: FormErrors,
    pub back_href: String,
}

/// One message in the hub's message log.
#[derive(Clone, Debug)]
pub struct LogItem {
    pub id: String,
    pub recipient: String,
    pub key_name: String,
    /// RFC 3339, for `<time datetime>`.
    pub created_at: String,
    /// `just now`, `5 minutes ago`…
    pub when: String,
    /// `id`, `client_reference`… in Notify's order, only those set.
    pub details: Vec<(&'static str, String)>,
    /// (`View email`, href) when the viewer may see the message.
    pub view_link: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct MessageLog {
    pub items: Vec<LogItem>,
    pub full: bool,
}

/// A notification as its page shows it.
#[derive(Clone, Debug)]
pub struct NotificationView {
    pub kind: crate::domain::TemplateType,
    pub recipient: String,
    pub status: String,
    pub key_name: String,
    pub reference: Option<String>,
    pub template_name: String,
    pub template_version: i64,
    /// Shown as Notify shows times: `12 November at 2:30pm`.
    pub created_at: String,
    pub sent_at: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub delivered_by_outbox: bool,
}

impl NotificationView {
    /// `Email to name@example.gov.uk`, `Letter to Ada Lovelace`.
    pub fn heading(&self) -> String {
        format!("{} to {}", capitalise(self.kind.message_noun()), self.recipient.lines().next().unwrap_or(""))
    }
}

#[derive(Clone, Debug)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub kind: crate::domain::TemplateType,
    pub version: i64,
}

#[derive(Clone, Debug, Default)]
pub struct TemplateForm {
    /// `None` for a new template.
    pub id: Option<String>,
    pub template_type: String,
    pub name: String,
    pub subject: String,
    pub content: String,
    pub version: Option<i64>,
    pub errors: FormErrors,
}

#[derive(Clone, Debug)]
pub enum Content {
    SignIn(SignInForm),
    YourServices(Vec<ServiceSummary>),
    Dashboard(Dashboard),
    ApiHub { callbacks_href: String, log: MessageLog },
    Notification(NotificationView),
    Templates(Vec<TemplateRow>),
    TemplateForm(TemplateForm),
    ApiKeys(ApiKeys),
    CreateKey(CreateKeyForm),
    NewKey { name: String, key: String },
    GuestList(GuestListForm),
    Callbacks(Vec<CallbackRow>),
    CallbackForm(CallbackForm),
    BadRequest,
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
            Content::ApiHub { .. } => ("API integration".to_string(), false),
            Content::Notification(n) => (n.heading(), false),
            Content::Templates(_) => ("Templates".to_string(), false),
            Content::TemplateForm(f) => (
                if f.id.is_some() { "Edit template".to_string() } else { "New template".to_string() },
                !f.errors.is_empty(),
            ),
            Content::ApiKeys(_) => ("API keys".to_string(), false),
            Content::CreateKey(f) => ("Create an API key".to_string(), !f.errors.is_empty()),
            Content::NewKey { .. } => ("New API key".to_string(), false),
            Content::GuestList(f) => ("Guest list".to_string(), !f.errors.is_empty()),
            Content::Callbacks(_) => ("Callbacks".to_string(), false),
            Content::CallbackForm(f) => (f.kind.heading().to_string(), !f.errors.is_empty()),
            Content::BadRequest => ("Sorry, there is a problem with the request".to_string(), false),
            Content::Forbidden => ("You do not have permission to view this page".to_string(), false),
            Content::NotFound => ("Page not found".to_string(), false),
            Content::ServerError => ("Sorry, there is a problem with the service".to_string(), false),
        };
        let service = self.service.as_ref().map(|s| format!(" – {}", s.service.name)).unwrap_or_default();
        let prefix = if has_errors { "Error: " } else { "" };
        format!("{prefix}{title}{service} – GOV.UK Notify")
    }
}

/// `text message` → `Text message`.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
