use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

pub const DEFAULT_TIME_FORMAT: &str = "%Y-%m-%d";
const MAX_PARTS: usize = 8;
const MAX_BUCKETS: i32 = 100_000;

/// One part of a partition template, in the Management API's JSON shape:
/// `{"type":"time","value":"%Y"}`, `{"type":"tag","value":"host"}`,
/// `{"type":"bucket","value":{"tagName":"host","numberOfBuckets":10}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum TemplatePart {
    Time(String),
    Tag(String),
    Bucket(TagBucket),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagBucket {
    pub tag_name: String,
    pub number_of_buckets: i32,
}

/// How a table's rows are split into partitions: at most one time part and up to seven
/// tag or tag-bucket parts, eight parts at most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartitionTemplate(pub Vec<TemplatePart>);

impl PartitionTemplate {
    pub fn validate(&self) -> Result<()> {
        let parts = &self.0;
        if parts.is_empty() || parts.len() > MAX_PARTS {
            return Err(Error::invalid(format!(
                "partitionTemplate has {} parts; give between 1 and {MAX_PARTS}",
                parts.len()
            )));
        }
        let mut time_parts = 0;
        let mut tags = HashSet::new();
        for part in parts {
            let tag = match part {
                TemplatePart::Time(format) => {
                    time_parts += 1;
                    if !matches!(format.as_str(), "%Y-%m-%d" | "%Y-%m" | "%Y") {
                        return Err(Error::invalid(format!(
                            "partitionTemplate time format {format:?} is not supported; use \"%Y-%m-%d\", \"%Y-%m\" or \"%Y\""
                        )));
                    }
                    continue;
                }
                TemplatePart::Tag(tag) => tag,
                TemplatePart::Bucket(bucket) => {
                    if !(1..=MAX_BUCKETS).contains(&bucket.number_of_buckets) {
                        return Err(Error::invalid(format!(
                            "partitionTemplate bucket part for tag {:?} has {} buckets; give between 1 and {MAX_BUCKETS}",
                            bucket.tag_name, bucket.number_of_buckets
                        )));
                    }
                    &bucket.tag_name
                }
            };
            if tag.is_empty() || tag == "time" {
                return Err(Error::invalid(format!(
                    "partitionTemplate tag name {tag:?} is not allowed; name a tag other than \"time\""
                )));
            }
            if !tags.insert(tag.as_str()) {
                return Err(Error::invalid(format!(
                    "partitionTemplate names tag {tag:?} more than once; each tag may appear in one part only"
                )));
            }
        }
        if time_parts > 1 {
            return Err(Error::invalid(
                "partitionTemplate has more than one time part; give at most one",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> PartitionTemplate {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn api_shape_round_trips() {
        let json = r#"[{"type":"time","value":"%Y"},{"type":"tag","value":"host"},{"type":"bucket","value":{"tagName":"rack","numberOfBuckets":10}}]"#;
        let template = parse(json);
        template.validate().unwrap();
        assert_eq!(serde_json::to_string(&template).unwrap(), json);
    }

    #[test]
    fn rejects_bad_templates() {
        for bad in [
            "[]",
            r#"[{"type":"time","value":"%H"}]"#,
            r#"[{"type":"tag","value":"a"},{"type":"tag","value":"a"}]"#,
            r#"[{"type":"tag","value":"time"}]"#,
            r#"[{"type":"time","value":"%Y"},{"type":"time","value":"%Y-%m"}]"#,
            r#"[{"type":"bucket","value":{"tagName":"a","numberOfBuckets":0}}]"#,
        ] {
            assert!(parse(bad).validate().is_err(), "{bad} accepted");
        }
    }
}
