//! Real files and devices: `write_all_fd`, `write_all_at`/`read_exact_at` (offsets, flags),
//! `/dev/full`, `/dev/null`, and the bad inputs that must fail cleanly with 0 transferred.

use crate::support;

use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, IoSliceMut, Seek};

use support::{chunks, layout, pattern, slices, TempDir};
use vectored::{FdOptions, RwFlags, IOV_MAX};

/// Lengths with empties at the start, in the middle and at the end, crossing `IOV_MAX`.
fn mixed_lens() -> Vec<usize> {
    let mut lens = vec![0; 3];
    lens.extend((0..3000).map(|i| [0, 1, 7, 100, 4096, 3][i % 6]));
    lens.extend([0; 5]);
    lens
}

/// Lengths 0, 3, 1, 64, 0, 3, ... adding up to exactly `total`.
fn odd_lens(total: usize) -> Vec<usize> {
    let mut lens = Vec::new();
    let mut sum = 0;
    for i in 0.. {
        if sum == total {
            break;
        }
        let len = [0, 3, 1, 64][i % 4].min(total - sum);
        lens.push(len);
        sum += len;
    }
    lens
}

#[test]
fn write_all_fd_to_a_file_writes_everything_in_order() {
    let dir = TempDir::new("file");
    let path = dir.join("out");
    let file = File::create(&path).unwrap();
    let data = chunks(1, &mixed_lens());
    let expected = data.concat();
    let bufs = slices(&data);
    let before = layout(&bufs);
    let n = vectored::write_all_fd(&file, &bufs, &FdOptions::new()).unwrap();
    assert_eq!(n, expected.len());
    assert_eq!(layout(&bufs), before, "the caller's slices were modified");
    assert!(std::fs::read(&path).unwrap() == expected);
}

#[test]
fn one_byte_and_zero_length_buffers_complete_without_einval() {
    let dir = TempDir::new("onebyte");
    for n in [0usize, 1, 1023, 1024, 1025, 4097, 100_000] {
        for with_empties in [false, true] {
            // With empties, a zero-length buffer sits before, between and after every byte.
            let lens: Vec<usize> = if with_empties {
                (0..=2 * n).map(|i| i % 2).collect()
            } else {
                vec![1; n]
            };
            let data = chunks(n as u64, &lens);
            let expected = data.concat();
            let bufs = slices(&data);
            let what = format!("{n} one-byte buffers, empties: {with_empties}");

            let path = dir.join("fd");
            let file = File::create(&path).unwrap();
            assert_eq!(
                vectored::write_all_fd(&file, &bufs, &FdOptions::new()).expect(&what),
                n
            );
            assert!(std::fs::read(&path).unwrap() == expected, "{what}");

            let path = dir.join("at");
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap();
            assert_eq!(
                vectored::write_all_at(&file, &bufs, 5, RwFlags::empty()).expect(&what),
                n
            );
            let mut back: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0xEE; l]).collect();
            let mut rbufs: Vec<IoSliceMut<'_>> =
                back.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            assert_eq!(
                vectored::read_exact_at(&file, &mut rbufs, 5, RwFlags::empty()).expect(&what),
                n
            );
            drop(rbufs);
            assert!(back.concat() == expected, "{what}");
        }
    }
}

#[test]
fn write_all_at_and_read_exact_at_honour_offsets_and_keep_the_position() {
    let dir = TempDir::new("at");
    let path = dir.join("f");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let data = chunks(2, &mixed_lens());
    let expected = data.concat();
    let n = vectored::write_all_at(&file, &slices(&data), 1000, RwFlags::empty()).unwrap();
    assert_eq!(n, expected.len());
    assert_eq!(
        file.stream_position().unwrap(),
        0,
        "positional writes moved the file position"
    );
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(on_disk.len(), 1000 + expected.len());
    assert!(on_disk[..1000].iter().all(|&b| b == 0));
    assert!(on_disk[1000..] == expected[..]);

    // Overwrite a middle part from a second list.
    let overwrite = pattern(99, 5000);
    let pieces: Vec<IoSlice<'_>> = overwrite.chunks(7).map(IoSlice::new).collect();
    vectored::write_all_at(&file, &pieces, 3000, RwFlags::empty()).unwrap();
    let mut model = on_disk;
    model[3000..8000].copy_from_slice(&overwrite);
    assert!(std::fs::read(&path).unwrap() == model);

    // Read it back from several offsets into lists of odd sizes (more than IOV_MAX).
    for offset in [0usize, 1, 999, 1000, 2999, 7999] {
        let len = model.len() - offset;
        let lens = odd_lens(len);
        assert!(lens.len() > IOV_MAX);
        let mut back: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0; l]).collect();
        let mut bufs: Vec<IoSliceMut<'_>> = back.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let got = vectored::read_exact_at(&file, &mut bufs, offset as u64, RwFlags::empty())
            .unwrap_or_else(|e| panic!("offset {offset}: {e}"));
        assert_eq!(got, len);
        drop(bufs);
        assert!(back.concat() == model[offset..], "offset {offset}");
    }
    assert_eq!(file.stream_position().unwrap(), 0);
}

