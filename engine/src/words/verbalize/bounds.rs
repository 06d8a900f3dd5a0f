//! Bounds the question states on its own numbers: "There were 5 people in each car … Each car
//! can hold a maximum of 6 people." A change past such a bound (8 people in a car that holds
//! 6) makes a text no reader can take as written, so the curriculum keeps both numbers on
//! their sides of each other.

use crate::graph::{Graph, NodeId, NodeKind};
use crate::mentions::Mention;
use crate::number::Number;

/// Words that, right before a number, make it the most of something ("a maximum of 6 people").
const AT_MOST: &[&str] = &[
    "maximum of",
    "max of",
    "at most",
    "up to",
    "no more than",
    "not more than",
    "capacity of",
    "limit of",
];

/// Words that, right before a number, make it the least of something ("a minimum of 3").
const AT_LEAST: &[&str] = &[
    "minimum of",
    "min of",
    "at least",
    "no fewer than",
    "no less than",
    "not less than",
];

/// A bound on one input of the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    /// The input stays at most this.
    Cap(Number),
    /// The input stays at least this.
    Floor(Number),
}

/// Whether `before` (the text before a number, trailing spaces cut) ends with one of
/// `phrases`, as whole words, in any ASCII case.
fn ends_with_phrase(b: &[u8], phrases: &[&str]) -> bool {
    phrases.iter().any(|p| {
        let p = p.as_bytes();
        b.len() >= p.len()
            && b[b.len() - p.len()..].eq_ignore_ascii_case(p)
            && (b.len() == p.len() || !b[b.len() - p.len() - 1].is_ascii_alphabetic())
    })
}

/// Whether the number at `m` in `q` is the most of something (`Some(true)`: "a maximum of
/// 6"), the least (`Some(false)`: "at least 3"), or neither.
fn limit_kind(q: &str, m: &Mention) -> Option<bool> {
    let b = q.as_bytes().get(..m.start)?.trim_ascii_end();
    // Every phrase ends in `of`, `most`, `to`, `than` or `least`: in `f`, `t`, `o` or `n`,
    // any case (`| 0x20` takes only those letters there). Nearly every number follows another
    // word, passed over without reading it.
    if !matches!(b.last().map(|&c| c | 0x20), Some(b'f' | b't' | b'o' | b'n')) {
        return None;
    }
    limit_kind_past_last_letter(b)
}

/// [`limit_kind`] of the number that `b` (the text before it, trailing spaces cut) is
/// written after, read past its last letter.
fn limit_kind_past_last_letter(b: &[u8]) -> Option<bool> {
    // Every phrase ends in one of a few words: the last word is looked at first.
    let last = b
        .iter()
        .rposition(|c| !c.is_ascii_alphabetic())
        .map_or(b, |i| &b[i + 1..]);
    if !["of", "most", "to", "than", "least"]
        .iter()
        .any(|w| last.eq_ignore_ascii_case(w.as_bytes()))
    {
        return None;
    }
    if ends_with_phrase(b, AT_MOST) {
        Some(true)
    } else {
        ends_with_phrase(b, AT_LEAST).then_some(false)
    }
}

/// Words that, right before a number, make it a threshold a condition compares with ("if
/// Kathleen saves more than $125").
const THRESHOLD: &[&str] = &[
    "more than",
    "less than",
    "fewer than",
    "at least",
    "at most",
    "over",
    "under",
    "above",
    "below",
    "exceeds",
    "exceed",
];

