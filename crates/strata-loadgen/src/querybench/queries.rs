//! The queries: how `--query` names one, and the built-in sets, one for each shape of data the
//! load generator writes, which read its `cpu` table over the span of time the data covers.

use crate::data::{Shape, cpu_tags, host_name};
use crate::time::rfc3339;

const MINUTE_NS: u64 = 60 * 1_000_000_000;
const HOUR_NS: u64 = 60 * MINUTE_NS;
const DAY_NS: u64 = 24 * HOUR_NS;

/// The one host the hosts workload's Q2 reads, as the issue's benchmark names it; with fewer
/// hosts that query matches nothing.
const Q2_HOST: usize = 42;

/// A query language, and the endpoint that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// `GET /api/v3/query_sql`, answered as a JSON array of rows.
    Sql,
    /// `GET /query`, InfluxDB 1.x's endpoint, which InfluxQL clients and dashboards use;
    /// answered as `{"results": [{"series": […]}]}`.
    Influxql,
    /// `GET /api/v3/query_influxql`, answered as a JSON array of rows.
    InfluxqlV3,
}

impl Language {
    const ALL: [Language; 3] = [Language::Sql, Language::Influxql, Language::InfluxqlV3];

    pub fn name(self) -> &'static str {
        match self {
            Language::Sql => "sql",
            Language::Influxql => "influxql",
            Language::InfluxqlV3 => "influxql-v3",
        }
    }

    /// The endpoint's path and its parameters besides the database and the query.
    pub fn endpoint(self) -> (&'static str, &'static [(&'static str, &'static str)]) {
        match self {
            Language::Sql => ("/api/v3/query_sql", &[("format", "json")]),
            Language::Influxql => ("/query", &[]),
            Language::InfluxqlV3 => ("/api/v3/query_influxql", &[("format", "json")]),
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|l| l.name() == text)
            .ok_or_else(|| {
                format!("{text:?} is not a query language; use sql, influxql (the 1.x /query endpoint) or influxql-v3")
            })
    }
}

/// One query of the benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Unique in a run: a `--query` of a built-in name replaces that query.
    pub name: String,
    pub language: Language,
    pub text: String,
}

/// `NAME=LANG:TEXT`, as `--query` takes it; the text may hold `=` and `:`.
pub fn parse_query(spec: &str) -> Result<Query, String> {
    let form = || {
        format!(
            "{spec:?} is not a query; write NAME=LANG:TEXT, e.g. hosts=sql:SELECT DISTINCT host FROM cpu"
        )
    };
    let (name, rest) = spec.split_once('=').ok_or_else(form)?;
    let (language, text) = rest.split_once(':').ok_or_else(form)?;
    let (name, text) = (name.trim(), text.trim());
    if name.is_empty() || text.is_empty() {
        return Err(form());
    }
    Ok(Query {
        name: name.to_owned(),
        language: Language::parse(language.trim())?,
        text: text.to_owned(),
    })
}

/// `defaults`, with each of `given` replacing the query of its name in place or, if none has
/// it, added at the end.
pub fn with_overrides(mut defaults: Vec<Query>, given: Vec<Query>) -> Vec<Query> {
    for query in given {
        match defaults.iter_mut().find(|q| q.name == query.name) {
            Some(known) => *known = query,
            None => defaults.push(query),
        }
    }
    defaults
}

/// The times of the data's first and last point, in nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRange {
    pub first_ns: u64,
    pub last_ns: u64,
}

impl DataRange {
    /// The hour from the whole minute at or before the middle of the data: far from both ends,
    /// so it reads persisted data, and aligned, so `GROUP BY time(1m)` gives 60 whole minutes.
    fn middle_hour(self) -> (u64, u64) {
        let middle = self.first_ns + (self.last_ns - self.first_ns) / 2;
        let start = middle / MINUTE_NS * MINUTE_NS;
        (start, start + HOUR_NS)
    }

    /// The day up to the first whole minute after the last point.
    fn last_day(self) -> (u64, u64) {
        let end = (self.last_ns / MINUTE_NS + 1) * MINUTE_NS;
        (end.saturating_sub(DAY_NS), end)
    }
}

