//! Keeping `SIGPIPE` from killing the process on a write to a pipe whose reader is gone,
//! without touching process-wide signal dispositions.
//!
//! This is libpq's `pq_block_sigpipe`/`pq_reset_sigpipe` pattern: block `SIGPIPE` for the
//! calling thread, write, and if the write failed with `EPIPE` and no `SIGPIPE` was pending
//! before, consume the one this write raised (it was directed at this thread); then restore the
//! thread's mask. A `SIGPIPE` the program already had pending is left alone.

use std::io;
use std::mem::MaybeUninit;
use std::ptr;

/// Runs `write` with `SIGPIPE` blocked on this thread, consuming a `SIGPIPE` it raised.
///
/// `is_epipe` tells from `write`'s result whether it failed with `EPIPE`.
pub(crate) fn without_sigpipe<T>(
    write: impl FnOnce() -> T,
    is_epipe: impl FnOnce(&T) -> bool,
) -> T {
    let Ok(guard) = Guard::block() else {
        // Masking cannot fail with valid arguments; if it does, write anyway rather than lose
        // the write, and let the program's disposition decide.
        return write();
    };
    let result = write();
    guard.restore(is_epipe(&result));
    result
}

struct Guard {
    old_mask: libc::sigset_t,
    pending_before: bool,
}

fn sigpipe_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigemptyset` initializes the set it is given; `sigaddset` only needs an
    // initialized set and a valid signal number.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        set.assume_init()
    }
}

fn sigpipe_pending() -> bool {
    let mut pending = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigpending` fills the set it is given; on failure we do not read it.
    unsafe {
        if libc::sigpending(pending.as_mut_ptr()) != 0 {
            return false;
        }
        libc::sigismember(pending.as_ptr(), libc::SIGPIPE) == 1
    }
}

impl Guard {
    fn block() -> io::Result<Self> {
        let set = sigpipe_set();
        let mut old_mask = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `set` is an initialized signal set and `old_mask` is valid for writes;
        // `pthread_sigmask` only changes this thread's mask.
        let rc = unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, old_mask.as_mut_ptr())
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        // SAFETY: `pthread_sigmask` returned 0, so it wrote the previous mask.
        let old_mask = unsafe { old_mask.assume_init() };
        Ok(Self {
            old_mask,
            pending_before: sigpipe_pending(),
        })
    }

    fn restore(self, raised_epipe: bool) {
        if raised_epipe && !self.pending_before {
            consume_sigpipe();
        }
        // SAFETY: `old_mask` is the initialized mask saved by `block`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &raw const self.old_mask, ptr::null_mut());
        }
    }
}

/// Takes one pending `SIGPIPE` off this thread without waiting.
#[cfg(not(target_vendor = "apple"))]
fn consume_sigpipe() {
    let set = sigpipe_set();
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        // SAFETY: `set` and `zero` are initialized and outlive the call; a null info pointer
        // is allowed.
        let rc = unsafe { libc::sigtimedwait(&raw const set, ptr::null_mut(), &raw const zero) };
        if rc >= 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Apple has no `sigtimedwait`; `sigwait` is safe here because the signal is known pending.
#[cfg(target_vendor = "apple")]
fn consume_sigpipe() {
    if !sigpipe_pending() {
        return;
    }
    let set = sigpipe_set();
    let mut sig = 0;
    // SAFETY: `set` is initialized and `sig` is valid for writes; SIGPIPE is pending and
    // blocked, so `sigwait` returns at once.
    unsafe {
        libc::sigwait(&raw const set, &raw mut sig);
    }
}
