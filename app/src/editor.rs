//! The new-problem editor: a question and a solution (a Python `def solution():` program or a
//! GSM8K-style answer with `<<a*b=c>>` annotations). The graph is extracted as the user types
//! (by the `preview_problem` server function, which keeps the Python parser out of the wasm
//! bundle); errors are underlined at their line and column.

use engine::Graph;
use leptos::leptos_dom::helpers::TimeoutHandle;
use leptos::prelude::*;

use crate::graph_view::{GraphView, NodeState};
use crate::model::Drawing;

/// How the solution text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SolutionKind {
    /// A Python program.
    Python,
    /// A GSM8K answer.
    Gsm8k,
}

/// Where an error is in the solution text (1-based line and column) and what it says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceError {
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// The message.
    pub message: String,
}

/// Guesses the kind of a solution text: a program if it defines a function.
pub fn guess_kind(solution: &str) -> SolutionKind {
    if solution.contains("def ") || solution.contains("return ") {
        SolutionKind::Python
    } else {
        SolutionKind::Gsm8k
    }
}

/// Extracts the graph of `question` with `solution`, or says where it fails.
pub fn extract(question: &str, solution: &str, kind: SolutionKind) -> Result<Graph, SourceError> {
    let q = (!question.trim().is_empty()).then_some(question);
    match kind {
        SolutionKind::Python => engine::parse_program(solution, q).map_err(|e| {
            let (line, column) = python_position(&e);
            SourceError {
                line,
                column,
                message: e.to_string(),
            }
        }),
        SolutionKind::Gsm8k => engine::gsm8k::extract(question, solution)
            .map(|x| x.graph)
            .map_err(|e| SourceError {
                line: e.line.map(|l| l as u32),
                column: None,
                message: e.to_string(),
            }),
    }
}

/// What the editor shows for a solution that extracts: the drawing, each node's value, the
/// answer and the depth.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EditorPreview {
    /// The laid-out graph.
    pub drawing: Drawing,
    /// Each node's value, by node id.
    pub values: Vec<String>,
    /// The answer.
    pub answer: String,
    /// The depth.
    pub depth: u32,
}

/// The editor's preview of `question` with `solution` (its kind guessed), or where it fails.
/// Engine work: the server runs it through [`preview_problem`], on an engine slot.
pub fn preview(question: &str, solution: &str) -> Result<EditorPreview, SourceError> {
    let kind = guess_kind(solution);
    // Over-long text is refused before the engine reads it, with the limit's own message.
    let (limit, what, len) = match kind {
        SolutionKind::Python => (
            engine::limits::Limit::ProgramBytes,
            "program",
            solution.len(),
        ),
        SolutionKind::Gsm8k => (engine::limits::Limit::TextBytes, "answer", solution.len()),
    };
    for (limit, what, len) in [
        (engine::limits::Limit::TextBytes, "question", question.len()),
        (limit, what, len),
    ] {
        if let Err(e) = engine::limits::check_len(limit, len) {
            return Err(SourceError {
                line: None,
                column: None,
                message: format!("the {what}: {e}"),
            });
        }
    }
    extract(question, solution, kind).map(|g| EditorPreview {
        drawing: Drawing::new(&g),
        values: g.ids().map(|id| g.value(id).to_string()).collect(),
        answer: g.answer_value().to_string(),
        depth: g.depth(),
    })
}

/// The editor's preview of `question` with `solution` (its kind guessed), or where it fails.
///
/// Anyone may call it (no account). The server caps its request size and its rate per client
/// address (`graft serve`: 413 and 429), and runs the engine work off the async workers on an
/// engine slot within the request budget: past it the answer is a 503 that says so, and the
/// editor shows it in place of the graph.
#[server]
pub async fn preview_problem(
    question: String,
    solution: String,
) -> Result<Result<EditorPreview, SourceError>, ServerFnError> {
    use crate::api::ssr::{fail, store};
    let outcome = store()?
        .engine()
        .request("the preview", move || preview(&question, &solution))
        .await;
    outcome.map_err(|e| {
        // Called over HTTP: the answer's status says what happened (503, 500). Called while
        // rendering the editor's page: the page itself is fine and shows the message.
        let over_http = use_context::<http::request::Parts>()
            .is_some_and(|p| p.uri.path() == <PreviewProblem as leptos::server_fn::ServerFn>::PATH);
        if over_http {
            fail(e.into())
        } else {
            ServerFnError::new(e.to_string())
        }
    })
}

