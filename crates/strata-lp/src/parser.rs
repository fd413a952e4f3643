//! The parser: [`Parser`] walks a body line by line, reusing its tag and field buffers.

use crate::error::{ErrorKind, LineError, MAX_TEXT_LEN, snippet};
use crate::line::{Field, FieldValue, Line, Point, Tag};
use crate::number::{
    NumError, Number, fast_timestamp, fast_value, parse_f64, parse_i64, parse_u64,
};
use crate::precision::Precision;
use crate::text::{Escaping, Text, key_hash};

// Byte classes: which bytes stop a scan in each element.
const MEAS: u8 = 1; // measurement
const KEY: u8 = 2; // tag key, field key
const TVAL: u8 = 4; // tag value
const STR: u8 = 8; // inside a string field value
const VAL: u8 = 16; // unquoted field value
const TS: u8 = 32; // timestamp

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    t[b',' as usize] = MEAS | KEY | TVAL | VAL;
    t[b' ' as usize] = MEAS | KEY | TVAL | VAL | TS;
    t[b'\\' as usize] = MEAS | KEY | TVAL | STR;
    t[b'\n' as usize] = MEAS | KEY | TVAL | STR | VAL | TS;
    t[b'\r' as usize] = MEAS | KEY | TVAL | VAL | TS;
    t[b'\t' as usize] = VAL | TS;
    t[b'=' as usize] = KEY;
    t[b'"' as usize] = STR;
    t[0] = MEAS;
    t
}

static CLASS: [u8; 256] = classes();

/// The first index from `i` whose byte is of class `stop`, or `b.len()`.
#[inline(always)]
fn skip(b: &[u8], mut i: usize, stop: u8) -> usize {
    while i < b.len() && CLASS[b[i] as usize] & stop == 0 {
        i += 1;
    }
    i
}

/// Up to this many keys in a line, duplicates are looked for by comparing every pair.
const PAIRWISE_MAX_KEYS: usize = 4;

/// Parses a body of line protocol line by line.
///
/// `next_line` returns each line as a [`Line`] that borrows the body and the parser's reused
/// tag and field buffers, so parsing allocates nothing per line (the buffers grow to the
/// largest line and stay). A bad line yields a [`LineError`] and parsing goes on with the
/// next line, so callers can keep the good lines and report the bad ones.
///
/// ```
/// use strata_lp::{FieldValue, Parser};
///
/// let body = b"cpu,host=a usage=0.5,count=3i 1700000000000000000\n# comment\nmem free=1u\n";
/// let mut parser = Parser::new(body);
/// let line = parser.next_line().unwrap().unwrap();
/// assert_eq!(line.measurement, "cpu");
/// assert_eq!(line.tag("host").unwrap(), "a");
/// assert_eq!(line.field("count"), Some(FieldValue::Integer(3)));
/// assert_eq!(line.timestamp, Some(1_700_000_000_000_000_000));
/// let line = parser.next_line().unwrap().unwrap();
/// assert_eq!((line.number, line.timestamp), (3, None));
/// assert!(parser.next_line().is_none());
/// ```
///
/// `Parser` is a lending iterator (each line borrows the parser), so it is driven with
/// `while let Some(result) = parser.next_line()`; [`crate::parse_points`] is an ordinary
/// iterator of owned [`Point`]s for code that does not need zero-copy.
#[derive(Debug)]
pub struct Parser<'a> {
    input: &'a [u8],
    /// Where the next line starts (always the start of a physical line).
    pos: usize,
    /// The number of the physical line at `pos`.
    line_no: usize,
    /// A valid UTF-8 run of `input` starting at `run_start`; lines are parsed inside it.
    run: &'a str,
    run_start: usize,
    precision: Precision,
    tags: Vec<Tag<'a>>,
    fields: Vec<Field<'a>>,
    hashes: Vec<u64>,
    dropped: Vec<usize>,
    order: Vec<usize>,
}

/// A parse failure inside a line: where and what.
struct Fail {
    pos: usize,
    kind: ErrorKind,
}

/// A successfully parsed line's extent.
struct Parsed<'a> {
    measurement: Text<'a>,
    timestamp: Option<i64>,
    timestamp_pos: usize,
    /// End of the line's content (where its line ending starts).
    content_end: usize,
    /// Start of the next line.
    next: usize,
    /// Line feeds consumed (inside strings and the line ending).
    newlines: usize,
}

