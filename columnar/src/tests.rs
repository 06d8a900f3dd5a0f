use super::*;
use engine::curriculum::CurriculumConfig;
use engine::problem::Problem;
use engine::records::{self, Origin, VariantRecord};

const DEMO: &str = include_str!("../../demo/demo.jsonl");

/// Every variant record of the demo set (3 rounds, offline words; full records on every third
/// problem, lean on the rest; negatives on every other problem), as `graft generate
/// --verbalize [--negatives] [--full]` makes them, handed to `f` one by one.
fn for_each_demo_record(mut f: impl FnMut(&VariantRecord)) {
    let cfg = CurriculumConfig {
        rounds: 3,
        per_problem: 1,
        seed: 7,
        ..CurriculumConfig::default()
    };
    for (i, line) in DEMO.lines().enumerate() {
        let p = Problem::from_json(line).unwrap();
        let Ok(g) = records::extract_row(&p) else {
            continue;
        };
        let id = format!("demo:{}", i + 1);
        let origin = Origin {
            source_id: &id,
            line: i + 1,
            question: p.question.as_deref(),
            original: &g,
            metrics: g.metrics(),
        };
        for chain in records::chains(&g, &id, &cfg).unwrap() {
            for v in &chain.variants {
                let words = records::offline_words(&g, v).ok();
                let detail = if i % 3 == 0 {
                    records::Detail::FULL
                } else {
                    records::Detail::LEAN
                };
                f(&VariantRecord::new(
                    origin,
                    chain.index,
                    v,
                    words,
                    i % 2 == 0,
                    detail,
                ));
            }
        }
    }
}

/// The rows and JSON records of the demo set's variants ([`for_each_demo_record`]).
fn demo() -> Vec<(Row, serde_json::Value)> {
    let mut out = Vec::new();
    for_each_demo_record(|r| out.push((Row::of(r).unwrap(), serde_json::to_value(r).unwrap())));
    assert!(out.len() > 20, "{}", out.len());
    out
}

/// The demo set's variants as `demo` makes them, `repeat` times over, written twice: record
/// by record (`push_record`) and row by row (`push(&Row::of(..))`), each writer encoding on
/// threads when `threads`. The two files and the rows.
fn demo_written(
    group_rows: usize,
    slice_rows: usize,
    threads: bool,
    repeat: usize,
) -> (Vec<u8>, Vec<u8>, Vec<Row>) {
    let mut by_record = Writer::with_threads(Vec::new(), group_rows, slice_rows, threads).unwrap();
    let mut by_row = Writer::with_threads(Vec::new(), group_rows, slice_rows, threads).unwrap();
    let mut rows = Vec::new();
    for _ in 0..repeat {
        for_each_demo_record(|r| {
            let row = Row::of(r).unwrap();
            let wrote = by_record.push_record(r).unwrap();
            assert_eq!(by_row.push(&row).unwrap(), wrote);
            rows.push(row);
        });
    }
    assert_eq!(by_record.rows(), rows.len() as u64);
    (by_record.finish().unwrap(), by_row.finish().unwrap(), rows)
}

#[test]
fn a_record_writes_the_same_bytes_as_its_row() {
    let (by_record, by_row, rows) = demo_written(7, 3, true, 1);
    assert!(rows
        .iter()
        .any(|r| r.graph.is_some() && r.negative.is_some()));
    assert!(rows
        .iter()
        .any(|r| r.graph.is_none() && r.negative.is_none()));
    assert_eq!(by_record, by_row);
    assert_eq!(read(by_record).unwrap(), rows);
}

#[test]
fn threads_write_the_same_file_as_one_thread_over_many_slices() {
    // Row groups of 40 rows in slices of 16: two full slices and a part of one each, the
    // last group shorter.
    let (group_rows, slice_rows): (usize, usize) = (40, 16);
    let per_demo = demo().len();
    let repeat = (2 * group_rows + group_rows / 2).div_ceil(per_demo);
    let (threaded, _, rows) = demo_written(group_rows, slice_rows, true, repeat);
    let (here, _, _) = demo_written(group_rows, slice_rows, false, repeat);
    assert!(rows.len() > 2 * group_rows && rows.len() % group_rows != 0);
    assert_eq!(threaded, here);
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(threaded.clone())).unwrap();
    assert_eq!(
        builder.metadata().num_row_groups(),
        rows.len().div_ceil(group_rows)
    );
    assert_eq!(read(threaded).unwrap(), rows);
}

#[test]
fn a_writer_dropped_mid_row_group_stops_its_threads() {
    let rows: Vec<Row> = demo().into_iter().map(|(r, _)| r).collect();
    let mut w = Writer::new(Vec::new()).unwrap();
    // More than a slice: rows are on the encoding threads when the writer goes.
    for r in rows.iter().cycle().take(Writer::<Vec<u8>>::SLICE_ROWS + 3) {
        assert!(!w.push(r).unwrap());
    }
    drop(w);
}

fn write(rows: &[Row], group_rows: usize) -> Vec<u8> {
    let mut w = Writer::with_group_rows(Vec::new(), group_rows).unwrap();
    for r in rows {
        w.push(r).unwrap();
    }
    assert_eq!(w.rows(), rows.len() as u64);
    w.finish().unwrap()
}

