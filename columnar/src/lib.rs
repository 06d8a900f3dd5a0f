//! Graft's variants as Parquet: one fixed Arrow schema ([`schema`]) and a row-group writer
//! ([`Writer`]), shared by every front end that writes variants in columns (`graft generate
//! --out variants.parquet`, `graft export --format parquet`, `GET
//! /api/datasets/{id}/export?format=parquet`).
//!
//! A variant is a [`Row`]: made from the record `graft generate` writes
//! ([`Row::of`], from [`engine::records::VariantRecord`]), or filled from the store by its
//! export. The columns follow the Python package's `graft.COLUMNS`, then add what a dataset
//! builder needs from the record; the README ("Output: Parquet") documents each one.
//!
//! **The schema never depends on the data.** Every column has one Arrow type (never `Null`,
//! whatever the rows hold), engine structures (operations, graph, steps, the negative chain,
//! the verdict) are JSON text, and a value a record does not have is a null of the column's
//! own type. `seed` is `UInt64`, so no bit of a 64-bit seed is lost.
//!
//! **Bounded memory.** The writer holds at most one row group of rows (
//! [`Writer::DEFAULT_GROUP_ROWS`] rows, or [`Writer::MAX_GROUP_BYTES`] of text, whichever
//! comes first) before encoding them as a row group; a writer to memory hands the file over a
//! row group at a time ([`Writer::take_bytes`]).

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{
    Array, ArrayRef, RecordBatch, StringArray, StructArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use engine::records::VariantRecord;
use engine::Metrics;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowRowGroupWriterFactory;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;

mod encode;

/// The version of the schema, in the file's key-value metadata under [`VERSION_KEY`]. It
/// changes when a column changes (2: `graph` and `steps` nullable, for lean records).
pub const SCHEMA_VERSION: &str = "2";

/// The metadata key of [`SCHEMA_VERSION`].
pub const VERSION_KEY: &str = "graft.variants.version";

/// The MIME type of a Parquet file (`application/vnd.apache.parquet`).
pub const MIME: &str = "application/vnd.apache.parquet";

/// What went wrong writing or reading variants as Parquet.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Parquet refused (an I/O error of the destination included).
    #[error("cannot write or read the Parquet file: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow refused a batch (a bug: the schema is fixed).
    #[error("cannot make an Arrow batch of variants: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// A part of a record did not serialize as JSON.
    #[error("cannot write a variant's {what} as JSON: {source}")]
    Json {
        /// Which column.
        what: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// A file read back is not one this crate wrote.
    #[error("not a file of Graft variants: {0}")]
    Foreign(String),
    /// Encoding a row group went wrong in the writer itself (an encoding thread stopped:
    /// a bug); the file is incomplete.
    #[error("cannot encode a Parquet row group of variants: {0}")]
    Encoder(String),
}

/// The names of the columns, in order.
pub const COLUMNS: [&str; 23] = [
    "id",
    "source_id",
    "source_line",
    "chain",
    "round",
    "seed",
    "question",
    "text",
    "solution",
    "answer",
    "original_answer",
    "depth",
    "original_depth",
    "operations",
    "program",
    "graph",
    "steps",
    "text_source",
    "text_fallback",
    "negative",
    "verdict",
    "metrics",
    "original_metrics",
];

/// The fields of the `metrics` and `original_metrics` structs, in order (each `UInt32`, never
/// null): [`engine::Metrics`].
pub const METRICS: [&str; 7] = [
    "depth",
    "steps",
    "inputs",
    "width",
    "branches",
    "distractors",
    "nodes",
];

fn metrics_fields() -> Fields {
    METRICS
        .iter()
        .map(|name| Field::new(*name, DataType::UInt32, false))
        .collect()
}

/// The Arrow schema of every file of variants (see the module's documentation and the
/// README's table). The same value on every call.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            use DataType::{UInt32, UInt64, Utf8};
            let text = |name: &str, nullable| Field::new(name, Utf8, nullable);
            let metrics = DataType::Struct(metrics_fields());
            Arc::new(Schema::new(vec![
                text("id", false),
                text("source_id", false),
                Field::new("source_line", UInt64, false),
                Field::new("chain", UInt32, true),
                Field::new("round", UInt32, false),
                Field::new("seed", UInt64, true),
                text("question", true),
                text("text", true),
                text("solution", true),
                text("answer", false),
                text("original_answer", false),
                Field::new("depth", UInt32, false),
                Field::new("original_depth", UInt32, false),
                text("operations", false),
                text("program", false),
                text("graph", true),
                text("steps", true),
                text("text_source", true),
                text("text_fallback", true),
                text("negative", true),
                text("verdict", true),
                Field::new("metrics", metrics.clone(), false),
                Field::new("original_metrics", metrics, false),
            ]))
        })
        .clone()
}

