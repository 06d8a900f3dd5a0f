//! Accounts and permissions against the real `graft serve` (port 0, fresh data directory):
//! an annotator cannot reach admin operations, a viewer cannot write, a share link cannot
//! write, an anonymous request cannot read a private dataset; logins are rate-limited and
//! never say which part was wrong; step labels are blind, stored with null for unrated, and
//! the admin's report has agreement and gold accuracy.

mod common;

use std::net::SocketAddr;

use common::*;
use serde_json::{json, Value};

/// `method path` with a JSON body (or none) as the holder of `cookie`.
fn call(
    addr: SocketAddr,
    cookie: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    let (status, _, out) = request_with(
        addr,
        method,
        path,
        body.map(|_| "application/json"),
        text.as_bytes(),
        cookie,
    );
    let value = serde_json::from_str(&out).unwrap_or(Value::String(out));
    (status, value)
}

const GOOD_ROWS: &str = concat!(
    r#"{"question": "Ann has 3 boxes of 4 apples and eats 2. How many apples are left?", "answer": "Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10"}"#,
    "\n",
    r#"{"question": "Tom buys 5 pens at $2 each and a book for $7. How much does he spend?", "answer": "The pens cost 5 * 2 = <<5*2=10>>10 dollars.\nHe spends 10 + 7 = <<10+7=17>>17 dollars.\n#### 17"}"#,
    "\n"
);

/// A server with a private dataset of two problems and a few variants, and accounts of every
/// role; returns (server, dir, dataset id, admin cookie).
fn setup() -> (Server, tempfile::TempDir, i64, String) {
    let dir = data_dir();
    for (name, role) in [
        ("ann1", "annotator"),
        ("ann2", "annotator"),
        ("ann3", "annotator"),
        ("vic", "viewer"),
    ] {
        add_user(dir.path(), name, role, "password-123");
    }
    let server = start(dir.path());
    let addr = server.addr;
    let (status, report) = post_text(addr, "/api/datasets?name=private-set", GOOD_ROWS);
    assert_eq!(status, 201, "{report}");
    let id = report["dataset_id"].as_i64().unwrap();
    let (status, job) = post_json(
        addr,
        "/api/jobs",
        &json!({"dataset_id": id, "rounds": 2, "per_problem": 2, "seed": 7}),
    );
    assert_eq!(status, 201, "{job}");
    let job = wait_done(addr, job["id"].as_i64().unwrap());
    assert_eq!(job["state"], "done", "{job}");
    let admin = login(addr, ADMIN, ADMIN_PASSWORD).unwrap();
    (server, dir, id, admin)
}

fn as_user(addr: SocketAddr, name: &str) -> String {
    login(addr, name, "password-123").unwrap_or_else(|e| panic!("{name} logs in: {e:?}"))
}

