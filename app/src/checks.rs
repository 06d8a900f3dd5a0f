//! The verdict counts the dataset page and the review queue show alike (issue #11): how many
//! texts a solver checked (and how many of those agreed), how many were linted only, how many
//! failed.

use leptos::prelude::*;

use crate::model::CheckCounts;

/// One line of counts: "12 checked by a solver (10 agreed) · 30 linted only · 4 failed", with
/// incomplete and unjudged when there are any. Offline checks cannot see whether wording makes
/// sense, so only a solver's agreement is a pass.
#[component]
pub fn CheckCountsLine(counts: CheckCounts) -> impl IntoView {
    let c = counts;
    view! {
        <p class="check-counts" title="pass needs an independent solve that agreed; offline checks (exact execution, numbers consistent, well-posedness lint) cannot see whether the wording makes sense">
            <span class="solver-checked">{c.solver_checked} " checked by a solver (" {c.solver_agreed} " agreed)"</span>
            " · "
            <span class="linted-only">{c.linted_only} " linted only (no solver)"</span>
            " · "
            <span class="failed">{c.failed} " failed"</span>
            {(c.incomplete > 0).then(|| view! { " · " <span class="incomplete">{c.incomplete} " incomplete"</span> })}
            {(c.unjudged > 0).then(|| view! { " · " <span class="unjudged">{c.unjudged} " unjudged"</span> })}
        </p>
    }
}