/// The thresholds of conditions the question states that no step reads: a number the graph
/// does not use, written after "more than", "at least", "over", … in a sentence with "if",
/// "when" or "unless" ("Kathleen's aunt said she would give Kathleen $25 if Kathleen saves
/// more than $125", where the solution sees in its head that 112 is not). A change that
/// carried a quantity across one would make the condition come out otherwise than the graph
/// works it out.
pub(super) fn thresholds(q: &str, mentions: &[Mention]) -> Vec<Number> {
    let mut out = Vec::new();
    for m in mentions.iter().filter(|m| m.node.is_none()) {
        // (Written in digits: "6 more than twice as many" compares, with no threshold.)
        let (Some(before), Some(text)) = (q.get(..m.start), q.get(m.start..m.end)) else {
            continue;
        };
        if !text
            .trim_start_matches('$')
            .starts_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        let b = before
            .trim_end()
            .trim_end_matches('$')
            .trim_end()
            .as_bytes();
        if !ends_with_phrase(b, THRESHOLD) {
            continue;
        }
        // The sentence the number is in.
        let start = before.rfind(['.', '?', '!']).map_or(0, |i| i + 1);
        let end = q[m.end..]
            .find(['.', '?', '!'])
            .map_or(q.len(), |i| m.end + i);
        let conditional = q[start..end]
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| {
                w.eq_ignore_ascii_case("if")
                    || w.eq_ignore_ascii_case("when")
                    || w.eq_ignore_ascii_case("unless")
            });
        if conditional && !out.contains(&m.value) {
            out.push(m.value);
        }
    }
    out
}

/// The bounds the [`thresholds`] of the question `q` of `original` put on its quantities: no
/// quantity but the answer (whose changes are asked of it) crosses one, so each condition
/// comes out as it did. A quantity below a threshold is capped by it, one above floored.
pub(super) fn threshold_bounds(
    original: &Graph,
    q: &str,
    mentions: &[Mention],
) -> Vec<(NodeId, Bound)> {
    let mut out = Vec::new();
    for t in thresholds(q, mentions) {
        for id in original.ids().filter(|&id| id != original.answer()) {
            let v = original.value(id);
            if v < t {
                out.push((id, Bound::Cap(t)));
            } else if v > t {
                out.push((id, Bound::Floor(t)));
            }
        }
    }
    out
}

/// Words that, right after a number, make it a part of the count written before it ("buys 50
/// candy bars and sells 48 of them").
const OF_THOSE: &[&str] = &["of them", "of these", "of those"];

/// Words that, between two numbers, make the first a part of the second ("48 of the 50 candy
/// bars", "3 out of 5 tries").
const PART_OF: &[&str] = &["of the", "out of", "out of the"];

/// Whether `after` (the text right after a number) opens with one of `phrases`, as whole
/// words, in any ASCII case, with only spaces before it.
fn opens_with_phrase(after: &str, phrases: &[&str]) -> bool {
    let b = after.as_bytes();
    let b = &b[b.len() - b.trim_ascii_start().len()..];
    phrases.iter().any(|p| {
        let p = p.as_bytes();
        b.len() >= p.len()
            && b[..p.len()].eq_ignore_ascii_case(p)
            && b.get(p.len()).is_none_or(|c| !c.is_ascii_alphabetic())
    })
}

/// Whether the mention `m` of `q` is a percentage ("20% of the class"): no count of things.
fn is_percent(q: &str, m: &Mention) -> bool {
    q.get(m.start..m.end).is_some_and(|t| t.contains('%'))
        || q.get(m.end..).is_some_and(|after| {
            let after = after.trim_start();
            after.starts_with('%')
                || after
                    .get(..7)
                    .is_some_and(|w| w.eq_ignore_ascii_case("percent"))
        })
}

/// The parts the question `q` states of its counts, from its `mentions`, each as (part, whole):
/// a number followed by "of them" ("sells 48 of them") is a part of the count written last
/// before it, in its sentence or the one before ("buys 50 candy bars"), and a number followed by
/// "of the" or "out of" and another number ("48 of the 50 candy bars") is a part of that one.
/// Only whole numbers of things that the original keeps within each other are paired.
fn parts(q: &str, mentions: &[Mention]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, part) in mentions.iter().enumerate() {
        let Some(after) = q.get(part.end..) else {
            continue;
        };
        // (Every phrase opens "of" or "out", any case, after a space: most numbers are
        // passed over at their next few bytes.)
        let rest = after.trim_ascii_start().as_bytes();
        let opens = |p: &[u8]| {
            rest.get(..p.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(p))
        };
        if rest.len() == after.len() || !(opens(b"of ") || opens(b"out ")) {
            continue;
        }
        if !part.value.is_integer() || is_percent(q, part) {
            continue;
        }
        let whole = if opens_with_phrase(after, OF_THOSE) {
            // The count written last before it, with no more than one sentence's end between.
            mentions
                .iter()
                .enumerate()
                .filter(|(_, w)| w.end <= part.start)
                .max_by_key(|(_, w)| w.start)
                .filter(|(_, w)| {
                    let between = q.get(w.end..part.start).unwrap_or("");
                    !between.contains('?')
                        && between.matches(". ").count() <= 1
                        && super::word_counted_at(q, w).is_some_and(|n| n != "of")
                })
                .map(|(j, _)| j)
        } else if opens_with_phrase(after, PART_OF) {
            // The next number, right after the words.
            mentions
                .iter()
                .enumerate()
                .filter(|(_, w)| w.start >= part.end)
                .min_by_key(|(_, w)| w.start)
                .filter(|(_, w)| {
                    let between = q.get(part.end..w.start).unwrap_or("").trim();
                    PART_OF.iter().any(|p| between.eq_ignore_ascii_case(p))
                })
                .map(|(j, _)| j)
        } else {
            None
        };
        let Some(j) = whole else { continue };
        let w = &mentions[j];
        if w.value.is_integer() && !is_percent(q, w) {
            out.push((i, j));
        }
    }
    out
}

