//! The offline well-posedness lint: what a careful reader would trip over in a variant's text.
//!
//! Being implemented (issue #11).

use serde::{Deserialize, Serialize};

use crate::graph::{Graph, Span};

/// The kind of defect the lint found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LintKind {
    /// A change is stated before the quantity it changes is introduced.
    ChangeBeforeQuantity,
    /// A quantity is named with words found in neither the text nor the solution (or a raw
    /// identifier).
    UnknownName,
    /// The question (or a later sentence) contradicts a stated change.
    QuestionContradicts,
    /// A value is unnatural: a fractional or negative count, money not in cents.
    UnnaturalValue,
}

/// One defect, with the part of the text that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintFinding {
    /// What kind of defect.
    pub kind: LintKind,
    /// The complaint in words: what, where, how to fix.
    pub message: String,
    /// The byte range of the text it is about, when it is about one place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// Lints `text` (and its worked `solution`, when there is one) written for `variant`, an
/// intervened copy of `original`.
pub fn lint(
    original: &Graph,
    variant: &Graph,
    text: &str,
    solution: Option<&str>,
) -> Vec<LintFinding> {
    let _ = (original, variant, text, solution);
    Vec::new()
}
