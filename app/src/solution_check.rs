//! The variant page's solution checker: paste a model's solution and see it scored against the
//! variant's answer, each line labelled +1 / 0 / −1 with its reason and the first error marked,
//! worked out in the browser by the engine (`engine::labels::solutions`), with no request.

use engine::labels::solutions::{label_solution, LabelledSolution, Score};
use engine::Graph;
use leptos::prelude::*;

/// The checker for the variant whose graph is `graph`.
#[component]
pub fn SolutionCheck(graph: Graph) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let graph = StoredValue::new(graph);
    let labelled = Memo::new(move |_| {
        let t = text.get();
        (!t.trim().is_empty()).then(|| graph.with_value(|g| label_solution(g, &t)))
    });
    view! {
        <section class="solution-check">
            <h2>"Check a model's solution"</h2>
            <p class="hint">
                "Paste a solution of this variant (a line per step, " <code>"#### N"</code>
                " or “the answer is N” at the end): it is scored exactly against the answer and "
                "each step is labelled, in your browser."
            </p>
            <textarea
                name="model-solution"
                rows="6"
                spellcheck="false"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            {move || labelled.get().map(|l| view! { <Labels l/> })}
        </section>
    }
}

/// A labelled solution: its score, then each step with its label and reason.
#[component]
fn Labels(l: LabelledSolution) -> impl IntoView {
    let (class, word) = match l.score {
        Score::Correct => ("correct", "correct"),
        Score::Wrong => ("wrong", "wrong"),
        Score::Unparseable => ("unparseable", "no final answer found"),
    };
    let stated = l
        .answer
        .as_ref()
        .map(|a| format!(" (it states {})", a.written))
        .unwrap_or_default();
    let first = l.first_error;
    let steps = l
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let (cls, mark) = match s.rating {
                1 => ("plus", "+1"),
                0 => ("zero", "0"),
                _ => ("minus", "−1"),
            };
            let cls = if first == Some(i) {
                format!("{cls} first-error")
            } else {
                cls.to_string()
            };
            view! {
                <li class=cls>
                    <span class="rating">{mark}</span>
                    <span class="step-text">{s.text}</span>
                    <span class="reason">{s.reason}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class=format!("solution-score {class}")>
            "Final answer: " <b>{word}</b> {stated}
            {first.map(|i| format!("; first error at step {}", i + 1))}
        </p>
        <ol class="auto-labels">{steps}</ol>
    }
}
