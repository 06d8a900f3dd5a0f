//! An OpenAI-compatible chat-completions client: timeouts, retries with exponential backoff
//! and jitter (honouring `Retry-After`), bounded concurrency, request budgets, and a record of
//! every call.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

/// Which server speaks at the endpoint; it decides a few request fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Any OpenAI-compatible server: only the standard fields.
    #[default]
    Generic,
    /// api.openai.com: `max_completion_tokens` instead of `max_tokens`.
    OpenAi,
    /// A llama.cpp server: also `cache_prompt: false`, whose prompt cache otherwise changes
    /// outputs between identical requests.
    LlamaCpp,
    /// Ollama's OpenAI-compatible endpoint.
    Ollama,
}

impl Provider {
    /// Reads `generic`, `openai`, `llamacpp` (or `llama.cpp`, `local`) and `ollama`.
    pub fn parse(s: &str) -> Result<Provider, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "generic" => Ok(Provider::Generic),
            "openai" => Ok(Provider::OpenAi),
            "llamacpp" | "llama.cpp" | "llama-cpp" | "local" => Ok(Provider::LlamaCpp),
            "ollama" => Ok(Provider::Ollama),
            other => Err(format!(
                "unknown LLM provider `{other}`; use generic, openai, llamacpp or ollama"
            )),
        }
    }
}

/// Where the model is: base URL (up to and including `/v1`), model name and API key.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// The model name sent with each request.
    pub model: String,
    /// The API key, sent as a bearer token. Never serialized, never printed.
    #[serde(skip)]
    pub api_key: Option<String>,
    /// The kind of server.
    #[serde(default)]
    pub provider: Provider,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("provider", &self.provider)
            .finish()
    }
}

impl Endpoint {
    /// Checks that the URL is http(s) and the model is named.
    pub fn validate(&self) -> Result<(), String> {
        let url = self.base_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "the LLM base URL must start with http:// or https:// (got `{url}`); e.g. \
                 https://api.openai.com/v1 or http://127.0.0.1:11434/v1"
            ));
        }
        if self.model.trim().is_empty() {
            return Err("no LLM model named; set GRAFT_LLM_MODEL (or --llm-model)".into());
        }
        Ok(())
    }

    /// The chat-completions URL.
    pub fn chat_url(&self) -> String {
        format!(
            "{}/chat/completions",
            self.base_url.trim().trim_end_matches('/')
        )
    }
}

/// How the client behaves: timeouts, retries, concurrency.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Time allowed to open the connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, answer included.
    pub timeout: Duration,
    /// Retries after the first attempt, for timeouts, connection failures, 429 and 5xx.
    pub max_retries: u32,
    /// The first backoff; doubled each retry, with jitter.
    pub backoff: Duration,
    /// The longest wait between attempts (`Retry-After` included); a longer `Retry-After`
    /// ends the call instead.
    pub max_backoff: Duration,
    /// Requests in flight at once, over all callers of this client.
    pub concurrency: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(120),
            max_retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            concurrency: 4,
        }
    }
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A system message.
    pub fn system(s: impl Into<String>) -> Message {
        Message {
            role: "system".into(),
            content: s.into(),
        }
    }
    /// A user message.
    pub fn user(s: impl Into<String>) -> Message {
        Message {
            role: "user".into(),
            content: s.into(),
        }
    }
    /// An assistant message.
    pub fn assistant(s: impl Into<String>) -> Message {
        Message {
            role: "assistant".into(),
            content: s.into(),
        }
    }
}

/// One chat request: messages, an optional JSON schema the answer must follow, a token cap.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// What the call is for (`verbalize`, `judge`, `extract`).
    pub purpose: &'static str,
    /// The version of the prompt that built the messages.
    pub prompt_version: &'static str,
    /// The conversation.
    pub messages: Vec<Message>,
    /// A JSON schema (name, schema) for `response_format`.
    pub schema: Option<(&'static str, Value)>,
    /// The most tokens to generate.
    pub max_tokens: u32,
}

