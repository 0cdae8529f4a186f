//! Callbacks: the list (for services that can have more than one kind) and
//! the form of each kind, with Notify's wording.

use crate::components::{BackLink, Button, CopyToClipboard, CsrfField, ErrorSummary, RadioItem, Radios, TextInput};
use crate::domain::CallbackKind;
use crate::view_model::{FormErrors, ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// How often an open callback page asks for the attempt log while a test
/// callback waits for a retry.
pub const POLL_MILLISECONDS: u32 = 2_000;

pub use crate::activity::{AttemptItem, CallbackActivity};

/// A saved callback's state beyond its URL.
#[derive(Clone, Debug)]
pub struct SavedCallback {
    /// Why it is paused, when it is.
    pub paused: Option<String>,
    /// Events waiting to be sent, and failed in the last 7 days.
    pub waiting: i64,
    pub failed: i64,
    /// The old signing secret still signs until this time (London time).
    pub previous_secret_until: Option<String>,
    pub activity: CallbackActivity,
}

/// The new signing secret, shown once.
#[derive(Clone, Debug)]
pub struct ShownSigningSecret {
    pub kind: CallbackKind,
    pub secret: String,
    pub back_href: String,
    /// True after a rotation (the old secret keeps signing for 24 hours).
    pub rotated: bool,
}

impl ServicePageContent for ShownSigningSecret {
    fn title(&self) -> String {
        "Signing secret".into()
    }
    fn view(&self, _: &ServiceContext, _: &str) -> AnyView {
        let shown = self.clone();
        view! { <SigningSecretPage shown/> }.into_any()
    }
}

/// The test-callback response of the server functions, or why not.
#[server(prefix = "/_fn", endpoint = "send-test-callback")]
pub async fn send_test_callback(
    service_id: String,
    callback: String,
    csrf_token: String,
) -> Result<CallbackActivity, ServerFnError> {
    use crate::ssr::backend::BackendContext;
    let backend = use_context::<BackendContext>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    let request = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    backend.0.send_test_callback(request, service_id, callback, csrf_token).await.map_err(refused)
}

/// A callback page's attempt log, now: checked as the page is.
#[server(prefix = "/_fn", endpoint = "callback-activity", input = leptos::server_fn::codec::GetUrl)]
pub async fn fetch_callback_activity(service_id: String, callback: String) -> Result<CallbackActivity, ServerFnError> {
    use crate::ssr::backend::BackendContext;
    let backend = use_context::<BackendContext>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    let request = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("unavailable"))?;
    backend.0.callback_activity(request, service_id, callback).await.map_err(refused)
}

#[cfg(feature = "ssr")]
fn refused(refusal: crate::ssr::backend::Refusal) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::from_u16(refusal.status()).unwrap_or_default());
    }
    ServerFnError::new(refusal.message())
}

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
    /// The saved callback's deliveries, pause and secrets (`None` before
    /// the first save).
    pub saved: Option<SavedCallback>,
    pub service_id: String,
}

/// The callbacks list.
#[derive(Clone, Debug)]
pub struct CallbackList {
    pub rows: Vec<CallbackRow>,
}

impl ServicePageContent for CallbackList {
    fn title(&self) -> String {
        "Callbacks".into()
    }
    fn view(&self, service: &ServiceContext, _: &str) -> AnyView {
        let (service, rows) = (service.clone(), self.rows.clone());
        view! { <Callbacks service rows/> }.into_any()
    }
}

impl ServicePageContent for CallbackForm {
    fn title(&self) -> String {
        self.kind.heading().into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &ServiceContext, csrf_token: &str) -> AnyView {
        let (form, csrf_token) = (self.clone(), csrf_token.to_string());
        view! { <CallbackFormPage form csrf_token/> }.into_any()
    }
}

/// `/services/{id}/api/callbacks`.
#[component]
pub fn Callbacks(service: ServiceContext, rows: Vec<CallbackRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|r| {
            let href = service.path(&format!("/api/callbacks/{}", r.kind.slug()));
            let hidden = format!(" {} callback settings", r.kind.row_label().to_lowercase());
            view! {
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{r.kind.row_label()}</dt>
                    <dd class="govuk-summary-list__value">{r.url.unwrap_or_else(|| "Not set".to_string())}</dd>
                    <dd class="govuk-summary-list__actions">
                        <a class="govuk-link govuk-link--no-visited-state" href=href>
                            "Change"<span class="govuk-visually-hidden">{hidden}</span>
                        </a>
                    </dd>
                </div>
            }
        })
        .collect_view();
    view! {
        <BackLink href=service.path("/api")/>
        <h1 class="govuk-heading-l">"Callbacks"</h1>
        <dl class="govuk-summary-list">{rows}</dl>
    }
}

