//! `vectored::tokio` against a scripted `AsyncWrite` of our own (tokio-test's mock ignores
//! vectored writes), plus real sockets, cancellation and timeouts.
#![cfg(feature = "tokio")]

use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};
use vectored::{IoCursor, IoCursorMut, WriteQueue, IOV_MAX};

/// What the mock does on one call.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Accept at most this many bytes.
    Take(usize),
    /// Return `Pending` (after waking the task, as a real writer would once ready).
    Pending,
    Interrupted,
    /// Fail with `EIO`.
    Fail,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1usize..5000).prop_map(Step::Take),
        2 => Just(Step::Pending),
        1 => Just(Step::Interrupted),
        1 => (1usize..3).prop_map(Step::Take),
        1 => Just(Step::Fail),
    ]
}

/// A scripted `AsyncWrite`: follows `script` call by call (then accepts everything),
/// vectored or not.
struct Mock {
    out: Vec<u8>,
    script: Vec<Step>,
    next: usize,
    vectored: bool,
    calls: usize,
}

impl Mock {
    fn new(script: Vec<Step>, vectored: bool) -> Self {
        Self {
            out: Vec::new(),
            script,
            next: 0,
            vectored,
            calls: 0,
        }
    }

    fn write_bufs(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        assert!(bufs.len() <= IOV_MAX, "window of {} iovecs", bufs.len());
        self.calls += 1;
        let step = self
            .script
            .get(self.next)
            .copied()
            .unwrap_or(Step::Take(usize::MAX));
        self.next += 1;
        match step {
            Step::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Step::Interrupted => Poll::Ready(Err(io::ErrorKind::Interrupted.into())),
            Step::Fail => Poll::Ready(Err(io::Error::from_raw_os_error(libc::EIO))),
            Step::Take(limit) => {
                let mut left = limit;
                for buf in bufs {
                    let n = buf.len().min(left);
                    self.out.extend_from_slice(&buf[..n]);
                    left -= n;
                    if left == 0 {
                        break;
                    }
                }
                Poll::Ready(Ok(limit - left))
            }
        }
    }
}

impl AsyncWrite for Mock {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_bufs(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.vectored {
            this.write_bufs(cx, bufs)
        } else {
            // What tokio's default does: the first non-empty buffer only.
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &**b);
            this.write_bufs(cx, &[IoSlice::new(first)])
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn buffers(lens: &[usize]) -> Vec<Vec<u8>> {
    lens.iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 7 + j * 13).to_le_bytes()[0]).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn write_all_matches_model(
        lens in proptest::collection::vec(prop_oneof![3 => 0usize..64, 1 => 0usize..20_000], 0..1500),
        script in proptest::collection::vec(step(), 0..40),
        vectored in any::<bool>(),
    ) {
        let data = buffers(&lens);
        let expected = data.concat();
        let bufs: Vec<IoSlice<'_>> = data.iter().map(|b| IoSlice::new(b)).collect();
        let before: Vec<(usize, usize)> = bufs.iter().map(|b| (b.as_ptr() as usize, b.len())).collect();
        let mut mock = Mock::new(script, vectored);
        let result = runtime().block_on(vectored::tokio::write_all(&mut mock, &bufs));
        match result {
            Ok(n) => {
                prop_assert_eq!(n, expected.len());
                prop_assert_eq!(&mock.out, &expected);
            }
            Err(e) => {
                prop_assert_eq!(e.raw_os_error(), Some(libc::EIO));
                prop_assert_eq!(e.transferred(), mock.out.len());
                prop_assert_eq!(&mock.out[..], &expected[..mock.out.len()]);
            }
        }
        let after: Vec<(usize, usize)> = bufs.iter().map(|b| (b.as_ptr() as usize, b.len())).collect();
        prop_assert_eq!(before, after);
    }

