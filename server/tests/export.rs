//! Export and import through the real `graft serve` and the `graft` command line: a dataset
//! with everything an export carries goes out, comes back under another name, and goes out
//! again the same.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

/// Every request these tests make goes through here (anonymous for now; a session cookie
/// goes into `request` once writes need a login).
struct Api {
    addr: SocketAddr,
}

impl Api {
    fn request(&self, method: &str, path: &str, ct: Option<&str>, body: &[u8]) -> Response {
        let (status, headers, body) = common::request(self.addr, method, path, ct, body);
        Response {
            status,
            headers,
            body,
        }
    }

    fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, b"")
    }

    fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self.request(
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        (r.status, r.json())
    }

    fn post_text(&self, path: &str, body: &str) -> (u16, Value) {
        let r = self.request("POST", path, Some("text/plain"), body.as_bytes());
        (r.status, r.json())
    }

    /// `GET /api/datasets/{id}/export?format=…`, checked to be a 200 JSONL download.
    fn export(&self, id: i64, format: &str) -> String {
        let r = self.get(&format!("/api/datasets/{id}/export?format={format}"));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
        let disposition = r.header("content-disposition").unwrap_or_default();
        assert!(
            disposition.starts_with("attachment; filename=") && disposition.contains(".jsonl"),
            "{disposition}"
        );
        r.body
    }

    /// Imports a JSONL body as dataset `name`; its id.
    fn import(&self, name: &str, body: &str) -> i64 {
        let (status, report) = self.post_text(&format!("/api/datasets?name={name}"), body);
        assert_eq!(status, 201, "{report}");
        report["dataset_id"].as_i64().unwrap()
    }

    fn dataset_count(&self) -> usize {
        common::datasets(self.addr).len()
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        common::parse(&self.body)
    }
}

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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Each line as JSON with the dataset's name taken out.
fn records(export: &str) -> Vec<Value> {
    export
        .lines()
        .map(|l| {
            let mut v = common::parse(l);
            v["dataset"] = Value::Null;
            v
        })
        .collect()
}

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

/// Every line has the same keys; every key (nested ones too) one JSON type over all lines,
/// null aside; objects at one place the same keys. What `datasets`' Arrow reader needs. Each
/// of `present` (nested paths) must have had a value somewhere, so that it was checked.
fn assert_table_shaped(export: &str, present: &[&str]) {
    fn walk(
        path: String,
        v: &Value,
        types: &mut BTreeMap<String, &'static str>,
        keys: &mut BTreeMap<String, Vec<String>>,
    ) {
        if let Some(t) = type_of(v) {
            let seen = *types.entry(path.clone()).or_insert(t);
            assert_eq!(
                seen, t,
                "{path:?} is a {seen} in one line and a {t} in another"
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
            Value::Array(a) => a
                .iter()
                .for_each(|x| walk(format!("{path}[]"), x, types, keys)),
            _ => {}
        }
    }
    let (mut types, mut keys) = (BTreeMap::new(), BTreeMap::new());
    for line in export.lines() {
        walk(String::new(), &common::parse(line), &mut types, &mut keys);
    }
    // The nested values that are there in this dataset were all checked.
    for &path in present {
        assert!(types.contains_key(path), "{path} never had a value");
    }
}

/// Review decisions and step labels, written straight into the database (their store methods
/// come with accounts): reviewer rita accepts `variant`; alice and bob label its steps (bob
/// disagrees on the first), carol starts but does not finish; alice finds a gold question's
/// error.
fn review_and_label(dir: &Path, dataset: i64, variant: i64, graph: &Value) {
    let g: engine::Graph = serde_json::from_value(graph.clone()).unwrap();
    let steps = serde_json::to_string(&engine::labels::steps(&g)).unwrap();
    let gold = engine::labels::corrupt(&g, 9).unwrap();
    let gold_steps = serde_json::to_string(&gold.steps).unwrap();
    let sql = format!(
        "INSERT INTO users (name, password_hash, role) VALUES
            ('alice', 'h', 'annotator'), ('bob', 'h', 'annotator'),
            ('carol', 'h', 'annotator'), ('rita', 'h', 'admin');
         UPDATE variants SET review_status = 'accepted', review_reason = 'reads well',
            reviewed_by = (SELECT id FROM users WHERE name = 'rita'),
            reviewed_at = '2025-03-01T10:00:00.000Z'
         WHERE id = {variant};
         INSERT INTO review_events (variant_id, user_id, decision, reason, bulk, created_at)
         SELECT {variant}, id, 'accept', 'reads well', 5, '2025-03-01T10:00:00.000Z'
         FROM users WHERE name = 'rita';
         INSERT INTO label_items (id, dataset_id, variant_id, steps)
            VALUES (501, {dataset}, {variant}, '{steps}');
         INSERT INTO label_items (id, dataset_id, variant_id, steps, gold_first_error, gold_detail)
            VALUES (502, {dataset}, {variant}, '{gold_steps}', {first}, 'made wrong');
         INSERT INTO annotations (id, item_id, user_id, finish_reason, finished_at)
         SELECT 601, 501, id, 'solution_correct', '2025-03-02T00:00:00.000Z'
         FROM users WHERE name = 'alice';
         INSERT INTO annotations (id, item_id, user_id, flagged, flag_note, finish_reason,
            finished_at)
         SELECT 602, 501, id, 1, 'step 1 looks off', 'found_error', '2025-03-02T01:00:00.000Z'
         FROM users WHERE name = 'bob';
         INSERT INTO annotations (id, item_id, user_id) SELECT 603, 501, id
         FROM users WHERE name = 'carol';
         INSERT INTO annotations (id, item_id, user_id, finish_reason, finished_at)
         SELECT 604, 502, id, 'found_error', '2025-03-03T00:00:00.000Z'
         FROM users WHERE name = 'alice';
         INSERT INTO step_labels (annotation_id, step, rating) VALUES
            (601, 0, 1), (601, 1, 1), (602, 0, -1), (602, 1, 1), (603, 0, -1),
            (604, 0, 1);",
        steps = steps.replace('\'', "''"),
        gold_steps = gold_steps.replace('\'', "''"),
        first = gold.first_error,
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = store::Store::open_data_dir(dir).await.unwrap();
        sqlx::raw_sql(&sql).execute(store.pool()).await.unwrap();
        store.close().await;
    });
}

