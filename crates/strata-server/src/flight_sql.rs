//! Flight SQL on the Flight endpoint, for ADBC, JDBC and other Flight SQL clients: statement
//! queries, prepared statements with parameters, and the catalog commands.
//!
//! A call names its database in the `database` metadata header and carries its token in
//! `authorization` metadata, as InfluxDB 3 expects. Statement handles and tickets are
//! self-contained (database, SQL and bound parameters, as JSON), so no node keeps state for a
//! client and any node can run them; every call that uses one authorizes it again. SQL only
//! reads: updates, ingestion, transactions, Substrait and `GetXdbcTypeInfo` are refused as
//! unimplemented.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::sync::{Arc, LazyLock};

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionBeginSavepointRequest, ActionBeginSavepointResult, ActionBeginTransactionRequest,
    ActionBeginTransactionResult, ActionCancelQueryRequest, ActionCancelQueryResult,
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, ActionCreatePreparedSubstraitPlanRequest,
    ActionEndSavepointRequest, ActionEndTransactionRequest, Any, Command, CommandGetCatalogs,
    CommandGetCrossReference, CommandGetDbSchemas, CommandGetExportedKeys, CommandGetImportedKeys,
    CommandGetPrimaryKeys, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandGetXdbcTypeInfo, CommandPreparedStatementQuery, CommandPreparedStatementUpdate,
    CommandStatementIngest, CommandStatementQuery, CommandStatementSubstraitPlan,
    CommandStatementUpdate, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
    SqlNullOrdering, SqlSupportedCaseSensitivity, SqlSupportedTransaction, TicketStatementQuery,
};
use arrow_flight::{
    Action, FlightData, FlightDescriptor, FlightInfo, IpcMessage, SchemaAsIpc, Ticket,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::TryStreamExt;
use prost::Message;
use serde::{Deserialize, Serialize};
use strata_query::{BASE_TABLE, QueryOrigin, VIEW};
use tonic::{Request, Response, Status};

use crate::AppState;
use crate::flight::{
    FlightStream, authorize_read, flight_data, flight_origin, flight_rows, flight_schema, status,
};

const READ_ONLY: &str =
    "Strata's SQL only reads; write line protocol to /api/v2/write, /write or /api/v3/write_lp";
const NO_TRANSACTIONS: &str = "transactions are not supported: Strata's SQL only reads";
const NO_SUBSTRAIT: &str = "Substrait plans are not supported; send SQL";

/// The Flight SQL service the Flight endpoint hands Flight SQL calls to.
pub(crate) struct FlightSql {
    state: AppState,
}

impl FlightSql {
    pub(crate) fn new(state: AppState) -> Self {
        FlightSql { state }
    }
}

/// Whether a `DoGet` ticket is a Flight SQL command (a protobuf `Any` of one) rather than
/// InfluxDB's JSON ticket.
pub(crate) fn is_flight_sql_ticket(ticket: &[u8]) -> bool {
    Any::decode(ticket)
        .ok()
        .and_then(|any| Command::try_from(any).ok())
        .is_some_and(|command| !matches!(command, Command::Unknown(_)))
}

/// What a statement handle (and a statement's ticket) carries: everything needed to run it.
#[derive(Debug, Serialize, Deserialize)]
struct Handle {
    database: String,
    sql: String,
    /// Bound parameter values: one row, as a base64 Arrow IPC stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parameters: Option<String>,
}

impl Handle {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a handle serializes")
    }

    fn decode(bytes: &[u8]) -> Result<Self, Status> {
        serde_json::from_slice(bytes).map_err(|e| {
            Status::invalid_argument(format!(
                "not a statement handle from this server ({e}); prepare the statement again"
            ))
        })
    }

    /// The same statement with `parameters` bound.
    fn bind(self, parameters: &RecordBatch) -> Result<Self, Status> {
        let mut ipc = vec![];
        let mut writer = StreamWriter::try_new(&mut ipc, &parameters.schema())
            .map_err(|e| Status::internal(format!("cannot encode the parameters: {e}")))?;
        writer
            .write(parameters)
            .and_then(|()| writer.finish())
            .map_err(|e| Status::internal(format!("cannot encode the parameters: {e}")))?;
        drop(writer);
        Ok(Handle {
            parameters: Some(BASE64.encode(ipc)),
            ..self
        })
    }

    /// The bound parameter values, if any.
    fn parameters(&self) -> Result<Option<RecordBatch>, Status> {
        let Some(encoded) = &self.parameters else {
            return Ok(None);
        };
        let invalid = |e: &dyn std::fmt::Display| {
            Status::invalid_argument(format!("bad parameters in the statement handle: {e}"))
        };
        let ipc = BASE64.decode(encoded).map_err(|e| invalid(&e))?;
        let mut reader = StreamReader::try_new(Cursor::new(ipc), None).map_err(|e| invalid(&e))?;
        match reader.next() {
            Some(batch) => batch.map(Some).map_err(|e| invalid(&e)),
            None => Err(invalid(&"no values")),
        }
    }
}

