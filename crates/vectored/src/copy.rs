//! Copies of a few bytes without a call to `memcpy`: the staging of tiny buffers (the
//! write-all layout, the queue's arena) is made of them, and for 4 to 32 bytes the call and
//! its size dispatch cost more than the copy: a queue push of 4–32 bytes went from 3.3–3.8 ns
//! to 2.4–2.7 ns, and `write_all_fd` of 100000 × 16 B to a tmpfs file from 626–635 µs to
//! 270–275 µs, where one concatenation and one `write` take 438–449 µs
//! (`docs/experiments/small_copies.rs`, `docs/bench/2026-12-02-s3-small-copies.txt`; the
//! second figure includes the other layout changes of that session).
//!
//! Pure data: no system calls here.

/// Copies `$src` into `$dst` of the same length, between one and two `$int`s long, as two
/// moves of an `$int`: its first bytes and its last, overlapping in the middle.
macro_rules! two_moves {
    ($int:ty, $dst:ident, $src:ident) => {{
        const K: usize = std::mem::size_of::<$int>();
        let n = $src.len();
        let head = <$int>::from_ne_bytes($src[..K].try_into().unwrap_or([0; K]));
        let tail = <$int>::from_ne_bytes($src[n - K..].try_into().unwrap_or([0; K]));
        $dst[..K].copy_from_slice(&head.to_ne_bytes());
        $dst[n - K..].copy_from_slice(&tail.to_ne_bytes());
    }};
}

/// The sizes copied inline, as two overlapping moves of a fixed size.
const INLINE: std::ops::RangeInclusive<usize> = 4..=32;

/// `dst.copy_from_slice(src)`.
///
/// # Panics
///
/// If the lengths differ, as `copy_from_slice` does.
#[inline]
pub(crate) fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    assert_eq!(dst.len(), src.len(), "copy_bytes: lengths differ");
    // Each size has its own integer type: with plain `[u8; K]` moves the compiler merged the
    // three arms into one and called `memcpy` with `K` for the second move.
    match src.len() {
        16..=32 => two_moves!(u128, dst, src),
        8..=15 => two_moves!(u64, dst, src),
        4..=7 => two_moves!(u32, dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// `tail.extend_from_slice(src)`. With room for 32 bytes in `tail` (the callers keep
/// their staging blocks so, but for the last bytes of one), a buffer of 4 to 32 bytes is
/// appended as 32 zero bytes, a fixed-size store, overwritten by the two moves of
/// [`copy_bytes`] and cut back to its length: no `memcpy` call, and no `unsafe`.
#[inline]
pub(crate) fn append(tail: &mut Vec<u8>, src: &[u8]) {
    let n = src.len();
    if !INLINE.contains(&n) || tail.capacity() - tail.len() < WIDE {
        tail.extend_from_slice(src);
        return;
    }
    // Room for `WIDE` bytes made by one fixed-size store of zeros, then the two moves
    // straight into it (gathering into an array first and storing the array made the
    // 8-byte case stall: a 16-byte load of two smaller stores cannot be forwarded).
    let len = tail.len();
    tail.extend_from_slice(&[0; WIDE]);
    copy_bytes(&mut tail[len..len + n], src);
    tail.truncate(len + n);
}

/// The array [`append`] stores: the largest inline size.
const WIDE: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length from 0 to 80 (the inline sizes and their neighbours), at every offset of
    /// a destination with guard bytes around it.
    #[test]
    fn copies_every_length_exactly() {
        let src: Vec<u8> = (1..=80).collect();
        for n in 0..=80 {
            let mut dst = vec![0xEE; n + 2];
            copy_bytes(&mut dst[1..=n], &src[..n]);
            assert_eq!(&dst[1..=n], &src[..n], "n = {n}");
            assert_eq!((dst[0], dst[n + 1]), (0xEE, 0xEE), "guards, n = {n}");

            // With room, and without (it grows).
            for capacity in [3 + n, 3 + WIDE, 3] {
                let mut tail = Vec::with_capacity(capacity);
                tail.extend_from_slice(b"abc");
                append(&mut tail, &src[..n]);
                assert_eq!(&tail[..3], b"abc");
                assert_eq!(&tail[3..], &src[..n], "append, n = {n}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn copy_bytes_rejects_different_lengths() {
        copy_bytes(&mut [0; 8], &[1; 9]);
    }
}
