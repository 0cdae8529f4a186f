//! The island that keeps relative times ("5 minutes ago") current.

use leptos::prelude::*;

/// Keeps every `<time data-notify-module="update-relative-time">` on the
/// page current ("just now" becomes "1 minute ago"), as Notify's JavaScript
/// module of the same name. One island for the whole page; without
/// JavaScript the server's wording stays.
#[island]
pub fn RelativeTimes() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::closure::Closure;
            use wasm_bindgen::JsCast;
            fn update() {
                let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
                let Ok(nodes) = document.query_selector_all("time[data-notify-module=update-relative-time]") else {
                    return;
                };
                let now = js_sys::Date::now();
                for i in 0..nodes.length() {
                    let Some(el) = nodes.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
                    let Some(datetime) = el.get_attribute("datetime") else { continue };
                    let then = js_sys::Date::parse(&datetime);
                    if then.is_nan() {
                        continue;
                    }
                    let seconds = ((now - then) / 1000.0) as i64;
                    el.set_text_content(Some(&crate::domain::relative_time::relative(seconds)));
                }
            }
            update();
            // One timer for the page's lifetime, however often the hub is
            // swapped in again without a reload.
            thread_local!(static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
            if STARTED.with(|s| s.replace(true)) {
                return;
            }
            let tick = Closure::<dyn Fn()>::new(update);
            if let Some(window) = web_sys::window() {
                let _ = window
                    .set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 15_000);
            }
            tick.forget();
        }
    });
    view! { <span hidden></span> }
}
