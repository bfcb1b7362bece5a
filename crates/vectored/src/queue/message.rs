//! Message boundaries in a queue: marks, and the front message offered as one call.

use std::io::{self, IoSlice};

use super::WriteQueue;
use crate::cursor::{Gather, Overrun};
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};

impl WriteQueue<'_> {
    /// Marks the bytes pushed since the previous mark as one message, for
    /// [`write_messages_to`](Self::write_messages_to) and
    /// [`write_messages_to_fd`](Self::write_messages_to_fd). A mark with nothing pushed
    /// since the previous one makes an empty message (a zero-length datagram on a socket).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("header|");
    /// queue.push("payload");
    /// queue.end_message();
    /// queue.push("unfinished");
    /// assert_eq!(queue.messages(), 1);
    /// ```
    pub fn end_message(&mut self) {
        self.messages.push_back(self.len - self.marked);
        self.marked = self.len;
    }

    /// Complete messages waiting to be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.end_message();
    /// assert_eq!(queue.messages(), 1);
    /// ```
    pub fn messages(&self) -> usize {
        self.messages.len()
    }

    /// Applies a consumption of `n` bytes to the message marks: messages written completely
    /// (by a message or stream flush, or `consume`) are gone, with empty messages before the
    /// stop; a message written in part stays the front message, shortened; empty messages at
    /// the stop stay, to be sent next.
    pub(super) fn consume_messages(&mut self, n: usize) {
        let mut left = n.min(self.marked);
        self.marked -= left;
        while left > 0 {
            let Some(front) = self.messages.front_mut() else {
                break;
            };
            if *front <= left {
                left -= *front;
                self.messages.pop_front();
            } else {
                *front -= left;
                left = 0;
            }
        }
    }

    /// The length of the front complete message, if any.
    pub(crate) fn front_message(&self) -> Option<usize> {
        self.messages.front().copied()
    }

    /// Calls `call` with the front message as one window, or returns `None` when no complete
    /// message is queued.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, without calling, when the message does not fit one call (more than
    /// [`IOV_MAX`] iovecs or [`MAX_BYTES_PER_CALL`] bytes).
    pub(crate) fn with_front_message<R>(
        &self,
        call: impl FnOnce(&[IoSlice<'_>]) -> R,
    ) -> Option<io::Result<R>> {
        let message = self.front_message()?;
        let pieces = TakeBytes {
            inner: self.pieces(),
            left: message,
        };
        let mut gather = Gather::<_, _, IOV_MAX>::new(pieces, IOV_MAX, MAX_BYTES_PER_CALL);
        let window = gather.window();
        let (iovecs, offered) = (window.len(), gather.window_bytes());
        if offered != message {
            return Some(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "message of {message} bytes cannot be sent in one call (it needs more than \
                     {IOV_MAX} iovecs or {MAX_BYTES_PER_CALL} bytes; {iovecs} iovecs hold \
                     {offered} bytes)"
                ),
            )));
        }
        Some(Ok(call(gather.window())))
    }

    /// Records that the one call for the front message wrote `n` bytes: the whole message
    /// (its mark goes too, even for an empty message), or part of it.
    ///
    /// # Errors
    ///
    /// `Other` ("message torn") when `n` is short of the message, whose rest stays queued as
    /// the front message; [`Overrun`] as `InvalidData` when `n` exceeds it (nothing recorded).
    pub(crate) fn commit_message(&mut self, n: usize) -> io::Result<()> {
        let Some(message) = self.front_message() else {
            return Err(Overrun::new(n, 0).into());
        };
        if n > message {
            return Err(Overrun::new(n, message).into());
        }
        if message == 0 {
            self.messages.pop_front();
            return Ok(());
        }
        // Consuming the whole message also drops its mark.
        self.commit(n);
        if n < message {
            return Err(io::Error::other(format!(
                "message torn: the call wrote {n} of its {message} bytes; the rest is still queued"
            )));
        }
        Ok(())
    }
}

/// The first `left` bytes of a stream of pieces.
struct TakeBytes<I> {
    inner: I,
    left: usize,
}

impl<'q, I: Iterator<Item = &'q [u8]>> Iterator for TakeBytes<I> {
    type Item = &'q [u8];

    fn next(&mut self) -> Option<&'q [u8]> {
        if self.left == 0 {
            return None;
        }
        let piece = self.inner.next()?;
        let piece = &piece[..piece.len().min(self.left)];
        self.left -= piece.len();
        Some(piece)
    }
}
