//! Spreadsheets read whole (`.xls`, `.ods`): calamine reads these only as
//! one grid from the first cell used to the last, which a small file can
//! make gigabytes (a cell a million rows down), and an allocation failure
//! aborts a process. So they are read in a child process under the
//! kernel's limits (`child`): this server's binary run as `server
//! read-spreadsheet`, the file on its standard input, the sheet as CSV text
//! on its standard output. A child that runs out of its limits answers
//! Notify's "Your file took too long to process"; the server carries on.
//! (`.xlsx` and `.xlsm` are read cell by cell in the server itself,
//! `app::domain::recipient_file::read_excel`.)

use crate::child::{self, Limits};
use app::domain::recipient_file::{read_whole_sheet, FileProblem, MAX_FILE_BYTES};
use app::ssr::uploads::SheetReader;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What reading one spreadsheet may take: a real one of 100,000 rows needs
/// a few hundred megabytes at most.
pub const LIMITS: Limits = Limits { memory: 1024 * 1024 * 1024, cpu_seconds: 8, wall_clock: Duration::from_secs(15) };

/// The child's side: reads the file from standard input, writes the first
/// sheet as CSV text, or a problem's code with exit status 4.
pub fn child_main() -> ExitCode {
    let mut bytes = Vec::new();
    if std::io::stdin().lock().take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).is_err() {
        return ExitCode::from(3);
    }
    let mut out = std::io::stdout().lock();
    let (text, status) = match read_whole_sheet(&bytes) {
        Ok(text) => (text, ExitCode::SUCCESS),
        Err(problem) => (problem_code(&problem), ExitCode::from(4)),
    };
    if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
        return ExitCode::from(3);
    }
    status
}

fn problem_code(problem: &FileProblem) -> String {
    match problem {
        FileProblem::Empty => "empty".into(),
        FileProblem::TooLarge => "too-large".into(),
        FileProblem::CannotRead => "cannot-read".into(),
        FileProblem::TooManyColumns => "too-many-columns".into(),
        FileProblem::CellTooLong(row) => format!("cell-too-long {row}"),
        FileProblem::TooMuchToUnpack => "too-much".into(),
    }
}

fn problem_of(code: &str) -> FileProblem {
    match code.split_once(' ') {
        Some(("cell-too-long", row)) => row.parse().map(FileProblem::CellTooLong).unwrap_or(FileProblem::CannotRead),
        _ => match code {
            "empty" => FileProblem::Empty,
            "too-large" => FileProblem::TooLarge,
            "too-many-columns" => FileProblem::TooManyColumns,
            "too-much" => FileProblem::TooMuchToUnpack,
            _ => FileProblem::CannotRead,
        },
    }
}

/// Reads spreadsheets in a child process running `program`, within
/// `limits`.
pub struct ChildReader {
    pub program: PathBuf,
    pub limits: Limits,
}

impl ChildReader {
    /// The configured program (`NOTIFY_LETTER_CHECKER`, this server's own
    /// binary by default: the same binary runs both children).
    pub fn new(configured: Option<PathBuf>) -> std::io::Result<Self> {
        let program = match configured {
            Some(p) => p,
            None => std::env::current_exe()?,
        };
        Ok(Self { program, limits: LIMITS })
    }
}

impl SheetReader for ChildReader {
    fn read_whole_sheet(
        &self,
        bytes: Vec<u8>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, FileProblem>> + Send + '_>> {
        Box::pin(async move {
            match child::run(&self.program, "read-spreadsheet", bytes, self.limits).await {
                Ok(output) if output.status.success() => {
                    String::from_utf8(output.stdout).map_err(|_| FileProblem::CannotRead)
                }
                Ok(output) if output.status.code() == Some(4) => {
                    Err(problem_of(String::from_utf8_lossy(&output.stdout).trim()))
                }
                Ok(output) => {
                    tracing::warn!(status = %output.status, "a spreadsheet's reader ran out of its limits");
                    Err(FileProblem::TooMuchToUnpack)
                }
                Err(why) => {
                    tracing::warn!(reason = %why, "a spreadsheet could not be read");
                    Err(FileProblem::TooMuchToUnpack)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_cross_the_pipe_unchanged() {
        for problem in [
            FileProblem::Empty,
            FileProblem::TooLarge,
            FileProblem::CannotRead,
            FileProblem::TooManyColumns,
            FileProblem::CellTooLong(7),
            FileProblem::TooMuchToUnpack,
        ] {
            assert_eq!(problem_of(&problem_code(&problem)), problem);
        }
    }
}
