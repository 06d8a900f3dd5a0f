//! The dataset page's "Evaluation" section: an SVG line chart of each model's accuracy
//! (0–100%) against depth with Wilson 95% error bars, a legend and a tooltip (`<title>`) on
//! each point, then a compact table by round and by intervention kind with pass@k. The data
//! is the dataset's [`EvalReport`] (`types::eval`), read through
//! [`get_eval_report`](crate::api::get_eval_report).

use leptos::prelude::*;
use types::eval::{kind_label, Cell, EvalReport, ModelEval};

use crate::api::get_eval_report;

/// Distinct line colours (Okabe–Ito, colour-blind safe); models past the eighth reuse them
/// with a dashed line.
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#7f6d00", "#1d2330",
];

/// The plot area and margins, in SVG units.
const PLOT_W: f64 = 420.0;
const PLOT_H: f64 = 200.0;
const LEFT: f64 = 48.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;
const LEGEND_W: f64 = 170.0;
const LEGEND_ROW: f64 = 18.0;
/// The longest model name the legend writes out (the rest in its tooltip).
const LEGEND_CHARS: usize = 20;

/// Model `i`'s colour and dash pattern (none for the first eight).
pub fn style_of(i: usize) -> (&'static str, Option<&'static str>) {
    (
        PALETTE[i % PALETTE.len()],
        (i >= PALETTE.len()).then_some("6 3"),
    )
}

/// The depths on the x axis: `(lowest, highest)` over every model (`None`: no data).
pub fn depth_range(report: &EvalReport) -> Option<(u32, u32)> {
    let depths = || {
        report
            .models
            .iter()
            .flat_map(|m| m.by_depth.iter().map(|d| d.depth))
    };
    Some((depths().min()?, depths().max()?))
}

/// The x coordinate of `depth` on an axis from `lo` to `hi` (one depth: the middle).
pub fn x_of(depth: u32, lo: u32, hi: u32) -> f64 {
    if hi <= lo {
        return LEFT + PLOT_W / 2.0;
    }
    let pad = 16.0;
    LEFT + pad + (PLOT_W - 2.0 * pad) * f64::from(depth - lo) / f64::from(hi - lo)
}

/// The y coordinate of an accuracy `p` (0–1; clamped).
pub fn y_of(p: f64) -> f64 {
    TOP + PLOT_H * (1.0 - p.clamp(0.0, 1.0))
}

/// The depths that get a tick: every one up to 12 of them, else about ten evenly spaced.
pub fn depth_ticks(lo: u32, hi: u32) -> Vec<u32> {
    let span = hi.saturating_sub(lo);
    let step = if span <= 12 { 1 } else { span.div_ceil(10) };
    let mut ticks: Vec<u32> = (lo..=hi).step_by(step as usize).collect();
    if ticks.last() != Some(&hi) {
        ticks.push(hi);
    }
    ticks
}

/// A point's tooltip: `model, depth 3: 9/12 (75.0%, 95% CI 46.8–91.1%)`.
pub fn point_title(model: &str, depth: u32, c: &Cell) -> String {
    format!(
        "{model}, depth {depth}: {}/{} ({:.1}%, 95% CI {:.1}–{:.1}%)",
        c.correct,
        c.n,
        100.0 * c.accuracy,
        100.0 * c.low,
        100.0 * c.high
    )
}

