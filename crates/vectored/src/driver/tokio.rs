//! The one asynchronous driver: the loop of [`drive`](super::drive), with calls that may
//! return `Pending` and readiness waits that are futures.

use std::future::{poll_fn, Future};
use std::io;
use std::task::{Context, Poll};

use super::Source;
use crate::error::{Error, Result};
use crate::step::{Direction, Step};

/// Runs `source` to the end, asynchronously.
///
/// `call` polls the one call of a turn on the source's current window (`Ready(None)` when
/// the window is empty); `not_ready` is awaited after `EAGAIN` (its error stops the loop).
/// `EINTR` is retried. The source is advanced after every call, so dropping the future
/// leaves it holding exactly the progress made.
pub(crate) async fn drive_async<S: Source, F: Future<Output = io::Result<()>>>(
    source: &mut S,
    direction: Direction,
    mut call: impl FnMut(&mut S, &mut Context<'_>) -> Poll<Option<io::Result<usize>>>,
    mut not_ready: impl FnMut(io::Error) -> F,
) -> Result<usize> {
    loop {
        let Some(result) = poll_fn(|cx| call(source, cx)).await else {
            return match source.finish() {
                Ok(()) => Ok(source.transferred()),
                Err(e) => Err(Error::new(e, source.transferred())),
            };
        };
        let offered = source.offered();
        let failure = match Step::of(result, direction, offered, |n| source.advance(n)) {
            Step::Progress | Step::Interrupted => continue,
            Step::NotReady(e) => match not_ready(e).await {
                Ok(()) => continue,
                Err(e) => e,
            },
            Step::Failed(e) => e,
        };
        return Err(Error::new(failure, source.transferred()));
    }
}
