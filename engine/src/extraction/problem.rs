//! A problem as it arrives (one JSONL row) and its extraction into a graph.
//!
//! Two row shapes are understood: GSM8K (`{"question", "answer"}`, the answer carrying
//! calculator annotations and a `#### value` line) and program rows (`{"code", ...}` with a
//! `def solution():` program, the question in `question` or `input`, and an optional
//! expected answer in `target` or `answer`).

use serde::{Deserialize, Serialize};

use crate::graph::Graph;
use crate::number::Number;

/// How the solution of a problem is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "format")]
pub enum Solution {
    /// A GSM8K answer text with calculator annotations and a final `#### value` line.
    Gsm8k {
        /// The full answer text.
        answer: String,
    },
    /// A Python `def solution():` program in Graft's subset.
    Python {
        /// The program source.
        code: String,
    },
}

/// One problem: its question, its solution and, when known, its expected answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// An identifier from the row (`id` field), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The word problem text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The solution to extract the graph from.
    pub solution: Solution,
    /// The expected final answer, when the row states one (program rows only; GSM8K rows
    /// carry theirs in the `####` line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<f64>,
}

/// Why a JSONL row is not a problem Graft can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// The line is not valid JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// The JSON is valid but has neither shape.
    #[error("expected an object with \"question\" and \"answer\" (GSM8K) or with \"code\" (a Python program); found {0}")]
    Shape(String),
}

#[derive(Deserialize)]
struct Row {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    answer: Option<serde_json::Value>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    target: Option<serde_json::Value>,
}

fn value_as_f64(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

impl Problem {
    /// Reads one JSONL row in either supported shape.
    pub fn from_json(line: &str) -> Result<Problem, RowError> {
        let row: Row = serde_json::from_str(line).map_err(|e| RowError::Json(e.to_string()))?;
        let id = row.id.map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        if let Some(code) = row.code {
            let expected = row
                .target
                .as_ref()
                .and_then(value_as_f64)
                .or_else(|| row.answer.as_ref().and_then(value_as_f64));
            return Ok(Problem {
                id,
                question: row.question.or(row.input),
                solution: Solution::Python { code },
                expected,
            });
        }
        match (row.question, row.answer) {
            (Some(q), Some(serde_json::Value::String(a))) => Ok(Problem {
                id,
                question: Some(q),
                solution: Solution::Gsm8k { answer: a },
                expected: None,
            }),
            (q, a) => {
                let mut have = Vec::new();
                if q.is_some() {
                    have.push("\"question\"");
                }
                if a.is_some() {
                    have.push("\"answer\" (not a string)");
                }
                if row.input.is_some() {
                    have.push("\"input\"");
                }
                Err(RowError::Shape(if have.is_empty() {
                    "none of these fields".into()
                } else {
                    have.join(", ")
                }))
            }
        }
    }
}

/// A problem turned into a graph.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The computation graph.
    pub graph: Graph,
    /// The answer the source states (GSM8K `####`, or a program row's target), when any.
    pub expected: Option<Number>,
    /// Whether the graph's answer equals the stated one (exactly; within 1e-6 relative for
    /// float targets of program rows). `None` when nothing is stated.
    pub answer_matches: Option<bool>,
}

/// Why a problem could not be turned into a graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{category}{}: {detail}", line.map(|l| format!(" (solution line {l})")).unwrap_or_default())]
pub struct ExtractFailure {
    /// A short snake_case category, for counting failures.
    pub category: String,
    /// The 1-based line of the solution where it failed, when known.
    pub line: Option<usize>,
    /// What went wrong.
    pub detail: String,
}

/// Whether `value` equals the float `target` within 1e-6 (relative to max(1, |target|)).
pub fn close_to(value: Number, target: f64) -> bool {
    (value.to_f64() - target).abs() <= 1e-6 * target.abs().max(1.0)
}

/// Extracts the computation graph of a problem.
pub fn extract(problem: &Problem) -> Result<Extracted, ExtractFailure> {
    match &problem.solution {
        Solution::Gsm8k { answer } => {
            let question = problem.question.as_deref().unwrap_or("");
            let ex = crate::gsm8k::extract(question, answer).map_err(|e| ExtractFailure {
                category: e.category.to_string(),
                line: e.line,
                detail: e.detail.clone(),
            })?;
            let matches = ex.graph.answer_value() == ex.expected;
            Ok(Extracted {
                graph: ex.graph,
                expected: Some(ex.expected),
                answer_matches: Some(matches),
            })
        }
        Solution::Python { code } => {
            let graph =
                crate::python::parse_program(code, problem.question.as_deref()).map_err(|e| {
                    ExtractFailure {
                        category: e.category().to_string(),
                        line: e.line().map(|l| l as usize),
                        detail: e.to_string(),
                    }
                })?;
            let answer_matches = problem.expected.map(|t| close_to(graph.answer_value(), t));
            Ok(Extracted {
                expected: problem.expected.and_then(Number::from_f64),
                answer_matches,
                graph,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_shapes() {
        let p = Problem::from_json(r#"{"question":"q","answer":"a\n#### 1"}"#).unwrap();
        assert!(matches!(p.solution, Solution::Gsm8k { .. }));
        let p = Problem::from_json(
            r#"{"input":"q","code":"def solution():\n    return 1","target":1.0}"#,
        )
        .unwrap();
        assert_eq!(p.question.as_deref(), Some("q"));
        assert_eq!(p.expected, Some(1.0));
        assert!(matches!(p.solution, Solution::Python { .. }));
    }

    #[test]
    fn explains_bad_rows() {
        assert!(matches!(Problem::from_json("{"), Err(RowError::Json(_))));
        let e = Problem::from_json(r#"{"question":"q"}"#).unwrap_err();
        assert!(e.to_string().contains("\"question\""), "{e}");
    }
}
