//! The lexer: turns text into tokens on demand, one at a time.
//!
//! Regexes cannot be told from division by the characters alone, so the lexer returns `/` as
//! [`TokenKind::Slash`] and the parser, when it expects an operand, asks for a regex from that
//! slash with [`Lexer::scan_regex`].

use crate::ast::Regex;
use crate::error::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// An unquoted identifier or keyword; its text is the token's source.
    Word,
    QuotedIdent(String),
    String(String),
    /// The magnitude; a minus sign is a separate token.
    Integer(u64),
    Float(f64),
    /// The magnitude in nanoseconds.
    Duration(u64),
    BindParam(String),
    LParen,
    RParen,
    Comma,
    Semicolon,
    Dot,
    DoubleColon,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    Pipe,
    Caret,
    Eq,
    NotEq,
    EqRegex,
    NotEqRegex,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Illegal(char),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

pub(crate) struct Lexer<'a> {
    input: &'a str,
    pos: usize,
}

/// Duration units, longest first so that `ms` wins over `m`.
const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("ms", 1_000_000),
    ("u", 1_000),
    ("µ", 1_000),
    ("s", 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("h", 3_600 * 1_000_000_000),
    ("d", 86_400 * 1_000_000_000),
    ("w", 7 * 86_400 * 1_000_000_000),
];

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'a> Lexer<'a> {
    pub fn new(input: &'a str) -> Self {
        Self { input, pos: 0 }
    }

    pub fn input(&self) -> &'a str {
        self.input
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_char_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn error(&self, position: usize, message: impl Into<String>) -> ParseError {
        ParseError::new(self.input, position, message)
    }

    /// Skips whitespace and comments.
    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            let rest = self.rest();
            if rest.starts_with("--") {
                match rest.find('\n') {
                    Some(i) => self.pos += i + 1,
                    None => self.pos = self.input.len(),
                }
            } else if let Some(comment) = rest.strip_prefix("/*") {
                match comment.find("*/") {
                    Some(i) => self.pos += 2 + i + 2,
                    None => return Err(self.error(self.pos, "unterminated comment")),
                }
            } else if let Some(c) = self.peek_char().filter(|c| c.is_whitespace()) {
                self.pos += c.len_utf8();
            } else {
                return Ok(());
            }
        }
    }

    /// The next token.
    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Ok(Token {
                kind: TokenKind::Eof,
                start,
                end: start,
            });
        };
        let kind = match c {
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            ',' => TokenKind::Comma,
            ';' => TokenKind::Semicolon,
            '.' if self.peek_char().is_some_and(|c| c.is_ascii_digit()) => {
                self.pos = start;
                self.number()?
            }
            '.' => TokenKind::Dot,
            ':' if self.peek_char() == Some(':') => {
                self.bump();
                TokenKind::DoubleColon
            }
            '+' => TokenKind::Plus,
            '-' => TokenKind::Minus,
            '*' => TokenKind::Star,
            '/' => TokenKind::Slash,
            '%' => TokenKind::Percent,
            '&' => TokenKind::Amp,
            '|' => TokenKind::Pipe,
            '^' => TokenKind::Caret,
            '=' if self.peek_char() == Some('~') => {
                self.bump();
                TokenKind::EqRegex
            }
            '=' => TokenKind::Eq,
            '!' if self.peek_char() == Some('=') => {
                self.bump();
                TokenKind::NotEq
            }
            '!' if self.peek_char() == Some('~') => {
                self.bump();
                TokenKind::NotEqRegex
            }
            '<' if self.peek_char() == Some('=') => {
                self.bump();
                TokenKind::LtEq
            }
            '<' if self.peek_char() == Some('>') => {
                self.bump();
                TokenKind::NotEq
            }
            '<' => TokenKind::Lt,
            '>' if self.peek_char() == Some('=') => {
                self.bump();
                TokenKind::GtEq
            }
            '>' => TokenKind::Gt,
            '\'' => TokenKind::String(self.quoted(start, '\'', "unterminated string")?),
            '"' => {
                TokenKind::QuotedIdent(self.quoted(start, '"', "unterminated quoted identifier")?)
            }
            '$' => self.bind_param(start)?,
            c if c.is_ascii_digit() => {
                self.pos = start;
                self.number()?
            }
            c if is_ident_start(c) => {
                while self.peek_char().is_some_and(is_ident_char) {
                    self.bump();
                }
                TokenKind::Word
            }
            c => TokenKind::Illegal(c),
        };
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    /// The text of a quoted string or identifier whose opening quote is at `start`.
    fn quoted(
        &mut self,
        start: usize,
        quote: char,
        unterminated: &str,
    ) -> Result<String, ParseError> {
        let mut value = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None | Some('\n') => return Err(self.error(start, unterminated)),
                Some('\\') => match self.bump() {
                    Some('\\') => value.push('\\'),
                    Some('n') => value.push('\n'),
                    Some('\'') => value.push('\''),
                    Some('"') => value.push('"'),
                    None => return Err(self.error(start, unterminated)),
                    Some(c) => return Err(self.error(at, format!("bad escape sequence \\{c}"))),
                },
                Some(c) if c == quote => return Ok(value),
                Some(c) => value.push(c),
            }
        }
    }

    fn bind_param(&mut self, start: usize) -> Result<TokenKind, ParseError> {
        match self.peek_char() {
            Some('"') => {
                let quote = self.pos;
                self.bump();
                let name = self.quoted(quote, '"', "unterminated quoted identifier")?;
                Ok(TokenKind::BindParam(name))
            }
            Some(c) if is_ident_char(c) => {
                let name_start = self.pos;
                while self.peek_char().is_some_and(is_ident_char) {
                    self.bump();
                }
                Ok(TokenKind::BindParam(
                    self.input[name_start..self.pos].to_owned(),
                ))
            }
            _ => {
                self.pos = start + 1;
                Ok(TokenKind::Illegal('$'))
            }
        }
    }

    /// An integer, float or duration starting at `self.pos`.
    fn number(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.pos;
        while self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        let mut is_float = false;
        // `1.5`, and `1.` as InfluxDB reads it (but `1..` is not a number).
        if self.peek_char() == Some('.') && self.peek_char_at(1) != Some('.') {
            is_float = true;
            self.bump();
            while self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if self
            .peek_char()
            .is_some_and(|c| is_ident_char(c) || c == 'µ')
        {
            while self
                .peek_char()
                .is_some_and(|c| is_ident_char(c) || c == 'µ')
            {
                self.bump();
            }
            let text = &self.input[start..self.pos];
            if is_float {
                return Err(self.error(
                    start,
                    format!("invalid duration {text}: a duration's number must be an integer"),
                ));
            }
            return match parse_duration(text) {
                Ok(nanos) => Ok(TokenKind::Duration(nanos)),
                Err(message) => Err(self.error(start, message)),
            };
        }
        let text = &self.input[start..self.pos];
        if is_float {
            // Digits and one dot: always a valid float.
            let value = text.parse::<f64>().unwrap_or(f64::NAN);
            Ok(TokenKind::Float(value))
        } else {
            text.parse::<u64>()
                .map(TokenKind::Integer)
                .map_err(|_| self.error(start, format!("integer {text} is out of range")))
        }
    }

    /// Scans a regex whose opening `/` is at `start`, leaving the lexer after the closing one.
    pub fn scan_regex(&mut self, start: usize) -> Result<(Regex, usize), ParseError> {
        self.pos = start;
        debug_assert_eq!(self.peek_char(), Some('/'));
        self.bump();
        let mut pattern = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error(start, "unterminated regex")),
                Some('\\') => match self.bump() {
                    Some('/') => pattern.push('/'),
                    Some(c) => {
                        pattern.push('\\');
                        pattern.push(c);
                    }
                    None => return Err(self.error(start, "unterminated regex")),
                },
                Some('/') => return Ok((Regex { pattern }, self.pos)),
                Some(c) => pattern.push(c),
            }
        }
    }
}

