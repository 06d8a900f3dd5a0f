//! Flaws of an original problem itself: what its own solution computes that no careful
//! reader of its text would accept.
//!
//! Datasets made by replacing numbers (GSM-Hard puts 4,933,828 where GSM8K had 4) keep the
//! words and the program, so their solutions can reach amounts no reader would: more eggs
//! eaten than laid, 5,407,462.8 teachers. Every variant of such a problem carries the flaw
//! into its own text (the words checks compare a variant with its original, and the original
//! is as bad), so a blind solver marks them ill-posed. [`flaws`] finds them before any
//! variant is made:
//!
//! - [`FlawKind::Negative`]: a step or the answer below zero, though every number the
//!   problem gives is zero or more (a temperature of −14 °F makes negatives expected);
//! - [`FlawKind::FractionalCount`]: a count of things (a quantity named "the number of …")
//!   that is not whole;
//! - [`FlawKind::PastCents`]: an answer in money that is not a whole number of cents.

use serde::Serialize;

use crate::graph::{Graph, NodeId, NodeKind};
use crate::number::Number;
use crate::verbalize::names::{self, Measure, Names};

/// What is wrong with a value the original's solution computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlawKind {
    /// Below zero, though every given number is zero or more.
    Negative,
    /// A count of things that is not whole.
    FractionalCount,
    /// Money that is not a whole number of cents (the answer only).
    PastCents,
}

impl FlawKind {
    /// The snake_case name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            FlawKind::Negative => "negative",
            FlawKind::FractionalCount => "fractional_count",
            FlawKind::PastCents => "past_cents",
        }
    }
}

/// One flaw: the node whose value is wrong, and a message that says what, where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flaw {
    /// What is wrong.
    pub kind: FlawKind,
    /// The node (a step or the answer) whose value it is.
    pub node: NodeId,
    /// What, where and why, in words ("the solution gives -9867630 for `remaining` (the
    /// answer): below zero, though every number the problem gives is zero or more").
    pub message: String,
}

/// The flaws of `original`'s own solution, first node first (at most one per node, the
/// answer's first among equals); empty for a sound problem.
pub fn flaws(original: &Graph) -> Vec<Flaw> {
    let mut found = Vec::new();
    let question = original.question().unwrap_or("");
    // (Lowercased once for every word test below.)
    let lower = question.to_ascii_lowercase();
    // Negative amounts are a flaw only where nothing given is negative, in the program or in
    // the words ("-14 degrees", "5 below zero").
    let givens_nonnegative = original
        .ids()
        .all(|id| original.node(id).kind.is_operation() || !original.value(id).is_negative())
        && !writes_negative(question, &lower);
    let averages = lower.contains("average");
    // Names are read only when some value could be a fractional count or money.
    let mut names: Option<Names> = None;
    for &id in original.order() {
        let node = original.node(id);
        if !node.kind.is_operation() || matches!(node.kind, NodeKind::Proxy { .. }) {
            continue;
        }
        let v = original.value(id);
        let answer = id == original.answer();
        let what = || describe(original, id, answer);
        if givens_nonnegative && v.is_negative() {
            found.push(Flaw {
                kind: FlawKind::Negative,
                node: id,
                message: format!(
                    "the solution gives {} for {}: below zero, though every number the problem \
                     gives is zero or more (the numbers do not fit together, or the solution \
                     was read wrongly)",
                    shown(v),
                    what()
                ),
            });
            continue;
        }
        // (An average of counts may well be fractional.)
        if v.is_integer() || averages {
            continue;
        }
        let names = names.get_or_insert_with(|| Names::new(original));
        let Some(name) = names.get(id) else {
            // An answer the names leave unnamed ("How many teachers are there?": a bare count
            // is refused as a name) is a count when the question asks how many things.
            if answer && asks_count(&lower) {
                found.push(Flaw {
                    kind: FlawKind::FractionalCount,
                    node: id,
                    message: format!(
                        "the solution gives {} for {}: the question asks how many, and the count \
                         is not whole (the problem's numbers do not divide evenly)",
                        shown(v),
                        what()
                    ),
                });
            }
            continue;
        };
        match name.measure {
            Measure::Count
                if name
                    .phrase
                    .strip_prefix("the number of ")
                    .is_some_and(counts_things) =>
            {
                found.push(Flaw {
                    kind: FlawKind::FractionalCount,
                    node: id,
                    message: format!(
                        "the solution gives {} for {} ({}): a count of things that is not \
                         whole (the problem's numbers do not divide evenly)",
                        shown(v),
                        what(),
                        name.phrase
                    ),
                })
            }
            Measure::Money if answer && !whole_cents(v) => found.push(Flaw {
                kind: FlawKind::PastCents,
                node: id,
                message: format!(
                    "the answer is ${} ({}): money that is not a whole number of cents",
                    shown(v),
                    name.phrase
                ),
            }),
            _ => {}
        }
    }
    found
}

