//! Shared by the integration tests: the web server on a free port with a fresh data directory
//! (in-process by default, [`start`]; the real `graft serve` binary where a test needs the
//! process itself, [`start_process`]: start-up, crashes, hostile input), and a small HTTP/1.0
//! client for its JSON API (raw bytes, so hostile requests can be sent as written).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

/// The admin every test server has (made with `graft user add` before it starts).
pub const ADMIN: &str = "admin";
/// Its password.
pub const ADMIN_PASSWORD: &str = "admin-password";

/// The session cookie [`request`] sends to each test server (the admin's, from [`start`]).
static COOKIES: Mutex<BTreeMap<SocketAddr, String>> = Mutex::new(BTreeMap::new());

/// The cookie [`request`] sends to `addr` (`None`: requests go anonymously).
pub fn set_cookie_for(addr: SocketAddr, cookie: Option<String>) {
    let mut map = COOKIES.lock().unwrap_or_else(|e| e.into_inner());
    match cookie {
        Some(c) => map.insert(addr, c),
        None => map.remove(&addr),
    };
}

fn cookie_for(addr: SocketAddr) -> Option<String> {
    COOKIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&addr)
        .cloned()
}

/// Makes an account in a data directory with `graft user add` (nothing when the name is
/// taken).
pub fn add_user(data_dir: &Path, name: &str, role: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graft"))
        .args([
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--if-missing",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("GRAFT_DATABASE_URL")
        .env_remove("GRAFT_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("graft user add starts");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(
        child.wait().unwrap().success(),
        "graft user add {name} failed"
    );
}

/// Logs in through `POST /api/login`: the session cookie (`name=value`), or the status and
/// error when refused.
pub fn login(addr: SocketAddr, name: &str, password: &str) -> Result<String, (u16, String)> {
    let body = serde_json::json!({ "name": name, "password": password }).to_string();
    let (status, headers, text) = request_with(
        addr,
        "POST",
        "/api/login",
        Some("application/json"),
        body.as_bytes(),
        None,
    );
    if status != 200 {
        return Err((status, text));
    }
    headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .and_then(|(_, v)| v.split(';').next())
        .map(str::to_string)
        .ok_or((status, "no Set-Cookie header".to_string()))
}

/// The running server, stopped when dropped, so a failing assertion does not leak it: a
/// child process ([`start_process`], [`spawn`]) or the router on a runtime of its own
/// ([`start`]).
pub struct Server {
    /// The `graft serve` process (`None` in-process).
    pub child: Option<Child>,
    pub addr: SocketAddr,
    /// The first line it printed (in-process: the line `graft serve` would print).
    pub banner: String,
    /// The runtime serving the router in-process.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Server {
    /// Kills the server process at once (SIGKILL: no clean shutdown), as a crash would.
    pub fn kill(mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The `graft serve` process (tests that started one with [`start_process`]).
    pub fn process(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("a server started with start_process")
    }
}

/// The web server (`server::web::app`, as `graft serve` builds it) in-process on a free port
/// over `data_dir`, no model, with the account [`ADMIN`]; logs in as the admin: the helpers
/// below send the admin's cookie unless told otherwise ([`set_cookie_for`]).
pub fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[])
}

/// [`start`] with `graft serve` settings as environment variables: the engine budgets
/// (`GRAFT_ENGINE_BUDGET_MS`, `GRAFT_JOB_BUDGET_MS`) in-process, anything else (a model's
/// `GRAFT_LLM_*`) by starting the real binary with them.
pub fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
    let budget = |name: &str, default: Duration| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| Duration::from_millis(v.parse().expect("a budget in ms")))
            .unwrap_or(default)
    };
    if env
        .iter()
        .any(|(k, _)| !["GRAFT_ENGINE_BUDGET_MS", "GRAFT_JOB_BUDGET_MS"].contains(k))
    {
        return start_process_with(data_dir, env);
    }
    let request = budget("GRAFT_ENGINE_BUDGET_MS", store::DEFAULT_REQUEST_BUDGET);
    let job = budget("GRAFT_JOB_BUDGET_MS", store::DEFAULT_JOB_BUDGET);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (addr, banner) = runtime.block_on(async {
        let store = store::Store::open_data_dir(data_dir)
            .await
            .expect("the store opens")
            .with_engine_budgets(request, job);
        // Refused when it exists already (a restart over the same data directory).
        let _ = store
            .create_user(ADMIN, types::account::Role::Admin, ADMIN_PASSWORD)
            .await;
        let mut options = leptos::config::get_configuration(None)
            .expect("Leptos settings")
            .leptos_options;
        options.site_root = env!("CARGO_TARGET_TMPDIR").into();
        let router = server::web::app(store.clone(), options, false)
            .await
            .expect("the app starts");
        let problems = store.problem_count().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server::web::serve(listener, router));
        (
            addr,
            format!("graft: serving {problems} problems on http://{addr}"),
        )
    });
    let server = Server {
        child: None,
        addr,
        banner,
        runtime: Some(runtime),
    };
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).expect("the admin logs in");
    set_cookie_for(server.addr, Some(cookie));
    server
}

