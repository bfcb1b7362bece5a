//! The write queue against a model: random pushes of every chunk kind and random flushes
//! through short, blocking and failing writers; plus real fds.

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;

use proptest::prelude::*;
use vectored::{QueueOptions, WriteQueue, IOV_MAX};

/// How a chunk is handed to the queue.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Vec,
    Boxed,
    Shared,
    Str,
    Borrowed,
    Static,
    Copy,
    Write,
    #[cfg(feature = "bytes")]
    Bytes,
}

fn kind() -> impl Strategy<Value = Kind> {
    #[cfg_attr(not(feature = "bytes"), allow(unused_mut))]
    let mut kinds = vec![
        Kind::Vec,
        Kind::Boxed,
        Kind::Shared,
        Kind::Str,
        Kind::Borrowed,
        Kind::Static,
        Kind::Copy,
        Kind::Write,
    ];
    #[cfg(feature = "bytes")]
    kinds.push(Kind::Bytes);
    proptest::sample::select(kinds)
}

/// Sizes biased to the interesting ranges: tiny, around the threshold, and large.
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..64,
        3 => 200usize..800,
        1 => 0usize..128 * 1024,
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Push(Kind, usize),
    /// Flush through a writer that accepts at most this many bytes per call, then fails
    /// with the given error after `calls` calls (None: never fails).
    Flush {
        per_call: usize,
        fail_after: Option<(usize, bool)>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (kind(), size()).prop_map(|(k, s)| Op::Push(k, s)),
        1 => (1usize..100_000, proptest::option::of((0usize..6, any::<bool>())))
            .prop_map(|(per_call, fail_after)| Op::Flush { per_call, fail_after }),
    ]
}

/// A sink that takes at most `per_call` bytes per call and fails after `fail_after` calls,
/// with `WouldBlock` or a hard error.
struct Sink<'o> {
    out: &'o mut Vec<u8>,
    per_call: usize,
    calls_left: Option<usize>,
    would_block: bool,
    calls: usize,
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        assert!(bufs.len() <= IOV_MAX, "window of {} iovecs", bufs.len());
        self.calls += 1;
        if let Some(left) = &mut self.calls_left {
            if *left == 0 {
                return Err(if self.would_block {
                    io::ErrorKind::WouldBlock.into()
                } else {
                    io::Error::from_raw_os_error(libc::EIO)
                });
            }
            *left -= 1;
        }
        let mut budget = self.per_call;
        for buf in bufs {
            let n = buf.len().min(budget);
            self.out.extend_from_slice(&buf[..n]);
            budget -= n;
            if budget == 0 {
                break;
            }
        }
        Ok(self.per_call - budget)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Distinct content per push so a duplicated or dropped chunk cannot go unnoticed.
fn content(index: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (index.wrapping_mul(131) ^ i.wrapping_mul(7)).to_le_bytes()[0])
        .collect()
}

static STATIC_DATA: [u8; 128 * 1024] = {
    let mut data = [0u8; 128 * 1024];
    let mut i = 0;
    while i < data.len() {
        data[i] = (i % 251).to_le_bytes()[0];
        i += 1;
    }
    data
};

