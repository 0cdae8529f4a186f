//! A callback receiver for `bench/callbacks.sh`: answers every POST at once
//! with 204 and counts them; `GET /count` says how many so far.
//!
//!     cargo run --release --example callback_receiver -- 127.0.0.1:3390

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3390".into());
    let count = Arc::new(AtomicU64::new(0));
    let (posted, read) = (count.clone(), count);
    let app = axum::Router::new()
        .route("/count", axum::routing::get(move || async move { read.load(Ordering::Relaxed).to_string() }))
        .fallback(move || async move {
            posted.fetch_add(1, Ordering::Relaxed);
            axum::http::StatusCode::NO_CONTENT
        });
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("the receiver's address is free");
    axum::serve(listener, app).await.expect("the receiver serves");
}