/// The real `graft serve` binary over `data_dir` with the account [`ADMIN`], logged in as it
/// (see [`start`]).
pub fn start_process(data_dir: &Path) -> Server {
    start_process_with(data_dir, &[])
}

/// [`start_process`] with extra environment variables (`GRAFT_LLM_BASE_URL`, …).
pub fn start_process_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
    add_user(data_dir, ADMIN, "admin", ADMIN_PASSWORD);
    let server = spawn(data_dir, env, Stdio::inherit());
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).expect("the admin logs in");
    set_cookie_for(server.addr, Some(cookie));
    server
}

/// `graft serve` on a free port over `data_dir`, with no `GRAFT_*` settings but `env`, its
/// stderr going to `stderr`; returns once it has printed its address.
pub fn spawn(data_dir: &Path, env: &[(&str, &str)], stderr: Stdio) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_graft"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir);
    for var in [
        "GRAFT_ADDR",
        "GRAFT_DATA_DIR",
        "GRAFT_DATABASE_URL",
        "GRAFT_LLM_BASE_URL",
        "GRAFT_LLM_MODEL",
        "GRAFT_LLM_API_KEY",
        "GRAFT_LLM_PROVIDER",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .env("LEPTOS_SITE_ROOT", env!("CARGO_TARGET_TMPDIR"))
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the graft binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("graft serve prints its address");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Server {
        child: Some(child),
        addr,
        banner: line.trim().to_string(),
        runtime: None,
    }
}

pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("graft-serve-test")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a temp dir")
}

/// One HTTP/1.0 exchange with the server's current cookie ([`set_cookie_for`]): the status,
/// the headers (lower-case names) and the body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, Vec<(String, String)>, String) {
    request_with(
        addr,
        method,
        path,
        content_type,
        body,
        cookie_for(addr).as_deref(),
    )
}

