//! An SMTP server for `bench/email.sh`: takes every email (mailin-embedded,
//! the tests' relay), counts them, and writes the count to a file every
//! 100 ms.
//!
//!     cargo run --release --example smtp_sink -- 127.0.0.1:2525 /tmp/count

use mailin_embedded::{response, Handler, Response, Server};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Clone)]
struct Sink(Arc<AtomicU64>);

impl Handler for Sink {
    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:2525".into());
    let file = std::env::args().nth(2).unwrap_or_else(|| "smtp-sink.count".into());
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    std::thread::spawn(move || loop {
        let _ = std::fs::write(&file, seen.load(Ordering::Relaxed).to_string());
        std::thread::sleep(std::time::Duration::from_millis(100));
    });
    let mut server = Server::new(Sink(count));
    // More threads than the sender keeps connections open: each holds one.
    server.with_name("sink.bench").with_num_threads(300).with_addr(addr).expect("an address like 127.0.0.1:2525");
    server.serve().expect("the sink serves");
}
