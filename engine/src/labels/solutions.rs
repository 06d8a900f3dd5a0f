//! A model's free-text solution of a variant, read the way a grader would: its final answer
//! scored exactly against the graph's answer ([`score`]), and each of its steps labelled +1 / 0
//! / −1 with a reason an annotator can read ([`label_solution`]).
//!
//! **The final answer** is the number after the last `####`, else inside the last `\boxed{…}`,
//! else after the last "the answer is", else the last number in the text. Money (`$1,200.50`),
//! commas, percents (`20%` is 20 or 0.2), fractions (`3/4`, `1 1/2`) and a leading minus are
//! read.
//!
//! **The rounding rule.** A written number equals an exact value when it is that value, or when
//! it is written as a decimal with at least two digits after the point and lies within half a
//! unit of its last digit of the value (`0.33` and `0.333` for 1/3, `3.14` for 157/50 only if
//! exact); a whole number is never rounded (`3` is not 10/3).
//!
//! **Step labels.** The solution's lines (the `####` line left out) are its steps. A step's
//! computations are the `a op b … = c` it writes (`+ - * × x / ÷`, parentheses, `%`), each
//! checked exactly. A step is
//! - **−1** when a computation's arithmetic is wrong, when it reads a number that is no
//!   quantity of the problem, no earlier result and no common constant (a wrong operand), or
//!   when its result is no worked-out quantity of the problem and leads away from the answer
//!   (no later computation carries it to a quantity the answer depends on);
//! - **+1** when its result is a worked-out quantity the answer depends on (or the answer);
//! - **0** otherwise: no computation, a restatement, a quantity the answer does not need, or
//!   a result of its own that later steps carry to the answer (`16 - 3 = 13`, then
//!   `13 - 4 = 9`, where the problem works out 16 − 3 − 4 at once).
//!
//! The first −1 is the first error. Work is linear in the text, which is read up to
//! [`MAX_SOLUTION_BYTES`].

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::extraction::text_numbers::{find_numbers, MentionKind};
use crate::graph::{Graph, NodeId};
use crate::number::Number;

/// The longest solution read; the rest is ignored.
pub const MAX_SOLUTION_BYTES: usize = 64 * 1024;

/// Deepest parenthesis nesting read in a computation; deeper ones are not read as one.
const MAX_PARENS: usize = 16;

/// Where a final answer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// After `####`.
    Hashes,
    /// Inside `\boxed{…}`.
    Boxed,
    /// After "the answer is".
    AnswerIs,
    /// The last number of the text.
    LastNumber,
}

/// The final answer a solution states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalAnswer {
    /// The number as written (`$1,200`, `33%`).
    pub written: String,
    /// The values it may stand for, most likely first (`20%` is 20 or 0.2).
    pub values: Vec<Number>,
    /// Digits after the decimal point, when written as a decimal.
    pub decimals: u32,
    /// Where it was found.
    pub source: AnswerSource,
}

/// How a solution's final answer compares with the graph's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    /// It states the answer (exactly, or under the rounding rule).
    Correct,
    /// It states another number.
    Wrong,
    /// It states no number.
    Unparseable,
}

