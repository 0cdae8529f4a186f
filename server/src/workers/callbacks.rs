//! The callback dispatcher: sends the outbox's events (`callback_events`) to
//! the services' URLs, records every attempt, retries for 24 hours and pauses
//! a callback whose every attempt has failed for that long.
//!
//! - One HTTP client (reqwest, rustls), 5-second timeout as Notify's, no
//!   redirects followed, no proxy from the environment.
//! - Every host is resolved by [`GuardedResolver`], which refuses the whole
//!   answer when any address is special-purpose, and the connection goes to
//!   the addresses it checked (no second look-up an attacker could answer
//!   differently). Address literals are checked here before sending.
//! - At most [`IN_FLIGHT`] requests at once and [`PER_CALLBACK`] per
//!   callback, with at most [`QUEUED_PER_CALLBACK`] events of one callback
//!   claimed and waiting: a slow or dead receiver holds only its own slots;
//!   events of other callbacks are still claimed past its backlog.
//! - Claims live in memory until the attempt's outcome is committed (a read
//!   finds due events; outcomes are written in batches, one commit for many),
//!   so the dispatcher costs the database few commits. If the process dies
//!   with events in flight, they are still due in the database and the next
//!   start sends them: nothing is lost; a receiver may see an event twice,
//!   with the same `webhook-id`.
//! - On PostgreSQL, where several instances send, a claim is also a lease in
//!   the database (`store::claim_events`), renewed while the instance lives:
//!   each attempt is made by one instance, and the events of an instance
//!   that died are sent by another once its leases run out.

use app::domain::callback::address_refusal;
use app::domain::CallbackKind;
use app::domain::Timestamp;
use app::ssr::secrets::Secrets;
use app::ssr::store::{self, AttemptRecord, ClaimedEvent, EventFate, Store};
use app::ssr::{clock, webhooks};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// Requests in flight at once, overall.
pub const IN_FLIGHT: usize = 256;
/// Events claimed (waiting or in flight) at once, overall.
pub const CLAIMED: usize = 4096;
/// Events of one callback claimed at once (waiting or in flight).
pub const QUEUED_PER_CALLBACK: usize = 512;
/// Requests in flight at once to one callback.
pub const PER_CALLBACK: usize = 32;
/// How long a receiver has to answer (Notify's).
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How long outcomes gather before they are written together.
const RECORD_EVERY: Duration = Duration::from_millis(50);
/// How long an event is retried before it is marked failed, and how long a
/// callback may fail before it is paused.
pub const RETRY_FOR: time::Duration = time::Duration::hours(24);
/// How long delivered and failed events (and attempts) are kept.
pub const HISTORY_DAYS: i64 = 7;

/// Which addresses a client may connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// Only public addresses (the default).
    Public,
    /// Anything (`NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS`, https).
    Any,
    /// Only special-purpose addresses (`NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS`,
    /// plain http: never to a public address).
    PrivateOnly,
}

impl Reach {
    /// Why `ip` may not be reached, if it may not.
    fn refusal(self, ip: IpAddr) -> Option<Refused> {
        let why = address_refusal(ip);
        match (self, why) {
            (Reach::Public, Some(why)) => Some(Refused { ip, why }),
            (Reach::PrivateOnly, None) => Some(Refused { ip, why: "public address over plain http" }),
            _ => None,
        }
    }
}

/// An address the rules refuse.
#[derive(Debug)]
struct Refused {
    ip: IpAddr,
    why: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Refused: private address ({}, {})", self.ip, self.why)
    }
}

impl std::error::Error for Refused {}

