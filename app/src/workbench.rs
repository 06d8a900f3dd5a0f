//! The intervention workbench: a problem's question with its numbers linked to the graph, the
//! graph itself, and a panel to stack interventions on it. Every preview is computed here, in
//! the browser, by the engine compiled to wasm: no request reaches the server until the user
//! saves.

use engine::constraints::{check_nodes, Constraints, Violation};
use engine::intervene::{apply, Intervention};
use engine::mentions::{link, segments, Segment};
use engine::{BinOp, Graph, NodeId, NodeKind, Number, ProxyFn, ProxyOp, Role};
use leptos::prelude::*;

use crate::graph_view::{GraphView, NodeState};
use crate::model::{structure_key, Drawing, ServerDrawing};
use crate::wording::{with_text, wording, BaseWords, Wording, WordingView};

/// Where the workbench's graph comes from, and whether the visitor may save variants of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The stored problem.
    pub problem_id: i64,
    /// The stored variant the graph is, if any (the parent of what gets saved).
    pub parent_variant_id: Option<i64>,
    /// Whether a "save as variant" button is offered (never on share links).
    pub can_save: bool,
}

/// The graph after the stacked interventions.
#[derive(Debug, Clone)]
struct Preview {
    graph: Graph,
}

fn preview_of(base: &Graph, ops: &[Intervention]) -> Result<Preview, (usize, String)> {
    let mut g = base.clone();
    for (i, iv) in ops.iter().enumerate() {
        apply(&mut g, iv).map_err(|e| (i, e.to_string()))?;
    }
    Ok(Preview { graph: g })
}

/// The constraints `g` breaks against `base`, as `engine::constraints::check` lists them (same
/// nodes, same order), judging only the nodes whose value changed or that were added: a node
/// of the base that keeps its value is its own reference and passes every rule.
fn violations_of(base: &Graph, g: &Graph) -> Vec<Violation> {
    let moved = g
        .order()
        .iter()
        .copied()
        .filter(|&id| id.index() >= base.len() || base.value(id) != g.value(id));
    check_nodes(base, g, moved, &Constraints::default())
}

/// Up to how many nodes a preview's constraints are checked in the click's frame; a larger
/// graph is checked after the frame that shows its new values.
const CHECK_AT_ONCE: usize = 200;

/// How many violations the panel lists; the rest are counted (every one is outlined in the
/// graph). A big change can break hundreds, and a list that long helps no one.
const LISTED_VIOLATIONS: usize = 20;

/// Runs `f` once the browser has painted the next frame (an animation frame, then a zero
/// timeout after it); at once where there are no frames (the server).
fn after_next_paint(f: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || set_timeout(f, std::time::Duration::ZERO));
    #[cfg(not(feature = "hydrate"))]
    f();
}

/// A short description of an intervention, naming nodes as in `g`.
pub fn describe(g: &Graph, iv: &Intervention) -> String {
    let name = |id: &NodeId| {
        g.get(*id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|_| id.to_string())
    };
    match iv {
        Intervention::SetInput { node, value } => {
            match g.get(*node).ok().and_then(engine::python::structural_note) {
                Some(why) => format!(
                    "set {} = {value} (it shapes the program: {why}; the program is read again)",
                    name(node)
                ),
                None => format!("set {} = {value}", name(node)),
            }
        }
        Intervention::Graft { node, f } => format!("graft {f} onto {}", name(node)),
        Intervention::AddDistractor { name: n, value, .. } => {
            format!("add distractor {n} = {value}")
        }
        Intervention::FlipBranch { node } => format!("flip branch {}", name(node)),
        Intervention::SetThreshold { node, value } => {
            format!("threshold of {} → {value}", name(node))
        }
        Intervention::Invert { input } => format!("invert: ask for {}", name(input)),
    }
}