/// One of the three callback forms.
#[component]
pub fn CallbackFormPage(form: CallbackForm, csrf_token: String) -> impl IntoView {
    let intro = match form.kind {
        CallbackKind::DeliveryStatus => {
            "When you send an email or text message, we can tell you if Notify was able to deliver it."
        }
        CallbackKind::ReceivedTextMessages => {
            "When you receive a text message in Notify, we can forward it to your system."
        }
        CallbackKind::ReturnedLetters => "When a letter you sent is returned to Notify, we can tell your system.",
    };
    let token_value =
        if form.token_saved { crate::domain::callback::TOKEN_PLACEHOLDER.to_string() } else { String::new() };
    view! {
        <BackLink href=form.back_href.clone()/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary errors=form.errors.clone()/>
                <h1 class="govuk-heading-l">{form.kind.heading()}</h1>
                <p class="govuk-body">{intro}</p>
                <p class="govuk-body">
                    "Read the "
                    <a class="govuk-link" href="/documentation/callbacks">"Callbacks section of our API documentation"</a>
                    " for more information."
                </p>
                <p class="govuk-body">"Leave the URL empty and save to stop the callbacks."</p>
                <form method="post" novalidate>
                    <CsrfField token=csrf_token.clone()/>
                    <TextInput
                        name="url"
                        label="URL"
                        hint="Must start with https://".to_string()
                        value=form.url.clone()
                        error=form.errors.for_field("url")
                        input_type="url"
                        spellcheck=false
                    />
                    <TextInput
                        name="bearer_token"
                        label="Bearer token"
                        hint="At least 10 characters".to_string()
                        value=token_value
                        error=form.errors.for_field("bearer_token")
                        input_type="password"
                        autocomplete="new-password"
                    />
                    <Button text="Save"/>
                </form>
            </div>
        </div>
        {form.saved.map(|saved| {
            let base = format!("/services/{}/api/callbacks/{}", form.service_id, form.kind.slug());
            view! {
                <Deliveries
                    saved
                    base
                    service_id=form.service_id.clone()
                    slug=form.kind.slug().to_string()
                    csrf_token=csrf_token.clone()
                />
            }
        })}
    }
}

/// A saved callback's deliveries: the pause, signing, the test callback,
/// the attempt log and resending.
#[component]
fn Deliveries(
    saved: SavedCallback,
    base: String,
    service_id: String,
    slug: String,
    csrf_token: String,
) -> impl IntoView {
    let paused = saved.paused.map(|reason| {
        view! {
            <div class="govuk-warning-text">
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text">
                    <span class="govuk-visually-hidden">"Warning"</span>
                    "Callbacks are paused. " {reason}
                </strong>
            </div>
            <p class="govuk-body">{format!("{} waiting to be sent.", events(saved.waiting))}</p>
            <form method="post" action=format!("{base}/resume") novalidate>
                <CsrfField token=csrf_token.clone()/>
                <Button text="Resume"/>
            </form>
        }
    });
    let rotating = saved.previous_secret_until.map(|until| {
        view! { <p class="govuk-body">{format!("The previous secret also signs every request until {until}.")}</p> }
    });
    let resend_items = vec![
        RadioItem { value: "1".into(), label: "In the last hour".into(), hint: None, disabled: false },
        RadioItem { value: "24".into(), label: "In the last 24 hours".into(), hint: None, disabled: false },
        RadioItem { value: "168".into(), label: "In the last 7 days".into(), hint: None, disabled: false },
    ];
    view! {
        <h2 class="govuk-heading-m">"Deliveries"</h2>
        {paused}
        <h3 class="govuk-heading-s">"Signing"</h3>
        <p class="govuk-body">
            "Every request carries " <code>"webhook-id"</code> ", " <code>"webhook-timestamp"</code> " and "
            <code>"webhook-signature"</code> " headers (the Standard Webhooks scheme), signed with this callback’s secret, as well as your bearer token."
        </p>
        {rotating}
        <form method="post" action=format!("{base}/rotate-secret") novalidate>
            <CsrfField token=csrf_token.clone()/>
            <Button text="Make a new signing secret" classes="govuk-button--secondary"/>
        </form>
        <CallbackActivityPanel
            service_id
            slug
            base=base.clone()
            csrf_token=csrf_token.clone()
            activity=saved.activity
        />
        <h3 class="govuk-heading-s">"Resend failed callbacks"</h3>
        <p class="govuk-body">{format!("{} failed in the last 7 days.", events(saved.failed))}</p>
        <form method="post" action=format!("{base}/resend") novalidate>
            <CsrfField token=csrf_token/>
            <Radios name="since" legend="Resend the callbacks that failed" items=resend_items checked="24".to_string() error=None small=true/>
            <Button text="Resend failed callbacks" classes="govuk-button--secondary"/>
        </form>
    }
}

fn events(n: i64) -> String {
    crate::domain::plural(n, "callback", "callbacks")
}