/// One variant as a row of the table. `depth` and `original_depth` are written from the
/// metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `SOURCE_ID/cCHAIN/rROUND` (generate), or the dataset-local key `v3` (export).
    pub id: String,
    /// The original problem's id.
    pub source_id: String,
    /// The 1-based line of the problem in its input file.
    pub source_line: u64,
    /// The curriculum chain; null for a variant made by hand in the web app.
    pub chain: Option<u32>,
    /// The round: interventions (grafts) from the original.
    pub round: u32,
    /// The chain's seed; null for a variant made by hand.
    pub seed: Option<u64>,
    /// The original question (null for a program row without one).
    pub question: Option<String>,
    /// The variant's problem text.
    pub text: Option<String>,
    /// Its worked solution in GSM8K style.
    pub solution: Option<String>,
    /// The variant's exact answer (`"72"`, `"1/3"`).
    pub answer: String,
    /// The original's exact answer.
    pub original_answer: String,
    /// The lineage from the original, JSON text.
    pub operations: String,
    /// The variant as a Python program.
    pub program: String,
    /// The variant's graph, engine JSON text; null in a lean record (`graft generate`
    /// without `--full`).
    pub graph: Option<String>,
    /// The step labels with their sentences, JSON text; null in a lean record (without
    /// `--steps` or `--full`).
    pub steps: Option<String>,
    /// Who wrote the text: `offline` or `llm`.
    pub text_source: Option<String>,
    /// Why a model's text was not used.
    pub text_fallback: Option<String>,
    /// A corrupted chain with its first error, JSON text.
    pub negative: Option<String>,
    /// The judge's verdict, JSON text.
    pub verdict: Option<String>,
    /// The variant's metrics.
    pub metrics: Metrics,
    /// The original's metrics.
    pub original_metrics: Metrics,
}

/// `value` as JSON text, naming the column when it fails.
pub fn json(what: &'static str, value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|source| Error::Json { what, source })
}

impl Row {
    /// The row of a record of `graft generate` (the same values its JSONL line holds).
    pub fn of(r: &VariantRecord<'_>) -> Result<Row, Error> {
        Ok(Row {
            id: r.id.clone(),
            source_id: r.source_id.to_string(),
            source_line: r.source_line as u64,
            chain: Some(r.chain),
            round: r.round,
            seed: Some(r.seed),
            question: r.question.map(str::to_string),
            text: r.text.clone(),
            solution: r.solution.clone(),
            answer: r.answer.to_string(),
            original_answer: r.original_answer.to_string(),
            operations: json("operations", &r.operations)?,
            program: r.program.clone(),
            graph: r.graph.map(|g| json("graph", g)).transpose()?,
            steps: r.steps.as_ref().map(|s| json("steps", s)).transpose()?,
            text_source: r.text_source.map(str::to_string),
            text_fallback: r.text_fallback.clone(),
            negative: r
                .negative
                .as_ref()
                .map(|n| json("negative", n))
                .transpose()?,
            verdict: r.verdict.as_ref().map(|v| json("verdict", v)).transpose()?,
            metrics: r.metrics,
            original_metrics: r.original_metrics,
        })
    }

    /// The text this row holds, roughly (for sizing row groups).
    fn text_len(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        self.id.len()
            + self.source_id.len()
            + opt(&self.question)
            + opt(&self.text)
            + opt(&self.solution)
            + self.answer.len()
            + self.original_answer.len()
            + self.operations.len()
            + self.program.len()
            + opt(&self.graph)
            + opt(&self.steps)
            + opt(&self.text_source)
            + opt(&self.text_fallback)
            + opt(&self.negative)
            + opt(&self.verdict)
    }
}

