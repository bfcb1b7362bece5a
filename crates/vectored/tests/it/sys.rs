//! The single-call wrappers in `vectored::sys` (clamping to `IOV_MAX`, never `EINVAL`), and
//! how many calls the loops make for long lists of one-byte and zero-length buffers.

use crate::support;

use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::Duration;

use support::{chunks, pipe, skip, slices, Facility, TempDir, Watchdog};
use vectored::{sys, FdKind, FdOptions, RwFlags, IOV_MAX};

const COUNTS: [usize; 7] = [0, 1, 1023, 1024, 1025, 4097, 100_000];

fn read_write(path: &std::path::Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap()
}

#[test]
fn write_wrappers_take_at_most_iov_max_buffers() {
    let dir = TempDir::new("sys-write");
    let ones = chunks(40, &[1; IOV_MAX + 1]);
    let bufs = slices(&ones);

    let file = read_write(&dir.join("writev"));
    assert_eq!(sys::writev(&file, &bufs).unwrap(), IOV_MAX);
    assert_eq!(
        std::fs::read(dir.join("writev")).unwrap(),
        ones[..IOV_MAX].concat()
    );

    let file = read_write(&dir.join("pwritev"));
    assert_eq!(sys::pwritev(&file, &bufs, 10).unwrap(), IOV_MAX);
    assert_eq!(file.metadata().unwrap().len(), 10 + IOV_MAX as u64);

    let file = read_write(&dir.join("pwritev2"));
    assert_eq!(
        sys::pwritev2(&file, &bufs, Some(3), RwFlags::empty()).unwrap(),
        IOV_MAX
    );
    assert_eq!(
        sys::pwritev2(&file, &bufs, None, RwFlags::empty()).unwrap(),
        IOV_MAX
    );
    let mut content = std::fs::read(dir.join("pwritev2")).unwrap();
    assert_eq!(content.len(), 3 + IOV_MAX);
    // `None` wrote at the file position (0) and over the first bytes of the first write.
    content.truncate(IOV_MAX);
    assert_eq!(content, ones[..IOV_MAX].concat());

    let (a, mut b) = UnixStream::pair().unwrap();
    assert_eq!(sys::sendmsg(&a, &bufs).unwrap(), IOV_MAX);
    drop(a);
    let mut got = Vec::new();
    b.read_to_end(&mut got).unwrap();
    assert_eq!(got, ones[..IOV_MAX].concat());

    // Far more buffers than one call takes, with empties in front: still no EINVAL.
    let mut many: Vec<IoSlice<'_>> = vec![IoSlice::new(&[]); 5000];
    many.extend(bufs.iter().copied());
    let file = read_write(&dir.join("empties"));
    let n = sys::writev(&file, &many).unwrap();
    assert_eq!(n, 0, "the first IOV_MAX buffers are all empty");
    assert_eq!(sys::writev(&file, &[]).unwrap(), 0);
    assert_eq!(
        sys::writev(&file, &many[5000 - 10..]).unwrap(),
        IOV_MAX - 10
    );
}

#[test]
fn read_wrappers_fill_at_most_iov_max_buffers() {
    let dir = TempDir::new("sys-read");
    let path = dir.join("f");
    let content = support::pattern(41, 3000);
    std::fs::write(&path, &content).unwrap();
    let file = File::open(&path).unwrap();

    let mut store = vec![[0u8; 1]; IOV_MAX + 1];
    let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    assert_eq!(sys::readv(&file, &mut bufs).unwrap(), IOV_MAX);
    assert_eq!(sys::preadv(&file, &mut bufs, 100).unwrap(), IOV_MAX);
    assert_eq!(
        sys::preadv2(&file, &mut bufs, Some(200), RwFlags::empty()).unwrap(),
        IOV_MAX
    );
    drop(bufs);
    assert_eq!(store[..IOV_MAX].concat(), content[200..200 + IOV_MAX]);
    assert_eq!(store[IOV_MAX], [0], "a buffer past IOV_MAX was filled");

    // `None`: read at (and advance) the file position, which `readv` left at IOV_MAX.
    let mut a = [0u8; 5];
    assert_eq!(
        sys::preadv2(
            &file,
            &mut [IoSliceMut::new(&mut a)],
            None,
            RwFlags::empty()
        )
        .unwrap(),
        5
    );
    assert_eq!(a[..], content[IOV_MAX..IOV_MAX + 5]);

    // Past the end of file: 0, not an error.
    assert_eq!(
        sys::preadv(&file, &mut [IoSliceMut::new(&mut a)], 10_000).unwrap(),
        0
    );
}

#[test]
fn pwritev2_without_offset_works_on_pipes_and_sockets() {
    let (mut r, w) = pipe();
    let data = chunks(42, &[0, 3, 4]);
    assert_eq!(
        sys::pwritev2(&w, &slices(&data), None, RwFlags::empty()).unwrap(),
        7
    );
    let mut got = [0u8; 7];
    r.read_exact(&mut got).unwrap();
    assert_eq!(got[..], data.concat()[..]);
    // With an offset, a pipe has no position to write at.
    let err = sys::pwritev2(&w, &slices(&data), Some(0), RwFlags::empty()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ESPIPE));

    let (a, mut b) = UnixStream::pair().unwrap();
    assert_eq!(
        sys::pwritev2(&a, &slices(&data), None, RwFlags::empty()).unwrap(),
        7
    );
    b.read_exact(&mut got).unwrap();
    assert_eq!(got[..], data.concat()[..]);
}

