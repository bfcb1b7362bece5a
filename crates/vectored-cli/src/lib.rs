//! The `vectored` command-line tool. Its one subcommand, `bench`, times ways of writing many
//! buffers (one write per buffer, `BufWriter`, concatenation, `writev` loops, the library's
//! write-all loops, coalescing) on `/dev/null`, files, pipes and sockets, and datagram
//! sends (one `send` each, `sendmmsg`, the library's `DatagramSender`) on UDP loopback, and
//! reports medians, ratios and system-call counts as a table, CSV, Markdown, JSON or an SVG
//! chart.
//!
//! It uses only the public API of the `vectored` crate (plus `rustix` and std for the
//! baseline strategies). The modules are public so that the integration tests can drive the
//! harness directly.

pub mod bench;
pub mod busy;
pub mod cli;
pub mod cpus;
pub mod harness;
pub mod machine;
pub mod plan;
pub mod plot;
pub mod regret;
pub mod render;
pub mod report;
pub mod strategy;
pub mod syscalls;
pub mod target;
pub mod workload;

/// Runs `cli` and returns what to print on stdout.
///
/// # Errors
///
/// Whatever the subcommand fails with.
pub fn run(cli: &cli::Cli) -> anyhow::Result<String> {
    match &cli.command {
        cli::Command::Bench(args) => bench::run(args, std::env::args().collect()),
        cli::Command::Drain(args) => {
            drain(args)?;
            Ok(String::new())
        }
    }
}

/// `vectored drain`: the reader process of `bench --reader process`, reading its stdin and
/// replying on its stdout.
fn drain(args: &cli::DrainArgs) -> anyhow::Result<()> {
    use std::os::fd::AsFd as _;
    if let Some(cpu) = args.cpu {
        cpus::pin_this_thread(cpu)?;
    }
    let source = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    let mut replies = std::io::stdout().lock();
    target::drain_main(source, &mut replies, args.shape())?;
    Ok(())
}
