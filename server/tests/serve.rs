//! End-to-end tests of `graft serve`: the real binary on a free port with a fresh data
//! directory, spoken to over HTTP (the JSON API; the pages only as far as a 200 for `/`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

#[test]
fn serves_pages_and_loads_the_demo_set_once() {
    let dir = data_dir();
    let n = demo_lines().len();
    // Start-up is the binary's: the real process.
    let server = start_process(dir.path());
    assert_eq!(
        server.banner,
        format!("graft: serving {n} problems on http://{}", server.addr)
    );
    assert!(dir.path().join("graft.sqlite3").exists());
    let (status, page) = get(server.addr, "/");
    assert_eq!(status, 200, "{page}");
    let list = datasets(server.addr);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["name"], "demo");
    assert_eq!(list[0]["problems"], n);
    assert_eq!(list[0]["extracted"], n);
    drop(server);

    // Same data directory: the demo set is not imported again.
    let server = start_process(dir.path());
    assert!(server
        .banner
        .starts_with(&format!("graft: serving {n} problems")));
    let list = datasets(server.addr);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["problems"], n);

    // Unknown API paths and ids answer JSON errors.
    let (status, e) = get_json(server.addr, "/api/nothing-here");
    assert_eq!(status, 404);
    assert!(e["error"].as_str().unwrap().contains("JSON API"), "{e}");
    let (status, e) = get_json(server.addr, "/api/problems/999999");
    assert_eq!(status, 404);
    assert!(
        e["error"].as_str().unwrap().contains("problem 999999"),
        "{e}"
    );
    let (status, e) = get_json(server.addr, "/api/problems/abc");
    assert_eq!(status, 400, "{e}");
}

#[test]
fn logs_go_to_stderr_with_a_span_per_request() {
    use std::io::Read;
    let dir = data_dir();
    let mut server = spawn(
        dir.path(),
        &[(
            "RUST_LOG",
            "debug,sqlx=warn,hyper=warn,h2=warn,tower_sessions=warn",
        )],
        std::process::Stdio::piped(),
    );
    assert_eq!(get(server.addr, "/api/datasets").0, 200);
    assert_eq!(get(server.addr, "/api/no-such-endpoint").0, 404);
    assert_eq!(get(server.addr, "/api/s/secret-share-token").0, 404);
    // A logged-in request: its span names the account by id.
    add_user(dir.path(), "logger", "viewer", "password-123");
    let cookie = login(server.addr, "logger", "password-123").expect("logs in");
    set_cookie_for(server.addr, Some(cookie));
    assert_eq!(get(server.addr, "/api/jobs").0, 200);
    server.process().kill().unwrap();
    let mut log = String::new();
    server
        .process()
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("new database: imported the demo set"), "{log}");
    assert!(log.contains("no accounts yet"), "{log}");
    // Each request's lines carry its span: method and path, then the status and latency.
    let line = log
        .lines()
        .find(|l| l.contains("path=/api/datasets") && l.contains("status=200"))
        .unwrap_or_else(|| panic!("no response line for /api/datasets in {log}"));
    assert!(line.contains("request{method=GET"), "{line}");
    assert!(line.contains("latency_ms="), "{line}");
    assert!(!line.contains("user="), "anonymous: {line}");
    let line = log
        .lines()
        .find(|l| l.contains("path=/api/jobs") && l.contains("status=200"))
        .unwrap_or_else(|| panic!("no response line for /api/jobs in {log}"));
    assert!(line.contains("user=1"), "{line}");
    // A share link's token is the key to what it shares: never logged.
    assert!(log.contains("path=/api/s/…"), "{log}");
    assert!(!log.contains("secret-share-token"), "{log}");
    assert!(
        log.contains("path=/api/no-such-endpoint") && log.contains("status=404"),
        "{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes when stderr is not a terminal"
    );
}

