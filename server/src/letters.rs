//! Letters as PDFs: the check a precompiled letter's file goes through
//! (Notify's rules a library can tell: a PDF that opens, at most 10 pages,
//! every page A4 portrait), the job that runs it, and the rendering of a
//! templated letter (address block, contact block, date, heading, body) on
//! A4 with the PDF base fonts.

pub mod checker;
mod metrics;

use app::ssr::store::{self, LetterCheck};
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, LoadOptions, Object, ObjectId, Stream};
use std::time::Duration;

/// Notify's limit: 10 pages (5 double-sided sheets).
pub const MAX_PAGES: usize = 10;

/// A4 in points, and how far a page may be from it (rounding in the
/// programs that make PDFs).
const A4: (f32, f32) = (595.28, 841.89);
const A4_TOLERANCE: f32 = 2.0;

/// A precompiled file is read with decompression bounded far below the
/// library's default: a letter's pages need far less.
const MAX_DECOMPRESSED: usize = 32 * 1024 * 1024;

/// The most objects a letter's file may hold: a real letter of 10 pages has
/// hundreds. Past it the reader keeps no more of them (and the file is
/// refused as unreadable), so a file of millions of tiny objects cannot
/// hold millions in memory. What one object may cost, and the whole
/// document, is bounded by the checker's process limits
/// ([`checker::MEMORY_LIMIT`], [`checker::CPU_SECONDS`]).
pub const MAX_OBJECTS: usize = 50_000;

