//! [`Text`]: a borrowed, possibly escaped piece of a line, unescaped only on demand.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Which escape sequences a raw slice may contain, i.e. which element of a line it came from.
///
/// In every element a backslash followed by one of the element's escapable characters stands
/// for that character; a backslash followed by anything else (or by nothing) is kept literally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Escaping {
    /// The raw slice contains no escape sequence: it is the value.
    None,
    /// A measurement: `\,`, `\ ` and `\\`.
    Measurement,
    /// A tag key, tag value or field key: `\,`, `\=`, `\ ` and `\\`.
    Key,
    /// A string field value (between its double quotes): `\"` and `\\`.
    StringValue,
}

impl Escaping {
    /// Whether `\` followed by `c` is an escape sequence in this element.
    #[inline]
    pub fn is_escapable(self, c: u8) -> bool {
        match self {
            Escaping::None => false,
            Escaping::Measurement => matches!(c, b',' | b' ' | b'\\'),
            Escaping::Key => matches!(c, b',' | b'=' | b' ' | b'\\'),
            Escaping::StringValue => matches!(c, b'"' | b'\\'),
        }
    }
}

/// A measurement, tag key, tag value, field key or string field value, borrowed from the
/// request body.
///
/// It holds the raw slice as written plus how it is escaped. When the raw slice contains no
/// escape sequence (the common case) it *is* the value: [`Text::as_plain`] returns it, and
/// comparing, hashing and displaying never allocate. Escaped text is unescaped lazily:
/// [`Text::unescape`] returns a [`Cow`] that only allocates for escaped text, and
/// [`Text::chunks`] walks the unescaped value as borrowed pieces without allocating.
///
/// Equality, ordering and hashing are those of the unescaped value, and the hash equals the
/// hash of the unescaped `str` (so a `Text` can look up a `HashMap<String, _>` entry through
/// an API that takes a precomputed hash).
#[derive(Clone, Copy)]
pub struct Text<'a> {
    raw: &'a str,
    escaping: Escaping,
}

impl<'a> Text<'a> {
    /// Text whose raw form is its value (no escape sequences).
    #[inline]
    pub const fn plain(value: &'a str) -> Self {
        Text {
            raw: value,
            escaping: Escaping::None,
        }
    }

    /// Text whose raw form may contain the escape sequences of `escaping`.
    #[inline]
    pub const fn new(raw: &'a str, escaping: Escaping) -> Self {
        Text { raw, escaping }
    }

    /// The slice as it was written in the line, escape sequences included.
    #[inline]
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// How the raw slice is escaped ([`Escaping::None`] when it is the value).
    #[inline]
    pub fn escaping(&self) -> Escaping {
        self.escaping
    }

    /// Whether the raw slice may differ from the value (it contains an escape sequence).
    #[inline]
    pub fn is_escaped(&self) -> bool {
        self.escaping != Escaping::None
    }

    /// The value as a borrowed `str` when no unescaping is needed.
    #[inline]
    pub fn as_plain(&self) -> Option<&'a str> {
        if self.is_escaped() {
            None
        } else {
            Some(self.raw)
        }
    }

    /// The unescaped value: borrowed when the text has no escape sequence, owned otherwise.
    pub fn unescape(&self) -> Cow<'a, str> {
        match self.as_plain() {
            Some(s) => Cow::Borrowed(s),
            None => {
                let mut out = String::with_capacity(self.raw.len());
                self.unescape_into(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// Appends the unescaped value to `out` (reuse one buffer to unescape many values).
    pub fn unescape_into(&self, out: &mut String) {
        for chunk in self.chunks() {
            out.push_str(chunk);
        }
    }

    /// The unescaped value as borrowed pieces of the raw slice (one piece when not escaped).
    #[inline]
    pub fn chunks(&self) -> Chunks<'a> {
        Chunks {
            rest: self.raw,
            escaping: self.escaping,
            first_is_literal: false,
        }
    }

    /// The bytes of the unescaped value.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        self.chunks().flat_map(str::bytes)
    }

    /// The length in bytes of the unescaped value.
    pub fn len(&self) -> usize {
        if self.is_escaped() {
            self.chunks().map(str::len).sum()
        } else {
            self.raw.len()
        }
    }

    /// Whether the unescaped value is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Calls `f` with the unescaped value as one `&str`, using a stack buffer for short escaped
    /// values (allocating only for escaped values longer than 256 bytes).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        if let Some(s) = self.as_plain() {
            return f(s);
        }
        let mut buf = [0u8; 256];
        let mut n = 0;
        for chunk in self.chunks() {
            let b = chunk.as_bytes();
            if n + b.len() > buf.len() {
                return f(&self.unescape());
            }
            buf[n..n + b.len()].copy_from_slice(b);
            n += b.len();
        }
        // Removing ASCII backslashes from valid UTF-8 leaves valid UTF-8.
        match std::str::from_utf8(&buf[..n]) {
            Ok(s) => f(s),
            Err(_) => f(&self.unescape()),
        }
    }
}

