//! The numbers written in a question, linked to the input nodes they state.
//!
//! [`link`] finds every number of the question with [`find_numbers`] (digits, money, percents,
//! fractions, number words) and links each to at most one input node, each input to at most
//! one number:
//!
//! 1. an input whose [`Span`](crate::graph::Span) lies in the question claims the number
//!    written there (one that overlaps the span, the exact one first); a valid span over text
//!    that holds no number found becomes a mention of its own;
//! 2. every number still unlinked, left to right, goes to an unlinked input with a value it may
//!    stand for (`half` is 1/2 or 2, `20%` is 20 or 0.2): its most likely reading first, then
//!    the earliest input in evaluation order;
//! 3. the rest stay unlinked (`node: None`): numbers the solution reads as literals, or that
//!    it does not use.
//!
//! [`segments`] cuts the question into plain text and numbers for rendering, so that the web
//! app never slices strings by byte offsets itself.

use serde::{Deserialize, Serialize};

use crate::graph::{Graph, NodeId, NodeKind};
use crate::number::Number;
use crate::text_numbers::{self, find_numbers};

/// A number written in the question, and the input node it states, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// First byte of the number's text in the question (a char boundary).
    pub start: usize,
    /// One past its last byte (a char boundary).
    pub end: usize,
    /// The input node it is linked to.
    pub node: Option<NodeId>,
    /// The value written: for a linked mention, the reading that equals the node's value when
    /// one does (`half` linked to an input 2 is 2); otherwise the most likely reading.
    pub value: Number,
}

impl Mention {
    /// The mention's text in `question` (`None` if the offsets do not fit it).
    pub fn text<'a>(&self, question: &'a str) -> Option<&'a str> {
        question.get(self.start..self.end)
    }
}

/// A piece of the question, in text order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// Plain text between numbers.
    Text(String),
    /// A number as written, with the input node it states.
    Number {
        /// The number's text (`24`, `twice`, `1 1/2`).
        text: String,
        /// The input node it is linked to.
        node: Option<NodeId>,
    },
}

/// Every number written in `graph`'s question, in text order (sorted, non-overlapping, offsets
/// on char boundaries), each linked to at most one input node (see the module documentation).
/// Empty when the graph has no question. Never panics, whatever the spans say.
///
/// The words code links the same original once per variant: the last few graphs' mentions
/// are kept per thread ([`crate::graph::GraphMemo`]), and the answer is the same either way.
pub fn link(graph: &Graph) -> Vec<Mention> {
    crate::graph::memoized(&LINKS, graph, link_uncached)
}

std::thread_local! {
    /// [`link`]'s memo.
    static LINKS: std::cell::RefCell<crate::graph::GraphMemo<Vec<Mention>>> =
        const { std::cell::RefCell::new(crate::graph::GraphMemo::new()) };
}

/// [`link`] for a graph asked about once, given `numbers`: what [`find_numbers`] finds in
/// `graph`'s question (read once by whoever also needs them, so the question is neither
/// scanned nor looked up again). The memo's answer when it holds one, else
/// [`link_uncached`]'s, not kept (no copy of the graph is made for the memo).
pub(crate) fn link_once(graph: &Graph, numbers: &[text_numbers::Mention]) -> Vec<Mention> {
    LINKS
        .with(|m| m.borrow_mut().get(graph))
        .unwrap_or_else(|| match graph.question() {
            Some(question) => link_numbers(graph, question, numbers),
            None => Vec::new(),
        })
}

/// Empties this thread's [`LINKS`].
pub(crate) fn clear_memo() {
    LINKS.with(|m| m.borrow_mut().clear());
}

/// An input node while linking: its value and span, and whether a mention holds it yet.
struct InputSlot {
    id: NodeId,
    value: Number,
    span: Option<crate::graph::Span>,
    linked: bool,
}

/// [`link`] without the memo (for a graph asked about once).
pub(crate) fn link_uncached(graph: &Graph) -> Vec<Mention> {
    let Some(question) = graph.question() else {
        return Vec::new();
    };
    link_numbers(graph, question, &find_numbers(question))
}