impl<'a> Parser<'a> {
    /// A parser over `input` with nanosecond timestamps.
    pub fn new(input: &'a [u8]) -> Self {
        let mut p = Parser {
            input,
            pos: 0,
            line_no: 1,
            run: "",
            run_start: 0,
            precision: Precision::Nanoseconds,
            tags: Vec::new(),
            fields: Vec::new(),
            hashes: Vec::new(),
            dropped: Vec::new(),
            order: Vec::new(),
        };
        p.load_run(0);
        p
    }

    /// Sets the precision of the body's timestamps: [`Line::timestamp`] is then converted
    /// to nanoseconds, and a timestamp that overflows is a [`ErrorKind::TimestampOverflow`].
    pub fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// The same parser (keeping its buffers' capacity) over another body.
    pub fn reuse<'b>(self, input: &'b [u8]) -> Parser<'b> {
        Parser {
            input,
            pos: 0,
            line_no: 1,
            run: "",
            run_start: 0,
            precision: self.precision,
            tags: recycle(self.tags),
            fields: recycle(self.fields),
            hashes: self.hashes,
            dropped: self.dropped,
            order: self.order,
        }
        .with_loaded_run()
    }

    fn with_loaded_run(mut self) -> Self {
        self.load_run(0);
        self
    }

    /// The number of the line the next call starts at (1-based).
    pub fn line_number(&self) -> usize {
        self.line_no
    }

    /// The byte offset the next call starts at.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next line: `None` at the end of the body, otherwise the line or why it is invalid.
    /// Blank lines and comments are skipped.
    #[allow(clippy::should_implement_trait)]
    pub fn next_line(&mut self) -> Option<Result<Line<'_, 'a>, LineError>> {
        let input = self.input;
        let len = input.len();
        let mut i = self.pos;
        let mut phys_start = i;
        loop {
            while i < len && (input[i] == b' ' || input[i] == b'\t') {
                i += 1;
            }
            if i >= len {
                self.pos = len;
                return None;
            }
            match input[i] {
                b'\n' => {
                    i += 1;
                    self.line_no += 1;
                    phys_start = i;
                }
                b'\r' if i + 1 == len || input[i + 1] == b'\n' => i += 1,
                b'#' => {
                    i = input[i..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(len, |n| i + n)
                }
                _ => break,
            }
        }
        if i >= self.limit() {
            self.load_run(i);
        }
        let number = self.line_no;
        self.tags.clear();
        self.fields.clear();
        match self.parse_line(i) {
            Ok(parsed) => {
                let checked = self
                    .check_keys()
                    .map_err(|kind| Fail { pos: i, kind })
                    .and_then(|()| self.convert_timestamp(&parsed));
                match checked {
                    Ok(timestamp) => {
                        self.pos = parsed.next;
                        self.line_no += parsed.newlines;
                        let source = self.slice(i, parsed.content_end);
                        Some(Ok(Line {
                            number,
                            measurement: parsed.measurement,
                            tags: &self.tags,
                            fields: &self.fields,
                            timestamp,
                            source,
                        }))
                    }
                    Err(fail) => Some(Err(self.recover(number, phys_start, i, fail))),
                }
            }
            Err(fail) => Some(Err(self.recover(number, phys_start, i, fail))),
        }
    }

    /// End of the current valid UTF-8 run.
    #[inline]
    fn limit(&self) -> usize {
        self.run_start + self.run.len()
    }

    /// Finds the longest valid UTF-8 run starting at `start`.
    fn load_run(&mut self, start: usize) {
        let rest = &self.input[start.min(self.input.len())..];
        let valid = match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(),
        };
        self.run = valid;
        self.run_start = start;
    }

    /// The run's text between two absolute offsets (both on ASCII delimiters or run ends).
    #[inline]
    fn slice(&self, a: usize, b: usize) -> &'a str {
        let run = self.run;
        &run[a - self.run_start..b - self.run_start]
    }

    #[inline]
    fn text(&self, a: usize, b: usize, escaped: bool, escaping: Escaping) -> Text<'a> {
        Text::new(
            self.slice(a, b),
            if escaped { escaping } else { Escaping::None },
        )
    }

    /// Whether `i` is at the end of the line's content: the end of the run, a `\n`, or a `\r`
    /// that ends the line (`\r\n`, or `\r` at the end of the body).
    #[inline]
    fn at_eol(&self, i: usize) -> bool {
        let b = self.input;
        i >= self.limit()
            || b[i] == b'\n'
            || (b[i] == b'\r' && (i + 1 == b.len() || b[i + 1] == b'\n'))
    }

    /// Scans a measurement, key or tag value from `i` to the first byte of class `stop` that
    /// is not escaped. Returns the end and whether an escape sequence was seen.
    #[inline]
    fn scan_ident(&self, mut i: usize, stop: u8, escaping: Escaping) -> (usize, bool) {
        let lim = self.limit();
        let b = &self.input[..lim];
        let mut escaped = false;
        loop {
            i = skip(b, i, stop);
            if i >= b.len() {
                return (i, escaped);
            }
            match b[i] {
                b'\\' => {
                    if i + 1 < b.len() && escaping.is_escapable(b[i + 1]) {
                        escaped = true;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                b'\r' if !self.at_eol(i) => i += 1,
                _ => return (i, escaped),
            }
        }
    }

    fn check_len(&self, text: Text<'a>, element: &'static str, pos: usize) -> Result<(), Fail> {
        if text.raw().len() > MAX_TEXT_LEN {
            let len = text.len();
            if len > MAX_TEXT_LEN {
                return Err(Fail {
                    pos,
                    kind: ErrorKind::TooLong { element, len },
                });
            }
        }
        Ok(())
    }

    /// Parses the line starting at `s` (not blank, not a comment) into the buffers.
    fn parse_line(&mut self, s: usize) -> Result<Parsed<'a>, Fail> {
        let input = self.input;
        let len = input.len();
        let lim = self.limit();

        // Measurement.
        let (mut i, m_escaped) = self.scan_ident(s, MEAS, Escaping::Measurement);
        if i < lim && input[i] == 0 {
            return Err(Fail {
                pos: i,
                kind: ErrorKind::InvalidMeasurement {
                    reason: "it contains a NUL character",
                },
            });
        }
        if i == s {
            return Err(Fail {
                pos: s,
                kind: ErrorKind::MissingMeasurement,
            });
        }
        let measurement = self.text(s, i, m_escaped, Escaping::Measurement);
        self.check_len(measurement, "measurement", s)?;

        // Tag set.
        while i < lim && input[i] == b',' {
            i += 1;
            let ks = i;
            let (ke, k_escaped) = self.scan_ident(ks, KEY, Escaping::Key);
            if ke == ks {
                return Err(Fail {
                    pos: ks,
                    kind: ErrorKind::MissingTagKey,
                });
            }
            let key = self.text(ks, ke, k_escaped, Escaping::Key);
            if ke >= lim || input[ke] != b'=' {
                return Err(Fail {
                    pos: ke,
                    kind: ErrorKind::MissingTagEquals {
                        key: snippet(&key.unescape()),
                    },
                });
            }
            self.check_len(key, "tag key", ks)?;
            let vs = ke + 1;
            let (ve, v_escaped) = self.scan_ident(vs, TVAL, Escaping::Key);
            if ve == vs {
                return Err(Fail {
                    pos: vs,
                    kind: ErrorKind::EmptyTagValue {
                        key: snippet(&key.unescape()),
                    },
                });
            }
            let value = self.text(vs, ve, v_escaped, Escaping::Key);
            self.check_len(value, "tag value", vs)?;
            self.tags.push(Tag { key, value });
            i = ve;
        }

        // Whitespace, then the field set.
        while i < lim && input[i] == b' ' {
            i += 1;
        }
        if self.at_eol(i) {
            return Err(Fail {
                pos: i,
                kind: ErrorKind::MissingFields,
            });
        }
        let mut newlines = 0;
        loop {
            let ks = i;
            let (ke, k_escaped) = self.scan_ident(ks, KEY, Escaping::Key);
            let key = self.text(ks, ke, k_escaped, Escaping::Key);
            if ke >= lim || input[ke] != b'=' {
                let kind = if self.fields.is_empty() {
                    ErrorKind::MissingFields
                } else if ke == ks {
                    ErrorKind::MissingFieldKey
                } else {
                    ErrorKind::MissingFieldEquals {
                        key: snippet(&key.unescape()),
                    }
                };
                return Err(Fail { pos: ke, kind });
            }
            if ke == ks {
                return Err(Fail {
                    pos: ks,
                    kind: ErrorKind::MissingFieldKey,
                });
            }
            self.check_len(key, "field key", ks)?;
            let vs = ke + 1;
            i = vs;
            let value = if i < lim && input[i] == b'"' {
                // String: up to the first unescaped double quote; may span lines.
                i += 1;
                let ss = i;
                let mut s_escaped = false;
                let b = &input[..lim];
                loop {
                    i = skip(b, i, STR);
                    if i >= b.len() {
                        return Err(if lim < len {
                            Fail {
                                pos: lim,
                                kind: ErrorKind::InvalidUtf8,
                            }
                        } else {
                            Fail {
                                pos: vs,
                                kind: ErrorKind::UnterminatedString {
                                    field: snippet(&key.unescape()),
                                },
                            }
                        });
                    }
                    match b[i] {
                        b'"' => break,
                        b'\\' => {
                            if i + 1 < b.len() && matches!(b[i + 1], b'"' | b'\\') {
                                s_escaped = true;
                                i += 2;
                            } else {
                                i += 1;
                            }
                        }
                        _ => {
                            newlines += 1;
                            i += 1;
                        }
                    }
                }
                let text = self.text(ss, i, s_escaped, Escaping::StringValue);
                i += 1;
                self.check_len(text, "string field value", ss)?;
                FieldValue::String(text)
            } else if let Some((number, end)) = fast_value(&input[..lim], vs) {
                i = end;
                match number {
                    Number::Float(v) => FieldValue::Float(v),
                    Number::Integer(v) => FieldValue::Integer(v),
                    Number::UInteger(v) => FieldValue::UInteger(v),
                }
            } else {
                let b = &input[..lim];
                i = skip(b, i, VAL);
                if i == vs {
                    return Err(Fail {
                        pos: vs,
                        kind: ErrorKind::MissingFieldValue {
                            field: snippet(&key.unescape()),
                        },
                    });
                }
                match parse_value(&b[vs..i]) {
                    Ok(v) => v,
                    Err(_) if i == lim && lim < len => {
                        return Err(Fail {
                            pos: lim,
                            kind: ErrorKind::InvalidUtf8,
                        });
                    }
                    Err(e) => {
                        return Err(Fail {
                            pos: vs,
                            kind: e.into_kind(&key, self.slice(vs, i)),
                        });
                    }
                }
            };
            self.fields.push(Field { key, value });
            if i >= lim {
                break;
            }
            match input[i] {
                b',' => i += 1,
                b' ' | b'\t' | b'\n' => break,
                b'\r' if self.at_eol(i) => break,
                _ => {
                    let end = self.scan_to_eol(i);
                    return Err(Fail {
                        pos: i,
                        kind: ErrorKind::UnexpectedAfterFieldValue {
                            field: snippet(&key.unescape()),
                            found: snippet(self.slice(i, end)),
                        },
                    });
                }
            }
        }

        // Optional timestamp, optional trailing whitespace.
        while i < lim && (input[i] == b' ' || input[i] == b'\t') {
            i += 1;
        }
        let mut timestamp = None;
        let mut timestamp_pos = i;
        if !self.at_eol(i) {
            let ts = i;
            let b = &input[..lim];
            let parsed = match fast_timestamp(b, ts) {
                Some((t, end)) => {
                    i = end;
                    Ok(t)
                }
                None => {
                    i = skip(b, i, TS);
                    parse_i64(&b[ts..i])
                }
            };
            match parsed {
                Ok(t) => timestamp = Some(t),
                Err(_) if i == lim && lim < len => {
                    return Err(Fail {
                        pos: lim,
                        kind: ErrorKind::InvalidUtf8,
                    });
                }
                Err(NumError::Invalid) => {
                    return Err(Fail {
                        pos: ts,
                        kind: ErrorKind::InvalidTimestamp {
                            value: snippet(self.slice(ts, i)),
                        },
                    });
                }
                Err(NumError::OutOfRange) => {
                    return Err(Fail {
                        pos: ts,
                        kind: ErrorKind::TimestampOutOfRange {
                            value: snippet(self.slice(ts, i)),
                        },
                    });
                }
            }
            timestamp_pos = ts;
            while i < lim && (input[i] == b' ' || input[i] == b'\t') {
                i += 1;
            }
            if !self.at_eol(i) {
                let end = self.scan_to_eol(i);
                return Err(Fail {
                    pos: i,
                    kind: ErrorKind::TrailingContent {
                        content: snippet(self.slice(i, end)),
                    },
                });
            }
        }
        if i >= lim && lim < len {
            return Err(Fail {
                pos: lim,
                kind: ErrorKind::InvalidUtf8,
            });
        }
        let content_end = i;
        if i < len && input[i] == b'\r' {
            i += 1;
        }
        if i < len && input[i] == b'\n' {
            i += 1;
            newlines += 1;
        }
        Ok(Parsed {
            measurement,
            timestamp,
            timestamp_pos,
            content_end,
            next: i,
            newlines,
        })
    }

    /// The end of the content of the line containing `i` within the run (for quoting).
    fn scan_to_eol(&self, mut i: usize) -> usize {
        while !self.at_eol(i) {
            i += 1;
        }
        i
    }

    /// Rejects duplicate tags, tags and fields sharing a name, and fields given twice with
    /// different types; drops the earlier values of fields given twice with one type.
    fn check_keys(&mut self) -> Result<(), ErrorKind> {
        let nt = self.tags.len();
        let nf = self.fields.len();
        if nt + nf <= 1 {
            return Ok(());
        }
        self.dropped.clear();
        if nt + nf <= PAIRWISE_MAX_KEYS {
            self.check_keys_pairwise()?;
        } else if !self.check_keys_hashed()? {
            self.dropped.clear();
            self.check_keys_sorted()?;
        }
        self.apply_dropped();
        Ok(())
    }

    /// Removes the fields listed in `dropped`.
    fn apply_dropped(&mut self) {
        if !self.dropped.is_empty() {
            self.dropped.sort_unstable();
            let dropped = &self.dropped;
            let mut idx = 0;
            self.fields.retain(|_| {
                let keep = dropped.binary_search(&idx).is_err();
                idx += 1;
                keep
            });
        }
    }

    /// Compares every pair of keys (few keys).
    fn check_keys_pairwise(&mut self) -> Result<(), ErrorKind> {
        let nt = self.tags.len();
        for j in 1..nt {
            for i in 0..j {
                if self.tags[i].key == self.tags[j].key {
                    return Err(duplicate_tag(&self.tags[j].key));
                }
            }
        }
        for j in 0..self.fields.len() {
            let key = self.fields[j].key;
            for t in &self.tags {
                if t.key == key {
                    return Err(tag_field_conflict(&key));
                }
            }
            for i in 0..j {
                if self.fields[i].key == key && !self.dropped.contains(&i) {
                    self.same_field(i, j)?;
                }
            }
        }
        Ok(())
    }

    /// Compares only keys of equal hash, found through a 128-bit filter of the hashes.
    /// Returns `Ok(false)` when the keys collide so much that comparing them would be slow
    /// (crafted input): the caller then sorts instead.
    fn check_keys_hashed(&mut self) -> Result<bool, ErrorKind> {
        let nt = self.tags.len();
        let nf = self.fields.len();
        let mut budget = 4 * (nt + nf) + 16;
        let mut filter = 0u128;
        self.hashes.clear();
        for j in 0..nt {
            let h = key_hash(&self.tags[j].key);
            if test_and_set(&mut filter, h) {
                for i in 0..j {
                    if self.hashes[i] == h {
                        if budget == 0 {
                            return Ok(false);
                        }
                        budget -= 1;
                        if self.tags[i].key == self.tags[j].key {
                            return Err(duplicate_tag(&self.tags[j].key));
                        }
                    }
                }
            }
            self.hashes.push(h);
        }
        for j in 0..nf {
            let key = self.fields[j].key;
            let h = key_hash(&key);
            if test_and_set(&mut filter, h) {
                for i in 0..nt + j {
                    // A dropped field's hash is inverted, so it matches no key of its value.
                    if self.hashes[i] != h {
                        continue;
                    }
                    if budget == 0 {
                        return Ok(false);
                    }
                    budget -= 1;
                    if i < nt {
                        if self.tags[i].key == key {
                            return Err(tag_field_conflict(&key));
                        }
                    } else if self.fields[i - nt].key == key {
                        self.same_field(i - nt, j)?;
                        self.hashes[i] = !h;
                    }
                }
            }
            self.hashes.push(h);
        }
        Ok(true)
    }

    /// Sorts the keys (by value, then position) and inspects each group of equal keys:
    /// O(n log n) whatever the keys. Reports the problem the other methods would find first.
    fn check_keys_sorted(&mut self) -> Result<(), ErrorKind> {
        let nt = self.tags.len();
        let n = nt + self.fields.len();
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..n);
        let (tags, fields) = (&self.tags, &self.fields);
        let key = |k: usize| {
            if k < nt {
                tags[k].key
            } else {
                fields[k - nt].key
            }
        };
        order.sort_unstable_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
        // (index at which a left-to-right scan would notice it, the problem)
        let mut first: Option<(usize, ErrorKind)> = None;
        let mut g = 0;
        while g < n {
            let mut e = g + 1;
            while e < n && key(order[e]) == key(order[g]) {
                e += 1;
            }
            let group = &order[g..e];
            if group.len() > 1 {
                let found = if group[1] < nt {
                    Some((group[1], duplicate_tag(&key(group[1]))))
                } else if group[0] < nt {
                    Some((group[1], tag_field_conflict(&key(group[1]))))
                } else {
                    let ty = fields[group[0] - nt].value.field_type();
                    match group
                        .iter()
                        .find(|&&k| fields[k - nt].value.field_type() != ty)
                    {
                        Some(&k) => Some((
                            k,
                            ErrorKind::ConflictingFieldTypes {
                                field: snippet(&key(k).unescape()),
                            },
                        )),
                        None => {
                            self.dropped
                                .extend(group[..group.len() - 1].iter().map(|&k| k - nt));
                            None
                        }
                    }
                };
                if let Some((at, kind)) = found
                    && first.as_ref().is_none_or(|(f, _)| at < *f)
                {
                    first = Some((at, kind));
                }
            }
            g = e;
        }
        self.order = order;
        match first {
            Some((_, kind)) => Err(kind),
            None => Ok(()),
        }
    }

    /// Field `i` and the later field `j` have the same key.
    fn same_field(&mut self, i: usize, j: usize) -> Result<(), ErrorKind> {
        if self.fields[i].value.field_type() == self.fields[j].value.field_type() {
            self.dropped.push(i);
            Ok(())
        } else {
            Err(ErrorKind::ConflictingFieldTypes {
                field: snippet(&self.fields[j].key.unescape()),
            })
        }
    }

    fn convert_timestamp(&self, parsed: &Parsed<'a>) -> Result<Option<i64>, Fail> {
        match parsed.timestamp {
            None => Ok(None),
            Some(t) => match self.precision.to_nanos(t) {
                Some(ns) => Ok(Some(ns)),
                None => Err(Fail {
                    pos: parsed.timestamp_pos,
                    kind: ErrorKind::TimestampOverflow {
                        timestamp: t,
                        precision: self.precision,
                    },
                }),
            },
        }
    }

    /// Builds the error for the line starting at `start` and moves past the line.
    fn recover(&mut self, number: usize, phys_start: usize, start: usize, fail: Fail) -> LineError {
        let input = self.input;
        let len = input.len();
        let limit = self.limit();
        let mut fail = fail;
        if fail.pos >= limit && limit < len {
            // The line was cut short by bytes that are not UTF-8: that is what is wrong.
            fail.kind = ErrorKind::InvalidUtf8;
        }
        let mut end = logical_line_end(input, start);
        if end < fail.pos {
            end = input[fail.pos.min(len)..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(len, |n| fail.pos + n);
        }
        let mut content_end = end;
        if content_end > start && input[content_end - 1] == b'\r' {
            content_end -= 1;
        }
        let upto = fail.pos.min(len);
        let column = 1 + input[phys_start.min(upto)..upto]
            .iter()
            .filter(|&&c| (c & 0xC0) != 0x80)
            .count();
        let mut newlines = input[start..end].iter().filter(|&&c| c == b'\n').count();
        let mut next = end;
        if next < len {
            // `end` is at a line feed.
            next += 1;
            newlines += 1;
        }
        self.pos = next;
        self.line_no += newlines;
        LineError {
            line: number,
            column,
            span: start..content_end,
            kind: fail.kind,
        }
    }
}

