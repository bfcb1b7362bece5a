//! The read cursor: windows over a caller's `&mut [IoSliceMut]`, through the gather engine.

use std::fmt;
use std::io::IoSliceMut;

use super::{Gather, Overrun};
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};

type BytesOf<'s, 'a> = fn(&'s mut IoSliceMut<'a>) -> &'s mut [u8];

fn bytes_of<'s>(buf: &'s mut IoSliceMut<'_>) -> &'s mut [u8] {
    buf
}

/// A zero-copy cursor over a caller's `&mut [IoSliceMut]` for read loops.
///
/// The read-side twin of [`IoCursor`](crate::IoCursor): [`window`](Self::window) gives the buffers to fill
/// next (at most `min(N, IOV_MAX)` descriptors and [`MAX_BYTES_PER_CALL`] bytes), and
/// [`advance`](Self::advance) records how many bytes the last call filled. Buffers are filled
/// strictly in order; zero-length buffers are skipped. The caller's `IoSliceMut` list is
/// borrowed for the cursor's lifetime but never modified.
///
/// As with [`IoCursor`](crate::IoCursor), `N` must be at least 1 (checked at compile time):
///
/// ```compile_fail
/// let mut bufs: [std::io::IoSliceMut<'_>; 0] = [];
/// let cursor = vectored::IoCursorMut::<0>::with_limits(&mut bufs, 1, 1);
/// ```
///
/// # Examples
///
/// ```
/// use std::io::{IoSliceMut, Read};
/// use vectored::IoCursorMut;
///
/// let mut src: &[u8] = b"hello world";
/// let (mut a, mut b) = ([0u8; 5], [0u8; 6]);
/// {
///     let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
///     let mut cursor = IoCursorMut::new(&mut bufs);
///     loop {
///         let window = cursor.window();
///         if window.is_empty() {
///             break;
///         }
///         // Read at most 3 bytes per call.
///         let n = (&mut src).take(3).read_vectored(window).unwrap();
///         cursor.advance(n).unwrap();
///     }
/// }
/// assert_eq!((&a, &b), (b"hello", b" world"));
/// ```
pub struct IoCursorMut<'s, 'a, const N: usize = IOV_MAX> {
    gather: Gather<
        &'s mut [u8],
        std::iter::Map<std::slice::IterMut<'s, IoSliceMut<'a>>, BytesOf<'s, 'a>>,
        N,
    >,
}

impl<'s, 'a> IoCursorMut<'s, 'a> {
    /// Creates a cursor at the start of `bufs`, with the platform's limits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    ///
    /// let mut a = [0u8; 4];
    /// let mut bufs = [IoSliceMut::new(&mut a)];
    /// let mut cursor = vectored::IoCursorMut::new(&mut bufs);
    /// assert_eq!(cursor.window().len(), 1);
    /// ```
    #[inline]
    pub fn new(bufs: &'s mut [IoSliceMut<'a>]) -> Self {
        Self::with_limits(bufs, IOV_MAX, MAX_BYTES_PER_CALL)
    }
}

impl<'s, 'a, const N: usize> IoCursorMut<'s, 'a, N> {
    /// Creates a cursor whose windows hold at most `max_iovecs` descriptors (clamped to
    /// `1..=N`) and at most `max_bytes` bytes (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    /// use vectored::IoCursorMut;
    ///
    /// let mut a = [0u8; 10];
    /// let mut bufs = [IoSliceMut::new(&mut a)];
    /// let mut cursor = IoCursorMut::<4>::with_limits(&mut bufs, 4, 6);
    /// assert_eq!(cursor.window()[0].len(), 6);
    /// ```
    #[inline]
    pub fn with_limits(
        bufs: &'s mut [IoSliceMut<'a>],
        max_iovecs: usize,
        max_bytes: usize,
    ) -> Self {
        let pieces = bufs.iter_mut().map(bytes_of as BytesOf<'s, 'a>);
        Self {
            gather: Gather::new(pieces, max_iovecs, max_bytes),
        }
    }

    /// The buffers to fill next; empty once every buffer is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    ///
    /// let mut a = [0u8; 2];
    /// let mut bufs = [IoSliceMut::new(&mut []), IoSliceMut::new(&mut a)];
    /// let mut cursor = vectored::IoCursorMut::new(&mut bufs);
    /// assert_eq!(cursor.window().len(), 1);
    /// cursor.advance(2).unwrap();
    /// assert!(cursor.window().is_empty());
    /// ```
    #[inline]
    pub fn window(&mut self) -> &mut [IoSliceMut<'s>] {
        self.gather.window()
    }

    /// The number of bytes the current window can take.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    ///
    /// let (mut a, mut b) = ([0u8; 2], [0u8; 3]);
    /// let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
    /// let mut cursor = vectored::IoCursorMut::new(&mut bufs);
    /// cursor.window();
    /// assert_eq!(cursor.window_bytes(), 5);
    /// ```
    pub fn window_bytes(&self) -> usize {
        self.gather.window_bytes()
    }

    /// Records that the last call filled the first `n` bytes of the current window.
    ///
    /// # Errors
    ///
    /// [`Overrun`] if `n` exceeds [`window_bytes`](Self::window_bytes); the cursor is
    /// unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    ///
    /// let mut a = [0u8; 4];
    /// let mut bufs = [IoSliceMut::new(&mut a)];
    /// let mut cursor = vectored::IoCursorMut::new(&mut bufs);
    /// cursor.window()[0][..3].copy_from_slice(b"abc");
    /// cursor.advance(3).unwrap();
    /// assert_eq!(cursor.window()[0].len(), 1);
    /// ```
    #[inline]
    pub fn advance(&mut self, n: usize) -> Result<(), Overrun> {
        self.gather.advance(n)
    }

    /// Total bytes passed to [`advance`](Self::advance) so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    ///
    /// let mut a = [0u8; 4];
    /// let mut bufs = [IoSliceMut::new(&mut a)];
    /// let mut cursor = vectored::IoCursorMut::new(&mut bufs);
    /// cursor.window();
    /// cursor.advance(4).unwrap();
    /// assert_eq!(cursor.transferred(), 4);
    /// ```
    pub fn transferred(&self) -> usize {
        self.gather.transferred()
    }

    /// Whether the window is empty because `transferred` cannot count further.
    pub(crate) fn count_overflow(&self) -> bool {
        self.gather.count_overflow()
    }
}