/// [`link_uncached`] of `graph`, whose question is `question`, given the numbers
/// [`find_numbers`] finds in it (`numbers`, in text order).
///
/// The mentions are made at once from the numbers, each linked in place: the readings of
/// mention `i` are those of `numbers[i]` (a mention an input's own span adds holds its node
/// from the start, so its readings are never asked for; such mentions are kept apart and
/// put in text order at the end).
fn link_numbers(graph: &Graph, question: &str, numbers: &[text_numbers::Mention]) -> Vec<Mention> {
    let span_of = |m: &text_numbers::Mention| (m.span.start as usize, m.span.end as usize);
    let fits = |m: &text_numbers::Mention| {
        let (start, end) = span_of(m);
        start < end && question.get(start..end).is_some()
    };
    // (Numbers found in the question itself all fit it: the others are dropped first.)
    let fitting: Vec<text_numbers::Mention>;
    let numbers = if numbers.iter().all(fits) {
        numbers
    } else {
        fitting = numbers.iter().copied().filter(fits).collect();
        &fitting
    };
    let mut found: Vec<Mention> = numbers
        .iter()
        .map(|m| {
            let (start, end) = span_of(m);
            Mention {
                start,
                end,
                node: None,
                value: m.primary(),
            }
        })
        .collect();
    // Mentions of inputs' own spans over text that holds no number found.
    let mut own: Vec<Mention> = Vec::new();
    // The inputs in evaluation order, each read once.
    let mut inputs: Vec<InputSlot> = graph
        .order()
        .iter()
        .filter_map(|&id| match graph.get(id).ok()?.kind {
            NodeKind::Input { span } => Some(InputSlot {
                id,
                value: graph.get_value(id).unwrap_or(Number::ZERO),
                span,
                linked: false,
            }),
            _ => None,
        })
        .collect();
    // 1. Spans. (A mention a span adds holds a node, so the searches for a free mention pass
    // over it, as over the ones found already linked.)
    for input in &mut inputs {
        let Some(span) = input.span else { continue };
        let (a, b) = (span.start as usize, span.end as usize);
        if a >= b || question.get(a..b).is_none() {
            continue;
        }
        let value = input.value;
        let overlaps = |f: &Mention| f.start < b && a < f.end;
        let exact = found
            .iter()
            .position(|f| f.node.is_none() && f.start == a && f.end == b);
        let near = || found.iter().position(|f| f.node.is_none() && overlaps(f));
        if let Some(i) = exact.or_else(near) {
            let f = &mut found[i];
            f.node = Some(input.id);
            if numbers[i].means(value) {
                f.value = value;
            }
            input.linked = true;
        } else if !found.iter().any(overlaps) && !own.iter().any(overlaps) {
            own.push(Mention {
                start: a,
                end: b,
                node: Some(input.id),
                value,
            });
            input.linked = true;
        }
    }
    // 2. Values, left to right (the numbers are in text order; the mentions of `own` hold
    // their nodes).
    for (f, m) in found
        .iter_mut()
        .zip(numbers)
        .filter(|(f, _)| f.node.is_none())
    {
        let best = m.values().iter().find_map(|v| {
            inputs
                .iter()
                .position(|input| !input.linked && input.value == *v)
                .map(|k| (k, *v))
        });
        if let Some((k, v)) = best {
            inputs[k].linked = true;
            f.node = Some(inputs[k].id);
            f.value = v;
        }
    }
    if !own.is_empty() {
        found.extend(own);
        found.sort_by_key(|f| f.start);
    }
    found
}

