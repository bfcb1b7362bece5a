//! The batching decision, pure: which datagrams go out together as one segmented send.
//!
//! A run of consecutive datagrams of the same size `s` to the same destination (the last of
//! the run may be shorter, but not empty) becomes one message with a `UDP_SEGMENT` control
//! message of size `s`: the kernel cuts the payload back into exactly those datagrams. Every
//! other datagram is a message of its own. The messages of one call then go out together in
//! one `sendmmsg`.

use std::net::SocketAddr;

/// What the planner needs to know about one datagram.
pub(crate) trait PlanItem {
    /// Payload length in bytes.
    fn len(&self) -> usize;
    /// Number of buffers (iovecs) the payload is made of.
    fn parts(&self) -> usize;
    /// Destination, `None` for the connected peer.
    fn dest(&self) -> Option<SocketAddr>;
}

/// Kernel limits on one segmented send, and the per-socket segmentation threshold.
// The `max_` prefix is the point: every field is an upper bound.
#[allow(clippy::struct_field_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Fewest datagrams worth a segmented send; shorter runs go as separate messages.
    pub(crate) min_segments: usize,
    /// Most segments in one send. Linux's `UDP_MAX_SEGMENTS` (`include/linux/udp.h`) was 64
    /// when `UDP_SEGMENT` appeared (4.18) and is 128 in recent kernels; 64 works everywhere.
    pub(crate) max_segments: usize,
    /// Most payload bytes in one send: one IP datagram of 65535 bytes less the IPv4 (20) and
    /// UDP (8) headers; the IPv6 limit (65527) is higher, so this one fits both.
    pub(crate) max_bytes: usize,
    /// Most iovecs in one message (`UIO_MAXIOV`, 1024).
    pub(crate) max_parts: usize,
    /// Largest segment size to try; 0 disables segmentation. Lowered when the kernel refuses
    /// a size (segment larger than the path MTU allows), zeroed when it refuses all.
    pub(crate) max_segment_size: usize,
}

/// See [`Limits::min_segments`]. Two: on loopback even a two-segment send beats two
/// messages in one `sendmmsg` (`benches/datagram.rs`, workload "pairs").
const MIN_SEGMENTS: usize = 2;

impl Limits {
    pub(crate) const KERNEL: Limits = Limits {
        min_segments: MIN_SEGMENTS,
        max_segments: 64,
        max_bytes: 65_507,
        max_parts: 1024,
        max_segment_size: u16::MAX as usize,
    };
}

/// One message of a batch: datagrams `start..start + count`, segmented by `segment` bytes
/// when `Some` (then `count >= 2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) start: usize,
    pub(crate) count: usize,
    pub(crate) segment: Option<u16>,
}

/// The message starting at datagram `start` (which must exist).
pub(crate) fn next_entry<T: PlanItem>(items: &[T], start: usize, limits: &Limits) -> Entry {
    let single = Entry {
        start,
        count: 1,
        segment: None,
    };
    let first = &items[start];
    let seg = first.len();
    let Ok(seg16) = u16::try_from(seg) else {
        return single;
    };
    if seg == 0 || seg > limits.max_segment_size || seg > limits.max_bytes {
        return single;
    }
    let dest = first.dest();
    let (mut count, mut total, mut parts) = (1, seg, first.parts());
    for item in &items[start + 1..] {
        let len = item.len();
        if count == limits.max_segments
            || len == 0
            || len > seg
            || item.dest() != dest
            || total + len > limits.max_bytes
            || parts + item.parts() > limits.max_parts
        {
            break;
        }
        count += 1;
        total += len;
        parts += item.parts();
        if len < seg {
            // A shorter datagram can only be the last segment.
            break;
        }
    }
    if count >= limits.min_segments.max(2) {
        Entry {
            start,
            count,
            segment: Some(seg16),
        }
    } else {
        single
    }
}

