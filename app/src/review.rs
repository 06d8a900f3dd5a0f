//! `/d/{id}/review`: the review queue. One variant at a time with the dataset's guidelines
//! beside it; accept, reject with a reason, edit the text (re-checked before it is saved) or
//! skip, each with one key; admins accept or reject everything matching the filter at once.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::annotation::{
    BulkCount, Decision, DecisionOutcome, ReviewFilter, ReviewItem, ReviewQueue,
    INTERVENTION_KINDS, REJECT_REASONS,
};

#[cfg(feature = "ssr")]
use crate::api::ssr::op;

/// The review queue of a dataset under a filter, after variant `after` (annotators and
/// admins).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn get_review_queue(
    dataset_id: i64,
    filter: ReviewFilter,
    after: Option<i64>,
) -> Result<ReviewQueue, ServerFnError> {
    op(async |o| o.review_queue(dataset_id, &filter, after).await).await
}

/// A decision on one variant (annotators and admins).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn decide(variant_id: i64, decision: Decision) -> Result<DecisionOutcome, ServerFnError> {
    op(async |o| o.decide(variant_id, &decision).await).await
}

/// Counts (`apply` false) or applies an accept / reject of everything matching the filter
/// (admins only).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn bulk_decide(
    dataset_id: i64,
    filter: ReviewFilter,
    decision: Decision,
    apply: bool,
) -> Result<BulkCount, ServerFnError> {
    op(async |o| o.bulk_decide(dataset_id, &filter, &decision, apply).await).await
}

/// The filter in the page's query string.
fn filter_from_query() -> impl Fn() -> ReviewFilter + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        let q = query.read();
        let text = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        ReviewFilter {
            status: text("status"),
            min_depth: text("min_depth").and_then(|v| v.trim().parse().ok()),
            max_depth: text("max_depth").and_then(|v| v.trim().parse().ok()),
            verdict: text("verdict"),
            kind: text("kind"),
            search: text("q"),
        }
    }
}

/// Whether a key press is typing into a field (then it is not a shortcut).
#[cfg(feature = "hydrate")]
pub(crate) fn typing(ev: &leptos::ev::KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
        || ev.ctrl_key()
        || ev.meta_key()
        || ev.alt_key()
}

/// What the reviewer is doing with the item on screen.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Look,
    Rejecting,
    Editing,
}