/// Resolves with the system resolver, then refuses the whole answer if any
/// address breaks the client's [`Reach`].
struct GuardedResolver(Reach);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.0;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Box::new(NotFound(host.clone())) as Box<dyn std::error::Error + Send + Sync>)?
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(NotFound(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            if let Some(refused) = addrs.iter().find_map(|a| reach.refusal(a.ip())) {
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[derive(Debug)]
struct NotFound(String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Could not find the host {}", self.0)
    }
}

impl std::error::Error for NotFound {}

fn client(reach: Reach) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver(reach)))
        .user_agent(concat!("notify-api-callbacks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(PER_CALLBACK)
        .build()
        .expect("the callback client's settings are valid")
}

/// The client the dispatcher sends plain-http callbacks with (allowed to
/// private addresses only, with `NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS`): what
/// `bench/callbacks.sh`'s floor (`examples/callback_floor.rs`) measures.
#[doc(hidden)]
pub fn private_http_client() -> reqwest::Client {
    client(Reach::PrivateOnly)
}

/// How one attempt ended.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Success,
    /// Worth trying again; after this long when the receiver said so.
    Retry(Option<Duration>),
    Final,
}

#[derive(Debug)]
struct Attempt {
    status_code: Option<u16>,
    outcome: String,
    verdict: Verdict,
}

/// A write making old events due, under way ([`Dispatcher::making_due`]).
pub struct DueWrite<'a>(&'a Dispatcher);

