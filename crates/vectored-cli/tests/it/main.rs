//! The CLI's integration tests, built as one test binary (`autotests = false` in the
//! manifest).

mod cli;
mod datagram;
mod harness;