#[test]
fn imports_good_files_and_refuses_bad_ones_without_storing() {
    let dir = data_dir();
    let server = start(dir.path());
    let addr = server.addr;
    let demo = demo_lines();

    let file = format!("{}\n{}\n\nnot json\n{}\n", demo[0], demo[1], demo[2]);
    let (status, report) = post_text(addr, "/api/datasets?name=three", &file);
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["imported"], 3);
    assert_eq!(report["extracted"], 3);
    assert_eq!(report["failed"][0]["line"], 4);
    let id = report["dataset_id"].as_i64().unwrap();
    let (status, page) = get_json(addr, &format!("/api/datasets/{id}?offset=1&limit=1"));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 3);
    assert_eq!(page["problems"].as_array().unwrap().len(), 1);
    assert_eq!(page["problems"][0]["line"], 2);
    assert_eq!(page["summary"]["name"], "three");
    assert_eq!(datasets(addr).len(), 2);

    // Nothing readable: 400 with line-numbered reasons, nothing stored.
    let (status, e) = post_text(
        addr,
        "/api/datasets?name=junk",
        "not json\n{\"answer\": \"no question\"}\n",
    );
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("nothing imported"),
        "{e}"
    );
    let lines: Vec<i64> = e["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 2]);
    assert!(
        e["failed"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("\"question\""),
        "{e}"
    );
    assert_eq!(datasets(addr).len(), 2);

    // A taken name, no name, a body that is not text.
    let (status, e) = post_text(addr, "/api/datasets?name=three", &demo[0]);
    assert_eq!(status, 409, "{e}");
    let (status, e) = post_text(addr, "/api/datasets", &demo[0]);
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("name"), "{e}");
    let (status, _, e) = request(
        addr,
        "POST",
        "/api/datasets?name=bin",
        Some("application/octet-stream"),
        &[0xff, 0xfe, b'\n'],
    );
    assert_eq!(status, 400, "{e}");
    assert!(e.contains("UTF-8"), "{e}");
    assert_eq!(datasets(addr).len(), 2);
}

#[test]
fn variants_are_re_derived_on_the_server_with_lineage() {
    let dir = data_dir();
    let server = start(dir.path());
    let addr = server.addr;
    let (pid, graph) = first_demo_problem(addr);
    let step = a_step(&graph);
    let graft = |k: &str| json!({"op": "graft", "node": step, "f": {"op": "mul", "k": k}});

    let (status, first) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": [graft("2")], "seed": 5}),
    );
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_i64().unwrap();
    let (status, v1) = get_json(addr, &format!("/api/variants/{first_id}"));
    assert_eq!(status, 200, "{v1}");
    assert_eq!(v1["parent_variant_id"], Value::Null);
    assert_eq!(v1["round"], 1);
    assert_eq!(v1["seed"], 5);
    assert_eq!(v1["operations"], json!([graft("2")]));
    assert_eq!(v1["parent_graph"], graph);
    // One more node (the proxy), computed by the server.
    assert_eq!(
        v1["graph"]["nodes"].as_array().unwrap().len(),
        graph["nodes"].as_array().unwrap().len() + 1
    );

    let (status, second) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": [graft("3")], "parent_variant_id": first_id}),
    );
    assert_eq!(status, 201, "{second}");
    let (_, v2) = get_json(addr, &format!("/api/variants/{}", second["id"]));
    assert_eq!(v2["parent_variant_id"], first_id);
    assert_eq!(v2["round"], 2);
    assert_eq!(v2["parent_graph"], v1["graph"]);
    let (_, problem) = get_json(addr, &format!("/api/problems/{pid}"));
    assert_eq!(problem["variants"].as_array().unwrap().len(), 2);

    // A bad operation is refused, naming it; nothing is stored.
    let (status, e) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": [graft("2"), {"op": "set_input", "node": step, "value": "1"}]}),
    );
    assert_eq!(status, 400, "{e}");
    let msg = e["error"].as_str().unwrap();
    assert!(
        msg.contains("operation 2") && msg.contains("not an input"),
        "{msg}"
    );
    let (status, e) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": []}),
    );
    assert_eq!(status, 400, "{e}");
    let (status, e) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": [{"op": "explode"}]}),
    );
    assert_eq!(status, 422, "{e}");
    let (_, problem) = get_json(addr, &format!("/api/problems/{pid}"));
    assert_eq!(problem["variants"].as_array().unwrap().len(), 2);
}

/// A loop count read from an input is structural: setting it through the API reads the
/// problem's program again on the server, and the variant holds the loop unrolled anew.
#[test]
fn setting_a_loop_count_reads_the_program_again() {
    let dir = data_dir();
    let server = start(dir.path());
    let addr = server.addr;
    let row = json!({
        "question": "Tom saves 15 dollars a week for 12 weeks. How much does he save?",
        "code": "def solution():\n    weekly = 15\n    weeks = 12\n    total = 0\n    for week in range(weeks):\n        total += weekly\n    return total\n",
    });
    let (status, d) = post_text(addr, "/api/datasets?name=loops", &row.to_string());
    assert_eq!(status, 201, "{d}");
    let id = d["dataset_id"].as_i64().unwrap();
    let (_, page) = get_json(addr, &format!("/api/datasets/{id}?limit=1"));
    let pid = page["problems"][0]["id"].as_i64().unwrap();
    let (_, problem) = get_json(addr, &format!("/api/problems/{pid}"));
    let graph = &problem["graph"];
    let nodes = graph["nodes"].as_array().unwrap();
    let weeks = nodes.iter().position(|n| n["name"] == "weeks").unwrap();
    assert_eq!(nodes[weeks]["kind"], "constant", "{graph}");
    assert!(graph["source_program"]["code"]
        .as_str()
        .unwrap()
        .contains("range(weeks)"));

    let set = |v: &str| json!({"op": "set_input", "node": weeks, "value": v});
    let (status, saved) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": [set("20")]}),
    );
    assert_eq!(status, 201, "{saved}");
    let (_, v) = get_json(addr, &format!("/api/variants/{}", saved["id"]));
    let answer = v["graph"]["answer"].as_u64().unwrap() as usize;
    assert_eq!(v["graph"]["nodes"][answer]["value"], "300", "{v}");
    assert_eq!(
        v["graph"]["nodes"].as_array().unwrap().len(),
        nodes.len() + 8
    );
    // A count the loop cannot run is refused, naming the loop's line; nothing is stored.
    let (status, e) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": [set("2.5")]}),
    );
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("line 5"), "{e}");
    let (_, problem) = get_json(addr, &format!("/api/problems/{pid}"));
    assert_eq!(problem["variants"].as_array().unwrap().len(), 1);
}

