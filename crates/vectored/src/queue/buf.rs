//! The queue as a `bytes::Buf`.

use std::io::IoSlice;

use super::WriteQueue;

/// The queue as a [`bytes::Buf`], for APIs such as tokio's `write_all_buf`.
///
/// `chunks_vectored` exposes the chunks strictly in order, starting with the unwritten part
/// of the front chunk; `advance` consumes like [`consume`](WriteQueue::consume) and panics if
/// asked to go past the end, as the `Buf` contract allows.
#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl bytes::Buf for WriteQueue<'_> {
    fn remaining(&self) -> usize {
        self.len
    }

    fn chunk(&self) -> &[u8] {
        self.pieces().next().unwrap_or(&[])
    }

    fn advance(&mut self, cnt: usize) {
        if let Err(overrun) = self.consume(cnt) {
            panic!("cannot advance a WriteQueue past its end: {overrun}");
        }
    }

    fn chunks_vectored<'b>(&'b self, dst: &mut [IoSlice<'b>]) -> usize {
        self.io_slices(dst)
    }
}