fn run_ops(ops: &[Op], options: QueueOptions) -> Result<(), TestCaseError> {
    // Borrowed chunks must outlive the queue: make them all first.
    let payloads: Vec<Vec<u8>> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| match op {
            Op::Push(Kind::Static, len) => STATIC_DATA[..*len].to_vec(),
            Op::Push(_, len) => content(i, *len),
            Op::Flush { .. } => Vec::new(),
        })
        .collect();
    let mut queue = WriteQueue::with_options(options);
    let mut expected = Vec::new();
    let mut out = Vec::new();
    for (op, payload) in ops.iter().zip(&payloads) {
        match op {
            Op::Push(kind, len) => {
                let data = payload.clone();
                match kind {
                    Kind::Vec => queue.push(data),
                    Kind::Boxed => queue.push(data.into_boxed_slice()),
                    Kind::Shared => queue.push(Arc::<[u8]>::from(data)),
                    Kind::Str => queue.push(String::from_utf8_lossy(&data).into_owned()),
                    Kind::Borrowed => queue.push_slice(payload),
                    Kind::Static => queue.push(&STATIC_DATA[..*len]),
                    Kind::Copy => queue.push_copy(&data),
                    Kind::Write => queue.write_all(&data).unwrap(),
                    #[cfg(feature = "bytes")]
                    Kind::Bytes => queue.push(bytes::Bytes::from(data)),
                }
                match kind {
                    // `from_utf8_lossy` may change the bytes; the model follows the queue.
                    Kind::Str => {
                        expected.extend_from_slice(String::from_utf8_lossy(payload).as_bytes());
                    }
                    _ => expected.extend_from_slice(payload),
                }
            }
            Op::Flush {
                per_call,
                fail_after,
            } => {
                let before = queue.len();
                let out_before = out.len();
                let mut sink = Sink {
                    out: &mut out,
                    per_call: *per_call,
                    calls_left: fail_after.map(|(k, _)| k),
                    would_block: fail_after.is_some_and(|(_, wb)| wb),
                    calls: 0,
                };
                let result = queue.write_to(&mut sink);
                let written = out.len() - out_before;
                match result {
                    Ok(n) => {
                        prop_assert_eq!(n, before);
                        prop_assert!(queue.is_empty());
                    }
                    Err(e) => {
                        prop_assert_eq!(e.transferred(), written);
                        prop_assert!(fail_after.is_some(), "unexpected error {e}");
                    }
                }
            }
        }
        // The invariant after every step: what went out is an exact prefix, and the queue
        // holds exactly the rest.
        prop_assert_eq!(&out[..], &expected[..out.len()]);
        prop_assert_eq!(queue.len(), expected.len() - out.len());
    }
    queue.write_to(&mut out).unwrap();
    prop_assert_eq!(out, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn queue_matches_model(ops in proptest::collection::vec(op(), 1..60)) {
        run_ops(&ops, QueueOptions::new())?;
    }

    #[test]
    fn queue_matches_model_with_tiny_arena(
        ops in proptest::collection::vec(op(), 1..60),
        threshold in 0usize..700,
        arena in 1usize..4096,
    ) {
        run_ops(&ops, QueueOptions::new().copy_threshold(threshold).arena_size(arena))?;
    }

    #[test]
    fn io_slices_and_consume_walk_the_stream(
        sizes in proptest::collection::vec(size(), 0..40),
        steps in proptest::collection::vec((1usize..16, 0usize..70_000), 1..30),
    ) {
        let payloads: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, &n)| content(i, n)).collect();
        let expected = payloads.concat();
        let mut queue = WriteQueue::new();
        for p in &payloads {
            queue.push_slice(p);
        }
        let mut pos = 0;
        for (slots, step) in steps {
            let mut dst = vec![IoSlice::new(&[]); slots];
            let n = queue.io_slices(&mut dst);
            let seen: Vec<u8> = dst[..n].iter().flat_map(|s| s.iter().copied()).collect();
            prop_assert!(dst[..n].iter().all(|s| !s.is_empty()));
            prop_assert_eq!(&seen[..], &expected[pos..pos + seen.len()]);
            let step = step.min(queue.len());
            queue.consume(step).unwrap();
            pos += step;
            prop_assert_eq!(queue.len(), expected.len() - pos);
        }
    }
}

#[test]
fn flush_makes_one_call_per_iov_max_iovecs() {
    // 3000 large chunks by reference: exactly ceil(3000 / 1024) calls.
    let payloads: Vec<Vec<u8>> = (0..3000).map(|i| content(i, 600)).collect();
    let mut queue = WriteQueue::new();
    for p in &payloads {
        queue.push_slice(p);
    }
    let mut out = Vec::new();
    let mut sink = Sink {
        out: &mut out,
        per_call: usize::MAX,
        calls_left: None,
        would_block: false,
        calls: 0,
    };
    queue.write_to(&mut sink).unwrap();
    assert_eq!(sink.calls, 3);
    assert_eq!(out, payloads.concat());
}

