//! The computation graph as an interactive inline SVG: layered boxes (from `engine::layout`),
//! values drawn separately from geometry, pan (drag), zoom (wheel, `+`/`-`, buttons), fit (`0`),
//! keyboard-focusable nodes, and highlight of the selected, hovered and changed nodes.
//!
//! The server renders the same SVG at full extent; after hydration the view box follows the
//! user's pan and zoom.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::model::{role_class, Drawing, DrawnNode, NODE_HEIGHT, NODE_WIDTH};

/// What the view shows about one node beyond its geometry, indexed by node id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeState {
    /// The value now (in the preview, if any).
    pub value: String,
    /// The value before the preview, when the preview changed it.
    pub old: Option<String>,
    /// Whether the preview added this node.
    pub added: bool,
    /// A constraint violation on this node, if any.
    pub violation: Option<String>,
}

/// A node's signals in the view: where its box is, what the box says (none once a relayout
/// dropped it; its `x` and `y` are not kept up to date) and its state. A relayout that only
/// moves a box wakes its position alone.
#[derive(Clone)]
struct NodeSlot {
    at: ArcRwSignal<Option<(u32, u32)>>,
    look: ArcRwSignal<Option<DrawnNode>>,
    state: ArcRwSignal<NodeState>,
}

/// Whether two boxes say the same (position aside).
fn same_look(a: Option<&DrawnNode>, b: Option<&DrawnNode>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.id == b.id
                && a.role == b.role
                && a.name == b.name
                && a.label == b.label
                && a.op == b.op
                && a.text == b.text
        }
        (None, None) => true,
        _ => false,
    }
}

/// Node `idx`'s box in `d` (the nodes are indexed by id; searched when they are not).
fn drawn_node(d: &Drawing, idx: usize) -> Option<&DrawnNode> {
    d.nodes
        .get(idx)
        .filter(|n| n.id as usize == idx)
        .or_else(|| d.nodes.iter().find(|n| n.id as usize == idx))
}

/// A view box: left, top, width, height in drawing coordinates.
type ViewBox = (f64, f64, f64, f64);

fn full(d: &Drawing) -> ViewBox {
    (0.0, 0.0, d.width.max(1) as f64, d.height.max(1) as f64)
}