    #[test]
    fn write_queue_matches_model(
        lens in proptest::collection::vec(prop_oneof![3 => 0usize..64, 1 => 0usize..20_000], 0..800),
        script in proptest::collection::vec(step(), 0..40),
        vectored in any::<bool>(),
    ) {
        let data = buffers(&lens);
        let expected = data.concat();
        let mut queue = WriteQueue::new();
        for d in &data {
            queue.push_slice(d);
        }
        let mut mock = Mock::new(script, vectored);
        let rt = runtime();
        // Retry after failures, as a server would: the queue must resume exactly.
        let mut failures = 0;
        while !queue.is_empty() {
            let before = queue.len();
            match rt.block_on(vectored::tokio::write_queue(&mut mock, &mut queue)) {
                Ok(n) => prop_assert_eq!(n, before),
                Err(e) => {
                    failures += 1;
                    prop_assert_eq!(queue.len(), before - e.transferred());
                }
            }
            prop_assert_eq!(&mock.out[..], &expected[..mock.out.len()]);
            prop_assert_eq!(queue.len(), expected.len() - mock.out.len());
            prop_assert!(failures < 100);
        }
        prop_assert_eq!(mock.out, expected);
    }
}

#[test]
fn non_vectored_writer_gets_coalesced_writes_not_one_per_buffer() {
    let data = buffers(&[16; 1000]);
    let bufs: Vec<IoSlice<'_>> = data.iter().map(|b| IoSlice::new(b)).collect();
    let mut mock = Mock::new(Vec::new(), false);
    runtime()
        .block_on(vectored::tokio::write_all(&mut mock, &bufs))
        .unwrap();
    assert_eq!(mock.calls, 1);
    assert_eq!(mock.out, data.concat());
}

#[test]
fn vectored_writer_gets_iov_max_windows() {
    let data = buffers(&vec![1; 3000]);
    let bufs: Vec<IoSlice<'_>> = data.iter().map(|b| IoSlice::new(b)).collect();
    let mut mock = Mock::new(Vec::new(), true);
    runtime()
        .block_on(vectored::tokio::write_all(&mut mock, &bufs))
        .unwrap();
    assert_eq!(mock.calls, 3);
}

#[test]
fn queue_response_is_one_call() {
    let body = vec![b'b'; 64 * 1024];
    let mut queue = WriteQueue::new();
    queue.push(&b"HTTP/1.1 200 OK\r\n"[..]);
    for i in 0..20 {
        std::io::Write::write_all(
            &mut queue,
            format!("X-Header-{i}: some value\r\n").as_bytes(),
        )
        .unwrap();
    }
    queue.push_copy(b"\r\n");
    queue.push_slice(&body);
    let mut mock = Mock::new(Vec::new(), true);
    runtime()
        .block_on(vectored::tokio::write_queue(&mut mock, &mut queue))
        .unwrap();
    assert_eq!(mock.calls, 1);
}

#[test]
fn dropping_the_queue_future_midway_keeps_exactly_the_unwritten_bytes() {
    let data = buffers(&[700; 50]);
    let expected = data.concat();
    let mut queue = WriteQueue::new();
    for d in &data {
        queue.push_slice(d);
    }
    // 3 partial writes, then the writer is not ready.
    let mut mock = Mock::new(
        vec![
            Step::Take(1000),
            Step::Take(333),
            Step::Take(1),
            Step::Pending,
        ],
        true,
    );
    {
        let mut fut = pin!(vectored::tokio::write_queue(&mut mock, &mut queue));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // Dropped here, midway.
    }
    assert_eq!(mock.out.len(), 1334);
    assert_eq!(queue.len(), expected.len() - 1334);
    // Resuming writes exactly the rest.
    runtime()
        .block_on(vectored::tokio::write_queue(&mut mock, &mut queue))
        .unwrap();
    assert_eq!(mock.out, expected);
}

