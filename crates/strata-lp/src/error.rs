//! Errors: [`LineError`] for a line that is not valid line protocol, [`SerializeError`] for a
//! point that cannot be written as line protocol.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use crate::Precision;

/// The longest measurement, tag key, tag value, field key or string field value accepted, in
/// bytes of the unescaped value (InfluxDB's limit).
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// How many characters of the offending input an error message quotes.
const SNIPPET_CHARS: usize = 64;

/// A line that is not valid line protocol.
///
/// `line` is the 1-based number of the line in the body (counting every `\n`, so blank and
/// comment lines count too); a line whose string field spans several physical lines is
/// numbered by its first one. `column` is the 1-based position, in characters from the start
/// of that line, where the problem was found. `span` is the byte range of the whole line in
/// the body (without its line ending), to quote the rejected line back to the client with
/// [`LineError::source_line`].
///
/// `Display` reads like InfluxDB's messages, e.g.
/// `line 3: invalid field value "1.2.3" for field "usage": not a valid number`;
/// [`LineError::kind`]'s `Display` is the same without the `line N: ` prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number in the body.
    pub line: usize,
    /// 1-based column (in characters) where the problem was found.
    pub column: usize,
    /// Byte range of the line in the body, line ending excluded.
    pub span: Range<usize>,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl LineError {
    /// The rejected line's text (lossily decoded if it is not valid UTF-8).
    pub fn source_line<'b>(&self, body: &'b [u8]) -> Cow<'b, str> {
        let end = self.span.end.min(body.len());
        let start = self.span.start.min(end);
        String::from_utf8_lossy(&body[start..end])
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

impl std::error::Error for LineError {}

/// What was wrong with a line. Names and values quoted in the variants are unescaped and cut
/// to 64 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The line does not start with a measurement (e.g. it starts with a comma).
    MissingMeasurement,
    /// The measurement contains a character it may not (a NUL).
    InvalidMeasurement {
        /// Why.
        reason: &'static str,
    },
    /// The line has no field set.
    MissingFields,
    /// A comma in the tag set is not followed by a tag key.
    MissingTagKey,
    /// A tag key is not followed by `=`.
    MissingTagEquals {
        /// The tag key.
        key: String,
    },
    /// A tag has an empty value (InfluxDB wants the tag omitted instead).
    EmptyTagValue {
        /// The tag key.
        key: String,
    },
    /// The field set has an empty field key (e.g. a trailing comma).
    MissingFieldKey,
    /// A field key is not followed by `=`.
    MissingFieldEquals {
        /// The field key.
        key: String,
    },
    /// A field has no value.
    MissingFieldValue {
        /// The field key.
        field: String,
    },
    /// A field value is not a float, integer, unsigned integer, string or boolean.
    InvalidFieldValue {
        /// The field key.
        field: String,
        /// The value as written.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// An integer (`…i`) field value is outside the range of `i64`.
    IntegerOutOfRange {
        /// The field key.
        field: String,
        /// The value as written.
        value: String,
    },
    /// An unsigned integer (`…u`) field value is outside the range of `u64`.
    UnsignedOutOfRange {
        /// The field key.
        field: String,
        /// The value as written.
        value: String,
    },
    /// A float field value is too large to be finite.
    FloatOutOfRange {
        /// The field key.
        field: String,
        /// The value as written.
        value: String,
    },
    /// A string field value has no closing double quote.
    UnterminatedString {
        /// The field key.
        field: String,
    },
    /// Something other than `,`, whitespace or the end of the line follows a field value.
    UnexpectedAfterFieldValue {
        /// The field key.
        field: String,
        /// What follows the value.
        found: String,
    },
    /// The timestamp is not an integer.
    InvalidTimestamp {
        /// The timestamp as written.
        value: String,
    },
    /// The timestamp is outside the range of `i64`.
    TimestampOutOfRange {
        /// The timestamp as written.
        value: String,
    },
    /// The timestamp overflows `i64` nanoseconds once converted from the write's precision.
    TimestampOverflow {
        /// The timestamp as written.
        timestamp: i64,
        /// The write's precision.
        precision: Precision,
    },
    /// Something follows the timestamp.
    TrailingContent {
        /// What follows.
        content: String,
    },
    /// The line is not valid UTF-8.
    InvalidUtf8,
    /// A tag key appears twice in the line.
    DuplicateTag {
        /// The tag key.
        key: String,
    },
    /// A field key appears twice in the line with values of different types. (Twice with the
    /// same type is accepted: the last value wins, as in InfluxDB.)
    ConflictingFieldTypes {
        /// The field key.
        field: String,
    },
    /// The same name is used for a tag and a field of the line.
    TagFieldConflict {
        /// The name.
        name: String,
    },
    /// A measurement, key or string value is longer than [`MAX_TEXT_LEN`] bytes.
    TooLong {
        /// Which element ("measurement", "tag key", ...).
        element: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            MissingMeasurement => f.write_str("missing measurement: a line must start with the measurement name"),
            InvalidMeasurement { reason } => write!(f, "invalid measurement: {reason}"),
            MissingFields => f.write_str(
                "missing fields: a line needs at least one field (key=value) after the measurement and tags",
            ),
            MissingTagKey => f.write_str("missing tag key after a comma in the tag set"),
            MissingTagEquals { key } => write!(f, "tag key \"{key}\" is not followed by \"=\" and a value"),
            EmptyTagValue { key } => {
                write!(f, "empty value for tag \"{key}\" (omit the tag instead)")
            }
            MissingFieldKey => f.write_str("missing field key (empty key or trailing comma in the field set)"),
            MissingFieldEquals { key } => write!(f, "field key \"{key}\" is not followed by \"=\" and a value"),
            MissingFieldValue { field } => write!(f, "missing value for field \"{field}\""),
            InvalidFieldValue { field, value, reason } => {
                write!(f, "invalid field value \"{value}\" for field \"{field}\": {reason}")
            }
            IntegerOutOfRange { field, value } => write!(
                f,
                "invalid field value \"{value}\" for field \"{field}\": integer out of range (must fit in a signed 64-bit integer)"
            ),
            UnsignedOutOfRange { field, value } => write!(
                f,
                "invalid field value \"{value}\" for field \"{field}\": unsigned integer out of range (must fit in an unsigned 64-bit integer)"
            ),
            FloatOutOfRange { field, value } => write!(
                f,
                "invalid field value \"{value}\" for field \"{field}\": float out of range (must be finite)"
            ),
            UnterminatedString { field } => write!(
                f,
                "unterminated string value for field \"{field}\" (missing closing double quote)"
            ),
            UnexpectedAfterFieldValue { field, found } => write!(
                f,
                "unexpected \"{found}\" after the value of field \"{field}\" (expected a comma, a space or the end of the line)"
            ),
            InvalidTimestamp { value } => {
                write!(f, "invalid timestamp \"{value}\": must be an integer")
            }
            TimestampOutOfRange { value } => write!(
                f,
                "invalid timestamp \"{value}\": out of range (must fit in a signed 64-bit integer)"
            ),
            TimestampOverflow { timestamp, precision } => {
                let overflow = crate::TimestampOverflow {
                    timestamp: *timestamp,
                    precision: *precision,
                };
                write!(f, "{overflow}")
            }
            TrailingContent { content } => {
                write!(f, "unexpected content \"{content}\" after the timestamp")
            }
            InvalidUtf8 => f.write_str("invalid UTF-8"),
            DuplicateTag { key } => write!(f, "duplicate tag \"{key}\""),
            ConflictingFieldTypes { field } => write!(
                f,
                "field \"{field}\" is given more than once with values of different types"
            ),
            TagFieldConflict { name } => {
                write!(f, "\"{name}\" is used both as a tag key and as a field key")
            }
            TooLong { element, len } => write!(
                f,
                "{element} is too long ({len} bytes, the limit is {MAX_TEXT_LEN})"
            ),
        }
    }
}

