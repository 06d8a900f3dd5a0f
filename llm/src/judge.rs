//! Judge: the three offline checks (exact execution, numbers consistent, the well-posedness
//! lint), then (with a model) an independent solution of the text and ratings of faithfulness
//! and fluency, each as a JSON object constrained by a schema and parsed strictly. Without a
//! model the verdict is at best `linted`: only a solve that agreed makes a `pass`.

use engine::verdict::{self, LlmJudgement, Verdict};
use engine::{Graph, Number};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::{Budget, ChatRequest, Client, Exchange, LlmError, Message};
use crate::{strip_fences, Failure, Run};

/// The version of the judge prompts (stored with every call).
pub const PROMPT_VERSION: &str = "judge-v1";

const SOLVE_SYSTEM: &str = "You solve math word problems. Work briefly, then give the final \
numeric answer. Reply with a JSON object only: {\"work\": \"<short working>\", \"answer\": \
<number>}.";

const RATE_SYSTEM: &str = "You review generated math word problems. You are given a problem \
text and the program it is meant to describe. Rate faithfulness (does the text state exactly \
the program's inputs and ask for its result? 5 = exactly, 1 = not at all) and fluency (is it \
clear, grammatical English? 5 = perfect, 1 = unreadable), with a one-sentence rationale. Reply \
with a JSON object only: {\"rationale\": \"...\", \"faithfulness\": <1-5>, \"fluency\": <1-5>}.";

/// The schema of the solve answer.
pub fn solve_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "work": {"type": "string", "maxLength": 600},
            "answer": {"type": "number"}
        },
        "required": ["work", "answer"],
        "additionalProperties": false
    })
}

/// The schema of the ratings.
pub fn rate_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "rationale": {"type": "string", "maxLength": 300},
            "faithfulness": {"type": "integer", "minimum": 1, "maximum": 5},
            "fluency": {"type": "integer", "minimum": 1, "maximum": 5}
        },
        "required": ["rationale", "faithfulness", "fluency"],
        "additionalProperties": false
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Solve {
    #[allow(dead_code)]
    work: String,
    answer: f64,
}

/// A rating reply: faithfulness and fluency (1–5) with a rationale.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// One sentence on why.
    pub rationale: String,
    /// Does the text state exactly the program's inputs and ask for its result (1–5)?
    pub faithfulness: u8,
    /// Is it clear, grammatical English (1–5)?
    pub fluency: u8,
}

/// The first solve request for `text` (the body a batch file carries too).
pub fn solve_request(text: &str) -> ChatRequest {
    ChatRequest {
        purpose: "judge",
        prompt_version: PROMPT_VERSION,
        messages: vec![
            Message::system(SOLVE_SYSTEM),
            Message::user(format!("Problem:\n{}", text.trim())),
        ],
        schema: Some(("solution", solve_schema())),
        max_tokens: 512,
    }
}

/// The first rating request for `text` against `variant`'s program.
pub fn rate_request(text: &str, variant: &Graph) -> ChatRequest {
    ChatRequest {
        purpose: "judge",
        prompt_version: PROMPT_VERSION,
        messages: vec![
            Message::system(RATE_SYSTEM),
            Message::user(format!(
                "Problem text:\n{}\n\nProgram:\n{}",
                text.trim(),
                engine::to_python(variant)
            )),
        ],
        schema: Some(("ratings", rate_schema())),
        max_tokens: 512,
    }
}

/// Parses a solve reply strictly (one JSON object with exactly `work` and `answer`).
pub fn parse_solve(content: &str) -> Result<f64, String> {
    let s: Solve = serde_json::from_str(strip_fences(content))
        .map_err(|e| format!("the solve reply is not the JSON object asked for: {e}"))?;
    if !s.answer.is_finite() {
        return Err("the answer is not a finite number".into());
    }
    Ok(s.answer)
}

/// Parses a rating reply strictly (one JSON object, ratings 1–5).
pub fn parse_rate(content: &str) -> Result<Rate, String> {
    let r: Rate = serde_json::from_str(strip_fences(content))
        .map_err(|e| format!("the rating reply is not the JSON object asked for: {e}"))?;
    for (name, v) in [("faithfulness", r.faithfulness), ("fluency", r.fluency)] {
        if !(1..=5).contains(&v) {
            return Err(format!("{name} must be 1–5, got {v}"));
        }
    }
    Ok(r)
}

/// The message that sends a reply's parse error back to the model.
pub fn complaint(why: String) -> Message {
    Message::user(format!("{why}. Reply again with the JSON object only."))
}