#[test]
fn dropping_the_cursor_future_midway_keeps_the_position() {
    let data = buffers(&[100; 10]);
    let bufs: Vec<IoSlice<'_>> = data.iter().map(|b| IoSlice::new(b)).collect();
    let mut cursor = IoCursor::new(&bufs);
    let mut mock = Mock::new(vec![Step::Take(250), Step::Pending], true);
    {
        let mut fut = pin!(vectored::tokio::write_all_cursor(&mut mock, &mut cursor));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(cursor.transferred(), 250);
    let n = runtime()
        .block_on(vectored::tokio::write_all_cursor(&mut mock, &mut cursor))
        .unwrap();
    assert_eq!(n, 1000);
    assert_eq!(mock.out, data.concat());
}

/// A TCP pair whose server side is read slowly into a Vec by a task.
async fn slow_tcp_reader() -> (TcpStream, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            let n = server.read(&mut buf).await.unwrap();
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
            if got.len() < 512 * 1024 {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
    });
    (client, reader)
}

#[test]
fn tcp_loopback_end_to_end_with_a_slow_reader() {
    runtime().block_on(async {
        let data = buffers(&[3, 900, 70_000, 12].repeat(200));
        let expected = data.concat();
        let (mut client, reader) = slow_tcp_reader().await;
        let mut queue = WriteQueue::new();
        for d in &data[..400] {
            queue.push_slice(d);
        }
        vectored::tokio::write_queue(&mut client, &mut queue)
            .await
            .unwrap();
        let bufs: Vec<IoSlice<'_>> = data[400..].iter().map(|b| IoSlice::new(b)).collect();
        vectored::tokio::write_all(&mut client, &bufs)
            .await
            .unwrap();
        client.shutdown().await.unwrap();
        drop(client);
        assert_eq!(reader.await.unwrap(), expected);
    });
}

#[test]
fn timeout_reports_progress_through_the_cursor() {
    runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let big = vec![7u8; 32 << 20];
        let bufs = [IoSlice::new(&big)];
        let mut cursor = IoCursor::new(&bufs);
        let timed_out = tokio::time::timeout(
            Duration::from_millis(100),
            vectored::tokio::write_all_cursor(&mut client, &mut cursor),
        )
        .await
        .is_err();
        assert!(timed_out);
        let sent = cursor.transferred();
        assert!(sent > 0 && sent < big.len());
        // Everything the cursor counts, and nothing more, reaches the peer.
        drop(client);
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), sent);
    });
}

#[test]
fn read_exact_fills_in_order_and_reports_eof() {
    runtime().block_on(async {
        let (reader, mut writer) = UnixStream::pair().unwrap();
        let sender = tokio::spawn(async move {
            for piece in [&b"he"[..], b"llo", b" wor", b"ld"] {
                writer.write_all(piece).await.unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        let (mut first, mut second) = ([0u8; 6], [0u8; 5]);
        let mut bufs = [
            IoSliceMut::new(&mut first),
            IoSliceMut::new(&mut []),
            IoSliceMut::new(&mut second),
        ];
        assert_eq!(
            vectored::tokio::read_exact(&reader, &mut bufs)
                .await
                .unwrap(),
            11
        );
        assert_eq!((&first, &second), (b"hello ", b"world"));
        sender.await.unwrap();
        // The writer is gone: the next read ends early.
        let mut more = [0u8; 4];
        let err = vectored::tokio::read_exact(&reader, &mut [IoSliceMut::new(&mut more)])
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::UnexpectedEof, 0)
        );
    });
}

#[test]
fn read_exact_cursor_resumes_after_a_timeout() {
    runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut b, _) = listener.accept().await.unwrap();
        b.write_all(b"first").await.unwrap();
        let mut buf = [0u8; 10];
        let mut bufs = [IoSliceMut::new(&mut buf)];
        let mut cursor = IoCursorMut::new(&mut bufs);
        let first = tokio::time::timeout(
            Duration::from_millis(50),
            vectored::tokio::read_exact_cursor(&a, &mut cursor),
        )
        .await;
        assert!(first.is_err());
        assert_eq!(cursor.transferred(), 5);
        b.write_all(b"-rest").await.unwrap();
        let n = vectored::tokio::read_exact_cursor(&a, &mut cursor)
            .await
            .unwrap();
        assert_eq!(n, 10);
        drop(cursor);
        assert_eq!(&buf, b"first-rest");
    });
}
