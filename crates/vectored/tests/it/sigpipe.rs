//! `SIGPIPE` must never kill the process: writes to a pipe or socket whose other end is gone
//! fail with `BrokenPipe`, leave no `SIGPIPE` pending and leave the thread's signal mask as
//! it was.
//!
//! Rust's runtime sets `SIGPIPE` to `SIG_IGN` before `main`, so an in-process test could never
//! see the death. Each scenario therefore runs in a child process: this test binary re-runs
//! itself with `--ignored --exact <child test>` and `VECTORED_SIGPIPE_CHILD` set; the child test puts
//! `SIGPIPE` back to `SIG_DFL`, writes, and prints a marker. The parent checks that the child
//! exited normally (not by signal 13) and printed the marker. The child tests are `#[ignore]`d,
//! so that a plain run does not count them, and without the variable they return at once.

use crate::support;

use std::io::{self, IoSlice, Read};
use std::mem::MaybeUninit;
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::thread;
use std::time::Duration;

use support::{chunks, pipe, run_child, slices, small_pipe, test_name};
use vectored::{FdKind, FdOptions};

const CHILD_VAR: &str = "VECTORED_SIGPIPE_CHILD";
const MARKER: &str = "vectored-sigpipe-child-survived";

fn in_child() -> bool {
    std::env::var_os(CHILD_VAR).is_some()
}

/// Runs `child_test` (a full test name) in a child process and checks it survived and
/// reported `scenario`.
fn expect_child_survives(child_test: &str, scenario: &str) {
    let out = run_child(child_test, (CHILD_VAR, "1"), Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some(signal) = out.status.signal() {
        panic!(
            "child `{child_test}` was killed by signal {signal} (SIGPIPE is {}).\n\
             stdout:\n{stdout}\nstderr:\n{stderr}",
            libc::SIGPIPE
        );
    }
    assert!(
        out.status.success(),
        "child `{child_test}` failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(&format!("{MARKER}: {scenario}")),
        "child `{child_test}` did not report `{scenario}`.\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run.\nstdout:\n{stdout}"
    );
}

/// The signals blocked in this thread's mask.
fn blocked_signals() -> Vec<i32> {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: with a null new set, `pthread_sigmask` only writes the current mask to `set`,
    // which is valid for writes.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr()) };
    assert_eq!(rc, 0, "pthread_sigmask");
    // SAFETY: `pthread_sigmask` succeeded, so it initialized `set`.
    let set = unsafe { set.assume_init() };
    (1..65)
        .filter(|&sig| {
            // SAFETY: `set` is initialized and 1..65 are valid signal numbers on Linux.
            unsafe { libc::sigismember(std::ptr::from_ref(&set), sig) == 1 }
        })
        .collect()
}

fn sigpipe_pending() -> bool {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigpending` writes the pending set to `set`, which is valid for writes.
    let rc = unsafe { libc::sigpending(set.as_mut_ptr()) };
    assert_eq!(rc, 0, "sigpending");
    // SAFETY: `sigpending` succeeded, so `set` is initialized.
    unsafe { libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1 }
}

/// Puts `SIGPIPE` back to its default action (terminate), as in a C program or a Python
/// process that embeds this library.
fn default_sigpipe() {
    // SAFETY: installs the default disposition for a valid signal number; this child process
    // runs a single test on one thread and does not rely on the previous disposition.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR, "signal(SIGPIPE, SIG_DFL)");
}

/// In the child: run `write` with `SIGPIPE` at its default, expect `BrokenPipe`, and check
/// that no signal is left pending and the mask is unchanged.
fn child_scenario(scenario: &str, write: impl FnOnce() -> vectored::Result<usize>) {
    default_sigpipe();
    let mask = blocked_signals();
    assert!(!sigpipe_pending(), "SIGPIPE pending before the write");
    let err = write().expect_err("write to a closed peer succeeded");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EPIPE), "{err}");
    assert!(!sigpipe_pending(), "a SIGPIPE was left pending");
    assert_eq!(blocked_signals(), mask, "the thread's signal mask changed");
    println!("{MARKER}: {scenario} (transferred {})", err.transferred());
}

// --- Child tests: they do something only when run by the parent tests below. --------------

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_pipe_reader_gone() {
    if !in_child() {
        return;
    }
    child_scenario("pipe reader gone", || {
        let (r, w) = pipe();
        drop(r);
        let data = chunks(50, &[0, 10, 20]);
        vectored::write_all_fd(&w, &slices(&data), &FdOptions::new())
    });
}

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_pipe_reader_leaves_mid_transfer() {
    if !in_child() {
        return;
    }
    child_scenario("pipe reader leaves mid-transfer", || {
        // A blocking one-page pipe: the writer is blocked in the kernel when the reader goes.
        let (r, w) = small_pipe(4096);
        rustix::io::ioctl_fionbio(&w, false).unwrap();
        let reader = thread::spawn(move || {
            let mut got = vec![0u8; 10_000];
            std::fs::File::from(r).read_exact(&mut got).unwrap();
        });
        let data = chunks(51, &[1000; 1000]);
        let result =
            vectored::write_all_fd(&w, &slices(&data), &FdOptions::new().kind(FdKind::Pipe));
        reader.join().unwrap();
        if let Err(e) = &result {
            assert!(e.transferred() >= 10_000, "{e}");
        }
        result
    });
}

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_unix_socket_peer_gone() {
    if !in_child() {
        return;
    }
    child_scenario("unix socket peer gone", || {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let data = chunks(52, &[0, 10, 20]);
        vectored::write_all_fd(&a, &slices(&data), &FdOptions::new())
    });
}

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_unix_socket_peer_leaves_mid_transfer() {
    if !in_child() {
        return;
    }
    child_scenario("unix socket peer leaves mid-transfer", || {
        let (a, mut b) = UnixStream::pair().unwrap();
        let reader = thread::spawn(move || {
            let mut got = vec![0u8; 10_000];
            b.read_exact(&mut got).unwrap();
        });
        let mib = vec![1u8; 1 << 20];
        let bufs = vec![IoSlice::new(&mib); 16];
        let result = vectored::write_all_fd(&a, &bufs, &FdOptions::new());
        reader.join().unwrap();
        result
    });
}

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_tcp_peer_gone() {
    if !in_child() {
        return;
    }
    child_scenario("tcp peer gone", || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        drop(listener.accept().unwrap());
        let data = chunks(53, &[4096; 16]);
        // The first writes may still be accepted and answered with a reset; once the reset
        // has arrived, every write is EPIPE (the case that raises SIGPIPE).
        for _ in 0..1000 {
            match vectored::write_all_fd(&client, &slices(&data), &FdOptions::new()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(e),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
                Err(e) => panic!("unexpected {e}"),
                Ok(_) => thread::sleep(Duration::from_millis(1)),
            }
        }
        panic!("never saw EPIPE");
    });
}

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_pending_sigpipe_is_left_alone() {
    if !in_child() {
        return;
    }
    default_sigpipe();
    // The program already has a SIGPIPE of its own pending (blocked): the write must neither
    // consume it nor unblock it.
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigemptyset` initializes `set`; `sigaddset` gets an initialized set and a valid
    // signal; `pthread_sigmask` blocks SIGPIPE for this thread only; `raise` sends it to this
    // thread, where it stays pending because it is blocked.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut()),
            0
        );
        assert_eq!(libc::raise(libc::SIGPIPE), 0);
    }
    assert!(sigpipe_pending());
    let mask = blocked_signals();
    let (r, w) = pipe();
    drop(r);
    let data = chunks(54, &[10]);
    let err = vectored::write_all_fd(&w, &slices(&data), &FdOptions::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert!(sigpipe_pending(), "the program's own SIGPIPE was consumed");
    assert_eq!(blocked_signals(), mask, "the mask changed");
    // Take our signal back so nothing stays pending, and check it was exactly one.
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `set` was initialized above; `zero` outlives the call; a null info pointer is
    // allowed.
    let sig = unsafe {
        libc::sigtimedwait(
            set.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::from_ref(&zero),
        )
    };
    assert_eq!(sig, libc::SIGPIPE);
    assert!(!sigpipe_pending(), "more than one SIGPIPE was pending");
    println!("{MARKER}: pending sigpipe left alone");
}

