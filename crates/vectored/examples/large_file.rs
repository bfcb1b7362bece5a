//! Writes a large file from many chunk slices of one big buffer, without copying, then reads
//! it back with `read_exact_at` and verifies it.
//!
//! 64 MiB in 4 KiB chunks is 16 384 buffers, far more than one system call takes
//! (`IOV_MAX` = 1024): `write_all_fd` splits the list across calls and resumes after short
//! writes on its own.
//!
//! ```text
//! cargo run --release -p vectored --example large_file [--size-mib N] [--chunk-kib K]
//! ```

use std::fs::OpenOptions;
use std::io::{IoSlice, IoSliceMut};
use std::time::Instant;

use vectored::{FdOptions, RwFlags};

fn arg(name: &str, default: usize) -> Result<usize, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).ok_or("missing value")?.parse()?),
        None => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size = arg("--size-mib", 64)? << 20;
    let chunk = arg("--chunk-kib", 4)? << 10;
    if chunk == 0 {
        return Err("--chunk-kib must be at least 1".into());
    }

    // One big buffer; every chunk gets distinct contents so misplaced chunks would show.
    let mut data = vec![0u8; size];
    for (k, piece) in data.chunks_mut(chunk).enumerate() {
        piece.fill(u8::try_from(k % 251).unwrap());
        let tag = (k as u64).to_le_bytes();
        let n = tag.len().min(piece.len());
        piece[..n].copy_from_slice(&tag[..n]);
    }
    // Slices into that buffer: no data is copied, only 16-byte descriptors are made.
    let slices: Vec<IoSlice<'_>> = data.chunks(chunk).map(IoSlice::new).collect();
    println!(
        "{} MiB in {} chunks of {} KiB ({} system calls' worth at IOV_MAX = {})",
        size >> 20,
        slices.len(),
        chunk >> 10,
        slices.len().div_ceil(vectored::IOV_MAX),
        vectored::IOV_MAX
    );

    let path = std::env::temp_dir().join(format!("vectored-large-file-{}.bin", std::process::id()));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;

    let start = Instant::now();
    let written = vectored::write_all_fd(&file, &slices, &FdOptions::new())?;
    println!("wrote {written} bytes in {:?}", start.elapsed());

    // Read back into a second buffer, also through chunk slices, with positional reads.
    let mut back = vec![0u8; size];
    let start = Instant::now();
    let read = {
        let mut bufs: Vec<IoSliceMut<'_>> = back.chunks_mut(chunk).map(IoSliceMut::new).collect();
        vectored::read_exact_at(&file, &mut bufs, 0, RwFlags::empty())?
    };
    println!("read {read} bytes back in {:?}", start.elapsed());

    drop(file);
    std::fs::remove_file(&path)?;
    if back == data && written == size && read == size {
        println!("verified: the file matches the buffer byte for byte");
        Ok(())
    } else {
        Err("verification failed: the file differs from the buffer".into())
    }
}
