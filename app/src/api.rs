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