#[test]
fn each_role_reaches_only_what_it_may() {
    let (server, _dir, id, admin) = setup();
    let addr = server.addr;
    let ann = as_user(addr, "ann1");
    let vic = as_user(addr, "vic");
    let (_, page) = call(
        addr,
        Some(&admin),
        "GET",
        &format!("/api/datasets/{id}?limit=1"),
        None,
    );
    let problem = page["problems"][0]["id"].as_i64().unwrap();
    let (_, variants) = call(
        addr,
        Some(&admin),
        "GET",
        &format!("/api/datasets/{id}/variants"),
        None,
    );
    let variant = variants["items"][0]["id"].as_i64().unwrap();
    let job = json!({"dataset_id": id, "rounds": 1});

    // Anonymous: the private dataset is invisible and unreadable; nothing can be written.
    let (status, list) = call(addr, None, "GET", "/api/datasets", None);
    assert_eq!(status, 200);
    assert!(
        list.as_array().unwrap().iter().all(|d| d["id"] != id),
        "{list}"
    );
    assert!(
        list.as_array().unwrap().iter().any(|d| d["name"] == "demo"),
        "the demo is public: {list}"
    );
    for path in [
        format!("/api/datasets/{id}"),
        format!("/api/datasets/{id}/variants"),
        format!("/api/datasets/{id}/jobs"),
        format!("/api/datasets/{id}/eval"),
        format!("/api/problems/{problem}"),
        format!("/api/variants/{variant}"),
    ] {
        let (status, body) = call(addr, None, "GET", &path, None);
        assert_eq!(status, 401, "anonymous GET {path}: {body}");
        assert!(body["error"].as_str().unwrap().contains("log in"), "{body}");
    }
    let (status, body) = call(addr, None, "POST", "/api/jobs", Some(&job));
    assert_eq!(status, 401, "{body}");
    let (status, _, html) = request_with(addr, "GET", &format!("/d/{id}"), None, b"", None);
    assert_eq!(status, 401, "the page answers 401");
    assert!(
        html.contains("log in to read dataset"),
        "the page says why: {html}"
    );
    assert!(
        !html.contains("Ann has 3 boxes"),
        "no question of the private dataset leaks"
    );

    // Public pages show no write controls to anonymous visitors (the server would refuse).
    let demo = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "demo")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _, html) = request_with(addr, "GET", &format!("/d/{demo}"), None, b"", None);
    assert_eq!(status, 200);
    assert!(
        html.contains("write-hint") && !html.contains("section class=\"generate"),
        "{html}"
    );
    let (_, _, html) = request_with(addr, "GET", &format!("/d/{demo}"), None, b"", Some(&admin));
    assert!(!html.contains("write-hint"), "an admin gets the controls");
    let (_, demo_page) = call(
        addr,
        None,
        "GET",
        &format!("/api/datasets/{demo}?limit=1"),
        None,
    );
    assert_eq!(demo_page["can_write"], false);
    let (_, own) = call(
        addr,
        Some(&admin),
        "GET",
        &format!("/api/datasets/{id}?limit=1"),
        None,
    );
    assert_eq!(own["can_write"], true);

    // A viewer reads everything and writes nothing.
    let (status, _) = call(
        addr,
        Some(&vic),
        "GET",
        &format!("/api/datasets/{id}"),
        None,
    );
    assert_eq!(status, 200);
    for (method, path, body) in [
        ("POST", "/api/jobs".to_string(), job.clone()),
        (
            "POST",
            format!("/api/variants/{variant}/review"),
            json!({"decision": "accept"}),
        ),
        (
            "POST",
            format!("/api/problems/{problem}/variants"),
            json!({"operations": []}),
        ),
        (
            "POST",
            format!("/api/variants/{variant}/judge?offline=true"),
            json!({}),
        ),
    ] {
        let (status, out) = call(addr, Some(&vic), method, &path, Some(&body));
        assert_eq!(status, 403, "viewer {method} {path}: {out}");
        assert!(out["error"].as_str().unwrap().contains("viewer"), "{out}");
    }
    let (status, _) = call(
        addr,
        Some(&vic),
        "GET",
        &format!("/api/datasets/{id}/labels/next"),
        None,
    );
    assert_eq!(status, 403);

    // An annotator reviews and labels, but cannot reach admin operations.
    let (status, out) = call(
        addr,
        Some(&ann),
        "POST",
        &format!("/api/variants/{variant}/review"),
        Some(&json!({"decision": "accept"})),
    );
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["Saved"]["status"], "accepted", "{out}");
    for (method, path, body) in [
        ("POST", "/api/jobs".to_string(), Some(job.clone())),
        ("GET", "/api/users".to_string(), None),
        (
            "POST",
            "/api/users".to_string(),
            Some(json!({"name": "eve", "role": "admin", "password": "password-123"})),
        ),
        (
            "POST",
            format!("/api/datasets/{id}/review/bulk"),
            Some(json!({"decision": {"decision": "accept"}, "apply": true})),
        ),
        (
            "POST",
            format!("/api/datasets/{id}/settings"),
            Some(json!({"public": true, "guidelines": "", "overlap": 2, "gold_percent": 10})),
        ),
        ("GET", format!("/api/datasets/{id}/annotations"), None),
        (
            "POST",
            format!("/api/variants/{variant}/verbalize?offline=true"),
            Some(json!({})),
        ),
    ] {
        let (status, out) = call(addr, Some(&ann), method, &path, body.as_ref());
        assert_eq!(status, 403, "annotator {method} {path}: {out}");
    }
    let (status, _) = call(
        addr,
        None,
        "POST",
        "/api/datasets?name=sneaky",
        Some(&json!({})),
    );
    assert_eq!(status, 401);

    // The admin can do all of it.
    let (status, out) = call(
        addr,
        Some(&admin),
        "POST",
        "/api/users",
        Some(&json!({"name": "newbie", "role": "viewer", "password": "password-123"})),
    );
    assert_eq!(status, 201, "{out}");
    let (status, out) = call(
        addr,
        Some(&admin),
        "POST",
        &format!("/api/datasets/{id}/review/bulk"),
        Some(&json!({"decision": {"decision": "accept"}})),
    );
    assert_eq!(status, 200, "{out}");
    let count = out["count"].as_u64().unwrap();
    assert!(
        count >= 1 && out["applied"] == false,
        "a preview counts without changing: {out}"
    );
    let (_, q) = call(
        addr,
        Some(&admin),
        "GET",
        &format!("/api/datasets/{id}/review"),
        None,
    );
    assert_eq!(q["matching"].as_u64().unwrap(), count, "{q}");

    // A share link reads without an account and cannot write.
    let (_, p) = call(
        addr,
        Some(&admin),
        "GET",
        &format!("/api/problems/{problem}"),
        None,
    );
    let token = p["share_token"].as_str().unwrap().to_string();
    let (status, shared) = call(addr, None, "GET", &format!("/api/s/{token}"), None);
    assert_eq!(status, 200, "{shared}");
    let (status, _) = call(
        addr,
        None,
        "POST",
        &format!("/api/s/{token}"),
        Some(&json!({})),
    );
    assert_eq!(status, 405);
    let (status, _) = call(
        addr,
        None,
        "POST",
        &format!("/api/problems/{problem}/variants"),
        Some(&json!({"operations": []})),
    );
    assert_eq!(status, 401);
    let (status, _, html) = request_with(addr, "GET", &format!("/s/{token}"), None, b"", None);
    assert_eq!(status, 200);
    assert!(
        html.contains("Ann has 3 boxes") || html.contains("Tom buys"),
        "the share page shows the problem"
    );
    assert!(
        !html.contains("Generate") && !html.contains(">Verbalize"),
        "no write controls on a share page"
    );

    // Making the dataset public opens it to anonymous readers.
    let (status, _) = call(
        addr,
        Some(&admin),
        "POST",
        &format!("/api/datasets/{id}/settings"),
        Some(
            &json!({"public": true, "guidelines": "Check every number.", "overlap": 2, "gold_percent": 10}),
        ),
    );
    assert_eq!(status, 200);
    let (status, _) = call(addr, None, "GET", &format!("/api/datasets/{id}"), None);
    assert_eq!(status, 200);
}

