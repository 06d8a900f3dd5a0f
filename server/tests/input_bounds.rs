//! The holes a hostile-input pass found after the bounded-work changes (issue #10), closed and
//! checked against the real `graft serve` on a real SQLite file:
//!
//! - accounts: names and passwords are bounded and names printable, through the REST API, the
//!   server functions, the login (refused before any hashing or counting) and `graft user`;
//! - restoring a full export: at most 256 operations per variant, and the re-derivations on
//!   engine slots within the budgets (a refusal names the line; nothing is stored);
//! - pages of big graphs: the drawing is laid out off the async workers within the budget and
//!   shipped with the page's data; past the budget the page still renders, saying so;
//! - a review filter's depth of -1 is a 400 that says so.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

/// Percent-encodes bytes for a form body (every byte but unreserved ASCII).
fn enc(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A form-encoded POST to a server function: status and body.
fn form(addr: SocketAddr, path: &str, fields: &[(&str, &[u8])]) -> (u16, String) {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let (status, _, text) = request(
        addr,
        "POST",
        path,
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
    );
    (status, text)
}

/// The names of the accounts, as the admin lists them.
fn user_names(addr: SocketAddr) -> Vec<String> {
    let (status, users) = get_json(addr, "/api/users");
    assert_eq!(status, 200, "{users}");
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts a 400 whose message contains `needle`, answered within a few seconds and short
/// (a refusal never echoes a huge input back).
fn refused(what: &str, started: Instant, (status, body): (u16, String), needle: &str) {
    assert_eq!(status, 400, "{what}: {body:.300}");
    assert!(body.contains(needle), "{what}: {body:.300}");
    assert!(
        body.len() < 2_000,
        "{what}: the answer is {} bytes",
        body.len()
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{what}: answered after {:?}",
        started.elapsed()
    );
}

fn post(addr: SocketAddr, path: &str, body: &Value) -> (u16, String) {
    let (status, _, text) = request(
        addr,
        "POST",
        path,
        Some("application/json"),
        body.to_string().as_bytes(),
    );
    (status, text)
}

#[test]
fn accounts_bound_names_and_passwords_everywhere() {
    let dir = data_dir();
    let server = start(dir.path());
    let addr = server.addr;
    let ten_mb = "p".repeat(10 << 20);
    let before = user_names(addr);

    // REST: a 10 MB password, one byte over the limit, NUL and direction-override names, a
    // 10 MB name, a 65-character name.
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "a 10 MB password",
            json!({"name": "mallory", "role": "viewer", "password": ten_mb}),
            "at most 1024 bytes",
        ),
        (
            "a 1,025-byte password",
            json!({"name": "mallory", "role": "viewer", "password": "p".repeat(1025)}),
            "at most 1024 bytes",
        ),
        (
            "a NUL name",
            json!({"name": "a\u{0}b", "role": "viewer", "password": "pw-123456"}),
            "U+0000",
        ),
        (
            "a name with a right-to-left override",
            json!({"name": "admin\u{202e}", "role": "viewer", "password": "pw-123456"}),
            "U+202E",
        ),
        (
            "a 10 MB name",
            json!({"name": ten_mb, "role": "viewer", "password": "pw-123456"}),
            "at most 64 characters",
        ),
        (
            "a 65-character name",
            json!({"name": "n".repeat(65), "role": "viewer", "password": "pw-123456"}),
            "at most 64 characters",
        ),
    ];
    for (what, body, needle) in cases {
        let t = Instant::now();
        refused(what, t, post(addr, "/api/users", &body), needle);
    }
    // The limits themselves are accepted: 1,024 bytes of password, 64 characters of name.
    let long_name = "é".repeat(64);
    let (status, body) = post(
        addr,
        "/api/users",
        &json!({"name": long_name, "role": "viewer", "password": "p".repeat(1024)}),
    );
    assert_eq!(status, 201, "{body}");
    login(addr, &long_name, &"p".repeat(1024)).expect("the longest name and password log in");

    // Server functions: bytes that are not UTF-8 (decoded as U+FFFD), a control character, a
    // 10 MB password.
    let add = <app::auth::AddUser as ServerFn>::PATH;
    let t = Instant::now();
    refused(
        "add_user: bytes that are not UTF-8",
        t,
        form(
            addr,
            add,
            &[
                ("name", b"\xff\xfe"),
                ("role", b"viewer"),
                ("password", b"pw-123456"),
            ],
        ),
        "not valid UTF-8",
    );
    refused(
        "add_user: a bell character",
        t,
        form(
            addr,
            add,
            &[
                ("name", b"ding\x07"),
                ("role", b"viewer"),
                ("password", b"pw-123456"),
            ],
        ),
        "U+0007",
    );
    let t = Instant::now();
    refused(
        "add_user: a 10 MB password",
        t,
        form(
            addr,
            add,
            &[
                ("name", b"mallory"),
                ("role", b"viewer"),
                ("password", ten_mb.as_bytes()),
            ],
        ),
        "at most 1024 bytes",
    );

    // Logins with over-long parts are refused before hashing and are not counted: six of them
    // for the admin's name (five failures lock a name out) leave the admin able to log in.
    for _ in 0..6 {
        let t = Instant::now();
        let (status, _, body) = request_with(
            addr,
            "POST",
            "/api/login",
            Some("application/json"),
            json!({"name": ADMIN, "password": ten_mb})
                .to_string()
                .as_bytes(),
            None,
        );
        refused(
            "login: a 10 MB password",
            t,
            (status, body),
            "at most 1024 bytes",
        );
    }
    let t = Instant::now();
    let (status, _, body) = request_with(
        addr,
        "POST",
        "/api/login",
        Some("application/json"),
        json!({"name": ten_mb, "password": "x"})
            .to_string()
            .as_bytes(),
        None,
    );
    refused(
        "login: a 10 MB name",
        t,
        (status, body),
        "at most 64 characters",
    );
    let t = Instant::now();
    let (status, _, body) = request_with(
        addr,
        "POST",
        <app::auth::Login as ServerFn>::PATH,
        Some("application/x-www-form-urlencoded"),
        format!("name={ADMIN}&password={ten_mb}").as_bytes(),
        None,
    );
    refused(
        "login server function: a 10 MB password",
        t,
        (status, body),
        "at most 1024 bytes",
    );
    login(addr, ADMIN, ADMIN_PASSWORD).expect("the admin is not locked out");

    let mut expected = before;
    expected.push(long_name);
    expected.sort();
    let mut now = user_names(addr);
    now.sort();
    assert_eq!(now, expected, "only the good account was added");
}