fn python_position(e: &engine::PythonError) -> (Option<u32>, Option<u32>) {
    use engine::PythonError as P;
    match e {
        P::Syntax { line, column, .. }
        | P::Unsupported { line, column, .. }
        | P::Undefined { line, column, .. } => (Some(*line), Some(*column)),
        P::Eval { line, column, .. } => (Some(*line), *column),
        other => (other.line(), None),
    }
}

/// The solution text cut around the error: before, the underlined part, after.
pub fn underline(text: &str, err: &SourceError) -> Option<(String, String, String)> {
    let line = err.line? as usize;
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let body = l.trim_end_matches(['\n', '\r']);
            let (a, b) = match err.column {
                Some(c) => {
                    // Underline from the column to the end of the token (or of the line).
                    let from = body
                        .char_indices()
                        .nth((c as usize).saturating_sub(1))
                        .map_or(body.len(), |(i, _)| i);
                    let rest = &body[from..];
                    let len = rest
                        .find(|ch: char| ch.is_whitespace() || "()[]{},:".contains(ch))
                        .unwrap_or(rest.len());
                    let len = if len == 0 {
                        rest.chars().next().map_or(0, char::len_utf8)
                    } else {
                        len
                    };
                    (from, from + len)
                }
                None => (body.len() - body.trim_start().len(), body.len()),
            };
            let (a, b) = (start + a, start + b.min(body.len()));
            return Some((
                text[..a].to_string(),
                text[a..b].to_string(),
                text[b..].to_string(),
            ));
        }
        start += l.len();
    }
    None
}

const EXAMPLE_QUESTION: &str = "A baker makes 24 muffins in the morning and 18 in the afternoon. He packs them into boxes of 6. How many boxes does he fill?";
const EXAMPLE_SOLUTION: &str = "def solution():\n    morning = 24\n    afternoon = 18\n    per_box = 6\n    muffins = morning + afternoon\n    boxes = muffins // per_box\n    return boxes\n";

