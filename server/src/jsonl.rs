//! Reading problem files: one JSON object per line, with line numbers for every complaint.

use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::Context;
use engine::problem::{Problem, RowError};

/// The demo problems shipped inside the binary (`demo/demo.jsonl`, embedded by the store),
/// used when no `--input` is given.
pub use store::DEMO;

/// One non-blank line of a JSONL file, as read; [`Row::problem`] reads its problem.
pub struct Row {
    /// 1-based line number in the file.
    pub line: usize,
    /// The line's text, or why it is not text.
    text: Result<String, RowError>,
}

impl Row {
    /// The line's problem, or why the line is malformed (parsed on each call: workers parse
    /// their own rows in parallel).
    pub fn problem(&self) -> Result<Problem, RowError> {
        match &self.text {
            Ok(line) => Problem::from_json(line),
            Err(e) => Err(e.clone()),
        }
    }
}

/// The non-blank lines of a problem file, read one at a time (memory stays flat on a file
/// of any size). Yields an error, and then nothing, when the file cannot be read.
pub struct Rows {
    reader: Box<dyn BufRead + Send>,
    path: Option<std::path::PathBuf>,
    /// Lines read so far.
    number: usize,
    bytes: Vec<u8>,
    failed: bool,
    /// How many non-blank lines the input has, counted when it was opened.
    pub total: usize,
}

/// Opens `path`, or the embedded demo set when `path` is `None`, for reading its rows, and
/// counts them (one quick pass, for the progress bar).
pub fn read_problems(path: Option<&Path>) -> anyhow::Result<Rows> {
    let open = |path: &Path| {
        std::fs::File::open(path).with_context(|| {
            format!(
                "cannot open {} (check the path given to --input)",
                path.display()
            )
        })
    };
    let (reader, total): (Box<dyn BufRead + Send>, usize) = match path {
        Some(path) => {
            let total = count_rows(std::io::BufReader::new(open(path)?))
                .with_context(|| format!("{}: cannot read the file", path.display()))?;
            (Box::new(std::io::BufReader::new(open(path)?)), total)
        }
        None => (
            Box::new(DEMO.as_bytes()),
            count_rows(DEMO.as_bytes()).expect("the demo set is in memory"),
        ),
    };
    Ok(Rows {
        reader,
        path: path.map(Path::to_path_buf),
        number: 0,
        bytes: Vec::new(),
        failed: false,
        total,
    })
}

/// The longest line read as a row, in bytes: a program and two texts at their limits
/// (`engine::limits`), with room for JSON escapes. A longer line is a bad row, never read
/// into memory whole.
pub const MAX_ROW_BYTES: usize = 4 << 20;

/// Reads past the rest of the current line (through its newline, or to the end).
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// The lines of `reader` that hold more than ASCII white space.
fn count_rows(mut reader: impl BufRead) -> std::io::Result<usize> {
    // `blank`: the current line so far is white space only.
    let (mut rows, mut blank) = (0, true);
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(rows + usize::from(!blank));
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', buf).chain([buf.len()]) {
            // Most lines start with `{`: the check stops at the first byte.
            blank = blank && buf[start..end].iter().all(u8::is_ascii_whitespace);
            if end < buf.len() {
                rows += usize::from(!blank);
                blank = true;
            }
            start = end + 1;
        }
        let n = buf.len();
        reader.consume(n);
    }
}

impl Iterator for Rows {
    type Item = anyhow::Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            self.bytes.clear();
            let read = (&mut self.reader)
                .take(MAX_ROW_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.bytes)
                .and_then(
                    |n| match n > MAX_ROW_BYTES && self.bytes.last() != Some(&b'\n') {
                        // Too long to be a problem: the rest of the line is passed over unread.
                        true => skip_line(&mut self.reader).map(|_| n),
                        false => Ok(n),
                    },
                );
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    self.failed = true;
                    let at = format!("{}:{}", input_name(self.path.as_deref()), self.number + 1);
                    return Some(Err(
                        anyhow::Error::new(e).context(format!("{at}: cannot read the file"))
                    ));
                }
            };
            if n == 0 {
                return None;
            }
            self.number += 1;
            if n > MAX_ROW_BYTES {
                return Some(Ok(Row {
                    line: self.number,
                    text: Err(RowError::Json(format!(
                        "the line is longer than {} MiB, more than any problem within Graft's \
                         limits; split it or shorten its program and texts",
                        MAX_ROW_BYTES >> 20
                    ))),
                }));
            }
            // A line that is not UTF-8 is one bad row: reported with its number, the rest runs.
            let text = match std::str::from_utf8(&self.bytes) {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => Ok(line.trim_end_matches(['\n', '\r']).to_string()),
                Err(e) => Err(RowError::Json(format!(
                    "the line is not UTF-8 text (first bad byte at byte {} of the line); save \
                     the file as UTF-8",
                    e.valid_up_to() + 1
                ))),
            };
            return Some(Ok(Row {
                line: self.number,
                text,
            }));
        }
    }
}

/// The id a row's problem is known by: its own `id`, else `FILE_STEM:LINE`.
pub fn source_id(path: Option<&Path>, row: &Row, problem: &Problem) -> String {
    match problem.id.clone() {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows the reader yields, counted the slow way.
    fn read_count(text: &str) -> usize {
        let rows = Rows {
            reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            path: None,
            number: 0,
            bytes: Vec::new(),
            failed: false,
            total: 0,
        };
        let mut n = 0;
        for row in rows {
            row.unwrap();
            n += 1;
        }
        n
    }

    #[test]
    fn the_count_is_the_rows_read_whatever_the_buffer() {
        let texts = [
            "",
            "\n\n",
            "{}",
            "{}\n",
            "{}\n\n  \n\t\r\n{}\r\n{}",
            "  {}  \n \n{}\n   ",
            "\n{}\n{}\n\n",
        ];
        for text in texts {
            let want = read_count(text);
            // Buffers of every small size, so lines cross the buffer's edges.
            for cap in 1..8 {
                let reader = std::io::BufReader::with_capacity(cap, text.as_bytes());
                assert_eq!(count_rows(reader).unwrap(), want, "{text:?}, buffer {cap}");
            }
            assert_eq!(count_rows(text.as_bytes()).unwrap(), want, "{text:?}");
        }
        assert_eq!(read_count("{}\n\n  \n\t\r\n{}\r\n{}"), 3);
    }
}
