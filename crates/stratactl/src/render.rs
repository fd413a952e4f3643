//! Output shapes: go-pretty-style ASCII tables and influxctl's JSON conventions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table drawn like go-pretty's default style:
///
/// ```text
/// +----+-------------+
/// | ID | DESCRIPTION |
/// +----+-------------+
/// |  1 | first       |
/// +----+-------------+
/// ```
///
/// A footer row, when set, follows the rows between rules.
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
    footer: Option<Vec<String>>,
}

/// Cell text on one line: control characters (newlines, escapes) become spaces, so a name
/// or description cannot break the table or drive the terminal.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Columns a terminal gives the text: two for a wide character (CJK, most emoji), none for a
/// combining mark.
fn width(text: &str) -> usize {
    text.width()
}

fn pad(text: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(self::width(text)));
    match align {
        Align::Left => format!("{text}{fill}"),
        Align::Right => format!("{fill}{text}"),
    }
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            columns: columns
                .iter()
                .map(|(name, align)| (name.to_string(), *align))
                .collect(),
            rows: Vec::new(),
            footer: None,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells.iter().map(|c| clean(c)).collect());
    }

    /// The footer row, aligned as its columns are.
    pub fn footer(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.footer = Some(cells.iter().map(|c| clean(c)).collect());
    }

    fn widths(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                self.rows
                    .iter()
                    .chain(&self.footer)
                    .map(|row| width(&row[i]))
                    .chain([width(name)])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    pub fn render(&self) -> String {
        let widths = self.widths();
        let rule = rule(&widths);
        let mut out = String::new();
        out.push_str(&rule);
        let header: Vec<String> = self.columns.iter().map(|(n, _)| n.clone()).collect();
        let aligns: Vec<Align> = self.columns.iter().map(|(_, a)| *a).collect();
        out.push_str(&line(&header, &widths, &aligns));
        out.push_str(&rule);
        if !self.rows.is_empty() {
            for row in &self.rows {
                out.push_str(&line(row, &widths, &aligns));
            }
            out.push_str(&rule);
        }
        if let Some(footer) = &self.footer {
            out.push_str(&line(footer, &widths, &aligns));
            out.push_str(&rule);
        }
        out
    }
}

fn rule(widths: &[usize]) -> String {
    let mut out = String::from("+");
    for w in widths {
        out.push_str(&"-".repeat(w + 2));
        out.push('+');
    }
    out.push('\n');
    out
}

fn line(cells: &[String], widths: &[usize], aligns: &[Align]) -> String {
    let mut out = String::from("|");
    for ((cell, w), align) in cells.iter().zip(widths).zip(aligns) {
        out.push(' ');
        out.push_str(&pad(cell, *w, *align));
        out.push_str(" |");
    }
    out.push('\n');
    out
}

/// A vertical key/value table without a header, keys right-aligned, as `cluster get` and
/// `token create` print:
///
/// ```text
/// +-------------+---------------+
/// |          id | 1111…         |
/// | description | Example Token |
/// +-------------+---------------+
/// ```
pub fn detail(rows: &[(&str, String)]) -> String {
    let keys: Vec<String> = rows.iter().map(|(k, _)| clean(k)).collect();
    let values: Vec<String> = rows.iter().map(|(_, v)| clean(v)).collect();
    let widths = [
        keys.iter().map(|k| width(k)).max().unwrap_or(0),
        values.iter().map(|v| width(v)).max().unwrap_or(0),
    ];
    let rule = rule(&widths);
    let mut out = rule.clone();
    for (k, v) in keys.iter().zip(&values) {
        out.push_str(&line(
            &[k.clone(), v.clone()],
            &widths,
            &[Align::Right, Align::Left],
        ));
    }
    out.push_str(&rule);
    out
}

/// A time as tables show it: `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn table_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn table_time_opt(at: &Option<DateTime<Utc>>) -> String {
    at.as_ref().map(table_time).unwrap_or_default()
}

/// A time as influxctl's JSON shows it: a protobuf `Timestamp`, `{"seconds": N, "nanos": N}`,
/// with zero fields left out.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProtoTime {
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub seconds: i64,
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub nanos: u32,
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

impl From<DateTime<Utc>> for ProtoTime {
    fn from(at: DateTime<Utc>) -> Self {
        Self {
            seconds: at.timestamp(),
            nanos: at.timestamp_subsec_nanos(),
        }
    }
}

pub fn proto_time(at: Option<DateTime<Utc>>) -> Option<ProtoTime> {
    at.map(ProtoTime::from)
}

/// Pretty JSON (two-space indent) and a newline on stdout; `[]` for an empty list.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    println!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_look_like_go_pretty() {
        let mut table = Table::new(&[("DATABASE NAME", Align::Left), ("MAX TABLES", Align::Right)]);
        table.row(vec!["mydb1".into(), "500".into()]);
        table.row(vec!["a\nb".into(), "10".into()]);
        assert_eq!(
            table.render(),
            "\
+---------------+------------+
| DATABASE NAME | MAX TABLES |
+---------------+------------+
| mydb1         |        500 |
| a b           |         10 |
+---------------+------------+
"
        );
        let empty = Table::new(&[("ID", Align::Left), ("DESCRIPTION", Align::Left)]);
        assert_eq!(
            empty.render(),
            "+----+-------------+\n| ID | DESCRIPTION |\n+----+-------------+\n"
        );
    }

    #[test]
    fn footers_follow_the_rows() {
        let mut table = Table::new(&[("co", Align::Right), ("room", Align::Left)]);
        table.row(vec!["0".into(), "Kitchen".into()]);
        table.footer(vec!["TOTAL".into(), "1 ROWS".into()]);
        assert_eq!(
            table.render(),
            "\
+-------+---------+
|    co | room    |
+-------+---------+
|     0 | Kitchen |
+-------+---------+
| TOTAL | 1 ROWS  |
+-------+---------+
"
        );
        let mut empty = Table::new(&[("a", Align::Left), ("b", Align::Left)]);
        empty.footer(vec!["TOTAL".into(), "0 ROWS".into()]);
        assert_eq!(
            empty.render(),
            "+-------+--------+\n| a     | b      |\n+-------+--------+\n| TOTAL | 0 ROWS |\n+-------+--------+\n"
        );
    }

    #[test]
    fn cells_are_padded_to_the_columns_a_terminal_gives_them() {
        let mut table = Table::new(&[("NAME", Align::Left), ("N", Align::Right)]);
        table.row(vec!["東京".into(), "1".into()]);
        table.row(vec!["cafe\u{301}".into(), "2".into()]);
        assert_eq!(
            table.render(),
            "\
+------+---+
| NAME | N |
+------+---+
| 東京 | 1 |
| cafe\u{301} | 2 |
+------+---+
"
        );
    }

    #[test]
    fn detail_tables_right_align_keys() {
        assert_eq!(
            detail(&[("id", "x".into()), ("name", "Cluster 1".into())]),
            "\
+------+-----------+
|   id | x         |
| name | Cluster 1 |
+------+-----------+
"
        );
    }

    #[test]
    fn proto_times_leave_out_zero_fields() {
        let at: DateTime<Utc> = "2024-03-12T19:58:47Z".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&ProtoTime::from(at)).unwrap(),
            r#"{"seconds":1710273527}"#
        );
        let at: DateTime<Utc> = "1970-01-01T00:00:00.5Z".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&ProtoTime::from(at)).unwrap(),
            r#"{"nanos":500000000}"#
        );
    }
}