/// Whether `question` (and `lower`, its ASCII lowercase) writes a negative amount: a minus
/// sign before a digit ("-14 degrees", "−8"), or the words "below zero", "negative" or "minus".
fn writes_negative(question: &str, lower: &str) -> bool {
    let b = question.as_bytes();
    let signed = question.match_indices(['-', '\u{2212}']).any(|(i, sign)| {
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + sign.len());
        before.is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'(' | b':' | b','))
            && after.is_some_and(u8::is_ascii_digit)
    });
    signed
        || ["below zero", "negative", "minus"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Whether a question's last question (`lower`: the question in ASCII lowercase) asks how many
/// things ("How many teachers are there?", "how many more glasses"), not how many of a unit
/// ("how many hours") nor how many times.
fn asks_count(lower: &str) -> bool {
    let Some(end) = lower.rfind('?') else {
        return false;
    };
    let lower = &lower[..end];
    let Some(at) = lower.rfind("how many ") else {
        return false;
    };
    counts_things(&lower[at + "how many ".len()..])
}

/// Whether the words after "how many" or "the number of" (lowercase) count things: their
/// noun, past "more" or "fewer", is a plural that is not a unit ("hours", "pounds") nor
/// "times" or "percent". (A word may hold `&`, as brand plurals do: "M&Ms".)
fn counts_things(words: &str) -> bool {
    let mut words = words
        .split(|c: char| !c.is_ascii_alphabetic() && c != '&')
        .filter(|w| !w.is_empty())
        .skip_while(|w| matches!(*w, "more" | "fewer" | "extra" | "additional" | "whole"));
    words.next().is_some_and(|w| {
        w.len() > 2
            && w.ends_with('s')
            && w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'&')
            && !names::UNITS.contains(&w)
            && !names::NOT_NOUNS.contains(&w)
    })
}

/// `id` for a message: "`teachers` (the answer)" or "`remaining`".
fn describe(g: &Graph, id: NodeId, answer: bool) -> String {
    let name = &g.node(id).name;
    if answer {
        format!("`{name}` (the answer)")
    } else {
        format!("`{name}`")
    }
}

/// `v` as a reader would write it: a short decimal, else a fraction.
fn shown(v: Number) -> String {
    match v.to_decimal_string() {
        Some(d) if d.len() <= 24 => d,
        _ => format!("{v}"),
    }
}

