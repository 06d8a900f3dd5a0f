//! A variant's words as the pages show them: its problem text (the stored one, else the one
//! the engine's offline verbalizer writes), its worked solution in GSM8K style, and the
//! well-posedness lint's complaints beside the part of the text that caused them.
//!
//! [`wording`] is the one computation; the server runs it on an engine slot for the variant,
//! share and review pages ([`get_variant_wording`], `Store::variant_page_words`), the workbench
//! runs it in the browser (the engine in wasm, no request) for the variant it previews.
//! [`WordingView`] renders one.

use engine::lint::{LintFinding, LintKind};
use leptos::prelude::*;

pub use types::wording::*;

/// A piece of a text, plain or marked by finding `n` (0-based, in the findings' order).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Plain(String),
    Marked(String, usize),
}

/// Cuts `text` at the findings' spans: each span that fits the text (char boundaries, not
/// empty, not overlapping an earlier one) becomes a marked piece; the rest stays plain.
fn pieces(text: &str, findings: &[LintFinding]) -> Vec<Piece> {
    let mut spans: Vec<(usize, usize, usize)> = findings
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let s = f.span?;
            let (a, b) = (s.start as usize, s.end as usize);
            (a < b && b <= text.len() && text.is_char_boundary(a) && text.is_char_boundary(b))
                .then_some((a, b, i))
        })
        .collect();
    spans.sort();
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b, i) in spans {
        if a < at {
            continue;
        }
        if a > at {
            out.push(Piece::Plain(text[at..a].to_string()));
        }
        out.push(Piece::Marked(text[a..b].to_string(), i));
        at = b;
    }
    if at < text.len() || out.is_empty() {
        out.push(Piece::Plain(text[at..].to_string()));
    }
    out
}

/// Moves the keyboard focus to the element with id `id` (a marked span), when there is one.
fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// A lint kind in a few words.
fn kind_label(kind: LintKind) -> &'static str {
    #[allow(unreachable_patterns)]
    match kind {
        LintKind::ChangeBeforeQuantity => "change before its quantity",
        LintKind::UnknownName => "unknown name",
        LintKind::QuestionContradicts => "question contradicts a change",
        LintKind::UnnaturalValue => "unnatural value",
        _ => "lint",
    }
}

/// The pieces of a worked-solution line: its prose and its `<<…>>` calculator annotations.
fn solution_line(line: &str) -> AnyView {
    let mut parts = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find("<<") {
        let Some(close) = rest[open..].find(">>") else {
            break;
        };
        let close = open + close + 2;
        parts.push(view! { <span>{rest[..open].to_string()}</span> }.into_any());
        parts.push(view! { <span class="calc">{rest[open..close].to_string()}</span> }.into_any());
        rest = &rest[close..];
    }
    parts.push(view! { <span>{rest.to_string()}</span> }.into_any());
    parts.collect_view().into_any()
}

