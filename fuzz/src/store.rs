//! The export importer's fuzz target body (feature `store`): the real import into an
//! in-memory SQLite store.

use std::sync::LazyLock;
use std::time::Duration;

use store::{ExportFormat, JobSpec, JobState, Store, StoreError, DEMO};
use tokio::runtime::Runtime;

/// Every table an import writes, emptied between inputs (children first).
const TABLES: &[&str] = &[
    "step_labels",
    "annotations",
    "label_items",
    "review_events",
    "llm_calls",
    "variants",
    "jobs",
    "problems",
    "datasets",
    "users",
];

struct Fixture {
    rt: Runtime,
    store: Store,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let store = rt
        .block_on(Store::open("sqlite::memory:"))
        .expect("an in-memory store opens");
    if std::env::var_os(crate::checks::EMIT_EXPORTS).is_some() {
        rt.block_on(emit_seeds());
    }
    Fixture { rt, store }
});

async fn exec(store: &Store, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// Rows in every table an import writes.
async fn rows(store: &Store) -> i64 {
    let mut total = 0;
    for t in TABLES {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {t}"))
            .fetch_one(store.pool())
            .await
            .expect("counts rows");
        total += n;
    }
    total
}

/// The full export of dataset `id`, one record per line.
async fn export(store: &Store, id: i64) -> Vec<String> {
    let mut s = store
        .export(id, ExportFormat::Full)
        .await
        .unwrap_or_else(|e| panic!("an imported dataset does not export: {e}"));
    let mut out = Vec::new();
    while let Some(line) = s.next_line().await {
        let line = line.unwrap_or_else(|e| panic!("an imported dataset does not export: {e}"));
        out.push(line.trim_end().to_string());
    }
    out
}

/// Each record with the dataset name taken out.
fn without_name(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("an export line is JSON");
            v["dataset"] = serde_json::Value::Null;
            v
        })
        .collect()
}

