//! Async HTTP-style responses over TCP loopback: 20 small headers + a 64 KiB body, sent by
//!
//! - `queue`: `WriteQueue` (headers coalesced into the staging arena, body by reference)
//!   flushed with `vectored::tokio::write_queue`;
//! - `slices`: the 22 pieces as `IoSlice`s through `vectored::tokio::write_all`;
//! - `bufwriter`: tokio's `BufWriter` (8 KiB) with `write_all` per piece, then `flush`.
//!
//! Time runs until a reader task has received every byte. Strategies are interleaved within
//! one run; the table gives medians, throughput, the ratio to `bufwriter`, and the write
//! calls per response counted by a wrapper around the socket.
//!
//! ```text
//! cargo bench -p vectored --features tokio --bench tokio_response [-- --reps 15 --responses 200]
//! ```

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use vectored::WriteQueue;

const BODY_LEN: usize = 64 * 1024;
const HEADERS: usize = 20;

/// Counts the write calls that went through to the socket.
struct Counting<W> {
    inner: W,
    calls: usize,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Counting<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if poll.is_ready() {
            self.calls += 1;
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if poll.is_ready() {
            self.calls += 1;
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    Queue,
    Slices,
    BufWriter,
}

impl Strategy {
    const ALL: [Strategy; 3] = [Strategy::Queue, Strategy::Slices, Strategy::BufWriter];

    fn name(self) -> &'static str {
        match self {
            Strategy::Queue => "queue",
            Strategy::Slices => "slices",
            Strategy::BufWriter => "bufwriter",
        }
    }
}

struct Response {
    pieces: Vec<Vec<u8>>,
    body: Arc<[u8]>,
}

impl Response {
    fn new() -> Self {
        let mut pieces = vec![b"HTTP/1.1 200 OK\r\n".to_vec()];
        pieces.push(format!("Content-Length: {BODY_LEN}\r\n").into_bytes());
        for i in 0..HEADERS - 1 {
            pieces.push(format!("X-Header-{i}: some header value {i}\r\n").into_bytes());
        }
        pieces.push(b"\r\n".to_vec());
        Self {
            pieces,
            body: vec![b'x'; BODY_LEN].into(),
        }
    }

    fn len(&self) -> usize {
        self.pieces.iter().map(Vec::len).sum::<usize>() + self.body.len()
    }
}

/// Sends `count` responses with `strategy`; returns the write calls made.
async fn send(
    strategy: Strategy,
    stream: &mut Counting<TcpStream>,
    response: &Response,
    count: usize,
) -> io::Result<usize> {
    let before = stream.calls;
    match strategy {
        Strategy::Queue => {
            let mut queue = WriteQueue::new();
            for _ in 0..count {
                for piece in &response.pieces {
                    queue.push_slice(piece);
                }
                queue.push(Arc::clone(&response.body));
                vectored::tokio::write_queue(stream, &mut queue).await?;
            }
        }
        Strategy::Slices => {
            for _ in 0..count {
                let mut slices: Vec<IoSlice<'_>> =
                    response.pieces.iter().map(|p| IoSlice::new(p)).collect();
                slices.push(IoSlice::new(&response.body));
                vectored::tokio::write_all(stream, &slices).await?;
            }
        }
        Strategy::BufWriter => {
            let mut writer = BufWriter::new(&mut *stream);
            for _ in 0..count {
                for piece in &response.pieces {
                    writer.write_all(piece).await?;
                }
                writer.write_all(&response.body).await?;
                writer.flush().await?;
            }
        }
    }
    Ok(stream.calls - before)
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

async fn run(nodelay: bool, reps: usize, responses: usize) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (mut server, _) = listener.accept().await?;
    client.set_nodelay(nodelay)?;
    let mut stream = Counting {
        inner: client,
        calls: 0,
    };
    let response = Response::new();
    let batch = response.len() * responses;

    // The reader drains one batch per request and reports when it has every byte.
    let (start_tx, mut start_rx) = tokio::sync::mpsc::channel::<()>(1);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<()>(1);
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 256 * 1024];
        while start_rx.recv().await.is_some() {
            let mut left = batch;
            while left > 0 {
                let n = server.read(&mut buf[..left.min(256 * 1024)]).await?;
                if n == 0 {
                    return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
                }
                left -= n;
            }
            done_tx.send(()).await.ok();
        }
        Ok::<(), io::Error>(())
    });

    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); Strategy::ALL.len()];
    let mut calls = vec![0usize; Strategy::ALL.len()];
    for rep in 0..=reps {
        for (i, &strategy) in Strategy::ALL.iter().enumerate() {
            start_tx.send(()).await.ok();
            let start = Instant::now();
            let made = send(strategy, &mut stream, &response, responses).await?;
            done_rx.recv().await;
            let elapsed = start.elapsed();
            // Repetition 0 warms up the connection (TCP autotuning, page faults).
            if rep > 0 {
                times[i].push(elapsed);
                calls[i] += made;
            }
        }
    }
    drop(start_tx);
    reader.await.expect("reader task")?;

    let medians: Vec<Duration> = times.iter_mut().map(|t| median(t)).collect();
    let baseline = medians[2];
    println!(
        "\nTCP loopback, TCP_NODELAY {}: {responses} responses of {} B (20 headers + 64 KiB body) per batch, median of {reps}",
        if nodelay { "on" } else { "off" },
        response.len()
    );
    println!(
        "{:<10} {:>12} {:>12} {:>14} {:>16}",
        "strategy", "median", "MB/s", "vs bufwriter", "writes/response"
    );
    for (i, strategy) in Strategy::ALL.iter().enumerate() {
        let secs = medians[i].as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let (mbps, per_response) = (
            batch as f64 / secs / 1e6,
            calls[i] as f64 / (reps * responses) as f64,
        );
        println!(
            "{:<10} {:>10.2}ms {:>12.0} {:>13.2}x {:>16.2}",
            strategy.name(),
            secs * 1e3,
            mbps,
            secs / baseline.as_secs_f64(),
            per_response
        );
    }
    Ok(())
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> io::Result<()> {
    // `cargo test --benches` runs bench targets with `--bench`-less args: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let reps = if quick { 1 } else { arg("--reps", 15) };
    let responses = if quick { 5 } else { arg("--responses", 200) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        run(true, reps, responses).await?;
        run(false, reps, responses).await
    })
}
