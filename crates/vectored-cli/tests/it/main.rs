//! The CLI's integration tests, built as one test binary (`autotests = false` in the
//! manifest).

mod cli;
mod datagram;
mod harness;

// Visible skips (see the file): the same code as the core crate's tests.
#[path = "../../../vectored/tests/it/support/skip.rs"]
#[allow(dead_code)] // this crate's tests need only `Facility::BenchTarget`
mod skip;
