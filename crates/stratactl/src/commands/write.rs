//! `write`: line protocol from the command line, a file or standard input, sent in batches
//! of `--batch-size` lines to `/api/v2/write` with a database token.
//!
//! Lines are split on `\n` (a string field holding a raw newline would be split too; such
//! lines are rare and InfluxDB's own tools do the same); blank lines and `#` comments are
//! not sent and do not count towards a batch. Batches are sent one after another and the
//! first refusal stops the write: what was written before it stays written, and the error
//! says which input lines that was. Line numbers in messages are the input's, counting every
//! line, so they point into the file.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::time::Duration;

use anyhow::{anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use strata_client::{Error, TransportErrorKind};

use super::input::{InputKind, Located, Source, locate};
use super::{Access, DataAccess};
use crate::cli::{GlobalArgs, WriteArgs};
use crate::config::{Target, data_target};
use crate::log::debug;

const LINE_PROTOCOL: InputKind = InputKind {
    argument: "the line protocol argument",
    file: "a file of line protocol",
    literal: "line protocol itself",
    example: "measurement, a space, fields: 'cpu,host=a usage=0.5'",
};

/// The input, opened: a reader, and its size when known (for the progress bar).
struct Input {
    source: Source,
    reader: Box<dyn BufRead>,
    size: Option<u64>,
}

/// The argument as a file if one exists at that path, standard input for `-`, and
/// otherwise line protocol itself.
fn open(argument: String) -> anyhow::Result<Input> {
    let located = locate(argument, &LINE_PROTOCOL)?;
    let source = located.source(&LINE_PROTOCOL);
    Ok(match located {
        Located::Stdin => Input {
            source,
            reader: Box::new(BufReader::new(std::io::stdin())),
            size: None,
        },
        Located::File(path, meta) => {
            let file = File::open(&path)
                .map_err(|e| anyhow!("cannot read file {}: {e}", path.display()))?;
            Input {
                size: meta.is_file().then_some(meta.len()),
                source,
                reader: Box::new(BufReader::with_capacity(1 << 20, file)),
            }
        }
        Located::Literal(text) => Input {
            size: Some(text.len() as u64),
            source,
            reader: Box::new(std::io::Cursor::new(text.into_bytes())),
        },
    })
}

/// Up to `--batch-size` lines of the input, ready to send.
struct Batch {
    /// The lines, each ended by `\n` but the last.
    body: Vec<u8>,
    /// The input line number of each line of `body`, in order.
    lines: Vec<u64>,
    /// Bytes of input read up to the end of this batch.
    consumed: u64,
}

impl Batch {
    fn first(&self) -> u64 {
        self.lines[0]
    }

    fn last(&self) -> u64 {
        *self.lines.last().expect("batches are not empty")
    }

    /// `line 7` or `lines 1-10000`.
    fn range(&self) -> String {
        lines(self.first(), self.last())
    }

    /// The input line of line `n` (1-based) of the body, as the server numbers them.
    fn input_line(&self, n: u64) -> Option<u64> {
        let index = usize::try_from(n.checked_sub(1)?).ok()?;
        self.lines.get(index).copied()
    }
}

/// `1 line`, `2 lines`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn lines(first: u64, last: u64) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}-{last}")
    }
}

/// Cuts the input into batches of at most `size` lines, skipping blank lines and comments.
struct Batches {
    reader: Box<dyn BufRead>,
    size: usize,
    line: u64,
    consumed: u64,
    buf: Vec<u8>,
}

impl Batches {
    fn new(reader: Box<dyn BufRead>, size: usize) -> Self {
        Self {
            reader,
            size,
            line: 0,
            consumed: 0,
            buf: Vec::new(),
        }
    }

    /// The next batch; `None` once the input is used up.
    fn next_batch(&mut self) -> std::io::Result<Option<Batch>> {
        let mut body = Vec::new();
        let mut numbers = Vec::new();
        while numbers.len() < self.size {
            self.buf.clear();
            let n = self.reader.read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                break;
            }
            self.line += 1;
            self.consumed += n as u64;
            let mut line = self.buf.as_slice();
            if let Some(rest) = line.strip_suffix(b"\n") {
                line = rest.strip_suffix(b"\r").unwrap_or(rest);
            }
            let start = line
                .iter()
                .position(|b| *b != b' ' && *b != b'\t')
                .unwrap_or(line.len());
            if start == line.len() || line[start] == b'#' {
                continue;
            }
            if !body.is_empty() {
                body.push(b'\n');
            }
            body.extend_from_slice(line);
            numbers.push(self.line);
        }
        Ok((!numbers.is_empty()).then_some(Batch {
            body,
            lines: numbers,
            consumed: self.consumed,
        }))
    }
}

