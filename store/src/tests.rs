//! Store tests on throw-away database files.

use std::path::Path;
use std::time::Duration;

use engine::intervene::Intervention;
use engine::{NodeId, Number, ProxyFn, ProxyOp};

use super::*;

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = Store::open_data_dir(dir.path()).await.expect("opens");
    (dir, store)
}

async fn count(store: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(store.pool()).await.unwrap();
    n
}

fn demo_line(i: usize) -> &'static str {
    DEMO.lines().nth(i).unwrap()
}

fn graft(node: u32, k: i64) -> Intervention {
    Intervention::Graft {
        node: NodeId(node),
        f: ProxyFn {
            op: ProxyOp::Mul,
            k: Number::int(k as i128),
        },
    }
}

/// An operation node of `g` (a step) to graft onto.
fn a_step(g: &engine::Graph) -> u32 {
    g.ids()
        .find(|&id| g.node(id).kind.is_operation())
        .expect("the graph has a step")
        .0
}

#[tokio::test]
async fn opens_a_file_and_an_in_memory_database() {
    let (dir, store) = fresh().await;
    assert!(dir.path().join(DB_FILE).exists());
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);

    let mem = Store::open("sqlite::memory:").await.unwrap();
    mem.ensure_demo().await.unwrap();
    assert_eq!(
        mem.problem_count().await.unwrap(),
        DEMO.lines().count() as u64
    );

    let e = Store::open("postgres://nope").await.unwrap_err();
    assert!(e.to_string().contains("postgres://nope"), "{e}");
}

#[tokio::test]
async fn demo_is_imported_once() {
    let (dir, store) = fresh().await;
    let report = store.ensure_demo().await.unwrap().expect("imported");
    let rows = DEMO.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    assert_eq!(report.imported, rows);
    assert_eq!(report.extracted, rows);
    assert!(report.failed.is_empty());
    assert!(store.ensure_demo().await.unwrap().is_none());
    store.close().await;

    let again = Store::open_data_dir(dir.path()).await.unwrap();
    assert!(again.ensure_demo().await.unwrap().is_none());
    let list = again.list_datasets(false).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, DEMO_NAME);
    assert_eq!(list[0].problems, rows);
    assert_eq!(
        list[0].histogram.iter().map(|b| b.problems).sum::<u64>(),
        rows
    );
}

#[tokio::test]
async fn import_reports_lines_and_stores_failed_extractions() {
    let (_dir, store) = fresh().await;
    let contents = format!(
        "{}\nnot json\n\n{{\"answer\": \"no question\"}}\n{}\n{}\n",
        demo_line(0),
        r#"{"question": "Sam has 3 cats.", "answer": "He has cats.\n#### 3"}"#,
        r#"{"input": "q", "code": "def solution():\n    return 2 + 3", "target": 5}"#,
    );
    let r = store.import_jsonl("mixed", &contents).await.unwrap();
    assert_eq!(r.imported, 3);
    assert_eq!(r.extracted, 2);
    let lines: Vec<u32> = r.failed.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![2, 4]);
    assert!(r.failed[0].reason.contains("JSON"), "{:?}", r.failed);

    let page = store
        .dataset(r.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.summary.extracted, 2);
    let failed = &page.problems[1];
    assert_eq!(failed.line, 5);
    assert!(failed.depth.is_none());
    assert!(failed.error.is_some(), "{failed:?}");
    let ok = &page.problems[0];
    assert_eq!(ok.external_id.as_deref(), Some("demo-apples"));
    assert_eq!(ok.answer.as_deref(), Some("62"));

    // Paging.
    let p2 = store
        .dataset(r.dataset_id, Some(2), Some(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p2.problems.len(), 1);
    assert_eq!(p2.problems[0].line, 6);
    assert!(store.dataset(r.dataset_id, None, Some(0)).await.is_err());
    assert!(store.dataset(999, None, None).await.unwrap().is_none());

    // Problem page and share token.
    let p = store.problem(ok.id).await.unwrap().unwrap();
    assert_eq!(p.dataset_name, "mixed");
    assert!(p.graph.is_some());
    assert_eq!(p.share_token.len(), 32);
    assert!(matches!(
        store.shared(&p.share_token).await.unwrap(),
        Some(Shared::Problem(sp)) if sp.id == p.id
    ));
    assert!(store.shared(&"0".repeat(32)).await.unwrap().is_none());
    assert!(store.shared("../../etc").await.unwrap().is_none());
}