#[test]
fn header_and_body_go_out_in_one_call() {
    let body = vec![b'b'; 64 * 1024];
    let mut queue = WriteQueue::new();
    queue.push(&b"HTTP/1.1 200 OK\r\n"[..]);
    for i in 0..20 {
        write!(queue, "X-Header-{i}: value\r\n").unwrap();
    }
    queue.push_copy(b"\r\n");
    queue.push_slice(&body);
    assert_eq!(queue.iovecs(), 2);
    let mut out = Vec::new();
    let mut sink = Sink {
        out: &mut out,
        per_call: usize::MAX,
        calls_left: None,
        would_block: false,
        calls: 0,
    };
    queue.write_to(&mut sink).unwrap();
    assert_eq!(sink.calls, 1);
}

#[test]
fn tiny_records_coalesce_into_few_iovecs() {
    let mut queue = WriteQueue::new();
    for i in 0..100_000u32 {
        queue.push_copy(&i.to_le_bytes().repeat(4));
    }
    // 1.6 MB of 16-byte records in blocks of 64 KiB, 128 KiB, ..., 1 MiB: 5 iovecs, one call.
    assert_eq!(queue.iovecs(), 5);
    let mut out = Vec::new();
    queue.write_to(&mut out).unwrap();
    assert_eq!(out.len(), 1_600_000);
    assert_eq!(&out[16..20], &1u32.to_le_bytes());
}

mod fds {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsFd;
    use std::os::unix::net::{UnixDatagram, UnixStream};
    use std::thread;
    use std::time::Duration;
    use vectored::{FdKind, FdOptions};

    fn workload() -> (Vec<Vec<u8>>, Vec<u8>) {
        let chunks: Vec<Vec<u8>> = (0..5000)
            .map(|i| content(i, [3, 100, 700, 5000][i % 4]))
            .collect();
        let all = chunks.concat();
        (chunks, all)
    }

    fn fill(queue: &mut WriteQueue<'_>, chunks: &[Vec<u8>]) {
        for (i, c) in chunks.iter().enumerate() {
            if i % 2 == 0 {
                queue.push(c.clone());
            } else {
                queue.push_copy(c);
            }
        }
    }