/// `/d/{id}/review`.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let dataset_id = crate::pages::param_id("id");
    let filter = filter_from_query();
    let after = RwSignal::new(None::<i64>);
    // The item's text, worked solution and lint come with it (a second call, on the server
    // during rendering), so the page shows them at once.
    let queue = Resource::new(
        move || (dataset_id(), filter(), after.get()),
        |(d, f, a)| async move {
            let q = get_review_queue(d, f, a).await?;
            let wording = match &q.item {
                Some(i) => crate::wording::get_variant_wording(i.id).await.ok(),
                None => None,
            };
            Ok::<_, ServerFnError>((q, wording))
        },
    );
    view! {
        <leptos_meta::Title text="Review · Graft"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading the queue…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok((q, wording)) => view! { <ReviewScreen dataset_id=dataset_id() queue=q wording after filter=filter()/> }.into_any(),
                    Err(e) => view! {
                        <p class="error">{e.to_string()}</p>
                        <p><a href=format!("/login?next=/d/{}/review", dataset_id())>"Log in"</a></p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReviewScreen(
    dataset_id: i64,
    queue: ReviewQueue,
    wording: Option<crate::wording::Wording>,
    after: RwSignal<Option<i64>>,
    filter: ReviewFilter,
) -> impl IntoView {
    let item: Option<ReviewItem> = queue.item.clone();
    let item_id = item.as_ref().map(|i| i.id);
    let mode = RwSignal::new(Mode::Look);
    let reason = RwSignal::new(REJECT_REASONS[0].to_string());
    let edit_text = RwSignal::new(
        item.as_ref()
            .and_then(|i| i.text.clone())
            .unwrap_or_default(),
    );
    let message = RwSignal::new(None::<String>);
    let complaints = RwSignal::new(Vec::<String>::new());
    let act = ServerAction::<Decide>::new();
    let act_state = crate::watch::Watch::new(&act);
    Effect::new(move |_| match act_state.value() {
        Some(Ok(DecisionOutcome::Saved(saved))) => {
            complaints.set(Vec::new());
            after.set(Some(saved.id));
        }
        Some(Ok(DecisionOutcome::Refused(c))) => complaints.set(c),
        Some(Err(e)) => message.set(Some(e.to_string())),
        None => {}
    });
    let send = move |decision: Decision| {
        if let Some(id) = item_id {
            if !act_state.pending_untracked() {
                act.dispatch(Decide {
                    variant_id: id,
                    decision,
                });
            }
        }
    };
    let accept = move || send(Decision::Accept);
    let reject = move || {
        send(Decision::Reject {
            reason: reason.get_untracked(),
        })
    };
    let save_edit = move || {
        send(Decision::Edit {
            text: edit_text.get_untracked(),
        })
    };
    let skip = move || {
        if let Some(id) = item_id {
            after.set(Some(id));
        }
    };

    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            let key = ev.key();
            if mode.get_untracked() == Mode::Editing {
                if key == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                    ev.prevent_default();
                    save_edit();
                } else if key == "Escape" {
                    mode.set(Mode::Look);
                }
                return;
            }
            if typing(&ev) && key != "Escape" && key != "Enter" {
                return;
            }
            if mode.get_untracked() == Mode::Rejecting {
                match key.as_str() {
                    "Enter" => {
                        ev.prevent_default();
                        reject();
                    }
                    "Escape" => mode.set(Mode::Look),
                    k => {
                        if let Some(i) = k
                            .parse::<usize>()
                            .ok()
                            .filter(|i| (1..=REJECT_REASONS.len()).contains(i))
                        {
                            reason.set(REJECT_REASONS[i - 1].to_string());
                        }
                    }
                }
                return;
            }
            if typing(&ev) {
                return;
            }
            match key.as_str() {
                "a" => accept(),
                "r" => mode.set(Mode::Rejecting),
                "e" => {
                    ev.prevent_default();
                    mode.set(Mode::Editing);
                }
                "s" => skip(),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }

    let navigate = use_navigate();
    let on_filter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        use leptos::wasm_bindgen::JsCast;
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let mut parts = Vec::new();
        for name in ["status", "min_depth", "max_depth", "verdict", "kind", "q"] {
            if let Some(el) = form.elements().named_item(name) {
                let value = el
                    .clone()
                    .dyn_into::<leptos::web_sys::HtmlInputElement>()
                    .map(|i| i.value())
                    .or_else(|_| {
                        el.dyn_into::<leptos::web_sys::HtmlSelectElement>()
                            .map(|s| s.value())
                    })
                    .unwrap_or_default();
                if !value.trim().is_empty() {
                    parts.push(format!(
                        "{name}={}",
                        leptos::web_sys::js_sys::encode_uri_component(value.trim())
                    ));
                }
            }
        }
        after.set(None);
        navigate(
            &format!("/d/{dataset_id}/review?{}", parts.join("&")),
            Default::default(),
        );
    };

    let f = filter.clone();
    let guidelines = queue.guidelines.clone();
    view! {
        <p class="crumbs">
            <a href="/">"Datasets"</a> " / " <a href=format!("/d/{dataset_id}")>{queue.dataset.clone()}</a> " / review"
        </p>
        <h1>"Review " {queue.dataset.clone()}</h1>
        <p class="queue-counts">
            <span class="matching">{queue.matching} " matching"</span> " · "
            <span class="unreviewed">{queue.unreviewed} " unreviewed"</span> " of " {queue.total} " variants"
        </p>
        <crate::checks::CheckCountsLine counts=queue.checks/>
        <form class="review-filter" on:submit=on_filter>
            <label>"status "
                <select name="status">
                    {["unreviewed", "accepted", "rejected", "all"].into_iter().map(|s| view! {
                        <option value=s selected=f.status.as_deref().unwrap_or("unreviewed") == s>{s}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"depth " <input name="min_depth" type="number" min="0" size="3" value=f.min_depth.map(|d| d.to_string())/>
                " – " <input name="max_depth" type="number" min="0" size="3" value=f.max_depth.map(|d| d.to_string())/></label>
            <label>"verdict "
                <select name="verdict">
                    <option value="">"any"</option>
                    {["pass", "linted", "fail", "incomplete", "unjudged"].into_iter().map(|s| view! {
                        <option value=s selected=f.verdict.as_deref() == Some(s)>{s}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"intervention "
                <select name="kind">
                    <option value="">"any"</option>
                    {INTERVENTION_KINDS.into_iter().map(|s| view! {
                        <option value=s selected=f.kind.as_deref() == Some(s)>{s.replace('_', " ")}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"text " <input name="q" type="search" value=f.search.clone()/></label>
            <button type="submit">"Filter"</button>
        </form>
        <div class="review-layout">
            <div class="review-main">
                {match item.clone() {
                    None => view! { <p class="queue-empty">"Nothing left to review under this filter."</p> }.into_any(),
                    Some(i) => view! {
                        <article class="review-item" data-variant=i.id>
                            <h2>
                                <a href=format!("/v/{}", i.id)>"Variant #" {i.id}</a>
                                <span class=format!("badge status {}", i.status)>{i.status.clone()}</span>
                                {i.verdict.clone().map(|v| view! { <span class=format!("badge {v}")>{v.clone()}</span> })}
                            </h2>
                            <p class="muted">"depth " {i.depth} " · round " {i.round} " · answer " <strong>{i.answer.clone()}</strong>
                                {i.text_source.clone().map(|s| view! { " · text: " {s} })}</p>
                            {move || (mode.get() != Mode::Editing).then(|| {
                                let shown = i.text.clone();
                                // The text with the lint beside it and the worked solution; the
                                // offline text when none is stored.
                                match wording.clone() {
                                    Some(w) if w.text.as_ref().ok() == shown.as_ref() => view! {
                                        <crate::wording::WordingView wording=w key="review" text_class="variant-text"/>
                                    }
                                    .into_any(),
                                    Some(w) if shown.is_none() && w.text.is_ok() => view! {
                                        <p class="muted offline-note">"Not verbalized yet; the offline verbalizer's text for it:"</p>
                                        <crate::wording::WordingView wording=w key="review" text_class="offline-text"/>
                                    }
                                    .into_any(),
                                    _ => view! {
                                        <blockquote class="variant-text">
                                            {shown.unwrap_or_else(|| format!("(not verbalized) {}", i.question))}
                                        </blockquote>
                                    }
                                    .into_any(),
                                }
                            })}
                            {move || (mode.get() == Mode::Editing).then(|| view! {
                                <div class="edit">
                                    <textarea class="edit-text" rows="6" prop:value=move || edit_text.get()
                                        on:input=move |ev| edit_text.set(event_target_value(&ev))></textarea>
                                    <p class="muted">"Ctrl+Enter saves (after the consistency check) · Esc cancels"</p>
                                    <button class="primary" on:click=move |_| save_edit()>"Save text"</button>
                                </div>
                            })}
                            {move || {
                                let c = complaints.get();
                                (!c.is_empty()).then(|| view! {
                                    <div class="error complaints">
                                        "Not saved: the text does not match the variant:"
                                        <ul>{c.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                                    </div>
                                })
                            }}
                            <p class="changes">"Changes: " {i.changes.join("; ")}</p>
                            {i.reason.clone().map(|r| view! { <p class="muted">"Rejected: " {r}</p> })}
                            {move || (mode.get() == Mode::Rejecting).then(|| view! {
                                <div class="reject-reasons">
                                    <p>"Why? (number keys pick, Enter rejects, Esc cancels)"</p>
                                    <ol>
                                        {REJECT_REASONS.into_iter().map(|r| view! {
                                            <li class:chosen=move || reason.get() == r>
                                                <label><input type="radio" name="reason" value=r
                                                    prop:checked=move || reason.get() == r
                                                    on:change=move |_| reason.set(r.to_string())/> " " {r}</label>
                                            </li>
                                        }).collect_view()}
                                    </ol>
                                    <label>"or in your words: "
                                        <input class="reason-text" name="reason_text" on:input=move |ev| reason.set(event_target_value(&ev))/>
                                    </label>
                                    <button class="danger" on:click=move |_| reject()>"Reject"</button>
                                </div>
                            })}
                            <div class="review-actions">
                                <button class="primary accept" on:click=move |_| accept()>"Accept " <kbd>"a"</kbd></button>
                                <button class="reject" on:click=move |_| mode.set(Mode::Rejecting)>"Reject… " <kbd>"r"</kbd></button>
                                <button class="edit-button" on:click=move |_| mode.set(Mode::Editing)>"Edit text " <kbd>"e"</kbd></button>
                                <button class="skip" on:click=move |_| skip()>"Skip " <kbd>"s"</kbd></button>
                            </div>
                            {move || message.get().map(|m| view! { <p class="error">{m}</p> })}
                        </article>
                    }
                    .into_any(),
                }}
                <BulkPanel dataset_id filter=filter.clone() after/>
            </div>
            <aside class="guidelines">
                <h2>"Guidelines"</h2>
                {if guidelines.trim().is_empty() {
                    view! { <p class="muted">"This dataset has no guidelines yet (an admin writes them on the dataset page)."</p> }.into_any()
                } else {
                    view! { <p class="guidelines-text">{guidelines}</p> }.into_any()
                }}
                <h2>"Keys"</h2>
                <dl class="keys">
                    <dt><kbd>"a"</kbd></dt><dd>"accept and go on"</dd>
                    <dt><kbd>"r"</kbd></dt><dd>"reject: pick a reason with 1–6, Enter"</dd>
                    <dt><kbd>"e"</kbd></dt><dd>"edit the text; Ctrl+Enter saves"</dd>
                    <dt><kbd>"s"</kbd></dt><dd>"skip (it comes back later)"</dd>
                    <dt><kbd>"Esc"</kbd></dt><dd>"cancel"</dd>
                </dl>
            </aside>
        </div>
    }
}

/// Bulk accept / reject of everything matching the filter: the count first, then a confirm.
#[component]
fn BulkPanel(dataset_id: i64, filter: ReviewFilter, after: RwSignal<Option<i64>>) -> impl IntoView {
    let bulk = ServerAction::<BulkDecide>::new();
    let bulk_state = crate::watch::Watch::new(&bulk);
    let pending_decision = RwSignal::new(None::<Decision>);
    let reason = RwSignal::new(REJECT_REASONS[0].to_string());
    let filter = StoredValue::new(filter);
    let ask = move |decision: Decision, apply: bool| {
        pending_decision.set(Some(decision.clone()));
        bulk.dispatch(BulkDecide {
            dataset_id,
            filter: filter.get_value(),
            decision,
            apply,
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(BulkCount { applied: true, .. })) = bulk_state.value() {
            after.set(None);
            after.update(|_| {});
        }
    });
    view! {
        <details class="bulk">
            <summary>"Bulk (admins): decide everything matching this filter"</summary>
            <div class="bulk-actions">
                <button on:click=move |_| ask(Decision::Accept, false)>"Accept all matching…"</button>
                <select on:change=move |ev| reason.set(event_target_value(&ev))>
                    {REJECT_REASONS.into_iter().map(|r| view! { <option value=r>{r}</option> }).collect_view()}
                </select>
                <button on:click=move |_| ask(Decision::Reject { reason: reason.get_untracked() }, false)>"Reject all matching…"</button>
            </div>
            {move || match bulk_state.value() {
                Some(Ok(BulkCount { count, applied: false })) => {
                    let d = pending_decision.get();
                    let label = match &d {
                        Some(Decision::Accept) => "accept",
                        _ => "reject",
                    };
                    view! {
                        <p class="bulk-preview">
                            "This will " {label} " " <strong class="bulk-count">{count}</strong> " variants. "
                            <button class="danger confirm" disabled=count == 0 on:click=move |_| {
                                if let Some(d) = pending_decision.get_untracked() {
                                    ask(d, true);
                                }
                            }>"Confirm"</button>
                        </p>
                    }
                    .into_any()
                }
                Some(Ok(BulkCount { count, applied: true })) => view! {
                    <p class="bulk-done">"Done: " {count} " variants changed."</p>
                }
                .into_any(),
                Some(Err(e)) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </details>
    }
}
