//! Batch files: the model's work for many variants done elsewhere (OpenAI's Batch API, vLLM's
//! `run_batch`, any cluster) instead of by live calls.
//!
//! A requests file has one JSON object per line, in the OpenAI Batch API's input shape:
//! `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`, where `body` is
//! exactly what [`crate::Client::chat`] would send ([`crate::client::chat_body`]). A results
//! file is the batch output: one line per reply, `{"id", "custom_id", "response":
//! {"status_code", "body"}, "error"}` (vLLM's `run_batch` writes the same shape).
//!
//! A `custom_id` names what a reply is for: `graft:v<variant id>:<kind>:<fingerprint>:<try>`,
//! where the kind is `verbalize`, `solve` or `rate` (the judge's two calls), the fingerprint
//! is a hash of everything the reply depends on (so a reply to a variant that has changed
//! since is refused as stale), and the try counts re-requests after a rejected reply.
//!
//! This module is pure: it writes and reads lines. The store keeps the requests it wrote and
//! stores the replies (the `store` crate), the `graft words` command moves the files.

use std::fmt;
use std::io::BufRead;

use engine::verdict::LlmJudgement;
use engine::Graph;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::{parse_completion, Exchange};
use crate::judge::{format_answer, Rate};

/// The HTTP method of every request line.
pub const METHOD: &str = "POST";

/// The URL of every request line (the OpenAI Batch API's chat-completions endpoint).
pub const URL: &str = "/v1/chat/completions";

/// The longest results line read, in bytes (a chat completion with a long reply and its
/// usage fits many times over); a longer line is refused with its number and skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The largest results file read, in bytes; reading stops with an error past it (split the
/// file).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The longest `custom_id` accepted, in bytes (Graft's own are under 64).
pub const MAX_CUSTOM_ID_BYTES: usize = 128;

/// The `base_url` recorded for a call answered through a batch file.
pub const BATCH_BASE_URL: &str = "batch";

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The variant's problem text and worked solution.
    Verbalize,
    /// The judge's independent solution of the text.
    Solve,
    /// The judge's ratings of the text.
    Rate,
}

impl Kind {
    /// `verbalize`, `solve` or `rate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Verbalize => "verbalize",
            Kind::Solve => "solve",
            Kind::Rate => "rate",
        }
    }

    /// Reads [`Kind::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "verbalize" => Some(Kind::Verbalize),
            "solve" => Some(Kind::Solve),
            "rate" => Some(Kind::Rate),
            _ => None,
        }
    }

    /// The purpose a live call of this kind is recorded with (`verbalize` or `judge`).
    pub fn purpose(self) -> &'static str {
        match self {
            Kind::Verbalize => "verbalize",
            Kind::Solve | Kind::Rate => "judge",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request's `custom_id`: `graft:v<variant>:<kind>:<fingerprint>:<try>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomId {
    /// The variant the request is about.
    pub variant_id: i64,
    /// What it asks for.
    pub kind: Kind,
    /// [`fingerprint`] of what the reply depends on (16 hex digits).
    pub fingerprint: String,
    /// 1 for a first request, n + 1 after n rejected replies.
    pub attempt: u32,
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "graft:v{}:{}:{}:{}",
            self.variant_id, self.kind, self.fingerprint, self.attempt
        )
    }
}

impl CustomId {
    /// The prefix every try of this request shares (`graft:v<variant>:<kind>:<fingerprint>:`).
    pub fn prefix(&self) -> String {
        format!(
            "graft:v{}:{}:{}:",
            self.variant_id, self.kind, self.fingerprint
        )
    }

    /// Reads a `custom_id` Graft wrote; the reason when it is not one.
    pub fn parse(s: &str) -> Result<CustomId, String> {
        let bad = || {
            format!(
                "`{}` is not a custom_id Graft wrote (graft:v<variant>:<kind>:<fingerprint>:<try>)",
                excerpt(s, MAX_CUSTOM_ID_BYTES)
            )
        };
        if s.len() > MAX_CUSTOM_ID_BYTES {
            return Err(bad());
        }
        let parts: Vec<&str> = s.split(':').collect();
        let [graft, v, kind, fp, attempt] = parts.as_slice() else {
            return Err(bad());
        };
        if *graft != "graft" {
            return Err(bad());
        }
        let variant_id = v
            .strip_prefix('v')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        let kind = Kind::parse(kind).ok_or_else(bad)?;
        if fp.len() != 16 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let attempt = attempt
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        Ok(CustomId {
            variant_id,
            kind,
            fingerprint: fp.to_ascii_lowercase(),
            attempt,
        })
    }
}

