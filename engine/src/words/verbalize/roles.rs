//! Inputs the solution may read in two roles: a number the question writes once that a product
//! uses for something else as well. A change to such an input changes both roles, while a text
//! can only tell a change to the one the question writes.

use crate::expr::{BinOp, Expr};
use crate::extraction::text_numbers::Mention;
use crate::graph::{Graph, NodeId, NodeKind};
use crate::Number;

/// What a number of the question measures, as far as a product of two of them can tell: a
/// product of two times ("3 hours" × "2 hrs") or of two amounts of money means nothing, so one
/// of its factors stands for something the question does not write there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// Dollars (`$5`).
    Money,
    /// A unit of time (`3 hours`, `2 hrs`, `12 years old`).
    Time(&'static str),
}

/// The unit of time a word names, in one spelling (`hrs` → `hour`).
fn time_unit(w: &str) -> Option<&'static str> {
    Some(match w {
        "second" | "seconds" | "sec" | "secs" => "second",
        "minute" | "minutes" | "min" | "mins" => "minute",
        "hour" | "hours" | "hr" | "hrs" => "hour",
        "day" | "days" => "day",
        "week" | "weeks" => "week",
        "month" | "months" => "month",
        "year" | "years" => "year",
        _ => return None,
    })
}

/// The measure of input `id` of `original`, read from its mention in `q`: money when a `$`
/// writes it, a time when a unit of time is the word right after it.
fn measure(q: &str, original: &Graph, id: NodeId) -> Option<Measure> {
    let NodeKind::Input { span: Some(span) } = &original.node(id).kind else {
        return None;
    };
    let (start, end) = (span.start as usize, span.end as usize);
    let written = q.get(start..end)?;
    if written.starts_with('$') || q.get(..start).is_some_and(|b| b.ends_with('$')) {
        return Some(Measure::Money);
    }
    let word = words_after(q.get(end..)?).next()?.to_ascii_lowercase();
    time_unit(&word).map(Measure::Time)
}

/// Whether node `x` of `original` is an input that a product reads in a second role: an input
/// multiplied by itself (`3 * 3` for "3 tables with 3 legs each" where the question writes the
/// 3 once), one factor of a product of two times or two amounts of money (`2 * 3` for "2 more
/// hours in each of the places", the 3 read from "3 hours"), or one that two steps' sentences
/// write as different things ([`reread_as_other_things`]), or a divisor where the question
/// writes one over it as a fraction ([`divides_for_a_fraction`]). (Asked of one node at a
/// time: the curriculum asks only of the inputs every cheaper test lets through.)
/// `found` holds the numbers of the question, as [`find_numbers`] reads them.
///
/// [`find_numbers`]: crate::extraction::text_numbers::find_numbers
pub(super) fn two_roles(original: &Graph, x: NodeId, found: &[Mention]) -> bool {
    if !matches!(original.node(x).kind, NodeKind::Input { .. }) {
        return false;
    }
    let q = original.question().unwrap_or("");
    multiplied_in_two_roles(original, q, x)
        || reread_as_other_things(original, q, x)
        || divides_for_a_fraction(original, x, found)
}

/// Whether a step divides by input `x` while the question writes one over its value as a
/// fraction ("then another 1/3 times more hours" and `9/3`, the 3 read from "3 hours"): the
/// step may divide by the fraction's denominator, which the solution reads from the input of
/// the same number, so a change to the input would change the fraction too.
fn divides_for_a_fraction(original: &Graph, x: NodeId, found: &[Mention]) -> bool {
    let v = original.value(x);
    if !v.is_integer() || v <= Number::int(1) {
        return false;
    }
    // (The question's numbers first: few questions write a fraction.)
    let written = Number::int(1)
        .div(v)
        .is_ok_and(|inverse| found.iter().any(|m| m.means(inverse)));
    written
        && original.ids().any(|id| {
            let node = original.node(id);
            let NodeKind::Step { expr } = &node.kind else {
                return false;
            };
            node.operands.contains(&x)
                && expr.binary_ops().any(|(op, _, b)| {
                    op == BinOp::Div
                        && matches!(b, Expr::Arg(j) if node.operands.get(*j as usize) == Some(&x))
                })
        })
}

/// Whether a step multiplies input `x` by itself, or by another input of the same time or
/// money measure.
fn multiplied_in_two_roles(original: &Graph, q: &str, x: NodeId) -> bool {
    original.ids().any(|id| {
        let node = original.node(id);
        let NodeKind::Step { expr } = &node.kind else {
            return false;
        };
        if !node.operands.contains(&x) {
            return false;
        }
        let input = |e: &Expr| match e {
            Expr::Arg(j) => node
                .operands
                .get(*j as usize)
                .copied()
                .filter(|&o| matches!(original.node(o).kind, NodeKind::Input { .. })),
            _ => None,
        };
        // The products of two inputs anywhere in the step's expression.
        expr.binary_ops().any(|(op, a, b)| {
            op == BinOp::Mul
                && match (input(a), input(b)) {
                    (Some(l), Some(r)) => {
                        (l == x || r == x)
                            && (l == r || {
                                let ml = measure(q, original, l);
                                ml.is_some() && ml == measure(q, original, r)
                            })
                    }
                    _ => false,
                }
        })
    })
}