/// Per node of `original`, for a sum of parts of one whole ("Jenna will receive 1/3 of the
/// roses, and Imma 1/2 of the roses": the roses given away), one of those parts and the slot
/// of its operands that is the whole. A part is a step that takes a fraction of the whole
/// (`× 1/3`, `× 0.5`, `1/3 ×`, `÷ 2`) or another such sum. The sum stays within the whole as
/// that part now reads it (seed 300: Jenna's 7 more roses had Hanna give away 32 of her 30).
/// Only a sum within its whole in the original; empty when there is none.
pub(super) fn summed_parts(original: &Graph) -> Vec<Option<(NodeId, u32)>> {
    use crate::{BinOp, Expr};
    // (Most graphs add no two steps: nothing is read of them.)
    let adds_steps = original.order().iter().any(|&id| {
        let node = original.node(id);
        matches!(&node.kind, NodeKind::Step { expr: Expr::Bin(BinOp::Add, a, b) }
            if matches!((&**a, &**b), (Expr::Arg(_), Expr::Arg(_))))
            && node
                .operands
                .iter()
                .all(|&o| original.node(o).kind.is_operation())
    });
    if !adds_steps {
        return Vec::new();
    }
    // Per node, the whole it is a part of, and one part step with the whole's slot in it.
    let mut part: Vec<Option<(NodeId, NodeId, u32)>> = Vec::new();
    let mut sums: Vec<Option<(NodeId, u32)>> = Vec::new();
    for &id in original.order() {
        let node = original.node(id);
        let NodeKind::Step {
            expr: Expr::Bin(op, a, b),
        } = &node.kind
        else {
            continue;
        };
        let slot = |e: &Expr| match e {
            Expr::Arg(j) => Some(*j),
            _ => None,
        };
        let arg = |e: &Expr| slot(e).and_then(|j| node.operands.get(j as usize).copied());
        let given = |e: &Expr| match e {
            Expr::Lit(v) => Some(*v),
            e => arg(e).map(|o| original.value(o)),
        };
        // (`1/3 × 150`: the fraction written by its parts.)
        let value = |e: &Expr| match e {
            Expr::Bin(BinOp::Div, p, q) => given(p)?.div(given(q)?).ok(),
            e => given(e),
        };
        let fraction = |e: &Expr| value(e).is_some_and(|v| v > Number::ZERO && v < Number::ONE);
        let whole = |e: &Expr| Some((arg(e)?, id, slot(e)?));
        let of = |o: NodeId| part.get(o.index()).copied().flatten();
        let found = match op {
            BinOp::Mul if fraction(b) => whole(a),
            BinOp::Mul if fraction(a) => whole(b),
            BinOp::Div if value(b).is_some_and(|v| v > Number::ONE) => whole(a),
            BinOp::Add => match (arg(a).and_then(of), arg(b).and_then(of)) {
                // (Within the whole in the original: "half the price and three quarters of
                // it" is no share of one thing.)
                (Some(p), Some((w, _, _)))
                    if p.0 == w && original.value(id) <= original.value(w) =>
                {
                    Some(p)
                }
                _ => None,
            },
            _ => None,
        };
        let Some(found) = found else {
            continue;
        };
        if part.is_empty() {
            part.resize(original.len(), None);
        }
        part[id.index()] = Some(found);
        if matches!(op, BinOp::Add) {
            if sums.is_empty() {
                sums.resize(original.len(), None);
            }
            sums[id.index()] = Some((found.1, found.2));
        }
    }
    sums
}

