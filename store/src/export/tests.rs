//! Export and import of exports, on throw-away database files.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::super::{JobSpec, JobState, Store, DEMO};
use super::*;

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = Store::open_data_dir(dir.path()).await.expect("opens");
    (dir, store)
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

async fn lines(store: &Store, id: i64, format: ExportFormat) -> Vec<String> {
    let mut s = store.export(id, format).await.unwrap();
    let expected = s.records();
    let mut out = Vec::new();
    while let Some(line) = s.next_line().await {
        let line = line.unwrap();
        assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        out.push(line.trim_end().to_string());
    }
    assert_eq!(out.len() as u64, expected, "records() counts the lines");
    out
}

/// A dataset with everything an export carries: problems (one without a graph), curriculum
/// variants in three rounds, a hand-made variant of a variant, a verbalized and judged
/// variant with an edited text, review decisions (one in bulk), step labels by three
/// annotators and a gold question. Returns the dataset id.
async fn rich_dataset(store: &Store) -> i64 {
    let mut rows: Vec<&str> = DEMO.lines().take(3).collect();
    rows.push(r#"{"question": "What is the meaning of life?", "id": "q-42"}"#);
    let report = store.import_jsonl("rich", &rows.join("\n")).await.unwrap();
    let ds = report.dataset_id;
    assert_eq!((report.imported, report.extracted), (4, 3));
    let _runner = store.spawn_job_runner();
    let job = store
        .create_job(&JobSpec::curriculum(ds, 3, 2, 5))
        .await
        .unwrap();
    let status = store
        .wait_for_job(job, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(status.state, JobState::Done, "{status:?}");
    // A hand-made variant of a curriculum variant (round 2, no chain).
    let r = sqlx::query!(
        r#"SELECT id AS "id!", problem_id, graph FROM variants WHERE round = 1
         ORDER BY id LIMIT 1"#
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let (v1, p1, graph) = (r.id, r.problem_id, r.graph);
    let g: engine::Graph = serde_json::from_str(&graph).unwrap();
    let step = g.ids().find(|&id| g.node(id).kind.is_operation()).unwrap();
    let op = engine::intervene::Intervention::Graft {
        node: step,
        f: engine::ProxyFn {
            op: engine::ProxyOp::Add,
            k: engine::Number::int(3),
        },
    };
    store
        .save_variant(p1, Some(v1), vec![op], Some(u64::MAX - 1))
        .await
        .unwrap();
    // Words, offline: a verbalized and judged variant.
    store.verbalize_variant(v1, None, None).await.unwrap();
    store.judge_variant(v1, None, None).await.unwrap();
    // Accounts, review and labels (written directly: their store methods live elsewhere).
    exec(
        store,
        "INSERT INTO users (name, password_hash, role) VALUES
            ('alice', 'x', 'annotator'), ('Bob', NULL, 'annotator'),
            ('carol', NULL, 'annotator'), ('rita', 'y', 'admin')",
    )
    .await;
    exec(
        store,
        &format!(
            "UPDATE variants SET review_status = 'accepted', review_reason = 'clear',
                reviewed_by = (SELECT id FROM users WHERE name = 'rita'),
                reviewed_at = '2025-01-02T03:04:05.000Z', text = 'An edited text.',
                text_edited_by = (SELECT id FROM users WHERE name = 'rita')
             WHERE id = {v1}"
        ),
    )
    .await;
    exec(
        store,
        &format!(
            "INSERT INTO review_events (variant_id, user_id, decision, reason, text_before, bulk,
                created_at)
             SELECT {v1}, id, 'edit', NULL, 'old text', NULL, '2025-01-02T03:04:00.000Z'
                FROM users WHERE name = 'rita';
             INSERT INTO review_events (variant_id, user_id, decision, reason, bulk, created_at)
             SELECT {v1}, id, 'accept', 'clear', 77, '2025-01-02T03:04:05.000Z'
                FROM users WHERE name = 'rita';
             UPDATE variants SET review_status = 'rejected', review_reason = 'dull'
                WHERE id = {v1} + 1;
             INSERT INTO review_events (variant_id, user_id, decision, reason, bulk)
             VALUES ({v1} + 1, NULL, 'reject', 'dull', 77);"
        ),
    )
    .await;
    let steps = engine::labels::steps(&g);
    assert!(steps.len() >= 2, "the demo problem has several steps");
    let gold = engine::labels::corrupt(&g, 3).unwrap();
    let steps_json = serde_json::to_string(&steps).unwrap();
    let item = sqlx::query!(
        "INSERT INTO label_items (dataset_id, variant_id, steps) VALUES (?, ?, ?)",
        ds,
        v1,
        steps_json
    )
    .execute(store.pool())
    .await
    .unwrap()
    .last_insert_rowid();
    let (gold_steps, first_error) = (
        serde_json::to_string(&gold.steps).unwrap(),
        gold.first_error as i64,
    );
    let gold_item = sqlx::query!(
        "INSERT INTO label_items (dataset_id, variant_id, steps, gold_first_error, gold_detail)
         VALUES (?, ?, ?, ?, ?)",
        ds,
        v1,
        gold_steps,
        first_error,
        gold.detail
    )
    .execute(store.pool())
    .await
    .unwrap()
    .last_insert_rowid();
    // alice: finished, all steps; Bob: finished, step 0 disagrees, last unrated; carol: not
    // finished (left out of the PRM export). On the gold item, alice found the error.
    exec(
        store,
        &format!(
            "INSERT INTO annotations (id, item_id, user_id, flagged, flag_note, finish_reason,
                finished_at)
             SELECT 1001, {item}, id, 0, NULL, 'solution_correct', '2025-02-01T00:00:00.000Z'
                FROM users WHERE name = 'alice';
             INSERT INTO annotations (id, item_id, user_id, flagged, flag_note, finish_reason,
                finished_at)
             SELECT 1002, {item}, id, 1, 'odd wording', 'found_error', '2025-02-02T00:00:00.000Z'
                FROM users WHERE name = 'Bob';
             INSERT INTO annotations (id, item_id, user_id) SELECT 1003, {item}, id
                FROM users WHERE name = 'carol';
             INSERT INTO annotations (id, item_id, user_id, finish_reason, finished_at)
             SELECT 1004, {gold_item}, id, 'found_error', '2025-02-03T00:00:00.000Z'
                FROM users WHERE name = 'alice';
             INSERT INTO step_labels (annotation_id, step, rating) VALUES
                (1001, 0, 1), (1001, 1, 1), (1002, 0, -1), (1002, 1, 1),
                (1003, 0, 0), (1003, 1, NULL), (1004, 0, 1), (1004, 1, -1);"
        ),
    )
    .await;
    ds
}

/// A list of a full export (version 2: JSON text), read.
fn nested(v: &Value) -> Value {
    serde_json::from_str(v.as_str().unwrap()).unwrap()
}

/// A version-2 full export written as version 1 wrote it: nulls for `""` and `-1`, lists as
/// lists, no metrics without a graph.
pub(crate) fn as_version_1(lines: &[String]) -> Vec<String> {
    const INTS: [&str; 5] = ["line", "depth", "round", "chain", "gold_first_error"];
    const LISTS: [&str; 4] = ["text_notes", "review_history", "steps", "labels"];
    lines
        .iter()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let no_graph = v["graph"] == "";
            for (k, x) in v.as_object_mut().unwrap() {
                if k == "graft_export" {
                    *x = json!(1);
                } else if LISTS.contains(&k.as_str()) {
                    *x = match x.as_str().unwrap() {
                        "" => Value::Null,
                        text => serde_json::from_str(text).unwrap(),
                    };
                } else if *x == json!("")
                    || (INTS.contains(&k.as_str()) && *x == json!(-1))
                    || (k == "metrics" && no_graph)
                {
                    *x = Value::Null;
                }
            }
            serde_json::to_string(&v).unwrap()
        })
        .collect()
}

