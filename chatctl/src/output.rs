//! Where results go: data on stdout (a table, or one JSON document with
//! `--json`), messages on stderr so scripts can still parse stdout.

use std::io::Write as _;

use serde::Serialize;

use crate::error::CliResult;

/// How the user asked for data to be printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or calls `human` to print it for people.
    pub fn data<T: Serialize>(self, value: &T, human: impl FnOnce(&T) -> CliResult) -> CliResult {
        if self.json {
            print_json(value)
        } else {
            human(value)
        }
    }

    /// Prints a command's result as JSON when asked; people got a note on
    /// stderr instead.
    pub fn result(self, value: impl Serialize) -> CliResult {
        if self.json {
            print_json(&value)
        } else {
            Ok(())
        }
    }

    /// A one-line message for people, on stderr.
    pub fn note(self, text: impl std::fmt::Display) {
        eprintln!("{text}");
    }
}

/// Prints one JSON document on stdout.
pub fn print_json<T: Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(anyhow::Error::from)?;
    line(&text)
}

/// Writes one line to stdout; a closed pipe ends the command quietly
/// instead of panicking like `println!`.
pub fn line(text: &str) -> CliResult {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    Ok(())
}

/// A plain-text table with columns sized to fit their widest cell.
#[derive(Debug)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            rows: vec![header.iter().map(|h| (*h).to_owned()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) -> CliResult {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let mut text = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    text.push_str(cell);
                } else {
                    let pad = widths[c] - cell.chars().count();
                    text.push_str(cell);
                    text.extend(std::iter::repeat_n(' ', pad + 2));
                }
            }
            line(text.trim_end())?;
        }
        Ok(())
    }
}

/// A timestamp for people: `2026-11-24 02:04:09 UTC`.
pub fn time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
    ))
    .unwrap_or_else(|_| t.to_string())
}