/// Words after a number that say nothing of what it counts.
const NOT_THINGS: &[&str] = &[
    "more",
    "less",
    "fewer",
    "each",
    "per",
    "times",
    "of",
    "and",
    "or",
    "the",
    "a",
    "an",
    "to",
    "for",
    "in",
    "on",
    "at",
    "by",
    "with",
    "from",
    "is",
    "are",
    "was",
    "were",
    "total",
    "extra",
    "additional",
    "other",
    "left",
    "x",
    "equals",
    "then",
    "so",
    "because",
    "which",
    "that",
];

/// Whether `w` may say what a number counts (not a word such as "more" or "each").
fn is_thing(w: &str) -> bool {
    w.len() >= 3 && !NOT_THINGS.iter().any(|n| n.eq_ignore_ascii_case(w))
}

/// What the word after a number counts, in one spelling (`hrs` → `hour`, `sides` → `side`),
/// or `None` for a word that says nothing of it.
fn thing(w: &str) -> Option<String> {
    if !is_thing(w) {
        return None;
    }
    let w = w.to_ascii_lowercase();
    if let Some(unit) = time_unit(&w) {
        return Some(unit.to_string());
    }
    Some(super::english::singular(&w))
}

/// The most words after a number of a step's sentence that may say what it counts ("200 needed
/// wooden planks").
const THING_WORDS: usize = 3;

/// Up to [`THING_WORDS`] words at the start of `s` (after spaces and a hyphen), letters only,
/// ending at the first word with anything else (`4 weeks * …`, `12 objects.`).
fn words_after(s: &str) -> impl Iterator<Item = &str> {
    let mut done = false;
    s.trim_start_matches([' ', '-'])
        .split(' ')
        .take(THING_WORDS)
        .map_while(move |w| {
            if done {
                return None;
            }
            let end = w
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(w.len());
            done = end < w.len();
            (end > 0).then_some(&w[..end])
        })
}

/// Marks the inputs of `original` that two steps read as different things: one step's sentence
/// writes the input's value followed by a word of the question's sentence that writes it ("The
/// 6 triangles …" for "6 cookie cutters shaped like triangles"), another's only by a word that
/// sentence never writes ("The 2 hexagons have 6 sides each … 2 * 6"). The second step reads the
/// number for something the question does not write there (a hexagon's six sides), and a
/// change to the input would change that too.
fn reread_as_other_things(original: &Graph, q: &str, x: NodeId) -> bool {
    let NodeKind::Input { span: Some(span) } = &original.node(x).kind else {
        return false;
    };
    let (start, end) = (span.start as usize, span.end as usize);
    if q.get(start..end).is_none() {
        return false;
    }
    let mut readers = original.ids().filter(|&r| {
        let node = original.node(r);
        node.kind.is_operation() && node.operands.contains(&x) && node.text.is_some()
    });
    let (Some(first), Some(_)) = (readers.next(), readers.next()) else {
        return false;
    };
    let Some(value) = original.value(x).to_decimal_string() else {
        return false;
    };
    // The places the steps' sentences write the value with a word for what it counts,
    // found first (nothing allocated): most inputs have fewer than two, and no evidence.
    let mut places: Vec<&str> = Vec::with_capacity(8);
    for r in original.ids().skip(first.index()) {
        let node = original.node(r);
        if !(node.kind.is_operation() && node.operands.contains(&x)) {
            continue;
        }
        if let Some(text) = node.text.as_deref() {
            places.extend(written_as(text, &value).filter(|a| words_after(a).any(is_thing)));
        }
    }
    if places.len() < 2 {
        return false;
    }
    // The question's words for what it counts: its sentence's.
    let sentence = super::english::sentences(q)
        .into_iter()
        .find(|&(s, e)| s <= start && end <= e)
        .map_or(q, |(s, e)| &q[s..e]);
    let things: Vec<String> = sentence
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter_map(thing)
        .collect();
    let (mut same, mut other) = (false, false);
    for after in places {
        if words_after(after)
            .filter_map(thing)
            .any(|w| things.contains(&w))
        {
            same = true;
        } else {
            other = true;
        }
    }
    same && other
}