/// Buffers reused from record to record by [`Builders::append_record`].
#[derive(Default)]
struct Scratch {
    /// A record's JSON columns, one after the other.
    json: Vec<u8>,
    answer: String,
    original_answer: String,
}

/// A value written as JSON without naming its type (the JSON columns differ in type).
mod erased {
    /// Writes `self` as JSON to `out`.
    pub(crate) trait Json {
        fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error>;
    }

    impl<T: serde::Serialize + ?Sized> Json for T {
        fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
            serde_json::to_writer(out, self)
        }
    }
}

/// Column builders for one slice of rows.
#[derive(Default)]
struct Builders {
    id: StringBuilder,
    source_id: StringBuilder,
    source_line: UInt64Builder,
    chain: UInt32Builder,
    round: UInt32Builder,
    seed: UInt64Builder,
    question: StringBuilder,
    text: StringBuilder,
    solution: StringBuilder,
    answer: StringBuilder,
    original_answer: StringBuilder,
    depth: UInt32Builder,
    original_depth: UInt32Builder,
    operations: StringBuilder,
    program: StringBuilder,
    graph: StringBuilder,
    steps: StringBuilder,
    text_source: StringBuilder,
    text_fallback: StringBuilder,
    negative: StringBuilder,
    verdict: StringBuilder,
    metrics: [UInt32Builder; 7],
    original_metrics: [UInt32Builder; 7],
}

fn metric_values(m: &Metrics) -> [u32; 7] {
    [
        m.depth,
        m.steps,
        m.inputs,
        m.width,
        m.branches,
        m.distractors,
        m.nodes,
    ]
}

impl Builders {
    fn append(&mut self, r: &Row) {
        self.id.append_value(&r.id);
        self.source_id.append_value(&r.source_id);
        self.source_line.append_value(r.source_line);
        self.chain.append_option(r.chain);
        self.round.append_value(r.round);
        self.seed.append_option(r.seed);
        self.question.append_option(r.question.as_deref());
        self.text.append_option(r.text.as_deref());
        self.solution.append_option(r.solution.as_deref());
        self.answer.append_value(&r.answer);
        self.original_answer.append_value(&r.original_answer);
        self.depth.append_value(r.metrics.depth);
        self.original_depth.append_value(r.original_metrics.depth);
        self.operations.append_value(&r.operations);
        self.program.append_value(&r.program);
        self.graph.append_option(r.graph.as_deref());
        self.steps.append_option(r.steps.as_deref());
        self.text_source.append_option(r.text_source.as_deref());
        self.text_fallback.append_option(r.text_fallback.as_deref());
        self.negative.append_option(r.negative.as_deref());
        self.verdict.append_option(r.verdict.as_deref());
        self.append_metrics(&r.metrics, &r.original_metrics);
    }

