//! The HTTP examples (`http_response`, blocking; `tokio_http`, async) against real clients on
//! loopback: `curl`, Apache Bench (`ab`, with and without `-k`) and `wrk`, plus raw sockets for
//! what those clients do not exercise: pipelined requests, request heads in pieces,
//! `Connection: close`, HTTP/1.0 with and without keep-alive, request bodies and malformed
//! heads (`400`, then the server closes).
//!
//! Every client run is bounded in requests and time and must end with every response
//! complete and no client error or timeout. `ab` and `wrk` come from the Debian packages
//! `apache2-utils` and `wrk` (`scripts/install-http-clients`). When one is missing the test
//! says so loudly, appends `test: reason` to `$VECTORED_SKIP_LOG` if set, and fails when
//! `CI=true`.
//!
//! The examples are found next to this test binary: `cargo test -p vectored --all-features`
//! builds them; with `--test it http_clients::` alone, build them first
//! (`cargo build -p vectored --all-features --examples`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::support;

/// How long any one client run may take before the test fails.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);
/// How long a raw client waits for the next byte from the server.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What differs between the two examples.
struct Flavor {
    example: &'static str,
    /// The body of the `200` response to `GET path`.
    body: fn(&str) -> Vec<u8>,
    /// The status of a `POST`.
    post_status: &'static str,
    /// Whether responses carry `X-Request: <n-th request on the connection>`.
    numbered: bool,
}

const BLOCKING: Flavor = Flavor {
    example: "http_response",
    body: |path| format!("Hello from vectored!\nYou asked for {path}\n").into_bytes(),
    post_status: "HTTP/1.1 405 Method Not Allowed",
    numbered: false,
};

#[cfg(feature = "tokio")]
const TOKIO: Flavor = Flavor {
    example: "tokio_http",
    body: |_| {
        b"abcdefghijklmnopqrstuvwxyz"
            .iter()
            .copied()
            .cycle()
            .take(64 * 1024)
            .collect()
    },
    post_status: "HTTP/1.1 200 OK",
    numbered: true,
};

fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let path = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>/deps/<test>")
        .join("examples")
        .join(name);
    assert!(
        path.is_file(),
        "example binary {} not found: `cargo test -p vectored --all-features` builds the \
         examples, `--test it http_clients::` alone does not (run `cargo build -p vectored \
         --all-features --examples` first)",
        path.display()
    );
    path
}

