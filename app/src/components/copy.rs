//! The copy-to-clipboard button for a new API key (an island: without
//! JavaScript the key is simply there to select and copy).

use leptos::prelude::*;

/// With JavaScript, a `Copy API key to clipboard` button for the text of the
/// element `target_id`, announcing the copy to screen readers. The key is
/// read from the page when clicked, so it is not repeated in the island's
/// serialised props. Without JavaScript the button is not shown at all.
#[island]
pub fn CopyToClipboard(target_id: String) -> impl IntoView {
    let (mounted, set_mounted) = signal(false);
    let (copied, set_copied) = signal(false);
    Effect::new(move |_| set_mounted.set(true));
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&target_id))
                .and_then(|e| e.text_content())
                .unwrap_or_default();
            if let Some(window) = web_sys::window() {
                let promise = window.navigator().clipboard().write_text(text.trim());
                leptos::task::spawn_local(async move {
                    if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                        set_copied.set(true);
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = &target_id;
            set_copied.set(true);
        }
    };
    view! {
        <div class="notify-copy">
            <Show when=move || mounted.get()>
                <button type="button" class="govuk-button govuk-button--secondary notify-copy__button" on:click=copy.clone()>
                    {move || if copied.get() { "Copy API key to clipboard again" } else { "Copy API key to clipboard" }}
                </button>
            </Show>
            <p class="govuk-visually-hidden" aria-live="polite">
                {move || if copied.get() { "API key copied to clipboard" } else { "" }}
            </p>
        </div>
    }
}
