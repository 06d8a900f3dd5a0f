//! The response cache of the problem read path (issue #15): problem pages (`GET /p/{id}`) and
//! problem JSON (`GET /api/problems/{id}`) are rendered once and served again from memory
//! until something they show changes.
//!
//! On every request, before anything is served, the caller's permission is decided where it
//! always is ([`store::Ops::problem_stamp`] runs the same read check as
//! [`store::Ops::problem`]); a refused, missing or failing read goes on to the handler, which
//! answers it as it would without a cache. Only then is the response looked up, keyed by
//! what it depends on:
//! - the problem's [`ProblemStamp`]: its id, share token and the versions of the problem (its
//!   row and variants) and of its dataset, bumped by database triggers on every write
//!   (curriculum jobs, saved variants, review decisions, extractions, settings, deletes, and
//!   `graft` commands writing to the same file), so a write is never followed by a kept
//!   response from before it;
//! - whether the caller sees write controls (the JSON's `can_write`);
//! - for pages, the logged-in account itself (its name and role are in the page's header).
//!
//! An admin's page is never kept: it shows the dataset's jobs as they run. A response that is
//! not a plain 200 (an error, a page whose graph could not be drawn in time, marked
//! `Cache-Control: no-store`, or one that sets a cookie) is not kept either.
//!
//! Every kept response carries a strong `ETag` (a hash of its bytes) and
//! `Cache-Control: private, no-cache` with `Vary: Cookie`: browsers ask again each time with
//! `If-None-Match` and get an empty `304 Not Modified` while it has not changed.
//! `x-graft-cache: hit` or `miss` says whether a response came from memory, and the
//! request's span records the same (`cache`).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use store::{Caller, ProblemStamp, Store};
use types::account::Role;

/// The most bytes of responses the cache keeps (least recently used ones go first).
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The largest response the cache keeps (a problem with a few thousand variants).
pub const MAX_KEPT_BYTES: usize = 8 * 1024 * 1024;

/// The header that says whether a response came from the cache.
pub const CACHE_HEADER: HeaderName = HeaderName::from_static("x-graft-cache");

/// Which response of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Route {
    /// `/p/{id}`, server-rendered HTML.
    Page,
    /// `/api/problems/{id}`, JSON.
    Json,
}

/// What a kept response depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    route: Route,
    stamp: ProblemStamp,
    /// The account a page was rendered for (`None`: anonymous, and every JSON response).
    viewer: Option<(i64, String, Role)>,
}

/// A kept response: its headers (less any cookie), its body and its entity tag.
struct Kept {
    headers: HeaderMap,
    body: Bytes,
    etag: HeaderValue,
}

/// Weighs a kept response by its bytes.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<Key, Arc<Kept>> for ByBytes {
    fn weight(&self, key: &Key, kept: &Arc<Kept>) -> u64 {
        (kept.body.len() + key.stamp.share_token.len() + 256) as u64
    }
}

/// The kept responses, shared by every request of one router (cheap to clone).
#[derive(Clone)]
pub struct ResponseCache {
    store: Store,
    kept: Arc<quick_cache::sync::Cache<Key, Arc<Kept>, ByBytes>>,
}

impl ResponseCache {
    /// An empty cache over `store` holding at most `bytes` bytes of responses.
    pub fn new(store: Store, bytes: u64) -> Self {
        // quick_cache sizes its tables by an estimate of the number of items.
        let items = (bytes / (64 * 1024)).max(16) as usize;
        ResponseCache {
            store,
            kept: Arc::new(quick_cache::sync::Cache::with_weighter(
                items, bytes, ByBytes,
            )),
        }
    }
}

/// Which cached route `method` `path` is, with the problem id: only a plain `GET` of
/// `/p/{id}` or `/api/problems/{id}` with the id written as Rust prints it and no query
/// string (anything else goes to its handler as usual).
fn cacheable(method: &Method, path: &str, query: Option<&str>) -> Option<(Route, i64)> {
    if method != Method::GET || query.is_some() {
        return None;
    }
    let (route, id) = if let Some(id) = path.strip_prefix("/p/") {
        (Route::Page, id)
    } else if let Some(id) = path.strip_prefix("/api/problems/") {
        (Route::Json, id)
    } else {
        return None;
    };
    let n: i64 = id.parse().ok()?;
    (n.to_string() == id).then_some((route, n))
}

