//! The retry policy every loop shares: what to do with the result of one read or write call,
//! and what to do about `EINTR` and `EAGAIN`.

use std::io;

/// Which way the bytes go; decides what a result of 0 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Write,
    Read,
}

/// What a loop does after one call.
#[derive(Debug)]
pub(crate) enum Step {
    /// Bytes were transferred and recorded: make the next call.
    Progress,
    /// A signal interrupted the call before it transferred anything: retry it.
    Interrupted,
    /// The fd is not ready: wait for it, or give up with this error.
    NotReady(io::Error),
    /// Stop, with this error.
    Failed(io::Error),
}

impl Step {
    /// Classifies `result` of a call that was offered `offered` bytes, recording a transfer
    /// with `advance`.
    ///
    /// `Ok(0)` with bytes offered is `WriteZero` (writes) or `UnexpectedEof` (reads): a
    /// retry would spin. `Ok(0)` for an empty offer (an empty datagram) is progress. A count
    /// the source rejects (larger than offered: `InvalidData`) fails with its error.
    #[inline]
    pub(crate) fn of<E: Into<io::Error>>(
        result: io::Result<usize>,
        direction: Direction,
        offered: usize,
        advance: impl FnOnce(usize) -> Result<(), E>,
    ) -> Self {
        match result {
            Ok(0) if offered > 0 => Step::Failed(match direction {
                Direction::Write => write_zero(),
                Direction::Read => io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "end of file before every buffer was filled",
                ),
            }),
            Ok(n) => match advance(n) {
                Ok(()) => Step::Progress,
                Err(e) => Step::Failed(e.into()),
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Step::Interrupted,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Step::NotReady(e),
            Err(e) => Step::Failed(e),
        }
    }
}

/// What a loop does about `EINTR` and `EAGAIN`, besides retrying.
pub(crate) trait Retry {
    /// After `EINTR`: `Ok` to retry the call, or the error to stop with.
    fn interrupted(&mut self) -> io::Result<()>;
    /// After `EAGAIN` (`not_ready`): `Ok` once the call is worth retrying, or the error to
    /// give up with.
    fn not_ready(&mut self, not_ready: io::Error) -> io::Result<()>;
}

/// The policy of the `std::io` trait loops: retry `EINTR`; return `WouldBlock`, since a plain
/// `Read`/`Write` gives no way to wait for readiness.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoWait;

impl Retry for NoWait {
    #[inline]
    fn interrupted(&mut self) -> io::Result<()> {
        Ok(())
    }
    #[inline]
    fn not_ready(&mut self, not_ready: io::Error) -> io::Result<()> {
        Err(not_ready)
    }
}

fn write_zero() -> io::Error {
    io::Error::new(
        io::ErrorKind::WriteZero,
        "writer accepted 0 bytes with data left to write",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::Overrun;

    fn step(result: io::Result<usize>, direction: Direction, offered: usize) -> Step {
        Step::of(result, direction, offered, |n| {
            if n <= offered {
                Ok(())
            } else {
                Err(Overrun::new(n, offered))
            }
        })
    }

    fn failed_kind(step: Step) -> io::ErrorKind {
        match step {
            Step::Failed(e) => e.kind(),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn policy_table() {
        use io::ErrorKind as K;
        assert!(matches!(step(Ok(3), Direction::Write, 5), Step::Progress));
        assert!(matches!(step(Ok(5), Direction::Read, 5), Step::Progress));
        assert_eq!(failed_kind(step(Ok(0), Direction::Write, 5)), K::WriteZero);
        assert_eq!(
            failed_kind(step(Ok(0), Direction::Read, 5)),
            K::UnexpectedEof
        );
        assert_eq!(
            failed_kind(step(Ok(6), Direction::Write, 5)),
            K::InvalidData
        );
        let interrupted = step(Err(K::Interrupted.into()), Direction::Write, 5);
        assert!(matches!(interrupted, Step::Interrupted));
        let would_block = step(Err(K::WouldBlock.into()), Direction::Read, 5);
        assert!(matches!(would_block, Step::NotReady(_)));
        assert!(matches!(step(Ok(0), Direction::Write, 0), Step::Progress));
        let epipe = step(Err(io::Error::from_raw_os_error(32)), Direction::Write, 5);
        assert!(matches!(epipe, Step::Failed(e) if e.raw_os_error() == Some(32)));
    }
}
