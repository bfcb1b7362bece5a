//! The one error type of the loops: an `io::Error` plus how far the loop got.

use std::fmt;
use std::io;

/// A specialized [`Result`](std::result::Result) for the loops of this crate.
///
/// The `Ok` value is the number of bytes transferred, always the total the caller asked for.
pub type Result<T> = std::result::Result<T, Error>;

/// An I/O error together with the exact number of bytes committed before it.
///
/// Every loop in this crate (`write_all`, `read_exact`, their fd-level and positional variants)
/// returns this error. [`transferred`](Error::transferred) says how many bytes reached the
/// kernel (or the writer) before the failure, so a caller can resume, truncate or report without
/// guessing: the first `transferred()` bytes of the input were written exactly once and nothing
/// after them was.
///
/// # Examples
///
/// ```
/// use std::io::{self, IoSlice, Write};
///
/// // A writer that accepts 3 bytes and then fails.
/// struct Full(usize);
/// impl Write for Full {
///     fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
///         if self.0 == 0 {
///             return Err(io::ErrorKind::StorageFull.into());
///         }
///         let n = buf.len().min(self.0);
///         self.0 -= n;
///         Ok(n)
///     }
///     fn flush(&mut self) -> io::Result<()> { Ok(()) }
/// }
///
/// let err = vectored::write_all(&mut Full(3), &[IoSlice::new(b"hello")]).unwrap_err();
/// assert_eq!(err.transferred(), 3);
/// assert_eq!(err.kind(), io::ErrorKind::StorageFull);
/// ```
pub struct Error {
    source: io::Error,
    transferred: usize,
}

impl Error {
    /// Creates an error from its cause and the number of bytes transferred before it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let err = vectored::Error::new(io::ErrorKind::BrokenPipe.into(), 42);
    /// assert_eq!(err.transferred(), 42);
    /// ```
    pub fn new(source: io::Error, transferred: usize) -> Self {
        Self {
            source,
            transferred,
        }
    }

    /// The number of bytes written (or read) before the error; those bytes were committed
    /// exactly once and in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let err = vectored::Error::new(io::ErrorKind::WriteZero.into(), 7);
    /// assert_eq!(err.transferred(), 7);
    /// ```
    pub fn transferred(&self) -> usize {
        self.transferred
    }

    /// The kind of the underlying I/O error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let err = vectored::Error::new(io::Error::from_raw_os_error(32), 0);
    /// assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The OS error code (`errno`) of the underlying error, if it came from the OS.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let err = vectored::Error::new(io::Error::from_raw_os_error(28), 0);
    /// assert_eq!(err.raw_os_error(), Some(28));
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// A reference to the underlying I/O error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let err = vectored::Error::new(io::ErrorKind::TimedOut.into(), 0);
    /// assert_eq!(err.io_error().kind(), io::ErrorKind::TimedOut);
    /// ```
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// Consumes the error and returns the underlying I/O error, unchanged (same kind, same
    /// `errno`). The transferred count is dropped; read it first if you need it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let err = vectored::Error::new(io::Error::from_raw_os_error(9), 0);
    /// assert_eq!(err.into_io_error().raw_os_error(), Some(9));
    /// ```
    pub fn into_io_error(self) -> io::Error {
        self.source
    }

    /// Consumes the error and returns both parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// let (source, n) = vectored::Error::new(io::ErrorKind::Interrupted.into(), 5).into_parts();
    /// assert_eq!((source.kind(), n), (io::ErrorKind::Interrupted, 5));
    /// ```
    pub fn into_parts(self) -> (io::Error, usize) {
        (self.source, self.transferred)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("source", &self.source)
            .field("transferred", &self.transferred)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} bytes transferred before the error)",
            self.source, self.transferred
        )
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Converts into the underlying `io::Error`, keeping its kind and `errno`.
///
/// This is what `?` does in a function that returns `io::Result`. The transferred count is
/// not carried over: keep the [`Error`] if the caller needs it.
impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        err.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_cause_and_count() {
        let err = Error::new(io::Error::from_raw_os_error(32), 1234);
        let text = err.to_string();
        assert!(text.contains("Broken pipe"), "{text}");
        assert!(text.contains("1234 bytes"), "{text}");
    }

    #[test]
    fn conversion_keeps_errno_and_kind() {
        let err = Error::new(io::Error::from_raw_os_error(28), 10);
        let io: io::Error = err.into();
        assert_eq!(io.raw_os_error(), Some(28));
        assert_eq!(io.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn source_is_the_io_error() {
        let err = Error::new(io::ErrorKind::TimedOut.into(), 0);
        let src = std::error::Error::source(&err).unwrap();
        assert_eq!(
            src.downcast_ref::<io::Error>().unwrap().kind(),
            io::ErrorKind::TimedOut
        );
    }
}
