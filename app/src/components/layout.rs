//! The page frame: GOV.UK header, service navigation, notification banner
//! and footer.

use crate::components::{escape_html, CsrfField};
use crate::domain::Permission;
use crate::view_model::{Brand, Flash, NavItem, Page};
use leptos::prelude::*;

const LOGO: &str = include_str!("../../assets/logo.svg");
const CROWN: &str = include_str!("../../assets/crown.svg");
const LICENCE: &str = include_str!("../../assets/licence.svg");

/// A success banner (`Guest list updated` and the like), announced to screen
/// readers, with GOV.UK's tick styling.
#[component]
pub fn NotificationBanner(flash: Flash) -> impl IntoView {
    view! {
        <div
            class="govuk-notification-banner govuk-notification-banner--success"
            role="alert"
            aria-labelledby="govuk-notification-banner-title"
            data-module="govuk-notification-banner"
        >
            <div class="govuk-notification-banner__header">
                <h2 class="govuk-notification-banner__title" id="govuk-notification-banner-title">
                    "Success"
                </h2>
            </div>
            <div class="govuk-notification-banner__content">
                <p class="govuk-notification-banner__heading notify-tick">{flash.message}</p>
            </div>
        </div>
    }
}

fn nav_link(href: String, text: &'static str, active: bool) -> impl IntoView {
    if active {
        view! {
            <li class="govuk-service-navigation__item govuk-service-navigation__item--active">
                <a class="govuk-service-navigation__link" href=href aria-current="page">
                    <strong class="govuk-service-navigation__active-fallback">{text}</strong>
                </a>
            </li>
        }
        .into_any()
    } else {
        view! {
            <li class="govuk-service-navigation__item">
                <a class="govuk-service-navigation__link" href=href>{text}</a>
            </li>
        }
        .into_any()
    }
}

/// The page frame: skip link, GOV.UK header, service navigation, the main
/// content area (with any flash message) and the footer.
#[component]
pub fn Layout(page: Page, children: Children) -> impl IntoView {
    let Page { viewer, service, nav, flash, brand, .. } = page;
    let govuk = brand == Brand::GovUk;
    let product_name = brand.product_name().to_string();
    // GOV.UK's logotype then "Notify"; anyone else's product name alone.
    let homepage_link = if govuk {
        format!("{LOGO}<span class=\"govuk-header__product-name\">Notify</span>")
    } else {
        format!("<span class=\"govuk-header__product-name notify-product-name\">{}</span>", escape_html(&product_name))
    };
    let signed_in = viewer.is_some();
    let service_name = service.as_ref().map(|s| (s.path(""), s.service.name.clone()));
    let service_items = service.as_ref().map(|s| {
        let dashboard = nav_link(s.path(""), "Dashboard", nav == NavItem::Dashboard);
        let templates = s
            .can(Permission::ManageTemplates)
            .then(|| nav_link(s.path("/templates"), "Templates", nav == NavItem::Templates));
        let api = s
            .can(Permission::ManageApiKeys)
            .then(|| nav_link(s.path("/api"), "API integration", nav == NavItem::ApiIntegration));
        let team = nav_link(s.path("/users"), "Team members", nav == NavItem::Team);
        view! { {dashboard} {templates} {api} {team} }
    });
    let account_items = viewer.map(|v| {
        view! {
            <li class="govuk-service-navigation__item">
                <a class="govuk-service-navigation__link" href="/your-services">
                    "Your services"
                </a>
            </li>
            <li class="govuk-service-navigation__item">
                <a class="govuk-service-navigation__link" href="/user-profile">
                    "Your account"
                </a>
            </li>
            <li class="govuk-service-navigation__item">
                <form method="post" action="/sign-out" class="notify-sign-out">
                    <CsrfField token=v.csrf_token/>
                    <button type="submit" class="govuk-service-navigation__link notify-link-button">
                        "Sign out"
                    </button>
                </form>
            </li>
        }
    });
    view! {
        <a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">
            "Skip to main content"
        </a>
        <header class="govuk-template__header">
            <div class="govuk-header">
                <div class="govuk-header__container govuk-width-container">
                    <div class="govuk-header__logo">
                        <a
                            href=if signed_in { "/your-services" } else { "/sign-in" }
                            class="govuk-header__homepage-link"
                            inner_html=homepage_link
                        ></a>
                    </div>
                </div>
            </div>
        </header>
        <section aria-label="Service information" class="govuk-service-navigation" data-module="govuk-service-navigation">
            <div class="govuk-width-container">
                <div class="govuk-service-navigation__container">
                    {service_name.map(|(href, name)| {
                        view! {
                            <span class="govuk-service-navigation__service-name">
                                <a href=href class="govuk-service-navigation__link">{name}</a>
                            </span>
                        }
                    })}
                    {signed_in.then(|| view! {
                        <nav aria-label="Menu" class="govuk-service-navigation__wrapper">
                            <ul class="govuk-service-navigation__list" id="navigation">
                                {service_items}
                                {account_items}
                            </ul>
                        </nav>
                    })}
                </div>
            </div>
        </section>
        <div class="govuk-width-container">
            <main class="govuk-main-wrapper" id="main-content">
                {flash.map(|f| view! { <NotificationBanner flash=f/> })}
                {children()}
            </main>
        </div>
        {if govuk { view! { <GovUkFooter/> }.into_any() } else { view! { <NeutralFooter product_name/> }.into_any() }}
    }
}

/// GOV.UK's footer: the crown, the Open Government Licence, Crown copyright.
#[component]
fn GovUkFooter() -> impl IntoView {
    view! {
        <footer class="govuk-footer">
            <div class="govuk-width-container">
                <span inner_html=CROWN></span>
                <div class="govuk-footer__meta">
                    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
                        <FooterLinks/>
                        <span inner_html=LICENCE></span>
                        <span class="govuk-footer__licence-description">
                            "All content is available under the "
                            <a
                                class="govuk-footer__link"
                                href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
                                rel="license"
                            >
                                "Open Government Licence v3.0"
                            </a>
                            ", except where otherwise stated"
                        </span>
                    </div>
                    <div class="govuk-footer__meta-item">
                        <a
                            class="govuk-footer__link govuk-footer__copyright-logo"
                            href="https://www.nationalarchives.gov.uk/information-management/re-using-public-sector-information/uk-government-licensing-framework/crown-copyright/"
                        >
                            "© Crown copyright"
                        </a>
                    </div>
                </div>
            </div>
        </footer>
    }
}

/// The footer's links, under either brand.
#[component]
fn FooterLinks() -> impl IntoView {
    view! {
        <h2 class="govuk-visually-hidden">"Support links"</h2>
        <ul class="govuk-footer__inline-list">
            <li class="govuk-footer__inline-list-item">
                <a class="govuk-footer__link" href="/documentation">"API documentation"</a>
            </li>
            <li class="govuk-footer__inline-list-item">
                <a class="govuk-footer__link" href="/report-a-leaked-key">"Report a leaked API key"</a>
            </li>
        </ul>
    }
}

/// The neutral brand's footer: the product's name, no crown, no licence of
/// the Crown's.
#[component]
fn NeutralFooter(product_name: String) -> impl IntoView {
    view! {
        <footer class="govuk-footer">
            <div class="govuk-width-container">
                <div class="govuk-footer__meta">
                    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
                        <FooterLinks/>
                        {product_name}
                    </div>
                </div>
            </div>
        </footer>
    }
}
