//! Whose look the pages have: the neutral brand by default (the product's
//! name, no crown, no GOV.UK logotype, no GDS Transport), GOV.UK's with
//! `NOTIFY_BRAND=govuk`.

mod common;
use common::*;

fn shows_govuk(page: &Page) -> bool {
    page.body.contains("govuk-header__logotype") || page.body.contains("govuk-footer__crown")
}

#[tokio::test]
async fn the_default_brand_is_neutral_with_the_products_name() {
    let app = TestApp::spawn().await;
    let page = app.get("/sign-in", None).await;
    assert!(page.body.contains("<title>Sign in – Notify API</title>"));
    assert!(!shows_govuk(&page), "no crown, no logotype");
    assert!(!page.body.contains("Crown copyright") && !page.body.contains("Open Government Licence"));
    assert!(page.body.contains(r#"href="/css/govuk-frontend-neutral.min.css""#));
    assert!(!page.body.contains("govuk-frontend.min.css"));
    assert!(!page.body.contains("favicon.ico"));
    // Signed in, and on a page that names the product.
    let s = admin(&app).await;
    let services = app.get("/your-services", Some(&s.cookie)).await;
    assert!(!shows_govuk(&services));
    assert!(!services.text().contains("GOV.UK"), "{}", services.text());
}

#[tokio::test]
async fn a_neutral_brand_takes_its_name_from_the_configuration() {
    let app = TestApp::spawn_with(&[("NOTIFY_PRODUCT_NAME", "Council <Messages> & Co")]).await;
    let page = app.get("/sign-in", None).await;
    assert!(page.body.contains("<title>Sign in – Council &lt;Messages&gt; &amp; Co</title>"), "{}", page.body);
    // In the header and the footer, escaped.
    assert_eq!(page.body.matches("Council &lt;Messages&gt; &amp; Co").count(), 3, "title, header, footer");
    assert!(!page.body.contains("<Messages>"), "the name is escaped");
}

#[tokio::test]
async fn govuks_brand_shows_the_crown_the_logotype_and_the_licence() {
    let app = TestApp::spawn_with(&[("NOTIFY_BRAND", "govuk")]).await;
    let page = app.get("/sign-in", None).await;
    assert!(page.body.contains("<title>Sign in – GOV.UK Notify</title>"));
    assert!(page.body.contains("govuk-header__logotype") && page.body.contains("govuk-footer__crown"));
    assert!(page.text().contains("Open Government Licence v3.0") && page.text().contains("© Crown copyright"));
    assert!(page.body.contains(r#"href="/css/govuk-frontend.min.css""#));
}

#[test]
fn a_bad_brand_or_name_stops_start_up_naming_the_variable() {
    let config = |vars: &[(&str, &str)]| {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        server::Config::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    };
    assert_eq!(config(&[("NOTIFY_BRAND", "crown")]).err().unwrap().variable, "NOTIFY_BRAND");
    assert_eq!(config(&[("NOTIFY_PRODUCT_NAME", &"x".repeat(61))]).err().unwrap().variable, "NOTIFY_PRODUCT_NAME");
    assert_eq!(config(&[("NOTIFY_PRODUCT_NAME", "two\nlines")]).err().unwrap().variable, "NOTIFY_PRODUCT_NAME");
    assert!(config(&[("NOTIFY_BRAND", "neutral"), ("NOTIFY_PRODUCT_NAME", "Messages")]).is_ok());
}

#[test]
fn the_neutral_stylesheet_has_no_gds_transport_and_no_crown() {
    // Made by the bootstrap from GOV.UK Frontend's (scripts/neutral-css.sh).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let neutral = std::fs::read_to_string(root.join("public/css/govuk-frontend-neutral.min.css"))
        .expect("make bootstrap made the neutral stylesheet");
    let govuk = std::fs::read_to_string(root.join("public/css/govuk-frontend.min.css")).unwrap();
    assert!(govuk.contains("GDS Transport") && govuk.contains("govuk-crest"), "the source has both");
    assert!(!neutral.contains("GDS Transport") && !neutral.contains("/assets/fonts/"));
    assert!(!neutral.contains("govuk-crest"));
    // The same components otherwise.
    for class in [".govuk-button", ".govuk-header", ".govuk-error-summary", ".govuk-radios__input", ".govuk-footer"] {
        assert!(neutral.contains(class), "{class}");
    }
}