/// The bar on a terminal's stderr while a write of several batches runs; cleared when
/// dropped, so errors print on a clean line.
struct Progress(ProgressBar);

impl Progress {
    fn start(size: Option<u64>) -> Self {
        let bar = match size {
            Some(size) => {
                let bar = ProgressBar::new(size);
                if let Ok(style) =
                    ProgressStyle::with_template("{wide_bar} {percent:>3}% {msg} ({elapsed})")
                {
                    bar.set_style(style);
                }
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                    bar.set_style(style);
                }
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            }
        };
        Self(bar)
    }

    fn update(&self, consumed: u64, written: u64) {
        // The message first: setting the position may draw.
        self.0
            .set_message(format!("{} written", count(written, "line")));
        self.0.set_position(consumed);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// What a write has done so far, for the message of a failure.
struct Done {
    /// The last input line of the last batch written (0: none).
    last_written: u64,
}

impl Done {
    /// `Input lines 1-N were written` (or `line 1 was`), if anything was.
    fn before(&self) -> Option<String> {
        match self.last_written {
            0 => None,
            1 => Some("Input line 1 was written".to_string()),
            n => Some(format!("Input lines 1-{n} were written")),
        }
    }

    /// What is written after input lines `from`-`to` failed, when `unsure` whether the
    /// server wrote them.
    fn state(&self, from: u64, to: u64, unsure: bool) -> String {
        let failed = lines(from, to);
        match (self.before(), unsure) {
            (None, false) => "Nothing was written.".to_string(),
            (None, true) => {
                format!("Input {failed} may or may not have been written (no answer came).")
            }
            (Some(before), false) => {
                format!("{before}; line {from} and the rest of the input were not.")
            }
            (Some(before), true) => format!(
                "{before}; {failed} may or may not have been (no answer came), and no later line was."
            ),
        }
    }

    /// What is written after reading the input failed.
    fn state_after_read_error(&self) -> String {
        match self.before() {
            None => "Nothing was written.".to_string(),
            Some(before) => format!("{before}; the rest of the input was not."),
        }
    }
}

pub async fn run(global: &GlobalArgs, args: WriteArgs) -> anyhow::Result<()> {
    let target = data_target(global, &args.timeout)?;
    let access = DataAccess::resolve(&target, args.database, args.token, Access::Write)?;
    let input = open(args.line_protocol)?;
    let client = target.data_client(access.token.clone())?;
    let precision = args.precision;
    let database = &access.database;
    debug!(
        "writing {} to database {database:?} at {}/api/v2/write with {}, precision {precision}, {} lines per request, timeout {}",
        input.source, target.base_url, access.source, args.batch_size, args.timeout.text
    );
    let show_progress = std::io::stderr().is_terminal() && !crate::log::debug_enabled();
    let Input {
        source: input_source,
        reader,
        size,
    } = input;
    let read_error = |e: std::io::Error, at: u64, done: &Done| {
        anyhow!(
            "cannot read {input_source} after line {at}: {e}\n{}",
            done.state_after_read_error()
        )
    };
    let mut batches = Batches::new(reader, args.batch_size);
    let mut done = Done { last_written: 0 };
    let mut next = batches
        .next_batch()
        .map_err(|e| read_error(e, batches.line, &done))?;
    if next.is_none() {
        bail!(
            "nothing to write: {input_source} holds no line protocol (blank lines and # comments are skipped)"
        );
    }
    let mut written: u64 = 0;
    let mut requests: u64 = 0;
    let mut progress: Option<Progress> = None;
    while let Some(mut batch) = next.take() {
        let body = std::mem::take(&mut batch.body);
        let bytes = body.len();
        if let Err(error) = client.write_line_protocol(database, precision, body).await {
            drop(progress.take());
            let failure = Failure {
                target: &target,
                access: &access,
                batch: &batch,
                batch_size: args.batch_size,
                done: &done,
            };
            return Err(failure.explain(error));
        }
        requests += 1;
        written += batch.lines.len() as u64;
        done.last_written = batch.last();
        debug!(
            "wrote input {} ({}, {bytes} bytes)",
            batch.range(),
            count(batch.lines.len() as u64, "line")
        );
        next = batches
            .next_batch()
            .map_err(|e| read_error(e, batches.line, &done))?;
        if next.is_some() && progress.is_none() && show_progress {
            progress = Some(Progress::start(size));
        }
        if let Some(progress) = &progress {
            progress.update(batch.consumed, written);
        }
    }
    drop(progress);
    debug!(
        "wrote {} to database {database:?} in {}",
        count(written, "line"),
        count(requests, "request")
    );
    Ok(())
}

/// A refused or unanswered batch, and what messages about it need.
struct Failure<'a> {
    target: &'a Target,
    access: &'a DataAccess,
    batch: &'a Batch,
    batch_size: usize,
    done: &'a Done,
}