/// Middleware (inside `identify`, which puts the [`Caller`] in the request): serves problem
/// pages and JSON from the cache when it may (see the module's documentation), else lets the
/// handler answer and keeps what it answered.
pub async fn cached_reads(
    State(cache): State<ResponseCache>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let Some((route, id)) = cacheable(req.method(), req.uri().path(), req.uri().query()) else {
        return next.run(req).await;
    };
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    // The permission first, on every request (the one read check of store::ops).
    let stamp = match cache.store.by(&caller).problem_stamp(id).await {
        Ok(Some(stamp)) => stamp,
        // Refused, no such problem, or the store failed: the handler answers.
        Ok(None) | Err(_) => return next.run(req).await,
    };
    // An admin's page lists the dataset's running jobs: always rendered afresh.
    if route == Route::Page && stamp.can_write {
        return next.run(req).await;
    }
    let viewer = match route {
        Route::Page => caller.user.as_ref().map(|u| (u.id, u.name.clone(), u.role)),
        Route::Json => None,
    };
    let key = Key {
        route,
        stamp,
        viewer,
    };
    let asked = if_none_match(req.headers());
    if let Some(kept) = cache.kept.get(&key) {
        record("hit");
        return answer(&kept, asked.as_deref(), "hit");
    }
    record("miss");
    let res = next.run(req).await;
    let kept = match keep(res).await {
        Ok(kept) => Arc::new(kept),
        Err(res) => return res,
    };
    if kept.body.len() <= MAX_KEPT_BYTES {
        cache.kept.insert(key, kept.clone());
    }
    answer(&kept, asked.as_deref(), "miss")
}

/// Records on the request's span whether the cache answered.
fn record(outcome: &'static str) {
    tracing::Span::current().record("cache", outcome);
}

/// The handler's response as a [`Kept`] when it may be kept, else itself (or a 500 when its
/// body failed part-way).
async fn keep(res: Response) -> Result<Kept, Response> {
    let no_store = res
        .headers()
        .get_all(header::CACHE_CONTROL)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("no-store")));
    if res.status() != StatusCode::OK || no_store || res.headers().contains_key(header::SET_COOKIE)
    {
        return Err(res);
    }
    let (parts, body) = res.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => {
            tracing::error!("cannot read the response to keep it: {e}");
            return Err(body_failed());
        }
    };
    let mut headers = parts.headers;
    headers.remove(header::CONTENT_LENGTH);
    let etag = entity_tag(&body);
    Ok(Kept {
        headers,
        body,
        etag,
    })
}

/// The answer when a response's body failed part-way (nothing of it was sent yet).
fn body_failed() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the server failed while writing this response; reload the page",
    )
        .into_response()
}

/// A strong entity tag for `body`: the first 128 bits of its SHA-256, quoted.
fn entity_tag(body: &[u8]) -> HeaderValue {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex digits make a header value")
}

/// The request's `If-None-Match` header, when it is readable text.
fn if_none_match(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, as RFC 9110 says for it;
/// `*` names any).
fn lists_tag(asked: &str, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    asked
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// The kept response, or `304 Not Modified` when the client has it already.
fn answer(kept: &Kept, asked: Option<&str>, outcome: &'static str) -> Response {
    let revalidate = [
        (header::ETAG, kept.etag.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        ),
        (header::VARY, HeaderValue::from_static("Cookie")),
        (CACHE_HEADER, HeaderValue::from_static(outcome)),
    ];
    if asked.is_some_and(|a| lists_tag(a, &kept.etag)) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        res.headers_mut().extend(revalidate);
        return res;
    }
    let mut res = Response::new(Body::from(kept.body.clone()));
    *res.headers_mut() = kept.headers.clone();
    res.headers_mut().extend(revalidate);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_gets_of_the_two_routes_are_cached() {
        let get = Method::GET;
        assert_eq!(cacheable(&get, "/p/12", None), Some((Route::Page, 12)));
        assert_eq!(
            cacheable(&get, "/api/problems/7", None),
            Some((Route::Json, 7))
        );
        for path in [
            "/p/",
            "/p/012",
            "/p/+12",
            "/p/12/",
            "/p/x",
            "/api/problems/7/variants",
            "/api/problems/99999999999999999999",
            "/v/12",
            "/s/12",
        ] {
            assert_eq!(cacheable(&get, path, None), None, "{path}");
        }
        assert_eq!(cacheable(&Method::POST, "/api/problems/7", None), None);
        assert_eq!(cacheable(&Method::HEAD, "/p/7", None), None);
        assert_eq!(cacheable(&get, "/p/7", Some("page=2")), None);
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let tag = entity_tag(b"a page");
        let t = tag.to_str().unwrap().to_string();
        assert!(lists_tag(&t, &tag));
        assert!(lists_tag(&format!("W/{t}"), &tag));
        assert!(lists_tag(&format!("\"other\", {t}"), &tag));
        assert!(lists_tag("*", &tag));
        assert!(!lists_tag("\"other\"", &tag));
        assert!(!lists_tag(
            entity_tag(b"another page").to_str().unwrap(),
            &tag
        ));
        assert_ne!(entity_tag(b"a page"), entity_tag(b"a page."));
    }
}
