//! The response cache of problem pages and problem JSON (`server::web_cache`), through the
//! real router in-process: a kept response is served again (with its `ETag`, and `304` to a
//! client that has it), every kind of write is seen by the next request, and a kept
//! response never reaches a caller who may not read it.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use store::Store;
use tower::ServiceExt;
use types::account::Role;

const PASSWORD: &str = "password-123";

/// One answer: status, the headers the cache sets, the body.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    /// `x-graft-cache`: `hit`, `miss`, or empty when the cache did not answer.
    cache: String,
    etag: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
    cookie: Option<&str>,
    if_none_match: Option<&str>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(path);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    let mut req = req
        .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let res = app.clone().oneshot(req).await.expect("a response");
    let (status, cache, etag) = {
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (
            res.status(),
            header("x-graft-cache").unwrap_or_default(),
            header("etag"),
        )
    };
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 26)
        .await
        .unwrap();
    Answer {
        status,
        cache,
        etag,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(app: &axum::Router, path: &str, cookie: Option<&str>) -> Answer {
    send(app, "GET", path, None, cookie, None).await
}

/// Logs `name` in through the API: its session cookie.
async fn log_in(app: &axum::Router, name: &str) -> String {
    let req = Request::post("/api/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"name": name, "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let res = app.clone().oneshot(req).await.expect("a response");
    assert_eq!(res.status(), StatusCode::OK, "{name} logs in");
    res.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string()
}

/// Asks for `path` twice: the first answer is rendered (or kept from before), the second
/// comes from the cache with the same body and tag. The second answer.
async fn kept(app: &axum::Router, path: &str, cookie: Option<&str>) -> Answer {
    let first = get(app, path, cookie).await;
    assert_eq!(first.status, StatusCode::OK, "{path}: {}", first.body);
    let second = get(app, path, cookie).await;
    assert_eq!(second.status, StatusCode::OK, "{path}: {}", second.body);
    assert_eq!(second.cache, "hit", "{path} is served from the cache");
    assert_eq!(second.body, first.body, "{path}: the kept response");
    assert_eq!(second.etag, first.etag, "{path}: the kept tag");
    second
}

/// The demo problem with a graph that has the fewest variants: its id.
async fn a_demo_problem(store: &Store) -> i64 {
    let demo = store.list_datasets(true).await.unwrap()[0].id;
    let page = store.dataset(demo, None, None).await.unwrap().unwrap();
    page.problems
        .iter()
        .find(|p| p.depth.is_some())
        .expect("a demo problem with a graph")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_responses_carry_an_etag_and_a_client_that_has_one_gets_304() {
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    let p = a_demo_problem(&store).await;
    for path in [format!("/api/problems/{p}"), format!("/p/{p}")] {
        let first = get(&app, &path, None).await;
        assert_eq!(first.status, StatusCode::OK, "{path}: {}", first.body);
        assert_eq!(first.cache, "miss", "{path}: nothing kept yet");
        let tag = first.etag.clone().expect("an ETag");
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34,
            "{tag}"
        );
        let again = kept(&app, &path, None).await;
        assert_eq!(again.etag.as_deref(), Some(tag.as_str()));

        // The client's copy is current: 304, no body.
        let cached = send(&app, "GET", &path, None, None, Some(&tag)).await;
        assert_eq!(cached.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(cached.body.is_empty(), "{path}: a 304 has no body");
        assert_eq!(cached.etag.as_deref(), Some(tag.as_str()));
        // In a list, and weak.
        let listed = format!("\"0123\", W/{tag}");
        let cached = send(&app, "GET", &path, None, None, Some(&listed)).await;
        assert_eq!(cached.status, StatusCode::NOT_MODIFIED, "{path}");
        // Another tag: the whole response.
        let stale = send(&app, "GET", &path, None, None, Some("\"0123\"")).await;
        assert_eq!(stale.status, StatusCode::OK, "{path}");
        assert_eq!(stale.body, first.body, "{path}");
    }
    // The page is the page, the JSON the problem.
    let json = get(&app, &format!("/api/problems/{p}"), None).await.json();
    assert_eq!(json["id"], p);
    let page = get(&app, &format!("/p/{p}"), None).await.body;
    assert!(page.contains(&format!("Problem #{p}")), "{page}");

    // A tag from before a write is no longer current: the new response.
    let tag = get(&app, &format!("/api/problems/{p}"), None)
        .await
        .etag
        .unwrap();
    sqlx::query("UPDATE problems SET question = question || ' Show your work.' WHERE id = ?")
        .bind(p)
        .execute(store.pool())
        .await
        .unwrap();
    let after = send(
        &app,
        "GET",
        &format!("/api/problems/{p}"),
        None,
        None,
        Some(&tag),
    )
    .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.etag.as_deref(), Some(tag.as_str()));
    assert!(after.json()["question"]
        .as_str()
        .unwrap()
        .ends_with("Show your work."));

    // Other paths are not the cache's: no tag, no cache header.
    let other = get(&app, "/api/datasets", None).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.etag.is_none() && other.cache.is_empty(), "{other:?}");
}

/// After each kind of write, the next request renders afresh and shows it, for the JSON and
/// for the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_write_is_seen_by_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    store
        .create_user("ada", Role::Admin, PASSWORD)
        .await
        .unwrap();
    store
        .create_user("ann", Role::Annotator, PASSWORD)
        .await
        .unwrap();
    let admin = log_in(&app, "ada").await;
    let annotator = log_in(&app, "ann").await;
    let p = a_demo_problem(&store).await;
    let (json_path, page_path) = (format!("/api/problems/{p}"), format!("/p/{p}"));

    // Checks that the kept JSON and page (anonymous and the annotator's) are renewed by
    // `write`, and that `shows` holds of the new JSON; the new JSON.
    async fn renewed_by(
        app: &axum::Router,
        paths: (&str, &str),
        cookie: &str,
        what: &str,
        write: impl AsyncFnOnce(),
        shows: impl Fn(&Value) -> bool,
    ) -> Value {
        let (json_path, page_path) = paths;
        let before_json = kept(app, json_path, None).await;
        let before_page = kept(app, page_path, None).await;
        let before_own = kept(app, page_path, Some(cookie)).await;
        assert!(!shows(&before_json.json()), "{what}: not yet");
        write().await;
        let after_json = get(app, json_path, None).await;
        assert_eq!(
            after_json.status,
            StatusCode::OK,
            "{what}: {}",
            after_json.body
        );
        assert_eq!(
            after_json.cache, "miss",
            "{what}: the JSON is rendered again"
        );
        assert!(shows(&after_json.json()), "{what}: {}", after_json.body);
        assert_ne!(after_json.etag, before_json.etag, "{what}");
        for (before, cookie) in [(before_page, None), (before_own, Some(cookie))] {
            let after = get(app, page_path, cookie).await;
            assert_eq!(after.status, StatusCode::OK, "{what}: {}", after.body);
            assert_eq!(after.cache, "miss", "{what}: the page is rendered again");
            assert_ne!(after.body, before.body, "{what}: the page shows it");
            assert_ne!(after.etag, before.etag, "{what}");
        }
        after_json.json()
    }
    let paths = (json_path.as_str(), page_path.as_str());
    let variants = |j: &Value| j["variants"].as_array().cloned().unwrap_or_default();

    // A curriculum job writes variants.
    let json = renewed_by(
        &app,
        paths,
        &annotator,
        "a curriculum job",
        async || {
            let spec = json!({"dataset_id": store.list_datasets(true).await.unwrap()[0].id,
                "problem_id": p, "rounds": 2, "per_problem": 2, "seed": 3});
            let started = send(&app, "POST", "/api/jobs", Some(spec), Some(&admin), None).await;
            assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
            let job = started.json()["id"].as_i64().unwrap();
            let status = store
                .wait_for_job(job, std::time::Duration::from_secs(120))
                .await
                .unwrap();
            assert!(status.variants_made > 0, "{status:?}");
        },
        |j| !variants(j).is_empty(),
    )
    .await;
    let first = variants(&json)[0]["id"].as_i64().unwrap();
    let page = get(&app, &page_path, None).await.body;
    assert!(
        page.contains(&format!("/v/{first}")),
        "the page lists the job's variants"
    );

    // A review decision.
    renewed_by(
        &app,
        paths,
        &annotator,
        "a review decision",
        async || {
            let path = format!("/api/variants/{first}/review");
            let body = json!({"decision": "accept"});
            let res = send(&app, "POST", &path, Some(body), Some(&annotator), None).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        },
        |j| variants(j)[0]["review_status"] == "accepted",
    )
    .await;

    // A variant saved from the workbench (the store's save, as the API's handler calls it).
    let count = variants(&get(&app, &json_path, None).await.json()).len();
    renewed_by(
        &app,
        paths,
        &annotator,
        "a saved variant",
        async || {
            let graph = store.problem(p).await.unwrap().unwrap().graph.unwrap();
            let input = graph
                .ids()
                .find(|&id| matches!(graph.node(id).kind, engine::NodeKind::Input { .. }))
                .expect("an input");
            let op = engine::intervene::Intervention::SetInput {
                node: input,
                value: graph.value(input).add(engine::Number::from(1)).unwrap(),
            };
            store.save_variant(p, None, vec![op], None).await.unwrap();
        },
        |j| variants(j).len() == count + 1,
    )
    .await;

    // A delete (no endpoint deletes yet: maintenance, or another process on the file).
    renewed_by(
        &app,
        paths,
        &annotator,
        "a deleted variant",
        async || {
            let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM variants WHERE problem_id = ?")
                .bind(p)
                .fetch_one(store.pool())
                .await
                .unwrap();
            sqlx::query("DELETE FROM variants WHERE id = ? OR parent_variant_id = ?")
                .bind(last)
                .bind(last)
                .execute(store.pool())
                .await
                .unwrap();
        },
        |j| variants(j).len() == count,
    )
    .await;

    // An edit of the problem row itself (as an extraction rewrites its graph).
    renewed_by(
        &app,
        paths,
        &annotator,
        "an edited problem",
        async || {
            sqlx::query("UPDATE problems SET question = 'Edited: ' || question WHERE id = ?")
                .bind(p)
                .execute(store.pool())
                .await
                .unwrap();
        },
        |j| j["question"].as_str().unwrap().starts_with("Edited: "),
    )
    .await;

    // An edit of its dataset (its name is on the page and in the JSON).
    renewed_by(
        &app,
        paths,
        &annotator,
        "a renamed dataset",
        async || {
            sqlx::query(
                "UPDATE datasets SET name = 'demo, renamed' WHERE id = \
                 (SELECT dataset_id FROM problems WHERE id = ?)",
            )
            .bind(p)
            .execute(store.pool())
            .await
            .unwrap();
        },
        |j| j["dataset_name"] == "demo, renamed",
    )
    .await;
}