impl Failure<'_> {
    /// The error with which input lines failed, what the user can do, and what was written.
    fn explain(&self, error: Error) -> anyhow::Error {
        let batch = self.batch;
        let what = format!(
            "writing input {} to database {:?} failed",
            batch.range(),
            self.access.database
        );
        let unsure = matches!(
            &error,
            Error::Transport {
                kind: TransportErrorKind::Timeout(_) | TransportErrorKind::Other,
                ..
            }
        );
        let state = self.done.state(batch.first(), batch.last(), unsure);
        let reason = match &error {
            Error::Transport { .. } => format!("{:#}", self.target.explain(error, None, None)),
            Error::Write {
                status, message, ..
            } => {
                let shown = Error::Write {
                    status: *status,
                    code: None,
                    line: None,
                    message: self.renumber(message),
                };
                let hint = match status {
                    413 => format!(
                        "; send fewer lines per request with a smaller --batch-size (it is {})",
                        self.batch_size
                    ),
                    _ => self.access.hint(&error, self.target),
                };
                format!("{shown}{hint}")
            }
            _ => error.to_string(),
        };
        anyhow!("{what}: {reason}\n{state}")
    }

    /// The server's message with its `line N: ` (numbered within the request) changed to
    /// the input's line numbers.
    fn renumber(&self, message: &str) -> String {
        message
            .split('\n')
            .map(|text| {
                let renumbered = text
                    .strip_prefix("line ")
                    .and_then(|rest| rest.split_once(": "))
                    .and_then(|(n, rest)| {
                        let input = self.batch.input_line(n.parse().ok()?)?;
                        Some(format!("line {input}: {rest}"))
                    });
                renumbered.unwrap_or_else(|| text.to_string())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(text: &str, size: usize) -> Vec<(String, Vec<u64>)> {
        let mut batches = Batches::new(Box::new(std::io::Cursor::new(text.to_string())), size);
        let mut out = Vec::new();
        while let Some(batch) = batches.next_batch().unwrap() {
            out.push((String::from_utf8(batch.body).unwrap(), batch.lines));
        }
        out
    }

    #[test]
    fn batches_skip_blank_lines_and_comments() {
        let text = "a x=1\n\n# comment\n  \t# indented comment\nb x=2\r\nc x=3\n   \nd x=4\ne x=5";
        assert_eq!(
            batches(text, 2),
            [
                ("a x=1\nb x=2".to_string(), vec![1, 5]),
                ("c x=3\nd x=4".to_string(), vec![6, 8]),
                ("e x=5".to_string(), vec![9]),
            ]
        );
        assert_eq!(batches(text, 10).len(), 1);
        assert_eq!(batches("\n# only a comment\n", 10), []);
        assert_eq!(batches("a x=1\n", 1), [("a x=1".to_string(), vec![1])]);
    }

    #[test]
    fn what_was_written() {
        let none = Done { last_written: 0 };
        assert_eq!(none.state(1, 2, false), "Nothing was written.");
        let some = Done { last_written: 4 };
        assert_eq!(
            some.state(5, 9, false),
            "Input lines 1-4 were written; line 5 and the rest of the input were not."
        );
        assert!(some.state(5, 9, true).contains("lines 5-9 may or may not"));
        let one = Done { last_written: 1 };
        assert!(
            one.state(2, 2, false)
                .starts_with("Input line 1 was written")
        );
        assert_eq!(
            none.state(1, 1, true),
            "Input line 1 may or may not have been written (no answer came)."
        );
    }
}
