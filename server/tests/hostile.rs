//! Hostile input against every entry point of the real `graft` binary (issue #10, part 4).
//!
//! A corpus of nasty inputs — deep nesting (5,000 and 100,000 parentheses), long operator and
//! unary chains (20,000 terms), 10 MB lines, invalid UTF-8, NUL bytes, huge numbers (`10**400`,
//! 500 digits, `1e999999`, `2 ** 10 ** 10`), 100,000-step programs, deeply nested JSON, graphs
//! with 100,000 nodes, intervention lists of 100,000 entries or with bad node ids, malformed
//! exports — goes through:
//!
//! - the JSON API of a running `graft serve` (import, save variant, jobs, extract, verbalize,
//!   judge, review, bulk, settings, labels, users, login, and reads with hostile ids);
//! - the Leptos server functions under `/api/{name}{hash}` (the anonymous editor preview among
//!   them);
//! - the command line (`graft extract`, `graft generate`, `graft import`).
//!
//! Each input must be refused with a 4xx (or 503 for a time budget) and a message — or, for a
//! read or a server function that reports refusals in its value, answered without a 5xx —
//! after which the server still serves `GET /` and the database holds exactly what it held
//! before (every table's rows hashed straight from the SQLite file), except where an import
//! legitimately stored the readable rows, which are then checked one by one. A server that dies
//! or hangs is restarted on the same data directory, so one test reports every failing input
//! at once rather than stopping at the first.

mod common;
#[path = "hostile/corpus.rs"]
mod corpus;
#[path = "hostile/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{data_dir, login, start_process, Server, ADMIN, ADMIN_PASSWORD};
use corpus::Solution;
use serde_json::{json, Value};
use support::{changed, describe_exit, digest, send, serves_home, Digest, Reply, Req};

/// How long one hostile request may take before the server counts as hung.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(45);

/// What a case must get back.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A 4xx (or 503) with a message; nothing stored.
    Refused,
    /// A server function answering `Result<_, SourceError>`: 200 with `{"Err": {message}}`,
    /// or refused as above; nothing stored.
    ErrValue,
    /// Not a 5xx (a read, or a refusal a server function reports in its value); nothing
    /// stored.
    NoChange,
    /// An import: the rows on these lines are good and must be stored with a graph; every
    /// other line is either reported as failed or stored without a graph and with the reason.
    /// A body that is not UTF-8 must be refused whole.
    Import {
        /// Lines (1-based) that are good problems.
        good: &'static [u32],
        /// Lines in the body.
        lines: u32,
    },
}

/// A running server on a data directory, restarted when a case kills or hangs it, with every
/// failure collected.
struct Harness {
    dir: tempfile::TempDir,
    server: Option<Server>,
    cookie: String,
    before: Digest,
    failures: Vec<String>,
    cases: usize,
    started: Instant,
}