/// Builds small datasets and writes their full exports under `EMIT_EXPORTS`.
async fn emit_seeds() {
    let store = Store::open("sqlite::memory:").await.expect("opens");
    let _runner = store.spawn_job_runner();
    for (name, take, rounds) in [("one", 1, 1), ("rich", 3, 3)] {
        let mut rows: Vec<&str> = DEMO.lines().take(take).collect();
        rows.push(r#"{"question": "What is the meaning of life?", "id": "q-42"}"#);
        let report = store
            .import_jsonl(name, &rows.join("\n"))
            .await
            .expect("imports");
        let ds = report.dataset_id;
        let job = store
            .create_job(&JobSpec::curriculum(ds, rounds, 2, 5))
            .await
            .expect("a job");
        let status = store
            .wait_for_job(job, Duration::from_secs(120))
            .await
            .expect("the job ends");
        assert_eq!(status.state, JobState::Done, "{status:?}");
        if name == "rich" {
            let (v1, graph): (i64, String) = sqlx::query_as(
                "SELECT id, graph FROM variants WHERE round = 1 ORDER BY id LIMIT 1",
            )
            .fetch_one(store.pool())
            .await
            .expect("a variant");
            let g: engine::Graph = serde_json::from_str(&graph).expect("a graph");
            let steps = serde_json::to_string(&engine::labels::steps(&g)).expect("serializes");
            let gold = engine::labels::corrupt(&g, 3).expect("corrupts");
            let gold_steps = serde_json::to_string(&gold.steps).expect("serializes");
            for (id, steps, first_error) in [
                (501, steps, None),
                (502, gold_steps, Some(gold.first_error as i64)),
            ] {
                sqlx::query(
                    "INSERT INTO label_items (id, dataset_id, variant_id, steps,
                        gold_first_error, gold_detail) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(ds)
                .bind(v1)
                .bind(steps)
                .bind(first_error)
                .bind(first_error.map(|_| "wrong"))
                .execute(store.pool())
                .await
                .expect("a label item");
            }
            exec(
                &store,
                &format!(
                    "INSERT INTO users (name, password_hash, role) VALUES
                        ('alice', 'x', 'annotator'), ('Bob', NULL, 'annotator'),
                        ('rita', 'y', 'admin');
                     UPDATE variants SET review_status = 'accepted', review_reason = 'clear',
                        reviewed_by = (SELECT id FROM users WHERE name = 'rita'),
                        reviewed_at = '2025-01-02T03:04:05.000Z', text = 'An edited text.',
                        text_edited_by = (SELECT id FROM users WHERE name = 'rita')
                        WHERE id = {v1};
                     INSERT INTO review_events (variant_id, user_id, decision, reason,
                        text_before, bulk, created_at)
                        SELECT {v1}, id, 'accept', 'clear', 'old text', 7,
                        '2025-01-02T03:04:05.000Z' FROM users WHERE name = 'rita';
                     INSERT INTO annotations (id, item_id, user_id, flagged, flag_note,
                        finish_reason, finished_at)
                        SELECT 1001, 501, id, 1, 'odd', 'solution_correct',
                        '2025-02-01T00:00:00.000Z' FROM users WHERE name = 'alice';
                     INSERT INTO annotations (id, item_id, user_id) SELECT 1002, 501, id
                        FROM users WHERE name = 'Bob';
                     INSERT INTO annotations (id, item_id, user_id, finish_reason, finished_at)
                        SELECT 1003, 502, id, 'found_error', '2025-02-03T00:00:00.000Z'
                        FROM users WHERE name = 'alice';
                     INSERT INTO step_labels (annotation_id, step, rating) VALUES
                        (1001, 0, 1), (1001, 1, 1), (1002, 0, -1), (1003, 0, 1), (1003, 1, -1);",
                ),
            )
            .await;
        }
        let lines = export(&store, ds).await;
        crate::checks::emit(
            crate::checks::EMIT_EXPORTS,
            (lines.join("\n") + "\n").as_bytes(),
        );
    }
}

/// Imports `text`, checking what an accepted or refused import must leave behind.
async fn import(store: &Store, text: &str) {
    match store.import_export(None, text).await {
        Ok(report) => {
            assert!(
                report.imported > 0 && report.failed.is_empty(),
                "{report:?}"
            );
            let first = export(store, report.dataset_id).await;
            let again = store
                .import_export(Some("fuzz copy"), &first.join("\n"))
                .await
                .unwrap_or_else(|e| panic!("an export of an import does not import: {e}"));
            let second = export(store, again.dataset_id).await;
            assert_eq!(
                without_name(&first),
                without_name(&second),
                "export → import → export is not a fixed point"
            );
            let wipe: String = TABLES.iter().map(|t| format!("DELETE FROM {t};")).collect();
            exec(store, &wipe).await;
        }
        Err(e) => {
            match &e {
                StoreError::Internal(m) => panic!("the importer failed inside: {m}"),
                StoreError::Database(d) => panic!("the importer hit a database error: {d}"),
                StoreError::NothingImported { reason, .. } => assert!(!reason.is_empty()),
                _ => {}
            }
            assert!(!e.to_string().is_empty());
            assert_eq!(
                rows(store).await,
                0,
                "a refused import left rows behind: {e}"
            );
        }
    }
}

/// Fuzz target: the export importer (`Store::import_export`, store/src/export/restore.rs),
/// the real restore path of `graft import` and `POST /api/import`, driven into an in-memory
/// SQLite store. It has no pure entry point: the checks of every line (`plan`) are private
/// and run inside the import.
///
/// Input: UTF-8 text, a whole export file (JSONL, first line the `graft_export` record).
///
/// Checks, beyond "no panic, no overflow, no hang" (a panic inside the importer's blocking
/// task comes back as `StoreError::Internal`, which counts as a crash here):
/// - `export_marker` never panics;
/// - a refused file is refused with a reason and leaves the database exactly as it was
/// (empty: no dataset, problem, variant, label, review event or user);
/// - an accepted file is exported again (full format) without error, that export imports
/// again, and exporting the second copy gives the same records (a fixed point, dataset
/// name aside); afterwards the store is emptied for the next input.
///
/// With `GRAFT_FUZZ_EMIT_EXPORTS=<dir>` it first writes full exports of a small dataset
/// (problems, a problem without a graph, curriculum variants, users, review decisions, label
/// items, annotations, step labels, a gold question) there, as seeds.
pub fn export_import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = store::export_marker(text);
    let f = &*FIXTURE;
    f.rt.block_on(import(&f.store, text));
}
