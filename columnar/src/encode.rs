//! Encoding off the thread that builds the rows: the [`Writer`](crate::Writer) hands each
//! slice of rows (a [`RecordBatch`]) to [`Encoder`], whose parts encode (and LZ4-compress)
//! their share of the columns on threads of their own while the next slice is built. A row
//! group closes on the calling thread: it waits for the parts' column chunks and appends them
//! to the file, so a row group is in the file when `Writer::push` says so.
//!
//! Memory stays flat: each part holds at most one slice waiting (a bounded channel of 1) and
//! one being encoded, besides the open row group's compressed pages (as any Parquet writer
//! does). A part whose thread cannot start encodes on the calling thread instead (the same
//! bytes, only slower).

use std::ops::Range;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowColumnWriter};
use parquet::errors::ParquetError;

use crate::Error;

/// What a part's thread is asked to do.
enum Job {
    /// Start a row group with these column writers (the part's leaves, in order).
    Open(Vec<ArrowColumnWriter>),
    /// Encode the part's columns of these rows into the open row group.
    Rows(RecordBatch),
    /// Close the row group: send back its column chunks.
    Close,
}

/// A row group's column chunks of one part, or why they could not be made.
type Chunks = Result<Vec<ArrowColumnChunk>, ParquetError>;

/// The open row group's writers of some of the schema's fields.
struct Columns {
    schema: SchemaRef,
    /// The fields (indices in the schema), ascending.
    fields: Vec<usize>,
    /// The leaf writers of `fields`, in order.
    writers: Vec<ArrowColumnWriter>,
}

impl Columns {
    fn write(&mut self, rows: &RecordBatch) -> Result<(), ParquetError> {
        let mut writers = self.writers.iter_mut();
        for &i in &self.fields {
            for leaf in compute_leaves(self.schema.field(i), rows.column(i))? {
                let writer = writers.next().ok_or_else(|| {
                    ParquetError::General("fewer column writers than leaves (a bug)".into())
                })?;
                writer.write(&leaf)?;
            }
        }
        Ok(())
    }

    fn close(self) -> Chunks {
        self.writers
            .into_iter()
            .map(ArrowColumnWriter::close)
            .collect()
    }
}

/// One part's work on the open row group: its columns, or the first error it met (the rest
/// of the row group is then skipped and the error reported when it closes).
struct Work {
    schema: SchemaRef,
    fields: Vec<usize>,
    columns: Option<Columns>,
    failed: Option<ParquetError>,
}

impl Work {
    fn new(schema: SchemaRef, fields: Vec<usize>) -> Work {
        Work {
            schema,
            fields,
            columns: None,
            failed: None,
        }
    }

    fn open(&mut self, writers: Vec<ArrowColumnWriter>) {
        self.columns = Some(Columns {
            schema: self.schema.clone(),
            fields: self.fields.clone(),
            writers,
        });
        self.failed = None;
    }

    fn rows(&mut self, rows: &RecordBatch) {
        if let Some(columns) = &mut self.columns {
            if let Err(e) = columns.write(rows) {
                self.failed = Some(e);
                self.columns = None;
            }
        }
    }

    fn close(&mut self) -> Chunks {
        match (self.failed.take(), self.columns.take()) {
            (Some(e), _) => Err(e),
            (None, Some(columns)) => columns.close(),
            (None, None) => Ok(Vec::new()),
        }
    }
}

/// A share of the columns, encoded on a thread of its own or, failing that, here.
enum Part {
    Thread {
        /// `None` once dropped (ends the thread).
        jobs: Option<SyncSender<Job>>,
        done: Receiver<Chunks>,
        handle: Option<JoinHandle<()>>,
    },
    Here(Work),
}

