//! A computation graph as an inline SVG (layered layout from `engine::layout`).

use leptos::prelude::*;

use crate::model::{role_class, Drawing, NODE_HEIGHT, NODE_WIDTH};

/// Draws `drawing`: boxes for nodes (value on top, name below), arrows for operand edges.
#[component]
pub fn GraphSvg(drawing: Drawing) -> impl IntoView {
    let view_box = format!("0 0 {} {}", drawing.width, drawing.height);
    let edges = drawing
        .edges
        .into_iter()
        .map(|e| {
            view! {
                <line class="edge" x1=e.x1 y1=e.y1 x2=e.x2 y2=e.y2 marker-end="url(#arrow)"></line>
            }
        })
        .collect_view();
    let nodes = drawing
        .nodes
        .into_iter()
        .map(|n| {
            let class = format!("node {}", role_class(n.role));
            let left = n.x - NODE_WIDTH / 2;
            let top = n.y - NODE_HEIGHT / 2;
            let tip = match &n.text {
                Some(t) => format!("{} = {}\n{}", n.name, n.value, t),
                None => format!("{} = {}", n.name, n.value),
            };
            view! {
                <g class=class>
                    <title>{tip}</title>
                    <rect x=left y=top width=NODE_WIDTH height=NODE_HEIGHT rx="8"></rect>
                    <text class="value" x=n.x y={n.y - 3} text-anchor="middle">{n.value}</text>
                    <text class="name" x=n.x y={n.y + 14} text-anchor="middle">{n.label}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="graph"
            xmlns="http://www.w3.org/2000/svg"
            viewBox=view_box
            width=drawing.width
            height=drawing.height
            role="img"
            aria-label="computation graph"
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
    }
}