impl Drop for DueWrite<'_> {
    fn drop(&mut self) {
        // The rescan first, then the write is no longer under way: at every
        // moment after the commit one of the two is visible to a round.
        self.0.rescan();
        self.0.due_writes.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The dispatcher's shared state: the clients, the slots in use, and the
/// channel of outcomes to record.
pub struct Dispatcher {
    https: reqwest::Client,
    /// Plain http, only with `NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS`.
    http: Option<reqwest::Client>,
    reach: Reach,
    busy: Mutex<HashMap<String, usize>>,
    /// Writes that make old events due (a resume, a resend), under way and
    /// done: a round that finds such an event through the new-event cursor
    /// must also look for every due one, or the old ones go last.
    due_writes: std::sync::atomic::AtomicU64,
    due_epoch: std::sync::atomic::AtomicU64,
    /// Slots for requests: overall, and per callback.
    slots: Arc<tokio::sync::Semaphore>,
    /// Each callback's claimed events, in order, and its workers.
    lanes: Mutex<HashMap<String, Lane>>,
    /// Events claimed: in flight, or their outcome not yet committed.
    claimed: Mutex<std::collections::HashSet<i64>>,
    wake: Notify,
    outcomes: mpsc::UnboundedSender<AttemptRecord>,
    outcome_queue: Mutex<Option<mpsc::UnboundedReceiver<AttemptRecord>>>,
    /// Wakes those waiting for an event's first outcome (test callbacks).
    recorded: tokio::sync::watch::Sender<u64>,
}

impl Dispatcher {
    pub fn new(allow_private: bool) -> Self {
        let reach = if allow_private { Reach::Any } else { Reach::Public };
        let (outcomes, queue) = mpsc::unbounded_channel();
        Self {
            https: client(reach),
            http: allow_private.then(|| client(Reach::PrivateOnly)),
            reach,
            busy: Mutex::default(),
            due_writes: Default::default(),
            due_epoch: Default::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
            lanes: Mutex::default(),
            claimed: Mutex::default(),
            wake: Notify::new(),
            outcomes,
            outcome_queue: Mutex::new(Some(queue)),
            recorded: tokio::sync::watch::channel(0).0,
        }
    }

    /// Looks for new events now rather than at the next tick.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Looks for every due event now (after a resume or a resend made old
    /// events due), so they go in order with what is new.
    pub fn rescan(&self) {
        self.due_epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.wake();
    }

    /// Declares a write that makes old events due, before it commits; the
    /// guard, dropped once it is committed (or has failed), asks for a
    /// rescan. A round that reads the write's events while it is under way
    /// sees it declared, and one after sees the rescan asked: no round can
    /// take the resumed events out of order, oldest first.
    pub fn making_due(&self) -> DueWrite<'_> {
        self.due_writes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        DueWrite(self)
    }

    /// Waits until a batch of outcomes has been recorded, or `timeout`.
    pub async fn wait_for_outcomes(&self, timeout: Duration) {
        let mut seen = self.recorded.subscribe();
        let _ = tokio::time::timeout(timeout, seen.changed()).await;
    }

    fn in_flight(&self) -> (usize, HashMap<String, usize>) {
        let busy = self.busy.lock().expect("never poisoned");
        (busy.values().sum(), busy.clone())
    }

    fn release(&self, key: &str) {
        let mut busy = self.busy.lock().expect("never poisoned");
        if let Some(n) = busy.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                busy.remove(key);
            }
        }
    }

    /// Sends one event to its callback and says how it went.
    async fn attempt(&self, url: &str, token: &str, signing: &[String], event: &ClaimedEvent) -> Attempt {
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(_) => return final_failure("Not a valid URL"),
        };
        let client = match parsed.scheme() {
            "https" => &self.https,
            "http" => match &self.http {
                Some(c) => c,
                None => return final_failure("Refused: plain http is not allowed"),
            },
            _ => return final_failure("Not a valid URL"),
        };
        // Address literals never reach the resolver: judge them here.
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        let reach = if parsed.scheme() == "http" { Reach::PrivateOnly } else { self.reach };
        if let Some(refused) = literal.and_then(|ip| reach.refusal(ip)) {
            return final_failure(&refused.to_string());
        }
        let timestamp = clock::now().time().unix_timestamp();
        // Spaced as Notify's (Python's `json.dumps`), the same bytes on every try.
        let body = webhooks::python_json(&event.payload).into_bytes();
        let signature = webhooks::signature_header(signing.iter().map(String::as_str), &event.id, timestamp, &body);
        let mut request = client
            .post(parsed)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string());
        if !signature.is_empty() {
            request = request.header("webhook-signature", signature);
        }
        match request.body(body).send().await {
            Ok(mut response) => {
                let status = response.status();
                let retry_after =
                    response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(retry_after);
                let abort = response
                    .headers()
                    .get("webhook-delivery")
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"abort-message"));
                // Read a little of the answer so the connection can be reused.
                let mut read = 0;
                while let Ok(Some(chunk)) = response.chunk().await {
                    read += chunk.len();
                    if read > 64 * 1024 {
                        break;
                    }
                }
                let code = status.as_u16();
                let (outcome, verdict) = if status.is_success() {
                    (format!("HTTP {code}"), Verdict::Success)
                } else if abort {
                    (
                        format!("HTTP {code}: the receiver asked us to stop (webhook-delivery: abort-message)"),
                        Verdict::Final,
                    )
                } else if code == 429 || status.is_server_error() {
                    (format!("HTTP {code}"), Verdict::Retry(retry_after))
                } else if status.is_redirection() {
                    (format!("HTTP {code}: redirects are not followed"), Verdict::Final)
                } else {
                    (format!("HTTP {code}"), Verdict::Final)
                };
                Attempt { status_code: Some(code), outcome, verdict }
            }
            Err(e) => {
                let (outcome, verdict) = describe(&e);
                Attempt { status_code: None, outcome, verdict }
            }
        }
    }
}

fn final_failure(outcome: &str) -> Attempt {
    Attempt { status_code: None, outcome: outcome.to_string(), verdict: Verdict::Final }
}