thread_local! {
    /// Objects the reader has handed over in this thread's current load.
    static OBJECTS_READ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// lopdf's per-object filter: counts the objects, and past
/// [`MAX_OBJECTS`] drops them. (lopdf keeps the object it passed for an
/// object of the file, and the one returned for an object from an object
/// stream: both are the object.)
fn count_objects(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let n = OBJECTS_READ.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    (n <= MAX_OBJECTS).then(|| (id, object.clone()))
}

/// Checks a precompiled letter's file. Never panics, whatever the bytes.
pub fn check_pdf(bytes: &[u8]) -> LetterCheck {
    let refused = |reason: &str, page_count: Option<i64>, pages: Vec<u32>| LetterCheck {
        page_count,
        invalid_reason: Some(reason.to_string()),
        invalid_pages: pages,
    };
    let unreadable = || refused("unable-to-read-the-file", None, vec![]);
    if !bytes.starts_with(b"%PDF-") {
        return unreadable();
    }
    let loaded = std::panic::catch_unwind(|| {
        OBJECTS_READ.with(|c| c.set(0));
        let options = LoadOptions {
            max_decompressed_size: Some(MAX_DECOMPRESSED),
            filter: Some(count_objects),
            ..Default::default()
        };
        let doc = Document::load_mem_with_options(bytes, options).ok()?;
        if OBJECTS_READ.with(|c| c.get()) > MAX_OBJECTS || doc.is_encrypted() {
            return None;
        }
        let pages: Vec<(u32, ObjectId)> = doc.get_pages().into_iter().collect();
        let sizes: Vec<(u32, Option<(f32, f32)>)> =
            pages.iter().map(|(number, id)| (*number, page_size(&doc, *id))).collect();
        Some(sizes)
    });
    let Ok(Some(sizes)) = loaded else { return unreadable() };
    if sizes.is_empty() {
        return unreadable();
    }
    let count = sizes.len() as i64;
    if sizes.len() > MAX_PAGES {
        return refused("letter-too-long", Some(count), vec![]);
    }
    let not_a4: Vec<u32> = sizes
        .iter()
        .filter(|(_, size)| {
            !size.is_some_and(|(w, h)| (w - A4.0).abs() <= A4_TOLERANCE && (h - A4.1).abs() <= A4_TOLERANCE)
        })
        .map(|(number, _)| *number)
        .collect();
    if !not_a4.is_empty() {
        return refused("letter-not-a4-portrait-oriented", Some(count), not_a4);
    }
    LetterCheck { page_count: Some(count), invalid_reason: None, invalid_pages: vec![] }
}

/// A page's size as seen on paper (its MediaBox, inherited from the page
/// tree when the page has none, turned by its Rotate).
fn page_size(doc: &Document, page: ObjectId) -> Option<(f32, f32)> {
    let media = inherited(doc, page, b"MediaBox")?;
    let numbers: Vec<f32> = resolve(doc, &media)?.as_array().ok()?.iter().filter_map(|o| number(doc, o)).collect();
    let [x0, y0, x1, y1] = numbers[..] else { return None };
    let (w, h) = ((x1 - x0).abs(), (y1 - y0).abs());
    let rotate = inherited(doc, page, b"Rotate").and_then(|r| number(doc, &r)).unwrap_or(0.0) as i64;
    Some(if rotate.rem_euclid(180) == 90 { (h, w) } else { (w, h) })
}

/// A page attribute, looked up the page tree (at most 32 levels).
fn inherited(doc: &Document, page: ObjectId, key: &[u8]) -> Option<Object> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..32 {
        if let Ok(value) = node.get(key) {
            return Some(value.clone());
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn resolve<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn number(doc: &Document, o: &Object) -> Option<f32> {
    match resolve(doc, o)? {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// Notify's words for a refused precompiled letter: a title and what to do.
pub fn refusal_text(reason: &str, page_count: Option<i64>, pages: &[u32]) -> (String, String) {
    match reason {
        "letter-too-long" => (
            "Your letter is too long".to_string(),
            format!(
                "Letters must be {MAX_PAGES} pages or less (5 double-sided sheets of paper). Your letter is {} pages long.",
                page_count.unwrap_or_default()
            ),
        ),
        "letter-not-a4-portrait-oriented" => (
            "Your letter is not A4 portrait size".to_string(),
            format!(
                "Validation failed because {} {} not A4 portrait size. Files must meet our letter specification.",
                pages_text(pages),
                if pages.len() == 1 { "is" } else { "are" }
            ),
        ),
        _ => (
            "There’s a problem with your file".to_string(),
            "Notify cannot read this PDF. Save a new copy of your file and try again.".to_string(),
        ),
    }
}

/// `page 2`, `pages 1 and 3`, `pages 1, 2 and 3`.
fn pages_text(pages: &[u32]) -> String {
    let numbers: Vec<String> = pages.iter().map(u32::to_string).collect();
    match numbers.as_slice() {
        [] => "the pages".to_string(),
        [one] => format!("page {one}"),
        [rest @ .., last] => format!("pages {} and {last}", rest.join(", ")),
    }
}

/// How often the checker looks for letters to check: an indexed look at a
/// queue that is usually empty.
const EVERY: Duration = Duration::from_millis(500);

/// Checks run at once (each a child process with its own limits).
const CHECKS_AT_ONCE: usize = 2;

/// What the checker needs: the database and the program it runs.
#[derive(Clone)]
pub struct Checker {
    pub pool: store::Store,
    pub program: std::path::PathBuf,
}

impl Checker {
    /// The checker of this server: `NOTIFY_LETTER_CHECKER`, else this
    /// binary itself.
    pub fn new(pool: store::Store, configured: Option<std::path::PathBuf>) -> anyhow::Result<Self> {
        let program = match configured {
            Some(p) => p,
            None => std::env::current_exe()?,
        };
        Ok(Self { pool, program })
    }

    /// One letter: counted as begun, checked in a child process, recorded.
    /// A letter whose checks have begun [`checker::MAX_ATTEMPTS`] times
    /// without a result (killed by its limits, or the server stopped during
    /// them) is refused, with an alert, instead of being tried again.
    pub async fn check_one(&self, letter: &store::LetterToCheck) -> anyhow::Result<()> {
        let id = &letter.notification_id;
        if letter.check_attempts >= checker::MAX_ATTEMPTS {
            tracing::error!(
                target: "alert",
                notification_id = %id,
                service_id = %letter.service_id,
                attempts = letter.check_attempts,
                "a precompiled letter's file was set aside: its checks never finished; the letter is refused \
                 as unreadable"
            );
            return store::record_letter_check(&self.pool, id, &checker::unreadable()).await;
        }
        let Some(pdf) = store::letter_file(&self.pool, id).await? else { return Ok(()) };
        store::begin_letter_check(&self.pool, id).await?;
        match checker::check_in_child(&self.program, pdf).await {
            checker::Outcome::Checked(check) => store::record_letter_check(&self.pool, id, &check).await,
            checker::Outcome::Failed(why) => {
                tracing::warn!(notification_id = %id, attempt = letter.check_attempts + 1, why, "a letter check failed");
                if letter.check_attempts + 1 >= checker::MAX_ATTEMPTS {
                    tracing::error!(
                        target: "alert",
                        notification_id = %id,
                        service_id = %letter.service_id,
                        "a precompiled letter's file could not be checked twice; the letter is refused as unreadable"
                    );
                    store::record_letter_check(&self.pool, id, &checker::unreadable()).await?;
                }
                Ok(())
            }
        }
    }

    /// Checks what is waiting, a few at a time, services taking turns.
    pub async fn check_waiting(&self) -> anyhow::Result<usize> {
        use futures::StreamExt;
        let waiting = store::letters_to_check(&self.pool, 20).await?;
        let count = waiting.len();
        futures::stream::iter(waiting)
            .for_each_concurrent(CHECKS_AT_ONCE, |letter| async move {
                if let Err(e) = self.check_one(&letter).await {
                    tracing::warn!(error = ?e, notification_id = %letter.notification_id, "could not check a letter");
                }
            })
            .await;
        Ok(count)
    }

    /// Checks precompiled letters as they arrive and, after a restart, those
    /// left unchecked (counted attempts included).
    /// Checks while `leader` is held (one instance at a time).
    pub fn spawn(self, leader: store::Leadership) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if !leader.is_held() {
                    continue;
                }
                if let Err(e) = self.check_waiting().await {
                    tracing::warn!(error = ?e, "could not load letters to check");
                }
            }
        });
    }
}

/// A letter's PDF, as `GET /v2/notifications/{id}/pdf` and the admin give it.
pub enum LetterPdf {
    Ready(Vec<u8>),
    /// Notify's `PDFNotReadyError`: the file is still being checked.
    NotReady,
    /// Refused with Notify's message (not a letter, or a status without one).
    Unavailable(String),
}

/// The PDF of one of the service's notifications: a precompiled letter's
/// own file (even when refused, so its sender can see why), or a templated
/// letter drawn now from what was stored when it was sent.
pub async fn letter_pdf(pool: &store::Store, n: &store::Notification) -> anyhow::Result<LetterPdf> {
    if let Some(refusal) = pdf_refusal(n) {
        return Ok(refusal);
    }
    if let Some(file) = store::precompiled_file(pool, &n.service_id, &n.id).await? {
        return Ok(if file.checked_at.is_some() { LetterPdf::Ready(file.pdf) } else { LetterPdf::NotReady });
    }
    let local = app::domain::london_time::to_london(n.created_at.time());
    let date = format!("{} {} {}", local.day(), local.month(), local.year());
    let (recipient, contact_block, heading, body) =
        (n.recipient.clone(), n.reply_to.clone(), n.subject.clone().unwrap_or_default(), n.body.clone());
    // A letter's body may be up to 2 MB, hundreds of pages to draw: drawn
    // on a blocking thread, never on an async worker.
    let pdf = tokio::task::spawn_blocking(move || {
        render_letter(&LetterContent {
            address: recipient.lines().collect(),
            contact_block: contact_block.as_deref(),
            date,
            heading: &heading,
            body: &body,
        })
    })
    .await?;
    Ok(LetterPdf::Ready(pdf))
}

/// Why a notification has no PDF to give, from what it is and its status
/// (Notify's rules; the API and the message's page both ask here). `None`:
/// it has one, or a precompiled file that is still being checked.
pub fn pdf_refusal(n: &store::Notification) -> Option<LetterPdf> {
    use app::domain::{NotificationStatus, TemplateType};
    if n.notification_type != TemplateType::Letter {
        return Some(LetterPdf::Unavailable("Notification is not a letter".into()));
    }
    match n.status {
        NotificationStatus::VirusScanFailed => Some(LetterPdf::Unavailable("File did not pass the virus scan".into())),
        NotificationStatus::TechnicalFailure => {
            Some(LetterPdf::Unavailable(format!("PDF not available for letters in status {}", n.status.as_str())))
        }
        NotificationStatus::PendingVirusCheck => Some(LetterPdf::NotReady),
        _ => None,
    }
}

/// What goes on a templated letter.
pub struct LetterContent<'a> {
    /// The address, one line each.
    pub address: Vec<&'a str>,
    /// The sender's contact block (the service's at the time of sending).
    pub contact_block: Option<&'a str>,
    /// The date printed on it, as `29 November 2026`.
    pub date: String,
    pub heading: &'a str,
    pub body: &'a str,
}

