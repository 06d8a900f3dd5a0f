//! Verbalize: an intervened graph back into a word problem and its worked solution, by a model
//! when one is configured (validated, retried with the validator's complaints, else the
//! offline text) or offline.
//!
//! A model writes two sections, `Problem:` and `Solution:`. The text is checked by
//! [`engine::verbalize::validate`]; the solution (GSM8K style: one sentence per step with
//! `<<a*b=c>>` annotations and a final `#### answer`) by re-extraction: `engine::problem::extract`
//! of `{question: text, answer: solution}` must give the variant's answer exactly.

use engine::intervene::{apply, Intervention};
use engine::verbalize::{offline, validate};
use engine::Graph;
use serde::{Deserialize, Serialize};

use crate::client::{Budget, ChatRequest, Client, Message};
use crate::{clean_text, Failure, Run};

/// The version of the verbalize prompt (stored with every call).
pub const PROMPT_VERSION: &str = "verbalize-v2";

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
    /// The worked solution in GSM8K style: the model's (re-extracted to the variant's answer)
    /// with a model's text, else the engine's offline one when it can write it.
    #[serde(default)]
    pub solution: Option<String>,
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
the question the program answers. Then write the worked solution of the new problem in \
GSM8K style: one short sentence per step of the new program, each with its calculation as a \
calculator annotation such as <<5*12=60>>60, and a last line `#### ` followed by the answer. \
Reply with exactly two sections, `Problem:` with the new problem text and `Solution:` with the \
worked solution, with no title and no remarks.";

const EXAMPLE_USER: &str = "Original problem:\nTom has 3 boxes with 12 pencils in each box. \
How many pencils does Tom have?\n\nOriginal program:\ndef solution():\n    boxes = 3\n    \
per_box = 12\n    pencils = boxes * per_box\n    return pencils\n\nNew program:\ndef \
solution():\n    boxes = 5\n    per_box = 12\n    pencils = boxes * per_box\n    pencils_2 = \
pencils - 4\n    return pencils_2\n\nChanges:\n- `boxes` changed from 3 to 5\n- a new step \
after `pencils`: pencils_2 = pencils − 4\n";

const EXAMPLE_ASSISTANT: &str = "Problem:\nTom has 5 boxes with 12 pencils in each box. Then he \
gives 4 pencils to a friend. How many pencils does Tom have now?\nSolution:\nTom has 5 * 12 = \
<<5*12=60>>60 pencils in the boxes.\nAfter giving 4 pencils away, he has 60 - 4 = <<60-4=56>>56 \
pencils.\n#### 56";

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
        "Original problem:\n{}\n\nOriginal program:\n{}\nNew program:\n{}\nChanges:\n{}\n\n\
         The new program's answer: {}\n",
        original.question().unwrap_or("").trim(),
        engine::to_python(original),
        engine::to_python(variant),
        describe_changes(original, operations),
        variant.answer_value()
    );
    vec![
        Message::system(SYSTEM),
        Message::user(EXAMPLE_USER),
        Message::assistant(EXAMPLE_ASSISTANT),
        Message::user(user),
    ]
}

/// The first verbalize request for the variant (what a batch file carries too).
pub fn request(original: &Graph, variant: &Graph, operations: &[Intervention]) -> ChatRequest {
    ChatRequest {
        purpose: "verbalize",
        prompt_version: PROMPT_VERSION,
        messages: prompt(original, variant, operations),
        schema: None,
        max_tokens: MAX_TOKENS,
    }
}

/// The most tokens a verbalize reply may take (the problem and its worked solution).
pub const MAX_TOKENS: u32 = 1024;

/// The message that sends a rejected reply's complaints back to the model.
pub fn complaint(complaints: &[String]) -> Message {
    Message::user(format!(
        "That text is not acceptable: {}. Write the whole problem and its worked solution again, \
         fixing this, as the same two sections `Problem:` and `Solution:`.",
        complaints.join("; ")
    ))
}

/// A model's reply cut into its problem text (cleaned as [`clean_text`] does) and its worked
/// solution (lines trimmed, blank lines dropped, nothing after the `####` line). A complaint
/// when there is no `Solution:` section.
pub fn split_reply(content: &str) -> Result<(String, String), String> {
    let body = crate::strip_fences(content);
    let mut problem = Vec::new();
    let mut solution: Option<Vec<String>> = None;
    for line in body.lines() {
        let bare = line
            .trim()
            .trim_matches(|c| c == '*' || c == '#' || c == ' ');
        let lower = bare.to_ascii_lowercase();
        let is_head = |h: &str| lower.starts_with(h) && !line.trim_start().starts_with("####");
        if solution.is_none() && (is_head("solution:") || is_head("worked solution:")) {
            let rest = &bare[bare.find(':').map_or(bare.len(), |i| i + 1)..];
            let rest = rest.trim_start_matches('*').trim();
            solution = Some(if rest.is_empty() {
                Vec::new()
            } else {
                vec![rest.to_string()]
            });
            continue;
        }
        match &mut solution {
            Some(s) => {
                let l = line.trim();
                if !l.is_empty() {
                    s.push(l.to_string());
                }
                if l.starts_with("####") {
                    break;
                }
            }
            None => problem.push(line),
        }
    }
    let Some(solution) = solution.filter(|s| !s.is_empty()) else {
        return Err(
            "the reply has no `Solution:` section; write the problem text after \
                    `Problem:` and then the worked solution after `Solution:`"
                .into(),
        );
    };
    let mut text = problem.join("\n");
    let trimmed = text.trim_start();
    let lower = trimmed.to_ascii_lowercase();
    if let Some(rest) = lower
        .strip_prefix("**problem:**")
        .map(|r| r.len())
        .or_else(|| lower.strip_prefix("problem:").map(|r| r.len()))
    {
        text = trimmed[trimmed.len() - rest..].to_string();
    }
    Ok((clean_text(&text), solution.join("\n")))
}