/// What `GetSqlInfo` answers.
static SQL_INFO: LazyLock<SqlInfoData> = LazyLock::new(|| {
    let mut info = SqlInfoDataBuilder::new();
    info.append(SqlInfo::FlightSqlServerName, "Strata");
    info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    info.append(SqlInfo::FlightSqlServerReadOnly, true);
    info.append(SqlInfo::FlightSqlServerSql, true);
    info.append(SqlInfo::FlightSqlServerSubstrait, false);
    info.append(
        SqlInfo::FlightSqlServerTransaction,
        SqlSupportedTransaction::None as i32,
    );
    info.append(SqlInfo::FlightSqlServerCancel, false);
    info.append(SqlInfo::SqlDdlCatalog, false);
    info.append(SqlInfo::SqlDdlSchema, false);
    info.append(SqlInfo::SqlDdlTable, false);
    // DataFusion folds unquoted identifiers to lower case; NULLs sort last ascending.
    info.append(
        SqlInfo::SqlIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityLowercase as i32,
    );
    info.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    info.append(
        SqlInfo::SqlNullOrdering,
        SqlNullOrdering::SqlNullsSortedHigh as i32,
    );
    info.append(SqlInfo::SqlSupportsColumnAliasing, true);
    info.append(SqlInfo::SqlTransactionsSupported, false);
    info.build().expect("a valid SqlInfo table")
});

/// The answer to `GetPrimaryKeys` (FlightSql.proto); Strata's tables have no keys.
static PRIMARY_KEYS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("catalog_name", DataType::Utf8, true),
        Field::new("db_schema_name", DataType::Utf8, true),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("key_name", DataType::Utf8, true),
        Field::new("key_sequence", DataType::Int32, false),
    ]))
});

/// The answer to `GetExportedKeys`, `GetImportedKeys` and `GetCrossReference`.
static FOREIGN_KEYS: LazyLock<SchemaRef> = LazyLock::new(|| {
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("pk_catalog_name", true),
        text("pk_db_schema_name", true),
        text("pk_table_name", false),
        text("pk_column_name", false),
        text("fk_catalog_name", true),
        text("fk_db_schema_name", true),
        text("fk_table_name", false),
        text("fk_column_name", false),
        Field::new("key_sequence", DataType::Int32, false),
        text("fk_key_name", true),
        text("pk_key_name", true),
        Field::new("update_rule", DataType::UInt8, false),
        Field::new("delete_rule", DataType::UInt8, false),
    ]))
});

/// A FlightInfo announcing `schema`, with one endpoint whose ticket is `ticket`.
fn flight_info(
    descriptor: FlightDescriptor,
    schema: &Schema,
    ticket: impl ProstMessageExt,
) -> Result<Response<FlightInfo>, Status> {
    let info = FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(format!("cannot encode the schema: {e}")))?
        .with_endpoint(
            arrow_flight::FlightEndpoint::new()
                .with_ticket(Ticket::new(ticket.as_any().encode_to_vec())),
        )
        .with_descriptor(descriptor);
    Ok(Response::new(info))
}