impl Harness {
    fn new() -> Harness {
        let dir = data_dir();
        let server = start_process(dir.path());
        let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).expect("the admin logs in");
        let before = digest(&dir.path().join("graft.sqlite3")).expect("a digest");
        Harness {
            dir,
            server: Some(server),
            cookie,
            before,
            failures: Vec::new(),
            cases: 0,
            started: Instant::now(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("graft.sqlite3")
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("a server").addr
    }

    /// Re-reads the database digest the next cases are compared with.
    fn rebase(&mut self) {
        self.before = digest(&self.db()).expect("a digest");
    }

    /// Kills the server (if still there) and starts a new one on the same data directory.
    fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.kill();
        }
        let server = start_process(self.dir.path());
        self.cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).expect("the admin logs in");
        self.server = Some(server);
        self.rebase();
    }

    /// Whether the server process has ended; if so, how.
    fn exited(&mut self) -> Option<String> {
        let s = self.server.as_mut()?;
        match s.process().try_wait() {
            Ok(Some(status)) => Some(describe_exit(&status)),
            _ => None,
        }
    }

    /// A setup request that must succeed (status 2xx), as the admin.
    fn must(&mut self, req: Req) -> Value {
        let r = send(self.addr(), &req, Some(&self.cookie), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("{} {}: {e}", req.method, req.path));
        assert!(
            (200..300).contains(&r.status),
            "{} {}: {} {}",
            req.method,
            req.path,
            r.status,
            r.short()
        );
        r.json().unwrap_or(Value::Null)
    }

    /// Sends one hostile request (as the admin unless `anonymous`) and checks what came back,
    /// that the server still serves `/` and what the database holds.
    fn case(&mut self, name: &str, req: Req, anonymous: bool, expect: Expect) {
        self.cases += 1;
        let cookie = (!anonymous).then(|| self.cookie.clone());
        let mut req = req;
        let t = Instant::now();
        let mut reply = send(self.addr(), &req, cookie.as_deref(), REQUEST_TIMEOUT);
        // The anonymous preview has a per-address rate limit: wait it out (bounded) so the
        // input itself is what gets checked.
        for _ in 0..3 {
            match &reply {
                Ok(r) if r.status == 429 && anonymous => {
                    let wait = r
                        .header("retry-after")
                        .and_then(|s| s.parse::<u64>().ok())
                        .unwrap_or(1)
                        .min(10);
                    std::thread::sleep(Duration::from_secs(wait));
                    reply = send(self.addr(), &req, cookie.as_deref(), REQUEST_TIMEOUT);
                }
                _ => break,
            }
        }
        let took = t.elapsed();
        let mut home_took = Duration::ZERO;
        let mut problems = Vec::new();
        match &reply {
            Err(e) => {
                problems.push(format!("no answer: {e}"));
                match self.exited() {
                    Some(how) => problems.push(format!("the server died ({how})")),
                    None => problems.push("the server is still busy (killed)".into()),
                }
                self.restart();
            }
            Ok(r) => {
                if let Err(why) = check(r, expect) {
                    problems.push(why);
                }
                let t_home = Instant::now();
                let home = serves_home(self.addr());
                home_took = t_home.elapsed();
                if let Err(e) = home {
                    problems.push(format!("afterwards: {e}"));
                    if let Some(how) = self.exited() {
                        problems.push(format!("the server died ({how})"));
                    }
                    self.restart();
                }
            }
        }
        if let Expect::Import { good, lines } = expect {
            if let Ok(r) = &reply {
                if (200..300).contains(&r.status) {
                    if let Err(why) = self.check_import(r, good, lines) {
                        problems.push(why);
                    }
                }
            }
        }
        let t_digest = Instant::now();
        let now = digest(&self.db()).expect("a digest");
        let digest_took = t_digest.elapsed();
        let diff = changed(&self.before, &now);
        self.before = now;
        if !diff.is_empty() {
            problems.push(format!("the database changed: {}", diff.join(", ")));
            if diff.iter().any(|t| t.starts_with("jobs ")) {
                // A hostile job was accepted: stop it, so that it does not change what the
                // next cases see.
                let stopped = support::execute(
                    &self.db(),
                    "UPDATE jobs SET state = 'failed', error = 'stopped by the hostile-input test'
                     WHERE state IN ('queued', 'running')",
                );
                problems.push(format!("stopped the job it made ({stopped:?})"));
                std::thread::sleep(Duration::from_millis(500));
                self.rebase();
            }
        }
        if !problems.is_empty() {
            let status = reply
                .as_ref()
                .map_or("-".to_string(), |r| format!("{} {}", r.status, r.short()));
            self.failures.push(format!(
                "{name} ({} {}; {:.1} s): {} [answer: {status}]",
                req.method,
                short_path(&req.path),
                took.as_secs_f64(),
                problems.join("; ")
            ));
        } else {
            eprintln!(
                "ok: {name} ({:.1} s; then GET / {:.1} s, digest {:.1} s)",
                took.as_secs_f64(),
                home_took.as_secs_f64(),
                digest_took.as_secs_f64()
            );
        }
        req.body.clear();
    }

    /// Checks a stored import: the new dataset holds the good lines with a graph and the
    /// others either reported as failed or stored with an error; nothing else changed. Moves
    /// the baseline past the new rows.
    fn check_import(&mut self, r: &Reply, good: &[u32], lines: u32) -> Result<(), String> {
        let v = r.json().ok_or("the import's answer is not JSON")?;
        let report = if v.get("Imported").is_some() {
            v["Imported"].clone()
        } else {
            v.clone()
        };
        let Some(id) = report["dataset_id"].as_i64() else {
            return Ok(()); // refused in its value (a server function): checked as unchanged
        };
        let failed: Vec<u64> = report["failed"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["line"].as_u64()).collect())
            .unwrap_or_default();
        let stored = support::query_strings(
            &self.db(),
            &format!(
                "SELECT line || ':' || (graph IS NOT NULL) || ':' || length(COALESCE(error_detail, ''))
                 FROM problems WHERE dataset_id = {id} ORDER BY line"
            ),
        )?;
        let mut problems = Vec::new();
        for line in 1..=lines {
            let row = stored
                .iter()
                .find(|s| s.split(':').next() == Some(&line.to_string()));
            let in_failed = failed.contains(&(line as u64));
            match (good.contains(&line), row, in_failed) {
                (true, Some(s), false) if s.split(':').nth(1) == Some("1") => {}
                (true, _, _) => problems.push(format!("good line {line} not stored with a graph")),
                (false, None, true) => {}
                (false, Some(s), false)
                    if s.split(':').nth(1) == Some("0") && s.split(':').nth(2) != Some("0") => {}
                (false, Some(s), _) => problems.push(format!(
                    "hostile line {line} stored as {s} (line:graph:error length)"
                )),
                (false, None, false) => {
                    problems.push(format!("hostile line {line} neither stored nor reported"))
                }
            }
        }
        if stored.len() as u32 > lines {
            problems.push(format!(
                "{} problems stored for {lines} lines",
                stored.len()
            ));
        }
        // Only the new dataset's rows may have changed.
        let now = digest(&self.db())?;
        let other: Vec<String> = changed(&self.before, &now)
            .into_iter()
            .filter(|t| !t.starts_with("datasets ") && !t.starts_with("problems "))
            .collect();
        if !other.is_empty() {
            problems.push(format!("the import also changed {}", other.join(", ")));
        }
        let d =
            |t: &str| now.get(t).map_or(0, |d| d.rows) - self.before.get(t).map_or(0, |d| d.rows);
        if d("datasets") != 1 || d("problems") != stored.len() as i64 {
            problems.push(format!(
                "{} datasets and {} problems added, expected 1 and {}",
                d("datasets"),
                d("problems"),
                stored.len()
            ));
        }
        self.before = now;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// Fails the test with every failure found.
    fn finish(self, what: &str) {
        let took = self.started.elapsed().as_secs_f64();
        let integrity = support::integrity(&self.db()).unwrap_or_else(|e| e);
        let mut failures = self.failures;
        if integrity != "ok" {
            failures.push(format!("PRAGMA integrity_check: {integrity}"));
        }
        eprintln!(
            "{what}: {} cases, {} failed, {took:.0} s",
            self.cases,
            failures.len()
        );
        assert!(
            failures.is_empty(),
            "{what}: {} of {} hostile inputs were not handled:\n- {}",
            failures.len(),
            self.cases,
            failures.join("\n- ")
        );
    }
}

/// The path, cut for messages.
fn short_path(p: &str) -> String {
    if p.len() > 80 {
        format!(
            "{}…",
            &p[..p.char_indices().nth(80).map_or(p.len(), |(i, _)| i)]
        )
    } else {
        p.to_string()
    }
}

/// Whether an answer is what `expect` asks for.
fn check(r: &Reply, expect: Expect) -> Result<(), String> {
    let refused = |r: &Reply| -> Result<(), String> {
        // hyper refuses an oversized head itself, without a body.
        if r.status == 431 {
            return Ok(());
        }
        if !((400..500).contains(&r.status) || r.status == 503) {
            return Err(format!("status {}, expected a 4xx or 503", r.status));
        }
        if r.message().trim().is_empty() {
            return Err(format!("status {} without a message", r.status));
        }
        Ok(())
    };
    match expect {
        Expect::Refused => refused(r),
        Expect::ErrValue => {
            if r.status == 200 {
                let v = r.json().ok_or("200 but not JSON")?;
                match v.get("Err") {
                    Some(e) if e["message"].as_str().is_some_and(|m| !m.trim().is_empty()) => {
                        Ok(())
                    }
                    _ => Err("200 without an error (the input was accepted)".into()),
                }
            } else {
                refused(r)
            }
        }
        Expect::NoChange => {
            if r.status >= 500 && r.status != 503 {
                Err(format!("status {}", r.status))
            } else if r.status == 503 && r.message().trim().is_empty() {
                Err("503 without a message".into())
            } else {
                Ok(())
            }
        }
        Expect::Import { .. } => {
            if (200..300).contains(&r.status) {
                Ok(())
            } else {
                refused(r)
            }
        }
    }
}

/// A good program row (the first demo problem).
fn good_row() -> String {
    common::demo_lines()[0].clone()
}

/// `good` then a hostile row as one import body (bytes: the hostile text may not be UTF-8).
fn import_body(hostile: &Solution, python: bool) -> Vec<u8> {
    let mut body = good_row().into_bytes();
    body.push(b'\n');
    match std::str::from_utf8(&hostile.text) {
        Ok(t) if python => body.extend(corpus::program_row("How many?", t).into_bytes()),
        Ok(t) => body.extend(corpus::gsm8k_row("How many?", t).into_bytes()),
        Err(_) => {
            // Raw bytes inside the JSON string: the body itself is not UTF-8.
            body.extend_from_slice(b"{\"question\": \"How many?\", \"code\": \"");
            body.extend(hostile.text.iter().filter(|&&b| b != b'\n'));
            body.extend_from_slice(b"\"}");
        }
    }
    body.push(b'\n');
    body
}

/// A unique dataset name for an import case.
fn name(i: usize) -> String {
    format!("hostile-{i}")
}

