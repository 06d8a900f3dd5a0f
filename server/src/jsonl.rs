//! Reading problem files: one JSON object per line, with line numbers for every complaint.

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use engine::problem::{Problem, RowError};

/// The demo problems shipped inside the binary (`demo/demo.jsonl`, embedded by the store),
/// used when no `--input` is given.
pub use store::DEMO;

/// One non-blank line of a JSONL file, read as a problem or with the reason it is not one.
pub struct Row {
    /// 1-based line number in the file.
    pub line: usize,
    /// The problem, or why the line is malformed.
    pub problem: Result<Problem, RowError>,
}

/// Reads every non-blank line of `path`, or of the embedded demo set when `path` is `None`.
pub fn read_problems(path: Option<&Path>) -> anyhow::Result<Vec<Row>> {
    let reader: Box<dyn BufRead> = match path {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| {
                format!(
                    "cannot open {} (check the path given to --input)",
                    path.display()
                )
            })?,
        )),
        None => Box::new(DEMO.as_bytes()),
    };
    let mut rows = Vec::new();
    let mut reader = reader;
    let mut bytes = Vec::new();
    let mut number = 0;
    loop {
        bytes.clear();
        let n = reader.read_until(b'\n', &mut bytes).with_context(|| {
            format!("{}:{}: cannot read the file", input_name(path), number + 1)
        })?;
        if n == 0 {
            break;
        }
        number += 1;
        // A line that is not UTF-8 is one bad row: reported with its number, the rest runs.
        let problem = match std::str::from_utf8(&bytes) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => Problem::from_json(line.trim_end_matches(['\n', '\r'])),
            Err(e) => Err(RowError::Json(format!(
                "the line is not UTF-8 text (first bad byte at byte {} of the line); save \
                 the file as UTF-8",
                e.valid_up_to() + 1
            ))),
        };
        rows.push(Row {
            line: number,
            problem,
        });
    }
    Ok(rows)
}

/// The id a row's problem is known by: its own `id`, else `FILE_STEM:LINE`.
pub fn source_id(path: Option<&Path>, row: &Row) -> String {
    match row.problem.as_ref().ok().and_then(|p| p.id.clone()) {
        Some(id) => id,
        None => format!(
            "{}:{}",
            path.and_then(|p| p.file_stem())
                .and_then(|s| s.to_str())
                .unwrap_or("demo"),
            row.line
        ),
    }
}

/// How to name the input in messages.
pub fn input_name(path: Option<&Path>) -> String {
    path.map_or("the embedded demo set".into(), |p| p.display().to_string())
}