/// A dataset with problems (one without a graph), a three-round curriculum, a hand-made
/// variant of a variant, a verbalized and judged variant, a review decision and step labels.
/// Its id.
fn rich_dataset(api: &Api, dir: &Path) -> i64 {
    let mut rows: Vec<String> = common::demo_lines().into_iter().take(3).collect();
    rows.push(json!({"question": "How many stars are there?"}).to_string());
    let id = api.import("src", &rows.join("\n"));
    let (status, job) = api.post_json(
        "/api/jobs",
        &json!({"dataset_id": id, "rounds": 3, "per_problem": 2, "seed": 4}),
    );
    assert_eq!(status, 201, "{job}");
    let job = common::wait_done(api.addr, job["id"].as_i64().unwrap());
    assert_eq!(job["state"], "done", "{job}");
    let r = api.get(&format!("/api/datasets/{id}/variants?limit=1"));
    let variant = r.json()["items"][0]["id"].as_i64().unwrap();
    let (status, words) = api.post_json(
        &format!("/api/variants/{variant}/judge?offline=true"),
        &json!({}),
    );
    assert_eq!(status, 200, "{words}");
    let v = api.get(&format!("/api/variants/{variant}")).json();
    let graph = v["graph"].clone();
    let (status, saved) = api.post_json(
        &format!("/api/problems/{}/variants", v["problem_id"]),
        &json!({
            "operations": [{"op": "graft", "node": common::a_step(&graph),
                            "f": {"op": "add", "k": "2"}}],
            "parent_variant_id": variant,
            "seed": null
        }),
    );
    assert_eq!(status, 201, "{saved}");
    review_and_label(dir, id, variant, &graph);
    id
}

