//! MessagePack answers on the 1.x `/query` endpoint (`Accept: application/x-msgpack`), in the
//! layout InfluxDB 1.x writes, read byte by byte here and through the official 1.x Python
//! client, which asks for them.

use std::io::Cursor;

use reqwest::StatusCode;
use rmpv::Value as Msgpack;
use serde_json::{Value, json};

use crate::harness::*;

const MSGPACK: &str = "application/x-msgpack";
/// 2023-01-01T00:00:00Z.
const T0: i64 = 1_672_531_200_000_000_000;
const MINUTE: i64 = 60_000_000_000;

async fn fixture() -> (Server, String) {
    let server = Server::start();
    let (_, token) = server.database_with_token("db").await;
    let lines = [
        format!("cpu,host=a usage=10,idle=90i,up=true,note=\"x\" {T0}"),
        format!("cpu,host=a usage=20,idle=80i {}", T0 + MINUTE),
        format!("cpu,host=a usage=30,idle=70i {}", T0 + 3 * MINUTE),
        format!("cpu,host=b usage=5,idle=95i {}", T0 + 500_000_000),
    ];
    server.write_lines(&token, "db", &lines.join("\n")).await;
    (server, token)
}

/// GET /query asking for MessagePack, as `token`.
async fn get(server: &Server, token: &str, params: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/query", server.base))
        .bearer_auth(token)
        .header("Accept", MSGPACK)
        .query(params)
        .send()
        .await
        .unwrap()
}

/// The MessagePack documents of a body, one after the other.
async fn read_documents(response: reqwest::Response) -> (StatusCode, Vec<Msgpack>) {
    let status = response.status();
    assert_eq!(response.headers()["content-type"], MSGPACK);
    let body = response.bytes().await.unwrap();
    let mut cursor = Cursor::new(&body[..]);
    let mut documents = Vec::new();
    while (cursor.position() as usize) < body.len() {
        documents.push(rmpv::decode::read_value(&mut cursor).expect("a MessagePack document"));
    }
    (status, documents)
}

/// A document as JSON, for comparing: maps as objects, times (extension 5) as
/// `{"time": [seconds, nanoseconds]}`.
fn as_json(value: &Msgpack) -> Value {
    match value {
        Msgpack::Nil => Value::Null,
        Msgpack::Boolean(b) => json!(b),
        Msgpack::Integer(i) => match i.as_i64() {
            Some(i) => json!(i),
            None => json!(i.as_u64()),
        },
        Msgpack::F64(f) => json!(f),
        Msgpack::F32(f) => json!(f),
        Msgpack::String(s) => json!(s.as_str().expect("UTF-8")),
        Msgpack::Array(items) => Value::Array(items.iter().map(as_json).collect()),
        Msgpack::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().expect("string keys").to_string(), as_json(v)))
                .collect(),
        ),
        Msgpack::Ext(5, bytes) => {
            assert_eq!(bytes.len(), 12, "a time is 12 bytes");
            let seconds = i64::from_be_bytes(bytes[..8].try_into().unwrap());
            let nanos = u32::from_be_bytes(bytes[8..].try_into().unwrap());
            json!({"time": [seconds, nanos]})
        }
        other => panic!("unexpected MessagePack value {other}"),
    }
}

/// The error of statement `id` of a one-document answer, which must name the function `nope`.
fn results_error(document: &Msgpack, id: usize) -> String {
    let error = as_json(document)["results"][id]["error"].clone();
    let error = error
        .as_str()
        .unwrap_or_else(|| panic!("statement {id}: {error}"));
    assert!(error.contains("nope()"), "{error}");
    error.to_string()
}