    /// Appends a record of `graft generate` straight into the columns (the values of
    /// [`Row::of`], without making its `String`s): its JSON is written first into `scratch`, so
    /// a record that fails appends nothing. Returns the record's text length (as
    /// [`Row::text_len`]).
    fn append_record(&mut self, r: &VariantRecord<'_>, s: &mut Scratch) -> Result<usize, Error> {
        s.json.clear();
        let mut spans = [None; 5];
        for (span, (what, value)) in spans.iter_mut().zip([
            ("operations", Some(&r.operations as &dyn erased::Json)),
            ("graph", r.graph.as_ref().map(|g| g as &dyn erased::Json)),
            ("steps", r.steps.as_ref().map(|v| v as &dyn erased::Json)),
            (
                "negative",
                r.negative.as_ref().map(|v| v as &dyn erased::Json),
            ),
            (
                "verdict",
                r.verdict.as_ref().map(|v| v as &dyn erased::Json),
            ),
        ]) {
            if let Some(value) = value {
                let start = s.json.len();
                value
                    .write_json(&mut s.json)
                    .map_err(|source| Error::Json { what, source })?;
                *span = Some((what, start, s.json.len()));
            }
        }
        s.answer.clear();
        s.original_answer.clear();
        // Writing to a `String` cannot fail.
        let _ = write!(s.answer, "{}", r.answer);
        let _ = write!(s.original_answer, "{}", r.original_answer);
        let mut json = [None; 5];
        for (text, span) in json.iter_mut().zip(&spans) {
            if let Some((what, start, end)) = *span {
                *text =
                    Some(
                        std::str::from_utf8(&s.json[start..end]).map_err(|e| Error::Json {
                            what,
                            source: serde::ser::Error::custom(e),
                        })?,
                    );
            }
        }
        let [operations, graph, steps, negative, verdict] = json;
        let operations = operations.unwrap_or_default();
        let len = |v: Option<&str>| v.map_or(0, str::len);
        let text_len = r.id.len()
            + r.source_id.len()
            + len(r.question)
            + len(r.text.as_deref())
            + len(r.solution.as_deref())
            + s.answer.len()
            + s.original_answer.len()
            + operations.len()
            + r.program.len()
            + len(graph)
            + len(steps)
            + len(r.text_source)
            + len(r.text_fallback.as_deref())
            + len(negative)
            + len(verdict);
        self.id.append_value(&r.id);
        self.source_id.append_value(r.source_id);
        self.source_line.append_value(r.source_line as u64);
        self.chain.append_value(r.chain);
        self.round.append_value(r.round);
        self.seed.append_value(r.seed);
        self.question.append_option(r.question);
        self.text.append_option(r.text.as_deref());
        self.solution.append_option(r.solution.as_deref());
        self.answer.append_value(&s.answer);
        self.original_answer.append_value(&s.original_answer);
        self.depth.append_value(r.metrics.depth);
        self.original_depth.append_value(r.original_metrics.depth);
        self.operations.append_value(operations);
        self.program.append_value(&r.program);
        self.graph.append_option(graph);
        self.steps.append_option(steps);
        self.text_source.append_option(r.text_source);
        self.text_fallback.append_option(r.text_fallback.as_deref());
        self.negative.append_option(negative);
        self.verdict.append_option(verdict);
        self.append_metrics(&r.metrics, &r.original_metrics);
        Ok(text_len)
    }

    fn append_metrics(&mut self, metrics: &Metrics, original: &Metrics) {
        for (b, v) in self.metrics.iter_mut().zip(metric_values(metrics)) {
            b.append_value(v);
        }
        for (b, v) in self
            .original_metrics
            .iter_mut()
            .zip(metric_values(original))
        {
            b.append_value(v);
        }
    }

    /// The rows appended so far as a batch; the builders start empty again (with room for
    /// as many rows).
    fn finish(&mut self) -> Result<RecordBatch, Error> {
        fn metrics(builders: &mut [UInt32Builder; 7]) -> ArrayRef {
            let arrays: Vec<ArrayRef> = builders
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef)
                .collect();
            Arc::new(StructArray::new(metrics_fields(), arrays, None))
        }
        fn a(array: impl Array + 'static) -> ArrayRef {
            Arc::new(array)
        }
        /// The text so far; the builder starts again with room for as much and a quarter
        /// (the next slice is much like this one), so it does not grow by copying.
        fn t(b: &mut StringBuilder) -> ArrayRef {
            let (rows, bytes) = (b.offsets_slice().len() - 1, b.values_slice().len());
            let array = b.finish();
            *b = StringBuilder::with_capacity(rows, bytes + bytes / 4);
            Arc::new(array)
        }
        let columns: Vec<ArrayRef> = vec![
            t(&mut self.id),
            t(&mut self.source_id),
            a(self.source_line.finish()),
            a(self.chain.finish()),
            a(self.round.finish()),
            a(self.seed.finish()),
            t(&mut self.question),
            t(&mut self.text),
            t(&mut self.solution),
            t(&mut self.answer),
            t(&mut self.original_answer),
            a(self.depth.finish()),
            a(self.original_depth.finish()),
            t(&mut self.operations),
            t(&mut self.program),
            t(&mut self.graph),
            t(&mut self.steps),
            t(&mut self.text_source),
            t(&mut self.text_fallback),
            t(&mut self.negative),
            t(&mut self.verdict),
            metrics(&mut self.metrics),
            metrics(&mut self.original_metrics),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}

/// The writer's Parquet settings: LZ4 (raw) pages (the pure-Rust `lz4_flex`; Snappy's
/// compressor took 60% of the write time, LZ4 writes about a third faster and smaller files:
/// `benches/parquet.rs`); dictionaries only where values repeat (a dictionary of unique graphs
/// costs time for nothing); statistics per column chunk, none per page, and none for long
/// text.
fn properties() -> WriterProperties {
    use parquet::schema::types::ColumnPath;
    let mut b = WriterProperties::builder()
        .set_compression(Compression::LZ4_RAW)
        .set_dictionary_enabled(false)
        // Pages of 256 KiB rather than 1 MiB: a page is compressed when it fills, so with
        // small pages most of a row group is compressed on the encoding threads while rows
        // are still being built, not all at once when it closes (files grow under 1%).
        .set_data_page_size_limit(256 << 10)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        // Row groups are cut by the writer itself (`Writer::push`).
        .set_max_row_group_row_count(None)
        .set_created_by(format!("graft {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            VERSION_KEY.to_string(),
            SCHEMA_VERSION.to_string(),
        )]));
    for col in [
        "source_id",
        "question",
        "original_answer",
        "text_source",
        "text_fallback",
    ] {
        b = b.set_column_dictionary_enabled(ColumnPath::from(col), true);
    }
    // Minimum and maximum of long text (programs, JSON) filter nothing: no statistics there.
    for col in [
        "question",
        "text",
        "solution",
        "operations",
        "program",
        "graph",
        "steps",
        "text_fallback",
        "negative",
        "verdict",
    ] {
        b = b.set_column_statistics_enabled(ColumnPath::from(col), EnabledStatistics::None);
    }
    b.build()
}

