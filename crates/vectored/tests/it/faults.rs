//! Injected faults that need a process of their own: a short write followed by `ENOSPC` on a
//! 64 KiB tmpfs (private mount namespace), a short write followed by `EFBIG` under
//! `RLIMIT_FSIZE`, and an `EINTR` storm from 100 µs timers aimed at the reading and writing threads.
//!
//! Each parent test re-runs this binary with `--ignored --exact <child test>` and
//! `VECTORED_FAULT_CHILD` set; the child tests are `#[ignore]`d so that a plain run does not
//! count them, and without the variable they return at once. The children print a marker the
//! parent looks for, so a child that did not run cannot pass.

use crate::support;

use std::fs::{File, OpenOptions};
use std::io::{self, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use support::{
    child_args, chunks, drain_now, pipe, run_child, skip, slices, small_pipe, test_name,
    wait_with_limit, Facility, TempDir,
};
use vectored::{FdOptions, RwFlags};

const CHILD_VAR: &str = "VECTORED_FAULT_CHILD";
const MARKER: &str = "vectored-fault-child-done";
const LIMIT: Duration = Duration::from_secs(60);

fn child_var() -> Option<String> {
    std::env::var(CHILD_VAR).ok()
}

fn check_child_output(out: &std::process::Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child `{what}` failed: {} (signal {:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status,
        out.status.signal()
    );
    assert!(
        stdout.contains(&format!("{MARKER}: {what}")) && stdout.contains("1 passed"),
        "child `{what}` did not run.\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// Expects `err` to be a failure after a short write: the file holds exactly the bytes the
/// error counts, and they are the first bytes of `expected`.
fn check_short_then_error(err: &vectored::Error, path: &std::path::Path, expected: &[u8]) {
    let on_disk = std::fs::read(path).unwrap();
    assert_eq!(err.transferred(), on_disk.len(), "{err}");
    assert!(
        err.transferred() > 0 && err.transferred() < expected.len(),
        "{err}"
    );
    assert!(on_disk[..] == expected[..on_disk.len()]);
}

// --- ENOSPC after a short write on a tiny tmpfs. ---------------------------------------------

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_enospc_on_small_tmpfs() {
    let Some(dir) = child_var() else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    let data = chunks(60, &[10_000; 10]);
    let expected = data.concat();
    let bufs = slices(&data);

    let path = dir.join("fd");
    let file = File::create(&path).unwrap();
    let err = vectored::write_all_fd(&file, &bufs, &FdOptions::new()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
    check_short_then_error(&err, &path, &expected);
    drop(file);
    std::fs::remove_file(&path).unwrap();

    let path = dir.join("at");
    let file = File::create(&path).unwrap();
    let err = vectored::write_all_at(&file, &bufs, 0, RwFlags::empty()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
    check_short_then_error(&err, &path, &expected);
    drop(file);
    std::fs::remove_file(&path).unwrap();

    let path = dir.join("generic");
    let mut file = File::create(&path).unwrap();
    let err = vectored::write_all(&mut file, &bufs).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
    check_short_then_error(&err, &path, &expected);
    println!("{MARKER}: enospc");
}

#[test]
fn enospc_after_a_short_write_counts_exactly_what_is_on_disk() {
    // A private mount namespace: the tmpfs vanishes with the child, nothing to clean up.
    let probe = Command::new("unshare")
        .args(["-m", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(probe, Ok(s) if s.success()) {
        return skip(
            Facility::UnshareMount,
            format_args!("`unshare -m true` failed: {probe:?}"),
        );
    }
    let dir = TempDir::new("tmpfs");
    let exe = std::env::current_exe().unwrap();
    let script = r#"mount -t tmpfs -o size=64k tmpfs "$1" || { echo NO-TMPFS; exit 0; }
shift 1; exec "$@""#;
    let child = Command::new("unshare")
        .args(["-m", "sh", "-c", script, "sh"])
        .arg(dir.path())
        .arg(&exe)
        .args(child_args(&test_name!("child_enospc_on_small_tmpfs")))
        .env(CHILD_VAR, dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_with_limit(child, LIMIT, "enospc child");
    if String::from_utf8_lossy(&out.stdout).contains("NO-TMPFS") {
        return skip(
            Facility::Tmpfs,
            format_args!(
                "cannot mount a tmpfs in a private mount namespace: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        );
    }
    check_child_output(&out, "enospc");
}

// --- EFBIG after a short write under RLIMIT_FSIZE. --------------------------------------------

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_efbig_under_rlimit_fsize() {
    let Some(dir) = child_var() else {
        return;
    };
    // SAFETY: ignoring SIGXFSZ (which would otherwise kill this child at the limit) is a
    // valid disposition for a valid signal; this child runs only this test.
    let old = unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    assert_ne!(old, libc::SIG_ERR);
    rustix::process::setrlimit(
        rustix::process::Resource::Fsize,
        rustix::process::Rlimit {
            current: Some(65_536),
            maximum: Some(65_536),
        },
    )
    .unwrap();
    let data = chunks(61, &[10_000; 10]);
    let expected = data.concat();
    let path = std::path::Path::new(&dir).join("big");
    let file = File::create(&path).unwrap();
    let err = vectored::write_all_fd(&file, &slices(&data), &FdOptions::new()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EFBIG), "{err}");
    check_short_then_error(&err, &path, &expected);
    assert_eq!(err.transferred(), 65_536);

    let path = std::path::Path::new(&dir).join("big-at");
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let err = vectored::write_all_at(&file, &slices(&data), 0, RwFlags::empty()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EFBIG), "{err}");
    check_short_then_error(&err, &path, &expected);
    println!("{MARKER}: efbig");
}

#[test]
fn efbig_after_a_short_write_counts_exactly_what_is_on_disk() {
    let dir = TempDir::new("fsize");
    let out = run_child(
        &test_name!("child_efbig_under_rlimit_fsize"),
        (CHILD_VAR, dir.path().to_str().unwrap()),
        LIMIT,
    );
    check_child_output(&out, "efbig");
}

// --- EINTR storm. -------------------------------------------------------------------------------

static ALARMS: AtomicUsize = AtomicUsize::new(0);
static WRITE_EINTR: AtomicUsize = AtomicUsize::new(0);
static READ_EINTR: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_alarm(_: libc::c_int) {
    // Only an atomic add: async-signal-safe.
    ALARMS.fetch_add(1, Ordering::Relaxed);
}

#[allow(clippy::unnecessary_wraps)] // the hook's signature is fixed
fn count_write_eintr() -> io::Result<()> {
    WRITE_EINTR.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

#[allow(clippy::unnecessary_wraps)] // the hook's signature is fixed
fn count_read_eintr() -> io::Result<()> {
    READ_EINTR.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Gives up on the fifth `EINTR`.
fn stop_on_fifth_eintr() -> io::Result<()> {
    if WRITE_EINTR.fetch_add(1, Ordering::Relaxed) >= 4 {
        Err(io::Error::other("stopped by the interrupt hook"))
    } else {
        Ok(())
    }
}

/// Installs the SIGALRM handler without `SA_RESTART`, so that blocking calls interrupted by
/// it fail with `EINTR` (or return a short count) instead of restarting.
fn install_alarm_handler() {
    // SAFETY: a zeroed `sigaction` is a valid starting point; the handler is an
    // `extern "C" fn(c_int)` that only touches an atomic; no SA_RESTART on purpose.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(std::ptr::from_mut(&mut sa.sa_mask));
        sa.sa_flags = 0;
        assert_eq!(
            libc::sigaction(libc::SIGALRM, std::ptr::from_ref(&sa), std::ptr::null_mut()),
            0
        );
    }
}

/// A timer that sends SIGALRM to the thread that created it every `period`, until dropped.
///
/// Thread-directed, because a process-directed signal would mostly go to the test harness's
/// main thread, which idles in a wait, and never interrupt the loops under test.
struct ThreadAlarm(libc::timer_t);

impl ThreadAlarm {
    fn start(period: Duration) -> Self {
        // SAFETY: `gettid` has no preconditions.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) };
        // SAFETY: a zeroed `sigevent` is valid; the fields set below select delivery of
        // SIGALRM to thread `tid` (SIGEV_THREAD_ID), which is this live thread.
        let mut sev: libc::sigevent = unsafe { std::mem::zeroed() };
        sev.sigev_notify = libc::SIGEV_THREAD_ID;
        sev.sigev_signo = libc::SIGALRM;
        sev.sigev_notify_thread_id = libc::c_int::try_from(tid).unwrap();
        let mut timer = MaybeUninit::<libc::timer_t>::uninit();
        // SAFETY: `sev` is initialized and `timer` is valid for writes.
        let rc = unsafe {
            libc::timer_create(
                libc::CLOCK_MONOTONIC,
                std::ptr::from_mut(&mut sev),
                timer.as_mut_ptr(),
            )
        };
        assert_eq!(rc, 0, "timer_create: {}", io::Error::last_os_error());
        // SAFETY: `timer_create` succeeded, so it wrote the timer id.
        let timer = unsafe { timer.assume_init() };
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::c_long::try_from(period.as_nanos()).unwrap(),
        };
        let spec = libc::itimerspec {
            it_interval: ts,
            it_value: ts,
        };
        // SAFETY: `timer` is the live timer created above; `spec` is initialized; the old
        // value is not wanted (null).
        let rc = unsafe {
            libc::timer_settime(timer, 0, std::ptr::from_ref(&spec), std::ptr::null_mut())
        };
        assert_eq!(rc, 0, "timer_settime: {}", io::Error::last_os_error());
        Self(timer)
    }
}

impl Drop for ThreadAlarm {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a live timer created by `timer_create` and deleted only here.
        unsafe {
            libc::timer_delete(self.0);
        }
    }
}

const STORM: Duration = Duration::from_micros(50);

#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_eintr_storm() {
    if child_var().is_none() {
        return;
    }
    install_alarm_handler();

    // 1. Both loops finish a 20 MiB transfer through a slowly drained blocking pipe while
    //    interrupted every 50 µs.
    let (r, w) = pipe();
    let lens: Vec<usize> = (0..40_000).map(|i| [0, 1, 2048, 48][i % 4]).collect();
    let data = chunks(62, &lens);
    let expected = data.concat();
    let total = expected.len();
    let reader = thread::spawn(move || {
        // The reader is interrupted too, less often: its many small reads are slow enough.
        let _alarm = ThreadAlarm::start(STORM * 20);
        let opts = FdOptions::new().on_interrupt(count_read_eintr);
        let mut got = Vec::new();
        // Many read_exact_fd calls of 16 KiB each, into lists of small buffers.
        while got.len() < total {
            let want = (total - got.len()).min(16 << 10);
            let mut store: Vec<Vec<u8>> = (0..want.div_ceil(100))
                .map(|i| vec![0; 100.min(want - 100 * i)])
                .collect();
            let mut bufs: Vec<IoSliceMut<'_>> =
                store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            assert_eq!(vectored::read_exact_fd(&r, &mut bufs, &opts).unwrap(), want);
            drop(bufs);
            got.extend(store.concat());
            // Drain slowly, so the writer blocks in the kernel (where signals land) often.
            thread::sleep(Duration::from_micros(200));
        }
        got
    });
    let writer = thread::spawn(move || {
        let _alarm = ThreadAlarm::start(STORM);
        let opts = FdOptions::new().on_interrupt(count_write_eintr);
        vectored::write_all_fd(&w, &slices(&data), &opts)
    });
    let n = writer.join().unwrap().unwrap();
    let got = reader.join().unwrap();
    assert_eq!(n, total);
    assert!(got == expected, "data corrupted under EINTR");
    let (alarms, w_eintr, r_eintr) = (
        ALARMS.load(Ordering::Relaxed),
        WRITE_EINTR.load(Ordering::Relaxed),
        READ_EINTR.load(Ordering::Relaxed),
    );
    println!("alarms {alarms}, EINTR seen by the writer {w_eintr}, by the reader {r_eintr}");
    assert!(alarms > 0, "the timer never fired");
    assert!(w_eintr + r_eintr > 0, "no loop ever saw EINTR");

    // 2. A hook that gives up: the error carries exactly what reached the pipe.
    WRITE_EINTR.store(0, Ordering::Relaxed);
    let (r, w) = pipe();
    let data = chunks(63, &[1000; 1000]);
    let expected = data.concat();
    let writer = thread::spawn(move || {
        let _alarm = ThreadAlarm::start(STORM);
        let opts = FdOptions::new().on_interrupt(stop_on_fifth_eintr);
        // Nobody reads: the blocking write fills the pipe and then sits in the kernel until a
        // signal interrupts it.
        vectored::write_all_fd(&w, &slices(&data), &opts)
    });
    let err = writer.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    let got = drain_now(&std::os::fd::OwnedFd::from(r));
    assert_eq!(err.transferred(), got.len(), "{err}");
    assert!(got[..] == expected[..got.len()]);

    // 3. The same while waiting in poll on a non-blocking one-page pipe: poll fails with
    // EINTR whatever SA_RESTART says, and the hook still decides.
    WRITE_EINTR.store(0, Ordering::Relaxed);
    let (r, w) = small_pipe(4096);
    let data = chunks(64, &[1000; 100]);
    let expected = data.concat();
    let writer = thread::spawn(move || {
        let _alarm = ThreadAlarm::start(STORM);
        let opts = FdOptions::new().on_interrupt(stop_on_fifth_eintr);
        vectored::write_all_fd(&w, &slices(&data), &opts)
    });
    let err = writer.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    let got = drain_now(&r);
    assert_eq!(err.transferred(), got.len(), "{err}");
    assert!(got[..] == expected[..got.len()]);

    // 4. Interruptions do not restart the clock: a 150 ms timeout still expires, on time,
    // with the exact count.
    let (r, w) = small_pipe(4096);
    let data = chunks(65, &[1000; 100]);
    let expected = data.concat();
    let timeout = Duration::from_millis(150);
    let writer = thread::spawn(move || {
        let _alarm = ThreadAlarm::start(STORM);
        let opts = FdOptions::new()
            .timeout(timeout)
            .on_interrupt(count_write_eintr);
        let start = Instant::now();
        (
            vectored::write_all_fd(&w, &slices(&data), &opts),
            start.elapsed(),
        )
    });
    let (result, waited) = writer.join().unwrap();
    let err = result.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(waited >= timeout, "timed out after {waited:?}");
    let got = drain_now(&r);
    assert_eq!(err.transferred(), got.len(), "{err}");
    assert!(got[..] == expected[..got.len()]);
    println!("{MARKER}: eintr");
}

#[test]
fn eintr_storm_neither_loses_nor_duplicates_bytes() {
    let out = run_child(&test_name!("child_eintr_storm"), (CHILD_VAR, "1"), LIMIT);
    check_child_output(&out, "eintr");
    // Show the counts in the parent's output too.
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(at) = line.find("alarms ") {
            eprintln!("{}", &line[at..]);
        }
    }
}
