//! `vectored`: see the `vectored_cli` library for the commands.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser as _;
use vectored_cli::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = match vectored_cli::run(&cli) {
        Ok(output) => output,
        Err(e) => {
            eprintln!("vectored: error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match print(&output) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output has gone (`vectored bench | head -1`): nothing is wrong,
        // as in ripgrep. Only stdout errors get here; a broken pipe on a benchmark target is
        // an error of `run` above.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vectored: error: writing the output: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes `output` to stdout with explicit error handling (`print!` would panic).
fn print(output: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(output.as_bytes())?;
    stdout.flush()
}
