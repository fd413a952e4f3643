//! Arrow Flight on the HTTP port: `DoGet` with the JSON ticket that `influxctl query` and
//! the InfluxDB 3 client libraries send (`{"database" | "namespace_name", "sql_query",
//! "query_type"}`), and Flight SQL (`flight_sql.rs`) for the calls and tickets that are
//! Flight SQL's, all authorized by the `authorization` metadata like any data request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action as FlightAction, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use axum::extract::ConnectInfo;
use futures::{Stream, StreamExt, TryStreamExt};
use serde::Deserialize;
use strata_auth::Principal;
use strata_query::influxql::{InfluxqlRequest, params_from_json};
use strata_query::{QueryOrigin, QueryStream};
use strata_types::{Action, Error, ErrorKind};
use tonic::{Request, Response, Status, Streaming};

use crate::AppState;
use crate::auth::source_of_peer;
use crate::data_auth::{
    Credentials, DEBUG_HEADER, DataReader, DataRequest, SCAN_ONLY_HEADER, authorize_data,
    query_origin,
};
use crate::error::caller_message;
use crate::flight_sql::{FlightSql, is_flight_sql_ticket};

pub(crate) type FlightStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

pub struct FlightEndpoint {
    state: AppState,
    sql: FlightSql,
}

impl FlightEndpoint {
    pub fn new(state: AppState) -> Self {
        FlightEndpoint {
            sql: FlightSql::new(state.clone()),
            state,
        }
    }
}

/// The ticket InfluxDB 3's clients send; other keys are ignored.
#[derive(Debug, Deserialize)]
struct QueryTicket {
    database: Option<String>,
    namespace_name: Option<String>,
    sql_query: String,
    #[serde(default)]
    query_type: Option<String>,
    /// InfluxQL bind parameters.
    #[serde(default)]
    params: Option<serde_json::Value>,
}

fn unsupported<T>(what: &str) -> Result<T, Status> {
    Err(Status::unimplemented(format!(
        "{what} is not supported; query with Flight SQL or with DoGet and a JSON ticket"
    )))
}

/// A Strata error as a gRPC status (internal details go to the log, not the caller).
pub(crate) fn status(error: Error) -> Status {
    match error.kind {
        ErrorKind::Unauthenticated => Status::unauthenticated(error.message),
        ErrorKind::PermissionDenied => Status::permission_denied(error.message),
        ErrorKind::NotFound => Status::not_found(error.message),
        ErrorKind::InvalidArgument | ErrorKind::Conflict => Status::invalid_argument(error.message),
        ErrorKind::TooLarge => Status::resource_exhausted(error.message),
        ErrorKind::RateLimited | ErrorKind::Unavailable => Status::unavailable(error.message),
        ErrorKind::Internal => Status::internal(caller_message(error)),
    }
}

/// Authenticates a Flight call by its `authorization` metadata and checks that the token may
/// read `database`, when the call names one. `call` names it in the audit log.
pub(crate) async fn authorize_read<T>(
    state: &AppState,
    request: &Request<T>,
    call: &str,
    database: Option<&str>,
) -> Result<Principal, Status> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| request.remote_addr());
    let source = source_of_peer(peer);
    let mut headers = request.metadata().clone().into_headers();
    let data_request = DataRequest {
        target: call,
        source: &source,
        credentials: Credentials::Bearer,
        query_password: None,
    };
    authorize_data(state, &mut headers, &data_request, Action::Read, database)
        .await
        .map_err(status)
}

/// Who runs a Flight call's query: the token, and whether its metadata asks for the `system`
/// tables (`iox-debug: true`).
pub(crate) fn flight_origin<T>(request: &Request<T>, principal: &Principal) -> QueryOrigin {
    let metadata = |name| request.metadata().get(name).and_then(|v| v.to_str().ok());
    query_origin(
        principal,
        metadata(DEBUG_HEADER),
        metadata(SCAN_ONLY_HEADER),
    )
}