impl Score {
    /// Its name (`correct`, `wrong`, `unparseable`).
    pub fn as_str(self) -> &'static str {
        match self {
            Score::Correct => "correct",
            Score::Wrong => "wrong",
            Score::Unparseable => "unparseable",
        }
    }

    /// The score a name names.
    pub fn parse(s: &str) -> Option<Score> {
        [Score::Correct, Score::Wrong, Score::Unparseable]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// `text` cut to [`MAX_SOLUTION_BYTES`] on a character boundary.
fn bounded(text: &str) -> &str {
    if text.len() <= MAX_SOLUTION_BYTES {
        return text;
    }
    let mut end = MAX_SOLUTION_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Digits after the decimal point of a number written as `s` (`0` for none).
fn decimals_of(s: &str) -> u32 {
    match s.find('.') {
        Some(i) => s[i + 1..].chars().take_while(char::is_ascii_digit).count() as u32,
        None => 0,
    }
}

/// The first number written in `text` from byte `from` on, as a final answer from `source`
/// (a minus just before it, `$` and spaces between, makes it negative).
fn first_number(text: &str, from: usize, source: AnswerSource) -> Option<FinalAnswer> {
    let m = find_numbers(&text[from..]).into_iter().next()?;
    let (start, end) = (from + m.span.start as usize, from + m.span.end as usize);
    let negative = text[..start]
        .trim_end_matches(['$', ' '])
        .ends_with(['-', '−']);
    let mut values: Vec<Number> = m.values().to_vec();
    if negative {
        values = values.into_iter().filter_map(|v| v.neg().ok()).collect();
    }
    let mut written = text[start..end].to_string();
    if m.kind == MentionKind::Money {
        written.insert(0, '$');
    }
    if m.kind == MentionKind::Percent {
        written.push('%');
    }
    if negative {
        written.insert(0, '-');
    }
    Some(FinalAnswer {
        decimals: if m.kind == MentionKind::Word {
            0
        } else {
            decimals_of(&text[start..end])
        },
        written,
        values,
        source,
    })
}

/// The final answer `text` states, if any (see the module's rules).
pub fn final_answer(text: &str) -> Option<FinalAnswer> {
    let text = bounded(text);
    if let Some(i) = text.rfind("####") {
        if let Some(a) = first_number(text, i + 4, AnswerSource::Hashes) {
            return Some(a);
        }
    }
    if let Some(i) = text.rfind("\\boxed{") {
        let inner = &text[i + 7..];
        let inner = &inner[..inner.find('}').unwrap_or(inner.len())];
        if let Some(a) = first_number(inner, 0, AnswerSource::Boxed) {
            return Some(a);
        }
    }
    let lower = text.to_ascii_lowercase();
    if let Some(i) = lower.rfind("the answer is") {
        if let Some(a) = first_number(text, i + 13, AnswerSource::AnswerIs) {
            return Some(a);
        }
    }
    let last = find_numbers(text).into_iter().last()?;
    first_number(text, last.span.start as usize, AnswerSource::LastNumber)
}

/// Whether `written` (with `decimals` digits after its point) states `exact` under the
/// rounding rule: equal, or a decimal of two or more places within half a unit of its last
/// digit.
pub fn states(written: Number, decimals: u32, exact: Number) -> bool {
    if written == exact {
        return true;
    }
    if !(2..=12).contains(&decimals) {
        return false;
    }
    // |exact − written| · 2 · 10^decimals ≤ 1
    let Ok(diff) = exact.sub(written).and_then(Number::abs) else {
        return false;
    };
    let scale = Number::from(2 * 10i64.pow(decimals));
    diff.mul(scale).is_ok_and(|d| d <= Number::ONE)
}

/// Scores `text` against `answer`: the final answer it states, and whether it is right.
pub fn score(text: &str, answer: Number) -> (Score, Option<FinalAnswer>) {
    match final_answer(text) {
        None => (Score::Unparseable, None),
        Some(a) => {
            let right = a.values.iter().any(|&v| states(v, a.decimals, answer));
            (if right { Score::Correct } else { Score::Wrong }, Some(a))
        }
    }
}

/// One token of a solution line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// A number, with its digits after the point.
    Num(Number, u32),
    /// `+ - * /` (`×`, `x` between numbers, `÷` and `−` read as these).
    Op(char),
    Open,
    Close,
    Eq,
    /// Anything else: words, units, punctuation.
    Other,
}

/// The tokens of `line` (GSM8K `<<…>>` annotations taken out first).
fn tokens(line: &str) -> Vec<Tok> {
    let mut clean = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("<<") {
        clean.push_str(&rest[..i]);
        match rest[i..].find(">>") {
            Some(j) => rest = &rest[i + j + 2..],
            None => {
                rest = "";
            }
        }
    }
    clean.push_str(rest);
    let chars: Vec<(usize, char)> = clean.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|x| x.1.is_ascii_digit()))
        {
            let mut j = i;
            while j < chars.len()
                && (chars[j].1.is_ascii_digit()
                    || (chars[j].1 == '.'
                        && chars.get(j + 1).is_some_and(|x| x.1.is_ascii_digit()))
                    || (chars[j].1 == ','
                        && chars.get(j + 1).is_some_and(|x| x.1.is_ascii_digit())
                        && j > i))
            {
                j += 1;
            }
            let end = chars.get(j).map_or(clean.len(), |x| x.0);
            let text = &clean[at..end];
            match Number::parse_decimal(&text.replace(',', "")) {
                Some(mut n) => {
                    if chars.get(j).is_some_and(|x| x.1 == '%') {
                        n = n.div(Number::from(100)).unwrap_or(n);
                        j += 1;
                    }
                    out.push(Tok::Num(n, decimals_of(text)));
                }
                None => out.push(Tok::Other),
            }
            i = j;
            continue;
        }
        let tok = match c {
            '+' => Tok::Op('+'),
            '-' | '−' | '–' => Tok::Op('-'),
            '*' | '×' | '·' => Tok::Op('*'),
            '/' | '÷' => Tok::Op('/'),
            'x' | 'X'
                if chars.get(i.wrapping_sub(1)).is_some_and(|p| p.1 == ' ')
                    && chars.get(i + 1).is_some_and(|n| n.1 == ' ') =>
            {
                Tok::Op('*')
            }
            '(' => Tok::Open,
            ')' => Tok::Close,
            '=' => Tok::Eq,
            '$' | ' ' | '\t' => {
                i += 1;
                continue;
            }
            _ => Tok::Other,
        };
        // Runs of "other" characters make one token.
        if !(tok == Tok::Other && out.last() == Some(&Tok::Other)) {
            out.push(tok);
        }
        i += 1;
    }
    out
}

