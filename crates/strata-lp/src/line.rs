//! Parsed lines ([`Line`], borrowed) and points ([`Point`], owned).

use std::fmt;

use crate::error::SerializeError;
use crate::serialize::LineWriter;
use crate::text::Text;

/// The type of a field value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldType {
    /// 64-bit float (`1`, `1.5`, `1e3`).
    Float,
    /// Signed 64-bit integer (`1i`).
    Integer,
    /// Unsigned 64-bit integer (`1u`).
    UInteger,
    /// String (`"..."`).
    String,
    /// Boolean (`t`, `true`, `F`, ...).
    Boolean,
}

impl FieldType {
    /// A lowercase name for messages: `float`, `integer`, `uinteger`, `string`, `boolean`.
    pub const fn name(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::UInteger => "uinteger",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A typed field value; strings borrow from the body.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// `1`, `1.5`, `-1.5E-3` (always finite).
    Float(f64),
    /// `1i`.
    Integer(i64),
    /// `1u`.
    UInteger(u64),
    /// `"..."`.
    String(Text<'a>),
    /// `t`, `T`, `true`, `True`, `TRUE`, `f`, `F`, `false`, `False`, `FALSE`.
    Boolean(bool),
}

impl FieldValue<'_> {
    /// The value's type.
    #[inline]
    pub fn field_type(&self) -> FieldType {
        match self {
            FieldValue::Float(_) => FieldType::Float,
            FieldValue::Integer(_) => FieldType::Integer,
            FieldValue::UInteger(_) => FieldType::UInteger,
            FieldValue::String(_) => FieldType::String,
            FieldValue::Boolean(_) => FieldType::Boolean,
        }
    }

    /// An owned copy (unescaping a string).
    pub fn to_owned_value(&self) -> OwnedFieldValue {
        match *self {
            FieldValue::Float(v) => OwnedFieldValue::Float(v),
            FieldValue::Integer(v) => OwnedFieldValue::Integer(v),
            FieldValue::UInteger(v) => OwnedFieldValue::UInteger(v),
            FieldValue::String(t) => OwnedFieldValue::String(t.unescape().into_owned()),
            FieldValue::Boolean(v) => OwnedFieldValue::Boolean(v),
        }
    }
}

/// A tag of a parsed line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag<'a> {
    /// The tag key.
    pub key: Text<'a>,
    /// The tag value (never empty).
    pub value: Text<'a>,
}

/// A field of a parsed line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field<'a> {
    /// The field key.
    pub key: Text<'a>,
    /// The typed value.
    pub value: FieldValue<'a>,
}

/// One parsed line, borrowing its text from the body (`'a`) and its tag and field lists from
/// the [`Parser`](crate::Parser)'s reused buffers (`'p`).
///
/// Tag keys are distinct, field keys are distinct (a field given twice with the same type
/// keeps its last value, as in InfluxDB) and no tag key is also a field key. Tags and fields
/// are in the order written.
#[derive(Clone, Copy, Debug)]
pub struct Line<'p, 'a> {
    /// 1-based line number in the body.
    pub number: usize,
    /// The measurement (table) name.
    pub measurement: Text<'a>,
    /// The tag set, possibly empty.
    pub tags: &'p [Tag<'a>],
    /// The field set, never empty.
    pub fields: &'p [Field<'a>],
    /// The timestamp in nanoseconds (converted from the parser's precision), if the line has
    /// one; see [`Line::time_or`].
    pub timestamp: Option<i64>,
    /// The line as written, without its leading whitespace and line ending (trailing
    /// whitespace is kept), e.g. to quote it in a schema error.
    pub source: &'a str,
}

impl<'p, 'a> Line<'p, 'a> {
    /// The timestamp, or `default_nanos` (e.g. the server's clock) when the line has none.
    #[inline]
    pub fn time_or(&self, default_nanos: i64) -> i64 {
        self.timestamp.unwrap_or(default_nanos)
    }

