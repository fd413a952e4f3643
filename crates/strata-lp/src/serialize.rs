//! Writing line protocol with correct escaping: [`LineWriter`].

use std::fmt::Write as _;

use crate::error::{MAX_TEXT_LEN, SerializeError};
use crate::line::FieldValue;
use crate::text::{Escaping, Text};

/// Which bytes an element escapes with a backslash when written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Element {
    Measurement,
    TagKey,
    TagValue,
    FieldKey,
    StringValue,
}

impl Element {
    /// Whether `c` is written as `\c`: exactly the characters the parser reads back from an
    /// escape sequence in this element.
    #[inline]
    fn must_escape(self, c: u8) -> bool {
        let escaping = match self {
            Element::Measurement => Escaping::Measurement,
            Element::TagKey | Element::TagValue | Element::FieldKey => Escaping::Key,
            Element::StringValue => Escaping::StringValue,
        };
        escaping.is_escapable(c)
    }

    fn name(self) -> &'static str {
        match self {
            Element::Measurement => "measurement",
            Element::TagKey => "tag key",
            Element::TagValue => "tag value",
            Element::FieldKey => "field key",
            Element::StringValue => "string field value",
        }
    }
}

/// Writes one line of line protocol into a `String`, escaping every element as the parser
/// expects, so that parsing the output gives back the same measurement, tags, fields and
/// timestamp. Backslashes are always escaped (`\\`), as are the element's delimiters.
///
/// ```
/// use strata_lp::{FieldValue, LineWriter, Text};
///
/// let mut out = String::new();
/// let mut w = LineWriter::new(&mut out, "cpu load")?;
/// w.tag("host", "a,b")?;
/// w.field("usage", FieldValue::Float(0.5))?;
/// w.field("note", FieldValue::String(Text::plain("say \"hi\"")))?;
/// w.finish(Some(1))?;
/// assert_eq!(out, r#"cpu\ load,host=a\,b usage=0.5,note="say \"hi\"" 1"#);
/// # Ok::<(), strata_lp::SerializeError>(())
/// ```
///
/// Not every value can be written: a measurement, tag or field key containing a line feed,
/// a measurement starting with `#` or a tab, empty names, NaN or infinite floats and texts
/// over [`MAX_TEXT_LEN`] bytes are refused with a [`SerializeError`]. On an error the output
/// is truncated back to where the line started and the writer refuses further calls.
#[derive(Debug)]
pub struct LineWriter<'o> {
    out: &'o mut String,
    start: usize,
    fields: usize,
    failed: Option<SerializeError>,
}

