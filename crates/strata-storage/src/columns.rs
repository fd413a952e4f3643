//! How catalog columns map to Arrow: the one place that fixes each column type's Arrow type.
//!
//! `time` is a nanosecond timestamp in UTC, tags are dictionary-encoded strings, fields keep
//! their line-protocol type. Every Arrow field carries its column type in the metadata key
//! `iox::column::type` (with InfluxDB's values), so Parquet readers that know InfluxDB 3's
//! files can tell tags from fields.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder,
    StringDictionaryBuilder, TimestampNanosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use strata_types::ColumnType;

/// The metadata key naming a column's type.
pub const COLUMN_TYPE_KEY: &str = "iox::column::type";

/// The time zone of the `time` column.
pub const TIME_ZONE: &str = "UTC";

/// The Arrow type that holds a column of this type.
pub fn arrow_type(column_type: ColumnType) -> DataType {
    match column_type {
        ColumnType::Tag => {
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        }
        ColumnType::Time => DataType::Timestamp(TimeUnit::Nanosecond, Some(TIME_ZONE.into())),
        ColumnType::Float => DataType::Float64,
        ColumnType::Integer => DataType::Int64,
        ColumnType::UInteger => DataType::UInt64,
        ColumnType::String => DataType::Utf8,
        ColumnType::Boolean => DataType::Boolean,
    }
}

fn metadata_value(column_type: ColumnType) -> &'static str {
    match column_type {
        ColumnType::Tag => "iox::column_type::tag",
        ColumnType::Time => "iox::column_type::timestamp",
        ColumnType::Float => "iox::column_type::field::float",
        ColumnType::Integer => "iox::column_type::field::integer",
        ColumnType::UInteger => "iox::column_type::field::uinteger",
        ColumnType::String => "iox::column_type::field::string",
        ColumnType::Boolean => "iox::column_type::field::boolean",
    }
}

/// The Arrow field of a column; `time` is never null, everything else may be.
pub fn arrow_field(name: &str, column_type: ColumnType) -> Field {
    Field::new(
        name,
        arrow_type(column_type),
        column_type != ColumnType::Time,
    )
    .with_metadata(HashMap::from([(
        COLUMN_TYPE_KEY.to_string(),
        metadata_value(column_type).to_string(),
    )]))
}

/// A column's type as recorded in its Arrow field's metadata.
pub fn column_type_of(field: &Field) -> Option<ColumnType> {
    let value = field.metadata().get(COLUMN_TYPE_KEY)?;
    [
        ColumnType::Tag,
        ColumnType::Time,
        ColumnType::Float,
        ColumnType::Integer,
        ColumnType::UInteger,
        ColumnType::String,
        ColumnType::Boolean,
    ]
    .into_iter()
    .find(|t| metadata_value(*t) == value)
}

/// An Arrow schema for these columns, in the order given.
pub fn arrow_schema<'a>(columns: impl IntoIterator<Item = (&'a str, ColumnType)>) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .into_iter()
            .map(|(name, column_type)| arrow_field(name, column_type))
            .collect::<Vec<_>>(),
    ))
}

/// Builds one column of a batch; rows a line leaves out are nulls.
pub(crate) enum ColumnBuilder {
    Tag(StringDictionaryBuilder<Int32Type>),
    Time(TimestampNanosecondBuilder),
    Float(Float64Builder),
    Integer(Int64Builder),
    UInteger(UInt64Builder),
    String(StringBuilder),
    Boolean(BooleanBuilder),
}

impl ColumnBuilder {
    pub(crate) fn new(column_type: ColumnType) -> Self {
        match column_type {
            ColumnType::Tag => ColumnBuilder::Tag(StringDictionaryBuilder::new()),
            ColumnType::Time => {
                ColumnBuilder::Time(TimestampNanosecondBuilder::new().with_timezone(TIME_ZONE))
            }
            ColumnType::Float => ColumnBuilder::Float(Float64Builder::new()),
            ColumnType::Integer => ColumnBuilder::Integer(Int64Builder::new()),
            ColumnType::UInteger => ColumnBuilder::UInteger(UInt64Builder::new()),
            ColumnType::String => ColumnBuilder::String(StringBuilder::new()),
            ColumnType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::new()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            ColumnBuilder::Tag(b) => b.len(),
            ColumnBuilder::Time(b) => b.len(),
            ColumnBuilder::Float(b) => b.len(),
            ColumnBuilder::Integer(b) => b.len(),
            ColumnBuilder::UInteger(b) => b.len(),
            ColumnBuilder::String(b) => b.len(),
            ColumnBuilder::Boolean(b) => b.len(),
        }
    }

    /// Appends nulls until the column has `rows` values.
    pub(crate) fn pad_to(&mut self, rows: usize) {
        let missing = rows.saturating_sub(self.len());
        if missing == 0 {
            return;
        }
        match self {
            ColumnBuilder::Tag(b) => (0..missing).for_each(|_| b.append_null()),
            ColumnBuilder::Time(b) => b.append_nulls(missing),
            ColumnBuilder::Float(b) => b.append_nulls(missing),
            ColumnBuilder::Integer(b) => b.append_nulls(missing),
            ColumnBuilder::UInteger(b) => b.append_nulls(missing),
            ColumnBuilder::String(b) => (0..missing).for_each(|_| b.append_null()),
            ColumnBuilder::Boolean(b) => b.append_nulls(missing),
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Tag(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Integer(b) => Arc::new(b.finish()),
            ColumnBuilder::UInteger(b) => Arc::new(b.finish()),
            ColumnBuilder::String(b) => Arc::new(b.finish()),
            ColumnBuilder::Boolean(b) => Arc::new(b.finish()),
        }
    }
}