/// Appends the messages covering `items[start..]`, at most `max_entries` of them.
pub(crate) fn plan<T: PlanItem>(
    items: &[T],
    limits: &Limits,
    max_entries: usize,
    out: &mut Vec<Entry>,
) {
    let mut start = 0;
    while start < items.len() && out.len() < max_entries {
        let entry = next_entry(items, start, limits);
        start += entry.count;
        out.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct Item(usize, usize, Option<SocketAddr>);

    impl PlanItem for Item {
        fn len(&self) -> usize {
            self.0
        }
        fn parts(&self) -> usize {
            self.1
        }
        fn dest(&self) -> Option<SocketAddr> {
            self.2
        }
    }

    fn items(lens: &[usize]) -> Vec<Item> {
        lens.iter().map(|&l| Item(l, 1, None)).collect()
    }

    fn planned(items: &[Item], limits: &Limits) -> Vec<Entry> {
        let mut out = Vec::new();
        plan(items, limits, usize::MAX, &mut out);
        out
    }

    fn shape(entries: &[Entry]) -> Vec<(usize, Option<u16>)> {
        entries.iter().map(|e| (e.count, e.segment)).collect()
    }

    #[test]
    fn equal_sizes_are_cut_at_the_segment_limit() {
        let e = planned(&items(&[100; 130]), &Limits::KERNEL);
        assert_eq!(
            shape(&e),
            [(64, Some(100)), (64, Some(100)), (2, Some(100))]
        );
    }

    #[test]
    fn a_shorter_datagram_ends_a_run() {
        let e = planned(&items(&[10, 10, 4, 10, 10]), &Limits::KERNEL);
        assert_eq!(shape(&e), [(3, Some(10)), (2, Some(10))]);
    }

    #[test]
    fn a_longer_datagram_starts_a_new_run() {
        let e = planned(&items(&[10, 20, 20, 7]), &Limits::KERNEL);
        assert_eq!(shape(&e), [(1, None), (3, Some(20))]);
    }

    #[test]
    fn empty_and_lone_datagrams_go_alone() {
        let e = planned(&items(&[0, 0, 5, 9]), &Limits::KERNEL);
        assert_eq!(shape(&e), [(1, None), (1, None), (1, None), (1, None)]);
        // An empty datagram cannot be a last segment: the kernel would not send it.
        let e = planned(&items(&[5, 5, 0]), &Limits::KERNEL);
        assert_eq!(shape(&e), [(2, Some(5)), (1, None)]);
    }

    #[test]
    fn destinations_split_runs() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let v = vec![
            Item(8, 1, Some(a)),
            Item(8, 1, Some(a)),
            Item(8, 1, Some(b)),
            Item(8, 1, Some(b)),
        ];
        assert_eq!(
            shape(&planned(&v, &Limits::KERNEL)),
            [(2, Some(8)), (2, Some(8))]
        );
    }

    #[test]
    fn total_bytes_stay_within_one_ip_datagram() {
        let e = planned(&items(&[1200; 64]), &Limits::KERNEL);
        // 54 * 1200 = 64800 <= 65507 < 55 * 1200.
        assert_eq!(shape(&e), [(54, Some(1200)), (10, Some(1200))]);
    }

    #[test]
    fn disabled_or_refused_sizes_go_alone() {
        let off = Limits {
            max_segment_size: 0,
            ..Limits::KERNEL
        };
        assert_eq!(
            shape(&planned(&items(&[5, 5]), &off)),
            [(1, None), (1, None)]
        );
        let small = Limits {
            max_segment_size: 9,
            ..Limits::KERNEL
        };
        let e = planned(&items(&[10, 10, 9, 9]), &small);
        assert_eq!(shape(&e), [(1, None), (1, None), (2, Some(9))]);
    }

    #[test]
    fn entry_count_is_capped() {
        let mut out = Vec::new();
        plan(&items(&[1, 2, 3, 4]), &Limits::KERNEL, 2, &mut out);
        assert_eq!(shape(&out), [(1, None), (1, None)]);
    }

    /// The naive model of what the kernel does with a message: a segmented payload is cut
    /// into `segment`-byte datagrams (the last shorter); any other message is one datagram.
    fn kernel_split(entry: &Entry, items: &[Item]) -> Vec<usize> {
        let run = &items[entry.start..entry.start + entry.count];
        let total: usize = run.iter().map(|i| i.0).sum();
        match entry.segment {
            None => vec![total],
            Some(seg) => {
                let seg = usize::from(seg);
                (0..total.div_ceil(seg))
                    .map(|k| seg.min(total - k * seg))
                    .collect()
            }
        }
    }

    fn arb_items() -> impl Strategy<Value = Vec<Item>> {
        let addr = prop_oneof![
            Just(None),
            Just(Some("127.0.0.1:1".parse().unwrap())),
            Just(Some("[::1]:2".parse().unwrap())),
        ];
        // Few distinct sizes, so runs are common.
        let len = prop_oneof![
            Just(0usize),
            Just(1),
            Just(64),
            Just(100),
            Just(1200),
            0..3000usize
        ];
        prop::collection::vec((len, 1..4usize, addr), 0..300)
            .prop_map(|v| v.into_iter().map(|(l, p, a)| Item(l, p, a)).collect())
    }

    fn arb_limits() -> impl Strategy<Value = Limits> {
        (
            1..5usize,
            1..130usize,
            1..70_000usize,
            1..20usize,
            0..2000usize,
        )
            .prop_map(|(n, s, b, p, m)| Limits {
                min_segments: n,
                max_segments: s,
                max_bytes: b,
                max_parts: p,
                max_segment_size: m,
            })
    }

    proptest! {
        /// Whatever the plan, the kernel's cutting of each message gives back exactly the
        /// datagrams, in order, each to its own destination, within every limit; and no
        /// message could have taken the next datagram too (the plan is greedy).
        #[test]
        fn plan_matches_the_naive_model(items in arb_items(), limits in arb_limits()) {
            let entries = planned(&items, &limits);
            let mut next = 0;
            let mut lens = Vec::new();
            for e in &entries {
                prop_assert_eq!(e.start, next);
                prop_assert!(e.count >= 1);
                let run = &items[e.start..e.start + e.count];
                if let Some(seg) = e.segment {
                    let seg = usize::from(seg);
                    prop_assert!(e.count >= 2 && e.count >= limits.min_segments);
                    prop_assert!(e.count <= limits.max_segments);
                    prop_assert!(seg > 0 && seg <= limits.max_segment_size);
                    prop_assert!(run.iter().map(|i| i.0).sum::<usize>() <= limits.max_bytes);
                    prop_assert!(run.iter().map(|i| i.1).sum::<usize>() <= limits.max_parts);
                    prop_assert!(run.iter().all(|i| i.2 == run[0].2));
                } else {
                    prop_assert_eq!(e.count, 1);
                }
                lens.extend(kernel_split(e, &items));
                next += e.count;
                // Greedy: the next datagram could not have joined this message.
                if let (Some(seg), Some(after)) = (e.segment, items.get(next)) {
                    let seg = usize::from(seg);
                    let last = run[run.len() - 1].0;
                    let joinable = last == seg
                        && e.count < limits.max_segments
                        && after.0 > 0 && after.0 <= seg
                        && after.2 == run[0].2
                        && run.iter().map(|i| i.0).sum::<usize>() + after.0 <= limits.max_bytes
                        && run.iter().map(|i| i.1).sum::<usize>() + after.1 <= limits.max_parts;
                    prop_assert!(!joinable, "entry {:?} could have taken {:?}", e, after);
                }
            }
            prop_assert_eq!(next, items.len());
            prop_assert_eq!(lens, items.iter().map(|i| i.0).collect::<Vec<_>>());
        }
    }
}