/// The chat-completions request body for `req` sent to `model` on a `provider`'s server:
/// deterministic settings (`temperature: 0`, a fixed seed) and the provider's own fields.
/// [`Client::chat`] sends exactly this; a batch file ([`crate::batch`]) carries exactly this.
pub fn chat_body(model: &str, provider: Provider, req: &ChatRequest) -> Value {
    let mut body = json!({
        "model": model,
        "messages": req.messages,
        "temperature": 0,
        "seed": 0,
    });
    let obj = body.as_object_mut().expect("a JSON object");
    match provider {
        Provider::OpenAi => {
            obj.insert("max_completion_tokens".into(), json!(req.max_tokens));
        }
        Provider::LlamaCpp => {
            obj.insert("max_tokens".into(), json!(req.max_tokens));
            obj.insert("cache_prompt".into(), json!(false));
        }
        Provider::Generic | Provider::Ollama => {
            obj.insert("max_tokens".into(), json!(req.max_tokens));
        }
    }
    if let Some((name, schema)) = &req.schema {
        obj.insert(
            "response_format".into(),
            json!({
                "type": "json_schema",
                "json_schema": {"name": name, "strict": true, "schema": schema}
            }),
        );
    }
    body
}

/// A record of one call, stored so that a reviewer sees exactly what the model said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the call was for.
    pub purpose: String,
    /// The prompt's version.
    pub prompt_version: String,
    /// The model asked.
    pub model: String,
    /// The request body as sent (no key: keys go in a header, never in here).
    pub request: Value,
    /// The last raw response body, when one came.
    pub response: Option<String>,
    /// The last HTTP status, when one came.
    pub status: Option<u16>,
    /// The assistant's text, when the response had one.
    pub content: Option<String>,
    /// Why the call failed, when it did.
    pub error: Option<String>,
    /// Wall time over all attempts, in milliseconds.
    pub latency_ms: u64,
    /// HTTP requests made (1 + retries).
    pub attempts: u32,
    /// What went wrong on each retried attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retries: Vec<String>,
    /// Prompt tokens, as the endpoint reported.
    pub prompt_tokens: Option<u32>,
    /// Completion tokens, as the endpoint reported.
    pub completion_tokens: Option<u32>,
}

/// Why a call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The endpoint could not be reached (connection refused, DNS, reset).
    #[error("cannot reach the LLM endpoint {url}: {detail}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The transport's message.
        detail: String,
    },
    /// No answer within the timeout.
    #[error("the LLM endpoint {url} did not answer within {secs} s")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        secs: u64,
    },
    /// The endpoint answered with an error status.
    #[error("the LLM endpoint answered HTTP {status}: {body}")]
    Status {
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A 429 asked to wait longer than the client waits.
    #[error("the LLM endpoint is rate-limiting (HTTP 429) and asks to wait {secs} s, longer than the {max} s allowed; try again later")]
    RateLimited {
        /// Seconds asked.
        secs: u64,
        /// Seconds allowed.
        max: u64,
    },
    /// The body is not an OpenAI chat completion.
    #[error("the LLM endpoint's answer is not a chat completion: {0}")]
    BadResponse(String),
    /// The job's request budget is spent.
    #[error("the request budget ({0} requests) is spent")]
    BudgetSpent(u32),
}

impl LlmError {
    /// Whether the endpoint itself is unavailable (so a batch should pause, not go on).
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            LlmError::Unreachable { .. } | LlmError::Timeout { .. } | LlmError::RateLimited { .. }
        ) || matches!(self, LlmError::Status { status, .. } if *status >= 500 || *status == 429)
    }
}

/// A budget of HTTP requests, shared by the calls of one job (cheap to clone).
#[derive(Debug, Clone)]
pub struct Budget {
    limit: u32,
    used: Arc<AtomicU32>,
}

impl Budget {
    /// A budget of `limit` requests, `used` of them already spent.
    pub fn new(limit: u32, used: u32) -> Budget {
        Budget {
            limit,
            used: Arc::new(AtomicU32::new(used)),
        }
    }
    /// A budget with no limit.
    pub fn unlimited() -> Budget {
        Budget::new(u32::MAX, 0)
    }
    /// Requests spent so far.
    pub fn used(&self) -> u32 {
        self.used.load(Ordering::SeqCst)
    }
    /// The limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }
    fn take(&self) -> Result<(), LlmError> {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| {
                (u < self.limit).then_some(u + 1)
            })
            .map(|_| ())
            .map_err(|_| LlmError::BudgetSpent(self.limit))
    }
}

/// The client (cheap to clone; clones share the connection pool and the concurrency bound).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    config: ClientConfig,
    permits: Arc<Semaphore>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("config", &self.config)
            .finish()
    }
}

/// How one attempt ended.
enum Attempt {
    Done(reqwest::StatusCode, String),
    Retry(LlmError, Option<Duration>),
    Fail(LlmError),
}

