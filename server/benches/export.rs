//! The full export of a dataset with 100,000 variants: its time (criterion), and the peak of
//! the Rust heap during one export (a counting global allocator), printed as
//! `export 100k: peak heap … MiB` (1,000 variants when `cargo test` runs it once).
//!
//! The variants are copies of one real variant (a graft on a demo problem, verbalized and
//! judged offline), inserted with one SQL statement; every tenth has a label item with two
//! finished annotations, so the per-variant subqueries do work.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use engine::intervene::Intervention;
use store::{ExportFormat, Store};

/// Variants in the dataset: 100,000 under `cargo bench`; 1,000 when `cargo test` runs the
/// benchmark once as a test (without `--bench`), which only has to show that it works.
fn variants() -> u64 {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        1_000
    }
}

/// Counts the bytes allocated now and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; the counters are
// bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A figure of `/proc/self/status` in KiB (`VmRSS`: resident now, `VmHWM`: its peak), where
/// Linux gives it.
fn proc_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A store with the demo set and `variants` variants of its first problem; the dataset id.
async fn setup(dir: &std::path::Path, variants: u64) -> (Store, i64) {
    let store = Store::open_data_dir(dir).await.expect("opens the store");
    let demo = store
        .ensure_demo()
        .await
        .expect("imports the demo set")
        .expect("a new store");
    let (problem, graph): (i64, String) =
        sqlx::query_as("SELECT id, graph FROM problems ORDER BY id LIMIT 1")
            .fetch_one(store.pool())
            .await
            .unwrap();
    let g: engine::Graph = serde_json::from_str(&graph).unwrap();
    let step = g
        .ids()
        .find(|&id| g.node(id).kind.is_operation())
        .expect("a step");
    let op = Intervention::Graft {
        node: step,
        f: engine::ProxyFn {
            op: engine::ProxyOp::Mul,
            k: engine::Number::int(3),
        },
    };
    let saved = store
        .save_variant(problem, None, vec![op], Some(7))
        .await
        .unwrap();
    store.judge_variant(saved.id, None, None).await.unwrap();
    let variant: engine::Graph = {
        let (json,): (String,) = sqlx::query_as("SELECT graph FROM variants WHERE id = ?")
            .bind(saved.id)
            .fetch_one(store.pool())
            .await
            .unwrap();
        serde_json::from_str(&json).unwrap()
    };
    let steps = serde_json::to_string(&engine::labels::steps(&variant)).unwrap();
    let start = Instant::now();
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO variants (problem_id, parent_variant_id, operations, seed, round, chain,
            graph, depth, answer, share_token, text, text_source, text_notes, verdict,
            verdict_outcome)
         SELECT v.problem_id, NULL, v.operations, n.i, 1, n.i % 4, v.graph, v.depth, v.answer,
            printf('%032x', n.i), v.text, v.text_source, v.text_notes, v.verdict,
            v.verdict_outcome
         FROM n, variants v WHERE v.id = ?",
    )
    .bind(variants as i64)
    .bind(saved.id)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO users (name, role) VALUES ('ann', 'annotator'), ('ben', 'annotator')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO label_items (dataset_id, variant_id, steps)
         SELECT ?, id, ? FROM variants WHERE id % 10 = 0",
    )
    .bind(demo.dataset_id)
    .bind(&steps)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO annotations (item_id, user_id, finish_reason, finished_at)
         SELECT li.id, u.id, 'solution_correct', '2025-01-01T00:00:00.000Z'
         FROM label_items li, users u;
         INSERT INTO step_labels (annotation_id, step, rating)
         SELECT a.id, s.step, CASE WHEN a.user_id % 2 = 0 THEN 1 ELSE -1 END
         FROM annotations a, (SELECT 0 AS step UNION ALL SELECT 1 UNION ALL SELECT 2) s;",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    eprintln!(
        "export bench: {variants} variants inserted in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    (store, demo.dataset_id)
}

/// Exports the whole dataset, reading every line; `(records, bytes)`.
async fn export_all(store: &Store, dataset: i64) -> (u64, u64) {
    let mut stream = store
        .export(dataset, ExportFormat::Full)
        .await
        .expect("the export starts");
    let (mut records, mut bytes) = (0u64, 0u64);
    while let Some(line) = stream.next_line().await {
        bytes += line.expect("a line").len() as u64;
        records += 1;
    }
    (records, bytes)
}

fn bench_export(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let variants = variants();
    let label = format!("{}k", variants / 1000);
    let (store, dataset) = rt.block_on(setup(dir.path(), variants));

    // One export with the counters watching.
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let rss_before = proc_kib("VmRSS:");
    // Linux: "5" resets the peak resident set to the current one.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let start = Instant::now();
    let (records, bytes) = rt.block_on(export_all(&store, dataset));
    let took = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    let mib = |b: f64| b / (1024.0 * 1024.0);
    eprintln!(
        "export {label}: peak heap {:.2} MiB above the {:.1} MiB held before; {records} records, \
         {:.1} MiB of JSONL in {:.2} s",
        mib(peak as f64),
        mib(before as f64),
        mib(bytes as f64),
        took.as_secs_f64()
    );
    if let (true, Some(a), Some(b)) = (reset, rss_before, proc_kib("VmHWM:")) {
        eprintln!(
            "export {label}: peak resident set {:.1} MiB (SQLite's page cache included; {:.1} MiB \
             at the start)",
            b as f64 / 1024.0,
            a as f64 / 1024.0
        );
    }
    assert_eq!(records, 21 + variants);

    let mut group = c.benchmark_group("export");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10).max(took * 12));
    group.bench_function(format!("full export, {label} variants"), |b| {
        b.iter(|| rt.block_on(export_all(&store, dataset)))
    });
    group.finish();
    rt.block_on(store.close());
}

criterion_group!(benches, bench_export);
criterion_main!(benches);
