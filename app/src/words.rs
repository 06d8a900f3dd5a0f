//! A variant's words: its problem text, its verdict (each check apart) and the raw model
//! exchanges, with the Verbalize and Judge buttons; and a dataset's variants by verdict.

use engine::verdict::{LlmJudgement, Verdict};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::{JudgeVariant, VerbalizeVariant, WordsOutcome};
use crate::model::{LlmCall, VariantWords};
use crate::wording::{get_variant_wording, Wording, WordingView};

/// The text, verdict and model calls of variant `id`, with buttons to verbalize and judge it
/// (`can_act`: not on share pages). Keys: `v` verbalizes, `j` judges. `shown`: the text as the
/// page shows it, with its worked solution and the lint's complaints beside it (the offline
/// text when none is stored); fetched again when Verbalize changes the text.
#[component]
pub fn WordsPanel(
    id: i64,
    words: VariantWords,
    can_act: bool,
    #[prop(default = None)] shown: Option<Wording>,
) -> impl IntoView {
    let words = RwSignal::new(words);
    let shown = RwSignal::new(shown);
    let refusal = RwSignal::new(None::<String>);
    let verbalize = ServerAction::<VerbalizeVariant>::new();
    let verbalize_state = crate::watch::Watch::new(&verbalize);
    let judge = ServerAction::<JudgeVariant>::new();
    let judge_state = crate::watch::Watch::new(&judge);
    let offline = RwSignal::new(false);
    let take = move |r: Option<Result<WordsOutcome, ServerFnError>>| match r {
        Some(Ok(WordsOutcome::Done(w))) => {
            let stale = shown.with_untracked(|s| {
                s.as_ref().map(|s| s.text.as_ref().ok()) != Some(w.text.as_ref())
            });
            words.set(*w);
            refusal.set(None);
            if stale {
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = get_variant_wording(id).await {
                        shown.set(Some(fresh));
                    }
                });
            }
        }
        Some(Ok(WordsOutcome::Refused(why))) => refusal.set(Some(why)),
        Some(Err(e)) => refusal.set(Some(e.to_string())),
        None => {}
    };
    Effect::new(move |_| take(verbalize_state.value()));
    Effect::new(move |_| take(judge_state.value()));
    let busy = move || verbalize_state.pending() || judge_state.pending();
    let do_verbalize = move || {
        if !busy() {
            verbalize.dispatch(VerbalizeVariant {
                id,
                offline: offline.get_untracked(),
            });
        }
    };
    let do_judge = move || {
        if !busy() {
            judge.dispatch(JudgeVariant {
                id,
                offline: offline.get_untracked(),
            });
        }
    };
    if can_act {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            let typing = ev
                .target()
                .and_then(|t| {
                    use leptos::wasm_bindgen::JsCast;
                    t.dyn_into::<leptos::web_sys::Element>().ok()
                })
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                });
            if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            match ev.key().as_str() {
                "v" => do_verbalize(),
                "j" => do_judge(),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <section class="words">
            <h2>"Problem text"</h2>
            {move || {
                let w = words.get();
                let sw = shown.get();
                match w.text.clone() {
                    Some(text) => view! {
                        {match sw {
                            Some(sw) if sw.text.as_ref().ok() == Some(&text) => view! {
                                <WordingView wording=sw key="words" text_class="variant-text"/>
                            }
                            .into_any(),
                            _ => view! { <blockquote class="variant-text">{text}</blockquote> }.into_any(),
                        }}
                        <p class="text-source">
                            <span class=format!("badge {}", w.source.clone().unwrap_or_default())>
                                {match w.source.as_deref() {
                                    Some("llm") => "written by the model",
                                    _ => "offline verbalizer",
                                }}
                            </span>
                            {w.fallback.clone().map(|f| view! {
                                <details class="fallback">
                                    <summary>"The model's text was not used (why)"</summary>
                                    <p>{f}</p>
                                </details>
                            })}
                        </p>
                        {(!w.notes.is_empty()).then(|| view! {
                            <ul class="notes">{w.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul>
                        })}
                    }
                    .into_any(),
                    None => view! {
                        <p class="muted no-text">"Not verbalized yet."</p>
                        {sw.map(|sw| view! {
                            <p class="muted offline-note">
                                "The offline verbalizer's text for it, written for this page (not stored; Verbalize stores a text):"
                            </p>
                            <WordingView wording=sw key="words" text_class="offline-text"/>
                        })}
                    }
                    .into_any(),
                }
            }}
            {can_act.then(|| view! {
                <div class="words-actions">
                    <button class="primary verbalize" on:click=move |_| do_verbalize() disabled=busy>
                        "Verbalize" <kbd>"v"</kbd>
                    </button>
                    <button class="judge" on:click=move |_| do_judge() disabled=busy>
                        "Judge" <kbd>"j"</kbd>
                    </button>
                    <label class="muted">
                        <input type="checkbox" name="offline" bind:checked=offline/>
                        " offline (no model)"
                    </label>
                    {move || busy().then(|| view! { <span class="busy">"working…"</span> })}
                </div>
            })}
            {move || refusal.get().map(|r| view! { <p class="error words-error">{r}</p> })}
            {move || words.with(|w| w.llm_error.clone()).map(|e| view! {
                <p class="error llm-error">"Last model failure: " {e}</p>
            })}
            <h2>"Verdict"</h2>
            {move || match words.with(|w| w.verdict.clone()) {
                Some(v) => view! { <VerdictView v/> }.into_any(),
                None => view! { <p class="muted no-verdict">"Not judged yet."</p> }.into_any(),
            }}
            {move || {
                let calls = words.with(|w| w.calls.clone());
                (!calls.is_empty()).then(|| view! {
                    <h2>"Model exchanges (" {calls.len()} ")"</h2>
                    <ol class="llm-calls">
                        {calls.into_iter().map(|c| view! { <CallView c/> }).collect_view()}
                    </ol>
                })
            }}
        </section>
    }
    .into_any()
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

/// A verdict, each check on its own row.
#[component]
fn VerdictView(v: Verdict) -> impl IntoView {
    let outcome = v.outcome().as_str();
    let offline = v.is_offline();
    let e = v.execution.clone();
    let c = v.consistency.clone();
    let lint = v.lint.clone();
    let ran = v.checks_ran().join(", ");
    view! {
        <p class=format!("verdict-outcome {outcome}")>
            <span class=format!("badge {outcome}")>{outcome}</span>
            {offline.then(|| view! { <span class="badge offline">"offline verdict"</span> })}
            " " <span class="checks-ran">"checks that ran: " {ran}</span>
        </p>
        <table class="verdict">
            <tbody>
                <tr class=if e.ok { "ok" } else { "bad" }>
                    <th>"1. execution"</th>
                    <td class="mark">{mark(e.ok)}</td>
                    <td>
                        "stored " <code>{e.stored.clone()}</code> ", re-evaluated "
                        <code>{e.computed.clone().unwrap_or_else(|| "—".into())}</code>
                        {e.error.clone().map(|x| view! { <br/><span class="error">{x}</span> })}
                    </td>
                </tr>
                <tr class=if c.ok { "ok" } else { "bad" }>
                    <th>"2. consistency"</th>
                    <td class="mark">{mark(c.ok)}</td>
                    <td>
                        {if c.ok {
                            "every input is stated, no replaced or unexplained number".to_string()
                        } else {
                            c.complaints.join("; ")
                        }}
                        {(!c.report.distractors.is_empty()).then(|| format!(" ({} distractor(s) marked as such)", c.report.distractors.len()))}
                    </td>
                </tr>
                {lint.map(|l| view! {
                    <tr class=if l.ok { "ok lint" } else { "bad lint" }>
                        <th>"well-posedness lint"</th>
                        <td class="mark">{mark(l.ok)}</td>
                        <td>
                            {if l.ok {
                                "no change before its quantity, no unknown name, no contradiction, no unnatural value".to_string()
                            } else {
                                l.findings.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ")
                            }}
                        </td>
                    </tr>
                })}
                {match v.llm.clone() {
                    Some(j) => view! { <JudgeRow j/> }.into_any(),
                    None => view! {
                        <tr class="offline">
                            <th>"3. LLM judge"</th>
                            <td class="mark">"—"</td>
                            <td>"not run: no model was used (offline verdict)"</td>
                        </tr>
                    }
                    .into_any(),
                }}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn JudgeRow(j: LlmJudgement) -> impl IntoView {
    let ok = j.error.is_none() && j.answer_matches == Some(true);
    view! {
        <tr class=if ok { "ok" } else { "bad" }>
            <th>"3. LLM judge"</th>
            <td class="mark">{mark(ok)}</td>
            <td>
                <span class="judge-model">{j.model.clone()}</span> " answered "
                <code>{j.answer.clone().unwrap_or_else(|| "nothing usable".into())}</code>
                {match j.answer_matches {
                    Some(true) => " (matches the graph)",
                    Some(false) => " (differs from the graph)",
                    None => "",
                }}
                "; faithfulness " <b>{j.faithfulness.map(|f| format!("{f}/5")).unwrap_or_else(|| "—".into())}</b>
                ", fluency " <b>{j.fluency.map(|f| format!("{f}/5")).unwrap_or_else(|| "—".into())}</b>
                {(!j.rationale.is_empty()).then(|| view! { <br/><q class="rationale">{j.rationale.clone()}</q> })}
                {j.error.clone().map(|x| view! { <br/><span class="error">{x}</span> })}
            </td>
        </tr>
    }
    .into_any()
}

/// One recorded model call, folded: what, who, how long; unfolds to the raw request and
/// response.
#[component]
fn CallView(c: LlmCall) -> impl IntoView {
    let ok = c.error.is_none();
    let tokens = match (c.prompt_tokens, c.completion_tokens) {
        (Some(p), Some(q)) => format!(", {p}+{q} tokens"),
        _ => String::new(),
    };
    view! {
        <li class=if ok { "llm-call ok" } else { "llm-call failed" }>
            <details>
                <summary>
                    {c.purpose.clone()} " · " {c.model.clone()} " · "
                    {c.status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no answer".into())}
                    " · " {c.latency_ms} " ms, " {c.attempts} " request(s)" {tokens}
                    " · " <span class="muted">{c.prompt_version.clone()} " · " {c.created_at.clone()}</span>
                </summary>
                {c.error.clone().map(|e| view! { <p class="error">{e}</p> })}
                {(!c.retries.is_empty()).then(|| view! {
                    <ul class="retries">{c.retries.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}</ul>
                })}
                <h4>"Request to " {c.base_url.clone()}</h4>
                <pre class="request">{c.request.clone()}</pre>
                <h4>"Response"</h4>
                <pre class="response">{c.response.clone().unwrap_or_else(|| "(none)".into())}</pre>
            </details>
        </li>
    }
    .into_any()
}

/// A dataset's variants with verdict filters (`?verdict=pass|linted|fail|incomplete|unjudged`).
#[component]
pub fn VariantsByVerdict(dataset_id: i64) -> impl IntoView {
    let query = use_query_map();
    let verdict = move || query.read().get("verdict").filter(|v| !v.is_empty());
    let voffset = crate::pages::query_offset("voffset");
    let page = Resource::new(
        move || (verdict(), voffset()),
        move |(v, o)| crate::api::list_variants(dataset_id, v, o),
    );
    view! {
        <section class="variants-by-verdict">
            <h2>"Variants by verdict"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading variants…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let current = verdict();
                            let c = p.counts;
                            let all = c.pass + c.linted + c.fail + c.incomplete + c.unjudged;
                            let filters = [
                                ("", "all", all),
                                ("pass", "pass", c.pass),
                                ("linted", "linted", c.linted),
                                ("fail", "fail", c.fail),
                                ("incomplete", "incomplete", c.incomplete),
                                ("unjudged", "unjudged", c.unjudged),
                            ]
                            .into_iter()
                            .map(|(key, label, n)| {
                                let active = current.as_deref().unwrap_or("") == key;
                                let href = if key.is_empty() {
                                    format!("/d/{dataset_id}")
                                } else {
                                    format!("/d/{dataset_id}?verdict={key}")
                                };
                                view! {
                                    <A href=href attr:class=if active { "filter active" } else { "filter" }>
                                        {format!("{label} ({n})")}
                                    </A>
                                }
                            })
                            .collect_view();
                            let rows = p
                                .items
                                .into_iter()
                                .map(|i| {
                                    let outcome = i.outcome.clone().unwrap_or_else(|| "unjudged".into());
                                    view! {
                                        <tr>
                                            <td><A href=format!("/v/{}", i.id)>{format!("#{}", i.id)}</A></td>
                                            <td><A href=format!("/p/{}", i.problem_id)>{format!("#{}", i.problem_id)}</A></td>
                                            <td class="num">{i.round}</td>
                                            <td class="num">{i.depth}</td>
                                            <td>
                                                <span class=format!("badge {outcome}")>{outcome.clone()}</span>
                                                {(i.offline_verdict == Some(true)).then(|| view! { <span class="badge offline">"offline"</span> })}
                                            </td>
                                            <td class="q">{i.text.unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }
                                })
                                .collect_view();
                            let off = voffset();
                            let total = p.total;
                            let base = match &current {
                                Some(v) => format!("/d/{dataset_id}?verdict={v}&"),
                                None => format!("/d/{dataset_id}?"),
                            };
                            let prev = (off > 0).then(|| format!("{base}voffset={}", off.saturating_sub(50)));
                            let next = (off + 50 < total).then(|| format!("{base}voffset={}", off + 50));
                            view! {
                                <nav class="verdict-filters">{filters}</nav>
                                <table class="variant-list">
                                    <thead><tr><th>"variant"</th><th>"problem"</th><th>"round"</th><th>"depth"</th><th>"verdict"</th><th>"text"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                                <p class="pager">
                                    {prev.map(|h| view! { <A href=h>"← previous"</A> })}
                                    " " {total} " variant(s) " 
                                    {next.map(|h| view! { <A href=h>"next →"</A> })}
                                </p>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}