/// One batch a metadata builder made, as `DoGet`'s answer.
fn answer(
    batch: Result<RecordBatch, FlightError>,
) -> Result<Response<FlightStream<FlightData>>, Status> {
    let batch = batch.map_err(|e| Status::internal(format!("cannot build the answer: {e}")))?;
    Ok(Response::new(flight_data(batch.schema(), vec![batch])))
}

/// An answer with no rows.
fn empty(schema: &SchemaRef) -> Result<Response<FlightStream<FlightData>>, Status> {
    Ok(Response::new(flight_data(schema.clone(), vec![])))
}

/// A schema as prepared-statement results carry it: an IPC message.
fn ipc_schema(schema: &Schema) -> Result<prost::bytes::Bytes, Status> {
    let message: IpcMessage = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e| Status::internal(format!("cannot encode the schema: {e}")))?;
    Ok(message.0)
}

impl FlightSql {
    /// The database the call names in its `database` header, once the caller may read it and
    /// it exists, and who is asking.
    async fn database<T>(
        &self,
        request: &Request<T>,
        call: &str,
    ) -> Result<(String, QueryOrigin), Status> {
        let database = request
            .metadata()
            .get("database")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let principal = authorize_read(&self.state, request, call, database.as_deref()).await?;
        let database = database.ok_or_else(|| {
            Status::invalid_argument("name the database in the `database` header")
        })?;
        self.state
            .catalog
            .get_database(&database)
            .await
            .map_err(status)?;
        Ok((database, flight_origin(request, &principal)))
    }

    /// The statement a handle carries, once the caller may read its database.
    async fn handle<T>(
        &self,
        request: &Request<T>,
        call: &str,
        handle: &[u8],
    ) -> Result<(Handle, QueryOrigin), Status> {
        let handle = Handle::decode(handle)?;
        let principal = authorize_read(&self.state, request, call, Some(&handle.database)).await?;
        Ok((handle, flight_origin(request, &principal)))
    }

    /// The FlightInfo of the statement a handle carries; `ticket` runs it.
    async fn statement_info(
        &self,
        handle: &Handle,
        origin: &QueryOrigin,
        descriptor: FlightDescriptor,
        ticket: impl ProstMessageExt,
    ) -> Result<Response<FlightInfo>, Status> {
        let parameters = handle.parameters()?;
        let prepared = self
            .state
            .query
            .prepare(&handle.database, &handle.sql, parameters.as_ref(), origin)
            .await
            .map_err(status)?;
        flight_info(descriptor, &flight_schema(prepared.schema), ticket)
    }

    /// Runs the statement a handle carries.
    async fn run(
        &self,
        request: &Request<Ticket>,
        handle: &[u8],
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        let (handle, origin) = self.handle(request, "Flight SQL DoGet", handle).await?;
        let parameters = handle.parameters()?;
        let rows = self
            .state
            .query
            .sql_with_params(&handle.database, &handle.sql, parameters.as_ref(), &origin)
            .await
            .map_err(status)?;
        Ok(Response::new(flight_rows(rows)))
    }
}

