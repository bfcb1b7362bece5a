//! Every way a vectored loop can fail, and what the error says.
//!
//! Each case prints the error kind, the OS error code when there is one, how many bytes were
//! transferred before the failure, and the message. `transferred()` is always exact: those
//! bytes were committed once and in order, and nothing after them was.
//!
//! Exits with status 0 when every case failed the way it should, 1 otherwise.
//!
//! ```text
//! cargo run -p vectored --example error_handling
//! ```

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, IoSlice, IoSliceMut, Write};
use std::time::Duration;

use vectored::{FdOptions, RwFlags};

/// How a case is expected to fail.
#[derive(Debug, Clone, Copy)]
enum Want {
    Kind(ErrorKind),
    /// For errors std has no stable `ErrorKind` for, such as `EBADF`.
    Errno(i32),
}

/// Prints one case and checks how it failed and the count.
fn report(name: &str, result: vectored::Result<usize>, want: Want, transferred: usize) -> bool {
    match result {
        Ok(n) => {
            println!("{name}: unexpectedly succeeded with {n} bytes");
            false
        }
        Err(err) => {
            let errno = err
                .raw_os_error()
                .map_or_else(|| "-".to_owned(), |e| e.to_string());
            println!(
                "{name}: kind={:?} errno={errno} transferred={} message=\"{err}\"",
                err.kind(),
                err.transferred()
            );
            let right_error = match want {
                Want::Kind(kind) => err.kind() == kind,
                Want::Errno(errno) => err.raw_os_error() == Some(errno),
            };
            let ok = right_error && err.transferred() == transferred;
            if !ok {
                println!("  expected {want:?} with transferred={transferred}");
            }
            ok
        }
    }
}

/// A pipe of one page whose write end is non-blocking. Returns `(read, write)`.
fn one_page_pipe() -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    let (r, w) = rustix::pipe::pipe()?;
    rustix::pipe::fcntl_setpipe_size(&w, 4096)?;
    rustix::io::ioctl_fionbio(&w, true)?;
    Ok((r, w))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = vec![b'x'; 10_000];
    let bufs = [IoSlice::new(&data[..6000]), IoSlice::new(&data[6000..])];
    let mut all_ok = true;

    // 1. The device is full before the first byte: ENOSPC, nothing written.
    let full = OpenOptions::new().write(true).open("/dev/full")?;
    all_ok &= report(
        "no space (/dev/full)",
        vectored::write_all_fd(&full, &bufs, &FdOptions::new()),
        Want::Errno(libc::ENOSPC), // ErrorKind::StorageFull
        0,
    );

    // 2. The reader is gone: EPIPE as an error; SIGPIPE never kills the process.
    let (r, w) = rustix::pipe::pipe()?;
    drop(r);
    all_ok &= report(
        "broken pipe",
        vectored::write_all_fd(&w, &bufs, &FdOptions::new()),
        Want::Kind(ErrorKind::BrokenPipe),
        0,
    );

    // 3. Nobody reads a one-page pipe: after 4096 bytes, the 100 ms deadline passes.
    let (_r, w) = one_page_pipe()?;
    all_ok &= report(
        "timeout with progress",
        vectored::write_all_fd(
            &w,
            &bufs,
            &FdOptions::new().timeout(Duration::from_millis(100)),
        ),
        Want::Kind(ErrorKind::TimedOut),
        4096,
    );

    // 4. Same, but the caller runs its own event loop: WouldBlock at once, with progress.
    let (_r, w) = one_page_pipe()?;
    all_ok &= report(
        "would block",
        vectored::write_all_fd(&w, &bufs, &FdOptions::new().nonblocking()),
        Want::Kind(ErrorKind::WouldBlock),
        4096,
    );

    // 5. A bad fd for the job: writing to a file opened read-only is EBADF.
    let read_only = File::open("/dev/null")?;
    all_ok &= report(
        "bad fd (read-only)",
        vectored::write_all_fd(&read_only, &bufs, &FdOptions::new()),
        Want::Errno(libc::EBADF),
        0,
    );

    // 6. The writer closes after 5 bytes: UnexpectedEof, with 5 bytes filled.
    let (r, w) = rustix::pipe::pipe()?;
    File::from(w).write_all(b"hello")?; // and close it

    let (mut a, mut b) = ([0u8; 3], [0u8; 7]);
    let mut into = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
    all_ok &= report(
        "unexpected end of file",
        vectored::read_exact_fd(&r, &mut into, &FdOptions::new()),
        Want::Kind(ErrorKind::UnexpectedEof),
        5,
    );
    println!(
        "  bytes filled: {:?}",
        String::from_utf8_lossy(&[&a[..], &b[..2]].concat())
    );

    // 7. An offset no file can have (above i64::MAX): refused before any system call.
    let path = std::env::temp_dir().join(format!("vectored-error-handling-{}", std::process::id()));
    let file = File::create(&path)?;
    all_ok &= report(
        "offset too large",
        vectored::write_all_at(&file, &bufs, u64::MAX, RwFlags::empty()),
        Want::Kind(ErrorKind::InvalidInput),
        0,
    );
    std::fs::remove_file(&path)?;

    if all_ok {
        println!("all 7 cases failed as expected");
        Ok(())
    } else {
        println!("some cases did not fail as expected");
        std::process::exit(1);
    }
}
