//! Graft's words in and out: an OpenAI-compatible chat-completions [`client`] (timeouts,
//! retries with backoff and `Retry-After`, bounded concurrency, request budgets, a record of
//! every call), and the three uses Graft makes of a model: [`verbalize`] a graph into a word
//! problem, [`judge`] a variant's text, and [`extract`] a program from a problem; [`batch`]
//! writes the same requests as batch files and reads the replies back.
//!
//! Every use works without a model too, where that makes sense: the offline verbalizer and
//! the offline verdict come from the engine. Server-side only (reqwest, tokio).

pub mod batch;
pub mod client;
pub mod extract;
pub mod judge;
pub mod solve;
pub mod verbalize;

pub use client::{Budget, Client, ClientConfig, Endpoint, Exchange, LlmError, Provider};

/// Why a use of the model produced nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The endpoint is down, timing out or rate-limiting: keep the item and try again later.
    #[error("{0}")]
    Llm(#[from] LlmError),
    /// The engine rejected the input (bad operations, no question).
    #[error("{0}")]
    Engine(String),
    /// Every try was rejected; the reasons, one per try.
    #[error("gave up after {} tries: {}", .0.len(), .0.join("; "))]
    GaveUp(Vec<String>),
}

impl Failure {
    /// Whether the endpoint is unavailable (a batch should pause and be resumed later).
    pub fn is_outage(&self) -> bool {
        matches!(self, Failure::Llm(e) if e.is_outage())
    }
}

/// The outcome of a use of the model, with the record of every call it made.
#[derive(Debug)]
pub struct Run<T> {
    /// What came out, or why nothing did.
    pub result: Result<T, Failure>,
    /// Every call, in order.
    pub exchanges: Vec<Exchange>,
}

impl<T> Run<T> {
    fn ok(value: T, exchanges: Vec<Exchange>) -> Run<T> {
        Run {
            result: Ok(value),
            exchanges,
        }
    }
    fn failed(failure: Failure, exchanges: Vec<Exchange>) -> Run<T> {
        Run {
            result: Err(failure),
            exchanges,
        }
    }
}

/// A reply without Markdown code fences around it.
pub fn strip_fences(s: &str) -> &str {
    let t = s.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.find('\n').map(|i| &rest[i + 1..]).unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

/// A model's problem text, cleaned: no fences, no surrounding quotes, no leading label such
/// as `New problem:`.
pub fn clean_text(s: &str) -> String {
    let mut t = strip_fences(s).trim();
    for label in ["New problem:", "New word problem:", "Problem:"] {
        if let Some(rest) = t.strip_prefix(label) {
            t = rest.trim();
        }
    }
    let t = t.trim_matches('"').trim();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_replies() {
        assert_eq!(strip_fences("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fences(" {\"a\":1} "), "{\"a\":1}");
        assert_eq!(
            clean_text("New problem: \"Tom has 5\n apples.\""),
            "Tom has 5 apples."
        );
    }
}
