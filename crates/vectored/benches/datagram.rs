//! Datagram throughput on loopback UDP: one `send` per datagram vs one `sendmmsg` batch vs
//! `DatagramSender::send` (segmentation offload + `sendmmsg`) vs the queue's message mode
//! (`WriteQueue::write_messages_to_fd`, the queue filled untimed, then filling it timed too);
//! and on the receive side a `recv` loop vs `recv_datagrams` (`recvmmsg`) vs `recv_datagrams`
//! with `UDP_GRO`.
//!
//! `cargo bench -p vectored --bench datagram [-- REPS]` (default 41 repetitions). Each
//! repetition times one batch of 1024 datagrams per method, methods in a rotating order
//! (interleaved, so drift and noise hit all alike); the report gives the median time per
//! method and the median of the per-repetition ratios to the one-`send` loop.
//!
//! The receiver has a large buffer (`SO_RCVBUFFORCE` 64 MiB) and is drained after each timed
//! send, untimed, counting every datagram: a lost datagram fails the run. (A concurrent
//! reader thread would compete with the sender for the two shared cores of the machine.)
#![allow(clippy::cast_precision_loss)]

use std::hint::black_box;
use std::io::IoSliceMut;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use vectored::datagram::{recv_datagrams, Datagram, DatagramSender};
use vectored::sys::{self, OutMessage};
use vectored::{FdOptions, QueueOptions, WriteQueue};

const N: usize = 1024;

fn sockets() -> (UdpSocket, UdpSocket) {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    if rustix::net::sockopt::set_socket_recv_buffer_size_force(&rx, 64 << 20).is_err() {
        rustix::net::sockopt::set_socket_recv_buffer_size(&rx, 64 << 20).unwrap();
    }
    rx.set_nonblocking(true).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.connect(rx.local_addr().unwrap()).unwrap();
    (tx, rx)
}

/// Receives everything queued, checks the count.
fn drain(rx: &UdpSocket, want: usize, storage: &mut [Vec<u8>]) {
    let mut got = 0;
    let mut meta = Vec::new();
    let opts = FdOptions::new().timeout(Duration::from_secs(5));
    while got < want {
        meta.clear();
        let mut bufs: Vec<_> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        got += recv_datagrams(rx, &mut bufs, &mut meta, &opts).expect("drain");
    }
    assert_eq!(got, want, "datagrams lost or duplicated");
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Table {
    names: Vec<&'static str>,
    times: Vec<Vec<f64>>,
}

impl Table {
    fn new(names: &[&'static str]) -> Self {
        Self {
            names: names.to_vec(),
            times: vec![Vec::new(); names.len()],
        }
    }

    fn print(&mut self, label: &str) {
        let base_times = self.times[0].clone();
        for (i, name) in self.names.iter().enumerate() {
            let mut ratios: Vec<f64> = base_times
                .iter()
                .zip(&self.times[i])
                .map(|(b, t)| b / t)
                .collect();
            let ratio = median(&mut ratios);
            let med = median(&mut self.times[i]);
            println!(
                "{label:<22} {name:<24} median {:>9.1} us  {:>6.2} Mdgram/s  {ratio:>6.2}x vs {}",
                med * 1e6,
                N as f64 / med / 1e6,
                self.names[0]
            );
        }
    }
}

/// Each payload as one message of the queue, by reference (no copy).
fn push_messages<'a>(queue: &mut WriteQueue<'a>, data: &'a [Vec<u8>]) {
    for d in data {
        queue.push_slice(d);
        queue.end_message();
    }
}

fn bench_send(label: &str, lens: &[usize], reps: usize) {
    let (tx, rx) = sockets();
    let data: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0xA5; l]).collect();
    let datagrams: Vec<Datagram<'_>> = data.iter().map(|d| Datagram::new(d)).collect();
    let one: Vec<[std::io::IoSlice<'_>; 1]> =
        data.iter().map(|d| [std::io::IoSlice::new(d)]).collect();
    let msgs: Vec<OutMessage<'_>> = one.iter().map(|s| OutMessage::new(s)).collect();
    let mut sender = DatagramSender::new();
    let opts = FdOptions::new();
    let mut storage = vec![vec![0u8; 65_536]; 256];
    let mut table = Table::new(&[
        "send loop",
        "sendmmsg",
        "send_datagrams (GSO)",
        "queue messages_to_fd",
        "queue push+messages",
        "queue push+msgs nocopy",
    ]);
    let methods = table.names.len();
    for rep in 0..reps {
        for k in 0..methods {
            let method = (rep + k) % methods;
            // The queue of method 3 is filled before the clock starts (its flush alone is
            // timed); methods 4 and 5 time filling it too (5: every payload by reference,
            // none copied into staging blocks).
            let mut queue = if method == 5 {
                WriteQueue::with_options(QueueOptions::new().copy_threshold(0))
            } else {
                WriteQueue::new()
            };
            if method == 3 {
                push_messages(&mut queue, &data);
            }
            let start = Instant::now();
            match method {
                0 => {
                    for d in &data {
                        black_box(tx.send(d).unwrap());
                    }
                }
                1 => {
                    let mut done = 0;
                    while done < N {
                        done += sys::sendmmsg(&tx, &msgs[done..], sys::SendFlags::empty()).unwrap();
                    }
                }
                2 => {
                    black_box(sender.send(&tx, &datagrams, &opts).unwrap());
                }
                3 => {
                    black_box(queue.write_messages_to_fd(&tx, &opts).unwrap());
                }
                _ => {
                    push_messages(&mut queue, &data);
                    black_box(queue.write_messages_to_fd(&tx, &opts).unwrap());
                }
            }
            table.times[method].push(start.elapsed().as_secs_f64());
            assert_eq!(queue.messages(), 0);
            drain(&rx, N, &mut storage);
        }
    }
    assert_eq!(sender.segmentation(), Some(usize::from(u16::MAX)));
    table.print(label);
}