/// An arithmetic expression over a token slice (recursive descent; `None` when it does not
/// parse or nests too deep). Errors of the arithmetic itself (a division by zero) are `Some(Err)`.
struct Parser<'a> {
    toks: &'a [Tok],
    at: usize,
    depth: usize,
}

type Eval = Result<Number, crate::number::ArithError>;

impl Parser<'_> {
    fn expr(&mut self) -> Option<Eval> {
        let mut acc = self.term()?;
        while let Some(Tok::Op(op @ ('+' | '-'))) = self.toks.get(self.at).copied() {
            self.at += 1;
            let rhs = self.term()?;
            acc = match (acc, rhs) {
                (Ok(a), Ok(b)) => Ok(if op == '+' { a.add(b) } else { a.sub(b) }).and_then(|r| r),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
        Some(acc)
    }

    fn term(&mut self) -> Option<Eval> {
        let mut acc = self.factor()?;
        while let Some(Tok::Op(op @ ('*' | '/'))) = self.toks.get(self.at).copied() {
            self.at += 1;
            let rhs = self.factor()?;
            acc = match (acc, rhs) {
                (Ok(a), Ok(b)) => {
                    if op == '*' {
                        a.mul(b)
                    } else {
                        a.div(b)
                    }
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
        Some(acc)
    }

    fn factor(&mut self) -> Option<Eval> {
        match self.toks.get(self.at).copied()? {
            Tok::Num(n, _) => {
                self.at += 1;
                Some(Ok(n))
            }
            // A minus nests like a parenthesis: bounded the same way.
            Tok::Op('-') if self.depth < MAX_PARENS => {
                self.at += 1;
                self.depth += 1;
                let inner = self.factor()?;
                self.depth -= 1;
                Some(inner.and_then(Number::neg))
            }
            Tok::Open if self.depth < MAX_PARENS => {
                self.at += 1;
                self.depth += 1;
                let inner = self.expr()?;
                self.depth -= 1;
                if self.toks.get(self.at) != Some(&Tok::Close) {
                    return None;
                }
                self.at += 1;
                Some(inner)
            }
            _ => None,
        }
    }
}

/// One `… = c` a step writes.
#[derive(Debug, Clone, PartialEq)]
struct Computation {
    /// The numbers it reads.
    operands: Vec<Number>,
    /// Its left side's exact value (or the arithmetic error).
    value: Eval,
    /// The result it writes, and its digits after the point.
    result: Number,
    decimals: u32,
    /// The left side as written back (`9 * 4`).
    shown: String,
}

/// The computations of a line: each `=` with an expression of two or more numbers before it
/// and a number after it.
fn computations(line: &str) -> Vec<Computation> {
    let toks = tokens(line);
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if *t != Tok::Eq {
            continue;
        }
        let Some(&Tok::Num(result, decimals)) = toks.get(i + 1) else {
            continue;
        };
        // The arithmetic run before `=`.
        let mut start = i;
        while start > 0
            && matches!(
                toks[start - 1],
                Tok::Num(..) | Tok::Op(_) | Tok::Open | Tok::Close
            )
        {
            start -= 1;
        }
        let mut lhs = &toks[start..i];
        // Drop leading operators and unmatched parentheses (`(so 3 + 4` → `3 + 4`), counting
        // the parentheses once.
        let mut opens = lhs.iter().filter(|t| **t == Tok::Open).count();
        let mut closes = lhs.iter().filter(|t| **t == Tok::Close).count();
        while let Some(first) = lhs.first() {
            if matches!(first, Tok::Num(..)) || (*first == Tok::Open && opens <= closes) {
                break;
            }
            if matches!(first, Tok::Op('-')) && matches!(lhs.get(1), Some(Tok::Num(..))) {
                break;
            }
            match first {
                Tok::Open => opens -= 1,
                Tok::Close => closes -= 1,
                _ => {}
            }
            lhs = &lhs[1..];
        }
        let operands: Vec<Number> = lhs
            .iter()
            .filter_map(|t| match t {
                Tok::Num(n, _) => Some(*n),
                _ => None,
            })
            .collect();
        if operands.len() < 2 {
            continue;
        }
        let mut p = Parser {
            toks: lhs,
            at: 0,
            depth: 0,
        };
        let Some(value) = p.expr() else { continue };
        if p.at != lhs.len() {
            continue;
        }
        out.push(Computation {
            operands,
            value,
            result,
            decimals,
            shown: show(lhs),
        });
    }
    out
}

/// Tokens written back as arithmetic (`9 × 4`).
fn show(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Num(n, _) => s.push_str(&n.to_string()),
            Tok::Op('*') => s.push_str(" × "),
            Tok::Op('/') => s.push_str(" ÷ "),
            Tok::Op(c) => {
                s.push(' ');
                s.push(*c);
                s.push(' ');
            }
            Tok::Open => s.push('('),
            Tok::Close => s.push(')'),
            _ => {}
        }
    }
    s.trim().to_string()
}

/// Numbers any solution may use without the problem stating them: counts, units of time and
/// measure.
const COMMON: [i64; 21] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 30, 31, 52, 60, 100, 365, 1000,
];

