//! chat-tui's entry point: parse the command line and hand over to the
//! library, which holds all the real work so tests can drive it.

use std::process::ExitCode;

fn main() -> ExitCode {
    chat_tui::main_entry()
}