#[test]
fn rest_api_import_refuses_or_isolates_hostile_rows() {
    let mut h = Harness::new();
    let mut i = 0;
    for (solutions, python) in [(corpus::programs(), true), (corpus::gsm8k_answers(), false)] {
        for s in &solutions {
            i += 1;
            let body = import_body(s, python);
            h.case(
                &format!("import: {}", s.name),
                Req::post(
                    format!("/api/datasets?name={}", name(i)),
                    "text/plain",
                    body,
                ),
                false,
                Expect::Import {
                    good: &[1],
                    lines: 2,
                },
            );
        }
    }
    // Rows that are not problems: alone (nothing stored), then after a good row.
    let rows = corpus::unreadable_rows();
    let only: Vec<String> = rows.iter().map(|(_, r)| r.clone()).collect();
    h.case(
        "import: only unreadable rows",
        Req::post(
            "/api/datasets?name=unreadable",
            "text/plain",
            only.join("\n").into_bytes(),
        ),
        false,
        Expect::Refused,
    );
    let mixed = std::iter::once(good_row())
        .chain(only.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n");
    h.case(
        "import: a good row, then unreadable rows",
        Req::post("/api/datasets?name=mixed", "text/plain", mixed.into_bytes()),
        false,
        Expect::Import {
            good: &[1],
            lines: 1 + rows.len() as u32,
        },
    );
    h.case(
        "import: a body that is not UTF-8",
        Req::post(
            "/api/datasets?name=notutf8",
            "text/plain",
            [good_row().as_bytes(), b"\n\xff\xfe\n"].concat(),
        ),
        false,
        Expect::Refused,
    );
    h.case(
        "import: a 1 MB dataset name",
        Req::post(
            format!("/api/datasets?name={}", "n".repeat(1 << 20)),
            "text/plain",
            good_row().into_bytes(),
        ),
        false,
        Expect::Refused,
    );
    h.case(
        "import: a 10 MB question",
        Req::post(
            "/api/datasets?name=bigquestion",
            "text/plain",
            format!(
                "{}\n{}\n",
                good_row(),
                corpus::program_row(&"q".repeat(10 << 20), &corpus::program(&["x = 1".into()]))
            )
            .into_bytes(),
        ),
        false,
        Expect::Import {
            good: &[1],
            lines: 2,
        },
    );
    h.finish("REST import");
}

/// The demo set's export, parsed line by line.
fn export_lines(h: &mut Harness) -> Vec<Value> {
    let r = send(
        h.addr(),
        &Req::get("/api/datasets/1/export?format=full"),
        Some(&h.cookie),
        REQUEST_TIMEOUT,
    )
    .expect("the export");
    assert_eq!(r.status, 200, "{}", r.short());
    r.text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("export lines are JSON"))
        .collect()
}