/// A stable 64-bit FNV-1a hash of `parts` (each length-prefixed, so parts never run into each
/// other), as 16 hex digits. Stable across builds and platforms; it detects change, it is not
/// a cryptographic digest.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for p in parts {
        eat(&(p.len() as u64).to_le_bytes());
        eat(p.as_bytes());
    }
    format!("{h:016x}")
}

/// One line of a requests file (without the newline).
pub fn request_line(custom_id: &CustomId, body: &Value) -> String {
    json!({
        "custom_id": custom_id.to_string(),
        "method": METHOD,
        "url": URL,
        "body": body,
    })
    .to_string()
}

/// One reply read from a results line.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The line's own `id` (unique per reply in a file); a hash of the line when it has none.
    pub reply_id: String,
    /// The request's `custom_id`, as written in the line.
    pub custom_id: String,
    /// `response.status_code`, when the line has a response.
    pub status: Option<u16>,
    /// `response.body` as JSON text, when there is one.
    pub response: Option<String>,
    /// The assistant's text, or why there is none (the line's error, an error status, a body
    /// that is not a chat completion).
    pub content: Result<String, String>,
    /// Prompt tokens, as reported.
    pub prompt_tokens: Option<u32>,
    /// Completion tokens, as reported.
    pub completion_tokens: Option<u32>,
    /// The model the reply names (`response.body.model`), when it does.
    pub model: Option<String>,
}

#[derive(Deserialize)]
struct OutputLine {
    #[serde(default)]
    id: Option<Value>,
    custom_id: Option<String>,
    #[serde(default)]
    response: Option<OutputResponse>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct OutputResponse {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default)]
    body: Option<Value>,
}

