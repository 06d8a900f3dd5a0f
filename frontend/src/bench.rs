//! Benchmarks inside the browser: one `SetInput` cascade, and a layout, on a synthetic layered
//! graph (micro-benchmarks of the engine), and the workbench itself mounted on such a graph
//! (`bench_workbench`, which `end2end/bench.mjs` clicks through to time click → repaint).
//! `end2end/bench.mjs` calls the exported functions in Chromium on the release bundle. The graph itself is plain Rust (tested natively); only the timing
//! functions exist in the wasm build (feature `hydrate`).

use engine::{BinOp, Expr, Graph, GraphBuilder, GraphError, NodeId, Number};

/// Nodes per layer of [`synthetic`]: about ten layers whatever the size.
fn layer_width(nodes: u32) -> u32 {
    nodes.div_ceil(10).max(2)
}

/// A layered graph of exactly `nodes` nodes (at least 3): `w = ⌈nodes/10⌉` inputs, then steps
/// in layers of `w`. Step `i` reads the node `w` places before it (previous layer) and one a
/// pseudo-random distance further back, with `+`, `−`, `×2` or `÷4`, so about ten layers
/// with some edges that skip layers. The answer is the last step.
pub fn synthetic(nodes: u32) -> Result<Graph, GraphError> {
    let n = nodes.max(3) as usize;
    let w = layer_width(n as u32) as usize;
    let mut b = GraphBuilder::new(None);
    let mut ids: Vec<NodeId> = (0..w)
        .map(|i| b.input(&format!("in{i}"), Number::int(i as i128 % 17 + 1), None))
        .collect();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m as u64) as usize
    };
    for i in w..n {
        let near = ids[i - w];
        let far = ids[(i - w).saturating_sub(next(w))];
        let expr = match next(4) {
            0 => Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
            1 => Expr::bin(BinOp::Sub, Expr::Arg(0), Expr::Arg(1)),
            2 => Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Lit(Number::int(2))),
            _ => Expr::bin(BinOp::Div, Expr::Arg(0), Expr::Lit(Number::int(4))),
        };
        ids.push(b.step(&format!("s{i}"), expr, vec![near, far])?);
    }
    b.build(ids[n - 1])
}

/// The input with the most descendants: the heaviest cascade (in [`synthetic`] graphs about 80%
/// of the nodes: 801 of 1,000).
pub fn heaviest_input(g: &Graph) -> NodeId {
    let inputs = g.ids().filter(|&id| g.node(id).operands.is_empty());
    inputs
        .max_by_key(|&id| g.descendants(&[id]).len())
        .unwrap_or(NodeId(0))
}

#[cfg(feature = "hydrate")]
mod timing {
    use std::hint::black_box;

    use engine::intervene::{apply, Intervention};
    use engine::layout::{layout, Spacing};
    use engine::Number;
    use wasm_bindgen::prelude::*;

    use super::{heaviest_input, synthetic};

