//! Runs every example binary and checks its output and exit status.
//!
//! `cargo test` builds the examples (into `target/<profile>/examples/`) before it runs the
//! tests; this file finds them next to its own binary (`target/<profile>/deps/`). Running only
//! this file with `cargo test --test examples` does not build them: the tests then fail and
//! say so.

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use support::wait_with_limit;

const LIMIT: Duration = Duration::from_secs(120);

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "example binary {} not found: `cargo test -p vectored` builds the examples, \
         `cargo test --test examples` alone does not (run `cargo build -p vectored --examples`)",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str]) -> (Output, String) {
    let child = Command::new(example(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name}: {e}"));
    let out = wait_with_limit(child, LIMIT, name);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (out, stdout)
}

fn assert_has(stdout: &str, needle: &str) {
    assert!(
        stdout.contains(needle),
        "output lacks {needle:?}:\n{stdout}"
    );
}

#[test]
fn basic_writes() {
    let dir = support::TempDir::new("example-basic");
    let path = dir.join("out.txt");
    let (_, stdout) = run("basic_writes", &[path.to_str().unwrap()]);
    let expected =
        "# written by vectored::write_all\nfirst line\nsecond line\n-- end --\n".to_owned();
    assert_has(
        &stdout,
        &format!(
            "wrote {} bytes from 5 buffers to {}",
            expected.len(),
            path.display()
        ),
    );
    assert_has(
        &stdout,
        &format!("file holds {} bytes:\n{expected}", expected.len()),
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}

#[test]
fn mixed_buffers() {
    let (_, stdout) = run("mixed_buffers", &[]);
    let lines = [
        "1. a byte-string literal (&[u8])\n",
        "2. a Vec<u8>\n",
        "3. a Box<[u8]>\n",
        "4. an Arc<[u8]> (shared, e.g. a cached header)\n",
        "5. a String built at run time (pid ",
        "6. a &str\n",
        "7. a [u8; 21] array\n",
    ];
    // In order, each exactly once.
    let mut at = 0;
    for line in lines {
        let found = stdout[at..]
            .find(line)
            .unwrap_or_else(|| panic!("missing or out of order: {line:?}\n{stdout}"));
        at += found + line.len();
        assert_eq!(stdout.matches(line).count(), 1, "{line:?}");
    }
    let total = stdout.find("total: ").expect("total line");
    let written = stdout[..total].len();
    assert_has(&stdout, &format!("total: {written} bytes from 7 buffers\n"));
}

#[test]
fn speed_comparison() {
    let (_, stdout) = run("speed_comparison", &["--quick"]);
    assert_has(
        &stdout,
        "1000 buffers of 1024 bytes, median of 3 runs (--quick)",
    );
    for target in [" temp file: write-each", " /dev/null: write-each"] {
        let line = stdout
            .lines()
            .find(|l| l.contains(target))
            .unwrap_or_else(|| panic!("no line for {target:?}:\n{stdout}"));
        // The call counts are exact; the timings and the ratio are for people.
        assert!(line.contains("(calls=1000)"), "{line}");
        assert!(line.contains("(calls=1)"), "{line}");
        assert!(line.contains("ratio "), "{line}");
    }
    assert_has(&stdout, "temp file held 1024000 bytes");
}

#[test]
fn partial_writes() {
    let (_, stdout) = run("partial_writes", &[]);
    let total: usize = (0..512usize).map(|i| 1 + (i * 397) % 1000).sum();
    assert_has(
        &stdout,
        &format!("write_all_fd: wrote {total} bytes from 512 buffers through a 4096-byte pipe"),
    );
    assert_eq!(
        stdout
            .matches(&format!("reader received {total} bytes, identical: true"))
            .count(),
        2,
        "{stdout}"
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("nonblocking: "))
        .expect("nonblocking line");
    let would_blocks: usize = line["nonblocking: ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(would_blocks > 0, "{line}");
    assert!(line.ends_with(&format!("total {total} bytes")), "{line}");
}

#[test]
fn large_file() {
    // 8 MiB in 4 KiB chunks is 2048 buffers: still more than IOV_MAX, and quick in debug.
    let (_, stdout) = run("large_file", &["--size-mib", "8"]);
    assert_has(
        &stdout,
        "8 MiB in 2048 chunks of 4 KiB (2 system calls' worth",
    );
    assert_has(&stdout, &format!("wrote {} bytes", 8 << 20));
    assert_has(&stdout, &format!("read {} bytes back", 8 << 20));
    assert_has(
        &stdout,
        "verified: the file matches the buffer byte for byte",
    );
}

#[test]
fn error_handling() {
    let (_, stdout) = run("error_handling", &[]);
    for (case, kind, transferred) in [
        ("no space (/dev/full)", "StorageFull", 0),
        ("broken pipe", "BrokenPipe", 0),
        ("timeout with progress", "TimedOut", 4096),
        ("would block", "WouldBlock", 4096),
        // EBADF has no stable ErrorKind; its errno is checked below.
        ("bad fd (read-only)", "", 0),
        ("unexpected end of file", "UnexpectedEof", 5),
        ("offset too large", "InvalidInput", 0),
    ] {
        assert_has(&stdout, &format!("{case}: kind={kind}"));
        let line = stdout.lines().find(|l| l.starts_with(case)).unwrap();
        assert!(
            line.contains(&format!(" transferred={transferred} ")),
            "{line}"
        );
        assert!(
            line.contains(&format!(
                "({transferred} bytes transferred before the error)"
            )),
            "the message lacks the count: {line}"
        );
    }
    assert_has(&stdout, "errno=28 ");
    assert_has(&stdout, "errno=32 ");
    assert_has(&stdout, "bad fd (read-only): kind=");
    let bad_fd = stdout.lines().find(|l| l.starts_with("bad fd")).unwrap();
    assert!(bad_fd.contains(" errno=9 "), "{bad_fd}");
    assert_has(&stdout, "  bytes filled: \"hello\"");
    assert_has(&stdout, "all 7 cases failed as expected");
}

/// A parsed HTTP/1.1 response.
struct Response {
    status_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Self {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
        let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap().to_owned();
        let headers = lines
            .map(|l| {
                let (k, v) = l
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("bad header {l:?}"));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        Self {
            status_line,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or_else(
                || panic!("no {name} header in {:?}", self.headers),
                |(_, v)| v,
            )
    }

    fn check(&self, status_line: &str, body: &str) {
        assert_eq!(self.status_line, status_line);
        assert_eq!(String::from_utf8_lossy(&self.body), body);
        assert_eq!(self.header("Content-Length"), body.len().to_string());
        // The requests below ask for `Connection: close`; the example keeps other
        // connections alive (tests/http_clients.rs covers that).
        assert_eq!(self.header("Connection"), "close");
        assert_eq!(self.header("Content-Type"), "text/plain; charset=utf-8");
    }
}

fn std_request(addr: &str, request: &str) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    // `Connection: close`: the response ends at end of file.
    stream.read_to_end(&mut raw).unwrap();
    Response::parse(&raw)
}

/// Kills the server if a failed assertion leaves it waiting for requests.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn http_response() {
    let _dog = support::Watchdog::new("http_response example", LIMIT);
    let mut server = KillOnDrop(Some(
        Command::new(example("http_response"))
            .args(["--requests", "3"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let child = server.0.as_mut().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr_pipe = child.stderr.take().unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();

    let hello = |path: &str| format!("Hello from vectored!\nYou asked for {path}\n");
    if curl_available() {
        let out = Command::new("curl")
            .args(["-s", "-i", "--max-time", "30", "-H", "Connection: close"])
            .arg(format!("http://{addr}/from-curl"))
            .output()
            .unwrap();
        assert!(out.status.success(), "curl failed: {}", out.status);
        Response::parse(&out.stdout).check("HTTP/1.1 200 OK", &hello("/from-curl"));
    } else {
        support::skip(
            support::Facility::Curl,
            "curl is not on PATH: the curl request goes through a std client instead",
        );
        std_request(
            &addr,
            "GET /from-curl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .check("HTTP/1.1 200 OK", &hello("/from-curl"));
    }

    std_request(
        &addr,
        "GET /a/b?c=d HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    )
    .check("HTTP/1.1 200 OK", &hello("/a/b?c=d"));

    let response = std_request(
        &addr,
        "POST /form HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    response.check(
        "HTTP/1.1 405 Method Not Allowed",
        "POST is not supported here; use GET\n",
    );
    assert_eq!(response.header("Allow"), "GET, HEAD");

    // Three requests served: the server says so and exits by itself.
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = server.0.take().unwrap().wait().unwrap();
    let mut stderr = String::new();
    stderr_pipe.read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "server failed: {status}\n{stderr}");
    assert_eq!(rest.matches(": 200\n").count(), 2, "{rest}");
    assert_eq!(rest.matches(": 405\n").count(), 1, "{rest}");
    assert!(rest.ends_with("served 3 requests\n"), "{rest}");
}