/// Reads one line of a batch output file (OpenAI's Batch API or vLLM's `run_batch`). An error
/// when the line is not such a line at all (not JSON, not an object, no `custom_id`); a reply
/// that carries an error is a [`Reply`] whose `content` says why.
pub fn read_reply(line: &str) -> Result<Reply, String> {
    let out: OutputLine = serde_json::from_str(line).map_err(|e| {
        format!(
            "not a batch output line ({e}); each line must be a JSON object \
             {{\"id\", \"custom_id\", \"response\": {{\"status_code\", \"body\"}}, \"error\"}}: \
             the line starts {}",
            excerpt(line, 80)
        )
    })?;
    let custom_id = out
        .custom_id
        .filter(|c| !c.is_empty())
        .ok_or("the line has no `custom_id`; it is not a reply to a request Graft wrote")?;
    let reply_id = match out.id {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => format!("line-{}", fingerprint(&[line])),
    };
    let status = out.response.as_ref().and_then(|r| r.status_code);
    let body = out.response.and_then(|r| r.body);
    let response = body.as_ref().map(|b| b.to_string());
    let model = body
        .as_ref()
        .and_then(|b| b.get("model"))
        .and_then(|m| m.as_str())
        .map(str::to_string);
    let mut reply = Reply {
        reply_id,
        custom_id,
        status,
        response,
        content: Err(String::new()),
        prompt_tokens: None,
        completion_tokens: None,
        model,
    };
    reply.content = match (&out.error, status, &reply.response) {
        (Some(e), _, _) if !e.is_null() => {
            Err(format!("the batch reports an error: {}", error_text(e)))
        }
        (_, Some(s), _) if !(200..300).contains(&s) => Err(format!(
            "the request failed with HTTP {s}: {}",
            reply
                .response
                .as_deref()
                .map(|b| excerpt(b, 300))
                .unwrap_or_default()
        )),
        (_, _, None) => Err("the line has neither a response body nor an error".into()),
        (_, _, Some(body)) => match parse_completion(body) {
            Ok(c) => {
                reply.prompt_tokens = c.prompt_tokens;
                reply.completion_tokens = c.completion_tokens;
                c.content.map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        },
    };
    Ok(reply)
}

fn error_text(e: &Value) -> String {
    match (e.get("code"), e.get("message")) {
        (Some(c), Some(m)) => format!(
            "{} ({})",
            m.as_str().unwrap_or(&m.to_string()),
            c.as_str().unwrap_or(&c.to_string())
        ),
        (None, Some(m)) => m.as_str().unwrap_or(&m.to_string()).to_string(),
        _ => excerpt(&e.to_string(), 300),
    }
}

fn excerpt(s: &str, n: usize) -> String {
    let t = s.trim();
    match t.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

/// The record of a call answered through a batch file, in the shape of a live call's:
/// `request` is the body the requests file carried, `error` why the reply was not used.
pub fn exchange(
    reply: &Reply,
    kind: Kind,
    prompt_version: &str,
    model: &str,
    request: Value,
    error: Option<String>,
) -> Exchange {
    Exchange {
        purpose: kind.purpose().to_string(),
        prompt_version: prompt_version.to_string(),
        model: reply.model.clone().unwrap_or_else(|| model.to_string()),
        request,
        response: reply.response.clone(),
        status: reply.status,
        content: reply.content.as_ref().ok().cloned(),
        error: error.or_else(|| reply.content.as_ref().err().cloned()),
        latency_ms: 0,
        attempts: 1,
        retries: Vec::new(),
        prompt_tokens: reply.prompt_tokens,
        completion_tokens: reply.completion_tokens,
    }
}

/// One half of a judgement, as a batch reply brings it.
#[derive(Debug, Clone, PartialEq)]
pub enum JudgePart {
    /// The judge's own answer to the text.
    Solve(f64),
    /// The judge's ratings.
    Rate(Rate),
}

/// The note a batch judgement carries while one of its two replies has not come.
pub const WAITING: &str = "no reply yet from the batch";

/// A judgement with one half from a batch reply: the other half is kept from `previous` when
/// the same model gave it, else noted as waiting (so the verdict is incomplete until it
/// comes). The fields are filled exactly as a live judge fills them.
pub fn judgement(
    previous: Option<LlmJudgement>,
    model: &str,
    variant: &Graph,
    part: JudgePart,
) -> LlmJudgement {
    let mut j = previous
        .filter(|p| p.model == model)
        .unwrap_or_else(|| LlmJudgement {
            model: model.to_string(),
            answer: None,
            answer_matches: None,
            faithfulness: None,
            fluency: None,
            rationale: String::new(),
            error: None,
        });
    match part {
        JudgePart::Solve(answer) => {
            j.answer = Some(format_answer(answer));
            j.answer_matches = Some(engine::problem::close_to(variant.answer_value(), answer));
        }
        JudgePart::Rate(r) => {
            j.faithfulness = Some(r.faithfulness);
            j.fluency = Some(r.fluency);
            j.rationale = r.rationale.trim().to_string();
        }
    }
    let mut waiting = Vec::new();
    if j.answer_matches.is_none() {
        waiting.push(format!("solve: {WAITING}"));
    }
    if j.faithfulness.is_none() {
        waiting.push(format!("rate: {WAITING}"));
    }
    j.error = (!waiting.is_empty()).then(|| waiting.join("; "));
    j
}

/// One line of a results file: its 1-based number and its text, or why it cannot be read
/// (over [`MAX_LINE_BYTES`], not UTF-8).
pub type Line = (usize, Result<String, String>);

/// The non-blank lines of a results file, each bounded by [`MAX_LINE_BYTES`] (a longer line
/// is reported and skipped, never held whole), the whole by [`MAX_FILE_BYTES`].
pub struct Lines<R> {
    reader: R,
    number: usize,
    read: u64,
    buf: Vec<u8>,
    /// Set when reading stopped on an I/O error or the file limit.
    pub error: Option<String>,
}

impl<R: BufRead> Lines<R> {
    /// Lines of `reader`.
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            number: 0,
            read: 0,
            buf: Vec::new(),
            error: None,
        }
    }

    /// Reads up to the next newline, keeping at most `MAX_LINE_BYTES + 1` bytes; whether the
    /// line ended (false at the end of the input with nothing read).
    fn next_raw(&mut self) -> std::io::Result<Option<bool>> {
        self.buf.clear();
        let mut any = false;
        let mut over = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(any.then_some(over));
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = (MAX_LINE_BYTES + 1).saturating_sub(self.buf.len());
            if take > room {
                over = true;
            }
            self.buf.extend_from_slice(&chunk[..take.min(room)]);
            self.reader.consume(take);
            self.read += take as u64;
            if done {
                return Ok(Some(over));
            }
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        loop {
            if self.error.is_some() {
                return None;
            }
            if self.read > MAX_FILE_BYTES {
                self.error = Some(format!(
                    "the file is over {MAX_FILE_BYTES} bytes; split it (e.g. `split -l 50000`) \
                     and read the parts one by one"
                ));
                return None;
            }
            let over = match self.next_raw() {
                Ok(None) => return None,
                Ok(Some(over)) => over,
                Err(e) => {
                    self.error = Some(format!("cannot read line {}: {e}", self.number + 1));
                    return None;
                }
            };
            self.number += 1;
            if over {
                return Some((
                    self.number,
                    Err(format!(
                        "the line is over {MAX_LINE_BYTES} bytes; a reply this long is not one \
                         Graft asked for"
                    )),
                ));
            }
            match std::str::from_utf8(&self.buf) {
                Ok(s) if s.trim().is_empty() => continue,
                Ok(s) => {
                    return Some((
                        self.number,
                        Ok(s.trim_end_matches(['\n', '\r']).to_string()),
                    ))
                }
                Err(e) => {
                    return Some((
                        self.number,
                        Err(format!(
                            "the line is not UTF-8 text (first bad byte at byte {})",
                            e.valid_up_to() + 1
                        )),
                    ))
                }
            }
        }
    }
}