#[test]
fn share_links_are_read_only() {
    let dir = data_dir();
    let server = start(dir.path());
    let addr = server.addr;
    let (pid, graph) = first_demo_problem(addr);
    let (_, problem) = get_json(addr, &format!("/api/problems/{pid}"));
    let token = problem["share_token"].as_str().unwrap().to_string();
    assert!(token.len() >= 22, "{token}");

    let (status, shared) = get_json(addr, &format!("/api/s/{token}"));
    assert_eq!(status, 200, "{shared}");
    assert_eq!(shared["kind"], "problem");
    assert_eq!(shared["id"], pid);

    let op = json!({"op": "graft", "node": a_step(&graph), "f": {"op": "add", "k": "1"}});
    let (_, saved) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": [op]}),
    );
    let vtoken = saved["share_token"].as_str().unwrap();
    let (status, shared) = get_json(addr, &format!("/api/s/{vtoken}"));
    assert_eq!(status, 200, "{shared}");
    assert_eq!(shared["kind"], "variant");
    assert_eq!(shared["id"], saved["id"]);

    let (status, e) = get_json(addr, &format!("/api/s/{}", "0".repeat(32)));
    assert_eq!(status, 404, "{e}");
    let (status, e) = get_json(addr, "/api/s/not-a-token");
    assert_eq!(status, 404, "{e}");
    for method in ["POST", "PUT", "DELETE"] {
        let (status, headers, body) = request(addr, method, &format!("/api/s/{token}"), None, b"");
        assert_eq!(status, 405, "{method}: {body}");
        let e = parse(&body);
        assert!(e["error"].as_str().unwrap().contains(method), "{body}");
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "allow" && v.contains("GET")),
            "{headers:?}"
        );
    }
}

/// A runtime and a connection to the (stopped or running) server's database at `dir`.
fn db(dir: &Path) -> (tokio::runtime::Runtime, sqlx::SqlitePool) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite://{}", dir.join("graft.sqlite3").display());
    let pool = rt.block_on(sqlx::SqlitePool::connect(&url)).unwrap();
    (rt, pool)
}

/// A job's variant: `(problem, chain, round, parent's (chain, round), graph)`.
type JobVariant = (i64, i64, i64, Option<(i64, i64)>, String);
/// A job's variant as selected: the parent's chain and round in two columns.
type JobVariantRow = (i64, i64, i64, Option<i64>, Option<i64>, String);

/// Every variant of job `job` in the database at `dir`, as
/// `(problem, chain, round, parent's (chain, round), graph)`, straight from SQLite.
fn job_variants(dir: &Path, job: i64) -> Vec<JobVariant> {
    let (rt, pool) = db(dir);
    let rows: Vec<JobVariantRow> = rt
        .block_on(
            sqlx::query_as(
                "SELECT v.problem_id, v.chain, v.round, pv.chain, pv.round, v.graph
                 FROM variants v LEFT JOIN variants pv ON pv.id = v.parent_variant_id
                 WHERE v.job_id = ? ORDER BY v.problem_id, v.chain, v.round",
            )
            .bind(job)
            .fetch_all(&pool),
        )
        .unwrap();
    rt.block_on(pool.close());
    rows.into_iter()
        .map(|(p, c, r, pc, pr, g)| (p, c, r, pc.zip(pr), g))
        .collect()
}

/// A job's state and progress, straight from SQLite: `running at 3/21`.
fn job_state(dir: &Path, job: i64) -> String {
    let (rt, pool) = db(dir);
    let (state, done, total): (String, i64, i64) = rt
        .block_on(
            sqlx::query_as("SELECT state, done, total FROM jobs WHERE id = ?")
                .bind(job)
                .fetch_one(&pool),
        )
        .unwrap();
    rt.block_on(pool.close());
    format!("{state} at {done}/{total}")
}