/// Quotes at most [`SNIPPET_CHARS`] characters of `s` for an error message.
pub(crate) fn snippet(s: &str) -> String {
    match s.char_indices().nth(SNIPPET_CHARS) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

/// A point that cannot be written as line protocol that parses back to the same point.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SerializeError {
    /// The measurement is empty.
    EmptyMeasurement,
    /// The measurement starts with `#` (the line would be a comment) or a tab (it would be
    /// taken for leading whitespace), or contains a NUL.
    UnrepresentableMeasurement,
    /// A tag key, tag value or field key is empty.
    EmptyKey {
        /// Which element.
        element: &'static str,
    },
    /// A measurement, tag or field key contains a line feed, which line protocol cannot
    /// express outside string field values.
    ContainsNewline {
        /// Which element.
        element: &'static str,
    },
    /// A text is longer than [`MAX_TEXT_LEN`] bytes.
    TooLong {
        /// Which element.
        element: &'static str,
    },
    /// A float field value is NaN or infinite.
    NonFiniteFloat,
    /// The point has no field.
    NoFields,
    /// A tag was added after a field.
    TagAfterField,
}

impl fmt::Display for SerializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerializeError::EmptyMeasurement => f.write_str("empty measurement"),
            SerializeError::UnrepresentableMeasurement => f.write_str(
                "a measurement may not start with '#' or a tab, nor contain a NUL character",
            ),
            SerializeError::EmptyKey { element } => write!(f, "empty {element}"),
            SerializeError::ContainsNewline { element } => {
                write!(f, "{element} contains a line feed")
            }
            SerializeError::TooLong { element } => {
                write!(f, "{element} is longer than {MAX_TEXT_LEN} bytes")
            }
            SerializeError::NonFiniteFloat => f.write_str("float field value is NaN or infinite"),
            SerializeError::NoFields => f.write_str("a point needs at least one field"),
            SerializeError::TagAfterField => f.write_str("tags must be written before fields"),
        }
    }
}

impl std::error::Error for SerializeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_cut_on_char_boundaries() {
        assert_eq!(snippet("short"), "short");
        let long = "é".repeat(100);
        let s = snippet(&long);
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 1);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn display_has_the_line_number() {
        let e = LineError {
            line: 3,
            column: 12,
            span: 0..5,
            kind: ErrorKind::InvalidFieldValue {
                field: "usage".into(),
                value: "1.2.3".into(),
                reason: "not a valid number",
            },
        };
        assert_eq!(
            e.to_string(),
            r#"line 3: invalid field value "1.2.3" for field "usage": not a valid number"#
        );
        assert_eq!(e.source_line(b"cpu u"), "cpu u");
        assert_eq!(e.source_line(b"cp"), "cp");
    }
}
