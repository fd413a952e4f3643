//! Running the queries against a server, and the table of what they measured.

use std::fmt::Write;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Client;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde_json::Value;

use super::queries::{DataRange, Language, Query};
use crate::http::{bearer, endpoint_url, error_chain};
use crate::report::{group, percentile, truncate};

/// A server's database, queried with one token over one kept-alive connection.
pub struct Bench {
    client: Client,
    base_url: String,
    database: String,
}

/// What the runs of one query measured.
#[derive(Debug)]
pub struct Outcome {
    pub query: Query,
    /// Rows of the last answer.
    pub rows: Option<u64>,
    /// Each timed run's latency, in microseconds.
    pub latencies_us: Vec<u64>,
    /// Why the query stopped, if it failed.
    pub error: Option<String>,
}

impl Bench {
    pub fn new(
        base_url: &str,
        token: &str,
        database: &str,
        timeout: Duration,
    ) -> Result<Self, String> {
        // A bad --url fails here, before the first query.
        endpoint_url(base_url, "/", &[])?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, bearer(token)?);
        let client = Client::builder()
            .http1_only()
            .tcp_nodelay(true)
            .timeout(timeout)
            .default_headers(headers)
            .user_agent(concat!("strata-querybench/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Bench {
            client,
            base_url: base_url.to_owned(),
            database: database.to_owned(),
        })
    }

    /// The times of the first and last point in `cpu`, for queries over the data's span.
    pub async fn data_range(&self) -> Result<DataRange, String> {
        let query = Query {
            name: "data range".into(),
            language: Language::Sql,
            text: "SELECT CAST(min(time) AS BIGINT) AS first, CAST(max(time) AS BIGINT) AS last FROM cpu".into(),
        };
        let (body, _) = self.fetch(&query).await?;
        let answer: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("the answer to {:?} is not JSON: {e}", query.text))?;
        let time = |column| answer[0][column].as_u64();
        match (time("first"), time("last")) {
            (Some(first_ns), Some(last_ns)) => Ok(DataRange { first_ns, last_ns }),
            _ => Err(format!(
                "no first and last time in cpu: {:?} answered {}",
                query.text,
                truncate(String::from_utf8_lossy(&body).into_owned())
            )),
        }
    }

    /// `warmup` untimed runs, then `runs` timed ones; the first failure ends the query.
    pub async fn measure(&self, query: Query, warmup: usize, runs: usize) -> Outcome {
        let mut outcome = Outcome {
            query,
            rows: None,
            latencies_us: Vec::with_capacity(runs),
            error: None,
        };
        for run in 0..warmup + runs {
            let answer = self
                .fetch(&outcome.query)
                .await
                .and_then(|(body, took)| Ok((count_rows(outcome.query.language, &body)?, took)));
            match answer {
                Ok((rows, took)) if run >= warmup => {
                    outcome.rows = Some(rows);
                    outcome.latencies_us.push(took.as_micros() as u64);
                }
                Ok(_) => {}
                Err(error) => {
                    outcome.error = Some(error);
                    break;
                }
            }
        }
        outcome
    }

    /// Runs `query` once: its answer, and the time from sending it to the answer's last byte.
    async fn fetch(&self, query: &Query) -> Result<(Bytes, Duration), String> {
        let (path, parameters) = query.language.endpoint();
        let mut all = vec![("db", self.database.as_str()), ("q", query.text.as_str())];
        all.extend_from_slice(parameters);
        let url = endpoint_url(&self.base_url, path, &all)?;
        let sent = Instant::now();
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| error_chain(&e))?;
        let took = sent.elapsed();
        if !status.is_success() {
            return Err(format!("{status}: {}", error_text(&body)));
        }
        Ok((body, took))
    }
}

/// The message of an error answer: the `error` of InfluxDB's `{"error": "…"}`, else the body.
fn error_text(body: &[u8]) -> String {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned));
    truncate(message.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()))
}

/// The rows of a successful answer. A 1.x answer counts the values of every series, and one
/// of its statements failing fails the query, though the answer's status is 200.
pub fn count_rows(language: Language, body: &[u8]) -> Result<u64, String> {
    let answer: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    if language != Language::Influxql {
        return answer
            .as_array()
            .map(|rows| rows.len() as u64)
            .ok_or_else(|| "the answer is not a JSON array of rows".to_owned());
    }
    let results = answer["results"]
        .as_array()
        .ok_or_else(|| "the answer has no \"results\"".to_owned())?;
    let mut rows = 0;
    for result in results {
        if let Some(error) = result.get("error") {
            return Err(truncate(
                error
                    .as_str()
                    .map_or_else(|| error.to_string(), str::to_owned),
            ));
        }
        for series in result["series"].as_array().into_iter().flatten() {
            rows += series["values"].as_array().map_or(0, Vec::len) as u64;
        }
    }
    Ok(rows)
}