#[test]
fn export_import_export_gives_the_same_file_through_http_and_the_cli() {
    let dir = common::data_dir();
    let server = common::start(dir.path());
    let api = Api { addr: server.addr };
    let src = rich_dataset(&api, dir.path());

    let first = api.export(src, "full");
    assert_table_shaped(
        &first,
        // Version 2: lists are JSON text.
        &[".labels", ".review_history", ".metrics.depth"],
    );
    let kinds: Vec<String> = records(&first)
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "problem").count(), 4);
    assert_eq!(kinds.iter().filter(|k| *k == "gold").count(), 1);
    // 3 problems x 2 chains x 3 rounds, and the hand-made one.
    assert_eq!(kinds.iter().filter(|k| *k == "variant").count(), 19);
    assert!(first.contains("\"review_status\":\"accepted\""));
    assert!(first.contains("\\\"annotator\\\":\\\"bob\\\""));

    // HTTP: import under another name, export again: the same but for the name.
    let copy = api.import("copy", &first);
    let second = api.export(copy, "full");
    assert!(second.starts_with("{\"graft_export\":2,\"dataset\":\"copy\""));
    assert_eq!(records(&second), records(&first));
    assert_eq!(
        records(&api.export(copy, "prm")),
        records(&api.export(src, "prm"))
    );

    // The command line, on the same database while the server runs.
    let file = dir.path().join("copy.jsonl");
    let o = graft(
        dir.path(),
        &["export", "--dataset", "copy", "-o", file.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("exported 24 records"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), second);
    let o = graft(dir.path(), &["export", "--dataset", &copy.to_string()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), second, "by id, to standard output");
    // The exported name ("copy") is taken: a clear refusal, then --name.
    let o = graft(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("already exists") && text(&o.stderr).contains("--name"),
        "{}",
        text(&o.stderr)
    );
    let o = graft(
        dir.path(),
        &["import", file.to_str().unwrap(), "--name", "third"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("\"third\"") && text(&o.stdout).contains("19 variants"),
        "{}",
        text(&o.stdout)
    );
    let third = common::datasets(api.addr)
        .iter()
        .find(|d| d["name"] == "third")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(records(&api.export(third, "full")), records(&first));

    // Plain JSONL through the CLI: named after the file.
    let plain = dir.path().join("few.jsonl");
    std::fs::write(&plain, common::demo_lines()[..2].join("\n")).unwrap();
    let o = graft(dir.path(), &["import", plain.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("\"few\""), "{}", text(&o.stdout));
    let o = graft(dir.path(), &["export", "--dataset", "nope"]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("\"src\""), "{}", text(&o.stderr));
}

#[test]
fn prm_export_errors_and_refused_lines() {
    let dir = common::data_dir();
    let server = common::start(dir.path());
    let api = Api { addr: server.addr };
    let src = rich_dataset(&api, dir.path());

    // PRM: one labelled solution; alice and bob finished, carol did not.
    let prm = api.export(src, "prm");
    assert_table_shaped(&prm, &[".annotations[].labels[]", ".labels[]", ".steps[]"]);
    let lines: Vec<Value> = prm.lines().map(common::parse).collect();
    assert_eq!(lines.len(), 1, "{prm}");
    let r = &lines[0];
    let names: Vec<&Value> = r["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["annotator"])
        .collect();
    assert_eq!(names, [&json!("alice"), &json!("bob")]);
    // Step 0: 1 vs -1 is a tie; step 1: both 1; later steps: unrated.
    let labels = r["labels"].as_array().unwrap();
    assert_eq!(labels.len(), r["steps"].as_array().unwrap().len());
    assert_eq!(labels[0], Value::Null);
    assert_eq!(labels[1], json!(1));
    assert!(labels[2..].iter().all(Value::is_null), "{r}");
    assert!(r["problem"].as_str().unwrap().len() > 20);

    // Unknown format, dataset, id.
    let r = api.get(&format!("/api/datasets/{src}/export?format=csv"));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("format=prm"));
    let r = api.get("/api/datasets/999/export");
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.json()["error"].as_str().unwrap().contains("999"));
    assert_eq!(api.get("/api/datasets/x/export").status, 400);
    // Without a format: full.
    let full = api.export(src, "");
    assert!(full.starts_with("{\"graft_export\":2,\"dataset\":\"src\",\"kind\":\"problem\""));

    // A bad line refuses the whole file, naming the line; nothing is stored.
    let before = api.dataset_count();
    let mut lines: Vec<String> = full.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace("\"kind\":\"problem\"", "\"kind\":\"puzzle\"");
    let (status, body) = api.post_text("/api/datasets?name=broken", &lines.join("\n"));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["failed"][0]["line"], 2, "{body}");
    assert!(body["error"].as_str().unwrap().contains("line 2"), "{body}");
    assert_eq!(api.dataset_count(), before);
    // A PRM export is not importable.
    let (status, body) = api.post_text("/api/datasets?name=prm", &prm);
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("PRM"), "{body}");
}