impl<'o> LineWriter<'o> {
    /// Starts a line with its measurement.
    pub fn new<'t>(
        out: &'o mut String,
        measurement: impl Into<Text<'t>>,
    ) -> Result<Self, SerializeError> {
        let start = out.len();
        let mut w = LineWriter {
            out,
            start,
            fields: 0,
            failed: None,
        };
        let m = measurement.into();
        let first = m.bytes().next();
        if matches!(first, Some(b'#' | b'\t')) || m.bytes().any(|c| c == 0) {
            return Err(w.fail(SerializeError::UnrepresentableMeasurement));
        }
        w.text(m, Element::Measurement)?;
        Ok(w)
    }

    /// Adds a tag (before any field).
    pub fn tag<'t>(
        &mut self,
        key: impl Into<Text<'t>>,
        value: impl Into<Text<'t>>,
    ) -> Result<&mut Self, SerializeError> {
        self.check()?;
        if self.fields > 0 {
            return Err(self.fail(SerializeError::TagAfterField));
        }
        self.out.push(',');
        self.text(key.into(), Element::TagKey)?;
        self.out.push('=');
        self.text(value.into(), Element::TagValue)?;
        Ok(self)
    }

    /// Adds a field.
    pub fn field<'t>(
        &mut self,
        key: impl Into<Text<'t>>,
        value: FieldValue<'_>,
    ) -> Result<&mut Self, SerializeError> {
        self.check()?;
        self.out.push(if self.fields == 0 { ' ' } else { ',' });
        self.fields += 1;
        self.text(key.into(), Element::FieldKey)?;
        self.out.push('=');
        match value {
            FieldValue::Float(v) => {
                if !v.is_finite() {
                    return Err(self.fail(SerializeError::NonFiniteFloat));
                }
                // `{:?}` is the shortest text that parses back to the same bits, with an
                // exponent for very large or small magnitudes (`1e300`, `1.5e-7`, `-0.0`).
                let _ = write!(self.out, "{v:?}");
            }
            FieldValue::Integer(v) => {
                let _ = write!(self.out, "{v}i");
            }
            FieldValue::UInteger(v) => {
                let _ = write!(self.out, "{v}u");
            }
            FieldValue::String(t) => {
                self.out.push('"');
                self.text(t, Element::StringValue)?;
                self.out.push('"');
            }
            FieldValue::Boolean(v) => self.out.push_str(if v { "true" } else { "false" }),
        }
        Ok(self)
    }

    /// Ends the line with an optional timestamp (no line ending is written).
    pub fn finish(mut self, timestamp: Option<i64>) -> Result<(), SerializeError> {
        self.check()?;
        if self.fields == 0 {
            return Err(self.fail(SerializeError::NoFields));
        }
        if let Some(ts) = timestamp {
            let _ = write!(self.out, " {ts}");
        }
        Ok(())
    }

    fn check(&self) -> Result<(), SerializeError> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn fail(&mut self, e: SerializeError) -> SerializeError {
        self.out.truncate(self.start);
        self.failed = Some(e.clone());
        e
    }

    fn text(&mut self, text: Text<'_>, element: Element) -> Result<(), SerializeError> {
        let mut len = 0;
        for chunk in text.chunks() {
            len += chunk.len();
            let b = chunk.as_bytes();
            let mut last = 0;
            for (i, &c) in b.iter().enumerate() {
                if element.must_escape(c) {
                    self.out.push_str(&chunk[last..i]);
                    self.out.push('\\');
                    last = i;
                } else if c == b'\n' && element != Element::StringValue {
                    return Err(self.fail(SerializeError::ContainsNewline {
                        element: element.name(),
                    }));
                }
            }
            self.out.push_str(&chunk[last..]);
        }
        if len > MAX_TEXT_LEN {
            return Err(self.fail(SerializeError::TooLong {
                element: element.name(),
            }));
        }
        if len == 0 && element != Element::StringValue {
            return Err(self.fail(if element == Element::Measurement {
                SerializeError::EmptyMeasurement
            } else {
                SerializeError::EmptyKey {
                    element: element.name(),
                }
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OwnedFieldValue, Point};

    fn lp(p: &Point) -> Result<String, SerializeError> {
        p.to_line_protocol()
    }

    #[test]
    fn escapes_each_element() {
        let p = Point::new(r"m e,a=s\u")
            .tag(r"k ,=\", r"v ,=\")
            .field(r"f ,=\", OwnedFieldValue::String(r#"s "q" \ , = n"#.into()))
            .timestamp(-5);
        assert_eq!(
            lp(&p).unwrap(),
            r#"m\ e\,a=s\\u,k\ \,\=\\=v\ \,\=\\ f\ \,\=\\="s \"q\" \\ , = n" -5"#
        );
    }

    #[test]
    fn writes_every_value_type() {
        let p = Point::new("m")
            .field("a", OwnedFieldValue::Float(1.0))
            .field("b", OwnedFieldValue::Float(-1.5e-7))
            .field("c", OwnedFieldValue::Float(1e300))
            .field("d", OwnedFieldValue::Integer(i64::MIN))
            .field("e", OwnedFieldValue::UInteger(u64::MAX))
            .field("f", OwnedFieldValue::Boolean(true))
            .field("g", OwnedFieldValue::Boolean(false))
            .field("h", OwnedFieldValue::String(String::new()))
            .field("i", OwnedFieldValue::Float(-0.0));
        assert_eq!(
            lp(&p).unwrap(),
            "m a=1.0,b=-1.5e-7,c=1e300,d=-9223372036854775808i,e=18446744073709551615u,f=true,g=false,h=\"\",i=-0.0"
        );
    }

    #[test]
    fn refuses_what_cannot_be_written() {
        let f = || OwnedFieldValue::Integer(1);
        let cases = [
            (
                Point::new("").field("a", f()),
                SerializeError::EmptyMeasurement,
            ),
            (
                Point::new("#m").field("a", f()),
                SerializeError::UnrepresentableMeasurement,
            ),
            (
                Point::new("\tm").field("a", f()),
                SerializeError::UnrepresentableMeasurement,
            ),
            (
                Point::new("m\0").field("a", f()),
                SerializeError::UnrepresentableMeasurement,
            ),
            (
                Point::new("m\nx").field("a", f()),
                SerializeError::ContainsNewline {
                    element: "measurement",
                },
            ),
            (
                Point::new("m").tag("", "v").field("a", f()),
                SerializeError::EmptyKey { element: "tag key" },
            ),
            (
                Point::new("m").tag("k", "").field("a", f()),
                SerializeError::EmptyKey {
                    element: "tag value",
                },
            ),
            (
                Point::new("m").tag("k", "a\nb").field("a", f()),
                SerializeError::ContainsNewline {
                    element: "tag value",
                },
            ),
            (
                Point::new("m").field("", f()),
                SerializeError::EmptyKey {
                    element: "field key",
                },
            ),
            (
                Point::new("m").field("a", OwnedFieldValue::Float(f64::NAN)),
                SerializeError::NonFiniteFloat,
            ),
            (
                Point::new("m").field("a", OwnedFieldValue::Float(f64::INFINITY)),
                SerializeError::NonFiniteFloat,
            ),
            (Point::new("m"), SerializeError::NoFields),
            (
                Point::new("x".repeat(MAX_TEXT_LEN + 1)).field("a", f()),
                SerializeError::TooLong {
                    element: "measurement",
                },
            ),
        ];
        for (p, want) in cases {
            let mut out = String::from("keep\n");
            assert_eq!(p.write_to(&mut out), Err(want), "{p:?}");
            assert_eq!(out, "keep\n", "output is rolled back");
        }
        // Strings may hold line feeds and the measurement may contain '#' after its start.
        let p = Point::new("m#").field("s", OwnedFieldValue::String("a\nb".into()));
        assert_eq!(lp(&p).unwrap(), "m# s=\"a\nb\"");
    }

    #[test]
    fn tags_after_fields_are_refused() {
        let mut out = String::new();
        let mut w = LineWriter::new(&mut out, "m").unwrap();
        w.field("a", FieldValue::Boolean(true)).unwrap();
        assert_eq!(w.tag("k", "v").unwrap_err(), SerializeError::TagAfterField);
        assert_eq!(
            w.field("b", FieldValue::Boolean(true)).unwrap_err(),
            SerializeError::TagAfterField
        );
        assert_eq!(out, "");
    }
}
