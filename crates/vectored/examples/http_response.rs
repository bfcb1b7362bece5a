//! A tiny HTTP/1.1 server that answers each request with a response assembled in a
//! `WriteQueue`: the status line and headers are written into the queue with `write!` (tiny
//! pieces, copied into one staging block, so one iovec), the body is moved in without a copy,
//! and `write_to_fd` sends the whole response in one `sendmsg` when the socket takes it. The
//! message is never split across system calls needlessly (no Nagle/delayed-ACK stall), and a
//! client that hangs up or stops reading is an error that says how much of the response it
//! got, never a `SIGPIPE`. Pipelined requests that arrive together are answered together, in
//! one write.
//!
//! Each connection gets a thread. Connection management follows RFC 9112 §9: a connection is
//! kept alive unless the request says `Connection: close`, or is `HTTP/1.0` without
//! `Connection: keep-alive` (then the response says `Connection: keep-alive`); a closing
//! response is followed by a graceful close (§9.6). A request head may arrive in pieces; a
//! malformed or oversized one gets `400` and the connection is closed. Request bodies
//! (`Content-Length`) are read and ignored.
//!
//! It prints `listening on <addr>` first, then `<peer>: <status>` for each response; after
//! `--requests N` responses (forever without it) it prints `served N requests` and exits.
//!
//! ```text
//! cargo run -p vectored --example http_response -- [--port P] [--requests N]
//! curl -i http://127.0.0.1:P/hello
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::{Duration, Instant};

use vectored::{FdKind, FdOptions, WriteQueue};

mod http1;
use http1::{connection_header, parse_request, Request};

/// How long a client may keep us waiting for (the rest of) a request, or stop reading.
const IDLE: Duration = Duration::from_secs(10);

struct Args {
    port: u16,
    requests: Option<usize>,
}

fn parse_args() -> Result<Args, Box<dyn std::error::Error>> {
    let mut args = Args {
        port: 0,
        requests: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--port" => args.port = it.next().ok_or("--port needs a value")?.parse()?,
            "--requests" => {
                args.requests = Some(it.next().ok_or("--requests needs a value")?.parse()?);
            }
            // A bare number is the port, for `http_response 8080`.
            other => {
                args.port = other
                    .parse()
                    .map_err(|_| format!("unknown argument {other}"))?;
            }
        }
    }
    Ok(args)
}

/// Queues the response to one request (a `400` if it could not be parsed) and returns its
/// status code.
fn respond(queue: &mut WriteQueue<'_>, request: Result<&Request, &str>) -> io::Result<u16> {
    let (status, body, connection) = match request {
        Ok(r) if r.method == "GET" || r.method == "HEAD" => (
            "200 OK",
            format!("Hello from vectored!\nYou asked for {}\n", r.path),
            connection_header(r),
        ),
        Ok(r) => (
            "405 Method Not Allowed",
            format!("{} is not supported here; use GET\n", r.method),
            connection_header(r),
        ),
        Err(reason) => (
            "400 Bad Request",
            format!("{reason}\n"),
            "Connection: close\r\n",
        ),
    };

    // The head is formatted straight into the queue's staging arena; the body is moved in.
    write!(
        queue,
        "HTTP/1.1 {status}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         {connection}\
         Server: vectored-example\r\n",
        body.len()
    )?;
    if status.starts_with("405") {
        queue.push("Allow: GET, HEAD\r\n");
    }
    queue.push("\r\n");
    // A response to HEAD has the headers of the GET response and no body.
    if !request.is_ok_and(|r| r.method == "HEAD") {
        queue.push(body);
    }
    Ok(status[..3].parse().expect("a three-digit status"))
}

/// Serves the requests of one connection until either side closes it, reporting the status
/// of each response to `report`.
fn serve(mut stream: TcpStream, report: &Sender<(SocketAddr, u16)>) -> io::Result<()> {
    let peer = stream.peer_addr()?;
    stream.set_read_timeout(Some(IDLE))?;
    // sendmsg(MSG_NOSIGNAL): a client that hangs up early is an error, not a SIGPIPE. A
    // client that stops reading is given up on after IDLE, and the error says how much of
    // the responses it got.
    let opts = FdOptions::new().kind(FdKind::Socket).timeout(IDLE);
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut queue = WriteQueue::new();
    loop {
        // Answer every complete request in the buffer, in order.
        let (mut statuses, mut close) = (Vec::new(), false);
        loop {
            match parse_request(&buf) {
                Ok(None) => break,
                Ok(Some(request)) => {
                    buf.drain(..request.len);
                    statuses.push(respond(&mut queue, Ok(&request))?);
                    if !request.keep_alive {
                        close = true; // and ignore whatever follows (§9.6)
                        break;
                    }
                }
                Err(reason) => {
                    statuses.push(respond(&mut queue, Err(reason))?);
                    close = true;
                    break;
                }
            }
        }
        if queue.is_empty() {
            // Nothing complete yet.
        } else if let Err(e) = queue.write_to_fd(&stream, &opts) {
            let n = statuses.len();
            eprintln!(
                "{peer}: {n} responses cut short after {} bytes: {e}",
                e.transferred()
            );
            return Err(e.into());
        }
        for status in statuses {
            // The receiver is gone only when main is exiting.
            let _ = report.send((peer, status));
        }
        if close {
            close_gracefully(stream);
            return Ok(());
        }
        // Wait for (more of) the next request. End of file or silence ends the connection.
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// Closes after a `Connection: close` response the way RFC 9112 §9.6 asks: first our
/// sending side (the client sees the end of the response), then, once the client has closed
/// too or after a short wait, the socket. Closing at once while the client still sends (a
/// pipelined request) would make the kernel reset the connection, and a reset can destroy
/// the response before the client has read it.
fn close_gracefully(mut stream: TcpStream) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    while Instant::now() < deadline && matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    println!("listening on {}", listener.local_addr()?);
    // Whoever started us waits for this line: make sure it is out now.
    io::stdout().flush()?;

    // One thread per connection; each reports its responses here, where they are counted.
    let (report, reports) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream.inspect_err(|e| eprintln!("accept: {e}")) else {
                // Out of descriptors, say: let connections finish before the next accept.
                thread::sleep(Duration::from_millis(100));
                continue;
            };
            let report = report.clone();
            thread::spawn(move || {
                if let Err(e) = serve(stream, &report) {
                    eprintln!("connection error: {e}");
                }
            });
        }
    });

    let mut served = 0;
    for (peer, status) in reports {
        println!("{peer}: {status}");
        served += 1;
        if args.requests == Some(served) {
            break;
        }
    }
    println!("served {served} requests");
    Ok(())
}