/// Each line as JSON, with the dataset name taken out.
fn without_name(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v["dataset"] = Value::Null;
            v
        })
        .collect()
}

/// The JSON type of a value, `None` for null.
fn type_of(v: &Value) -> Option<&'static str> {
    match v {
        Value::Null => None,
        Value::Bool(_) => Some("bool"),
        Value::Number(n) if n.is_f64() => Some("float"),
        Value::Number(_) => Some("int"),
        Value::String(_) => Some("string"),
        Value::Array(_) => Some("list"),
        Value::Object(_) => Some("object"),
    }
}

/// Checks that every path (`a.b[].c`) has one JSON type over all values (nulls aside) and
/// every object at one path the same keys: what a table reader (Arrow) needs.
pub(crate) fn assert_table_shaped(records: &[Value]) {
    fn walk(
        path: String,
        v: &Value,
        types: &mut BTreeMap<String, &'static str>,
        keys: &mut BTreeMap<String, Vec<String>>,
    ) {
        if let Some(t) = type_of(v) {
            let seen = types.entry(path.clone()).or_insert(t);
            assert_eq!(
                *seen, t,
                "{path} is a {seen} in one record and a {t} in another"
            );
        }
        match v {
            Value::Object(m) => {
                let names: Vec<String> = m.keys().cloned().collect();
                let seen = keys.entry(path.clone()).or_insert_with(|| names.clone());
                assert_eq!(*seen, names, "objects at {path:?} have different keys");
                for (k, x) in m {
                    walk(format!("{path}.{k}"), x, types, keys);
                }
            }
            Value::Array(a) => {
                for x in a {
                    walk(format!("{path}[]"), x, types, keys);
                }
            }
            _ => {}
        }
    }
    let (mut types, mut keys) = (BTreeMap::new(), BTreeMap::new());
    for r in records {
        walk(String::new(), r, &mut types, &mut keys);
    }
}