/// Whether `v` (dollars) is a whole number of cents.
fn whole_cents(v: Number) -> bool {
    v.mul(Number::int(100)).is_ok_and(|c| c.is_integer())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extraction::problem::{extract, Problem};

    fn program(question: &str, code: &str) -> Graph {
        crate::parse_program(code, Some(question)).expect("the program parses")
    }

    /// [`writes_negative`] of a question as written.
    fn negative(q: &str) -> bool {
        writes_negative(q, &q.to_ascii_lowercase())
    }

    /// [`asks_count`] of a question as written.
    fn asks(q: &str) -> bool {
        asks_count(&q.to_ascii_lowercase())
    }

    fn kinds(g: &Graph) -> Vec<FlawKind> {
        flaws(g).iter().map(|f| f.kind).collect()
    }

    #[test]
    fn more_eaten_than_laid_is_negative() {
        let g = program(
            "Janet's ducks lay 16 eggs per day. She eats 4933828 for breakfast. How many eggs \
             does she have left?",
            "def solution():\n    laid = 16\n    eaten = 4933828\n    left = laid - eaten\n    return left\n",
        );
        let f = flaws(&g);
        assert_eq!(kinds(&g), vec![FlawKind::Negative]);
        assert_eq!(f[0].node, g.answer());
        assert!(f[0].message.contains("-4933812"), "{}", f[0].message);
        assert!(
            f[0].message.contains("`left` (the answer)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn negative_givens_make_negatives_expected() {
        let g = program(
            "The temperatures were -14 degrees and 8 degrees. What was the total?",
            "def solution():\n    a = -14\n    b = 8\n    total = a + b\n    return total\n",
        );
        assert!(flaws(&g).is_empty());
    }

    #[test]
    fn negatives_written_in_words_are_expected() {
        assert!(negative("It was -14 degrees."));
        assert!(negative("(−8 degrees)"));
        assert!(negative("It was 5 below zero."));
        assert!(!negative("A 3-year-old has 20-30 toys."));
        let g = program(
            "The temperatures were -14 degrees and 8 degrees. What was the total?",
            "def solution():\n    a = 14\n    b = 8\n    total = b - a\n    return total\n",
        );
        assert!(flaws(&g).is_empty(), "{:?}", flaws(&g));
    }

    #[test]
    fn a_fractional_count_of_teachers_is_flawed_but_hours_are_not() {
        let teachers = program(
            "There are 9012438 girls and 5 students to every teacher. How many teachers are \
             there?",
            "def solution():\n    girls = 9012438\n    per = 5\n    teachers = girls / per\n    return teachers\n",
        );
        let f = flaws(&teachers);
        assert_eq!(kinds(&teachers), vec![FlawKind::FractionalCount], "{f:?}");
        assert!(f[0].message.contains("1802487.6"), "{}", f[0].message);
        let hours = program(
            "Tom walks 9 miles at 2 miles an hour. How many hours does Tom walk?",
            "def solution():\n    miles = 9\n    speed = 2\n    hours = miles / speed\n    return hours\n",
        );
        assert!(flaws(&hours).is_empty(), "{:?}", flaws(&hours));
        let average = program(
            "Jane counts 17 stripes on one zebra and 4 on another. How many stripes do the \
             zebras have on average?",
            "def solution():\n    a = 17\n    b = 4\n    mean = (a + b) / 2\n    return mean\n",
        );
        assert!(flaws(&average).is_empty(), "{:?}", flaws(&average));
    }

    #[test]
    fn how_many_things_is_a_count_and_how_many_hours_is_not() {
        assert!(asks("There are 5. How many teachers are there?"));
        assert!(asks("How many more glasses did Julie sell than Micah?"));
        assert!(!asks("How many hours does he work?"));
        assert!(!asks("How many times as many?"));
        assert!(!asks("How many is that? It is 5."[..18].trim_end()));
        assert!(!asks("She has 5 teachers."));
        // A brand plural is a plural.
        assert!(asks(
            "The first bag has 300 M&Ms. How many M&Ms did Mary get total?"
        ));
        assert!(!asks("How many & did she write?"));
    }

    #[test]
    fn half_a_bag_of_an_odd_count_of_mms_is_flawed() {
        let g = program(
            "Mary buys 3 bags of M&Ms. The first bag has 7930843 M&Ms in it. The second bag \
             has 12 more M&Ms than the first, and the third bag has a hole in it, so it only \
             has half the number of M&Ms that the first bag had. How many M&Ms did Mary get \
             total?",
            "def solution():\n    first = 7930843\n    second = first + 12\n    third = first / 2\n    total = first + second + third\n    return total\n",
        );
        assert!(
            kinds(&g).contains(&FlawKind::FractionalCount),
            "{:?}",
            flaws(&g)
        );
    }

    #[test]
    fn money_past_cents_is_flawed_and_cents_are_not() {
        let split = program(
            "Ann spent $100 on a party and split the cost evenly three ways. How much money \
             did each person pay?",
            "def solution():\n    cost = 100\n    people = 3\n    each = cost / people\n    return each\n",
        );
        assert_eq!(
            kinds(&split),
            vec![FlawKind::PastCents],
            "{:?}",
            flaws(&split)
        );
        let halves = program(
            "Ann spent $25 on a party and split the cost evenly two ways. How much money did \
             each person pay?",
            "def solution():\n    cost = 25\n    people = 2\n    each = cost / people\n    return each\n",
        );
        assert!(flaws(&halves).is_empty(), "{:?}", flaws(&halves));
    }

    #[test]
    fn a_sound_gsm8k_problem_has_no_flaw() {
        let p = Problem::from_json(
            r#"{"question":"Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?","answer":"Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72"}"#,
        )
        .expect("a GSM8K row");
        let g = extract(&p).expect("extracts").graph;
        assert!(flaws(&g).is_empty(), "{:?}", flaws(&g));
    }
}
