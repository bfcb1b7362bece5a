//! Datagram send/receive on real sockets: boundaries, contents, fallback, errors (Linux).

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use vectored::datagram::{recv_datagrams, Datagram, DatagramSender};
use vectored::sys::{self, OutMessage};
use vectored::FdOptions;

const GSO_MAX: Option<usize> = Some(u16::MAX as usize);

/// Distinct contents for datagram `i` of `len` bytes.
fn payload(i: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|j| u8::try_from((i * 131 + j * 7) % 251).unwrap())
        .collect()
}

fn payloads(lens: &[usize]) -> Vec<Vec<u8>> {
    lens.iter()
        .enumerate()
        .map(|(i, &l)| payload(i, l))
        .collect()
}

fn receiver() -> UdpSocket {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rustix::net::sockopt::set_socket_recv_buffer_size(&rx, 4 << 20).unwrap();
    rx.set_nonblocking(true).unwrap();
    rx
}

/// A receiver and a sender connected to it.
fn connected() -> (UdpSocket, UdpSocket) {
    let rx = receiver();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.connect(rx.local_addr().unwrap()).unwrap();
    (tx, rx)
}

fn wait() -> FdOptions {
    FdOptions::new().timeout(Duration::from_secs(10))
}

/// Receives exactly `n` datagrams, then checks that nothing more is queued. Returns the
/// payloads and how many receives held more than one datagram (coalesced by GRO).
fn recv_n(rx: impl AsFd, n: usize, bufsize: usize) -> (Vec<Vec<u8>>, usize) {
    let mut storage = vec![vec![0u8; bufsize]; 64];
    let mut got = Vec::new();
    let mut coalesced = 0;
    while got.len() < n {
        let mut meta = Vec::new();
        {
            let mut bufs: Vec<_> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            recv_datagrams(&rx, &mut bufs, &mut meta, &wait()).expect("receive");
        }
        for (k, r) in meta.iter().enumerate() {
            assert!(!r.truncated(), "datagram {} truncated", got.len());
            if k > 0 && meta[k - 1].buffer() == r.buffer() {
                coalesced += 1;
            }
            got.push(storage[r.buffer()][r.range()].to_vec());
        }
    }
    assert_eq!(got.len(), n, "more datagrams than sent");
    let mut buf = [0u8; 1];
    let mut extra = Vec::new();
    let err = recv_datagrams(
        &rx,
        &mut [IoSliceMut::new(&mut buf)],
        &mut extra,
        &FdOptions::new().nonblocking(),
    )
    .expect_err("a datagram too many was received");
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    (got, coalesced)
}

fn send_all(sender: &mut DatagramSender, tx: impl AsFd, data: &[Vec<u8>]) {
    let datagrams: Vec<_> = data.iter().map(|p| Datagram::new(p)).collect();
    let sent = sender.send(&tx, &datagrams, &wait()).expect("send");
    let bytes: usize = data.iter().map(Vec::len).sum();
    assert_eq!((sent.datagrams(), sent.bytes()), (data.len(), bytes));
}

#[test]
fn equal_sizes_keep_boundaries_and_contents() {
    for size in [1, 64, 512, 1200, 1472, 9000] {
        let (tx, rx) = connected();
        let data = payloads(&vec![size; 300]);
        let mut sender = DatagramSender::new();
        send_all(&mut sender, &tx, &data);
        // The kernel here takes segmentation: the sender never had to fall back.
        assert_eq!(sender.segmentation(), GSO_MAX, "size {size}");
        assert_eq!(recv_n(&rx, data.len(), 65_536).0, data, "size {size}");
    }
}

#[test]
fn segmented_sends_arrive_coalesced_with_gro_and_split_exactly() {
    let (tx, rx) = connected();
    sys::set_udp_gro(&rx, true).unwrap();
    // Equal runs with a shorter last datagram, more than 64 per run.
    let mut lens = vec![700; 150];
    lens.push(123);
    lens.extend([300; 70]);
    let data = payloads(&lens);
    send_all(&mut DatagramSender::new(), &tx, &data);
    let (got, coalesced) = recv_n(&rx, data.len(), 65_536);
    assert_eq!(got, data);
    assert!(
        coalesced > 0,
        "no receive was coalesced: segmentation unused?"
    );
}

