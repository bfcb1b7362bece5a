//! The crate's integration tests, built as one test binary (`autotests = false` in the
//! manifest): one link instead of one per file. Each module covers one area; the test names
//! carry the module path (`cargo test -p vectored --test it sigpipe::`).

mod support;

#[cfg(target_os = "linux")]
mod datagram;
mod examples;
mod faults;
mod fd_coalesce;
mod fd_file;
mod fd_pipe;
mod fd_socket;
mod http_clients;
mod large;
mod net_faults;
mod prop;
mod queue;
mod sigpipe;
mod sys;
mod tokio;
mod tokio_http;
