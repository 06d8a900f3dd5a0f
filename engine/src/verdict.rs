//! A variant's verdict: the two offline checks (exact re-execution, text ↔ graph consistency)
//! and, when a model was asked, the LLM judge's answer and ratings, each kept apart.
//!
//! The offline part is computed here, purely; the LLM part is filled in by the caller (the
//! `llm` crate) and stored alongside, so that a reviewer always sees which check said what.

use serde::{Deserialize, Serialize};

use crate::consistency::{self, Consistency};
use crate::graph::Graph;
use crate::number::Number;

/// Whether the engine, evaluating the variant's graph afresh, reaches the stored answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionCheck {
    /// The check passed.
    pub ok: bool,
    /// The stored answer.
    pub stored: String,
    /// The answer re-evaluation gives (`None` when evaluation failed).
    pub computed: Option<String>,
    /// What went wrong, when something did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The numbers of the text against the inputs of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyCheck {
    /// No input missing, no stale value, no unexplained number.
    pub ok: bool,
    /// The findings.
    pub report: Consistency,
    /// The findings in words (empty when `ok`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complaints: Vec<String>,
}

/// What the LLM judge said about a variant's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmJudgement {
    /// The model that judged.
    pub model: String,
    /// The model's own answer to the text, as it wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Whether that answer equals the graph's (within 1e-6 relative). `None` when the model
    /// gave no usable number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_matches: Option<bool>,
    /// Faithfulness of the text to the graph, 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faithfulness: Option<u8>,
    /// Fluency of the text, 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fluency: Option<u8>,
    /// The model's short rationale.
    #[serde(default)]
    pub rationale: String,
    /// Why there is no judgement (endpoint down, budget spent, unparsable reply), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A variant's verdict: each check separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Check 1: exact re-execution.
    pub execution: ExecutionCheck,
    /// Check 2: text ↔ graph consistency.
    pub consistency: ConsistencyCheck,
    /// Check 3: the LLM judge; `None` for an offline verdict (no model configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmJudgement>,
}

/// A verdict's one-word summary, for filters and badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check that ran passed.
    Pass,
    /// Execution or consistency failed, or the judge's answer differs.
    Fail,
    /// The offline checks passed but the LLM judge could not give a judgement.
    Incomplete,
}

impl Outcome {
    /// The snake_case name (`pass`, `fail`, `incomplete`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Incomplete => "incomplete",
        }
    }
}

impl Verdict {
    /// Whether only the offline checks ran.
    pub fn is_offline(&self) -> bool {
        self.llm.is_none()
    }

    /// The verdict in one word.
    pub fn outcome(&self) -> Outcome {
        if !self.execution.ok || !self.consistency.ok {
            return Outcome::Fail;
        }
        match &self.llm {
            None => Outcome::Pass,
            // A wrong answer fails the variant even when the ratings could not be read.
            Some(j) if j.answer_matches == Some(false) => Outcome::Fail,
            Some(j) if j.error.is_some() => Outcome::Incomplete,
            Some(j) if j.answer_matches.is_none() => Outcome::Incomplete,
            Some(_) => Outcome::Pass,
        }
    }
}

/// Check 1: evaluates a copy of `variant` from its inputs and compares the answer with
/// `stored_answer` (the answer as stored, in [`Number`]'s text form) exactly.
pub fn execution(variant: &Graph, stored_answer: &str) -> ExecutionCheck {
    let mut g = variant.clone();
    let stored = stored_answer.trim().to_string();
    match g.evaluate_all() {
        Err(e) => ExecutionCheck {
            ok: false,
            stored,
            computed: None,
            error: Some(format!("the graph does not evaluate: {e}")),
        },
        Ok(()) => {
            let computed = g.answer_value();
            let ok = stored.parse::<Number>().ok() == Some(computed);
            ExecutionCheck {
                ok,
                error: (!ok).then(|| {
                    format!("re-evaluation gives {computed}, but {stored} is stored as the answer")
                }),
                stored,
                computed: Some(computed.to_string()),
            }
        }
    }
}

/// Check 2: [`consistency::check`] of `text` against the variant, with its complaints.
pub fn consistency(original: &Graph, variant: &Graph, text: &str) -> ConsistencyCheck {
    let report = consistency::check(original, variant, text);
    ConsistencyCheck {
        ok: report.is_consistent(),
        complaints: report.complaints(),
        report,
    }
}

/// The offline verdict: checks 1 and 2, no LLM judgement.
pub fn offline(original: &Graph, variant: &Graph, text: &str, stored_answer: &str) -> Verdict {
    Verdict {
        execution: execution(variant, stored_answer),
        consistency: consistency(original, variant, text),
        llm: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(llm: Option<LlmJudgement>) -> Verdict {
        Verdict {
            execution: ExecutionCheck {
                ok: true,
                stored: "1".into(),
                computed: Some("1".into()),
                error: None,
            },
            consistency: ConsistencyCheck {
                ok: true,
                report: Consistency::default(),
                complaints: Vec::new(),
            },
            llm,
        }
    }

    fn judgement(matches: Option<bool>, error: Option<&str>) -> LlmJudgement {
        LlmJudgement {
            model: "m".into(),
            answer: Some("1".into()),
            answer_matches: matches,
            faithfulness: Some(4),
            fluency: Some(5),
            rationale: String::new(),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn outcomes() {
        assert_eq!(verdict(None).outcome(), Outcome::Pass);
        assert!(verdict(None).is_offline());
        assert_eq!(
            verdict(Some(judgement(Some(true), None))).outcome(),
            Outcome::Pass
        );
        assert_eq!(
            verdict(Some(judgement(Some(false), Some("rate: bad")))).outcome(),
            Outcome::Fail
        );
        assert_eq!(
            verdict(Some(judgement(Some(true), Some("rate: bad")))).outcome(),
            Outcome::Incomplete
        );
        assert_eq!(
            verdict(Some(judgement(None, None))).outcome(),
            Outcome::Incomplete
        );
        let mut v = verdict(None);
        v.consistency.ok = false;
        assert_eq!(v.outcome(), Outcome::Fail);
    }

    #[test]
    fn execution_compares_exactly() {
        let g = crate::parse_program(
            "def solution():\n    a = 3\n    b = a * 2\n    return b\n",
            None,
        )
        .unwrap();
        assert!(execution(&g, "6").ok);
        let bad = execution(&g, "6.5");
        assert!(!bad.ok);
        assert!(bad.error.unwrap().contains("re-evaluation gives 6"));
        assert!(!execution(&g, "not a number").ok);
    }
}