/// The automatic label of one step of a model's solution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoLabel {
    /// The step's line, as written.
    pub text: String,
    /// +1, 0 or −1.
    pub rating: i8,
    /// Why, for the annotator ("9 × 4 = 36 matches `total_eggs`").
    pub reason: String,
}

/// A model's solution scored and labelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledSolution {
    /// The final answer and whether it is right.
    pub score: Score,
    /// The final answer it states.
    pub answer: Option<FinalAnswer>,
    /// Its steps (lines), labelled.
    pub steps: Vec<AutoLabel>,
    /// The first step labelled −1.
    pub first_error: Option<usize>,
}

/// The worked-out quantities of the graph (operation nodes) that a value matches.
fn matching(g: &Graph, value: Number, decimals: u32) -> Vec<NodeId> {
    g.ids()
        .filter(|&id| g.node(id).kind.is_operation() && states(value, decimals, g.value(id)))
        .collect()
}

/// The numbers a computation of node `id` may read: its operands' values and the numbers its
/// own expression writes (`price * 2`); computed once per node and solution, indexed by node.
fn inputs_of(g: &Graph, id: NodeId) -> Vec<Number> {
    let mut out: Vec<Number> = g.node(id).operands.iter().map(|&o| g.value(o)).collect();
    let line = crate::labels::describe(g, id);
    if let Some((_, rhs)) = line.split_once(" = ") {
        for m in find_numbers(rhs) {
            out.extend_from_slice(m.values());
        }
    }
    out
}