/// Draws `drawing` with per-node `states`; clicking or pressing Enter on a node selects it.
#[component]
pub fn GraphView(
    /// The layout (changes only when the structure does).
    #[prop(into)]
    drawing: Signal<Drawing>,
    /// Values and highlights per node id.
    #[prop(into)]
    states: Signal<Vec<NodeState>>,
    /// The selected node.
    selected: RwSignal<Option<u32>>,
    /// The node under the pointer (here or in the question text).
    hovered: RwSignal<Option<u32>>,
) -> impl IntoView {
    let view_box = RwSignal::new(drawing.with_untracked(full));
    // A new structure (a graft added a node): show all of it again.
    Effect::new(move |prev: Option<(u32, u32)>| {
        let size = drawing.with(|d| (d.width, d.height));
        if prev.is_some_and(|p| p != size) {
            view_box.set(drawing.with_untracked(full));
        }
        size
    });
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    // Pointer drag state: client position and view box at the start.
    let drag = StoredValue::new(None::<(f64, f64, ViewBox)>);

    // Scale (screen px per drawing unit) and screen offset of the drawing, as for
    // preserveAspectRatio="xMidYMid meet".
    let metrics = move || -> Option<(f64, f64, f64, f64, f64)> {
        let svg = svg_ref.get_untracked()?;
        let r = svg.get_bounding_client_rect();
        let (_, _, w, h) = view_box.get_untracked();
        if r.width() <= 0.0 || r.height() <= 0.0 {
            return None;
        }
        let s = (r.width() / w).min(r.height() / h);
        let ox = r.left() + (r.width() - w * s) / 2.0;
        let oy = r.top() + (r.height() - h * s) / 2.0;
        Some((s, ox, oy, r.width(), r.height()))
    };
    let zoom_at = move |factor: f64, cx: Option<(f64, f64)>| {
        let Some((s, ox, oy, _, _)) = metrics() else {
            return;
        };
        view_box.update(|vb| {
            let (x, y, w, h) = *vb;
            let limit = drawing.with_untracked(|d| d.width.max(d.height) as f64 * 4.0);
            let nw = (w * factor).clamp(80.0, limit.max(400.0));
            let f = nw / w;
            // Keep the drawing point under the cursor (else the centre) fixed.
            let (px, py) = match cx {
                Some((cx, cy)) => (x + (cx - ox) / s, y + (cy - oy) / s),
                None => (x + w / 2.0, y + h / 2.0),
            };
            *vb = (px - (px - x) * f, py - (py - y) * f, w * f, h * f);
        });
    };
    // Level of detail: zoomed so far out that a value's text would be under 4 px on screen (a
    // large graph fitted to the view), the texts are hidden (class `far` on the SVG). They are
    // unreadable there anyway, and the browser is spared laying out and painting thousands of
    // them at every change. The server renders them; the browser decides once it has a size.
    let far = RwSignal::new(false);
    Effect::new(move |_| {
        view_box.track();
        let _ = svg_ref.get();
        if let Some((s, ..)) = metrics() {
            let now = s * 14.0 < 4.0;
            if far.get_untracked() != now {
                far.set(now);
            }
        }
    });
    let on_wheel = move |ev: leptos::ev::WheelEvent| {
        ev.prevent_default();
        let factor = (ev.delta_y() * 0.0015).exp();
        zoom_at(factor, Some((ev.client_x() as f64, ev.client_y() as f64)));
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        drag.set_value(Some((
            ev.client_x() as f64,
            ev.client_y() as f64,
            view_box.get_untracked(),
        )));
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        let Some((sx, sy, (x, y, w, h))) = drag.get_value() else {
            return;
        };
        let Some((s, ..)) = metrics() else {
            return;
        };
        let (dx, dy) = (ev.client_x() as f64 - sx, ev.client_y() as f64 - sy);
        if dx.abs() + dy.abs() > 3.0 {
            view_box.set((x - dx / s, y - dy / s, w, h));
        }
    };
    let on_up = move |_| drag.set_value(None);
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "+" | "=" => {
            ev.prevent_default();
            zoom_at(0.8, None);
        }
        "-" | "_" => {
            ev.prevent_default();
            zoom_at(1.25, None);
        }
        "0" => {
            ev.prevent_default();
            view_box.set(drawing.with_untracked(full));
        }
        "Escape" => selected.set(None),
        _ => {}
    };

    // Only what changed re-renders. Rows are keyed by node id (edges by their ends); each row
    // reads its own signals, which one effect per source sets only where a value differs: a
    // value preview wakes the nodes whose state changed (their value, label and class), a
    // relayout moves the boxes that moved (their `transform` alone) and builds only the new
    // ones. No source has a subscriber per node (thousands of subscribers to one signal make
    // every change quadratic), and selection and hover go through selectors that wake the two
    // rows concerned.
    // The selectors read with `try_get`: during server rendering a selector's closure may run
    // once more after the page's owner (and the signals it owns) is gone, and a plain `get`
    // panicked there. The same goes for every read of the props `drawing` and `states` while
    // the view is built (`try_with`): the parent owns them.
    let is_selected = StoredValue::new(Selector::new(move || selected.try_get().flatten()));
    let is_hovered = StoredValue::new(Selector::new(move || hovered.try_get().flatten()));
    // An edge is lit when it touches the hovered node, else the selected one.
    let is_focus = StoredValue::new(Selector::new(move || {
        hovered.try_get().flatten().or(selected.try_get().flatten())
    }));

    let node_slots = StoredValue::new(Vec::<NodeSlot>::new());
    // The signals of node `id`, made on first use from the drawing and states of now.
    let node_slot = move |id: u32| -> NodeSlot {
        let idx = id as usize;
        node_slots.update_value(|v| {
            while v.len() <= idx {
                let i = v.len();
                let look = drawing
                    .try_with_untracked(|d| drawn_node(d, i).cloned())
                    .flatten();
                v.push(NodeSlot {
                    at: ArcRwSignal::new(look.as_ref().map(|n| (n.x, n.y))),
                    look: ArcRwSignal::new(look),
                    state: ArcRwSignal::new(
                        states
                            .try_with_untracked(|s| s.get(i).cloned())
                            .flatten()
                            .unwrap_or_default(),
                    ),
                });
            }
        });
        node_slots.with_value(|v| v[idx].clone())
    };
    Effect::new(move |_| {
        drawing.with(|d| {
            // The boxes by id, once (a drawing need not list them in id order).
            let len = d.nodes.iter().map(|n| n.id as usize + 1).max().unwrap_or(0);
            let mut by_id = vec![None::<&DrawnNode>; len];
            for n in &d.nodes {
                by_id[n.id as usize] = Some(n);
            }
            node_slots.with_value(|v| {
                for (i, slot) in v.iter().enumerate() {
                    let now = by_id.get(i).copied().flatten();
                    let at = now.map(|n| (n.x, n.y));
                    if slot.at.with_untracked(|a| *a != at) {
                        slot.at.set(at);
                    }
                    if !slot.look.with_untracked(|l| same_look(l.as_ref(), now)) {
                        slot.look.set(now.cloned());
                    }
                }
            })
        })
    });
    Effect::new(move |_| {
        states.with(|s| {
            node_slots.with_value(|v| {
                for (i, NodeSlot { state, .. }) in v.iter().enumerate() {
                    match s.get(i) {
                        Some(now) if state.with_untracked(|st| st != now) => state.set(now.clone()),
                        None if state.with_untracked(|st| *st != NodeState::default()) => {
                            state.set(NodeState::default())
                        }
                        _ => {}
                    }
                }
            })
        })
    });
    let edge_slots = StoredValue::new(HashMap::<(u32, u32), ArcRwSignal<String>>::new());
    let edge_slot = move |key: (u32, u32)| -> ArcRwSignal<String> {
        if let Some(s) = edge_slots.with_value(|m| m.get(&key).cloned()) {
            return s;
        }
        let points = drawing
            .try_with_untracked(|d| {
                d.edges
                    .iter()
                    .find(|e| (e.from, e.to) == key)
                    .map(|e| e.svg_points())
            })
            .flatten()
            .unwrap_or_default();
        let s = ArcRwSignal::new(points);
        edge_slots.update_value(|m| {
            m.insert(key, s.clone());
        });
        s
    };
    Effect::new(move |_| {
        drawing.with(|d| {
            edge_slots.with_value(|m| {
                for e in &d.edges {
                    if let Some(s) = m.get(&(e.from, e.to)) {
                        let now = e.svg_points();
                        if s.with_untracked(|p| *p != now) {
                            s.set(now);
                        }
                    }
                }
            })
        })
    });

    let edge_keys = move || {
        drawing
            .try_with(|d| d.edges.iter().map(|e| (e.from, e.to)).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let edge_row = move |(from, to): (u32, u32)| {
        let points = RwSignal::from(edge_slot((from, to)));
        let lit = move || is_focus.with_value(|f| f.selected(&Some(from)) || f.selected(&Some(to)));
        view! {
            <polyline
                class="edge"
                class:lit=lit
                points=move || points.get()
                marker-end="url(#arrow)"
            ></polyline>
        }
    };
    let node_ids = move || {
        drawing
            .try_with(|d| d.nodes.iter().map(|n| n.id).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let node_row = move |id: u32| {
        let NodeSlot { at, look, state } = node_slot(id);
        let (at, node, state) = (
            RwSignal::from(at),
            RwSignal::from(look),
            RwSignal::from(state),
        );
        let text_of = move |f: fn(&DrawnNode) -> String| {
            move || node.with(|n| n.as_ref().map(f).unwrap_or_default())
        };
        // The tooltip: the node's name and text, and, while the node is hovered or focused
        // (when a tooltip shows), its value, old value and violation. Only then does the title
        // follow the node's state: a preview that changes hundreds of values does not rewrite
        // hundreds of titles (the aria-label carries the value at all times).
        let tip = move || {
            let shown = is_hovered.with_value(|s| s.selected(&Some(id)));
            let mut t = node.with(|n| n.as_ref().map(|n| n.name.clone()).unwrap_or_default());
            if shown {
                state.with(|st| {
                    t.push_str(" = ");
                    t.push_str(&st.value);
                    if let Some(old) = &st.old {
                        t.push_str(" (was ");
                        t.push_str(old);
                        t.push(')');
                    }
                });
            }
            node.with(|n| {
                if let Some(text) = n.as_ref().and_then(|n| n.text.as_ref()) {
                    t.push('\n');
                    t.push_str(text);
                }
            });
            if shown {
                state.with(|st| {
                    if let Some(v) = &st.violation {
                        t.push_str("\n⚠ ");
                        t.push_str(v);
                    }
                });
            }
            t
        };
        let value = move || {
            state.with(|st| match &st.old {
                Some(old) => format!("{old} → {}", st.value),
                None => st.value.clone(),
            })
        };
        let aria = move || {
            let name = node.with(|n| n.as_ref().map(|n| n.name.clone()).unwrap_or_default());
            state.with(|st| format!("{name} = {}", st.value))
        };
        // The box is drawn around (0, 0) and moved as a whole.
        let transform = move || {
            let (x, y) = at.get().unwrap_or((0, 0));
            format!("translate({x} {y})")
        };
        // All the classes in one attribute, one closure: a node whose state changes re-renders
        // its class once, not once per class (class directives would each be an effect).
        let class = move || {
            let mut c = String::from("node ");
            c.push_str(node.with(|n| n.as_ref().map_or("step", |n| role_class(n.role))));
            if is_selected.with_value(|s| s.selected(&Some(id))) {
                c.push_str(" selected");
            }
            if is_hovered.with_value(|s| s.selected(&Some(id))) {
                c.push_str(" hovered");
            }
            state.with(|st| {
                for (on, name) in [
                    (st.old.is_some(), " changed"),
                    (st.added, " added"),
                    (st.violation.is_some(), " violation"),
                ] {
                    if on {
                        c.push_str(name);
                    }
                }
            });
            c
        };
        let (left, top) = (-i64::from(NODE_WIDTH / 2), -i64::from(NODE_HEIGHT / 2));
        view! {
            <g
                class=class
                transform=transform
                data-node=id
                tabindex="0"
                role="button"
                aria-label=aria
                on:click=move |_| selected.set(Some(id))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" || ev.key() == " " {
                        ev.prevent_default();
                        selected.set(Some(id));
                    }
                }
                on:mouseenter=move |_| hovered.set(Some(id))
                on:mouseleave=move |_| hovered.set(None)
                on:focus=move |_| hovered.set(Some(id))
                on:blur=move |_| hovered.set(None)
            >
                <title>{tip}</title>
                <rect x=left y=top width=NODE_WIDTH height=NODE_HEIGHT rx="8"></rect>
                <text class="value" x="0" y="-10" text-anchor="middle">
                    {value}
                </text>
                <text class="name" x="0" y="8" text-anchor="middle">
                    {text_of(|n| n.label.clone())}
                </text>
                <text class="op" x="0" y="23" text-anchor="middle">
                    {text_of(|n| n.op.clone().unwrap_or_default())}
                </text>
            </g>
        }
    };
    let vb_attr = move || {
        let (x, y, w, h) = view_box.get();
        format!("{x:.1} {y:.1} {w:.1} {h:.1}")
    };
    let height = move || {
        let h = drawing.try_with(|d| d.height).unwrap_or_default();
        format!("height: min(72vh, {}px)", h.max(160))
    };
    view! {
        <div class="graph-view">
            <div class="graph-tools" role="toolbar" aria-label="zoom">
                <button type="button" title="Zoom in (+)" on:click=move |_| zoom_at(0.8, None)>
                    "+"
                </button>
                <button type="button" title="Zoom out (−)" on:click=move |_| zoom_at(1.25, None)>
                    "−"
                </button>
                <button
                    type="button"
                    title="Show all (0)"
                    on:click=move |_| view_box.set(drawing.with_untracked(full))
                >
                    "fit"
                </button>
                <span class="hint">"drag to pan · wheel or +/− to zoom · Tab to a node, Enter to pick it"</span>
            </div>
            <svg
                node_ref=svg_ref
                class="graph"
                class:far=move || far.get()
                xmlns="http://www.w3.org/2000/svg"
                viewBox=vb_attr
                preserveAspectRatio="xMidYMid meet"
                style=height
                role="group"
                aria-label="computation graph"
                tabindex="0"
                on:wheel=on_wheel
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:pointerleave=on_up
                on:keydown=on_key
            >
                <defs>
                    <marker
                        id="arrow"
                        viewBox="0 0 10 10"
                        refX="9"
                        refY="5"
                        markerWidth="7"
                        markerHeight="7"
                        orient="auto-start-reverse"
                    >
                        <path d="M 0 0 L 10 5 L 0 10 z"></path>
                    </marker>
                </defs>
                <g class="edges">
                    <For each=edge_keys key=|k| *k children=edge_row/>
                </g>
                <g class="nodes">
                    <For each=node_ids key=|id| *id children=node_row/>
                </g>
            </svg>
        </div>
    }
    .into_any()
}
