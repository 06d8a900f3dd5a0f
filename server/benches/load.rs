//! The server under load: 32 concurrent clients on 127.0.0.1 reading problem pages (server-side
//! rendered, `/p/{id}`) and the JSON of problems (`/api/problems/{id}`) while curriculum jobs
//! write variants (one after another, for as long as the clients read, each into a copy of
//! the demo set), through the router `graft serve` runs (in-process, a real TCP socket, a real
//! SQLite file). Prints requests per second and latency percentiles per kind of request.
//!
//! `cargo bench -p server --bench load` runs 10 s per kind; `cargo test` runs it for 1 s, to
//! show it works. Goal (issue #15): ≥ 2,000 requests/s for pages with p99 < 50 ms.
//!
//! With `GRAFT_LOAD_INTO_READ=1` the jobs write into the problems read instead of copies, so
//! each page read gains 400 variants a job and is rendered again after every write (the
//! measure of a problem page with thousands of variants).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use types::model::JobSpec;

const CLIENTS: usize = 32;

fn seconds() -> u64 {
    if std::env::args().any(|a| a == "--bench") {
        10
    } else {
        1
    }
}

/// The `q`-quantile of sorted latencies, in milliseconds.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// `CLIENTS` clients asking for `paths` (round robin) for `secs` seconds: (requests answered
/// 200, failures, sorted latencies).
async fn hammer(base: &str, paths: &[String], secs: u64) -> (usize, usize, Vec<Duration>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("a client");
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, stop) = (client.clone(), stop.clone());
        let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut lat) = (0usize, 0usize, Vec::new());
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                match client.get(&urls[i % urls.len()]).send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(_) => {
                            ok += 1;
                            lat.push(started.elapsed());
                        }
                        Err(_) => failed += 1,
                    },
                    _ => failed += 1,
                }
                i += CLIENTS;
            }
            (ok, failed, lat)
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut failed, mut lat) = (0, 0, Vec::new());
    for t in tasks {
        let (o, f, l) = t.await.expect("a client task");
        ok += o;
        failed += f;
        lat.extend(l);
    }
    lat.sort();
    (ok, failed, lat)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = store::Store::open_data_dir(dir.path())
            .await
            .expect("the store opens");
        let admin = store
            .create_user("admin", types::account::Role::Admin, "admin-password")
            .await
            .expect("an admin");
        let mut options = leptos::config::get_configuration(None)
            .expect("Leptos settings")
            .leptos_options;
        options.site_root = env!("CARGO_TARGET_TMPDIR").into();
        let router = server::web::app(store.clone(), options, false)
            .await
            .expect("the app starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(server::web::serve(listener, router));

        // The demo set (public), and a curriculum job writing while the clients read.
        let page = store
            .list_datasets(false)
            .await
            .expect("datasets")
            .into_iter()
            .next()
            .expect("the demo set");
        let problems: Vec<i64> = store
            .dataset(page.id, None, None)
            .await
            .expect("the demo set")
            .expect("the demo set")
            .problems
            .iter()
            .map(|p| p.id)
            .collect();
        let caller = store::Caller {
            user: Some(admin),
            address: None,
        };
        // The problems read carry variants: a curriculum job writes 400 into each first.
        let first = store
            .by(&caller)
            .start_job(&JobSpec::curriculum(page.id, 8, 50, 1))
            .await
            .expect("a curriculum job")
            .id;
        // (Bounded: a job that never finishes fails the benchmark rather than hanging it.)
        let deadline = Instant::now() + Duration::from_secs(600);
        while !store
            .job(first)
            .await
            .ok()
            .flatten()
            .is_some_and(|j| j.state.is_finished())
        {
            assert!(Instant::now() < deadline, "the first curriculum job did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A curriculum job writes for as long as the clients read: when one finishes (one
        // takes a few seconds), the next starts. Each writes into a copy of the demo set of
        // its own, so that the pages read stay the same size from window to window.
        let writing = Arc::new(AtomicBool::new(true));
        let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let writer = {
            let (store, writing, written) = (store.clone(), writing.clone(), written.clone());
            tokio::spawn(async move {
                let mut seed = 1;
                let into_read = std::env::var_os("GRAFT_LOAD_INTO_READ").is_some();
                while writing.load(Ordering::Relaxed) {
                    let dataset = if into_read {
                        page.id
                    } else {
                        store
                            .import_jsonl(&format!("written under load {seed}"), store::DEMO)
                            .await
                            .expect("a copy of the demo set")
                            .dataset_id
                    };
                    let job = store
                        .by(&caller)
                        .start_job(&JobSpec::curriculum(dataset, 8, 50, seed))
                        .await
                        .expect("a curriculum job")
                        .id;
                    let mut made = 0;
                    let until = Instant::now() + Duration::from_secs(600);
                    loop {
                        assert!(Instant::now() < until, "a curriculum job did not finish");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let Some(status) = store.job(job).await.ok().flatten() else {
                            break;
                        };
                        written.fetch_add(status.variants_made - made, Ordering::Relaxed);
                        made = status.variants_made;
                        if status.state.is_finished() {
                            // (A problem skipped leaves an error too; only a failed job stops.)
                            assert_eq!(
                                status.state,
                                types::model::JobState::Done,
                                "the job failed: {:?}",
                                status.error
                            );
                            break;
                        }
                    }
                    seed += 1;
                }
            })
        };

        let secs = seconds();
        println!(
            "load: {CLIENTS} clients, {secs} s each, {} problems, curriculum jobs (8 rounds × 50 \
             chains each, one after another) writing throughout",
            problems.len()
        );
        for (kind, prefix) in [("pages /p/{id}", "/p/"), ("JSON /api/problems/{id}", "/api/problems/")]
        {
            let paths: Vec<String> = problems.iter().map(|id| format!("{prefix}{id}")).collect();
            let before = written.load(Ordering::Relaxed);
            let (ok, failed, lat) = hammer(&base, &paths, secs).await;
            println!(
                "load: {kind:<24} {:>8.0} requests/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  \
                 ({ok} answered, {failed} failed; {} variants written meanwhile)",
                ok as f64 / secs as f64,
                quantile(&lat, 0.5),
                quantile(&lat, 0.99),
                quantile(&lat, 1.0),
                written.load(Ordering::Relaxed) - before,
            );
            assert_eq!(failed, 0, "every request is answered");
            assert!(ok > 0);
        }
        writing.store(false, Ordering::Relaxed);
        writer.await.expect("the writer");
    });
}