/// Asks once per try until `parse` accepts the reply; an outage ends at once.
async fn ask<T>(
    client: &Client,
    budget: &Budget,
    first: ChatRequest,
    tries: u32,
    exchanges: &mut Vec<Exchange>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Result<T, String>, LlmError> {
    let mut last = String::new();
    let mut messages = first.messages.clone();
    for _ in 0..tries.max(1) {
        let req = ChatRequest {
            messages: messages.clone(),
            ..first.clone()
        };
        let (ex, result) = client.chat(&req, budget).await;
        exchanges.push(ex);
        match result {
            Err(e) if e.is_outage() => return Err(e),
            Err(e) => return Ok(Err(e.to_string())),
            Ok(content) => match parse(&content) {
                Ok(v) => return Ok(Ok(v)),
                Err(why) => {
                    messages.push(Message::assistant(content));
                    messages.push(complaint(why.clone()));
                    last = why;
                }
            },
        }
    }
    Ok(Err(last))
}

/// Judges a variant's `text`: execution, consistency and the lint offline
/// ([`verdict::offline`]), then, with a model, an independent solution compared with the
/// graph's answer and the two ratings.
///
/// An outage of the endpoint is an error (the caller keeps the item for later); any other
/// trouble with the model is recorded in [`LlmJudgement::error`].
pub async fn judge(
    llm: Option<(&Client, &Budget)>,
    original: &Graph,
    variant: &Graph,
    text: &str,
    stored_answer: &str,
    tries: u32,
) -> Run<Verdict> {
    let mut v = verdict::offline(original, variant, text, stored_answer);
    let mut exchanges = Vec::new();
    let Some((client, budget)) = llm else {
        return Run::ok(v, exchanges);
    };
    let mut j = LlmJudgement {
        model: client.model().to_string(),
        answer: None,
        answer_matches: None,
        faithfulness: None,
        fluency: None,
        rationale: String::new(),
        error: None,
    };
    let mut errors = Vec::new();
    match ask(
        client,
        budget,
        solve_request(text),
        tries,
        &mut exchanges,
        parse_solve,
    )
    .await
    {
        Err(e) => return Run::failed(Failure::Llm(e), exchanges),
        Ok(Ok(answer)) => {
            j.answer = Some(format_answer(answer));
            j.answer_matches = Some(engine::problem::close_to(variant.answer_value(), answer));
        }
        Ok(Err(why)) => errors.push(format!("solve: {why}")),
    }
    match ask(
        client,
        budget,
        rate_request(text, variant),
        tries,
        &mut exchanges,
        parse_rate,
    )
    .await
    {
        Err(e) => return Run::failed(Failure::Llm(e), exchanges),
        Ok(Ok(r)) => {
            j.faithfulness = Some(r.faithfulness);
            j.fluency = Some(r.fluency);
            j.rationale = r.rationale.trim().to_string();
        }
        Ok(Err(why)) => errors.push(format!("rate: {why}")),
    }
    if !errors.is_empty() {
        j.error = Some(errors.join("; "));
    }
    v.llm = Some(j);
    Run::ok(v, exchanges)
}

/// A model's answer as text: exact when it is a short decimal.
pub fn format_answer(x: f64) -> String {
    Number::from_f64(x)
        .map(|n| n.to_string())
        .unwrap_or_else(|| x.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a model the verdict is the engine's offline one: linted at best, never a pass,
    /// and a text the lint rejects fails.
    #[tokio::test]
    async fn offline_judge_is_linted_never_pass() {
        let g = engine::gsm8k::extract(
            "Tim has 40 cards. He gives 10 cards away. How many cards does he have left?",
            "He has 40 - 10 = <<40-10=30>>30 cards left.\n#### 30",
        )
        .unwrap()
        .graph;
        let run = judge(None, &g, &g, g.question().unwrap(), "30", 1).await;
        let v = run.result.unwrap();
        assert_eq!(v.outcome(), verdict::Outcome::Linted);
        assert_eq!(
            v.checks_ran(),
            [
                "exact execution",
                "numbers consistent",
                "well-posedness lint"
            ]
        );
        let bad = "After that, the number of cards goes down by 16. Tim has 40 cards. He gives \
                   10 cards away. How many cards does he have left?";
        let v = judge(None, &g, &g, bad, "30", 1).await.result.unwrap();
        assert_eq!(v.outcome(), verdict::Outcome::Fail, "{v:?}");
    }

    #[test]
    fn parses_strictly() {
        assert_eq!(parse_solve(r#"{"work":"3+5","answer":8}"#), Ok(8.0));
        assert_eq!(
            parse_solve("```json\n{\"work\":\"\",\"answer\":2.5}\n```"),
            Ok(2.5)
        );
        assert!(parse_solve(r#"{"answer":8}"#).is_err());
        assert!(parse_solve(r#"{"work":"","answer":"8","extra":1}"#).is_err());
        assert!(parse_solve("The answer is 8").is_err());
        assert!(parse_rate(r#"{"rationale":"ok","faithfulness":5,"fluency":4}"#).is_ok());
        assert!(parse_rate(r#"{"rationale":"ok","faithfulness":6,"fluency":4}"#).is_err());
        assert!(parse_rate(r#"{"rationale":"ok","faithfulness":0,"fluency":4}"#).is_err());
    }
}
