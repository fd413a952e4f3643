//! Writes: validation, the schema in the catalog, the buffer and WAL replay.

use strata_storage::RejectReason;
use strata_types::{ColumnType, ErrorKind, NewDatabase};

use crate::*;

#[tokio::test]
async fn a_write_is_buffered_and_readable_at_once() {
    let node = Node::start().await;
    node.create_database("db").await;
    let outcome = node
        .write(
            "db",
            "cpu,host=a usage=1.5 1000\ncpu,host=b usage=2.5,idle=3i 2000\ncpu,host=a usage=3.5\n",
        )
        .await;
    assert_eq!(outcome.lines_written, 3);
    assert_eq!(outcome.rejected_count, 0);
    let batches = node.buffered("db", "cpu").await;
    assert_eq!(
        floats(&batches, "usage"),
        vec![Some(1.5), Some(2.5), Some(3.5)]
    );
    assert_eq!(
        times(&batches),
        vec![1000, 2000, T],
        "a line without a timestamp gets the server's time"
    );

    let schema = node.catalog.get_schema("db").await.unwrap();
    let columns: Vec<(String, ColumnType)> = schema.tables[0]
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.column_type))
        .collect();
    assert_eq!(
        columns,
        vec![
            ("time".into(), ColumnType::Time),
            ("host".into(), ColumnType::Tag),
            ("usage".into(), ColumnType::Float),
            ("idle".into(), ColumnType::Integer),
        ]
    );
}

