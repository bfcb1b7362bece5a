//! Copies of a few bytes without a call to `memcpy`: the staging of small buffers (the
//! write-all layout, up to 128 bytes; the queue's arena for small borrowed chunks, up to 32)
//! is made of them, and for such sizes the call and its size dispatch cost as much as the
//! copy: a queue push of 4–32 bytes went from 3.3–3.8 ns
//! to 2.4–2.7 ns, and `write_all_fd` of 100000 × 16 B to a tmpfs file from 626–635 µs to
//! 270–275 µs, where one concatenation and one `write` take 438–449 µs
//! (`docs/experiments/small_copies.rs`, `docs/bench/2026-12-02-s3-small-copies.txt`; the
//! second figure includes the other layout changes of that session).
//!
//! Pure data: no system calls here.

/// Copies `$src` into `$dst` of the same length, between `$half` and twice `$half` bytes,
/// as two halves of `$half` bytes, its first and its last, overlapping in the middle: each
/// half is taken as a fixed-size array (one bounds test), then moved as `$int`s at constant
/// offsets (no tests). All loads come before the stores.
macro_rules! two_halves {
    ($int:ty, $half:expr, $dst:ident, $src:ident) => {{
        const W: usize = std::mem::size_of::<$int>();
        const H: usize = $half;
        let n = $src.len();
        let (Ok(head), Ok(tail)) = (
            <&[u8; H]>::try_from(&$src[..H]),
            <&[u8; H]>::try_from(&$src[n - H..]),
        ) else {
            return $dst.copy_from_slice($src);
        };
        let word = |half: &[u8; H], i: usize| {
            <$int>::from_ne_bytes(half[i * W..][..W].try_into().unwrap_or([0; W]))
        };
        let heads: [$int; H / W] = std::array::from_fn(|i| word(head, i));
        let tails: [$int; H / W] = std::array::from_fn(|i| word(tail, i));
        for (half, words) in [(0, heads), (n - H, tails)] {
            if let Ok(out) = <&mut [u8; H]>::try_from(&mut $dst[half..][..H]) {
                for (i, value) in words.into_iter().enumerate() {
                    out[i * W..][..W].copy_from_slice(&value.to_ne_bytes());
                }
            }
        }
    }};
}

/// The sizes copied inline; others go to `copy_from_slice`.
const INLINE: std::ops::RangeInclusive<usize> = 4..=128;

/// `dst.copy_from_slice(src)`.
///
/// # Panics
///
/// If the lengths differ, as `copy_from_slice` does.
#[inline]
pub(crate) fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if !INLINE.contains(&n) || dst.len() != n {
        dst.copy_from_slice(src);
        return;
    }
    // One integer type or half size per class: with plain `[u8; K]` moves the compiler
    // merged the classes back into one `memcpy` call with `K` in a register.
    if n >= 64 {
        two_halves!(u128, 64, dst, src);
    } else if n >= 32 {
        two_halves!(u128, 32, dst, src);
    } else if n >= 16 {
        two_halves!(u128, 16, dst, src);
    } else if n >= 8 {
        two_halves!(u64, 8, dst, src);
    } else {
        two_halves!(u32, 4, dst, src);
    }
}

/// Defines one inline size class of [`copy_bytes`] as a function of its own, for loops that
/// copy a run of one class without the size dispatch per buffer (`cursor::stage`, unix
/// only, as that staging is). It takes `src` from `$half` to twice `$half` bytes long (other
/// lengths go to `copy_from_slice`: the callers' loops keep to the class, and the compiler
/// drops the test) and `dst` of the same length (else it panics, as `copy_from_slice` does).
macro_rules! class_copy {
    ($(#[$doc:meta])* $name:ident, $int:ty, $half:expr) => {
        $(#[$doc])*
        #[cfg(unix)]
        #[inline]
        pub(crate) fn $name(dst: &mut [u8], src: &[u8]) {
            if !($half..=2 * $half).contains(&src.len()) || dst.len() != src.len() {
                return dst.copy_from_slice(src);
            }
            two_halves!($int, $half, dst, src);
        }
    };
}

class_copy!(
    /// [`copy_bytes`] for 4 to 8 bytes.
    copy_4_to_8, u32, 4
);
class_copy!(
    /// [`copy_bytes`] for 8 to 16 bytes.
    copy_8_to_16, u64, 8
);
class_copy!(
    /// [`copy_bytes`] for 16 to 32 bytes.
    copy_16_to_32, u128, 16
);
class_copy!(
    /// [`copy_bytes`] for 32 to 64 bytes.
    copy_32_to_64, u128, 32
);
class_copy!(
    /// [`copy_bytes`] for 64 to 128 bytes.
    copy_64_to_128, u128, 64
);

/// `tail.extend_from_slice(src)`. With room for 32 bytes in `tail` (the callers keep
/// their staging blocks so, but for the last bytes of one), a buffer of 4 to 32 bytes is
/// appended as 32 zero bytes, a fixed-size store, overwritten by the two moves of
/// [`copy_bytes`] and cut back to its length: no `memcpy` call, and no `unsafe`.
#[inline]
pub(crate) fn append(tail: &mut Vec<u8>, src: &[u8]) {
    let n = src.len();
    if !(4..=WIDE).contains(&n) || tail.capacity() - tail.len() < WIDE {
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

    /// Every length from 0 to 200 (the inline sizes and their neighbours), at every offset of
    /// a destination with guard bytes around it.
    #[test]
    fn copies_every_length_exactly() {
        let src: Vec<u8> = (1..=200).collect();
        for n in 0..=200 {
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

    /// Each class's copy over its lengths (and others: `copy_from_slice`).
    #[cfg(unix)]
    #[test]
    fn each_class_copies_its_lengths_exactly() {
        type Copy = fn(&mut [u8], &[u8]);
        let classes: [(usize, Copy); 5] = [
            (4, copy_4_to_8),
            (8, copy_8_to_16),
            (16, copy_16_to_32),
            (32, copy_32_to_64),
            (64, copy_64_to_128),
        ];
        let src: Vec<u8> = (1..=200).collect();
        for (lo, copy) in classes {
            for n in 0..=2 * lo + 5 {
                let mut dst = vec![0xEE; n + 2];
                copy(&mut dst[1..=n], &src[..n]);
                assert_eq!(&dst[1..=n], &src[..n], "class {lo}, n = {n}");
                assert_eq!(
                    (dst[0], dst[n + 1]),
                    (0xEE, 0xEE),
                    "guards, class {lo}, n = {n}"
                );
            }
        }
    }

    #[cfg(unix)]
    #[test]
    #[should_panic(
        expected = "source slice length (10) does not match destination slice length (12)"
    )]
    fn a_class_copy_rejects_different_lengths() {
        copy_8_to_16(&mut [0; 12], &[1; 10]);
    }

    #[test]
    #[should_panic(
        expected = "source slice length (9) does not match destination slice length (8)"
    )]
    fn copy_bytes_rejects_different_lengths() {
        copy_bytes(&mut [0; 8], &[1; 9]);
    }
}
