//! Graft against a real model: llama.cpp's server with SmolLM2-135M (`scripts/local-llm`),
//! spoken to over HTTP, with a small fault-injecting proxy in front of it for the failures a
//! real endpoint has (429 with `Retry-After`, 5xx, slow answers, bodies that are not JSON, a
//! server that is down).
//!
//! The model's answers are weak; these tests check Graft's behaviour (requests, parsing,
//! constrained JSON, validation, fallback, retries, timeouts, recorded exchanges, jobs that
//! pause and resume), not the model's wisdom.

// The SERIAL guard is held on purpose across the awaits of a whole test: each test has its own
// runtime, so the only waiting is between tests, which is what it is for.
#![allow(clippy::await_holding_lock)]

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use common::*;
use engine::curriculum::{generate, CurriculumConfig};
use engine::problem::{extract, Problem};
use engine::Graph;
use llm::client::{ChatRequest, Message};
use llm::{Budget, Client, ClientConfig, Endpoint, LlmError, Provider};
use serde_json::{json, Value};

/// One test at a time: each starts its own single-threaded model server, and two on a
/// 2-core machine slow each other down many times over.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The local model server (`scripts/local-llm serve PORT`), killed when dropped.
struct LocalLlm {
    child: Child,
    url: String,
}

impl Drop for LocalLlm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LocalLlm {
    /// Starts it on `port` (0: a free one), installing it first if needed.
    fn start(port: u16) -> LocalLlm {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/local-llm");
        let mut child = Command::new(script)
            .args(["serve", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("scripts/local-llm runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the local model prints its address");
        let url = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("scripts/local-llm serve printed {line:?}"))
            .to_string();
        LocalLlm { child, url }
    }
}

/// What the proxy does with the next request.
#[derive(Debug, Clone)]
enum Fault {
    /// Answer this status (with `Retry-After` seconds, if given) and a small JSON error.
    Status(u16, Option<u64>),
    /// Wait, then forward.
    Delay(Duration),
    /// Answer 200 with a body that is not JSON.
    NotJson,
}

/// A request the proxy received: its Authorization header and its body.
type Seen = (Option<String>, Value);

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    /// The Authorization header and body of every request received.
    seen: Arc<Mutex<Vec<Seen>>>,
    http: reqwest::Client,
}

/// A proxy in front of the model: forwards `/v1/chat/completions`, unless a fault is queued.
struct Proxy {
    url: String,
    state: ProxyState,
    _server: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let state = ProxyState {
            upstream: upstream.trim_end_matches('/').to_string(),
            faults: Arc::default(),
            seen: Arc::default(),
            http: reqwest::Client::new(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", axum::routing::post(forward))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Proxy {
            url: format!("http://{addr}/v1"),
            state,
            _server: server,
        }
    }

    fn queue(&self, faults: &[Fault]) {
        self.state
            .faults
            .lock()
            .unwrap()
            .extend(faults.iter().cloned());
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

async fn forward(State(s): State<ProxyState>, headers: HeaderMap, body: Bytes) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.seen.lock().unwrap().push((auth, json));
    let fault = s.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::Status(code, retry_after)) => {
            let mut r = (
                StatusCode::from_u16(code).unwrap(),
                r#"{"error":{"message":"injected by the test proxy"}}"#,
            )
                .into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", secs.to_string().parse().unwrap());
            }
            return r;
        }
        Some(Fault::NotJson) => return (StatusCode::OK, "this is not JSON {").into_response(),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    match s
        .http
        .post(format!("{}/v1/chat/completions", s.upstream))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
            (status, r.text().await.unwrap_or_default()).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

fn client(base_url: &str, config: ClientConfig, key: Option<&str>) -> Client {
    Client::new(
        Endpoint {
            base_url: base_url.to_string(),
            model: "smollm2-135m".into(),
            api_key: key.map(str::to_string),
            provider: Provider::LlamaCpp,
        },
        config,
    )
    .expect("a valid endpoint")
}

fn quick() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_secs(120),
        max_retries: 2,
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(5),
        ..ClientConfig::default()
    }
}

