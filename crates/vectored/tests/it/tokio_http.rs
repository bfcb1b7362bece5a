//! Runs the `tokio_http` example: fetches a response with `curl`, then loads it with a
//! bounded number of keep-alive requests from concurrent clients and checks every byte.
#![cfg(feature = "tokio")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

const BODY_LEN: usize = 64 * 1024;
const CLIENTS: usize = 8;
const REQUESTS_PER_CLIENT: usize = 25;

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<test> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

fn expected_body() -> Vec<u8> {
    b"abcdefghijklmnopqrstuvwxyz"
        .iter()
        .copied()
        .cycle()
        .take(BODY_LEN)
        .collect()
}

/// Reads one response from a keep-alive connection: returns (head, body).
fn read_response(reader: &mut BufReader<TcpStream>) -> (String, Vec<u8>) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "connection closed mid-response"
        );
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length header")
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).unwrap();
    (head, body)
}

#[test]
fn serves_curl_and_a_bounded_load() {
    let curl = Command::new("curl").arg("--version").output().is_ok();
    if !curl {
        // Before the server starts: under CI this panics, and nothing is left running.
        crate::support::skip(
            crate::support::Facility::Curl,
            "curl is not on PATH: no curl fetch, only the client load",
        );
    }
    let total = CLIENTS * REQUESTS_PER_CLIENT + usize::from(curl);
    let mut server = Command::new(example("tokio_http"))
        .args(["--requests", &total.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the tokio_http example is built by `cargo test --features tokio`");
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();

    if curl {
        let out = Command::new("curl")
            .args(["-s", "-i", "--max-time", "10", &format!("http://{addr}/")])
            .output()
            .unwrap();
        assert!(out.status.success(), "curl failed: {out:?}");
        let text = out.stdout;
        let split = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&text[..split]);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains(&format!("Content-Length: {BODY_LEN}\r\n")),
            "{head}"
        );
        assert_eq!(head.matches("X-Vectored-").count(), 17, "{head}");
        assert_eq!(&text[split..], &expected_body()[..]);
    }

    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let addr = addr.clone();
            thread::spawn(move || {
                let stream = TcpStream::connect(&addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(20)))
                    .unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let body = expected_body();
                for _ in 0..REQUESTS_PER_CLIENT {
                    writer
                        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
                        .unwrap();
                    let (head, got) = read_response(&mut reader);
                    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
                    assert!(got == body, "body differs");
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }

    let status = server.wait().unwrap();
    assert!(status.success(), "server exited with {status}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest.trim(), format!("served {total} requests"));
}