/// A vector of one lifetime's values turned into an empty one of another lifetime's, keeping
/// the allocation (the standard library collects in place when the layouts match).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

#[inline]
fn test_and_set(filter: &mut u128, h: u64) -> bool {
    let bit = 1u128 << (h >> 57);
    let was = *filter & bit != 0;
    *filter |= bit;
    was
}

fn duplicate_tag(key: &Text<'_>) -> ErrorKind {
    ErrorKind::DuplicateTag {
        key: snippet(&key.unescape()),
    }
}

fn tag_field_conflict(key: &Text<'_>) -> ErrorKind {
    ErrorKind::TagFieldConflict {
        name: snippet(&key.unescape()),
    }
}

/// Where the logical line starting at `start` ends (the offset of its terminating `\n`, or
/// the end of the body), found the way InfluxDB splits a body into lines: a `\n` inside a
/// string field value does not end the line. Used to skip a line that failed to parse.
fn logical_line_end(b: &[u8], mut i: usize) -> usize {
    let mut quoted = false;
    let mut fields = false;
    let mut equals = 0usize;
    let mut commas = 0usize;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && i + 1 < b.len() && b[i + 1] != b'\n' {
            i += 2;
            continue;
        }
        match c {
            b' ' => fields = true,
            b'=' if fields && !quoted => equals += 1,
            b',' if fields && !quoted => commas += 1,
            b'"' if fields && equals > commas => quoted = !quoted,
            b'\n' if !quoted => return i,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Why an unquoted field value was rejected.
enum ValueError {
    Integer(NumError),
    Unsigned(NumError),
    NegativeUnsigned,
    Float(NumError),
    NotANumber,
    Boolean,
}

impl ValueError {
    fn into_kind(self, key: &Text<'_>, value: &str) -> ErrorKind {
        let field = snippet(&key.unescape());
        let value = snippet(value);
        let reason = match self {
            ValueError::Integer(NumError::OutOfRange) => {
                return ErrorKind::IntegerOutOfRange { field, value };
            }
            ValueError::Unsigned(NumError::OutOfRange) => {
                return ErrorKind::UnsignedOutOfRange { field, value };
            }
            ValueError::Float(NumError::OutOfRange) => {
                return ErrorKind::FloatOutOfRange { field, value };
            }
            ValueError::Integer(NumError::Invalid) => {
                "not a valid integer (digits with an optional '-', then 'i')"
            }
            ValueError::Unsigned(NumError::Invalid) => {
                "not a valid unsigned integer (digits, then 'u')"
            }
            ValueError::NegativeUnsigned => "unsigned integers cannot be negative",
            ValueError::Float(NumError::Invalid) => "not a valid number",
            ValueError::NotANumber => "NaN and infinity are not supported",
            ValueError::Boolean => {
                "expected a number (1.5, 1i, 1u), a double-quoted string or a boolean (t, T, true, True, TRUE, f, F, false, False, FALSE)"
            }
        };
        ErrorKind::InvalidFieldValue {
            field,
            value,
            reason,
        }
    }
}

/// An unquoted field value: integer, unsigned, float or boolean.
fn parse_value(token: &[u8]) -> Result<FieldValue<'static>, ValueError> {
    let (&last, body) = match token.split_last() {
        Some(x) => x,
        None => return Err(ValueError::Boolean),
    };
    match last {
        b'i' => parse_i64(body)
            .map(FieldValue::Integer)
            .map_err(ValueError::Integer),
        b'u' => {
            if body.first() == Some(&b'-') {
                return Err(ValueError::NegativeUnsigned);
            }
            parse_u64(body)
                .map(FieldValue::UInteger)
                .map_err(ValueError::Unsigned)
        }
        _ => match token[0] {
            b'0'..=b'9' | b'-' | b'.' => parse_f64(token).map(FieldValue::Float).map_err(|e| {
                if is_nan_or_inf(token) {
                    ValueError::NotANumber
                } else {
                    ValueError::Float(e)
                }
            }),
            _ => match token {
                b"t" | b"T" | b"true" | b"True" | b"TRUE" => Ok(FieldValue::Boolean(true)),
                b"f" | b"F" | b"false" | b"False" | b"FALSE" => Ok(FieldValue::Boolean(false)),
                _ if is_nan_or_inf(token) => Err(ValueError::NotANumber),
                _ => Err(ValueError::Boolean),
            },
        },
    }
}

fn is_nan_or_inf(token: &[u8]) -> bool {
    let t = match token.first() {
        Some(b'-' | b'+') => &token[1..],
        _ => token,
    };
    t.eq_ignore_ascii_case(b"nan")
        || t.eq_ignore_ascii_case(b"inf")
        || t.eq_ignore_ascii_case(b"infinity")
}

/// Parses a whole body into owned [`Point`]s, one item per line (comments and blank lines
/// skipped). Convenient for tools and tests; the write path uses [`Parser`] directly.
pub fn parse_points(input: &[u8]) -> Points<'_> {
    Points {
        parser: Parser::new(input),
    }
}

