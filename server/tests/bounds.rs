//! Bounded work on the server (issue #10, section 2), against the real `graft serve`: the
//! anonymous preview's size cap (413) and per-address rate limit (429), time budgets for
//! previews, import rows and job items (503, or the row or item marked failed), and the server
//! still answering afterwards. Also `graft generate` skipping a bad row and going on.

mod common;

use std::net::SocketAddr;
use std::process::Command;

use common::*;
use leptos::server_fn::ServerFn;
use serde_json::json;

/// The preview server function's path.
fn preview_path() -> &'static str {
    <app::editor::PreviewProblem as ServerFn>::PATH
}

/// A form-encoded preview request body.
fn preview_body(question: &str, solution: &str) -> Vec<u8> {
    let enc = |s: &str| {
        let mut out = String::with_capacity(s.len() * 3);
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    format!("question={}&solution={}", enc(question), enc(solution)).into_bytes()
}

/// Asks for a preview anonymously (`cookie` None) or with a cookie: status and body.
fn preview(
    addr: SocketAddr,
    body: &[u8],
    cookie: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    request_with(
        addr,
        "POST",
        preview_path(),
        Some("application/x-www-form-urlencoded"),
        body,
        cookie,
    )
}

/// Sends only the head of an anonymous form POST declaring `length` bytes of body, and reads
/// the answer: its status and body.
fn head_only(addr: SocketAddr, path: &str, length: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(
        s,
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("reads the answer");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, body.to_string())
}

/// A legal but big program: `n` chained assignments.
fn chain_program(n: usize) -> String {
    let mut s = String::from("def solution():\n    a0 = 1\n");
    for i in 1..n {
        s.push_str(&format!("    a{i} = a{} + {}\n", i - 1, i % 7 + 1));
    }
    s.push_str(&format!("    return a{}\n", n - 1));
    s
}

/// The server still serves its home page.
fn still_up(addr: SocketAddr) {
    let (status, _, page) = request_with(addr, "GET", "/", None, b"", None);
    assert_eq!(status, 200, "the server no longer answers /: {page}");
}

const SMALL: &str = "def solution():\n    a = 2\n    b = 3\n    return a * b\n";

#[test]
fn previews_work_anonymously() {
    let dir = data_dir();
    let server = start(&dir.path().join("data"));
    let (status, _, body) = preview(server.addr, &preview_body("q", SMALL), None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"answer\":\"6\""), "{body}");
}

#[test]
fn a_preview_over_the_size_cap_is_413_and_the_server_stays_up() {
    let dir = data_dir();
    let server = start(&dir.path().join("data"));
    // Over 3 × (64 KiB + 256 KiB) + 4 KiB: refused from the Content-Length alone, before
    // the body is read (only the head is sent, so the answer cannot be lost to a reset).
    let (status, body) = head_only(server.addr, preview_path(), 1_100_000);
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("too large (1100000 bytes)")
            && body.contains("the limit is 987136 bytes")
            && body.contains("shorten the program"),
        "{body}"
    );
    // A program over the engine's own limit but inside the cap: refused with the limit's
    // message, as an error shown in the editor.
    let long = format!("def solution():\n    return 1\n#{}", "x".repeat(300 * 1024));
    let (status, _, body) = preview(server.addr, &preview_body("q", &long), None);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("over the limit of 262144"),
        "the engine's limit is named: {body}"
    );
    still_up(server.addr);
}

#[test]
fn previews_past_the_rate_limit_are_429_except_for_admins() {
    let dir = data_dir();
    let server = start(&dir.path().join("data"));
    let body = preview_body("q", SMALL);
    for i in 0..120 {
        let (status, _, text) = preview(server.addr, &body, None);
        assert_eq!(status, 200, "preview {i}: {text}");
    }
    let (status, headers, text) = preview(server.addr, &body, None);
    assert_eq!(status, 429, "{text}");
    assert!(
        text.contains("too many previews from your address")
            && text.contains("the limit is 120 every 60 s")
            && text.contains("wait"),
        "{text}"
    );
    let retry: u64 = headers
        .iter()
        .find(|(k, _)| k == "retry-after")
        .and_then(|(_, v)| v.parse().ok())
        .expect("a Retry-After header");
    assert!((1..=60).contains(&retry), "{retry}");
    // An admin is not limited.
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    let (status, _, text) = preview(server.addr, &body, Some(&cookie));
    assert_eq!(status, 200, "{text}");
    // Nothing else is limited.
    still_up(server.addr);
    let (status, _, text) = request_with(server.addr, "GET", "/api/datasets", None, b"", None);
    assert_eq!(status, 200, "{text}");
}

