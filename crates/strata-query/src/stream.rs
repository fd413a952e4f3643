//! A query's answer as DataFusion computes it: its schema, then its batches one at a time,
//! never collected. The stream holds the query to `--query-timeout` from its start to its
//! last batch (a stream that runs longer ends with an error saying so), maps DataFusion's
//! errors to the caller's words, and writes the query's `system.queries` entry when it ends.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::{Stream, StreamExt};
use strata_types::{Error, Result};
use tokio::time::{Instant, Sleep};

use crate::QueryConfig;
use crate::system::PendingRecord;

/// A query's rows, batch by batch, under the query's deadline.
pub struct QueryStream {
    schema: SchemaRef,
    /// `None` once the stream has ended, failed or timed out.
    batches: Option<SendableRecordBatchStream>,
    deadline: Pin<Box<Sleep>>,
    limits: QueryConfig,
    /// The query's memory pool: what consumers of the stream buffer is accounted there too.
    pool: Arc<dyn MemoryPool>,
    /// The query's log entry, when this stream is the whole query's answer.
    record: Option<PendingRecord>,
}

impl QueryStream {
    /// `batches`, of `schema` (the query's, as planned), under `limits`, ending at
    /// `deadline`; `pool` is the query's memory pool.
    pub(crate) fn new(
        schema: SchemaRef,
        batches: SendableRecordBatchStream,
        limits: &QueryConfig,
        deadline: Instant,
        pool: Arc<dyn MemoryPool>,
    ) -> Self {
        QueryStream {
            schema,
            batches: Some(batches),
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            pool,
            limits: limits.clone(),
            record: None,
        }
    }

    /// Makes this stream the whole query: its end, failure or drop writes `record`.
    pub(crate) fn with_record(mut self, record: PendingRecord) -> Self {
        self.record = Some(record);
        self
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// A reservation in the query's memory pool, for what a consumer of the stream buffers.
    pub(crate) fn memory(&self, consumer: &str) -> MemoryReservation {
        MemoryConsumer::new(consumer).register(&self.pool)
    }

    /// The limits the query runs under, for consumers that refuse with them.
    pub(crate) fn limits(&self) -> &QueryConfig {
        &self.limits
    }

    /// Ends the stream, with the error that ended it early (its own, or one a consumer met):
    /// the query's outcome.
    pub(crate) fn end(&mut self, error: Option<&Error>) {
        self.batches = None;
        if let Some(record) = &mut self.record {
            if let Some(error) = error {
                record.note_error(error);
            }
            record.finish();
        }
    }
}

impl Stream for QueryStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(batches) = &mut this.batches else {
            return Poll::Ready(None);
        };
        // Checked before every batch: a source that is always ready never lets the timer fire.
        if Instant::now() >= this.deadline.deadline() {
            let error = this.limits.timed_out();
            this.end(Some(&error));
            return Poll::Ready(Some(Err(error)));
        }
        match batches.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(batch))) => {
                if let Some(record) = &mut this.record {
                    record.add_rows(batch.num_rows());
                }
                Poll::Ready(Some(Ok(batch)))
            }
            Poll::Ready(Some(Err(e))) => {
                let error = this.limits.query_error(e);
                this.end(Some(&error));
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                this.end(None);
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    let error = this.limits.timed_out();
                    this.end(Some(&error));
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Pending
            }
        }
    }
}
