//! The model-solution exports (`trl`, `prm800k`) as Hugging Face `datasets` reads them: a real
//! store seeded with variants, solutions and human step labels, the real `graft export`, then
//! `datasets.load_dataset("json", …)` in the Python of `scripts/py-env`.
//!
//! The Python comes from `GRAFT_PYTHON` (scripts/test sets it), else
//! `~/.cache/graft/py/bin/python`; without either the test fails and says to run
//! `scripts/py-env`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn graft(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("GRAFT_DATA_DIR")
        .env_remove("GRAFT_DATABASE_URL")
        .output()
        .expect("the graft binary runs")
}

/// A store with one dataset, "solved", of two demo problems with one variant each (A with a
/// stored text, B without: its offline text), and model solutions stored in this order: on
/// A, one with no steps (stored first, written last), a correct worked
/// solution labelled by two annotators who finished (one leaves a step unrated) and one who
/// did not; on B, a slip in the first line and a solution without numbers. Returns the
/// dataset's id and B's offline text.
fn seed(dir: &Path) -> (i64, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = store::Store::open_data_dir(dir).await.unwrap();
        let rows: Vec<String> = common::demo_lines().into_iter().take(2).collect();
        let ds = store
            .import_jsonl("solved", &rows.join("\n"))
            .await
            .unwrap()
            .dataset_id;
        let problems: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, graph FROM problems WHERE dataset_id = ? ORDER BY id")
                .bind(ds)
                .fetch_all(store.pool())
                .await
                .unwrap();
        let mut made = Vec::new();
        for (id, graph) in &problems {
            let g: engine::Graph = serde_json::from_str(graph).unwrap();
            let input = g
                .ids()
                .find(|&n| matches!(g.node(n).kind, engine::NodeKind::Input { .. }))
                .unwrap();
            let op = engine::intervene::Intervention::SetInput {
                node: input,
                value: g.value(input).add(engine::Number::int(4)).unwrap(),
            };
            let v = store
                .save_variant(*id, None, vec![op.clone()], None)
                .await
                .unwrap()
                .id;
            let (vg,): (String,) = sqlx::query_as("SELECT graph FROM variants WHERE id = ?")
                .bind(v)
                .fetch_one(store.pool())
                .await
                .unwrap();
            let vg: engine::Graph = serde_json::from_str(&vg).unwrap();
            let worked = engine::solution::worked(&g, &vg).unwrap();
            let offline = engine::verbalize::offline(&g, &[op]).unwrap().text;
            made.push((v, worked, offline));
        }
        let (a, b) = (made[0].0, made[1].0);
        sqlx::query("UPDATE variants SET text = 'Variant A, as stored.' WHERE id = ?")
            .bind(a)
            .execute(store.pool())
            .await
            .unwrap();
        let add = |v: i64, model: &str, text: String| {
            let new = types::model::NewSolution {
                model: model.into(),
                solution: text,
                prompt_version: String::new(),
            };
            let store = store.clone();
            async move { store.add_solution(v, &new).await.unwrap() }
        };
        assert!(add(a, "m-1", "#### 987654321".into())
            .await
            .steps
            .is_empty());
        let good = add(a, "m-1", made[0].1.clone()).await;
        assert!(
            good.steps.len() >= 3 && good.first_error.is_none(),
            "{good:?}"
        );
        let first = made[1].1.lines().next().unwrap();
        let slip = format!(
            "{} = 1000001\n#### 1000001",
            first.split(" = ").next().unwrap()
        );
        assert_eq!(add(b, "m-2", slip).await.first_error, Some(0));
        assert_eq!(add(b, "m-2", "No idea.".into()).await.steps.len(), 1);
        // Human labels of the good solution: ann1 and ann2 finished, ann3 did not. Step 0:
        // both 1; step 1: 1 against -1 (a tie: the automatic label); step 2: ann1 -1, ann2
        // left it unrated (ann1 decides).
        let sql = format!(
            "INSERT INTO users (name, password_hash, role) VALUES
                ('ann1', 'x', 'annotator'), ('ann2', 'x', 'annotator'),
                ('ann3', 'x', 'annotator');
             INSERT INTO label_items (id, dataset_id, variant_id, steps, solution_id)
                VALUES (901, {ds}, {a}, '[]', {s});
             INSERT INTO annotations (id, item_id, user_id, finish_reason, finished_at)
             SELECT 911, 901, id, 'found_error', '2025-05-01T00:00:00.000Z'
                FROM users WHERE name = 'ann1';
             INSERT INTO annotations (id, item_id, user_id, flagged, flag_note, finish_reason,
                finished_at)
             SELECT 912, 901, id, 1, 'unsure', 'gave_up', '2025-05-02T00:00:00.000Z'
                FROM users WHERE name = 'ann2';
             INSERT INTO annotations (id, item_id, user_id) SELECT 913, 901, id
                FROM users WHERE name = 'ann3';
             INSERT INTO step_labels (annotation_id, step, rating) VALUES
                (911, 0, 1), (911, 1, 1), (911, 2, -1), (912, 0, 1), (912, 1, -1),
                (912, 2, NULL), (913, 0, -1);",
            s = good.id
        );
        sqlx::raw_sql(&sql).execute(store.pool()).await.unwrap();
        store.close().await;
        (ds, made[1].2.clone())
    })
}