/// `1 solution`, `2 solutions`.
fn counted(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `1.0` as `"1.0"`: SVG coordinates with one decimal (the same text on server and browser).
fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// The dataset page's "Evaluation" section (its own resource, made before anything is
/// awaited so that server and browser create resources in the same order).
#[component]
pub fn EvalPanel(
    /// The dataset.
    dataset_id: i64,
) -> impl IntoView {
    let report = Resource::new(move || dataset_id, get_eval_report);
    view! {
        <section class="evaluation">
            <h2>"Evaluation"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading the evaluation…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(r) if r.models.is_empty() => view! {
                            <p class="muted eval-empty">
                                "No model solutions are stored for this dataset yet. Ask a model to \
                                 solve its variants with the “Solve with the model” form above (an \
                                 admin's), with "<code>"graft solve --dataset "{dataset_id}</code>
                                " or through "<code>"POST /api/variants/{id}/solutions"</code>
                                "; the accuracy by depth appears here."
                            </p>
                        }
                        .into_any(),
                        Ok(r) => view! {
                            <AccuracyChart report=r.clone()/>
                            <EvalTable report=r/>
                        }
                        .into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The line chart: accuracy against depth, a line per model with error bars (Wilson 95%).
#[component]
pub fn AccuracyChart(
    /// The report to draw (at least one model with a depth).
    report: EvalReport,
) -> impl IntoView {
    let Some((lo, hi)) = depth_range(&report) else {
        return ().into_any();
    };
    let models = report.models.len();
    let width = LEFT + PLOT_W + LEGEND_W;
    let height = (TOP + PLOT_H + BOTTOM).max(TOP + LEGEND_ROW * models as f64 + 8.0);
    let (x0, x1, y0) = (LEFT, LEFT + PLOT_W, TOP + PLOT_H);
    let y_ticks = [0u32, 25, 50, 75, 100]
        .into_iter()
        .map(|t| {
            let y = px(y_of(f64::from(t) / 100.0));
            view! {
                <line class="grid" x1=px(x0) y1=y.clone() x2=px(x1) y2=y.clone()></line>
                <text class="tick" x=px(x0 - 6.0) y=y dy="0.32em" text-anchor="end">{format!("{t}%")}</text>
            }
        })
        .collect_view();
    let x_ticks = depth_ticks(lo, hi)
        .into_iter()
        .map(|d| {
            let x = px(x_of(d, lo, hi));
            view! {
                <line class="tick-mark" x1=x.clone() y1=px(y0) x2=x.clone() y2=px(y0 + 4.0)></line>
                <text class="tick" x=x y=px(y0 + 16.0) text-anchor="middle">{d}</text>
            }
        })
        .collect_view();
    // Models side by side at one depth, so that their error bars do not hide each other.
    let spread = |i: usize| (i as f64 - (models as f64 - 1.0) / 2.0) * 4.0;
    let lines = report
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| series(i, m, lo, hi, spread(i)))
        .collect_view();
    let legend = report
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (colour, dash) = style_of(i);
            let y = TOP + 6.0 + LEGEND_ROW * i as f64;
            let lx = x1 + 16.0;
            let name: String = if m.model.chars().count() > LEGEND_CHARS {
                let cut: String = m.model.chars().take(LEGEND_CHARS - 1).collect();
                format!("{cut}…")
            } else {
                m.model.clone()
            };
            view! {
                <g class="legend-item">
                    <title>{format!("{}: {} solutions, {}", m.model, m.overall.n, m.overall.percent())}</title>
                    <line x1=px(lx) y1=px(y) x2=px(lx + 22.0) y2=px(y) stroke=colour stroke-width="2.5" stroke-dasharray=dash></line>
                    <circle cx=px(lx + 11.0) cy=px(y) r="3.5" fill=colour></circle>
                    <text x=px(lx + 28.0) y=px(y) dy="0.32em">{name}</text>
                </g>
            }
        })
        .collect_view();
    let label = format!(
        "accuracy by depth of {models} model{}, depths {lo} to {hi}",
        if models == 1 { "" } else { "s" }
    );
    view! {
        <svg
            class="eval-chart"
            xmlns="http://www.w3.org/2000/svg"
            viewBox=format!("0 0 {} {}", px(width), px(height))
            width=px(width)
            height=px(height)
            role="img"
            aria-label=label
        >
            <g class="axes">
                {y_ticks}
                <line class="axis" x1=px(x0) y1=px(y0) x2=px(x1) y2=px(y0)></line>
                <line class="axis" x1=px(x0) y1=px(TOP) x2=px(x0) y2=px(y0)></line>
                {x_ticks}
                <text class="axis-label" x=px((x0 + x1) / 2.0) y=px(y0 + 34.0) text-anchor="middle">"depth"</text>
                <text
                    class="axis-label"
                    x="12"
                    y=px(TOP + PLOT_H / 2.0)
                    text-anchor="middle"
                    transform=format!("rotate(-90 12 {})", px(TOP + PLOT_H / 2.0))
                >
                    "accuracy"
                </text>
            </g>
            {lines}
            <g class="legend">{legend}</g>
        </svg>
    }
    .into_any()
}

/// One model's line, error bars and points.
fn series(i: usize, m: &ModelEval, lo: u32, hi: u32, dx: f64) -> impl IntoView {
    let (colour, dash) = style_of(i);
    let points: Vec<(f64, &types::eval::DepthCell)> = m
        .by_depth
        .iter()
        .map(|d| (x_of(d.depth, lo, hi) + dx, d))
        .collect();
    let path = points
        .iter()
        .map(|(x, d)| format!("{},{}", px(*x), px(y_of(d.cell.accuracy))))
        .collect::<Vec<_>>()
        .join(" ");
    let marks = points
        .iter()
        .map(|&(x, d)| {
            let c = &d.cell;
            let (top, bottom) = (px(y_of(c.high)), px(y_of(c.low)));
            let (xl, xr, xs) = (px(x - 3.0), px(x + 3.0), px(x));
            view! {
                <g class="eval-point" data-depth=d.depth>
                    <line class="ci" x1=xs.clone() y1=top.clone() x2=xs.clone() y2=bottom.clone() stroke=colour></line>
                    <line class="ci" x1=xl.clone() y1=top.clone() x2=xr.clone() y2=top stroke=colour></line>
                    <line class="ci" x1=xl y1=bottom.clone() x2=xr y2=bottom stroke=colour></line>
                    <circle cx=xs cy=px(y_of(c.accuracy)) r="4" fill=colour>
                        <title>{point_title(&m.model, d.depth, c)}</title>
                    </circle>
                </g>
            }
        })
        .collect_view();
    view! {
        <g class="eval-series" data-model=m.model.clone()>
            <polyline class="eval-line" points=path stroke=colour stroke-dasharray=dash fill="none"></polyline>
            {marks}
        </g>
    }
}

