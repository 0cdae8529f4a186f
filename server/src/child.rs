//! Work that could take the whole server with it, done in a child process:
//! this server's own binary run with a hidden subcommand, the input on its
//! standard input, the answer on its standard output. The kernel bounds
//! what the child may take: address space and CPU time by `setrlimit`
//! before it runs, and a wall clock by the parent, which kills it past that
//! time; the child runs at a lower priority (nice 10), so requests come
//! first. Used to check precompiled letters (`letters::checker`) and to
//! read spreadsheets that are read whole (`spreadsheets`).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// What a child may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Address space, in bytes.
    pub memory: u64,
    /// CPU seconds.
    pub cpu_seconds: u64,
    /// How long the parent waits before killing it.
    pub wall_clock: Duration,
}

/// Runs `program subcommand` with `input` on its standard input, within
/// `limits`: its output when it ran to its end (whatever its exit status),
/// or why there is none, in words for the log (never the input).
pub async fn run(
    program: &Path,
    subcommand: &str,
    input: Vec<u8>,
    limits: Limits,
) -> Result<std::process::Output, String> {
    let mut command = tokio::process::Command::new(program);
    command
        .arg(subcommand)
        .env_clear()
        // mimalloc reserves 1 GiB of address space up front by default,
        // more than the child may have.
        .env("MIMALLOC_ARENA_RESERVE", "16MiB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let Limits { memory, cpu_seconds, .. } = limits;
    // SAFETY: the closure runs in the child between fork and exec and calls
    // only setrlimit and setpriority, which are async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            let limit = |resource, value: u64| {
                let l = libc::rlimit { rlim_cur: value, rlim_max: value };
                if libc::setrlimit(resource, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            limit(libc::RLIMIT_AS, memory)?;
            limit(libc::RLIMIT_CPU, cpu_seconds)?;
            limit(libc::RLIMIT_CORE, 0)?;
            libc::setpriority(libc::PRIO_PROCESS, 0, 10);
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| format!("could not start {} {subcommand}: {e}", program.display()))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written beside the wait: a child that stops reading cannot block us.
    let feed = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
    });
    let waited = tokio::time::timeout(limits.wall_clock, child.wait_with_output()).await;
    feed.abort();
    match waited {
        // Dropping the child's future killed it (kill_on_drop).
        Err(_) => Err(format!("no result within {:?}; the child was killed", limits.wall_clock)),
        Ok(Err(e)) => Err(format!("could not wait for the child: {e}")),
        Ok(Ok(output)) => Ok(output),
    }
}
