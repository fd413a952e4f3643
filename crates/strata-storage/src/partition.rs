//! Partition keys: which partition a row belongs to under a table's partition template.
//!
//! A key joins the template's parts with `|`: the row's time in the time part's format, a
//! tag's value, or a tag's bucket (a hash of its value modulo the number of buckets). A
//! missing tag is `!`, an empty one `^`; in tag parts `| ! ^ # %` and non-ASCII bytes are
//! percent-encoded, and a part over 200 bytes is cut and ends with `#`.
//!
//! Queries read keys back ([`key_may_hold`]) to skip files that cannot hold a tag value.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, DictionaryArray};
use arrow::datatypes::{Int32Type, TimestampNanosecondType};
use arrow::record_batch::RecordBatch;
use strata_types::{
    DEFAULT_TIME_FORMAT, Database, PartitionTemplate, TIME_COLUMN, Table, TagBucket, TemplatePart,
};

const MAX_PART_BYTES: usize = 200;
const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// The default template: one partition per day.
pub fn default_template() -> PartitionTemplate {
    PartitionTemplate(vec![TemplatePart::Time(DEFAULT_TIME_FORMAT.to_string())])
}

/// The template a table's rows are partitioned by: its own, else its database's, else
/// [`default_template`]. Persistence and query pruning must agree on it.
pub fn table_template(database: &Database, table: Option<&Table>) -> PartitionTemplate {
    table
        .and_then(|t| t.partition_template.clone())
        .or_else(|| database.partition_template.clone())
        .unwrap_or_else(default_template)
}

/// The rows of `batch` grouped by partition key, each group's row indices ascending; groups
/// in order of first appearance.
pub fn partition_rows(
    batch: &RecordBatch,
    template: &PartitionTemplate,
) -> Vec<(String, Vec<u32>)> {
    let times = batch
        .column_by_name(TIME_COLUMN)
        .map(|c| c.as_primitive::<TimestampNanosecondType>().clone());
    let tag_column = |name: &str| -> Option<DictionaryArray<Int32Type>> {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_dictionary_opt::<Int32Type>().cloned())
    };
    enum Part {
        Time(String),
        Tag(Option<DictionaryArray<Int32Type>>),
        Bucket(Option<DictionaryArray<Int32Type>>, u32),
    }
    let parts: Vec<Part> = template
        .0
        .iter()
        .map(|part| match part {
            TemplatePart::Time(format) => Part::Time(format.clone()),
            TemplatePart::Tag(tag) => Part::Tag(tag_column(tag)),
            TemplatePart::Bucket(bucket) => {
                Part::Bucket(tag_column(&bucket.tag_name), bucket_count(bucket))
            }
        })
        .collect();

    let mut groups: Vec<(String, Vec<u32>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut key = String::new();
    let mut day_cache: Option<(i64, String)> = None;
    let mut last: Option<usize> = None;
    for row in 0..batch.num_rows() {
        key.clear();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                key.push('|');
            }
            match part {
                Part::Time(format) => {
                    let t = times.as_ref().map_or(0, |t| t.value(row));
                    let day = t.div_euclid(NANOS_PER_DAY);
                    if day_cache.as_ref().is_none_or(|(d, _)| *d != day) {
                        let formatted = chrono::DateTime::from_timestamp_nanos(t)
                            .format(format)
                            .to_string();
                        day_cache = Some((day, formatted));
                    }
                    key.push_str(&day_cache.as_ref().expect("just set").1);
                }
                Part::Tag(column) => match tag_value(column.as_ref(), row) {
                    None => key.push('!'),
                    Some("") => key.push('^'),
                    Some(value) => push_encoded(&mut key, value, MAX_PART_BYTES),
                },
                Part::Bucket(column, buckets) => match tag_value(column.as_ref(), row) {
                    None => key.push('!'),
                    Some(value) => key.push_str(&bucket(value, *buckets).to_string()),
                },
            }
        }
        // Neighbouring rows are mostly in the same partition: no lookup for those.
        if let Some(g) = last.filter(|&g| groups[g].0 == key) {
            groups[g].1.push(row as u32);
            continue;
        }
        let g = match index.get(key.as_str()) {
            Some(&g) => g,
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        groups[g].1.push(row as u32);
        last = Some(g);
    }
    groups
}