fn excerpt(s: &str, n: usize) -> String {
    let t = s.trim();
    match t.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

/// A number in [0, 1) that differs between calls and between processes (the clock mixed with
/// a counter through splitmix64): enough to spread retries, no cryptography needed.
fn jitter() -> f64 {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut z = nanos ^ (u64::from(COUNTER.fetch_add(1, Ordering::Relaxed)) << 32);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Reads `Retry-After` in seconds (an HTTP date is not honoured; the backoff applies).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

impl Client {
    /// A client for `endpoint` (checked with [`Endpoint::validate`]).
    pub fn new(endpoint: Endpoint, config: ClientConfig) -> Result<Client, String> {
        endpoint.validate()?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("graft/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Client {
            http,
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            endpoint,
            config,
        })
    }

    /// The endpoint (its key is redacted in `Debug`).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The model name.
    pub fn model(&self) -> &str {
        &self.endpoint.model
    }

    /// The request body for `req`: deterministic settings (`temperature: 0`, a fixed seed) and
    /// the provider's own fields; see [`chat_body`].
    pub fn body(&self, req: &ChatRequest) -> Value {
        chat_body(&self.endpoint.model, self.endpoint.provider, req)
    }

    /// Sends `req`, retrying what is worth retrying, and returns the record of the call with
    /// the assistant's text or why there is none. Each HTTP request takes one from `budget`.
    pub async fn chat(
        &self,
        req: &ChatRequest,
        budget: &Budget,
    ) -> (Exchange, Result<String, LlmError>) {
        self.send(req, self.body(req), budget).await
    }

    /// [`Client::chat`] sampled at `temperature` with `seed` instead of the deterministic
    /// settings (solve jobs draw several solutions of one problem).
    pub async fn chat_sampled(
        &self,
        req: &ChatRequest,
        budget: &Budget,
        temperature: f64,
        seed: u64,
    ) -> (Exchange, Result<String, LlmError>) {
        let mut body = self.body(req);
        if let Some(obj) = body.as_object_mut() {
            obj.insert("temperature".into(), json!(temperature));
            obj.insert("seed".into(), json!(seed));
        }
        self.send(req, body, budget).await
    }

    /// Sends `body` (built for `req`) with the retries; see [`Client::chat`].
    async fn send(
        &self,
        req: &ChatRequest,
        body: Value,
        budget: &Budget,
    ) -> (Exchange, Result<String, LlmError>) {
        let started = Instant::now();
        let mut ex = Exchange {
            purpose: req.purpose.to_string(),
            prompt_version: req.prompt_version.to_string(),
            model: self.endpoint.model.clone(),
            request: body.clone(),
            response: None,
            status: None,
            content: None,
            error: None,
            latency_ms: 0,
            attempts: 0,
            retries: Vec::new(),
            prompt_tokens: None,
            completion_tokens: None,
        };
        // A span per call (never the key, never the prompt) around its retries' log lines.
        let span = tracing::info_span!(
            "model_call",
            purpose = req.purpose,
            model = %self.endpoint.model,
        );
        let result = {
            use tracing::Instrument;
            self.run(&body, budget, &mut ex)
                .instrument(span.clone())
                .await
        };
        ex.latency_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(text) => ex.content = Some(text.clone()),
            Err(e) => ex.error = Some(e.to_string()),
        }
        tracing::debug!(
            parent: &span,
            attempts = ex.attempts,
            status = ex.status,
            latency_ms = ex.latency_ms,
            ok = result.is_ok(),
            "model call ended"
        );
        (ex, result)
    }

    async fn run(
        &self,
        body: &Value,
        budget: &Budget,
        ex: &mut Exchange,
    ) -> Result<String, LlmError> {
        let mut attempt = 0u32;
        loop {
            budget.take()?;
            ex.attempts += 1;
            let (err, wait, retryable) = match self.attempt(body).await {
                Attempt::Done(status, text) => {
                    ex.status = Some(status.as_u16());
                    ex.response = Some(text.clone());
                    return self.parse(&text, ex);
                }
                Attempt::Fail(e) => (e, None, false),
                Attempt::Retry(e, wait) => (e, wait, true),
            };
            if let LlmError::Status { status, body } = &err {
                ex.status = Some(*status);
                ex.response = Some(body.clone());
            }
            if !retryable || attempt >= self.config.max_retries {
                return Err(err);
            }
            let wait = match wait {
                Some(w) if w > self.config.max_backoff => {
                    return Err(LlmError::RateLimited {
                        secs: w.as_secs(),
                        max: self.config.max_backoff.as_secs(),
                    })
                }
                Some(w) => w.max(Duration::from_millis(1)),
                None => self.backoff(attempt),
            };
            ex.retries.push(format!(
                "attempt {}: {err}; waited {} ms",
                attempt + 1,
                wait.as_millis()
            ));
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Exponential backoff with full jitter in its upper half: `base·2^n`, capped, times
    /// a random factor in [0.5, 1].
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.config.backoff.as_secs_f64() * 2f64.powi(attempt.min(20) as i32);
        let capped = base.min(self.config.max_backoff.as_secs_f64());
        let factor = 0.5 + 0.5 * jitter();
        Duration::from_secs_f64(capped * factor)
    }

    async fn attempt(&self, body: &Value) -> Attempt {
        let url = self.endpoint.chat_url();
        let _permit = self.permits.acquire().await;
        let mut rb = self.http.post(&url).json(body);
        if let Some(key) = self.endpoint.api_key.as_deref().filter(|k| !k.is_empty()) {
            rb = rb.bearer_auth(key);
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(self.transport_error(&url, e), None),
        };
        let status = resp.status();
        let wait = retry_after(resp.headers());
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => return Attempt::Retry(self.transport_error(&url, e), None),
        };
        if status.is_success() {
            return Attempt::Done(status, text);
        }
        let err = LlmError::Status {
            status: status.as_u16(),
            body: excerpt(&text, 500),
        };
        if status.as_u16() == 429 || status.is_server_error() {
            Attempt::Retry(err, wait)
        } else {
            Attempt::Fail(err)
        }
    }

    fn transport_error(&self, url: &str, e: reqwest::Error) -> LlmError {
        if e.is_timeout() {
            LlmError::Timeout {
                url: url.to_string(),
                secs: self.config.timeout.as_secs(),
            }
        } else {
            // The chain of sources says what actually failed (refused, reset, DNS).
            let mut detail = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                detail = format!("{detail}: {s}");
                src = s.source();
            }
            LlmError::Unreachable {
                url: url.to_string(),
                detail,
            }
        }
    }

    fn parse(&self, text: &str, ex: &mut Exchange) -> Result<String, LlmError> {
        let c = parse_completion(text)?;
        ex.prompt_tokens = c.prompt_tokens;
        ex.completion_tokens = c.completion_tokens;
        c.content
    }
}