/// Checks a worked `solution` of `text` by re-extraction: GSM8K extraction of
/// `{question: text, answer: solution}` must succeed and give `variant`'s answer exactly.
pub fn check_solution(variant: &Graph, text: &str, solution: &str) -> Result<(), String> {
    let problem = engine::problem::Problem {
        id: None,
        question: Some(text.to_string()),
        solution: engine::problem::Solution::Gsm8k {
            answer: solution.to_string(),
        },
        expected: None,
    };
    let want = variant.answer_value();
    match engine::problem::extract(&problem) {
        Err(e) => Err(format!(
            "the worked solution cannot be read back as a GSM8K solution ({e}); write one \
             sentence per step with its calculation as <<a*b=c>>c and end with `#### {want}`"
        )),
        Ok(ex) if ex.expected != Some(want) => Err(format!(
            "the worked solution ends with `#### {}`, but the answer is {want}",
            ex.expected.map(|n| n.to_string()).unwrap_or_default()
        )),
        Ok(ex) if ex.answer_matches != Some(true) => Err(format!(
            "no calculation in the worked solution gives the final answer {want}; every step \
             needs its calculation as <<a*b=c>>c"
        )),
        Ok(_) => Ok(()),
    }
}

/// Checks a model's verbalize reply exactly as a live reply is checked: the text with
/// [`engine::verbalize::validate`], the solution with [`check_solution`]. The text and the
/// solution, or every complaint (fit to send back with [`complaint`]).
pub fn check_reply(
    original: &Graph,
    variant: &Graph,
    content: &str,
) -> Result<(String, String), Vec<String>> {
    let (text, solution) = split_reply(content).map_err(|c| vec![c])?;
    let mut complaints = validate(original, variant, &text).err().unwrap_or_default();
    if let Err(c) = check_solution(variant, &text, &solution) {
        complaints.push(c);
    }
    if complaints.is_empty() {
        Ok((text, solution))
    } else {
        Err(complaints)
    }
}

/// Verbalizes the variant `operations` make of `original`.
///
/// With no model, the offline text and the engine's offline worked solution (when it can
/// write one). With one: up to `tries` requests, each reply checked by [`check_reply`] and,
/// when rejected, asked again with the complaints; after that (or after an error that is not
/// an outage) the offline text, with the reason in [`Verbalized::fallback`]. An outage of the
/// endpoint is an error, so that a batch pauses rather than writing offline texts for
/// everything.
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
    let offline_solution = engine::solution::worked(original, &variant).ok();
    let offline_result = |reason: Option<String>| Verbalized {
        text: fallback.text.clone(),
        solution: offline_solution.clone(),
        source: TextSource::Offline,
        fallback: reason,
        notes: fallback.notes.clone(),
    };
    let Some((client, budget)) = llm else {
        return Run::ok(offline_result(None), exchanges);
    };
    let first = request(original, &variant, operations);
    let mut messages = first.messages.clone();
    let mut last_reason = String::new();
    for _ in 0..tries.max(1) {
        let req = ChatRequest {
            messages: messages.clone(),
            ..first.clone()
        };
        let (ex, result) = client.chat(&req, budget).await;
        exchanges.push(ex);
        match result {
            Err(e) if e.is_outage() => return Run::failed(Failure::Llm(e), exchanges),
            Err(e) => {
                last_reason = format!("the model gave no usable answer: {e}");
                break;
            }
            Ok(content) => match check_reply(original, &variant, &content) {
                Ok((text, solution)) => {
                    return Run::ok(
                        Verbalized {
                            text,
                            solution: Some(solution),
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
                    messages.push(complaint(&complaints));
                }
            },
        }
    }
    Run::ok(offline_result(Some(last_reason)), exchanges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_reply_is_its_own_valid_answer() {
        let (text, solution) = split_reply(EXAMPLE_ASSISTANT).unwrap();
        assert!(text.starts_with("Tom has 5 boxes"), "{text}");
        assert!(solution.ends_with("#### 56"), "{solution}");
        let problem = engine::problem::Problem {
            id: None,
            question: Some(text.clone()),
            solution: engine::problem::Solution::Gsm8k {
                answer: solution.clone(),
            },
            expected: None,
        };
        let g = engine::problem::extract(&problem).unwrap().graph;
        assert_eq!(g.answer_value().to_string(), "56");
        assert!(check_solution(&g, &text, &solution).is_ok());
        let wrong = solution.replace("#### 56", "#### 57");
        let e = check_solution(&g, &text, &wrong).unwrap_err();
        assert!(e.contains("57") && e.contains("#### 56"), "{e}");
        let e = check_solution(&g, &text, "He has 56 pencils.").unwrap_err();
        assert!(e.contains("cannot be read back"), "{e}");
    }

    #[test]
    fn replies_are_cut_into_text_and_solution() {
        let (t, s) = split_reply(
            "```\n**Problem:** Ann has 3 cats.\nHow many?\n\n**Solution:**\nShe has \
             <<1+2=3>>3.\n#### 3\nThanks!\n```",
        )
        .unwrap();
        assert_eq!(t, "Ann has 3 cats. How many?");
        assert_eq!(s, "She has <<1+2=3>>3.\n#### 3");
        let (t, s) =
            split_reply("Ann has 3 cats. How many?\nSolution: <<1+2=3>>3\n#### 3").unwrap();
        assert_eq!(t, "Ann has 3 cats. How many?");
        assert_eq!(s, "<<1+2=3>>3\n#### 3");
        assert!(split_reply("Ann has 3 cats. How many?")
            .unwrap_err()
            .contains("Solution:"));
    }
}