#[test]
fn rwf_dsync_and_rwf_append() {
    let dir = TempDir::new("flags");
    let path = dir.join("f");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let data = chunks(3, &mixed_lens());
    let expected = data.concat();
    let n = vectored::write_all_at(&file, &slices(&data), 0, RwFlags::DSYNC).unwrap();
    assert_eq!(n, expected.len());
    assert!(std::fs::read(&path).unwrap() == expected);

    // RWF_APPEND ignores the offset: every call appends, in order, even across the many
    // calls a list longer than IOV_MAX needs.
    let tail = chunks(4, &vec![1; 2500]);
    let n = vectored::write_all_at(&file, &slices(&tail), 0, RwFlags::APPEND).unwrap();
    assert_eq!(n, 2500);
    let mut model = expected.clone();
    model.extend_from_slice(&tail.concat());
    assert!(std::fs::read(&path).unwrap() == model);

    let mut back = vec![0u8; model.len()];
    let got = vectored::read_exact_at(
        &file,
        &mut [IoSliceMut::new(&mut back)],
        0,
        RwFlags::empty(),
    )
    .unwrap();
    assert_eq!(got, model.len());
    assert!(back == model);
}

#[test]
fn read_exact_at_past_the_end_reports_the_bytes_filled() {
    let dir = TempDir::new("eof");
    let path = dir.join("f");
    let content = pattern(5, 100);
    std::fs::write(&path, &content).unwrap();
    let file = File::open(&path).unwrap();
    for (offset, want) in [(20u64, 80usize), (99, 1), (100, 0), (5000, 0)] {
        let (mut a, mut b) = ([0xEEu8; 50], [0xEEu8; 100]);
        let mut bufs = [
            IoSliceMut::new(&mut a),
            IoSliceMut::new(&mut []),
            IoSliceMut::new(&mut b),
        ];
        let err = vectored::read_exact_at(&file, &mut bufs, offset, RwFlags::empty()).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::UnexpectedEof, want),
            "offset {offset}: {err}"
        );
        let mut got = a.to_vec();
        got.extend_from_slice(&b);
        let start = usize::try_from(offset).unwrap().min(100);
        assert!(got[..want] == content[start..start + want]);
        assert!(
            got[want..].iter().all(|&x| x == 0xEE),
            "wrote past the data"
        );
    }
}

#[test]
fn dev_full_is_storage_full_with_nothing_transferred() {
    let data = chunks(6, &[0, 10, 5000, 1]);
    let bufs = slices(&data);
    let mut full = OpenOptions::new().write(true).open("/dev/full").unwrap();

    let check = |err: vectored::Error, what: &str| {
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{what}: {err}");
        // The kind is std's for ENOSPC (StorageFull), unchanged.
        assert_eq!(
            err.kind(),
            io::Error::from_raw_os_error(libc::ENOSPC).kind()
        );
        assert_eq!(err.transferred(), 0, "{what}");
        assert!(err.to_string().contains("0 bytes"), "{what}: {err}");
    };
    check(
        vectored::write_all_fd(&full, &bufs, &FdOptions::new()).unwrap_err(),
        "write_all_fd",
    );
    check(
        vectored::write_all(&mut full, &bufs).unwrap_err(),
        "write_all",
    );
    check(
        vectored::write_all_at(&full, &bufs, 0, RwFlags::empty()).unwrap_err(),
        "write_all_at",
    );
    // Converting keeps the errno.
    let io: io::Error = vectored::write_all_fd(&full, &bufs, &FdOptions::new())
        .unwrap_err()
        .into();
    assert_eq!(io.raw_os_error(), Some(libc::ENOSPC));
}