/// Per model: all its solutions, then by round and by kind (n, correct, accuracy, 95% CI),
/// and pass@k when variants have several samples.
#[component]
pub fn EvalTable(
    /// The report to tabulate.
    report: EvalReport,
) -> impl IntoView {
    let row = |label: String, c: Cell, class: &'static str| {
        view! {
            <tr class=class>
                <td>{label}</td>
                <td class="num">{c.n}</td>
                <td class="num">{c.correct}</td>
                <td class="num">{format!("{:.1}%", 100.0 * c.accuracy)}</td>
                <td class="num">{format!("{:.1}–{:.1}%", 100.0 * c.low, 100.0 * c.high)}</td>
            </tr>
        }
    };
    let blocks = report
        .models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (colour, _) = style_of(i);
            let rounds = m
                .by_round
                .iter()
                .map(|r| row(format!("round {}", r.round), r.cell, "by-round"))
                .collect_view();
            let kinds = m
                .by_kind
                .iter()
                .map(|k| row(format!("kind: {}", kind_label(&k.kind)), k.cell, "by-kind"))
                .collect_view();
            let pass = (!m.pass_at_k.is_empty()).then(|| {
                let ks = m
                    .pass_at_k
                    .iter()
                    .map(|p| format!("pass@{} {:.1}% ({})", p.k, 100.0 * p.value, p.variants))
                    .collect::<Vec<_>>()
                    .join(" · ");
                view! {
                    <tr class="pass-at-k">
                        <td colspan="5">{format!("unbiased pass@k (variants with ≥ k samples): {ks}")}</td>
                    </tr>
                }
            });
            view! {
                <tbody class="eval-model">
                    <tr class="model">
                        <th colspan="5">
                            <span class="swatch" style=format!("background:{colour}")></span>
                            {format!(
                                "{} — {} of {}",
                                m.model,
                                counted(m.overall.n, "solution"),
                                counted(m.variants, "variant")
                            )}
                        </th>
                    </tr>
                    {row("all".to_string(), m.overall, "overall")}
                    {rounds}
                    {kinds}
                    {pass}
                </tbody>
            }
        })
        .collect_view();
    view! {
        <table class="eval-table">
            <thead>
                <tr><th></th><th>"n"</th><th>"correct"</th><th>"accuracy"</th><th>"95% CI"</th></tr>
            </thead>
            {blocks}
        </table>
        <p class="muted eval-note">
            "A variant counts once under each intervention kind in its lineage, so kinds can add \
             up to more than all. Intervals are Wilson 95%."
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::eval::{report, EvalRow};

    fn row(model: &str, depth: u32, samples: u64, correct: u64) -> EvalRow {
        EvalRow {
            model: model.into(),
            variant_id: i64::from(depth),
            depth,
            round: 1,
            kinds: vec!["graft".into()],
            samples,
            correct,
            unparseable: 0,
        }
    }

    #[test]
    fn depths_map_onto_the_plot_and_ticks_cover_the_range() {
        let r = report(1, &[row("a", 2, 4, 3), row("b", 9, 2, 1)]);
        assert_eq!(depth_range(&r), Some((2, 9)));
        assert!(x_of(2, 2, 9) < x_of(9, 2, 9));
        assert!(x_of(2, 2, 9) >= LEFT && x_of(9, 2, 9) <= LEFT + PLOT_W);
        assert_eq!(x_of(5, 5, 5), LEFT + PLOT_W / 2.0);
        assert_eq!(y_of(1.0), TOP);
        assert_eq!(y_of(0.0), TOP + PLOT_H);
        assert_eq!(y_of(7.0), TOP);
        assert_eq!(depth_ticks(2, 9), (2..=9).collect::<Vec<_>>());
        let wide = depth_ticks(1, 100);
        assert!(
            wide.len() <= 12 && wide[0] == 1 && *wide.last().unwrap() == 100,
            "{wide:?}"
        );
        assert_eq!(depth_range(&report(1, &[])), None);
    }

    #[test]
    fn a_point_says_model_depth_counts_and_interval() {
        let c = Cell::new(12, 9, 0);
        let t = point_title("m", 3, &c);
        assert!(t.starts_with("m, depth 3: 9/12 (75.0%, 95% CI "), "{t}");
        assert!(
            t.ends_with(&format!("{:.1}–{:.1}%)", 100.0 * c.low, 100.0 * c.high)),
            "{t}"
        );
        assert_eq!(style_of(0), (PALETTE[0], None));
        assert_eq!(style_of(8), (PALETTE[0], Some("6 3")));
    }
}
