//! A tiny async HTTP/1.1 server that answers every request with headers and a body
//! assembled in a `WriteQueue` and sent with one vectored write.
//!
//! ```text
//! cargo run --example tokio_http --features tokio -- [--port P] [--requests N]
//! curl -i http://127.0.0.1:<port>/
//! ```
//!
//! The status line and 20 headers are formatted straight into the queue's staging arena
//! (tiny pieces, coalesced into one iovec); the 64 KiB body is shared by every response
//! through an `Arc` and passed to the kernel by reference. Pipelined requests that arrive
//! together are answered together: their responses go out in one vectored write. The server
//! exits after `--requests N` responses (default: run forever).
//!
//! Connection management follows RFC 9112 §9: a connection is kept alive unless the request
//! says `Connection: close`, or is `HTTP/1.0` without `Connection: keep-alive` (then the
//! response says `Connection: keep-alive`); a closing response is followed by a graceful
//! close (§9.6). A request head may arrive in pieces; a malformed or oversized one gets `400`
//! and the connection is closed. Request bodies (`Content-Length`) are read and ignored.
//!
//! # Throughput
//!
//! Measured with `wrk` on loopback, 64 connections, a release build:
//!
//! ```text
//! cargo build --release -p vectored --features tokio --example tokio_http
//! target/release/examples/tokio_http --port 18090 &
//! wrk -t2 -c64 -d8s http://127.0.0.1:18090/
//! ```
//!
//! Six runs (two sessions of three) gave 9.2k to 23.5k responses/s of 64 KiB, median 16.5k;
//! that is 0.57 to 1.45 GiB/s, median 1.02 GiB/s (wrk prints binary units as "GB"); no run
//! had a socket error or a non-2xx response. The machine has 2 cores and was shared with
//! other engineers' builds (load average 3.5 to 13 during the runs): the figures are noisy
//! and say little about an idle machine. The raw output is in
//! `docs/bench/wrk-tokio_http-2026-12-02.txt`.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::timeout;
use vectored::WriteQueue;

mod http1;
use http1::{connection_header, parse_request, Request};

const BODY_LEN: usize = 64 * 1024;
/// How long a client may keep us waiting for (the rest of) a request.
const IDLE: Duration = Duration::from_secs(10);

struct Args {
    port: u16,
    requests: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        requests: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?;
            }
            "--requests" => {
                args.requests = Some(
                    value("--requests")?
                        .parse()
                        .map_err(|e| format!("--requests: {e}"))?,
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

/// The body: printable, position-dependent, so a client can check every byte.
fn body() -> Arc<[u8]> {
    b"abcdefghijklmnopqrstuvwxyz"
        .iter()
        .copied()
        .cycle()
        .take(BODY_LEN)
        .collect()
}

/// Queues one response: headers copied into the arena, body by reference.
/// `number` counts the requests on this connection.
fn respond(queue: &mut WriteQueue<'_>, body: &Arc<[u8]>, request: &Request, number: usize) {
    // Writing into a queue cannot fail.
    let _ = write!(
        queue,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}",
        body.len(),
        connection_header(request)
    );
    for i in 0..17 {
        let _ = write!(queue, "X-Vectored-{i}: example header value {i}\r\n");
    }
    let _ = write!(queue, "X-Request: {number}\r\n\r\n");
    // A response to HEAD has the headers of the GET response and no body.
    if request.method != "HEAD" {
        queue.push(Arc::clone(body));
    }
}

/// Queues a `400 Bad Request` that closes the connection.
fn bad_request(queue: &mut WriteQueue<'_>, reason: &str) {
    let _ = write!(
        queue,
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{reason}\n",
        reason.len() + 1
    );
}

/// Serves the requests of one connection until either side closes it.
async fn serve(
    mut stream: TcpStream,
    body: Arc<[u8]>,
    served: Arc<AtomicUsize>,
    limit: Option<usize>,
    done: Arc<Notify>,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut queue = WriteQueue::new();
    let mut number = 0;
    loop {
        // Answer every complete request in the buffer, in order.
        let (mut responses, mut close) = (0, false);
        loop {
            match parse_request(&buf) {
                Ok(None) => break,
                Ok(Some(request)) => {
                    buf.drain(..request.len);
                    number += 1;
                    respond(&mut queue, &body, &request, number);
                    responses += 1;
                    if !request.keep_alive {
                        close = true; // and ignore whatever follows (§9.6)
                        break;
                    }
                }
                Err(reason) => {
                    bad_request(&mut queue, reason);
                    close = true;
                    break;
                }
            }
        }
        if !queue.is_empty() {
            vectored::tokio::write_queue(&mut stream, &mut queue)
                .await
                .map_err(io::Error::from)?;
        }
        if responses > 0 {
            let count = served.fetch_add(responses, Ordering::SeqCst) + responses;
            if limit.is_some_and(|limit| count >= limit) {
                done.notify_one();
            }
        }
        if close {
            return close_gracefully(stream).await;
        }
        // Wait for (more of) the next request. End of file or silence ends the connection.
        match timeout(IDLE, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) => return Ok(()),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
}

/// Closes after a `Connection: close` response the way RFC 9112 §9.6 asks: first our
/// sending side (the client sees the end of the response), then, once the client has closed
/// too or after a short wait, the socket. Closing at once while the client still sends (a
/// pipelined request) would make the kernel reset the connection, and a reset can destroy
/// the response before the client has read it.
async fn close_gracefully(mut stream: TcpStream) -> io::Result<()> {
    stream.shutdown().await?;
    let mut sink = [0u8; 4096];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
    let _ = timeout(Duration::from_secs(2), drain).await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let body = body();
    let served = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Notify::new());
    let accept = {
        let (served, done) = (Arc::clone(&served), Arc::clone(&done));
        async move {
            loop {
                let (stream, _) = listener.accept().await?;
                let task = serve(
                    stream,
                    Arc::clone(&body),
                    Arc::clone(&served),
                    args.requests,
                    Arc::clone(&done),
                );
                tokio::spawn(async move {
                    if let Err(e) = task.await {
                        eprintln!("connection error: {e}");
                    }
                });
            }
            #[allow(unreachable_code)]
            Ok::<(), io::Error>(())
        }
    };
    tokio::select! {
        result = accept => result?,
        () = done.notified() => {}
    }
    println!("served {} requests", served.load(Ordering::SeqCst));
    Ok(())
}
