//! Every textarea gives back exactly what was typed in it: a value holding
//! `</textarea>` cannot end the element and add markup (a stored meta
//! refresh sent every admin who opened the template elsewhere), and `&amp;`
//! stays `&amp;`. Each form is tried as saved and as re-shown with an error.

mod common;
use common::*;

/// What an admin might paste, hostile or not.
const VALUES: &[&str] = &[
    "</textarea><meta http-equiv=\"refresh\" content=\"5;url=https://evil.example\">",
    "Fish &amp; chips & peas",
    "<script>alert(1)</script>",
    "\nA leading blank line, 'quotes' and \"double quotes\"",
];

/// The textarea called `name` on `page`, read as a browser would: its
/// content up to the first `</textarea>`, the parser's leading newline
/// dropped, entities decoded. `None` if the page has no such textarea.
fn textarea_value(page: &Page, name: &str) -> Option<String> {
    let attribute = format!("name=\"{name}\"");
    let at = page.body.match_indices(&attribute).map(|(i, _)| i).find(|&i| {
        let tag = page.body[..i].rfind('<').unwrap_or(0);
        page.body[tag..].starts_with("<textarea")
    })?;
    let start = at + page.body[at..].find('>')? + 1;
    let end = start + page.body[start..].find("</textarea>")?;
    let raw = &page.body[start..end];
    let raw = raw.strip_prefix('\n').unwrap_or(raw);
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&"),
    )
}

fn assert_no_injected_markup(page: &Page) {
    assert!(!page.body.contains("<meta http-equiv"), "a stored value added markup to the page");
    assert!(!page.body.contains("<script>alert"), "a stored value added a script element");
}

#[tokio::test]
async fn a_template_gives_back_exactly_what_was_typed() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let new = format!("/services/{live}/templates/new");
    for (i, value) in VALUES.iter().enumerate() {
        let name = format!("Template {i}");
        // Re-shown with an error (no type chosen): the input comes back.
        let page = app
            .post(&new, Some(&s.cookie), &[("csrf_token", &s.csrf), ("name", &name), ("template_content", value)])
            .await;
        assert_eq!(page.status, 200);
        assert_no_injected_markup(&page);
        assert_eq!(textarea_value(&page, "template_content").as_deref(), Some(*value), "re-shown");
        // Saved, then opened for editing.
        let saved = app
            .post(
                &new,
                Some(&s.cookie),
                &[("csrf_token", &s.csrf), ("template_type", "sms"), ("name", &name), ("template_content", value)],
            )
            .await;
        assert_eq!(saved.status, 302, "{}", saved.text());
        let id = app::ssr::store::list_templates(&app.state.pool, &live)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == name)
            .unwrap()
            .id;
        let form = app.get(&format!("/services/{live}/templates/{id}"), Some(&s.cookie)).await;
        assert_no_injected_markup(&form);
        assert_eq!(textarea_value(&form, "template_content").as_deref(), Some(*value), "saved");
    }
}

#[tokio::test]
async fn a_letter_contact_block_gives_back_exactly_what_was_typed() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let add = format!("/services/{live}/service-settings/letter-contact/add");
    // Too long (more than 10 lines): re-shown with the error.
    let long = format!("{}\n{}", VALUES[0], "line\n".repeat(12));
    let page = app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("letter_contact_block", &long)]).await;
    assert_eq!(page.status, 200);
    assert_no_injected_markup(&page);
    assert_eq!(textarea_value(&page, "letter_contact_block").as_deref(), Some(long.as_str()));
    for value in &VALUES[..3] {
        let saved = app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("letter_contact_block", value)]).await;
        assert_eq!(saved.status, 302, "{}", saved.text());
        let contact = app::ssr::store::senders(&app.state.pool, &live, app::domain::senders::SenderKind::LetterContact)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.value == *value)
            .expect("stored as typed");
        let edit = format!("/services/{live}/service-settings/letter-contact/{}/edit", contact.id);
        let form = app.get(&edit, Some(&s.cookie)).await;
        assert_no_injected_markup(&form);
        assert_eq!(textarea_value(&form, "letter_contact_block").as_deref(), Some(*value));
    }
}

#[tokio::test]
async fn the_guest_list_re_shows_exactly_what_was_typed() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let path = format!("/services/{live}/api/guest-list");
    for value in VALUES {
        let page = app
            .post(&path, Some(&s.cookie), &[("csrf_token", &s.csrf), ("email_addresses", value), ("phone_numbers", "")])
            .await;
        assert_eq!(page.status, 200, "not a valid address: re-shown with the error");
        assert_no_injected_markup(&page);
        assert_eq!(textarea_value(&page, "email_addresses").as_deref(), Some(*value));
    }
}