/// A request error in words, and whether to try again. Never the URL (the
/// error's own text carries it) nor anything the receiver sent.
fn describe(e: &reqwest::Error) -> (String, Verdict) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut innermost = String::new();
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<Refused>() {
            return (refused.to_string(), Verdict::Final);
        }
        if let Some(not_found) = err.downcast_ref::<NotFound>() {
            return (not_found.to_string(), Verdict::Retry(None));
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            let words = match io.kind() {
                ConnectionRefused => Some("Connection refused"),
                ConnectionReset => Some("Connection reset"),
                ConnectionAborted => Some("Connection aborted"),
                TimedOut => Some("Timed out after 5 seconds"),
                NetworkUnreachable | HostUnreachable => Some("Network unreachable"),
                _ => None,
            };
            if let Some(words) = words {
                return (words.to_string(), Verdict::Retry(None));
            }
        }
        innermost = err.to_string();
        source = err.source();
    }
    if e.is_timeout() {
        return ("Timed out after 5 seconds".to_string(), Verdict::Retry(None));
    }
    let words = if e.is_connect() {
        format!("Could not connect: {innermost}")
    } else {
        format!("The request failed: {innermost}")
    };
    (words.chars().take(300).collect(), Verdict::Retry(None))
}

/// `Retry-After`: seconds, or an HTTP date; at most an hour.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            httpdate::parse_http_date(value).ok()?.duration_since(std::time::SystemTime::now()).unwrap_or_default()
        }
    };
    Some(wait.clamp(Duration::from_secs(1), Duration::from_secs(3600)))
}

/// The wait before retry `n` (1 for the first): 10 s doubling to at most an
/// hour, with jitter (between half and all of it) so a recovering receiver
/// is not hit by every event at once.
pub fn backoff(n: i64) -> Duration {
    use rand::Rng;
    let base = 10u64.saturating_mul(1u64 << n.clamp(1, 20).saturating_sub(1) as u32).min(3600);
    let jitter = rand::thread_rng().gen_range(0.5..=1.0);
    Duration::from_secs_f64(base as f64 * jitter)
}

/// What the attempt means for the event: delivered, retried (when), or
/// failed for good, 24 hours after its first attempt at the latest.
fn fate(verdict: &Verdict, attempts_before: i64, first_attempt_at: Option<Timestamp>, now: Timestamp) -> EventFate {
    match verdict {
        Verdict::Success => EventFate::Delivered,
        Verdict::Final => EventFate::Failed,
        Verdict::Retry(after) => {
            let first = first_attempt_at.unwrap_or(now);
            let give_up = first + RETRY_FOR;
            if now >= give_up {
                return EventFate::Failed;
            }
            let wait = after.unwrap_or_else(|| backoff(attempts_before + 1));
            let next = (now + time::Duration::try_from(wait).unwrap_or(time::Duration::HOUR)).min(give_up);
            EventFate::Retry(next)
        }
    }
}

/// What the callback worker needs: the store, the secrets that open the
/// callbacks' tokens and signing secrets, and the dispatcher it shares with
/// the pages (which wake it and wait for test callbacks' outcomes).
#[derive(Clone)]
pub struct Worker {
    pub pool: Store,
    pub secrets: Secrets,
    pub callbacks: Arc<Dispatcher>,
}

/// Starts the dispatcher, its recorder and the nightly clean-up.
pub fn spawn(state: Worker) {
    let Some(queue) = state.callbacks.outcome_queue.lock().expect("never poisoned").take() else { return };
    let recorder = state.clone();
    tokio::spawn(record_outcomes(recorder, queue));
    let dispatcher = state.clone();
    tokio::spawn(async move {
        let mut cursor = Cursor { after: None, last_due_scan: None, scanned_epoch: 0, backlog: HashMap::new() };
        loop {
            if let Err(e) = dispatch_round(&dispatcher, &mut cursor).await {
                tracing::warn!(error = ?e, "callback dispatch round failed");
            }
            tokio::select! {
                _ = dispatcher.callbacks.wake.notified() => {
                    // Let a few more finish, so one look serves them all.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    });
    if state.pool.is_postgres() {
        // Several instances share the database: keep this one's leases on
        // the events it holds (`store::claim_events`) while it lives.
        let renewer = state.clone();
        tokio::spawn(async move {
            let every = Duration::try_from(store::CALLBACK_LEASE / 3).unwrap_or(Duration::from_secs(10));
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let held: Vec<i64> =
                    renewer.callbacks.claimed.lock().expect("never poisoned").iter().copied().collect();
                if let Err(e) = store::renew_callback_leases(&renewer.pool, &held).await {
                    tracing::warn!(error = ?e, "could not renew callback leases");
                }
            }
        });
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let before = clock::now() - time::Duration::days(HISTORY_DAYS);
            loop {
                match store::prune_callback_history(&state.pool, before).await {
                    Ok(n) if n > 0 => tokio::time::sleep(Duration::from_millis(200)).await,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = ?e, "could not prune callback history");
                        break;
                    }
                }
            }
        }
    });
}

