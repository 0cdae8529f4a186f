//! The server binary: a thin shim over the `server` library.

/// mimalloc instead of glibc's allocator: under load glibc's malloc and free
/// were about 14% of the server's CPU (perf, `bench/api.sh`'s POST).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // SQLite allocates with the C library's malloc, rows of megabytes
    // included. glibc raises its threshold for serving a block by mmap each
    // time such a block is freed, after which large blocks come from per-
    // thread arenas that keep them: under a run of 2 MB messages the
    // server's memory ratcheted up by about 40 MB. A fixed threshold gives
    // every large block back when it is freed. (Before any thread starts.)
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets an allocator parameter.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    server::cli::main()
}
