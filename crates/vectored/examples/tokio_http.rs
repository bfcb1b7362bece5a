//! A tiny async HTTP/1.1 server that answers every request with headers and a body
//! assembled in a `WriteQueue` and sent with one vectored write.
//!
//! ```text
//! cargo run --example tokio_http --features tokio -- --requests 10
//! curl -i http://127.0.0.1:<port>/
//! ```
//!
//! The status line and 20 headers are formatted straight into the queue's staging arena
//! (tiny pieces, coalesced into one iovec); the 64 KiB body is shared by every response
//! through an `Arc` and passed to the kernel by reference. Connections are kept alive.
//! The server exits after `--requests N` responses (default: run forever).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use vectored::WriteQueue;

const BODY_LEN: usize = 64 * 1024;

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
fn respond(queue: &mut WriteQueue<'_>, body: &Arc<[u8]>, served: usize) {
    // Writing into a queue cannot fail.
    let _ = write!(
        queue,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
        body.len()
    );
    for i in 0..17 {
        let _ = write!(queue, "X-Vectored-{i}: example header value {i}\r\n");
    }
    let _ = write!(queue, "X-Served: {served}\r\n\r\n");
    queue.push(Arc::clone(body));
}

/// Serves keep-alive requests on one connection until the client closes it.
async fn serve(
    mut stream: TcpStream,
    body: Arc<[u8]>,
    served: Arc<AtomicUsize>,
    limit: Option<usize>,
    done: Arc<Notify>,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut request = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    let mut queue = WriteQueue::new();
    loop {
        // Read one request head (this example ignores request bodies).
        let head_end = loop {
            if let Some(pos) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            request.extend_from_slice(&buf[..n]);
        };
        request.drain(..head_end);
        let number = served.load(Ordering::SeqCst) + 1;
        respond(&mut queue, &body, number);
        vectored::tokio::write_queue(&mut stream, &mut queue)
            .await
            .map_err(std::io::Error::from)?;
        let count = served.fetch_add(1, Ordering::SeqCst) + 1;
        if limit.is_some_and(|limit| count >= limit) {
            done.notify_one();
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;

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
            Ok::<(), std::io::Error>(())
        }
    };
    tokio::select! {
        result = accept => result?,
        () = done.notified() => {}
    }
    println!("served {} requests", served.load(Ordering::SeqCst));
    Ok(())
}