/// The iterator returned by [`parse_points`].
#[derive(Debug)]
pub struct Points<'a> {
    parser: Parser<'a>,
}

impl Points<'_> {
    /// Sets the precision of the body's timestamps (see [`Parser::with_precision`]).
    pub fn with_precision(self, precision: Precision) -> Self {
        Points {
            parser: self.parser.with_precision(precision),
        }
    }
}

impl Iterator for Points<'_> {
    type Item = Result<Point, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.parser
            .next_line()
            .map(|r| r.map(|line| line.to_point()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The value the parser gives for `m f=<token>`, or `None` if the line is rejected.
    fn parsed(token: &str) -> Option<FieldValue<'static>> {
        let body = format!("m f={token}");
        let mut parser = Parser::new(body.as_bytes());
        let value = match parser.next_line()? {
            Ok(line) => line.fields.first().map(|f| f.value),
            Err(_) => None,
        };
        value.map(|v| match v {
            FieldValue::String(_) => unreachable!("no quotes"),
            FieldValue::Float(v) => FieldValue::Float(v),
            FieldValue::Integer(v) => FieldValue::Integer(v),
            FieldValue::UInteger(v) => FieldValue::UInteger(v),
            FieldValue::Boolean(v) => FieldValue::Boolean(v),
        })
    }

    fn bits(v: Option<FieldValue<'_>>) -> Option<(u8, u64)> {
        v.map(|v| match v {
            FieldValue::Float(f) => (0, f.to_bits()),
            FieldValue::Integer(i) => (1, i as u64),
            FieldValue::UInteger(u) => (2, u),
            FieldValue::Boolean(b) => (3, u64::from(b)),
            FieldValue::String(_) => (4, 0),
        })
    }

    /// Runs one duplicate-detection method on `line` and says what it decided.
    fn decide(line: &str, method: fn(&mut Parser<'_>) -> Result<(), ErrorKind>) -> String {
        let mut p = Parser::new(line.as_bytes());
        p.parse_line(0).map_err(|f| f.kind).expect("line parses");
        p.dropped.clear();
        match method(&mut p) {
            Err(kind) => format!("{kind:?}"),
            Ok(()) => {
                p.apply_dropped();
                format!("{:?}", p.fields)
            }
        }
    }

    fn hashed(p: &mut Parser<'_>) -> Result<(), ErrorKind> {
        assert!(p.check_keys_hashed()?, "no crafted collisions here");
        Ok(())
    }

    fn key_name() -> impl Strategy<Value = String> {
        prop_oneof!["[abcde]", Just(r"a\\b".to_owned()), Just(r"a\b".to_owned())]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Pairwise, hashed and sorted duplicate detection decide alike.
        #[test]
        fn duplicate_detection_methods_agree(
            tags in prop::collection::vec(key_name(), 0..5),
            fields in prop::collection::vec((key_name(), prop::sample::select(vec!["1", "2i", "3u", "t", "\"s\""])), 1..7),
        ) {
            let mut line = String::from("m");
            for t in &tags {
                line.push_str(&format!(",{t}=v"));
            }
            for (i, (k, v)) in fields.iter().enumerate() {
                line.push(if i == 0 { ' ' } else { ',' });
                line.push_str(&format!("{k}={v}"));
            }
            let sorted = decide(&line, |p| p.check_keys_sorted());
            prop_assert_eq!(&decide(&line, hashed), &sorted, "{}", line);
            if tags.len() + fields.len() <= PAIRWISE_MAX_KEYS {
                prop_assert_eq!(&decide(&line, |p| p.check_keys_pairwise()), &sorted, "{}", line);
            }
        }

        /// The one-pass fast paths agree with the general path on every numeric token.
        #[test]
        fn fast_paths_agree_with_the_general_path(token in "-?[0-9]{0,21}(\\.[0-9]{0,6})?[eE]?[-+]?[0-9]{0,3}[iu]?") {
            prop_assume!(!token.is_empty());
            let general = parse_value(token.as_bytes()).ok();
            prop_assert_eq!(bits(parsed(&token)), bits(general), "{}", token);
        }

        #[test]
        fn fast_timestamps_agree_with_the_general_path(token in "-?[0-9]{1,21}") {
            let body = format!("m f=1 {token}");
            let got = Parser::new(body.as_bytes()).next_line().unwrap().ok().map(|l| l.timestamp);
            let want = parse_i64(token.as_bytes()).ok().map(Some);
            prop_assert_eq!(got, want, "{}", token);
        }
    }
}