const MM: f32 = 72.0 / 25.4;
const LEFT: f32 = 24.6 * MM;
const RIGHT: f32 = A4.0 - 20.0 * MM;
const CONTACT_LEFT: f32 = 125.0 * MM;
const TOP: f32 = A4.1 - 20.0 * MM;
const BOTTOM: f32 = 20.0 * MM;
const BODY_SIZE: f32 = 11.0;
const LEADING: f32 = 14.0;
/// Past this many pages a letter is not worth rendering further (Notify
/// refuses letters over 10 pages).
const MAX_RENDERED_PAGES: usize = 30;

#[derive(Clone, Copy, PartialEq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn name(self) -> &'static str {
        match self {
            Face::Regular => "F1",
            Face::Bold => "F2",
        }
    }
    fn widths(self) -> &'static [u16; 256] {
        match self {
            Face::Regular => &metrics::HELVETICA,
            Face::Bold => &metrics::HELVETICA_BOLD,
        }
    }
}

/// A character in WinAnsiEncoding (what the base fonts draw), `?` for
/// what it cannot show.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        '\t' => b' ',
        _ => b'?',
    }
}

fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

fn text_width(text: &str, face: Face, size: f32) -> f32 {
    let widths = face.widths();
    text.chars().map(|c| widths[win_ansi(c) as usize] as f32).sum::<f32>() * size / 1000.0
}