// --- Parent tests. --------------------------------------------------------------------------

#[test]
fn sigpipe_pipe_reader_gone() {
    expect_child_survives(&test_name!("child_pipe_reader_gone"), "pipe reader gone");
}

#[test]
fn sigpipe_pipe_reader_leaves_mid_transfer() {
    expect_child_survives(
        &test_name!("child_pipe_reader_leaves_mid_transfer"),
        "pipe reader leaves mid-transfer",
    );
}

#[test]
fn sigpipe_unix_socket_peer_gone() {
    expect_child_survives(
        &test_name!("child_unix_socket_peer_gone"),
        "unix socket peer gone",
    );
}

#[test]
fn sigpipe_unix_socket_peer_leaves_mid_transfer() {
    expect_child_survives(
        &test_name!("child_unix_socket_peer_leaves_mid_transfer"),
        "unix socket peer leaves mid-transfer",
    );
}

#[test]
fn sigpipe_tcp_peer_gone() {
    expect_child_survives(&test_name!("child_tcp_peer_gone"), "tcp peer gone");
}

#[test]
fn sigpipe_already_pending_is_left_alone() {
    expect_child_survives(
        &test_name!("child_pending_sigpipe_is_left_alone"),
        "pending sigpipe left alone",
    );
}

/// The harness itself: a child that writes with plain `writev` (no protection) must die of
/// SIGPIPE, or the tests above could pass without proving anything.
#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_unprotected_write_dies() {
    if !in_child() {
        return;
    }
    default_sigpipe();
    let (r, w) = pipe();
    drop(r);
    // FdKind::Other selects plain writev, which gives up the protection.
    let _ = vectored::write_all_fd(
        &w,
        &[IoSlice::new(b"x")],
        &FdOptions::new().kind(FdKind::Other),
    );
    println!("{MARKER}: unprotected write survived");
}

#[test]
fn harness_sees_a_sigpipe_death() {
    let out = run_child(
        &test_name!("child_unprotected_write_dies"),
        (CHILD_VAR, "1"),
        Duration::from_secs(60),
    );
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "an unprotected write to a closed pipe did not kill the child: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}
