//! 1.x CSV answers: `name,tags,time,…` headers, times as integers, a blank line between
//! statements, and errors as `error` rows.

use arrow::array::RecordBatch;
use datafusion::execution::memory_pool::MemoryReservation;
use strata_types::Result;

use super::{AnswerWriter, Cell, Describe, Epoch, Statement, written};
use crate::ByteStream;
use crate::format::csv_field;
use crate::influxql::InfluxqlAnswer;

/// The answer in 1.x CSV: `name,tags,time,…` headers, times in nanoseconds (or `epoch`), a
/// blank line between statements, and errors as `error` rows.
pub fn encode_csv(answer: InfluxqlAnswer, epoch: Option<Epoch>, describe: Describe) -> ByteStream {
    let csv = Csv {
        epoch: epoch.unwrap_or(Epoch::Nanoseconds),
        out: Vec::new(),
        statement: None,
    };
    written(answer, csv, describe)
}

impl Cell<'_> {
    /// The value at `row` as a 1.x CSV field: times as integers, floats as Go prints them
    /// (10, not 10.0), nothing for null.
    fn write_csv(&self, row: usize, epoch: Epoch, out: &mut Vec<u8>) {
        if self.is_null(row) {
            return;
        }
        let text = match self {
            Cell::Time(a, _) => a.value(row).div_euclid(epoch.nanos()).to_string(),
            Cell::Float(a) => a.value(row).to_string(),
            Cell::Int(a) => a.value(row).to_string(),
            Cell::UInt(a) => a.value(row).to_string(),
            Cell::Bool(a) => a.value(row).to_string(),
            Cell::Text(a) => csv_field(a.value(row)),
            Cell::Null => String::new(),
        };
        out.extend_from_slice(text.as_bytes());
    }
}

/// The answer in 1.x CSV.
struct Csv {
    epoch: Epoch,
    out: Vec<u8>,
    statement: Option<CsvStatement>,
}

struct CsvStatement {
    statement: Statement,
    /// Whether the header is out.
    header: bool,
    /// The `name` and `tags` fields of the series being written.
    series: (String, String),
}

impl CsvStatement {
    /// The header, unless it is out already.
    fn header(&mut self, out: &mut Vec<u8>) {
        if self.header {
            return;
        }
        let names: Vec<String> = ["name", "tags"]
            .into_iter()
            .map(String::from)
            .chain(self.statement.columns.iter().map(|c| csv_field(c)))
            .collect();
        out.extend_from_slice(names.join(",").as_bytes());
        out.push(b'\n');
        self.header = true;
    }
}

impl Csv {
    /// The blank line that separates a statement from the one before.
    fn separate(&mut self, id: usize) {
        if id > 0 {
            self.out.push(b'\n');
        }
    }

    fn error(&mut self, message: &str) {
        self.out.extend_from_slice(b"error\n");
        self.out.extend_from_slice(csv_field(message).as_bytes());
        self.out.push(b'\n');
    }
}

impl AnswerWriter for Csv {
    fn begin(&mut self, statement: Statement, _memory: MemoryReservation) {
        self.separate(statement.id);
        self.statement = Some(CsvStatement {
            statement,
            header: false,
            series: Default::default(),
        });
    }

    fn rows(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(open) = &mut self.statement else {
            return Ok(());
        };
        let rows = open.statement.rows(batch)?;
        let cells: Vec<Cell<'_>> = rows.values.iter().map(Cell::of).collect();
        for (range, starts) in open.statement.series_runs(&rows) {
            if let Some(key) = starts {
                open.header(&mut self.out);
                open.series = (
                    csv_field(key.name.as_deref().unwrap_or("")),
                    csv_field(&key.tags_text()),
                );
            }
            for row in range {
                self.out.extend_from_slice(open.series.0.as_bytes());
                self.out.push(b',');
                self.out.extend_from_slice(open.series.1.as_bytes());
                for cell in &cells {
                    self.out.push(b',');
                    cell.write_csv(row, self.epoch, &mut self.out);
                }
                self.out.push(b'\n');
            }
        }
        Ok(())
    }

    fn end(&mut self) {
        // Series without rows show only in the header, as in 1.x.
        if let Some(mut open) = self.statement.take()
            && !open.statement.empty_series.is_empty()
        {
            open.header(&mut self.out);
        }
    }

    fn failed(&mut self, id: usize, message: &str) {
        if self.statement.take().is_none() {
            self.separate(id);
        }
        self.error(message);
    }

    fn finish(&mut self) {}

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}
