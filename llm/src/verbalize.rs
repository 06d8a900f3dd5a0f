//! Verbalize: an intervened graph back into a word problem, by a model when one is configured
//! (validated, retried with the validator's complaint, else the offline text) or offline.

use engine::intervene::{apply, Intervention};
use engine::verbalize::{offline, validate};
use engine::Graph;
use serde::{Deserialize, Serialize};

use crate::client::{Budget, ChatRequest, Client, Message};
use crate::{clean_text, Failure, Run};

/// The version of the verbalize prompt (stored with every call).
pub const PROMPT_VERSION: &str = "verbalize-v1";

/// Where a variant's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// The engine's offline verbalizer.
    Offline,
    /// A model, whose text passed validation.
    Llm,
}

impl TextSource {
    /// `offline` or `llm`.
    pub fn as_str(self) -> &'static str {
        match self {
            TextSource::Offline => "offline",
            TextSource::Llm => "llm",
        }
    }
}

/// A variant's text and how it was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verbalized {
    /// The problem text.
    pub text: String,
    /// Who wrote it.
    pub source: TextSource,
    /// Why a model's text was not used, when one was asked.
    pub fallback: Option<String>,
    /// What the offline verbalizer could not express.
    pub notes: Vec<String>,
}

const SYSTEM: &str = "You rewrite math word problems. You are given an original problem, the \
program that solves it, a new program, and the list of changes between the two programs. \
Write the new word problem that the new program solves: keep the original story, wording and \
names; state every input number of the new program exactly as a number in the text; never \
mention a number that was replaced; express each added step as a natural clause; end with \
the question the program answers. Output only the new problem text, with no title, no \
solution and no remarks.";

const EXAMPLE_USER: &str = "Original problem:\nTom has 3 boxes with 12 pencils in each box. \
How many pencils does Tom have?\n\nOriginal program:\ndef solution():\n    boxes = 3\n    \
per_box = 12\n    pencils = boxes * per_box\n    return pencils\n\nNew program:\ndef \
solution():\n    boxes = 5\n    per_box = 12\n    pencils = boxes * per_box\n    pencils_2 = \
pencils - 4\n    return pencils_2\n\nChanges:\n- `boxes` changed from 3 to 5\n- a new step \
after `pencils`: pencils_2 = pencils − 4\n";

const EXAMPLE_ASSISTANT: &str = "Tom has 5 boxes with 12 pencils in each box. Then he gives 4 \
pencils to a friend. How many pencils does Tom have now?";

/// The changes from `original` to the variant, one line each, in words a model can follow.
pub fn describe_changes(original: &Graph, operations: &[Intervention]) -> String {
    let mut g = original.clone();
    let mut lines = Vec::new();
    for op in operations {
        let name = |g: &Graph, id| {
            g.get(id)
                .map(|n| n.name.clone())
                .unwrap_or_else(|_| id.to_string())
        };
        let line = match op {
            Intervention::SetInput { node, value } => format!(
                "`{}` changed from {} to {}",
                name(&g, *node),
                g.get_value(*node)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                value
            ),
            Intervention::Graft { node, f } => {
                let n = name(&g, *node);
                format!("a new step after `{n}`: {n} {f}")
            }
            Intervention::AddDistractor { name, value, .. } => format!(
                "a new quantity `{name}` = {value} that the answer does not use (a distractor)"
            ),
            Intervention::FlipBranch { node } => {
                format!("the condition of `{}` is negated", name(&g, *node))
            }
            Intervention::SetThreshold { node, value } => format!(
                "the threshold in the condition of `{}` is now {value}",
                name(&g, *node)
            ),
            Intervention::Invert { input } => format!(
                "inverse question: the old answer {} is now given, and the question asks for `{}`",
                g.answer_value(),
                name(&g, *input)
            ),
        };
        lines.push(format!("- {line}"));
        if apply(&mut g, op).is_err() {
            break;
        }
    }
    lines.join("\n")
}

/// The messages of the first verbalize request.
pub fn prompt(original: &Graph, variant: &Graph, operations: &[Intervention]) -> Vec<Message> {
    let user = format!(
        "Original problem:\n{}\n\nOriginal program:\n{}\nNew program:\n{}\nChanges:\n{}\n",
        original.question().unwrap_or("").trim(),
        engine::to_python(original),
        engine::to_python(variant),
        describe_changes(original, operations)
    );
    vec![
        Message::system(SYSTEM),
        Message::user(EXAMPLE_USER),
        Message::assistant(EXAMPLE_ASSISTANT),
        Message::user(user),
    ]
}

/// Verbalizes the variant `operations` make of `original`.
///
/// With no model, the offline text. With one: up to `tries` requests, each answer checked by
/// [`engine::verbalize::validate`] and, when rejected, asked again with the complaints; after
/// that (or after an error that is not an outage) the offline text, with the reason in
/// [`Verbalized::fallback`]. An outage of the endpoint is an error, so that a batch pauses
/// rather than writing offline texts for everything.
pub async fn verbalize(
    llm: Option<(&Client, &Budget)>,
    original: &Graph,
    operations: &[Intervention],
    tries: u32,
) -> Run<Verbalized> {
    let mut exchanges = Vec::new();
    let mut variant = original.clone();
    for op in operations {
        if let Err(e) = apply(&mut variant, op) {
            return Run::failed(
                Failure::Engine(format!("the operations do not apply: {e}")),
                exchanges,
            );
        }
    }
    let fallback = match offline(original, operations) {
        Ok(v) => v,
        Err(e) => return Run::failed(Failure::Engine(e.to_string()), exchanges),
    };
    let offline_result = |reason: Option<String>| Verbalized {
        text: fallback.text.clone(),
        source: TextSource::Offline,
        fallback: reason,
        notes: fallback.notes.clone(),
    };
    let Some((client, budget)) = llm else {
        return Run::ok(offline_result(None), exchanges);
    };
    let mut messages = prompt(original, &variant, operations);
    let mut last_reason = String::new();
    for _ in 0..tries.max(1) {
        let req = ChatRequest {
            purpose: "verbalize",
            prompt_version: PROMPT_VERSION,
            messages: messages.clone(),
            schema: None,
            max_tokens: 512,
        };
        let (ex, result) = client.chat(&req, budget).await;
        exchanges.push(ex);
        match result {
            Err(e) if e.is_outage() => return Run::failed(Failure::Llm(e), exchanges),
            Err(e) => {
                last_reason = format!("the model gave no usable answer: {e}");
                break;
            }
            Ok(content) => {
                let text = clean_text(&content);
                match validate(original, &variant, &text) {
                    Ok(()) => {
                        return Run::ok(
                            Verbalized {
                                text,
                                source: TextSource::Llm,
                                fallback: None,
                                notes: Vec::new(),
                            },
                            exchanges,
                        )
                    }
                    Err(complaints) => {
                        last_reason =
                            format!("the model's text was rejected: {}", complaints.join("; "));
                        messages.push(Message::assistant(content));
                        messages.push(Message::user(format!(
                            "That text is not acceptable: {}. Write the whole problem again, \
                             fixing this. Output only the problem text.",
                            complaints.join("; ")
                        )));
                    }
                }
            }
        }
    }
    Run::ok(offline_result(Some(last_reason)), exchanges)
}