/// A variant's text with the lint's complaints beside it (each marked span numbered, focus or
/// hover on either lights both) and its worked solution below. `key` makes element ids unique
/// on the page; `text_class` is the class of the text's `<blockquote>`.
#[component]
pub fn WordingView(
    /// What to show.
    wording: Wording,
    /// A prefix for the element ids (one per view on a page).
    #[prop(into)]
    key: String,
    /// The class of the `<blockquote>` that holds the text.
    #[prop(default = "wording-text")]
    text_class: &'static str,
) -> impl IntoView {
    let active = RwSignal::new(None::<usize>);
    let findings = wording.findings.clone();
    let marked: Vec<bool> = match &wording.text {
        Ok(t) => {
            let mut m = vec![false; findings.len()];
            for p in pieces(t, &findings) {
                if let Piece::Marked(_, i) = p {
                    m[i] = true;
                }
            }
            m
        }
        Err(_) => vec![false; findings.len()],
    };
    let text = match wording.text.clone() {
        Ok(t) => {
            let body = pieces(&t, &findings)
                .into_iter()
                .map(|p| match p {
                    Piece::Plain(s) => view! { <span>{s}</span> }.into_any(),
                    Piece::Marked(s, i) => {
                        let k = key.clone();
                        view! {
                            <mark
                                class="lint"
                                class:active=move || active.get() == Some(i)
                                id=format!("{k}-lint-{}", i + 1)
                                data-n=(i + 1).to_string()
                                tabindex="0"
                                aria-describedby=format!("{k}-lint-msg-{}", i + 1)
                                on:mouseenter=move |_| active.set(Some(i))
                                on:mouseleave=move |_| active.set(None)
                                on:focus=move |_| active.set(Some(i))
                                on:blur=move |_| active.set(None)
                            >
                                {s}
                            </mark>
                        }
                        .into_any()
                    }
                })
                .collect_view();
            view! { <blockquote class=text_class>{body}</blockquote> }.into_any()
        }
        Err(e) => view! { <p class="error text-error">"No text: " {e}</p> }.into_any(),
    };
    let complaints = (!findings.is_empty()).then(|| {
        let k = key.clone();
        let items = findings
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let on_text = marked[i];
                let target = format!("{k}-lint-{}", i + 1);
                view! {
                    <li
                        id=format!("{k}-lint-msg-{}", i + 1)
                        class=format!("lint-finding {}", kind_label(f.kind).replace(' ', "-"))
                        class:active=move || active.get() == Some(i)
                        on:mouseenter=move |_| active.set(Some(i))
                        on:mouseleave=move |_| active.set(None)
                    >
                        {if on_text {
                            view! {
                                <button
                                    type="button"
                                    class="lint-n"
                                    title="Show where in the text"
                                    on:click=move |_| focus(&target)
                                    on:focus=move |_| active.set(Some(i))
                                    on:blur=move |_| active.set(None)
                                >
                                    {i + 1}
                                </button>
                            }
                            .into_any()
                        } else {
                            view! { <span class="lint-n whole">"·"</span> }.into_any()
                        }}
                        <span class="lint-kind">{kind_label(f.kind)}</span>
                        " "
                        <span class="lint-message">{f.message}</span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <ol class="lint-list" aria-label="lint complaints">{items}</ol>
        }
    });
    let clean = wording.text.is_ok() && complaints.is_none();
    let solution = match wording.solution.clone() {
        Ok(s) => {
            let lines = s
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let last = l.trim_start().starts_with("####");
                    view! { <li class:final-answer=last>{solution_line(l)}</li> }
                })
                .collect_view();
            view! { <ol class="solution-steps">{lines}</ol> }.into_any()
        }
        Err(e) => {
            view! { <p class="muted solution-error">"No worked solution yet: " {e}</p> }.into_any()
        }
    };
    let solution_source = if wording.solution_stored {
        "stored"
    } else {
        "written by the engine"
    };
    let notes = (!wording.notes.is_empty()).then(|| {
        view! {
            <ul class="notes">
                {wording.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        <div class="wording">
            <div class="wording-main">
                {text}
                <div class="lint-side">
                    {complaints}
                    {clean.then(|| view! { <p class="lint-clean muted">"The lint finds nothing to complain about."</p> })}
                </div>
            </div>
            {notes}
            <section class="solution">
                <h3>"Worked solution " <span class="muted">"(" {solution_source} ")"</span></h3>
                {solution}
            </section>
        </div>
    }
    .into_any()
}

/// The text, worked solution and lint of variant `id` (for the review queue and after a
/// variant's text changes), computed on an engine slot within the request budget. Anyone
/// who may read the variant's dataset may ask.
#[server]
pub async fn get_variant_wording(id: i64) -> Result<Wording, ServerFnError> {
    crate::api::ssr::op(async |o| o.variant_wording(id).await).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::graph::Span;

    fn finding(start: u32, end: u32) -> LintFinding {
        LintFinding {
            kind: LintKind::UnknownName,
            message: "m".into(),
            span: Some(Span { start, end }),
        }
    }

    #[test]
    fn pieces_mark_fitting_spans_and_keep_all_text() {
        let text = "Ann has 3 apples. Bob has 4.";
        let f = vec![
            finding(8, 9),
            finding(8, 16),
            finding(26, 27),
            finding(40, 50),
        ];
        let p = pieces(text, &f);
        let all: String = p
            .iter()
            .map(|p| match p {
                Piece::Plain(s) | Piece::Marked(s, _) => s.as_str(),
            })
            .collect();
        assert_eq!(all, text);
        let marked: Vec<usize> = p
            .iter()
            .filter_map(|p| match p {
                Piece::Marked(_, i) => Some(*i),
                _ => None,
            })
            .collect();
        // The overlapping one and the one past the end stay unmarked.
        assert_eq!(marked, vec![0, 2]);
    }
}