/// An export body from its lines, renamed.
fn export_body(lines: &[Value], name: &str) -> Vec<u8> {
    lines
        .iter()
        .map(|l| {
            let mut l = l.clone();
            l["dataset"] = json!(name);
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

/// `lines` with the first problem's graph JSON changed by `f`.
fn with_graph(lines: &[Value], f: impl Fn(&mut Value)) -> Vec<Value> {
    let mut out = lines.to_vec();
    let mut g: Value = serde_json::from_str(out[0]["graph"].as_str().expect("a graph")).unwrap();
    f(&mut g);
    out[0]["graph"] = json!(g.to_string());
    out
}

#[test]
fn rest_api_refuses_malformed_exports() {
    let mut h = Harness::new();
    // Variants to export with the problems.
    h.must(Req::json(
        "/api/jobs",
        &json!({"dataset_id": 1, "rounds": 2, "per_problem": 1, "seed": 5}),
    ));
    let job = send(
        h.addr(),
        &Req::get("/api/jobs"),
        Some(&h.cookie),
        REQUEST_TIMEOUT,
    )
    .unwrap()
    .json()
    .unwrap()[0]["id"]
        .as_i64()
        .unwrap();
    common::set_cookie_for(h.addr(), Some(h.cookie.clone()));
    common::wait_done(h.addr(), job);
    h.rebase();
    let lines = export_lines(&mut h);
    let first_variant = lines
        .iter()
        .position(|l| l["kind"] == "variant")
        .expect("a variant line");
    let mut cases: Vec<(&str, Vec<Value>)> = Vec::new();
    cases.push((
        "a graph with 100,000 input nodes",
        with_graph(&lines, |g| {
            let nodes = g["nodes"].as_array_mut().unwrap();
            let input = nodes.iter().find(|n| n["kind"] == "input").unwrap().clone();
            for i in 0..100_000 {
                let mut n = input.clone();
                n["name"] = json!(format!("extra_{i}"));
                nodes.push(n);
            }
            g.as_object_mut().unwrap().remove("order");
        }),
    ));
    cases.push((
        "a graph with a 100,000-step chain",
        with_graph(&lines, |g| {
            let nodes = g["nodes"].as_array_mut().unwrap();
            let step = nodes.iter().find(|n| n["kind"] == "step").unwrap().clone();
            let first = nodes.len();
            for i in 0..100_000usize {
                let mut n = step.clone();
                n["name"] = json!(format!("chain_{i}"));
                let prev = if i == 0 { 0 } else { first + i - 1 };
                let arity = n["operands"].as_array().map_or(0, |a| a.len());
                n["operands"] = json!(vec![prev; arity]);
                nodes.push(n);
            }
            g.as_object_mut().unwrap().remove("order");
        }),
    ));
    cases.push((
        "a graph node reading node 4294967295",
        with_graph(&lines, |g| {
            let nodes = g["nodes"].as_array_mut().unwrap();
            let step = nodes.iter_mut().find(|n| n["kind"] == "step").unwrap();
            step["operands"][0] = json!(u32::MAX);
        }),
    ));
    cases.push(("a graph nested 100,000 deep", {
        let mut l = lines.clone();
        l[0]["graph"] = json!(corpus::nested_json(100_000));
        l
    }));
    cases.push(("a graph answer of 10**400", {
        with_graph(&lines, |g| {
            g["answer"] = json!(format!("1{}", "0".repeat(400)));
        })
    }));
    let ops = |f: &dyn Fn(&Value) -> Value| {
        let mut l = lines.clone();
        let old: Value =
            serde_json::from_str(l[first_variant]["operations"].as_str().unwrap()).unwrap();
        l[first_variant]["operations"] = json!(f(&old).to_string());
        l
    };
    cases.push((
        "a variant with 100,000 operations",
        ops(&|old| Value::Array(vec![old[0].clone(); 100_000])),
    ));
    cases.push((
        "a variant operation on node 4294967295",
        ops(&|old| {
            let mut o = old.clone();
            o[0]["node"] = json!(u32::MAX);
            o
        }),
    ));
    cases.push((
        "a variant operation with k = 1e999999",
        ops(&|_| json!([{"op": "graft", "node": 0, "f": {"op": "mul", "k": "1e999999"}}])),
    ));
    cases.push(("an unknown format version", {
        let mut l = lines.clone();
        l[0]["graft_export"] = json!(999);
        l
    }));
    cases.push(("a variant of a problem key that does not exist", {
        let mut l = lines.clone();
        l[first_variant]["problem_key"] = json!("p999999");
        l
    }));
    cases.push(("a ratings list of 100,000 entries", {
        let mut l = lines.clone();
        l[first_variant]["labels"] = json!([{"annotator": "a", "ratings": vec![1; 100_000],
            "flagged": false, "flag_note": null, "finish_reason": null, "finished_at": null,
            "started_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}]);
        l
    }));
    for (i, (what, l)) in cases.into_iter().enumerate() {
        let name = format!("export-{i}");
        h.case(
            &format!("export import: {what}"),
            Req::post(
                format!("/api/datasets?name={name}"),
                "text/plain",
                export_body(&l, &name),
            ),
            false,
            Expect::Refused,
        );
    }
    // A truncated export (cut in the middle of a line) and one with an invalid UTF-8 byte.
    let whole = export_body(&lines, "cut");
    h.case(
        "export import: cut mid-line",
        Req::post(
            "/api/datasets?name=cut",
            "text/plain",
            whole[..whole.len() * 2 / 3].to_vec(),
        ),
        false,
        Expect::Refused,
    );
    let mut bad = export_body(&lines, "badbyte");
    let at = bad.len() / 2;
    bad[at] = 0xFF;
    h.case(
        "export import: an invalid UTF-8 byte",
        Req::post("/api/datasets?name=badbyte", "text/plain", bad),
        false,
        Expect::Refused,
    );
    h.finish("malformed exports");
}

/// The ids a write case needs: a problem, a step node of its graph, a variant of it and a
/// label item.
struct Ids {
    problem: i64,
    step: usize,
    variant: i64,
    item: i64,
}

/// Runs a one-round curriculum over the demo set and reads the ids the cases need.
fn prepare(h: &mut Harness) -> Ids {
    let job = h.must(Req::json(
        "/api/jobs",
        &json!({"dataset_id": 1, "rounds": 1, "per_problem": 1, "seed": 3}),
    ));
    common::set_cookie_for(h.addr(), Some(h.cookie.clone()));
    let done = common::wait_done(h.addr(), job["id"].as_i64().unwrap());
    assert_eq!(done["state"], "done", "{done}");
    let (problem, graph) = common::first_demo_problem(h.addr());
    let step = common::a_step(&graph);
    let p = h.must(Req::get(format!("/api/problems/{problem}")));
    let variant = p["variants"][0]["id"].as_i64().expect("a variant");
    let queue = h.must(Req::get("/api/datasets/1/labels/next"));
    let item = queue["task"]["item_id"].as_i64().unwrap_or(1);
    h.rebase();
    Ids {
        problem,
        step,
        variant,
        item,
    }
}

/// `n` copies of a graft `×2` on `node`.
fn grafts(node: usize, n: usize) -> Value {
    Value::Array(vec![
        json!({"op": "graft", "node": node, "f": {"op": "mul", "k": "2"}});
        n
    ])
}

#[test]
fn rest_api_writes_refuse_hostile_bodies() {
    let mut h = Harness::new();
    let ids = prepare(&mut h);
    let (pid, step, vid, item) = (ids.problem, ids.step, ids.variant, ids.item);
    let save = format!("/api/problems/{pid}/variants");
    let ten_mb = "x".repeat(10 << 20);
    let refused: Vec<(&str, Req)> = vec![
        // Save variant: hostile intervention lists.
        (
            "save: 100,000 grafts",
            Req::json(&save, &json!({"operations": grafts(step, 100_000)})),
        ),
        (
            "save: 300 grafts (over 256)",
            Req::json(&save, &json!({"operations": grafts(step, 300)})),
        ),
        (
            "save: node 4294967295",
            Req::json(
                &save,
                &json!({"operations": [{"op": "graft", "node": u32::MAX, "f": {"op": "mul", "k": "2"}}]}),
            ),
        ),
        (
            "save: node -1",
            Req::json(
                &save,
                &json!({"operations": [{"op": "flip_branch", "node": -1}]}),
            ),
        ),
        (
            "save: node 1e30",
            Req::json(
                &save,
                &json!({"operations": [{"op": "invert", "input": 1e30}]}),
            ),
        ),
        (
            "save: set_input 1e999999",
            Req::json(
                &save,
                &json!({"operations": [{"op": "set_input", "node": 0, "value": "1e999999"}]}),
            ),
        ),
        (
            "save: set_input 10**400",
            Req::json(
                &save,
                &json!({"operations": [{"op": "set_input", "node": 0, "value": format!("1{}", "0".repeat(400))}]}),
            ),
        ),
        (
            "save: set_input 500 digits",
            Req::json(
                &save,
                &json!({"operations": [{"op": "set_input", "node": 0, "value": "9".repeat(500)}]}),
            ),
        ),
        (
            "save: set_input 1/0",
            Req::json(
                &save,
                &json!({"operations": [{"op": "set_input", "node": 0, "value": "1/0"}]}),
            ),
        ),
        (
            "save: graft k = 1e308 squared",
            Req::json(
                &save,
                &json!({"operations": [{"op": "graft", "node": step, "f": {"op": "mul", "k": "1e308"}}, {"op": "graft", "node": step, "f": {"op": "mul", "k": "1e308"}}]}),
            ),
        ),
        (
            "save: a 10 MB distractor name",
            Req::json(
                &save,
                &json!({"operations": [{"op": "add_distractor", "name": ten_mb, "value": "1"}]}),
            ),
        ),
        (
            "save: an unknown op",
            Req::json(&save, &json!({"operations": [{"op": "rm_rf", "node": 0}]})),
        ),
        (
            "save: no operations",
            Req::json(&save, &json!({"operations": []})),
        ),
        (
            "save: JSON nested 100,000 deep",
            Req::raw_json(&save, corpus::nested_json(100_000).into_bytes()),
        ),
        (
            "save: operations nested 100,000 deep",
            Req::raw_json(
                &save,
                format!("{{\"operations\": {}}}", corpus::nested_json(100_000)).into_bytes(),
            ),
        ),
        (
            "save: a body that is not UTF-8",
            Req::raw_json(&save, b"{\"operations\": [\xff]}".to_vec()),
        ),
        (
            "save: NUL bytes",
            Req::raw_json(&save, b"{\"operations\":\0[]}".to_vec()),
        ),
        (
            "save: 10 MB of garbage",
            Req::raw_json(&save, ten_mb.clone().into_bytes()),
        ),
        (
            "save: parent variant 2^63-1",
            Req::json(
                &save,
                &json!({"operations": grafts(step, 1), "parent_variant_id": i64::MAX}),
            ),
        ),
        (
            "save: a 20-digit problem id",
            Req::json(
                "/api/problems/99999999999999999999/variants",
                &json!({"operations": grafts(step, 1)}),
            ),
        ),
        // Jobs.
        (
            "job: rounds 1,000,000",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": 1, "rounds": 1_000_000, "per_problem": 1, "seed": 0}),
            ),
        ),
        (
            "job: per_problem 2^32-1",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": 1, "rounds": 1, "per_problem": u32::MAX, "seed": 0}),
            ),
        ),
        (
            "job: seed -1",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": 1, "rounds": 1, "per_problem": 1, "seed": -1}),
            ),
        ),
        (
            "job: seed 10**400",
            Req::raw_json(
                "/api/jobs",
                format!(
                    "{{\"dataset_id\": 1, \"rounds\": 1, \"per_problem\": 1, \"seed\": 1{}}}",
                    "0".repeat(400)
                )
                .into_bytes(),
            ),
        ),
        (
            "job: dataset -1",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": -1, "rounds": 1, "per_problem": 1, "seed": 0}),
            ),
        ),
        (
            "job: unknown task",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": 1, "task": "format_disk"}),
            ),
        ),
        (
            "job: max_requests 0",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": 1, "task": "judge", "max_requests": 0}),
            ),
        ),
        (
            "job: a model URL that is not one",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": 1, "task": "judge", "llm": {"base_url": "\0not a url", "model": "m"}}),
            ),
        ),
        (
            "job: a 10 MB model URL",
            Req::json(
                "/api/jobs",
                &json!({"dataset_id": 1, "task": "judge", "llm": {"base_url": format!("http://{ten_mb}"), "model": "m"}}),
            ),
        ),
        (
            "job: JSON nested 100,000 deep",
            Req::raw_json("/api/jobs", corpus::nested_json(100_000).into_bytes()),
        ),
        (
            "job: a body that is not UTF-8",
            Req::raw_json("/api/jobs", b"{\"dataset_id\": \xff}".to_vec()),
        ),
        // Model work without a model, and hostile ids.
        (
            "extract: no model",
            Req::json(format!("/api/problems/{pid}/extract"), &json!({})),
        ),
        (
            "extract: a 20-digit id",
            Req::json("/api/problems/99999999999999999999/extract", &json!({})),
        ),
        (
            "verbalize: an unknown variant",
            Req::json(
                "/api/variants/9223372036854775807/verbalize?offline=true",
                &json!({}),
            ),
        ),
        (
            "verbalize: offline=maybe",
            Req::json(
                format!("/api/variants/{vid}/verbalize?offline=maybe"),
                &json!({}),
            ),
        ),
        (
            "judge: id -0x1",
            Req::json("/api/variants/-0x1/judge", &json!({})),
        ),
        (
            "resume: an unknown job",
            Req::json("/api/jobs/9223372036854775807/resume", &json!({})),
        ),
        // Review, bulk, settings, labels.
        (
            "review: an unknown decision",
            Req::json(
                format!("/api/variants/{vid}/review"),
                &json!({"decision": "delete_everything"}),
            ),
        ),
        (
            "review: JSON nested 100,000 deep",
            Req::raw_json(
                format!("/api/variants/{vid}/review"),
                corpus::nested_json(100_000).into_bytes(),
            ),
        ),
        (
            "bulk: min_depth 2^32",
            Req::json(
                "/api/datasets/1/review/bulk",
                &json!({"filter": {"min_depth": 4_294_967_296u64}, "decision": {"decision": "accept"}, "apply": true}),
            ),
        ),
        (
            "bulk: an unknown status",
            Req::json(
                "/api/datasets/1/review/bulk",
                &json!({"filter": {"status": "\0"}, "decision": {"decision": "accept"}, "apply": true}),
            ),
        ),
        (
            "settings: overlap 1,000,000",
            Req::json(
                "/api/datasets/1/settings",
                &json!({"public": true, "guidelines": "", "overlap": 1_000_000, "gold_percent": 10}),
            ),
        ),
        (
            "settings: gold_percent 2^32-1",
            Req::json(
                "/api/datasets/1/settings",
                &json!({"public": true, "guidelines": "", "overlap": 2, "gold_percent": u32::MAX}),
            ),
        ),
        (
            "settings: gold_percent -1",
            Req::json(
                "/api/datasets/1/settings",
                &json!({"public": true, "guidelines": "", "overlap": 2, "gold_percent": -1}),
            ),
        ),
        (
            "settings: public \"yes\"",
            Req::json(
                "/api/datasets/1/settings",
                &json!({"public": "yes", "guidelines": "", "overlap": 2, "gold_percent": 10}),
            ),
        ),
        (
            "labels: step 2^32-1",
            Req::json(
                format!("/api/label-items/{item}"),
                &json!({"action": "rate", "step": u32::MAX, "rating": 1}),
            ),
        ),
        (
            "labels: rating 5",
            Req::json(
                format!("/api/label-items/{item}"),
                &json!({"action": "rate", "step": 0, "rating": 5}),
            ),
        ),
        (
            "labels: rating 300",
            Req::json(
                format!("/api/label-items/{item}"),
                &json!({"action": "rate", "step": 0, "rating": 300}),
            ),
        ),
        (
            "labels: first_error 1e9",
            Req::json(
                format!("/api/label-items/{item}"),
                &json!({"action": "first_error", "step": 1_000_000_000}),
            ),
        ),
        (
            "labels: an unknown action",
            Req::json(
                format!("/api/label-items/{item}"),
                &json!({"action": "erase"}),
            ),
        ),
        (
            "labels: an unknown item",
            Req::json(
                "/api/label-items/9223372036854775807",
                &json!({"action": "reopen"}),
            ),
        ),
        // Users and logins (a few: 20 failures from one address lock it out).
        (
            "users: a 10 MB name",
            Req::json(
                "/api/users",
                &json!({"name": ten_mb, "role": "viewer", "password": "pw-123456"}),
            ),
        ),
        (
            "users: a NUL name",
            Req::json(
                "/api/users",
                &json!({"name": "\0", "role": "viewer", "password": "pw-123456"}),
            ),
        ),
        (
            "users: role root",
            Req::json(
                "/api/users",
                &json!({"name": "mallory", "role": "root", "password": "pw-123456"}),
            ),
        ),
        (
            "users: a 10 MB password",
            Req::json(
                "/api/users",
                &json!({"name": "mallory", "role": "viewer", "password": ten_mb}),
            ),
        ),
        (
            "login: a 10 MB name",
            Req::json("/api/login", &json!({"name": ten_mb, "password": "x"})),
        ),
        (
            "login: a 10 MB password",
            Req::json("/api/login", &json!({"name": "nobody", "password": ten_mb})),
        ),
        (
            "login: JSON nested 100,000 deep",
            Req::raw_json("/api/login", corpus::nested_json(100_000).into_bytes()),
        ),
        (
            "login: a body that is not UTF-8",
            Req::raw_json(
                "/api/login",
                b"{\"name\": \"\xff\", \"password\": \"x\"}".to_vec(),
            ),
        ),
        // Reads with hostile ids and queries.
        (
            "read: a 20-digit problem id",
            Req::get("/api/problems/99999999999999999999"),
        ),
        (
            "read: limit 2^64",
            Req::get("/api/datasets/1?limit=18446744073709551616"),
        ),
        (
            "read: an export format of 1 KB",
            Req::get(format!(
                "/api/datasets/1/export?format={}",
                "z".repeat(1024)
            )),
        ),
        (
            "read: review min_depth 2^40",
            Req::get("/api/datasets/1/review?min_depth=1099511627776"),
        ),
    ];
    for (name, req) in refused {
        h.case(name, req, false, Expect::Refused);
    }
    let harmless: Vec<(&str, Req)> = vec![
        (
            "review: an edit of 10 MB with 100,000 parentheses",
            Req::json(
                format!("/api/variants/{vid}/review"),
                &json!({"decision": "edit", "text": corpus::parens(100_000) + &"9".repeat(10 << 20)}),
            ),
        ),
        (
            "review: an edit with NUL bytes",
            Req::json(
                format!("/api/variants/{vid}/review"),
                &json!({"decision": "edit", "text": "\0\0\0"}),
            ),
        ),
        (
            "bulk: a 1 MB search, counted only",
            Req::json(
                "/api/datasets/1/review/bulk",
                &json!({"filter": {"search": "%".repeat(1 << 20)}, "decision": {"decision": "accept"}, "apply": false}),
            ),
        ),
        (
            "read: a 100 KB share token",
            Req::get(format!("/api/s/{}", "a".repeat(100 << 10))),
        ),
        (
            "read: limit 2^64-1",
            Req::get("/api/datasets/1?limit=18446744073709551615&offset=18446744073709551615"),
        ),
        (
            "read: a 100 KB review search",
            Req::get(format!(
                "/api/datasets/1/review?search={}",
                "%25".repeat(30 << 10)
            )),
        ),
        (
            "read: verdict of NUL bytes",
            Req::get("/api/datasets/1/variants?verdict=%00%00"),
        ),
        (
            "page: a 20-digit problem",
            Req::get("/p/99999999999999999999"),
        ),
        (
            "page: a 100 KB dataset id",
            Req::get(format!("/d/{}", "9".repeat(100 << 10))),
        ),
        (
            "page: a share token of invalid UTF-8",
            Req::get("/s/%FF%FE%00"),
        ),
    ];
    for (name, req) in harmless {
        h.case(name, req, false, Expect::NoChange);
    }
    h.finish("REST writes");
}