#[test]
fn mixed_sizes_keep_boundaries_and_contents() {
    // A deterministic mix: runs, shorter tails, empty datagrams, singles, large ones.
    let mut lens = Vec::new();
    let mut x: usize = 12345;
    while lens.len() < 600 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1) >> 1;
        let len = [0, 1, 64, 100, 512, 1200, 3000, 20_000][x % 8];
        let run = 1 + (x >> 8) % 90;
        lens.extend(std::iter::repeat_n(len, run));
        if x.is_multiple_of(3) {
            lens.push(len / 2);
        }
    }
    let data = payloads(&lens);
    for gro in [false, true] {
        let (tx, rx) = connected();
        sys::set_udp_gro(&rx, gro).unwrap();
        let mut sender = DatagramSender::new();
        // In slices, so the receive buffer holds each one.
        for chunk in data.chunks(150) {
            send_all(&mut sender, &tx, chunk);
            assert_eq!(recv_n(&rx, chunk.len(), 65_536).0, chunk, "gro {gro}");
        }
    }
}

#[test]
fn single_datagram_and_empty_list() {
    let (tx, rx) = connected();
    let data = payloads(&[77]);
    send_all(&mut DatagramSender::new(), &tx, &data);
    assert_eq!(recv_n(&rx, 1, 2048).0, data);
    let sent = DatagramSender::new().send(&tx, &[], &wait()).unwrap();
    assert_eq!((sent.datagrams(), sent.bytes()), (0, 0));
}

#[test]
fn vectored_payloads_are_concatenated_per_datagram() {
    let (tx, rx) = connected();
    let parts: Vec<Vec<u8>> = (0..200).map(|i| payload(i, 50)).collect();
    let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
    // 100 datagrams of two 50-byte parts each: one segmented run of 100-byte segments.
    let datagrams: Vec<_> = slices.chunks(2).map(Datagram::vectored).collect();
    let sent = DatagramSender::new()
        .send(&tx, &datagrams, &wait())
        .unwrap();
    assert_eq!((sent.datagrams(), sent.bytes()), (100, 10_000));
    let want: Vec<Vec<u8>> = parts.chunks(2).map(<[Vec<u8>]>::concat).collect();
    assert_eq!(recv_n(&rx, 100, 2048).0, want);
}

/// A connected pair whose sender has no UDP checksums, so that the kernel refuses every
/// segmented send with `EINVAL` (checked with a probe, so the fallback tests cannot pass
/// without the refusal).
fn refusing_segmentation() -> (UdpSocket, UdpSocket) {
    let (tx, rx) = connected();
    sys::set_no_check(&tx, true).unwrap();
    let probe = [IoSlice::new(&[0u8; 200])];
    let err = sys::sendmsg_to(
        &tx,
        &OutMessage::new(&probe).segment_size(Some(100)),
        sys::SendFlags::empty(),
    )
    .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "refusal not forced");
    (tx, rx)
}

#[test]
fn refused_segmentation_falls_back_without_loss_or_duplicates() {
    let (tx, rx) = refusing_segmentation();

    let mut lens = vec![512; 200];
    lens.extend([100; 30]);
    lens.push(40);
    let data = payloads(&lens);
    let mut sender = DatagramSender::new();
    send_all(&mut sender, &tx, &data);
    // Learnt: sizes from 100 up are no longer segmented.
    assert!(
        sender.segmentation().unwrap() < 100,
        "{:?}",
        sender.segmentation()
    );
    assert_eq!(recv_n(&rx, data.len(), 2048).0, data);
    // The next batch goes without refusal, exactly once too.
    send_all(&mut sender, &tx, &data[..50]);
    assert_eq!(recv_n(&rx, 50, 2048).0, &data[..50]);
}

#[test]
fn unix_datagram_sockets_never_segment() {
    let (a, b) = UnixDatagram::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let data = payloads(&[64, 64, 64, 10]);
    let mut sender = DatagramSender::new();
    send_all(&mut sender, &a, &data);
    assert_eq!(sender.segmentation(), Some(0));
    assert_eq!(recv_n(&b, 4, 1024).0, data);
}

