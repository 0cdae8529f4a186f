//! `/services/{id}/notification/{notification_id}`: one message as sent.

use crate::components::BackLink;
use crate::domain::TemplateType;
use crate::view_model::{capitalise, ServiceContext, ServicePageContent};
use leptos::prelude::*;

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
    /// An email the service's SMTP relay accepted: with no delivery
    /// receipts, that is the last news of it.
    pub relay_accepted: bool,
    /// A message its provider took and has not reported on yet.
    pub awaiting_receipt: bool,
    /// When recipients reported this email as spam (`12 November at
    /// 2:30pm`), with the kind of complaint if the provider said.
    pub complaints: Vec<(String, Option<String>)>,
    /// An email's reply-to address, a text message's sender or a letter's
    /// contact block, if any.
    pub reply_to: Option<String>,
    /// A letter's PDF: where to download it (`None` while it is not ready).
    pub pdf_link: Option<String>,
    /// A precompiled letter: its page count, once its file was read.
    pub precompiled_pages: Option<Option<i64>>,
    /// Why a precompiled letter was refused: Notify's title and detail.
    pub letter_problem: Option<(String, String)>,
    /// Where "Back" leads: the job that sent it, the API integration page
    /// (for those who see it), or the dashboard.
    pub back: String,
}

impl NotificationView {
    /// `Email to name@example.gov.uk`, `Letter to Ada Lovelace`.
    pub fn heading(&self) -> String {
        format!("{} to {}", capitalise(self.kind.message_noun()), self.recipient.lines().next().unwrap_or(""))
    }
}

impl ServicePageContent for NotificationView {
    fn title(&self) -> String {
        self.heading()
    }
    fn view(&self, _: &ServiceContext, _: &str) -> AnyView {
        let n = self.clone();
        view! { <NotificationPage n/> }.into_any()
    }
}

/// `/services/{id}/notification/{notification_id}`: one message as sent.
#[component]
pub fn NotificationPage(n: NotificationView) -> impl IntoView {
    let heading = n.heading();
    let row = |key: &'static str, value: String| {
        view! {
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{key}</dt>
                <dd class="govuk-summary-list__value">{value}</dd>
            </div>
        }
    };
    let message = match n.kind {
        _ if n.precompiled_pages.is_some() => {
            let pages = match n.precompiled_pages.flatten() {
                Some(1) => " (1 page)".to_string(),
                Some(count) => format!(" ({count} pages)"),
                None => String::new(),
            };
            view! { <p class="govuk-body">{format!("Sent as a PDF file{pages}.")}</p> }.into_any()
        }
        TemplateType::Sms => view! { <div class="notify-sms-message"><p class="govuk-body">{n.body.clone()}</p></div> }.into_any(),
        _ => view! {
            <div class="govuk-inset-text notify-message">
                {n.subject.clone().map(|s| view! { <p class="govuk-heading-s">{s}</p> })}
                {n.body.split("\n\n").map(|p| view! { <p class="govuk-body notify-preserve-lines">{p.to_string()}</p> }).collect_view()}
            </div>
        }
        .into_any(),
    };
    view! {
        <BackLink href=n.back.clone()/>
        <h1 class="govuk-heading-l">{heading}</h1>
        <dl class="govuk-summary-list">
            {row("Status", n.status.clone())}
            {row("Sent with", format!("API key ‘{}’", n.key_name))}
            {row("Template", format!("{} (version {})", n.template_name, n.template_version))}
            {row("Created", n.created_at.clone())}
            {n.sent_at.clone().map(|s| row("Sent", s))}
            {n.reference.clone().map(|r| row("Reference", r))}
            {n.reply_to.clone().map(|r| {
                let label = match n.kind {
                    TemplateType::Sms => "Sender",
                    TemplateType::Email => "Reply-to address",
                    TemplateType::Letter => "Sender’s address",
                };
                row(label, r.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", "))
            })}
            {(n.kind == TemplateType::Letter).then(|| row("Address", n.recipient.replace('\n', ", ")))}
        </dl>
        {n.letter_problem.clone().map(|(title, detail)| view! {
            <div class="govuk-warning-text">
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text">
                    <span class="govuk-visually-hidden">"Warning"</span>
                    {title}". "{detail}
                </strong>
            </div>
        })}
        {n.complaints.iter().map(|(when, kind)| {
            let called = kind.as_ref().map(|k| format!(" (the provider called it “{k}”)")).unwrap_or_default();
            let sentence = format!(
                "The recipient reported this email as spam on {when}{called}. Do not send them emails they have not asked for."
            );
            view! {
                <div class="govuk-warning-text">
                    <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                    <strong class="govuk-warning-text__text">
                        <span class="govuk-visually-hidden">"Warning"</span>
                        {sentence}
                    </strong>
                </div>
            }
        }).collect::<Vec<_>>()}
        <h2 class="govuk-heading-m">"Message"</h2>
        {message}
        {n.pdf_link.clone().map(|href| view! {
            <p class="govuk-body"><a class="govuk-link" href=href download="">"Download this letter as a PDF"</a></p>
        })}
        {n.delivered_by_outbox.then(|| view! {
            <p class="govuk-body govuk-hint">"Delivered to the built-in outbox: this server has no email or text message provider set up, so messages are recorded here instead of being sent."</p>
        })}
        {n.relay_accepted.then(|| view! {
            <p class="govuk-body govuk-hint">"Delivered means the email server this service sends through accepted the email. No delivery receipts are set up, so whether it reached the inbox is not known."</p>
        })}
        {n.awaiting_receipt.then(|| {
            let (what, reached) = match n.kind {
                TemplateType::Email => ("The email provider has this email.", "the inbox"),
                _ => ("The text message provider has this message.", "the phone"),
            };
            view! {
                <p class="govuk-body govuk-hint">{what}" Its status changes when the provider reports whether it reached "{reached}"; with no report for 72 hours it becomes a temporary failure."</p>
            }
        })}
    }
}
