//! Flight SQL on the server's one port: statement queries, prepared statements with parameters,
//! the catalog commands and the refusals, driven by arrow-flight's `FlightSqlServiceClient`
//! over a real gRPC channel and by the ADBC Flight SQL driver from Python.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::util::pretty::pretty_format_batches;
use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{
    CommandGetDbSchemas, CommandGetPrimaryKeys, CommandGetTables, CommandGetXdbcTypeInfo, SqlInfo,
};
use arrow_flight::{FlightInfo, IpcMessage, Ticket};
use futures::TryStreamExt;
use serde_json::json;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::*;

type Client = FlightSqlServiceClient<Channel>;

/// A server with database `db` holding three `cpu` rows, and a token that may read and write it.
async fn fixture() -> (Server, Api, String) {
    let server = Server::start();
    let (mgmt, token) = server.database_with_token("db").await;
    server
        .write_lines(
            &token,
            "db",
            "cpu,host=a usage=0.5 1000000000\ncpu,host=b usage=0.75 2000000000\ncpu,host=a usage=0.25 3000000000\n",
        )
        .await;
    (server, mgmt, token)
}

/// A Flight SQL client sending `token` as a bearer token and `database` in the `database`
/// header, each when given.
async fn client(server: &Server, token: Option<&str>, database: Option<&str>) -> Client {
    let channel = Channel::from_shared(server.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = FlightSqlServiceClient::new(channel);
    if let Some(token) = token {
        client.set_token(token.to_string());
    }
    if let Some(database) = database {
        client.set_header("database", database);
    }
    client
}

/// Every batch the endpoints of `info` stream, fetched with `client`.
async fn fetch(client: &mut Client, info: FlightInfo) -> Result<Vec<RecordBatch>, FlightError> {
    let mut batches = vec![];
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.expect("an endpoint has a ticket");
        let stream = client.do_get(ticket).await?;
        batches.extend(stream.try_collect::<Vec<_>>().await?);
    }
    Ok(batches)
}

async fn query(client: &mut Client, sql: &str) -> Result<Vec<RecordBatch>, FlightError> {
    let info = client.execute(sql.to_string(), None).await?;
    fetch(client, info).await
}

