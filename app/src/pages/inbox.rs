//! `/services/{id}/inbox`: the texts people sent to the service's inbound
//! number, newest first (Notify's "Received text messages").

use crate::view_model::{ServiceContext, ServicePageContent};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct InboxRow {
    pub user_number: String,
    pub content: String,
    /// `29 November at 2:05pm`.
    pub received: String,
}

#[derive(Clone, Debug)]
pub struct Inbox {
    /// The service's inbound number, if it has one.
    pub number: Option<String>,
    pub rows: Vec<InboxRow>,
}

impl ServicePageContent for Inbox {
    fn title(&self) -> String {
        "Received text messages".into()
    }
    fn view(&self, _service: &ServiceContext, _: &str) -> AnyView {
        let inbox = self.clone();
        view! { <InboxPage inbox/> }.into_any()
    }
}

#[component]
fn InboxPage(inbox: Inbox) -> impl IntoView {
    let intro = match &inbox.number {
        Some(n) => format!("People can text {n} to reach your service. Their messages show here, newest first."),
        None => "Your service does not have a phone number for people to text yet.".to_string(),
    };
    let empty = inbox.rows.is_empty();
    let rows = inbox
        .rows
        .into_iter()
        .map(|r| {
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">{r.user_number}</td>
                    <td class="govuk-table__cell notify-message-content">{r.content}</td>
                    <td class="govuk-table__cell">{r.received}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h1 class="govuk-heading-l">"Received text messages"</h1>
        <p class="govuk-body">{intro}</p>
        {if empty {
            view! { <p class="govuk-body notify-secondary-text">"You have not received any text messages yet"</p> }.into_any()
        } else {
            view! {
                <table class="govuk-table">
                    <caption class="govuk-table__caption govuk-visually-hidden">"Received text messages, newest first"</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"From"</th>
                            <th scope="col" class="govuk-table__header">"Message"</th>
                            <th scope="col" class="govuk-table__header">"Received"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">{rows}</tbody>
                </table>
            }
            .into_any()
        }}
    }
}