/// What the solution's computations work out, line by line: for each computation, the
/// quantity the answer depends on that it is the first to work out, reading that quantity's
/// own inputs or the solution's earlier results.
fn progress(
    g: &Graph,
    relevant: &[bool],
    inputs: &[Vec<Number>],
    parsed: &[Vec<Computation>],
) -> Vec<Vec<Option<NodeId>>> {
    let mut done: HashSet<NodeId> = HashSet::new();
    let mut earlier: HashSet<Number> = HashSet::new();
    let mut out = Vec::with_capacity(parsed.len());
    for comps in parsed {
        let mut line = Vec::with_capacity(comps.len());
        for c in comps {
            let hit = match c.value {
                // What it sets out to work out (its arithmetic is judged apart).
                Ok(v) => matching(g, v, 0)
                    .into_iter()
                    .filter(|id| relevant[id.index()] && !done.contains(id))
                    .find(|&id| {
                        let inputs = &inputs[id.index()];
                        c.operands
                            .iter()
                            .all(|o| inputs.contains(o) || earlier.contains(o))
                    }),
                _ => None,
            };
            if let Some(id) = hit {
                done.insert(id);
            }
            line.push(hit);
        }
        for c in comps {
            earlier.insert(c.result);
            if let Ok(v) = c.value {
                earlier.insert(v);
            }
        }
        out.push(line);
    }
    out
}

/// For each line, the values that later lines carry towards the answer: read by a later
/// computation that works out a quantity the answer depends on, or whose value is itself
/// carried on.
///
/// An operand that is one of the worked-out quantity's own inputs is read from the problem,
/// not carried from an earlier line (a wrong result that happens to equal an input is not
/// carried by it).
fn carried(
    inputs: &[Vec<Number>],
    parsed: &[Vec<Computation>],
    progress: &[Vec<Option<NodeId>>],
) -> Vec<HashSet<Number>> {
    let mut after = vec![HashSet::new(); parsed.len()];
    let mut useful: HashSet<Number> = HashSet::new();
    for (i, comps) in parsed.iter().enumerate().rev() {
        after[i] = useful.clone();
        for (c, hit) in comps.iter().zip(&progress[i]) {
            if let Some(id) = hit {
                let inputs = &inputs[id.index()];
                useful.extend(c.operands.iter().filter(|o| !inputs.contains(o)).copied());
            } else if c
                .value
                .as_ref()
                .is_ok_and(|v| states(c.result, c.decimals, *v) && useful.contains(v))
                || useful.contains(&c.result)
            {
                useful.extend(c.operands.iter().copied());
            }
        }
    }
    after
}

/// Scores `text` against `g`'s answer and labels each of its steps (see the module's rules).
pub fn label_solution(g: &Graph, text: &str) -> LabelledSolution {
    let text = bounded(text);
    let (score, answer) = score(text, g.answer_value());
    let relevant = g.relevant();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("####"))
        .collect();
    let parsed: Vec<Vec<Computation>> = lines.iter().map(|l| computations(l)).collect();
    // Numbers the problem states: every quantity's value, the numbers its computations write
    // (a graft's `× 4`), and the question's numbers.
    let inputs: Vec<Vec<Number>> = g
        .ids()
        .map(|id| {
            if g.node(id).kind.is_operation() {
                inputs_of(g, id)
            } else {
                Vec::new()
            }
        })
        .collect();
    let mut known: HashSet<Number> = g.ids().map(|id| g.value(id)).collect();
    known.extend(inputs.iter().flatten().copied());
    if let Some(q) = g.question() {
        for m in find_numbers(q) {
            known.extend(m.values().iter().copied());
        }
    }
    known.extend(COMMON.iter().map(|&c| Number::from(c)));
    let progress = progress(g, &relevant, &inputs, &parsed);
    let carried = carried(&inputs, &parsed, &progress);
    let mut results: HashSet<Number> = HashSet::new();
    let mut steps = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let comps = &parsed[i];
        let (rating, reason) = if comps.is_empty() {
            (0, "no computation".to_string())
        } else {
            let seen = Seen {
                known: &known,
                earlier: &results,
                carried: &carried[i],
            };
            judge(g, &relevant, comps, &progress[i], &seen)
        };
        for c in comps {
            results.insert(c.result);
            if let Ok(v) = c.value {
                results.insert(v);
            }
        }
        steps.push(AutoLabel {
            text: line.to_string(),
            rating,
            reason,
        });
    }
    let first_error = steps.iter().position(|s| s.rating < 0);
    LabelledSolution {
        score,
        answer,
        steps,
        first_error,
    }
}