/// The fields encoded by the second encoding thread (the first takes the rest): the long
/// text columns split so that both get about as much to compress, in lean records and in
/// full ones (`graph` is most of a full record).
const SECOND_PART: [&str; 5] = ["steps", "text", "solution", "question", "operations"];

/// Writes [`Row`]s (or records, [`Writer::push_record`]) to `W` as one Parquet file with the
/// fixed [`schema`], a row group every `group_rows` rows (or [`Writer::MAX_GROUP_BYTES`] of
/// text). Rows are handed over in slices of [`Writer::SLICE_ROWS`] to two threads that
/// encode and compress their share of the columns while the next slice is built; a row
/// group is complete in `W` when [`Writer::push`] says so. Call [`Writer::finish`] at the
/// end: without it the file has no footer and no reader takes it.
pub struct Writer<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    encoder: encode::Encoder,
    builders: Builders,
    scratch: Scratch,
    /// Whether the encoder has a row group open.
    open: bool,
    /// Rows (and their text) in the builders, not yet handed to the encoder.
    slice_rows: usize,
    slice_bytes: usize,
    /// Rows (and their text) of the row group being written.
    group_buffered: usize,
    group_bytes: usize,
    group_rows: usize,
    /// Rows per slice.
    slice_limit: usize,
    rows: u64,
}

impl<W: Write + Send> Writer<W> {
    /// Rows per row group by default.
    pub const DEFAULT_GROUP_ROWS: usize = 1024;

    /// The most text in a row group, whatever the row count (it also keeps each column of a
    /// slice far below Arrow's 2 GiB string offsets).
    pub const MAX_GROUP_BYTES: usize = 64 << 20;

    /// Rows built before they go to the encoding threads (or [`Writer::SLICE_BYTES`] of
    /// text): small enough that little is left to encode when a row group closes.
    pub const SLICE_ROWS: usize = 256;

    /// The most text built before it goes to the encoding threads.
    pub const SLICE_BYTES: usize = 4 << 20;

    /// A writer to `out` with row groups of [`Writer::DEFAULT_GROUP_ROWS`] rows.
    pub fn new(out: W) -> Result<Writer<W>, Error> {
        Writer::with_group_rows(out, Self::DEFAULT_GROUP_ROWS)
    }

    /// A writer to `out` with row groups of `group_rows` rows (at least 1).
    pub fn with_group_rows(out: W, group_rows: usize) -> Result<Writer<W>, Error> {
        Writer::with_threads(out, group_rows, Self::SLICE_ROWS, true)
    }

