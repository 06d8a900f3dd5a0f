//! `/d/{id}`: one dataset, its problems (paged), annotation, jobs, the evaluation of models'
//! solutions and variants by verdict.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::jobs::GeneratePanel;
use super::{error_view, param_id, NotFound, WriteHint};
use crate::api::get_dataset;
use crate::eval_chart::EvalPanel;
use crate::histogram::Histogram;
use crate::words::VariantsByVerdict;

/// `/d/{id}`: a dataset's figures, its problems (paged), and curriculum jobs.
#[component]
pub fn DatasetPage() -> impl IntoView {
    let id = param_id("id");
    let offset = super::query_offset("offset");
    let page = Resource::new(
        move || (id(), offset()),
        |(id, offset)| get_dataset(id, Some(offset), Some(50)),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the dataset…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(p)) => {
                        let bins: Vec<(u32, u64)> = p
                            .summary
                            .histogram
                            .iter()
                            .map(|b| (b.depth, b.problems))
                            .collect();
                        let s = p.summary.clone();
                        let (offset, limit, total) = (p.offset, p.limit, p.total);
                        let rows = p
                            .problems
                            .into_iter()
                            .map(|r| {
                                let failed = r.error.is_some();
                                view! {
                                    <tr class:failed=failed>
                                        <td>
                                            <A href=format!("/p/{}", r.id)>{format!("#{}", r.id)}</A>
                                        </td>
                                        <td class="q">{r.question}</td>
                                        <td class="num">{r.depth.map(|d| d.to_string()).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{r.answer.unwrap_or_default()}</td>
                                        <td class="num">{r.variants}</td>
                                        <td class="err">{r.error.unwrap_or_default()}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        let prev = (offset > 0)
                            .then(|| format!("?offset={}", offset.saturating_sub(limit)));
                        let next = (offset + limit < total)
                            .then(|| format!("?offset={}", offset + limit));
                        view! {
                            <Title text=format!("{} · Graft", s.name)/>
                            <p class="crumbs"><A href="/">"Datasets"</A> " / " {s.name.clone()}</p>
                            <h1>{s.name.clone()}</h1>
                            <dl class="counts">
                                <dt>"problems"</dt><dd>{s.problems}</dd>
                                <dt>"extracted"</dt><dd>{s.extracted}</dd>
                                <dt>"variants"</dt><dd>{s.variants}</dd>
                                <dt>"reviewed"</dt><dd>{s.reviewed}</dd>
                            </dl>
                            <crate::checks::CheckCountsLine counts=s.checks/>
                            <Histogram bins/>
                            <crate::labeling::AnnotationPanel dataset_id=s.id settings=s.settings.clone()/>
                            {if p.can_write {
                                view! { <GeneratePanel dataset_id=s.id problem_id=None/> }.into_any()
                            } else {
                                view! { <WriteHint/> }.into_any()
                            }}
                            <EvalPanel dataset_id=s.id/>
                            <VariantsByVerdict dataset_id=s.id/>
                            <h2>"Problems"</h2>
                            <table class="problems">
                                <thead>
                                    <tr>
                                        <th>"id"</th><th>"question"</th><th>"depth"</th>
                                        <th>"answer"</th><th>"variants"</th><th>"extraction"</th>
                                    </tr>
                                </thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <p class="pager">
                                {prev.map(|h| view! { <A href=h>"← previous"</A> })}
                                " problems " {offset + 1} "–" {(offset + limit).min(total)} " of " {total} " "
                                {next.map(|h| view! { <A href=h>"next →"</A> })}
                            </p>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
}
