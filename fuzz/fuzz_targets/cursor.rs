//! Drives `IoCursor` and `IoCursorMut` with arbitrary buffer shapes, limits and transfer
//! counts (including over-claims), checked against a model: a position in the concatenation.
#![no_main]

use std::io::{IoSlice, IoSliceMut};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vectored::{IoCursor, IoCursorMut};

#[derive(Debug, Arbitrary)]
struct Script {
    lens: Vec<u8>,
    max_iovecs: u8,
    max_bytes: u16,
    /// Each step transfers `step % (window_bytes + 2)` bytes: sometimes all, sometimes one
    /// more than offered. After the script, every step transfers the whole window.
    steps: Vec<u16>,
}

const N: usize = 16;

fuzz_target!(|script: Script| {
    let lens: Vec<usize> = script.lens.iter().map(|&l| usize::from(l % 40)).collect();
    let data: Vec<Vec<u8>> = lens
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
        .collect();
    let all = data.concat();
    let max_iovecs = usize::from(script.max_iovecs).max(1);
    let max_bytes = usize::from(script.max_bytes).max(1);

    // Write side.
    let bufs: Vec<IoSlice<'_>> = data.iter().map(|d| IoSlice::new(d)).collect();
    let mut cursor = IoCursor::<N>::with_limits(&bufs, max_iovecs, max_bytes);
    let mut pos = 0;
    let mut steps = script.steps.iter().copied();
    loop {
        let window = cursor.window();
        let offered: Vec<u8> = window.iter().flat_map(|s| s.iter().copied()).collect();
        assert!(window.len() <= max_iovecs.min(N));
        assert!(offered.len() <= max_bytes);
        assert_eq!(&offered[..], &all[pos..pos + offered.len()]);
        assert_eq!(window.is_empty(), pos == all.len());
        assert!(window.first().map_or(true, |s| !s.is_empty()));
        if window.is_empty() {
            break;
        }
        let n = steps
            .next()
            .map_or(offered.len(), |step| usize::from(step) % (offered.len() + 2));
        if n > offered.len() {
            assert!(cursor.advance(n).is_err());
        } else {
            cursor.advance(n).unwrap();
            pos += n;
        }
        assert_eq!(cursor.transferred(), pos);
        assert_eq!(cursor.remaining(), all.len() - pos);
    }
    assert_eq!(pos, all.len(), "the cursor stopped early");

    // Read side: fill with the same schedule and compare.
    let mut storage: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0u8; n]).collect();
    {
        let mut bufs: Vec<IoSliceMut<'_>> =
            storage.iter_mut().map(|d| IoSliceMut::new(d)).collect();
        let mut cursor = IoCursorMut::<N>::with_limits(&mut bufs, max_iovecs, max_bytes);
        let mut pos = 0;
        let mut steps = script.steps.iter().copied();
        loop {
            let window = cursor.window();
            if window.is_empty() {
                break;
            }
            assert!(window.len() <= max_iovecs.min(N));
            let room: usize = window.iter().map(|w| w.len()).sum();
            assert!(room <= max_bytes);
            let n = steps
                .next()
                .map_or(room, |step| usize::from(step) % (room + 2));
            if n > room {
                assert!(cursor.advance(n).is_err());
                continue;
            }
            let mut left = n;
            let mut src = &all[pos..pos + n];
            for w in window.iter_mut() {
                let take = w.len().min(left);
                w[..take].copy_from_slice(&src[..take]);
                src = &src[take..];
                left -= take;
            }
            cursor.advance(n).unwrap();
            pos += n;
        }
        assert_eq!(cursor.transferred(), all.len());
    }
    assert_eq!(storage.concat(), all);
});
