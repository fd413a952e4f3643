//! Query results in InfluxDB 3's HTTP output formats.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use strata_types::{Error, Result};

use crate::QueryResult;

/// `format=json|jsonl|csv|pretty|parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// One JSON array of objects (the default).
    #[default]
    Json,
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header line.
    Csv,
    /// A text table, as a terminal shows it.
    Pretty,
    /// One Parquet file.
    Parquet,
}

impl OutputFormat {
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "json" => OutputFormat::Json,
            "jsonl" => OutputFormat::JsonLines,
            "csv" => OutputFormat::Csv,
            "pretty" => OutputFormat::Pretty,
            "parquet" => OutputFormat::Parquet,
            other => {
                return Err(Error::invalid(format!(
                    "format {other:?} is not supported; use json, jsonl, csv, pretty or parquet"
                )));
            }
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Json => "application/json",
            OutputFormat::JsonLines => "application/jsonl",
            OutputFormat::Csv => "text/csv",
            OutputFormat::Pretty => "text/plain; charset=utf-8",
            OutputFormat::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// The whole result in this format.
    pub fn encode(self, result: &QueryResult) -> Result<Vec<u8>> {
        let failed = |e: &dyn std::fmt::Display| {
            Error::internal(format!("encoding the query result failed: {e}"))
        };
        if self == OutputFormat::Parquet {
            let mut out = Vec::new();
            let mut writer =
                parquet::arrow::ArrowWriter::try_new(&mut out, result.schema.clone(), None)
                    .map_err(|e| failed(&e))?;
            for batch in &result.batches {
                writer.write(batch).map_err(|e| failed(&e))?;
            }
            writer.close().map_err(|e| failed(&e))?;
            return Ok(out);
        }
        // Text formats show tags as plain strings.
        let (schema, batches) = plain_strings(result).map_err(|e| failed(&e))?;
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        let mut out = Vec::new();
        match self {
            OutputFormat::Json => {
                if refs.iter().all(|b| b.num_rows() == 0) {
                    return Ok(b"[]".to_vec());
                }
                let mut writer = arrow::json::ArrayWriter::new(&mut out);
                writer.write_batches(&refs).map_err(|e| failed(&e))?;
                writer.finish().map_err(|e| failed(&e))?;
            }
            OutputFormat::JsonLines => {
                let mut writer = arrow::json::LineDelimitedWriter::new(&mut out);
                writer.write_batches(&refs).map_err(|e| failed(&e))?;
                writer.finish().map_err(|e| failed(&e))?;
            }
            OutputFormat::Csv => {
                let mut writer = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut out);
                writer
                    .write(&RecordBatch::new_empty(schema.clone()))
                    .map_err(|e| failed(&e))?;
                for batch in &refs {
                    writer.write(batch).map_err(|e| failed(&e))?;
                }
            }
            OutputFormat::Pretty => {
                let mut all = vec![RecordBatch::new_empty(schema.clone())];
                all.extend(batches.iter().cloned());
                let table =
                    arrow::util::pretty::pretty_format_batches(&all).map_err(|e| failed(&e))?;
                out = format!("{table}\n").into_bytes();
            }
            OutputFormat::Parquet => unreachable!("handled above"),
        }
        Ok(out)
    }
}

/// The result with dictionary-encoded columns cast to plain strings.
fn plain_strings(result: &QueryResult) -> arrow::error::Result<(SchemaRef, Vec<RecordBatch>)> {
    let fields: Vec<Field> = result
        .schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Dictionary(_, value) => {
                f.as_ref().clone().with_data_type(value.as_ref().clone())
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batches = result
        .batches
        .iter()
        .map(|batch| {
            let columns = batch
                .columns()
                .iter()
                .zip(schema.fields())
                .map(|(c, f)| cast(c, f.data_type()))
                .collect::<arrow::error::Result<Vec<_>>>()?;
            RecordBatch::try_new(schema.clone(), columns)
        })
        .collect::<arrow::error::Result<Vec<_>>>()?;
    Ok((schema, batches))
}