/// Runs statements, each with one argument, on the server's database.
fn sql(dir: &Path, statements: &[(&str, i64)]) {
    let (rt, pool) = db(dir);
    for (s, arg) in statements {
        rt.block_on(sqlx::query(s).bind(arg).execute(&pool))
            .unwrap();
    }
    rt.block_on(pool.close());
}

#[test]
fn jobs_run_to_done_and_resume_after_a_crash_without_duplicates() {
    // Big enough that the runner is still busy when the kill below lands.
    let spec = json!({"dataset_id": 1, "rounds": 8, "per_problem": 20, "seed": 9});

    // An uninterrupted run.
    let dir_a = data_dir();
    let a = start(dir_a.path());
    let (status, e) = post_json(
        a.addr,
        "/api/jobs",
        &json!({"dataset_id": 1, "rounds": 9, "per_problem": 1, "seed": 0}),
    );
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("rounds"), "{e}");
    let (status, e) = post_json(
        a.addr,
        "/api/jobs",
        &json!({"dataset_id": 77, "rounds": 1, "per_problem": 1, "seed": 0}),
    );
    assert_eq!(status, 404, "{e}");
    let (status, created) = post_json(a.addr, "/api/jobs", &spec);
    assert_eq!(status, 201, "{created}");
    let job = created["id"].as_i64().unwrap();
    let done = wait_done(a.addr, job);
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["done"], done["total"]);
    assert_eq!(done["total"], demo_lines().len());
    let made = done["variants_made"].as_u64().unwrap();
    assert!(made > 0);
    let list = datasets(a.addr);
    assert_eq!(list[0]["variants"], made);
    let (_, jobs) = get_json(a.addr, "/api/datasets/1/jobs");
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    let (_, jobs) = get_json(a.addr, "/api/jobs");
    assert_eq!(jobs[0]["id"], job);
    // A variant made by the job, with its lineage.
    let (_, problem) = get_json(
        a.addr,
        &format!("/api/problems/{}", first_demo_problem(a.addr).0),
    );
    let vid = problem["variants"][1]["id"].as_i64().unwrap();
    let (_, v) = get_json(a.addr, &format!("/api/variants/{vid}"));
    assert_eq!(v["job_id"], job);
    assert_eq!(v["round"], 2);
    assert_eq!(v["parent_variant_id"], problem["variants"][0]["id"]);
    assert_eq!(v["operations"].as_array().unwrap().len(), 1);
    a.kill();
    let full = job_variants(dir_a.path(), job);
    assert_eq!(full.len() as u64, made);
    for (_, chain, round, parent, _) in &full {
        match round {
            1 => assert_eq!(*parent, None),
            r => assert_eq!(*parent, Some((*chain, r - 1))),
        }
    }

    // A crash part-way, made exact: the same finished job, rewound in the database to "running,
    // 5 problems done" with the later problems' variants gone; a restart must finish it.
    sql(
        dir_a.path(),
        &[
            (
                "DELETE FROM variants WHERE job_id = ?1 AND problem_id > (
                    SELECT id FROM problems WHERE dataset_id = 1 ORDER BY id LIMIT 1 OFFSET 4)",
                job,
            ),
            (
                "UPDATE jobs SET state = 'running', done = 5,
                    cursor = (SELECT id FROM problems WHERE dataset_id = 1 ORDER BY id LIMIT 1 OFFSET 4),
                    variants_made = (SELECT COUNT(*) FROM variants WHERE job_id = ?1)
                 WHERE id = ?1",
                job,
            ),
        ],
    );
    assert!(job_variants(dir_a.path(), job).len() < full.len());
    let a = start(dir_a.path());
    let resumed = wait_done(a.addr, job);
    assert_eq!(resumed["state"], "done", "{resumed}");
    assert_eq!(resumed["variants_made"], made);
    a.kill();
    assert_eq!(job_variants(dir_a.path(), job), full);

    // A real kill while the job runs, then a restart: the same variants as the clean run.
    let dir_b = data_dir();
    let b = start(dir_b.path());
    let (status, created) = post_json(b.addr, "/api/jobs", &spec);
    assert_eq!(status, 201, "{created}");
    let job_b = created["id"].as_i64().unwrap();
    let start_wait = Instant::now();
    loop {
        let (_, j) = get_json(b.addr, &format!("/api/jobs/{job_b}"));
        if j["done"].as_u64().unwrap() >= 1 || start_wait.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    b.kill();
    // Usually "running at 1/21"; if the machine was fast enough to finish first, the restart
    // simply finds nothing to do.
    eprintln!("killed with job {job_b} {}", job_state(dir_b.path(), job_b));
    let b = start(dir_b.path());
    let resumed = wait_done(b.addr, job_b);
    assert_eq!(resumed["state"], "done", "{resumed}");
    assert_eq!(resumed["variants_made"], made);
    b.kill();
    assert_eq!(job_variants(dir_b.path(), job_b), full);
}
