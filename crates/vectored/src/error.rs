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

/// Shows the underlying I/O error's message and the count, e.g. `Broken pipe (os error 32)
/// (1234 bytes transferred before the error)`.
///
/// The error is *transparent* over its `io::Error`, as `io::Error` is over a custom error:
/// `Display` includes the I/O error's message, so [`source`](std::error::Error::source) skips
/// it and returns the I/O error's own source. An error-chain printer (anyhow, eyre, a loop over
/// `source()`) therefore prints each message once.
///
/// # Examples
///
/// ```
/// use std::error::Error as _;
/// use std::io;
///
/// let err = vectored::Error::new(io::Error::from_raw_os_error(32), 1234);
/// assert_eq!(
///     err.to_string(),
///     format!("{} (1234 bytes transferred before the error)", io::Error::from_raw_os_error(32))
/// );
/// assert!(err.source().is_none()); // an OS error has no further cause
/// ```
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} bytes transferred before the error)",
            self.source, self.transferred
        )
    }
}

/// Transparent over the `io::Error`: `source` is the I/O error's source (its `Display` is
/// already part of this error's); see the `Display` implementation.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
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

    /// The messages of an error chain, as anyhow or eyre print them.
    fn chain(err: &dyn std::error::Error) -> Vec<String> {
        let mut messages = vec![err.to_string()];
        let mut next = err.source();
        while let Some(cause) = next {
            messages.push(cause.to_string());
            next = cause.source();
        }
        messages
    }

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn error_chain_prints_each_message_once() {
        let os = Error::new(io::Error::from_raw_os_error(32), 7);
        let messages = chain(&os);
        let text = messages.join(": ");
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert_eq!(text.matches("Broken pipe").count(), 1, "{text}");
        assert!(text.contains("7 bytes"), "{text}");

        let cause = Layer("codec failed", Some(Box::new(Layer("disk on fire", None))));
        let nested = Error::new(io::Error::other(cause), 3);
        let messages = chain(&nested);
        assert_eq!(messages.len(), 2, "{messages:?}");
        let text = messages.join(": ");
        for part in ["codec failed", "disk on fire", "3 bytes"] {
            assert_eq!(text.matches(part).count(), 1, "{part} in {text}");
        }
    }

    #[test]
    fn io_error_stays_reachable() {
        let err = Error::new(io::ErrorKind::TimedOut.into(), 0);
        assert_eq!(err.io_error().kind(), io::ErrorKind::TimedOut);
        assert!(std::error::Error::source(&err).is_none());
    }
}