#[test]
fn writing_to_a_read_only_fd_is_ebadf_with_nothing_transferred() {
    let dir = TempDir::new("ro");
    let path = dir.join("f");
    std::fs::write(&path, b"keep").unwrap();
    let mut ro = File::open(&path).unwrap();
    let data = chunks(7, &[3, 0, 4]);
    let bufs = slices(&data);
    for (what, result) in [
        (
            "write_all_fd",
            vectored::write_all_fd(&ro, &bufs, &FdOptions::new()),
        ),
        (
            "write_all_at",
            vectored::write_all_at(&ro, &bufs, 0, RwFlags::empty()),
        ),
        ("write_all", vectored::write_all(&mut ro, &bufs)),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{what}: {err}");
        assert_eq!(err.transferred(), 0, "{what}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"keep");

    // And the other way round: reading from a write-only fd.
    let wo = OpenOptions::new().write(true).open(&path).unwrap();
    let mut a = [0u8; 4];
    let err = vectored::read_exact_fd(&wo, &mut [IoSliceMut::new(&mut a)], &FdOptions::new())
        .unwrap_err();
    assert_eq!(
        (err.raw_os_error(), err.transferred()),
        (Some(libc::EBADF), 0)
    );
}

#[test]
fn directory_fds_fail_cleanly() {
    let dir = TempDir::new("dir");
    let fd = File::open(dir.path()).unwrap();
    let data = chunks(8, &[5]);
    let err = vectored::write_all_fd(&fd, &slices(&data), &FdOptions::new()).unwrap_err();
    // A directory can only be opened read-only, so writing is EBADF.
    assert_eq!(
        (err.raw_os_error(), err.transferred()),
        (Some(libc::EBADF), 0),
        "{err}"
    );
    let mut a = [0u8; 4];
    let err = vectored::read_exact_fd(&fd, &mut [IoSliceMut::new(&mut a)], &FdOptions::new())
        .unwrap_err();
    assert_eq!(
        (err.raw_os_error(), err.transferred()),
        (Some(libc::EISDIR), 0),
        "{err}"
    );
    let err = vectored::read_exact_at(&fd, &mut [IoSliceMut::new(&mut a)], 0, RwFlags::empty())
        .unwrap_err();
    assert_eq!(
        (err.raw_os_error(), err.transferred()),
        (Some(libc::EISDIR), 0),
        "{err}"
    );
}

#[test]
fn offsets_beyond_off_t_are_invalid_input_and_write_nothing() {
    let dir = TempDir::new("offset");
    let path = dir.join("f");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let data = chunks(9, &[4, 0, 4]);
    let bufs = slices(&data);
    // u64::MAX would be -1 as an off_t, which pwritev2 reads as "the current position".
    for offset in [i64::MAX as u64 + 1, u64::MAX - 1, u64::MAX] {
        let err = vectored::write_all_at(&file, &bufs, offset, RwFlags::empty()).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidInput, 0),
            "offset {offset}: {err}"
        );
        let mut a = [0u8; 4];
        let err = vectored::read_exact_at(
            &file,
            &mut [IoSliceMut::new(&mut a)],
            offset,
            RwFlags::empty(),
        )
        .unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidInput, 0),
            "offset {offset}: {err}"
        );
        let err = vectored::sys::pwritev(&file, &bufs, offset).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err =
            vectored::sys::pwritev2(&file, &bufs, Some(offset), RwFlags::empty()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "something was written"
    );
    assert_eq!(file.stream_position().unwrap(), 0);

    // At i64::MAX itself the offset is representable; the kernel refuses the write.
    let err =
        vectored::write_all_at(&file, &bufs, i64::MAX as u64 - 2, RwFlags::empty()).unwrap_err();
    assert_eq!(err.transferred(), 0, "{err}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn offset_near_off_t_max_reports_the_progress_before_the_overflow() {
    // /dev/null and /dev/zero accept any offset whose end fits an off_t, so the first call
    // (IOV_MAX bytes ending exactly at i64::MAX) succeeds and the next one overflows.
    let ones = chunks(10, &[1; IOV_MAX + 1]);
    let null = OpenOptions::new().write(true).open("/dev/null").unwrap();
    let start = i64::MAX as u64 - IOV_MAX as u64;
    let err = vectored::write_all_at(&null, &slices(&ones), start, RwFlags::empty()).unwrap_err();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::InvalidInput, IOV_MAX),
        "{err}"
    );
    // One byte further and even the first call overflows.
    let err =
        vectored::write_all_at(&null, &slices(&ones), start + 1, RwFlags::empty()).unwrap_err();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::InvalidInput, 0),
        "{err}"
    );

    let zero = File::open("/dev/zero").unwrap();
    let mut back: Vec<Vec<u8>> = (0..=IOV_MAX).map(|_| vec![0xEE]).collect();
    let mut bufs: Vec<IoSliceMut<'_>> = back.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let err = vectored::read_exact_at(&zero, &mut bufs, start, RwFlags::empty()).unwrap_err();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::InvalidInput, IOV_MAX),
        "{err}"
    );
    drop(bufs);
    assert!(back[..IOV_MAX].iter().all(|b| b[0] == 0));
    assert_eq!(back[IOV_MAX][0], 0xEE);
}

#[test]
fn buffers_larger_than_one_call_are_split() {
    // 3 GiB of zero pages that are never touched: /dev/null does not read them.
    let big = vec![0u8; 3 << 30];
    let null = OpenOptions::new().write(true).open("/dev/null").unwrap();
    let n = vectored::sys::writev(&null, &[IoSlice::new(&big)]).unwrap();
    assert_eq!(n, vectored::MAX_BYTES_PER_CALL);
    let n = vectored::write_all_fd(&null, &[IoSlice::new(&big)], &FdOptions::new()).unwrap();
    assert_eq!(n, big.len());
    // The same slice 1000 times over: about 3 TB in ~1500 calls.
    let many = vec![IoSlice::new(&big); 1000];
    let n = vectored::write_all_fd(&null, &many, &FdOptions::new()).unwrap();
    assert_eq!(n, 1000 * big.len());
    let n = vectored::write_all_at(&null, &many, 0, RwFlags::empty()).unwrap();
    assert_eq!(n, 1000 * big.len());
}