/// The built-in set for the data of one shape (`--workload`).
pub fn built_in_queries(workload: Shape, range: DataRange) -> Vec<Query> {
    match workload {
        Shape::Fleet => fleet_queries(range),
        Shape::Hosts => hosts_queries(range),
    }
}

fn query(name: &str, language: Language, text: impl Into<String>) -> Query {
    Query {
        name: name.to_owned(),
        language,
        text: text.into(),
    }
}

/// The condition on `time` of a window, as both languages write it.
fn time_within((start, end): (u64, u64)) -> String {
    format!("time >= '{}' AND time < '{}'", rfc3339(start), rfc3339(end))
}

/// The fleet's set, each in InfluxQL and in SQL: the last value of every series, a one-minute
/// mean over an hour of one series, aggregates over a day of every series, and the hosts.
fn fleet_queries(range: DataRange) -> Vec<Query> {
    let tags = cpu_tags(0, 0);
    let keys = tags.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ");
    let series = tags
        .iter()
        .map(|(k, v)| format!("{k} = '{v}'"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let hour = time_within(range.middle_hour());
    let day = time_within(range.last_day());
    use Language::{Influxql, Sql};
    vec![
        query(
            "last-influxql",
            Influxql,
            "SELECT last(usage_user) FROM cpu GROUP BY *",
        ),
        query(
            "last-sql",
            Sql,
            format!(
                "SELECT DISTINCT ON ({keys}) {keys}, time, usage_user FROM cpu ORDER BY {keys}, time DESC"
            ),
        ),
        query(
            "hour-influxql",
            Influxql,
            format!("SELECT mean(usage_user) FROM cpu WHERE {series} AND {hour} GROUP BY time(1m)"),
        ),
        query(
            "hour-sql",
            Sql,
            format!(
                "SELECT date_bin(INTERVAL '1 minute', time) AS time, avg(usage_user) AS mean FROM cpu WHERE {series} AND {hour} GROUP BY 1 ORDER BY 1"
            ),
        ),
        query(
            "day-influxql",
            Influxql,
            format!(
                "SELECT mean(usage_user), max(usage_user), count(usage_user) FROM cpu WHERE {day}"
            ),
        ),
        query(
            "day-sql",
            Sql,
            format!(
                "SELECT avg(usage_user) AS mean, max(usage_user) AS max, count(usage_user) AS count FROM cpu WHERE {day}"
            ),
        ),
        query(
            "hosts-influxql",
            Influxql,
            "SHOW TAG VALUES FROM cpu WITH KEY = host",
        ),
        query(
            "hosts-sql",
            Sql,
            "SELECT DISTINCT host FROM cpu ORDER BY host",
        ),
    ]
}

/// The hosts workload's set, issue 11's Q1 to Q5, each in InfluxQL and in SQL: the last value
/// of every host, a one-minute mean over an hour of one host, aggregates over a day by host, a
/// count of every point, and the hosts.
fn hosts_queries(range: DataRange) -> Vec<Query> {
    let host = host_name(Q2_HOST);
    let hour = time_within(range.middle_hour());
    let day = time_within(range.last_day());
    use Language::{Influxql, Sql};
    vec![
        query(
            "q1-influxql",
            Influxql,
            "SELECT last(usage_user) FROM cpu GROUP BY host",
        ),
        query(
            "q1-sql",
            Sql,
            "SELECT host, last_value(usage_user ORDER BY time) AS usage_user, max(time) AS time FROM cpu GROUP BY host",
        ),
        query(
            "q2-influxql",
            Influxql,
            format!(
                "SELECT mean(usage_user) FROM cpu WHERE host = '{host}' AND {hour} GROUP BY time(1m)"
            ),
        ),
        query(
            "q2-sql",
            Sql,
            format!(
                "SELECT date_bin(INTERVAL '1 minute', time) AS time, avg(usage_user) AS mean FROM cpu WHERE host = '{host}' AND {hour} GROUP BY 1 ORDER BY 1"
            ),
        ),
        query(
            "q3-influxql",
            Influxql,
            format!(
                "SELECT mean(usage_user), max(usage_system) FROM cpu WHERE {day} GROUP BY host"
            ),
        ),
        query(
            "q3-sql",
            Sql,
            format!(
                "SELECT host, avg(usage_user) AS mean, max(usage_system) AS max FROM cpu WHERE {day} GROUP BY host"
            ),
        ),
        query("q4-influxql", Influxql, "SELECT count(usage_user) FROM cpu"),
        query("q4-sql", Sql, "SELECT count(usage_user) AS count FROM cpu"),
        query(
            "q5-influxql",
            Influxql,
            "SHOW TAG VALUES FROM cpu WITH KEY = host",
        ),
        query("q5-sql", Sql, "SELECT DISTINCT host FROM cpu"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Dataset, Precision};

    /// 2023-11-14T22:13:20Z.
    const T0: u64 = 1_700_000_000_000_000_000;

    #[test]
    fn query_flags() {
        assert_eq!(
            parse_query("hosts=sql:SELECT DISTINCT host FROM cpu WHERE host = 'a:b'"),
            Ok(Query {
                name: "hosts".into(),
                language: Language::Sql,
                text: "SELECT DISTINCT host FROM cpu WHERE host = 'a:b'".into(),
            })
        );
        let query = parse_query(" x = influxql-v3 : SHOW MEASUREMENTS ").unwrap();
        assert_eq!(
            (query.name.as_str(), query.language, query.text.as_str()),
            ("x", Language::InfluxqlV3, "SHOW MEASUREMENTS")
        );
        assert_eq!(
            parse_query("x=influxql:SELECT 1").unwrap().language,
            Language::Influxql
        );
        for bad in [
            "SELECT 1",
            "x=SELECT 1",
            "=sql:SELECT 1",
            "x=sql:",
            "x=sql: ",
        ] {
            let error = parse_query(bad).unwrap_err();
            assert!(error.contains("NAME=LANG:TEXT"), "{bad:?}: {error}");
        }
        let error = parse_query("x=flux:from(bucket: \"b\")").unwrap_err();
        assert!(
            error.contains("\"flux\" is not a query language"),
            "{error}"
        );
    }

    #[test]
    fn given_queries_replace_by_name_or_are_added() {
        let q = |name: &str, text: &str| Query {
            name: name.into(),
            language: Language::Sql,
            text: text.into(),
        };
        let all = with_overrides(
            vec![q("a", "1"), q("b", "2")],
            vec![q("c", "3"), q("a", "4"), q("c", "5")],
        );
        assert_eq!(all, [q("a", "4"), q("b", "2"), q("c", "5")]);
    }

    #[test]
    fn windows_are_whole_minutes_within_the_data() {
        // 1,000 rounds 86.4 s apart from 19:53:20.5.
        let first = T0 + 500_000_000 - 2 * HOUR_NS - 20 * MINUTE_NS;
        let range = DataRange {
            first_ns: first,
            last_ns: first + 999 * 86_400_000_000,
        };
        let (start, end) = range.middle_hour();
        assert_eq!(rfc3339(start), "2023-11-15T07:52:00Z");
        assert_eq!(end - start, HOUR_NS);
        let (start, end) = range.last_day();
        assert_eq!(rfc3339(end), "2023-11-15T19:52:00Z");
        assert_eq!(end - start, DAY_NS);
        assert!(start < range.first_ns && range.last_ns < end);
        // A point on a whole minute is inside the day that ends after it.
        let on_minute = DataRange {
            first_ns: T0 - 20_000_000_000,
            last_ns: T0 - 20_000_000_000,
        };
        assert_eq!(rfc3339(on_minute.last_day().1), "2023-11-14T22:14:00Z");
    }

    #[test]
    fn built_in_queries_read_what_the_load_generator_writes() {
        let queries = built_in_queries(
            Shape::Fleet,
            DataRange {
                first_ns: T0,
                last_ns: T0 + DAY_NS - 1,
            },
        );
        let names: Vec<_> = queries.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "last-influxql",
                "last-sql",
                "hour-influxql",
                "hour-sql",
                "day-influxql",
                "day-sql",
                "hosts-influxql",
                "hosts-sql"
            ]
        );
        let mut line = Vec::new();
        Dataset::fleet(1, 1, T0, 1).write_lines(0, 1, &mut line);
        let line = String::from_utf8(line).unwrap();
        assert!(
            line.starts_with(
                "cpu,cpu=cpu0,dc=us-east-1a,host=host-00000,region=us-east-1 usage_user="
            ),
            "{line}"
        );
        let hour = &queries[2].text;
        assert_eq!(
            hour,
            "SELECT mean(usage_user) FROM cpu WHERE cpu = 'cpu0' AND dc = 'us-east-1a' AND host = 'host-00000' AND region = 'us-east-1' AND time >= '2023-11-15T10:13:00Z' AND time < '2023-11-15T11:13:00Z' GROUP BY time(1m)"
        );
        assert!(
            queries[1]
                .text
                .starts_with("SELECT DISTINCT ON (cpu, dc, host, region) cpu, dc, host, region,"),
            "{}",
            queries[1].text
        );
        assert!(
            queries[5].text.ends_with(
                "FROM cpu WHERE time >= '2023-11-14T22:14:00Z' AND time < '2023-11-15T22:14:00Z'"
            ),
            "{}",
            queries[5].text
        );
    }

    #[test]
    fn the_hosts_workload_is_the_issues_five_queries_in_both_languages() {
        let range = DataRange {
            first_ns: T0,
            last_ns: T0 + DAY_NS - 10_000_000_000,
        };
        let queries = built_in_queries(Shape::Hosts, range);
        let names: Vec<_> = queries
            .iter()
            .map(|q| format!("{} {}", q.name, q.language.name()))
            .collect();
        assert_eq!(
            names,
            [
                "q1-influxql influxql",
                "q1-sql sql",
                "q2-influxql influxql",
                "q2-sql sql",
                "q3-influxql influxql",
                "q3-sql sql",
                "q4-influxql influxql",
                "q4-sql sql",
                "q5-influxql influxql",
                "q5-sql sql"
            ]
        );
        let text = |name: &str| {
            queries
                .iter()
                .find(|q| q.name == name)
                .map(|q| q.text.as_str())
                .unwrap()
        };
        assert_eq!(
            text("q1-influxql"),
            "SELECT last(usage_user) FROM cpu GROUP BY host"
        );
        assert_eq!(
            text("q2-influxql"),
            "SELECT mean(usage_user) FROM cpu WHERE host = 'host-00042' AND time >= '2023-11-15T10:13:00Z' AND time < '2023-11-15T11:13:00Z' GROUP BY time(1m)"
        );
        assert_eq!(
            text("q2-sql"),
            "SELECT date_bin(INTERVAL '1 minute', time) AS time, avg(usage_user) AS mean FROM cpu WHERE host = 'host-00042' AND time >= '2023-11-15T10:13:00Z' AND time < '2023-11-15T11:13:00Z' GROUP BY 1 ORDER BY 1"
        );
        assert_eq!(
            text("q3-sql"),
            "SELECT host, avg(usage_user) AS mean, max(usage_system) AS max FROM cpu WHERE time >= '2023-11-14T22:14:00Z' AND time < '2023-11-15T22:14:00Z' GROUP BY host"
        );
        assert_eq!(text("q4-sql"), "SELECT count(usage_user) AS count FROM cpu");
        assert_eq!(text("q5-sql"), "SELECT DISTINCT host FROM cpu");

        // Q2's host and the fields read are what a hosts dataset writes.
        let mut line = Vec::new();
        Dataset::one_per_host(Q2_HOST + 1, T0, 10_000_000_000)
            .in_precision(Precision::S)
            .write_lines(Q2_HOST as u64, 1, &mut line);
        let line = String::from_utf8(line).unwrap();
        assert!(line.starts_with("cpu,dc="), "{line}");
        assert!(line.contains(",host=host-00042,"), "{line}");
        for field in ["usage_user=", "usage_system="] {
            assert!(line.contains(field), "{line}");
        }
    }
}
