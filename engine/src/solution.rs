//! Worked solutions in GSM8K style: one sentence per step, `<<a*b=c>>` annotations and a
//! final `#### answer`, which `gsm8k` extraction turns back into the same answer.
//!
//! Being implemented (issue #11).

use crate::graph::Graph;

/// Why no worked solution could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolutionError {
    /// A step cannot be written as a calculator annotation.
    #[error("step `{name}` cannot be written as a GSM8K calculation: {why}")]
    Unwritable {
        /// The step's name.
        name: String,
        /// Why.
        why: String,
    },
}

/// The worked solution of `variant` (an intervened copy of `original`, or `original` itself).
pub fn worked(original: &Graph, variant: &Graph) -> Result<String, SolutionError> {
    let _ = original;
    Err(SolutionError::Unwritable {
        name: variant.node(variant.answer()).name.clone(),
        why: "not written yet".into(),
    })
}
