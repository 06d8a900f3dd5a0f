//! Step labels in the browser: `/d/{id}/label`, an annotator's queue (rate each step +1 / 0 /
//! −1 with the keyboard, first-error mode, flag, finish), and the dataset page's annotation
//! panel (links, an admin's settings, progress per annotator, agreement, gold accuracy).

use leptos::prelude::*;

use crate::annotation::{
    first_error_ratings, AnnotationReport, FinishReason, LabelEdit, LabelQueue, LabelTask,
};
use crate::model::DatasetSettings;

#[cfg(feature = "ssr")]
use crate::api::ssr::op;

/// The caller's next item in a dataset and their progress (annotators and admins).
#[server]
pub async fn get_label_queue(dataset_id: i64) -> Result<LabelQueue, ServerFnError> {
    op(async |o| o.label_queue(dataset_id).await).await
}

/// One change to the caller's labels of an item; the item as it is now.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn edit_labels(item_id: i64, edit: LabelEdit) -> Result<LabelTask, ServerFnError> {
    op(async |o| o.edit_labels(item_id, &edit).await).await
}

/// A dataset's annotation report (progress, agreement, gold accuracy) for an admin; `None`
/// for anyone else (the dataset page asks whoever looks).
#[server]
pub async fn get_annotation_report(
    dataset_id: i64,
) -> Result<Option<AnnotationReport>, ServerFnError> {
    op(async |o| o.annotation_report_if_allowed(dataset_id).await).await
}

/// Changes a dataset's settings (admins only).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_settings(
    dataset_id: i64,
    settings: DatasetSettings,
) -> Result<(), ServerFnError> {
    op(async |o| o.set_dataset_settings(dataset_id, &settings).await).await
}

