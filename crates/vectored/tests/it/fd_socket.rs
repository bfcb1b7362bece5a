//! Sockets: Unix socketpairs and TCP loopback with small buffers and slow or stalled
//! readers; timeouts whose count must equal what the peer can read; vanished peers.

use crate::support;

use std::io::{self, IoSlice, IoSliceMut, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::Duration;

use support::{chunks, slices, slices_from, slow_read_all, Watchdog};
use vectored::{FdKind, FdOptions};

const LIMIT: Duration = Duration::from_secs(60);

/// Buffer lengths that add up to exactly `total`, in a pattern unlike the writer's.
fn read_lens(total: usize) -> Vec<usize> {
    let mut lens = Vec::new();
    let mut sum = 0;
    for i in 0.. {
        if sum == total {
            break;
        }
        let len = [0, 5, 1000, 3, 0, 64][i % 6].min(total - sum);
        lens.push(len);
        sum += len;
    }
    lens
}

fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

#[test]
fn unix_socketpair_round_trip_with_small_buffers() {
    let _dog = Watchdog::new("socketpair", LIMIT);
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    rustix::net::sockopt::set_socket_send_buffer_size(&a, 4096).unwrap();
    let lens: Vec<usize> = (0..4000).map(|i| [0, 1, 700, 13][i % 4]).collect();
    let data = chunks(30, &lens);
    let expected = data.concat();
    let total = expected.len();
    // Both ends non-blocking: the writer and the reader each wait in poll.
    let reader = thread::spawn(move || {
        let mut store: Vec<Vec<u8>> = read_lens(total).iter().map(|&l| vec![0; l]).collect();
        let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let n = vectored::read_exact_fd(&b, &mut bufs, &FdOptions::new()).unwrap();
        drop(bufs);
        (n, store.concat())
    });
    let n = vectored::write_all_fd(&a, &slices(&data), &FdOptions::new()).unwrap();
    let (m, got) = reader.join().unwrap();
    assert_eq!((n, m), (total, total));
    assert!(got == expected);
}

#[test]
fn generic_loops_over_std_unix_streams() {
    let _dog = Watchdog::new("generic socketpair", LIMIT);
    let (a, b) = UnixStream::pair().unwrap();
    let lens: Vec<usize> = (0..3000).map(|i| [0, 2, 300][i % 3]).collect();
    let data = chunks(31, &lens);
    let expected = data.concat();
    let total = expected.len();
    let reader = thread::spawn(move || {
        let mut store: Vec<Vec<u8>> = read_lens(total).iter().map(|&l| vec![0; l]).collect();
        let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        vectored::read_exact(&mut &b, &mut bufs).unwrap();
        drop(bufs);
        store.concat()
    });
    assert_eq!(vectored::write_all(&mut &a, &slices(&data)).unwrap(), total);
    assert!(reader.join().unwrap() == expected);
}

fn check_tcp_slow_reader(nonblocking: bool) {
    let (client, server) = tcp_pair();
    // A small send buffer forces short sends and EAGAIN. (Tiny receive windows would
    // only make loopback crawl through TCP's persist timer.)
    rustix::net::sockopt::set_socket_send_buffer_size(&client, 8192).unwrap();
    client.set_nonblocking(nonblocking).unwrap();
    let lens: Vec<usize> = (0..5000).map(|i| [0, 1, 400, 7, 30][i % 5]).collect();
    let data = chunks(32, &lens);
    let expected = data.concat();
    let reader = thread::spawn(move || slow_read_all(server, 1000));
    let opts = FdOptions::new().kind(FdKind::Socket);
    let n = vectored::write_all_fd(&client, &slices(&data), &opts).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let got = reader.join().unwrap();
    assert_eq!(n, expected.len());
    assert!(got == expected);
}

#[test]
fn tcp_loopback_slow_reader_nonblocking_writer() {
    let _dog = Watchdog::new("tcp nonblocking", LIMIT);
    check_tcp_slow_reader(true);
}

#[test]
fn tcp_loopback_slow_reader_blocking_writer() {
    let _dog = Watchdog::new("tcp blocking", LIMIT);
    check_tcp_slow_reader(false);
}

#[test]
fn tcp_timeout_counts_exactly_what_the_peer_receives() {
    let _dog = Watchdog::new("tcp timeout", LIMIT);
    let (client, server) = tcp_pair();
    rustix::net::sockopt::set_socket_send_buffer_size(&client, 4096).unwrap();
    rustix::net::sockopt::set_socket_recv_buffer_size(&server, 4096).unwrap();
    client.set_nonblocking(true).unwrap();
    let data = chunks(33, &[1000; 2000]);
    let expected = data.concat();
    // Nobody reads until the writer gives up.
    let err = vectored::write_all_fd(
        &client,
        &slices(&data),
        &FdOptions::new().timeout(Duration::from_millis(200)),
    )
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(err.transferred() > 0 && err.transferred() < expected.len());
    client.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    (&server).read_to_end(&mut got).unwrap();
    assert_eq!(
        got.len(),
        err.transferred(),
        "count differs from what arrived"
    );
    assert!(got[..] == expected[..got.len()]);
}

#[test]
fn tcp_nonblocking_option_returns_progress_and_resumes() {
    let _dog = Watchdog::new("tcp WouldBlock", LIMIT);
    let (client, server) = tcp_pair();
    rustix::net::sockopt::set_socket_send_buffer_size(&client, 4096).unwrap();
    rustix::net::sockopt::set_socket_recv_buffer_size(&server, 4096).unwrap();
    client.set_nonblocking(true).unwrap();
    let lens: Vec<usize> = (0..3000).map(|i| [0, 100, 3][i % 3]).collect();
    let data = chunks(34, &lens);
    let expected = data.concat();
    let reader = thread::spawn(move || slow_read_all(server, 4000));
    let opts = FdOptions::new().nonblocking();
    let (mut done, mut would_blocks) = (0, 0);
    loop {
        match vectored::write_all_fd(&client, &slices_from(&data, done), &opts) {
            Ok(n) => {
                done += n;
                break;
            }
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
                done += e.transferred();
                would_blocks += 1;
                // A caller's event loop would wait for POLLOUT here.
                rustix::event::poll(
                    &mut [rustix::event::PollFd::new(
                        &client,
                        rustix::event::PollFlags::OUT,
                    )],
                    None,
                )
                .unwrap();
            }
        }
    }
    client.shutdown(Shutdown::Write).unwrap();
    let got = reader.join().unwrap();
    assert_eq!(done, expected.len());
    assert!(got == expected);
    assert!(would_blocks > 0, "a 4 KiB send buffer never filled?");
}

