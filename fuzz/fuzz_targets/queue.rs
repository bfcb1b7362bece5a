//! Drives `WriteQueue` with an arbitrary script of pushes, flushes through scripted writers
//! (short counts, interrupts, would-block, errors, zero returns), consumes, message marks
//! and message flushes; checks that what went out is always an exact prefix of what went in
//! and that the queue holds exactly the rest.
#![no_main]

use std::io::{self, IoSlice, Write};
use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vectored::{QueueOptions, WriteQueue};

#[derive(Debug, Arbitrary)]
enum Op {
    PushVec(u16),
    PushShared(u16),
    PushBorrowed(u16),
    PushCopy(u16),
    EndMessage,
    Flush(Vec<Reply>),
    FlushMessages(Vec<Reply>),
    Consume(u16),
    Slices(u8),
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Reply {
    Take(u16),
    Interrupted,
    WouldBlock,
    Fail,
    Zero,
}

#[derive(Debug, Arbitrary)]
struct Script {
    threshold: u16,
    arena: u16,
    ops: Vec<Op>,
}

/// A writer that follows its replies, then accepts everything.
struct Scripted<'o> {
    out: &'o mut Vec<u8>,
    replies: std::vec::IntoIter<Reply>,
}

impl Write for Scripted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let limit = match self.replies.next() {
            None => usize::MAX,
            Some(Reply::Take(n)) => usize::from(n),
            Some(Reply::Interrupted) => return Err(io::ErrorKind::Interrupted.into()),
            Some(Reply::WouldBlock) => return Err(io::ErrorKind::WouldBlock.into()),
            Some(Reply::Fail) => return Err(io::ErrorKind::BrokenPipe.into()),
            Some(Reply::Zero) => return Ok(0),
        };
        let mut left = limit;
        for buf in bufs {
            let n = buf.len().min(left);
            self.out.extend_from_slice(&buf[..n]);
            left -= n;
        }
        Ok(limit.min(bufs.iter().map(|b| b.len()).sum()))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn bytes(seed: usize, len: u16) -> Vec<u8> {
    (0..usize::from(len) % 3000).map(|i| (seed * 17 + i * 3) as u8).collect()
}

fuzz_target!(|script: Script| {
    // Borrowed chunks must outlive the queue.
    let borrowed: Vec<Vec<u8>> = script
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| match op {
            Op::PushBorrowed(len) => bytes(i, *len),
            _ => Vec::new(),
        })
        .collect();
    let opts = QueueOptions::new()
        .copy_threshold(usize::from(script.threshold) % 1024)
        .arena_size(usize::from(script.arena));
    let mut queue = WriteQueue::with_options(opts);
    let mut pushed = Vec::new();
    let mut out = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    for (i, op) in script.ops.iter().enumerate() {
        match op {
            Op::PushVec(len) => {
                let b = bytes(i, *len);
                pushed.extend_from_slice(&b);
                queue.push(b);
            }
            Op::PushShared(len) => {
                let b = bytes(i, *len);
                pushed.extend_from_slice(&b);
                queue.push(Arc::<[u8]>::from(b));
            }
            Op::PushBorrowed(_) => {
                pushed.extend_from_slice(&borrowed[i]);
                queue.push_slice(&borrowed[i]);
            }
            Op::PushCopy(len) => {
                let b = bytes(i, *len);
                pushed.extend_from_slice(&b);
                queue.push_copy(&b);
            }
            Op::EndMessage => {
                queue.end_message();
                ends.push(pushed.len());
            }
            Op::Flush(replies) | Op::FlushMessages(replies) => {
                let before = out.len();
                let mut writer = Scripted {
                    out: &mut out,
                    replies: replies.clone().into_iter(),
                };
                let result = if matches!(op, Op::Flush(_)) {
                    queue.write_to(&mut writer)
                } else {
                    queue.write_messages_to(&mut writer)
                };
                let written = out.len() - before;
                match result {
                    Ok(n) => assert_eq!(n, written),
                    Err(e) => assert_eq!(e.transferred(), written, "{e}"),
                }
                if matches!(op, Op::FlushMessages(_)) {
                    // Message flushes never go past the last mark.
                    assert!(out.len() <= ends.last().copied().unwrap_or(0).max(before));
                }
            }
            Op::Consume(n) => {
                let n = usize::from(*n);
                if n <= queue.len() {
                    queue.consume(n).unwrap();
                    out.extend_from_slice(&pushed[out.len()..out.len() + n]);
                } else {
                    assert!(queue.consume(n).is_err());
                }
            }
            Op::Slices(k) => {
                let mut dst = vec![IoSlice::new(&[]); usize::from(*k) % 40];
                let n = queue.io_slices(&mut dst);
                let seen: Vec<u8> = dst[..n].iter().flat_map(|s| s.iter().copied()).collect();
                assert_eq!(&seen[..], &pushed[out.len()..out.len() + seen.len()]);
            }
        }
        assert_eq!(&out[..], &pushed[..out.len()]);
        assert_eq!(queue.len(), pushed.len() - out.len());
    }
    queue.write_to(&mut out).unwrap();
    assert_eq!(out, pushed);
});
