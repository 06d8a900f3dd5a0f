//! The web server driven in-process, as a library: the real router over a real SQLite file,
//! requests sent with `tower::ServiceExt::oneshot`, no port and no child process.
//!
//! [`every_operation_answers_each_role_alike_through_both_adapters`] is the permission table:
//! each operation once, each role once, through the REST handler and the server function
//! (the two adapters over `store::ops`), expecting the same outcome from both.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use store::Store;
use tower::ServiceExt;

use common::eggs_variant;

async fn app(dir: &std::path::Path) -> axum::Router {
    common::app_and_store(dir).await.0
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, serde_json::Value) {
    let mut req = Request::get(path).body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let res = app.clone().oneshot(req).await.expect("a response");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_answers_without_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let (status, body) = get(&app, "/api/datasets").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body
        .as_array()
        .expect("a list of datasets")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(names.contains(&"demo"), "{body}");
    // A problem's variants come a window at a time; a bad window is the API's own 400.
    let d = body[0]["id"].as_i64().unwrap();
    let (_, page) = get(&app, &format!("/api/datasets/{d}")).await;
    let p = page["problems"][0]["id"].as_i64().unwrap();
    let (status, problem) = get(&app, &format!("/api/problems/{p}")).await;
    assert_eq!(status, StatusCode::OK, "{problem}");
    assert_eq!(problem["variants_limit"], 100, "{problem}");
    assert_eq!(problem["variants_total"], 0, "{problem}");
    let (status, w) = get(
        &app,
        &format!("/api/problems/{p}/variants?offset=3&limit=7"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(
        (w["offset"].as_u64(), w["limit"].as_u64()),
        (Some(3), Some(7)),
        "{w}"
    );
    let (status, e) = get(&app, &format!("/api/problems/{p}?limit=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("limit must be between 1 and 1000 variants"),
        "{e}"
    );
    let (status, e) = get(&app, &format!("/api/problems/{p}/variants?offset=-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, _) = get(&app, "/api/problems/999999/variants").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An unknown endpoint is the API's own JSON 404.
    let (status, body) = get(&app, "/api/no-such-endpoint").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string(), "{body}");
}

/// Who sends a request in the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Viewer,
    Annotator,
    Admin,
}

const EVERYONE: [Who; 4] = [Who::Anonymous, Who::Viewer, Who::Annotator, Who::Admin];

/// Who may do an operation on the private dataset of the table.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, logged in or not.
    Anyone,
    /// Anyone logged in (the dataset is private).
    Reader,
    /// Annotators and admins.
    Annotator,
    /// Admins only.
    Admin,
}

/// What a request came to, as far as permissions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Past the permission check (2xx, or a 4xx of the work itself: 400, 404, 409).
    Allowed,
    /// 401: log in first.
    LoginRequired,
    /// 403: the role may not.
    Forbidden,
}

impl Rule {
    fn expect(self, who: Who) -> Outcome {
        let rank = |w: Who| match w {
            Who::Anonymous => 0,
            Who::Viewer => 1,
            Who::Annotator => 2,
            Who::Admin => 3,
        };
        let need = match self {
            Rule::Anyone => 0,
            Rule::Reader => 1,
            Rule::Annotator => 2,
            Rule::Admin => 3,
        };
        if rank(who) >= need {
            Outcome::Allowed
        } else if who == Who::Anonymous {
            Outcome::LoginRequired
        } else {
            Outcome::Forbidden
        }
    }
}

/// One request: method, path, body (JSON unless `form`).
struct Call {
    method: &'static str,
    path: String,
    body: Option<String>,
    form: bool,
}

fn rest(method: &'static str, path: String, body: Option<serde_json::Value>) -> Call {
    Call {
        method,
        path,
        body: body.map(|b| b.to_string()),
        form: false,
    }
}

/// A call of server function `name` (its registered path), with JSON or form arguments.
fn server_fn(name: &str, args: serde_json::Value, json: bool) -> Call {
    let path = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .find(|p| {
            p.strip_prefix("/api/")
                .and_then(|rest| rest.strip_prefix(name))
                .is_some_and(|hash| hash.chars().all(|c| c.is_ascii_digit()))
        })
        .unwrap_or_else(|| panic!("no server function {name}"));
    let body = if json {
        args.to_string()
    } else {
        args.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("{k}={}", v.replace(' ', "+"))
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    Call {
        method: "POST",
        path,
        body: Some(body),
        form: !json,
    }
}

/// Sends `call` with `cookie`; the status, the body and the `Set-Cookie` header.
async fn send(
    app: &axum::Router,
    call: &Call,
    cookie: Option<&str>,
) -> (StatusCode, String, Option<String>) {
    let mut req = Request::builder().method(call.method).uri(&call.path);
    if call.body.is_some() {
        let kind = if call.form {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        req = req.header("content-type", kind);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let mut req = req
        .body(Body::from(call.body.clone().unwrap_or_default()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let res = app.clone().oneshot(req).await.expect("a response");
    let status = res.status();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        set_cookie,
    )
}

fn outcome(status: StatusCode) -> Outcome {
    match status.as_u16() {
        401 => Outcome::LoginRequired,
        403 => Outcome::Forbidden,
        _ => Outcome::Allowed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_each_role_alike_through_both_adapters() {
    use serde_json::json;
    use types::account::Role;

    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    let password = "password-123";
    for (name, role) in [
        ("vic", Role::Viewer),
        ("ann", Role::Annotator),
        ("ada", Role::Admin),
    ] {
        store.create_user(name, role, password).await.unwrap();
    }
    // A private dataset with a problem, a variant and a finished job.
    let rows = r#"{"question": "Ann has 3 boxes of 4 apples and eats 2. How many apples are left?", "answer": "Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10"}"#;
    let d = store
        .import_jsonl("private", rows)
        .await
        .unwrap()
        .dataset_id;
    let spec = types::model::JobSpec::curriculum(d, 1, 1, 7);
    let job = store.create_job(&spec).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let status = store.job(job).await.unwrap().unwrap();
        if status.state.is_finished() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the job never ended");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = store.dataset(d, None, None).await.unwrap().unwrap();
    let p = page.problems[0].id;
    let problem = store.problem(p).await.unwrap().unwrap();
    let v = problem.variants.first().expect("the job made a variant").id;
    let token = problem.share_token.clone();

    // Each role's session cookie, by logging in through the API.
    let mut cookies = std::collections::HashMap::new();
    for (who, name) in [
        (Who::Viewer, "vic"),
        (Who::Annotator, "ann"),
        (Who::Admin, "ada"),
    ] {
        let call = rest(
            "POST",
            "/api/login".into(),
            Some(json!({"name": name, "password": password})),
        );
        let (status, body, cookie) = send(&app, &call, None).await;
        assert_eq!(status, StatusCode::OK, "{name} logs in: {body}");
        cookies.insert(who, cookie.expect("a session cookie"));
    }

    let n = std::sync::atomic::AtomicUsize::new(0);
    let fresh = |what: &str| {
        format!(
            "{what}-{}",
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
    };
    let settings = json!({"public": false, "guidelines": "", "overlap": 1, "gold_percent": 0});
    let accept = json!({"decision": "accept"});

    // (operation, rule, REST call, server function call); every call is made fresh for each
    // role, so names that must be new are.
    type Make<'a> = Box<dyn Fn() -> Option<Call> + 'a>;
    let table: Vec<(&str, Rule, Make, Make)> = vec![
        (
            "list datasets",
            Rule::Anyone,
            Box::new(|| Some(rest("GET", "/api/datasets".into(), None))),
            Box::new(|| Some(server_fn("list_datasets", json!({}), false))),
        ),
        (
            "read a dataset",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}"), None))),
            Box::new(|| Some(server_fn("get_dataset", json!({"id": d}), false))),
        ),
        (
            "list a dataset's variants",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}/variants"), None))),
            Box::new(|| {
                Some(server_fn(
                    "list_variants",
                    json!({"dataset_id": d, "offset": 0}),
                    false,
                ))
            }),
        ),
        (
            "list a dataset's jobs",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}/jobs"), None))),
            Box::new(|| Some(server_fn("list_jobs", json!({"dataset_id": d}), false))),
        ),
        (
            "read a dataset's evaluation",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}/eval"), None))),
            Box::new(|| {
                Some(server_fn(
                    "get_eval_report",
                    json!({"dataset_id": d}),
                    false,
                ))
            }),
        ),
        (
            "read a problem",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/problems/{p}"), None))),
            Box::new(|| Some(server_fn("get_problem", json!({"id": p}), false))),
        ),
        (
            "list a problem's variants",
            Rule::Reader,
            Box::new(|| {
                Some(rest(
                    "GET",
                    format!("/api/problems/{p}/variants?offset=0&limit=5"),
                    None,
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "get_problem_variants",
                    json!({"id": p, "offset": 0}),
                    false,
                ))
            }),
        ),
        (
            "read a variant",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/variants/{v}"), None))),
            Box::new(|| Some(server_fn("get_variant", json!({"id": v}), false))),
        ),
        (
            "read a variant's words",
            Rule::Reader,
            Box::new(|| None),
            Box::new(|| Some(server_fn("get_variant_wording", json!({"id": v}), false))),
        ),
        (
            "read a job",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/jobs/{job}"), None))),
            Box::new(|| Some(server_fn("get_job", json!({"id": job}), false))),
        ),
        (
            "read a job's failures",
            Rule::Reader,
            Box::new(|| Some(rest("GET", format!("/api/jobs/{job}/failures"), None))),
            Box::new(|| None),
        ),
        (
            "list every job",
            Rule::Anyone,
            Box::new(|| Some(rest("GET", "/api/jobs".into(), None))),
            Box::new(|| None),
        ),
        (
            "open a share link",
            Rule::Anyone,
            Box::new(|| Some(rest("GET", format!("/api/s/{token}"), None))),
            Box::new(|| Some(server_fn("get_shared", json!({"token": token}), false))),
        ),
        (
            "list a shared problem's variants",
            Rule::Anyone,
            Box::new(|| None),
            Box::new(|| {
                Some(server_fn(
                    "get_problem_variants",
                    json!({"id": 0, "token": token, "offset": 0}),
                    false,
                ))
            }),
        ),
        (
            "import a dataset",
            Rule::Admin,
            Box::new(|| {
                Some(
                    rest("POST", format!("/api/datasets?name={}", fresh("set")), None)
                        .with_text(rows),
                )
            }),
            Box::new(|| {
                Some(server_fn(
                    "import_dataset",
                    json!({"name": fresh("set"), "contents": rows}),
                    true,
                ))
            }),
        ),
        (
            "add a problem",
            Rule::Admin,
            Box::new(|| None),
            Box::new(|| {
                Some(server_fn(
                    "add_problem",
                    json!({"dataset_id": d, "question": "Bo has 2 pens and buys 3. How many pens?", "solution": "2 + 3 = <<2+3=5>>5\n#### 5", "python": false}),
                    true,
                ))
            }),
        ),
        (
            "save a variant",
            Rule::Admin,
            Box::new(|| {
                Some(rest(
                    "POST",
                    format!("/api/problems/{p}/variants"),
                    Some(json!({"operations": []})),
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "save_variant",
                    json!({"problem_id": p, "parent_variant_id": null, "operations": []}),
                    true,
                ))
            }),
        ),
        (
            "start a job",
            Rule::Admin,
            Box::new(|| {
                Some(rest(
                    "POST",
                    "/api/jobs".into(),
                    Some(serde_json::to_value(&spec).unwrap()),
                ))
            }),
            Box::new(|| Some(server_fn("start_job", json!({"spec": spec}), true))),
        ),
        (
            "resume a job",
            Rule::Admin,
            Box::new(|| Some(rest("POST", format!("/api/jobs/{job}/resume"), None))),
            Box::new(|| Some(server_fn("resume_job", json!({"id": job}), false))),
        ),
        (
            "verbalize a variant",
            Rule::Admin,
            Box::new(|| {
                Some(rest(
                    "POST",
                    format!("/api/variants/{v}/verbalize?offline=true"),
                    None,
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "verbalize_variant",
                    json!({"id": v, "offline": true}),
                    false,
                ))
            }),
        ),
        (
            "judge a variant",
            Rule::Admin,
            Box::new(|| {
                Some(rest(
                    "POST",
                    format!("/api/variants/{v}/judge?offline=true"),
                    None,
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "judge_variant",
                    json!({"id": v, "offline": true}),
                    false,
                ))
            }),
        ),
        (
            "extract a problem",
            Rule::Admin,
            Box::new(|| Some(rest("POST", format!("/api/problems/{p}/extract"), None))),
            Box::new(|| None),
        ),
        (
            "export a dataset",
            Rule::Admin,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}/export"), None))),
            Box::new(|| None),
        ),
        (
            "read the review queue",
            Rule::Annotator,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}/review"), None))),
            Box::new(|| {
                Some(server_fn(
                    "get_review_queue",
                    json!({"dataset_id": d, "filter": {}, "after": null}),
                    true,
                ))
            }),
        ),
        (
            "decide on a variant",
            Rule::Annotator,
            Box::new(|| {
                Some(rest(
                    "POST",
                    format!("/api/variants/{v}/review"),
                    Some(accept.clone()),
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "decide",
                    json!({"variant_id": v, "decision": accept}),
                    true,
                ))
            }),
        ),
        (
            "decide in bulk",
            Rule::Admin,
            Box::new(|| {
                Some(rest(
                    "POST",
                    format!("/api/datasets/{d}/review/bulk"),
                    Some(json!({"decision": accept, "apply": false})),
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "bulk_decide",
                    json!({"dataset_id": d, "filter": {}, "decision": accept, "apply": false}),
                    true,
                ))
            }),
        ),
        (
            "change settings",
            Rule::Admin,
            Box::new(|| {
                Some(rest(
                    "POST",
                    format!("/api/datasets/{d}/settings"),
                    Some(settings.clone()),
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "save_settings",
                    json!({"dataset_id": d, "settings": settings}),
                    true,
                ))
            }),
        ),
        (
            "read the label queue",
            Rule::Annotator,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}/labels/next"), None))),
            Box::new(|| {
                Some(server_fn(
                    "get_label_queue",
                    json!({"dataset_id": d}),
                    false,
                ))
            }),
        ),
        (
            "edit labels",
            Rule::Annotator,
            Box::new(|| {
                Some(rest(
                    "POST",
                    "/api/label-items/999999".into(),
                    Some(json!({"action": "reopen"})),
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "edit_labels",
                    json!({"item_id": 999999, "edit": {"action": "reopen"}}),
                    true,
                ))
            }),
        ),
        (
            "read the annotation report",
            Rule::Admin,
            Box::new(|| Some(rest("GET", format!("/api/datasets/{d}/annotations"), None))),
            Box::new(|| None),
        ),
        (
            "list accounts",
            Rule::Admin,
            Box::new(|| Some(rest("GET", "/api/users".into(), None))),
            Box::new(|| Some(server_fn("list_users", json!({}), false))),
        ),
        (
            "add an account",
            Rule::Admin,
            Box::new(|| {
                Some(rest(
                    "POST",
                    "/api/users".into(),
                    Some(json!({"name": fresh("user"), "role": "viewer", "password": password})),
                ))
            }),
            Box::new(|| {
                Some(server_fn(
                    "add_user",
                    json!({"name": fresh("user"), "role": "viewer", "password": password}),
                    false,
                ))
            }),
        ),
        (
            "change a role",
            Rule::Admin,
            Box::new(|| None),
            Box::new(|| {
                Some(server_fn(
                    "set_user_role",
                    json!({"name": "vic", "role": "viewer"}),
                    false,
                ))
            }),
        ),
        (
            "who am I",
            Rule::Anyone,
            Box::new(|| Some(rest("GET", "/api/me".into(), None))),
            Box::new(|| Some(server_fn("current_user", json!({}), false))),
        ),
    ];

    let mut wrong = Vec::new();
    for (name, rule, by_rest, by_fn) in &table {
        for who in EVERYONE {
            let expected = rule.expect(who);
            let cookie = cookies.get(&who).map(String::as_str);
            for (adapter, call) in [("REST", by_rest()), ("server fn", by_fn())] {
                let Some(call) = call else { continue };
                let (status, body, _) = send(&app, &call, cookie).await;
                let got = outcome(status);
                // Arguments that did not decode would hide a check: they count as wrong too.
                let undecoded = body.starts_with("Args|") || body.starts_with("Deserialization|");
                if got != expected || status.is_server_error() || undecoded {
                    wrong.push(format!(
                        "{name} as {who:?} via {adapter} ({} {}): expected {expected:?}, got \
                         {status} {body:.200}",
                        call.method, call.path
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The annotation report on the dataset page: the report for an admin, nothing for others
    // (not an error), decided by the same rule.
    for who in EVERYONE {
        let call = server_fn("get_annotation_report", json!({"dataset_id": d}), false);
        let (status, body, _) = send(&app, &call, cookies.get(&who).map(String::as_str)).await;
        assert_eq!(status, StatusCode::OK, "{who:?}: {body}");
        assert_eq!(body == "null", who != Who::Admin, "{who:?}: {body}");
    }
}

impl Call {
    /// The call with a plain-text body.
    fn with_text(mut self, text: &str) -> Call {
        self.body = Some(text.to_string());
        self.form = false;
        self
    }
}

/// `POST /api/variants/{id}/solutions`: a model's solutions stored scored and labelled, samples
/// numbered per model, listed back; bad input refused with what is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_solutions_are_stored_scored_and_labelled() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    store
        .create_user("ada", types::account::Role::Admin, "password-123")
        .await
        .unwrap();
    let (_, v) = eggs_variant(&store, "eggs").await;
    let (_, _, cookie) = send(
        &app,
        &rest(
            "POST",
            "/api/login".into(),
            Some(json!({"name": "ada", "password": "password-123"})),
        ),
        None,
    )
    .await;
    let cookie = cookie.unwrap();
    let post =
        |body: serde_json::Value| rest("POST", format!("/api/variants/{v}/solutions"), Some(body));

    // 16 - 5 - 4 = 7 eggs, 7 × 2 = 14 dollars.
    let (status, body, _) = send(&app, &post(json!({"model": "m1", "solution": "She sells 16 - 5 - 4 = 7 eggs.\nShe makes 7 * 2 = $14.\n#### 14"})), Some(&cookie)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let first: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(first["score"], "correct", "{first}");
    assert_eq!(first["sample"], 0);
    assert!(first["first_error"].is_null(), "{first}");
    assert_eq!(first["steps"][1]["rating"], 1, "{first}");

    let (status, body, _) = send(&app, &post(json!({"model": "m1", "completion": "x", "solution": "She sells 16 - 5 - 4 = 8 eggs.\nShe makes 8 * 2 = $16.\n#### 16", "prompt_version": "v2"})), Some(&cookie)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let second: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (second["score"].as_str(), second["sample"].as_i64()),
        (Some("wrong"), Some(1))
    );
    assert_eq!(second["first_error"], 0, "{second}");

    // Refusals: no model, an unknown variant, a body that is not a solution.
    let (status, body, _) = send(
        &app,
        &post(json!({"model": " ", "solution": "#### 14"})),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("model"), "{body}");
    let (status, _, _) = send(
        &app,
        &rest(
            "POST",
            "/api/variants/999999/solutions".into(),
            Some(json!({"model": "m", "solution": "1"})),
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body, _) = send(&app, &post(json!({"text": "no fields"})), Some(&cookie)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Listed back in order, as stored.
    let (status, body, _) = send(
        &app,
        &rest("GET", format!("/api/variants/{v}/solutions"), None),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["prompt_version"], "v2");
    assert_eq!(list[0], first);
    let (status, _, _) = send(
        &app,
        &rest("GET", "/api/variants/999999/solutions".into(), None),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// `GET /api/datasets/{id}/eval`: solutions stored through the API come back counted by
/// model, depth, round and intervention kind, with intervals and pass@k; a private dataset's
/// report needs an account (401 without), an unknown dataset is 404, a public dataset with no
/// solutions an empty report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eval_report_counts_stored_solutions_and_keeps_private_datasets_private() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    store
        .create_user("ada", types::account::Role::Admin, "password-123")
        .await
        .unwrap();
    let (d, v) = eggs_variant(&store, "eggs-eval").await;
    let (_, _, cookie) = send(
        &app,
        &rest(
            "POST",
            "/api/login".into(),
            Some(json!({"name": "ada", "password": "password-123"})),
        ),
        None,
    )
    .await;
    let cookie = cookie.unwrap();
    // 16 - 5 - 4 = 7 eggs, 7 × 2 = 14 dollars: right twice, wrong once, by one model.
    for answer in [14, 16, 14] {
        let body = json!({"model": "m1", "solution": format!("#### {answer}")});
        let call = rest("POST", format!("/api/variants/{v}/solutions"), Some(body));
        let (status, body, _) = send(&app, &call, Some(&cookie)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let eval = |id: String| rest("GET", format!("/api/datasets/{id}/eval"), None);

    // The dataset is private: no account, no report.
    let (status, body, _) = send(&app, &eval(d.to_string()), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("private"), "{body}");

    let (status, body, _) = send(&app, &eval(d.to_string()), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r: types::eval::EvalReport = serde_json::from_str(&body).unwrap();
    assert_eq!((r.dataset_id, r.solutions, r.models.len()), (d, 3, 1));
    let m = &r.models[0];
    assert_eq!(m.model, "m1");
    assert_eq!((m.overall.n, m.overall.correct), (3, 2));
    // JSON keeps the interval to the last bit or so.
    let (lo, hi) = engine::labels::eval::wilson(2, 3);
    assert!(
        (m.overall.low - lo).abs() < 1e-12 && (m.overall.high - hi).abs() < 1e-12,
        "{body}"
    );
    assert_eq!(m.by_depth.len(), 1);
    assert_eq!((m.by_round[0].round, m.by_round[0].cell.n), (1, 3));
    assert_eq!(m.by_kind.len(), 1);
    assert_eq!(m.by_kind[0].kind, "set_input");
    let ks: Vec<u32> = m.pass_at_k.iter().map(|p| p.k).collect();
    assert_eq!(ks, [1, 2, 3]);
    assert!((m.pass_at_k[0].value - 2.0 / 3.0).abs() < 1e-9);

    // No such dataset; an id that is not a number.
    let (status, body, _) = send(&app, &eval("999999".into()), Some(&cookie)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body, _) = send(&app, &eval("eggs".into()), Some(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // The public demo set, anonymously: an empty report.
    let (status, body) = get(&app, "/api/datasets").await;
    assert_eq!(status, StatusCode::OK);
    let demo = body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "demo")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, body, _) = send(&app, &eval(demo.to_string()), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r: types::eval::EvalReport = serde_json::from_str(&body).unwrap();
    assert!(r.models.is_empty() && r.solutions == 0, "{body}");
}

/// A solve job against a scripted OpenAI-compatible endpoint (real HTTP on 127.0.0.1): each
/// sample stored scored and labelled, sampled at the job's temperature with a seed per sample;
/// an outage pauses the job with what it had, and the resumed job asks only for what is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solve_job_stores_labelled_solutions_and_resumes_after_an_outage() {
    use axum::extract::State;
    use axum::routing::post;
    use serde_json::{json, Value};
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<Value>>>;
    async fn chat(
        State(seen): State<Seen>,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let n = {
            let mut s = seen.lock().unwrap();
            s.push(body);
            s.len() - 1
        };
        let text = match n {
            0 | 3 => "She sells 16 - 5 - 4 = 7 eggs.\nShe makes 7 * 2 = $14.\n#### 14",
            1 => "She sells 16 - 5 - 4 = 8 eggs.\nShe makes 8 * 2 = $16.\n#### 16",
            _ => return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response(),
        };
        axum::Json(json!({
            "id": format!("c{n}"), "object": "chat.completion", "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}
        }))
        .into_response()
    }
    let seen: Seen = Arc::default();
    let endpoint = axum::Router::new()
        .route("/v1/chat/completions", post(chat))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, endpoint).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path())
        .await
        .unwrap()
        .with_llm_config(llm::ClientConfig {
            max_retries: 0,
            ..llm::ClientConfig::default()
        });
    let _runner = store.spawn_job_runner();
    let admin = store
        .create_user("ada", types::account::Role::Admin, "password-123")
        .await
        .unwrap();
    let caller = store::Caller {
        user: Some(admin),
        address: None,
    };
    let (d, v) = eggs_variant(&store, "eggs").await;

    let ops = store.by(&caller);
    let spec = types::model::JobSpec {
        llm: Some(types::model::LlmSettings {
            base_url: base_url.clone(),
            model: "scripted".into(),
            provider: None,
            api_key: None,
        }),
        solve: Some(types::model::SolveOptions {
            samples: 3,
            temperature: 0.7,
            max_tokens: 256,
            system_prompt: None,
        }),
        ..types::model::JobSpec::words(d, types::model::JobTask::Solve)
    };
    let wait = |id: i64| {
        let store = store.clone();
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            loop {
                let s = store.job(id).await.unwrap().unwrap();
                if s.state.is_finished() {
                    return s;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the job never ended: {s:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    let job = ops.start_job(&spec).await.unwrap().id;
    let paused = wait(job).await;
    assert_eq!(paused.state, types::model::JobState::Failed, "{paused:?}");
    assert!(
        paused.error.as_deref().unwrap_or("").contains("paused"),
        "{paused:?}"
    );
    let stored = ops.solutions(v).await.unwrap();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!(stored[0].score, engine::labels::solutions::Score::Correct);
    assert_eq!(stored[0].first_error, None);
    assert_eq!(stored[1].score, engine::labels::solutions::Score::Wrong);
    assert_eq!(stored[1].first_error, Some(0), "{:?}", stored[1].steps);
    assert_eq!(stored[1].model, "scripted");

    ops.resume_job(job).await.unwrap();
    let done = wait(job).await;
    assert_eq!(done.state, types::model::JobState::Done, "{done:?}");
    let stored = ops.solutions(v).await.unwrap();
    assert_eq!(
        stored.len(),
        3,
        "the resumed job asks only for the missing sample"
    );
    assert_eq!(stored[2].sample, 2);
    assert_eq!(stored[2].score, engine::labels::solutions::Score::Correct);
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(
        bodies.len(),
        4,
        "three samples and the one that met the outage"
    );
    assert_eq!(bodies[0]["temperature"], 0.7);
    assert_ne!(bodies[0]["seed"], bodies[1]["seed"], "a seed per sample");
    assert!(bodies[0]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("16"));

    // Out-of-range options are refused, saying which.
    let bad = types::model::JobSpec {
        solve: Some(types::model::SolveOptions {
            samples: 40,
            ..types::model::SolveOptions::default()
        }),
        ..spec.clone()
    };
    let e = ops.start_job(&bad).await.unwrap_err();
    assert!(e.to_string().contains("solve.samples"), "{e}");
}
