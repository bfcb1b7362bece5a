//! Visible skips: a test that cannot run here says so where it counts.
//!
//! `cargo test` hides the output of passing tests, so a test that prints "skipped" and returns
//! early shows up as `ok`. Such a test calls [`skip`] instead (and then returns), which
//!
//! - appends `<package> <test name>: <reason> [<facility>]` to the file named by
//!   `VECTORED_SKIP_LOG`, if set: `scripts/test` sets it, lists every line in its final
//!   summary and does not count these tests as passed;
//! - under CI (`CI=true`), panics, failing the test, when the facility is one that every
//!   machine CI runs on has ([`Facility::expected_on_ci`]): there a skip means the setup or
//!   the test is broken, not that the machine lacks something.
//!
//! The crate's tests include this file as `support::skip`; the CLI's tests include the same
//! file with `#[path]`.

use std::fmt;
use std::io::Write;

/// Something a test needs that a machine may lack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Facility {
    /// Network namespaces joined by a veth pair: root and iproute2's `ip netns`.
    NetNs,
    /// A private mount namespace: `unshare -m` (util-linux) as root.
    UnshareMount,
    /// Mounting a tmpfs (inside a private mount namespace): root.
    Tmpfs,
    /// Several GiB of free disk space in the temp dir.
    FreeDisk,
    /// A kernel that knows `RWF_NOSIGNAL` for `pwritev2` (Linux 6.18 and later).
    KernelRwfNoSignal,
    /// The `curl` command.
    Curl,
    /// The load generators `ab` (apache2-utils) and `wrk`, which `scripts/test` installs.
    HttpLoadClients,
    /// A target of the CLI's benchmark (`/dev/null`, a tmpfs or disk file, a pipe, a Unix or
    /// TCP socket) that the CLI opens by itself.
    #[allow(dead_code)] // used by the CLI's tests only
    BenchTarget,
}

impl Facility {
    /// Whether every machine CI runs on has this facility, so that a skip under `CI=true`
    /// is a failure.
    ///
    /// CI runs as root on a Linux machine of one kind, after `scripts/test` has installed
    /// the tools it needs (iproute2, util-linux, curl, ab, wrk). What it cannot promise: free disk
    /// space (a state of the machine, not of its kind) and the kernel version (the host's
    /// choice; an older kernel is a platform the crate supports).
    pub(crate) fn expected_on_ci(self) -> bool {
        match self {
            Self::NetNs
            | Self::UnshareMount
            | Self::Tmpfs
            | Self::Curl
            | Self::HttpLoadClients
            | Self::BenchTarget => {
                cfg!(target_os = "linux")
            }
            Self::FreeDisk | Self::KernelRwfNoSignal => false,
        }
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NetNs => "network namespaces (root, ip netns)",
            Self::UnshareMount => "a private mount namespace (unshare -m)",
            Self::Tmpfs => "a tmpfs mount",
            Self::FreeDisk => "free disk space",
            Self::KernelRwfNoSignal => "a kernel with RWF_NOSIGNAL (Linux 6.18+)",
            Self::Curl => "curl",
            Self::HttpLoadClients => "ab and wrk (scripts/install-http-clients)",
            Self::BenchTarget => "a benchmark target",
        })
    }
}

/// Whether this run is CI's (`CI=true`, as CI services set it).
pub(crate) fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Records that the running test skips (all or part of) what it checks, for lack of
/// `facility`; the caller then returns. Under CI, panics instead when the facility is
/// [expected there](Facility::expected_on_ci).
///
/// The test's name is its thread's: libtest runs each test on a thread named after it.
#[track_caller]
pub(crate) fn skip(facility: Facility, reason: impl fmt::Display) {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("<unnamed thread>");
    // One line per skip, whatever the reason holds.
    let reason = reason.to_string().replace('\n', " ");
    assert!(
        !(on_ci() && facility.expected_on_ci()),
        "`{name}` would skip under CI=true, but every CI machine has {facility}: {reason}"
    );
    let line = format!("{} {name}: {reason} [{facility}]\n", env!("CARGO_PKG_NAME"));
    eprint!("SKIPPED {line}");
    if let Some(path) = std::env::var_os("VECTORED_SKIP_LOG") {
        // O_APPEND: lines from parallel tests and processes do not overwrite each other.
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("open VECTORED_SKIP_LOG {}: {e}", path.display()));
        log.write_all(line.as_bytes())
            .unwrap_or_else(|e| panic!("write VECTORED_SKIP_LOG {}: {e}", path.display()));
    }
}