/// The text right after each place `text` writes the number `value` on its own (not as a
/// result after `=`).
fn written_as<'t>(text: &'t str, value: &'t str) -> impl Iterator<Item = &'t str> + 't {
    let b = text.as_bytes();
    text.match_indices(value).filter_map(move |(at, _)| {
        let end = at + value.len();
        let joined = |i: usize| {
            b.get(i)
                .is_some_and(|c| c.is_ascii_digit() || *c == b'.' || *c == b',' || *c == b'$')
        };
        let before = at
            .checked_sub(1)
            .is_some_and(|i| b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b',' || b[i] == b'/');
        // A result (`= 2 times`) is not the number read.
        let result = text[..at].trim_end().ends_with('=');
        let after_digit = b.get(end).is_some_and(|c| c.is_ascii_digit())
            || (joined(end) && b.get(end + 1).is_some_and(|c| c.is_ascii_digit()));
        (!before && !after_digit && !result).then(|| &text[end..])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`two_roles`] of every node.
    fn marks(g: &Graph) -> Vec<bool> {
        let found = crate::extraction::text_numbers::find_numbers(g.question().unwrap_or_default());
        g.ids().map(|id| two_roles(g, id, &found)).collect()
    }

    fn graph(question: &str, answer: &str) -> Graph {
        crate::gsm8k::extract(question, answer)
            .expect("extracts")
            .graph
    }

    fn input_named(g: &Graph, v: i128) -> NodeId {
        g.ids()
            .find(|&id| {
                matches!(g.node(id).kind, NodeKind::Input { .. })
                    && g.value(id) == crate::Number::int(v)
            })
            .expect("input")
    }

    #[test]
    fn a_product_of_two_times_marks_both_factors() {
        let g = graph(
            "A plane hovered in Mountain time for 3 hours and in Eastern time for 2 hrs. The next day it took 2 more hours to hover in each of the places. How many hours did it hover in the two days?",
            "On the first day it hovered 3+2 = <<3+2=5>>5 hours.\nThe next day it took 2*3 = <<2*3=6>>6 more hours.\nIn total 5+5+6 = <<5+5+6=16>>16 hours.\n#### 16",
        );
        let marked = marks(&g);
        assert!(marked[input_named(&g, 3).index()], "{g:?}");
        assert!(marked[input_named(&g, 2).index()]);
    }

    #[test]
    fn a_time_times_a_count_marks_nothing() {
        let g = graph(
            "Paris studies 3 hours a day for 5 days. How many hours does she study?",
            "She studies 3*5 = <<3*5=15>>15 hours.\n#### 15",
        );
        assert!(marks(&g).iter().all(|&m| !m), "{g:?}");
    }

    #[test]
    fn an_input_multiplied_by_itself_is_marked() {
        let g = graph(
            "There are 3 tables with the same number of legs each. How many legs are there?",
            "There are 3*3 = <<3*3=9>>9 legs.\n#### 9",
        );
        assert!(marks(&g)[input_named(&g, 3).index()], "{g:?}");
    }

    #[test]
    fn a_number_a_step_writes_as_other_things_is_marked() {
        let g = graph(
            "There are 6 cookie cutters shaped like triangles and 2 hexagons. How many sides are there?",
            "The 6 triangles have 3 sides each: 6 * 3 = <<6*3=18>>18 sides.\nThe 2 hexagons have 6 sides each: 2 * 6 = <<2*6=12>>12 sides.\nIn total 18 + 12 = <<18+12=30>>30 sides.\n#### 30",
        );
        let marked = marks(&g);
        assert!(marked[input_named(&g, 6).index()], "{g:?}");
        assert!(!marked[input_named(&g, 2).index()]);
    }

    #[test]
    fn a_number_written_as_the_same_things_is_not_marked() {
        let g = graph(
            "Tom has 6 red apples and 4 pears. How many fruits does he have?",
            "He has 6 apples and 4 pears, so 6 + 4 = <<6+4=10>>10 fruits.\n#### 10",
        );
        assert!(marks(&g).iter().all(|&m| !m), "{g:?}");
    }

    #[test]
    fn a_divisor_the_question_writes_as_a_fraction_is_marked() {
        // The 3 of `9/3` is the "1/3" of James's sentence, but the extraction reads it from
        // "3 hours": a change to John's 3 hours would change James's third too.
        let g = graph(
            "John and James decided to have a dance-off.  John danced for 3 hours and then another 5 hours after taking a 1-hour break.  James danced the whole time John was dancing and resting, and then another 1/3 times more hours.  How long was their combined dancing time without including  John's break time?",
            "John dances 3+5=<<3+5=8>>8 hours\nJohn's total time is 3+5+1=<<3+5+1=9>>9 hours\nJames dances 9/3=<<9/3=3>>3 hours longer than that\nSo James dances 9+3=<<9+3=12>>12 hours\nSo the total dancing time is 8+12=<<8+12=20>>20 hours\n#### 20",
        );
        let marked = marks(&g);
        assert!(marked[input_named(&g, 3).index()], "{g:?}");
        assert!(!marked[input_named(&g, 5).index()]);
    }

    #[test]
    fn a_divisor_without_a_fraction_is_not_marked() {
        let g = graph(
            "Ann shares 12 apples among her 3 friends. How many apples does each friend get?",
            "Each gets 12/3 = <<12/3=4>>4 apples.\n#### 4",
        );
        assert!(marks(&g).iter().all(|&m| !m), "{g:?}");
    }

    #[test]
    fn money_times_money_marks_both() {
        let g = graph(
            "A pen costs $2 and a book costs $5. How much is 2 books?",
            "It is 5*2 = <<5*2=10>>10 dollars.\n#### 10",
        );
        let marked = marks(&g);
        assert!(marked[input_named(&g, 5).index()], "{g:?}");
    }
}