    #[wasm_bindgen]
    extern "C" {
        /// `performance.now()`: milliseconds, as precise as the browser allows (Chromium
        /// coarsens it to 0.1 ms without cross-origin isolation, hence the means over runs).
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    // Each benchmark's body is a `#[lazy]` split point: the engine code it runs and the
    // workbench load with the benchmark (a chunk of their own), not with the first page. So the
    // exports are async: JavaScript awaits them.

    /// Mean milliseconds of one `SetInput` on the heaviest input of a `nodes`-node
    /// [`synthetic`] graph, applied in place with its cascade, over `iters` runs (the value
    /// alternates between 5 and 6, so every run changes it). NaN if the graph cannot be built.
    #[wasm_bindgen]
    pub async fn bench_cascade(nodes: u32, iters: u32) -> f64 {
        cascade(nodes, iters).await
    }

    #[leptos::lazy]
    fn cascade(nodes: u32, iters: u32) -> f64 {
        let Ok(mut g) = synthetic(nodes) else {
            return f64::NAN;
        };
        let input = heaviest_input(&g);
        let ivs = [5, 6].map(|v| Intervention::SetInput {
            node: input,
            value: Number::int(v),
        });
        let iters = iters.max(1);
        let start = performance_now();
        for i in 0..iters {
            if black_box(apply(&mut g, &ivs[i as usize % 2])).is_err() {
                return f64::NAN;
            }
        }
        (performance_now() - start) / f64::from(iters)
    }

    /// Mean milliseconds of `engine::layout::layout` of a `nodes`-node [`synthetic`] graph
    /// over `iters` runs. NaN if the graph cannot be built.
    #[wasm_bindgen]
    pub async fn bench_layout(nodes: u32, iters: u32) -> f64 {
        layout_ms(nodes, iters).await
    }

    #[leptos::lazy]
    fn layout_ms(nodes: u32, iters: u32) -> f64 {
        let Ok(g) = synthetic(nodes) else {
            return f64::NAN;
        };
        let iters = iters.max(1);
        let start = performance_now();
        for _ in 0..iters {
            black_box(layout(black_box(&g), Spacing::default()));
        }
        (performance_now() - start) / f64::from(iters)
    }

    /// Mounts the intervention workbench on a `nodes`-node [`synthetic`] graph, drawn as the
    /// server would (`Drawing::new`), into a new `<div id="bench-workbench">` at the end of
    /// `<body>` (inside its own router: the workbench navigates after a save). Returns the id of
    /// the heaviest input (the node whose value change cascades furthest), for the benchmark to
    /// click. The graph cannot be saved (no problem behind it).
    #[wasm_bindgen]
    pub async fn bench_workbench(nodes: u32) -> Result<u32, JsValue> {
        mount_workbench(nodes)
            .await
            .map_err(|e| JsValue::from_str(&e))
    }

    /// [`bench_workbench`]'s body, errors as text (a `JsValue` cannot cross the split).
    #[leptos::lazy]
    fn mount_workbench(nodes: u32) -> Result<u32, String> {
        use app::workbench::{Origin, Workbench};
        use leptos::prelude::*;
        use leptos::wasm_bindgen::JsCast;
        use leptos_router::components::Router;
        use types::model::{Drawing, ServerDrawing};

        let js_err = |e: JsValue| format!("bench_workbench: {e:?}");
        let graph = synthetic(nodes).map_err(|e| format!("bench_workbench({nodes}): {e}"))?;
        let input = heaviest_input(&graph).0;
        let drawing = ServerDrawing::Drawn(Drawing::new(&graph));
        let doc = document();
        let host = doc.create_element("div").map_err(js_err)?;
        host.set_id("bench-workbench");
        doc.body()
            .ok_or_else(|| "bench_workbench: the page has no <body>".to_string())?
            .append_child(&host)
            .map_err(js_err)?;
        let origin = Origin {
            problem_id: 0,
            parent_variant_id: None,
            can_save: false,
        };
        leptos::mount::mount_to(host.unchecked_into(), move || {
            view! {
                <Router>
                    <Workbench graph=graph drawing=drawing origin=origin/>
                </Router>
            }
        })
        .forget();
        Ok(input)
    }
}

#[cfg(feature = "hydrate")]
pub use timing::{bench_cascade, bench_layout, bench_workbench};

#[cfg(test)]
mod tests {
    use super::*;
    use engine::intervene::{apply, Intervention};

    #[test]
    fn synthetic_graphs_have_the_asked_size_and_about_ten_layers() {
        for n in [3, 10, 200, 1000, 5000] {
            let g = synthetic(n).unwrap();
            assert_eq!(g.len(), n as usize);
            let layers = g.levels().into_iter().max().unwrap() + 1;
            assert!((2..=11).contains(&layers), "{n} nodes: {layers} layers");
        }
    }

    #[test]
    fn the_cascade_reaches_many_nodes_and_equals_a_full_evaluation() {
        let mut g = synthetic(1000).unwrap();
        let input = heaviest_input(&g);
        let diff = apply(
            &mut g,
            &Intervention::SetInput {
                node: input,
                value: Number::int(1000),
            },
        )
        .unwrap();
        assert!(diff.changes.len() > 100, "{} changes", diff.changes.len());
        let mut full = g.clone();
        full.evaluate_all().unwrap();
        assert_eq!(full.values(), g.values());
    }
}
