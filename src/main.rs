//! The `mailroom` binary: the server and the operator commands.
use mailroom::cli;

/// mimalloc: the server allocates many small short-lived buffers per request on several threads, where
/// glibc's allocator measurably costs more (and fragments more).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::run().await
}
