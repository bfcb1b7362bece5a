//! The chunks a queue holds: borrowed, or owned in any of the common owned forms.

use std::fmt;
use std::sync::Arc;

/// A chunk of bytes a [`WriteQueue`](crate::WriteQueue) can take without copying.
///
/// Built with `From`/`Into` from `Vec<u8>`, `Box<[u8]>`, `Arc<[u8]>`, `String`, `&[u8]`
/// and `&str` (borrowed for the queue's lifetime; `&'static` data lives forever), and
/// `bytes::Bytes` with the `bytes` feature.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use vectored::Chunk;
///
/// let shared: Arc<[u8]> = Arc::from(&b"shared"[..]);
/// let chunk = Chunk::from(shared);
/// assert_eq!(chunk.as_bytes(), b"shared");
/// ```
pub struct Chunk<'a>(pub(super) Repr<'a>);

/// A chunk as pushed: borrowed for the queue's lifetime, or owned by the queue.
pub(super) enum Repr<'a> {
    Borrowed(&'a [u8]),
    Owned(Owned),
}

/// Bytes the queue owns: its own staging blocks, or chunks moved in.
pub(super) enum Owned {
    Staged(Vec<u8>),
    Vec(Vec<u8>),
    Boxed(Box<[u8]>),
    Shared(Arc<[u8]>),
    #[cfg(feature = "bytes")]
    Bytes(bytes::Bytes),
}

impl Chunk<'_> {
    /// The bytes of the chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::Chunk::from("hi").as_bytes(), b"hi");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Borrowed(s) => s,
            Repr::Owned(o) => o.as_bytes(),
        }
    }
}

impl Owned {
    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Owned::Staged(v) | Owned::Vec(v) => v,
            Owned::Boxed(b) => b,
            Owned::Shared(a) => a,
            #[cfg(feature = "bytes")]
            Owned::Bytes(b) => b,
        }
    }
}

impl fmt::Debug for Chunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.0 {
            Repr::Borrowed(_) => "Borrowed",
            Repr::Owned(Owned::Staged(_)) => "Staged",
            Repr::Owned(Owned::Vec(_)) => "Vec",
            Repr::Owned(Owned::Boxed(_)) => "Boxed",
            Repr::Owned(Owned::Shared(_)) => "Shared",
            #[cfg(feature = "bytes")]
            Repr::Owned(Owned::Bytes(_)) => "Bytes",
        };
        f.debug_struct("Chunk")
            .field("kind", &kind)
            .field("len", &self.as_bytes().len())
            .finish()
    }
}

impl From<Vec<u8>> for Chunk<'_> {
    fn from(v: Vec<u8>) -> Self {
        Self(Repr::Owned(Owned::Vec(v)))
    }
}

impl From<Box<[u8]>> for Chunk<'_> {
    fn from(b: Box<[u8]>) -> Self {
        Self(Repr::Owned(Owned::Boxed(b)))
    }
}

impl From<Arc<[u8]>> for Chunk<'_> {
    fn from(a: Arc<[u8]>) -> Self {
        Self(Repr::Owned(Owned::Shared(a)))
    }
}

impl From<String> for Chunk<'_> {
    fn from(s: String) -> Self {
        Self(Repr::Owned(Owned::Vec(s.into_bytes())))
    }
}

impl<'a> From<&'a [u8]> for Chunk<'a> {
    fn from(s: &'a [u8]) -> Self {
        Self(Repr::Borrowed(s))
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Chunk<'a> {
    fn from(s: &'a [u8; N]) -> Self {
        Self(Repr::Borrowed(s))
    }
}

impl<'a> From<&'a str> for Chunk<'a> {
    fn from(s: &'a str) -> Self {
        Self(Repr::Borrowed(s.as_bytes()))
    }
}

#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl From<bytes::Bytes> for Chunk<'_> {
    fn from(b: bytes::Bytes) -> Self {
        Self(Repr::Owned(Owned::Bytes(b)))
    }
}