#[test]
fn vanished_peers_are_errors_not_signals() {
    let _dog = Watchdog::new("vanished peer", LIMIT);
    let data = chunks(35, &[0, 10, 10]);
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let err = vectored::write_all_fd(&a, &slices(&data), &FdOptions::new()).unwrap_err();
    assert_eq!(
        (err.kind(), err.raw_os_error(), err.transferred()),
        (io::ErrorKind::BrokenPipe, Some(libc::EPIPE), 0)
    );

    // TCP: the peer closes without reading, so it answers with a reset; the writer sees
    // ECONNRESET or EPIPE, with some bytes counted, and never all of them.
    let (client, server) = tcp_pair();
    drop(server);
    let mib = vec![7u8; 1 << 20];
    let big = vec![IoSlice::new(&mib); 64];
    let err = vectored::write_all_fd(&client, &big, &FdOptions::new()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    assert!(err.transferred() < 64 << 20);
}

/// A declared kind's list that one call may offer as it is (a header and a body, nothing to
/// stage) is written by a first call made before the loop is set up; when the socket takes
/// only part of it, or nothing (`EAGAIN`), the loop resumes exactly there.
#[test]
fn declared_socket_first_call_cut_short_resumes_exactly() {
    let _dog = Watchdog::new("declared socket first call", LIMIT);
    for (nonblocking, stall) in [(true, false), (true, true), (false, false)] {
        let (a, b) = UnixStream::pair().unwrap();
        rustix::net::sockopt::set_socket_send_buffer_size(&a, 4096).unwrap();
        a.set_nonblocking(nonblocking).unwrap();
        if stall {
            // The first call finds the socket full: EAGAIN, nothing written.
            let fill = vec![0u8; 1 << 16];
            while rustix::io::write(&a, &fill).is_ok() {}
        }
        let data = chunks(34, &[200, 300_000]);
        let expected = data.concat();
        let reader = thread::spawn(move || slow_read_all(b, 1000));
        let opts = FdOptions::new().kind(FdKind::Socket);
        let n = vectored::write_all_fd(&a, &slices(&data), &opts).unwrap();
        assert_eq!(n, expected.len());
        a.shutdown(Shutdown::Write).unwrap();
        let got = reader.join().unwrap();
        // After the fill's zeros (if any), exactly the list, once.
        let (fill, rest) = got.split_at(got.len() - expected.len().min(got.len()));
        assert!(rest == expected, "nonblocking {nonblocking}, stall {stall}");
        assert!(fill.iter().all(|&b| b == 0) && (stall || fill.is_empty()));
    }
}