#[test]
fn server_functions_refuse_hostile_arguments() {
    use app::api::{AddProblem, ImportDataset, SaveVariant, StartJob};
    use app::auth::{AddUser, Login, SetUserRole};
    use app::editor::PreviewProblem;
    use app::labeling::{EditLabels, SaveSettings};
    use app::review::{BulkDecide, Decide, GetReviewQueue};
    use support::server_fn_path as path;

    let mut h = Harness::new();
    let ids = prepare(&mut h);
    let preview = path::<PreviewProblem>();
    // The anonymous editor preview, with every hostile program and GSM8K answer.
    for s in corpus::programs()
        .iter()
        .chain(corpus::gsm8k_answers().iter())
    {
        h.case(
            &format!("preview (anonymous): {}", s.name),
            Req::form(
                preview,
                &[
                    ("question", b"How many?".as_slice()),
                    ("solution", s.text.as_slice()),
                ],
            ),
            true,
            Expect::ErrValue,
        );
    }
    h.case(
        "preview (anonymous): a 10 MB question",
        Req::form(
            preview,
            &[
                ("question", "q ".repeat(5 << 20).as_bytes()),
                ("solution", corpus::program(&["x = 1".into()]).as_bytes()),
            ],
        ),
        true,
        Expect::ErrValue,
    );
    h.case(
        "preview (anonymous): form nested 100,000 deep",
        Req::post(
            preview,
            "application/x-www-form-urlencoded",
            format!("question{}=1&solution=x", "[a]".repeat(100_000)).into_bytes(),
        ),
        true,
        Expect::Refused,
    );
    // Adding a problem runs the same readers, then stores: every hostile program is refused.
    for s in corpus::programs() {
        let Ok(text) = String::from_utf8(s.text.clone()) else {
            continue;
        };
        h.case(
            &format!("add_problem: {}", s.name),
            Req::json(
                path::<AddProblem>(),
                &json!({"dataset_id": 1, "question": "How many?", "solution": text, "python": true}),
            ),
            false,
            Expect::Refused,
        );
    }
    let unreadable: Vec<String> = corpus::unreadable_rows()
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    h.case(
        "import_dataset: only unreadable rows",
        Req::json(
            path::<ImportDataset>(),
            &json!({"name": "fn-unreadable", "contents": unreadable.join("\n")}),
        ),
        false,
        Expect::NoChange,
    );
    h.case(
        "import_dataset: a good row and a 20,000-term chain",
        Req::json(
            path::<ImportDataset>(),
            &json!({"name": "fn-chain", "contents": format!("{}\n{}", good_row(), corpus::program_row("q", &corpus::chain(20_000)))}),
        ),
        false,
        Expect::Import {
            good: &[1],
            lines: 2,
        },
    );
    let fns: Vec<(&str, Req, Expect)> = vec![
        (
            "save_variant: 100,000 grafts",
            Req::json(
                path::<SaveVariant>(),
                &json!({"problem_id": ids.problem, "parent_variant_id": null, "operations": grafts(ids.step, 100_000)}),
            ),
            Expect::Refused,
        ),
        (
            "save_variant: node 4294967295",
            Req::json(
                path::<SaveVariant>(),
                &json!({"problem_id": ids.problem, "parent_variant_id": null, "operations": [{"op": "flip_branch", "node": u32::MAX}]}),
            ),
            Expect::Refused,
        ),
        (
            "start_job: rounds 1,000,000",
            Req::json(
                path::<StartJob>(),
                &json!({"spec": {"dataset_id": 1, "rounds": 1_000_000, "per_problem": 1, "seed": 0}}),
            ),
            Expect::Refused,
        ),
        (
            "edit_labels: step 2^32-1",
            Req::json(
                path::<EditLabels>(),
                &json!({"item_id": ids.item, "edit": {"action": "rate", "step": u32::MAX, "rating": 1}}),
            ),
            Expect::Refused,
        ),
        (
            "save_settings: overlap 1,000,000",
            Req::json(
                path::<SaveSettings>(),
                &json!({"dataset_id": 1, "settings": {"public": true, "guidelines": "", "overlap": 1_000_000, "gold_percent": 10}}),
            ),
            Expect::Refused,
        ),
        (
            "bulk_decide: min_depth -1",
            Req::json(
                path::<BulkDecide>(),
                &json!({"dataset_id": 1, "filter": {"min_depth": -1}, "decision": {"decision": "accept"}, "apply": true}),
            ),
            Expect::Refused,
        ),
        (
            "decide: an edit of 10 MB",
            Req::json(
                path::<Decide>(),
                &json!({"variant_id": ids.variant, "decision": {"decision": "edit", "text": "7 ".repeat(5 << 20)}}),
            ),
            Expect::NoChange,
        ),
        (
            "get_review_queue: a 1 MB search",
            Req::json(
                path::<GetReviewQueue>(),
                &json!({"dataset_id": 1, "filter": {"search": "_".repeat(1 << 20)}, "after": null}),
            ),
            Expect::NoChange,
        ),
        (
            "add_user: a 10 MB name",
            Req::form(
                path::<AddUser>(),
                &[
                    ("name", "n".repeat(10 << 20).as_bytes()),
                    ("role", b"viewer".as_slice()),
                    ("password", b"pw-123456".as_slice()),
                ],
            ),
            Expect::Refused,
        ),
        (
            "add_user: invalid UTF-8",
            Req::form(
                path::<AddUser>(),
                &[
                    ("name", b"\xff\xfe".as_slice()),
                    ("role", b"viewer".as_slice()),
                    ("password", b"pw-123456".as_slice()),
                ],
            ),
            Expect::Refused,
        ),
        (
            "set_user_role: NUL name",
            Req::form(
                path::<SetUserRole>(),
                &[("name", b"\0".as_slice()), ("role", b"admin".as_slice())],
            ),
            Expect::Refused,
        ),
        (
            "login: a 10 MB password",
            Req::form(
                path::<Login>(),
                &[
                    ("name", b"nobody".as_slice()),
                    ("password", "p".repeat(10 << 20).as_bytes()),
                ],
            ),
            Expect::NoChange,
        ),
        (
            "server fn: JSON nested 100,000 deep",
            Req::raw_json(
                path::<SaveVariant>(),
                corpus::nested_json(100_000).into_bytes(),
            ),
            Expect::Refused,
        ),
    ];
    for (name, req, expect) in fns {
        h.case(name, req, false, expect);
    }
    h.finish("server functions");
}

