//! Precompiled letters are checked in a child process, one per file: this
//! server's own binary run as `server check-letter-pdf`, the file on its
//! standard input, the result on its standard output. A PDF can make a
//! reader allocate gigabytes from a few kilobytes (lopdf bounds each
//! stream, not the whole document), and an allocation failure aborts a
//! process; so the reading happens where the kernel bounds it:
//!
//! - address space ([`MEMORY_LIMIT`]) and CPU time ([`CPU_SECONDS`]) by
//!   `setrlimit` before the child runs, a wall clock ([`WALL_CLOCK`]) by the
//!   parent, which kills the child past it;
//! - the child runs at a lower priority (nice 10), so requests come first.
//!
//! A check that ends any other way than with a result (killed by a limit,
//! aborted, timed out) is counted; the letter is tried again once, then
//! refused with Notify's "unable to read" reason and an alert in the log.
//! The server never dies because of a letter, and never tries one forever.

use app::ssr::store::LetterCheck;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Address space the checker may use: a real letter of 10 pages needs a
/// few tens of megabytes.
pub const MEMORY_LIMIT: u64 = 512 * 1024 * 1024;
/// CPU seconds the checker may use (a real letter takes milliseconds).
pub const CPU_SECONDS: u64 = 4;
/// How long the server waits for a check before killing it.
pub const WALL_CLOCK: Duration = Duration::from_secs(10);
/// Checks that may begin for one letter before it is refused.
pub const MAX_ATTEMPTS: i64 = 2;
/// The largest file the child reads (the API's body limit bounds it well
/// below this).
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// The child's side: reads a file from standard input, checks it, writes
/// the result as one JSON line.
pub fn child_main() -> ExitCode {
    let mut pdf = Vec::new();
    if std::io::stdin().lock().take(MAX_INPUT).read_to_end(&mut pdf).is_err() {
        return ExitCode::from(3);
    }
    let check = super::check_pdf(&pdf);
    let line = serde_json::json!({
        "page_count": check.page_count,
        "invalid_reason": check.invalid_reason,
        "invalid_pages": check.invalid_pages,
    });
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

/// How a check in a child process ended.
#[derive(Debug)]
pub enum Outcome {
    Checked(LetterCheck),
    /// No result: why, in words for the log (never the file's content).
    Failed(String),
}

/// Checks `pdf` in a child process running `program check-letter-pdf`.
pub async fn check_in_child(program: &Path, pdf: Vec<u8>) -> Outcome {
    let limits = crate::child::Limits { memory: MEMORY_LIMIT, cpu_seconds: CPU_SECONDS, wall_clock: WALL_CLOCK };
    let output = match crate::child::run(program, "check-letter-pdf", pdf, limits).await {
        Ok(output) => output,
        Err(why) => return Outcome::Failed(why),
    };
    if !output.status.success() {
        return Outcome::Failed(format!("the checker ended without a result ({})", output.status));
    }
    match parse(&output.stdout) {
        Some(check) => Outcome::Checked(check),
        None => Outcome::Failed("the checker's answer could not be read".to_string()),
    }
}

fn parse(stdout: &[u8]) -> Option<LetterCheck> {
    let v: serde_json::Value = serde_json::from_slice(stdout).ok()?;
    Some(LetterCheck {
        page_count: v.get("page_count")?.as_i64(),
        invalid_reason: v.get("invalid_reason")?.as_str().map(str::to_string),
        invalid_pages: v
            .get("invalid_pages")?
            .as_array()?
            .iter()
            .filter_map(|p| p.as_u64().and_then(|p| u32::try_from(p).ok()))
            .collect(),
    })
}

/// The refusal of a letter whose checks never gave a result: Notify's
/// "cannot read this PDF".
pub fn unreadable() -> LetterCheck {
    LetterCheck { page_count: None, invalid_reason: Some("unable-to-read-the-file".into()), invalid_pages: vec![] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_childs_answer_is_read_back() {
        let check = parse(br#"{"page_count": 11, "invalid_reason": "letter-too-long", "invalid_pages": [2, 3]}"#);
        assert_eq!(
            check,
            Some(LetterCheck {
                page_count: Some(11),
                invalid_reason: Some("letter-too-long".into()),
                invalid_pages: vec![2, 3]
            })
        );
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"{\"page_count\": 1}"), None);
    }

    #[tokio::test]
    async fn a_checker_that_cannot_start_is_a_failure_not_a_panic() {
        let outcome = check_in_child(Path::new("/nonexistent/checker"), b"%PDF-1.4".to_vec()).await;
        assert!(matches!(outcome, Outcome::Failed(ref why) if why.contains("could not start")), "{outcome:?}");
    }

    fn script(dir: &Path, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("checker");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[tokio::test]
    async fn the_checker_runs_under_its_memory_and_cpu_limits() {
        // The stand-in answers only when the kernel holds it to the limits.
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "[ \"$(ulimit -v)\" = {} ] && [ \"$(ulimit -t)\" = {CPU_SECONDS} ] && [ \"$(ulimit -c)\" = 0 ] || exit 1\n\
             cat > /dev/null\necho '{{\"page_count\": 1, \"invalid_reason\": null, \"invalid_pages\": []}}'",
            MEMORY_LIMIT / 1024
        );
        let outcome = check_in_child(&script(dir.path(), &body), b"%PDF-1.4".to_vec()).await;
        assert!(matches!(outcome, Outcome::Checked(ref c) if c.page_count == Some(1)), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_checker_that_dies_gives_no_result() {
        let dir = tempfile::tempdir().unwrap();
        let outcome = check_in_child(&script(dir.path(), "kill -9 $$"), b"%PDF-1.4".to_vec()).await;
        assert!(matches!(outcome, Outcome::Failed(ref why) if why.contains("without a result")), "{outcome:?}");
    }
}