    /// A writer handing over slices of `slice_rows` rows, encoded on threads when
    /// `threads`, else on the calling thread (the same bytes: for tests).
    fn with_threads(
        out: W,
        group_rows: usize,
        slice_rows: usize,
        threads: bool,
    ) -> Result<Writer<W>, Error> {
        let schema = schema();
        // `ArrowWriter` puts the Arrow schema in the file's metadata; its file writer and
        // column writers then take the row groups that `encode` makes.
        let (file, factory) = ArrowWriter::try_new(out, schema.clone(), Some(properties()))?
            .into_serialized_writer()?;
        let second: Vec<usize> = SECOND_PART
            .iter()
            .filter_map(|name| schema.index_of(name).ok())
            .collect();
        let (mut first, mut second): (Vec<usize>, Vec<usize>) =
            (0..schema.fields().len()).partition(|i| !second.contains(i));
        first.sort_unstable();
        second.sort_unstable();
        Ok(Writer {
            file,
            factory,
            encoder: encode::Encoder::new(&schema, vec![first, second], threads),
            builders: Builders::default(),
            scratch: Scratch::default(),
            open: false,
            slice_rows: 0,
            slice_bytes: 0,
            group_buffered: 0,
            group_bytes: 0,
            group_rows: group_rows.max(1),
            slice_limit: slice_rows.max(1),
            rows: 0,
        })
    }

    /// Adds a row; writes a row group when one is full. `true` when it wrote one.
    pub fn push(&mut self, row: &Row) -> Result<bool, Error> {
        self.builders.append(row);
        self.pushed(row.text_len())
    }

    /// Adds the row of a record of `graft generate` (the same as `push(&Row::of(record)?)`,
    /// without making the row); writes a row group when one is full. `true` when it wrote
    /// one. A record that fails (its JSON) adds nothing.
    pub fn push_record(&mut self, record: &VariantRecord<'_>) -> Result<bool, Error> {
        let text = self.builders.append_record(record, &mut self.scratch)?;
        self.pushed(text)
    }

    fn pushed(&mut self, text: usize) -> Result<bool, Error> {
        self.rows += 1;
        self.slice_rows += 1;
        self.slice_bytes += text;
        self.group_buffered += 1;
        self.group_bytes += text;
        if self.group_buffered >= self.group_rows || self.group_bytes >= Self::MAX_GROUP_BYTES {
            self.flush()?;
            return Ok(true);
        }
        if self.slice_rows >= self.slice_limit || self.slice_bytes >= Self::SLICE_BYTES {
            self.hand_over()?;
        }
        Ok(false)
    }

    /// Hands the rows built so far to the encoder, opening a row group if none is.
    fn hand_over(&mut self) -> Result<(), Error> {
        if self.slice_rows == 0 {
            return Ok(());
        }
        if !self.open {
            let index = self.file.flushed_row_groups().len();
            self.encoder
                .open(self.factory.create_column_writers(index)?)?;
            self.open = true;
        }
        let batch = self.builders.finish()?;
        self.slice_rows = 0;
        self.slice_bytes = 0;
        self.encoder.rows(batch)
    }

    /// Writes the rows pushed since the last row group as a row group (nothing when there
    /// are none) and flushes its bytes to `W`.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.hand_over()?;
        if !self.open {
            return Ok(());
        }
        self.open = false;
        self.group_buffered = 0;
        self.group_bytes = 0;
        let chunks = self.encoder.close()?;
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.file
            .flush()
            .map_err(parquet::errors::ParquetError::from)?;
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the last row group and the footer; returns `W`.
    pub fn finish(mut self) -> Result<W, Error> {
        self.flush()?;
        Ok(self.file.into_inner()?)
    }
}

impl Writer<Vec<u8>> {
    /// The bytes written to memory since the last call (the file so far, a row group at a
    /// time): for streaming a file without holding it. Concatenated in order, with the
    /// bytes [`Writer::finish`] returns last, they are the whole file.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        // Safe for the file: the writer counts offsets itself; taking bytes it already
        // handed to the `Vec` changes nothing it knows.
        std::mem::take(self.file.inner_mut())
    }
}