#[test]
fn consensus_is_the_strict_majority_per_step() {
    let some = |v: &[i64]| v.iter().map(|&r| Some(r)).collect::<Vec<_>>();
    assert_eq!(
        consensus(&[some(&[1, 1, -1]), some(&[1, -1, -1]), some(&[1, 0, 0])]),
        vec![Some(1), None, Some(-1)]
    );
    // A tie is no label; unrated steps do not vote; lists of different lengths.
    assert_eq!(
        consensus(&[vec![Some(1), None, Some(0)], vec![Some(-1), None]]),
        vec![None, None, Some(0)]
    );
    assert_eq!(consensus(&[some(&[0, 1])]), vec![Some(0), Some(1)]);
    assert_eq!(consensus(&[]), Vec::<Option<i64>>::new());
}

#[test]
fn export_markers_are_read_from_the_first_line() {
    assert_eq!(
        export_marker("\n{\"graft_export\": 1, \"kind\": \"problem\"}\n"),
        Some(ExportMarker::Full)
    );
    assert_eq!(
        export_marker("\u{feff}{\"graft_prm\": 1}"),
        Some(ExportMarker::Prm)
    );
    assert_eq!(export_marker(DEMO), None);
    assert_eq!(export_marker("{\"question\": \"graft_export\"}"), None);
    assert_eq!(export_marker("not json \"graft_export\""), None);
    assert_eq!(ExportFormat::parse("prm"), Some(ExportFormat::Prm));
    assert_eq!(ExportFormat::parse("gsm8k"), Some(ExportFormat::Gsm8k));
    assert_eq!(ExportFormat::parse("csv"), None);
}

#[tokio::test]
async fn an_export_of_an_imported_export_is_the_same() {
    let (_d, store) = fresh().await;
    let ds = rich_dataset(&store).await;
    let first = lines(&store, ds, ExportFormat::Full).await;
    let records = without_name(&first);
    assert_table_shaped(&records);
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "problem").count(), 4);
    assert_eq!(kinds.iter().filter(|k| **k == "gold").count(), 1);
    let rank = |k: &str| ["problem", "variant", "gold"].iter().position(|x| *x == k);
    assert!(
        kinds.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "{kinds:?}"
    );
    // No value is null but the settings after the first line: each column has a type in
    // every record (Hugging Face `datasets` types columns from the first 10 MiB).
    for (i, r) in records.iter().enumerate() {
        for (k, v) in r.as_object().unwrap() {
            let expected = (k == "dataset" || (k == "dataset_settings" && i > 0)).then_some(());
            assert_eq!(
                v.is_null().then_some(()),
                expected,
                "record {i}: {k} is {v}"
            );
        }
    }
    // The problem without a graph.
    let q = records.iter().find(|r| r["external_id"] == "q-42").unwrap();
    assert_eq!((&q["graph"], &q["depth"]), (&json!(""), &json!(-1)));
    assert_eq!(q["error_category"], "no_solution");
    // The labelled variant.
    let v = records
        .iter()
        .find(|r| r["kind"] == "variant" && r["review_status"] == "accepted")
        .unwrap();
    assert_eq!(v["reviewed_by"], "rita");
    assert_eq!(v["text_edited_by"], "rita");
    assert_eq!(v["text"], "An edited text.");
    assert!(v["verdict"].as_str().unwrap().starts_with('{'));
    let verdict: engine::verdict::Verdict =
        serde_json::from_str(v["verdict"].as_str().unwrap()).unwrap();
    assert_eq!(v["verdict_outcome"], verdict.outcome().as_str());
    assert_ne!(
        v["verdict_outcome"], "pass",
        "an offline verdict is never a pass (no solver checked it)"
    );
    let labels = nested(&v["labels"]);
    assert_eq!(labels.as_array().unwrap().len(), 3);
    assert_eq!(labels[1]["annotator"], "Bob");
    assert_eq!(labels[1]["flagged"], true);
    assert_eq!(labels[1]["ratings"][0], -1);
    assert_eq!(nested(&v["review_history"])[1]["bulk"], 1);
    let steps = nested(&v["steps"]);
    assert_eq!(
        labels[0]["ratings"].as_array().unwrap().len(),
        steps.as_array().unwrap().len()
    );
    let hand = records
        .iter()
        .find(|r| r["seed"].as_str() == Some(&(u64::MAX - 1).to_string()))
        .unwrap();
    assert_eq!(hand["parent_key"], v["key"]);
    assert_eq!(hand["round"], 2);
    assert_eq!(hand["chain"], -1, "made by hand: no chain");

    let report = store
        .import_jsonl("rich copy", &first.join("\n"))
        .await
        .unwrap();
    assert_eq!((report.imported, report.extracted), (4, 3));
    let second = lines(&store, report.dataset_id, ExportFormat::Full).await;
    assert!(second[0].contains("\"dataset\":\"rich copy\""));
    assert_eq!(without_name(&second), records);
    let prm = |id| {
        let store = store.clone();
        async move { without_name(&lines(&store, id, ExportFormat::Prm).await) }
    };
    assert_eq!(prm(ds).await, prm(report.dataset_id).await);
    // Users were not duplicated; nobody new appeared (every name existed).
    let users = sqlx::query_scalar!("SELECT COUNT(*) FROM users")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(users, 4);

    // Into a store without those users: they are made, as annotators who cannot log in.
    let (_d2, other) = fresh().await;
    let r = other.import_export(None, &first.join("\n")).await.unwrap();
    let again = lines(&other, r.dataset_id, ExportFormat::Full).await;
    assert_eq!(again, first, "the exported name is kept");
    let made: Vec<(String, Option<String>, String)> =
        sqlx::query!("SELECT name, password_hash, role FROM users ORDER BY name")
            .fetch_all(other.pool())
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.name, r.password_hash, r.role))
            .collect();
    assert_eq!(made.len(), 4);
    assert!(made
        .iter()
        .all(|(_, hash, role)| hash.is_none() && role == "annotator"));
    // The name is taken now.
    let e = other
        .import_export(None, &first.join("\n"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NameTaken(_)), "{e}");
}

