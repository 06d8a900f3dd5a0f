//! A difficulty histogram as inline SVG bars: depth on x, number of problems on y.

use leptos::prelude::*;

const BAR: u32 = 22;
const GAP: u32 = 4;
const HEIGHT: u32 = 90;
const AXIS: u32 = 18;

/// Bars for `(depth, count)` pairs; missing depths between the smallest and largest are drawn
/// as empty bars so the x axis reads as a scale.
#[component]
pub fn Histogram(
    /// `(depth, problems)` pairs, any order.
    bins: Vec<(u32, u64)>,
    /// What is counted, for the accessible label ("problems", "variants").
    #[prop(default = "problems")]
    what: &'static str,
) -> impl IntoView {
    let (lo, hi) = match (
        bins.iter().map(|b| b.0).min(),
        bins.iter().map(|b| b.0).max(),
    ) {
        (Some(lo), Some(hi)) => (lo, hi.min(lo + 60)),
        _ => {
            return view! { <p class="muted histogram-empty">"No extracted problems yet."</p> }
                .into_any()
        }
    };
    let max = bins.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let columns = (hi - lo + 1) as usize;
    let mut counts = vec![0u64; columns];
    for &(d, n) in &bins {
        if (lo..=hi).contains(&d) {
            counts[(d - lo) as usize] += n;
        }
    }
    let width = columns as u32 * (BAR + GAP) + GAP;
    let total: u64 = counts.iter().sum();
    let label = format!("{total} {what} by depth, from {lo} to {hi}");
    let bars = counts
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let depth = lo + i as u32;
            let h = ((n as f64 / max as f64) * (HEIGHT - 14) as f64).round() as u32;
            let x = GAP + i as u32 * (BAR + GAP);
            let y = HEIGHT - h;
            view! {
                <g class="bin">
                    <title>{format!("depth {depth}: {n} {what}")}</title>
                    <rect x=x y=y width=BAR height=h></rect>
                    {(n > 0)
                        .then(|| {
                            view! {
                                <text class="count" x={x + BAR / 2} y={y.saturating_sub(3)} text-anchor="middle">
                                    {n}
                                </text>
                            }
                        })}
                    <text class="depth" x={x + BAR / 2} y={HEIGHT + AXIS - 5} text-anchor="middle">
                        {depth}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="histogram"
            xmlns="http://www.w3.org/2000/svg"
            viewBox=format!("0 0 {width} {}", HEIGHT + AXIS)
            width=width
            height={HEIGHT + AXIS}
            role="img"
            aria-label=label
        >
            <line class="axis" x1="0" y1=HEIGHT x2=width y2=HEIGHT></line>
            {bars}
        </svg>
    }
    .into_any()
}