/// The keys of a map, in their order.
fn keys(value: &Msgpack) -> Vec<&str> {
    value
        .as_map()
        .expect("a map")
        .iter()
        .map(|(k, _)| k.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn answers_in_influxdb_s_messagepack_layout() {
    let (server, token) = fixture().await;
    let q = "SELECT usage, idle, up, note FROM cpu WHERE host = 'a'; \
             SELECT max(usage) FROM cpu GROUP BY host; \
             SELECT usage FROM nowhere; \
             SELECT nope(usage) FROM cpu";
    let (status, documents) =
        read_documents(get(&server, &token, &[("db", "db"), ("q", q)]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(documents.len(), 1, "one document");
    let document = &documents[0];
    let s = |seconds: i64, nanos: u32| json!({"time": [seconds, nanos]});
    let t0 = T0 / 1_000_000_000;
    assert_eq!(
        as_json(document),
        json!({"results": [
            {"statement_id": 0, "series": [{
                "name": "cpu",
                "columns": ["time", "usage", "idle", "up", "note"],
                "values": [
                    [s(t0, 0), 10.0, 90, true, "x"],
                    [s(t0 + 60, 0), 20.0, 80, null, null],
                    [s(t0 + 180, 0), 30.0, 70, null, null],
                ],
            }]},
            {"statement_id": 1, "series": [
                {"name": "cpu", "tags": {"host": "a"}, "columns": ["time", "max"], "values": [[s(t0 + 180, 0), 30.0]]},
                {"name": "cpu", "tags": {"host": "b"}, "columns": ["time", "max"], "values": [[s(t0, 500_000_000), 5.0]]},
            ]},
            {"statement_id": 2, "series": []},
            {"error": results_error(document, 3)},
        ]})
    );
    // The keys in 1.x's order: the statement's id before its series, a series' name and tags
    // before its columns and values.
    let results = document.as_map().unwrap()[0].1.as_array().unwrap();
    assert_eq!(keys(&results[1]), ["statement_id", "series"]);
    let grouped = results[1].as_map().unwrap()[1].1.as_array().unwrap();
    assert_eq!(keys(&grouped[0]), ["name", "tags", "columns", "values"]);
}

#[tokio::test]
async fn epochs_chunks_and_refusals_in_messagepack() {
    let (server, token) = fixture().await;
    let q = "SELECT usage FROM cpu WHERE host = 'a'";
    // epoch: times are integers in the unit.
    let (_, documents) =
        read_documents(get(&server, &token, &[("db", "db"), ("q", q), ("epoch", "s")]).await).await;
    let t0 = T0 / 1_000_000_000;
    assert_eq!(
        as_json(&documents[0])["results"][0]["series"][0]["values"],
        json!([[t0, 10.0], [t0 + 60, 20.0], [t0 + 180, 30.0]])
    );
    // Chunks: a whole document each, partial where more is to come.
    let params = [
        ("db", "db"),
        ("q", q),
        ("chunked", "true"),
        ("chunk_size", "2"),
        ("epoch", "s"),
    ];
    let (status, documents) = read_documents(get(&server, &token, &params).await).await;
    assert_eq!(status, StatusCode::OK);
    let chunks: Vec<Value> = documents.iter().map(as_json).collect();
    assert_eq!(
        chunks,
        [
            json!({"results": [{"statement_id": 0, "partial": true, "series": [{"name": "cpu", "columns": ["time", "usage"], "partial": true,
                "values": [[t0, 10.0], [t0 + 60, 20.0]]}]}]}),
            json!({"results": [{"statement_id": 0, "series": [{"name": "cpu", "columns": ["time", "usage"],
                "values": [[t0 + 180, 30.0]]}]}]}),
        ]
    );
    // A request refused as a whole says why in MessagePack, with its status.
    for (token, params, status, words) in [
        (
            "wrong",
            &[("db", "db"), ("q", q)][..],
            StatusCode::UNAUTHORIZED,
            "",
        ),
        (
            token.as_str(),
            &[("db", "db"), ("q", "SELEKT 1")][..],
            StatusCode::BAD_REQUEST,
            "SELEKT",
        ),
        (
            token.as_str(),
            &[("db", "db"), ("q", q), ("epoch", "days")][..],
            StatusCode::BAD_REQUEST,
            "is not a time unit",
        ),
    ] {
        let (got, documents) = read_documents(get(&server, token, params).await).await;
        assert_eq!(got, status, "{params:?}");
        let answer = as_json(&documents[0]);
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"));
        assert!(error.contains(words), "{error}");
    }
}

#[tokio::test]
async fn the_official_influxdb_1x_python_client_reads_messagepack() {
    let Some(python) = python() else { return };
    let server = Server::start();
    let (_, token) = server.database_with_token("db").await;
    let address = server.base.trim_start_matches("http://");
    let (host, port) = address.rsplit_once(':').unwrap();
    let answers = run_python(&python, "influxdb1_client.py", &[host, port, &token, "db"]);
    assert_eq!(
        answers["raw"],
        json!([
            {"time": "2023-11-14T22:13:20Z", "city": "oslo", "humidity": 80, "station": "north", "sunny": false, "temp": -3.5},
            {"time": "2023-11-14T22:13:20.500000Z", "city": "lima", "humidity": 71, "station": "coast", "sunny": true, "temp": 19.25},
            {"time": "2023-11-14T22:14:20Z", "city": "oslo", "humidity": 82, "station": "north", "sunny": false, "temp": -4.0},
        ])
    );
    assert_eq!(
        answers["epoch_ms"],
        json!([
            {"time": 1_700_000_000_000i64, "temp": -3.5},
            {"time": 1_700_000_000_500i64, "temp": 19.25},
            {"time": 1_700_000_060_000i64, "temp": -4.0},
        ])
    );
    assert_eq!(
        answers["grouped"],
        json!({
            "lima": [{"time": "2023-11-14T22:13:20.500000Z", "max": 19.25}],
            "oslo": [{"time": "2023-11-14T22:13:20Z", "max": -3.5}],
        })
    );
    assert_eq!(
        answers["several"],
        json!([[{"time": "1970-01-01T00:00:00Z", "count": 3}], [{"name": "weather"}]])
    );
    let error = answers["error"].as_str().unwrap();
    assert!(error.contains("nope()"), "{error}");
    assert_eq!(answers["refused"]["code"], 401, "{answers}");
}

#[tokio::test]
async fn a_large_statement_streams_in_chunks_of_documents() {
    let (server, token) = fixture().await;
    let rows = 100_000;
    let lines: Vec<String> = (0..rows).map(|i| format!("m v={i} {}", T0 + i)).collect();
    server.write_lines(&token, "db", &lines.join("\n")).await;
    let params = [
        ("db", "db"),
        ("q", "SELECT v FROM m"),
        ("chunked", "true"),
        ("chunk_size", "5000"),
    ];
    let (status, documents) = read_documents(get(&server, &token, &params).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(documents.len(), 20);
    let mut next = 0;
    for document in &documents {
        for row in as_json(document)["results"][0]["series"][0]["values"]
            .as_array()
            .unwrap()
        {
            assert_eq!(row[1], next as f64);
            next += 1;
        }
    }
    assert_eq!(next, rows);
}