#[test]
fn a_preview_past_its_time_budget_is_503_and_the_server_stays_up() {
    let dir = data_dir();
    let server = start_with(&dir.path().join("data"), &[("GRAFT_ENGINE_BUDGET_MS", "1")]);
    let (status, _, body) = preview(server.addr, &preview_body("q", &chain_program(3000)), None);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("the preview took longer than 1 ms, the server's limit for one request")
            && body.contains("GRAFT_ENGINE_BUDGET_MS"),
        "{body}"
    );
    still_up(server.addr);
    let (status, _, text) = request_with(server.addr, "GET", "/new", None, b"", None);
    assert_eq!(status, 200, "the editor page still renders: {text}");
}

#[test]
fn saving_a_variant_past_its_budget_is_503_and_stores_nothing() {
    let dir = data_dir();
    let data = dir.path().join("data");
    // Import a big problem while the budget is generous.
    let big = json!({"question": "q", "code": chain_program(3000)}).to_string();
    let (pid, graph) = {
        let server = start(&data);
        let (status, report) = post_text(server.addr, "/api/datasets?name=big", &big);
        assert_eq!(status, 201, "{report}");
        let ds = report["dataset_id"].as_i64().unwrap();
        let (_, page) = get_json(server.addr, &format!("/api/datasets/{ds}?limit=1"));
        let pid = page["problems"][0]["id"].as_i64().unwrap();
        let (_, problem) = get_json(server.addr, &format!("/api/problems/{pid}"));
        server.kill();
        (pid, problem["graph"].clone())
    };
    let server = start_with(&data, &[("GRAFT_ENGINE_BUDGET_MS", "1")]);
    let node = a_step(&graph);
    let ops = json!({"operations": [{"op": "graft", "node": node, "f": {"op": "add", "k": "2"}}]});
    let (status, body) = post_json(server.addr, &format!("/api/problems/{pid}/variants"), &ops);
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("re-applying the operations took longer than 1 ms"),
        "{body}"
    );
    let (_, problem) = get_json(server.addr, &format!("/api/problems/{pid}"));
    assert_eq!(
        problem["variants"].as_array().map(Vec::len),
        Some(0),
        "{problem}"
    );
    still_up(server.addr);
}

#[test]
fn an_import_row_past_its_budget_is_stored_failed_and_the_rest_imports() {
    let dir = data_dir();
    let server = start_with(&dir.path().join("data"), &[("GRAFT_ENGINE_BUDGET_MS", "1")]);
    let demo = demo_lines();
    let big = json!({"question": "q", "code": chain_program(3000)}).to_string();
    let file = format!("{}\n{big}\n{}\n", demo[0], demo[1]);
    let (status, report) = post_text(server.addr, "/api/datasets?name=mixed", &file);
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["imported"], 3, "{report}");
    let ds = report["dataset_id"].as_i64().unwrap();
    let (_, page) = get_json(server.addr, &format!("/api/datasets/{ds}"));
    let problems = page["problems"].as_array().unwrap();
    let second = problems
        .iter()
        .find(|p| p["line"] == 2)
        .unwrap_or_else(|| panic!("line 2 is stored: {page}"));
    let error = second["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("engine_timeout")
            && error.contains("the extraction of line 2 took longer than 1 ms"),
        "{second}"
    );
    still_up(server.addr);
}

#[test]
fn a_job_goes_on_past_problems_that_run_over_their_budget() {
    let dir = data_dir();
    let server = start_with(&dir.path().join("data"), &[("GRAFT_JOB_BUDGET_MS", "1")]);
    let demo = demo_lines();
    let big = |n| json!({"question": "q", "code": chain_program(n)}).to_string();
    let file = format!("{}\n{}\n{}\n", big(3000), demo[0], big(2500));
    let (status, report) = post_text(server.addr, "/api/datasets?name=jobs", &file);
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["extracted"], 3, "{report}");
    let ds = report["dataset_id"].as_i64().unwrap();
    let (_, page) = get_json(server.addr, &format!("/api/datasets/{ds}"));
    let ids: Vec<(i64, i64)> = page["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_i64().unwrap(), p["id"].as_i64().unwrap()))
        .collect();
    let id_of = |line| ids.iter().find(|(l, _)| *l == line).unwrap().1;
    let (status, job) = post_json(
        server.addr,
        "/api/jobs",
        &json!({"dataset_id": ds, "rounds": 1, "per_problem": 1, "seed": 1}),
    );
    assert_eq!(status, 201, "{job}");
    let job_id = job["id"].as_i64().unwrap();
    let job = wait_done(server.addr, job_id);
    assert_eq!(
        job["state"], "done",
        "the job is not failed or stalled: {job}"
    );
    assert_eq!(job["done"], 3, "{job}");
    let failed = job["problems_failed"].as_i64().unwrap();
    assert!((2..=3).contains(&failed), "both big problems fail: {job}");
    let (status, failures) = get_json(server.addr, &format!("/api/jobs/{job_id}/failures"));
    assert_eq!(status, 200, "{failures}");
    let list = failures.as_array().unwrap();
    for line in [1, 3] {
        let f = list
            .iter()
            .find(|f| f["item"] == id_of(line))
            .unwrap_or_else(|| panic!("line {line}'s problem is listed: {failures}"));
        assert!(
            f["reason"].as_str().unwrap().contains(
                "curriculum took longer than 1 ms, the server's limit for one item of a job"
            ),
            "{f}"
        );
    }
    let (status, missing) = get_json(server.addr, "/api/jobs/999999/failures");
    assert_eq!(status, 404, "{missing}");
    still_up(server.addr);
}