/// The unescaped value of a [`Text`] as borrowed pieces; see [`Text::chunks`].
#[derive(Clone, Debug)]
pub struct Chunks<'a> {
    rest: &'a str,
    escaping: Escaping,
    /// The first byte of `rest` follows an escaping backslash: it is taken literally.
    first_is_literal: bool,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            if self.escaping == Escaping::None {
                return Some(std::mem::take(&mut self.rest));
            }
            let b = self.rest.as_bytes();
            let mut j = usize::from(self.first_is_literal);
            while j < b.len() {
                if b[j] == b'\\' && j + 1 < b.len() && self.escaping.is_escapable(b[j + 1]) {
                    break;
                }
                j += 1;
            }
            if j == b.len() {
                return Some(std::mem::take(&mut self.rest));
            }
            // `\` at j escapes the byte at j + 1 (ASCII), which starts the next chunk.
            let chunk = &self.rest[..j];
            self.rest = &self.rest[j + 1..];
            self.first_is_literal = true;
            if !chunk.is_empty() {
                return Some(chunk);
            }
        }
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_plain(), other.as_plain()) {
            (Some(a), Some(b)) => a == b,
            _ => self.bytes().eq(other.bytes()),
        }
    }
}

impl Eq for Text<'_> {}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        match self.as_plain() {
            Some(a) => a == other,
            None => self.bytes().eq(other.bytes()),
        }
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<Text<'_>> for str {
    fn eq(&self, other: &Text<'_>) -> bool {
        *other == *self
    }
}

impl PartialEq<Text<'_>> for &str {
    fn eq(&self, other: &Text<'_>) -> bool {
        *other == **self
    }
}

impl PartialOrd for Text<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.as_plain(), other.as_plain()) {
            (Some(a), Some(b)) => a.cmp(b),
            _ => self.bytes().cmp(other.bytes()),
        }
    }
}

impl Hash for Text<'_> {
    /// Hashes exactly as the unescaped `str` does.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.with_str(|s| s.hash(state));
    }
}

impl fmt::Display for Text<'_> {
    /// Writes the unescaped value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.pad(s))
    }
}

impl fmt::Debug for Text<'_> {
    /// The unescaped value, quoted like a `str`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.unescape(), f)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(value: &'a str) -> Self {
        Text::plain(value)
    }
}

/// A fast non-cryptographic hash of the unescaped value, used to find duplicate keys in a
/// line. Equal values hash equal whatever their raw spelling. Only a few words of long values
/// are read: a collision costs an exact comparison, never a wrong answer.
#[inline]
pub(crate) fn key_hash(text: &Text<'_>) -> u64 {
    // `with_str` checks for plain text too, but spelling the plain case out here keeps it
    // inlined in the duplicate-key check: `with_str` alone costs a few percent of throughput.
    match text.as_plain() {
        Some(s) => fingerprint(s.as_bytes()),
        None => text.with_str(|s| fingerprint(s.as_bytes())),
    }
}

#[inline]
fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

#[inline]
fn read_u32(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u64::from(u32::from_le_bytes(w))
}

