//! The pages, one module each (or one per small group): its view data, its
//! [`PageContent`](crate::view_model::PageContent) (title and view) and its
//! components. `shell` renders a whole document for a [`Page`] the server has
//! prepared; nothing here needs to know which pages exist.

pub mod account;
pub mod api_hub;
pub mod api_keys;
pub mod audit;
pub mod callbacks;
pub mod documentation;
pub mod errors;
pub mod guest_list;
pub mod inbox;
pub mod jobs;
pub mod key_page;
pub mod leaks;
pub mod notifications;
pub mod senders;
pub mod services;
pub mod sign_in;
pub mod team;
pub mod templates;
pub mod two_factor;
pub mod uploads;
pub mod your_account;

use crate::components::Layout;
use crate::view_model::Page;
use leptos::config::LeptosOptions;
use leptos::hydration::HydrationScripts;
use leptos::prelude::*;

pub fn shell(options: LeptosOptions, page: Page) -> impl IntoView {
    let title = page.title();
    // Components that name the product read the brand from here.
    provide_context(page.brand.clone());
    let css = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    let govuk = page.brand == crate::view_model::Brand::GovUk;
    let frontend_css = page.brand.stylesheet();
    // GOV.UK's crown icon for GOV.UK's brand; the neutral brand's own.
    let icon = if govuk {
        view! { <link rel="icon" sizes="48x48" href="/assets/images/favicon.ico"/> }.into_any()
    } else {
        view! { <link rel="icon" type="image/svg+xml" href="/img/neutral-icon.svg"/> }.into_any()
    };
    view! {
        <!DOCTYPE html>
        <html lang="en" class="govuk-template govuk-template--rebranded">
            <head>
                <meta charset="utf-8"/>
                <title>{title}</title>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="theme-color" content="#1d70b8"/>
                {icon}
                <link rel="stylesheet" href=frontend_css/>
                <link rel="stylesheet" href=css/>
                <HydrationScripts options islands=true/>
                <script type="module" src="/js/enhance.js"></script>
                <script type="module" src="/js/security-keys.js"></script>
            </head>
            <body class="govuk-template__body">
                <Body page/>
            </body>
        </html>
    }
}

#[component]
fn Body(page: Page) -> impl IntoView {
    let inner = page.content.view(&page);
    view! { <Layout page>{inner}</Layout> }
}
