//! Workloads: the buffer sizes of one batch, and the buffers themselves.

use std::fmt::Write as _;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// `count` buffers of `size` bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeRun {
    /// How many buffers.
    pub count: usize,
    /// The length of each, in bytes.
    pub size: usize,
}

/// The shape of one batch: the buffers written by one write-all, in order.
///
/// Stored as runs of equal sizes so that a 100000-buffer workload stays small in the JSON
/// report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// A short name such as `1000x1KiB` or `header+body`.
    pub name: String,
    /// The buffer sizes, in order.
    pub runs: Vec<SizeRun>,
    /// A datagram workload: each buffer is one datagram, measured on datagram targets
    /// (`udp`) only; stream workloads are measured on every other target. Absent (false)
    /// in older reports.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub datagrams: bool,
}

impl Workload {
    /// `count` buffers of `size` bytes, named `{count}x{size}`.
    pub fn uniform(count: usize, size: usize) -> Self {
        Self {
            name: format!("{count}x{}", format_size(size)),
            runs: vec![SizeRun { count, size }],
            datagrams: false,
        }
    }

    /// `count` datagrams of `size` bytes, named `dgram-{count}x{size}`.
    pub fn datagrams(count: usize, size: usize) -> Self {
        Self {
            name: format!("dgram-{count}x{}", format_size(size)),
            runs: vec![SizeRun { count, size }],
            datagrams: true,
        }
    }

    /// `count` datagrams of pseudo-random sizes from 20 to 1400 bytes (the sizes of
    /// `benches/datagram.rs` in the core crate), named `dgram-{count}xmixed`; equal
    /// neighbours share a run.
    pub fn mixed_datagrams(count: usize) -> Self {
        let mut x: u64 = 0x2545_F491;
        let mut runs: Vec<SizeRun> = Vec::new();
        for _ in 0..count {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Below 1381: the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let size = 20 + (x % 1381) as usize;
            match runs.last_mut() {
                Some(run) if run.size == size => run.count += 1,
                _ => runs.push(SizeRun { count: 1, size }),
            }
        }
        Self {
            name: format!("dgram-{count}xmixed"),
            runs,
            datagrams: true,
        }
    }

    /// The number of buffers in a batch.
    pub fn buffer_count(&self) -> usize {
        self.runs.iter().map(|r| r.count).sum()
    }

    /// The number of bytes in a batch.
    pub fn total_bytes(&self) -> usize {
        self.runs.iter().map(|r| r.count * r.size).sum()
    }

    /// The buffer sizes, in order.
    pub fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.runs
            .iter()
            .flat_map(|r| std::iter::repeat_n(r.size, r.count))
    }

    /// The buffers of one batch: each separately allocated, like real user buffers, and filled
    /// with a pseudo-random stream so that any lost, repeated or reordered byte shows up when
    /// the received bytes are compared with their concatenation.
    pub fn make_buffers(&self) -> Vec<Vec<u8>> {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        self.sizes()
            .map(|size| (0..size).map(|_| next_byte(&mut state)).collect())
            .collect()
    }
}

/// One byte of a xorshift64* stream: cheap, deterministic, and not constant.
fn next_byte(state: &mut u64) -> u8 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    // The top byte of the multiplied state is the best-mixed one.
    state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_be_bytes()[0]
}

/// `1024` → `1KiB`, `100` → `100B`.
pub fn format_size(bytes: usize) -> String {
    let mut out = String::new();
    if bytes >= 1024 && bytes.is_multiple_of(1024) {
        let _ = write!(out, "{}KiB", bytes / 1024);
    } else {
        let _ = write!(out, "{bytes}B");
    }
    out
}

/// The named workloads of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
pub enum Preset {
    /// 1000 × 1 KiB: the guide's comparison, and the default.
    #[value(name = "1000x1KiB")]
    #[serde(rename = "1000x1KiB")]
    Guide,
    /// 16 × 64 KiB: few large buffers; the copy dominates.
    #[value(name = "16x64KiB")]
    #[serde(rename = "16x64KiB")]
    Large,
    /// 100000 × 16 B: many tiny buffers; per-buffer overhead dominates.
    #[value(name = "100000x16B")]
    #[serde(rename = "100000x16B")]
    Tiny,
    /// 10000 × 100 B: small buffers, below the copy break-even.
    #[value(name = "10000x100B")]
    #[serde(rename = "10000x100B")]
    Small,
    /// A 200 B header, a 2 B separator and a 64 KiB body: one response.
    #[value(name = "header+body")]
    #[serde(rename = "header+body")]
    HeaderBody,
    /// 1024 buffers of each power of two from 8 B to 16 KiB: the break-even sweep.
    #[value(name = "sweep")]
    #[serde(rename = "sweep")]
    Sweep,
    /// 1024 datagrams of 64 B (datagram targets only).
    #[value(name = "dgram-1024x64B")]
    #[serde(rename = "dgram-1024x64B")]
    Dgram64,
    /// 1024 datagrams of 512 B (datagram targets only).
    #[value(name = "dgram-1024x512B")]
    #[serde(rename = "dgram-1024x512B")]
    Dgram512,
    /// 1024 datagrams of 1200 B, a QUIC packet (datagram targets only).
    #[value(name = "dgram-1024x1200B")]
    #[serde(rename = "dgram-1024x1200B")]
    Dgram1200,
    /// 1024 datagrams of pseudo-random sizes from 20 to 1400 B (datagram targets only).
    #[value(name = "dgram-1024xmixed")]
    #[serde(rename = "dgram-1024xmixed")]
    DgramMixed,
    /// The four datagram workloads above.
    #[value(name = "datagrams")]
    #[serde(rename = "datagrams")]
    Datagrams,
}