/// One HTTP/1.0 exchange (no chunked encoding; the server closes the connection) sending
/// `cookie` (`None`: anonymous): the status, the headers (lower-case names) and the body.
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
    cookie: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if let Some(c) = cookie {
        head.push_str(&format!("Cookie: {c}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("reads the response");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = request(addr, "GET", path, None, b"");
    (status, body)
}

/// `GET path` answered with JSON: the status and the value.
pub fn get_json(addr: SocketAddr, path: &str) -> (u16, Value) {
    let (status, body) = get(addr, path);
    (status, parse(&body))
}

/// `POST path` with a JSON body.
pub fn post_json(addr: SocketAddr, path: &str, body: &Value) -> (u16, Value) {
    let (status, _, text) = request(
        addr,
        "POST",
        path,
        Some("application/json"),
        body.to_string().as_bytes(),
    );
    (status, parse(&text))
}

/// `POST path` with a JSONL text body.
pub fn post_text(addr: SocketAddr, path: &str, body: &str) -> (u16, Value) {
    let (status, _, text) = request(addr, "POST", path, Some("text/plain"), body.as_bytes());
    (status, parse(&text))
}

pub fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

pub fn demo_lines() -> Vec<String> {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/demo.jsonl");
    std::fs::read_to_string(demo)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

pub fn datasets(addr: SocketAddr) -> Vec<Value> {
    let (status, list) = get_json(addr, "/api/datasets");
    assert_eq!(status, 200, "{list}");
    list.as_array().expect("a list").clone()
}

/// The id of the first problem of the first dataset (the demo set) and its graph.
pub fn first_demo_problem(addr: SocketAddr) -> (i64, Value) {
    let id = datasets(addr)[0]["id"].as_i64().unwrap();
    let (_, page) = get_json(addr, &format!("/api/datasets/{id}?limit=1"));
    let pid = page["problems"][0]["id"].as_i64().unwrap();
    let (status, problem) = get_json(addr, &format!("/api/problems/{pid}"));
    assert_eq!(status, 200, "{problem}");
    (pid, problem["graph"].clone())
}

/// The index of the first step node of a graph's JSON.
pub fn a_step(graph: &Value) -> usize {
    graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|n| n["kind"] == "step")
        .expect("a step node")
}

pub fn wait_done(addr: SocketAddr, job: i64) -> Value {
    let start = Instant::now();
    loop {
        let (status, j) = get_json(addr, &format!("/api/jobs/{job}"));
        assert_eq!(status, 200, "{j}");
        if j["state"] == "done" || j["state"] == "failed" {
            return j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "job {job} not done: {j}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The ducks-and-eggs problem imported as dataset `name`, and a variant of it where Janet eats
/// 5 eggs instead of 3 (she sells 7, makes $14): (dataset id, variant id).
pub async fn eggs_variant(store: &store::Store, name: &str) -> (i64, i64) {
    let rows = r#"{"question": "Janet's ducks lay 16 eggs per day. She eats 3 for breakfast every morning and bakes muffins with 4. She sells the remainder at $2 per egg. How much does she make every day?", "answer": "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer's market.\n#### 18"}"#;
    let d = store.import_jsonl(name, rows).await.unwrap().dataset_id;
    let p = store
        .dataset(d, None, None)
        .await
        .unwrap()
        .unwrap()
        .problems[0]
        .id;
    let graph = store.problem(p).await.unwrap().unwrap().graph.unwrap();
    let eaten = graph
        .ids()
        .find(|&id| graph.value(id) == engine::Number::from(3))
        .unwrap();
    let op = engine::intervene::Intervention::SetInput {
        node: eaten,
        value: engine::Number::from(5),
    };
    let v = store
        .save_variant(p, None, vec![op], None)
        .await
        .unwrap()
        .id;
    (d, v)
}

/// The Python of `scripts/py-env` (Hugging Face `datasets`, pyarrow): `GRAFT_PYTHON`, else the
/// cached venv; a clear failure naming the fix when neither exists.
pub fn venv_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("GRAFT_PYTHON").filter(|p| !p.is_empty()) {
        let p = std::path::PathBuf::from(p);
        assert!(
            p.exists(),
            "GRAFT_PYTHON={} does not exist; run scripts/py-env and set GRAFT_PYTHON to the \
             path it prints",
            p.display()
        );
        return p;
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    let p = Path::new(&home).join(".cache/graft/py/bin/python");
    assert!(
        p.exists(),
        "no Python with Hugging Face `datasets`: GRAFT_PYTHON is not set and {} is missing; \
         run scripts/py-env (it creates that venv, once) and run the test again",
        p.display()
    );
    p
}

/// Runs `script` (Python source) in the venv's Python with `args`, Hugging Face offline and its
/// cache under `cache`, and reads the JSON of its last stdout line; fails with its stderr.
pub fn run_python_json(script: &str, args: &[&str], cache: &Path) -> Value {
    let python = venv_python();
    let o = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .env("HF_DATASETS_CACHE", cache)
        .env("HF_HOME", cache)
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} does not run ({e}); run scripts/py-env",
                python.display()
            )
        });
    assert!(
        o.status.success(),
        "the Python loader failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the loader's output is JSON ({e}): {stdout}"))
}

/// The router `graft serve` builds, over a new store (demo set imported) in `dir`, for
/// in-process requests; and the store, for set-up and checks.
pub async fn app_and_store(dir: &Path) -> (axum::Router, store::Store) {
    let store = store::Store::open_data_dir(dir).await.expect("a new store");
    store.ensure_demo().await.expect("the demo set");
    let sessions = tower_sessions_sqlx_store::SqliteStore::new(store.pool().clone());
    sessions.migrate().await.expect("the session table");
    let jobs = store.spawn_job_runner();
    let options = leptos::config::get_configuration(None)
        .expect("Leptos settings")
        .leptos_options;
    let state = server::web::AppState {
        leptos_options: options,
        store: store.clone(),
        jobs,
        limiter: store::LoginLimiter::default(),
        previews: server::bounds::RateLimiter::preview(),
    };
    (server::web::router(state, sessions, false), store)
}
