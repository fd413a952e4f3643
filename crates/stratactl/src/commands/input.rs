//! The text `query` and `write` take: their argument names a file, `-` means standard input,
//! and anything else is the text itself.

use std::fs::Metadata;
use std::path::PathBuf;

use anyhow::bail;

/// How a command speaks of its input in messages.
pub(super) struct InputKind {
    /// `the query argument`
    pub argument: &'static str,
    /// `a file holding a query`
    pub file: &'static str,
    /// `the query itself`
    pub literal: &'static str,
    /// `'SELECT * FROM cpu'`
    pub example: &'static str,
}

/// Where the input comes from.
pub(super) enum Source {
    Literal(&'static str),
    File(PathBuf),
    Stdin,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Literal(argument) => f.write_str(argument),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::Stdin => f.write_str("standard input"),
        }
    }
}

/// What the argument turned out to be.
pub(super) enum Located {
    Stdin,
    File(PathBuf, Metadata),
    Literal(String),
}

impl Located {
    pub fn source(&self, kind: &InputKind) -> Source {
        match self {
            Located::Stdin => Source::Stdin,
            Located::File(path, _) => Source::File(path.clone()),
            Located::Literal(_) => Source::Literal(kind.argument),
        }
    }
}

/// Standard input for `-`, the file at the argument's path if there is one, else the
/// argument itself.
pub(super) fn locate(argument: String, kind: &InputKind) -> anyhow::Result<Located> {
    if argument == "-" {
        return Ok(Located::Stdin);
    }
    let path = PathBuf::from(&argument);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => bail!(
            "{} is a directory; give {}, {}, or - for standard input",
            path.display(),
            kind.file,
            kind.literal
        ),
        Ok(meta) => Ok(Located::File(path, meta)),
        // A query or a line of line protocol has a space in it (`SELECT 1`, `cpu v=1`); a word
        // without one is a mistyped path far more often than the text itself.
        Err(e) if !argument.contains(char::is_whitespace) => bail!(
            "cannot read file {}: {e}; the argument is {}, {} ({}), or - for standard input",
            path.display(),
            kind.file,
            kind.literal,
            kind.example
        ),
        Err(_) => Ok(Located::Literal(argument)),
    }
}