/// A chat completion body, read: the assistant's text (or why there is none) and the token
/// usage the server reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// `choices[0].message.content`, or why there is none.
    pub content: Result<String, LlmError>,
    /// Prompt tokens, as reported.
    pub prompt_tokens: Option<u32>,
    /// Completion tokens, as reported.
    pub completion_tokens: Option<u32>,
}

/// Reads an OpenAI chat completion body (what [`Client::chat`] reads from a live answer, and
/// what a batch output line carries in `response.body`). An error when it is not JSON of
/// that shape.
pub fn parse_completion(text: &str) -> Result<Completion, LlmError> {
    #[derive(Deserialize)]
    struct Body {
        choices: Vec<Choice>,
        #[serde(default)]
        usage: Option<Usage>,
    }
    #[derive(Deserialize)]
    struct Choice {
        message: ChoiceMessage,
    }
    #[derive(Deserialize)]
    struct ChoiceMessage {
        #[serde(default)]
        content: Option<String>,
    }
    #[derive(Deserialize)]
    struct Usage {
        #[serde(default)]
        prompt_tokens: Option<u32>,
        #[serde(default)]
        completion_tokens: Option<u32>,
    }
    let c: Body = serde_json::from_str(text).map_err(|e| {
        LlmError::BadResponse(format!(
            "not valid JSON ({e}); the body starts: {}",
            excerpt(text, 200)
        ))
    })?;
    let (prompt_tokens, completion_tokens) = c
        .usage
        .map(|u| (u.prompt_tokens, u.completion_tokens))
        .unwrap_or((None, None));
    let content = c
        .choices
        .into_iter()
        .next()
        .and_then(|ch| ch.message.content)
        .ok_or_else(|| LlmError::BadResponse("no choices[0].message.content in the answer".into()));
    Ok(Completion {
        content,
        prompt_tokens,
        completion_tokens,
    })
}
