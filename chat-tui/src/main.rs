//! chat-tui: chat's terminal client. Placeholder until the client lands;
//! it says so instead of pretending to work.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "chat-tui {}: the terminal client is not available yet; use the REST API (see README.md)",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::FAILURE
}