/// Whether the file with partition `key` under `template` may hold rows whose tag `tag` is
/// `value`; false only when the key's part for `tag` rules the value out. An empty value
/// rules nothing out (InfluxQL treats a missing tag as empty), nor does a key that does not
/// fit the template.
pub fn key_may_hold(key: &str, template: &PartitionTemplate, tag: &str, value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    let parts: Vec<&str> = key.split('|').collect();
    if parts.len() != template.0.len() {
        return true;
    }
    template
        .0
        .iter()
        .zip(parts)
        .all(|(part, key_part)| match part {
            TemplatePart::Tag(name) if name == tag => {
                // Uncut, so that the value matches a part cut at any length.
                let mut encoded = String::new();
                push_encoded(&mut encoded, value, usize::MAX);
                key_part == encoded
                    || key_part
                        .strip_suffix('#')
                        .is_some_and(|cut| encoded.starts_with(cut))
            }
            TemplatePart::Bucket(b) if b.tag_name == tag => {
                key_part == bucket(value, bucket_count(b)).to_string()
            }
            _ => true,
        })
}

fn bucket_count(bucket: &TagBucket) -> u32 {
    bucket.number_of_buckets.max(1) as u32
}

fn bucket(value: &str, buckets: u32) -> u32 {
    crc32fast::hash(value.as_bytes()) % buckets
}

fn tag_value(column: Option<&DictionaryArray<Int32Type>>, row: usize) -> Option<&str> {
    let column = column?;
    if column.is_null(row) {
        return None;
    }
    let values = column.values().as_string::<i32>();
    Some(values.value(column.keys().value(row) as usize))
}