#[test]
fn logins_do_not_say_which_part_was_wrong_and_are_rate_limited() {
    let dir = data_dir();
    add_user(dir.path(), "carol", "annotator", "password-123");
    let server = start(dir.path());
    let addr = server.addr;
    let wrong_name = login(addr, "nobody", "password-123").unwrap_err();
    let wrong_password = login(addr, "carol", "password-xyz").unwrap_err();
    assert_eq!(wrong_name, wrong_password, "the same answer either way");
    assert_eq!(wrong_name.0, 401);
    // Names are not case-sensitive; a session ends at logout.
    let cookie = login(addr, "Carol", "password-123").unwrap();
    let (_, me) = call(addr, Some(&cookie), "GET", "/api/me", None);
    assert_eq!(me["user"]["name"], "carol");
    assert_eq!(me["user"]["role"], "annotator");
    let (status, _) = call(addr, Some(&cookie), "POST", "/api/logout", None);
    assert_eq!(status, 204);
    let (_, me) = call(addr, Some(&cookie), "GET", "/api/me", None);
    assert_eq!(me["user"], Value::Null, "the old cookie is dead: {me}");
    // Five failures for a name lock it for a while, even with the right password.
    for _ in 0..5 {
        assert_eq!(login(addr, "carol", "nope-nope").unwrap_err().0, 401);
    }
    let (status, body) = login(addr, "carol", "password-123").unwrap_err();
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("try again in"), "{body}");
    // Another name is not locked.
    assert!(login(addr, ADMIN, ADMIN_PASSWORD).is_ok());
}