/// Batches as `DoGet`'s answer. Dictionaries are sent as their values (the encoder's
/// default), which every Flight client reads.
pub(crate) fn flight_data(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> FlightStream<FlightData> {
    encoded(schema, futures::stream::iter(batches.into_iter().map(Ok)))
}

/// A query's answer as `DoGet`'s, sent as it streams. An error after the first batches ends
/// the stream with its status, which gRPC carries in the trailers.
pub(crate) fn flight_rows(rows: QueryStream) -> FlightStream<FlightData> {
    let schema = rows.schema();
    encoded(
        schema,
        rows.map_err(|e| FlightError::Tonic(Box::new(status(e)))),
    )
}

fn encoded(
    schema: SchemaRef,
    batches: impl Stream<Item = Result<RecordBatch, FlightError>> + Send + 'static,
) -> FlightStream<FlightData> {
    FlightDataEncoderBuilder::new()
        .with_schema(schema)
        .build(batches)
        .map_err(|e| match e {
            FlightError::Tonic(status) => *status,
            other => Status::internal(format!("encoding the result failed: {other}")),
        })
        .boxed()
}

/// The schema [`flight_data`] sends for `schema`, for answers that announce it beforehand.
pub(crate) fn flight_schema(schema: SchemaRef) -> SchemaRef {
    FlightDataEncoderBuilder::new()
        .with_schema(schema.clone())
        .build(futures::stream::empty())
        .known_schema()
        .unwrap_or(schema)
}

#[tonic::async_trait]
impl FlightService for FlightEndpoint {
    type HandshakeStream = FlightStream<HandshakeResponse>;
    type ListFlightsStream = FlightStream<FlightInfo>;
    type DoGetStream = FlightStream<FlightData>;
    type DoPutStream = FlightStream<PutResult>;
    type DoExchangeStream = FlightStream<FlightData>;
    type DoActionStream = FlightStream<arrow_flight::Result>;
    type ListActionsStream = FlightStream<ActionType>;

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        if is_flight_sql_ticket(&request.get_ref().ticket) {
            return self.sql.do_get(request).await;
        }
        let ticket: Result<QueryTicket, _> = serde_json::from_slice(&request.get_ref().ticket);
        let database = ticket
            .as_ref()
            .ok()
            .and_then(|t| t.database.clone().or_else(|| t.namespace_name.clone()));
        let principal =
            authorize_read(&self.state, &request, "Flight DoGet", database.as_deref()).await?;
        let ticket = ticket.map_err(|e| {
            Status::invalid_argument(format!(
                "Invalid ticket: expected JSON like {{\"database\": \"…\", \"sql_query\": \"…\", \"query_type\": \"sql\"}}: {e}"
            ))
        })?;
        let Some(database) = database else {
            return Err(Status::invalid_argument(
                "Invalid ticket: name the database in \"database\" (or \"namespace_name\")",
            ));
        };
        let rows = match ticket.query_type.as_deref() {
            None | Some("sql") => {
                let origin = flight_origin(&request, &principal);
                self.state
                    .query
                    .sql(&database, &ticket.sql_query, &origin)
                    .await
            }
            Some("influxql") => {
                let params = match &ticket.params {
                    Some(params) => params_from_json(params).map_err(status)?,
                    None => HashMap::new(),
                };
                let origin = flight_origin(&request, &principal);
                let request = InfluxqlRequest {
                    database: Some(database),
                    query: ticket.sql_query,
                    params,
                    access: Arc::new(DataReader(principal)),
                    origin,
                };
                self.state
                    .query
                    .influxql_one(request)
                    .await
                    .map(|table| table.rows)
            }
            Some(other) => {
                return Err(Status::invalid_argument(format!(
                    "Invalid ticket: query_type {other:?} is not \"sql\" or \"influxql\""
                )));
            }
        }
        .map_err(status)?;
        Ok(Response::new(flight_rows(rows)))
    }

    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        unsupported("Handshake")
    }

    async fn list_flights(
        &self,
        _request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        unsupported("ListFlights")
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.sql.get_flight_info(request).await
    }

    async fn poll_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        unsupported("PollFlightInfo")
    }

    async fn get_schema(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        unsupported("GetSchema")
    }

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        self.sql.do_put(request).await
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        unsupported("DoExchange")
    }

    async fn do_action(
        &self,
        request: Request<FlightAction>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        self.sql.do_action(request).await
    }

    async fn list_actions(
        &self,
        request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        self.sql.list_actions(request).await
    }
}