/// Appends a tag value percent-encoded, cut to `max_bytes`.
fn push_encoded(key: &mut String, value: &str, max_bytes: usize) {
    let start = key.len();
    for b in value.bytes() {
        // Each byte becomes one character or one `%XX` escape; a cut never splits either.
        let unit_start = key.len();
        if matches!(b, b'|' | b'!' | b'^' | b'#' | b'%') || !b.is_ascii() || b.is_ascii_control() {
            key.push_str(&format!("%{b:02X}"));
        } else {
            key.push(b as char);
        }
        if key.len() - start > max_bytes {
            key.truncate(unit_start);
            key.push('#');
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{StringDictionaryBuilder, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    fn batch(rows: &[(i64, Option<&str>)]) -> RecordBatch {
        let mut host = StringDictionaryBuilder::<Int32Type>::new();
        for (_, h) in rows {
            match h {
                Some(h) => host.append_value(h),
                None => host.append_null(),
            }
        }
        let times = TimestampNanosecondArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>());
        let schema = Schema::new(vec![
            Field::new(
                "host",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            ),
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(host.finish()), Arc::new(times)],
        )
        .unwrap()
    }

    const DAY: i64 = NANOS_PER_DAY;
    // 2023-11-14T22:13:20Z
    const T: i64 = 1_700_000_000_000_000_000;

    #[test]
    fn the_default_template_splits_by_day() {
        let b = batch(&[(T, Some("a")), (T + DAY, Some("a")), (T + 1, None)]);
        let groups = partition_rows(&b, &default_template());
        assert_eq!(
            groups,
            vec![
                ("2023-11-14".to_string(), vec![0, 2]),
                ("2023-11-15".to_string(), vec![1])
            ]
        );
    }

    #[test]
    fn tag_parts_mark_missing_empty_and_encode_specials() {
        let template = PartitionTemplate(vec![
            TemplatePart::Time("%Y-%m".into()),
            TemplatePart::Tag("host".into()),
            TemplatePart::Tag("region".into()),
        ]);
        let b = batch(&[(T, Some("a|b")), (T, None), (T, Some("")), (T, Some("é"))]);
        let keys: Vec<String> = partition_rows(&b, &template)
            .into_iter()
            .map(|g| g.0)
            .collect();
        assert_eq!(
            keys,
            vec![
                "2023-11|a%7Cb|!",
                "2023-11|!|!",
                "2023-11|^|!",
                "2023-11|%C3%A9|!"
            ]
        );
    }

    #[test]
    fn long_tag_values_are_cut_and_marked() {
        let template = PartitionTemplate(vec![TemplatePart::Tag("host".into())]);
        let long = "x".repeat(300);
        let b = batch(&[(T, Some(&long))]);
        let key = partition_rows(&b, &template).remove(0).0;
        assert_eq!(key.len(), MAX_PART_BYTES + 1);
        assert!(key.ends_with('#'));
    }

    #[test]
    fn buckets_are_stable_and_within_range() {
        let template = PartitionTemplate(vec![TemplatePart::Bucket(TagBucket {
            tag_name: "host".into(),
            number_of_buckets: 10,
        })]);
        let b = batch(&[(T, Some("a")), (T, Some("b")), (T, Some("a")), (T, None)]);
        let groups = partition_rows(&b, &template);
        for (key, _) in &groups {
            assert!(key == "!" || key.parse::<u32>().unwrap() < 10, "{key}");
        }
        let a = groups.iter().find(|g| g.1.contains(&0)).unwrap();
        assert!(a.1.contains(&2), "equal values share a bucket");
        assert_eq!(groups.iter().find(|g| g.1.contains(&3)).unwrap().0, "!");
    }

    /// The key `template` gives a row whose host is `host`.
    fn key_of(template: &PartitionTemplate, host: Option<&str>) -> String {
        partition_rows(&batch(&[(T, host)]), template).remove(0).0
    }

    fn by_host() -> PartitionTemplate {
        PartitionTemplate(vec![
            TemplatePart::Time("%Y-%m".into()),
            TemplatePart::Tag("host".into()),
        ])
    }

    #[test]
    fn keys_hold_only_their_own_tag_value() {
        let template = by_host();
        for value in ["a", "a|b", "é", "50%", "#!^", "tab\there"] {
            let key = key_of(&template, Some(value));
            assert!(key_may_hold(&key, &template, "host", value), "{key}");
            assert!(!key_may_hold(&key, &template, "host", "b"), "{key}");
        }
        let key = key_of(&template, Some("a|b"));
        assert_eq!(key, "2023-11|a%7Cb");
        assert!(!key_may_hold(&key, &template, "host", "a"));
        assert!(
            !key_may_hold(&key, &template, "host", "a%7Cb"),
            "not decoded twice"
        );
    }

    #[test]
    fn missing_and_empty_tags_hold_no_other_value_and_empty_prunes_nothing() {
        let template = by_host();
        let missing = key_of(&template, None);
        let empty = key_of(&template, Some(""));
        assert_eq!(
            (missing.as_str(), empty.as_str()),
            ("2023-11|!", "2023-11|^")
        );
        for key in [&missing, &empty] {
            assert!(!key_may_hold(key, &template, "host", "a"));
            assert!(!key_may_hold(key, &template, "host", "!"));
            assert!(!key_may_hold(key, &template, "host", "^"));
            assert!(key_may_hold(key, &template, "host", ""));
        }
        let a = key_of(&template, Some("a"));
        assert!(key_may_hold(&a, &template, "host", ""));
    }

    #[test]
    fn cut_keys_hold_every_value_with_their_prefix() {
        let template = by_host();
        let long = "x".repeat(300);
        let key = key_of(&template, Some(&long));
        assert!(key_may_hold(&key, &template, "host", &long));
        assert!(key_may_hold(&key, &template, "host", &format!("{long}y")));
        assert!(!key_may_hold(&key, &template, "host", &"x".repeat(150)));
        assert!(!key_may_hold(&key, &template, "host", &format!("y{long}")));
        // A part cut at another length still matches by its prefix.
        assert!(key_may_hold("2023-11|xxx#", &template, "host", &long));
        assert!(!key_may_hold("2023-11|xxy#", &template, "host", &long));
    }

    #[test]
    fn bucket_keys_hold_only_values_of_their_bucket() {
        let template = PartitionTemplate(vec![TemplatePart::Bucket(TagBucket {
            tag_name: "host".into(),
            number_of_buckets: 10,
        })]);
        let a = key_of(&template, Some("a"));
        assert!(key_may_hold(&a, &template, "host", "a"));
        let other = (0..100)
            .map(|i| format!("h{i}"))
            .find(|v| key_of(&template, Some(v)) != a)
            .unwrap();
        assert!(!key_may_hold(&a, &template, "host", &other));
        assert!(!key_may_hold(
            &key_of(&template, None),
            &template,
            "host",
            "a"
        ));
    }

    #[test]
    fn keys_say_nothing_of_other_tags_or_when_they_do_not_fit_the_template() {
        let template = by_host();
        let a = key_of(&template, Some("a"));
        assert!(key_may_hold(&a, &template, "region", "eu"));
        assert!(key_may_hold("2023-11|a|extra", &template, "host", "b"));
        assert!(key_may_hold("2023-11", &template, "host", "b"));
        assert!(key_may_hold("2023-11-14", &default_template(), "host", "b"));
    }
}