fn bench_recv(label: &str, lens: &[usize], reps: usize) {
    let (tx, rx) = sockets();
    let (tx_gro, rx_gro) = sockets();
    sys::set_udp_gro(&rx_gro, true).unwrap();
    let data: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0x5A; l]).collect();
    let datagrams: Vec<Datagram<'_>> = data.iter().map(|d| Datagram::new(d)).collect();
    let mut sender = DatagramSender::new();
    let opts = FdOptions::new();
    let mut small = vec![vec![0u8; 2048]; 64];
    let mut big = vec![vec![0u8; 65_536]; 64];
    let mut one = vec![0u8; 65_536];
    let mut table = Table::new(&["recv loop", "recv_datagrams", "recv_datagrams (GRO)"]);
    let mut meta = Vec::new();
    for rep in 0..reps {
        for k in 0..3 {
            let method = (rep + k) % 3;
            let sock = if method == 2 { &tx_gro } else { &tx };
            sender.send(sock, &datagrams, &opts).unwrap();
            let start = Instant::now();
            let mut got = 0;
            match method {
                0 => {
                    while got < N {
                        black_box(rx.recv(&mut one).unwrap());
                        got += 1;
                    }
                }
                1 => {
                    while got < N {
                        meta.clear();
                        let mut bufs: Vec<_> =
                            small.iter_mut().map(|b| IoSliceMut::new(b)).collect();
                        got += recv_datagrams(&rx, &mut bufs, &mut meta, &opts).unwrap();
                    }
                }
                _ => {
                    while got < N {
                        meta.clear();
                        let mut bufs: Vec<_> = big.iter_mut().map(|b| IoSliceMut::new(b)).collect();
                        got += recv_datagrams(&rx_gro, &mut bufs, &mut meta, &opts).unwrap();
                    }
                }
            }
            table.times[method].push(start.elapsed().as_secs_f64());
            assert_eq!(got, N, "datagrams lost or duplicated");
            assert!(meta.iter().all(|r| !r.truncated()));
        }
    }
    table.print(label);
}

fn main() {
    // `cargo bench` passes `--bench`; the first number, if any, is the repetition count.
    let reps = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(41);
    let mut x: usize = 0x2545_F491;
    let mixed: Vec<usize> = (0..N)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            20 + x % 1381
        })
        .collect();
    println!(
        "datagram bench: {N} datagrams per batch, {reps} interleaved repetitions, loopback UDP"
    );
    for size in [64, 512, 1200] {
        bench_send(&format!("send {size} B"), &[size; N], reps);
    }
    bench_send("send mixed 20-1400 B", &mixed, reps);
    // Short runs: pairs of equal sizes (600, 600, 300, 300, ...).
    let pairs: Vec<usize> = (0..N).map(|i| if i % 4 < 2 { 600 } else { 300 }).collect();
    bench_send("send pairs 600/300 B", &pairs, reps);
    for size in [64, 512, 1200] {
        bench_recv(&format!("recv {size} B"), &[size; N], reps);
    }
    bench_recv("recv mixed 20-1400 B", &mixed, reps);
}