/// The first demo problem's graph and a one-round variant's operations.
fn demo_variant() -> (Graph, Vec<engine::intervene::Intervention>, Graph) {
    let line = demo_lines().into_iter().next().unwrap();
    let original = extract(&Problem::from_json(&line).unwrap()).unwrap().graph;
    let cfg = CurriculumConfig {
        rounds: 1,
        per_problem: 1,
        seed: 7,
        ..CurriculumConfig::default()
    };
    let chain = generate(&original, "demo-0", &cfg).unwrap().remove(0);
    let v = chain.variants.into_iter().next().expect("one variant");
    (original, v.operations, v.graph)
}

fn small_request(text: &str) -> ChatRequest {
    ChatRequest {
        purpose: "test",
        prompt_version: "test-v1",
        messages: vec![Message::user(text)],
        schema: None,
        max_tokens: 16,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbalize_judge_and_extract_against_the_real_model() {
    let _serial = serial();
    let model = LocalLlm::start(0);
    let proxy = Proxy::start(&model.url).await;
    let c = client(&proxy.url, quick(), None);
    let budget = Budget::unlimited();

    // Deterministic: the same request twice gives the same answer.
    let req = small_request("Name three colours.");
    let (a, ra) = c.chat(&req, &budget).await;
    let (_, rb) = c.chat(&req, &budget).await;
    assert_eq!(ra.as_ref().unwrap(), rb.as_ref().unwrap());
    assert_eq!(a.status, Some(200));
    assert!(a.prompt_tokens.unwrap_or(0) > 0, "{a:?}");
    let raw: Value = serde_json::from_str(a.response.as_deref().unwrap()).unwrap();
    assert!(raw["choices"].is_array(), "the raw response is kept: {raw}");
    let (_, body) = &proxy.seen()[0];
    assert_eq!(body["temperature"], 0);
    assert_eq!(
        body["cache_prompt"], false,
        "llama.cpp's prompt cache is off: {body}"
    );

    // Verbalize: the model's text is validated; a rejected text falls back to the offline
    // verbalizer with the reason.
    let (original, ops, variant) = demo_variant();
    let run = llm::verbalize::verbalize(Some((&c, &budget)), &original, &ops, 2).await;
    let v = run.result.expect("a text, from the model or the fallback");
    assert!(!run.exchanges.is_empty());
    assert!(run.exchanges.iter().all(|e| e.purpose == "verbalize"
        && e.prompt_version == llm::verbalize::PROMPT_VERSION
        && e.status == Some(200)
        && e.response.is_some()));
    match v.source {
        llm::verbalize::TextSource::Llm => {
            engine::verbalize::validate(&original, &variant, &v.text).expect("validated text")
        }
        llm::verbalize::TextSource::Offline => {
            let why = v.fallback.expect("the reason for the fallback");
            assert!(why.contains("rejected") || why.contains("usable"), "{why}");
            assert_eq!(run.exchanges.len(), 2, "asked again with the complaint");
            let second = &run.exchanges[1].request["messages"];
            let last = second.as_array().unwrap().last().unwrap();
            assert!(
                last["content"].as_str().unwrap().contains("not acceptable"),
                "the retry carries the validator's complaint: {last}"
            );
        }
    }

    // Judge: both calls constrained by a JSON schema and parsed strictly.
    let run = llm::judge::judge(
        Some((&c, &budget)),
        &original,
        &variant,
        &v.text,
        &variant.answer_value().to_string(),
        2,
    )
    .await;
    let verdict = run.result.expect("a verdict");
    assert!(verdict.execution.ok, "{verdict:?}");
    let j = verdict.llm.expect("the LLM judgement");
    assert_eq!(j.model, "smollm2-135m");
    assert!(
        j.error.is_some()
            || (j.faithfulness.is_some_and(|f| (1..=5).contains(&f)) && j.answer.is_some()),
        "{j:?}"
    );
    for e in &run.exchanges {
        assert_eq!(
            e.request["response_format"]["type"], "json_schema",
            "{}",
            e.request
        );
    }

    // Extract: a program in Graft's subset, checked against the known answer, else retried
    // with the error and given up on with every reason.
    let q = "Tom has 3 apples and buys 5 more apples. How many apples does Tom have?";
    let run = llm::extract::extract(&c, &budget, q, Some(8.0), 2).await;
    match run.result {
        Ok(ex) => {
            assert!(engine::problem::close_to(ex.graph.answer_value(), 8.0));
            assert!(ex.code.contains("def solution"));
        }
        Err(llm::Failure::GaveUp(reasons)) => {
            assert_eq!(reasons.len(), 2, "{reasons:?}");
            assert_eq!(run.exchanges.len(), 2);
        }
        Err(e) => panic!("unexpected failure: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_timeouts_and_bad_answers_through_a_faulty_proxy() {
    let _serial = serial();
    let model = LocalLlm::start(0);
    let proxy = Proxy::start(&model.url).await;
    let c = client(&proxy.url, quick(), Some("sk-test-secret"));
    let budget = Budget::unlimited();
    let req = small_request("Say hi.");

    // 429 with Retry-After: waits as asked, then succeeds.
    proxy.queue(&[Fault::Status(429, Some(1))]);
    let t = Instant::now();
    let (ex, r) = c.chat(&req, &budget).await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(ex.attempts, 2);
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert!(ex.retries[0].contains("429"), "{:?}", ex.retries);

    // 503 twice: retried with backoff.
    proxy.queue(&[Fault::Status(503, None), Fault::Status(503, None)]);
    let (ex, r) = c.chat(&req, &budget).await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(ex.attempts, 3);

    // A 429 that asks for an hour: no hour-long wait, a clear error.
    proxy.queue(&[Fault::Status(429, Some(3600))]);
    let t = Instant::now();
    let (_, r) = c.chat(&req, &budget).await;
    assert!(
        matches!(r, Err(LlmError::RateLimited { secs: 3600, .. })),
        "{r:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(5));

    // A 400 is not retried.
    proxy.queue(&[Fault::Status(400, None)]);
    let (ex, r) = c.chat(&req, &budget).await;
    assert!(
        matches!(r, Err(LlmError::Status { status: 400, .. })),
        "{r:?}"
    );
    assert_eq!(ex.attempts, 1);

    // A body that is not JSON: a clear error, the raw body kept.
    proxy.queue(&[Fault::NotJson]);
    let (ex, r) = c.chat(&req, &budget).await;
    match r {
        Err(LlmError::BadResponse(m)) => assert!(m.contains("not valid JSON"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(ex.response.as_deref(), Some("this is not JSON {"));

    // Slower than the timeout: a timeout, which is an outage.
    let impatient = client(
        &proxy.url,
        ClientConfig {
            timeout: Duration::from_secs(1),
            max_retries: 0,
            ..quick()
        },
        None,
    );
    proxy.queue(&[Fault::Delay(Duration::from_secs(3))]);
    let (_, r) = impatient.chat(&req, &budget).await;
    let e = r.unwrap_err();
    assert!(matches!(e, LlmError::Timeout { .. }), "{e:?}");
    assert!(e.is_outage());

    // The key goes in the header, never into what is recorded.
    let seen = proxy.seen();
    assert!(seen
        .iter()
        .any(|(auth, _)| auth.as_deref() == Some("Bearer sk-test-secret")));
    assert!(!serde_json::to_string(&ex)
        .unwrap()
        .contains("sk-test-secret"));
    assert!(!format!("{c:?}").contains("sk-test-secret"));

    // A budget of one request: the judge's second call is refused and says so.
    let (original, _, variant) = demo_variant();
    let one = Budget::new(1, 0);
    let run = llm::judge::judge(
        Some((&c, &one)),
        &original,
        &variant,
        "some text",
        &variant.answer_value().to_string(),
        1,
    )
    .await;
    let j = run.result.unwrap().llm.unwrap();
    assert!(j.error.as_deref().unwrap_or("").contains("budget"), "{j:?}");
    assert_eq!(one.used(), 1);

    // Verbalize with a broken answer falls back to the offline text, with the reason.
    let (original, ops, _) = demo_variant();
    proxy.queue(&[Fault::NotJson]);
    let run = llm::verbalize::verbalize(Some((&c, &budget)), &original, &ops, 2).await;
    let v = run.result.unwrap();
    assert_eq!(v.source, llm::verbalize::TextSource::Offline);
    assert!(v.fallback.unwrap().contains("not valid JSON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_is_a_clear_outage() {
    let _serial = serial();
    let port = free_port();
    let c = client(&format!("http://127.0.0.1:{port}/v1"), quick(), None);
    let (ex, r) = c.chat(&small_request("hi"), &Budget::unlimited()).await;
    let e = r.unwrap_err();
    assert!(matches!(e, LlmError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains(&port.to_string()), "{e}");
    assert!(e.is_outage());
    assert_eq!(ex.attempts, 3, "the first try and two retries");
    let (original, ops, _) = demo_variant();
    let run = llm::verbalize::verbalize(Some((&c, &Budget::unlimited())), &original, &ops, 2).await;
    assert!(
        run.result.unwrap_err().is_outage(),
        "an outage is not papered over"
    );
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn wait_state(addr: SocketAddr, job: i64) -> Value {
    wait_done(addr, job)
}

#[test]
fn jobs_pause_while_the_model_is_down_and_resume_without_losing_anything() {
    let _serial = serial();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/v1");
    let dir = data_dir();
    let server = start_with(
        dir.path(),
        &[
            ("GRAFT_LLM_BASE_URL", &base),
            ("GRAFT_LLM_MODEL", "smollm2-135m"),
            ("GRAFT_LLM_PROVIDER", "llamacpp"),
            ("GRAFT_LLM_API_KEY", "sk-never-shown"),
            ("GRAFT_LLM_RETRIES", "1"),
        ],
    );
    let addr = server.addr;
    let (pid, _) = first_demo_problem(addr);
    let ds = datasets(addr)[0]["id"].as_i64().unwrap();
    let (status, job) = post_json(
        addr,
        "/api/jobs",
        &json!({"dataset_id": ds, "problem_id": pid, "rounds": 1, "per_problem": 1, "seed": 3}),
    );
    assert_eq!(status, 201, "{job}");
    assert_eq!(
        wait_state(addr, job["id"].as_i64().unwrap())["state"],
        "done"
    );
    let (_, page) = get_json(addr, &format!("/api/datasets/{ds}/variants"));
    let vid = page["items"][0]["id"].as_i64().unwrap();
    assert_eq!(page["counts"]["unjudged"], 1, "{page}");

    // The model is down: the job pauses at the variant, which keeps what it had.
    let (status, job) = post_json(
        addr,
        "/api/jobs",
        &json!({"dataset_id": ds, "problem_id": pid, "task": "verbalize"}),
    );
    assert_eq!(status, 201, "{job}");
    let jid = job["id"].as_i64().unwrap();
    let paused = wait_state(addr, jid);
    assert_eq!(paused["state"], "failed", "{paused}");
    let error = paused["error"].as_str().unwrap();
    assert!(
        error.contains("paused at variant") && error.contains("resume"),
        "{error}"
    );
    assert!(
        error.contains(&port.to_string()),
        "names the endpoint: {error}"
    );
    assert_eq!(paused["done"], 0);
    let (_, v) = get_json(addr, &format!("/api/variants/{vid}"));
    assert_eq!(v["words"]["text"], Value::Null, "nothing written: {v}");
    assert!(v["words"]["llm_error"].as_str().is_some());
    let calls = v["words"]["calls"].as_array().unwrap();
    assert!(
        !calls.is_empty() && calls[0]["error"].is_string(),
        "{calls:?}"
    );

    // A button press while down: a clear 503, nothing lost.
    let (status, body) = post_json(addr, &format!("/api/variants/{vid}/judge"), &json!({}));
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("nothing was changed"),
        "{body}"
    );

    // The model comes up on that port; the job resumes and finishes.
    let _model = LocalLlm::start(port);
    let (status, resumed) = post_json(addr, &format!("/api/jobs/{jid}/resume"), &json!({}));
    assert_eq!(status, 200, "{resumed}");
    let done = wait_state(addr, jid);
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["done"], 1);
    assert!(done["requests_used"].as_u64().unwrap() >= 2, "{done}");
    let (_, v) = get_json(addr, &format!("/api/variants/{vid}"));
    let words = &v["words"];
    assert!(
        words["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{words}"
    );
    assert!(
        words["source"] == "llm" || words["fallback"].is_string(),
        "{words}"
    );
    assert_eq!(words["llm_error"], Value::Null);

    // Judge it through the API: all three checks, the model's among them.
    let (status, words) = post_json(addr, &format!("/api/variants/{vid}/judge"), &json!({}));
    assert_eq!(status, 200, "{words}");
    let verdict = &words["verdict"];
    assert_eq!(verdict["execution"]["ok"], true, "{verdict}");
    assert!(verdict["consistency"]["ok"].is_boolean());
    assert_eq!(verdict["llm"]["model"], "smollm2-135m", "{verdict}");
    let (_, page) = get_json(addr, &format!("/api/datasets/{ds}/variants"));
    assert_eq!(page["counts"]["unjudged"], 0, "{page}");
    let outcome = page["items"][0]["outcome"].as_str().unwrap().to_string();
    let (_, filtered) = get_json(
        addr,
        &format!("/api/datasets/{ds}/variants?verdict={outcome}"),
    );
    assert_eq!(filtered["total"], 1);

    // The key never comes back.
    for path in [
        format!("/api/variants/{vid}"),
        format!("/api/jobs/{jid}"),
        "/api/jobs".to_string(),
    ] {
        let (_, body) = get(addr, &path);
        assert!(!body.contains("sk-never-shown"), "{path} leaks the key");
    }
}

/// A solve job against the real local model: each variant's text asked twice, every sample
/// stored scored and labelled (a 135M model's solutions are mostly wrong: good negatives), the
/// job done, its exchanges counted against its budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solve_job_runs_against_the_real_model() {
    let _serial = serial();
    let model = LocalLlm::start(0);
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open_data_dir(dir.path())
        .await
        .unwrap()
        .with_llm_config(quick());
    let _runner = store.spawn_job_runner();
    let demo = store.ensure_demo().await.unwrap().unwrap();
    let d = demo.dataset_id;
    // Two variants of the first demo problem.
    let page = store.dataset(d, None, Some(1)).await.unwrap().unwrap();
    let p = page.problems[0].id;
    let mut spec = types::model::JobSpec::curriculum(d, 1, 2, 3);
    spec.problem_id = Some(p);
    let job = store.create_job(&spec).await.unwrap();
    let wait = |id: i64| {
        let store = store.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(300);
            loop {
                let s = store.job(id).await.unwrap().unwrap();
                if s.state.is_finished() {
                    return s;
                }
                assert!(Instant::now() < deadline, "the job never ended: {s:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(wait(job).await.state, types::model::JobState::Done);
    let variants: Vec<i64> = store
        .problem(p)
        .await
        .unwrap()
        .unwrap()
        .variants
        .iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(variants.len(), 2);

    let solve = types::model::JobSpec {
        problem_id: Some(p),
        llm: Some(types::model::LlmSettings {
            base_url: model.url.clone(),
            model: "smollm2-135m".into(),
            provider: Some("llamacpp".into()),
            api_key: None,
        }),
        solve: Some(types::model::SolveOptions {
            samples: 2,
            temperature: 0.8,
            max_tokens: 96,
            system_prompt: None,
        }),
        max_requests: Some(20),
        ..types::model::JobSpec::words(d, types::model::JobTask::Solve)
    };
    let job = store.create_job(&solve).await.unwrap();
    let done = wait(job).await;
    assert_eq!(done.state, types::model::JobState::Done, "{done:?}");
    assert_eq!(done.requests_used, 4, "{done:?}");
    for v in variants {
        let stored = store.solutions(v).await.unwrap();
        assert_eq!(stored.len(), 2, "{stored:?}");
        for (i, s) in stored.iter().enumerate() {
            assert_eq!(s.sample, i as i64);
            assert_eq!(s.model, "smollm2-135m");
            assert!(!s.text.trim().is_empty(), "{s:?}");
            // Labels cover every non-empty line but the `####` one.
            let lines = s
                .text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim().starts_with("####"))
                .count();
            assert_eq!(s.steps.len(), lines, "{s:?}");
        }
    }
}
