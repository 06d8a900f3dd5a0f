//! `/v/{id}`: a variant, its lineage, words and program diff (also shown read-only by `/s/`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::{error_view, param_id, NotFound, ShareLink};
use crate::api::get_variant;
use crate::diff::{side_by_side, Row};
use crate::model::{ServerDrawing, StoredVariant};
use crate::wording::BaseWords;
use crate::words::WordsPanel;
use crate::workbench::{Origin, Workbench};

/// `/v/{id}`: a variant, its lineage and its diff against its parent.
#[component]
pub fn VariantPage() -> impl IntoView {
    let id = param_id("id");
    let variant = Resource::new(id, get_variant);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the variant…"</p> }>
            {move || Suspend::new(async move {
                match variant.await {
                    Ok(Some(v)) => view! { <VariantView v can_save=true/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
pub(super) fn VariantView(v: StoredVariant, can_save: bool) -> impl IntoView {
    let parent_label = match v.parent_variant_id {
        Some(p) => format!("variant #{p}"),
        None => format!("problem #{}", v.problem_id),
    };
    let parent_heading = parent_label.clone();
    let parent_href = match v.parent_variant_id {
        Some(p) => format!("/v/{p}"),
        None => format!("/p/{}", v.problem_id),
    };
    let ops = v
        .operations
        .iter()
        .map(|iv| view! { <li><code>{crate::workbench::describe(&v.parent_graph, iv)}</code></li> })
        .collect_view();
    let left = engine::to_python(&v.parent_graph);
    let right = engine::to_python(&v.graph);
    let rows = side_by_side(&left, &right)
        .into_iter()
        .map(|r| match r {
            Row::Same(l) => view! {
                <tr class="same"><td><pre>{l.clone()}</pre></td><td><pre>{l}</pre></td></tr>
            }
            .into_any(),
            Row::Changed(a, b) => view! {
                <tr class="changed">
                    <td class="del"><pre>{a.unwrap_or_default()}</pre></td>
                    <td class="ins"><pre>{b.unwrap_or_default()}</pre></td>
                </tr>
            }
            .into_any(),
        })
        .collect_view();
    let (a0, a1) = (v.parent_graph.answer_value(), v.graph.answer_value());
    let (d0, d1) = (v.parent_graph.depth(), v.graph.depth());
    // Its own text and lineage: the workbench below starts from the variant, its text and all.
    let (base_words, shown) = match v.page_words.clone() {
        Some(pw) => {
            let unavailable = pw.wording.text.clone().err();
            let base = BaseWords {
                lineage: pw.descent.map(|d| {
                    (
                        d.original.unwrap_or_else(|| v.parent_graph.clone()),
                        d.operations,
                    )
                }),
                text: pw.wording.text.clone().ok(),
                unavailable,
            };
            (base, Some(pw.wording))
        }
        None => (
            BaseWords {
                lineage: None,
                text: None,
                unavailable: Some("the page carries no lineage for this variant".into()),
            },
            None,
        ),
    };
    view! {
        <Title text=format!("Variant #{} · Graft", v.id)/>
        <p class="crumbs">
            {if can_save {
                view! { <A href=format!("/p/{}", v.problem_id)>{format!("problem #{}", v.problem_id)}</A> }.into_any()
            } else {
                view! { <span>{format!("problem #{}", v.problem_id)}</span> }.into_any()
            }}
            " / variant #" {v.id}
        </p>
        <div class="page-head">
            <h1>"Variant #" {v.id}</h1>
            <ShareLink token=v.share_token.clone()/>
        </div>
        <section class="lineage">
            <p>
                "Made from "
                {if can_save {
                    view! { <A href=parent_href>{parent_label}</A> }.into_any()
                } else {
                    view! { <span>{parent_label}</span> }.into_any()
                }}
                " (round " {v.round}
                {v.seed.map(|s| format!(", seed {s}"))}
                {v.job_id.map(|j| format!(", job {j}"))}
                "): answer " {a0.to_string()} " → " <b>{a1.to_string()}</b> ", depth " {d0} " → " <b>{d1}</b>
            </p>
            <ol class="ops">{ops}</ol>
        </section>
        <WordsPanel id=v.id words=v.words.clone() can_act=can_save && v.can_write shown/>
        <crate::solution_check::SolutionCheck graph=v.graph.clone()/>
        <section class="diff">
            <h2>"Program: parent and variant"</h2>
            <table class="side-by-side">
                <thead><tr><th>{parent_heading}</th><th>{format!("variant #{}", v.id)}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
        <section class="play">
            <h2>"Intervene on this variant"</h2>
            <Workbench
                graph=v.graph.clone()
                drawing=v.drawing.clone().unwrap_or_else(ServerDrawing::missing)
                origin=Origin { problem_id: v.problem_id, parent_variant_id: Some(v.id), can_save: can_save && v.can_write }
                words=base_words
            />
        </section>
    }
    .into_any()
}