impl Preset {
    /// Every preset, in the order of the full grid.
    pub const ALL: [Preset; 6] = [
        Preset::Guide,
        Preset::Large,
        Preset::Tiny,
        Preset::Small,
        Preset::HeaderBody,
        Preset::Sweep,
    ];

    /// The datagram workloads, measured on datagram targets only (in `--full` too).
    pub const DATAGRAMS: [Preset; 4] = [
        Preset::Dgram64,
        Preset::Dgram512,
        Preset::Dgram1200,
        Preset::DgramMixed,
    ];

    /// The workloads this preset stands for (several for the sweep).
    pub fn workloads(self) -> Vec<Workload> {
        match self {
            Preset::Guide => vec![Workload::uniform(1000, 1024)],
            Preset::Large => vec![Workload::uniform(16, 64 * 1024)],
            Preset::Tiny => vec![Workload::uniform(100_000, 16)],
            Preset::Small => vec![Workload::uniform(10_000, 100)],
            Preset::HeaderBody => vec![Workload {
                name: "header+body".to_owned(),
                runs: vec![
                    SizeRun {
                        count: 1,
                        size: 200,
                    },
                    SizeRun { count: 1, size: 2 },
                    SizeRun {
                        count: 1,
                        size: 64 * 1024,
                    },
                ],
                datagrams: false,
            }],
            Preset::Sweep => (3..=14)
                .map(|shift| Workload::uniform(1024, 1 << shift))
                .collect(),
            Preset::Dgram64 => vec![Workload::datagrams(1024, 64)],
            Preset::Dgram512 => vec![Workload::datagrams(1024, 512)],
            Preset::Dgram1200 => vec![Workload::datagrams(1024, 1200)],
            Preset::DgramMixed => vec![Workload::mixed_datagrams(1024)],
            Preset::Datagrams => Preset::DATAGRAMS
                .into_iter()
                .flat_map(Preset::workloads)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_the_documented_shapes() {
        let guide = &Preset::Guide.workloads()[0];
        assert_eq!(
            (guide.name.as_str(), guide.total_bytes()),
            ("1000x1KiB", 1_024_000)
        );
        let hb = &Preset::HeaderBody.workloads()[0];
        assert_eq!(hb.sizes().collect::<Vec<_>>(), [200, 2, 65536]);
        let sweep = Preset::Sweep.workloads();
        assert_eq!(sweep.len(), 12);
        assert_eq!(sweep[0].name, "1024x8B");
        assert_eq!(sweep[11].name, "1024x16KiB");
    }

    #[test]
    fn datagram_presets_have_the_issue_shapes() {
        let all = Preset::Datagrams.workloads();
        let names: Vec<&str> = all.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dgram-1024x64B",
                "dgram-1024x512B",
                "dgram-1024x1200B",
                "dgram-1024xmixed"
            ]
        );
        assert!(all.iter().all(|w| w.datagrams && w.buffer_count() == 1024));
        assert_eq!(all[2].total_bytes(), 1024 * 1200);
        let mixed: Vec<usize> = all[3].sizes().collect();
        assert!(mixed.iter().all(|s| (20..=1400).contains(s)));
        // Mixed indeed: many distinct sizes, and runs merge only equal neighbours.
        let mut distinct = mixed.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 500, "{} distinct sizes", distinct.len());
        assert!(all[3].runs.windows(2).all(|w| w[0].size != w[1].size));
        assert!(!Preset::Guide.workloads()[0].datagrams);
    }

    #[test]
    fn buffers_are_separate_and_not_constant() {
        let bufs = Workload::uniform(3, 64).make_buffers();
        assert_eq!(bufs.len(), 3);
        assert!(bufs.iter().all(|b| b.len() == 64));
        assert_ne!(bufs[0], bufs[1]);
        assert!(bufs[0].iter().any(|&b| b != bufs[0][0]));
    }

    #[test]
    fn sizes_format() {
        assert_eq!(format_size(16), "16B");
        assert_eq!(format_size(1536), "1536B");
        assert_eq!(format_size(65536), "64KiB");
    }
}