/// Why a results line was not stored: a short category for the summary table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not a batch output line (not JSON, no `custom_id`, over the line limit, not UTF-8).
    Unreadable,
    /// A `custom_id` this database never wrote.
    UnknownCustomId,
    /// The variant changed (or is gone) since the request was written.
    Stale,
    /// This reply was stored by an earlier run.
    AlreadyStored,
    /// The batch reports an error for the request, or an error status, or no completion.
    ErrorReply,
    /// A verbalize reply whose text or worked solution failed validation.
    InvalidText,
    /// A judge reply that is not the JSON object asked for.
    InvalidReply,
}

impl Reason {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unreadable => "unreadable",
            Reason::UnknownCustomId => "unknown_custom_id",
            Reason::Stale => "stale",
            Reason::AlreadyStored => "already_stored",
            Reason::ErrorReply => "error_reply",
            Reason::InvalidText => "invalid_text",
            Reason::InvalidReply => "invalid_reply",
        }
    }

    /// Whether the reply reached Graft and was recorded as a call (refused), rather than
    /// skipped without a trace.
    pub fn is_refusal(self) -> bool {
        matches!(
            self,
            Reason::ErrorReply | Reason::InvalidText | Reason::InvalidReply
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A results line that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProblem {
    /// The 1-based line number.
    pub line: usize,
    /// The category.
    pub reason: Reason,
    /// What was found and what to do.
    pub detail: String,
}

/// What reading a results file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsReport {
    /// Replies stored (texts, verdicts), each with its call.
    pub stored: u64,
    /// Replies refused on their content (error replies, invalid texts or JSON): recorded as
    /// calls with the reason, nothing else changed; `graft words requests` asks again.
    pub refused: u64,
    /// Lines skipped without a trace: unreadable, unknown, stale, already stored.
    pub skipped: u64,
    /// Every line that was not stored, in file order.
    pub problems: Vec<LineProblem>,
}

impl ResultsReport {
    /// Notes a line that was not stored.
    pub fn problem(&mut self, line: usize, reason: Reason, detail: impl Into<String>) {
        if reason.is_refusal() {
            self.refused += 1;
        } else {
            self.skipped += 1;
        }
        self.problems.push(LineProblem {
            line,
            reason,
            detail: detail.into(),
        });
    }

    /// How many lines each reason covers, in a stable order.
    pub fn reasons(&self) -> Vec<(Reason, u64)> {
        let mut m = std::collections::BTreeMap::new();
        for p in &self.problems {
            *m.entry(p.reason).or_insert(0u64) += 1;
        }
        m.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_read_back() {
        let id = CustomId {
            variant_id: 42,
            kind: Kind::Solve,
            fingerprint: fingerprint(&["a", "b"]),
            attempt: 2,
        };
        let s = id.to_string();
        assert!(
            s.starts_with("graft:v42:solve:") && s.ends_with(":2"),
            "{s}"
        );
        assert!(s.len() < 64);
        assert_eq!(CustomId::parse(&s), Ok(id.clone()));
        assert!(s.starts_with(&id.prefix()));
        for bad in [
            "",
            "request-1",
            "graft:v0:solve:0123456789abcdef:1",
            "graft:v1:judge:0123456789abcdef:1",
            "graft:v1:solve:0123:1",
            "graft:v1:solve:0123456789abcdef:0",
            "graft:v1:solve:0123456789abcdef",
        ] {
            assert!(CustomId::parse(bad).is_err(), "{bad}");
        }
        // Parts never run into each other.
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["x"]), fingerprint(&["x"]));
    }

    #[test]
    fn reads_openai_and_vllm_lines() {
        let ok = r#"{"id":"batch_req_1","custom_id":"graft:v1:solve:0123456789abcdef:1","response":{"status_code":200,"request_id":"r","body":{"id":"c","object":"chat.completion","model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}},"error":null}"#;
        let r = read_reply(ok).unwrap();
        assert_eq!(r.content.as_deref(), Ok("hi"));
        assert_eq!((r.status, r.prompt_tokens), (Some(200), Some(5)));
        assert_eq!(r.model.as_deref(), Some("gpt-x"));
        assert_eq!(r.reply_id, "batch_req_1");
        let err = r#"{"id":"b2","custom_id":"x","response":null,"error":{"code":"bad","message":"too long"}}"#;
        let r = read_reply(err).unwrap();
        assert!(r.content.unwrap_err().contains("too long (bad)"));
        let status = r#"{"id":"b3","custom_id":"x","response":{"status_code":400,"body":{"error":{"message":"no"}}},"error":null}"#;
        assert!(read_reply(status)
            .unwrap()
            .content
            .unwrap_err()
            .contains("HTTP 400"));
        // vLLM's run_batch: the same shape, a few more fields, errors as plain strings.
        let vllm = r#"{"id":"vllm-8a1c","custom_id":"c","response":{"status_code":200,"request_id":"vllm-batch-1","body":{"id":"cmpl-1","object":"chat.completion","created":1,"model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"message":{"role":"assistant","content":"ok","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":24,"total_tokens":32,"completion_tokens":8},"prompt_logprobs":null}},"error":null}"#;
        let r = read_reply(vllm).unwrap();
        assert_eq!(
            (r.content.as_deref(), r.completion_tokens),
            (Ok("ok"), Some(8))
        );
        let r = read_reply(
            r#"{"id":"vllm-2","custom_id":"c","response":null,"error":"prompt too long"}"#,
        )
        .unwrap();
        assert!(r.content.unwrap_err().contains("prompt too long"));
        assert!(read_reply("{oops").is_err());
        assert!(read_reply(r#"{"id":"b4"}"#).is_err());
    }

    #[test]
    fn lines_are_bounded() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let input = format!("a\n\n{long}\nb\r\n");
        let lines: Vec<Line> = Lines::new(input.as_bytes()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], (1, Ok("a".into())));
        assert_eq!(lines[1].0, 3);
        assert!(lines[1].1.as_ref().unwrap_err().contains("over"));
        assert_eq!(lines[2], (4, Ok("b".into())));
    }
}
