//! Writes several separate buffers to a file with a single `vectored::write_all` call, then
//! reads the file back and shows it.
//!
//! The buffers are never copied into one big string: the kernel gathers them itself
//! (`writev`), and `write_all` takes care of partial writes, `EINTR` and lists longer than
//! `IOV_MAX`.
//!
//! ```text
//! cargo run -p vectored --example basic_writes [PATH]
//! ```

use std::fs::File;
use std::io::IoSlice;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Write to the path given on the command line, or to a temporary file we clean up.
    let given = std::env::args_os().nth(1).map(PathBuf::from);
    let path = given.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("vectored-basic-writes-{}.txt", std::process::id()))
    });

    let header = b"# written by vectored::write_all\n";
    let first = String::from("first line\n");
    let second = b"second line\n".to_vec();
    let footer = "-- end --\n";

    // One IoSlice per buffer; an empty buffer is fine and simply skipped.
    let bufs = [
        IoSlice::new(header),
        IoSlice::new(first.as_bytes()),
        IoSlice::new(&second),
        IoSlice::new(b""),
        IoSlice::new(footer.as_bytes()),
    ];

    let mut file = File::create(&path)?;
    // On error, `err.transferred()` would say exactly how many bytes reached the file.
    let written = vectored::write_all(&mut file, &bufs)?;
    drop(file);

    println!(
        "wrote {written} bytes from {} buffers to {}",
        bufs.len(),
        path.display()
    );
    let content = std::fs::read_to_string(&path)?;
    println!("file holds {} bytes:", content.len());
    print!("{content}");

    if given.is_none() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}