impl Part {
    /// A part encoding `fields` of `schema`: on a thread of its own when `thread` and one
    /// starts, else here.
    fn start(schema: &SchemaRef, fields: &[usize], thread: bool) -> Part {
        let work = || Work::new(schema.clone(), fields.to_vec());
        if !thread {
            return Part::Here(work());
        }
        let (jobs, jobs_rx) = mpsc::sync_channel::<Job>(1);
        let (done_tx, done) = mpsc::sync_channel::<Chunks>(1);
        let mut on_thread = work();
        let spawned = std::thread::Builder::new()
            .name("parquet-encode".into())
            .spawn(move || {
                for job in jobs_rx {
                    match job {
                        Job::Open(writers) => on_thread.open(writers),
                        Job::Rows(rows) => on_thread.rows(&rows),
                        Job::Close => {
                            if done_tx.send(on_thread.close()).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        match spawned {
            Ok(handle) => Part::Thread {
                jobs: Some(jobs),
                done,
                handle: Some(handle),
            },
            // No thread (the system is out of them): the same work, here.
            Err(_) => Part::Here(work()),
        }
    }

    fn send(&mut self, job: Job) -> Result<(), Error> {
        match self {
            Part::Here(work) => {
                match job {
                    Job::Open(writers) => work.open(writers),
                    Job::Rows(rows) => work.rows(&rows),
                    Job::Close => {}
                }
                Ok(())
            }
            Part::Thread { jobs, handle, .. } => {
                let sent = jobs.as_ref().map(|jobs| jobs.send(job));
                match sent {
                    Some(Ok(())) => Ok(()),
                    _ => Err(stopped(handle)),
                }
            }
        }
    }

    fn chunks(&mut self) -> Result<Vec<ArrowColumnChunk>, Error> {
        match self {
            Part::Here(work) => Ok(work.close()?),
            Part::Thread { done, handle, .. } => match done.recv() {
                Ok(chunks) => Ok(chunks?),
                Err(_) => Err(stopped(handle)),
            },
        }
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if let Part::Thread { jobs, handle, .. } = self {
            // Closing the channel ends the thread once it has finished its slice.
            jobs.take();
            if let Some(handle) = handle.take() {
                let _ = handle.join();
            }
        }
    }
}

/// Why a part's thread is gone (it only stops on its own by panicking).
fn stopped(handle: &mut Option<JoinHandle<()>>) -> Error {
    let why = match handle.take().map(JoinHandle::join) {
        Some(Err(panic)) => panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .map_or_else(|| "panicked".into(), |msg| format!("panicked: {msg}")),
        _ => "had stopped before".into(),
    };
    let why = format!("an encoding thread {why} (a bug)");
    Error::Encoder(why)
}

/// Encodes row groups of `schema` in parts, each a share of the columns.
pub(crate) struct Encoder {
    parts: Vec<Part>,
    /// Each part's fields, ascending.
    fields: Vec<Vec<usize>>,
    /// Each field's leaves (its column writers) among all the row group's.
    leaves: Vec<Range<usize>>,
}

impl Encoder {
    /// An encoder of `schema` whose part `p` encodes the fields `parts[p]`; on threads when
    /// `threads`, else all here (the same bytes).
    pub(crate) fn new(schema: &SchemaRef, parts: Vec<Vec<usize>>, threads: bool) -> Encoder {
        let mut leaves = Vec::with_capacity(schema.fields().len());
        let mut next = 0;
        for f in schema.fields() {
            // The schema's structs are flat (`metrics`): a leaf per field.
            let n = match f.data_type() {
                DataType::Struct(inner) => inner.len(),
                _ => 1,
            };
            leaves.push(next..next + n);
            next += n;
        }
        let made = parts
            .iter()
            .map(|fields| Part::start(schema, fields, threads))
            .collect();
        Encoder {
            parts: made,
            fields: parts,
            leaves,
        }
    }

    /// Opens a row group with its column writers (all the leaves, in order).
    pub(crate) fn open(&mut self, writers: Vec<ArrowColumnWriter>) -> Result<(), Error> {
        let total = self.leaves.last().map_or(0, |r| r.end);
        if writers.len() != total {
            return Err(Error::Encoder(format!(
                "{} column writers for {total} leaves (a bug)",
                writers.len()
            )));
        }
        let mut slots: Vec<Option<ArrowColumnWriter>> = writers.into_iter().map(Some).collect();
        for (part, fields) in self.parts.iter_mut().zip(&self.fields) {
            let mine = fields
                .iter()
                .flat_map(|&f| self.leaves[f].clone())
                .filter_map(|leaf| slots[leaf].take())
                .collect();
            part.send(Job::Open(mine))?;
        }
        Ok(())
    }

    /// Encodes `rows` into the open row group (on the parts' threads: returns once each has
    /// taken them, or has room to).
    pub(crate) fn rows(&mut self, rows: RecordBatch) -> Result<(), Error> {
        for part in &mut self.parts {
            part.send(Job::Rows(rows.clone()))?;
        }
        Ok(())
    }

    /// Closes the open row group: its column chunks, in the schema's order, once every part
    /// has encoded all its rows.
    pub(crate) fn close(&mut self) -> Result<Vec<ArrowColumnChunk>, Error> {
        for part in &mut self.parts {
            part.send(Job::Close)?;
        }
        let total = self.leaves.last().map_or(0, |r| r.end);
        let mut slots: Vec<Option<ArrowColumnChunk>> = (0..total).map(|_| None).collect();
        // Wait for every part, even after an error, so none is left mid-group.
        let mut first_error = None;
        for (part, fields) in self.parts.iter_mut().zip(&self.fields) {
            match part.chunks() {
                Ok(chunks) => {
                    let mut chunks = chunks.into_iter();
                    for leaf in fields.iter().flat_map(|&f| self.leaves[f].clone()) {
                        slots[leaf] = chunks.next();
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        slots
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.ok_or_else(|| Error::Encoder(format!("no column chunk {i} (a bug)"))))
            .collect()
    }
}