/// What a step may read and lead to.
struct Seen<'a> {
    /// The problem's numbers and the common constants.
    known: &'a HashSet<Number>,
    /// The solution's results before the step.
    earlier: &'a HashSet<Number>,
    /// Values later steps carry to the answer.
    carried: &'a HashSet<Number>,
}

/// The label of a step with computations.
fn judge(
    g: &Graph,
    relevant: &[bool],
    comps: &[Computation],
    progress: &[Option<NodeId>],
    seen: &Seen,
) -> (i8, String) {
    for c in comps {
        match &c.value {
            Err(e) => {
                return (
                    -1,
                    format!("{} = {} cannot be worked out: {e}", c.shown, c.result),
                )
            }
            Ok(v) if !states(c.result, c.decimals, *v) => {
                return (
                    -1,
                    format!(
                        "{} = {} is wrong arithmetic: {} = {v}",
                        c.shown, c.result, c.shown
                    ),
                );
            }
            Ok(_) => {}
        }
        if let Some(op) = c
            .operands
            .iter()
            .find(|o| !seen.known.contains(o) && !seen.earlier.contains(o))
        {
            return (
                -1,
                format!(
                    "{} = {} reads {op}, which is no quantity of the problem and no earlier \
                     result (a wrong operand)",
                    c.shown, c.result
                ),
            );
        }
    }
    let last = comps.last().expect("a step with computations");
    let said = format!("{} = {}", last.shown, last.result);
    if let Some(id) = progress.iter().rev().flatten().next() {
        return (1, format!("{said} matches `{}`", g.node(*id).name));
    }
    if seen.carried.contains(&last.result) {
        return (
            0,
            format!("{said} is a quantity of the solution's own, used on the way to the answer"),
        );
    }
    let nodes = matching(g, last.result, last.decimals);
    if let Some(&id) = nodes.iter().find(|id| !relevant[id.index()]) {
        return (
            0,
            format!(
                "{said} matches `{}`, which the answer does not need",
                g.node(id).name
            ),
        );
    }
    (
        -1,
        format!("{said} works out no quantity of the problem from its inputs and leads away from the answer"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    #[test]
    fn final_answers_are_found_where_graders_look() {
        let a = final_answer("So 3 + 4 = 7.\n#### 7").unwrap();
        assert_eq!((a.values[0], a.source), (n("7"), AnswerSource::Hashes));
        let a = final_answer("We get \\boxed{1,200} apples. Then 5.").unwrap();
        assert_eq!((a.values[0], a.source), (n("1200"), AnswerSource::Boxed));
        let a = final_answer("The answer is $12.50 in total, not 13.").unwrap();
        assert_eq!((a.values[0], a.written.as_str()), (n("12.5"), "$12.50"));
        let a = final_answer("She has 3 left, then 2 more: 5").unwrap();
        assert_eq!((a.values[0], a.source), (n("5"), AnswerSource::LastNumber));
        let a = final_answer("The temperature ends at -4 degrees").unwrap();
        assert_eq!(a.values[0], n("-4"));
        let a = final_answer("The answer is 1 1/2 cups.").unwrap();
        assert_eq!(a.values[0], n("3/2"));
        assert!(final_answer("I cannot tell.").is_none());
    }

    #[test]
    fn scores_are_exact_with_one_rounding_rule() {
        let third = n("1/3");
        assert_eq!(score("#### 0.33", third).0, Score::Correct);
        assert_eq!(score("#### 0.333", third).0, Score::Correct);
        assert_eq!(
            score("#### 0.3", third).0,
            Score::Wrong,
            "one place is too coarse"
        );
        assert_eq!(score("#### 0.34", third).0, Score::Wrong);
        assert_eq!(
            score("#### 3", n("10/3")).0,
            Score::Wrong,
            "whole numbers never round"
        );
        assert_eq!(score("#### 25%", n("0.25")).0, Score::Correct);
        assert_eq!(score("#### 25%", n("25")).0, Score::Correct);
        assert_eq!(score("#### 2.50", n("2.5")).0, Score::Correct);
        assert_eq!(score("no idea", n("2")).0, Score::Unparseable);
    }

    #[test]
    fn computations_are_read_and_checked() {
        let c = computations("She earns 9 * 4 = $36 a day, so 36 + 2 = 38.");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].value, Ok(n("36")));
        assert_eq!(c[1].operands, vec![n("36"), n("2")]);
        let c = computations("Total: (3 + 4) × 2 = 14 <<(3+4)*2=14>>");
        assert_eq!(c[0].value, Ok(n("14")));
        let c = computations("20% of the 50 = 10");
        assert!(c.is_empty(), "`of` breaks the run: {c:?}");
        let c = computations("It is 10 / 0 = 5");
        assert!(c[0].value.is_err());
        let deep = format!("{}1{} + 1 = 2", "(".repeat(100), ")".repeat(100));
        assert!(computations(&deep).is_empty(), "too deep is not read");
        let minuses = format!("1 * {}1 = 1", "- ".repeat(50_000));
        assert!(
            computations(&minuses).is_empty(),
            "a run of minuses is bounded too"
        );
    }

    fn eggs() -> Graph {
        let row = r#"{"question": "Janet's ducks lay 16 eggs per day. She eats 3 for breakfast every morning and bakes muffins with 4. She sells the remainder at $2 per egg. How much does she make every day?", "answer": "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer's market.\n#### 18"}"#;
        let p = crate::problem::Problem::from_json(row).unwrap();
        crate::problem::extract(&p).unwrap().graph
    }

    fn ratings(l: &LabelledSolution) -> Vec<i8> {
        l.steps.iter().map(|s| s.rating).collect()
    }

    #[test]
    fn a_correct_solution_is_all_positive() {
        let l = label_solution(
            &eggs(),
            "Janet has 16 - 3 - 4 = 9 eggs left.\nShe makes 9 * 2 = 18 dollars.\n#### 18",
        );
        assert_eq!(l.score, Score::Correct);
        assert_eq!(ratings(&l), vec![1, 1], "{l:?}");
        assert_eq!(l.first_error, None);
        assert!(l.steps[1].reason.contains("9 × 2 = 18 matches"), "{l:?}");
    }

    #[test]
    fn an_arithmetic_slip_is_the_first_error() {
        let l = label_solution(
            &eggs(),
            "First, 16 - 3 = 13.\nThen 13 - 4 = 8 eggs.\nShe makes 8 * 2 = 16 dollars.\n#### 16",
        );
        assert_eq!(l.score, Score::Wrong);
        assert_eq!(l.first_error, Some(1), "{l:?}");
        assert!(l.steps[1].reason.contains("wrong arithmetic"), "{l:?}");
    }

    #[test]
    fn a_wrong_operand_and_a_wrong_route_are_errors() {
        let l = label_solution(&eggs(), "She has 16 - 3 - 5 = 8 eggs.\n#### 16");
        assert_eq!(l.first_error, Some(0), "{l:?}");
        // Right answer through a wrong step: the step still gets −1.
        let l = label_solution(
            &eggs(),
            "She has 16 + 3 = 19 eggs.\nShe makes 9 * 2 = 18.\n#### 18",
        );
        assert_eq!(l.score, Score::Correct);
        assert_eq!(ratings(&l), vec![-1, 1], "{l:?}");
    }

    #[test]
    fn prose_and_no_final_line_are_handled() {
        let l = label_solution(&eggs(), "I think she makes some money every day.");
        assert_eq!(l.score, Score::Unparseable);
        assert_eq!(ratings(&l), vec![0]);
        let l = label_solution(&eggs(), "16 - 3 - 4 = 9\n9 * 2 = 18");
        assert_eq!((l.score, l.first_error), (Score::Correct, None));
    }

    #[test]
    fn huge_texts_are_read_up_to_the_bound() {
        let text = "1 + 1 = 2\n".repeat(20_000);
        let l = label_solution(&eggs(), &text);
        assert!(l.steps.len() <= MAX_SOLUTION_BYTES / 10 + 1);
    }
}
