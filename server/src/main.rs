//! The server binary: a thin shim over the `server` library.

/// mimalloc instead of glibc's allocator: under load glibc's malloc and free
/// were about 14% of the server's CPU (perf, `bench/api.sh`'s POST).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    server::cli::main()
}
