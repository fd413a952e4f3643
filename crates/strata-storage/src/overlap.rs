//! Where a table's sources (its files and buffered batches) overlap in time: only there can a
//! point be in more than one of them, so only there do their rows need merging, or checking.

/// A source of rows: a file or a buffered batch, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    File(usize),
    Batch(usize),
}

/// The time windows (both ends included) where a point may be in more than one of a group's
/// sources, or twice in one: where two sources' ranges overlap (files known to share no point
/// excepted), and everywhere a buffered batch is that may repeat a point within itself
/// (`repeats_within`, by batch). Sorted and apart.
pub fn conflict_windows(
    spans: &[(i64, i64, Source)],
    files_disjoint: bool,
    repeats_within: impl Fn(usize) -> bool,
) -> Vec<(i64, i64)> {
    let mut windows: Vec<(i64, i64)> = spans
        .iter()
        .filter(|s| matches!(s.2, Source::Batch(b) if repeats_within(b)))
        .map(|s| (s.0, s.1))
        .collect();
    // Where at least two sources cover a time, and one of them a batch when files share no
    // point. Ends are exclusive here: a source that ends where another starts does not
    // overlap it.
    let mut edges: Vec<(i128, i32, i32)> = spans
        .iter()
        .flat_map(|s| {
            let batch = i32::from(matches!(s.2, Source::Batch(_)));
            [(s.0 as i128, 1, batch), (s.1 as i128 + 1, -1, -batch)]
        })
        .collect();
    edges.sort();
    let conflict = |covering: i32, batches: i32| covering >= 2 && (!files_disjoint || batches > 0);
    let (mut covering, mut batches, mut start) = (0, 0, 0);
    for (at, step, batch_step) in edges {
        let before = conflict(covering, batches);
        covering += step;
        batches += batch_step;
        match (before, conflict(covering, batches)) {
            (false, true) => start = at,
            (true, false) if at > start => windows.push((start as i64, (at - 1) as i64)),
            _ => {}
        }
    }
    windows.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(windows.len());
    for window in windows {
        match merged.last_mut() {
            Some(last) if window.0 <= last.1.saturating_add(1) => last.1 = last.1.max(window.1),
            _ => merged.push(window),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_windows_are_where_two_sources_overlap_and_wherever_a_batch_is() {
        let spans = [
            (0, 10, Source::File(0)),
            (5, 20, Source::File(1)),
            (30, 40, Source::Batch(0)),
            (35, 50, Source::File(2)),
            (20, 25, Source::File(3)),
        ];
        assert_eq!(
            conflict_windows(&spans, false, |_| true),
            vec![(5, 10), (20, 20), (30, 40)],
            "files 0 and 1 overlap in 5..=10, 1 and 3 at 20; the batch is merged whole"
        );
        assert_eq!(
            conflict_windows(&spans, true, |_| true),
            vec![(30, 40)],
            "files that share no point need merging only with the batch"
        );
        assert!(
            conflict_windows(&[(i64::MIN, i64::MAX, Source::File(0))], false, |_| true).is_empty()
        );
        assert_eq!(
            conflict_windows(
                &[
                    (i64::MIN, i64::MAX, Source::File(0)),
                    (0, i64::MAX, Source::File(1))
                ],
                false,
                |_| true
            ),
            vec![(0, i64::MAX)]
        );
    }

    #[test]
    fn batches_that_hold_each_point_once_are_merged_only_where_they_overlap_another_source() {
        let spans = [
            (0, 10, Source::File(0)),
            (5, 6, Source::File(1)),
            (8, 12, Source::Batch(0)),
            (20, 20, Source::Batch(1)),
            (20, 25, Source::Batch(2)),
            (30, 30, Source::Batch(3)),
        ];
        assert_eq!(
            conflict_windows(&spans, false, |_| false),
            vec![(5, 6), (8, 10), (20, 20)],
            "the files overlap in 5..=6, file 0 and batch 0 in 8..=10, batches 1 and 2 at 20"
        );
        assert_eq!(
            conflict_windows(&spans, true, |_| false),
            vec![(8, 10), (20, 20)],
            "files that share no point overlap each other without a window"
        );
        assert_eq!(
            conflict_windows(&spans, true, |b| b == 3),
            vec![(8, 10), (20, 20), (30, 30)],
            "a batch that may repeat a point is merged whole"
        );
    }
}
