//! The floor under `bench/callbacks.sh`: how many callbacks a second the
//! dispatcher's own HTTP client (the one it uses for plain http to private
//! addresses, 32 requests in flight as a callback's limit) can send to the
//! local receiver when it does nothing else: no database, no signing. Each
//! callback costs at least this much of the machine, whatever the dispatcher
//! does around it.
//!
//!     cargo run --release --example callback_floor -- http://127.0.0.1:3390/callback 10

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let url = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:3390/callback".into());
    let seconds: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let client = server::workers::callbacks::private_http_client();
    // A delivery receipt's size, as the dispatcher sends it.
    let body = serde_json::json!({
        "id": "0193a1b2-0000-7000-8000-000000000000", "reference": null, "to": "bench@example.com",
        "status": "delivered", "created_at": "2026-11-29T23:00:00.000000Z",
        "completed_at": "2026-11-29T23:00:00.300000Z", "sent_at": "2026-11-29T23:00:00.300000Z",
        "notification_type": "email", "template_id": "0193a1b2-0000-7000-8000-000000000001", "template_version": 1
    })
    .to_string();
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let (client, url, body, sent, stop) =
                (client.clone(), url.clone(), body.clone(), sent.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let answer = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("authorization", "Bearer bench-bearer-token")
                        .header("webhook-id", "msg_0193a1b2000000000000000000000000")
                        .header("webhook-timestamp", "1795993200")
                        .header("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=")
                        .body(body.clone())
                        .send()
                        .await;
                    if let Ok(mut answer) = answer {
                        while let Ok(Some(_)) = answer.chunk().await {}
                        if answer.status().is_success() {
                            sent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let n = sent.load(Ordering::Relaxed);
    let rate = n as f64 / started.elapsed().as_secs_f64();
    for w in workers {
        let _ = w.await;
    }
    println!("{rate:.0}");
}