#[tokio::test]
async fn an_unknown_database_is_not_found() {
    let node = Node::start().await;
    let error = node
        .storage
        .write(
            "nope",
            Bytes::from_static(b"cpu v=1"),
            WriteOptions {
                precision: Precision::Nanoseconds,
                default_time: T,
                accept_partial: true,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound, "{error}");
}

#[tokio::test]
async fn schema_conflicts_reject_their_lines_with_a_reason() {
    let node = Node::start().await;
    node.create_database("db").await;
    node.write("db", "cpu,host=a usage=1 1").await;
    let outcome = node
        .write(
            "db",
            "cpu,host=a usage=2i 2\n\
             cpu usage=3,host=4 3\n\
             cpu,host=a time=5 4\n\
             mem,free=1i used=1i 5\n\
             mem,used=x free=2i 6\n\
             cpu,host=c usage=6 7\n\
             cpu,host=a usage=\n",
        )
        .await;
    assert_eq!(outcome.lines_written, 2, "{outcome:#?}");
    let reasons: Vec<(usize, RejectReason, &str)> = outcome
        .rejected
        .iter()
        .map(|r| (r.line, r.reason, r.message.as_str()))
        .collect();
    assert_eq!(reasons.len(), 5, "{reasons:#?}");
    assert_eq!(reasons[0].0, 1);
    assert!(
        reasons[0].2.contains("column \"usage\" of table \"cpu\" is a float field, but this line writes it as an integer field"),
        "{}",
        reasons[0].2
    );
    assert!(
        reasons[1].2.contains("\"host\" of table \"cpu\" is a tag"),
        "{}",
        reasons[1].2
    );
    assert!(
        reasons[2].2.contains("\"time\" cannot be a field"),
        "{}",
        reasons[2].2
    );
    assert!(
        reasons[3].2.contains(
            "\"used\" of table \"mem\" is an integer field, but this line writes it as a tag"
        ),
        "{}",
        reasons[3].2
    );
    assert_eq!(reasons[4].1, RejectReason::Syntax);
    assert_eq!(reasons[4].0, 7);
    assert_eq!(outcome.rejected[0].source, "cpu,host=a usage=2i 2");
    // The written lines are there; the rejected ones left nothing behind.
    assert_eq!(times(&node.buffered("db", "cpu").await), vec![1, 7]);
    assert_eq!(times(&node.buffered("db", "mem").await), vec![5]);
}

#[tokio::test]
async fn without_partial_writes_one_bad_line_rejects_the_body() {
    let node = Node::start().await;
    node.create_database("db").await;
    let outcome = node
        .write_with(
            "db",
            "cpu usage=1 1\ncpu usage=oops 2\nnewtable v=1 3\n",
            false,
        )
        .await;
    assert_eq!(outcome.lines_written, 0);
    assert_eq!(outcome.rejected_count, 1);
    assert_eq!(outcome.rejected[0].line, 2);
    let schema = node.catalog.get_schema("db").await.unwrap();
    assert!(schema.tables.is_empty(), "nothing was created: {schema:?}");
}

#[tokio::test]
async fn points_older_than_the_retention_period_are_rejected() {
    let node = Node::start().await;
    node.create_database_with(NewDatabase {
        name: "short".into(),
        retention_period_ns: 3_600_000_000_000,
        max_tables: 500,
        max_columns_per_table: 250,
        partition_template: None,
    })
    .await;
    let two_hours_ago = T - 7_200_000_000_000;
    let outcome = node
        .write("short", &format!("cpu v=1 {two_hours_ago}\ncpu v=2 {T}\n"))
        .await;
    assert_eq!(outcome.lines_written, 1);
    assert_eq!(outcome.rejected[0].reason, RejectReason::Retention);
    assert!(
        outcome.rejected[0]
            .message
            .contains("outside the database's retention period")
    );
}

#[tokio::test]
async fn the_table_and_column_limits_reject_lines_with_a_clear_message() {
    let node = Node::start().await;
    node.create_limited_database("small", 1, 3).await;
    let outcome = node.write("small", "cpu a=1,b=2,c=3 1\n").await;
    assert_eq!(outcome.lines_written, 0, "{outcome:#?}");
    assert!(
        outcome.rejected[0].message.contains("allows 3 per table"),
        "{}",
        outcome.rejected[0].message
    );
    let outcome = node.write("small", "cpu a=1 1\nmem a=1 2\n").await;
    assert_eq!(outcome.lines_written, 1, "{outcome:#?}");
    assert_eq!(outcome.rejected[0].line, 2);
    assert!(
        outcome.rejected[0].message.contains("table"),
        "{}",
        outcome.rejected[0].message
    );
}

#[tokio::test]
async fn limits_are_checked_line_by_line_before_columns_are_made() {
    let node = Node::start().await;
    node.create_limited_database("small", 1, 3).await;
    // One write: the lines that fit are taken, the first one past a limit is not.
    let outcome = node
        .write(
            "small",
            "cpu a=1 1\ncpu b=1 2\ncpu c=1 3\nmem a=1 4\ncpu a=2 5\n",
        )
        .await;
    assert_eq!(outcome.lines_written, 3, "{outcome:#?}");
    let refused: Vec<(usize, &str)> = outcome
        .rejected
        .iter()
        .map(|r| (r.line, r.message.as_str()))
        .collect();
    assert_eq!(
        refused,
        vec![
            (
                3,
                "table \"cpu\" would have 4 columns; database \"small\" allows 3 per table (raise the limit with `database update --max-columns`)"
            ),
            (
                4,
                "database \"small\" already has its maximum of 1 tables; delete a table or raise the limit with `database update --max-tables`"
            ),
        ]
    );
    let schema = node.catalog.get_schema("small").await.unwrap();
    assert_eq!(schema.tables.len(), 1);
    assert_eq!(schema.tables[0].columns.len(), 3);
}

#[tokio::test]
async fn one_write_adds_at_most_a_thousand_columns() {
    let node = Node::start().await;
    node.create_limited_database("wide", 10, 1000).await;
    let line = |table: &str| {
        let fields: Vec<String> = (0..600).map(|i| format!("f{i}=1")).collect();
        format!("{table} {} 1\n", fields.join(","))
    };
    let outcome = node
        .write("wide", &format!("{}{}", line("a"), line("b")))
        .await;
    assert_eq!(outcome.lines_written, 1, "{outcome:#?}");
    assert_eq!(outcome.rejected[0].line, 2);
    assert_eq!(
        outcome.rejected[0].message,
        "this write adds more than 1000 new columns; send it in smaller requests"
    );
    // The next write may add them.
    assert_eq!(node.write("wide", &line("b")).await.lines_written, 1);
}

#[tokio::test]
async fn concurrent_first_writes_of_a_column_agree_on_its_type() {
    let node = Node::start().await;
    node.create_database("db").await;
    node.write("db", "cpu seed=1 1").await;
    for round in 0..5 {
        let column = format!("c{round}");
        let mut tasks = Vec::new();
        for i in 0..8 {
            let storage = node.storage.clone();
            let value = if i % 2 == 0 { "1i" } else { "\"text\"" };
            let body = format!("cpu {column}={value} {}", 10 + i);
            tasks.push(tokio::spawn(async move {
                storage
                    .write(
                        "db",
                        Bytes::from(body),
                        WriteOptions {
                            precision: Precision::Nanoseconds,
                            default_time: T,
                            accept_partial: true,
                        },
                    )
                    .await
                    .unwrap()
            }));
        }
        let mut written = [0, 0];
        for (i, task) in tasks.into_iter().enumerate() {
            let outcome = task.await.unwrap();
            written[i % 2] += outcome.lines_written;
            if outcome.rejected_count > 0 {
                assert!(
                    outcome.rejected[0].message.contains("schema conflict"),
                    "{outcome:?}"
                );
            }
        }
        let schema = node.catalog.get_schema("db").await.unwrap();
        let winner = schema.tables[0].column(&column).unwrap().column_type;
        let expected = match winner {
            ColumnType::Integer => [4, 0],
            ColumnType::String => [0, 4],
            other => panic!("unexpected type {other}"),
        };
        assert_eq!(written, expected, "only writes of the winning type went in");
    }
}

#[tokio::test]
async fn a_restart_replays_the_wal_into_the_buffer() {
    let node = Node::start().await;
    node.create_database("db").await;
    node.write("db", "cpu,host=a usage=1 1\ncpu,host=b usage=2 2\n")
        .await;
    node.write("db", "cpu,host=a usage=3,extra=1i 3\n").await;
    let node = node.restart().await;
    let batches = node.buffered("db", "cpu").await;
    assert_eq!(times(&batches), vec![1, 2, 3]);
    assert_eq!(
        floats(&batches, "usage"),
        vec![Some(1.0), Some(2.0), Some(3.0)]
    );

    // Writes go on after the restart, and persisting then restarting loads nothing twice.
    node.write("db", "cpu,host=c usage=4 4\n").await;
    let files = node.storage.persist().await.unwrap();
    assert_eq!(files.iter().map(|f| f.row_count).sum::<i64>(), 4);
    let node = node.restart().await;
    assert!(node.buffered("db", "cpu").await.is_empty());
    let wal_segments = std::fs::read_dir(&node.config.wal_dir).unwrap().count();
    assert_eq!(wal_segments, 1, "only the current segment is left");
}

#[tokio::test]
async fn escaped_names_and_values_are_stored_unescaped() {
    let node = Node::start().await;
    node.create_database("db").await;
    let outcome = node
        .write(
            "db",
            "my\\ table,the\\ host=a\\,b msg=\"say \\\"hi\\\"\" 1\n",
        )
        .await;
    assert_eq!(outcome.rejected_count, 0, "{outcome:?}");
    let batches = node.buffered("db", "my table").await;
    let batch = concat(&batches);
    let host = batch.column_by_name("the host").expect("tag column");
    let host = arrow::compute::cast(host, &arrow::datatypes::DataType::Utf8).unwrap();
    assert_eq!(host.as_string::<i32>().value(0), "a,b");
    assert_eq!(
        batch
            .column_by_name("msg")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "say \"hi\""
    );
}
