//! Bounds on the anonymous endpoints that compute: the editor's preview (`preview_problem`)
//! gets a request-size cap (413) and a per-address rate limit (429) before any engine work.
//!
//! The engine work itself is bounded in the store ([`store::EnginePool`]: off the async
//! workers, a few at a time, within a time budget).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::limits::{MAX_PROGRAM_BYTES, MAX_TEXT_BYTES};
use leptos::server_fn::ServerFn;
use store::Caller;

use crate::web::AppState;

/// The largest preview request accepted, in bytes: a question of
/// [`MAX_TEXT_BYTES`] and a program of [`MAX_PROGRAM_BYTES`], URL-encoded (which at worst
/// triples a byte), plus 4 KiB for the field names. Larger requests get 413 before anything is
/// read past the cap.
pub const PREVIEW_BODY_LIMIT: usize = 3 * (MAX_TEXT_BYTES + MAX_PROGRAM_BYTES) + 4096;

/// Previews one client address may ask for per [`PREVIEW_WINDOW`] (the editor asks once per
/// pause in typing); more get 429. Admins have no limit.
pub const PREVIEWS_PER_WINDOW: u32 = 120;

/// The window of [`PREVIEWS_PER_WINDOW`].
pub const PREVIEW_WINDOW: Duration = Duration::from_secs(60);

/// The most client addresses the limiter remembers; past it, the quietest are forgotten
/// first, so its memory stays bounded (about 100 bytes an address).
pub const MAX_TRACKED_ADDRESSES: usize = 10_000;

/// The path of the preview server function.
fn preview_path() -> &'static str {
    <app::editor::PreviewProblem as ServerFn>::PATH
}

/// One address's count: the requests in the current fixed window and in the one before it.
#[derive(Debug, Clone, Copy)]
struct Counter {
    /// When the current window started.
    start: Instant,
    current: u32,
    previous: u32,
}

/// A per-address sliding-window rate limiter (the estimate weighs the previous fixed window
/// by how much of it still overlaps the sliding one). Cheap to clone; clones share counts.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counts: Arc<Mutex<HashMap<String, Counter>>>,
}

impl RateLimiter {
    /// A limiter allowing `limit` requests per `window` and address.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            counts: Arc::default(),
        }
    }

    /// The limiter of the editor's preview ([`PREVIEWS_PER_WINDOW`] per [`PREVIEW_WINDOW`]).
    pub fn preview() -> Self {
        RateLimiter::new(PREVIEWS_PER_WINDOW, PREVIEW_WINDOW)
    }

    /// Counts a request from `address` at `now` if it is within the limit; otherwise counts
    /// nothing and answers how long to wait.
    pub fn check(&self, address: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(address) && map.len() >= MAX_TRACKED_ADDRESSES {
            let window = self.window;
            // Forget addresses quiet for two windows; if none is, the longest quiet one.
            map.retain(|_, c| now.saturating_duration_since(c.start) < 2 * window);
            if map.len() >= MAX_TRACKED_ADDRESSES {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, c)| c.start)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        let c = map.entry(address.to_string()).or_insert(Counter {
            start: now,
            current: 0,
            previous: 0,
        });
        let mut elapsed = now.saturating_duration_since(c.start);
        if elapsed >= self.window {
            let windows = elapsed.as_nanos() / self.window.as_nanos();
            c.previous = if windows == 1 { c.current } else { 0 };
            c.current = 0;
            c.start += self.window * windows as u32;
            elapsed = now.saturating_duration_since(c.start);
        }
        let overlap = 1.0 - elapsed.as_secs_f64() / self.window.as_secs_f64();
        let estimate = f64::from(c.previous) * overlap + f64::from(c.current);
        if estimate + 1.0 <= f64::from(self.limit) {
            c.current += 1;
            return Ok(());
        }
        // Wait until the previous window's weight has dropped enough, or this window ends.
        let rest = self.window - elapsed;
        let wait = if c.current + 1 > self.limit || c.previous == 0 {
            rest
        } else {
            let room = f64::from(self.limit - c.current - 1);
            let needed = 1.0 - room / f64::from(c.previous);
            let at = self.window.mul_f64(needed.clamp(0.0, 1.0));
            at.saturating_sub(elapsed).min(rest)
        };
        Err(wait.max(Duration::from_secs(1)))
    }

    /// How many addresses it remembers (for tests).
    pub fn tracked(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// An error answer in the encoding Leptos's server functions use (`ServerError|message`), so
/// the editor shows the message as it shows any server error.
fn server_fn_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        format!("ServerError|{message}"),
    )
        .into_response()
}

fn too_large(len: Option<usize>) -> Response {
    let size = len.map_or_else(|| "more than that".to_string(), |n| format!("{n} bytes"));
    server_fn_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "the preview request is too large ({size}); the limit is {PREVIEW_BODY_LIMIT} bytes \
             (a question of {MAX_TEXT_BYTES} bytes and a program of {MAX_PROGRAM_BYTES} bytes); \
             shorten the program or split it into smaller problems"
        ),
    )
}

/// Middleware for the preview server function: refuses bodies over [`PREVIEW_BODY_LIMIT`]
/// (413) and callers over their rate (429, with `Retry-After`); other requests pass through.
/// Runs after `identify`, which puts the [`Caller`] in the request.
pub async fn guard_preview(
    State(state): State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response {
    if req.uri().path() != preview_path() {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > PREVIEW_BODY_LIMIT) {
        return too_large(declared);
    }
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_default();
    if !caller.can(store::Action::PreviewUnlimited) {
        let address = caller.address.as_deref().unwrap_or("unknown");
        if let Err(wait) = state.previews.check(address, Instant::now()) {
            let secs = wait.as_secs().max(1);
            let mut res = server_fn_error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "too many previews from your address: the limit is {PREVIEWS_PER_WINDOW} \
                     every {} s; wait {secs} s and try again (admins have no limit)",
                    PREVIEW_WINDOW.as_secs()
                ),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return res;
        }
    }
    // Read at most the cap, whatever the headers said (a chunked body has no length).
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, PREVIEW_BODY_LIMIT).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_counts_per_address_and_slides() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check("a", t0).is_ok());
        }
        let wait = l.check("a", t0).unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
        assert!(
            l.check("b", t0).is_ok(),
            "another address has its own count"
        );
        // Half a window after the first window ended, half of its 3 still count.
        let t = t0 + Duration::from_secs(90);
        assert!(l.check("a", t).is_ok());
        assert!(l.check("a", t).is_err());
        // Two windows later everything is forgotten.
        assert!(l.check("a", t0 + Duration::from_secs(200)).is_ok());
    }

    #[test]
    fn the_limiter_forgets_addresses_to_stay_bounded() {
        let l = RateLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED_ADDRESSES + 5 {
            assert!(l
                .check(&format!("10.0.{}.{}", i / 256, i % 256), t0)
                .is_ok());
        }
        assert!(l.tracked() <= MAX_TRACKED_ADDRESSES, "{}", l.tracked());
    }
}
