//! Variants as Parquet (`graft generate --out x.parquet`, `graft export --format parquet`, `GET
//! /api/datasets/{id}/export?format=parquet`), and full JSONL exports as Hugging Face
//! `datasets` reads them: the real binary, then `pyarrow` and `datasets` in the Python of
//! `scripts/py-env`.
//!
//! The Python comes from `GRAFT_PYTHON` (scripts/test sets it), else
//! `~/.cache/graft/py/bin/python`; without either the Python test fails and says to run
//! `scripts/py-env`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};

fn graft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(args)
        .env_remove("GRAFT_DATA_DIR")
        .env_remove("GRAFT_DATABASE_URL")
        .output()
        .expect("the graft binary runs")
}

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../demo/demo.jsonl")
        .to_str()
        .unwrap()
        .to_string()
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `graft generate` of the demo set into `out` (JSONL or Parquet by its extension).
fn generate(out: &Path) -> Output {
    graft(&[
        "generate",
        "--input",
        &demo(),
        "--rounds",
        "3",
        "--per-problem",
        "2",
        "--seed",
        "11",
        "--verbalize",
        "--negatives",
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn generate_writes_the_same_variants_as_parquet_and_jsonl() {
    let dir = common::data_dir();
    let (jsonl, parquet) = (dir.path().join("v.jsonl"), dir.path().join("v.parquet"));
    let (a, b) = (generate(&jsonl), generate(&parquet));
    ok(&a, "generate jsonl");
    ok(&b, "generate parquet");
    // The same summary but for the file's name.
    assert_eq!(
        String::from_utf8_lossy(&a.stdout).replace("v.jsonl", "F"),
        String::from_utf8_lossy(&b.stdout).replace("v.parquet", "F")
    );
    let records: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(common::parse)
        .collect();
    let rows = columnar::read(std::fs::read(&parquet).unwrap()).unwrap();
    assert!(records.len() > 40, "{}", records.len());
    assert_eq!(rows.len(), records.len());
    for (r, j) in rows.iter().zip(&records) {
        assert_eq!(r.id, j["id"].as_str().unwrap());
        assert_eq!(r.source_id, j["source_id"].as_str().unwrap());
        assert_eq!(json!(r.source_line), j["source_line"]);
        assert_eq!(json!(r.chain), j["chain"]);
        assert_eq!(json!(r.round), j["round"]);
        assert_eq!(json!(r.seed), j["seed"], "{}: every bit of the seed", r.id);
        assert_eq!(r.answer, j["answer"].as_str().unwrap());
        assert_eq!(r.original_answer, j["original_answer"].as_str().unwrap());
        assert_eq!(r.question.as_deref(), j["question"].as_str());
        assert_eq!(r.text.as_deref(), j["text"].as_str());
        assert_eq!(r.solution.as_deref(), j["solution"].as_str());
        assert_eq!(r.text_source.as_deref(), j["text_source"].as_str());
        assert_eq!(r.program, j["program"].as_str().unwrap());
        assert_eq!(common::parse(&r.operations), j["operations"], "{}", r.id);
        // Lean records: neither graph nor steps, a null in each column.
        assert!(r.graph.is_none() && j.get("graph").is_none(), "{}", r.id);
        assert!(r.steps.is_none() && j.get("steps").is_none(), "{}", r.id);
        let negative = r.negative.as_deref().map_or(Value::Null, common::parse);
        assert_eq!(negative, j["negative"]);
        assert_eq!(json!(r.metrics), j["metrics"]);
        assert_eq!(json!(r.original_metrics), j["original_metrics"]);
    }

    // GSM8K rows are JSONL only; the refusal says so and writes nothing.
    let bad = dir.path().join("rows.parquet");
    let o = graft(&[
        "generate",
        "--input",
        &demo(),
        "--format",
        "gsm8k",
        "--out",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--format graft") && err.contains(".jsonl"),
        "{err}"
    );
    assert!(!bad.exists());
}

/// A store with the demo set (dataset "demo") and a 2-round curriculum over it (2 chains),
/// then one variant verbalized (a stored text); the dataset's id.
fn seed(dir: &Path) -> i64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = store::Store::open_data_dir(dir).await.unwrap();
        let ds = store
            .import_jsonl("demo", &common::demo_lines().join("\n"))
            .await
            .unwrap()
            .dataset_id;
        let _runner = store.spawn_job_runner();
        let job = store
            .create_job(&store::JobSpec::curriculum(ds, 2, 2, 3))
            .await
            .unwrap();
        let status = store
            .wait_for_job(job, Duration::from_secs(300))
            .await
            .unwrap();
        assert_eq!(status.state, store::JobState::Done, "{status:?}");
        store.close().await;
        ds
    })
}

/// `GET path` as the admin: status, content type, raw body.
fn get_bytes(addr: std::net::SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    let cookie = common::login(addr, common::ADMIN, common::ADMIN_PASSWORD).unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    (status, content_type, raw[end + 4..].to_vec())
}

/// Per Parquet file: `pyarrow.parquet.read_table` and `datasets.load_dataset("parquet", …)`,
/// rows and types. Per JSONL file: `load_dataset("json", …)` as is and a record per chunk
/// (`chunksize` 1 byte: the first record alone types every column, as the first 10 MiB type
/// a big file's), rows and types, or the error.
const LOAD: &str = r##"
import json, sys
import datasets, pyarrow as pa, pyarrow.parquet as pq

def simple(t):
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list<" + simple(t.value_type) + ">"
    if pa.types.is_struct(t):
        return "struct{" + ",".join(f.name + ":" + simple(f.type) for f in t) + "}"
    if pa.types.is_null(t):
        return "null"
    return str(t)

out = {}
for path in json.loads(sys.argv[1]):
    if path.endswith(".parquet"):
        t = pq.read_table(path)
        d = datasets.load_dataset("parquet", data_files=path, split="train")
        out[path] = {
            "pyarrow": {"rows": t.num_rows, "types": {f.name: simple(f.type) for f in t.schema}},
            "datasets": {"rows": d.num_rows,
                         "types": {f.name: simple(f.type) for f in d.features.arrow_schema}},
            "seeds": [str(s) for s in d["seed"][:3]],
        }
    else:
        for suffix, options in (("", {}), ("#chunked", {"chunksize": 1})):
            try:
                d = datasets.load_dataset("json", data_files=path, split="train", **options)
                out[path + suffix] = {"rows": d.num_rows,
                    "types": {f.name: simple(f.type) for f in d.features.arrow_schema}}
            except Exception as e:
                causes = []
                while e is not None:
                    causes.append(f"{type(e).__name__}: {e}")
                    e = e.__cause__ or e.__context__
                out[path + suffix] = {"error": " <- ".join(causes)}
print(json.dumps(out))
"##;

/// A version-2 full export written as version 1 did (nulls for absent values, lists as
/// lists): what `datasets` could not load a record per chunk.
fn as_version_1(export: &str) -> String {
    const INTS: [&str; 5] = ["line", "depth", "round", "chain", "gold_first_error"];
    const LISTS: [&str; 4] = ["text_notes", "review_history", "steps", "labels"];
    let mut out = String::new();
    for l in export.lines() {
        let mut v = common::parse(l);
        for (k, x) in v.as_object_mut().unwrap() {
            if k == "graft_export" {
                *x = json!(1);
            } else if LISTS.contains(&k.as_str()) {
                *x = match x.as_str().unwrap() {
                    "" => Value::Null,
                    text => common::parse(text),
                };
            } else if *x == json!("") || (INTS.contains(&k.as_str()) && *x == json!(-1)) {
                *x = Value::Null;
            }
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

#[test]
fn hugging_face_datasets_loads_parquet_and_full_exports() {
    common::venv_python(); // fails first, naming the fix, when the venv is missing
    let dir = common::data_dir();
    let ds = seed(dir.path());
    let data = dir.path().to_str().unwrap();
    let generated = dir.path().join("generated.parquet");
    ok(&generate(&generated), "generate parquet");
    let exported = dir.path().join("demo.parquet");
    let full = dir.path().join("demo.jsonl");
    for (format, file) in [("parquet", &exported), ("full", &full)] {
        let o = graft(&[
            "export",
            "--dataset",
            "demo",
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
            "--data-dir",
            data,
        ]);
        ok(&o, format);
    }
    let full_text = std::fs::read_to_string(&full).unwrap();
    assert!(full_text.starts_with("{\"graft_export\":2,"));
    let variants = full_text.matches("\"kind\":\"variant\"").count();
    let problems = full_text.matches("\"kind\":\"problem\"").count();
    assert!(variants > 20 && problems > 10, "{variants} {problems}");
    let old = dir.path().join("demo-v1.jsonl");
    std::fs::write(&old, as_version_1(&full_text)).unwrap();

    // The same Parquet file over HTTP.
    let server = common::start(dir.path());
    let (status, content_type, body) = get_bytes(
        server.addr,
        &format!("/api/datasets/{ds}/export?format=parquet"),
    );
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/vnd.apache.parquet");
    assert_eq!(body, std::fs::read(&exported).unwrap());
    drop(server);
    let exported_rows = columnar::read(body).unwrap();
    assert_eq!(exported_rows.len(), variants);

    let paths: Vec<&str> = [&generated, &exported, &full, &old]
        .iter()
        .map(|p| p.to_str().unwrap())
        .collect();
    let cache = dir.path().join("hf-cache");
    let out: Value =
        common::run_python_json(LOAD, &[&serde_json::to_string(&paths).unwrap()], &cache);

    // Parquet: every column typed (never null), the schema as documented, every row.
    let generated_rows = columnar::read(std::fs::read(&generated).unwrap()).unwrap();
    for (path, rows) in [(paths[0], generated_rows.len()), (paths[1], variants)] {
        let r = &out[path];
        for reader in ["pyarrow", "datasets"] {
            assert_eq!(r[reader]["rows"], rows, "{reader} {path}");
            let types = r[reader]["types"].as_object().unwrap();
            let names: Vec<&str> = types.keys().map(String::as_str).collect();
            let mut expected = columnar::COLUMNS.to_vec();
            expected.sort_unstable();
            let mut names = names;
            names.sort_unstable();
            assert_eq!(names, expected, "{reader} {path}");
            for (col, t) in types {
                assert!(
                    !t.as_str().unwrap().contains("null"),
                    "{reader} {path}: {col} is {t}"
                );
            }
            assert_eq!(types["seed"], "uint64", "{reader}");
            assert_eq!(types["round"], "uint32", "{reader}");
            assert_eq!(types["text"], "string", "{reader}");
            assert_eq!(types["negative"], "string", "{reader}");
            assert_eq!(
                types["metrics"],
                "struct{depth:uint32,steps:uint32,inputs:uint32,width:uint32,branches:uint32,distractors:uint32,nodes:uint32}"
            );
        }
    }
    let seeds: Vec<String> = generated_rows
        .iter()
        .take(3)
        .map(|r| r.seed.unwrap().to_string())
        .collect();
    assert_eq!(
        out[paths[0]]["seeds"],
        json!(seeds),
        "seeds read back whole"
    );

    // The full export loads as is and a record per chunk, every column typed.
    let records = problems + variants;
    for key in [paths[2].to_string(), format!("{}#chunked", paths[2])] {
        let r = &out[&key];
        assert_eq!(r["rows"], records, "{key}: {r}");
        for (col, t) in r["types"].as_object().unwrap() {
            let t = t.as_str().unwrap();
            assert!(!t.contains("null"), "{key}: {col} is {t}");
        }
    }
    // The same records as version 1 wrote them (nulls in the first chunk) fail that way.
    let r = &out[&format!("{}#chunked", paths[3])];
    let e = r["error"].as_str().unwrap_or_else(|| panic!("{r}"));
    assert!(e.contains("to null"), "{e}");
    // And version 1 still restores.
    let o = graft(&["import", paths[3], "--name", "from-v1", "--data-dir", data]);
    ok(&o, "import version 1");
}
