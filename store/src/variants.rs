//! Saving hand-made variants: the server re-derives the graph from the stored parent.

use engine::intervene::{apply, Intervention};

use super::rows::graph_from_json;
use super::{new_share_token, seed_to_db, Store, StoreError, StoreResult};
use types::model::SavedVariant;

/// The most operations one saved variant may carry.
pub const MAX_OPERATIONS: usize = 64;

/// The most bytes one saved variant's operations may take as JSON (names and texts
/// included): [`engine::limits::MAX_TEXT_BYTES`].
pub const MAX_OPERATIONS_BYTES: usize = engine::limits::MAX_TEXT_BYTES;

impl Store {
    /// Saves a variant of problem `problem_id` made by applying `operations`, in order, to the
    /// graph of `parent_variant_id` (a variant of the same problem), else to the problem's.
    ///
    /// The graph is never taken from the caller: the stored parent graph is loaded and the
    /// operations are re-applied with [`engine::intervene::apply`]. Refuses (storing nothing)
    /// when an operation does not apply ([`StoreError::Operation`], naming it and why), when the
    /// list is empty or longer than [`MAX_OPERATIONS`], when nothing changes, when the problem
    /// has no graph, or when the parent belongs to another problem.
    pub async fn save_variant(
        &self,
        problem_id: i64,
        parent_variant_id: Option<i64>,
        operations: Vec<Intervention>,
        seed: Option<u64>,
    ) -> StoreResult<SavedVariant> {
        if operations.is_empty() {
            return Err(StoreError::Invalid(
                "no operations: a variant must change something; send at least one intervention \
                 in \"operations\""
                    .into(),
            ));
        }
        if operations.len() > MAX_OPERATIONS {
            return Err(StoreError::Invalid(format!(
                "{} operations is more than the {MAX_OPERATIONS} one variant may carry; save \
                 intermediate variants and continue from them",
                operations.len()
            )));
        }
        let problem = sqlx::query!(
            "SELECT graph, error_category FROM problems WHERE id = ?",
            problem_id
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|r| (r.graph, r.error_category));
        let Some((problem_graph, error)) = problem else {
            return Err(StoreError::NotFound {
                what: "problem",
                id: problem_id,
            });
        };
        let (parent_json, parent_whose, round) = match parent_variant_id {
            None => {
                let Some(graph) = problem_graph else {
                    return Err(StoreError::Invalid(format!(
                        "problem {problem_id} has no graph (extraction failed: {}); variants \
                         need an extracted problem",
                        error.unwrap_or_default()
                    )));
                };
                (graph, format!("problem {problem_id}"), 1i64)
            }
            Some(parent) => {
                let row = sqlx::query!(
                    "SELECT problem_id, graph, round FROM variants WHERE id = ?",
                    parent
                )
                .fetch_optional(&self.pool)
                .await?
                .map(|r| (r.problem_id, r.graph, r.round));
                let Some((owner, graph, round)) = row else {
                    return Err(StoreError::NotFound {
                        what: "variant",
                        id: parent,
                    });
                };
                if owner != problem_id {
                    return Err(StoreError::Invalid(format!(
                        "variant {parent} belongs to problem {owner}, not to problem \
                         {problem_id}; choose a variant of problem {problem_id} as the parent, \
                         or none"
                    )));
                }
                (graph, format!("variant {parent}"), round + 1)
            }
        };
        // Reading the graph, applying the operations and serializing the result are engine
        // work: off the async workers, within the request budget.
        let (graph, graph_json, ops_json) = self
            .engine
            .request("re-applying the operations", move || {
                derive(&parent_json, &parent_whose, &operations)
            })
            .await??;
        let token = new_share_token()?;
        let seed = seed.map(seed_to_db);
        let id = sqlx::query!(
            "INSERT INTO variants (problem_id, parent_variant_id, operations, seed, round, graph,
                depth, answer, share_token)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            problem_id,
            parent_variant_id,
            ops_json,
            seed,
            round,
            graph_json,
            graph.depth,
            graph.answer,
            token
        )
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(SavedVariant {
            id,
            share_token: token,
        })
    }
}

/// A saved variant's graph facts, computed on an engine thread.
struct Derived {
    depth: u32,
    answer: String,
}

/// Applies `operations` in order to the parent graph (JSON) and serializes the result:
/// the new graph's depth and answer, its JSON and the operations' JSON.
fn derive(
    parent_json: &str,
    parent_whose: &str,
    operations: &[Intervention],
) -> StoreResult<(Derived, String, String)> {
    let parent = graph_from_json(parent_json, parent_whose)?;
    let mut graph = parent.clone();
    for (i, op) in operations.iter().enumerate() {
        apply(&mut graph, op).map_err(|e| StoreError::Operation {
            index: i + 1,
            op: serde_json::to_string(op).unwrap_or_else(|_| format!("{op:?}")),
            reason: e.to_string(),
        })?;
    }
    if graph.same_as(&parent) {
        return Err(StoreError::Invalid(format!(
            "the operations change nothing in the graph of {parent_whose}; nothing to save"
        )));
    }
    let graph_json = serde_json::to_string(&graph)
        .map_err(|e| StoreError::Internal(format!("cannot serialize the new graph: {e}")))?;
    let ops_json = serde_json::to_string(operations)
        .map_err(|e| StoreError::Internal(format!("cannot serialize the operations: {e}")))?;
    if ops_json.len() > MAX_OPERATIONS_BYTES {
        return Err(StoreError::Invalid(format!(
            "the operations take {} bytes as JSON, over the limit of {MAX_OPERATIONS_BYTES} \
             (shorten the names and texts they carry)",
            ops_json.len()
        )));
    }
    Ok((
        Derived {
            depth: graph.depth(),
            answer: graph.answer_value().to_string(),
        },
        graph_json,
        ops_json,
    ))
}