#[test]
fn rows_hold_the_values_of_the_jsonl_record() {
    for (row, json) in demo() {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        assert_eq!(Some(row.id.clone()), text(&json["id"]));
        assert_eq!(Some(row.source_id.clone()), text(&json["source_id"]));
        assert_eq!(json["source_line"], row.source_line);
        assert_eq!(json["chain"], row.chain.unwrap());
        assert_eq!(json["round"], row.round);
        assert_eq!(json["seed"], row.seed.unwrap());
        assert_eq!(row.question, text(&json["question"]));
        assert_eq!(row.text, text(&json["text"]));
        assert_eq!(row.solution, text(&json["solution"]));
        assert_eq!(Some(row.answer.clone()), text(&json["answer"]));
        assert_eq!(Some(row.original_answer), text(&json["original_answer"]));
        assert_eq!(Some(row.program), text(&json["program"]));
        assert_eq!(row.text_source, text(&json["text_source"]));
        for (col, value) in [
            ("operations", Some(&row.operations)),
            ("graph", row.graph.as_ref()),
            ("steps", row.steps.as_ref()),
            ("negative", row.negative.as_ref()),
        ] {
            let parsed: serde_json::Value = match value {
                Some(v) => serde_json::from_str(v).unwrap(),
                None => serde_json::Value::Null,
            };
            assert_eq!(parsed, json[col], "{col}");
        }
        assert_eq!(serde_json::to_value(row.metrics).unwrap(), json["metrics"]);
        assert_eq!(
            serde_json::to_value(row.original_metrics).unwrap(),
            json["original_metrics"]
        );
    }
}

#[test]
fn a_file_reads_back_to_the_same_rows_and_the_fixed_schema() {
    let rows: Vec<Row> = demo().into_iter().map(|(r, _)| r).collect();
    assert!(rows.iter().any(|r| r.negative.is_some()));
    assert!(rows.iter().any(|r| r.negative.is_none()));
    assert!(rows.iter().any(|r| r.graph.is_some() && r.steps.is_some()));
    assert!(rows.iter().any(|r| r.graph.is_none() && r.steps.is_none()));
    let bytes = write(&rows, 4);
    assert_eq!(&bytes[..4], b"PAR1");
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.clone())).unwrap();
    assert_eq!(builder.schema().fields(), schema().fields());
    let names: Vec<&str> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, COLUMNS);
    // A row group every 4 rows.
    assert_eq!(
        builder.metadata().num_row_groups(),
        rows.len().div_ceil(4),
        "{} rows",
        rows.len()
    );
    assert_eq!(read(bytes).unwrap(), rows);
}

#[test]
fn columns_keep_their_types_when_every_value_is_null() {
    // Variants made by hand in the web app: no chain, no seed, no words, no negatives.
    let mut rows: Vec<Row> = demo().into_iter().map(|(r, _)| r).take(3).collect();
    for r in &mut rows {
        r.chain = None;
        r.seed = None;
        r.question = None;
        r.text = None;
        r.solution = None;
        r.text_source = None;
        r.text_fallback = None;
        r.negative = None;
        r.verdict = None;
        r.graph = None;
        r.steps = None;
    }
    let bytes = write(&rows, 1024);
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.clone())).unwrap();
    for f in builder.schema().fields() {
        assert_ne!(f.data_type(), &DataType::Null, "{}", f.name());
    }
    assert_eq!(builder.schema().fields(), schema().fields());
    assert_eq!(read(bytes).unwrap(), rows);
}

#[test]
fn an_empty_file_has_the_schema_too() {
    let bytes = write(&[], 8);
    assert_eq!(read(bytes.clone()).unwrap(), Vec::<Row>::new());
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).unwrap();
    assert_eq!(builder.schema().fields(), schema().fields());
}

#[test]
fn a_64_bit_seed_loses_no_bit() {
    let mut rows: Vec<Row> = demo().into_iter().map(|(r, _)| r).take(2).collect();
    rows[0].seed = Some(u64::MAX);
    rows[1].seed = Some((1 << 63) + 12345);
    let back = read(write(&rows, 8)).unwrap();
    assert_eq!(back[0].seed, Some(u64::MAX));
    assert_eq!(back[1].seed, Some((1 << 63) + 12345));
}

#[test]
fn bytes_taken_a_row_group_at_a_time_make_the_whole_file() {
    let rows: Vec<Row> = demo().into_iter().map(|(r, _)| r).collect();
    let whole = write(&rows, 5);
    let mut w = Writer::with_group_rows(Vec::new(), 5).unwrap();
    let mut streamed = w.take_bytes();
    let mut pieces = 0;
    for r in &rows {
        if w.push(r).unwrap() {
            let b = w.take_bytes();
            assert!(
                !b.is_empty(),
                "a row group reaches the destination when written"
            );
            streamed.extend(b);
            pieces += 1;
        }
    }
    streamed.extend(w.take_bytes());
    streamed.extend(w.finish().unwrap());
    assert!(pieces >= rows.len() / 5);
    assert_eq!(streamed, whole);
    assert_eq!(read(streamed).unwrap(), rows);
}

#[test]
fn a_file_of_other_columns_is_refused() {
    let other = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false)]));
    let mut w = ArrowWriter::try_new(Vec::new(), other.clone(), None).unwrap();
    let batch = RecordBatch::try_new(other, vec![Arc::new(StringArray::from(vec!["a"]))]).unwrap();
    w.write(&batch).unwrap();
    let bytes = w.into_inner().unwrap();
    let e = read(bytes).unwrap_err();
    assert!(
        e.to_string().contains("not a file of Graft variants"),
        "{e}"
    );
    let e = read(b"not parquet at all".to_vec()).unwrap_err();
    assert!(e.to_string().contains("Parquet"), "{e}");
}
