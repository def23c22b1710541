//! The `mailroom` binary: the server and the operator commands.
use mailroom::cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::run().await
}