#[test]
fn unconnected_socket_sends_to_each_destination() {
    let (rx1, rx2) = (receiver(), receiver());
    let (to1, to2) = (rx1.local_addr().unwrap(), rx2.local_addr().unwrap());
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let lens = [100, 100, 100, 100, 100, 7, 100, 100, 50];
    let dests: [SocketAddr; 9] = [to1, to1, to1, to2, to2, to2, to1, to1, to2];
    let data = payloads(&lens);
    let datagrams: Vec<_> = data
        .iter()
        .zip(dests)
        .map(|(p, to)| Datagram::new(p).to(to))
        .collect();
    let sent = DatagramSender::new()
        .send(&tx, &datagrams, &wait())
        .unwrap();
    assert_eq!(sent.datagrams(), 9);
    let pick = |want: SocketAddr| -> Vec<Vec<u8>> {
        data.iter()
            .zip(dests)
            .filter(|(_, to)| *to == want)
            .map(|(p, _)| p.clone())
            .collect()
    };
    let (got1, got2) = (recv_n(&rx1, 5, 2048).0, recv_n(&rx2, 4, 2048).0);
    assert_eq!((got1, got2), (pick(to1), pick(to2)));
}

#[test]
fn oversized_datagram_stops_at_its_index() {
    let (tx, rx) = connected();
    let data = payloads(&[100, 100, 100, 70_000, 100]);
    let datagrams: Vec<_> = data.iter().map(|p| Datagram::new(p)).collect();
    let err = DatagramSender::new()
        .send(&tx, &datagrams, &wait())
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
    assert_eq!(
        (err.progress().datagrams(), err.progress().bytes()),
        (3, 300)
    );
    assert_eq!(recv_n(&rx, 3, 2048).0, &data[..3]);
    // Resuming after the oversized one sends the rest.
    DatagramSender::new()
        .send(&tx, &datagrams[4..], &wait())
        .unwrap();
    assert_eq!(recv_n(&rx, 1, 2048).0, &data[4..]);
}