/// Runs `graft user ARGS --data-dir DIR` with `stdin` as its input: success, stdout, stderr.
fn graft_user(dir: &Path, args: &[&std::ffi::OsStr], stdin: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graft"))
        .arg("user")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("GRAFT_DATABASE_URL")
        .env_remove("GRAFT_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("graft user starts");
    let mut input = child.stdin.take().unwrap();
    // A refusal may come before the whole input is read: a broken pipe is fine.
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn graft_user_refuses_bad_names_and_passwords() {
    use std::ffi::OsStr;
    #[cfg(unix)]
    use std::os::unix::ffi::OsStrExt;
    let dir = data_dir();
    let os = |s: &'static str| OsStr::new(s);
    let args = |name: &'static OsStr| vec![os("add"), name, os("--password-stdin")];
    // A 2,000-byte password line, and a 10 MB one (not read to its end).
    let (ok, _, err) = graft_user(dir.path(), &args(os("bob")), &[b'p'; 2000]);
    assert!(!ok && err.contains("at most 1024 bytes"), "{err}");
    let mut huge = vec![b'p'; 10 << 20];
    huge.push(b'\n');
    let (ok, _, err) = graft_user(dir.path(), &args(os("bob")), &huge);
    assert!(!ok && err.contains("at most 1024 bytes"), "{err}");
    // A password that is not UTF-8.
    let (ok, _, err) = graft_user(dir.path(), &args(os("bob")), b"pass\xffword\n");
    assert!(!ok && err.contains("not UTF-8"), "{err}");
    // Names with a control character, a space, and bytes that are not UTF-8.
    let (ok, _, err) = graft_user(dir.path(), &args(os("bo\u{1b}b")), b"password-1\n");
    assert!(!ok && err.contains("U+001B"), "{err}");
    let (ok, _, err) = graft_user(dir.path(), &args(os("bo b")), b"password-1\n");
    assert!(!ok && err.contains("no spaces"), "{err}");
    #[cfg(unix)]
    {
        let (ok, _, err) = graft_user(
            dir.path(),
            &args(OsStr::from_bytes(b"bo\xffb")),
            b"password-1\n",
        );
        assert!(!ok && err.to_lowercase().contains("utf-8"), "{err}");
    }
    // Nothing was made; a good name and password still work, and `passwd` is bounded too.
    let (ok, out, err) = graft_user(dir.path(), &[os("list")], b"");
    assert!(ok && out.trim().is_empty(), "{out}{err}");
    let (ok, out, err) = graft_user(dir.path(), &args(os("bob")), b"password-1\r\n");
    assert!(ok, "{out}{err}");
    let (ok, _, err) = graft_user(
        dir.path(),
        &[os("passwd"), os("bob"), os("--password-stdin")],
        &[b'q'; 1025],
    );
    assert!(!ok && err.contains("at most 1024 bytes"), "{err}");
    let (ok, out, err) = graft_user(dir.path(), &[os("list")], b"");
    assert!(
        ok && out.lines().count() == 1 && out.starts_with("bob"),
        "{out}{err}"
    );
}

#[test]
fn a_review_filter_depth_below_zero_is_a_400() {
    let dir = data_dir();
    let server = start(dir.path());
    let addr = server.addr;
    let t = Instant::now();
    refused(
        "REST bulk: min_depth -1",
        t,
        post(
            addr,
            "/api/datasets/1/review/bulk",
            &json!({"filter": {"min_depth": -1}, "decision": {"decision": "accept"}, "apply": true}),
        ),
        "min_depth is -1",
    );
    refused(
        "REST bulk: max_depth 2^32",
        t,
        post(
            addr,
            "/api/datasets/1/review/bulk",
            &json!({"filter": {"max_depth": 4_294_967_296u64}, "decision": {"decision": "accept"}}),
        ),
        "max_depth is 4294967296",
    );
    refused(
        "REST review queue: min_depth -1",
        t,
        get(addr, "/api/datasets/1/review?min_depth=-1"),
        "min_depth is -1",
    );
    refused(
        "server function bulk_decide: min_depth -1",
        t,
        post(
            addr,
            <app::review::BulkDecide as ServerFn>::PATH,
            &json!({"dataset_id": 1, "filter": {"min_depth": -1}, "decision": {"decision": "accept"}, "apply": true}),
        ),
        "min_depth is -1",
    );
    // Valid ranges still work, in the body and in the query string.
    let (status, body) = get(
        addr,
        "/api/datasets/1/review?status=all&min_depth=0&max_depth=10000",
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        addr,
        "/api/datasets/1/review/bulk",
        &json!({"filter": {"min_depth": 0, "max_depth": 10000}, "decision": {"decision": "accept"}}),
    );
    assert_eq!(status, 200, "{body}");
}

/// Steps in the big test problem: a chain `x{i} = x{i-1} + 1`.
const BIG_STEPS: usize = 3_000;

/// A program row of [`BIG_STEPS`] chained steps (answer `BIG_STEPS + 1`).
fn big_row() -> String {
    let mut code = String::from("def solution():\n    x0 = 1\n");
    for i in 1..=BIG_STEPS {
        code.push_str(&format!("    x{i} = x{} + 1\n", i - 1));
    }
    code.push_str(&format!("    return x{BIG_STEPS}\n"));
    json!({"question": "A chain of additions starting at 1.", "code": code}).to_string()
}

/// `n` set_input operations on node 0, alternating 5 and 6 (an even `n` ends on 6).
fn alternating(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"op": "set_input", "node": 0, "value": if i % 2 == 0 { "5" } else { "6" }}))
            .collect(),
    )
}

