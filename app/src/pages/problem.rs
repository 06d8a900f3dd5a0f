//! `/p/{id}`: a problem with its workbench and variants (also shown read-only by `/s/`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::jobs::GeneratePanel;
use super::{error_view, param_id, query_offset, NotFound, ShareLink, WriteHint};
use crate::api::{get_problem, get_problem_variants};
use crate::model::{ProblemVariants, ServerDrawing, StoredProblem};
use crate::workbench::{Origin, Workbench};

/// `/p/{id}`: a problem: question, graph, interventions, variants.
#[component]
pub fn ProblemPage() -> impl IntoView {
    let id = param_id("id");
    let problem = Resource::new(id, get_problem);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the problem…"</p> }>
            {move || Suspend::new(async move {
                match problem.await {
                    Ok(Some(p)) => view! { <ProblemView p can_save=true/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
pub(super) fn ProblemView(p: StoredProblem, can_save: bool) -> impl IntoView {
    let title = format!("Problem #{} · {} · Graft", p.id, p.dataset_name);
    let first = ProblemVariants {
        variants: p.variants.clone(),
        total: p.variants_total,
        offset: p.variants_offset,
        limit: p.variants_limit,
    };
    let share = (!can_save).then(|| p.share_token.clone());
    // A flawed original: said before its graph, since every variant would carry the flaw.
    let flaws = (!p.flaws.is_empty()).then(|| {
        let items = p
            .flaws
            .iter()
            .map(|f| view! { <li>{f.clone()}</li> })
            .collect_view();
        view! {
            <div class="flawed" role="note">
                <strong>"Flawed original: "</strong>
                "its own solution does not make sense as a word problem, so every variant of it \
                 would carry the flaw. Curriculum jobs skip it; fix the question's numbers."
                <ul>{items}</ul>
            </div>
        }
    });
    let body = match p.graph {
        Some(graph) => view! {
            <Workbench
                graph
                drawing=p.drawing.clone().unwrap_or_else(ServerDrawing::missing)
                origin=Origin { problem_id: p.id, parent_variant_id: None, can_save: can_save && p.can_write }
            />
        }
        .into_any(),
        None => view! {
            <p class="question">{p.question.clone()}</p>
            <p class="error">"No graph: " {p.error.clone().unwrap_or_default()}</p>
        }
        .into_any(),
    };
    view! {
        <Title text=title/>
        <p class="crumbs">
            {can_save.then(|| view! { <A href="/">"Datasets"</A> " / " })}
            {if can_save {
                view! { <A href=format!("/d/{}", p.dataset_id)>{p.dataset_name.clone()}</A> }.into_any()
            } else {
                view! { <span>{p.dataset_name.clone()}</span> }.into_any()
            }}
            " / problem #" {p.id}
        </p>
        <div class="page-head">
            <h1>"Problem #" {p.id}</h1>
            <ShareLink token=p.share_token.clone()/>
        </div>
        {flaws}
        {body}
        <VariantList first problem_id=p.id share/>
        {(can_save && p.can_write).then(|| view! { <GeneratePanel dataset_id=p.dataset_id problem_id=Some(p.id)/> })}
        {(can_save && !p.can_write).then(|| view! { <WriteHint/> })}
    }
    .into_any()
}

/// A problem's variants, a page at a time (`?offset=` in the address picks the page): `first`
/// is the window the problem came with. With `share` (a share link's token) rows link to the
/// variants' share links, and further pages are read through the link.
#[component]
fn VariantList(first: ProblemVariants, problem_id: i64, share: Option<String>) -> impl IntoView {
    let offset = query_offset("offset");
    let shared = share.is_some();
    let page = Resource::new(offset, move |o| {
        let (first, share) = (first.clone(), share.clone());
        async move {
            if o == first.offset {
                Ok(Some(first))
            } else {
                get_problem_variants(problem_id, share, o).await
            }
        }
    });
    view! {
        <section class="variants">
            <Suspense fallback=|| view! { <h2>"Variants"</h2><p class="loading">"Loading variants…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(Some(w)) => variant_table(w, shared),
                        Ok(None) => view! { <h2>"Variants"</h2><p class="error">"The problem is gone."</p> }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

/// One window of variants as a table with its pager (`shared`: rows link to share links).
fn variant_table(w: ProblemVariants, shared: bool) -> AnyView {
    let (offset, limit, total) = (w.offset, w.limit.max(1), w.total);
    if total == 0 {
        return view! {
            <h2>"Variants"</h2>
            <p class="muted">"None yet: intervene above and save, or generate a curriculum."</p>
        }
        .into_any();
    }
    let rows = w
        .variants
        .iter()
        .map(|v| {
            let href = if shared {
                format!("/s/{}", v.share_token)
            } else {
                format!("/v/{}", v.id)
            };
            view! {
                <tr>
                    <td><a href=href>{format!("#{}", v.id)}</a></td>
                    <td class="num">{v.round}</td>
                    <td class="num">{v.depth}</td>
                    <td class="num">{v.answer.clone()}</td>
                    <td class="ops"><code>{v.operations.clone()}</code></td>
                    <td>{v.parent_variant_id.map(|id| format!("#{id}")).unwrap_or_else(|| "problem".into())}</td>
                </tr>
            }
        })
        .collect_view();
    let shown = w.variants.len() as u64;
    let prev = (offset > 0).then(|| format!("?offset={}", offset.saturating_sub(limit)));
    let next = (offset + shown < total).then(|| format!("?offset={}", offset + limit));
    let pager = (total > limit || offset > 0).then(|| {
        let span = if shown == 0 {
            format!(" none from {} of {total} ", offset + 1)
        } else {
            format!(" variants {}–{} of {total} ", offset + 1, offset + shown)
        };
        view! {
            <p class="pager">
                {prev.map(|h| view! { <A href=h>"← previous"</A> })}
                {span}
                {next.map(|h| view! { <A href=h>"next →"</A> })}
            </p>
        }
    });
    view! {
        <h2>"Variants " <span class="muted">{format!("({total})")}</span></h2>
        <table class="variants">
            <thead>
                <tr><th>"id"</th><th>"round"</th><th>"depth"</th><th>"answer"</th><th>"operations"</th><th>"parent"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        {pager}
    }
    .into_any()
}
