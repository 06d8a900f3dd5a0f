//! The problem page's drawing on real problems: every demo, GSM8K train and GSM-Hard graph lays
//! out without overlaps and with edges running down layer by layer, and its question numbers
//! link to input nodes with valid offsets. The datasets are skipped where absent.

use engine::layout::{layout, Layout, Spacing};
use engine::mentions::{link, segments, Segment};
use engine::problem::{extract, Problem};
use engine::{Graph, NodeKind};

const DEMO: &str = include_str!("../../demo/demo.jsonl");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// Every graph that extracts: the demo set, then GSM8K train and GSM-Hard where present.
fn graphs() -> Vec<(String, Graph)> {
    let mut lines: Vec<(String, String)> = DEMO
        .lines()
        .enumerate()
        .map(|(i, l)| (format!("demo:{}", i + 1), l.to_string()))
        .collect();
    for file in ["gsm8k/train.jsonl", "gsm-hard/gsmhardv2.part-a.jsonl"] {
        match std::fs::read_to_string(format!("{DATA}/{file}")) {
            Ok(t) => lines.extend(
                t.lines()
                    .enumerate()
                    .map(|(i, l)| (format!("{file}:{}", i + 1), l.to_string())),
            ),
            Err(_) => eprintln!("notice: {DATA}/{file} is missing; skipping it"),
        }
    }
    lines
        .into_iter()
        .filter_map(|(at, l)| {
            let ex = extract(&Problem::from_json(&l).ok()?).ok()?;
            Some((at, ex.graph))
        })
        .collect()
}

fn check_layout(at: &str, g: &Graph, l: &Layout, spacing: Spacing) {
    assert_eq!(l.nodes.len(), g.len(), "{at}");
    let mut seen: Vec<(u32, u32)> = Vec::new();
    for p in &l.nodes {
        assert!(p.x + spacing.margin <= l.width && p.y + spacing.margin <= l.height);
        seen.push((p.y, p.x));
    }
    seen.sort();
    for w in seen.windows(2) {
        if w[0].0 == w[1].0 {
            assert!(w[1].1 - w[0].1 >= spacing.slot, "{at}: nodes overlap");
        }
    }
    for e in &l.edges {
        let (a, b) = (l.nodes[e.from.index()], l.nodes[e.to.index()]);
        assert_eq!(e.points.first(), Some(&(a.x, a.y)), "{at}");
        assert_eq!(e.points.last(), Some(&(b.x, b.y)), "{at}");
        for w in e.points.windows(2) {
            assert_eq!(w[1].1, w[0].1 + spacing.layer, "{at}: {e:?}");
        }
    }
}

#[test]
fn real_problems_draw_and_link_cleanly() {
    let spacing = Spacing::default();
    let (mut inputs, mut linked, mut numbers, mut crossings) = (0usize, 0usize, 0usize, 0u64);
    let all = graphs();
    assert!(all.len() >= 21);
    for (at, g) in &all {
        let l = layout(g, spacing);
        check_layout(at, g, &l, spacing);
        assert_eq!(&l, &layout(g, spacing), "{at}: not deterministic");
        crossings += l.crossings;
        let q = g.question().unwrap_or("");
        let ms = link(g);
        for (i, m) in ms.iter().enumerate() {
            assert!(q.get(m.start..m.end).is_some_and(|t| !t.is_empty()), "{at}");
            assert!(i == 0 || ms[i - 1].end <= m.start, "{at}: overlap");
        }
        let text: String = segments(q, &ms)
            .iter()
            .map(|s| match s {
                Segment::Text(t) | Segment::Number { text: t, .. } => t.as_str(),
            })
            .collect();
        assert_eq!(text, q, "{at}");
        numbers += ms.len();
        inputs += g
            .ids()
            .filter(|&id| matches!(g.node(id).kind, NodeKind::Input { .. }))
            .count();
        linked += ms.iter().filter(|m| m.node.is_some()).count();
    }
    eprintln!(
        "{} graphs: {crossings} edge crossings in all; {numbers} question numbers, \
         {linked} of {inputs} inputs linked to one",
        all.len()
    );
}