/// A private dataset's problem, kept for a reader, is refused to an anonymous caller; a page
/// kept for one account is not shown to another; a dataset made private stops being served
/// to anonymous callers at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_response_never_reaches_a_caller_who_may_not_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    for (name, role) in [
        ("vic", Role::Viewer),
        ("val", Role::Viewer),
        ("ada", Role::Admin),
    ] {
        store.create_user(name, role, PASSWORD).await.unwrap();
    }
    let (vic, val, admin) = (
        log_in(&app, "vic").await,
        log_in(&app, "val").await,
        log_in(&app, "ada").await,
    );
    let (d, _) = common::eggs_variant(&store, "private eggs").await;
    assert_eq!(store.dataset_is_public(d).await.unwrap(), Some(false));
    let p = store
        .dataset(d, None, None)
        .await
        .unwrap()
        .unwrap()
        .problems[0]
        .id;

    for path in [format!("/api/problems/{p}"), format!("/p/{p}")] {
        let kept = kept(&app, &path, Some(&vic)).await;
        assert!(kept.body.contains("Janet"), "{path}: the reader sees it");
        let refused = get(&app, &path, None).await;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            refused.body
        );
        assert!(!refused.body.contains("Janet"), "{path}: {}", refused.body);
        assert!(
            refused.etag.is_none() && refused.cache.is_empty(),
            "{refused:?}"
        );
        // Nor by tag.
        let tag = kept.etag.clone().unwrap();
        let by_tag = send(&app, "GET", &path, None, None, Some(&tag)).await;
        assert_eq!(by_tag.status, StatusCode::UNAUTHORIZED, "{path}");
    }

    // The page names its reader: another reader gets a page of their own.
    let page = format!("/p/{p}");
    let who = |name: &str| format!("<span class=\"who\">{name}");
    let vics = get(&app, &page, Some(&vic)).await.body;
    assert!(
        vics.contains(&who("vic")),
        "the page names its reader: {vics}"
    );
    let vals = get(&app, &page, Some(&val)).await;
    assert_eq!(vals.cache, "miss", "a page kept for vic is not val's");
    assert!(vals.body.contains(&who("val")), "{}", vals.body);
    assert!(!vals.body.contains(&who("vic")), "{}", vals.body);
    // The JSON is the same for both (only write controls differ by caller).
    let json = format!("/api/problems/{p}");
    assert_eq!(get(&app, &json, Some(&val)).await.cache, "hit");
    let admins = get(&app, &json, Some(&admin)).await;
    assert_eq!(admins.cache, "miss", "the admin's JSON has write controls");
    assert_eq!(admins.json()["can_write"], true);
    assert_eq!(
        get(&app, &json, Some(&val)).await.json()["can_write"],
        false
    );
    // An admin's page (with the live job panel) is never kept.
    for _ in 0..2 {
        let own = get(&app, &page, Some(&admin)).await;
        assert_eq!(own.status, StatusCode::OK);
        assert!(
            own.cache.is_empty() && own.etag.is_none(),
            "{:?}",
            own.cache
        );
    }

    // The demo set, kept for anonymous callers, then made private.
    let demo = store.list_datasets(true).await.unwrap()[0].id;
    let q = a_demo_problem(&store).await;
    for path in [format!("/api/problems/{q}"), format!("/p/{q}")] {
        kept(&app, &path, None).await;
    }
    let settings = json!({"public": false, "guidelines": "", "overlap": 1, "gold_percent": 0});
    let path = format!("/api/datasets/{demo}/settings");
    let res = send(&app, "POST", &path, Some(settings), Some(&admin), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for path in [format!("/api/problems/{q}"), format!("/p/{q}")] {
        let refused = get(&app, &path, None).await;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            refused.body
        );
        assert!(get(&app, &path, Some(&vic)).await.status.is_success());
    }
}

