//! Graphs in words (verbalizer, worked solutions, mentions) and checks on words (lint, verdict).

pub mod consistency;
pub mod flaws;
pub mod lint;
pub mod mentions;
pub mod solution;
pub mod verbalize;
pub mod verdict;