    /// Reads everything from `r` in a thread, slowly at first.
    fn slow_reader<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<Vec<u8>> {
        thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 7000];
            let mut reads = 0;
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n]);
                reads += 1;
                if reads < 20 {
                    thread::sleep(Duration::from_millis(1));
                }
            }
        })
    }

    #[test]
    fn pipe() {
        let (chunks, all) = workload();
        let (r, w) = std::io::pipe().unwrap();
        let reader = slow_reader(r);
        let mut queue = WriteQueue::new();
        fill(&mut queue, &chunks);
        assert_eq!(queue.write_to_fd(&w, &FdOptions::new()).unwrap(), all.len());
        drop(w);
        assert_eq!(reader.join().unwrap(), all);
    }

    #[test]
    fn nonblocking_pipe_resumes_exactly_after_would_block() {
        let (chunks, all) = workload();
        let (mut r, w) = std::io::pipe().unwrap();
        rustix::io::ioctl_fionbio(&w, true).unwrap();
        let mut queue = WriteQueue::new();
        fill(&mut queue, &chunks);
        let opts = FdOptions::new().nonblocking();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 10_000];
        let mut would_blocks = 0;
        while !queue.is_empty() {
            let before = queue.len();
            match queue.write_to_fd(&w, &opts) {
                Ok(n) => assert_eq!(n, before),
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                    assert_eq!(queue.len(), before - e.transferred());
                    would_blocks += 1;
                    let n = r.read(&mut buf).unwrap();
                    got.extend_from_slice(&buf[..n]);
                }
            }
        }
        drop(w);
        r.read_to_end(&mut got).unwrap();
        assert!(would_blocks > 0, "the pipe never filled up");
        assert_eq!(got, all);
    }

    /// A queue that a flush to `/dev/null` taught to keep small borrowed chunks by
    /// reference holds only borrowed entries, more than one call takes (`IOV_MAX`): its
    /// flush runs a cursor over them as stored (staging the small ones for a pipe, not for
    /// a pipe declared a device), and stays exact after every `WouldBlock`.
    #[test]
    fn borrowed_chunks_kept_by_reference_resume_exactly_after_would_block() {
        let chunks: Vec<Vec<u8>> = (0..3000)
            .map(|i| content(i, [3, 100, 300, 700, 5000][i % 5]))
            .collect();
        let all = chunks.concat();
        let null = std::fs::File::create("/dev/null").unwrap();
        for declared in [None, Some(FdKind::Other)] {
            let (mut r, w) = std::io::pipe().unwrap();
            rustix::io::ioctl_fionbio(&w, true).unwrap();
            let mut queue = WriteQueue::new();
            queue.push_slice(&all);
            queue.write_to_fd(&null, &FdOptions::new()).unwrap();
            for c in &chunks {
                queue.push_slice(c);
            }
            assert_eq!(queue.iovecs(), chunks.len(), "kept by reference");
            let mut opts = FdOptions::new().nonblocking();
            if let Some(kind) = declared {
                opts = opts.kind(kind);
            }
            let mut got = Vec::new();
            let mut buf = vec![0u8; 10_000];
            let mut would_blocks = 0;
            while !queue.is_empty() {
                let before = queue.len();
                match queue.write_to_fd(&w, &opts) {
                    Ok(n) => assert_eq!(n, before),
                    Err(e) => {
                        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                        assert_eq!(queue.len(), before - e.transferred());
                        would_blocks += 1;
                        let n = r.read(&mut buf).unwrap();
                        got.extend_from_slice(&buf[..n]);
                    }
                }
            }
            drop(w);
            r.read_to_end(&mut got).unwrap();
            assert!(would_blocks > 0, "the pipe never filled up");
            assert!(got == all, "{declared:?}: the bytes differ");
        }
    }

    #[test]
    fn socketpair() {
        let (chunks, all) = workload();
        let (a, b) = UnixStream::pair().unwrap();
        let reader = slow_reader(b);
        let mut queue = WriteQueue::new();
        fill(&mut queue, &chunks);
        queue.write_to_fd(&a, &FdOptions::new()).unwrap();
        drop(a);
        assert_eq!(reader.join().unwrap(), all);
    }

    #[test]
    fn tcp_loopback() {
        let (chunks, all) = workload();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let reader = slow_reader(server);
        let mut queue = WriteQueue::new();
        fill(&mut queue, &chunks);
        queue.write_to_fd(&client, &FdOptions::new()).unwrap();
        drop(client);
        assert_eq!(reader.join().unwrap(), all);
    }

    #[test]
    fn file() {
        let (chunks, all) = workload();
        let path = std::env::temp_dir().join(format!("vectored-queue-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let mut queue = WriteQueue::new();
        fill(&mut queue, &chunks);
        queue.write_to_fd(&file, &FdOptions::new()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), all);
        std::fs::remove_file(&path).unwrap();
    }

    /// A short queue (at most 16 iovecs and 8 KiB) goes out in a first call made before the
    /// fd's kind is known; a short first call leaves exactly the rest queued, and the next
    /// flush sends it in order.
    #[test]
    fn a_short_queue_that_the_first_call_cuts_resumes_exactly() {
        let head = vec![b'h'; 3000];
        let body = vec![b'b'; 3000];
        for kind in [None, Some(FdKind::Other)] {
            first_call_cut_short(kind, &[&head, &body]);
        }
    }

    /// A queue of borrowed chunks is offered as the queue stores them (up to `IOV_MAX`
    /// entries) by the first call of a flush whose writer may call alone; cut short, it
    /// resumes exactly.
    #[test]
    fn a_queue_of_borrowed_chunks_that_the_first_call_cuts_resumes_exactly() {
        let chunks: Vec<Vec<u8>> = (0..500).map(|i| content(i, 600 + i % 7)).collect();
        let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        first_call_cut_short(Some(FdKind::Other), &chunks);
    }

    /// `kind`: none, for the call before the `fstat`; declared (a lie that makes it a plain
    /// `writev`), for the call before the flush loop.
    fn first_call_cut_short(kind: Option<FdKind>, chunks: &[&[u8]]) {
        let declare = |opts: FdOptions| match kind {
            Some(kind) => opts.kind(kind),
            None => opts,
        };
        let opts = &declare(FdOptions::new().nonblocking());
        let all = chunks.concat();
        let (mut r, w) = std::io::pipe().unwrap();
        rustix::io::ioctl_fionbio(&w, true).unwrap();
        // Fill the pipe, then free one page: a write of more than that (more than PIPE_BUF,
        // so not atomic) takes 4096 bytes and stops.
        let page = [0u8; 4096];
        let mut filled = 0;
        while let Ok(n) = rustix::io::write(&w, &page) {
            filled += n;
        }
        let mut buf = vec![0u8; 4096];
        let mut freed = 0;
        while freed < 4096 {
            freed += r.read(&mut buf[freed..]).unwrap();
        }
        let mut queue = WriteQueue::new();
        for chunk in chunks {
            queue.push_slice(chunk);
        }
        let err = queue.write_to_fd(&w, opts).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{err}");
        let sent = err.transferred();
        assert!(sent > 0 && sent < all.len(), "{sent}");
        assert_eq!(queue.len(), all.len() - sent);
        // Drain what was there before, then take ours.
        let mut got = Vec::new();
        let mut old = filled - 4096;
        while old > 0 {
            let n = r.read(&mut buf[..old.min(4096)]).unwrap();
            old -= n;
        }
        // The rest, as a reader takes it (a queue of many chunks is more than the pipe
        // holds): the flush waits for room on `EAGAIN`.
        let reader = thread::spawn(move || {
            r.read_to_end(&mut got).unwrap();
            got
        });
        let waiting = declare(FdOptions::new().timeout(Duration::from_secs(60)));
        assert_eq!(queue.write_to_fd(&w, &waiting).unwrap(), all.len() - sent);
        drop(w);
        assert_eq!(reader.join().unwrap(), all);
    }

    /// A flush of a queue of either shape (a short one with a staged chunk, or borrowed
    /// chunks offered as stored), with the kind undeclared or declared, fails with `kind`
    /// before any byte and keeps everything queued.
    fn failed_flushes_keep_everything(fd: impl AsFd, declared: FdKind, kind: io::ErrorKind) {
        let big = vec![b'x'; 200_000];
        for opts in [FdOptions::new(), FdOptions::new().kind(declared)] {
            let mut short = WriteQueue::new();
            short.push("status\n");
            short.push(vec![b'.'; 100]);
            let mut borrowed = WriteQueue::new();
            for chunk in big.chunks(1000) {
                borrowed.push_slice(chunk);
            }
            for (mut queue, len) in [(short, 107), (borrowed, big.len())] {
                let err = queue.write_to_fd(fd.as_fd(), &opts).unwrap_err();
                assert_eq!((err.kind(), err.transferred()), (kind, 0), "{opts:?}");
                assert_eq!(queue.len(), len);
            }
        }
    }

    #[test]
    fn a_queue_to_a_socket_whose_peer_is_gone_is_a_broken_pipe() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        failed_flushes_keep_everything(&a, FdKind::Socket, io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn dev_full_keeps_everything_queued() {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        failed_flushes_keep_everything(&file, FdKind::Other, io::ErrorKind::StorageFull);
    }

    #[test]
    fn datagram_messages_are_one_datagram_each() {
        let (a, b) = UnixDatagram::pair().unwrap();
        let mut queue = WriteQueue::new();
        let big = vec![b'z'; 2000];
        for i in 0..10 {
            write!(queue, "message {i}:").unwrap();
            queue.push_slice(&big[..i * 150]);
            queue.end_message();
        }
        queue.write_messages_to_fd(&a, &FdOptions::new()).unwrap();
        let mut buf = vec![0u8; 4096];
        for i in 0..10 {
            let n = b.recv(&mut buf).unwrap();
            let header = format!("message {i}:");
            assert_eq!(n, header.len() + i * 150);
            assert_eq!(&buf[..header.len()], header.as_bytes());
        }
    }

    #[test]
    fn seqpacket_messages_keep_one_call_each() {
        // Not SOCK_DGRAM: the message mode keeps one sendmsg per message, and a seqpacket
        // socket shows each call as one record.
        use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};
        let (a, b) = socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        let mut queue = WriteQueue::new();
        let records: Vec<Vec<u8>> = (0..20u8)
            .map(|i| vec![i; 40 + usize::from(i) * 7])
            .collect();
        for r in &records {
            queue.push_copy(&r[..1]);
            queue.push(r[1..].to_vec());
            queue.end_message();
        }
        let total: usize = records.iter().map(Vec::len).sum();
        assert_eq!(
            queue.write_messages_to_fd(&a, &FdOptions::new()).unwrap(),
            total
        );
        let mut buf = [0u8; 512];
        for r in &records {
            let (n, _) = rustix::net::recv(&b, &mut buf, rustix::net::RecvFlags::empty()).unwrap();
            assert_eq!(&buf[..n], &r[..]);
        }
    }

    #[test]
    fn oversized_datagram_is_refused_and_kept() {
        let (a, _b) = UnixDatagram::pair().unwrap();
        let mut queue = WriteQueue::new();
        queue.push(vec![0u8; 4 << 20]); // far above the socket's limit
        queue.end_message();
        let err = queue
            .write_messages_to_fd(&a, &FdOptions::new())
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
        assert_eq!(err.transferred(), 0);
        assert_eq!((queue.len(), queue.messages()), (4 << 20, 1));
    }

    #[test]
    fn append_records_stay_whole() {
        let path = std::env::temp_dir().join(format!("vectored-append-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        let mut queue = WriteQueue::new();
        for i in 0..100 {
            write!(queue, "{i:04} ").unwrap();
            queue.push(vec![b'r'; 1000]);
            queue.push_copy(b"\n");
            queue.end_message();
        }
        queue
            .write_messages_to_fd(&file, &FdOptions::new())
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 100);
        assert!(text
            .lines()
            .enumerate()
            .all(|(i, l)| l.starts_with(&format!("{i:04} "))));
        std::fs::remove_file(&path).unwrap();
    }
}

#[cfg(feature = "bytes")]
mod buf_conformance {
    use super::*;
    use bytes::Buf;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// `chunk`, `chunks_vectored`, `advance` and `remaining` tell the same story, in order
        /// (the property bytes#701 broke for `Chain`).
        #[test]
        fn buf_views_agree(
            sizes in proptest::collection::vec(size(), 0..30),
            steps in proptest::collection::vec((0usize..8, 0usize..50_000), 1..20),
        ) {
            let payloads: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, &n)| content(i, n)).collect();
            let expected = payloads.concat();
            let mut queue = WriteQueue::new();
            for p in &payloads {
                queue.push(bytes::Bytes::from(p.clone()));
            }
            let mut pos = 0;
            for (slots, step) in steps {
                prop_assert_eq!(queue.remaining(), expected.len() - pos);
                let chunk = queue.chunk();
                prop_assert_eq!(chunk, &expected[pos..pos + chunk.len()]);
                prop_assert_eq!(chunk.is_empty(), queue.remaining() == 0);
                let mut dst = vec![IoSlice::new(&[]); slots];
                let n = queue.chunks_vectored(&mut dst);
                if slots > 0 && queue.has_remaining() {
                    prop_assert!(n > 0);
                    prop_assert_eq!(&*dst[0], chunk);
                }
                let seen: Vec<u8> = dst[..n].iter().flat_map(|s| s.iter().copied()).collect();
                prop_assert_eq!(&seen[..], &expected[pos..pos + seen.len()]);
                let step = step.min(queue.remaining());
                queue.advance(step);
                pos += step;
            }
            let mut rest = Vec::new();
            while queue.has_remaining() {
                let c = queue.chunk().to_vec();
                queue.advance(c.len());
                rest.extend(c);
            }
            prop_assert_eq!(rest, &expected[pos..]);
        }
    }

    #[test]
    #[should_panic(expected = "past its end")]
    fn advancing_past_the_end_panics() {
        let mut queue = WriteQueue::new();
        queue.push("ab");
        queue.advance(3);
    }
}