/// The question, the graph and the intervention panel for one graph.
///
/// The stored graph is drawn as the server laid it out (`drawing`), on the server and in the
/// browser alike, so hydration meets the same markup and the browser does not lay it out
/// again; the browser lays out only the structures interventions make. A graph the server did
/// not draw shows why, and a button that draws it in the browser.
///
/// As interventions stack, the previewed variant's offline text, worked solution and lint
/// appear below, computed here by the engine (no request), once per change of the stack.
#[component]
pub fn Workbench(
    /// The graph as stored.
    graph: Graph,
    /// The server's drawing of `graph`.
    drawing: ServerDrawing,
    /// Where it comes from.
    origin: Origin,
    /// The base graph's own text and lineage (a variant's); `None` for a problem, whose
    /// question is its text and whose lineage is empty.
    #[prop(optional)]
    words: Option<BaseWords>,
) -> impl IntoView {
    let base_key = structure_key(&graph);
    let (served, why_not_drawn) = match drawing {
        ServerDrawing::Drawn(d) => (Some(d), None),
        ServerDrawing::NotDrawn(why) => (None, Some(why)),
    };
    // Set by the button shown in place of a graph the server did not draw.
    let draw_here = RwSignal::new(false);
    let base = StoredValue::new(graph.clone());
    // The problem's graph and the interventions to `graph`: what the verbalizer replays.
    let (lineage, base_text, unavailable) = match words {
        Some(w) => (w.lineage, w.text, w.unavailable),
        None => (Some((graph.clone(), Vec::new())), None, None),
    };
    let lineage = StoredValue::new(lineage);
    let ops = RwSignal::new(Vec::<Intervention>::new());
    // The stored values as text, made once: a preview formats only the values it changed.
    let base_texts = StoredValue::new(
        graph
            .ids()
            .map(|id| graph.value(id).to_string())
            .collect::<Vec<_>>(),
    );
    let preview = RwSignal::new(Preview { graph });
    // The constraints the preview breaks; `None` while the check is pending. The check runs
    // after the frame that shows the new values (on a large graph it takes longer than their
    // repaint), and a check whose stack changed meanwhile is dropped.
    let violations = RwSignal::new(Some(Vec::<Violation>::new()));
    let check_generation = StoredValue::new(0u64);
    let message = RwSignal::new(None::<String>);
    let selected = RwSignal::new(None::<u32>);
    let hovered = RwSignal::new(None::<u32>);

    // Tries `next` as the new stack; keeps it only when every intervention applies.
    let set_ops = move |next: Vec<Intervention>| {
        let result = base.with_value(|b| preview_of(b, &next));
        match result {
            Ok(p) => {
                let pending = !next.is_empty();
                preview.set(p);
                ops.set(next);
                message.set(None);
                check_generation.update_value(|g| *g += 1);
                if !pending {
                    if violations.with_untracked(|v| v.as_ref().is_none_or(|v| !v.is_empty())) {
                        violations.set(Some(Vec::new()));
                    }
                    return;
                }
                // A small graph is checked at once (no "checking…" flash in the summary).
                let at_once = preview.with_untracked(|p| {
                    (p.graph.len() <= CHECK_AT_ONCE)
                        .then(|| base.with_value(|b| violations_of(b, &p.graph)))
                });
                if let Some(found) = at_once {
                    violations.set(Some(found));
                    return;
                }
                if violations.with_untracked(Option::is_some) {
                    violations.set(None);
                }
                let generation = check_generation.get_value();
                after_next_paint(move || {
                    // `try_`: the page may be gone by then.
                    if check_generation.try_get_value() != Some(generation) {
                        return;
                    }
                    let found = preview.try_with_untracked(|p| {
                        base.try_with_value(|b| violations_of(b, &p.graph))
                    });
                    if let Some(Some(found)) = found {
                        violations.try_set(Some(found));
                    }
                });
            }
            Err((i, e)) => message.set(Some(if i + 1 == next.len() {
                e
            } else {
                format!("intervention {}: {e}", i + 1)
            })),
        }
    };
    let push = move |iv: Intervention| {
        let mut next = ops.get_untracked();
        next.push(iv);
        set_ops(next);
    };
    let undo = move || {
        let mut next = ops.get_untracked();
        if next.pop().is_some() {
            set_ops(next);
        }
    };

    let structure = Memo::new(move |_| preview.with(|p| structure_key(&p.graph)));
    let drawing = Memo::new(move |_| {
        // Read (not just track) the key: a memo computes, and subscribes, only when read.
        let stored = structure.with(|k| *k == base_key);
        match &served {
            Some(d) if stored => Some(d.clone()),
            None if !draw_here.get() => None,
            _ => Some(preview.with_untracked(|p| Drawing::new(&p.graph))),
        }
    });
    // A memo, not a derived signal: the graph view reads it in several places, and a derived
    // signal would clone the whole drawing at each read.
    let drawn = Memo::new(move |_| drawing.get().unwrap_or_default());
    let not_drawn = move || {
        let why = why_not_drawn.clone().unwrap_or_default();
        view! {
            <div class="graph-not-drawn">
                <p class="error">"The graph is not drawn: " {why} "."</p>
                <button type="button" on:click=move |_| draw_here.set(true)>
                    "Draw it here (in this browser)"
                </button>
            </div>
        }
    };
    // The values the states were last made from: a value that did not change keeps its text.
    let last_values = StoredValue::new(Vec::<Number>::new());
    let states = Memo::new(move |prev: Option<&Vec<NodeState>>| {
        preview.with(|p| {
            violations.with(|found| {
                // The first violation of each node, by id.
                let mut broken = vec![None::<String>; p.graph.len()];
                for v in found.iter().flatten() {
                    if let Some(slot) = broken.get_mut(v.node.index()) {
                        slot.get_or_insert_with(|| v.to_string());
                    }
                }
                let states = base.with_value(|b| {
                    base_texts.with_value(|texts| {
                        last_values.with_value(|last| {
                            p.graph
                                .ids()
                                .zip(broken)
                                .map(|(id, violation)| {
                                    let i = id.index();
                                    let value = p.graph.value(id);
                                    let known = i < b.len();
                                    let same = known && b.value(id) == value;
                                    let text = match (prev.and_then(|s| s.get(i)), last.get(i)) {
                                        (Some(st), Some(v)) if *v == value => st.value.clone(),
                                        _ if same => texts[i].clone(),
                                        _ => value.to_string(),
                                    };
                                    NodeState {
                                        value: text,
                                        old: (known && !same).then(|| texts[i].clone()),
                                        added: !known,
                                        violation,
                                    }
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                });
                last_values.set_value(p.graph.ids().map(|id| p.graph.value(id)).collect());
                states
            })
        })
    });

    // Each linked number as written, to show the node's value beside it when they differ
    // (after an intervention, or in a variant whose text is not rewritten yet).
    // A variant shows its own text (its numbers linked by value), not the problem's question.
    let (pieces, written) = base.with_value(|g| {
        let shown = base_text.as_deref().map(|t| with_text(g, t));
        let g = shown.as_ref().unwrap_or(g);
        let mentions = link(g);
        let written: std::collections::HashMap<u32, String> = mentions
            .iter()
            .filter_map(|m| m.node.map(|n| (n.0, m.value.to_string())))
            .collect();
        (
            segments(g.question().unwrap_or_default(), &mentions),
            written,
        )
    });
    let question = pieces
        .into_iter()
        .map(|p| match p {
            Segment::Text(t) => view! { <span>{t}</span> }.into_any(),
            Segment::Number {
                text: t,
                node: None,
            } => view! { <span class="num">{t}</span> }.into_any(),
            Segment::Number {
                text: t,
                node: Some(NodeId(id)),
            } => {
                let as_written = written.get(&id).cloned();
                let now = move || {
                    states.with(|s| {
                        s.get(id as usize)
                            .map(|st| st.value.clone())
                            .filter(|v| Some(v) != as_written.as_ref())
                    })
                };
                let now2 = now.clone();
                view! {
                    <mark
                        class="num linked"
                        class:hovered=move || hovered.get() == Some(id)
                        class:selected=move || selected.get() == Some(id)
                        class:changed=move || now().is_some()
                        data-node=id
                        on:mouseenter=move |_| hovered.set(Some(id))
                        on:mouseleave=move |_| hovered.set(None)
                        on:click=move |_| selected.set(Some(id))
                    >
                        <span class="was">{t}</span>
                        {move || now2().map(|v| view! { <span class="now">{v}</span> })}
                    </mark>
                }
                .into_any()
            }
        })
        .collect_view();

    let summary = move || {
        preview.with(|p| {
            base.with_value(|b| {
                let (a0, a1) = (b.answer_value(), p.graph.answer_value());
                let (d0, d1) = (b.depth(), p.graph.depth());
                let changed = states.with(|s| s.iter().filter(|s| s.old.is_some()).count());
                let added = p.graph.len().saturating_sub(b.len());
                let broken = violations.with(|v| v.as_ref().map(Vec::len));
                view! {
                    <dl class="summary">
                        <dt>"answer"</dt>
                        <dd class="answer-value" class:changed=a0 != a1>
                            {if a0 == a1 { a0.to_string() } else { format!("{a0} → {a1}") }}
                        </dd>
                        <dt>"depth"</dt>
                        <dd class="depth-value" class:changed=d0 != d1>
                            {if d0 == d1 { d0.to_string() } else { format!("{d0} → {d1}") }}
                        </dd>
                        <dt>"changed"</dt>
                        <dd class="changed-count">{changed} " nodes, " {added} " added"</dd>
                        <dt>"constraints"</dt>
                        <dd class="violations" class:bad=broken.is_some_and(|n| n > 0)>
                            {match broken {
                                None => "checking…".to_string(),
                                Some(0) => "all hold".to_string(),
                                Some(n) => format!("{n} violated"),
                            }}
                        </dd>
                    </dl>
                }
            })
        })
    };

    // The previewed variant's words: computed only when the stack changes (typing in a form
    // changes nothing), never on the server (the stack is empty there), and after the frame
    // that shows the new values: on a large graph the verbalizer and the worked solution take
    // longer than the graph's repaint, so they follow it instead of holding it up.
    let live = RwSignal::new(None::<Result<Wording, String>>);
    let unavailable = StoredValue::new(unavailable);
    let words_of = move |ops: &[Intervention]| -> Option<Result<Wording, String>> {
        if ops.is_empty() {
            return None;
        }
        Some(lineage.with_value(|l| {
            match l {
                Some((original, before)) => {
                    let all: Vec<Intervention> = before.iter().chain(ops).cloned().collect();
                    Ok(preview.with_untracked(|p| wording(original, &all, &p.graph, None, None)))
                }
                None => Err(unavailable
                    .get_value()
                    .unwrap_or_else(|| "the lineage could not be read".into())),
            }
        }))
    };
    // Which stack the words are for: a deferred computation whose stack changed meanwhile is
    // dropped (the later one follows).
    let words_generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let empty = ops.with(Vec::is_empty);
        words_generation.update_value(|g| *g += 1);
        if empty {
            if live.with_untracked(Option::is_some) {
                live.set(None);
            }
            return;
        }
        let generation = words_generation.get_value();
        after_next_paint(move || {
            if words_generation.get_value() == generation {
                live.set(ops.with_untracked(|ops| words_of(ops)));
            }
        });
    });
    let live_words = move || -> AnyView {
        match live.get() {
            None => view! {
                <p class="muted words-hint">
                    "Stack an intervention to see the new variant's text and worked solution, written here in this browser by the offline verbalizer."
                </p>
            }
            .into_any(),
            Some(Ok(w)) => {
                let w: Wording = w;
                view! { <WordingView wording=w key="bench" text_class="preview-text"/> }.into_any()
            }
            Some(Err(why)) => {
                view! { <p class="error">"No text for the preview: " {why}</p> }.into_any()
            }
        }
    };

    let violation_list = move || {
        violations.with(|found| {
            let found = found.as_deref().unwrap_or_default();
            let more = found.len().saturating_sub(LISTED_VIOLATIONS);
            let listed = found
                .iter()
                .take(LISTED_VIOLATIONS)
                .map(|v| view! { <li>{v.to_string()}</li> })
                .collect_view();
            let more = (more > 0).then(|| {
                view! { <li class="more">"… and " {more} " more (outlined in the graph)"</li> }
            });
            (listed, more)
        })
    };

    let stack = move || {
        preview.with(|p| {
            ops.with(|ops| {
                ops.iter()
                    .map(|iv| view! { <li>{describe(&p.graph, iv)}</li> })
                    .collect_view()
            })
        })
    };

    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let typing = ev
            .target()
            .and_then(|t| {
                use leptos::wasm_bindgen::JsCast;
                t.dyn_into::<leptos::web_sys::Element>().ok()
            })
            .map(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
            .unwrap_or(false);
        if typing {
            return;
        }
        if ev.key() == "u" || ((ev.ctrl_key() || ev.meta_key()) && ev.key() == "z") {
            ev.prevent_default();
            undo();
        }
    };

    let can_save = origin.can_save;
    let save = ServerAction::<crate::api::SaveVariant>::new();
    let save_state = crate::watch::Watch::new(&save);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = save_state.value() {
            navigate(&format!("/v/{id}"), Default::default());
        }
    });
    let save_error = move || match save_state.value() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let (problem_id, parent_variant_id) = (origin.problem_id, origin.parent_variant_id);
    let save_with = can_save.then(|| {
        Callback::new(move |iv: Intervention| {
            let mut operations = ops.get_untracked();
            operations.push(iv);
            save.dispatch(crate::api::SaveVariant {
                problem_id,
                parent_variant_id,
                operations,
            });
        })
    });

    view! {
        <div class="workbench" on:keydown=on_key>
            <p class="question linked-question">{question}</p>
            {summary}
            <div class="bench">
                <Show when=move || drawing.with(Option::is_some) fallback=not_drawn>
                    <GraphView drawing=drawn states=states selected=selected hovered=hovered/>
                </Show>
                <aside class="panel" aria-label="interventions">
                    <NodePanel preview=preview selected=selected push=push save_with=save_with/>
                    <DistractorForm push=push/>
                    <section class="stack">
                        <h3>"Interventions"</h3>
                        {move || {
                            ops.with(Vec::is_empty)
                                .then(|| {
                                    view! {
                                        <p class="muted">
                                            "None yet: pick a node in the graph or a number in the question."
                                        </p>
                                    }
                                })
                        }}
                        <ol class="ops">{stack}</ol>
                        <div class="buttons">
                            <button
                                type="button"
                                class="undo"
                                title="Undo the last intervention (u or Ctrl+Z)"
                                disabled=move || ops.with(Vec::is_empty)
                                on:click=move |_| undo()
                            >
                                "Undo"
                            </button>
                            <button
                                type="button"
                                class="reset"
                                disabled=move || ops.with(Vec::is_empty)
                                on:click=move |_| set_ops(Vec::new())
                            >
                                "Reset"
                            </button>
                            {can_save
                                .then(|| {
                                    view! {
                                        <button
                                            type="button"
                                            class="save primary"
                                            disabled=move || {
                                                ops.with(Vec::is_empty) || save_state.pending()
                                            }
                                            on:click=move |_| {
                                                save.dispatch(crate::api::SaveVariant {
                                                    problem_id,
                                                    parent_variant_id,
                                                    operations: ops.get_untracked(),
                                                });
                                            }
                                        >
                                            "Save as variant"
                                        </button>
                                    }
                                })}
                        </div>
                        {move || save_error().map(|e| view! { <p class="error save-error">{e}</p> })}
                        {move || message.get().map(|m| view! { <p class="error panel-error">{m}</p> })}
                        <ul class="violation-list">{violation_list}</ul>
                    </section>
                </aside>
            </div>
            <section class="live-words" aria-live="polite" aria-label="previewed text">
                <h3>"Text and worked solution of the preview"</h3>
                {live_words}
            </section>
        </div>
    }
    .into_any()
}

/// The controls for the selected node.
#[component]
fn NodePanel(
    preview: RwSignal<Preview>,
    selected: RwSignal<Option<u32>>,
    push: impl Fn(Intervention) + Copy + Send + Sync + 'static,
    /// Saves the stack plus one more intervention at once (where the visitor may save): how a
    /// structural number is set, since only the server reads the program again.
    save_with: Option<Callback<Intervention>>,
) -> impl IntoView {
    move || {
        {
        // `try_get`: the parent owns `selected`, and a server render for a dropped request
        // can outlive it.
        let Some(id) = selected.try_get().flatten() else {
            return view! {
                <section class="node-panel empty">
                    <h3>"Node"</h3>
                    <p class="muted">"Click a node (or Tab to it and press Enter) to change it."</p>
                </section>
            }
            .into_any();
        };
        let node_id = NodeId(id);
        let info = preview.try_with_untracked(|p| {
            p.graph.get(node_id).ok().map(|n| {
                (
                    n.name.clone(),
                    p.graph.role(node_id),
                    n.kind.clone(),
                    p.graph.value(node_id),
                    engine::printer::operation(&p.graph, node_id),
                    n.text.clone(),
                )
            })
        })
        .flatten();
        let Some((name, role, kind, value, op, text)) = info else {
            return view! { <section class="node-panel"></section> }.into_any();
        };
        let is_input = matches!(kind, NodeKind::Input { .. });
        let is_branch = matches!(kind, NodeKind::Branch { .. });
        let graftable = !matches!(kind, NodeKind::Constant);
        let structural = preview
            .try_with_untracked(|p| {
                p.graph
                    .get(node_id)
                    .ok()
                    .and_then(engine::python::structural_note)
                    .map(str::to_string)
            })
            .flatten();
        let is_structural = structural.is_some();
        let role_name = match role {
            Role::Input => "input",
            Role::Constant => "constant",
            Role::Step => "step",
            Role::Proxy => "proxy step",
            Role::Branch => "branch",
            Role::Answer => "answer",
        };
        view! {
            <section class="node-panel">
                <h3>
                    <code>{name}</code>
                    " "
                    <span class="role">{role_name}</span>
                </h3>
                <p class="node-value">"= " {value.to_string()}</p>
                {op.map(|o| view! { <p class="node-op"><code>{o}</code></p> })}
                {text.map(|t| view! { <p class="node-text muted">{t}</p> })}
                {is_input.then(|| view! { <SetValueForm node=node_id value=value push=push/> })}
                {graftable.then(|| view! { <GraftForm node=node_id push=push/> })}
                {is_branch.then(|| view! { <BranchForm node=node_id push=push/> })}
                {structural.map(|why| view! {
                    <p class="muted structural">
                        "This number shapes the program (" {why} "): the graph holds the loop unrolled. "
                        "Changing it reads the program again, on the server, and saves the result as a variant."
                    </p>
                    {save_with.map(|save| view! {
                        <SetValueForm node=node_id value=value push=move |iv| save.run(iv) structural=true/>
                    })}
                })}
                {(kind == NodeKind::Constant && !is_structural)
                    .then(|| {
                        view! {
                            <p class="muted">
                                "A constant the question does not state (such as 60 minutes); constants are never changed."
                            </p>
                        }
                    })}
            </section>
        }
        .into_any()
    }
    .into_any()
    }
}

fn parse_number(text: &str) -> Result<Number, String> {
    text.trim().parse::<Number>().map_err(|e| e.to_string())
}

/// Sets an input's value, or (`structural`) a number that shapes the program, such as a loop
/// count: then `push` saves at once (the server reads the program again) and there is no
/// Invert.
#[component]
fn SetValueForm(
    node: NodeId,
    value: Number,
    push: impl Fn(Intervention) + Copy + Send + Sync + 'static,
    #[prop(optional)] structural: bool,
) -> impl IntoView {
    let text = RwSignal::new(value.to_string());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_number(&text.get_untracked()) {
            Ok(v) => {
                error.set(None);
                push(Intervention::SetInput { node, value: v });
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <form class=if structural { "set-structural" } else { "set-value" } on:submit=submit>
            <label>
                "New value "
                <input type="text" name="value" inputmode="decimal" size="10" bind:value=text/>
            </label>
            <button type="submit">{if structural { "Set and save" } else { "Set" }}</button>
            {(!structural).then(|| view! {
                <button
                    type="button"
                    class="secondary"
                    title="Ask for this input instead: the answer becomes given"
                    on:click=move |_| push(Intervention::Invert { input: node })
                >
                    "Invert"
                </button>
            })}
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </form>
    }
    .into_any()
}

#[component]
fn GraftForm(
    node: NodeId,
    push: impl Fn(Intervention) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let op = RwSignal::new("mul".to_string());
    let k = RwSignal::new("2".to_string());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let op = match op.get_untracked().as_str() {
            "add" => ProxyOp::Add,
            "sub" => ProxyOp::Sub,
            "div" => ProxyOp::Div,
            _ => ProxyOp::Mul,
        };
        match parse_number(&k.get_untracked()) {
            Ok(k) => {
                error.set(None);
                push(Intervention::Graft {
                    node,
                    f: ProxyFn { op, k },
                });
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <form class="graft" on:submit=submit>
            <label>
                "Graft a step "
                <select name="op" bind:value=op>
                    <option value="add">"+ k"</option>
                    <option value="sub">"− k"</option>
                    <option value="mul">"× k"</option>
                    <option value="div">"÷ k"</option>
                </select>
            </label>
            <label>
                " k = " <input type="text" name="k" inputmode="decimal" size="5" bind:value=k/>
            </label>
            <button type="submit">"Graft"</button>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </form>
    }
    .into_any()
}

#[component]
fn BranchForm(
    node: NodeId,
    push: impl Fn(Intervention) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let threshold = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_number(&threshold.get_untracked()) {
            Ok(value) => {
                error.set(None);
                push(Intervention::SetThreshold { node, value });
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <div class="branch-tools">
            <button type="button" on:click=move |_| push(Intervention::FlipBranch { node })>
                "Flip branch"
            </button>
            <form class="threshold" on:submit=submit>
                <label>
                    "Threshold "
                    <input type="text" name="threshold" size="6" bind:value=threshold/>
                </label>
                <button type="submit">"Move"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </div>
    }
    .into_any()
}

#[component]
fn DistractorForm(push: impl Fn(Intervention) + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new("extra".to_string());
    let value = RwSignal::new("7".to_string());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            error.set(Some("give the distractor a name".into()));
            return;
        }
        match parse_number(&value.get_untracked()) {
            Ok(v) => {
                error.set(None);
                push(Intervention::AddDistractor {
                    name: n,
                    value: v,
                    combine: None::<(BinOp, NodeId)>,
                });
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <section class="distractor">
            <h3>"Distractor"</h3>
            <form on:submit=submit>
                <input type="text" name="name" size="8" aria-label="name" bind:value=name/>
                " = "
                <input type="text" name="value" size="5" aria-label="value" bind:value=value/>
                <button type="submit">"Add"</button>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            </form>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> Graph {
        let row = r#"{"question": "Maya picks 24 apples and twice as many on Tuesday. She gives 10 away. How many are left?", "answer": "24 * 2 = <<24*2=48>>48\n24 + 48 = <<24+48=72>>72\n72 - 10 = <<72-10=62>>62\n#### 62"}"#;
        let p = engine::problem::Problem::from_json(row).unwrap();
        engine::problem::extract(&p).unwrap().graph
    }

    #[test]
    fn pieces_cover_the_question_and_link_inputs() {
        let g = graph();
        let pieces = segments(g.question().unwrap_or_default(), &link(&g));
        let text: String = pieces
            .iter()
            .map(|p| match p {
                Segment::Text(t) | Segment::Number { text: t, .. } => t.as_str(),
            })
            .collect();
        assert_eq!(text, g.question().unwrap());
        let linked: Vec<&str> = pieces
            .iter()
            .filter_map(|p| match p {
                Segment::Number {
                    text: t,
                    node: Some(_),
                } => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            linked.contains(&"24") && linked.contains(&"10"),
            "{linked:?}"
        );
    }

    #[test]
    fn preview_applies_the_stack_and_reports_the_failing_one() {
        let g = graph();
        let input = g
            .ids()
            .find(|&id| g.role(id) == Role::Input && g.value(id) == Number::from(24))
            .unwrap();
        let ops = vec![Intervention::SetInput {
            node: input,
            value: Number::from(30),
        }];
        let p = preview_of(&g, &ops).unwrap();
        assert_eq!(p.graph.answer_value(), Number::from(80));
        assert_eq!(
            violations_of(&g, &p.graph),
            engine::constraints::check(&g, &p.graph, &Constraints::default())
        );
        let bad = vec![
            ops[0].clone(),
            Intervention::FlipBranch { node: input }, // not a branch
        ];
        let err = preview_of(&g, &bad).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(describe(&g, &ops[0]).contains("= 30"));
    }

    #[test]
    fn checking_only_the_changed_nodes_finds_what_the_full_check_finds() {
        let g = graph();
        let input = g
            .ids()
            .find(|&id| g.role(id) == Role::Input && g.value(id) == Number::from(24))
            .unwrap();
        let step = g.ids().find(|&id| g.role(id) == Role::Step).unwrap();
        let full = |p: &Preview| engine::constraints::check(&g, &p.graph, &Constraints::default());
        // Too big (magnitude), a fraction (whole numbers), a graft that halves a step.
        let stacks = [
            vec![Intervention::SetInput {
                node: input,
                value: Number::from(1000),
            }],
            vec![Intervention::SetInput {
                node: input,
                value: "24.5".parse().unwrap(),
            }],
            vec![Intervention::Graft {
                node: step,
                f: ProxyFn {
                    op: ProxyOp::Div,
                    k: Number::from(7),
                },
            }],
        ];
        let mut broken = 0;
        for ops in stacks {
            let p = preview_of(&g, &ops).unwrap();
            let found = violations_of(&g, &p.graph);
            assert_eq!(found, full(&p), "{ops:?}");
            broken += found.len();
        }
        assert!(broken >= 3, "the stacks should break rules: {broken}");
    }
}