    /// The value of the tag `key`, if the line has it.
    pub fn tag(&self, key: &str) -> Option<Text<'a>> {
        self.tags.iter().find(|t| t.key == key).map(|t| t.value)
    }

    /// The value of the field `key`, if the line has it.
    pub fn field(&self, key: &str) -> Option<FieldValue<'a>> {
        self.fields.iter().find(|f| f.key == key).map(|f| f.value)
    }

    /// An owned copy of the line.
    pub fn to_point(&self) -> Point {
        Point {
            measurement: self.measurement.unescape().into_owned(),
            tags: self
                .tags
                .iter()
                .map(|t| {
                    (
                        t.key.unescape().into_owned(),
                        t.value.unescape().into_owned(),
                    )
                })
                .collect(),
            fields: self
                .fields
                .iter()
                .map(|f| (f.key.unescape().into_owned(), f.value.to_owned_value()))
                .collect(),
            timestamp: self.timestamp,
        }
    }

    /// Appends the line as canonical line protocol (no line ending) to `out`.
    pub fn write_to(&self, out: &mut String) -> Result<(), SerializeError> {
        let mut w = LineWriter::new(out, self.measurement)?;
        for t in self.tags {
            w.tag(t.key, t.value)?;
        }
        for f in self.fields {
            w.field(f.key, f.value)?;
        }
        w.finish(self.timestamp)
    }
}

impl fmt::Display for Line<'_, '_> {
    /// Canonical line protocol for the line (no line ending). Every parsed line can be
    /// written; the timestamp is written in nanoseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_to(&mut s).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

/// An owned field value.
#[derive(Clone, Debug, PartialEq)]
pub enum OwnedFieldValue {
    /// 64-bit float.
    Float(f64),
    /// Signed 64-bit integer.
    Integer(i64),
    /// Unsigned 64-bit integer.
    UInteger(u64),
    /// String.
    String(String),
    /// Boolean.
    Boolean(bool),
}

impl OwnedFieldValue {
    /// A borrowed view.
    pub fn as_value(&self) -> FieldValue<'_> {
        match self {
            OwnedFieldValue::Float(v) => FieldValue::Float(*v),
            OwnedFieldValue::Integer(v) => FieldValue::Integer(*v),
            OwnedFieldValue::UInteger(v) => FieldValue::UInteger(*v),
            OwnedFieldValue::String(v) => FieldValue::String(Text::plain(v)),
            OwnedFieldValue::Boolean(v) => FieldValue::Boolean(*v),
        }
    }

    /// The value's type.
    pub fn field_type(&self) -> FieldType {
        self.as_value().field_type()
    }
}

/// An owned point: what a line says, detached from the body. Used by tools and tests;
/// the write path works on [`Line`]s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Point {
    /// The measurement (table) name.
    pub measurement: String,
    /// Tag keys and values, in order.
    pub tags: Vec<(String, String)>,
    /// Field keys and values, in order.
    pub fields: Vec<(String, OwnedFieldValue)>,
    /// The timestamp, if any. Points from [`parse_points`](crate::parse_points) carry
    /// nanoseconds (converted from the precision given); writing copies it as it is.
    pub timestamp: Option<i64>,
}

impl Point {
    /// A point with no tags, fields or timestamp yet.
    pub fn new(measurement: impl Into<String>) -> Self {
        Point {
            measurement: measurement.into(),
            ..Point::default()
        }
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Adds a field.
    pub fn field(mut self, key: impl Into<String>, value: OwnedFieldValue) -> Self {
        self.fields.push((key.into(), value));
        self
    }

    /// Sets the timestamp.
    pub fn timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Appends the point as line protocol (no line ending) to `out`. On error `out` is left
    /// as it was.
    pub fn write_to(&self, out: &mut String) -> Result<(), SerializeError> {
        let mut w = LineWriter::new(out, Text::plain(&self.measurement))?;
        for (k, v) in &self.tags {
            w.tag(Text::plain(k), Text::plain(v))?;
        }
        for (k, v) in &self.fields {
            w.field(Text::plain(k), v.as_value())?;
        }
        w.finish(self.timestamp)
    }

    /// The point as one line of line protocol (no line ending).
    pub fn to_line_protocol(&self) -> Result<String, SerializeError> {
        let mut s = String::new();
        self.write_to(&mut s)?;
        Ok(s)
    }
}

/// Writes `points` as line protocol, each followed by `\n`. On error `out` keeps the lines
/// written before the offending point.
pub fn write_points<'p>(
    points: impl IntoIterator<Item = &'p Point>,
    out: &mut String,
) -> Result<(), SerializeError> {
    for p in points {
        p.write_to(out)?;
        out.push('\n');
    }
    Ok(())
}
