//! Every common kind of byte container can be an `IoSlice`: borrowed slices, `Vec<u8>`,
//! `Box<[u8]>`, `Arc<[u8]>`, `String`, `&str` and fixed-size arrays. They are gathered by
//! reference (no copies) and written in one go, here straight to standard output with
//! `vectored::write_all_fd`.
//!
//! ```text
//! cargo run -p vectored --example mixed_buffers
//! ```

use std::io::{IoSlice, Write};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let literal: &[u8] = b"1. a byte-string literal (&[u8])\n";
    let vec: Vec<u8> = b"2. a Vec<u8>\n".to_vec();
    let boxed: Box<[u8]> = Box::from(&b"3. a Box<[u8]>\n"[..]);
    let shared: Arc<[u8]> = Arc::from(&b"4. an Arc<[u8]> (shared, e.g. a cached header)\n"[..]);
    let string: String = format!(
        "5. a String built at run time (pid {})\n",
        std::process::id()
    );
    let str_slice: &str = "6. a &str\n";
    let array: [u8; 21] = *b"7. a [u8; 21] array\n\n";

    // Each container derefs to [u8]; IoSlice::new only borrows it.
    let bufs = [
        IoSlice::new(literal),
        IoSlice::new(&vec),
        IoSlice::new(&boxed),
        IoSlice::new(&shared),
        IoSlice::new(string.as_bytes()),
        IoSlice::new(str_slice.as_bytes()),
        IoSlice::new(&array[..20]), // a sub-slice works too: drop the second newline
    ];
    let total: usize = bufs.iter().map(|b| b.len()).sum();

    // Flush anything Rust's stdout buffer holds before writing to the fd underneath it.
    let stdout = std::io::stdout();
    stdout.lock().flush()?;
    // The fd is a pipe, a file or a terminal; write_all_fd picks the right call for each and
    // never lets SIGPIPE kill us if the reader has gone.
    let written = vectored::write_all_fd(&stdout, &bufs, &vectored::FdOptions::new())?;

    println!("total: {written} bytes from {} buffers", bufs.len());
    assert_eq!(written, total);
    Ok(())
}
