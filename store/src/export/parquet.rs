//! The `parquet` export: a dataset's variants in the `columnar` crate's fixed schema (the
//! columns `graft generate --out variants.parquet` writes), a row group at a time.
//!
//! What the store keeps fills the columns; what it does not is derived as `graft generate`
//! derives it, or null:
//!
//! - `id` is the variant's dataset-local key (`v3`), `source_id` the problem's own `id` else
//!   its key (`p1`), as in the `gsm8k` export; `source_line` the problem's line in the
//!   imported file.
//! - `operations` is the whole lineage from the original (a variant's stored operations start
//!   at its parent), as in `graft generate`.
//! - `program`, `steps`, `metrics` and `original_metrics` are derived from the stored graphs
//!   (`engine::to_python`, `engine::labels::steps_worked`, `Graph::metrics`).
//! - `text` and `solution`: the stored ones, else the offline verbalizer's and worked
//!   solution (`text_source` then `offline`), as the `gsm8k` export and solve jobs take them;
//!   null when the engine cannot write them.
//! - `chain` and `seed` are null for variants made by hand (the workbench); `negative` is
//!   always null (the store keeps no negative chains: gold questions are in the `full`
//!   export); `verdict` is the stored verdict's JSON, null when not judged.

use sqlx::{Sqlite, Transaction};
use tokio::sync::mpsc;

use super::{lineage, Job};
use crate::rows::graph_from_json;
use crate::{seed_from_db, StoreError, StoreResult};

/// Row groups formatted ahead of the reader at most (each up to
/// [`columnar::Writer::DEFAULT_GROUP_ROWS`] variants).
pub(super) const CHANNEL_GROUPS: usize = 2;

/// Variants read at a time (each page is read whole, then its lineages).
const PAGE: i64 = 256;

/// A variant of a Parquet export, with its problem.
struct DbParquetVariant {
    id: i64,
    key: i64,
    problem_key: i64,
    external_id: Option<String>,
    line: i64,
    question: String,
    original: Option<String>,
    original_answer: Option<String>,
    parent_variant_id: Option<i64>,
    operations: String,
    chain: Option<i64>,
    seed: Option<i64>,
    round: i64,
    graph: String,
    answer: String,
    text: Option<String>,
    solution: Option<String>,
    text_source: Option<String>,
    text_fallback: Option<String>,
    verdict: Option<String>,
}

/// Bytes of the file and the variants they hold.
pub(super) type Group = (Vec<u8>, u64);

fn failed(e: columnar::Error) -> StoreError {
    StoreError::Internal(format!("cannot write the Parquet export: {e}"))
}

/// Writes the dataset's variants as one Parquet file, handing it over a row group at a time.
pub(super) async fn produce(
    tx: &mut Transaction<'static, Sqlite>,
    job: &Job,
    out: &mpsc::Sender<StoreResult<Group>>,
) -> StoreResult<()> {
    let name = job.name.as_str();
    let mut writer = columnar::Writer::new(Vec::new()).map_err(failed)?;
    let mut sent = 0u64;
    // The file's head ("PAR1"), and each row group once written.
    let mut send = |writer: &mut columnar::Writer<Vec<u8>>| {
        let bytes = writer.take_bytes();
        let rows = writer.rows() - sent;
        sent = writer.rows();
        (bytes, rows)
    };
    let mut after = 0i64;
    loop {
        let page: Vec<DbParquetVariant> = export_sql!(query_as![
            DbParquetVariant,
            "WITH " KEYS r#"
        SELECT v.id AS "id!", vk.k AS "key!: i64", pk.k AS "problem_key!: i64", p.external_id,
            p.line, p.question, p.graph AS original, p.answer AS original_answer,
            v.parent_variant_id, v.operations, v.chain, v.seed, v.round, v.graph, v.answer,
            v.text, v.solution, v.text_source, v.text_fallback, v.verdict
        FROM variants v
            CROSS JOIN problems p ON p.id = v.problem_id
            LEFT JOIN vk ON vk.id = v.id
            LEFT JOIN pk ON pk.id = p.id
        WHERE p.dataset_id = ?1 AND v.id > ?2
        ORDER BY v.id LIMIT ?3"#
        ](job.dataset_id, after, PAGE))
        .fetch_all(&mut **tx)
        .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.id;
        for v in page {
            let whose = format!("variant v{} of dataset {name:?}", v.key);
            let row = row_of(tx, v, &whose).await?;
            if writer.push(&row).map_err(failed)? {
                let group = send(&mut writer);
                if out.send(Ok(group)).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
    let (head, rows) = send(&mut writer);
    let mut tail = writer.finish().map_err(failed)?;
    let mut bytes = head;
    bytes.append(&mut tail);
    let _ = out.send(Ok((bytes, rows))).await;
    Ok(())
}

/// The row of one variant (engine work: a graph or two read, a program printed, steps
/// labelled, the offline words when none are stored).
async fn row_of(
    tx: &mut Transaction<'static, Sqlite>,
    v: DbParquetVariant,
    whose: &str,
) -> StoreResult<columnar::Row> {
    let operations = lineage(tx, &v.operations, v.parent_variant_id, whose).await?;
    let original = v.original.as_deref().ok_or_else(|| {
        StoreError::Corrupt(format!("{whose} belongs to a problem without a graph"))
    })?;
    let original = graph_from_json(original, whose)?;
    let graph = graph_from_json(&v.graph, whose)?;
    let number = |n: Option<i64>, what: &str| -> StoreResult<Option<u32>> {
        n.map(|n| {
            u32::try_from(n)
                .map_err(|_| StoreError::Corrupt(format!("the {what} of {whose} is {n}")))
        })
        .transpose()
    };
    let (text, text_source) = match v.text {
        Some(t) => (Some(t), v.text_source),
        None => match engine::verbalize::offline(&original, &operations) {
            Ok(t) => (Some(t.text), Some("offline".to_string())),
            Err(_) => (None, None),
        },
    };
    let solution = v
        .solution
        .or_else(|| engine::solution::worked(&original, &graph).ok());
    Ok(columnar::Row {
        id: format!("v{}", v.key),
        source_id: v
            .external_id
            .unwrap_or_else(|| format!("p{}", v.problem_key)),
        source_line: u64::try_from(v.line).unwrap_or_default(),
        chain: number(v.chain, "chain")?,
        round: number(Some(v.round), "round")?.unwrap_or_default(),
        seed: v.seed.map(seed_from_db),
        question: Some(v.question),
        text,
        solution,
        answer: v.answer,
        original_answer: v
            .original_answer
            .unwrap_or_else(|| original.answer_value().to_string()),
        operations: to_json("operations", &operations, whose)?,
        program: engine::to_python(&graph),
        steps: Some(to_json(
            "steps",
            &engine::labels::steps_worked(&original, &graph),
            whose,
        )?),
        graph: Some(v.graph),
        text_source,
        text_fallback: v.text_fallback,
        negative: None,
        verdict: v.verdict,
        metrics: graph.metrics(),
        original_metrics: original.metrics(),
    })
}

/// `value` as JSON text for column `what`.
fn to_json(what: &'static str, value: &impl serde::Serialize, whose: &str) -> StoreResult<String> {
    columnar::json(what, value)
        .map_err(|e| StoreError::Internal(format!("cannot write the {what} of {whose}: {e}")))
}