/// Where reading new events has got to, and when due events were last
/// looked for.
struct Cursor {
    after: Option<i64>,
    last_due_scan: Option<tokio::time::Instant>,
    /// The rescans asked for ([`Dispatcher::rescan`]) as of the last due scan.
    scanned_epoch: u64,
    /// Callbacks whose new events were passed over because they were full:
    /// where their backlog starts, `(created_at, rowid)` exclusive.
    backlog: HashMap<String, (Timestamp, i64)>,
}

/// How often waiting events that are due (retries, resumed, resent, or
/// passed over while their callback was full) are looked for.
const DUE_SCAN_EVERY: Duration = Duration::from_millis(250);

/// Claims what is due within the free slots and sends each on its own task:
/// new events by reading past the last one seen (cheap: no index, nothing
/// claimed to skip), and every [`DUE_SCAN_EVERY`] the rest of what is due.
async fn dispatch_round(state: &Worker, cursor: &mut Cursor) -> anyhow::Result<()> {
    let dispatcher = &state.callbacks;
    let (claimed_now, mut busy) = dispatcher.in_flight();
    if claimed_now >= CLAIMED {
        return Ok(());
    }
    let room = (CLAIMED - claimed_now).min(1024);
    let now = clock::now();
    let after = match cursor.after {
        Some(after) => after,
        None => {
            let last = store::last_callback_event(&state.pool).await?;
            cursor.after = Some(last);
            last
        }
    };
    // First the backlogs of full callbacks that have room again, oldest
    // first; then what is new.
    let mut candidates = Vec::new();
    let with_room: Vec<(String, (Timestamp, i64))> = cursor
        .backlog
        .iter()
        .filter(|(key, _)| busy.get(*key).copied().unwrap_or(0) < QUEUED_PER_CALLBACK)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    for (key, (created_at, rowid)) in with_room {
        let Some((service_id, kind)) = key.split_once(':').and_then(|(s, k)| Some((s, CallbackKind::parse(k)?))) else {
            cursor.backlog.remove(&key);
            continue;
        };
        let limit = QUEUED_PER_CALLBACK - busy.get(&key).copied().unwrap_or(0);
        let rows = store::callback_backlog(&state.pool, service_id, kind, (created_at, rowid), limit).await?;
        match rows.last() {
            Some(last) if rows.len() == limit => {
                cursor.backlog.insert(key.clone(), (last.created_at, last.rowid));
            }
            _ => {
                cursor.backlog.remove(&key);
            }
        }
        candidates.extend(rows.into_iter().filter(|e| e.next_attempt_at <= now));
    }
    let fresh = store::new_callback_events(&state.pool, after, now, room).await?;
    if let Some(last) = fresh.last() {
        cursor.after = Some(last.rowid);
    }
    candidates.extend(fresh);
    // Read after the new events: see `Dispatcher::making_due`.
    let epoch = dispatcher.due_epoch.load(std::sync::atomic::Ordering::SeqCst);
    let under_way = dispatcher.due_writes.load(std::sync::atomic::Ordering::SeqCst) > 0;
    let asked = under_way || epoch != cursor.scanned_epoch;
    let scan_due = asked || cursor.last_due_scan.is_none_or(|t| t.elapsed() >= DUE_SCAN_EVERY);
    if scan_due && candidates.len() < room {
        cursor.last_due_scan = Some(tokio::time::Instant::now());
        cursor.scanned_epoch = epoch;
        let claimed = dispatcher.claimed.lock().expect("never poisoned").clone();
        candidates.extend(store::due_callback_events(&state.pool, now, &claimed, room).await?);
    }
    // The longest due first, whichever way each was found.
    candidates.sort_by(|a, b| {
        (&a.next_attempt_at, &a.created_at, a.rowid).cmp(&(&b.next_attempt_at, &b.created_at, b.rowid))
    });
    // Within the limits, and never an event already claimed.
    let mut chosen = Vec::new();
    {
        let claimed = dispatcher.claimed.lock().expect("never poisoned");
        let mut taken = std::collections::HashSet::new();
        for e in candidates {
            if chosen.len() >= room {
                break;
            }
            if claimed.contains(&e.rowid) || !taken.insert(e.rowid) {
                continue;
            }
            let key = store::callback_key(&e.service_id, e.callback_type);
            let n = busy.entry(key.clone()).or_default();
            if *n >= QUEUED_PER_CALLBACK {
                // Read again from here when it has room.
                cursor.backlog.entry(key).or_insert_with(|| (e.created_at, e.rowid - 1));
                continue;
            }
            *n += 1;
            chosen.push(e.rowid);
        }
    }
    if chosen.is_empty() {
        return Ok(());
    }
    // Only now the payloads, of the events taken (in the order chosen; one
    // sent or changed meanwhile is no longer waiting and is left out).
    let mut whole: HashMap<i64, ClaimedEvent> =
        store::claim_events(&state.pool, &chosen).await?.into_iter().map(|e| (e.rowid, e)).collect();
    let events: Vec<ClaimedEvent> = chosen.iter().filter_map(|rowid| whole.remove(rowid)).collect();
    if events.is_empty() {
        return Ok(());
    }
    let mut keys: Vec<String> = events.iter().map(|e| store::callback_key(&e.service_id, e.callback_type)).collect();
    keys.sort();
    keys.dedup();
    let callbacks: HashMap<String, store::Callback> = store::callbacks_by_key(&state.pool, &keys)
        .await?
        .into_iter()
        .map(|c| (store::callback_key(&c.service_id, c.callback_type), c))
        .collect();
    // Each callback's URL, token and signing secrets, opened once a round.
    let mut opened: HashMap<String, Arc<Opened>> = HashMap::new();
    for (key, c) in &callbacks {
        opened.insert(key.clone(), Arc::new(open(state, c)));
    }
    {
        let mut busy = dispatcher.busy.lock().expect("never poisoned");
        let mut claimed = dispatcher.claimed.lock().expect("never poisoned");
        for e in &events {
            *busy.entry(store::callback_key(&e.service_id, e.callback_type)).or_default() += 1;
            claimed.insert(e.rowid);
        }
    }
    let mut start = Vec::new();
    {
        let mut lanes = dispatcher.lanes.lock().expect("never poisoned");
        for event in events {
            let key = store::callback_key(&event.service_id, event.callback_type);
            let target = opened.get(&key).cloned();
            lanes.entry(key).or_default().queue.push_back((event, target));
        }
        for (key, lane) in lanes.iter_mut() {
            let more = PER_CALLBACK.saturating_sub(lane.workers).min(lane.queue.len());
            lane.workers += more;
            start.extend(std::iter::repeat_n(key.clone(), more));
        }
    }
    for key in start {
        tokio::spawn(lane_worker(state.clone(), key));
    }
    Ok(())
}

