//! Server functions: called over HTTP from the browser, run directly during server rendering.

use leptos::prelude::*;

use crate::model::{ProblemPage, ProblemSummary};

#[cfg(feature = "ssr")]
fn catalog() -> Result<crate::catalog::Catalog, ServerFnError> {
    use_context::<crate::catalog::Catalog>()
        .ok_or_else(|| ServerFnError::new("the server provides no problem catalog"))
}

/// All problems, in catalog order.
#[server]
pub async fn list_problems() -> Result<Vec<ProblemSummary>, ServerFnError> {
    Ok(catalog()?.summaries())
}

/// One problem's page, or `None` when no problem has this id.
#[server]
pub async fn get_problem(id: String) -> Result<Option<ProblemPage>, ServerFnError> {
    Ok(catalog()?.page(&id))
}

/// Saves the interventions applied to a problem (or to one of its variants) as a new variant;
/// the server re-applies them to the stored graph. Returns the new variant's id.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_variant(
    problem_id: i64,
    parent_variant_id: Option<i64>,
    operations: Vec<engine::intervene::Intervention>,
) -> Result<i64, ServerFnError> {
    let _ = (problem_id, parent_variant_id, operations);
    Err(ServerFnError::new("saving needs the store (being merged)"))
}

/// Adds one problem (a question with a Python program when `python`, else a GSM8K answer) to a
/// dataset. Returns the new problem's id.
#[server]
pub async fn add_problem(
    dataset_id: i64,
    question: String,
    solution: String,
    python: bool,
) -> Result<i64, ServerFnError> {
    let _ = (dataset_id, question, solution, python);
    Err(ServerFnError::new("saving needs the store (being merged)"))
}