#[test]
fn full_socket_waits_for_readiness_or_reports_would_block() {
    // A Unix datagram pair holds only a few datagrams (net.unix.max_dgram_qlen): sending
    // more blocks until the peer reads.
    let (a, b) = UnixDatagram::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let data = payloads(&vec![200; 400]);
    let datagrams: Vec<_> = data.iter().map(|p| Datagram::new(p)).collect();
    let mut sender = DatagramSender::new();
    let err = sender
        .send(&a, &datagrams, &FdOptions::new().nonblocking())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    let first = err.progress().datagrams();
    assert!(first > 0 && first < 400, "{first}");
    assert_eq!(err.progress().bytes(), first * 200);

    let err = sender
        .send(
            &a,
            &datagrams[first..],
            &FdOptions::new().timeout(Duration::from_millis(20)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(err.progress().datagrams(), 0);

    // A reader drains; the sender waits for readiness and finishes.
    let reader = std::thread::spawn(move || recv_n(&b, 400, 1024).0);
    let sent = sender.send(&a, &datagrams[first..], &wait()).unwrap();
    assert_eq!(sent.datagrams(), 400 - first);
    assert_eq!(reader.join().unwrap(), data);
}

#[test]
fn connection_refused_surfaces_with_the_count_sent() {
    let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap();
    drop(closed);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.connect(port).unwrap();
    let data = payloads(&[10, 10, 10, 20, 30, 40]);
    let datagrams: Vec<_> = data.iter().map(|p| Datagram::new(p)).collect();
    let mut sender = DatagramSender::new();
    for _ in 0..100 {
        match sender.send(&tx, &datagrams, &wait()) {
            Ok(sent) => assert_eq!(sent.datagrams(), 6),
            Err(err) => {
                assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
                let p = err.progress();
                assert!(p.datagrams() < 6);
                let bytes: usize = data[..p.datagrams()].iter().map(Vec::len).sum();
                assert_eq!(p.bytes(), bytes);
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("ECONNREFUSED never reported");
}

#[test]
fn truncated_receives_are_reported() {
    let (tx, rx) = connected();
    tx.send(&payload(0, 100)).unwrap();
    let mut small = [0u8; 10];
    let mut got = Vec::new();
    recv_datagrams(&rx, &mut [IoSliceMut::new(&mut small)], &mut got, &wait()).unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].truncated());
    assert_eq!((got[0].len(), got[0].original_len()), (10, 100));
    assert_eq!(&small[..], &payload(0, 100)[..10]);
}

#[test]
fn truncated_coalesced_receive_reports_every_datagram() {
    let (tx, rx) = connected();
    sys::set_udp_gro(&rx, true).unwrap();
    let data = payloads(&[100, 100, 100]);
    send_all(&mut DatagramSender::new(), &tx, &data);
    let mut buf = [0u8; 150];
    let mut got = Vec::new();
    recv_datagrams(&rx, &mut [IoSliceMut::new(&mut buf)], &mut got, &wait()).unwrap();
    let shape: Vec<_> = got
        .iter()
        .map(|r| (r.range(), r.original_len(), r.truncated()))
        .collect();
    assert_eq!(
        shape,
        [
            (0..100, 100, false),
            (100..150, 100, true),
            (150..150, 100, true)
        ]
    );
    assert_eq!(&buf[..100], &data[0][..]);
    assert_eq!(&buf[100..150], &data[1][..50]);
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_send_and_receive() {
    use vectored::datagram::{tokio as dt, DatagramProgress};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let rx = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        rustix::net::sockopt::set_socket_recv_buffer_size(&rx, 4 << 20).unwrap();
        sys::set_udp_gro(&rx, true).unwrap();
        let tx = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        tx.connect(rx.local_addr().unwrap()).await.unwrap();
        let mut lens = vec![512; 100];
        lens.extend([33, 1000, 1000, 5]);
        let data = payloads(&lens);
        let datagrams: Vec<_> = data.iter().map(|p| Datagram::new(p)).collect();
        let mut progress = DatagramProgress::default();
        let mut sender = DatagramSender::new();
        dt::send_datagrams(&tx, &mut sender, &datagrams, &mut progress)
            .await
            .unwrap();
        assert_eq!(progress.datagrams(), data.len());
        // Calling again with the finished progress sends nothing more.
        dt::send_datagrams(&tx, &mut sender, &datagrams, &mut progress)
            .await
            .unwrap();

        let mut storage = vec![vec![0u8; 65_536]; 16];
        let mut got = Vec::new();
        while got.len() < data.len() {
            let mut meta = Vec::new();
            let mut bufs: Vec<_> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            tokio::time::timeout(
                Duration::from_secs(10),
                dt::recv_datagrams(&rx, &mut bufs, &mut meta),
            )
            .await
            .expect("receive timed out")
            .unwrap();
            drop(bufs);
            got.extend(meta.iter().map(|r| storage[r.buffer()][r.range()].to_vec()));
        }
        assert_eq!(got, data);
    });
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_send_is_cancel_safe() {
    use std::os::fd::OwnedFd;
    use vectored::datagram::{tokio as dt, DatagramProgress};
    // A Unix datagram pair holds only a few datagrams, so the send has to wait for the
    // reader: tokio drives the fd through its readiness like any socket (the fd-level calls
    // do not care that it is not UDP).
    let (a, b) = UnixDatagram::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let a = UdpSocket::from(OwnedFd::from(a));
    let data = payloads(&vec![100; 300]);
    let datagrams: Vec<_> = data.iter().map(|p| Datagram::new(p)).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = rt.block_on(async {
        let a = tokio::net::UdpSocket::from_std(a).unwrap();
        let mut sender = DatagramSender::new();
        let mut progress = DatagramProgress::default();
        // Nobody reads: the send stalls and the timeout drops the future midway.
        let cancelled = tokio::time::timeout(
            Duration::from_millis(50),
            dt::send_datagrams(&a, &mut sender, &datagrams, &mut progress),
        )
        .await;
        assert!(cancelled.is_err(), "the send should have stalled");
        let first = progress.datagrams();
        assert!(first > 0 && first < 300, "{first}");
        assert_eq!(progress.bytes(), first * 100);
        // Resume with the same progress while a reader drains: each datagram exactly once.
        let reader = std::thread::spawn(move || recv_n(&b, 300, 1024).0);
        dt::send_datagrams(&a, &mut sender, &datagrams, &mut progress)
            .await
            .unwrap();
        assert_eq!(progress.datagrams(), 300);
        reader.join().unwrap()
    });
    assert_eq!(got, data);
}

// The queue's message mode on datagram sockets: batched through the datagram sender.

/// A queue holding `data` as messages, each pushed in pieces of every kind the queue
/// treats differently: a tiny copied head (staged, so several messages share one arena
/// block), then the rest as an owned chunk.
fn queue_of(data: &[Vec<u8>]) -> vectored::WriteQueue<'static> {
    let mut queue = vectored::WriteQueue::new();
    for d in data {
        let cut = d.len().min(3);
        queue.push_copy(&d[..cut]);
        queue.push(d[cut..].to_vec());
        queue.end_message();
    }
    queue
}

#[test]
fn queue_messages_to_udp_keep_boundaries_and_contents() {
    for size in [1, 64, 512, 1200, 9000] {
        let (tx, rx) = connected();
        sys::set_udp_gro(&rx, true).unwrap();
        let data = payloads(&vec![size; 300]);
        let mut queue = queue_of(&data);
        queue.push("unfinished"); // after the last mark: stays queued
        let sent = queue.write_messages_to_fd(&tx, &wait()).unwrap();
        assert_eq!(sent, 300 * size);
        assert_eq!((queue.messages(), queue.len()), (0, 10), "size {size}");
        let (got, coalesced) = recv_n(&rx, data.len(), 65_536);
        assert_eq!(got, data, "size {size}");
        // Received coalesced: the messages went out as segmented sends.
        assert!(coalesced > 0, "size {size}: segmentation unused?");
    }
}

#[test]
fn queue_messages_of_mixed_sizes_with_a_kept_sender() {
    let mut lens = Vec::new();
    for (len, run) in [
        (64, 70),
        (0, 2),
        (1200, 3),
        (1199, 1),
        (5, 1),
        (300, 130),
        (20_000, 2),
    ] {
        lens.extend(std::iter::repeat_n(len, run));
    }
    let data = payloads(&lens);
    for gro in [false, true] {
        let (tx, rx) = connected();
        sys::set_udp_gro(&rx, gro).unwrap();
        let mut queue = queue_of(&data);
        let mut sender = DatagramSender::new();
        let sent = sender.send_queue(&tx, &mut queue, &wait()).unwrap();
        let bytes: usize = lens.iter().sum();
        assert_eq!((sent.datagrams(), sent.bytes()), (data.len(), bytes));
        assert_eq!(sender.segmentation(), GSO_MAX);
        assert!(queue.is_empty() && queue.messages() == 0);
        assert_eq!(recv_n(&rx, data.len(), 65_536).0, data, "gro {gro}");
    }
}

#[test]
fn queue_oversized_message_stays_at_the_front() {
    let (tx, rx) = connected();
    let data = payloads(&[100, 100, 100, 70_000, 100, 100]);
    let mut queue = queue_of(&data);
    let err = queue.write_messages_to_fd(&tx, &wait()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
    assert_eq!(err.transferred(), 300);
    // Exactly the unsent messages, the oversized one first.
    assert_eq!((queue.messages(), queue.len()), (3, 70_200));
    let mut slices = [IoSlice::new(&[]); 8];
    let n = queue.io_slices(&mut slices);
    let queued: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(queued, data[3..].concat());
    assert_eq!(recv_n(&rx, 3, 2048).0, &data[..3]);
    // Dropping it lets the rest go, once.
    queue.consume(70_000).unwrap();
    assert_eq!(queue.messages(), 2);
    assert_eq!(queue.write_messages_to_fd(&tx, &wait()).unwrap(), 200);
    assert_eq!(recv_n(&rx, 2, 2048).0, &data[4..]);
}

#[test]
fn queue_holds_exactly_the_unsent_messages_after_would_block() {
    // A Unix datagram pair holds only a few datagrams: the send stops with WouldBlock.
    let (a, b) = UnixDatagram::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let mut lens = vec![200; 300];
    lens.extend([0, 0, 7]);
    let data = payloads(&lens);
    let mut queue = queue_of(&data);
    let err = queue
        .write_messages_to_fd(&a, &FdOptions::new().nonblocking())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    let first = err.transferred() / 200;
    assert!(first > 0 && first < 300, "{first}");
    assert_eq!(err.transferred(), first * 200);
    let rest: usize = lens[first..].iter().sum();
    assert_eq!((queue.messages(), queue.len()), (data.len() - first, rest));
    // A reader drains; the flush waits for readiness and sends the rest, each once.
    let n = data.len();
    let reader = std::thread::spawn(move || recv_n(&b, n, 1024).0);
    assert_eq!(queue.write_messages_to_fd(&a, &wait()).unwrap(), rest);
    assert_eq!(queue.messages(), 0);
    assert_eq!(reader.join().unwrap(), data);
}

#[test]
fn queue_refused_segmentation_falls_back_without_loss_or_duplicates() {
    let (tx, rx) = refusing_segmentation();
    let mut lens = vec![512; 200];
    lens.extend([100; 30]);
    lens.push(40);
    let data = payloads(&lens);
    // A new sender per call: each call learns the refusal again, and resends nothing twice.
    for _ in 0..2 {
        let mut queue = queue_of(&data);
        let bytes: usize = lens.iter().sum();
        assert_eq!(queue.write_messages_to_fd(&tx, &wait()).unwrap(), bytes);
        assert_eq!(queue.messages(), 0);
        assert_eq!(recv_n(&rx, data.len(), 2048).0, data);
    }
}

#[test]
fn queue_connection_refused_surfaces_with_the_count_sent() {
    let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap();
    drop(closed);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.connect(port).unwrap();
    let data = payloads(&[10, 10, 10, 20, 30, 40]);
    for _ in 0..100 {
        let mut queue = queue_of(&data);
        match queue.write_messages_to_fd(&tx, &wait()) {
            Ok(sent) => assert_eq!((sent, queue.messages()), (120, 0)),
            Err(err) => {
                assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
                let sent = data
                    .iter()
                    .scan(0, |bytes, d| {
                        *bytes += d.len();
                        Some(*bytes)
                    })
                    .position(|b| b > err.transferred())
                    .unwrap_or(data.len());
                let bytes: usize = data[..sent].iter().map(Vec::len).sum();
                assert_eq!(err.transferred(), bytes);
                assert_eq!(queue.messages(), data.len() - sent);
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("ECONNREFUSED never reported");
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_queue_send_is_cancel_safe() {
    use std::os::fd::OwnedFd;
    use vectored::datagram::tokio as dt;
    let (a, b) = UnixDatagram::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let a = UdpSocket::from(OwnedFd::from(a));
    let data = payloads(&vec![100; 300]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = rt.block_on(async {
        let a = tokio::net::UdpSocket::from_std(a).unwrap();
        let mut sender = DatagramSender::new();
        let mut queue = queue_of(&data);
        // Nobody reads: the send stalls and the timeout drops the future midway.
        let cancelled = tokio::time::timeout(
            Duration::from_millis(50),
            dt::send_queue(&a, &mut sender, &mut queue),
        )
        .await;
        assert!(cancelled.is_err(), "the send should have stalled");
        let left = queue.messages();
        assert!(left > 0 && left < 300, "{left}");
        assert_eq!(queue.len(), left * 100);
        // Resume while a reader drains: each message exactly once.
        let reader = std::thread::spawn(move || recv_n(&b, 300, 1024).0);
        let sent = dt::send_queue(&a, &mut sender, &mut queue).await.unwrap();
        assert_eq!((sent.datagrams(), sent.bytes()), (left, left * 100));
        assert!(queue.is_empty());
        reader.join().unwrap()
    });
    assert_eq!(got, data);
}

/// The callers' flags reach the kernel: `MSG_DONTWAIT` makes a receive on a blocking socket
/// return `WouldBlock` instead of waiting, and `MSG_PEEK` leaves the datagram queued.
#[test]
fn sys_calls_pass_the_callers_flags() {
    use std::io::IoSliceMut;
    use vectored::sys::{recvmmsg, sendmmsg, OutMessage, RecvFlags, RecvMeta, SendFlags};

    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.connect(rx.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    let mut meta = [RecvMeta::default(); 1];
    let empty = recvmmsg(
        &rx,
        &mut [IoSliceMut::new(&mut buf)],
        &mut meta,
        RecvFlags::DONTWAIT,
    )
    .unwrap_err();
    assert_eq!(empty.kind(), std::io::ErrorKind::WouldBlock);

    let part = [std::io::IoSlice::new(b"peek me")];
    assert_eq!(
        sendmmsg(&tx, &[OutMessage::new(&part)], SendFlags::DONTWAIT).unwrap(),
        1
    );
    for _ in 0..2 {
        let n = recvmmsg(
            &rx,
            &mut [IoSliceMut::new(&mut buf)],
            &mut meta,
            RecvFlags::PEEK,
        )
        .unwrap();
        assert_eq!((n, meta[0].len(), &buf[..7]), (1, 7, &b"peek me"[..]));
    }
}