/// The number of datasets the admin sees.
fn dataset_count(addr: SocketAddr) -> usize {
    datasets(addr).len()
}

/// `export` with the variant line's operations replaced by `ops`, under dataset name `name`.
fn with_operations(export: &str, ops: &Value, name: &str) -> (String, usize) {
    let mut line_of_variant = 0;
    let lines: Vec<String> = export
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v["dataset"] = json!(name);
            if v["kind"] == "variant" {
                v["operations"] = json!(ops.to_string());
                line_of_variant = i + 1;
            }
            v.to_string()
        })
        .collect();
    assert!(line_of_variant > 0, "the export has a variant");
    (lines.join("\n"), line_of_variant)
}

#[test]
fn big_graphs_are_drawn_and_restored_within_budgets() {
    let dir = data_dir();
    let server = start(dir.path());
    let addr = server.addr;
    let (status, report) = post_text(addr, "/api/datasets?name=big", &big_row());
    assert!(status == 200 || status == 201, "{report}");
    let ds = report["dataset_id"].as_i64().expect("a dataset id");
    let (_, page) = get_json(addr, &format!("/api/datasets/{ds}"));
    let pid = page["problems"][0]["id"].as_i64().unwrap();
    let (status, problem) = get_json(addr, &format!("/api/problems/{pid}"));
    assert_eq!(status, 200, "{problem}");
    assert_eq!(
        problem["graph"]["nodes"].as_array().unwrap().len(),
        BIG_STEPS + 1,
        "one node per line"
    );
    assert!(
        problem.get("drawing").is_none(),
        "the JSON API sends no drawing"
    );
    let share = problem["share_token"].as_str().unwrap().to_string();
    let (status, saved) = post_json(
        addr,
        &format!("/api/problems/{pid}/variants"),
        &json!({"operations": alternating(64)}),
    );
    assert!(status == 200 || status == 201, "{saved}");
    let vid = saved["id"].as_i64().expect("a variant id");

    // With the default budget the pages carry the drawing: every node's box is in the SVG.
    for path in [
        format!("/p/{pid}"),
        format!("/v/{vid}"),
        format!("/s/{share}"),
    ] {
        let t = Instant::now();
        let (status, html) = get(addr, &path);
        println!(
            "{path}: {} bytes in {:.0} ms",
            html.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains(&format!("data-node=\"{BIG_STEPS}\"")),
            "{path} draws the last node"
        );
        assert!(!html.contains("graph-not-drawn"), "{path} is drawn");
    }

    // The export, with the variant's 64 operations made 256 (the same graph): restored. One
    // more is refused, naming the line; a hostile 100,000 are refused at once.
    let (status, export) = get(addr, &format!("/api/datasets/{ds}/export?format=full"));
    assert_eq!(status, 200);
    let (ok_file, _) = with_operations(&export, &alternating(256), "big-256");
    let before = dataset_count(addr);
    let (status, report) = post_text(addr, "/api/datasets?name=big-256", &ok_file);
    assert!(status == 200 || status == 201, "{report}");
    assert_eq!(dataset_count(addr), before + 1);
    for (n, name) in [(258, "big-258"), (100_000, "big-100000")] {
        let (file, at) = with_operations(&export, &alternating(n), name);
        let t = Instant::now();
        let (status, body) = post_text(addr, &format!("/api/datasets?name={name}"), &file);
        let message = body["error"].as_str().unwrap_or_default();
        assert_eq!(status, 400, "{body:.500}");
        assert!(
            message.contains(&format!("line {at}"))
                && message.contains(&format!("{n} interventions, over the limit of 256")),
            "{message}"
        );
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    }
    assert_eq!(dataset_count(addr), before + 1, "nothing more was stored");
    drop(server);

    // A budget of 1 ms: the page still renders, without the drawing and saying why. The
    // layout goes on past the budget and is kept, so a later request gets the drawing; the
    // variant (new input values, the same structure) and the share link get the same one.
    let server = start_with(dir.path(), &[("GRAFT_ENGINE_BUDGET_MS", "1")]);
    let addr = server.addr;
    let (status, html) = get(addr, &format!("/p/{pid}"));
    assert_eq!(status, 200);
    assert!(
        html.contains("graph-not-drawn") && html.contains("The graph is not drawn"),
        "the page says the graph is not drawn"
    );
    assert!(
        html.contains("took longer than 0.0 s") && html.contains("reload the page"),
        "the page says why"
    );
    assert!(
        html.contains("A chain of additions"),
        "the page shows the question"
    );
    assert!(
        !html.contains(&format!("data-node=\"{BIG_STEPS}\"")),
        "the page draws no node"
    );
    let t = Instant::now();
    loop {
        let (status, html) = get(addr, &format!("/p/{pid}"));
        assert_eq!(status, 200);
        if html.contains(&format!("data-node=\"{BIG_STEPS}\"")) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the finished layout is never served"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "the layout past the budget was served after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    for path in [format!("/v/{vid}"), format!("/s/{share}")] {
        let (status, html) = get(addr, &path);
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains(&format!("data-node=\"{BIG_STEPS}\"")),
            "{path} gets the kept drawing"
        );
    }
    // A restore whose re-derivation runs past the budget is refused naming the line, storing
    // nothing.
    let before = dataset_count(addr);
    let (file, at) = with_operations(&export, &alternating(256), "big-slow");
    let (status, body) = post_text(addr, "/api/datasets?name=big-slow", &file);
    let message = body["error"].as_str().unwrap_or_default();
    assert_eq!(status, 400, "{body:.500}");
    assert!(
        message.contains(&format!(
            "line {at}: re-deriving the variant on line {at} took longer"
        )),
        "{message}"
    );
    assert_eq!(dataset_count(addr), before, "nothing was stored");
}