/// Runs the `graft` binary with `args`, killing it after `limit`: its exit, stdout, stderr.
fn graft(args: &[&str], limit: Duration) -> (std::process::ExitStatus, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(args)
        .env_remove("GRAFT_DATABASE_URL")
        .env_remove("GRAFT_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("graft runs");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            let s = child.wait().unwrap();
            let e = std::fs::read_to_string(&err).unwrap_or_default();
            panic!(
                "graft {} ran past {limit:?} (killed: {}); stderr: {}",
                args.first().unwrap_or(&""),
                describe_exit(&s),
                e.chars().take(2000).collect::<String>()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status,
        String::from_utf8_lossy(&std::fs::read(&out).unwrap()).into_owned(),
        String::from_utf8_lossy(&std::fs::read(&err).unwrap()).into_owned(),
    )
}

/// A JSONL file: good demo rows on odd lines, one hostile row (or raw bytes) between each
/// two. Returns its path and the good and hostile line numbers.
fn hostile_file(dir: &Path, rows: &[Vec<u8>]) -> (PathBuf, Vec<usize>, Vec<usize>) {
    let good = common::demo_lines();
    let mut body = Vec::new();
    let (mut good_lines, mut bad_lines) = (Vec::new(), Vec::new());
    let mut line = 0;
    for (i, row) in rows.iter().enumerate() {
        line += 1;
        body.extend_from_slice(good[i % good.len()].as_bytes());
        body.push(b'\n');
        good_lines.push(line);
        line += 1;
        body.extend_from_slice(row);
        body.push(b'\n');
        bad_lines.push(line);
    }
    line += 1;
    body.extend_from_slice(good[rows.len() % good.len()].as_bytes());
    body.push(b'\n');
    good_lines.push(line);
    let path = dir.join("hostile.jsonl");
    std::fs::write(&path, body).unwrap();
    (path, good_lines, bad_lines)
}

/// Every hostile row as it would appear in a JSONL file (programs, GSM8K answers, rows that
/// are not problems). The one with invalid UTF-8 is apart: see `cli_reports_invalid_utf8_rows`.
fn cli_rows() -> Vec<(String, Vec<u8>)> {
    let mut rows = Vec::new();
    for s in corpus::programs() {
        if let Ok(t) = std::str::from_utf8(&s.text) {
            rows.push((
                s.name.to_string(),
                corpus::program_row("How many?", t).into_bytes(),
            ));
        }
    }
    for s in corpus::gsm8k_answers() {
        let t = String::from_utf8(s.text).unwrap();
        rows.push((
            s.name.to_string(),
            corpus::gsm8k_row("How many?", &t).into_bytes(),
        ));
    }
    for (name, r) in corpus::unreadable_rows() {
        rows.push((name.to_string(), r.into_bytes()));
    }
    rows
}

#[test]
fn cli_extract_and_generate_report_hostile_rows_and_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let rows = cli_rows();
    let bytes: Vec<Vec<u8>> = rows.iter().map(|(_, r)| r.clone()).collect();
    let (file, good, bad) = hostile_file(dir.path(), &bytes);
    let f = file.to_str().unwrap();
    let limit = Duration::from_secs(120);

    let t = Instant::now();
    let (status, out, err) = graft(
        &[
            "extract",
            "--input",
            f,
            "--summary-json",
            "--examples",
            "1000",
        ],
        limit,
    );
    eprintln!(
        "graft extract: {} in {:.1} s",
        describe_exit(&status),
        t.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    if !status.success() {
        failures.push(format!(
            "graft extract: {}; stderr: {}",
            describe_exit(&status),
            err.chars().take(1000).collect::<String>()
        ));
    } else {
        let summary: Value =
            serde_json::from_str(out.lines().last().unwrap_or("")).unwrap_or(Value::Null);
        if summary["total"] != good.len() + bad.len() {
            failures.push(format!(
                "extract: total {} for {} rows",
                summary["total"],
                good.len() + bad.len()
            ));
        }
        if summary["extracted"] != good.len() || summary["answer_matches"] != good.len() {
            failures.push(format!(
                "extract: {summary} (expected exactly the {} good rows extracted)",
                good.len()
            ));
        }
        for (l, (name, _)) in bad.iter().zip(&rows) {
            if !out.contains(&format!("line {l}:")) {
                failures.push(format!("extract does not report line {l} ({name})"));
            }
        }
    }

    let out_file = dir.path().join("variants.jsonl");
    let t = Instant::now();
    let (status, out, err) = graft(
        &[
            "generate",
            "--input",
            f,
            "--out",
            out_file.to_str().unwrap(),
            "--rounds",
            "1",
            "--per-problem",
            "1",
        ],
        limit,
    );
    eprintln!(
        "graft generate: {} in {:.1} s",
        describe_exit(&status),
        t.elapsed().as_secs_f64()
    );
    if !status.success() {
        failures.push(format!(
            "graft generate: {}; stderr: {}",
            describe_exit(&status),
            err.chars().take(1000).collect::<String>()
        ));
    } else {
        let written = std::fs::read_to_string(&out_file).unwrap_or_default();
        let lines: Vec<Value> = written
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let sources: std::collections::BTreeSet<u64> = lines
            .iter()
            .filter_map(|v| v["source_line"].as_u64())
            .collect();
        let expected: std::collections::BTreeSet<u64> = good.iter().map(|&l| l as u64).collect();
        if sources != expected {
            failures.push(format!("generate made variants for lines {sources:?}, expected the good lines {expected:?}"));
        }
        // Malformed rows are named by line on stderr; the rest are counted as skipped.
        let skipped: usize = out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("problems skipped ("))
            .filter_map(|l| l.rsplit(": ").next()?.trim().parse::<usize>().ok())
            .sum();
        if skipped != bad.len() {
            failures.push(format!(
                "generate counts {skipped} skipped problems, expected {}: {out}",
                bad.len()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "the CLI on hostile rows:\n- {}",
        failures.join("\n- ")
    );
}

#[test]
fn cli_reports_invalid_utf8_rows_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (file, good, bad) = hostile_file(
        dir.path(),
        &[b"{\"question\": \"\xff\xfe\", \"code\": \"x\"}".to_vec()],
    );
    let f = file.to_str().unwrap();
    let (status, out, err) = graft(
        &["extract", "--input", f, "--summary-json"],
        Duration::from_secs(60),
    );
    assert!(
        status.code().is_some(),
        "extract: {}",
        describe_exit(&status)
    );
    assert!(
        status.success(),
        "graft extract stops at a line that is not UTF-8 instead of reporting it and going on: {} {}",
        describe_exit(&status),
        err.trim()
    );
    let summary: Value =
        serde_json::from_str(out.lines().last().unwrap_or("")).unwrap_or(Value::Null);
    assert_eq!(summary["total"], good.len() + bad.len(), "{out}");
    assert_eq!(summary["extracted"], good.len(), "{out}");
    assert!(out.contains(&format!("line {}:", bad[0])), "{out}");
}

#[test]
fn cli_import_stores_good_rows_and_refuses_malformed_exports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let db = data.join("graft.sqlite3");
    let limit = Duration::from_secs(120);
    // A store to import into (the first import makes it).
    let demo_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/demo.jsonl");
    let (status, _, err) = graft(
        &[
            "import",
            demo_path.to_str().unwrap(),
            "--name",
            "base",
            "--data-dir",
            d,
        ],
        limit,
    );
    assert!(status.success(), "{err}");
    let mut failures = Vec::new();

    // Plain rows: the good ones stored with a graph, each hostile one reported or stored with
    // its reason.
    let rows = cli_rows();
    let bytes: Vec<Vec<u8>> = rows.iter().map(|(_, r)| r.clone()).collect();
    let (file, good, bad) = hostile_file(dir.path(), &bytes);
    let before = digest(&db).unwrap();
    let t = Instant::now();
    let (status, out, err) = graft(
        &[
            "import",
            file.to_str().unwrap(),
            "--name",
            "hostile",
            "--data-dir",
            d,
        ],
        limit,
    );
    eprintln!(
        "graft import: {} in {:.1} s",
        describe_exit(&status),
        t.elapsed().as_secs_f64()
    );
    if !status.success() {
        failures.push(format!(
            "graft import: {}; {}",
            describe_exit(&status),
            err.chars().take(1000).collect::<String>()
        ));
    } else {
        let stored = support::query_strings(
            &db,
            "SELECT p.line || ':' || (p.graph IS NOT NULL) || ':' || length(COALESCE(p.error_detail, ''))
             FROM problems p JOIN datasets d ON d.id = p.dataset_id WHERE d.name = 'hostile' ORDER BY p.line",
        )
        .unwrap();
        for &l in &good {
            if !stored.contains(&format!("{l}:1:0")) {
                failures.push(format!(
                    "import: good line {l} not stored with a graph ({stored:?})"
                ));
            }
        }
        for (&l, (name, _)) in bad.iter().zip(&rows) {
            let row = stored.iter().find(|s| s.starts_with(&format!("{l}:")));
            let reported = err.contains(&format!(":{l}: "));
            match row {
                None if reported => {}
                Some(s) if s.starts_with(&format!("{l}:0:")) && !s.ends_with(":0") => {}
                _ => failures.push(format!(
                    "import: hostile line {l} ({name}) stored as {row:?}, reported: {reported}"
                )),
            }
        }
        let other: Vec<String> = changed(&before, &digest(&db).unwrap())
            .into_iter()
            .filter(|t| !t.starts_with("datasets ") && !t.starts_with("problems "))
            .collect();
        if !other.is_empty() {
            failures.push(format!("import also changed {}", other.join(", ")));
        }
        let _ = out;
    }

    // Malformed exports: refused whole, with a message, nothing stored.
    let (status, export, err) = graft(&["export", "--dataset", "base", "--data-dir", d], limit);
    assert!(status.success(), "{err}");
    let lines: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut exports: Vec<(&str, Vec<u8>)> = vec![
        (
            "a graph with 100,000 input nodes",
            export_body(
                &with_graph(&lines, |g| {
                    let nodes = g["nodes"].as_array_mut().unwrap();
                    let input = nodes.iter().find(|n| n["kind"] == "input").unwrap().clone();
                    for i in 0..100_000 {
                        let mut n = input.clone();
                        n["name"] = json!(format!("extra_{i}"));
                        nodes.push(n);
                    }
                    g.as_object_mut().unwrap().remove("order");
                }),
                "x1",
            ),
        ),
        ("a graph nested 100,000 deep", {
            let mut l = lines.clone();
            l[0]["graph"] = json!(corpus::nested_json(100_000));
            export_body(&l, "x2")
        }),
        ("a line nested 100,000 deep", {
            let mut b = export_body(&lines, "x3");
            b.extend_from_slice(b"\n");
            b.extend(corpus::nested_json(100_000).into_bytes());
            b
        }),
        ("cut mid-line", {
            let b = export_body(&lines, "x4");
            b[..b.len() * 2 / 3].to_vec()
        }),
    ];
    exports.push(("an invalid UTF-8 byte", {
        let mut b = export_body(&lines, "x5");
        let at = b.len() / 2;
        b[at] = 0xFF;
        b
    }));
    for (what, body) in exports {
        let path = dir.path().join("export.jsonl");
        std::fs::write(&path, body).unwrap();
        let before = digest(&db).unwrap();
        let (status, _, err) = graft(&["import", path.to_str().unwrap(), "--data-dir", d], limit);
        if status.code() != Some(1) || err.trim().is_empty() {
            failures.push(format!(
                "import of an export with {what}: {} {}",
                describe_exit(&status),
                err.chars().take(500).collect::<String>()
            ));
        }
        let diff = changed(&before, &digest(&db).unwrap());
        if !diff.is_empty() {
            failures.push(format!(
                "import of an export with {what} changed {}",
                diff.join(", ")
            ));
        }
    }
    assert_eq!(support::integrity(&db).unwrap(), "ok");
    assert!(
        failures.is_empty(),
        "graft import on hostile files:\n- {}",
        failures.join("\n- ")
    );
}