/// The bounds the question `q` of `original` states between its inputs, from its `mentions`:
/// a number written as the most of some noun ("a maximum of 6 people") caps every other input
/// written with that noun that is within it in the original ("5 people in each car"), and the
/// maximum itself may not fall below those; the least of something the other way round. A part
/// the question states of a count ("sells 48 of them") stays within it, and the count at least
/// the part. Each entry bounds one input; an input may have several.
pub(super) fn stated(original: &Graph, q: &str, mentions: &[Mention]) -> Vec<(NodeId, Bound)> {
    let mut out = Vec::new();
    {
        let value = |m: &Mention| m.node.map_or(m.value, |n| original.value(n));
        let input = |m: &Mention| {
            m.node
                .filter(|&n| matches!(original.node(n).kind, NodeKind::Input { .. }))
        };
        for (i, j) in parts(q, mentions) {
            let (part, whole) = (&mentions[i], &mentions[j]);
            let (p, w) = (value(part), value(whole));
            if p > w {
                continue;
            }
            if let Some(n) = input(part) {
                out.push((n, Bound::Cap(w)));
            }
            if let Some(n) = input(whole) {
                out.push((n, Bound::Floor(p)));
            }
        }
    }
    // (Most questions state no bound: nothing more is kept for them.)
    if !mentions.iter().any(|m| limit_kind(q, m).is_some()) {
        return out;
    }
    // Per mention, whether it is the most (`Some(true)`) or the least (`Some(false)`) of
    // something.
    let kinds: Vec<Option<bool>> = mentions.iter().map(|m| limit_kind(q, m)).collect();
    for (limit, kind) in mentions.iter().zip(&kinds) {
        let Some(most) = *kind else { continue };
        let Some(noun) = super::word_counted_at(q, limit) else {
            continue;
        };
        let bound = limit.node.map_or(limit.value, |l| original.value(l));
        for (m, other) in mentions.iter().zip(&kinds) {
            let Some(id) = m.node else { continue };
            // (One bound does not bound another: "a maximum of 6 people … of 8 people".)
            if other.is_some()
                || Some(id) == limit.node
                || !matches!(original.node(id).kind, NodeKind::Input { .. })
                || super::word_counted_at(q, m).as_deref() != Some(noun.as_str())
            {
                continue;
            }
            let v = original.value(id);
            if most && v <= bound {
                out.push((id, Bound::Cap(bound)));
                if let Some(l) = limit.node {
                    out.push((l, Bound::Floor(v)));
                }
            } else if !most && v >= bound {
                out.push((id, Bound::Floor(bound)));
                if let Some(l) = limit.node {
                    out.push((l, Bound::Cap(v)));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swim() -> Graph {
        crate::gsm8k::extract(
            "The swimming club went to a swim meet in another town. They took 2 cars and 3 vans. There were 5 people in each car and 3 people in each van. Each car can hold a maximum of 6 people and each van can hold a maximum of 8 people.  How many more people could have ridden with the swim team?",
            "The available number of people in each car is 6 * 2 cars = <<6*2=12>>12 people.\nThe available number of people in each van is 8 * 3 vans = <<8*3=24>>24 people.\nThe total number of people that could go with the team is 12 people + 24 people = <<12+24=36>>36 people.\nThe team took with them 2 cars * 5 people = <<2*5=10>>10 people.\nThe team also took 3 vans * 3 people = <<3*3=9>>9 people.\nThe team brought 10 people + 9 people = <<10+9=19>>19 people.\nThe team could bring an additional 36 people - 19 people = <<36-19=17>>17 people.\n#### 17",
        )
        .unwrap()
        .graph
    }

    /// The input written at `text` in the question.
    fn input_at(g: &Graph, text: &str) -> NodeId {
        let q = g.question().unwrap();
        let at = q.find(text).unwrap();
        g.ids()
            .find(|&id| match &g.node(id).kind {
                NodeKind::Input { span: Some(s) } => s.start as usize == at,
                _ => false,
            })
            .unwrap_or_else(|| panic!("no input at {text:?}"))
    }

    /// A condition's threshold is a number no step reads, after "more than" and the like,
    /// in a sentence with "if"; not a comparison's "twice" nor a number the graph reads.
    #[test]
    fn thresholds_are_unread_numbers_a_condition_compares_with() {
        let g = crate::gsm8k::extract(
            "Kathleen saved $21 in June, $46 in July, and $45 in August. Then Kathleen spent $12 on school supplies and $54 on new clothes. Kathleen's aunt said she would give Kathleen $25 if Kathleen saves more than $125.  How much money does Kathleen have left?",
            "Kathleen saved $21 + $46 + $45 = $<<21+46+45=112>>112.\nKathleen's aunt did not give Kathleen any money because $112 is not greater than $125.\nKathleen spent $12 + $54 = $<<12+54=66>>66.\nKathleen has $112 - $66 = $<<112-66=46>>46 remaining.\n#### 46",
        )
        .unwrap()
        .graph;
        let q = g.question().unwrap();
        assert_eq!(
            thresholds(q, &crate::mentions::link(&g)),
            [Number::int(125)]
        );
        let g = crate::gsm8k::extract(
            "When Jane visited Iran, she visited 6 more than twice as many rehabilitation centers as Han. Han visited 2 less than twice as many rehabilitation centers as Jude did. Jude visited half fewer rehabilitation centers as Lisa did. Lisa visited 6 rehabilitation centers. How many rehabilitation centers did they all visit assuming they are all different?",
            "Jude visited 6/2=<<6/2=3>>3 rehabilitation centers.\nHan visited 2*3-2=<<2*3-2=4>>4 rehabilitation centers.\nJane visited 2*4+6=<<2*4+6=14>>14 rehabilitation centers.\nThey visited 6+3+4+14=<<6+3+4+14=27>>27 rehabilitation centers.\n#### 27",
        )
        .unwrap()
        .graph;
        let q = g.question().unwrap();
        assert!(thresholds(q, &crate::mentions::link(&g)).is_empty());
        // A threshold the graph reads is worked out, not settled in the solution's head.
        let g = crate::gsm8k::extract(
            "Each ingot costs $5. If you buy more than 10, you pay $4 each. Tom buys 12 ingots. How much more does he pay per ingot if he buys 10?",
            "Buying 10 he pays $5 each, buying 12 he pays $4: 5 - 4 = <<5-4=1>>1 more.\n#### 1",
        )
        .unwrap()
        .graph;
        let q = g.question().unwrap();
        let ts = thresholds(q, &crate::mentions::link(&g));
        assert!(ts.iter().all(|&t| t != Number::int(5)), "{ts:?}");
    }

    #[test]
    fn a_maximum_caps_the_counts_of_its_noun_and_is_floored_by_them() {
        let g = swim();
        let q = g.question().unwrap();
        let mentions = crate::mentions::link(&g);
        let bounds = stated(&g, q, &mentions);
        // (The solution reads "3 vans" for the 3 people in each van too: `3 * 3`. Only the
        // 5 people in each car are an input of their own.)
        let car = input_at(&g, "5 people");
        let (max_car, max_van) = (input_at(&g, "6 people"), input_at(&g, "8 people"));
        let of = |id: NodeId| -> Vec<Bound> {
            bounds
                .iter()
                .filter(|(n, _)| *n == id)
                .map(|&(_, b)| b)
                .collect()
        };
        let n = Number::int;
        assert_eq!(of(car), vec![Bound::Cap(n(6)), Bound::Cap(n(8))]);
        assert_eq!(of(max_car), vec![Bound::Floor(n(5))]);
        assert_eq!(of(max_van), vec![Bound::Floor(n(5))]);
        // The counts of cars and vans are bounded by nothing.
        assert!(of(input_at(&g, "2 cars")).is_empty());
        assert!(of(input_at(&g, "3 vans")).is_empty());
    }

    /// No curriculum puts more people in a car than the question says it holds, nor lowers
    /// that maximum below the people in it; the chains still change the count.
    #[test]
    fn curricula_keep_the_stated_bounds() {
        use crate::curriculum::{generate, CurriculumConfig};
        let g = swim();
        let (car, max_car) = (input_at(&g, "5 people"), input_at(&g, "6 people"));
        let (mut car_changed, mut max_changed) = (0, 0);
        for seed in 0..30 {
            let cfg = CurriculumConfig {
                rounds: 8,
                per_problem: 1,
                seed,
                ..CurriculumConfig::default()
            };
            for chain in generate(&g, "swim", &cfg).unwrap() {
                for v in &chain.variants {
                    let h = &v.graph;
                    for id in h.ids() {
                        let u = super::super::names::base(h, id);
                        if u == car {
                            assert!(
                                h.value(id) <= Number::int(6),
                                "seed {seed}: {}",
                                h.value(id)
                            );
                            car_changed += (h.value(id) != Number::int(5)) as usize;
                        } else if u == max_car {
                            assert!(
                                h.value(id) >= Number::int(5),
                                "seed {seed}: {}",
                                h.value(id)
                            );
                            max_changed += (h.value(id) != Number::int(6)) as usize;
                        }
                    }
                }
            }
        }
        // (The maximum is not changed in words here: only the count is.)
        assert!(car_changed > 0, "{car_changed} {max_changed}");
    }

    /// `before` then "6 people", with the mention of its 6.
    fn six_people_after(before: &str) -> (String, Mention) {
        let q = format!("{before}6 people");
        let m = Mention {
            start: before.len(),
            end: before.len() + 1,
            node: None,
            value: Number::int(6),
        };
        (q, m)
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let kind = |before: &str| {
            let (q, m) = six_people_after(before);
            limit_kind(&q, &m)
        };
        assert_eq!(kind("can hold a maximum of "), Some(true));
        assert_eq!(kind("He can carry Up To "), Some(true));
        assert_eq!(kind("no more than "), Some(true));
        assert_eq!(kind("a setup to "), None);
        assert_eq!(kind("at least "), Some(false));
        assert_eq!(kind("the flat least "), None);
        assert_eq!(kind("He has "), None);
    }

    proptest::proptest! {
        /// The test of the last letter passes over only what the words would: whatever the
        /// text before a number, [`limit_kind`] is what reading its last word gives.
        #[test]
        fn the_last_letter_passes_over_no_limit(
            before in "(a |maximum|MAX|of|Of|most|at|up|to|TO|no|more|than|least|LEAST|flat|f|t|n|F|T|N|é|,| |\\$){0,8}",
        ) {
            let (q, m) = six_people_after(&before);
            let b = q.as_bytes()[..before.len()].trim_ascii_end();
            proptest::prop_assert_eq!(limit_kind(&q, &m), limit_kind_past_last_letter(b));
        }
    }

    fn jen() -> Graph {
        crate::gsm8k::extract(
            "Jen buys and sells candy bars. She buys candy bars for 80 cents each and sells them for a dollar each. If she buys 50 candy bars and sells 48 of them, how much profit does she make in cents?",
            "It costs Jen 80 * 50 = <<80*50=4000>>4000 cents to buy 50 candy bars.\nSince a dollar is 100 cents, she earns 48 * 100 = <<48*100=4800>>4800 cents by selling 48 of them.\nThus her total profit is 4800 - 4000 = <<4800-4000=800>>800 cents.\n#### 800",
        )
        .unwrap()
        .graph
    }

    #[test]
    fn a_part_of_them_stays_within_its_count() {
        let g = jen();
        let q = g.question().unwrap();
        let bounds = stated(&g, q, &crate::mentions::link(&g));
        let (bought, sold) = (input_at(&g, "50 candy"), input_at(&g, "48 of"));
        assert!(
            bounds.contains(&(bought, Bound::Floor(Number::int(48)))),
            "{bounds:?}"
        );
        assert!(
            bounds.contains(&(sold, Bound::Cap(Number::int(50)))),
            "{bounds:?}"
        );
        // The price is no part of anything.
        assert!(
            bounds.iter().all(|&(n, _)| n == bought || n == sold),
            "{bounds:?}"
        );
    }

    #[test]
    fn a_part_of_the_next_count_stays_within_it() {
        let g = crate::gsm8k::extract(
            "Tom planted 30 of the 45 seeds he bought. Each planted seed grew 3 flowers. How many flowers grew?",
            "30 * 3 = <<30*3=90>>90 flowers\n#### 90",
        )
        .unwrap()
        .graph;
        let q = g.question().unwrap();
        let mentions = crate::mentions::link(&g);
        let (part, whole) = (
            mentions
                .iter()
                .position(|m| q[m.start..].starts_with("30 of"))
                .unwrap(),
            mentions
                .iter()
                .position(|m| q[m.start..].starts_with("45 seeds"))
                .unwrap(),
        );
        assert_eq!(parts(q, &mentions), vec![(part, whole)]);
        let planted = input_at(&g, "30 of");
        assert!(
            stated(&g, q, &mentions).contains(&(planted, Bound::Cap(Number::int(45)))),
            "{:?}",
            stated(&g, q, &mentions)
        );
    }

    #[test]
    fn a_percentage_or_a_larger_number_is_no_part() {
        let m = |q: &str, at: &str, v: i128| Mention {
            start: q.find(at).unwrap(),
            end: q.find(at).unwrap() + v.to_string().len(),
            node: None,
            value: Number::int(v),
        };
        let q =
            "Of the 50 students, 20 percent of the 50 walk. She has 30 apples and eats 40 of them.";
        let mentions = [
            m(q, "50 students", 50),
            m(q, "20 percent", 20),
            m(q, "50 walk", 50),
        ];
        assert!(parts(q, &mentions).is_empty());
        let q = "She sold 20% of the 50 cakes.";
        assert!(parts(q, &[m(q, "20%", 20), m(q, "50 cakes", 50)]).is_empty());
        // (A larger part is left to the graph: the original does not keep it within.)
        let q = "She has 30 apples and eats 40 of them.";
        let mentions = [m(q, "30 apples", 30), m(q, "40 of", 40)];
        assert_eq!(parts(q, &mentions), vec![(1, 0)]);
        let g = crate::gsm8k::extract(q, "40 - 30 = <<40-30=10>>10\n#### 10").map(|e| e.graph);
        if let Ok(g) = g {
            let mentions = crate::mentions::link(&g);
            assert!(stated(&g, g.question().unwrap(), &mentions).is_empty());
        }
    }

    /// No curriculum makes Jen sell more candy bars than she buys.
    #[test]
    fn curricula_keep_a_part_within_its_count() {
        use crate::curriculum::{generate, CurriculumConfig};
        let g = jen();
        let (bought, sold) = (input_at(&g, "50 candy"), input_at(&g, "48 of"));
        let mut changed = 0;
        for seed in 0..40 {
            let cfg = CurriculumConfig {
                rounds: 8,
                per_problem: 1,
                seed,
                ..CurriculumConfig::default()
            };
            for chain in generate(&g, "jen", &cfg).unwrap() {
                for v in &chain.variants {
                    let h = &v.graph;
                    let of = |u: NodeId| {
                        h.ids()
                            .filter(|&id| super::super::names::base(h, id) == u)
                            .map(|id| h.value(id))
                            .collect::<Vec<_>>()
                    };
                    let (b, s) = (of(bought), of(sold));
                    assert!(
                        b.iter().all(|&b| b >= Number::int(48))
                            && s.iter().all(|&s| s <= Number::int(50)),
                        "seed {seed}: bought {b:?}, sold {s:?}"
                    );
                    changed += usize::from(b.iter().any(|&b| b != Number::int(50)));
                }
            }
        }
        assert!(changed > 0, "the count bought is still changed");
    }

    #[test]
    fn a_minimum_floors_the_counts_of_its_noun() {
        let g = crate::gsm8k::extract(
            "A class needs at least 4 chairs at each table. There are 6 chairs at each table and 5 tables. How many chairs are there?",
            "6*5 = <<6*5=30>>30 chairs\n#### 30",
        )
        .unwrap()
        .graph;
        let q = g.question().unwrap();
        let bounds = stated(&g, q, &crate::mentions::link(&g));
        let six = input_at(&g, "6 chairs");
        assert!(
            bounds.contains(&(six, Bound::Floor(Number::int(4)))),
            "{bounds:?}"
        );
    }
}