/// Parses a duration literal (`10s`, `1h30m`, `100ms`, `1µ`) into nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!(
            "invalid duration {text}: expected a number followed by ns, u, µ, ms, s, m, h, d or w"
        )
    };
    let mut rest = text;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(invalid());
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("duration {text} is out of range"))?;
        rest = &rest[digits..];
        let Some((unit, nanos)) = UNITS.iter().find(|(unit, _)| {
            rest.starts_with(unit) && !rest[unit.len()..].starts_with(|c: char| c.is_alphabetic())
        }) else {
            return Err(invalid());
        };
        rest = &rest[unit.len()..];
        total = n
            .checked_mul(*nanos)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {text} is out of range"))?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().unwrap();
            if token.kind == TokenKind::Eof {
                return out;
            }
            out.push(token.kind);
        }
    }

    #[test]
    fn operators_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds("( ) , ; . :: + - * / % & | ^ = != <> =~ !~ < <= > >="),
            vec![
                LParen,
                RParen,
                Comma,
                Semicolon,
                Dot,
                DoubleColon,
                Plus,
                Minus,
                Star,
                Slash,
                Percent,
                Amp,
                Pipe,
                Caret,
                Eq,
                NotEq,
                NotEq,
                EqRegex,
                NotEqRegex,
                Lt,
                LtEq,
                Gt,
                GtEq
            ]
        );
    }

    #[test]
    fn numbers_and_durations() {
        use TokenKind::*;
        assert_eq!(
            kinds("0 42 1.5 .25 2. 1700000000000000000"),
            vec![
                Integer(0),
                Integer(42),
                Float(1.5),
                Float(0.25),
                Float(2.0),
                Integer(1_700_000_000_000_000_000)
            ]
        );
        let h = 3_600_000_000_000;
        assert_eq!(
            kinds("1h 30m 1d 1w 10s 100ms 1u 1µ 1ns 1h30m"),
            vec![
                Duration(h),
                Duration(30 * 60 * 1_000_000_000),
                Duration(24 * h),
                Duration(7 * 24 * h),
                Duration(10_000_000_000),
                Duration(100_000_000),
                Duration(1_000),
                Duration(1_000),
                Duration(1),
                Duration(h + 30 * 60 * 1_000_000_000),
            ]
        );
    }

    #[test]
    fn bad_numbers() {
        for (text, message) in [
            ("10x", "invalid duration 10x"),
            ("1.5h", "invalid duration 1.5h"),
            ("1h30", "invalid duration 1h30"),
            ("1H", "invalid duration 1H"),
            ("1mss", "invalid duration 1mss"),
            (
                "99999999999999999999",
                "integer 99999999999999999999 is out of range",
            ),
            ("99999999999w", "duration 99999999999w is out of range"),
        ] {
            let err = Lexer::new(text).next_token().unwrap_err();
            assert!(err.message.starts_with(message), "{text}: {}", err.message);
            assert_eq!(err.position, 0);
        }
    }

    #[test]
    fn strings_identifiers_and_escapes() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"'it\'s' "my \"field\"" 'a\\b\nc' cpu _x9 $host $"a b""#),
            vec![
                String("it's".into()),
                QuotedIdent("my \"field\"".into()),
                String("a\\b\nc".into()),
                Word,
                Word,
                BindParam("host".into()),
                BindParam("a b".into()),
            ]
        );
        let err = Lexer::new("'abc").next_token().unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.position),
            ("unterminated string", 0)
        );
        let err = Lexer::new("x \"abc\ndef\"").next_token().unwrap();
        assert_eq!(err.kind, Word);
        let err = Lexer::new(r"'a\qb'").next_token().unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.position),
            (r"bad escape sequence \q", 2)
        );
    }

    #[test]
    fn comments_are_skipped() {
        use TokenKind::*;
        assert_eq!(
            kinds("a -- comment\n b /* block\n */ c --"),
            vec![Word, Word, Word]
        );
        let err = Lexer::new("a /* never closed").next_token().unwrap();
        assert_eq!(err.kind, Word);
        let mut lexer = Lexer::new("a /* never closed");
        lexer.next_token().unwrap();
        let err = lexer.next_token().unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.position),
            ("unterminated comment", 2)
        );
    }

    #[test]
    fn regexes() {
        let mut lexer = Lexer::new(r"/cpu\/[0-9]+\d/ x");
        let token = lexer.next_token().unwrap();
        assert_eq!(token.kind, TokenKind::Slash);
        let (regex, end) = lexer.scan_regex(token.start).unwrap();
        assert_eq!(regex.pattern, r"cpu/[0-9]+\d");
        assert_eq!(end, 15);
        assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Word);
        let err = Lexer::new("/abc").scan_regex(0).unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.position),
            ("unterminated regex", 0)
        );
    }

    #[test]
    fn illegal_characters() {
        assert_eq!(
            kinds("@ $ ~"),
            vec![
                TokenKind::Illegal('@'),
                TokenKind::Illegal('$'),
                TokenKind::Illegal('~')
            ]
        );
    }
}