/// A running example server, killed when dropped; its output is collected by threads so that
/// it never blocks on a full pipe.
struct Server {
    child: Child,
    addr: String,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl Server {
    fn start(flavor: &Flavor) -> Self {
        let mut child = Command::new(example_path(flavor.example))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", flavor.example));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let addr = first
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        let mut stderr = child.stderr.take().unwrap();
        Self {
            child,
            addr,
            stdout: Some(thread::spawn(move || {
                let mut s = String::new();
                let _ = stdout.read_to_string(&mut s);
                s
            })),
            stderr: Some(thread::spawn(move || {
                let mut s = String::new();
                let _ = stderr.read_to_string(&mut s);
                s
            })),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn connect(&self) -> Conn {
        let stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    /// Fails if the server died (it must survive every client).
    fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            let stderr = self.stderr.take().unwrap().join().unwrap();
            panic!("the server exited with {status}; stderr:\n{stderr}");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipes are closed now: the reader threads end.
        for handle in [self.stdout.take(), self.stderr.take()]
            .into_iter()
            .flatten()
        {
            let _ = handle.join();
        }
    }
}

/// A parsed response.
#[derive(Debug)]
struct Response {
    status_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A raw client connection.
struct Conn {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    /// Reads one response; `head_only` for the response to a `HEAD` request.
    fn response(&mut self, head_only: bool) -> Response {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("reading a response head: {e} (after {lines:?})"));
            assert!(n > 0, "connection closed mid-head after {lines:?}");
            if line == "\r\n" {
                break;
            }
            let line = line
                .strip_suffix("\r\n")
                .unwrap_or_else(|| panic!("head line without CRLF: {line:?}"));
            lines.push(line.to_owned());
        }
        let status_line = lines.remove(0);
        let headers: Vec<(String, String)> = lines
            .iter()
            .map(|l| {
                let (k, v) = l.split_once(": ").expect("name: value");
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let mut response = Response {
            status_line,
            headers,
            body: Vec::new(),
        };
        let len: usize = response
            .header("Content-Length")
            .expect("Content-Length")
            .parse()
            .unwrap();
        if !head_only {
            response.body = vec![0; len];
            self.reader.read_exact(&mut response.body).unwrap();
        }
        response
    }

    /// Asserts that the server closed the connection: end of file, nothing more.
    fn assert_closed(&mut self) {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => assert!(
                rest.is_empty(),
                "bytes after the last response: {:?}",
                String::from_utf8_lossy(&rest)
            ),
            Err(e) => panic!("the server left the connection open ({e})"),
        }
    }
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n")
}

/// Checks a `200` response to `GET path` (or `HEAD path`, `head_only`) and its `Connection`
/// header (`None`: none at all).
fn check_ok(flavor: &Flavor, r: &Response, path: &str, head_only: bool, connection: Option<&str>) {
    assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{r:?}");
    let body = (flavor.body)(path);
    assert_eq!(r.header("Content-Length"), Some(&*body.len().to_string()));
    if !head_only {
        assert!(
            r.body == body,
            "body of {path}: {:?}",
            String::from_utf8_lossy(&r.body)
        );
    }
    assert_eq!(
        r.header("Connection"),
        connection,
        "{path}: {:?}",
        r.headers
    );
}

fn check_numbered(flavor: &Flavor, r: &Response, number: usize) {
    if flavor.numbered {
        assert_eq!(r.header("X-Request"), Some(&*number.to_string()));
    }
}

// ---------------------------------------------------------------------------------------
// Raw-socket cases.

/// Keep-alive by default; three pipelined requests in one write (one of them HEAD) get three
/// responses in order; the connection then serves one more.
fn pipelined(flavor: &Flavor) {
    let server = Server::start(flavor);
    let mut conn = server.connect();
    let head = "HEAD /2 HTTP/1.1\r\nHost: test\r\n\r\n";
    conn.send(format!("{}{head}{}", get("/1", ""), get("/3", "")).as_bytes());
    for (number, path) in [(1, "/1"), (2, "/2"), (3, "/3")] {
        let r = conn.response(path == "/2");
        check_ok(flavor, &r, path, path == "/2", None);
        check_numbered(flavor, &r, number);
    }
    conn.send(get("/4", "").as_bytes());
    let r = conn.response(false);
    check_ok(flavor, &r, "/4", false, None);
    check_numbered(flavor, &r, 4);
}

/// Request heads arriving in pieces, cut anywhere (even between CR and LF), and a write that
/// ends one request and starts the next.
fn split_heads(flavor: &Flavor) {
    let server = Server::start(flavor);
    let mut conn = server.connect();
    for piece in [
        "GE",
        "T /sp",
        "lit HTTP/1.1\r",
        "\nHost: te",
        "st\r\n",
        "\r",
        "\n",
    ] {
        conn.send(piece.as_bytes());
        thread::sleep(Duration::from_millis(30));
    }
    check_ok(flavor, &conn.response(false), "/split", false, None);
    conn.send(format!("{}GET /b HT", get("/a", "")).as_bytes());
    thread::sleep(Duration::from_millis(30));
    conn.send(b"TP/1.1\r\nHost: test\r\n\r\n");
    check_ok(flavor, &conn.response(false), "/a", false, None);
    let r = conn.response(false);
    check_ok(flavor, &r, "/b", false, None);
    check_numbered(flavor, &r, 3);
}

/// `Connection: close`: one response saying so, then the server closes; a request pipelined
/// behind it is not answered.
fn connection_close(flavor: &Flavor) {
    let server = Server::start(flavor);
    let mut conn = server.connect();
    conn.send(
        format!(
            "{}{}",
            get("/c", "Connection: close\r\n"),
            get("/ignored", "")
        )
        .as_bytes(),
    );
    check_ok(flavor, &conn.response(false), "/c", false, Some("close"));
    conn.assert_closed();
}

/// HTTP/1.0 without keep-alive: the server closes after the response.
fn http10_close(flavor: &Flavor) {
    let server = Server::start(flavor);
    let mut conn = server.connect();
    conn.send(b"GET /old HTTP/1.0\r\n\r\n");
    check_ok(flavor, &conn.response(false), "/old", false, Some("close"));
    conn.assert_closed();
}

/// HTTP/1.0 with `Connection: keep-alive`: answered with `Connection: keep-alive` and kept
/// open, until a request without it.
fn http10_keep_alive(flavor: &Flavor) {
    let server = Server::start(flavor);
    let mut conn = server.connect();
    for path in ["/k1", "/k2"] {
        conn.send(format!("GET {path} HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").as_bytes());
        check_ok(
            flavor,
            &conn.response(false),
            path,
            false,
            Some("keep-alive"),
        );
    }
    conn.send(b"GET /last HTTP/1.0\r\nUser-Agent: raw\r\n\r\n");
    let r = conn.response(false);
    check_ok(flavor, &r, "/last", false, Some("close"));
    check_numbered(flavor, &r, 3);
    conn.assert_closed();
}

/// A request body (`Content-Length`) is consumed, not taken for the next request.
fn request_body(flavor: &Flavor) {
    let server = Server::start(flavor);
    let mut conn = server.connect();
    conn.send(b"POST /form HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello");
    thread::sleep(Duration::from_millis(30));
    conn.send(b" worldGET /after HTTP/1.1\r\nHost: test\r\n\r\n");
    let r = conn.response(false);
    assert_eq!(r.status_line, flavor.post_status, "{r:?}");
    check_ok(flavor, &conn.response(false), "/after", false, None);
}

/// Malformed and oversized heads get `400 Bad Request` and the server closes; so does a bad
/// request pipelined behind a good one (which is answered first).
fn bad_heads(flavor: &Flavor) {
    let server = Server::start(flavor);
    let oversized = format!(
        "GET / HTTP/1.1\r\nHost: test\r\nX-Big: {}",
        "a".repeat(20_000)
    );
    let cases = [
        "GARBAGE\r\n\r\n".to_owned(),
        "GET / HTTP/9.9\r\nHost: test\r\n\r\n".to_owned(),
        "GET /  HTTP/1.1\r\nHost: test\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\n\r\n".to_owned(), // no Host
        "GET / HTTP/1.1\r\nHost: test\r\nNo colon here\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\nHost : test\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\nHost: test\r\n folded\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\nHost: test\r\nContent-Length: x\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned(),
        "\u{0}\u{1}\u{2}binary\r\n\r\n".to_owned(),
        oversized, // never finished: the size alone gets the 400
    ];
    for case in &cases {
        let mut conn = server.connect();
        conn.send(case.as_bytes());
        let r = conn.response(false);
        assert_eq!(r.status_line, "HTTP/1.1 400 Bad Request", "{case:?}");
        assert_eq!(r.header("Connection"), Some("close"), "{case:?}");
        conn.assert_closed();
    }
    // Random bytes (a fixed xorshift sequence), ended by an empty line.
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for len in [1, 7, 100, 1000, 5000] {
        let mut garbage: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect();
        garbage.extend_from_slice(b"\r\n\r\n");
        let mut conn = server.connect();
        conn.send(&garbage);
        assert_eq!(conn.response(false).status_line, "HTTP/1.1 400 Bad Request");
        conn.assert_closed();
    }
    let mut conn = server.connect();
    conn.send(format!("{}BAD\r\n\r\n", get("/ok", "")).as_bytes());
    check_ok(flavor, &conn.response(false), "/ok", false, None);
    assert_eq!(conn.response(false).status_line, "HTTP/1.1 400 Bad Request");
    conn.assert_closed();
}

// ---------------------------------------------------------------------------------------
// Real clients.

/// Runs `cmd` to completion within `CLIENT_LIMIT` (killing it past that) and returns its
/// stdout and stderr; fails unless it exits with success.
fn run_client(cmd: &mut Command) -> (String, String) {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let collect = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = Vec::new();
            let _ = pipe.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let stdout = collect(Box::new(child.stdout.take().unwrap()));
    let stderr = collect(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CLIENT_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {CLIENT_LIMIT:?}: killed");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(
        status.success(),
        "{what} failed: {status}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// Whether `tool` runs here; if not, reports the skip (`support::skip`: listed in the test
/// command's summary, and a failure when `CI=true`). `test` names the part skipped.
fn have_client(test: &str, tool: &str) -> bool {
    let found = Command::new(tool)
        .arg(if tool == "ab" { "-V" } else { "--version" })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        let facility = if tool == "curl" {
            support::Facility::Curl
        } else {
            support::Facility::HttpLoadClients
        };
        support::skip(
            facility,
            format_args!(
                "{test}: `{tool}` is not installed (scripts/install-http-clients, or apt-get \
                 install {})",
                if tool == "ab" { "apache2-utils" } else { tool }
            ),
        );
    }
    found
}

/// The value after `label` on the line that starts with it (after indentation).
fn field<'a>(output: &'a str, label: &str) -> Option<&'a str> {
    output
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(str::trim)
}

/// The leading number of `label`'s value.
fn number(output: &str, label: &str) -> Option<f64> {
    field(output, label)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// curl: two URLs on one connection (the second reuses it), the same with HTTP/1.0 (two
/// connections: the server closed the first), and one body checked byte for byte.
fn curl(flavor: &Flavor) {
    if !have_client(&format!("http_clients::{}_curl", flavor.example), "curl") {
        return;
    }
    let server = Server::start(flavor);
    let len = (flavor.body)("/x").len();
    for (version, connects) in [("--http1.1", "1 0"), ("--http1.0", "1 1")] {
        let (out, _) = run_client(Command::new("curl").args([
            "-sS",
            version,
            "--max-time",
            "30",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{num_connects}\n",
            &server.url("/x"),
            &server.url("/x"),
        ]));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        let connects: Vec<&str> = connects.split(' ').collect();
        for (line, connects) in lines.iter().zip(connects) {
            assert_eq!(
                *line,
                format!("200 {len} {connects}"),
                "curl {version}: {out}"
            );
        }
    }
    let (body, _) =
        run_client(Command::new("curl").args(["-sS", "--max-time", "30", &server.url("/x")]));
    assert!(body.as_bytes() == (flavor.body)("/x"), "curl got {body:?}");
}

/// What `ab` reported.
struct AbReport {
    complete: usize,
    requests_per_second: f64,
}

/// Runs `ab` with `args` (`-n N` among them) against `/` and checks that every request
/// completed with a `2xx` response of the right length, on kept-alive connections exactly
/// when `-k` is given.
fn ab(server: &Server, flavor: &Flavor, args: &[&str]) -> AbReport {
    let n: usize = args[args.iter().position(|&a| a == "-n").unwrap() + 1]
        .parse()
        .unwrap();
    let keep_alive = args.contains(&"-k");
    let (out, err) = run_client(
        Command::new("ab")
            .args(["-q", "-s", "30"])
            .args(args)
            .arg(server.url("/")),
    );
    let context = format!("ab {args:?}:\n{out}\n{err}");
    let count = |label| {
        field(&out, label)?
            .split_whitespace()
            .next()?
            .parse::<usize>()
            .ok()
    };
    assert_eq!(count("Complete requests:"), Some(n), "{context}");
    assert_eq!(count("Failed requests:"), Some(0), "{context}");
    // Printed only when some response was not 2xx.
    assert_eq!(count("Non-2xx responses:"), None, "{context}");
    assert_eq!(
        count("Document Length:"),
        Some((flavor.body)("/").len()),
        "{context}"
    );
    // ab -k sends HTTP/1.0 with `Connection: Keep-Alive`, plain ab HTTP/1.0 without.
    let kept = count("Keep-Alive requests:").unwrap_or(0);
    assert_eq!(kept, if keep_alive { n } else { 0 }, "{context}");
    let report = AbReport {
        complete: n,
        requests_per_second: number(&out, "Requests per second:").expect("Requests per second"),
    };
    eprintln!(
        "ab {args:?}: {} complete, 0 failed, {:.0} requests/s",
        report.complete, report.requests_per_second
    );
    report
}

/// What `wrk` reported.
struct WrkReport {
    requests: usize,
    requests_per_second: f64,
    transfer_per_second: String,
}

/// Runs `wrk` with `args` against `/` and checks that it saw responses and no socket error
/// (connect, read, write or timeout) and no non-2xx/3xx response.
fn wrk(server: &Server, args: &[&str]) -> WrkReport {
    let (out, err) = run_client(
        Command::new("wrk")
            .args(args)
            .args(["--timeout", "10s"])
            .arg(server.url("/")),
    );
    let context = format!("wrk {args:?}:\n{out}\n{err}");
    // Both lines are printed only when the count is not zero.
    assert_eq!(field(&out, "Socket errors:"), None, "{context}");
    assert_eq!(field(&out, "Non-2xx or 3xx responses:"), None, "{context}");
    let requests = out
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count: {context}"));
    assert!(requests > 0, "{context}");
    let report = WrkReport {
        requests,
        requests_per_second: number(&out, "Requests/sec:").expect("Requests/sec"),
        transfer_per_second: field(&out, "Transfer/sec:")
            .expect("Transfer/sec")
            .to_owned(),
    };
    eprintln!(
        "wrk {args:?}: {} requests, 0 socket errors, {:.0} requests/s, {}/s",
        report.requests, report.requests_per_second, report.transfer_per_second
    );
    report
}

// ---------------------------------------------------------------------------------------
// The blocking example.

#[test]
fn http_response_pipelined() {
    pipelined(&BLOCKING);
}

#[test]
fn http_response_split_heads() {
    split_heads(&BLOCKING);
}

#[test]
fn http_response_connection_close() {
    connection_close(&BLOCKING);
}

#[test]
fn http_response_http10_close() {
    http10_close(&BLOCKING);
}

#[test]
fn http_response_http10_keep_alive() {
    http10_keep_alive(&BLOCKING);
}

#[test]
fn http_response_request_body() {
    request_body(&BLOCKING);
}

#[test]
fn http_response_bad_heads() {
    bad_heads(&BLOCKING);
}

#[test]
fn http_response_curl() {
    curl(&BLOCKING);
}

#[test]
fn http_response_ab_and_wrk() {
    let mut server = Server::start(&BLOCKING);
    if have_client("http_clients::http_response_ab_and_wrk (ab)", "ab") {
        ab(&server, &BLOCKING, &["-n", "500", "-c", "4"]);
        ab(&server, &BLOCKING, &["-k", "-n", "2000", "-c", "8"]);
        server.assert_alive();
    }
    if have_client("http_clients::http_response_ab_and_wrk (wrk)", "wrk") {
        wrk(&server, &["-t1", "-c8", "-d1s"]);
        server.assert_alive();
    }
}

// ---------------------------------------------------------------------------------------
// The tokio example.

#[cfg(feature = "tokio")]
mod tokio_example {
    use super::*;

    #[test]
    fn tokio_http_pipelined() {
        pipelined(&TOKIO);
    }

    #[test]
    fn tokio_http_split_heads() {
        split_heads(&TOKIO);
    }

    #[test]
    fn tokio_http_connection_close() {
        connection_close(&TOKIO);
    }

    #[test]
    fn tokio_http_http10_close() {
        http10_close(&TOKIO);
    }

    #[test]
    fn tokio_http_http10_keep_alive() {
        http10_keep_alive(&TOKIO);
    }

    #[test]
    fn tokio_http_request_body() {
        request_body(&TOKIO);
    }

    #[test]
    fn tokio_http_bad_heads() {
        bad_heads(&TOKIO);
    }

    #[test]
    fn tokio_http_curl() {
        curl(&TOKIO);
    }

    /// The load the issue asks for: `ab -n 2000 -c 8` (HTTP/1.0, a connection per request),
    /// `ab -k -n 20000 -c 32` and `wrk -c64 -d5s`, one after the other against one server.
    #[test]
    fn tokio_http_ab_and_wrk() {
        let mut server = Server::start(&TOKIO);
        if have_client(
            "http_clients::tokio_example::tokio_http_ab_and_wrk (ab)",
            "ab",
        ) {
            for args in [
                &["-n", "2000", "-c", "8"][..],
                &["-k", "-n", "20000", "-c", "32"][..],
            ] {
                ab(&server, &TOKIO, args);
                server.assert_alive();
            }
        }
        if have_client(
            "http_clients::tokio_example::tokio_http_ab_and_wrk (wrk)",
            "wrk",
        ) {
            wrk(&server, &["-t2", "-c64", "-d5s"]);
            server.assert_alive();
        }
    }
}
