//! The server binary: a thin shim over the `server` library.

fn main() -> std::process::ExitCode {
    server::cli::main()
}
