//! Keeping `SIGPIPE` from killing the process on a write to a pipe whose reader is gone,
//! without touching process-wide signal dispositions; and the thread signal-mask queries the
//! crate's own tests use (the one place that inspects signal masks).
//!
//! This is libpq's `pq_block_sigpipe`/`pq_reset_sigpipe` pattern: block `SIGPIPE` for the
//! calling thread, write, and if the write failed with `EPIPE` and no `SIGPIPE` was pending
//! before, consume the one this write raised (it was directed at this thread); then restore the
//! thread's mask. A `SIGPIPE` the program already had pending is left alone.
//!
//! The restoring is done by a guard's `Drop`, so a panic inside the masked region (the
//! caller's `on_interrupt` hook, say) cannot leave `SIGPIPE` blocked on the thread: on unwind
//! the guard consumes a `SIGPIPE` that became pending while it was held, then restores the
//! mask.

use std::io;
use std::mem::MaybeUninit;
use std::ptr;

/// Runs `write` with `SIGPIPE` blocked on this thread, consuming a `SIGPIPE` it raised.
///
/// `is_epipe` tells from `write`'s result whether it failed with `EPIPE`. The mask is
/// restored even if `write` panics.
pub(crate) fn without_sigpipe<T>(
    write: impl FnOnce() -> T,
    is_epipe: impl FnOnce(&T) -> bool,
) -> T {
    let Ok(mut guard) = Guard::block() else {
        // Masking cannot fail with valid arguments; if it does, write anyway rather than lose
        // the write, and let the program's disposition decide.
        return write();
    };
    let result = write();
    guard.raised_epipe = Some(is_epipe(&result));
    drop(guard);
    result
}

/// `SIGPIPE` blocked on this thread until dropped.
struct Guard {
    old_mask: libc::sigset_t,
    pending_before: bool,
    /// Whether the guarded write failed with `EPIPE`; `None` while it runs, and on unwind.
    raised_epipe: Option<bool>,
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

/// Whether a `SIGPIPE` is pending for this thread (or the process).
pub(crate) fn sigpipe_pending() -> bool {
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
            raised_epipe: None,
        })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.pending_before {
            // After the write: consume the SIGPIPE its EPIPE raised. On unwind the outcome
            // is unknown: consume one that became pending while the guard was held.
            let ours = self.raised_epipe.unwrap_or_else(sigpipe_pending);
            if ours {
                consume_sigpipe();
            }
        }
        // SAFETY: `old_mask` is the initialized mask saved by `block`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &raw const self.old_mask, ptr::null_mut());
        }
    }
}

/// Takes one pending `SIGPIPE` off this thread without waiting.
#[cfg(not(any(target_vendor = "apple", target_os = "illumos", target_os = "solaris")))]
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

/// Apple has no `sigtimedwait`, nor has the libc crate for illumos and Solaris; `sigwait` is
/// safe here because the signal is known pending.
#[cfg(any(target_vendor = "apple", target_os = "illumos", target_os = "solaris"))]
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

/// Signal-mask helpers for the crate's unit tests (the only copy outside `tests/`).
#[cfg(test)]
pub(crate) mod test_support {
    use super::{sigpipe_set, MaybeUninit};

    pub(crate) use super::sigpipe_pending;

    /// Whether `SIGPIPE` is blocked in this thread's mask.
    pub(crate) fn sigpipe_blocked() -> bool {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: a null new mask only queries; `set` is written on success and only read
        // after the assertion that it succeeded.
        unsafe {
            assert_eq!(
                libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr()),
                0
            );
            libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
        }
    }

    /// Blocks or unblocks `SIGPIPE` for this thread.
    pub(crate) fn set_sigpipe_blocked(blocked: bool) {
        let set = sigpipe_set();
        let how = if blocked {
            libc::SIG_BLOCK
        } else {
            libc::SIG_UNBLOCK
        };
        // SAFETY: `set` is an initialized signal set; a null old mask is allowed.
        let rc = unsafe { libc::pthread_sigmask(how, &raw const set, std::ptr::null_mut()) };
        assert_eq!(rc, 0);
    }

    /// Sends `SIGPIPE` to this thread (it stays pending if blocked).
    pub(crate) fn raise_sigpipe() {
        // SAFETY: signals the calling thread, which exists.
        let rc = unsafe { libc::pthread_kill(libc::pthread_self(), libc::SIGPIPE) };
        assert_eq!(rc, 0);
    }

    /// Puts `SIGPIPE` back to its default disposition (death), as in a C program; for
    /// child-process tests only.
    pub(crate) fn default_sigpipe() {
        // SAFETY: changes the disposition of SIGPIPE in this (test child) process only.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{raise_sigpipe, sigpipe_blocked, sigpipe_pending};
    use super::without_sigpipe;

    /// A panic inside the masked region (with a `SIGPIPE` raised there) must leave the mask
    /// as it was and consume that `SIGPIPE`. The Rust runtime ignores `SIGPIPE`, but a
    /// blocked signal stays pending whatever its disposition, so this is observable here.
    #[test]
    fn panic_inside_masked_region_restores_mask_and_consumes_own_sigpipe() {
        // A fresh thread: its mask is the test harness's (SIGPIPE not blocked).
        std::thread::spawn(|| {
            assert!(!sigpipe_blocked());
            let caught = std::panic::catch_unwind(|| {
                without_sigpipe(
                    || {
                        assert!(sigpipe_blocked(), "blocked inside the region");
                        raise_sigpipe();
                        assert!(sigpipe_pending());
                        panic!("hook panicked");
                    },
                    |()| true,
                );
            });
            assert!(caught.is_err());
            assert!(!sigpipe_blocked(), "the mask must be restored on unwind");
            assert!(!sigpipe_pending(), "our SIGPIPE must be consumed on unwind");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn normal_exit_restores_mask() {
        std::thread::spawn(|| {
            let value = without_sigpipe(|| 7, |_| false);
            assert_eq!(value, 7);
            assert!(!sigpipe_blocked());
        })
        .join()
        .unwrap();
    }
}