#[test]
fn labels_are_blind_null_when_unrated_and_reported_with_agreement_and_gold() {
    let (server, _dir, id, admin) = setup();
    let addr = server.addr;
    // Every fourth item is gold; two annotators per item.
    let (status, _) = call(
        addr,
        Some(&admin),
        "POST",
        &format!("/api/datasets/{id}/settings"),
        Some(&json!({"public": false, "guidelines": "", "overlap": 2, "gold_percent": 25})),
    );
    assert_eq!(status, 200);
    let a1 = as_user(addr, "ann1");
    let a2 = as_user(addr, "ann2");
    let mut seen_gold = false;
    let mut first_item = None;
    for (cookie, rating) in [(&a1, 1), (&a2, 1)] {
        for _ in 0..50 {
            let (status, q) = call(
                addr,
                Some(cookie),
                "GET",
                &format!("/api/datasets/{id}/labels/next"),
                None,
            );
            assert_eq!(status, 200, "{q}");
            let Some(task) = q["task"].as_object() else {
                break;
            };
            let item = task["item_id"].as_i64().unwrap();
            first_item.get_or_insert(item);
            let n = task["steps"].as_array().unwrap().len();
            assert!(n >= 1, "{q}");
            assert!(
                task["ratings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(Value::is_null),
                "blind: a fresh item shows no one's labels: {q}"
            );
            // First-error mode on the last step: earlier steps +1, that one −1; or all +1.
            let edit = if item % 2 == 0 {
                json!({"action": "first_error", "step": n - 1})
            } else {
                json!({"action": "rate", "step": 0, "rating": rating})
            };
            let (status, t) = call(
                addr,
                Some(cookie),
                "POST",
                &format!("/api/label-items/{item}"),
                Some(&edit),
            );
            assert_eq!(status, 200, "{t}");
            if item % 2 != 0 && n > 1 {
                assert!(
                    t["ratings"][1].is_null(),
                    "an unrated step is null, never 0: {t}"
                );
            }
            let (status, t) = call(
                addr,
                Some(cookie),
                "POST",
                &format!("/api/label-items/{item}"),
                Some(&json!({"action": "finish", "reason": "found_error"})),
            );
            assert_eq!(status, 200, "{t}");
            assert_eq!(t["finish"], "found_error");
        }
        let (_, q) = call(
            addr,
            Some(cookie),
            "GET",
            &format!("/api/datasets/{id}/labels/next"),
            None,
        );
        assert!(q["task"].is_null(), "nothing left: {q}");
        assert!(q["done"].as_u64().unwrap() >= 2, "{q}");
        assert_eq!(q["left"], 0, "{q}");
    }
    // A finished item refuses changes until reopened; ratings out of range are refused.
    let item = first_item.unwrap();
    let (status, out) = call(
        addr,
        Some(&a1),
        "POST",
        &format!("/api/label-items/{item}"),
        Some(&json!({"action": "rate", "step": 0, "rating": -1})),
    );
    assert_eq!(status, 400, "{out}");
    let (status, _) = call(
        addr,
        Some(&a1),
        "POST",
        &format!("/api/label-items/{item}"),
        Some(&json!({"action": "reopen"})),
    );
    assert_eq!(status, 200);
    let (status, out) = call(
        addr,
        Some(&a1),
        "POST",
        &format!("/api/label-items/{item}"),
        Some(&json!({"action": "rate", "step": 99, "rating": 1})),
    );
    assert_eq!(status, 400, "{out}");
    let (status, out) = call(
        addr,
        Some(&a1),
        "POST",
        &format!("/api/label-items/{item}"),
        Some(&json!({"action": "rate", "step": 0, "rating": 5})),
    );
    assert_eq!(status, 400, "{out}");
    call(
        addr,
        Some(&a1),
        "POST",
        &format!("/api/label-items/{item}"),
        Some(&json!({"action": "finish", "reason": "solution_correct"})),
    );

    let (status, report) = call(
        addr,
        Some(&admin),
        "GET",
        &format!("/api/datasets/{id}/annotations"),
        None,
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["method"], "cohen", "two annotators: {report}");
    assert!(report["units"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["complete"].as_u64().unwrap() >= 1, "{report}");
    let people = report["annotators"].as_array().unwrap();
    assert_eq!(people.len(), 2, "{report}");
    for p in people {
        assert!(p["done"].as_u64().unwrap() >= 2, "{p}");
        if p["gold_done"].as_u64().unwrap() > 0 {
            seen_gold = true;
            assert!(p["gold_correct"].as_u64().unwrap() <= p["gold_done"].as_u64().unwrap());
        }
    }
    assert!(report["gold_items"].as_u64().unwrap() >= 1, "{report}");
    assert!(seen_gold, "gold questions were mixed in: {report}");

    // The PRM export (admins only) has one record per labelled solution, both annotators'
    // labels and a consensus; never for anonymous callers.
    let (status, _, body) = request_with(
        addr,
        "GET",
        &format!("/api/datasets/{id}/export?format=prm"),
        None,
        b"",
        Some(&admin),
    );
    assert_eq!(status, 200, "{body}");
    let records: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!records.is_empty(), "{body}");
    for r in &records {
        let steps = r["steps"].as_array().unwrap().len();
        assert_eq!(r["labels"].as_array().unwrap().len(), steps, "{r}");
    }
    assert!(
        records
            .iter()
            .any(|r| r.to_string().contains("ann1") && r.to_string().contains("ann2")),
        "{body}"
    );
    let (status, _) = call(
        addr,
        None,
        "GET",
        &format!("/api/datasets/{id}/export"),
        None,
    );
    assert_eq!(status, 401);
}
