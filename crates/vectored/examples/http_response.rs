//! A tiny HTTP/1.1 server that answers each connection with a response assembled in a
//! `WriteQueue`: the status line and headers are written into the queue with `write!` (tiny
//! pieces, copied into one staging block, so one iovec), the body is moved in without a copy,
//! and `write_to_fd` sends the whole response in one `sendmsg` when the socket takes it. The
//! message is never split across system calls needlessly (no Nagle/delayed-ACK stall), and a
//! client that hangs up or stops reading is an error that says how much of the response it
//! got, never a `SIGPIPE`.
//!
//! It prints `listening on <addr>` first, serves `--requests N` connections (forever without
//! it), then exits.
//!
//! ```text
//! cargo run -p vectored --example http_response -- [--port P] [--requests N]
//! curl -i http://127.0.0.1:P/hello
//! ```

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use vectored::{FdKind, FdOptions, WriteQueue};

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

/// Reads the request head (up to the blank line) and returns its method and path.
fn read_request(stream: &mut TcpStream) -> io::Result<(String, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        let n = stream.read(&mut byte)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed early",
            ));
        }
        head.extend_from_slice(&byte[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    Ok((method, path))
}

/// Answers one connection. Returns the status code sent.
fn serve(mut stream: TcpStream) -> Result<u16, Box<dyn std::error::Error>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let (method, path) = read_request(&mut stream)?;

    let (status, body) = if method == "GET" {
        (
            "HTTP/1.1 200 OK\r\n",
            format!("Hello from vectored!\nYou asked for {path}\n"),
        )
    } else {
        (
            "HTTP/1.1 405 Method Not Allowed\r\n",
            format!("{method} is not supported here; use GET\n"),
        )
    };

    // The head is formatted straight into the queue's staging arena; the body is moved in.
    let mut queue = WriteQueue::new();
    queue.push(status);
    write!(
        queue,
        "Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         Server: vectored-example\r\n",
        body.len()
    )?;
    if method != "GET" {
        queue.push("Allow: GET\r\n");
    }
    queue.push("\r\n");
    queue.push(body);

    // sendmsg(MSG_NOSIGNAL): a client that hangs up early is an error, not a SIGPIPE. A
    // client that stops reading is given up on after 10 s, and the error says how much of
    // the response it got.
    let opts = FdOptions::new()
        .kind(FdKind::Socket)
        .timeout(Duration::from_secs(10));
    if let Err(e) = queue.write_to_fd(&stream, &opts) {
        eprintln!(
            "{path}: response cut short after {} bytes: {e}",
            e.transferred()
        );
        return Err(e.into());
    }
    debug_assert!(queue.is_empty());
    // `Connection: close`: tell the client we are done, then close.
    stream.shutdown(std::net::Shutdown::Write)?;
    Ok(if method == "GET" { 200 } else { 405 })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    println!("listening on {}", listener.local_addr()?);
    // Whoever started us waits for this line: make sure it is out now.
    io::stdout().flush()?;

    let mut served = 0;
    for stream in listener.incoming() {
        let stream = stream?;
        let peer = stream.peer_addr()?;
        match serve(stream) {
            Ok(status) => println!("{peer}: {status}"),
            Err(e) => eprintln!("{peer}: {e}"),
        }
        served += 1;
        if args.requests == Some(served) {
            break;
        }
    }
    println!("served {served} requests");
    Ok(())
}
