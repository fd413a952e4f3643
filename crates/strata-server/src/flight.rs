//! Arrow Flight on the HTTP port: `DoGet` with the JSON ticket that `influxctl query` and
//! the InfluxDB 3 client libraries send (`{"database" | "namespace_name", "sql_query",
//! "query_type"}`), authorized by the `authorization` metadata like any data request.

use std::net::SocketAddr;
use std::pin::Pin;

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action as FlightAction, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use axum::extract::ConnectInfo;
use futures::{Stream, StreamExt, TryStreamExt};
use serde::Deserialize;
use strata_types::{Action, Error, ErrorKind};
use tonic::{Request, Response, Status, Streaming};

use crate::AppState;
use crate::auth::source_of_peer;
use crate::data_auth::{Credentials, DataRequest, authorize_data};
use crate::error::caller_message;

type FlightStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

pub struct FlightEndpoint {
    state: AppState,
}

impl FlightEndpoint {
    pub fn new(state: AppState) -> Self {
        FlightEndpoint { state }
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
}

fn unsupported<T>(what: &str) -> Result<T, Status> {
    Err(Status::unimplemented(format!(
        "{what} is not supported; query with DoGet and a JSON ticket"
    )))
}

/// A Strata error as a gRPC status (internal details go to the log, not the caller).
fn status(error: Error) -> Status {
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
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .or_else(|| request.remote_addr());
        let source = source_of_peer(peer);
        let mut headers = request.metadata().clone().into_headers();
        let ticket: Result<QueryTicket, _> = serde_json::from_slice(&request.get_ref().ticket);
        let database = ticket
            .as_ref()
            .ok()
            .and_then(|t| t.database.clone().or_else(|| t.namespace_name.clone()));
        let data_request = DataRequest {
            target: "Flight DoGet",
            source: &source,
            credentials: Credentials::Bearer,
            query_password: None,
        };
        authorize_data(
            &self.state,
            &mut headers,
            &data_request,
            Action::Read,
            database.as_deref(),
        )
        .await
        .map_err(status)?;
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
        match ticket.query_type.as_deref() {
            None | Some("sql") => {}
            Some("influxql") => {
                return Err(Status::unimplemented(
                    "InfluxQL queries are not supported yet; send SQL (query_type \"sql\")",
                ));
            }
            Some(other) => {
                return Err(Status::invalid_argument(format!(
                    "Invalid ticket: query_type {other:?} is not \"sql\" or \"influxql\""
                )));
            }
        }
        let result = self
            .state
            .query
            .sql(&database, &ticket.sql_query)
            .await
            .map_err(status)?;
        let batches = futures::stream::iter(result.batches.into_iter().map(Ok));
        let stream = FlightDataEncoderBuilder::new()
            .with_schema(result.schema)
            .build(batches)
            .map_err(|e| Status::internal(format!("encoding the result failed: {e}")));
        Ok(Response::new(stream.boxed()))
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
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        unsupported("GetFlightInfo")
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
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        unsupported("DoPut")
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        unsupported("DoExchange")
    }

    async fn do_action(
        &self,
        _request: Request<FlightAction>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        unsupported("DoAction")
    }

    async fn list_actions(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        unsupported("ListActions")
    }
}
