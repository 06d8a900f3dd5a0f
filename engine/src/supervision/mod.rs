//! Process supervision: step labels, a seeded corruptor, inter-annotator agreement.

pub mod agreement;
pub mod labels;
