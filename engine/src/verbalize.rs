//! PROVISIONAL (replaced by the full module from branch `verbal`): the offline verbalizer.

use serde::{Deserialize, Serialize};

use crate::graph::Graph;
use crate::intervene::{apply, Intervention, InterventionError};

/// A variant's problem text and what the offline verbalizer could not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verbalization {
    /// The text.
    pub text: String,
    /// What it could not say.
    pub notes: Vec<String>,
}

/// Why there is no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerbalizeError {
    /// The graph has no question.
    #[error("the problem has no question text to rewrite")]
    NoQuestion,
    /// An operation does not apply.
    #[error("{0}")]
    Intervention(#[from] InterventionError),
}

/// Writes the word problem of `original` after `operations`.
pub fn offline(original: &Graph, operations: &[Intervention]) -> Result<Verbalization, VerbalizeError> {
    let q = original.question().ok_or(VerbalizeError::NoQuestion)?;
    let mut g = original.clone();
    for op in operations {
        apply(&mut g, op)?;
    }
    Ok(Verbalization {
        text: q.to_string(),
        notes: Vec::new(),
    })
}

/// Checks a candidate text for the variant.
pub fn validate(original: &Graph, variant: &Graph, text: &str) -> Result<(), Vec<String>> {
    let c = crate::consistency::check(original, variant, text);
    if c.is_consistent() {
        Ok(())
    } else {
        Err(c.complaints())
    }
}