/// Greedy word wrap to `width`; a word longer than a line is broken.
fn wrap(text: &str, face: Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, face, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if text_width(&piece, face, size) > width && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        line = piece;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The pages being written: each a list of operations.
struct Pages {
    pages: Vec<Vec<Operation>>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Pages { pages: vec![Vec::new()], y: TOP }
    }
    fn full(&self) -> bool {
        self.pages.len() >= MAX_RENDERED_PAGES
    }
    fn text_at(&mut self, x: f32, y: f32, text: &str, face: Face, size: f32) {
        let ops = self.pages.last_mut().expect("a page");
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec![face.name().into(), size.into()]));
        ops.push(Operation::new("Td", vec![x.into(), y.into()]));
        ops.push(Operation::new("Tj", vec![Object::string_literal(encode(text))]));
        ops.push(Operation::new("ET", vec![]));
    }
    fn new_page(&mut self) {
        if !self.full() {
            self.pages.push(Vec::new());
        }
        self.y = TOP;
    }
    /// Writes lines in the body's flow, turning the page when it is full.
    fn flow(&mut self, x: f32, text: &str, face: Face, size: f32, leading: f32) {
        for line in wrap(text, face, size, RIGHT - x) {
            if self.y - leading < BOTTOM {
                if self.full() {
                    return;
                }
                self.new_page();
            }
            self.y -= leading;
            self.text_at(x, self.y, &line, face, size);
        }
    }
}