impl<const N: usize> fmt::Debug for IoCursorMut<'_, '_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoCursorMut")
            .field("window_len", &self.gather.window_len())
            .field("window_bytes", &self.gather.window_bytes())
            .field("transferred", &self.gather.transferred())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_all<const N: usize>(mut cursor: IoCursorMut<'_, '_, N>, src: &[u8], step: usize) {
        let mut pos = 0;
        loop {
            let window = cursor.window();
            if window.is_empty() {
                break;
            }
            let mut n = 0;
            for buf in window.iter_mut() {
                let take = buf.len().min(step - n).min(src.len() - pos - n);
                buf[..take].copy_from_slice(&src[pos + n..pos + n + take]);
                n += take;
                if n == step {
                    break;
                }
            }
            cursor.advance(n).unwrap();
            pos += n;
        }
    }

    #[test]
    fn read_cursor_fills_in_order_with_short_reads() {
        let src: Vec<u8> = (0..=255u8).collect();
        let (mut a, mut b, mut c) = ([0u8; 100], [0u8; 0], [0u8; 156]);
        let mut bufs = [
            IoSliceMut::new(&mut a),
            IoSliceMut::new(&mut b),
            IoSliceMut::new(&mut c),
        ];
        fill_all(IoCursorMut::new(&mut bufs), &src, 7);
        assert_eq!(&a[..], &src[..100]);
        assert_eq!(&c[..], &src[100..]);
    }

    #[test]
    fn read_cursor_cuts_oversized_buffers() {
        let src: Vec<u8> = (0..50u8).collect();
        let mut a = [0u8; 50];
        let mut bufs = [IoSliceMut::new(&mut a)];
        let mut cursor = IoCursorMut::<4>::with_limits(&mut bufs, 4, 8);
        assert_eq!(cursor.window()[0].len(), 8);
        fill_all(cursor, &src, 5);
        assert_eq!(&a[..], &src[..]);
    }

    #[test]
    fn read_cursor_overrun() {
        let mut a = [0u8; 3];
        let mut bufs = [IoSliceMut::new(&mut a)];
        let mut cursor = IoCursorMut::new(&mut bufs);
        cursor.window();
        assert!(cursor.advance(4).is_err());
        cursor.advance(3).unwrap();
        assert!(cursor.window().is_empty());
    }

    #[test]
    fn read_cursor_many_buffers_respects_limit() {
        let mut storage = vec![0u8; 3000];
        let mut bufs: Vec<IoSliceMut<'_>> = storage.chunks_mut(1).map(IoSliceMut::new).collect();
        let mut cursor = IoCursorMut::new(&mut bufs);
        let mut calls = 0;
        loop {
            let window = cursor.window();
            if window.is_empty() {
                break;
            }
            assert!(window.len() <= IOV_MAX);
            for b in window.iter_mut() {
                b[0] = 1;
            }
            let n = window.len();
            cursor.advance(n).unwrap();
            calls += 1;
        }
        assert_eq!(calls, 3);
        drop(cursor);
        drop(bufs);
        assert!(storage.iter().all(|&b| b == 1));
    }

    #[test]
    fn read_transferred_never_wraps() {
        let mut a = [0u8; 8];
        let mut bufs = [IoSliceMut::new(&mut a)];
        let mut cursor = IoCursorMut::new(&mut bufs);
        cursor.gather.set_transferred_for_test(usize::MAX - 2);
        assert_eq!(cursor.window()[0].len(), 2);
        cursor.advance(2).unwrap();
        assert!(cursor.window().is_empty());
        assert!(cursor.count_overflow());
    }
}