#[tokio::test]
async fn prm_export_has_labelled_solutions_with_a_consensus() {
    let (_d, store) = fresh().await;
    let ds = rich_dataset(&store).await;
    let prm = without_name(&lines(&store, ds, ExportFormat::Prm).await);
    assert_eq!(prm.len(), 1, "one variant has finished annotations");
    assert_table_shaped(&prm);
    let r = &prm[0];
    assert_eq!(r["graft_prm"], 1);
    assert_eq!(r["problem"], "An edited text.");
    let n = r["steps"].as_array().unwrap().len();
    assert!(r["steps"][0].as_str().unwrap().contains(" = "), "{r}");
    // Each step's sentence beside it.
    assert_eq!(r["sentences"].as_array().unwrap().len(), n, "{r}");
    assert!(r["sentences"][0].is_string(), "{r}");
    // carol has not finished: only alice and Bob count.
    let names: Vec<&str> = r["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["annotator"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "Bob"]);
    let mut expected = vec![Value::Null, Value::from(1)];
    expected.resize(n, Value::Null);
    assert_eq!(r["labels"], Value::Array(expected));
    // A PRM export is not importable.
    let text = lines(&store, ds, ExportFormat::Prm).await.join("\n");
    let e = store.import_jsonl("prm", &text).await.unwrap_err();
    assert!(e.to_string().contains("PRM export"), "{e}");
}

#[tokio::test]
async fn a_bad_line_refuses_the_whole_export_naming_it() {
    let (_d, store) = fresh().await;
    let ds = rich_dataset(&store).await;
    let good = lines(&store, ds, ExportFormat::Full).await;
    let datasets = |store: Store| async move {
        let n = sqlx::query_scalar!("SELECT COUNT(*) FROM datasets")
            .fetch_one(store.pool())
            .await
            .unwrap();
        n
    };
    let before = datasets(store.clone()).await;
    let refused = |mut file: Vec<String>, at: usize, with: String| {
        let store = store.clone();
        async move {
            file[at - 1] = with;
            match store.import_jsonl("broken", &file.join("\n")).await {
                Err(StoreError::NothingImported { failed, reason }) => (failed, reason),
                other => panic!("not refused: {other:?}"),
            }
        }
    };
    // Not JSON.
    let (failed, reason) = refused(good.clone(), 3, "{oops".into()).await;
    assert_eq!(failed[0].line, 3, "{reason}");
    assert!(reason.contains("line 3"), "{reason}");
    // A variant whose answer was edited.
    let at = good
        .iter()
        .position(|l| l.contains("\"kind\":\"variant\""))
        .unwrap()
        + 1;
    let mut v: Value = serde_json::from_str(&good[at - 1]).unwrap();
    v["answer"] = Value::from("123456789");
    let (failed, _) = refused(good.clone(), at, v.to_string()).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].line, at as u32);
    assert!(failed[0].reason.contains("answer"), "{failed:?}");
    // A graph that the operations do not make.
    let mut v: Value = serde_json::from_str(&good[at - 1]).unwrap();
    let p: Value = serde_json::from_str(&good[0]).unwrap();
    v["graph"] = p["graph"].clone();
    v["answer"] = p["answer"].clone();
    v["depth"] = p["depth"].clone();
    let (failed, _) = refused(good.clone(), at, v.to_string()).await;
    assert_eq!(failed[0].line, at as u32);
    assert!(failed[0].reason.contains("operations"), "{failed:?}");
    // A type changed, a wrong version, a rating out of range.
    let mut v: Value = serde_json::from_str(&good[0]).unwrap();
    v["line"] = Value::from("one");
    let (failed, _) = refused(good.clone(), 1, v.to_string()).await;
    assert_eq!(failed[0].line, 1);
    let mut v: Value = serde_json::from_str(&good[0]).unwrap();
    v["graft_export"] = Value::from(3);
    let (failed, _) = refused(good.clone(), 1, v.to_string()).await;
    assert!(failed[0].reason.contains("version"), "{failed:?}");
    let at = good
        .iter()
        .position(|l| l.contains("\\\"annotator\\\""))
        .unwrap()
        + 1;
    // The labels are JSON text (version 2): their quotes are escaped.
    let bad = good[at - 1].replace("\\\"ratings\\\":[1,", "\\\"ratings\\\":[7,");
    assert_ne!(bad, good[at - 1]);
    let (failed, _) = refused(good.clone(), at, bad).await;
    assert!(failed[0].reason.contains("rating 7"), "{failed:?}");
    assert_eq!(datasets(store.clone()).await, before, "nothing was stored");
}