/// Cuts `question` into plain text and the numbers of `mentions` (as [`link`] gives them for
/// it), in text order; the pieces' texts put together give `question` back. Mentions whose
/// offsets do not fit the question, or that overlap an earlier one, are left as plain text.
pub fn segments(question: &str, mentions: &[Mention]) -> Vec<Segment> {
    let mut sorted: Vec<&Mention> = mentions.iter().collect();
    sorted.sort_by_key(|m| (m.start, m.end));
    let mut out = Vec::with_capacity(2 * sorted.len() + 1);
    let mut at = 0usize;
    for m in sorted {
        if m.start < at || m.start >= m.end {
            continue;
        }
        let (Some(before), Some(text)) = (question.get(at..m.start), question.get(m.start..m.end))
        else {
            continue;
        };
        if !before.is_empty() {
            out.push(Segment::Text(before.to_string()));
        }
        out.push(Segment::Number {
            text: text.to_string(),
            node: m.node,
        });
        at = m.end;
    }
    if let Some(rest) = question.get(at..).filter(|r| !r.is_empty()) {
        out.push(Segment::Text(rest.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{GraphBuilder, Span};
    use crate::problem::{extract, Problem};
    use proptest::prelude::*;

    /// A mention while linking (by [`link_uncached_before`]): its readings, most likely
    /// first.
    struct Found<'a> {
        start: usize,
        end: usize,
        values: Readings<'a>,
        node: Option<NodeId>,
        value: Number,
    }

    /// The readings of a [`Found`], without a copy: those [`find_numbers`] gave, or the one value
    /// of an input's own span.
    enum Readings<'a> {
        /// The readings of a number found, most likely first.
        Found(&'a [Number]),
        /// An input's value, over text that holds no number found.
        Own(Number),
    }

    impl Readings<'_> {
        /// Whether `v` is one of the readings.
        fn contains(&self, v: &Number) -> bool {
            match self {
                Readings::Found(values) => values.contains(v),
                Readings::Own(own) => own == v,
            }
        }

        /// The readings, most likely first.
        fn as_slice(&self) -> &[Number] {
            match self {
                Readings::Found(values) => values,
                Readings::Own(own) => std::slice::from_ref(own),
            }
        }
    }

    /// The [`link_uncached`] this module had before its inputs were read in one pass: the
    /// oracle of a test.
    fn link_uncached_before(graph: &Graph) -> Vec<Mention> {
        let Some(question) = graph.question() else {
            return Vec::new();
        };
        link_before(graph, &find_numbers(question))
    }

    /// [`link_uncached_before`] given the numbers found (those that do not fit the question
    /// dropped).
    fn link_before(graph: &Graph, numbers: &[text_numbers::Mention]) -> Vec<Mention> {
        let Some(question) = graph.question() else {
            return Vec::new();
        };
        let mut found: Vec<Found> = numbers
            .iter()
            .filter_map(|m| {
                let (start, end) = (m.span.start as usize, m.span.end as usize);
                (start < end && question.get(start..end).is_some()).then(|| Found {
                    start,
                    end,
                    values: Readings::Found(m.values()),
                    node: None,
                    value: m.primary(),
                })
            })
            .collect();
        let inputs: Vec<NodeId> = graph
            .order()
            .iter()
            .copied()
            .filter(|&id| {
                graph
                    .get(id)
                    .is_ok_and(|n| matches!(n.kind, NodeKind::Input { .. }))
            })
            .collect();
        let mut linked = vec![false; inputs.len()];
        // 1. Spans.
        let mut added: Vec<Found> = Vec::new();
        for (k, &id) in inputs.iter().enumerate() {
            let Ok(node) = graph.get(id) else { continue };
            let NodeKind::Input { span: Some(span) } = node.kind else {
                continue;
            };
            let (a, b) = (span.start as usize, span.end as usize);
            if a >= b || question.get(a..b).is_none() {
                continue;
            }
            let own = graph.get_value(id).unwrap_or(Number::ZERO);
            let overlaps = |f: &Found| f.start < b && a < f.end;
            let exact = found
                .iter()
                .position(|f| f.node.is_none() && f.start == a && f.end == b);
            let near = || found.iter().position(|f| f.node.is_none() && overlaps(f));
            if let Some(i) = exact.or_else(near) {
                let f = &mut found[i];
                f.node = Some(id);
                if f.values.contains(&own) {
                    f.value = own;
                }
                linked[k] = true;
            } else if !found.iter().chain(&added).any(overlaps) {
                added.push(Found {
                    start: a,
                    end: b,
                    values: Readings::Own(own),
                    node: Some(id),
                    value: own,
                });
                linked[k] = true;
            }
        }
        found.extend(added);
        found.sort_by_key(|f| f.start);
        // 2. Values, left to right.
        let values: Vec<Number> = inputs
            .iter()
            .map(|&id| graph.get_value(id).unwrap_or(Number::ZERO))
            .collect();
        for f in found.iter_mut().filter(|f| f.node.is_none()) {
            let best = f.values.as_slice().iter().find_map(|v| {
                (0..inputs.len())
                    .find(|&k| !linked[k] && values[k] == *v)
                    .map(|k| (k, *v))
            });
            if let Some((k, v)) = best {
                linked[k] = true;
                f.node = Some(inputs[k]);
                f.value = v;
            }
        }
        found
            .into_iter()
            .map(|f| Mention {
                start: f.start,
                end: f.end,
                node: f.node,
                value: f.value,
            })
            .collect()
    }

    const DEMO: &str = include_str!("../../../demo/demo.jsonl");

    fn demo(id: &str) -> Graph {
        let line = DEMO
            .lines()
            .find(|l| l.contains(&format!("\"id\": \"{id}\"")))
            .expect("demo row");
        extract(&Problem::from_json(line).unwrap()).unwrap().graph
    }

    /// `(text, node name)` of every mention.
    fn named(g: &Graph) -> Vec<(String, Option<String>)> {
        let q = g.question().unwrap_or("");
        link(g)
            .iter()
            .map(|m| {
                (
                    m.text(q).unwrap().to_string(),
                    m.node.map(|id| g.node(id).name.clone()),
                )
            })
            .collect()
    }

    /// Sorted, non-overlapping, on char boundaries, each node at most once; segments give the
    /// question back.
    fn check(g: &Graph) -> Vec<Mention> {
        let q = g.question().unwrap_or("");
        let ms = link(g);
        let mut nodes = Vec::new();
        for (i, m) in ms.iter().enumerate() {
            assert!(m.start < m.end && q.get(m.start..m.end).is_some(), "{m:?}");
            if i > 0 {
                assert!(ms[i - 1].end <= m.start, "{:?} {m:?}", ms[i - 1]);
            }
            if let Some(id) = m.node {
                assert!(matches!(g.node(id).kind, NodeKind::Input { .. }));
                nodes.push(id);
            }
        }
        let before = nodes.len();
        nodes.sort();
        nodes.dedup();
        assert_eq!(nodes.len(), before, "a node linked twice");
        let segs = segments(q, &ms);
        let back: String = segs
            .iter()
            .map(|s| match s {
                Segment::Text(t) | Segment::Number { text: t, .. } => t.as_str(),
            })
            .collect();
        assert_eq!(back, q);
        let numbers = segs
            .iter()
            .filter(|s| matches!(s, Segment::Number { .. }))
            .count();
        assert_eq!(numbers, ms.len());
        ms
    }

    fn s(text: &str, node: Option<&str>) -> (String, Option<String>) {
        (text.to_string(), node.map(str::to_string))
    }

    #[test]
    fn gsm8k_inputs_link_by_span() {
        let g = demo("demo-apples");
        check(&g);
        let names = named(&g);
        assert_eq!(names.len(), 3);
        assert_eq!(names[0].0, "24");
        assert_eq!(names[1].0, "twice");
        assert_eq!(names[2].0, "10");
        assert!(names.iter().all(|(_, n)| n.is_some()), "{names:?}");
        // Every input with a span is linked at exactly that span.
        let ms = link(&g);
        for id in g.ids() {
            if let NodeKind::Input { span: Some(sp) } = g.node(id).kind {
                let m = ms.iter().find(|m| m.node == Some(id)).expect("linked");
                assert_eq!((m.start, m.end), (sp.start as usize, sp.end as usize));
                assert_eq!(m.value, g.value(id));
            }
        }
        let segs = segments(g.question().unwrap(), &ms);
        assert_eq!(segs[0], Segment::Text("Maya picks ".into()));
        assert!(matches!(&segs[1], Segment::Number { text, node: Some(_) } if text == "24"));
    }

    #[test]
    fn python_inputs_link_by_value() {
        let g = demo("demo-taxi");
        check(&g);
        assert_eq!(
            named(&g),
            vec![
                s("3", Some("base_fare")),
                s("2", Some("per_mile")),
                s("10", None),
                s("5", Some("discount")),
                s("14", Some("miles")),
            ]
        );
        let g = demo("demo-concert");
        check(&g);
        let names = named(&g);
        assert!(
            names.contains(&s("10", Some("discount_percent"))),
            "{names:?}"
        );
        assert!(names.contains(&s("8", Some("friends"))), "{names:?}");
    }

    #[test]
    fn every_demo_problem_links_cleanly() {
        for line in DEMO.lines() {
            let g = extract(&Problem::from_json(line).unwrap()).unwrap().graph;
            let ms = check(&g);
            assert_eq!(link_uncached(&g), link_uncached_before(&g));
            assert!(!ms.is_empty());
            // Most inputs are found in the text.
            let linked = ms.iter().filter(|m| m.node.is_some()).count();
            assert!(linked > 0, "{line}");
        }
    }

    #[test]
    fn spanless_inputs_take_equal_values_left_to_right() {
        let q = "He buys 3 apples and 3 pears for half of $2, then 7 more.";
        let mut b = GraphBuilder::new(Some(q.into()));
        let price = b.input("price", Number::int(2), None);
        let apples = b.input("apples", Number::int(3), None);
        let pears = b.input("pears", Number::int(3), None);
        let half = b.input("half", Number::ratio(1, 2).unwrap(), None);
        let g = b.build(half).unwrap();
        check(&g);
        let ms = link(&g);
        let texts: Vec<(&str, Option<NodeId>)> =
            ms.iter().map(|m| (m.text(q).unwrap(), m.node)).collect();
        assert_eq!(
            texts,
            vec![
                ("3", Some(apples)),
                ("3", Some(pears)),
                ("half", Some(half)),
                ("2", Some(price)),
                ("7", None),
            ]
        );
        assert_eq!(ms[2].value, Number::ratio(1, 2).unwrap());
        assert_eq!(ms[4].value, Number::int(7));
    }

    #[test]
    fn unicode_and_bad_spans() {
        let q = "Zoë’s café sold 12 crêpes for €3.50 — then seven more, ½ price.";
        let at = q.find("12").unwrap() as u32;
        let mut b = GraphBuilder::new(Some(q.into()));
        // A span off a char boundary, one past the end, an empty one: all ignored.
        let bad = b.input("bad", Number::int(99), Some(Span { start: 2, end: 3 }));
        let past = b.input(
            "past",
            Number::int(98),
            Some(Span {
                start: 500,
                end: 501,
            }),
        );
        let seven = b.input("seven", Number::int(7), None);
        let crepes = b.input(
            "crepes",
            Number::int(12),
            Some(Span {
                start: at,
                end: at + 2,
            }),
        );
        let price = b.input("price", Number::parse_decimal("3.5").unwrap(), None);
        let g = b.build(price).unwrap();
        let ms = check(&g);
        let texts: Vec<(&str, Option<NodeId>)> =
            ms.iter().map(|m| (m.text(q).unwrap(), m.node)).collect();
        assert_eq!(
            texts,
            vec![
                ("12", Some(crepes)),
                ("3.50", Some(price)),
                ("seven", Some(seven))
            ]
        );
        assert!(!ms
            .iter()
            .any(|m| m.node == Some(bad) || m.node == Some(past)));
        let segs = segments(q, &ms);
        assert_eq!(segs.last(), Some(&Segment::Text(" more, ½ price.".into())));
    }

    #[test]
    fn a_span_over_unfound_text_becomes_a_mention() {
        let q = "Add the XII apples.";
        let a = q.find("XII").unwrap() as u32;
        let mut b = GraphBuilder::new(Some(q.into()));
        let x = b.input(
            "xii",
            Number::int(12),
            Some(Span {
                start: a,
                end: a + 3,
            }),
        );
        let g = b.build(x).unwrap();
        let ms = check(&g);
        assert_eq!(ms.len(), 1);
        assert_eq!((ms[0].text(q), ms[0].node), (Some("XII"), Some(x)));
        assert_eq!(ms[0].value, Number::int(12));
    }

    #[test]
    fn no_question_no_mentions() {
        let mut b = GraphBuilder::new(None);
        let x = b.input("x", Number::int(1), None);
        let g = b.build(x).unwrap();
        assert!(link(&g).is_empty());
        assert_eq!(segments("", &[]), Vec::<Segment>::new());
    }

    #[test]
    fn segments_skip_bad_mentions() {
        let q = "é 12 and 3";
        let m = |start, end| Mention {
            start,
            end,
            node: None,
            value: Number::ZERO,
        };
        // Off a char boundary, overlapping, reversed, past the end, empty: plain text.
        let segs = segments(q, &[m(1, 2), m(3, 5), m(4, 5), m(5, 3), m(9, 99), m(6, 6)]);
        assert_eq!(
            segs,
            vec![
                Segment::Text("é ".into()),
                Segment::Number {
                    text: "12".into(),
                    node: None
                },
                Segment::Text(" and 3".into()),
            ]
        );
    }

    /// Question pieces that exercise the number finder.
    const PIECES: &[&str] = &[
        "12",
        "3.5",
        "$4",
        "20%",
        "1/2",
        "1 1/2",
        "half",
        "twice",
        "a dozen",
        "seven",
        "twenty-five",
        "é",
        "½",
        "—",
        " ",
        ",",
        ".",
        "apples",
        "\u{200b}",
        "1,000",
        "€",
        "😀",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn link_never_panics_and_offsets_hold(
            pieces in proptest::collection::vec(0..PIECES.len(), 0..24),
            inputs in proptest::collection::vec(
                (0i128..30, proptest::option::of((0u32..120, 0u32..8))),
                1..8,
            ),
        ) {
            let q: String = pieces.iter().map(|&i| PIECES[i]).collect();
            let mut b = GraphBuilder::new(Some(q.clone()));
            for (k, (v, span)) in inputs.iter().enumerate() {
                let span = span.map(|(start, len)| Span { start, end: start + len });
                b.input(&format!("in{k}"), Number::int(*v), span);
            }
            let g = b.build(NodeId(0)).unwrap();
            check(&g);
            prop_assert_eq!(link_uncached(&g), link_uncached_before(&g));
            prop_assert_eq!(link_once(&g, &find_numbers(&q)), link_uncached_before(&g));
            // Numbers of another text: those that do not fit the question are dropped.
            let other: String = pieces.iter().rev().map(|&i| PIECES[i]).collect();
            let numbers = find_numbers(&other);
            prop_assert_eq!(link_numbers(&g, &q, &numbers), link_before(&g, &numbers));
        }

        #[test]
        fn segments_never_panic(
            q in "\\PC{0,40}",
            ms in proptest::collection::vec((0usize..60, 0usize..60), 0..8),
        ) {
            let ms: Vec<Mention> = ms
                .into_iter()
                .map(|(start, end)| Mention { start, end, node: None, value: Number::ZERO })
                .collect();
            let back: String = segments(&q, &ms)
                .iter()
                .map(|s| match s {
                    Segment::Text(t) | Segment::Number { text: t, .. } => t.clone(),
                })
                .collect();
            prop_assert_eq!(back, q);
        }
    }
}