/// The editor: question and solution fields, the live graph, and a save button.
#[component]
pub fn Editor(
    /// Datasets the problem can go to: (id, name).
    datasets: Vec<(i64, String)>,
) -> impl IntoView {
    let question = RwSignal::new(EXAMPLE_QUESTION.to_string());
    let solution = RwSignal::new(EXAMPLE_SOLUTION.to_string());
    let dataset = RwSignal::new(
        datasets
            .first()
            .map(|d| d.0.to_string())
            .unwrap_or_default(),
    );
    // Ask again 250 ms after the last keystroke; the last answer stays shown meanwhile.
    let debounced = RwSignal::new((question.get_untracked(), solution.get_untracked()));
    Effect::new(move |prev: Option<Option<TimeoutHandle>>| {
        let now = (question.get(), solution.get());
        // The first run: `debounced` already holds these.
        let pending = prev?;
        if let Some(h) = pending {
            h.clear();
        }
        set_timeout_with_handle(
            move || debounced.set(now),
            std::time::Duration::from_millis(250),
        )
        .ok()
    });
    // Fetched from the browser only: the server renders "extracting…" and hydration starts from
    // the same state (a resource read outside <Suspense> could resolve between the server's
    // render and its serialized value, and the page would not hydrate).
    let preview = LocalResource::new(move || {
        let (q, s) = debounced.get();
        preview_problem(q, s)
    });
    let result = Memo::new(
        move |prev: Option<&Result<EditorPreview, SourceError>>| match preview.get() {
            Some(Ok(r)) => r,
            Some(Err(e)) => Err(SourceError {
                line: None,
                column: None,
                message: e.to_string(),
            }),
            None => prev.cloned().unwrap_or(Err(SourceError {
                line: None,
                column: None,
                message: "extracting…".into(),
            })),
        },
    );
    let drawing = Memo::new(move |prev: Option<&Drawing>| match result.get() {
        Ok(p) => p.drawing,
        Err(_) => prev.cloned().unwrap_or_default(),
    });
    let states = Memo::new(move |prev: Option<&Vec<NodeState>>| match result.get() {
        Ok(p) => p
            .values
            .into_iter()
            .map(|value| NodeState {
                value,
                ..NodeState::default()
            })
            .collect(),
        Err(_) => prev.cloned().unwrap_or_default(),
    });
    let selected = RwSignal::new(None::<u32>);
    let hovered = RwSignal::new(None::<u32>);
    // Render closures read with `try_`: in server rendering they may run once more after the
    // page's owner has disposed these signals (a plain `get` panicked there).
    let error = move || result.try_with(|r| r.as_ref().err().cloned()).flatten();
    let backdrop = move || {
        let text = solution.try_get().unwrap_or_default();
        match error().and_then(|e| underline(&text, &e)) {
            Some((a, b, c)) => view! {
                <span>{a}</span>
                <mark class="squiggle">{b}</mark>
                <span>{c}</span>
            }
            .into_any(),
            None => view! { <span>{text}</span> }.into_any(),
        }
    };
    let save = ServerAction::<crate::api::AddProblem>::new();
    let save_state = crate::watch::Watch::new(&save);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = save_state.value() {
            navigate(&format!("/p/{id}"), Default::default());
        }
    });
    let options = datasets
        .into_iter()
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    view! {
        <div class="editor">
            <label class="field">
                "Question"
                <textarea
                    name="question"
                    rows="3"
                    prop:value=move || question.try_get().unwrap_or_default()
                    on:input=move |ev| question.set(event_target_value(&ev))
                ></textarea>
            </label>
            <label class="field">
                "Solution: a Python " <code>"def solution():"</code>
                " program, or a GSM8K answer with " <code>"<<24+18=42>>"</code> " and " <code>"#### 7"</code>
                <div class="code-box">
                    <pre class="backdrop" aria-hidden="true">{backdrop} "\n"</pre>
                    <textarea
                        name="solution"
                        rows="10"
                        spellcheck="false"
                        prop:value=move || solution.try_get().unwrap_or_default()
                        on:input=move |ev| solution.set(event_target_value(&ev))
                    ></textarea>
                </div>
            </label>
            <Transition fallback=|| ()>
            {move || match error() {
                Some(e) => {
                    let at = match (e.line, e.column) {
                        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
                        (Some(l), None) => format!("line {l}: "),
                        _ => String::new(),
                    };
                    view! { <p class="error source-error">{at} {e.message}</p> }.into_any()
                }
                None => {
                    let (answer, depth) = result.with(|r| {
                        r.as_ref()
                            .map(|p| (p.answer.clone(), p.depth))
                            .unwrap_or_default()
                    });
                    view! {
                        <p class="ok">"Extracts: answer " <b>{answer}</b> ", depth " <b>{depth}</b></p>
                    }
                        .into_any()
                }
            }}
            </Transition>
            <GraphView drawing=drawing states=states selected=selected hovered=hovered/>
            <div class="save-row">
                <label>
                    "Add to dataset "
                    // Not `bind:value`: its split of the signal panics when the server renders a
                    // view whose owner is already gone (a dropped request); try_get does not.
                    <select prop:value=move || dataset.try_get().unwrap_or_default()
                        on:change=move |ev| { dataset.try_set(event_target_value(&ev)); }>{options}</select>
                </label>
                <button
                    type="button"
                    class="primary"
                    disabled=move || error().is_some() || save_state.pending()
                    on:click=move |_| {
                        let Ok(dataset_id) = dataset.get_untracked().parse::<i64>() else {
                            return;
                        };
                        let s = solution.get_untracked();
                        save.dispatch(crate::api::AddProblem {
                            dataset_id,
                            question: question.get_untracked(),
                            python: guess_kind(&s) == SolutionKind::Python,
                            solution: s,
                        });
                    }
                >
                    "Save problem"
                </button>
            </div>
            {move || match save_state.value() {
                Some(Err(e)) => Some(view! { <p class="error">{e.to_string()}</p> }),
                _ => None,
            }}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_extracts() {
        let g = extract(EXAMPLE_QUESTION, EXAMPLE_SOLUTION, SolutionKind::Python).unwrap();
        assert_eq!(g.answer_value().to_string(), "7");
    }

    #[test]
    fn errors_are_underlined_at_line_and_column() {
        let src = "def solution():\n    a = 3\n    with open(\"f\") as f:\n        a = a - 1\n    return a\n";
        let e = extract("", src, guess_kind(src)).unwrap_err();
        assert_eq!(e.line, Some(3), "{e:?}");
        let (before, marked, after) = underline(src, &e).unwrap();
        assert_eq!(format!("{before}{marked}{after}"), src);
        assert!(marked.starts_with("with"), "{marked:?}");
        let e = extract("q", "no annotations here\n#### 5", SolutionKind::Gsm8k).unwrap_err();
        assert!(!e.message.is_empty());
    }
}
