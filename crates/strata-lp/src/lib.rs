//! InfluxDB line protocol: a zero-copy parser for the write path's hot loop, and a writer.
//!
//! ```text
//! measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]
//! ```
//!
//! # API in brief
//!
//! - [`Parser`] walks a body (`&[u8]`) line by line: [`Parser::next_line`] returns
//!   `Option<Result<Line, LineError>>`. A [`Line`] borrows its text from the body and its
//!   tag and field lists from buffers the parser reuses, so a line costs no allocation.
//!   A bad line gives a [`LineError`] (1-based line number, column, byte span, [`ErrorKind`])
//!   and parsing goes on with the next line, so a server can keep the good lines and report
//!   the bad ones.
//! - Names and string values are [`Text`]s: the raw slice plus whether it contains escape
//!   sequences. Unescaped text (the common case) compares, hashes and displays without
//!   allocating; [`Text::unescape`] gives a `Cow<str>` that only allocates for escaped text.
//! - Field values are typed: [`FieldValue`] `::{Float, Integer, UInteger, String, Boolean}`.
//! - [`Precision`] (`ns`, `us`/`µs`, `ms`, `s`, with `FromStr`) converts timestamps to
//!   nanoseconds with overflow checks ([`Precision::to_nanos`], [`Precision::time_or`]); a
//!   parser built [`Parser::with_precision`] does it for every line and reports overflows as
//!   line errors. Lines without a timestamp take a caller-supplied default
//!   ([`Line::time_or`]).
//! - [`LineWriter`] writes a line with correct escaping; [`Line::write_to`],
//!   [`Point::write_to`] and [`write_points`] use it. [`Point`] is an owned line, and
//!   [`parse_points`] an ordinary iterator of points, for tools and tests.
//!
//! ```
//! use strata_lp::{FieldValue, Parser, Precision};
//!
//! let body = b"cpu,host=web\\ 1 usage=0.5,up=t 1700000000\nbad line\n";
//! let mut parser = Parser::new(body).with_precision("s".parse::<Precision>()?);
//! while let Some(result) = parser.next_line() {
//!     match result {
//!         Ok(line) => {
//!             assert_eq!(line.tag("host").unwrap(), "web 1");
//!             assert_eq!(line.field("up"), Some(FieldValue::Boolean(true)));
//!             assert_eq!(line.time_or(0), 1_700_000_000_000_000_000);
//!         }
//!         Err(e) => {
//!             assert_eq!((e.line, e.column), (2, 9));
//!             assert!(e.to_string().starts_with("line 2: missing fields"));
//!         }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Grammar
//!
//! Following InfluxData's line protocol reference, and InfluxDB 3's parser where the
//! reference is silent:
//!
//! - **Lines** end with `\n` or `\r\n` (a `\r` at the very end of the body also ends a line).
//!   Leading spaces and tabs are skipped. Lines that are empty or only whitespace are
//!   skipped, and so are comments: lines whose first non-whitespace character is `#`.
//!   A `\n` always ends a line, except inside a string field value.
//! - **Measurement**: required, up to the first unescaped `,` or space. `\,`, `\ ` and `\\`
//!   are escapes; `=` needs no escape. A NUL is refused.
//! - **Tag set**: optional, `,key=value` pairs. In keys `\,`, `\=`, `\ ` and `\\` are
//!   escapes; values take the same escapes and may also contain a bare `=`. Keys and values
//!   may not be empty.
//! - **Field set**: required, after one or more spaces: `key=value` pairs separated by `,`.
//!   Keys escape like tag keys. Values:
//!   - float: `-?` digits with an optional fraction (`1`, `1.5`, also `1.` and `.5`), then an
//!     optional exponent (`1e3`, `-1.5E-3`, `1e+3`). NaN and infinity cannot be written, and
//!     a value too large to be finite (`1e400`) is refused.
//!   - integer `-?[0-9]+i` within `i64`; unsigned `[0-9]+u` within `u64`.
//!   - string: `"..."` where `\"` and `\\` are escapes; it may span lines.
//!   - boolean: `t`, `T`, `true`, `True`, `TRUE`, `f`, `F`, `false`, `False`, `FALSE`.
//! - **Timestamp**: optional, after spaces or tabs: `-?[0-9]+` within `i64`, in the write's
//!   precision. Trailing spaces and tabs are allowed; anything else after it is refused.
//! - A backslash before any other character (or at the end of an element) is kept literally.
//! - Measurements, keys, tag values and string values are at most [`MAX_TEXT_LEN`] (64 KiB)
//!   bytes, as in InfluxDB; the body must be UTF-8 (checked per line).
//!
//! # Decisions where InfluxDB is ambiguous
//!
//! - **Duplicates** follow InfluxDB 3: a tag key given twice is an error
//!   ([`ErrorKind::DuplicateTag`]); a field given twice with values of the same type keeps
//!   the last value (as TSM did) and is returned once; given twice with different types it
//!   is an error ([`ErrorKind::ConflictingFieldTypes`]); a name used for both a tag and a
//!   field is an error ([`ErrorKind::TagFieldConflict`]).
//! - **`\\`** is an escaped backslash in every element (as InfluxDB 3's parser and the
//!   reference's backslash table have it), so a name may end with a backslash (`a\\`).
//!   The writer always escapes backslashes.
//! - **Line feeds**: a backslash does not escape a `\n` (InfluxDB 1.x continued the line);
//!   only string values may contain line feeds. A line that fails to parse is skipped the
//!   way InfluxDB splits lines, so an unterminated string swallows the rest of the body.
//! - **Tabs** are whitespace before a line and around the timestamp, but ordinary characters
//!   inside names (InfluxDB 3 refuses them there); only spaces separate the tag set from the
//!   field set.
//! - **Line numbers** count physical lines (blank and comment lines included); a line whose
//!   string spans several lines is numbered by its first. Columns count characters from the
//!   start of that first line.
//! - **Names reserved elsewhere** (`time`, names starting with `_`) are not refused here:
//!   that is the schema's concern.
//!
//! # Fuzzing
//!
//! `fuzz/` is a [cargo-fuzz](https://github.com/rust-fuzz/cargo-fuzz) project outside the
//! workspace (its own `[workspace]`). Its `parse` target parses arbitrary bytes and checks
//! that every parsed line, written back and parsed again, is the same line. With a nightly
//! toolchain and `cargo install cargo-fuzz`:
//!
//! ```text
//! cd crates/strata-lp/fuzz
//! cargo +nightly fuzz run parse -- -dict=lp.dict -max_total_time=300
//! ```
//!
//! The same property runs under `cargo test` on stable as a proptest over random bytes.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod line;
mod number;
mod parser;
mod precision;
mod serialize;
mod text;

pub use error::{ErrorKind, LineError, MAX_TEXT_LEN, SerializeError};
pub use line::{Field, FieldType, FieldValue, Line, OwnedFieldValue, Point, Tag, write_points};
pub use parser::{Parser, Points, parse_points};
pub use precision::{ParsePrecisionError, Precision, TimestampOverflow};
pub use serialize::LineWriter;
pub use text::{Chunks, Escaping, Text};