/// `/d/{id}/label`.
#[component]
pub fn LabelPage() -> impl IntoView {
    let dataset_id = crate::pages::param_id("id");
    let next = RwSignal::new(0u32);
    let queue = Resource::new(
        move || (dataset_id(), next.get()),
        |(d, _)| get_label_queue(d),
    );
    view! {
        <leptos_meta::Title text="Label steps · Graft"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading your queue…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(q) => view! { <LabelScreen dataset_id=dataset_id() queue=q next/> }.into_any(),
                    Err(e) => view! {
                        <p class="error">{e.to_string()}</p>
                        <p><a href=format!("/login?next=/d/{}/label", dataset_id())>"Log in"</a></p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The text a rating shows.
fn rating_label(r: Option<i8>) -> (&'static str, &'static str) {
    match r {
        Some(1) => ("+1", "good"),
        Some(0) => ("0", "neutral"),
        Some(-1) => ("−1", "bad"),
        _ => ("·", "unrated"),
    }
}

#[component]
fn LabelScreen(dataset_id: i64, queue: LabelQueue, next: RwSignal<u32>) -> impl IntoView {
    let done = queue.done;
    let total = queue.done + queue.left;
    let guidelines = queue.guidelines.clone();
    let Some(task) = queue.task.clone() else {
        return view! {
            <p class="crumbs"><a href="/">"Datasets"</a> " / " <a href=format!("/d/{dataset_id}")>{queue.dataset.clone()}</a> " / label"</p>
            <h1>"Label steps: " {queue.dataset.clone()}</h1>
            <Progress done total/>
            <p class="queue-empty">"Nothing left for you to label here. Thank you!"</p>
        }
        .into_any();
    };
    let item_id = task.item_id;
    let n = task.steps.len();
    let task = RwSignal::new(task);
    let cursor = RwSignal::new(
        task.with_untracked(|t| t.ratings.iter().position(|r| r.is_none()).unwrap_or(0)),
    );
    let error = RwSignal::new(None::<String>);
    // Edits go to the server one at a time, in key order (a finish never overtakes a rating).
    let pending = StoredValue::new(std::collections::VecDeque::<LabelEdit>::new());
    let busy = StoredValue::new(false);
    let send = move |e: LabelEdit| {
        pending.update_value(|q| q.push_back(e));
        if busy.get_value() {
            return;
        }
        busy.set_value(true);
        leptos::task::spawn_local(async move {
            while let Some(e) = pending.try_update_value(|q| q.pop_front()).flatten() {
                match edit_labels(item_id, e).await {
                    // The ratings on screen are already the caller's; take the rest.
                    Ok(t) => {
                        let finished = t.finish.is_some();
                        task.update(|cur| {
                            cur.flagged = t.flagged;
                            cur.finish = t.finish;
                        });
                        error.set(None);
                        if finished {
                            next.update(|n| *n += 1);
                        }
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
            busy.set_value(false);
        });
    };
    let rate = move |r: Option<i8>| {
        let step = cursor.get_untracked();
        task.update(|t| {
            if let Some(slot) = t.ratings.get_mut(step) {
                *slot = r;
            }
        });
        send(LabelEdit::Rate {
            step: step as u32,
            rating: r,
        });
        if step + 1 < n {
            cursor.set(step + 1);
        }
    };
    let first_error = move || {
        let step = cursor.get_untracked();
        task.update(|t| t.ratings = first_error_ratings(n, step));
        send(LabelEdit::FirstError { step: step as u32 });
    };
    let finish = move |reason: Option<FinishReason>| {
        let reason = reason.unwrap_or_else(|| {
            if task.with_untracked(|t| t.ratings.contains(&Some(-1))) {
                FinishReason::FoundError
            } else {
                FinishReason::SolutionCorrect
            }
        });
        send(LabelEdit::Finish { reason });
    };
    // A model's solution: every step takes its automatic suggestion (then any can be changed).
    let has_suggestions = task.with_untracked(|t| t.solution.is_some());
    let accept = move || {
        if !has_suggestions {
            return;
        }
        task.update(|t| {
            t.ratings = t
                .steps
                .iter()
                .map(|s| s.suggestion.as_ref().map(|x| x.rating))
                .collect()
        });
        send(LabelEdit::AcceptSuggestions);
    };
    let flag = move || {
        let flagged = !task.with_untracked(|t| t.flagged);
        task.update(|t| t.flagged = flagged);
        send(LabelEdit::Flag {
            flagged,
            note: None,
        });
    };

    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if crate::review::typing(&ev) {
                return;
            }
            let key = ev.key();
            match key.as_str() {
                "ArrowDown" | "j" => {
                    ev.prevent_default();
                    cursor.update(|c| *c = (*c + 1).min(n.saturating_sub(1)));
                }
                "ArrowUp" | "k" => {
                    ev.prevent_default();
                    cursor.update(|c| *c = c.saturating_sub(1));
                }
                "1" | "+" | "=" => rate(Some(1)),
                "0" | "n" => rate(Some(0)),
                "2" | "-" => rate(Some(-1)),
                "Backspace" | "Delete" => {
                    ev.prevent_default();
                    rate(None)
                }
                "f" => first_error(),
                "a" => accept(),
                "x" => flag(),
                "Enter" => {
                    ev.prevent_default();
                    finish(None)
                }
                "b" => finish(Some(FinishReason::BadProblem)),
                "g" => finish(Some(FinishReason::GaveUp)),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }

    view! {
        <p class="crumbs"><a href="/">"Datasets"</a> " / " <a href=format!("/d/{dataset_id}")>{queue.dataset.clone()}</a> " / label"</p>
        <h1>"Label steps: " {queue.dataset.clone()}</h1>
        <Progress done total/>
        <div class="review-layout">
            <div class="review-main">
                <article class="label-item" data-item=item_id>
                    <h2>"Item " {item_id}
                        {move || task.with(|t| t.flagged).then(|| view! { <span class="badge flagged">"flagged"</span> })}
                    </h2>
                    {move || task.with(|t| t.flagged).then(|| {
                        let note = RwSignal::new(task.with_untracked(|t| t.flag_note.clone().unwrap_or_default()));
                        view! {
                            <form class="flag-note" on:submit=move |ev| {
                                ev.prevent_default();
                                send(LabelEdit::Flag { flagged: true, note: Some(note.get_untracked()) });
                            }>
                                <label>"Why flagged? " <input name="flag_note" prop:value=move || note.get()
                                    on:input=move |ev| note.set(event_target_value(&ev))/></label>
                                <button type="submit">"Save note"</button>
                            </form>
                        }
                    })}
                    <blockquote class="variant-text">{move || task.with(|t| t.text.clone())}</blockquote>
                    {task.with_untracked(|t| t.solution.clone()).map(|s| view! {
                        <p class="solution-head">
                            "A model's solution: " <strong class="model">{s.model.clone()}</strong>
                            ", sample " {s.sample + 1} " · final answer "
                            <strong class="final-answer">{s.final_answer.clone().unwrap_or_else(|| "none found".into())}</strong>
                            " · " <span class=format!("score {}", s.score)>{s.score.clone()}</span>
                            " (the answer is " {s.answer.clone()} ")"
                        </p>
                        <p class="muted">"Automatic labels are shown as suggestions: " <kbd>"a"</kbd> " accepts them all; then change any step."</p>
                    })}
                    <ol class="steps">
                        {(0..n).map(|i| {
                            let step = task.with_untracked(|t| t.steps[i].clone());
                            view! {
                                <li class="step" class:current=move || cursor.get() == i
                                    data-rating=move || task.with(|t| rating_label(t.ratings.get(i).copied().flatten()).1)
                                    on:click=move |_| cursor.set(i)>
                                    <span class="rating">{move || task.with(|t| rating_label(t.ratings.get(i).copied().flatten()).0)}</span>
                                    <span class="step-body">
                                        {step.sentence.clone().map(|s| {
                                            // A model's line is the step itself; Graft's sentence only explains it.
                                            let class = if step.description.is_empty() { "line" } else { "sentence" };
                                            view! { <span class=class>{s}</span> }
                                        })}
                                        {(!step.description.is_empty()).then(|| view! {
                                            <code class="op">{step.description.clone()}</code>
                                            " = " <strong class="value">{step.value.clone()}</strong>
                                        })}
                                        {step.suggestion.clone().map(|x| {
                                            let (mark, class) = rating_label(Some(x.rating));
                                            view! {
                                                <span class=format!("suggestion {class}") data-suggested=x.rating title=x.reason.clone()>
                                                    "auto " {mark} ": " {x.reason.clone()}
                                                </span>
                                            }
                                        })}
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                    <div class="label-actions">
                        <button on:click=move |_| rate(Some(1))>"+1 correct " <kbd>"1"</kbd></button>
                        <button on:click=move |_| rate(Some(0))>"0 neutral " <kbd>"0"</kbd></button>
                        <button on:click=move |_| rate(Some(-1))>"−1 wrong " <kbd>"2"</kbd></button>
                        <button on:click=move |_| first_error()>"First error here " <kbd>"f"</kbd></button>
                        {has_suggestions.then(|| view! {
                            <button class="accept-suggestions" on:click=move |_| accept()>"Accept suggestions " <kbd>"a"</kbd></button>
                        })}
                        <button on:click=move |_| flag()>"Flag " <kbd>"x"</kbd></button>
                        <button class="primary finish" on:click=move |_| finish(None)>"Finish " <kbd>"Enter"</kbd></button>
                        <button on:click=move |_| finish(Some(FinishReason::BadProblem))>"Bad problem " <kbd>"b"</kbd></button>
                        <button on:click=move |_| finish(Some(FinishReason::GaveUp))>"Give up " <kbd>"g"</kbd></button>
                    </div>
                    {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                </article>
            </div>
            <aside class="guidelines">
                <h2>"Guidelines"</h2>
                {if guidelines.trim().is_empty() {
                    view! { <p class="muted">"Rate each step: is its value right, given the problem and the steps before it?"</p> }.into_any()
                } else {
                    view! { <p class="guidelines-text">{guidelines.clone()}</p> }.into_any()
                }}
                <h2>"Keys"</h2>
                <dl class="keys">
                    <dt><kbd>"↑"</kbd>" "<kbd>"↓"</kbd>" / "<kbd>"k"</kbd>" "<kbd>"j"</kbd></dt><dd>"move between steps"</dd>
                    <dt><kbd>"1"</kbd>" / "<kbd>"+"</kbd></dt><dd>"+1 correct, next step"</dd>
                    <dt><kbd>"0"</kbd>" / "<kbd>"n"</kbd></dt><dd>"0 neutral or unclear"</dd>
                    <dt><kbd>"2"</kbd>" / "<kbd>"-"</kbd></dt><dd>"−1 wrong"</dd>
                    <dt><kbd>"⌫"</kbd></dt><dd>"clear (unrated)"</dd>
                    <dt><kbd>"f"</kbd></dt><dd>"first error: this step −1, earlier +1, later unrated"</dd>
                    <dt><kbd>"a"</kbd></dt><dd>"a model's solution: take every automatic suggestion"</dd>
                    <dt><kbd>"x"</kbd></dt><dd>"flag the item"</dd>
                    <dt><kbd>"Enter"</kbd></dt><dd>"finish (found an error if any −1, else correct)"</dd>
                    <dt><kbd>"b"</kbd>" / "<kbd>"g"</kbd></dt><dd>"finish: bad problem / gave up"</dd>
                </dl>
            </aside>
        </div>
    }
    .into_any()
}

/// A progress bar: `done` of `total`.
#[component]
fn Progress(done: u64, total: u64) -> impl IntoView {
    view! {
        <p class="label-progress">
            <progress max=total.max(1) value=done></progress>
            " " <span class="progress-text">{done} " of " {total} " done"</span>
        </p>
    }
}

/// The dataset page's annotation panel: queue links for everyone who may use them; for
/// admins, the settings and the report.
#[component]
pub fn AnnotationPanel(dataset_id: i64, settings: DatasetSettings) -> impl IntoView {
    // Made before anything is awaited, so that server and browser create resources in the
    // same order (hydration matches them by order).
    let report = Resource::new(move || dataset_id, get_annotation_report);
    view! {
        <section class="annotation">
            <h2>"Review and labels"</h2>
            <p class="queue-links">
                <a class="button" href=format!("/d/{dataset_id}/review")>"Review queue"</a>
                " "
                <a class="button" href=format!("/d/{dataset_id}/label")>"Label steps"</a>
            </p>
            <Suspense fallback=|| ()>
                {move || {
                    let settings = settings.clone();
                    Suspend::new(async move {
                        match report.await {
                            Ok(Some(r)) => view! {
                                <SettingsForm dataset_id settings/>
                                <ReportView report=r/>
                            }
                            .into_any(),
                            Ok(None) => ().into_any(),
                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn SettingsForm(dataset_id: i64, settings: DatasetSettings) -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let save_state = crate::watch::Watch::new(&save);
    let public = RwSignal::new(settings.public);
    // A plain `value` attribute and an input handler: a textarea, or `bind:value` with a
    // non-empty text, failed to hydrate here.
    let guidelines = RwSignal::new(settings.guidelines.clone());
    let overlap = RwSignal::new(settings.overlap.to_string());
    let gold = RwSignal::new(settings.gold_percent.to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveSettings {
            dataset_id,
            settings: DatasetSettings {
                public: public.get_untracked(),
                guidelines: guidelines.get_untracked(),
                overlap: overlap.get_untracked().trim().parse().unwrap_or(0),
                gold_percent: gold.get_untracked().trim().parse().unwrap_or(999),
            },
        });
    };
    view! {
        <details class="settings">
            <summary>"Settings"</summary>
            <form class="dataset-settings" on:submit=submit>
                <label><input type="checkbox" name="public" bind:checked=public/> " public (readable without logging in)"</label>
                <label>"annotators per item " <input name="overlap" type="number" min="1" max="10" bind:value=overlap/></label>
                <label>"gold questions (%) " <input name="gold_percent" type="number" min="0" max="50" bind:value=gold/></label>
                <label class="wide">"guidelines (shown beside every item)"
                    <input name="guidelines" type="text" prop:value=move || guidelines.get()
                        on:input=move |ev| guidelines.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="primary">"Save settings"</button>
                {move || match save_state.value() {
                    Some(Ok(())) => view! { <span class="ok">"saved"</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="error">{e.to_string()}</span> }.into_any(),
                    None => ().into_any(),
                }}
            </form>
        </details>
    }
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{v:.2}"))
}

#[component]
fn ReportView(report: AnnotationReport) -> impl IntoView {
    let r = report;
    view! {
                        <div class="report">
                            <p>
                                {r.complete} " of " {r.items} " items have all " {r.overlap} " annotators · "
                                {r.gold_items} " gold questions"
                            </p>
                            <h3>"Agreement"</h3>
                            <p class="agreement">
                                <span class="method">{match r.method.as_str() {
                                    "cohen" => "Cohen's kappa",
                                    "fleiss" => "Fleiss' kappa",
                                    _ => "kappa (needs two annotators on the same items)",
                                }}</span>
                                " " <strong class="kappa">{fmt_opt(r.kappa)}</strong>
                                " · observed " {fmt_opt(r.observed)} " over " {r.units} " step ratings"
                            </p>
                            {(!r.per_step.is_empty()).then(|| view! {
                                <table class="per-step">
                                    <thead><tr><th>"step"</th><th>"kappa"</th><th>"observed"</th><th>"units"</th></tr></thead>
                                    <tbody>
                                        {r.per_step.iter().map(|s| view! {
                                            <tr><td>{s.step + 1}</td><td>{fmt_opt(s.kappa)}</td><td>{fmt_opt(s.observed)}</td><td>{s.units}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            })}
                            {r.automatic.clone().map(|a| view! {
                                <h3>"Automatic labels against people"</h3>
                                <p class="automatic-agreement">
                                    "Over " {a.annotations} " finished labelings of " {r.solution_items} " model solutions: Cohen's kappa "
                                    <strong class="auto-kappa">{fmt_opt(a.kappa)}</strong>
                                    " · observed " {fmt_opt(a.observed)} " over " {a.steps} " steps · first error the same in "
                                    <strong class="first-error-accuracy">{a.first_error_agree} " of " {a.annotations}</strong>
                                    " (" {a.first_error_accuracy.map_or_else(|| "—".to_string(), |x| format!("{:.0}%", 100.0 * x))} ")"
                                </p>
                            })}
                            {(r.automatic.is_none() && r.solution_items > 0).then(|| view! {
                                <p class="muted">{r.solution_items} " model solutions wait in the label queue; agreement with the automatic labels shows once people finish some."</p>
                            })}
                            <h3>"Annotators"</h3>
                            <table class="annotators">
                                <thead><tr><th>"annotator"</th><th>"progress"</th><th>"gold accuracy"</th><th>"flagged"</th></tr></thead>
                                <tbody>
                                    {r.annotators.iter().map(|a| {
                                        let total = a.done + a.left;
                                        let accuracy = if a.gold_done > 0 {
                                            format!("{:.0}% ({} of {})", 100.0 * a.gold_correct as f64 / a.gold_done as f64, a.gold_correct, a.gold_done)
                                        } else {
                                            "no gold yet".to_string()
                                        };
                                        view! {
                                            <tr class="annotator">
                                                <td class="name">{a.name.clone()}</td>
                                                <td><progress max=total.max(1) value=a.done></progress> " " {a.done} "/" {total}</td>
                                                <td class="gold-accuracy">{accuracy}</td>
                                                <td>{a.flagged}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
    }
}