/// `Send a test callback` and the attempt log. Without JavaScript the button
/// is a form POST and the page comes back with the outcome; with it, the
/// island calls [`send_test_callback`] and, while the test waits for a
/// retry, polls [`fetch_callback_activity`].
#[island]
pub fn CallbackActivityPanel(
    service_id: String,
    slug: String,
    base: String,
    csrf_token: String,
    activity: CallbackActivity,
) -> impl IntoView {
    let activity = RwSignal::new(activity);
    let sending = RwSignal::new(false);
    let root = NodeRef::<leptos::html::Div>::new();
    let on_submit = {
        let (service_id, slug, csrf_token) = (service_id.clone(), slug.clone(), csrf_token.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if sending.get_untracked() {
                return;
            }
            sending.set(true);
            let (service_id, slug, csrf_token) = (service_id.clone(), slug.clone(), csrf_token.clone());
            leptos::task::spawn_local(async move {
                let result = send_test_callback(service_id.clone(), slug.clone(), csrf_token).await;
                sending.set(false);
                let mut pending = match result {
                    Ok(fresh) => {
                        let pending = fresh.test_pending;
                        activity.set(fresh);
                        pending
                    }
                    Err(_) => {
                        activity.update(|a| {
                            a.message =
                                Some("The test callback could not be sent. Reload the page and try again.".into())
                        });
                        false
                    }
                };
                #[cfg(feature = "hydrate")]
                while pending {
                    gloo_timers::future::TimeoutFuture::new(POLL_MILLISECONDS).await;
                    let Some(el) = root.get_untracked() else { break };
                    if !el.is_connected() {
                        break;
                    }
                    match fetch_callback_activity(service_id.clone(), slug.clone()).await {
                        Ok(mut fresh) => {
                            pending = fresh.test_pending;
                            fresh.message = activity.get_untracked().message;
                            activity.set(fresh);
                        }
                        Err(_) => break,
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = (&mut pending, root);
            });
        }
    };
    let resend_action = format!("{base}/resend");
    // Tells enhance.js the test form is handled here from now on.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = root.get() {
            let _ = el.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <div node_ref=root>
            <h3 class="govuk-heading-s">"Test"</h3>
            <p class="govuk-body">"Sends a realistic sample, signed and with your bearer token, to the URL now."</p>
            <form method="post" action=format!("{base}/test") novalidate data-island-form="" on:submit=on_submit>
                <CsrfField token=csrf_token.clone()/>
                <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" disabled=move || sending.get()>
                    {move || if sending.get() { "Sending…" } else { "Send a test callback" }}
                </button>
            </form>
            <div role="status" aria-live="polite" class="callback-test-outcome">
                {move || activity.get().message.map(|m| view! { <p class="govuk-body govuk-!-font-weight-bold">{m}</p> })}
            </div>
            <h3 class="govuk-heading-s">"Recent attempts"</h3>
            {move || attempts_view(activity.get().attempts, resend_action.clone(), csrf_token.clone())}
        </div>
    }
}

fn attempts_view(attempts: Vec<AttemptItem>, resend_action: String, csrf_token: String) -> AnyView {
    if attempts.is_empty() {
        return view! { <p class="govuk-body">"No callbacks have been sent yet."</p> }.into_any();
    }
    let rows = attempts
        .into_iter()
        .map(|a| {
            let resend = a.resendable.then(|| {
                view! {
                    <form method="post" action=resend_action.clone() novalidate class="govuk-!-margin-top-1">
                        <CsrfField token=csrf_token.clone()/>
                        <input type="hidden" name="event_id" value=a.webhook_id.clone()/>
                        <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">
                            "Resend"<span class="govuk-visually-hidden">{format!(" {}", a.webhook_id)}</span>
                        </button>
                    </form>
                }
            });
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">{a.when}</td>
                    <td class="govuk-table__cell">{a.event}<br/><span class="govuk-hint govuk-!-font-size-16">{a.webhook_id.clone()}</span></td>
                    <td class="govuk-table__cell">{a.result}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{a.duration}</td>
                    <td class="govuk-table__cell">{a.next}{resend}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="govuk-table callback-attempts">
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Time"</th>
                    <th scope="col" class="govuk-table__header">"Event"</th>
                    <th scope="col" class="govuk-table__header">"Result"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Duration"</th>
                    <th scope="col" class="govuk-table__header">"Next"</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">{rows}</tbody>
        </table>
    }
    .into_any()
}

/// The signing secret, shown once after a callback is first saved or its
/// secret is replaced.
#[component]
fn SigningSecretPage(shown: ShownSigningSecret) -> impl IntoView {
    let intro = if shown.rotated {
        "This is the new signing secret. The previous one also signs every request for the next 24 hours, so you can change your receiver without losing any callback."
    } else {
        "Your callback is saved. We sign every request we send to it with this secret, so your system can check the request came from us."
    };
    view! {
        <h1 class="govuk-heading-l">"Signing secret"</h1>
        <p class="govuk-body">{intro}</p>
        <p class="govuk-body">"Copy the secret to somewhere safe. You will not be able to see it again once you leave this page."</p>
        <div class="copy-to-clipboard">
            <h2 class="govuk-heading-s govuk-!-margin-bottom-2">{format!("{} signing secret", shown.kind.row_label())}</h2>
            <p class="govuk-body copy-to-clipboard__value notify-key" id="signing-secret">{shown.secret}</p>
            <CopyToClipboard target_id="signing-secret".to_string()/>
        </div>
        <p class="govuk-body"><a class="govuk-link" href=shown.back_href>"Continue"</a></p>
    }
}