/// Renders a templated letter as Notify lays one out on A4: the contact
/// block top right with the date under it, the address in the envelope
/// window top left, the heading in bold, then the body (`# ` lines as
/// headings, `* ` and `- ` lines as bullets, `***` a new page).
pub fn render_letter(letter: &LetterContent) -> Vec<u8> {
    let mut pages = Pages::new();
    // Contact block and date, top right.
    let mut y = TOP;
    for line in letter.contact_block.unwrap_or_default().lines() {
        y -= 13.0;
        pages.text_at(CONTACT_LEFT, y, line.trim_end(), Face::Regular, 10.0);
    }
    y -= 20.0;
    pages.text_at(CONTACT_LEFT, y, &letter.date, Face::Regular, 10.0);
    // The address, in the window of a C5 envelope.
    let mut address_y = A4.1 - 50.0 * MM;
    for line in &letter.address {
        pages.text_at(LEFT, address_y, line, Face::Regular, BODY_SIZE);
        address_y -= 13.0;
    }
    pages.y = (A4.1 - 95.0 * MM).min(y.min(address_y) - 2.0 * LEADING);
    pages.flow(LEFT, letter.heading, Face::Bold, 12.0, 16.0);
    pages.y -= LEADING / 2.0;
    let body = letter.body.replace("\r\n", "\n");
    for block in body.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.trim() == "***" {
            pages.new_page();
            continue;
        }
        for line in block.lines() {
            if let Some(heading) = line.strip_prefix("# ") {
                pages.flow(LEFT, heading.trim(), Face::Bold, 12.0, 16.0);
            } else if let Some(item) = line.strip_prefix("* ").or_else(|| line.strip_prefix("- ")) {
                let before = pages.y;
                pages.flow(LEFT + 5.0 * MM, item.trim(), Face::Regular, BODY_SIZE, LEADING);
                if pages.y < before {
                    let first = if pages.y == before - LEADING { pages.y } else { before - LEADING };
                    if first > BOTTOM {
                        pages.text_at(LEFT + 1.5 * MM, first, "•", Face::Regular, BODY_SIZE);
                    }
                }
            } else {
                pages.flow(LEFT, line.trim_end(), Face::Regular, BODY_SIZE, LEADING);
            }
        }
        pages.y -= LEADING / 2.0;
    }
    write_pdf(pages.pages, letter.heading)
}