/// Pages go on rendering while another router is built in the same process (as each test
/// here builds its own): building one once ran the app with Leptos's resource loading switched
/// off for the whole process, and a page that started rendering meanwhile never finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_renders_while_another_router_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    let p = a_demo_problem(&store).await;
    let renders = tokio::spawn(async move {
        for i in 0..120 {
            // A query string: rendered each time, never served from the cache.
            let path = format!("/p/{p}?render={i}");
            let page =
                tokio::time::timeout(std::time::Duration::from_secs(30), get(&app, &path, None))
                    .await
                    .unwrap_or_else(|_| panic!("{path} never finished rendering"));
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        }
    });
    for _ in 0..12 {
        let other = tempfile::tempdir().unwrap();
        let _ = common::app_and_store(other.path()).await;
    }
    renders.await.unwrap();
}

/// A flawed original (its own solution goes below zero) says so on its page and in its JSON,
/// with the reason; a sound problem carries no `flaws`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flawed_original_says_so_on_its_page_and_in_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let (app, store) = common::app_and_store(dir.path()).await;
    let row = json!({
        "input": "Jean has 30 lollipops. Jean eats 8714250 of the lollipops. How many lollipops does Jean have left?",
        "code": "def solution():\n    have = 30\n    eaten = 8714250\n    left = have - eaten\n    return left\n",
    });
    let ds = store
        .import_jsonl("lollipops", &format!("{row}\n"))
        .await
        .unwrap()
        .dataset_id;
    sqlx::query("UPDATE datasets SET visibility = 'public' WHERE id = ?")
        .bind(ds)
        .execute(store.pool())
        .await
        .unwrap();
    let p = store
        .dataset(ds, None, None)
        .await
        .unwrap()
        .unwrap()
        .problems[0]
        .id;
    let json = get(&app, &format!("/api/problems/{p}"), None).await.json();
    let flaws = json["flaws"].as_array().expect("flaws");
    assert_eq!(flaws.len(), 1, "{json}");
    assert!(
        flaws[0].as_str().unwrap().contains("-8714220")
            && flaws[0].as_str().unwrap().contains("below zero"),
        "{json}"
    );
    let page = get(&app, &format!("/p/{p}"), None).await.body;
    assert!(page.contains("Flawed original"), "{page}");
    assert!(page.contains("the solution gives -8714220"), "{page}");
    let sound = a_demo_problem(&store).await;
    let json = get(&app, &format!("/api/problems/{sound}"), None)
        .await
        .json();
    assert!(json.get("flaws").is_none(), "{json}");
    let page = get(&app, &format!("/p/{sound}"), None).await.body;
    assert!(!page.contains("Flawed original"));
}
