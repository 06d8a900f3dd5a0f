//! The computation graph as an interactive inline SVG: layered boxes (from `engine::layout`),
//! values drawn separately from geometry, pan (drag), zoom (wheel, `+`/`-`, buttons), fit (`0`),
//! keyboard-focusable nodes, and highlight of the selected, hovered and changed nodes.
//!
//! The server renders the same SVG at full extent; after hydration the view box follows the
//! user's pan and zoom.

use leptos::prelude::*;

use crate::model::{role_class, Drawing, NODE_HEIGHT, NODE_WIDTH};

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

    let edges = move || {
        drawing.with(|d| {
            d.edges
                .iter()
                .map(|e| {
                    let (from, to) = (e.from, e.to);
                    let lit = move || {
                        let h = hovered.get().or(selected.get());
                        h == Some(from) || h == Some(to)
                    };
                    view! {
                        <polyline
                            class="edge"
                            class:lit=lit
                            points=e.svg_points()
                            marker-end="url(#arrow)"
                        ></polyline>
                    }
                })
                .collect_view()
        })
    };
    let nodes = move || {
        drawing.with(|d| {
            d.nodes
                .iter()
                .map(|n| {
                    let id = n.id;
                    let idx = id as usize;
                    let state = move || states.with(|s| s.get(idx).cloned().unwrap_or_default());
                    let left = n.x - NODE_WIDTH / 2;
                    let top = n.y - NODE_HEIGHT / 2;
                    let (x, y) = (n.x, n.y);
                    let name = n.name.clone();
                    let label = n.label.clone();
                    let op = n.op.clone().unwrap_or_default();
                    let text = n.text.clone();
                    let role = role_class(n.role);
                    let tip = move || {
                        let st = state();
                        let mut t = format!("{name} = {}", st.value);
                        if let Some(old) = &st.old {
                            t.push_str(&format!(" (was {old})"));
                        }
                        if let Some(text) = &text {
                            t.push('\n');
                            t.push_str(text);
                        }
                        if let Some(v) = &st.violation {
                            t.push_str("\n⚠ ");
                            t.push_str(v);
                        }
                        t
                    };
                    let value = move || {
                        let st = state();
                        match st.old {
                            Some(old) => format!("{old} → {}", st.value),
                            None => st.value,
                        }
                    };
                    let aria = {
                        let label = n.name.clone();
                        move || format!("{label} = {}", state().value)
                    };
                    view! {
                        <g
                            class=format!("node {role}")
                            class:selected=move || selected.get() == Some(id)
                            class:hovered=move || hovered.get() == Some(id)
                            class:changed=move || state().old.is_some()
                            class:added=move || state().added
                            class:violation=move || state().violation.is_some()
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
                            <text class="value" x=x y={y - 10} text-anchor="middle">
                                {value}
                            </text>
                            <text class="name" x=x y={y + 8} text-anchor="middle">
                                {label}
                            </text>
                            <text class="op" x=x y={y + 23} text-anchor="middle">
                                {op}
                            </text>
                        </g>
                    }
                })
                .collect_view()
        })
    };
    let vb_attr = move || {
        let (x, y, w, h) = view_box.get();
        format!("{x:.1} {y:.1} {w:.1} {h:.1}")
    };
    let height = move || drawing.with(|d| format!("height: min(72vh, {}px)", d.height.max(160)));
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
                <g class="edges">{edges}</g>
                <g class="nodes">{nodes}</g>
            </svg>
        </div>
    }
    .into_any()
}
