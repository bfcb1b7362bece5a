//! Message boundaries in a queue: marks, and the front message offered as one call.

use std::io::{self, IoSlice};
use std::ops::Range;

use super::WriteQueue;
use crate::cursor::{Gather, Overrun};
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};

impl WriteQueue<'_> {
    /// Marks the bytes pushed since the previous mark as one message, for
    /// [`write_messages_to`](Self::write_messages_to) and
    /// [`write_messages_to_fd`](Self::write_messages_to_fd). A mark with nothing pushed
    /// since the previous one makes an empty message (a zero-length datagram on a socket).
    ///
    /// On a datagram socket (Linux), the messages are sent in batches, runs of equal sizes
    /// with UDP segmentation offload (see `datagram::DatagramSender::send_queue`). A
    /// message has no destination of its own: send to a connected socket.
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
        // A message must fit one call (`IOV_MAX` iovecs): small borrowed chunks are
        // coalesced again, whatever a stream flush learned (`learn_fd_line`).
        self.borrowed_below = self.opts.copy_threshold_bytes();
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

impl WriteQueue<'_> {
    /// Appends the iovecs of the front complete messages, at most `max` of them, to `parts`,
    /// and each message's range of `parts` to `ranges` (an empty message has an empty range),
    /// stopping before a message that does not fit one call.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, with nothing appended, when the front message itself does not fit one
    /// call (more than [`IOV_MAX`] iovecs or [`MAX_BYTES_PER_CALL`] bytes).
    // Used by the datagram batching, which is Linux only.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn front_messages<'q>(
        &'q self,
        max: usize,
        parts: &mut Vec<IoSlice<'q>>,
        ranges: &mut Vec<Range<usize>>,
    ) -> io::Result<()> {
        let mut pieces = self.pieces();
        let mut piece: &'q [u8] = &[];
        for (i, &message) in self.messages.iter().take(max).enumerate() {
            let start = parts.len();
            let mut left = message;
            while left > 0 {
                while piece.is_empty() {
                    // Cannot end early: the marked bytes are queued.
                    let Some(next) = pieces.next() else {
                        parts.truncate(start);
                        return Ok(());
                    };
                    piece = next;
                }
                let take = left.min(piece.len());
                parts.push(IoSlice::new(&piece[..take]));
                piece = &piece[take..];
                left -= take;
            }
            let iovecs = parts.len() - start;
            if iovecs > IOV_MAX || message > MAX_BYTES_PER_CALL {
                parts.truncate(start);
                if i == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "message of {message} bytes in {iovecs} iovecs cannot be sent in \
                             one call (at most {IOV_MAX} iovecs and {MAX_BYTES_PER_CALL} bytes)"
                        ),
                    ));
                }
                return Ok(());
            }
            ranges.push(start..parts.len());
        }
        Ok(())
    }

    /// Records that the front `n` complete messages were sent whole: exactly their marks
    /// (empty messages included) and their bytes go. Returns their bytes.
    ///
    /// # Errors
    ///
    /// [`Overrun`] as `InvalidData` when fewer than `n` messages are queued (nothing
    /// recorded).
    // Used by the datagram batching, which is Linux only.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn commit_messages(&mut self, n: usize) -> io::Result<usize> {
        if n > self.messages.len() {
            return Err(Overrun::new(n, self.messages.len()).into());
        }
        let bytes: usize = self.messages.iter().take(n).sum();
        let before = self.messages.len();
        // Drops the bytes and the marks of the messages they complete, except empty
        // messages right after the last byte: those are dropped here, up to `n` in all.
        self.commit(bytes);
        for _ in before - self.messages.len()..n {
            let empty = self.messages.pop_front();
            debug_assert_eq!(empty, Some(0));
        }
        Ok(bytes)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(messages: &[&[u8]]) -> WriteQueue<'static> {
        let mut queue = WriteQueue::new();
        for m in messages {
            queue.push_copy(m);
            queue.end_message();
        }
        queue
    }

    fn fronts(queue: &WriteQueue<'_>, max: usize) -> io::Result<Vec<Vec<u8>>> {
        let (mut parts, mut ranges) = (Vec::new(), Vec::new());
        queue.front_messages(max, &mut parts, &mut ranges)?;
        Ok(ranges
            .into_iter()
            .map(|r| parts[r].iter().flat_map(|p| p.iter().copied()).collect())
            .collect())
    }

    #[test]
    fn front_messages_split_shared_pieces_by_message() {
        // Copied messages share one staging block: cut back into messages.
        let mut q = queue(&[b"ab", b"", b"cde", b"f"]);
        q.push("not a message yet");
        assert_eq!(fronts(&q, 10).unwrap(), [&b"ab"[..], b"", b"cde", b"f"]);
        assert_eq!(fronts(&q, 2).unwrap(), [&b"ab"[..], b""]);
        assert!(fronts(&q, 0).unwrap().is_empty());
    }

    #[test]
    fn front_messages_stop_before_one_that_needs_too_many_iovecs() {
        let mut q = WriteQueue::new();
        q.push_slice(b"ok");
        q.end_message();
        let piece = [7u8; 600];
        for _ in 0..=IOV_MAX {
            q.push_slice(&piece); // borrowed: one iovec each
        }
        q.end_message();
        assert_eq!(fronts(&q, 10).unwrap(), [&b"ok"[..]]);
        q.commit_messages(1).unwrap();
        let err = fronts(&q, 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn commit_messages_pops_exactly_n_marks() {
        let mut q = queue(&[b"", b"ab", b"", b"", b"cd", b""]);
        assert_eq!(q.commit_messages(1).unwrap(), 0);
        assert_eq!((q.messages(), q.len()), (5, 4));
        // Ends on empty messages: they go too, the next empty one stays.
        assert_eq!(q.commit_messages(2).unwrap(), 2);
        assert_eq!((q.messages(), q.len()), (3, 2));
        assert_eq!(fronts(&q, 10).unwrap(), [&b""[..], b"cd", b""]);
        assert!(q.commit_messages(4).is_err());
        assert_eq!(q.commit_messages(3).unwrap(), 2);
        assert_eq!((q.messages(), q.len()), (0, 0));
    }
}
