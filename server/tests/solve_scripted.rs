//! Solve jobs against scripted OpenAI-compatible endpoints (real HTTP on 127.0.0.1, the store
//! on a real SQLite file): each kind of solution a model writes gets its exact score and step
//! labels, and a job keeps as many requests in flight as its client allows (64 here).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use engine::labels::solutions::Score;
use serde_json::{json, Value};
use store::Store;
use types::model::{JobSpec, JobState, JobTask, LlmSettings, SolveOptions};

use common::eggs_variant;

/// A chat completion whose message is `text`.
fn completion(text: &str) -> Value {
    json!({
        "id": "c", "object": "chat.completion", "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}
    })
}

/// Serves `router` on 127.0.0.1; its `/v1` base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base_url
}

async fn admin_store(dir: &std::path::Path, concurrency: usize) -> (Store, store::Caller) {
    let store = Store::open_data_dir(dir)
        .await
        .unwrap()
        .with_llm_config(llm::ClientConfig {
            max_retries: 0,
            concurrency,
            ..llm::ClientConfig::default()
        });
    let admin = store
        .create_user("ada", types::account::Role::Admin, "password-123")
        .await
        .unwrap();
    let caller = store::Caller {
        user: Some(admin),
        address: None,
    };
    (store, caller)
}

async fn wait(store: &Store, id: i64) -> types::model::JobStatus {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = store.job(id).await.unwrap().unwrap();
        if s.state.is_finished() {
            return s;
        }
        assert!(Instant::now() < deadline, "the job never ended: {s:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn solve_spec(dataset: i64, base_url: &str, samples: u32) -> JobSpec {
    JobSpec {
        llm: Some(LlmSettings {
            base_url: base_url.to_string(),
            model: "scripted".into(),
            provider: None,
            api_key: None,
        }),
        solve: Some(SolveOptions {
            samples,
            temperature: 0.0,
            max_tokens: 256,
            system_prompt: None,
        }),
        ..JobSpec::words(dataset, JobTask::Solve)
    }
}

/// The solutions a model writes, in the order the scripted endpoint returns them, with the
/// score, step labels and first error each must get. A `####` line is the final answer, not a
/// step; a step after the first error that builds on it leads away from the answer (−1 too).
/// (what it is, the text, its score, its step labels, its first error).
type Case = (
    &'static str,
    &'static str,
    Score,
    &'static [i8],
    Option<i64>,
);

const CASES: [Case; 6] = [
    (
        "correct",
        "She sells 16 - 5 - 4 = 7 eggs.\nShe makes 7 * 2 = $14.\n#### 14",
        Score::Correct,
        &[1, 1],
        None,
    ),
    (
        "an arithmetic slip at step 3",
        "Janet's ducks lay 16 eggs a day.\nShe eats 5 and bakes with 4, so she uses 5 + 4 = 9 eggs.\nShe sells 16 - 9 = 8 eggs.\nShe makes 8 * 2 = $16.\n#### 16",
        Score::Wrong,
        &[0, 0, -1, -1],
        Some(2),
    ),
    (
        "a wrong operand (the original 3 eggs)",
        "She sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = $18.\n#### 18",
        Score::Wrong,
        &[-1, -1],
        Some(0),
    ),
    (
        "the right answer through a wrong step",
        "She sells 16 - 5 - 4 = 6 eggs.\nShe makes 7 * 2 = $14.\n#### 14",
        Score::Correct,
        &[-1, 1],
        Some(0),
    ),
    (
        "no final line",
        "She sells 16 - 5 - 4 = 7 eggs.\nShe makes 7 * 2 = 14 dollars.",
        Score::Correct,
        &[1, 1],
        None,
    ),
    (
        "prose with no numbers",
        "I am not sure how to work this out; it depends on the market.",
        Score::Unparseable,
        &[0],
        None,
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_solution_gets_its_exact_score_and_labels() {
    type Seen = Arc<Mutex<usize>>;
    async fn chat(State(seen): State<Seen>, axum::Json(_): axum::Json<Value>) -> axum::Json<Value> {
        let n = {
            let mut s = seen.lock().unwrap();
            *s += 1;
            *s - 1
        };
        axum::Json(completion(CASES[n % CASES.len()].1))
    }
    let seen: Seen = Arc::default();
    let base_url = serve(
        axum::Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(seen.clone()),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (store, caller) = admin_store(dir.path(), 4).await;
    let _runner = store.spawn_job_runner();
    let (d, v) = eggs_variant(&store, "eggs").await;
    let ops = store.by(&caller);
    let job = ops
        .start_job(&solve_spec(d, &base_url, CASES.len() as u32))
        .await
        .unwrap()
        .id;
    let done = wait(&store, job).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    let stored = ops.solutions(v).await.unwrap();
    assert_eq!(stored.len(), CASES.len());
    for (s, (what, text, score, labels, first_error)) in stored.iter().zip(CASES) {
        assert_eq!(s.text, text, "{what}: stored as written");
        let ratings: Vec<i8> = s.steps.iter().map(|l| l.rating).collect();
        assert_eq!(
            (s.score, ratings.as_slice(), s.first_error),
            (score, labels, first_error),
            "{what}: {:#?}",
            s.steps
        );
        assert!(
            s.steps.iter().all(|l| !l.reason.is_empty()),
            "{what}: a reason per label"
        );
    }
    // The reasons say what was checked.
    assert!(
        stored[1].steps[2].reason.contains("16 − 9")
            || stored[1].steps[2].reason.contains("16 - 9"),
        "{:?}",
        stored[1].steps[2]
    );
    assert_eq!(stored[4].final_answer.as_deref(), Some("14"));
    assert_eq!(stored[5].final_answer, None);
}

/// A solve job over 96 variants with a client allowing 64 requests at once, against an
/// endpoint that answers after 300 ms: the endpoint sees 64 requests in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solve_job_keeps_64_requests_in_flight() {
    #[derive(Default)]
    struct Load {
        now: AtomicUsize,
        most: AtomicUsize,
        total: AtomicUsize,
    }
    async fn chat(
        State(load): State<Arc<Load>>,
        axum::Json(_): axum::Json<Value>,
    ) -> axum::Json<Value> {
        let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
        load.most.fetch_max(now, Ordering::SeqCst);
        load.total.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        load.now.fetch_sub(1, Ordering::SeqCst);
        axum::Json(completion(CASES[0].1))
    }
    let load = Arc::new(Load::default());
    let base_url = serve(
        axum::Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(load.clone()),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (store, caller) = admin_store(dir.path(), 64).await;
    let _runner = store.spawn_job_runner();
    let (d, _) = eggs_variant(&store, "eggs").await;
    let ops = store.by(&caller);
    // More variants: a curriculum over the problem.
    let curriculum = ops
        .start_job(&JobSpec::curriculum(d, 2, 48, 9))
        .await
        .unwrap()
        .id;
    assert_eq!(wait(&store, curriculum).await.state, JobState::Done);
    let variants = store.job(curriculum).await.unwrap().unwrap().variants_made + 1;
    assert!(
        variants >= 65,
        "{variants} variants; the test needs more than 64"
    );

    let started = Instant::now();
    let job = ops
        .start_job(&solve_spec(d, &base_url, 1))
        .await
        .unwrap()
        .id;
    let done = wait(&store, job).await;
    let took = started.elapsed();
    assert_eq!(done.state, JobState::Done, "{done:?}");
    let total = load.total.load(Ordering::SeqCst);
    assert_eq!(total as i64, variants as i64, "one request per variant");
    let most = load.most.load(Ordering::SeqCst);
    eprintln!(
        "solve job: {total} requests, at most {most} in flight, {:.2} s ({:.0} requests/s \
         against a 300 ms endpoint)",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64()
    );
    assert_eq!(most, 64, "the job keeps the client's 64 requests in flight");
}