/// Multiplies as 128 bits and folds the halves: a cheap, well-mixing combination.
#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// Hashes the first and last 8 bytes (all of a value up to 16 bytes), a middle word of
/// longer values, and the length.
#[inline]
fn fingerprint(b: &[u8]) -> u64 {
    const K1: u64 = 0x2d35_8dcc_aa6c_78a5;
    const K2: u64 = 0x8bb8_4b93_962e_acc9;
    const K3: u64 = 0x4b33_a62e_d433_d4a3;
    let n = b.len();
    let (a, c) = if n >= 8 {
        (read_u64(b, 0), read_u64(b, n - 8))
    } else if n >= 4 {
        (read_u32(b, 0), read_u32(b, n - 4))
    } else if n > 0 {
        (
            (u64::from(b[0]) << 16) | (u64::from(b[n / 2]) << 8) | u64::from(b[n - 1]),
            0,
        )
    } else {
        (0, 0)
    };
    let h = fold_mul(a ^ K1, c ^ K2 ^ (n as u64));
    if n > 16 {
        fold_mul(h ^ read_u64(b, n / 2 - 4), K3)
    } else {
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn h<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn plain_text_is_its_value() {
        let t = Text::plain("cpu");
        assert!(!t.is_escaped());
        assert_eq!(t.as_plain(), Some("cpu"));
        assert!(matches!(t.unescape(), Cow::Borrowed("cpu")));
        assert_eq!(t.len(), 3);
        assert_eq!(t, "cpu");
    }

    #[test]
    fn measurement_escapes() {
        let t = Text::new(r"a\,b\ c\\d\=e\x\", Escaping::Measurement);
        assert_eq!(t.unescape(), r"a,b c\d\=e\x\");
        assert_eq!(t.len(), r"a,b c\d\=e\x\".len());
        assert_eq!(t.as_plain(), None);
    }

    #[test]
    fn key_escapes() {
        let t = Text::new(r"a\,b\ c\\d\=e\x", Escaping::Key);
        assert_eq!(t.unescape(), r"a,b c\d=e\x");
        // `\\,`: the first backslash escapes the second, the comma stays.
        let t = Text::new(r"\\,", Escaping::Key);
        assert_eq!(t.unescape(), r"\,");
        let t = Text::new(r"\\\\", Escaping::Key);
        assert_eq!(t.unescape(), r"\\");
        let t = Text::new(r"\\\", Escaping::Key);
        assert_eq!(t.unescape(), r"\\");
    }

    #[test]
    fn string_value_escapes() {
        let t = Text::new(r#"say \"hi\" \\ \n"#, Escaping::StringValue);
        assert_eq!(t.unescape(), r#"say "hi" \ \n"#);
    }

    #[test]
    fn equality_hash_and_order_follow_the_value() {
        let escaped = Text::new(r"a\\b", Escaping::Key);
        let literal = Text::plain(r"a\b");
        assert_eq!(escaped, literal);
        assert_eq!(h(&escaped), h(&literal));
        assert_eq!(h(&escaped), h(r"a\b"));
        assert_eq!(key_hash(&escaped), key_hash(&literal));
        for len in 0..40 {
            let plain = "k".repeat(len) + "\\";
            let escaped = "k".repeat(len) + "\\\\";
            assert_eq!(
                key_hash(&Text::plain(&plain)),
                key_hash(&Text::new(&escaped, Escaping::Key)),
                "{len}"
            );
        }
        assert_ne!(
            key_hash(&Text::plain("usage_user")),
            key_hash(&Text::plain("usage_idle"))
        );
        assert_eq!(escaped.cmp(&literal), Ordering::Equal);
        assert!(Text::new(r"a\,", Escaping::Key) < Text::plain("a-"));
        assert_eq!(escaped, r"a\b");
        assert_ne!(escaped, r"a\\b");
        let long = format!("{}\\,", "x".repeat(300));
        let long_t = Text::new(&long, Escaping::Key);
        assert_eq!(h(&long_t), h(&format!("{},", "x".repeat(300))));
    }

    #[test]
    fn display_and_debug_unescape() {
        let t = Text::new(r#"\"q\""#, Escaping::StringValue);
        assert_eq!(t.to_string(), r#""q""#);
        assert_eq!(format!("{t:?}"), r#""\"q\"""#);
        assert_eq!(format!("{:>5}", Text::plain("ab")), "   ab");
    }

    #[test]
    fn chunks_do_not_allocate_pieces() {
        let t = Text::new(r"ab\ cd\,ef", Escaping::Key);
        let chunks: Vec<&str> = t.chunks().collect();
        assert_eq!(chunks, vec!["ab", " cd", ",ef"]);
        let t = Text::new(r"\ \ ", Escaping::Key);
        assert_eq!(t.chunks().collect::<Vec<_>>(), vec![" ", " "]);
    }
}