/// Loads `trl` and `prm800k` with `datasets.load_dataset("json", …)`: rows, a simple type
/// per column (`list<bool>`, `struct{a:int}`, …) and the rows as Python sees them; then each
/// again a record per chunk (`chunksize` 1 byte: the types come from the first record alone,
/// as they come from the first 10 MiB of a big file).
const LOAD: &str = r#"
import json, sys
import datasets, pyarrow as pa

def simple(t):
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list<" + simple(t.value_type) + ">"
    if pa.types.is_struct(t):
        return "struct{" + ",".join(f.name + ":" + simple(f.type) for f in t) + "}"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_null(t):
        return "null"
    return str(t)

out = {}
for name, path in (("trl", sys.argv[1]), ("prm800k", sys.argv[2])):
    for suffix, options in (("", {}), ("_chunked", {"chunksize": 1})):
        d = datasets.load_dataset("json", data_files=path, split="train", **options)
        schema = d.features.arrow_schema
        out[name + suffix] = {
            "rows": d.num_rows,
            "types": {f.name: simple(f.type) for f in schema},
            "features": {k: repr(v) for k, v in d.features.items()},
            "data": d.to_list(),
        }
print(json.dumps(out))
"#;

#[test]
fn hugging_face_datasets_loads_the_trl_and_prm800k_exports() {
    common::venv_python(); // fails first, naming the fix, when the venv is missing
    let dir = common::data_dir();
    let (ds, offline_b) = seed(dir.path());
    let trl = dir.path().join("solved-trl.jsonl");
    let prm = dir.path().join("solved-prm800k.jsonl");
    for (format, file) in [("trl", &trl), ("prm800k", &prm)] {
        let o = graft(
            dir.path(),
            &[
                "export",
                "--dataset",
                "solved",
                "--format",
                format,
                "-o",
                file.to_str().unwrap(),
            ],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "graft export --format {format}: {err}");
        assert!(err.contains("exported"), "{err}");
    }

    let cache = dir.path().join("hf-cache");
    let out: Value = common::run_python_json(
        LOAD,
        &[trl.to_str().unwrap(), prm.to_str().unwrap()],
        &cache,
    );

    // No column of either file is typed null anywhere (a null-typed column breaks the load
    // of a bigger file whose later chunks have values).
    for name in ["trl", "prm800k"] {
        for (col, t) in out[name]["types"].as_object().unwrap() {
            assert!(!t.as_str().unwrap().contains("null"), "{name}.{col} is {t}");
        }
        // Read a record per chunk, the first record alone types every column: the same.
        let chunked = &out[format!("{name}_chunked")];
        assert_eq!(chunked["types"], out[name]["types"], "{name}");
        assert_eq!(chunked["data"], out[name]["data"], "{name}");
    }

    // TRL: three rows (the solution without steps is left out), TRL's columns and types.
    let t = &out["trl"];
    assert_eq!(t["rows"], 3, "{t}");
    assert_eq!(t["types"]["prompt"], "string");
    assert_eq!(t["types"]["completions"], "list<string>");
    assert_eq!(t["types"]["labels"], "list<bool>");
    assert_eq!(t["types"]["label_source"], "string");
    assert_eq!(t["types"]["first_error"], "int");
    assert!(
        t["features"]["labels"].as_str().unwrap().contains("bool"),
        "{}",
        t["features"]
    );
    let rows = t["data"].as_array().unwrap();
    // A solution is (variant, model, sample); human-labelled ones first.
    let ids = |rows: &[Value]| -> Vec<String> {
        rows.iter()
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
    assert_eq!(ids(rows), ["v1/m-1/1", "v2/m-2/0", "v2/m-2/1"]);
    // v1/m-1/1: step 0 both annotators 1, step 1 a tie → automatic (+1 or 0: true), step 2 ann1's
    // -1: the row stops there.
    let r = &rows[0];
    assert_eq!(r["prompt"], "Variant A, as stored.");
    assert_eq!(r["labels"], json!([true, true, false]), "{r}");
    assert_eq!(r["completions"].as_array().unwrap().len(), 3);
    assert_eq!(
        (&r["label_source"], &r["first_error"]),
        (&json!("human"), &json!(2))
    );
    assert_eq!((&r["model"], &r["variant"]), (&json!("m-1"), &json!("v1")));
    let r = &rows[1];
    assert_eq!(r["prompt"], offline_b.as_str(), "B's offline text");
    assert_eq!(r["labels"], json!([false]));
    assert_eq!(
        (&r["score"], &r["label_source"]),
        (&json!("wrong"), &json!("automatic"))
    );
    let r = &rows[2];
    assert_eq!(r["completions"], json!(["No idea."]));
    assert_eq!(r["labels"], json!([true]));
    assert_eq!(r["score"], "unparseable");

    // PRM800K-like: four records, human-labelled first, the one without steps last.
    let p = &out["prm800k"];
    assert_eq!(p["rows"], 4, "{p}");
    let types = &p["types"];
    assert_eq!(
        types["question"],
        "struct{problem:string,ground_truth_answer:string,pre_generated_steps:list<string>,pre_generated_answer:string}"
    );
    assert_eq!(
        types["label"],
        "struct{steps:list<struct{completions:list<struct{text:string,rating:int,flagged:bool}>,chosen_completion:int,source:string}>,finish_reason:string}"
    );
    assert_eq!(
        types["automatic"],
        "struct{ratings:list<int>,reasons:list<string>,first_error:int}"
    );
    assert_eq!(
        types["human"],
        "list<struct{annotator:string,ratings:list<int>,first_error:int,finish_reason:string,flagged:bool,flag_note:string,finished_at:string}>"
    );
    assert_eq!(types["first_error"], "int");
    let rows = p["data"].as_array().unwrap();
    assert_eq!(ids(rows), ["v1/m-1/1", "v2/m-2/0", "v2/m-2/1", "v1/m-1/0"]);
    let r = &rows[3];
    assert_eq!(r["label"]["steps"], json!([]));
    assert_eq!(r["human"], json!([]));
    assert_eq!(r["label"]["finish_reason"], "wrong_answer");
    assert_eq!(rows[1]["human"], json!([]));
    let r = &rows[0];
    let steps = r["label"]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["completions"][0]["rating"], 1);
    assert_eq!(steps[0]["source"], "human");
    assert_eq!(steps[1]["source"], "automatic");
    assert_eq!(steps[2]["completions"][0]["rating"], -1);
    assert_eq!(
        (&r["first_error"], &r["automatic"]["first_error"]),
        (&json!(2), &json!(-1))
    );
    assert_eq!(r["label"]["finish_reason"], "found_error");
    let humans = r["human"].as_array().unwrap();
    assert_eq!(humans.len(), 2, "ann3 has not finished");
    assert_eq!(humans[1]["annotator"], "ann2");
    assert_eq!(humans[1]["ratings"][2], Value::Null, "unrated stays null");
    assert_eq!(
        (&humans[1]["flagged"], &humans[1]["finish_reason"]),
        (&json!(true), &json!("gave_up"))
    );
    assert_eq!(humans[0]["first_error"], 2);
    assert_eq!(
        r["question"]["ground_truth_answer"]
            .as_str()
            .map(str::is_empty),
        Some(false)
    );

    // The same files over HTTP (an admin's session), with their names.
    let server = common::start(dir.path());
    for (format, file) in [("trl", &trl), ("prm800k", &prm)] {
        let (status, headers, body) = common::request(
            server.addr,
            "GET",
            &format!("/api/datasets/{ds}/export?format={format}"),
            None,
            b"",
        );
        assert_eq!(status, 200, "{body}");
        let disposition = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-disposition"))
            .map(|(_, v)| v.as_str());
        assert_eq!(
            disposition,
            Some(format!("attachment; filename=\"solved-{format}.jsonl\"").as_str())
        );
        assert_eq!(body, std::fs::read_to_string(file).unwrap());
    }
    let (status, _, body) = common::request(
        server.addr,
        "GET",
        &format!("/api/datasets/{ds}/export?format=trll"),
        None,
        b"",
    );
    assert_eq!(status, 400);
    assert!(
        body.contains("format=trl") && body.contains("format=prm800k"),
        "{body}"
    );
    drop(server);

    // A dataset without solutions: an empty file and a note saying why.
    let plain = dir.path().join("plain.jsonl");
    std::fs::write(&plain, common::demo_lines()[0].as_str()).unwrap();
    let o = graft(
        dir.path(),
        &["import", plain.to_str().unwrap(), "--name", "plain"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = graft(
        dir.path(),
        &["export", "--dataset", "plain", "--format", "prm800k"],
    );
    assert!(o.status.success());
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no model solutions"), "{err}");
}
