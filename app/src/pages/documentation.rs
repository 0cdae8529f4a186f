//! `/documentation` and its pages: the API's documentation, readable
//! without signing in. The server makes each page's HTML (from Markdown
//! written in `docs/pages/` and the OpenAPI description); this shows it with
//! the navigation between pages and the page's own contents.

use crate::view_model::{Page, PageContent};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct DocumentationPage {
    pub title: String,
    /// The page's address.
    pub path: String,
    /// Every page: (address, title), in order.
    pub pages: Vec<(String, String)>,
    /// The page's sections: (fragment, heading).
    pub contents: Vec<(String, String)>,
    /// The page's body, made by the server from its Markdown (every text
    /// escaped there).
    pub html: String,
}

impl PageContent for DocumentationPage {
    fn title(&self) -> String {
        format!("{} – API documentation", self.title)
    }
    fn view(&self, _: &Page) -> AnyView {
        let page = self.clone();
        let nav = page
            .pages
            .iter()
            .map(|(path, title)| {
                let current = (*path == page.path).then_some("page");
                view! { <li><a class="govuk-link" href=path.clone() aria-current=current>{title.clone()}</a></li> }
            })
            .collect_view();
        let contents = (!page.contents.is_empty()).then(|| {
            let items = page
                .contents
                .iter()
                .map(|(id, text)| view! { <li><a class="govuk-link" href=format!("#{id}")>{text.clone()}</a></li> })
                .collect_view();
            view! {
                <nav aria-label="Contents of this page">
                    <h2 class="govuk-heading-s">"Contents"</h2>
                    <ul class="govuk-list">{items}</ul>
                </nav>
            }
        });
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-one-quarter notify-documentation-nav">
                    <nav aria-label="API documentation">
                        <h2 class="govuk-heading-s">"API documentation"</h2>
                        <ul class="govuk-list">{nav}</ul>
                    </nav>
                    {contents}
                </div>
                <div class="govuk-grid-column-three-quarters notify-documentation" inner_html=page.html></div>
            </div>
        }
        .into_any()
    }
}
