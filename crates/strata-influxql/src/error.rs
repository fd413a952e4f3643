//! The parse error: a message and where it happened.

/// Why a query text does not parse, and where.
///
/// `Display` reads like InfluxDB's own errors:
/// `found EOF, expected FROM at line 1, char 9`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line}, char {column}")]
pub struct ParseError {
    /// What is wrong, without the position: `found EOF, expected FROM`.
    pub message: String,
    /// Byte offset into the parsed text.
    pub position: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based character (not byte) within the line.
    pub column: usize,
}

impl ParseError {
    /// An error at byte offset `position` of `input`.
    pub(crate) fn new(input: &str, position: usize, message: impl Into<String>) -> Self {
        let position = position.min(input.len());
        let before = &input[..position];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            message: message.into(),
            position,
            line,
            column,
        }
    }

    /// `found {found}, expected {expected}`.
    pub(crate) fn unexpected(input: &str, position: usize, found: &str, expected: &[&str]) -> Self {
        Self::new(
            input,
            position,
            format!("found {found}, expected {}", expected.join(", ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "SELECT\n  µ, x";
        let e = ParseError::new(text, text.find('x').unwrap(), "boom");
        assert_eq!((e.line, e.column), (2, 6));
        assert_eq!(e.to_string(), "boom at line 2, char 6");
        let e = ParseError::new(text, 0, "boom");
        assert_eq!((e.line, e.column, e.position), (1, 1, 0));
        let e = ParseError::new(text, 999, "boom");
        assert_eq!(e.position, text.len());
    }
}