#[tokio::test]
async fn a_dropped_export_stops_and_gives_its_connection_back() {
    let (_d, store) = fresh().await;
    let ds = rich_dataset(&store).await;
    // More lines than the channel holds, so that the producer waits for the reader.
    let _runner = store.spawn_job_runner();
    let job = store
        .create_job(&JobSpec::curriculum(ds, 3, 50, 1))
        .await
        .unwrap();
    store
        .wait_for_job(job, Duration::from_secs(120))
        .await
        .unwrap();
    let mut s = store.export(ds, ExportFormat::Full).await.unwrap();
    assert!(s.records() > CHANNEL_LINES as u64 + 10, "{}", s.records());
    assert!(s.next_line().await.unwrap().is_ok());
    drop(s);
    // Writes go on meanwhile, and the pool closes: the producer ended.
    exec(&store, "UPDATE datasets SET guidelines = 'later'").await;
    tokio::time::timeout(Duration::from_secs(10), store.close())
        .await
        .expect("the export's connection came back");
    let e = store.export(ds, ExportFormat::Full).await.unwrap_err();
    assert!(matches!(e, StoreError::Database(_)), "{e}");
}

#[tokio::test]
async fn an_unknown_dataset_is_not_found_and_names_resolve() {
    let (_d, store) = fresh().await;
    let demo = store.ensure_demo().await.unwrap().unwrap();
    let e = store.export(999, ExportFormat::Prm).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                what: "dataset",
                id: 999
            }
        ),
        "{e}"
    );
    let id = demo.dataset_id;
    assert_eq!(store.find_dataset("demo").await.unwrap(), Some(id));
    assert_eq!(store.find_dataset(&id.to_string()).await.unwrap(), Some(id));
    assert_eq!(store.find_dataset("nope").await.unwrap(), None);
    let s = store.export(id, ExportFormat::Prm).await.unwrap();
    assert_eq!(
        (s.records(), s.file_name()),
        (0, "demo-prm.jsonl".to_string())
    );
}