/// Reads a file of variants back (the whole file, in memory: for tests and checks). Refuses
/// a file whose schema is not [`schema`].
pub fn read(data: Vec<u8>) -> Result<Vec<Row>, Error> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(data))?;
    let version = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == VERSION_KEY))
        .and_then(|kv| kv.value.clone());
    if version.as_deref() != Some(SCHEMA_VERSION) {
        return Err(Error::Foreign(format!(
            "{VERSION_KEY} is {version:?}, expected {SCHEMA_VERSION:?}"
        )));
    }
    if builder.schema().fields() != schema().fields() {
        return Err(Error::Foreign(format!(
            "the columns differ from Graft's: {:?}",
            builder.schema()
        )));
    }
    let mut rows = Vec::new();
    for batch in builder.build()? {
        rows.extend(rows_of(&batch?)?);
    }
    Ok(rows)
}

/// The rows of a batch with the fixed schema.
fn rows_of(batch: &RecordBatch) -> Result<Vec<Row>, Error> {
    let col = |name: &str| {
        batch
            .column_by_name(name)
            .ok_or_else(|| Error::Foreign(format!("no column {name}")))
    };
    fn cast<'a, T: 'static>(a: &'a ArrayRef, name: &str) -> Result<&'a T, Error> {
        a.as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| Error::Foreign(format!("column {name} has type {}", a.data_type())))
    }
    let texts = |name: &str| -> Result<Vec<Option<String>>, Error> {
        let a = col(name)?;
        let s: &StringArray = cast(a, name)?;
        Ok(s.iter().map(|v| v.map(str::to_string)).collect())
    };
    let u32s = |name: &str| -> Result<Vec<Option<u32>>, Error> {
        let a = col(name)?;
        Ok(cast::<UInt32Array>(a, name)?.iter().collect())
    };
    let u64s = |name: &str| -> Result<Vec<Option<u64>>, Error> {
        let a = col(name)?;
        Ok(cast::<UInt64Array>(a, name)?.iter().collect())
    };
    let metrics = |name: &str| -> Result<Vec<Metrics>, Error> {
        let a = col(name)?;
        let s: &StructArray = cast(a, name)?;
        let mut fields = Vec::new();
        for f in METRICS {
            let c = s
                .column_by_name(f)
                .ok_or_else(|| Error::Foreign(format!("no field {name}.{f}")))?;
            fields.push(cast::<UInt32Array>(c, f)?.values().to_vec());
        }
        Ok((0..s.len())
            .map(|i| Metrics {
                depth: fields[0][i],
                steps: fields[1][i],
                inputs: fields[2][i],
                width: fields[3][i],
                branches: fields[4][i],
                distractors: fields[5][i],
                nodes: fields[6][i],
            })
            .collect())
    };
    let required = |v: Option<String>, name: &str| {
        v.ok_or_else(|| Error::Foreign(format!("a null in required column {name}")))
    };
    let (id, source_id, question, text, solution) = (
        texts("id")?,
        texts("source_id")?,
        texts("question")?,
        texts("text")?,
        texts("solution")?,
    );
    let (answer, original_answer, operations, program, graph, steps) = (
        texts("answer")?,
        texts("original_answer")?,
        texts("operations")?,
        texts("program")?,
        texts("graph")?,
        texts("steps")?,
    );
    let (text_source, text_fallback, negative, verdict) = (
        texts("text_source")?,
        texts("text_fallback")?,
        texts("negative")?,
        texts("verdict")?,
    );
    let (source_line, seed) = (u64s("source_line")?, u64s("seed")?);
    let (chain, round) = (u32s("chain")?, u32s("round")?);
    let (m, om) = (metrics("metrics")?, metrics("original_metrics")?);
    let mut rows = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        rows.push(Row {
            id: required(id[i].clone(), "id")?,
            source_id: required(source_id[i].clone(), "source_id")?,
            source_line: source_line[i].unwrap_or_default(),
            chain: chain[i],
            round: round[i].unwrap_or_default(),
            seed: seed[i],
            question: question[i].clone(),
            text: text[i].clone(),
            solution: solution[i].clone(),
            answer: required(answer[i].clone(), "answer")?,
            original_answer: required(original_answer[i].clone(), "original_answer")?,
            operations: required(operations[i].clone(), "operations")?,
            program: required(program[i].clone(), "program")?,
            graph: graph[i].clone(),
            steps: steps[i].clone(),
            text_source: text_source[i].clone(),
            text_fallback: text_fallback[i].clone(),
            negative: negative[i].clone(),
            verdict: verdict[i].clone(),
            metrics: m[i],
            original_metrics: om[i],
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
