//! A tiny HTTP/1.1 server that answers each connection with a response gathered from
//! separate buffers: status line, each header and the body are their own `IoSlice`, sent in
//! one `write_all_fd` call (one `sendmsg` when it fits), so no response is ever assembled
//! into a temporary string and the message is never split across system calls needlessly.
//!
//! It prints `listening on <addr>` first, serves `--requests N` connections (forever without
//! it), then exits.
//!
//! ```text
//! cargo run -p vectored --example http_response -- [--port P] [--requests N]
//! curl -i http://127.0.0.1:P/hello
//! ```

use std::io::{self, IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use vectored::{FdKind, FdOptions};

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
    let content_length = format!("Content-Length: {}\r\n", body.len());

    // Every piece of the response is its own buffer; nothing is concatenated.
    let mut bufs = vec![
        IoSlice::new(status.as_bytes()),
        IoSlice::new(b"Content-Type: text/plain; charset=utf-8\r\n"),
        IoSlice::new(content_length.as_bytes()),
        IoSlice::new(b"Connection: close\r\n"),
        IoSlice::new(b"Server: vectored-example\r\n"),
    ];
    if method != "GET" {
        bufs.push(IoSlice::new(b"Allow: GET\r\n"));
    }
    bufs.push(IoSlice::new(b"\r\n"));
    bufs.push(IoSlice::new(body.as_bytes()));

    // sendmsg(MSG_NOSIGNAL): a client that hangs up early is an error, not a SIGPIPE. A
    // client that stops reading is given up on after 10 s, and the error says how much of
    // the response it got.
    let opts = FdOptions::new()
        .kind(FdKind::Socket)
        .timeout(Duration::from_secs(10));
    if let Err(e) = vectored::write_all_fd(&stream, &bufs, &opts) {
        eprintln!(
            "{path}: response cut short after {} bytes: {e}",
            e.transferred()
        );
        return Err(e.into());
    }
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
