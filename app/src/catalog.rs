//! The problems the server shows: extracted graphs by id, shared by every request.
//!
//! The server builds one [`Catalog`] at start-up (for now from the embedded demo set) and
//! provides it as Leptos context; server functions read it with `use_context`.

use std::sync::Arc;

use engine::Graph;

use crate::model::{ProblemPage, ProblemSummary};

/// An immutable, cheaply cloned list of problems with their graphs.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Arc<Vec<(String, Graph)>>,
}

impl Catalog {
    /// A catalog of `(id, graph)` pairs, in display order.
    pub fn new(entries: Vec<(String, Graph)>) -> Self {
        Catalog {
            entries: Arc::new(entries),
        }
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no problems.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The list of problems.
    pub fn summaries(&self) -> Vec<ProblemSummary> {
        self.entries
            .iter()
            .map(|(id, g)| ProblemSummary::new(id, g))
            .collect()
    }

    /// The page of the problem with this id, if there is one.
    pub fn page(&self, id: &str) -> Option<ProblemPage> {
        self.entries
            .iter()
            .find(|(i, _)| i == id)
            .map(|(id, g)| ProblemPage::new(id, g))
    }
}
