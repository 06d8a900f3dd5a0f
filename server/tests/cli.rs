//! End-to-end tests of the `graft` command line: the real binary on real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn graft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(args)
        .output()
        .expect("the graft binary runs")
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/demo.jsonl")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn summary(o: &Output) -> serde_json::Value {
    let out = stdout(o);
    let last = out.lines().last().expect("some output");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line is JSON ({e}): {out}"))
}

#[test]
fn extract_covers_the_demo_set() {
    let o = graft(&[
        "extract",
        "--input",
        demo().to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&o);
    let total = s["total"].as_u64().unwrap();
    assert!(total >= 20);
    assert_eq!(s["extracted"].as_u64().unwrap(), total, "{s}");
    assert_eq!(s["answer_matches"].as_u64().unwrap(), total, "{s}");
    assert_eq!(
        s["flawed"],
        serde_json::json!({}),
        "no demo problem is flawed: {s}"
    );
}

#[test]
fn extract_defaults_to_the_embedded_demo_set() {
    let o = graft(&["extract", "--summary-json"]);
    assert!(o.status.success());
    let s = summary(&o);
    let lines = std::fs::read_to_string(demo()).unwrap().lines().count() as u64;
    assert_eq!(s["total"].as_u64(), Some(lines));
    assert_eq!(s["answer_matches"].as_u64(), Some(lines));
}

#[test]
fn extract_reports_malformed_lines_and_goes_on() {
    let dir = tempdir();
    let file = dir.join("mixed.jsonl");
    let good = std::fs::read_to_string(demo()).unwrap();
    let first = good.lines().next().unwrap();
    std::fs::write(
        &file,
        format!("{first}\nnot json at all\n\n{{\"question\": \"no answer\"}}\n{first}\n"),
    )
    .unwrap();
    let o = graft(&[
        "extract",
        "--input",
        file.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(o.status.success());
    let s = summary(&o);
    assert_eq!(s["total"], 4);
    assert_eq!(s["extracted"], 2);
    assert_eq!(s["failures"]["malformed_row"], 2);
    let text = stdout(&o);
    assert!(text.contains("line 2:"), "{text}");
    assert!(text.contains("line 4:"), "{text}");
}

#[test]
fn a_line_too_long_to_be_a_problem_is_one_bad_row() {
    let dir = tempdir();
    let file = dir.join("long.jsonl");
    let good = std::fs::read_to_string(demo()).unwrap();
    let first = good.lines().next().unwrap();
    // 5 MiB on one line (more than any problem within the limits), then good rows; the last
    // long line has no newline at all.
    let long = format!("{{\"question\": \"{}\"}}", "x".repeat(5 << 20));
    std::fs::write(&file, format!("{first}\n{long}\n{first}\n{long}")).unwrap();
    let o = graft(&[
        "extract",
        "--input",
        file.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&o);
    assert_eq!(s["total"], 4, "{s}");
    assert_eq!(s["extracted"], 2, "{s}");
    assert_eq!(s["failures"]["malformed_row"], 2, "{s}");
    let text = stdout(&o);
    assert!(
        text.contains("line 2: ") && text.contains("longer than 4 MiB"),
        "{text}"
    );
    assert!(text.contains("line 4: "), "{text}");
}

#[test]
fn missing_input_is_a_clear_error() {
    let o = graft(&["extract", "--input", "/nonexistent/problems.jsonl"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/nonexistent/problems.jsonl") && err.contains("--input"),
        "{err}"
    );
}

#[test]
fn generate_writes_reproducible_verified_variants() {
    let dir = tempdir();
    let input = demo();
    let run = |name: &str| {
        let out = dir.join(name);
        let mut args = vec![
            "generate",
            "--input",
            input.to_str().unwrap(),
            "--rounds",
            "4",
            "--per-problem",
            "2",
            "--seed",
            "7",
            "--negatives",
            "--out",
            out.to_str().unwrap(),
        ];
        if name.starts_with("full") {
            args.push("--full");
        }
        let o = graft(&args);
        assert!(
            o.status.success(),
            "{}{}",
            stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::read_to_string(out).unwrap()
    };
    let first = run("a.jsonl");
    assert_eq!(first, run("b.jsonl"), "the same seed gives the same bytes");
    let full = run("full.jsonl");
    assert_eq!(first.lines().count(), full.lines().count());
    let mut depth_by_round = [(0u64, 0u64); 5];
    let mut negatives = 0;
    for (line, full) in first.lines().zip(full.lines()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        // Lean by default: no graph and no steps.
        assert!(v.get("graph").is_none() && v.get("steps").is_none(), "{v}");
        // --full: the same record with the graph and the steps.
        let mut f: serde_json::Value = serde_json::from_str(full).unwrap();
        // Deserializing a graph evaluates it from scratch.
        let g: engine::Graph = serde_json::from_value(f["graph"].clone()).unwrap();
        assert_eq!(g.answer_value().to_string(), v["answer"].as_str().unwrap());
        assert!(f["steps"].as_array().is_some_and(|s| !s.is_empty()), "{f}");
        let obj = f.as_object_mut().unwrap();
        obj.remove("graph");
        obj.remove("steps");
        assert_eq!(f, v, "a full record is the lean one plus graph and steps");
        // The program reads back to the graph.
        let program = v["program"].as_str().unwrap();
        let reparsed = engine::python::parse_program(program, g.question()).unwrap();
        assert!(reparsed.same_as(&g), "{program}");
        let neg = &v["negative"];
        if let Some(first) = neg["first_error"].as_u64() {
            negatives += 1;
            let correct: Vec<bool> = neg["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["correct"].as_bool().unwrap())
                .collect();
            let first = first as usize;
            assert!(
                correct[..first].iter().all(|c| *c) && !correct[first],
                "{neg}"
            );
        }
        let round = v["round"].as_u64().unwrap() as usize;
        depth_by_round[round].0 += v["metrics"]["depth"].as_u64().unwrap();
        depth_by_round[round].1 += 1;
    }
    let means: Vec<f64> = depth_by_round[1..]
        .iter()
        .map(|(s, n)| *s as f64 / (*n).max(1) as f64)
        .collect();
    assert!(depth_by_round[1].1 >= 40, "{depth_by_round:?}");
    let variants = first.lines().count();
    assert!(
        negatives * 10 >= variants * 9,
        "{negatives} negatives for {variants} variants"
    );
    assert!(
        means.windows(2).all(|w| w[0] < w[1]),
        "mean depth rises: {means:?}"
    );
}

/// A row whose own solution goes below zero is left out, with the reason and the way to keep
/// it; `--keep-flawed` keeps it.
#[test]
fn generate_leaves_out_flawed_originals_unless_asked_to_keep_them() {
    let dir = tempdir();
    let input = dir.join("rows.jsonl");
    let row = |eaten: u32| {
        serde_json::json!({
            "input": format!("Jean has 30 lollipops. Jean eats {eaten} of the lollipops. How many lollipops does Jean have left?"),
            "code": format!("def solution():\n    have = 30\n    eaten = {eaten}\n    left = have - eaten\n    return left\n"),
        })
        .to_string()
    };
    std::fs::write(&input, format!("{}\n{}\n", row(8714250), row(8))).unwrap();
    let run = |keep: bool| {
        let out = dir.join(format!("keep-{keep}.jsonl"));
        let mut args = vec![
            "generate",
            "--input",
            input.to_str().unwrap(),
            "--rounds",
            "2",
            "--out",
            out.to_str().unwrap(),
        ];
        if keep {
            args.push("--keep-flawed");
        }
        let o = graft(&args);
        assert!(
            o.status.success(),
            "{}{}",
            stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (o, lines)
    };
    let (o, lines) = run(false);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("rows.jsonl:1: skipped: flawed_original: the solution gives -8714220 for `left` (the answer): below zero"),
        "{err}"
    );
    let out = stdout(&o);
    assert!(
        out.contains("problems skipped (flawed_original): 1"),
        "{out}"
    );
    assert!(out.contains("--keep-flawed"), "{out}");
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|v| v["source_line"] == 2),
        "only the sound row: {lines:?}"
    );
    let (o, kept) = run(true);
    assert!(!stdout(&o).contains("flawed_original"), "{}", stdout(&o));
    assert!(
        kept.iter().any(|v| v["source_line"] == 1),
        "the flawed row is kept: {kept:?}"
    );
    assert!(kept.len() > lines.len());
    // `extract` counts it, by kind, with the line and the reason.
    let o = graft(&[
        "extract",
        "--input",
        input.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&o);
    assert_eq!(s["answer_matches"], 2, "{s}");
    assert_eq!(s["flawed"], serde_json::json!({"negative": 1}), "{s}");
    let out = stdout(&o);
    assert!(out.contains("flawed originals: 1"), "{out}");
    assert!(out.contains("line 1: the solution gives -8714220"), "{out}");
}

#[test]
fn generate_rejects_rounds_outside_one_to_eight() {
    let o = graft(&[
        "generate",
        "--input",
        demo().to_str().unwrap(),
        "--rounds",
        "9",
        "--out",
        "/dev/null",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--rounds"));
}

/// A fresh directory under the target dir for one test.
fn tempdir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn generate_verbalizes_and_judges_offline_and_stops_clearly_when_the_model_is_down() {
    let dir = tempdir();
    let out = dir.join("judged.jsonl");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "generate", "--rounds", "2", "--limit", "3", "--judge", "--out",
        ];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_graft"))
            .args(&args)
            .env_remove("GRAFT_LLM_BASE_URL")
            .env_remove("GRAFT_LLM_MODEL")
            .output()
            .expect("the graft binary runs")
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no model configured"));
    assert!(stdout(&o).contains("judged:"), "{}", stdout(&o));
    // Offline, no text is "checked by a solver": the verdict says linted at best (issue #11).
    assert!(
        stdout(&o).contains("0 checked by a solver (0 agreed)")
            && stdout(&o).contains("linted only")
            && !stdout(&o).contains("pass every check"),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!records.is_empty());
    for r in &records {
        assert!(r["text"].as_str().is_some_and(|t| t.len() > 20), "{r}");
        assert_eq!(r["text_source"], "offline");
        assert_eq!(r["verdict"]["execution"]["ok"], true, "{r}");
        assert!(r["verdict"].get("llm").is_none(), "an offline verdict");
        assert!(r["verdict"]["lint"]["ok"].is_boolean(), "the lint ran: {r}");
        assert!(r.get("llm_calls").is_none());
    }

    // A model that is down: a clear error naming the endpoint, not a pile of offline texts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let o = run(&[
        "--llm-base-url",
        &url,
        "--llm-model",
        "m",
        "--llm-retries",
        "0",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot reach") && err.contains(&port.to_string()),
        "{err}"
    );
    assert!(err.contains("stopped at"), "{err}");

    // A base URL without a model name is refused up front.
    let o = run(&["--llm-base-url", &url]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("GRAFT_LLM_MODEL"));
}

/// `graft score`: each generated variant's own worked solution scores correct with no −1; the
/// same solution with its first result off by one has its first error at that line; unknown
/// ids and unreadable lines are reported and skipped; the report has accuracy by round.
#[test]
fn score_labels_model_solutions_of_generated_variants() {
    let dir = tempdir();
    let variants = dir.join("score-variants.jsonl");
    let o = graft(&[
        "generate",
        "--rounds",
        "2",
        "--seed",
        "5",
        "--verbalize",
        "--out",
        variants.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut lines = Vec::new();
    let mut slipped = std::collections::BTreeSet::new();
    for line in std::fs::read_to_string(&variants).unwrap().lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(id), Some(solution)) = (v["id"].as_str(), v["solution"].as_str()) else {
            continue;
        };
        lines.push(serde_json::json!({"id": id, "solution": solution}).to_string());
        // The first line's result, one more: `= <<a*b=c>>c` becomes `= c+1`.
        let first = solution.lines().next().unwrap();
        let clean: String = {
            let mut s = String::new();
            let mut rest = first;
            while let Some(i) = rest.find("<<") {
                s.push_str(&rest[..i]);
                rest = rest[i..].split_once(">>").map_or("", |x| x.1);
            }
            s.push_str(rest);
            s
        };
        let Some((lhs, rhs)) = clean.split_once(" = ") else {
            continue;
        };
        let digits: String = rhs
            .trim_start_matches('$')
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let Ok(n) = digits.parse::<u64>() else {
            continue;
        };
        let rest_of_line = &rhs[rhs.find(&digits).unwrap() + digits.len()..];
        let slip = format!(
            "{lhs} = {}{rest_of_line}\n#### {}",
            n + 1,
            v["answer"].as_str().unwrap()
        );
        lines.push(serde_json::json!({"id": id, "completion": slip}).to_string());
        slipped.insert(id.to_string());
    }
    assert!(slipped.len() >= 10, "{slipped:?}");
    lines.push(serde_json::json!({"id": "no-such-variant", "solution": "#### 1"}).to_string());
    lines.push("not json".to_string());
    let solutions = dir.join("score-solutions.jsonl");
    std::fs::write(&solutions, lines.join("\n")).unwrap();
    let out = dir.join("score-labelled.jsonl");
    let o = graft(&[
        "score",
        "--variants",
        variants.to_str().unwrap(),
        "--solutions",
        solutions.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("no variant \"no-such-variant\""), "{err}");
    assert!(
        err.contains("line ") && err.contains("2 lines refused"),
        "{err}"
    );
    assert!(
        err.contains("accuracy") && err.contains("round  2"),
        "{err}"
    );
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), lines.len() - 2);
    for r in &records {
        let id = r["id"].as_str().unwrap();
        if r["sample"] == 0 {
            assert_eq!(r["score"], "correct", "{r}");
            assert!(
                r["first_error"].is_null(),
                "the worked solution of {id}: {r}"
            );
        } else {
            assert!(slipped.contains(id));
            assert_eq!(r["first_error"], 0, "the slip of {id}: {r}");
            let reason = r["steps"][0]["reason"].as_str().unwrap();
            assert!(reason.contains("wrong arithmetic"), "{r}");
        }
    }
}

/// `graft solve`: a solve job from the command line against a scripted OpenAI-compatible
/// endpoint (real HTTP on 127.0.0.1): every variant's samples stored, scored and counted; no
/// model is a clear error.
#[test]
fn solve_runs_a_solve_job_from_the_command_line() {
    use axum::routing::post;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let base_url = rt.block_on(async {
        async fn chat() -> axum::Json<serde_json::Value> {
            axum::Json(serde_json::json!({
                "id": "c", "object": "chat.completion", "model": "scripted",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                    "content": "First, 2 + 2 = 4.\n#### 4"}}]
            }))
        }
        let app = axum::Router::new().route("/v1/chat/completions", post(chat));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    });
    let dir = tempdir().join("solve-data");
    let _ = std::fs::remove_dir_all(&dir);
    // The demo set with two variants of its first problem, made on a runtime of its own that
    // is gone (with its job runner) before `graft solve` runs its own.
    let setup = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    setup.block_on(async {
        let store = store::Store::open_data_dir(&dir).await.unwrap();
        let demo = store.ensure_demo().await.unwrap().unwrap();
        let page = store
            .dataset(demo.dataset_id, None, Some(1))
            .await
            .unwrap()
            .unwrap();
        let mut spec = types::model::JobSpec::curriculum(demo.dataset_id, 1, 2, 9);
        spec.problem_id = Some(page.problems[0].id);
        let job = store.create_job(&spec).await.unwrap();
        let _runner = store.spawn_job_runner();
        loop {
            let s = store.job(job).await.unwrap().unwrap();
            if s.state.is_finished() {
                assert_eq!(s.variants_made, 2, "{s:?}");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    drop(setup);
    let data = dir.to_str().unwrap();
    let o = graft(&["solve", "--dataset", "demo", "--data-dir", data]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("needs a model"), "{err}");
    let o = graft(&[
        "solve",
        "--dataset",
        "demo",
        "--data-dir",
        data,
        "--samples",
        "2",
        "--temperature",
        "0.5",
        "--llm-base-url",
        &base_url,
        "--llm-model",
        "scripted",
    ]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("2 of 2 variants, 4 solutions stored"), "{out}");
    drop(rt);
}

/// `graft eval report`: a clear message with the way to get solutions when there are none; an
/// unknown dataset names the datasets there are; the table has a row per depth, round and kind
/// with n, accuracy and the 95% interval, and a pass@k line; `--json` prints the report;
/// `--db FILE` and `--data-dir DIR` find the same database.
#[test]
fn eval_report_prints_accuracy_by_depth_round_and_kind() {
    let dir = tempdir().join("eval-data");
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().unwrap().to_string();
    let setup = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The demo set, and one variant of its first problem (an input set to a new value).
    let (variant, answer) = setup.block_on(async {
        let store = store::Store::open_data_dir(&dir).await.unwrap();
        let demo = store.ensure_demo().await.unwrap().unwrap();
        let page = store
            .dataset(demo.dataset_id, None, Some(1))
            .await
            .unwrap()
            .unwrap();
        let p = page.problems[0].id;
        let graph = store.problem(p).await.unwrap().unwrap().graph.unwrap();
        let input = graph
            .ids()
            .find(|&id| matches!(graph.node(id).kind, engine::NodeKind::Input { .. }))
            .unwrap();
        let op = engine::intervene::Intervention::SetInput {
            node: input,
            value: graph.value(input).add(engine::Number::from(1)).unwrap(),
        };
        let v = store
            .save_variant(p, None, vec![op], None)
            .await
            .unwrap()
            .id;
        let answer = store
            .variant(v)
            .await
            .unwrap()
            .unwrap()
            .graph
            .answer_value();
        (v, answer)
    });

    let o = graft(&["eval", "report", "--dataset", "demo", "--data-dir", &data]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("no stored model solutions") && out.contains("graft solve --dataset"),
        "{out}"
    );
    let o = graft(&["eval", "report", "--dataset", "nope", "--data-dir", &data]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no dataset is named or numbered \"nope\"") && err.contains("\"demo\""),
        "{err}"
    );
    let missing = dir.join("missing.sqlite3");
    let o = graft(&[
        "eval",
        "report",
        "--dataset",
        "demo",
        "--db",
        missing.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no database file at --db"),
        "{o:?}"
    );

    // Two models: "a" right, wrong, right on the variant; "b" once, with no answer.
    setup.block_on(async {
        let store = store::Store::open_data_dir(&dir).await.unwrap();
        for (model, text) in [
            ("a", format!("#### {answer}")),
            ("a", "#### 0.5".to_string()),
            ("a", format!("So {answer}.\n#### {answer}")),
            ("b", "I cannot tell.".to_string()),
        ] {
            let new = types::model::NewSolution {
                model: model.into(),
                solution: text,
                prompt_version: String::new(),
            };
            store.add_solution(variant, &new).await.unwrap();
        }
    });
    drop(setup);

    let db = dir.join("graft.sqlite3");
    let o = graft(&[
        "eval",
        "report",
        "--dataset",
        "demo",
        "--db",
        db.to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("4 solutions by 2 models"), "{out}");
    assert!(
        out.contains("model a: 3 solutions of 1 variant (0 unparseable), accuracy 66.7%"),
        "{out}"
    );
    assert!(
        out.contains("model b: 1 solution of 1 variant (1 unparseable)"),
        "{out}"
    );
    let (lo, hi) = engine::labels::eval::wilson(2, 3);
    let interval = format!("[{:.1}–{:.1}%]", 100.0 * lo, 100.0 * hi);
    for label in ["round 1", "kind set input"] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} row: {out}"));
        assert!(
            line.contains("3        2     66.7%") && line.contains(&interval),
            "{line}"
        );
    }
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("depth ")),
        "{out}"
    );
    assert!(
        out.contains("pass@1 66.7% (1), pass@2 100.0% (1), pass@3 100.0% (1)"),
        "{out}"
    );

    let o = graft(&[
        "eval",
        "report",
        "--dataset",
        "demo",
        "--data-dir",
        &data,
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = summary(&o);
    assert_eq!(r["solutions"], 4);
    assert_eq!(r["models"][0]["model"], "a");
    assert_eq!(r["models"][0]["overall"]["correct"], 2);
    assert_eq!(r["models"][0]["by_kind"][0]["kind"], "set_input");
    assert_eq!(r["models"][1]["overall"]["unparseable"], 1);
}
