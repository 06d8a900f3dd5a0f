//! Extract with a model: for a problem with no usable solution, ask for a `def solution():`
//! program in Graft's Python subset, and keep it only when the engine parses and evaluates it
//! (and, when the answer is known, reaches it); otherwise ask again with the error.

use engine::problem::close_to;
use engine::{parse_program, Graph};

use crate::client::{Budget, ChatRequest, Client, Message};
use crate::{Failure, Run};

/// The version of the extract prompt (stored with every call).
pub const PROMPT_VERSION: &str = "extract-v1";

const SYSTEM: &str = "You turn math word problems into Python programs. Write one function \
`def solution():` that computes the answer from the numbers in the problem and returns it. \
Use only: assignments of numbers to well-named variables, + - * / // % **, round(), int(), \
abs(), min(), max(), and if/else. No imports, no loops, no lists, no strings, no print. \
Output only the program in a ```python block.";

const EXAMPLE_USER: &str = "Problem:\nA baker makes 4 trays of 12 muffins and sells 30 of \
them. How many muffins are left?";

const EXAMPLE_ASSISTANT: &str = "```python\ndef solution():\n    trays = 4\n    \
muffins_per_tray = 12\n    sold = 30\n    baked = trays * muffins_per_tray\n    left = baked - \
sold\n    return left\n```";

/// A program the engine accepted.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The program.
    pub code: String,
    /// Its graph (with the question attached).
    pub graph: Graph,
}

/// The program in a model's reply: the first fenced block if any, from `def solution` on.
pub fn program_in(reply: &str) -> String {
    let body = match reply.find("```") {
        Some(i) => {
            let rest = &reply[i + 3..];
            let rest = rest.find('\n').map(|n| &rest[n + 1..]).unwrap_or(rest);
            rest.find("```").map(|e| &rest[..e]).unwrap_or(rest)
        }
        None => reply,
    };
    match body.find("def solution") {
        Some(i) => body[i..].trim_end().to_string() + "\n",
        None => body.trim().to_string() + "\n",
    }
}

/// Asks the model for a program for `question` up to `tries` times; `expected` is the answer
/// the source states, when it states one. Gives up with every reason when no try succeeds.
pub async fn extract(
    client: &Client,
    budget: &Budget,
    question: &str,
    expected: Option<f64>,
    tries: u32,
) -> Run<Extracted> {
    let mut exchanges = Vec::new();
    let mut messages = vec![
        Message::system(SYSTEM),
        Message::user(EXAMPLE_USER),
        Message::assistant(EXAMPLE_ASSISTANT),
        Message::user(format!("Problem:\n{}", question.trim())),
    ];
    let mut reasons = Vec::new();
    for attempt in 1..=tries.max(1) {
        let req = ChatRequest {
            purpose: "extract",
            prompt_version: PROMPT_VERSION,
            messages: messages.clone(),
            schema: None,
            max_tokens: 512,
        };
        let (ex, result) = client.chat(&req, budget).await;
        exchanges.push(ex);
        let content = match result {
            Err(e) if e.is_outage() => return Run::failed(Failure::Llm(e), exchanges),
            Err(e) => {
                reasons.push(format!("try {attempt}: {e}"));
                break;
            }
            Ok(c) => c,
        };
        let code = program_in(&content);
        let why = match parse_program(&code, Some(question)) {
            Err(e) => format!("the program does not run in Graft's subset: {e}"),
            Ok(graph) => match expected {
                Some(t) if !close_to(graph.answer_value(), t) => format!(
                    "the program returns {}, but the answer is {t}",
                    graph.answer_value()
                ),
                _ => return Run::ok(Extracted { code, graph }, exchanges),
            },
        };
        reasons.push(format!("try {attempt}: {why}"));
        messages.push(Message::assistant(content));
        messages.push(Message::user(format!(
            "{why}. Write the corrected program, only the program in a ```python block."
        )));
    }
    Run::failed(Failure::GaveUp(reasons), exchanges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_program() {
        let r = "Sure!\n```python\ndef solution():\n    a = 2\n    return a\n```\nDone.";
        assert_eq!(program_in(r), "def solution():\n    a = 2\n    return a\n");
        assert_eq!(
            program_in("def solution():\n    return 1"),
            "def solution():\n    return 1\n"
        );
    }
}
