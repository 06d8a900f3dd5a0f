//! `graft words requests|results` on a real SQLite file through the real binary: the requests
//! file's shape (the live client's exact bodies), replies written as a batch server writes
//! them and stored exactly as live replies are, bad lines refused with their numbers without
//! disturbing what is stored, and a second reading that stores nothing twice.
//!
//! A tiny OpenAI-compatible server in the test answers the live calls with the same replies
//! the batch fixtures carry, so that a live verbalization and a batch one can be compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use engine::graph::Role;
use engine::intervene::Intervention;
use engine::Number;
use llm::{Budget, Client, ClientConfig, Endpoint, Provider};
use serde_json::{json, Value};
use store::Store;

const MODEL: &str = "test-model";

/// A problem whose variants a test can write text for: `boxes` × 12 pencils.
const ROW: &str = r#"{"question": "Tom has 3 boxes with 12 pencils in each box. How many pencils does Tom have?", "answer": "Tom has 3 * 12 = <<3*12=36>>36 pencils.\n#### 36"}"#;

/// What a good model writes for the variant with `boxes` boxes (not the offline text).
fn good_reply(boxes: i64) -> String {
    format!(
        "Problem:\nTom has {boxes} boxes of pencils, with 12 pencils in each box. How many \
         pencils does Tom have in all?\nSolution:\nTom has {boxes} * 12 = <<{boxes}*12={p}>>{p} pencils.\n#### {p}",
        p = boxes * 12
    )
}

/// A reply whose text states a number the variant replaced.
fn bad_reply(boxes: i64) -> String {
    format!(
        "Problem:\nTom has 3 boxes with 12 pencils in each box. How many pencils does Tom \
         have?\nSolution:\nTom has {boxes} * 12 = <<{boxes}*12={p}>>{p} pencils.\n#### {p}",
        p = boxes * 12
    )
}

fn solve_reply(answer: i64) -> String {
    json!({"work": "boxes times 12", "answer": answer}).to_string()
}

fn rate_reply() -> String {
    json!({"rationale": "States the inputs and asks for the total.", "faithfulness": 5, "fluency": 5})
        .to_string()
}

/// The content a model gives for a request body: the solve or rate JSON for the judge's
/// calls, else a good verbalization of the variant the prompt describes (its answer is in the
/// prompt: `The new program's answer: N`).
fn answer_for(body: &Value) -> String {
    let messages = body["messages"].as_array().unwrap();
    let system = messages[0]["content"].as_str().unwrap();
    let user = messages.last().unwrap()["content"].as_str().unwrap();
    if system.starts_with("You solve") {
        let boxes: i64 = user
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .expect("a number in the problem");
        return solve_reply(boxes * 12);
    }
    if system.starts_with("You review") {
        return rate_reply();
    }
    let answer: i64 = messages[3]["content"]
        .as_str()
        .unwrap()
        .split("The new program's answer: ")
        .nth(1)
        .and_then(|r| r.trim().parse().ok())
        .expect("the answer in the verbalize prompt");
    good_reply(answer / 12)
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    })
}

/// A batch output line (OpenAI's shape; vLLM's `run_batch` writes the same).
fn ok_line(reply_id: &str, custom_id: &str, content: &str) -> String {
    json!({
        "id": reply_id,
        "custom_id": custom_id,
        "response": {"status_code": 200, "request_id": "req-1", "body": completion(content)},
        "error": null
    })
    .to_string()
}

fn graft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(args)
        .env_remove("GRAFT_DATABASE_URL")
        .env_remove("GRAFT_DATA_DIR")
        .env_remove("GRAFT_LLM_MODEL")
        .env_remove("GRAFT_LLM_PROVIDER")
        .output()
        .expect("graft runs")
}

fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "graft failed: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A database with the pencil problem and three variants (5, 7 and 9 boxes): the file, the
/// dataset id and the variant ids.
async fn setup(dir: &Path) -> (PathBuf, i64, Vec<i64>) {
    let store = Store::open_data_dir(dir).await.unwrap();
    let r = store.import_jsonl("pencils", ROW).await.unwrap();
    let page = store
        .dataset(r.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap();
    let pid = page.problems[0].id;
    let g = store.problem(pid).await.unwrap().unwrap().graph.unwrap();
    let boxes = g
        .ids()
        .find(|&i| g.role(i) == Role::Input && g.value(i) == Number::from(3i64))
        .expect("the boxes input");
    let mut ids = Vec::new();
    for n in [5i64, 7, 9] {
        let op = Intervention::SetInput {
            node: boxes,
            value: Number::from(n),
        };
        ids.push(
            store
                .save_variant(pid, None, vec![op], None)
                .await
                .unwrap()
                .id,
        );
    }
    (dir.join(store::DB_FILE), r.dataset_id, ids)
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn requests(db: &Path, ds: i64, kind: &str, out: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "words",
        "requests",
        "--db",
        db.to_str().unwrap(),
        "--dataset",
        Box::leak(ds.to_string().into_boxed_str()),
        "--kind",
        kind,
        "--model",
        MODEL,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&graft(&args));
    read_lines(out)
}

fn results(db: &Path, file: &Path) -> Output {
    graft(&[
        "words",
        "results",
        "--db",
        db.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
}

fn variant_of(custom_id: &str) -> i64 {
    llm::batch::CustomId::parse(custom_id).unwrap().variant_id
}

/// The fake OpenAI-compatible endpoint for the live calls.
async fn fake_endpoint() -> String {
    async fn chat(State(()): State<()>, Json(body): Json<Value>) -> Json<Value> {
        Json(completion(&answer_for(&body)))
    }
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .with_state(());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

fn client(base_url: &str) -> Client {
    Client::new(
        Endpoint {
            base_url: base_url.into(),
            model: MODEL.into(),
            api_key: None,
            provider: Provider::Generic,
        },
        ClientConfig::default(),
    )
    .unwrap()
}

/// What two stored calls must share: everything but ids, times, latency and the batch marks.
fn call_shape(c: &store::LlmCall) -> Value {
    json!({
        "purpose": c.purpose, "prompt_version": c.prompt_version, "model": c.model,
        "request": c.request, "response": c.response, "status": c.status,
        "content": c.content, "error": c.error,
        "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_replies_are_stored_exactly_as_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (db, ds, ids) = setup(dir.path()).await;
    let req_file = dir.path().join("requests.jsonl");

    // The requests file: one verbalize line per variant lacking a model's text, each the
    // exact body the live client sends.
    let lines = requests(&db, ds, "verbalize", &req_file, &[]);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let store = Store::open_path(&db).await.unwrap();
    let live = client("http://127.0.0.1:9/v1");
    for line in &lines {
        assert_eq!(line["method"], "POST");
        assert_eq!(line["url"], "/v1/chat/completions");
        let cid = line["custom_id"].as_str().unwrap();
        let parsed = llm::batch::CustomId::parse(cid).unwrap();
        assert_eq!(parsed.kind, llm::batch::Kind::Verbalize);
        assert_eq!(parsed.attempt, 1);
        let v = store.variant(parsed.variant_id).await.unwrap().unwrap();
        let req = llm::verbalize::request(&v.parent_graph, &v.graph, &v.operations);
        assert_eq!(line["body"], live.body(&req), "the live client's body");
        assert_eq!(line.as_object().unwrap().len(), 4);
    }
    // OpenAI's own field for the token cap with --provider openai.
    let openai = requests(&db, ds, "verbalize", &req_file, &["--provider", "openai"]);
    assert!(openai[0]["body"].get("max_completion_tokens").is_some());
    let lines = requests(&db, ds, "verbalize", &req_file, &[]);

    // The same work done live in a second database (same ids), for comparison.
    let live_dir = tempfile::tempdir().unwrap();
    let (_, _, live_ids) = setup(live_dir.path()).await;
    assert_eq!(live_ids, ids);
    let live_store = Store::open_data_dir(live_dir.path()).await.unwrap();
    let endpoint = fake_endpoint().await;
    let c = client(&endpoint);
    let budget = Budget::unlimited();
    let live_words = live_store
        .verbalize_variant(ids[0], Some((&c, &budget)), None)
        .await
        .unwrap();
    assert_eq!(live_words.source.as_deref(), Some("llm"));

    // Replies as a batch server returns them: stored, then read like the live ones.
    let out_file = dir.path().join("results.jsonl");
    let out: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            ok_line(
                &format!("batch_req_{i}"),
                l["custom_id"].as_str().unwrap(),
                &answer_for(&l["body"]),
            )
        })
        .collect();
    std::fs::write(&out_file, out.join("\n") + "\n").unwrap();
    let o = results(&db, &out_file);
    let stdout = ok(&o);
    assert!(
        stdout.contains("3 stored, 0 refused, 0 skipped"),
        "{stdout}"
    );
    let batch_words = store.variant_words(ids[0]).await.unwrap();
    assert_eq!(batch_words.text, live_words.text);
    assert_eq!(batch_words.solution, live_words.solution);
    assert!(batch_words
        .solution
        .as_deref()
        .is_some_and(|s| s.ends_with("#### 60")));
    assert_eq!(batch_words.source, live_words.source);
    assert_eq!(batch_words.fallback, live_words.fallback);
    assert_eq!(batch_words.notes, live_words.notes);
    assert_eq!(batch_words.calls.len(), 1);
    assert_eq!(
        call_shape(&batch_words.calls[0]),
        call_shape(&live_words.calls[0])
    );
    assert!(batch_words.calls[0].batch_custom_id.is_some());
    assert!(live_words.calls[0].batch_custom_id.is_none());

    // Judge: both calls of every variant, now that the texts are the model's.
    let judge_file = dir.path().join("judge.jsonl");
    let jl = requests(&db, ds, "judge", &judge_file, &[]);
    assert_eq!(jl.len(), 6, "solve and rate for each variant");
    let v = store.variant(ids[0]).await.unwrap().unwrap();
    let text = batch_words.text.clone().unwrap();
    let first: Vec<&Value> = jl
        .iter()
        .filter(|l| variant_of(l["custom_id"].as_str().unwrap()) == ids[0])
        .collect();
    assert_eq!(
        first[0]["body"],
        live.body(&llm::judge::solve_request(&text))
    );
    assert_eq!(
        first[1]["body"],
        live.body(&llm::judge::rate_request(&text, &v.graph))
    );
    let out: Vec<String> = jl
        .iter()
        .enumerate()
        .map(|(i, l)| {
            ok_line(
                &format!("j{i}"),
                l["custom_id"].as_str().unwrap(),
                &answer_for(&l["body"]),
            )
        })
        .collect();
    // Only the solve replies first: the verdict waits for the ratings (incomplete).
    let (solves, rates): (Vec<_>, Vec<_>) =
        out.iter().cloned().partition(|l| l.contains(":solve:"));
    std::fs::write(&out_file, solves.join("\n")).unwrap();
    ok(&results(&db, &out_file));
    let w = store.variant_words(ids[0]).await.unwrap();
    assert_eq!(w.outcome.as_deref(), Some("incomplete"), "{:?}", w.verdict);
    std::fs::write(&out_file, rates.join("\n")).unwrap();
    ok(&results(&db, &out_file));
    let batch_words = store.variant_words(ids[0]).await.unwrap();

    let live_words = live_store
        .judge_variant(ids[0], Some((&c, &budget)), None)
        .await
        .unwrap();
    assert_eq!(batch_words.verdict, live_words.verdict, "the same verdict");
    assert_eq!(batch_words.outcome, live_words.outcome);
    assert!(
        batch_words
            .verdict
            .as_ref()
            .unwrap()
            .llm
            .as_ref()
            .unwrap()
            .answer_matches
            == Some(true)
    );
    let shapes = |w: &store::VariantWords| w.calls.iter().map(call_shape).collect::<Vec<_>>();
    assert_eq!(shapes(&batch_words), shapes(&live_words));

    // Nothing left to ask.
    let none = requests(&db, ds, "both", &req_file, &[]);
    assert!(none.is_empty(), "{none:?}");

    // A full export carries the solution, and restoring it keeps it.
    let export = dir.path().join("export.jsonl");
    let data_dir = dir.path().to_str().unwrap();
    ok(&graft(&[
        "export",
        "--dataset",
        &ds.to_string(),
        "-o",
        export.to_str().unwrap(),
        "--data-dir",
        data_dir,
    ]));
    let records = read_lines(&export);
    assert!(records.iter().any(|r| r["solution"]
        .as_str()
        .is_some_and(|s| s.ends_with("#### 60"))));
    ok(&graft(&[
        "import",
        export.to_str().unwrap(),
        "--name",
        "copy",
        "--data-dir",
        data_dir,
    ]));
    let copy = store
        .list_datasets(false)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "copy")
        .unwrap();
    let page = store.dataset_variants(copy.id, None, 0, 10).await.unwrap();
    let mut restored = Vec::new();
    for item in &page.items {
        restored.push(store.variant_words(item.id).await.unwrap().solution);
    }
    let mut original = Vec::new();
    for &id in &ids {
        original.push(store.variant_words(id).await.unwrap().solution);
    }
    assert_eq!(restored, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_are_refused_with_their_numbers_and_a_second_run_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (db, ds, ids) = setup(dir.path()).await;
    let req_file = dir.path().join("requests.jsonl");
    let lines = requests(&db, ds, "verbalize", &req_file, &[]);
    assert_eq!(lines.len(), 3);
    // Judge requests for the offline texts, written before the texts change: stale later.
    let judge_file = dir.path().join("judge.jsonl");
    let jl = requests(&db, ds, "judge", &judge_file, &[]);
    assert_eq!(jl.len(), 6);
    let cid = |i: usize| lines[i]["custom_id"].as_str().unwrap().to_string();
    let boxes =
        |i: usize| [5i64, 7, 9][ids.iter().position(|&v| v == variant_of(&cid(i))).unwrap()];

    let fake = llm::batch::CustomId {
        variant_id: ids[0],
        kind: llm::batch::Kind::Verbalize,
        fingerprint: "0123456789abcdef".into(),
        attempt: 1,
    };
    let error_line = json!({
        "id": "batch_req_e", "custom_id": cid(1), "response": null,
        "error": {"code": "server_error", "message": "the model crashed"}
    })
    .to_string();
    let status_line = json!({
        "id": "batch_req_s", "custom_id": cid(1),
        "response": {"status_code": 500, "body": {"error": {"message": "overloaded"}}},
        "error": null
    })
    .to_string();
    let file = [
        ok_line("batch_req_0", &cid(0), &good_reply(boxes(0))), // 1: stored
        ok_line("batch_req_x", &fake.to_string(), &good_reply(5)), // 2: unknown
        ok_line("batch_req_y", "request-7", &good_reply(5)),    // 3: unknown
        error_line,                                             // 4: error
        ok_line("batch_req_2", &cid(2), &bad_reply(boxes(2))),  // 5: invalid text
        "{\"id\": \"garbage".to_string(),                       // 6: unreadable
        String::new(),                                          // 7: blank
        status_line,                                            // 8: error status
        ok_line(
            "batch_req_j",
            jl[0]["custom_id"].as_str().unwrap(),
            &solve_reply(60),
        ), // 9
    ];
    let out_file = dir.path().join("results.jsonl");
    std::fs::write(&out_file, file.join("\n") + "\n").unwrap();
    let store = Store::open_path(&db).await.unwrap();
    let o = results(&db, &out_file);
    let stdout = ok(&o);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        stdout.contains("1 stored, 3 refused, 4 skipped"),
        "{stdout}\n{stderr}"
    );
    let name = out_file.display().to_string();
    for (line, reason) in [
        (2, "unknown_custom_id"),
        (3, "unknown_custom_id"),
        (4, "error_reply"),
        (5, "invalid_text"),
        (6, "unreadable"),
        (8, "error_reply"),
        (9, "stale"),
    ] {
        assert!(
            stderr.contains(&format!("{name}:{line}: {reason}:")),
            "line {line} {reason}: {stderr}"
        );
    }
    assert!(stderr.contains("the model crashed"), "{stderr}");
    assert!(stderr.contains("has changed since"), "{stderr}");
    for r in [
        "unknown_custom_id  2",
        "error_reply        2",
        "stale              1",
    ] {
        assert!(stdout.contains(r), "{r}: {stdout}");
    }

    // Only the good reply changed anything; the refused ones are recorded as calls.
    let v0 = variant_of(&cid(0));
    let w0 = store.variant_words(v0).await.unwrap();
    assert_eq!(w0.source.as_deref(), Some("llm"));
    for i in [1, 2] {
        let w = store.variant_words(variant_of(&cid(i))).await.unwrap();
        assert_eq!(w.text, None, "{w:?}");
        assert_eq!(w.verdict, None);
    }
    let w2 = store.variant_words(variant_of(&cid(2))).await.unwrap();
    assert_eq!(w2.calls.len(), 1);
    assert!(
        w2.calls[0].error.as_deref().unwrap().contains("rejected"),
        "{:?}",
        w2.calls[0]
    );
    let w1 = store.variant_words(variant_of(&cid(1))).await.unwrap();
    assert_eq!(w1.calls.len(), 2, "the error line and the error status");
    let calls: (i64,) = sqlx_count(&store, &ids).await;

    // The same file again: everything already stored or skipped, nothing twice.
    let o = results(&db, &out_file);
    let stdout = ok(&o);
    assert!(
        stdout.contains("0 stored, 0 refused, 8 skipped"),
        "{stdout}"
    );
    assert!(stdout.contains("already_stored     4"), "{stdout}");
    assert_eq!(sqlx_count(&store, &ids).await, calls);
    assert_eq!(store.variant_words(v0).await.unwrap(), w0);

    // Asking again: the two variants without a model's text; the rejected one carries its
    // reply and the complaints, as a live retry does.
    let again = requests(&db, ds, "verbalize", &req_file, &[]);
    assert_eq!(again.len(), 2, "{again:?}");
    let retry = again
        .iter()
        .find(|l| variant_of(l["custom_id"].as_str().unwrap()) == variant_of(&cid(2)))
        .unwrap();
    let parsed = llm::batch::CustomId::parse(retry["custom_id"].as_str().unwrap()).unwrap();
    assert_eq!(parsed.attempt, 2);
    let msgs = retry["body"]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 6);
    assert_eq!(msgs[4]["role"], "assistant");
    assert!(msgs[5]["content"]
        .as_str()
        .unwrap()
        .contains("not acceptable"));
    // Its good reply is stored.
    let fixed = ok_line(
        "batch_req_r",
        retry["custom_id"].as_str().unwrap(),
        &good_reply(boxes(2)),
    );
    std::fs::write(&out_file, fixed).unwrap();
    assert!(ok(&results(&db, &out_file)).contains("1 stored"));
    let w2 = store.variant_words(variant_of(&cid(2))).await.unwrap();
    assert_eq!(w2.source.as_deref(), Some("llm"));
    assert!(w2
        .solution
        .as_deref()
        .unwrap()
        .ends_with(&format!("#### {}", boxes(2) * 12)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (db, ds, _) = setup(dir.path()).await;
    let missing = dir.path().join("nope.sqlite3");
    let o = graft(&[
        "words",
        "results",
        "--db",
        missing.to_str().unwrap(),
        "x.jsonl",
    ]);
    assert!(!o.status.success());
    let o = graft(&[
        "words",
        "requests",
        "--db",
        db.to_str().unwrap(),
        "--dataset",
        "999",
        "--model",
        MODEL,
        "--out",
        dir.path().join("r.jsonl").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("999"), "{o:?}");
    let o = graft(&[
        "words",
        "requests",
        "--db",
        db.to_str().unwrap(),
        "--dataset",
        &ds.to_string(),
        "--model",
        MODEL,
        "--kind",
        "everything",
        "--out",
        "r.jsonl",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("verbalize, judge or both"),
        "{o:?}"
    );
    let o = results(&db, &dir.path().join("missing.jsonl"));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot open"),
        "{o:?}"
    );
}

async fn sqlx_count(store: &Store, ids: &[i64]) -> (i64,) {
    let mut n = 0;
    for &id in ids {
        n += store
            .variant_words(id)
            .await
            .map(|w| w.calls.len() as i64)
            .unwrap_or(0);
    }
    (n,)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_a_one_connection_store_and_into_a_closure() {
    // An in-memory store has a single connection: building the requests must not hold it.
    let store = Store::open("sqlite::memory:").await.unwrap();
    let r = store.import_jsonl("pencils", ROW).await.unwrap();
    let page = store
        .dataset(r.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap();
    let pid = page.problems[0].id;
    let g = store.problem(pid).await.unwrap().unwrap().graph.unwrap();
    let boxes = g
        .ids()
        .find(|&i| g.role(i) == Role::Input && g.value(i) == Number::from(3i64))
        .unwrap();
    let op = Intervention::SetInput {
        node: boxes,
        value: Number::from(4i64),
    };
    store.save_variant(pid, None, vec![op], None).await.unwrap();
    let mut lines = Vec::new();
    let mut sink = |l: &str| -> std::io::Result<()> {
        lines.push(l.to_string());
        Ok(())
    };
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        store.words_requests(
            r.dataset_id,
            store::WordsKind::Both,
            false,
            MODEL,
            Provider::Generic,
            &mut sink,
        ),
    )
    .await
    .expect("no deadlock")
    .unwrap();
    assert_eq!((report.verbalize, report.solve, report.rate), (1, 0, 0));
    assert_eq!(lines.len(), 1);
    let e = store
        .words_requests(
            r.dataset_id,
            store::WordsKind::Judge,
            false,
            " ",
            Provider::Generic,
            &mut |_: &str| Ok(()),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("--model"), "{e}");
}