/// Runs `graft ARGS…` to completion.
fn graft(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(args)
        .output()
        .expect("graft runs")
}

#[test]
fn generate_reports_a_row_the_engine_refuses_and_goes_on() {
    let dir = data_dir();
    let input = dir.path().join("rows.jsonl");
    let demo = demo_lines();
    let bad = json!({
        "question": "q",
        "code": "def solution():\n    a = 3\n    with open(\"f\") as f:\n        a = a - 1\n    return a\n"
    });
    std::fs::write(&input, format!("{}\n{bad}\n{}\n", demo[0], demo[1])).unwrap();
    let out = dir.path().join("out.jsonl");
    let o = graft(&[
        "generate",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--rounds",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let name = input.display().to_string();
    assert!(
        stderr.contains(&format!("{name}:2: skipped: ")),
        "the bad row is reported with its line: {stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source_line"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert!(
        lines.contains(&1) && lines.contains(&3),
        "the other rows ran: {lines:?}"
    );
    assert!(!lines.contains(&2));
}

/// The program of issue #10: one statement of 20,000 terms (it used to overflow the stack).
fn long_chain_statement() -> String {
    format!(
        "def solution():\n    x = {}\n    return x\n",
        vec!["1"; 20_000].join(" + ")
    )
}

#[test]
fn the_issues_preview_is_refused_with_the_limit_and_the_server_stays_up() {
    let dir = data_dir();
    let server = start(&dir.path().join("data"));
    let (status, _, body) = preview(
        server.addr,
        &preview_body("q", &long_chain_statement()),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("over the limit of 256"),
        "the editor is told the limit: {body}"
    );
    still_up(server.addr);
    let (status, _, body) = preview(server.addr, &preview_body("q", SMALL), None);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn extract_and_generate_skip_the_issues_row_and_go_on() {
    let dir = data_dir();
    let input = dir.path().join("issue.jsonl");
    let demo = demo_lines();
    let bad = json!({"question": "q", "code": long_chain_statement()});
    std::fs::write(&input, format!("{}\n{bad}\n{}\n", demo[0], demo[1])).unwrap();
    let o = graft(&[
        "extract",
        "--input",
        input.to_str().unwrap(),
        "--summary-json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        (summary["total"].as_u64(), summary["extracted"].as_u64()),
        (Some(3), Some(2))
    );
    let out = dir.path().join("out.jsonl");
    let o = graft(&[
        "generate",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--rounds",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2: skipped: ", input.display()))
            && stderr.contains("over the limit of 256"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}

#[test]
fn oversized_operations_model_settings_and_bad_arguments_are_400() {
    let dir = data_dir();
    let server = start(&dir.path().join("data"));
    let (pid, _) = first_demo_problem(server.addr);
    let name = "n".repeat(100_000);
    let ops = json!({"operations": [{"op": "add_distractor", "name": name, "value": "1"}]});
    let (status, body) = post_json(server.addr, &format!("/api/problems/{pid}/variants"), &ops);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("over the limit of 65536"),
        "{body}"
    );
    let ds = datasets(server.addr)[0]["id"].as_i64().unwrap();
    let spec = json!({"dataset_id": ds, "task": "judge", "llm": {"base_url": format!("http://{}", "h".repeat(5000)), "model": "m"}});
    let (status, body) = post_json(server.addr, "/api/jobs", &spec);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("the model's base_url is 5007 bytes, over the limit of 4096"),
        "{body}"
    );
    // A server function's argument of the wrong type is the caller's mistake.
    let (status, _, text) = request_with(
        server.addr,
        "POST",
        preview_path(),
        Some("application/x-www-form-urlencoded"),
        b"question[a][b]=1&solution=2",
        None,
    );
    assert_eq!(status, 400, "{text}");
    still_up(server.addr);
}