/// A callback's claimed events waiting to be sent, oldest first, and how
/// many workers are sending them (at most [`PER_CALLBACK`]): events start
/// in the order they were claimed, so a resumed callback's backlog goes
/// oldest first.
#[derive(Default)]
struct Lane {
    queue: std::collections::VecDeque<(ClaimedEvent, Option<Arc<Opened>>)>,
    workers: usize,
}

/// Sends a callback's queued events, one after another, until none is left.
async fn lane_worker(state: Worker, key: String) {
    loop {
        let (event, target, at) = {
            let mut lanes = state.callbacks.lanes.lock().expect("never poisoned");
            let Some(lane) = lanes.get_mut(&key) else { return };
            match lane.queue.pop_front() {
                // Stamped while the lane is held: attempts are timed in the
                // order they were taken.
                Some((event, target)) => (event, target, clock::now()),
                None => {
                    lane.workers -= 1;
                    if lane.workers == 0 {
                        lanes.remove(&key);
                    }
                    return;
                }
            }
        };
        let record = {
            let _slot = state.callbacks.slots.clone().acquire_owned().await.expect("never closed");
            deliver(&state, target.as_deref(), &event, at).await
        };
        state.callbacks.release(&key);
        let _ = state.callbacks.outcomes.send(record);
        state.callbacks.wake();
    }
}

