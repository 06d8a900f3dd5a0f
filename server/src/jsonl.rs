//! Reading problem files: one JSON object per line, with line numbers for every complaint.

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use engine::problem::{Problem, RowError};

/// The demo problems shipped inside the binary (`demo/demo.jsonl`, embedded by the store),
/// used when no `--input` is given.
pub use app::store::DEMO;

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
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| {
            format!(
                "{}:{}: cannot read the line (is the file UTF-8 text?)",
                input_name(path),
                i + 1
            )
        })?;
        if line.trim().is_empty() {
            continue;
        }
        rows.push(Row {
            line: i + 1,
            problem: Problem::from_json(&line),
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
