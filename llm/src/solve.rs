//! Asking a model to solve a variant's text step by step (solve jobs): the prompt, and the
//! sampled call (temperature and seed of the job's, unlike the deterministic calls of the
//! other uses).

use crate::client::{ChatRequest, Message};
use crate::{Budget, Client, Exchange, LlmError};

/// The version of the default prompt, stored with each solution.
pub const PROMPT_VERSION: &str = "solve-v1";

/// The default system prompt: a step a line, computations written out, `#### N` at the end
/// (what `engine::labels::solutions` reads best; any free text is still read).
pub const SYSTEM: &str = "You solve grade-school math word problems. Think step by step and \
write one step per line, with each computation written out as `a op b = c`. On the last line \
write `#### ` followed by the final answer as a number only.";

/// The request for a solution of `text`, with the job's system prompt when it has one.
pub fn request(text: &str, system: Option<&str>, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        purpose: "solve",
        prompt_version: PROMPT_VERSION,
        messages: vec![
            Message::system(system.unwrap_or(SYSTEM)),
            Message::user(text),
        ],
        schema: None,
        max_tokens,
    }
}

/// One sampled solution of `text`: the record of the call and the model's text or why there
/// is none.
pub async fn solve(
    client: &Client,
    budget: &Budget,
    text: &str,
    system: Option<&str>,
    max_tokens: u32,
    temperature: f64,
    seed: u64,
) -> (Exchange, Result<String, LlmError>) {
    let req = request(text, system, max_tokens);
    client.chat_sampled(&req, budget, temperature, seed).await
}