/// One line a query: name, language, rows and latency (min, p50, p90, max) in aligned columns,
/// then why any query failed.
pub fn table(outcomes: &[Outcome]) -> String {
    let header = [
        "query", "language", "rows", "min ms", "p50 ms", "p90 ms", "max ms",
    ];
    let mut lines = vec![header.map(str::to_owned)];
    for outcome in outcomes {
        let mut sorted = outcome.latencies_us.clone();
        sorted.sort_unstable();
        let ms = |p: f64| {
            percentile(&sorted, p)
                .map_or_else(|| "-".into(), |us| format!("{:.2}", us as f64 / 1e3))
        };
        let rows = match (&outcome.error, outcome.rows) {
            (Some(_), _) => "failed".into(),
            (None, Some(rows)) => group(rows),
            (None, None) => "-".into(),
        };
        lines.push([
            outcome.query.name.clone(),
            outcome.query.language.name().into(),
            rows,
            ms(0.0),
            ms(0.5),
            ms(0.9),
            ms(1.0),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &width))| match c {
                0 | 1 => format!("{cell:<width$}"),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    for outcome in outcomes {
        if let Some(error) = &outcome.error {
            let query = &outcome.query;
            let _ = writeln!(
                out,
                "\n{} ({}) failed: {error}\n  the query: {}",
                query.name,
                query.language.name(),
                query.text
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, language: Language) -> Query {
        Query {
            name: name.into(),
            language,
            text: "SELECT 1".into(),
        }
    }

    #[test]
    fn rows_of_each_answer_shape() {
        let rows = br#"[{"host":"a"},{"host":"b"}]"#;
        assert_eq!(count_rows(Language::Sql, rows), Ok(2));
        assert_eq!(count_rows(Language::InfluxqlV3, b"[]"), Ok(0));
        let v1 = br#"{"results":[{"statement_id":0,"series":[
            {"name":"cpu","tags":{"host":"a"},"columns":["time","last"],"values":[["t",1],["t",2]]},
            {"name":"cpu","tags":{"host":"b"},"columns":["time","last"],"values":[["t",3]]}]},
            {"statement_id":1}]}"#;
        assert_eq!(count_rows(Language::Influxql, v1), Ok(3));
        let failed = br#"{"results":[{"statement_id":0,"error":"field not found"}]}"#;
        assert_eq!(
            count_rows(Language::Influxql, failed),
            Err("field not found".into())
        );
        assert!(count_rows(Language::Influxql, rows).is_err());
        assert!(count_rows(Language::Sql, v1).is_err());
        assert!(count_rows(Language::Sql, b"<html>").is_err());
    }

    #[test]
    fn error_answers() {
        assert_eq!(
            error_text(br#"{"error":"table 'cpu' not found"}"#),
            "table 'cpu' not found"
        );
        assert_eq!(error_text(b"bad\ngateway\n"), "bad gateway");
    }

    #[test]
    fn an_aligned_table_and_the_failures_under_it() {
        let outcomes = [
            Outcome {
                query: query("last-influxql", Language::Influxql),
                rows: Some(5_336),
                latencies_us: (1..=10).rev().map(|ms| ms * 1_000).collect(),
                error: None,
            },
            Outcome {
                query: query("x", Language::InfluxqlV3),
                rows: None,
                latencies_us: vec![],
                error: Some("400 Bad Request: no such field".into()),
            },
            Outcome {
                query: query("hosts-sql", Language::Sql),
                rows: Some(0),
                latencies_us: vec![1_234_567],
                error: None,
            },
        ];
        let expected = "\
query          language       rows   min ms   p50 ms   p90 ms   max ms
last-influxql  influxql      5,336     1.00     5.00     9.00    10.00
x              influxql-v3  failed        -        -        -        -
hosts-sql      sql               0  1234.57  1234.57  1234.57  1234.57

x (influxql-v3) failed: 400 Bad Request: no such field
  the query: SELECT 1
";
        assert_eq!(table(&outcomes), expected);
    }
}