fn table(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

/// The gRPC status of a failed call.
#[track_caller]
fn refusal<T: std::fmt::Debug>(result: Result<T, FlightError>) -> (Code, String) {
    match result {
        Err(FlightError::Tonic(status)) => (status.code(), status.message().to_string()),
        other => panic!("expected a gRPC error, got {other:?}"),
    }
}

/// One column of strings from every batch.
fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let array = b.column_by_name(column).expect("the column");
            let array = array.as_any().downcast_ref::<StringArray>().unwrap();
            array
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn parameters(columns: Vec<ArrayRef>) -> RecordBatch {
    let fields: Vec<_> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| Field::new(format!("p{i}"), c.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

#[tokio::test]
async fn statement_queries_answer_with_the_written_rows() {
    let (server, _, token) = fixture().await;
    let mut client = client(&server, Some(&token), Some("db")).await;

    let info = client
        .execute(
            "SELECT host, usage, time FROM cpu ORDER BY time".into(),
            None,
        )
        .await
        .unwrap();
    let schema = info.clone().try_decode_schema().unwrap();
    let announced: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type().clone()))
        .collect();
    assert_eq!(
        announced,
        [
            ("host", DataType::Utf8),
            ("usage", DataType::Float64),
            (
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
            ),
        ]
    );
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(batches[0].schema().as_ref(), &schema);
    assert_eq!(
        table(&batches),
        "+------+-------+----------------------+\n\
         | host | usage | time                 |\n\
         +------+-------+----------------------+\n\
         | a    | 0.5   | 1970-01-01T00:00:01Z |\n\
         | b    | 0.75  | 1970-01-01T00:00:02Z |\n\
         | a    | 0.25  | 1970-01-01T00:00:03Z |\n\
         +------+-------+----------------------+"
    );

    // InfluxDB's JSON ticket still works on the same DoGet.
    let ticket = json!({"database": "db", "sql_query": "SELECT count(*) AS n FROM cpu"});
    let stream = client
        .do_get(Ticket::new(ticket.to_string()))
        .await
        .unwrap();
    let batches: Vec<_> = stream.try_collect().await.unwrap();
    assert!(table(&batches).contains("| 3 |"), "{}", table(&batches));
}

#[tokio::test]
async fn prepared_statements_bind_parameters() {
    let (server, _, token) = fixture().await;
    let mut client = client(&server, Some(&token), Some("db")).await;

    let mut statement = client
        .prepare(
            "SELECT host, usage FROM cpu WHERE host = $1 ORDER BY time".into(),
            None,
        )
        .await
        .unwrap();
    let parameter_schema = statement.parameter_schema().unwrap().clone();
    assert_eq!(
        parameter_schema,
        Schema::new(vec![Field::new("$1", DataType::Utf8, true)])
    );
    let dataset: Vec<_> = statement
        .dataset_schema()
        .unwrap()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(dataset, ["host", "usage"]);

    statement
        .set_parameters(parameters(vec![Arc::new(StringArray::from(vec!["a"]))]))
        .unwrap();
    let info = statement.execute().await.unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(
        table(&batches),
        "+------+-------+\n\
         | host | usage |\n\
         +------+-------+\n\
         | a    | 0.5   |\n\
         | a    | 0.25  |\n\
         +------+-------+"
    );
    statement.close().await.unwrap();

    // `?` placeholders, and an integer bound for a float field.
    let mut statement = client
        .prepare(
            "SELECT host FROM cpu WHERE usage > ? AND host <> ? ORDER BY time".into(),
            None,
        )
        .await
        .unwrap();
    statement
        .set_parameters(parameters(vec![
            Arc::new(Int64Array::from(vec![0])),
            Arc::new(StringArray::from(vec!["b"])),
        ]))
        .unwrap();
    let info = statement.execute().await.unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(strings(&batches, "host"), ["a", "a"]);

    // A value that does not fit its placeholder is refused by name, when bound.
    let mut statement = client
        .prepare("SELECT host FROM cpu WHERE usage > $1".into(), None)
        .await
        .unwrap();
    statement
        .set_parameters(parameters(vec![Arc::new(StringArray::from(vec!["high"]))]))
        .unwrap();
    let (code, message) = refusal(statement.execute().await);
    assert_eq!(code, Code::InvalidArgument, "{message}");
    assert!(
        message.contains("parameter $1 must be Float64") && message.contains("high"),
        "{message}"
    );

    // Running a statement whose parameters were never bound says so.
    let mut statement = client
        .prepare("SELECT host FROM cpu WHERE host = $1".into(), None)
        .await
        .unwrap();
    let info = statement.execute().await.unwrap();
    let (code, message) = refusal(fetch(&mut client, info).await);
    assert_eq!(code, Code::InvalidArgument, "{message}");
    assert!(
        message.contains("takes 1 parameter but none were bound"),
        "{message}"
    );
}

#[tokio::test]
async fn catalog_commands_describe_the_database() {
    let (server, _, token) = fixture().await;
    let mut client = client(&server, Some(&token), Some("db")).await;

    let info = client.get_catalogs().await.unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(strings(&batches, "catalog_name"), ["public"]);

    let schemas = async |client: &mut Client, catalog: Option<&str>, pattern: Option<&str>| {
        let info = client
            .get_db_schemas(CommandGetDbSchemas {
                catalog: catalog.map(str::to_string),
                db_schema_filter_pattern: pattern.map(str::to_string),
            })
            .await
            .unwrap();
        strings(&fetch(client, info).await.unwrap(), "db_schema_name")
    };
    assert_eq!(
        schemas(&mut client, None, None).await,
        ["information_schema", "iox"]
    );
    assert_eq!(
        schemas(&mut client, Some("public"), Some("i_x")).await,
        ["iox"]
    );
    assert!(schemas(&mut client, Some("other"), None).await.is_empty());

    let tables = async |client: &mut Client, command: CommandGetTables| {
        let info = client.get_tables(command).await.unwrap();
        fetch(client, info).await.unwrap()
    };
    let measurements = tables(
        &mut client,
        CommandGetTables {
            db_schema_filter_pattern: Some("iox".into()),
            include_schema: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(strings(&measurements, "table_name"), ["cpu"]);
    assert_eq!(strings(&measurements, "table_type"), ["BASE TABLE"]);
    let encoded = measurements[0]
        .column_by_name("table_schema")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::BinaryArray>()
        .unwrap()
        .value(0)
        .to_vec();
    let cpu = Schema::try_from(IpcMessage(encoded.into())).unwrap();
    let columns: Vec<_> = cpu
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type().clone()))
        .collect();
    assert_eq!(
        columns,
        [
            ("host", DataType::Utf8),
            (
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
            ),
            ("usage", DataType::Float64),
        ]
    );

    let views = tables(
        &mut client,
        CommandGetTables {
            table_name_filter_pattern: Some("c%".into()),
            table_types: vec!["VIEW".into()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(strings(&views, "db_schema_name"), ["information_schema"]);
    assert_eq!(strings(&views, "table_name"), ["columns"]);
    assert!(views[0].column_by_name("table_schema").is_none());

    let info = client.get_table_types().await.unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(strings(&batches, "table_type"), ["BASE TABLE", "VIEW"]);

    let info = client
        .get_sql_info(vec![
            SqlInfo::FlightSqlServerName,
            SqlInfo::FlightSqlServerVersion,
            SqlInfo::FlightSqlServerReadOnly,
        ])
        .await
        .unwrap();
    let batches = fetch(&mut client, info).await.unwrap();
    let info = table(&batches);
    assert!(
        info.contains("| 0         | {string_value=Strata}"),
        "{info}"
    );
    assert!(
        info.contains(&format!(
            "| 1         | {{string_value={}}}",
            env!("CARGO_PKG_VERSION")
        )),
        "{info}"
    );
    assert!(info.contains("| 3         | {bool_value=true}"), "{info}");

    let info = client
        .get_primary_keys(CommandGetPrimaryKeys {
            table: "cpu".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let key_columns: Vec<_> = info
        .clone()
        .try_decode_schema()
        .unwrap()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        key_columns,
        [
            "catalog_name",
            "db_schema_name",
            "table_name",
            "column_name",
            "key_name",
            "key_sequence"
        ]
    );
    let batches = fetch(&mut client, info).await.unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
}

#[tokio::test]
async fn credentials_databases_and_statements_are_checked() {
    let (server, mgmt, token) = fixture().await;

    let mut anonymous = client(&server, None, Some("db")).await;
    let (code, _) = refusal(query(&mut anonymous, "SELECT 1").await);
    assert_eq!(code, Code::Unauthenticated);
    let (code, _) = refusal(anonymous.get_catalogs().await);
    assert_eq!(code, Code::Unauthenticated);

    let (_, write_only) = mgmt
        .create_token(json!([{"action": "write", "resource": "db"}]))
        .await;
    let mut writer = client(&server, Some(&write_only), Some("db")).await;
    let (code, message) = refusal(query(&mut writer, "SELECT 1").await);
    assert_eq!(code, Code::PermissionDenied, "{message}");
    assert!(
        message.contains("may not read database \"db\""),
        "{message}"
    );
    let (code, _) = refusal(writer.prepare("SELECT 1".into(), None).await);
    assert_eq!(code, Code::PermissionDenied);

    // A ticket is authorized again when it is redeemed.
    let mut reader = client(&server, Some(&token), Some("db")).await;
    let info = reader
        .execute("SELECT host FROM cpu".into(), None)
        .await
        .unwrap();
    let (code, _) = refusal(fetch(&mut writer, info).await);
    assert_eq!(code, Code::PermissionDenied);

    let mut headless = client(&server, Some(&token), None).await;
    let (code, message) = refusal(query(&mut headless, "SELECT 1").await);
    assert_eq!(code, Code::InvalidArgument, "{message}");
    assert_eq!(message, "name the database in the `database` header");

    let (_, everywhere) = mgmt
        .create_token(json!([{"action": "read", "resource": "*"}]))
        .await;
    let mut lost = client(&server, Some(&everywhere), Some("nope")).await;
    let (code, message) = refusal(query(&mut lost, "SELECT 1").await);
    assert_eq!(code, Code::NotFound, "{message}");
    let (code, _) = refusal(lost.get_table_types().await);
    assert_eq!(code, Code::NotFound);

    let (code, message) = refusal(query(&mut reader, "CREATE TABLE t (a INT)").await);
    assert_eq!(code, Code::InvalidArgument, "{message}");
    assert!(message.contains("DDL not supported"), "{message}");
    let (code, message) = refusal(query(&mut reader, "SELECT * FROM nope").await);
    assert_eq!(code, Code::InvalidArgument, "{message}");
    assert!(message.contains("nope"), "{message}");
    let (code, message) = refusal(
        reader
            .execute_update("INSERT INTO cpu VALUES (1)".into(), None)
            .await,
    );
    assert_eq!(code, Code::Unimplemented);
    assert!(message.contains("only reads"), "{message}");
    let (code, _) = refusal(reader.begin_transaction().await);
    assert_eq!(code, Code::Unimplemented);
    let (code, message) = refusal(
        reader
            .get_xdbc_type_info(CommandGetXdbcTypeInfo::default())
            .await,
    );
    assert_eq!(code, Code::Unimplemented);
    assert!(message.contains("GetXdbcTypeInfo"), "{message}");
}

#[tokio::test]
async fn the_adbc_flight_sql_driver_queries_and_browses() {
    let Some(python) = python() else { return };
    let (server, _, token) = fixture().await;
    let url = server.base.replace("http://", "grpc://");
    let answer = run_python(&python, "flight_sql_adbc.py", &[&url, &token, "db"]);

    assert_eq!(
        answer["rows"],
        json!([
            {"host": "a", "usage": 0.5},
            {"host": "b", "usage": 0.75},
            {"host": "a", "usage": 0.25},
        ])
    );
    assert_eq!(
        answer["matching"],
        json!([{"host": "a", "usage": 0.5}, {"host": "a", "usage": 0.25}])
    );
    let refused = answer["refused"].as_str().unwrap_or_default();
    assert!(refused.contains("DDL not supported"), "{answer}");
    assert_eq!(
        answer["objects"]["public.iox.cpu"],
        json!({"type": "BASE TABLE", "columns": ["host", "time", "usage"]})
    );
    assert_eq!(
        answer["objects"]["public.information_schema.tables"]["type"],
        "VIEW"
    );
    assert_eq!(
        answer["table_schema"],
        json!({"host": "string", "time": "timestamp[ns, tz=UTC]", "usage": "double"})
    );
    assert_eq!(answer["table_types"], json!(["BASE TABLE", "VIEW"]));
    assert_eq!(answer["vendor_name"], "Strata");
}
