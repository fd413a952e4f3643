//! Series statistics stay exact where a table's sources overlap in time without sharing a
//! point, as under concurrent writers, and stop being exact once a point is written again.

use strata_storage::SeriesStats;

use crate::*;

impl Node {
    async fn stats(&self, database: &str, table: &str) -> Arc<SeriesStats> {
        let schema = self.catalog.get_schema(database).await.unwrap();
        let id = schema.table(table).expect("table exists").table.id;
        self.storage
            .series_stats(schema.database.id, id)
            .await
            .unwrap()
            .unwrap()
    }
}

fn inexact(stats: &SeriesStats) -> usize {
    stats.inexact().true_count()
}

fn rows_of(stats: &SeriesStats) -> Vec<(Option<&str>, u64)> {
    stats
        .tag("host")
        .unwrap()
        .iter()
        .zip(stats.rows().values().iter().copied())
        .collect()
}

#[tokio::test]
async fn buffered_writes_that_overlap_files_and_each_other_without_a_shared_point_are_exact() {
    let node = Node::start().await;
    node.create_database("db").await;
    node.write("db", "m,host=a v=1 0\nm,host=b v=2 5\nm,host=a v=3 10")
        .await;
    node.storage.persist().await.unwrap();
    // Two writes over 5..=20 and 8..=12: each overlaps the file and the other in time.
    node.write("db", "m,host=a v=4 5\nm,host=b v=5 20").await;
    node.write("db", "m,host=b v=6 8\nm,host=a v=7 12").await;
    let stats = node.stats("db", "m").await;
    assert_eq!(inexact(&stats), 0, "no point is in two sources");
    assert_eq!(rows_of(&stats), vec![(Some("a"), 4), (Some("b"), 3)]);

    // The file's point of a at 10 written again: the counts would take it twice.
    node.write("db", "m,host=a v=8 10").await;
    let stats = node.stats("db", "m").await;
    assert!(inexact(&stats) > 0, "a point is in two sources");
}

#[tokio::test]
async fn a_buffered_write_that_repeats_a_point_within_itself_is_not_exact() {
    let node = Node::start().await;
    node.create_database("db").await;
    node.write("db", "m,host=a v=1 5\nm,host=b v=2 6").await;
    node.write("db", "m,host=a v=3 6\nm,host=a v=4 6").await;
    let stats = node.stats("db", "m").await;
    assert!(inexact(&stats) > 0, "a at 6 is written twice in one body");
}

#[tokio::test]
async fn files_over_the_same_times_with_other_series_share_no_point() {
    let node = Node::start().await;
    node.create_database("db").await;
    // As a compaction's outputs are split by series: every file spans the same times.
    node.write("db", "m,host=a v=1 0\nm,host=a v=2 10").await;
    node.storage.persist().await.unwrap();
    node.write("db", "m,host=b v=3 0\nm,host=b v=4 10").await;
    node.storage.persist().await.unwrap();
    let stats = node.stats("db", "m").await;
    assert_eq!(inexact(&stats), 0);
    assert_eq!(rows_of(&stats), vec![(Some("a"), 2), (Some("b"), 2)]);
}
