//! How many bytes one write call of an fd-level loop offers: the one place that decides it.
//!
//! Every fd-level write path (`write_all_fd`, `write_all_fd_cursor`, the queue's fd flush and
//! message flush, the tokio fd forms) asks [`bytes_per_call`] once per loop call.

use std::os::fd::BorrowedFd;

use super::options::WriteSizing;
use crate::limits::MAX_BYTES_PER_CALL;
use crate::sys::FdKind;

/// The byte cap per write call for an fd of `kind` under `sizing`.
///
/// `Auto` is today's behaviour for every kind: no cap beyond [`MAX_BYTES_PER_CALL`], so a
/// list goes out in one call per `IOV_MAX` window (files and `/dev/null` take
/// ⌈buffers / 1024⌉ calls). The fd is passed so that a rule per fd (a pipe's capacity, say)
/// can be added here without touching the loops.
pub(crate) fn bytes_per_call(sizing: WriteSizing, kind: FdKind, fd: BorrowedFd<'_>) -> usize {
    match sizing {
        WriteSizing::Auto => auto(kind, fd),
        WriteSizing::Fixed(bytes) => bytes.clamp(1, MAX_BYTES_PER_CALL),
        WriteSizing::Unlimited => MAX_BYTES_PER_CALL,
    }
}

/// The `Auto` rule.
fn auto(kind: FdKind, _fd: BorrowedFd<'_>) -> usize {
    match kind {
        FdKind::Socket | FdKind::Pipe | FdKind::Other => MAX_BYTES_PER_CALL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn auto_leaves_every_kind_uncapped() {
        let (r, w) = std::io::pipe().unwrap();
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let null = std::fs::File::create("/dev/null").unwrap();
        for (kind, fd) in [
            (FdKind::Pipe, w.as_fd()),
            (FdKind::Socket, a.as_fd()),
            (FdKind::Other, null.as_fd()),
        ] {
            assert_eq!(
                bytes_per_call(WriteSizing::Auto, kind, fd),
                MAX_BYTES_PER_CALL
            );
        }
        drop(r);
    }

    #[test]
    fn fixed_and_unlimited() {
        let null = std::fs::File::create("/dev/null").unwrap();
        let fd = null.as_fd();
        assert_eq!(
            bytes_per_call(WriteSizing::Fixed(4096), FdKind::Other, fd),
            4096
        );
        assert_eq!(bytes_per_call(WriteSizing::Fixed(0), FdKind::Other, fd), 1);
        assert_eq!(
            bytes_per_call(WriteSizing::Fixed(usize::MAX), FdKind::Pipe, fd),
            MAX_BYTES_PER_CALL
        );
        assert_eq!(
            bytes_per_call(WriteSizing::Unlimited, FdKind::Pipe, fd),
            MAX_BYTES_PER_CALL
        );
    }
}