/// A dataset with model solutions: variant A (a stored text) and variant B (none: the offline
/// verbalizer's), each a changed input of a demo problem. On A: a correct worked solution that
/// alice and Bob finished labelling (carol did not), and one with no steps; on B: a slip in the
/// first line and a solution without numbers. Returns the dataset, the ids of A and B, and
/// B's offline text.
async fn solutions_dataset(store: &Store) -> (i64, i64, i64, String) {
    let rows: Vec<&str> = DEMO.lines().take(2).collect();
    let ds = store
        .import_jsonl("solved", &rows.join("\n"))
        .await
        .unwrap()
        .dataset_id;
    let problems = sqlx::query!(
        r#"SELECT id AS "id!", graph AS "graph!" FROM problems WHERE dataset_id = ? ORDER BY id"#,
        ds
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut made = Vec::new();
    for p in &problems {
        let g: engine::Graph = serde_json::from_str(&p.graph).unwrap();
        let input = g
            .ids()
            .find(|&id| matches!(g.node(id).kind, engine::NodeKind::Input { .. }))
            .unwrap();
        let op = engine::intervene::Intervention::SetInput {
            node: input,
            value: g.value(input).add(engine::Number::int(6)).unwrap(),
        };
        let v = store
            .save_variant(p.id, None, vec![op.clone()], None)
            .await
            .unwrap()
            .id;
        let vg: engine::Graph = serde_json::from_str(
            &sqlx::query_scalar!("SELECT graph FROM variants WHERE id = ?", v)
                .fetch_one(store.pool())
                .await
                .unwrap(),
        )
        .unwrap();
        let worked = engine::solution::worked(&g, &vg).unwrap();
        let offline = engine::verbalize::offline(&g, &[op]).unwrap().text;
        made.push((v, worked, offline));
    }
    let (a, b) = (made[0].0, made[1].0);
    exec(
        store,
        &format!("UPDATE variants SET text = 'Variant A, as stored.' WHERE id = {a}"),
    )
    .await;
    let add = |v: i64, text: String| async move {
        store
            .add_solution(
                v,
                &types::model::NewSolution {
                    model: "m-1".into(),
                    solution: text,
                    prompt_version: "solve-v1".into(),
                },
            )
            .await
            .unwrap()
    };
    let good = add(a, made[0].1.clone()).await;
    assert!(
        good.steps.len() >= 2 && good.first_error.is_none(),
        "{good:?}"
    );
    assert!(add(a, "#### 987654321".into()).await.steps.is_empty());
    let first = made[1].1.lines().next().unwrap();
    let slip = format!(
        "{} = 1000001\n#### 1000001",
        first.split(" = ").next().unwrap()
    );
    let slipped = add(b, slip).await;
    assert_eq!(slipped.first_error, Some(0), "{slipped:?}");
    let none = add(b, "I cannot solve this.".into()).await;
    assert_eq!(none.steps.len(), 1, "{none:?}");
    exec(
        store,
        &format!(
            "INSERT INTO users (name, password_hash, role) VALUES
                ('alice', 'x', 'annotator'), ('Bob', NULL, 'annotator'),
                ('carol', NULL, 'annotator');
             INSERT INTO label_items (id, dataset_id, variant_id, steps, solution_id)
                VALUES (701, {ds}, {a}, '[]', {s});
             INSERT INTO annotations (id, item_id, user_id, flagged, flag_note, finish_reason,
                finished_at)
             SELECT 801, 701, id, 0, NULL, 'found_error', '2025-04-01T00:00:00.000Z'
                FROM users WHERE name = 'alice';
             INSERT INTO annotations (id, item_id, user_id, flagged, flag_note, finish_reason,
                finished_at)
             SELECT 802, 701, id, 1, 'hmm', 'found_error', '2025-04-02T00:00:00.000Z'
                FROM users WHERE name = 'Bob';
             INSERT INTO annotations (id, item_id, user_id) SELECT 803, 701, id
                FROM users WHERE name = 'carol';
             INSERT INTO step_labels (annotation_id, step, rating) VALUES
                (801, 0, -1), (801, 1, 1), (802, 0, -1), (802, 1, -1), (803, 0, 1), (803, 1, 1);",
            s = good.id
        ),
    )
    .await;
    (ds, a, b, made[1].2.clone())
}

#[tokio::test]
async fn solution_exports_merge_human_and_automatic_labels() {
    let (_d, store) = fresh().await;
    let (ds, _a, _b, offline_b) = solutions_dataset(&store).await;
    let question_b = sqlx::query_scalar!(
        "SELECT question FROM problems WHERE dataset_id = ? ORDER BY id LIMIT 1 OFFSET 1",
        ds
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_ne!(offline_b, question_b, "the variant's numbers differ");

    // PRM800K-like: every solution, automatic and human labels apart.
    let prm = without_name(&lines(&store, ds, ExportFormat::Prm800k).await);
    assert_table_shaped(&prm);
    // A solution is named by variant, model and sample; human-labelled ones come first,
    // those without steps last.
    let ids = |rs: &[Value]| -> Vec<String> {
        rs.iter()
            .map(|r| {
                format!(
                    "{}/{}/{}",
                    r["variant"].as_str().unwrap(),
                    r["model"].as_str().unwrap(),
                    r["sample"]
                )
            })
            .collect()
    };
    assert_eq!(ids(&prm), ["v1/m-1/0", "v2/m-1/0", "v2/m-1/1", "v1/m-1/1"]);
    // Nothing is null but a step an annotator left unrated (and the name `without_name`
    // took out).
    fn no_nulls(path: &str, v: &Value) {
        match v {
            Value::Null => assert!(
                path.ends_with("ratings[]") || path == ".dataset",
                "{path} is null"
            ),
            Value::Array(a) => a.iter().for_each(|x| no_nulls(&format!("{path}[]"), x)),
            Value::Object(m) => m
                .iter()
                .for_each(|(k, x)| no_nulls(&format!("{path}.{k}"), x)),
            _ => {}
        }
    }
    prm.iter().for_each(|r| no_nulls("", r));
    let s1 = &prm[0];
    assert_eq!(s1["graft_prm800k"], 1);
    assert_eq!(s1["variant"], "v1");
    assert_eq!(s1["model"], "m-1");
    assert_eq!(s1["question"]["problem"], "Variant A, as stored.");
    assert_eq!(s1["score"], "correct");
    let n = s1["label"]["steps"].as_array().unwrap().len();
    assert_eq!(
        s1["question"]["pre_generated_steps"]
            .as_array()
            .unwrap()
            .len(),
        n
    );
    // Step 0: alice and Bob say -1 (carol did not finish); step 1: 1 against -1, a tie → the
    // automatic label.
    let step = |i: usize| &s1["label"]["steps"][i];
    assert_eq!(step(0)["completions"][0]["rating"], -1);
    assert_eq!(step(0)["source"], "human");
    assert_eq!(step(1)["source"], "automatic");
    assert_eq!(
        step(1)["completions"][0]["rating"],
        s1["automatic"]["ratings"][1]
    );
    assert_eq!(s1["label"]["finish_reason"], "found_error");
    assert_eq!(
        (&s1["first_error"], &s1["label_source"]),
        (&Value::from(0), &Value::from("human"))
    );
    assert_eq!(s1["automatic"]["first_error"], -1, "{s1}");
    assert_eq!(s1["automatic"]["reasons"].as_array().unwrap().len(), n);
    let humans = s1["human"].as_array().unwrap();
    assert_eq!(humans.len(), 2, "carol has not finished");
    assert_eq!(humans[0]["annotator"], "alice");
    assert_eq!(humans[1]["annotator"], "Bob");
    assert_eq!(humans[1]["flagged"], true);
    assert_eq!(humans[1]["flag_note"], "hmm");
    assert_eq!(humans[0]["finish_reason"], "found_error");
    assert_eq!(humans[0]["first_error"], 0);
    assert_eq!(humans[0]["ratings"][0], -1);
    assert_eq!(humans[0]["ratings"].as_array().unwrap().len(), n);
    // No steps.
    let s2 = &prm[3];
    assert_eq!(s2["label"]["steps"], Value::Array(vec![]));
    assert_eq!(s2["label"]["finish_reason"], "wrong_answer");
    assert_eq!(
        (&s2["first_error"], &s2["final_answer"]),
        (&Value::from(-1), &Value::from("987654321"))
    );
    assert_eq!(s2["label_source"], "automatic");
    // Variant B has no stored text: the offline verbalizer's, as a solve job asks it.
    let s3 = &prm[1];
    assert_eq!(s3["question"]["problem"], offline_b.as_str());
    assert_eq!(s3["variant"], "v2");
    assert_eq!(
        (&s3["score"], &s3["first_error"]),
        (&Value::from("wrong"), &Value::from(0))
    );
    let s4 = &prm[2];
    assert_eq!(
        (&s4["score"], &s4["final_answer"]),
        (&Value::from("unparseable"), &Value::from(""))
    );
    assert_eq!(s4["label"]["finish_reason"], "wrong_answer");

    // TRL: solutions with steps, up to the first wrong one.
    let trl = without_name(&lines(&store, ds, ExportFormat::Trl).await);
    assert_table_shaped(&trl);
    trl.iter().for_each(|r| no_nulls("", r));
    assert_eq!(
        ids(&trl),
        ["v1/m-1/0", "v2/m-1/0", "v2/m-1/1"],
        "v1/m-1/1 has no steps"
    );
    let r = &trl[0];
    assert_eq!(r["prompt"], "Variant A, as stored.");
    assert_eq!(r["completions"], json_steps(s1, 1));
    assert_eq!(r["labels"], serde_json::json!([false]));
    assert_eq!(
        (&r["label_source"], &r["first_error"]),
        (&Value::from("human"), &Value::from(0))
    );
    let r = &trl[1];
    assert_eq!(r["prompt"], offline_b.as_str());
    assert_eq!(r["labels"], serde_json::json!([false]));
    assert_eq!(r["label_source"], "automatic");
    let r = &trl[2];
    assert_eq!(
        r["completions"],
        serde_json::json!(["I cannot solve this."])
    );
    assert_eq!(
        r["labels"],
        serde_json::json!([true]),
        "a neutral step is not wrong"
    );
    assert_eq!(
        (&r["first_error"], &r["score"]),
        (&Value::from(-1), &Value::from("unparseable"))
    );
    // TRL's columns first.
    let raw = lines(&store, ds, ExportFormat::Trl).await;
    assert!(
        raw[0].starts_with("{\"prompt\":\"Variant A, as stored.\",\"completions\":["),
        "{}",
        raw[0]
    );

    let s = store.export(ds, ExportFormat::Trl).await.unwrap();
    assert_eq!(s.file_name(), "solved-trl.jsonl");
    let s = store.export(ds, ExportFormat::Prm800k).await.unwrap();
    assert_eq!(s.file_name(), "solved-prm800k.jsonl");
    assert_eq!(ExportFormat::parse("prm800k"), Some(ExportFormat::Prm800k));
    assert_eq!(ExportFormat::parse("trl"), Some(ExportFormat::Trl));

    // A damaged step label stops the export with what and where.
    exec(
        &store,
        "INSERT INTO step_labels (annotation_id, step, rating) VALUES (801, 40, 1)",
    )
    .await;
    let mut s = store.export(ds, ExportFormat::Trl).await.unwrap();
    let mut error = None;
    while let Some(line) = s.next_line().await {
        if let Err(e) = line {
            error = Some(e.to_string());
        }
    }
    let error = error.expect("the export fails");
    assert!(
        error.contains("model \"m-1\", sample 0, of variant v1") && error.contains("step 40"),
        "{error}"
    );
}

/// The first `n` step texts of a PRM800K-like record, as JSON.
fn json_steps(r: &Value, n: usize) -> Value {
    Value::Array(r["question"]["pre_generated_steps"].as_array().unwrap()[..n].to_vec())
}

#[tokio::test]
async fn solution_exports_of_a_dataset_without_solutions_are_empty() {
    let (_d, store) = fresh().await;
    let ds = store
        .import_jsonl("plain", DEMO.lines().next().unwrap())
        .await
        .unwrap()
        .dataset_id;
    for format in [ExportFormat::Trl, ExportFormat::Prm800k] {
        assert!(lines(&store, ds, format).await.is_empty());
    }
}

/// Every chunk of a Parquet export, concatenated: the file.
async fn parquet_file(store: &Store, id: i64) -> (Vec<u8>, u64, u64) {
    let mut s = store.export(id, ExportFormat::Parquet).await.unwrap();
    let expected = s.records();
    let (mut bytes, mut records) = (Vec::new(), 0);
    while let Some(chunk) = s.next_chunk().await {
        let chunk = chunk.unwrap();
        bytes.extend(chunk.bytes);
        records += chunk.records;
    }
    (bytes, records, expected)
}

#[tokio::test]
async fn parquet_export_has_every_variant_in_the_fixed_columns() {
    let (_d, store) = fresh().await;
    let ds = rich_dataset(&store).await;
    let (bytes, records, expected) = parquet_file(&store, ds).await;
    assert_eq!(&bytes[..4], b"PAR1");
    let rows = columnar::read(bytes).unwrap();
    assert_eq!((rows.len() as u64, records), (expected, expected));
    // The same variants, texts, solutions and lineages as the GSM8K rows.
    let gsm8k: Vec<Value> = lines(&store, ds, ExportFormat::Gsm8k)
        .await
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), gsm8k.len());
    for (r, g) in rows.iter().zip(&gsm8k) {
        assert_eq!(r.id, g["id"].as_str().unwrap());
        assert_eq!(r.source_id, g["source_id"].as_str().unwrap());
        assert_eq!(r.round as i64, g["round"].as_i64().unwrap());
        assert_eq!(r.text.as_deref(), g["question"].as_str());
        assert_eq!(r.solution.as_deref(), g["answer"].as_str());
        assert_eq!(r.operations, g["operations"].as_str().unwrap());
        let ops: Vec<Value> = serde_json::from_str(&r.operations).unwrap();
        assert_eq!(ops.len() as u32, r.round, "{}: the whole lineage", r.id);
        let graph: engine::Graph = serde_json::from_str(
            r.graph
                .as_deref()
                .expect("the store's export keeps the graph"),
        )
        .unwrap();
        assert_eq!(graph.answer_value().to_string(), r.answer);
        assert_eq!(graph.metrics(), r.metrics);
        assert_eq!(r.program, engine::to_python(&graph));
        assert!(r.negative.is_none());
        assert!(r.text_source.is_some(), "{}", r.id);
        let steps: Vec<Value> = serde_json::from_str(
            r.steps
                .as_deref()
                .expect("the store's export keeps the steps"),
        )
        .unwrap();
        assert_eq!(steps.len() as u32, r.metrics.steps, "{}", r.id);
        assert!(r.source_line >= 1);
    }
    // Curriculum variants have chains and seeds; the hand-made one has neither, but its
    // 64-bit seed survives.
    let hand = rows.iter().find(|r| r.chain.is_none()).unwrap();
    assert_eq!(hand.seed, Some(u64::MAX - 1));
    assert!(rows
        .iter()
        .filter(|r| r.chain.is_some())
        .all(|r| r.seed.is_some()));
    // The verbalized, judged and edited variant keeps its stored words and verdict.
    let edited = rows
        .iter()
        .find(|r| r.text.as_deref() == Some("An edited text."))
        .unwrap();
    assert!(edited.verdict.is_some());
    assert!(rows.iter().filter(|r| r.verdict.is_none()).count() >= rows.len() - 1);

    let mut s = store.export(ds, ExportFormat::Parquet).await.unwrap();
    assert_eq!(s.file_name(), "rich.parquet");
    assert_eq!(
        ExportFormat::Parquet.content_type(),
        "application/vnd.apache.parquet"
    );
    assert_eq!(ExportFormat::parse("parquet"), Some(ExportFormat::Parquet));
    let e = s.next_line().await.unwrap().unwrap_err();
    assert!(e.to_string().contains("next_chunk"), "{e}");
    assert!(s.next_line().await.is_none());
}