/// A callback's settings, decrypted for one round.
struct Opened {
    url: String,
    token: Option<String>,
    signing: Vec<String>,
    paused: bool,
}

fn open(state: &Worker, c: &store::Callback) -> Opened {
    use app::ssr::secrets::SealedFor;
    let now = clock::now();
    let (service_id, callback_type) = (c.service_id.as_str(), c.callback_type.as_str());
    let signing_for = SealedFor::SigningSecret { service_id, callback_type };
    let mut signing: Vec<String> =
        c.signing_secret_ciphertext.iter().filter_map(|s| state.secrets.open(s, signing_for)).collect();
    if c.previous_signing_secret_until.is_some_and(|until| until > now) {
        signing.extend(c.previous_signing_secret_ciphertext.iter().filter_map(|s| state.secrets.open(s, signing_for)));
    }
    Opened {
        url: c.url.clone(),
        token: state.secrets.open(&c.bearer_token_ciphertext, SealedFor::CallbackToken { service_id, callback_type }),
        signing,
        paused: c.paused_at.is_some(),
    }
}

async fn deliver(state: &Worker, target: Option<&Opened>, event: &ClaimedEvent, at: Timestamp) -> AttemptRecord {
    let started = Instant::now();
    let (attempt, parked) = match target {
        None => (final_failure("The callback was removed"), false),
        Some(t) if t.paused && !event.is_test => (final_failure("Paused"), true),
        Some(t) => match &t.token {
            None => (final_failure("Could not read the bearer token: was the server key changed?"), false),
            Some(token) => (state.callbacks.attempt(&t.url, token, &t.signing, event).await, false),
        },
    };
    let fate = if parked {
        EventFate::Parked
    } else {
        fate(&attempt.verdict, event.attempts, event.first_attempt_at, clock::now())
    };
    if matches!(fate, EventFate::Failed) {
        tracing::info!(event_id = %event.id, service_id = %event.service_id, outcome = %attempt.outcome, "callback failed");
    }
    AttemptRecord {
        event_rowid: event.rowid,
        event_id: event.id.clone(),
        service_id: event.service_id.clone(),
        kind: event.callback_type,
        at,
        status_code: attempt.status_code,
        outcome: attempt.outcome,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        succeeded: attempt.verdict == Verdict::Success,
        first_try: event.attempts == 0,
        fate,
    }
}