#[tokio::test]
async fn import_refuses_names_and_unreadable_files_storing_nothing() {
    let (_dir, store) = fresh().await;
    store.ensure_demo().await.unwrap();
    let before = count(&store, "SELECT COUNT(*) FROM problems").await;

    let e = store.import_jsonl("demo", demo_line(0)).await.unwrap_err();
    assert!(matches!(e, StoreError::NameTaken(_)), "{e}");
    assert_eq!(e.kind(), ErrorKind::Conflict);
    let e = store.import_jsonl("  ", demo_line(0)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);

    let e = store
        .import_jsonl("junk", "nope\n{\"a\": 1}\n")
        .await
        .unwrap_err();
    match &e {
        StoreError::NothingImported { failed, .. } => {
            assert_eq!(
                failed.iter().map(|f| f.line).collect::<Vec<_>>(),
                vec![1, 2]
            );
        }
        other => panic!("{other}"),
    }
    let e = store.import_jsonl("empty", "\n  \n").await.unwrap_err();
    assert!(e.to_string().contains("no rows"), "{e}");

    assert_eq!(count(&store, "SELECT COUNT(*) FROM datasets").await, 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM problems").await, before);
}

#[tokio::test]
async fn a_database_failure_mid_import_rolls_everything_back() {
    let (_dir, store) = fresh().await;
    store.ensure_demo().await.unwrap();
    // Make the third row's insert fail inside the transaction.
    sqlx::query(
        "CREATE TRIGGER boom BEFORE INSERT ON problems WHEN NEW.line = 3
         BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let before = (
        count(&store, "SELECT COUNT(*) FROM datasets").await,
        count(&store, "SELECT COUNT(*) FROM problems").await,
    );
    let file = DEMO.lines().take(5).collect::<Vec<_>>().join("\n");
    let e = store.import_jsonl("partial", &file).await.unwrap_err();
    assert!(e.to_string().contains("boom"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Internal);
    let after = (
        count(&store, "SELECT COUNT(*) FROM datasets").await,
        count(&store, "SELECT COUNT(*) FROM problems").await,
    );
    assert_eq!(before, after);
    // The name is free again.
    sqlx::query("DROP TRIGGER boom")
        .execute(store.pool())
        .await
        .unwrap();
    let r = store.import_jsonl("partial", &file).await.unwrap();
    assert_eq!(r.imported, 5);
}

#[tokio::test]
async fn a_problem_shows_its_variants_a_window_at_a_time() {
    let (_dir, store) = fresh().await;
    let r = store.import_jsonl("one", demo_line(0)).await.unwrap();
    let pid = store
        .dataset(r.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap()
        .problems[0]
        .id;
    let g = store.problem(pid).await.unwrap().unwrap().graph.unwrap();
    let step = a_step(&g);
    let n = types::model::VARIANT_PAGE + 5;
    let mut ids = Vec::new();
    for k in 0..n {
        let saved = store
            .save_variant(pid, None, vec![graft(step, 2 + k as i64)], None)
            .await
            .unwrap();
        ids.push(saved.id);
    }
    // The problem comes with its first page, oldest first, and says how many there are.
    let p = store.problem(pid).await.unwrap().unwrap();
    let shown: Vec<i64> = p.variants.iter().map(|v| v.id).collect();
    assert_eq!(shown, ids[..types::model::VARIANT_PAGE as usize]);
    assert_eq!(
        (p.variants_total, p.variants_offset, p.variants_limit),
        (n, 0, types::model::VARIANT_PAGE)
    );
    // Any window of them, by the problem's id or its share link.
    let w = store
        .problem_variants(pid, Some(98), Some(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        w.variants.iter().map(|v| v.id).collect::<Vec<_>>(),
        ids[98..103]
    );
    assert_eq!((w.total, w.offset, w.limit), (n, 98, 5));
    let last = store
        .shared_problem_variants(&p.share_token.to_ascii_uppercase(), Some(100), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        last.variants.iter().map(|v| v.id).collect::<Vec<_>>(),
        ids[100..]
    );
    let past = store
        .problem_page(pid, Some(10_000), None)
        .await
        .unwrap()
        .unwrap();
    assert!(past.variants.is_empty());
    assert_eq!(past.variants_total, n);
    // No such problem or link; a window out of bounds is the caller's error.
    assert!(store
        .problem_variants(pid + 1000, None, None)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .shared_problem_variants(&"0".repeat(32), None, None)
        .await
        .unwrap()
        .is_none());
    let variant_token = store.variant(ids[0]).await.unwrap().unwrap().share_token;
    assert!(store
        .shared_problem_variants(&variant_token, None, None)
        .await
        .unwrap()
        .is_none());
    for (offset, limit) in [
        (None, Some(0)),
        (None, Some(types::model::MAX_VARIANT_PAGE + 1)),
        (Some(u64::MAX), None),
    ] {
        let e = store.problem_page(pid, offset, limit).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{e}");
        assert!(
            e.to_string().contains("variants") || e.to_string().contains("offset"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn variants_are_re_derived_with_lineage() {
    let (_dir, store) = fresh().await;
    let r = store.import_jsonl("one", demo_line(0)).await.unwrap();
    let page = store
        .dataset(r.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap();
    let pid = page.problems[0].id;
    let problem = store.problem(pid).await.unwrap().unwrap();
    let g = problem.graph.clone().unwrap();
    let step = a_step(&g);

    let first = store
        .save_variant(pid, None, vec![graft(step, 2)], Some(7))
        .await
        .unwrap();
    let v1 = store.variant(first.id).await.unwrap().unwrap();
    assert_eq!(v1.parent_variant_id, None);
    assert_eq!(v1.round, 1);
    assert_eq!(v1.seed, Some(7));
    assert!(v1.parent_graph.same_as(&g));
    let mut expected = g.clone();
    engine::intervene::apply(&mut expected, &graft(step, 2)).unwrap();
    assert!(v1.graph.same_as(&expected));

    let second = store
        .save_variant(pid, Some(first.id), vec![graft(step, 3)], None)
        .await
        .unwrap();
    let v2 = store.variant(second.id).await.unwrap().unwrap();
    assert_eq!(v2.parent_variant_id, Some(first.id));
    assert_eq!(v2.round, 2);
    assert!(v2.parent_graph.same_as(&v1.graph));
    assert!(matches!(
        store.shared(&second.share_token).await.unwrap(),
        Some(Shared::Variant(v)) if v.id == second.id
    ));
    let listed = store.problem(pid).await.unwrap().unwrap().variants;
    assert_eq!(listed.len(), 2);
    assert!(listed[0].operations.starts_with("graft #"), "{listed:?}");

    // Refusals.
    let e = store
        .save_variant(pid, None, vec![], None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    let bad = Intervention::SetInput {
        node: NodeId(step),
        value: Number::int(1),
    };
    let e = store
        .save_variant(pid, None, vec![graft(step, 2), bad], None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Operation { index: 2, .. }), "{e}");
    assert!(e.to_string().contains("not an input"), "{e}");
    let e = store
        .save_variant(pid, None, vec![graft(9999, 2)], None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Operation { index: 1, .. }), "{e}");
    let e = store
        .save_variant(9999, None, vec![graft(step, 2)], None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // What crosses to the browser reads back (server functions send these as JSON).
    for token in [&problem.share_token, &second.share_token] {
        let shared = store.shared(token).await.unwrap().unwrap();
        let json = serde_json::to_string(&shared).unwrap();
        let back: Shared = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    let other = store.import_jsonl("two", demo_line(1)).await.unwrap();
    let opid = store
        .dataset(other.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap()
        .problems[0]
        .id;
    let e = store
        .save_variant(opid, Some(first.id), vec![graft(step, 2)], None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("belongs to problem"), "{e}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM variants").await, 2);
}

/// A job's variant: `(problem, chain, round, parent's (chain, round), graph)`.
type JobVariant = (i64, i64, i64, Option<(i64, i64)>, String);
/// Every variant of a job as `(problem, chain, round, parent's (chain, round), graph)`.
async fn job_variants(store: &Store, job: i64) -> Vec<JobVariant> {
    sqlx::query!(
        r#"SELECT v.problem_id, v.chain AS "chain!", v.round, pv.chain AS "parent_chain?",
            pv.round AS "parent_round?", v.graph
         FROM variants v LEFT JOIN variants pv ON pv.id = v.parent_variant_id
         WHERE v.job_id = ? ORDER BY v.problem_id, v.chain, v.round"#,
        job
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        let parent = r.parent_chain.zip(r.parent_round);
        (r.problem_id, r.chain, r.round, parent, r.graph)
    })
    .collect()
}

#[tokio::test]
async fn jobs_validate_run_and_resume_without_duplicates() {
    let spec = |dataset_id| JobSpec::curriculum(dataset_id, 3, 2, 11);

    // Uninterrupted run.
    let (_d1, a) = fresh().await;
    let demo = a.ensure_demo().await.unwrap().unwrap();
    for bad in [
        JobSpec {
            rounds: 0,
            ..spec(demo.dataset_id)
        },
        JobSpec {
            rounds: 9,
            ..spec(demo.dataset_id)
        },
        JobSpec {
            per_problem: 51,
            ..spec(demo.dataset_id)
        },
    ] {
        assert_eq!(
            a.create_job(&bad).await.unwrap_err().kind(),
            ErrorKind::BadRequest
        );
    }
    assert_eq!(
        a.create_job(&spec(999)).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let _runner = a.spawn_job_runner();
    let job = a.create_job(&spec(demo.dataset_id)).await.unwrap();
    let status = a.wait_for_job(job, Duration::from_secs(120)).await.unwrap();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    assert_eq!(status.done, status.total);
    assert_eq!(status.total, demo.extracted);
    assert!(status.variants_made > 0);
    let full = job_variants(&a, job).await;
    assert_eq!(full.len() as u64, status.variants_made);
    for (_, chain, round, parent, _) in &full {
        match round {
            1 => assert_eq!(*parent, None),
            r => assert_eq!(*parent, Some((*chain, r - 1))),
        }
    }
    assert_eq!(a.list_jobs(Some(demo.dataset_id)).await.unwrap().len(), 1);

    // Interrupted run: two problems, then a "crash" (the store is dropped mid-job), then a
    // restart whose runner resumes the running job.
    let (d2, b) = fresh().await;
    b.ensure_demo().await.unwrap();
    let job_b = b.create_job(&spec(demo.dataset_id)).await.unwrap();
    sqlx::query!("UPDATE jobs SET state = 'running' WHERE id = ?", job_b)
        .execute(b.pool())
        .await
        .unwrap();
    assert!(b.job_step(job_b).await.unwrap());
    assert!(b.job_step(job_b).await.unwrap());
    assert_eq!(b.job(job_b).await.unwrap().unwrap().done, 2);
    b.close().await;
    drop(b);
    let b = Store::open_data_dir(d2.path()).await.unwrap();
    let _runner = b.spawn_job_runner();
    let status_b = b
        .wait_for_job(job_b, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(status_b.state, JobState::Done);
    assert_eq!(status_b.variants_made, status.variants_made);
    assert_eq!(job_variants(&b, job_b).await, full);
}

/// The GSM8K train file, when the shared data is there: the whole file in one import.
#[tokio::test]
async fn imports_gsm8k_train_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/gsm8k/train.jsonl");
    let Ok(contents) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let (_dir, store) = fresh().await;
    let start = std::time::Instant::now();
    let r = store.import_jsonl("gsm8k-train", &contents).await.unwrap();
    eprintln!("imported {} rows in {:?}", r.imported, start.elapsed());
    assert_eq!(r.imported, 7473);
    assert!(r.failed.is_empty());
    assert_eq!(r.extracted, 7380);
    let list = store.list_datasets(false).await.unwrap();
    assert_eq!(list[0].extracted, 7380);
}

#[tokio::test]
async fn offline_words_jobs_and_verdict_filters() {
    use types::model::JobTask;
    let (_d, store) = fresh().await;
    let demo = store.ensure_demo().await.unwrap().unwrap();
    let ds = demo.dataset_id;
    // No variants yet: a verbalize job has nothing to do, and says so.
    let e = store
        .create_job(&JobSpec::words(ds, JobTask::Verbalize))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no variants"), "{e}");
    // An extract job needs a model.
    let e = store
        .create_job(&JobSpec::words(ds, JobTask::Extract))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("needs a model"), "{e}");

    let job = store
        .create_job(&JobSpec::curriculum(ds, 2, 1, 5))
        .await
        .unwrap();
    store.spawn_job_runner();
    assert_eq!(
        store
            .wait_for_job(job, Duration::from_secs(60))
            .await
            .unwrap()
            .state,
        JobState::Done
    );
    let page = store.dataset_variants(ds, None, 0, 500).await.unwrap();
    let n = page.total;
    assert!(n > 0);
    assert_eq!(page.counts.unjudged, n);

    // One variant by hand: offline text, then an offline verdict that passes execution.
    let vid = page.items[0].id;
    let w = store.verbalize_variant(vid, None, None).await.unwrap();
    assert_eq!(w.source.as_deref(), Some("offline"));
    assert!(w.text.as_deref().is_some_and(|t| !t.is_empty()));
    assert!(w.calls.is_empty(), "no model, no calls");
    let w = store.judge_variant(vid, None, None).await.unwrap();
    let v = w.verdict.expect("a verdict");
    assert!(v.execution.ok, "{v:?}");
    assert!(v.is_offline());
    assert_eq!(w.outcome.as_deref(), Some(v.outcome().as_str()));
    // Offline checks cannot see whether the wording makes sense: never a pass (issue #11).
    assert_ne!(v.outcome(), engine::verdict::Outcome::Pass);
    assert!(v.lint.is_some(), "the lint ran");
    assert_eq!(
        v.checks_ran(),
        [
            "exact execution",
            "numbers consistent",
            "well-posedness lint"
        ]
    );

    // A judge job over the dataset (offline: the store has no model) judges every variant.
    let job = store
        .create_job(&JobSpec::words(ds, JobTask::Judge))
        .await
        .unwrap();
    let status = store
        .wait_for_job(job, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    assert_eq!((status.done, status.total), (n, n));
    assert_eq!(status.task, JobTask::Judge);
    assert_eq!(status.llm_model, None);
    let page = store.dataset_variants(ds, None, 0, 500).await.unwrap();
    assert_eq!(page.counts.pass, 0, "offline verdicts never pass");
    // The counts the dataset page and the review queue show: no solver, so every text is
    // linted only or failed.
    let checks = store.check_counts(ds).await.unwrap();
    assert_eq!(checks.unjudged, 0, "{checks:?}");
    assert_eq!((checks.solver_checked, checks.solver_agreed), (0, 0));
    assert_eq!(checks.linted_only + checks.failed, n, "{checks:?}");
    assert_eq!(
        checks.incomplete, 0,
        "offline verdicts are never incomplete"
    );
    assert_eq!(page.counts.fail, checks.failed);
    assert_eq!(page.counts.linted, checks.linted_only);
    let linted_page = store
        .dataset_variants(ds, Some("linted"), 0, 500)
        .await
        .unwrap();
    assert_eq!(linted_page.total, checks.linted_only);
    assert_eq!(
        store.dataset_summary(ds).await.unwrap().unwrap().checks,
        checks
    );
    // The review queue shows the same counts, and filters on `linted`.
    let every = |verdict: Option<&str>| types::annotation::ReviewFilter {
        status: Some("all".into()),
        verdict: verdict.map(str::to_string),
        ..types::annotation::ReviewFilter::default()
    };
    let q = store.review_queue(ds, &every(None), None).await.unwrap();
    assert_eq!(q.checks, checks);
    let linted = store
        .review_queue(ds, &every(Some("linted")), None)
        .await
        .unwrap();
    assert_eq!(linted.matching, checks.linted_only);
    let fails = store
        .dataset_variants(ds, Some("fail"), 0, 500)
        .await
        .unwrap();
    assert_eq!(fails.total, page.counts.fail);
    assert!(fails
        .items
        .iter()
        .all(|i| i.outcome.as_deref() == Some("fail")));
    assert!(store
        .dataset_variants(ds, Some("nonsense"), 0, 10)
        .await
        .is_err());
    // Every variant now has a text (judging an unverbalized variant stores its offline text).
    assert!(page.items.iter().all(|i| i.text.is_some()));
}

#[tokio::test]
async fn question_only_rows_are_kept_for_a_model_to_extract() {
    let (_d, store) = fresh().await;
    let report = store
        .import_jsonl(
            "math",
            "{\"problem\": \"What is 2 + 3?\", \"solution\": \"It is $\\\\boxed{5}$.\"}\n{\"answer\": \"no question\"}\n",
        )
        .await
        .unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].line, 2);
    let page = store
        .dataset(report.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap();
    let row = &page.problems[0];
    assert!(
        row.error.as_deref().unwrap().starts_with("no_solution"),
        "{row:?}"
    );
    assert_eq!(row.question, "What is 2 + 3?");
}

#[test]
fn stated_answers_are_read_from_the_usual_places() {
    use super::stated_answer;
    assert_eq!(
        stated_answer(r#"{"question":"q","answer":"x\n#### 1,234"}"#),
        Some(1234.0)
    );
    assert_eq!(stated_answer(r#"{"question":"q","target":2.5}"#), Some(2.5));
    assert_eq!(
        stated_answer(r#"{"problem":"q","solution":"so \\boxed{42}."}"#),
        Some(42.0)
    );
    assert_eq!(
        stated_answer(r#"{"problem":"q","solution":"\\boxed{x+1}"}"#),
        None
    );
    assert_eq!(stated_answer("not json"), None);
}

#[tokio::test]
async fn review_filters_decisions_edits_and_bulk() {
    use types::account::Role;
    use types::annotation::{Decision, DecisionOutcome, ReviewFilter};
    let (_d, store) = fresh().await;
    let ds = store.ensure_demo().await.unwrap().unwrap().dataset_id;
    let job = store
        .create_job(&JobSpec::curriculum(ds, 2, 1, 11))
        .await
        .unwrap();
    store.spawn_job_runner();
    store
        .wait_for_job(job, Duration::from_secs(60))
        .await
        .unwrap();
    let admin = store
        .create_user("root", Role::Admin, "password-1")
        .await
        .unwrap();
    let all = ReviewFilter::default();
    let q = store.review_queue(ds, &all, None).await.unwrap();
    let total = q.total;
    assert!(
        total >= 2 && q.matching == total && q.unreviewed == total,
        "{q:?}"
    );
    let first = q.item.clone().unwrap();

    // Filters: a depth range, an intervention type, text search, an unknown status.
    let deep = ReviewFilter {
        min_depth: Some(i64::from(first.depth)),
        max_depth: Some(i64::from(first.depth)),
        ..ReviewFilter::default()
    };
    let q = store.review_queue(ds, &deep, None).await.unwrap();
    assert!(q.matching >= 1 && q.matching <= total);
    assert!(q.item.as_ref().is_some_and(|i| i.depth == first.depth));
    let grafts = ReviewFilter {
        kind: Some("graft".into()),
        ..ReviewFilter::default()
    };
    let q = store.review_queue(ds, &grafts, None).await.unwrap();
    assert!(q
        .item
        .as_ref()
        .is_none_or(|i| i.changes.iter().any(|c| c.starts_with("graft"))));
    let none = ReviewFilter {
        search: Some("no such words anywhere".into()),
        ..ReviewFilter::default()
    };
    assert_eq!(
        store.review_queue(ds, &none, None).await.unwrap().matching,
        0
    );
    let bad = ReviewFilter {
        status: Some("maybe".into()),
        ..ReviewFilter::default()
    };
    assert!(store.review_queue(ds, &bad, None).await.is_err());
    // Depths out of range are refused with the field and the range, in the queue and in bulk.
    for (filter, field) in [
        (
            ReviewFilter {
                min_depth: Some(-1),
                ..ReviewFilter::default()
            },
            "min_depth is -1",
        ),
        (
            ReviewFilter {
                max_depth: Some(1 << 40),
                ..ReviewFilter::default()
            },
            "max_depth is 1099511627776",
        ),
    ] {
        let e = store.review_queue(ds, &filter, None).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{e}");
        assert!(e.to_string().starts_with(field), "{e}");
    }

    // Skipping moves past an item; it comes back at the end.
    let q2 = store.review_queue(ds, &all, Some(first.id)).await.unwrap();
    assert_ne!(q2.item.as_ref().unwrap().id, first.id);

    // An edit that drops the numbers is refused and changes nothing; the offline text passes.
    let out = store
        .decide(
            first.id,
            &Decision::Edit {
                text: "Someone has some things. How many?".into(),
            },
            &admin,
        )
        .await
        .unwrap();
    assert!(
        matches!(out, DecisionOutcome::Refused(ref c) if !c.is_empty()),
        "{out:?}"
    );
    assert_eq!(store.review_item(first.id).await.unwrap().text, None);
    let text = store
        .verbalize_variant(first.id, None, None)
        .await
        .unwrap()
        .text
        .unwrap();
    let out = store
        .decide(
            first.id,
            &Decision::Edit {
                text: format!("{text} "),
            },
            &admin,
        )
        .await
        .unwrap();
    let DecisionOutcome::Saved(item) = out else {
        panic!("{out:?}")
    };
    assert_eq!(item.text_source.as_deref(), Some("edited"));

    // Reject needs a reason; accept and reject are recorded with who and why.
    assert!(store
        .decide(first.id, &Decision::Reject { reason: " ".into() }, &admin)
        .await
        .is_err());
    store
        .decide(
            first.id,
            &Decision::Reject {
                reason: "duplicate".into(),
            },
            &admin,
        )
        .await
        .unwrap();
    let item = store.review_item(first.id).await.unwrap();
    assert_eq!(
        (item.status.as_str(), item.reason.as_deref()),
        ("rejected", Some("duplicate"))
    );
    assert_eq!(item.reviewed_by.as_deref(), Some("root"));
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT COUNT(*) FROM review_events WHERE variant_id = {}",
                first.id
            )
        )
        .await,
        2,
        "the edit and the rejection; refusals leave no event"
    );

    // Bulk: the preview counts without changing; applying accepts every unreviewed variant.
    let preview = store
        .bulk_decide(ds, &all, &Decision::Accept, false, &admin)
        .await
        .unwrap();
    assert_eq!(preview.count, total - 1);
    assert!(!preview.applied);
    assert_eq!(
        store.review_queue(ds, &all, None).await.unwrap().unreviewed,
        total - 1
    );
    let done = store
        .bulk_decide(ds, &all, &Decision::Accept, true, &admin)
        .await
        .unwrap();
    assert_eq!(done.count, total - 1);
    let q = store.review_queue(ds, &all, None).await.unwrap();
    assert_eq!((q.unreviewed, q.matching), (0, 0));
    assert!(q.item.is_none());
    let accepted = ReviewFilter {
        status: Some("accepted".into()),
        ..ReviewFilter::default()
    };
    assert_eq!(
        store
            .review_queue(ds, &accepted, None)
            .await
            .unwrap()
            .matching,
        total - 1
    );
}

#[tokio::test]
async fn a_damaged_item_fails_alone_and_the_job_goes_on() {
    use types::model::JobTask;
    let (_d, store) = fresh().await;
    let ds = store.ensure_demo().await.unwrap().unwrap().dataset_id;
    store.spawn_job_runner();
    // A problem whose stored graph no longer reads back: its curriculum fails, the rest run.
    let broken = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM problems WHERE dataset_id = ? ORDER BY id LIMIT 1 OFFSET 2"#,
        ds
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    sqlx::query!(
        r#"UPDATE problems SET graph = '{"nodes": 7}' WHERE id = ?"#,
        broken
    )
    .execute(store.pool())
    .await
    .unwrap();
    let job = store
        .create_job(&JobSpec::curriculum(ds, 1, 1, 3))
        .await
        .unwrap();
    let status = store
        .wait_for_job(job, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    assert_eq!(status.done, status.total);
    assert_eq!(status.problems_failed, 1, "{status:?}");
    assert!(status.variants_made > 0);
    let failures = store.job_failures(job).await.unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, broken);
    assert!(failures[0].1.contains("does not read back"), "{failures:?}");

    // A variant whose graph no longer reads back: a judge job marks it failed and goes on
    // (it used to stop the whole job).
    let page = store.dataset_variants(ds, None, 0, 500).await.unwrap();
    let damaged = page.items[1].id;
    sqlx::query!(
        "UPDATE variants SET graph = 'not json' WHERE id = ?",
        damaged
    )
    .execute(store.pool())
    .await
    .unwrap();
    let job = store
        .create_job(&JobSpec::words(ds, JobTask::Judge))
        .await
        .unwrap();
    let status = store
        .wait_for_job(job, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    assert_eq!((status.done, status.problems_failed), (page.total, 1));
    let failures = store.job_failures(job).await.unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, damaged);
    assert!(
        failures[0].1.contains(&format!("variant {damaged}")),
        "{failures:?}"
    );
    assert!(matches!(
        store.job_failures(job + 100).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A problem whose own solution goes below zero fails its curriculum item with the reason;
/// the sound problem beside it gets its variants.
#[tokio::test]
async fn a_flawed_original_fails_its_curriculum_item_with_the_reason() {
    let (_d, store) = fresh().await;
    store.spawn_job_runner();
    let row = |eaten: u32| {
        serde_json::json!({
            "input": format!("Jean has 30 lollipops. Jean eats {eaten} of the lollipops. How many lollipops does Jean have left?"),
            "code": format!("def solution():\n    have = 30\n    eaten = {eaten}\n    left = have - eaten\n    return left\n"),
        })
        .to_string()
    };
    let r = store
        .import_jsonl("lollipops", &format!("{}\n{}\n", row(8714250), row(8)))
        .await
        .unwrap();
    let job = store
        .create_job(&JobSpec::curriculum(r.dataset_id, 2, 1, 3))
        .await
        .unwrap();
    let status = store
        .wait_for_job(job, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    assert_eq!(status.problems_failed, 1, "{status:?}");
    assert!(status.variants_made > 0, "{status:?}");
    let failures = store.job_failures(job).await.unwrap();
    assert!(
        failures[0]
            .1
            .contains("flawed_original: the solution gives -8714220"),
        "{failures:?}"
    );
}

#[tokio::test]
async fn engine_work_past_the_request_budget_is_a_503_and_saves_nothing() {
    let (_d, store) = fresh().await;
    let ds = store.ensure_demo().await.unwrap().unwrap().dataset_id;
    let mut program = String::from("def solution():\n    a0 = 1\n");
    for i in 1..3000 {
        program.push_str(&format!("    a{i} = a{} + 2\n", i - 1));
    }
    program.push_str("    return a2999\n");
    let row = serde_json::json!({"question": "q", "code": program}).to_string();
    let pid = store.add_problem(ds, &row).await.unwrap();
    let g = store.problem(pid).await.unwrap().unwrap().graph.unwrap();
    let store = store.with_engine_budgets(Duration::from_millis(1), Duration::from_secs(60));
    let e = store
        .save_variant(pid, None, vec![graft(a_step(&g), 2)], None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(
        e.to_string()
            .starts_with("re-applying the operations took longer than 1 ms"),
        "{e}"
    );
    assert_eq!(
        count(
            &store,
            &format!("SELECT COUNT(*) FROM variants WHERE problem_id = {pid}")
        )
        .await,
        0
    );
}