#[tokio::test]
async fn parquet_export_of_a_dataset_without_variants_is_an_empty_table() {
    let (_d, store) = fresh().await;
    let demo = store.ensure_demo().await.unwrap().unwrap();
    let (bytes, records, expected) = parquet_file(&store, demo.dataset_id).await;
    assert_eq!((records, expected), (0, 0));
    assert_eq!(columnar::read(bytes).unwrap(), Vec::new());
}

#[tokio::test]
async fn a_version_1_export_still_restores() {
    let (_d, store) = fresh().await;
    let ds = rich_dataset(&store).await;
    let first = lines(&store, ds, ExportFormat::Full).await;
    assert!(first[0].starts_with("{\"graft_export\":2,"));
    let old = as_version_1(&first);
    assert!(old[0].contains("\"graft_export\":1,"));
    assert!(old.iter().any(|l| l.contains("\"labels\":[{\"annotator\"")));
    let report = store
        .import_jsonl("from version 1", &old.join("\n"))
        .await
        .unwrap();
    assert_eq!((report.imported, report.extracted), (4, 3));
    // Restored the same: exported again (as version 2), the same file but for the name.
    let again = lines(&store, report.dataset_id, ExportFormat::Full).await;
    assert_eq!(without_name(&again), without_name(&first));
    // A version this graft does not know is refused, naming it.
    let mut future = first.clone();
    future[0] = future[0].replacen("\"graft_export\":2", "\"graft_export\":3", 1);
    let e = store
        .import_jsonl("future", &future.join("\n"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("versions 1 to 2"), "{e}");
}