fn write_pdf(pages: Vec<Vec<Operation>>, title: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = |doc: &mut Document, base: &str| {
        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => base,
            "Encoding" => "WinAnsiEncoding",
        })
    };
    let regular = font(&mut doc, "Helvetica");
    let bold = font(&mut doc, "Helvetica-Bold");
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => regular, "F2" => bold },
    });
    let mut kids = Vec::new();
    for operations in pages {
        let content = Content { operations }.encode().unwrap_or_default();
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), A4.0.into(), A4.1.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let info = doc.add_object(dictionary! {
        "Title" => Object::string_literal(encode(title)),
        "Producer" => Object::string_literal("GOV.UK Notify-compatible API integration service"),
    });
    doc.trailer.set("Info", info);
    doc.compress();
    let mut out = Vec::new();
    if let Err(e) = doc.save_to(&mut out) {
        tracing::warn!(error = %e, "could not write a letter's PDF");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn letter(body: &str) -> Vec<u8> {
        render_letter(&LetterContent {
            address: vec!["Ada Lovelace", "1 Street", "SW1A 1AA"],
            contact_block: Some("The Department\n10 Whitehall"),
            date: "29 November 2026".into(),
            heading: "Your appointment",
            body,
        })
    }

    /// A one-page letter with more objects than a file may hold.
    fn too_many_objects() -> Vec<u8> {
        let mut objects: Vec<String> = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>".into(),
        ];
        objects.extend(std::iter::repeat_n("[0]".to_string(), MAX_OBJECTS));
        let mut out = b"%PDF-1.5\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).bytes());
        }
        let xref = out.len();
        out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for o in offsets {
            out.extend(format!("{o:010} 00000 n \n").bytes());
        }
        out.extend(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes(),
        );
        out
    }

    fn text_of(pdf: &[u8]) -> (usize, String) {
        let doc = Document::load_mem(pdf).expect("our PDF opens");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        (pages.len(), doc.extract_text(&pages).expect("text"))
    }

    #[test]
    fn a_rendered_letter_reads_back_with_every_part() {
        let pdf = letter("Dear Ada,\n\nPlease come — at 10:00 (£5 parking).\n\n* bring ID");
        let (pages, text) = text_of(&pdf);
        assert_eq!(pages, 1);
        for part in [
            "Ada Lovelace",
            "SW1A 1AA",
            "The Department",
            "10 Whitehall",
            "29 November 2026",
            "Your appointment",
            "Dear Ada,",
            "£5 parking",
            "bring ID",
        ] {
            assert!(text.contains(part), "{part:?} missing from {text:?}");
        }
        assert_eq!(check_pdf(&pdf), LetterCheck { page_count: Some(1), invalid_reason: None, invalid_pages: vec![] });
    }

    #[test]
    fn long_letters_turn_the_page_and_page_breaks_are_kept() {
        let long = vec!["A sentence that goes on for a while to fill the line."; 200].join("\n\n");
        let (pages, _) = text_of(&letter(&long));
        assert!(pages > 3, "{pages}");
        let (pages, text) = text_of(&letter("First page\n\n***\n\nSecond page"));
        assert_eq!(pages, 2);
        assert!(text.contains("Second page"));
    }

    #[test]
    fn lines_wrap_within_the_width() {
        let lines = wrap(&"word ".repeat(100), Face::Regular, 11.0, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| text_width(l, Face::Regular, 11.0) <= 200.0));
        let broken = wrap(&"x".repeat(300), Face::Regular, 11.0, 100.0);
        assert!(broken.len() > 1 && broken.iter().all(|l| text_width(l, Face::Regular, 11.0) <= 100.0));
    }

    #[test]
    fn files_that_are_not_letters_are_refused_with_notifys_reasons() {
        assert_eq!(check_pdf(b"not a pdf").invalid_reason.as_deref(), Some("unable-to-read-the-file"));
        assert_eq!(check_pdf(&too_many_objects()).invalid_reason.as_deref(), Some("unable-to-read-the-file"));
        assert_eq!(check_pdf(b"%PDF-1.7 truncated").invalid_reason.as_deref(), Some("unable-to-read-the-file"));
        let eleven = ["x"; 11].join("\n\n***\n\n");
        let check = check_pdf(&letter(&eleven));
        assert_eq!(check.invalid_reason.as_deref(), Some("letter-too-long"));
        assert_eq!(check.page_count, Some(11));
        // A letter-size (US) page and a landscape A4 one.
        let mut doc = Document::load_mem(&letter("x\n\n***\n\ny\n\n***\n\nz")).unwrap();
        let pages: Vec<ObjectId> = doc.get_pages().values().copied().collect();
        doc.get_dictionary_mut(pages[1]).unwrap().set("MediaBox", vec![0.into(), 0.into(), 612.into(), 792.into()]);
        doc.get_dictionary_mut(pages[2]).unwrap().set("Rotate", 90);
        let mut changed = Vec::new();
        doc.save_to(&mut changed).unwrap();
        let check = check_pdf(&changed);
        assert_eq!(check.invalid_reason.as_deref(), Some("letter-not-a4-portrait-oriented"));
        assert_eq!(check.invalid_pages, vec![2, 3]);
        assert_eq!(
            refusal_text("letter-not-a4-portrait-oriented", Some(3), &check.invalid_pages).1,
            "Validation failed because pages 2 and 3 are not A4 portrait size. Files must meet our letter specification."
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn checking_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), pdf_head in any::<bool>()) {
            let mut input = if pdf_head { b"%PDF-1.4\n".to_vec() } else { Vec::new() };
            input.extend(bytes);
            let check = check_pdf(&input);
            prop_assert!(check.invalid_reason.is_some());
        }

        #[test]
        fn a_mangled_letter_never_panics(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
            let mut pdf = letter("Dear Ada,\n\nHello.");
            let at = flip % pdf.len();
            pdf[at] = byte;
            pdf.truncate(cut.max(1).min(pdf.len()));
            let _ = check_pdf(&pdf);
        }

        #[test]
        fn any_text_renders_into_a_pdf_that_opens(body in "\\PC{0,400}") {
            let pdf = letter(&body);
            prop_assert!(Document::load_mem(&pdf).is_ok());
        }
    }
}