#[test]
fn pwritev2_nosignal_on_a_closed_pipe_is_epipe() {
    let (r, w) = pipe();
    drop(r);
    let err = sys::pwritev2(&w, &[IoSlice::new(b"x")], None, RwFlags::NOSIGNAL).unwrap_err();
    // Kernels before 6.18 reject the flag itself, as they do any flag they do not know
    // (EOPNOTSUPP, pwritev2(2)); the EPIPE part then cannot be checked here.
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if version >= (6, 18) {
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE), "{err}");
    } else {
        assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
        skip(
            Facility::KernelRwfNoSignal,
            format_args!(
                "kernel {} rejects RWF_NOSIGNAL ({err}): EPIPE not checked",
                release.trim()
            ),
        );
    }
}

#[test]
fn fd_kind_detection() {
    let (r, _w) = pipe();
    assert_eq!(FdKind::of(&r).unwrap(), FdKind::Pipe);
    let (a, _b) = UnixStream::pair().unwrap();
    assert_eq!(FdKind::of(&a).unwrap(), FdKind::Socket);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    assert_eq!(FdKind::of(&listener).unwrap(), FdKind::Socket);
    assert_eq!(
        FdKind::of(File::open("/dev/null").unwrap()).unwrap(),
        FdKind::Other
    );
    let dir = TempDir::new("kind");
    assert_eq!(
        FdKind::of(File::open(dir.path()).unwrap()).unwrap(),
        FdKind::Other
    );
}

/// Accepts everything it is offered and counts the calls.
#[derive(Default)]
struct Counting {
    out: Vec<u8>,
    calls: usize,
    max_window: usize,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls += 1;
        self.max_window = self.max_window.max(bufs.len());
        let mut n = 0;
        for b in bufs {
            self.out.extend_from_slice(b);
            n += b.len();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_all_makes_ceil_n_over_iov_max_calls() {
    for n in COUNTS {
        let data = chunks(n as u64, &vec![1; n]);
        let mut w = Counting::default();
        assert_eq!(vectored::write_all(&mut w, &slices(&data)).unwrap(), n);
        assert_eq!(w.calls, n.div_ceil(IOV_MAX), "{n} one-byte buffers");
        assert!(w.max_window <= IOV_MAX);
        assert_eq!(w.out, data.concat());

        // Zero-length buffers around every byte: more descriptors, never a call for
        // nothing, and never more calls than descriptors need.
        let lens: Vec<usize> = (0..=2 * n).map(|i| i % 2).collect();
        let data = chunks(n as u64, &lens);
        let mut w = Counting::default();
        assert_eq!(vectored::write_all(&mut w, &slices(&data)).unwrap(), n);
        assert!(w.calls <= (2 * n + 1).div_ceil(IOV_MAX), "{n} with empties");
        assert!(w.calls >= n.div_ceil(IOV_MAX));
        assert!(w.max_window <= IOV_MAX);
        assert_eq!(w.out, data.concat());
    }
    // Only empty buffers: no call at all.
    let mut w = Counting::default();
    let empties = vec![IoSlice::new(&[]); 5000];
    assert_eq!(vectored::write_all(&mut w, &empties).unwrap(), 0);
    assert_eq!(w.calls, 0);
}

#[test]
fn fd_loops_take_one_byte_buffers_over_pipes_and_sockets() {
    let _dog = Watchdog::new("one-byte buffers over fds", Duration::from_secs(60));
    for n in COUNTS {
        for with_empties in [false, true] {
            let lens: Vec<usize> = if with_empties {
                (0..=2 * n).map(|i| i % 2).collect()
            } else {
                vec![1; n]
            };
            let data = chunks(n as u64 + 1, &lens);
            let expected = data.concat();
            let what = format!("{n} one-byte buffers, empties: {with_empties}");

            // Pipe, with the reader side filling the same shape of list.
            let (r, w) = pipe();
            let lens2 = lens.clone();
            let reader = thread::spawn(move || {
                let mut store: Vec<Vec<u8>> = lens2.iter().map(|&l| vec![0; l]).collect();
                let mut bufs: Vec<IoSliceMut<'_>> =
                    store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
                let n = vectored::read_exact_fd(&r, &mut bufs, &FdOptions::new()).unwrap();
                drop(bufs);
                (n, store.concat())
            });
            let sent = vectored::write_all_fd(&w, &slices(&data), &FdOptions::new());
            let (got_n, got) = reader.join().unwrap();
            assert_eq!(sent.expect(&what), n);
            assert_eq!(got_n, n, "{what}");
            assert!(got == expected, "{what}");

            // Socketpair, written with sendmsg.
            let (a, mut b) = UnixStream::pair().unwrap();
            let reader = thread::spawn(move || {
                let mut got = Vec::new();
                b.read_to_end(&mut got).unwrap();
                got
            });
            let sent = vectored::write_all_fd(&a, &slices(&data), &FdOptions::new());
            drop(a);
            assert_eq!(sent.expect(&what), n);
            assert!(reader.join().unwrap() == expected, "{what}");
        }
    }
}