/// Writes outcomes in batches: what arrives within [`RECORD_EVERY`] of the
/// first, one transaction; on a failed write, tries the batch again (the
/// events stay claimed meanwhile). Only then are the events released.
async fn record_outcomes(state: Worker, mut queue: mpsc::UnboundedReceiver<AttemptRecord>) {
    let mut batch = Vec::new();
    while let Some(first) = queue.recv().await {
        batch.push(first);
        let gather_until = tokio::time::Instant::now() + RECORD_EVERY;
        while batch.len() < 2048 {
            match tokio::time::timeout_at(gather_until, queue.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        loop {
            match store::record_callback_attempts(&state.pool, &batch).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = ?e, "could not record callback attempts; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        {
            let mut claimed = state.callbacks.claimed.lock().expect("never poisoned");
            for r in &batch {
                claimed.remove(&r.event_rowid);
            }
        }
        batch.clear();
        state.callbacks.recorded.send_modify(|n| *n += 1);
        state.callbacks.wake();
    }
}

/// A realistic sample of the callback's payload, for `Send a test callback`.
pub fn sample_payload(kind: CallbackKind) -> serde_json::Value {
    let now = clock::now();
    let id = uuid::Uuid::new_v4().to_string();
    match kind {
        CallbackKind::DeliveryStatus => serde_json::json!({
            "id": id,
            "reference": "test-callback",
            "to": "test@example.gov.uk",
            "status": "delivered",
            "created_at": now,
            "completed_at": now,
            "sent_at": now,
            "notification_type": "email",
            "template_id": uuid::Uuid::nil().to_string(),
            "template_version": 1,
        }),
        CallbackKind::ReceivedTextMessages => serde_json::json!({
            "id": id,
            "source_number": "447700900111",
            "destination_number": "07700900000",
            "message": "This is a test callback",
            "date_received": now,
        }),
        CallbackKind::ReturnedLetters => serde_json::json!({
            "notification_id": id,
            "reference": "test-callback",
            "date_sent": now,
            "sent_by": "API",
            "template_name": "Test callback",
            "template_id": uuid::Uuid::nil().to_string(),
            "template_version": 1,
            "spreadsheet_file_name": null,
            "spreadsheet_row_number": null,
            "upload_letter_file_name": null,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_10_seconds_to_an_hour_with_jitter() {
        for (n, full) in [(1, 10.0), (2, 20.0), (3, 40.0), (9, 2560.0), (10, 3600.0), (40, 3600.0)] {
            for _ in 0..50 {
                let d = backoff(n).as_secs_f64();
                assert!(d >= full * 0.5 - 0.001 && d <= full + 0.001, "retry {n}: {d}");
            }
        }
    }

    #[test]
    fn retries_stop_24_hours_after_the_first_attempt() {
        let now = clock::now();
        let recent = now - time::Duration::minutes(5);
        let old = now - time::Duration::hours(24);
        assert!(matches!(fate(&Verdict::Retry(None), 3, Some(recent), now), EventFate::Retry(_)));
        assert_eq!(fate(&Verdict::Retry(None), 30, Some(old), now), EventFate::Failed);
        assert_eq!(fate(&Verdict::Final, 0, None, now), EventFate::Failed);
        assert_eq!(fate(&Verdict::Success, 0, None, now), EventFate::Delivered);
        // Never later than the 24 hours, whatever the receiver asks.
        let almost = now - time::Duration::hours(24) + time::Duration::seconds(30);
        let EventFate::Retry(at) = fate(&Verdict::Retry(Some(Duration::from_secs(3600))), 5, Some(almost), now) else {
            panic!("a retry")
        };
        assert!(at <= now + time::Duration::seconds(31));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_within_an_hour() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("0"), Some(Duration::from_secs(1)));
        assert_eq!(retry_after("999999"), Some(Duration::from_secs(3600)));
        let in_a_minute = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(60));
        let wait = retry_after(&in_a_minute).unwrap();
        assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60), "{wait:?}");
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn reach_rules() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let public: IpAddr = "8.8.8.8".parse().unwrap();
        assert!(Reach::Public.refusal(lo).is_some());
        assert!(Reach::Public.refusal(public).is_none());
        assert!(Reach::Any.refusal(lo).is_none());
        assert!(Reach::PrivateOnly.refusal(public).is_some());
        assert!(Reach::PrivateOnly.refusal(lo).is_none());
        assert_eq!(
            Reach::Public.refusal(lo).unwrap().to_string(),
            "Refused: private address (127.0.0.1, loopback address)"
        );
    }
}