#[tonic::async_trait]
impl FlightSqlService for FlightSql {
    type FlightService = FlightSql;

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (database, origin) = self.database(&request, "Flight SQL GetFlightInfo").await?;
        let handle = Handle {
            database,
            sql: query.query,
            parameters: None,
        };
        let ticket = TicketStatementQuery {
            statement_handle: handle.encode().into(),
        };
        self.statement_info(&handle, &origin, request.into_inner(), ticket)
            .await
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (handle, origin) = self
            .handle(
                &request,
                "Flight SQL GetFlightInfo",
                &query.prepared_statement_handle,
            )
            .await?;
        self.statement_info(&handle, &origin, request.into_inner(), query)
            .await
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.run(&request, &ticket.statement_handle).await
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.run(&request, &query.prepared_statement_handle).await
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let (database, origin) = self.database(&request, "Flight SQL DoAction").await?;
        let prepared = self
            .state
            .query
            .prepare(&database, &query.query, None, &origin)
            .await
            .map_err(status)?;
        let handle = Handle {
            database,
            sql: query.query,
            parameters: None,
        };
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: handle.encode().into(),
            dataset_schema: ipc_schema(&flight_schema(prepared.schema))?,
            parameter_schema: ipc_schema(&prepared.parameters)?,
        })
    }

    /// Handles hold no server state, so closing one frees nothing.
    async fn do_action_close_prepared_statement(
        &self,
        _query: ActionClosePreparedStatementRequest,
        _request: Request<Action>,
    ) -> Result<(), Status> {
        Ok(())
    }

    /// Binds parameter values: answers a new handle that carries them.
    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let (handle, origin) = self
            .handle(
                &request,
                "Flight SQL DoPut",
                &query.prepared_statement_handle,
            )
            .await?;
        let mut values = FlightRecordBatchStream::new_from_flight_data(
            request.into_inner().map_err(FlightError::from),
        );
        let mut batches = vec![];
        while let Some(batch) = values.try_next().await.map_err(|e| {
            Status::invalid_argument(format!("cannot read the parameter values: {e}"))
        })? {
            batches.push(batch);
        }
        let schema = values
            .schema()
            .cloned()
            .ok_or_else(|| Status::invalid_argument("send the parameter values as one row"))?;
        let parameters = concat_batches(&schema, &batches).map_err(|e| {
            Status::invalid_argument(format!("cannot read the parameter values: {e}"))
        })?;
        // Refuse values that do not fit now, not when the statement runs.
        self.state
            .query
            .prepare(&handle.database, &handle.sql, Some(&parameters), &origin)
            .await
            .map_err(status)?;
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(handle.bind(&parameters)?.encode().into()),
        })
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        let schema = query.into_builder().schema();
        flight_info(request.into_inner(), &schema, query)
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        let (database, _) = self.database(&request, "Flight SQL DoGet").await?;
        let schemas = self
            .state
            .query
            .sql_schemas(&database)
            .await
            .map_err(status)?;
        let mut builder = query.into_builder();
        let catalogs: BTreeSet<_> = schemas.iter().map(|s| s.catalog.as_str()).collect();
        for catalog in catalogs {
            builder.append(catalog);
        }
        answer(builder.build())
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        let schema = query.clone().into_builder().schema();
        flight_info(request.into_inner(), &schema, query)
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        let (database, _) = self.database(&request, "Flight SQL DoGet").await?;
        let schemas = self
            .state
            .query
            .sql_schemas(&database)
            .await
            .map_err(status)?;
        let mut builder = query.into_builder();
        for schema in &schemas {
            builder.append(&schema.catalog, &schema.name);
        }
        answer(builder.build())
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        let schema = query.clone().into_builder().schema();
        flight_info(request.into_inner(), &schema, query)
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        let (database, _) = self.database(&request, "Flight SQL DoGet").await?;
        let schemas = self
            .state
            .query
            .sql_schemas(&database)
            .await
            .map_err(status)?;
        let mut builder = query.into_builder();
        for schema in &schemas {
            for table in &schema.tables {
                builder
                    .append(
                        &schema.catalog,
                        &schema.name,
                        &table.name,
                        table.table_type,
                        &flight_schema(table.schema.clone()),
                    )
                    .map_err(|e| Status::internal(format!("cannot list the tables: {e}")))?;
            }
        }
        answer(builder.build())
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        let schema = query.into_builder().schema();
        flight_info(request.into_inner(), &schema, query)
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.database(&request, "Flight SQL DoGet").await?;
        let mut builder = query.into_builder();
        builder.append(BASE_TABLE);
        builder.append(VIEW);
        answer(builder.build())
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        let schema = query.clone().into_builder(&SQL_INFO).schema();
        flight_info(request.into_inner(), &schema, query)
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.database(&request, "Flight SQL DoGet").await?;
        answer(query.into_builder(&SQL_INFO).build())
    }

    async fn get_flight_info_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        flight_info(request.into_inner(), &PRIMARY_KEYS, query)
    }

    async fn do_get_primary_keys(
        &self,
        _query: CommandGetPrimaryKeys,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.database(&request, "Flight SQL DoGet").await?;
        empty(&PRIMARY_KEYS)
    }

    async fn get_flight_info_exported_keys(
        &self,
        query: CommandGetExportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        flight_info(request.into_inner(), &FOREIGN_KEYS, query)
    }

    async fn do_get_exported_keys(
        &self,
        _query: CommandGetExportedKeys,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.database(&request, "Flight SQL DoGet").await?;
        empty(&FOREIGN_KEYS)
    }

    async fn get_flight_info_imported_keys(
        &self,
        query: CommandGetImportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        flight_info(request.into_inner(), &FOREIGN_KEYS, query)
    }

    async fn do_get_imported_keys(
        &self,
        _query: CommandGetImportedKeys,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.database(&request, "Flight SQL DoGet").await?;
        empty(&FOREIGN_KEYS)
    }

    async fn get_flight_info_cross_reference(
        &self,
        query: CommandGetCrossReference,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.database(&request, "Flight SQL GetFlightInfo").await?;
        flight_info(request.into_inner(), &FOREIGN_KEYS, query)
    }

    async fn do_get_cross_reference(
        &self,
        _query: CommandGetCrossReference,
        request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        self.database(&request, "Flight SQL DoGet").await?;
        empty(&FOREIGN_KEYS)
    }

    async fn get_flight_info_xdbc_type_info(
        &self,
        _query: CommandGetXdbcTypeInfo,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        Err(Status::unimplemented("GetXdbcTypeInfo is not supported"))
    }

    async fn do_get_xdbc_type_info(
        &self,
        _query: CommandGetXdbcTypeInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<FlightStream<FlightData>>, Status> {
        Err(Status::unimplemented("GetXdbcTypeInfo is not supported"))
    }

    async fn do_put_statement_update(
        &self,
        _query: CommandStatementUpdate,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(Status::unimplemented(READ_ONLY))
    }

    async fn do_put_statement_ingest(
        &self,
        _query: CommandStatementIngest,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(Status::unimplemented(READ_ONLY))
    }

    async fn do_put_prepared_statement_update(
        &self,
        _query: CommandPreparedStatementUpdate,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(Status::unimplemented(READ_ONLY))
    }

    async fn get_flight_info_substrait_plan(
        &self,
        _query: CommandStatementSubstraitPlan,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        Err(Status::unimplemented(NO_SUBSTRAIT))
    }

    async fn do_put_substrait_plan(
        &self,
        _query: CommandStatementSubstraitPlan,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(Status::unimplemented(NO_SUBSTRAIT))
    }

    async fn do_action_create_prepared_substrait_plan(
        &self,
        _query: ActionCreatePreparedSubstraitPlanRequest,
        _request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        Err(Status::unimplemented(NO_SUBSTRAIT))
    }

    async fn do_action_begin_transaction(
        &self,
        _query: ActionBeginTransactionRequest,
        _request: Request<Action>,
    ) -> Result<ActionBeginTransactionResult, Status> {
        Err(Status::unimplemented(NO_TRANSACTIONS))
    }

    async fn do_action_end_transaction(
        &self,
        _query: ActionEndTransactionRequest,
        _request: Request<Action>,
    ) -> Result<(), Status> {
        Err(Status::unimplemented(NO_TRANSACTIONS))
    }

    async fn do_action_begin_savepoint(
        &self,
        _query: ActionBeginSavepointRequest,
        _request: Request<Action>,
    ) -> Result<ActionBeginSavepointResult, Status> {
        Err(Status::unimplemented(NO_TRANSACTIONS))
    }

    async fn do_action_end_savepoint(
        &self,
        _query: ActionEndSavepointRequest,
        _request: Request<Action>,
    ) -> Result<(), Status> {
        Err(Status::unimplemented(NO_TRANSACTIONS))
    }

    async fn do_action_cancel_query(
        &self,
        _query: ActionCancelQueryRequest,
        _request: Request<Action>,
    ) -> Result<ActionCancelQueryResult, Status> {
        Err(Status::unimplemented(
            "cancelling queries is not supported; a query ends at --query-timeout",
        ))
    }

    /// The server's SqlInfo is fixed ([`SQL_INFO`]).
    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}
