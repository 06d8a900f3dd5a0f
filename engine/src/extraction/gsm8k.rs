//! GSM8K solutions to computation graphs, without a language model.
//!
//! A GSM8K row has a `question` and an `answer`: solution lines with calculator annotations
//! (`48/2 = <<48/2=24>>24 clips`) or plainly written calculations (`3 * 4 = 12`), and a last
//! line `#### 72`. [`extract`] turns every calculation into a step, links each operand number to
//! the most recent earlier step with that value, else to a number mentioned in the question (an
//! input with its span), else to a constant (`const_60`), and picks as answer the last step
//! whose exact value is the `####` value. A question number beats an equal step only on
//! evidence from the words after the numbers: the line writes it with the question's unit
//! (`In 5 days she runs 2000 * 5` after `3 + 2 = 5 laps`, with `5 days` in the question), never
//! with the step's, and it is not summed with other steps in the step's unit.
//!
//! Values stay exact. When a solution writes a rounded result (`<<10/3=3.33>>`) and later uses
//! the rounded figure, the graph gets an explicit rounding step mirroring what was written.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::expr::{BinOp, Expr, Func};
use crate::graph::{Graph, GraphBuilder, GraphError, NodeId};
use crate::limits::{check_len, Limit, LimitError, MAX_NESTING, MAX_OPERATORS};
use crate::number::Number;
use crate::text_numbers::{find_numbers, scan_decimal, Mention, MentionKind};

/// Why a GSM8K problem could not be turned into a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCategory {
    /// The answer has no `#### <number>` line.
    NoFinalAnswer,
    /// The solution contains no calculation (annotated or plainly written).
    NoCalculations,
    /// A calculator annotation could not be parsed, and the answer was not reached.
    UnparsableExpression,
    /// A calculation could not be evaluated exactly (division by zero, overflow), and the
    /// answer was not reached.
    EvalError,
    /// No step's value equals the `####` answer.
    AnswerNotReached,
    /// The question or solution is over one of the engine's input limits ([`crate::limits`]).
    InputLimit,
}

impl FailureCategory {
    /// Every category, in a stable order.
    pub const ALL: [FailureCategory; 6] = [
        FailureCategory::NoFinalAnswer,
        FailureCategory::NoCalculations,
        FailureCategory::UnparsableExpression,
        FailureCategory::EvalError,
        FailureCategory::AnswerNotReached,
        FailureCategory::InputLimit,
    ];

    /// The snake_case name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCategory::NoFinalAnswer => "no_final_answer",
            FailureCategory::NoCalculations => "no_calculations",
            FailureCategory::UnparsableExpression => "unparsable_expression",
            FailureCategory::EvalError => "eval_error",
            FailureCategory::AnswerNotReached => "answer_not_reached",
            FailureCategory::InputLimit => "input_limit",
        }
    }
}

impl fmt::Display for FailureCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem that could not be extracted: the category, the solution line (1-based) where the
/// trouble is when known, and a detail that says what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractError {
    /// What kind of failure.
    pub category: FailureCategory,
    /// The 1-based line of the answer text, when the failure is tied to one.
    pub line: Option<usize>,
    /// What was found, and what would have been needed.
    pub detail: String,
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot extract the GSM8K problem ({})", self.category)?;
        if let Some(l) = self.line {
            write!(f, " at solution line {l}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl std::error::Error for ExtractError {}

/// A GSM8K problem as a computation graph.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The graph; its answer node's value equals `expected`.
    pub graph: Graph,
    /// The `####` answer.
    pub expected: Number,
    /// Steps taken from calculator annotations.
    pub annotated_steps: u32,
    /// Steps taken from plainly written calculations.
    pub plain_steps: u32,
    /// Rounding steps added to mirror rounded figures written in the solution.
    pub rounding_steps: u32,
    /// Calculations that were skipped (unparsable or not evaluable).
    pub skipped: u32,
}

/// Parses the `#### <number>` line of a GSM8K answer (thousands separators allowed).
pub fn final_answer(answer: &str) -> Option<Number> {
    let line = answer
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("####"))?;
    let t = line.trim_start().trim_start_matches('#').trim();
    let t = t.trim_start_matches('$').trim_end_matches('.');
    Number::parse_decimal(t).or_else(|| t.parse().ok())
}

/// Turns a GSM8K question and solution into a computation graph whose answer is the `####`
/// value.
pub fn extract(question: &str, answer: &str) -> Result<Extraction, ExtractError> {
    check_sizes(question, answer)?;
    let expected = final_answer(answer).ok_or_else(|| ExtractError {
        category: FailureCategory::NoFinalAnswer,
        line: None,
        detail: "the solution has no `#### <number>` line; add one with the final answer".into(),
    })?;
    let mut cx = Ctx {
        b: GraphBuilder::new(Some(question.to_string())),
        question,
        mentions: find_numbers(question),
        inputs: Vec::new(),
        consts: Vec::new(),
        steps: Vec::new(),
        rounded: Vec::new(),
        annotated: 0,
        plain: 0,
        rounding: 0,
        skipped: 0,
        first_problem: None,
        name_buf: String::new(),
        vars: Vec::new(),
        var_steps: Vec::new(),
        fact_read: false,
        repeated: false,
        solving: None,
    };
    let mut events: Vec<Event> = Vec::new();
    let mut text = String::new();
    for (li, line) in answer.lines().enumerate() {
        if line.trim_start().starts_with("####") {
            break;
        }
        events.clear();
        scan_line(line, &mut events);
        if events.is_empty() {
            // `In two minutes, Carrie would perform 90*2-180 sit-ups`: a `-` typed for `=`.
            if line.contains('-') {
                strip_annotations(line, &mut text);
                cx.try_dash(line, li + 1, &text);
            }
            continue;
        }
        strip_annotations(line, &mut text);
        for ev in &events {
            cx.event(line, li + 1, ev, &text);
        }
    }
    cx.finish(expected)
}

/// Refuses a question or answer over [`crate::limits::MAX_TEXT_BYTES`], or a solution line
/// over [`crate::limits::MAX_LINE_BYTES`], before any work in proportion to their size.
fn check_sizes(question: &str, answer: &str) -> Result<(), ExtractError> {
    let refuse = |e: LimitError, line: Option<usize>, what: &str| ExtractError {
        category: FailureCategory::InputLimit,
        line,
        detail: format!("{what}: {e}"),
    };
    check_len(Limit::TextBytes, question.len()).map_err(|e| refuse(e, None, "the question"))?;
    check_len(Limit::TextBytes, answer.len()).map_err(|e| refuse(e, None, "the solution"))?;
    for (i, line) in answer.lines().enumerate() {
        check_len(Limit::LineBytes, line.len())
            .map_err(|e| refuse(e, Some(i + 1), "the solution line"))?;
    }
    Ok(())
}

/// One calculation found on a solution line.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// `<<expr=result>>` at `[start, end)` (the brackets included); `plain` is a written
    /// `lhs = ` right before it (`[from, eq)`), used when the annotation itself is unusable.
    Annotation {
        start: usize,
        end: usize,
        plain: Option<(usize, usize)>,
    },
    /// A plain `lhs = rhs` with `=` at `eq`; the left side is searched in `[from, eq)`.
    Plain { from: usize, eq: usize },
}

/// Finds annotations and plain calculations on one line, in order.
fn scan_line(line: &str, out: &mut Vec<Event>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut from = 0;
    let mut pending: Option<(usize, usize)> = None;
    while i < bytes.len() {
        if bytes[i] == b'<' && bytes.get(i + 1) == Some(&b'<') {
            let Some(close) = line[i + 2..].find(">>") else {
                break;
            };
            let end = i + 2 + close + 2;
            out.push(Event::Annotation {
                start: i,
                end,
                plain: pending.take(),
            });
            i = end;
            from = end;
        } else if bytes[i] == b'=' {
            let mut j = i + 1;
            while j < bytes.len() && matches!(bytes[j], b' ' | b'$') {
                j += 1;
            }
            let annotated = bytes.get(j) == Some(&b'<') && bytes.get(j + 1) == Some(&b'<');
            if annotated {
                pending = Some((from, i));
            } else {
                out.push(Event::Plain { from, eq: i });
            }
            i += 1;
            from = i;
        } else {
            i += 1;
        }
    }
}

/// The line without its `<<…>>` annotations, trimmed.
fn strip_annotations(line: &str, out: &mut String) {
    out.clear();
    let mut rest = line;
    while let Some(s) = rest.find("<<") {
        out.push_str(&rest[..s]);
        match rest[s..].find(">>") {
            Some(e) => rest = &rest[s + e + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let t = out.trim();
    if t.len() != out.len() {
        *out = t.to_string();
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions

/// A number literal in a calculation.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lit {
    value: Number,
    decimals: u8,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Num(Lit),
    Op(BinOp),
    LParen,
    RParen,
    Pct,
    /// A one-letter unknown (`x`, `p`).
    Var(u8),
}

/// A parsed calculation; `Lit(i)` is literal number `i` in reading order.
#[derive(Debug, Clone, PartialEq)]
enum PExpr {
    Lit(u32),
    /// The number one (a coefficient of a solved equation).
    One,
    /// An unknown.
    Var(u8),
    Neg(Box<PExpr>),
    Bin(BinOp, Box<PExpr>, Box<PExpr>),
    Pct(Box<PExpr>),
}

struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
    lits: Vec<Lit>,
    ops: u32,
}

/// The limit a calculation's tokens are over, if any ([`Parser::parse`] refuses them).
fn calc_limit(toks: &[Tok]) -> Option<LimitError> {
    if toks.len() > 2 * MAX_OPERATORS + 1 {
        let ops = toks
            .iter()
            .filter(|t| !matches!(t, Tok::Num(_) | Tok::Var(_)))
            .count();
        return Some(LimitError::new(Limit::Operators, ops));
    }
    let mut depth = 0usize;
    for t in toks {
        match t {
            Tok::LParen => depth += 1,
            Tok::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            return Some(LimitError::new(Limit::Nesting, depth).at_least());
        }
    }
    None
}

impl Parser<'_> {
    fn parse(toks: &[Tok]) -> Option<(PExpr, Vec<Lit>, u32)> {
        // Bounds the recursion below (and the work of callers that try every suffix: an
        // over-long run is refused by its length before anything is counted).
        if calc_limit(toks).is_some() {
            return None;
        }
        let mut p = Parser {
            toks,
            pos: 0,
            lits: Vec::new(),
            ops: 0,
        };
        let e = p.sum()?;
        (p.pos == toks.len()).then_some((e, p.lits, p.ops))
    }

    fn peek(&self) -> Option<Tok> {
        self.toks.get(self.pos).copied()
    }

    fn sum(&mut self) -> Option<PExpr> {
        let mut a = self.product()?;
        while let Some(Tok::Op(op @ (BinOp::Add | BinOp::Sub))) = self.peek() {
            self.pos += 1;
            let b = self.product()?;
            self.ops += 1;
            a = PExpr::Bin(op, Box::new(a), Box::new(b));
        }
        Some(a)
    }

    fn product(&mut self) -> Option<PExpr> {
        let mut a = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op(op @ (BinOp::Mul | BinOp::Div | BinOp::FloorDiv | BinOp::Mod))) => {
                    self.pos += 1;
                    op
                }
                // Implicit multiplication: `2(3+4)`, `(1+2)(3)`, `4x`.
                Some(Tok::LParen | Tok::Var(_)) => BinOp::Mul,
                _ => break,
            };
            let b = self.unary()?;
            self.ops += 1;
            a = PExpr::Bin(op, Box::new(a), Box::new(b));
        }
        Some(a)
    }

    fn unary(&mut self) -> Option<PExpr> {
        match self.peek()? {
            Tok::Op(BinOp::Sub) => {
                self.pos += 1;
                Some(PExpr::Neg(Box::new(self.unary()?)))
            }
            Tok::Op(BinOp::Add) => {
                self.pos += 1;
                self.unary()
            }
            _ => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Option<PExpr> {
        let mut e = match self.peek()? {
            Tok::Num(l) => {
                self.pos += 1;
                self.lits.push(l);
                PExpr::Lit(self.lits.len() as u32 - 1)
            }
            Tok::Var(c) => {
                self.pos += 1;
                PExpr::Var(c)
            }
            Tok::LParen => {
                self.pos += 1;
                let e = self.sum()?;
                if self.peek()? != Tok::RParen {
                    return None;
                }
                self.pos += 1;
                e
            }
            _ => return None,
        };
        while self.peek() == Some(Tok::Pct) {
            self.pos += 1;
            e = PExpr::Pct(Box::new(e));
        }
        Some(e)
    }
}

fn eval(e: &PExpr, vals: &[Number]) -> Option<Number> {
    Some(match e {
        PExpr::Lit(i) => *vals.get(*i as usize)?,
        PExpr::One => Number::ONE,
        PExpr::Var(_) => return None,
        PExpr::Neg(a) => eval(a, vals)?.neg().ok()?,
        PExpr::Bin(op, a, b) => op.apply(eval(a, vals)?, eval(b, vals)?).ok()?,
        PExpr::Pct(a) => eval(a, vals)?.div(Number::int(100)).ok()?,
    })
}

fn to_expr(e: &PExpr, slots: &[u32]) -> Expr {
    match e {
        PExpr::Lit(i) => Expr::Arg(slots.get(*i as usize).copied().unwrap_or(0)),
        PExpr::One | PExpr::Var(_) => Expr::Lit(Number::ONE),
        // `-1` is the literal -1, as the Python reader reads the printed program.
        PExpr::Neg(a) => match to_expr(a, slots) {
            Expr::Lit(n) => n
                .neg()
                .map_or_else(|_| Expr::Neg(Box::new(Expr::Lit(n))), Expr::Lit),
            e => Expr::Neg(Box::new(e)),
        },
        PExpr::Bin(op, a, b) => Expr::bin(*op, to_expr(a, slots), to_expr(b, slots)),
        PExpr::Pct(a) => Expr::bin(BinOp::Div, to_expr(a, slots), Expr::Lit(Number::int(100))),
    }
}

/// A linear form `coef * v + constant` over literals; `None` stands for zero.
type Linear = (Option<PExpr>, Option<PExpr>);

fn lin_add(a: Option<PExpr>, b: Option<PExpr>, op: BinOp) -> Option<PExpr> {
    match (a, b) {
        (a, None) => a,
        (None, Some(b)) if op == BinOp::Sub => Some(PExpr::Neg(Box::new(b))),
        (None, b) => b,
        (Some(a), Some(b)) => Some(PExpr::Bin(op, Box::new(a), Box::new(b))),
    }
}

fn lin_mul(a: Option<PExpr>, b: Option<PExpr>, op: BinOp) -> Option<PExpr> {
    match (a?, b?) {
        (a, PExpr::One) => Some(a),
        (PExpr::One, b) if op == BinOp::Mul => Some(b),
        (a, b) => Some(PExpr::Bin(op, Box::new(a), Box::new(b))),
    }
}

/// The expression as a linear form in its single unknown (recorded in `var`).
fn linear(e: &PExpr, var: &mut Option<u8>) -> Option<Linear> {
    Some(match e {
        PExpr::Lit(_) | PExpr::One => (None, Some(e.clone())),
        PExpr::Var(c) => {
            if var.is_some_and(|v| v != *c) {
                return None;
            }
            *var = Some(*c);
            (Some(PExpr::One), None)
        }
        PExpr::Neg(a) => {
            let (p, q) = linear(a, var)?;
            let neg = |x: PExpr| PExpr::Neg(Box::new(x));
            (p.map(neg), q.map(neg))
        }
        PExpr::Pct(a) => {
            let (p, q) = linear(a, var)?;
            let pct = |x: PExpr| PExpr::Pct(Box::new(x));
            (p.map(pct), q.map(pct))
        }
        PExpr::Bin(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let (pa, qa) = linear(a, var)?;
            let (pb, qb) = linear(b, var)?;
            (lin_add(pa, pb, *op), lin_add(qa, qb, *op))
        }
        PExpr::Bin(BinOp::Mul, a, b) => {
            let (pa, qa) = linear(a, var)?;
            let (pb, qb) = linear(b, var)?;
            match (pa, pb) {
                (None, None) => (None, lin_mul(qa, qb, BinOp::Mul)),
                (None, pb) => (
                    lin_mul(qa.clone(), pb, BinOp::Mul),
                    lin_mul(qa, qb, BinOp::Mul),
                ),
                (pa, None) => (
                    lin_mul(pa, qb.clone(), BinOp::Mul),
                    lin_mul(qa, qb, BinOp::Mul),
                ),
                _ => return None,
            }
        }
        PExpr::Bin(BinOp::Div, a, b) => {
            let (pa, qa) = linear(a, var)?;
            let (pb, qb) = linear(b, var)?;
            if pb.is_some() || qb.is_none() {
                return None;
            }
            (
                lin_mul(pa, qb.clone(), BinOp::Div),
                lin_mul(qa, qb, BinOp::Div),
            )
        }
        PExpr::Bin(..) => return None,
    })
}

fn shift_lits(e: &mut PExpr, k: u32) {
    match e {
        PExpr::Lit(i) => *i += k,
        PExpr::One | PExpr::Var(_) => {}
        PExpr::Neg(a) | PExpr::Pct(a) => shift_lits(a, k),
        PExpr::Bin(_, a, b) => {
            shift_lits(a, k);
            shift_lits(b, k);
        }
    }
}

fn count_ops(e: &PExpr) -> u32 {
    match e {
        PExpr::Lit(_) | PExpr::One | PExpr::Var(_) => 0,
        PExpr::Neg(a) | PExpr::Pct(a) => count_ops(a),
        PExpr::Bin(_, a, b) => 1 + count_ops(a) + count_ops(b),
    }
}

fn has_var(t: &[Tok]) -> bool {
    t.iter().any(|t| matches!(t, Tok::Var(_)))
}

/// Tokenises an annotation's expression strictly: numbers, `+ - * / x × ÷ ( ) %` and spaces.
fn tokenize_strict(s: &str, out: &mut Vec<Tok>) -> Result<(), String> {
    out.clear();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'0'..=b'9' | b'.' => {
                let (value, end, decimals) =
                    scan_decimal(bytes, i).ok_or_else(|| format!("bad number at {:?}", &s[i..]))?;
                out.push(Tok::Num(Lit { value, decimals }));
                i = end;
                continue;
            }
            b'+' => out.push(Tok::Op(BinOp::Add)),
            b'-' => out.push(Tok::Op(BinOp::Sub)),
            b'*' | b'x' | b'X' => out.push(Tok::Op(BinOp::Mul)),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                out.push(Tok::Op(BinOp::FloorDiv));
                i += 1;
            }
            b'/' => out.push(Tok::Op(BinOp::Div)),
            b'(' => out.push(Tok::LParen),
            b')' => out.push(Tok::RParen),
            b'%' => out.push(Tok::Pct),
            b' ' | b'$' | b',' => {}
            _ => {
                if s[i..].starts_with('×') {
                    out.push(Tok::Op(BinOp::Mul));
                    i += '×'.len_utf8();
                    continue;
                }
                if s[i..].starts_with('÷') {
                    out.push(Tok::Op(BinOp::Div));
                    i += '÷'.len_utf8();
                    continue;
                }
                if let Some(c) = s[i..].chars().next().filter(|c| matches!(c, '−' | '–')) {
                    out.push(Tok::Op(BinOp::Sub));
                    i += c.len_utf8();
                    continue;
                }
                let c = s[i..].chars().next().unwrap_or('?');
                return Err(format!("unexpected {c:?} in {s:?}"));
            }
        }
        i += 1;
    }
    Ok(())
}

/// Tokenises the text around a plain `=`: keeps numbers and operators, drops words and unit
/// slashes (`yards/field`, `$5/week`), reads `x`/`times` between numbers as `*`, single letters
/// as variables (known ones replaced by their value) and, at sentence punctuation, restarts
/// (left side) or stops (`stop`, right side).
fn tokenize_loose(s: &str, out: &mut Vec<Tok>, vars: &[(u8, Number)], stop: bool) {
    out.clear();
    let bytes = s.as_bytes();
    let letter = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_alphabetic);
    let next_solid = |mut j: usize| {
        while bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        bytes.get(j).copied()
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'0'..=b'9' => {
                if let Some((value, end, decimals)) = scan_decimal(bytes, i) {
                    i = end;
                    if is_ordinal_suffix(&bytes[end..]) {
                        // `1st`, `3rd`: a word, not an operand.
                        continue;
                    }
                    let mut value = value;
                    if decimals == 0 {
                        if let Some((f, fend)) = mixed_fraction(bytes, i) {
                            value = value.add(f).unwrap_or(value);
                            i = fend;
                        }
                    }
                    out.push(Tok::Num(Lit { value, decimals }));
                    if bytes.get(i) == Some(&b'%') {
                        out.push(Tok::Pct);
                        i += 1;
                    }
                } else {
                    if stop {
                        return;
                    }
                    out.clear();
                    i += 1;
                }
                continue;
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                if let Some((value, end, decimals)) = scan_decimal(bytes, i) {
                    out.push(Tok::Num(Lit { value, decimals }));
                    i = end;
                    continue;
                }
                if stop {
                    return;
                }
                out.clear();
            }
            b'+' => out.push(Tok::Op(BinOp::Add)),
            b'*' => out.push(Tok::Op(BinOp::Mul)),
            b'-' if i > 0 && letter(i - 1) && letter(i + 1) => {}
            b'-' => out.push(Tok::Op(BinOp::Sub)),
            // `miles/hour`, `$5/week`: a unit, not a division.
            b'/' if letter(i + 1) && letter(i + 2) => {}
            b'/' if i > 0 && letter(i - 1) && letter(i + 1) => {}
            b'/' => out.push(Tok::Op(BinOp::Div)),
            b'(' => out.push(Tok::LParen),
            b')' => out.push(Tok::RParen),
            b'.' | b',' | b';' | b':' | b'?' | b'!' | b'=' | b'<' | b'>' => {
                if stop {
                    return;
                }
                out.clear()
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                let mut e = i;
                while e < bytes.len() && (bytes[e].is_ascii_alphabetic() || bytes[e] == b'\'') {
                    e += 1;
                }
                let w = &s[i..e];
                let after_operand = matches!(out.last(), Some(Tok::Num(_) | Tok::RParen));
                let operand_next =
                    next_solid(e).is_some_and(|c| c.is_ascii_digit() || c == b'(' || c == b'$');
                let spaced = (i > 0 && bytes[i - 1] == b' ') || bytes.get(e) == Some(&b' ');
                if w == "times"
                    || ((w == "x" || w == "X") && after_operand && operand_next && spaced)
                {
                    out.push(Tok::Op(BinOp::Mul));
                } else if w.len() == 1 {
                    let c = w.as_bytes()[0];
                    match vars.iter().find(|v| v.0 == c) {
                        Some(&(_, value)) => out.push(Tok::Num(Lit { value, decimals: 0 })),
                        None => out.push(Tok::Var(c)),
                    }
                }
                i = e;
                continue;
            }
            _ => {
                let rest = &s[i..];
                if rest.starts_with('×') {
                    out.push(Tok::Op(BinOp::Mul));
                } else if rest.starts_with('÷') {
                    out.push(Tok::Op(BinOp::Div));
                } else if rest.starts_with(['−', '–']) {
                    out.push(Tok::Op(BinOp::Sub));
                } else if let Some(f) = rest.chars().next().and_then(vulgar_fraction) {
                    // `¼ * 24 = 6`: a quarter; `1½` a whole and a half.
                    match out.last_mut() {
                        Some(Tok::Num(l))
                            if bytes[i - 1].is_ascii_digit() && l.value.is_integer() =>
                        {
                            l.value = l.value.add(f).unwrap_or(l.value);
                        }
                        _ => out.push(Tok::Num(Lit {
                            value: f,
                            decimals: 0,
                        })),
                    }
                }
                i += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            }
        }
        i += 1;
    }
}

/// The value of a vulgar fraction char (`¼`, `½`, `¾`, `⅓`, `⅔`, `⅛`).
fn vulgar_fraction(c: char) -> Option<Number> {
    let (a, b) = match c {
        '¼' => (1, 4),
        '½' => (1, 2),
        '¾' => (3, 4),
        '⅓' => (1, 3),
        '⅔' => (2, 3),
        '⅛' => (1, 8),
        _ => return None,
    };
    Number::ratio(a, b).ok()
}

/// The ` a/b` part of a mixed number (`1 1/2`) after an integer ending at `i`, with `a < b`.
fn mixed_fraction(bytes: &[u8], i: usize) -> Option<(Number, usize)> {
    if bytes.get(i) != Some(&b' ') {
        return None;
    }
    let mut j = i + 1;
    let digits = |mut k: usize| {
        let s = k;
        let mut n: i128 = 0;
        while k < bytes.len() && bytes[k].is_ascii_digit() && k - s < 9 {
            n = n * 10 + (bytes[k] - b'0') as i128;
            k += 1;
        }
        (k > s).then_some((n, k))
    };
    let (a, k) = digits(j)?;
    if bytes.get(k) != Some(&b'/') {
        return None;
    }
    j = k + 1;
    let (b, end) = digits(j)?;
    if a == 0
        || a >= b
        || bytes
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
    {
        return None;
    }
    Some((Number::ratio(a, b).ok()?, end))
}

/// Whether bytes start with an ordinal suffix (`st`, `nd`, `rd`, `th`) ending a word.
fn is_ordinal_suffix(b: &[u8]) -> bool {
    b.len() >= 2
        && matches!(&b[..2], b"st" | b"nd" | b"rd" | b"th")
        && b.get(2).is_none_or(|c| !c.is_ascii_alphabetic())
}

/// The number right after a plain `=` (skipping spaces and `$`): value, decimals, end.
fn rhs_number(line: &str, eq: usize) -> Option<(Number, u8, usize)> {
    let bytes = line.as_bytes();
    let mut j = eq + 1;
    while j < bytes.len() && matches!(bytes[j], b' ' | b'$') {
        j += 1;
    }
    let neg = bytes.get(j) == Some(&b'-');
    if neg {
        j += 1;
    }
    let b = *bytes.get(j)?;
    if !(b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let (v, end, d) = scan_decimal(bytes, j)?;
    // `= 5x` or `= 2p/5` is algebra, not a value.
    if bytes
        .get(end)
        .is_some_and(|c| c.is_ascii_alphabetic() && *c != b'x')
        && bytes.get(end + 1).is_none_or(|c| !c.is_ascii_alphabetic())
    {
        return None;
    }
    let (v, end) = match (d, mixed_fraction(bytes, end)) {
        (0, Some((f, fend))) => (v.add(f).ok()?, fend),
        _ => (v, end),
    };
    if bytes.get(end) == Some(&b'/') {
        return None;
    }
    let v = if neg { v.neg().ok()? } else { v };
    Some((v, d, end))
}

/// How a written figure derives from an exact value, when it is a rounding of it.
fn rounding_expr(exact: Number, written: Number, decimals: u8) -> Option<Expr> {
    if exact == written {
        return None;
    }
    let x = Expr::Arg(0);
    let d = decimals as i32;
    let lit = |n: i128| Expr::Lit(Number::int(n));
    if exact.round(d).ok() == Some(written) {
        return Some(if d == 0 {
            Expr::Call(Func::Round, vec![x])
        } else {
            Expr::Call(Func::Round, vec![x, lit(d as i128)])
        });
    }
    if d == 0 {
        if exact.floor() == written {
            return Some(Expr::Call(Func::Floor, vec![x]));
        }
        if exact.ceil() == written {
            return Some(Expr::Call(Func::Ceil, vec![x]));
        }
        return None;
    }
    // Truncation to `d` decimals: int(x * 10^d) / 10^d.
    let scale = Number::int(10).powi(d).ok()?;
    if exact.mul(scale).ok()?.trunc().div(scale).ok()? == written {
        let s = Expr::Lit(scale);
        return Some(Expr::bin(
            BinOp::Div,
            Expr::Call(Func::Int, vec![Expr::bin(BinOp::Mul, x, Expr::Lit(scale))]),
            s,
        ));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Graph building

#[derive(Debug, Clone, Copy)]
struct StepInfo {
    id: NodeId,
    exact: Number,
    written: Number,
    line: usize,
    /// The first content words written right after the step's result (`5 laps` → `lap`;
    /// `20 pink and orange balls` → `pink`, `orange`, `ball`).
    units: [Option<Unit>; 3],
}

struct Ctx<'q> {
    b: GraphBuilder,
    question: &'q str,
    mentions: Vec<Mention>,
    /// (mention index, value, node)
    inputs: Vec<(usize, Number, NodeId)>,
    consts: Vec<(Number, NodeId)>,
    steps: Vec<StepInfo>,
    /// (step node, written value, rounding node)
    rounded: Vec<(NodeId, Number, NodeId)>,
    annotated: u32,
    plain: u32,
    rounding: u32,
    skipped: u32,
    first_problem: Option<(FailureCategory, usize, String)>,
    name_buf: String,
    /// Unknowns solved from linear equations: (letter, value).
    vars: Vec<(u8, Number)>,
    /// The step of each unknown in `vars`, in the same order.
    var_steps: Vec<NodeId>,
    /// Whether the calculation being linked has read its unit fact already (`7 * 7` after
    /// "7 days in a week": one 7 is the fact, the other the 7 weeks worked out before).
    fact_read: bool,
    /// Whether the calculation being linked writes the literal being linked more than once
    /// (`5 * 5`): its literals then never make a second input of one value.
    repeated: bool,
    /// The unknown's step that the calculation being linked works out again (`H = 9 / 3`
    /// after `3H = 9`): none of its operands is that step.
    solving: Option<NodeId>,
}

impl Ctx<'_> {
    fn problem(&mut self, cat: FailureCategory, line: usize, detail: String) {
        self.skipped += 1;
        if self.first_problem.is_none() {
            self.first_problem = Some((cat, line, detail));
        }
    }

    fn event(&mut self, line: &str, li: usize, ev: &Event, text: &str) {
        let mut toks = Vec::new();
        match *ev {
            Event::Annotation { start, end, plain } => {
                let inner = &line[start + 2..end - 2];
                let (lhs, rhs) = match inner.rfind('=') {
                    Some(k) => (&inner[..k], Some(inner[k + 1..].trim())),
                    None => (inner, None),
                };
                let after = skip_number(&line[end..]);
                let written = rhs
                    .and_then(|r| {
                        let r = r.trim_start_matches('$');
                        scan_decimal(r.as_bytes(), 0).and_then(|(v, e, d)| {
                            (e == r.len() || r[e..].trim() == "%").then_some((v, d))
                        })
                    })
                    .or_else(|| rhs_number(line, end - 1).map(|(v, d, _)| (v, d)));
                let parsed = match tokenize_strict(lhs, &mut toks) {
                    Err(e) => Err(e),
                    Ok(()) => Parser::parse(&toks).ok_or_else(|| match calc_limit(&toks) {
                        Some(e) => format!("the annotation at column {}: {e}", start + 1),
                        None => format!("cannot parse the annotation <<{inner}>>"),
                    }),
                };
                match parsed {
                    Ok((pe, lits, ops)) if ops > 0 => {
                        // (Only a solution that solved for an unknown is read for one.)
                        if !self.vars.is_empty() {
                            let vals: Vec<Number> = lits.iter().map(|l| l.value).collect();
                            self.solving = eval(&pe, &vals)
                                .and_then(|v| self.unknown_restated(&line[..start], v));
                        }
                        let added = self.add_step(li, &pe, &lits, written, after, text, None);
                        self.solving = None;
                        if added {
                            self.annotated += 1;
                        }
                    }
                    other => {
                        // Not a calculation (`<<6=6>>`) or unparsable: use the written one.
                        let done = match (plain, written) {
                            (Some((from, eq)), Some(w)) => {
                                self.try_plain(line, li, from, eq, w, after, text)
                                    || self.try_equation(line, li, from, eq, Some(w), text)
                            }
                            _ => false,
                        };
                        if let (false, Err(e)) = (done, other) {
                            self.problem(FailureCategory::UnparsableExpression, li, e);
                        }
                    }
                }
            }
            Event::Plain { from, eq } => {
                let done = match rhs_number(line, eq) {
                    Some((rv, rd, rend)) => {
                        self.try_plain(line, li, from, eq, (rv, rd), &line[rend..], text)
                    }
                    None => false,
                };
                if !done {
                    self.try_equation(line, li, from, eq, None, text);
                }
            }
        }
    }

    /// Finds the written calculation left of `=` at `eq` that gives `rhs`, and adds it.
    #[allow(clippy::too_many_arguments)]
    fn try_plain(
        &mut self,
        line: &str,
        li: usize,
        from: usize,
        eq: usize,
        rhs: (Number, u8),
        after: &str,
        text: &str,
    ) -> bool {
        let (rv, rd) = rhs;
        // `50 / 200 * 100% = 25%`: a written percent may stand for its fraction.
        let pct = says_percent(after);
        let rv_frac = rv.div(Number::int(100)).ok().filter(|_| pct);
        let after = after.strip_prefix('%').unwrap_or(after);
        let mut toks = Vec::new();
        tokenize_loose(&line[from..eq], &mut toks, &self.vars, false);
        // The longest suffix that parses, has an operator and gives the written value.
        for start in 0..toks.len() {
            if !matches!(toks[start], Tok::Num(_) | Tok::LParen | Tok::Op(BinOp::Sub)) {
                continue;
            }
            let Some((pe, lits, ops)) = Parser::parse(&toks[start..]) else {
                continue;
            };
            if ops == 0 {
                continue;
            }
            let vals: Vec<Number> = lits.iter().map(|l| l.value).collect();
            let Some(v) = eval(&pe, &vals) else {
                continue;
            };
            let written = if rv_frac == Some(v) {
                Some((v, rd + 2))
            } else if v == rv || rd > 0 && rounding_expr(v, rv, rd).is_some() {
                Some((rv, rd))
            } else {
                None
            };
            if written.is_some() {
                let added = self.add_step(li, &pe, &lits, written, after, text, None);
                if added {
                    self.plain += 1;
                }
                return added;
            }
        }
        false
    }

    /// Reads a line with no `=` whose calculation ends in a `-` typed for `=` (`90*2-180`,
    /// `4*10- 40 gallons`): the calculation before a dash gives exactly the number after it
    /// (a difference of 0 is what nobody writes). Returns whether a step was added.
    fn try_dash(&mut self, line: &str, li: usize, text: &str) -> bool {
        for (i, _) in line.match_indices('-') {
            let Some((rv, rd, rend)) = rhs_number(line, i) else {
                continue;
            };
            if self.try_plain(line, li, 0, i, (rv, rd), &line[rend..], text) {
                return true;
            }
        }
        false
    }

    /// Solves a linear equation in one unknown letter around the `=` at `eq` (the right side
    /// is `rhs` when given, else the text after `=`), adding the solution as a step.
    fn try_equation(
        &mut self,
        line: &str,
        li: usize,
        from: usize,
        eq: usize,
        rhs: Option<(Number, u8)>,
        text: &str,
    ) -> bool {
        let mut lt = Vec::new();
        tokenize_loose(&line[from..eq], &mut lt, &self.vars, false);
        let mut rt = Vec::new();
        match rhs {
            Some((value, decimals)) => rt.push(Tok::Num(Lit { value, decimals })),
            None => tokenize_loose(&line[eq + 1..], &mut rt, &self.vars, true),
        }
        if !has_var(&lt) && !has_var(&rt) {
            return false;
        }
        let left = (0..lt.len()).find_map(|s| Parser::parse(&lt[s..]));
        let right = (1..=rt.len()).rev().find_map(|e| Parser::parse(&rt[..e]));
        let (Some((lp, mut lits, _)), Some((mut rp, rlits, _))) = (left, right) else {
            return false;
        };
        shift_lits(&mut rp, lits.len() as u32);
        lits.extend(rlits);
        let mut var = None;
        let Some((al, bl)) = linear(&lp, &mut var) else {
            return false;
        };
        let Some((ar, br)) = linear(&rp, &mut var) else {
            return false;
        };
        let (Some(v), Some(den), Some(num)) = (
            var,
            lin_add(al, ar, BinOp::Sub),
            lin_add(br, bl, BinOp::Sub),
        ) else {
            return false;
        };
        let sol = lin_mul(Some(num), Some(den), BinOp::Div).unwrap_or(PExpr::One);
        if count_ops(&sol) == 0 {
            return false;
        }
        let vals: Vec<Number> = lits.iter().map(|l| l.value).collect();
        let Some(value) = eval(&sol, &vals) else {
            return false;
        };
        let name = [v];
        let name = std::str::from_utf8(&name)
            .unwrap_or("x")
            .to_ascii_lowercase();
        if self.add_step(li, &sol, &lits, None, "", text, Some(&name)) {
            self.vars.push((v, value));
            if let Some(s) = self.steps.last() {
                self.var_steps.push(s.id);
            }
            self.plain += 1;
            return true;
        }
        false
    }

    /// Adds a step for a parsed calculation; returns whether it was added.
    #[allow(clippy::too_many_arguments)]
    fn add_step(
        &mut self,
        li: usize,
        pe: &PExpr,
        lits: &[Lit],
        written: Option<(Number, u8)>,
        after: &str,
        text: &str,
        name: Option<&str>,
    ) -> bool {
        let mut operands: Vec<NodeId> = Vec::with_capacity(lits.len());
        let mut slots: Vec<u32> = Vec::with_capacity(lits.len());
        let mut groups = vec![None; lits.len()];
        sum_groups(pe, &mut groups, &mut 0);
        // The node each literal stands for, in order.
        let mut ids: Vec<NodeId> = Vec::with_capacity(lits.len());
        let mut siblings: Vec<Number> = Vec::new();
        self.fact_read = false;
        // (A product of two literals: `lits` holds exactly those two.)
        let product_of_two = matches!(pe, PExpr::Bin(BinOp::Mul, a, b)
            if matches!((&**a, &**b), (PExpr::Lit(_), PExpr::Lit(_))));
        // (A quotient or difference of two literals.)
        let against_itself = matches!(pe, PExpr::Bin(BinOp::Div | BinOp::Sub, a, b)
            if matches!((&**a, &**b), (PExpr::Lit(_), PExpr::Lit(_))));
        // "The percentage of women is 40 because .4 x 100 = 40": a proportion times 100 that
        // the line writes as a percentage; the 100 is the percent's, not the 100 people
        // worked out before (seed 308's office, whose percentage of women was their
        // proportion times the staff, so a smaller staff changed nothing).
        let percent_factor = product_of_two
            && lits.len() == 2
            && lits.iter().any(|l| l.value == Number::int(100))
            && lits
                .iter()
                .any(|l| l.value > Number::ZERO && l.value < Number::ONE)
            && writes_a_percentage(text, after);
        for (i, l) in lits.iter().enumerate() {
            self.repeated = lits.iter().filter(|x| x.value == l.value).count() > 1;
            siblings.clear();
            if let Some(g) = groups[i] {
                siblings.extend(
                    (0..lits.len())
                        .filter(|&j| j != i && groups[j] == Some(g))
                        .map(|j| lits[j].value),
                );
            }
            // "40/100*100": the first 100 turns the question's 40% into a fraction; it is
            // not the 100 gumballs worked out before, which the second 100 is.
            // The 40 is the question's 40%, not a step that came out 40 too.
            let percent = if percent_factor && l.value == Number::int(100) {
                Some(true)
            } else {
                self.percent_over_100(pe, i as u32, lits)
            };
            let mut id = match percent {
                Some(true) => self.constant(l.value),
                Some(false) => match self.link_input(l.value) {
                    Some(id) => id,
                    None => self.link(*l, text, &siblings),
                },
                None => match self.written_fraction(pe, i as u32, lits) {
                    Some(k) => self.fraction_part(k, l.value),
                    None => self.link(*l, text, &siblings),
                },
            };
            if product_of_two && self.steps.iter().any(|s| s.id == id) {
                // "The third dog carried off twice as many as the second dog, or 2*2=4": the
                // second 2 is "twice", not the second dog's 2 again (a square, which a change
                // to the first dog would make grow as its square).
                let square = i == 1 && ids.first() == Some(&id) && says_times(text, l.value);
                // "Hortense has double the 3 stripes that Olga has, or 3*2=6": the 2 is
                // "double", not Rick's 2 stripes worked out before.
                let in_words = lits[1 - i].value != l.value && says_times_in_words(text, l.value);
                if square || in_words {
                    id = self.constant(l.value);
                }
            }
            // "They cost $1 to make because 1.2 / 1.2 = 1": the second 1.2 is the 120% the
            // price is of the cost, not the price again (a step over itself is 1 whatever the
            // price; seed 270's Joe).
            if against_itself
                && i == 1
                && ids.first() == Some(&id)
                && self.one_and_a_percent(l.value)
            {
                id = self.constant(l.value);
            }
            ids.push(id);
        }
        self.first_of_twice_summed(lits, &groups, &mut ids, text);
        for &id in &ids {
            let slot = match operands.iter().position(|&o| o == id) {
                Some(k) => k,
                None => {
                    operands.push(id);
                    operands.len() - 1
                }
            };
            slots.push(slot as u32);
        }
        let expr = to_expr(pe, &slots);
        let name = match name {
            Some(n) => n.to_string(),
            None => self.step_name(after, text),
        };
        let units = unit_words(after);
        match self.b.step(&name, expr, operands) {
            Ok(id) => {
                self.b.set_text(id, text);
                let exact = self.b.value(id);
                let written = written.map_or(exact, |w| w.0);
                self.steps.push(StepInfo {
                    id,
                    exact,
                    written,
                    line: li,
                    units,
                });
                true
            }
            Err(GraphError::Eval { source, .. }) => {
                self.problem(
                    FailureCategory::EvalError,
                    li,
                    format!("the calculation cannot be evaluated exactly: {source}"),
                );
                false
            }
            Err(e) => {
                self.problem(FailureCategory::EvalError, li, e.to_string());
                false
            }
        }
    }

    /// "She sells a total of 5 crates + 10 crates + 8 crates + 5 crates": a number written
    /// twice in one sum, each read as the same step (Thursday's 5 crates), where an input of
    /// the question read before holds it too (Monday's 5 crates). The first is that input, the
    /// sum's terms going in the order the story tells them (seed 303's Gabrielle, whose total
    /// counted Thursday twice and Monday never). Only where the line writes the input's unit
    /// after the number, and no other.
    fn first_of_twice_summed(
        &self,
        lits: &[Lit],
        groups: &[Option<u32>],
        ids: &mut [NodeId],
        text: &str,
    ) {
        for i in 0..lits.len() {
            let (Some(g), v, id) = (groups[i], lits[i].value, ids[i]) else {
                continue;
            };
            let again = (i + 1..lits.len())
                .any(|j| groups[j] == Some(g) && lits[j].value == v && ids[j] == id);
            // (The first of them only: an earlier one of the same node was passed over.)
            let first = !(0..i).any(|j| groups[j] == Some(g) && ids[j] == id);
            if !again || !first || !self.steps.iter().any(|s| s.id == id) {
                continue;
            }
            // (Never a node the step itself reads: "16 gallons * 1/4 = 4 gallons" of sour
            // cream and of butter, subtracted twice, is that one step twice.)
            let reads = &self.b.node(id).operands;
            // (Another step of the same value first: "$2 + $1 + $6 + $6", Dale's eggs and
            // Andrew's.)
            if let Some(t) = self
                .steps
                .iter()
                .rev()
                .find(|t| t.exact == v && t.id != id && !reads.contains(&t.id))
            {
                ids[i] = t.id;
                continue;
            }
            let Some(&(k, _, input)) = self.inputs.iter().find(|x| x.1 == v) else {
                continue;
            };
            if reads.contains(&input) {
                continue;
            }
            let q_unit = self
                .mentions
                .get(k)
                .and_then(|m| unit_word(self.question.get(m.span.end as usize..)?));
            let line_units: Vec<Option<Unit>> = units_after(text, v).collect();
            if q_unit.is_some()
                && line_units.contains(&q_unit)
                && line_units.iter().all(|u| u.is_none() || *u == q_unit)
            {
                ids[i] = input;
            }
        }
    }

    /// The node an operand literal stands for, on the solution line `text` (annotations
    /// stripped); `siblings` are the values of the literals added to or subtracted from it
    /// directly (`4` in `4+8+8+12` has siblings `8, 8, 12`).
    fn link(&mut self, l: Lit, text: &str, siblings: &[Number]) -> NodeId {
        let v = l.value;
        let solving = self.solving;
        if let Some(s) = self
            .steps
            .iter()
            .rev()
            .find(|s| s.exact == v && Some(s.id) != solving)
        {
            let s = *s;
            if let Some(id) = self.question_over_step(s, v, text, siblings) {
                return id;
            }
            // (A pair's 2 is only ever multiplied by: one summed with others is a step's.)
            let fact =
                conversion_fact(v, text, &s) || (siblings.is_empty() && pair_fact(v, text, &s));
            if self.fact_read || !fact {
                return s.id;
            }
            self.fact_read = true;
            // "As 1 hour has 60 minutes, … 180 / 60": a fact of the units, not the 60 items
            // worked out before.
        } else {
            // "2 classes x 5 days = 10 classes on weekdays": the five days of a working week,
            // not the question's 5 people (seed 282's Damien, whose 5 miles a day on weekdays
            // were also his days a week). One literal of the calculation at most (`5*5` of 5
            // poses on 5 weekdays).
            if !self.fact_read && self.working_week_fact(v, text) {
                self.fact_read = true;
                return self.constant(v);
            }
            if l.decimals > 0 {
                if let Some(id) = self.link_rounded(v, l.decimals) {
                    return id;
                }
            }
            if let Some(id) = self.link_input(v) {
                return id;
            }
            if let Some(id) = self.link_rounded(v, l.decimals) {
                return id;
            }
            if let Some(id) = self.link_whole_part(v, text) {
                return id;
            }
        }
        self.constant(v)
    }

    /// "47 / 4 = 11.75 … each goat gets an even 11", then "If Alma feeds 11 carrots to each
    /// of 4 goats, … 11 * 4": a whole `v` that is the step just worked out rounded down or up
    /// (which the solution does in its head) is that step rounded, so a change to the goats
    /// rounds again (seed 287's Alma: 11 carrots a goat whatever the number of goats). Only
    /// the last step, one of at least 1 that is no whole number itself, and only where the
    /// line writes `v` of something ("11 carrots", "Two cycles"), not only in its
    /// calculation (`2.46 / 3`, three bags).
    fn link_whole_part(&mut self, v: Number, text: &str) -> Option<NodeId> {
        let s = *self.steps.last()?;
        if !v.is_integer()
            || s.exact.is_integer()
            || s.exact < Number::ONE
            || (s.exact.floor() != v && s.exact.ceil() != v)
        {
            return None;
        }
        if !units_after(text, v).any(|u| u.is_some()) {
            return None;
        }
        self.rounding_node(s, v, 0)
    }

    /// Whether `v` is written in the line `text` as the days of a part of the week the
    /// question speaks of ("5 days" or "5 weekdays" where it says "weekdays" or "Monday
    /// through Friday", "2 days" where it says "weekend", "7 days" where it says "week")
    /// while the question writes no such number of days itself: the line then reads a fact
    /// of the week, which no number of the question gives.
    fn working_week_fact(&self, v: Number, text: &str) -> bool {
        const PARTS: [(i128, &[&str]); 3] = [
            (
                5,
                &[
                    "weekday",
                    "monday through friday",
                    "monday to friday",
                    "monday-friday",
                    "work week",
                    "workweek",
                    "school week",
                ],
            ),
            (2, &["weekend"]),
            (7, &["week"]),
        ];
        let Some(&(_, said)) = PARTS.iter().find(|(k, _)| Number::int(*k) == v) else {
            return false;
        };
        let days = |u: Option<Unit>| {
            u.is_some_and(|u| {
                ["days", "weekdays", "workdays"]
                    .iter()
                    .any(|w| unit_word(w) == Some(u))
            })
        };
        if !units_after(text, v).any(days) {
            return false;
        }
        let q = self.question.to_ascii_lowercase();
        said.iter().any(|w| q.contains(w))
            && !self.mentions.iter().any(|m| {
                m.values().contains(&v) && days(unit_word(&self.question[m.span.end as usize..]))
            })
    }

    /// Where literal `i` of `pe` stands in a percent made a fraction, `P/100` with `P`
    /// written as a percent in the question ("40%"): `Some(true)` for the 100,
    /// `Some(false)` for `P`.
    fn percent_over_100(&self, pe: &PExpr, i: u32, lits: &[Lit]) -> Option<bool> {
        match pe {
            PExpr::Bin(op, a, b) => {
                if let (BinOp::Div, PExpr::Lit(j), PExpr::Lit(k)) = (op, &**a, &**b) {
                    if (i == *j || i == *k)
                        && lits[*k as usize].value == Number::int(100)
                        && self.written_as_percent(lits[*j as usize].value)
                    {
                        return Some(i == *k);
                    }
                }
                self.percent_over_100(a, i, lits)
                    .or_else(|| self.percent_over_100(b, i, lits))
            }
            PExpr::Neg(a) | PExpr::Pct(a) => self.percent_over_100(a, i, lits),
            _ => None,
        }
    }

    /// Where literal `i` of `pe` is a part of a fraction `a/b` the question writes as such
    /// ("He turned 1/4 into sour cream", then `16 * 1/4`): the index of that mention. The
    /// parts are the fraction's, not "one gallon" or "4 gallons of milk" the question writes
    /// elsewhere (seed 313's Bill, whose quarter of the milk was read from the 4 gallons a
    /// gallon of butter takes).
    fn written_fraction(&self, pe: &PExpr, i: u32, lits: &[Lit]) -> Option<usize> {
        match pe {
            PExpr::Bin(op, a, b) => {
                // (`16*1/4` reads as `(16*1)/4`: the numerator is the product's last factor.)
                let numerator = match &**a {
                    PExpr::Lit(j) => Some(j),
                    PExpr::Bin(BinOp::Mul, _, last) => match &**last {
                        PExpr::Lit(j) => Some(j),
                        _ => None,
                    },
                    _ => None,
                };
                if let (BinOp::Div, Some(j), PExpr::Lit(k)) = (op, numerator, &**b) {
                    if i == *j || i == *k {
                        let (n, d) = (lits[*j as usize].value, lits[*k as usize].value);
                        if let Some(m) = self.mentions.iter().position(|m| {
                            m.kind == MentionKind::Fraction
                                && matches!(m.values(), [f, x, y] if *x == n && *y == d && n.div(d).is_ok_and(|q| q == *f))
                        }) {
                            return Some(m);
                        }
                    }
                }
                self.written_fraction(a, i, lits)
                    .or_else(|| self.written_fraction(b, i, lits))
            }
            PExpr::Neg(a) | PExpr::Pct(a) => self.written_fraction(a, i, lits),
            _ => None,
        }
    }

    /// The input for part `v` of the fraction the question writes at mention `k`, made the
    /// first time it is read.
    fn fraction_part(&mut self, k: usize, v: Number) -> NodeId {
        if let Some(&(_, _, id)) = self.inputs.iter().find(|x| x.0 == k && x.1 == v) {
            return id;
        }
        self.new_input(k, v)
    }

    /// A new input of value `v` read from mention `k` of the question, named from its words.
    fn new_input(&mut self, k: usize, v: Number) -> NodeId {
        let m = self.mentions[k];
        let name = input_name(self.question, &m, v, &mut self.name_buf);
        let id = self.b.input(&name, v, Some(m.span));
        self.inputs.push((k, v, id));
        id
    }

    /// Whether `v` is one plus or minus a percent the question writes (1.2 of "20% more").
    fn one_and_a_percent(&self, v: Number) -> bool {
        let Ok(p) = v.sub(Number::ONE).and_then(|d| d.mul(Number::int(100))) else {
            return false;
        };
        let p = if p.is_negative() {
            p.neg().unwrap_or(p)
        } else {
            p
        };
        p != Number::ZERO && self.written_as_percent(p)
    }

    /// Whether the question writes `v` as a percent ("40%", "40 percent").
    fn written_as_percent(&self, v: Number) -> bool {
        self.mentions.iter().any(|m| {
            let after = &self.question[m.span.end as usize..];
            m.primary() == v && says_percent(after)
        })
    }

    /// The step of an unknown of value `v` that `before` (a line up to a calculation) sets
    /// equal to it: `H = 9 / 3 = ` before `<<9/3=3>>`, where `3H = 9` solved for H.
    fn unknown_restated(&self, before: &str, v: Number) -> Option<NodeId> {
        let t = before.trim_end_matches(|c: char| c.is_ascii_digit() || " .,$+-*/()×=".contains(c));
        if !before[t.len()..].contains('=') {
            return None;
        }
        let &c = t.as_bytes().last()?;
        let alone = t.len() == 1 || !t.as_bytes()[t.len() - 2].is_ascii_alphanumeric();
        if !alone {
            return None;
        }
        let k = self.vars.iter().position(|&(u, x)| u == c && x == v)?;
        self.var_steps.get(k).copied()
    }

    /// The constant node of value `v` (made the first time it is asked for).
    fn constant(&mut self, v: Number) -> NodeId {
        if let Some(&(_, id)) = self.consts.iter().find(|c| c.0 == v) {
            return id;
        }
        let name = format!("const_{v}");
        let id = self.b.constant(&name, v);
        self.consts.push((v, id));
        id
    }

    /// The input for a question number with value `v` that the line `text` reads rather than
    /// the earlier step `s` of the same value, when the text says so: the question writes `v`
    /// followed by a unit word (`in 5 days`), the line writes `v` followed by that same word
    /// (`In 5 days she runs 2000 * 5`), the step's result was written with a different unit
    /// (`3 + 2 = 5 laps`), and the line never writes `v` with the step's unit. The question
    /// number must not be written twice in the calculation when another mention of the same value is an input already, and no
    /// literal summed with this one may read a step written with the same unit as `s` (in
    /// `In 4 days they grew 4+8+8+12`, the 4 is added to other step results in meters). `None`
    /// keeps the step (the rule only overrides the most-recent-step default on evidence).
    /// Another mention's input of the same value stops it only where the calculation writes
    /// `v` twice.
    fn question_over_step(
        &mut self,
        s: StepInfo,
        v: Number,
        text: &str,
        siblings: &[Number],
    ) -> Option<NodeId> {
        let step_units: Vec<Unit> = s.units.iter().flatten().copied().collect();
        if step_units.is_empty() {
            return None;
        }
        // Units written after `v` on this line.
        let line_units: Vec<Unit> = units_after(text, v).flatten().collect();
        if line_units.is_empty() || line_units.iter().any(|u| step_units.contains(u)) {
            return None;
        }
        let (k, _) = self.mentions.iter().enumerate().find(|(_, m)| {
            m.primary() == v
                && unit_word(&self.question[m.span.end as usize..])
                    .is_some_and(|u| !step_units.contains(&u) && line_units.contains(&u))
        })?;
        // A sum with another step in the unit of `s` reads `s`, unless the question number
        // is written with that step's first unit (`six leftover planks` added to `59 planks`).
        let q_units = unit_words(&self.question[self.mentions[k].span.end as usize..]);
        for &w in siblings {
            let Some(t) = self.steps.iter().rev().find(|t| t.exact == w) else {
                continue;
            };
            if t.id != s.id
                && t.units.iter().flatten().any(|u| step_units.contains(u))
                && !t.units[0].is_some_and(|u| q_units.contains(&Some(u)))
            {
                return None;
            }
        }
        // (The input of that mention, or a new one where the calculation writes `v` once:
        // "3 $2.00 coupons" may be an input already when "3 bottles" are read in `3*12`, but
        // `5 * 5` of 5 players and 5 rounds keeps the step.)
        if let Some(&(_, _, id)) = self.inputs.iter().find(|i| i.0 == k) {
            return Some(id);
        }
        if self.repeated && self.inputs.iter().any(|i| i.1 == v) {
            return None;
        }
        Some(self.new_input(k, v))
    }

    /// A rounding node over the most recent step whose written result is `v`.
    fn link_rounded(&mut self, v: Number, decimals: u8) -> Option<NodeId> {
        let s = *self
            .steps
            .iter()
            .rev()
            .find(|s| s.written == v && s.exact != v)?;
        self.rounding_node(s, v, decimals)
    }

    fn rounding_node(&mut self, s: StepInfo, v: Number, decimals: u8) -> Option<NodeId> {
        if let Some(&(_, _, id)) = self.rounded.iter().find(|r| r.0 == s.id && r.1 == v) {
            return Some(id);
        }
        let expr = rounding_expr(s.exact, v, decimals)?;
        let name = format!("{}_rounded", self.b.node(s.id).name);
        let id = self.b.step(&name, expr, vec![s.id]).ok()?;
        if let Some(t) = self.b.node(s.id).text.clone() {
            self.b.set_text(id, t);
        }
        self.rounded.push((s.id, v, id));
        self.rounding += 1;
        Some(id)
    }

    /// The input node for a question number with value `v` (one node per mention and value).
    fn link_input(&mut self, v: Number) -> Option<NodeId> {
        if let Some(&(_, _, id)) = self.inputs.iter().find(|i| i.1 == v) {
            return Some(id);
        }
        // Prefer a mention whose most likely value is `v`, digits before words.
        let mut best: Option<(u8, usize)> = None;
        for (k, m) in self.mentions.iter().enumerate() {
            let Some(rank) = m.values().iter().position(|&x| x == v) else {
                continue;
            };
            let score = (rank as u8) * 2 + m.is_word() as u8;
            if best.is_none_or(|(b, _)| score < b) {
                best = Some((score, k));
            }
        }
        let (_, k) = best?;
        Some(self.new_input(k, v))
    }

    /// A name from the words after the step's result; when another node already has it, the
    /// first words of the line are put in front (`tuesday_apples` rather than `apples_2`).
    fn step_name(&mut self, after: &str, line: &str) -> String {
        let mut name = String::new();
        content_words(after, 3, &mut name);
        if name.is_empty() {
            // `The pencils cost 3 * 6 = $18.`: the line's first words say what it is.
            content_words(line, 3, &mut name);
        }
        if name.is_empty() {
            return format!("step_{}", self.steps.len() + 1);
        }
        if self.b.unique_name(&name) != name {
            let mut lead = String::new();
            content_words(line, 2, &mut lead);
            if !lead.is_empty() && !name.starts_with(&lead) {
                let longer = format!("{lead}_{name}");
                if self.b.unique_name(&longer) == longer {
                    return longer;
                }
            }
        }
        name
    }

    /// The answer as the last figure converted to a smaller unit (dollars to cents, hours to
    /// minutes), when the solution states it so.
    fn unit_conversion(&mut self, expected: Number) -> Option<NodeId> {
        let last = self.steps[self.steps.len() - 1];
        for k in [100, 60] {
            let k = Number::int(k);
            if last.exact.mul(k).ok() == Some(expected) {
                let c = self.link(
                    Lit {
                        value: k,
                        decimals: 0,
                    },
                    "",
                    &[],
                );
                let name = format!("{}_converted", self.b.node(last.id).name);
                let expr = Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Arg(1));
                let id = self.b.step(&name, expr, vec![last.id, c]).ok()?;
                return Some(id);
            }
        }
        None
    }

    fn finish(mut self, expected: Number) -> Result<Extraction, ExtractError> {
        if self.steps.is_empty() {
            if let Some((cat, line, detail)) = self.first_problem {
                return Err(ExtractError {
                    category: cat,
                    line: Some(line),
                    detail,
                });
            }
            return Err(ExtractError {
                category: FailureCategory::NoCalculations,
                line: None,
                detail:
                    "no calculator annotation `<<a*b=c>>` and no plain calculation `a * b = c` \
                         in the solution"
                        .into(),
            });
        }
        let answer = if let Some(s) = self.steps.iter().rev().find(|s| s.exact == expected) {
            Some(s.id)
        } else if let Some(&s) = self.steps.iter().rev().find(|s| s.written == expected) {
            self.rounding_node(s, expected, decimals_of(expected))
        } else if let Some(id) = self.unit_conversion(expected) {
            Some(id)
        } else {
            // The solution rounds its last figure to state the answer (`3.33` → `#### 3`).
            let last = self.steps[self.steps.len() - 1];
            self.rounding_node(last, expected, decimals_of(expected))
        };
        let Some(answer) = answer else {
            if let Some((cat, line, detail)) = self.first_problem {
                return Err(ExtractError {
                    category: cat,
                    line: Some(line),
                    detail,
                });
            }
            let last = self.steps[self.steps.len() - 1];
            return Err(ExtractError {
                category: FailureCategory::AnswerNotReached,
                line: Some(last.line),
                detail: format!(
                    "no step computes the final answer {expected}; the last step gives {} \
                     (written {})",
                    last.exact, last.written
                ),
            });
        };
        let b = std::mem::take(&mut self.b);
        let graph = b.build(answer).map_err(|e| ExtractError {
            category: FailureCategory::EvalError,
            line: None,
            detail: e.to_string(),
        })?;
        Ok(Extraction {
            graph,
            expected,
            annotated_steps: self.annotated,
            plain_steps: self.plain,
            rounding_steps: self.rounding,
            skipped: self.skipped,
        })
    }
}

/// Whether the line `text` says "times `v`": in words (`twice`, `three times`) or with its
/// digits (`2 times`).
fn says_times(text: &str, v: Number) -> bool {
    times_words(text, v).is_some_and(|(words, digits)| words || digits)
}

/// Whether `after`, the text after a number, makes it a percent ("%", " percent").
fn says_percent(after: &str) -> bool {
    after.starts_with('%') || after.starts_with(" percent")
}

/// Whether the line `text` says "times `v`" in words (`twice`, `double`, `three times`) and
/// never with the digits a worked-out count is written with (`6 times in the oven`).
fn says_times_in_words(text: &str, v: Number) -> bool {
    times_words(text, v).is_some_and(|(words, digits)| words && !digits)
}

/// Whether the line `text` writes "times `v`" in words, and whether with digits (`None`
/// for a `v` other than 2 to 10).
fn times_words(text: &str, v: Number) -> Option<(bool, bool)> {
    const WORDS: [&[&str]; 9] = [
        &["twice", "double", "two times"],
        &["thrice", "triple", "three times"],
        &["quadruple", "four times"],
        &["five times"],
        &["six times"],
        &["seven times"],
        &["eight times"],
        &["nine times"],
        &["ten times"],
    ];
    if !v.is_integer() || !(2..=10).contains(&v.numer()) {
        return None;
    }
    let k = v.numer();
    let lower = text.to_ascii_lowercase();
    Some((
        WORDS[(k - 2) as usize].iter().any(|w| lower.contains(w)),
        lower.contains(&format!("{k} times")),
    ))
}

fn decimals_of(n: Number) -> u8 {
    let mut d = 0u8;
    let mut x = n;
    while !x.is_integer() && d < 12 {
        match x.mul(Number::int(10)) {
            Ok(y) => x = y,
            Err(_) => break,
        }
        d += 1;
    }
    d
}

/// Whether the line `text`, whose result is followed by `after`, writes that result as a
/// percentage: "= 40%", "40 percent", or a line about a "percentage" whose result is followed
/// by no unit ("The percentage of women is now 40 because .4 x 100 = 40").
fn writes_a_percentage(text: &str, after: &str) -> bool {
    let a = after.trim_start();
    a.starts_with('%')
        || a.get(..7)
            .is_some_and(|w| w.eq_ignore_ascii_case("percent"))
        || (unit_word(after).is_none() && text.to_ascii_lowercase().contains("percentage"))
}

/// Skips the written result right after an annotation (`>>24 clips` → ` clips`).
fn skip_number(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'$') {
        i += 1;
    }
    match scan_decimal(b, i) {
        Some((_, end, _)) => {
            let mut e = end;
            if b.get(e) == Some(&b'%') {
                e += 1;
            }
            &s[e..]
        }
        None => s,
    }
}

/// A unit word, lowercased with a plural `s` dropped, in a fixed buffer (so that steps stay
/// `Copy`); longer words are cut, which only makes two long words compare equal when their
/// first 15 letters do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Unit([u8; 15]);

/// The word right after a number (`5 days` → `day`, `400-meter` → `meter`), when it is a
/// plain lowercase-able word that is not a stopword (`5 of`, `5 and` say nothing of a unit).
fn unit_word(s: &str) -> Option<Unit> {
    let s = s.strip_prefix('%').unwrap_or(s);
    let s = s.strip_prefix('-').unwrap_or(s);
    let s = s.trim_start_matches(' ');
    // "3 $2.00 coupons": the count's unit is what the price is of.
    let s = match s.strip_prefix('$') {
        Some(price) => {
            let digits =
                price.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
            match digits.strip_prefix(' ') {
                Some(rest) if digits.len() < price.len() => rest,
                _ => s,
            }
        }
        None => s,
    };
    let end = s
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(s.len());
    let w = s[..end].to_ascii_lowercase();
    if w.len() < 2 || is_stopword(&w) || is_break(&w) {
        return None;
    }
    let w = match w.strip_suffix('s') {
        Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem,
        _ => &w,
    };
    let mut buf = [0u8; 15];
    let n = w.len().min(15);
    buf[..n].copy_from_slice(&w.as_bytes()[..n]);
    Some(Unit(buf))
}

/// Whether the line `text` writes `v` as a fact of units ("60 minutes" when an hour has 60
/// minutes, "7 days" in a week, "100 cents") while the earlier step `s` of that value was
/// written with another unit (`60 items`): the line then reads the fact, not the step.
fn conversion_fact(v: Number, text: &str, s: &StepInfo) -> bool {
    const FACTS: [(i128, &[&str]); 8] = [
        (60, &["minutes", "seconds"]),
        (24, &["hours"]),
        (7, &["days"]),
        (12, &["months", "inches", "eggs"]),
        (52, &["weeks"]),
        (365, &["days"]),
        (100, &["cents", "centimeters"]),
        (1000, &["meters", "grams", "milliliters"]),
    ];
    let Some(&(_, units)) = FACTS.iter().find(|(k, _)| Number::int(*k) == v) else {
        return false;
    };
    let is_fact = |u: &Unit| units.iter().any(|w| unit_word(w) == Some(*u));
    if s.units.iter().flatten().any(is_fact) {
        return false;
    }
    units_after(text, v).any(|u| u.is_some_and(|u| is_fact(&u)))
}

/// The unit ([`unit_word`]) written right after each number of `text` that reads `v`.
fn units_after(text: &str, v: Number) -> impl Iterator<Item = Option<Unit>> + '_ {
    find_numbers(text)
        .into_iter()
        .filter(move |m| m.primary() == v)
        .map(move |m| unit_word(&text[m.span.end as usize..]))
}

/// Whether the line `text` speaks of pairs while the earlier step `s` of value `v` (2) was
/// not written in pairs: a 2 the line multiplies by is then a pair's ("each of them has two
/// tennis shoes per pair, 2*(3+2+6)"), not Rick's 2 stripes worked out before.
fn pair_fact(v: Number, text: &str, s: &StepInfo) -> bool {
    if v != Number::int(2) {
        return false;
    }
    let pair = |u: &Unit| unit_word("pairs") == Some(*u);
    let pairs = find_numbers(text).iter().any(|m| {
        let w = &text[m.span.start as usize..m.span.end as usize];
        m.kind == MentionKind::Word
            && (w.eq_ignore_ascii_case("pair") || w.eq_ignore_ascii_case("pairs"))
    });
    pairs && !s.units.iter().flatten().any(pair)
}

/// Up to three content words after a number, before any punctuation or number, each as
/// [`unit_word`] reads it (stopwords skipped).
fn unit_words(s: &str) -> [Option<Unit>; 3] {
    let mut out = [None; 3];
    let mut n = 0;
    let s = s.strip_prefix('%').unwrap_or(s);
    for w in s.split(' ').filter(|w| !w.is_empty()).take(5) {
        let end = w
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(w.len());
        if end > 0 {
            if let Some(u) = unit_word(&w[..end]) {
                out[n] = Some(u);
                n += 1;
                if n == out.len() {
                    break;
                }
            }
        }
        if end < w.len() {
            break;
        }
    }
    out
}

/// Numbers each literal that is a direct term of a sum or difference (`a + b - c`, possibly
/// negated) with the sum it belongs to; other literals stay `None`.
fn sum_groups(e: &PExpr, groups: &mut [Option<u32>], next: &mut u32) {
    fn terms<'e>(e: &'e PExpr, out: &mut Vec<&'e PExpr>) {
        match e {
            PExpr::Bin(BinOp::Add | BinOp::Sub, a, b) => {
                terms(a, out);
                terms(b, out);
            }
            _ => out.push(e),
        }
    }
    match e {
        PExpr::Bin(BinOp::Add | BinOp::Sub, ..) => {
            let g = *next;
            *next += 1;
            let mut ts = Vec::new();
            terms(e, &mut ts);
            for t in ts {
                let t = match t {
                    PExpr::Neg(a) => a,
                    t => t,
                };
                match t {
                    PExpr::Lit(i) => {
                        if let Some(slot) = groups.get_mut(*i as usize) {
                            *slot = Some(g);
                        }
                    }
                    other => sum_groups(other, groups, next),
                }
            }
        }
        PExpr::Lit(_) | PExpr::One | PExpr::Var(_) => {}
        PExpr::Neg(a) | PExpr::Pct(a) => sum_groups(a, groups, next),
        PExpr::Bin(_, a, b) => {
            sum_groups(a, groups, next);
            sum_groups(b, groups, next);
        }
    }
}

/// Words that do not name a quantity on their own.
fn is_stopword(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "there"
            | "thus"
            | "therefore"
            | "now"
            | "the"
            | "of"
            | "her"
            | "his"
            | "their"
            | "its"
            | "my"
            | "your"
            | "our"
            | "each"
            | "per"
            | "is"
            | "are"
            | "was"
            | "were"
            | "be"
            | "to"
            | "for"
            | "and"
            | "or"
            | "as"
            | "by"
            | "in"
            | "on"
            | "at"
            | "that"
            | "this"
            | "than"
            | "so"
            | "with"
            | "from"
            | "he"
            | "she"
            | "they"
            | "it"
            | "we"
            | "you"
            | "i"
            | "if"
            | "then"
            | "which"
            | "will"
            | "would"
            | "can"
            | "has"
            | "have"
            | "had"
            | "more"
            | "less"
            | "x"
    )
}

/// Words that end a name (a new clause starts).
fn is_break(w: &str) -> bool {
    matches!(
        w,
        "and"
            | "or"
            | "so"
            | "but"
            | "which"
            | "that"
            | "then"
            | "if"
            | "because"
            | "he"
            | "she"
            | "they"
            | "it"
            | "we"
            | "you"
            | "i"
            | "is"
            | "are"
            | "was"
            | "were"
            | "will"
            | "would"
            | "has"
            | "have"
            | "had"
            | "than"
            | "to"
            | "for"
            | "x"
    )
}

/// Appends up to `max` lowercase content words from the start of `s` to `out`, joined by `_`
/// (leading stopwords skipped, trailing ones dropped; stops at punctuation or a number).
fn content_words(s: &str, max: usize, out: &mut String) {
    let base = out.len();
    let b = s.as_bytes();
    let mut i = 0;
    let mut count = 0;
    let mut keep_len = base;
    while i < b.len() && count < max {
        let c = b[i];
        if c == b' ' || c == b'$' || c == b'"' {
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            break;
        }
        let mut e = i;
        while e < b.len() && b[e].is_ascii_alphabetic() {
            e += 1;
        }
        let raw = &s[i..e];
        // Skip a possessive `'s` and anything glued to the word.
        while e < b.len() && !matches!(b[e], b' ' | b'.' | b',' | b';' | b':' | b'?' | b'!') {
            e += 1;
        }
        let mut lw = [0u8; 24];
        if raw.len() > lw.len() {
            break;
        }
        for (d, s) in lw.iter_mut().zip(raw.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        let w = std::str::from_utf8(&lw[..raw.len()]).unwrap_or("");
        if out.len() == base {
            if is_stopword(w) {
                i = e;
                continue;
            }
        } else if is_break(w) {
            break;
        }
        if out.len() > base {
            out.push('_');
        }
        out.push_str(w);
        count += 1;
        if !is_stopword(w) {
            keep_len = out.len();
        }
        i = e;
    }
    out.truncate(keep_len);
}

/// Up to `max` content words right before the end of `s` (same sentence), in reading order.
fn words_before(s: &str, max: usize, out: &mut String) {
    let tail = s.trim_end_matches(['$', ' ']);
    let sentence = tail
        .rsplit(['.', ',', ';', ':', '?', '!'])
        .next()
        .unwrap_or("");
    let words: Vec<&str> = sentence
        .split_whitespace()
        .filter(|w| w.bytes().all(|b| b.is_ascii_alphabetic()))
        .collect();
    let mut words: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    while words.last().is_some_and(|w| is_stopword(w)) {
        words.pop();
    }
    let start = words.len().saturating_sub(max);
    let mut picked = words[start..]
        .iter()
        .skip_while(|w| is_stopword(w))
        .peekable();
    while let Some(w) = picked.next() {
        out.push_str(w);
        if picked.peek().is_some() {
            out.push('_');
        }
    }
}

/// A readable name for an input from the words around its number in the question.
fn input_name(q: &str, m: &Mention, v: Number, buf: &mut String) -> String {
    buf.clear();
    let end = m.span.end as usize;
    let mut after = q.get(end..).unwrap_or("");
    if m.kind == MentionKind::Percent {
        after = after
            .trim_start_matches(['%', ' '])
            .trim_start_matches("percent");
    }
    if m.kind == MentionKind::Money {
        buf.push_str("dollars");
        let t = after.trim_start();
        for per in ["an ", "a ", "per ", "each "] {
            if let Some(rest) = t.strip_prefix(per) {
                let mut w = String::new();
                content_words(rest, 1, &mut w);
                if !w.is_empty() {
                    buf.push_str("_per_");
                    buf.push_str(&w);
                }
                return buf.clone();
            }
        }
        // `$50 bill`: the words after name it; `costs $6 and …`: the words before do.
        let first = t
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or("");
        let mut w = String::new();
        if !first.is_empty() && !is_stopword(&first.to_ascii_lowercase()) {
            content_words(after, 2, &mut w);
        } else {
            words_before(q.get(..m.span.start as usize).unwrap_or(""), 2, &mut w);
        }
        if !w.is_empty() {
            return w;
        }
        return buf.clone();
    }
    content_words(after, 2, buf);
    if buf.is_empty() && m.kind == MentionKind::Percent {
        buf.push_str("percent");
    }
    if buf.is_empty() {
        buf.push_str("n_");
        buf.push_str(&v.to_string());
    }
    buf.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::NodeKind;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    const NATALIA_Q: &str = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?";
    const NATALIA_A: &str = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72";

    #[test]
    fn names_read_like_the_text() {
        let q = "A box of pencils costs $6 and a notebook costs $4. Lena buys 3 boxes of pencils and 5 notebooks. She pays with a $50 bill. How much change does she get?";
        let a = "The pencils cost 3 * 6 = $<<3*6=18>>18.\nThe notebooks cost 5 * 4 = $<<5*4=20>>20.\nShe spends 18 + 20 = $<<18+20=38>>38.\nHer change is 50 - 38 = $<<50-38=12>>12.\n#### 12";
        let g = extract(q, a).unwrap().graph;
        let value = |name: &str| g.value(g.find(name).unwrap_or_else(|| panic!("no `{name}`")));
        // A price followed by `and …` is named by the words before it.
        assert_eq!(value("pencils_costs"), n("6"));
        // A price followed by a noun is named by that noun.
        assert_eq!(value("bill"), n("50"));
        // A result with nothing after it is named by the line's first words.
        assert_eq!(value("pencils_cost"), n("18"));
    }

    /// The step (not an input) among `g`'s nodes whose value is `v`.
    fn step_with(g: &Graph, v: &str) -> NodeId {
        g.ids()
            .find(|&id| g.value(id) == n(v) && matches!(g.node(id).kind, NodeKind::Step { .. }))
            .unwrap_or_else(|| panic!("a step with value {v}"))
    }

    /// The operand of the step with value `of` whose value is `v`.
    fn operand_with(g: &Graph, of: &str, v: &str) -> NodeId {
        let s = step_with(g, of);
        *g.node(s)
            .operands
            .iter()
            .find(|&&o| g.value(o) == n(v))
            .unwrap_or_else(|| panic!("step {of} reads no {v}"))
    }

    #[test]
    fn a_unit_fact_beats_an_equal_step_written_with_another_unit() {
        // "As 1 hour has 60 minutes, … 180 / 60": the fact, not the 60 items worked out first.
        let x = extract(
            "Alex has not washed his clothes for a month; 18 shirts, 12 pants, 17 sweaters, and 13 jeans are waiting to be washed. Alex's washing machine can wash a maximum of 15 items per cycle. Each cycle takes 45 minutes. How many hours will it take the washing machine to wash all the clothes?",
            "Alex will wash 18 + 12 + 17 + 13 = <<18+12+17+13=60>>60 items.\nWith 20 items per wash cycle, Alex will wash the clothes in 60 / 15 = 4 cycles.\nWith 45 minutes per cycle, the washing machine will take 45 * 4 = <<45*4=180>>180 minutes to wash the clothes.\nAs 1 hour has 60 minutes, the washing machine will take 180 / 60 = <<180/60=3>>3 hours to wash the clothes.\n#### 3",
        )
        .unwrap();
        let g = &x.graph;
        let sixty = operand_with(g, "3", "60");
        assert!(matches!(g.node(sixty).kind, NodeKind::Constant));
        // The cycles still read the 60 items.
        assert!(matches!(
            g.node(operand_with(g, "4", "60")).kind,
            NodeKind::Step { .. }
        ));
        // "7 * 7" after "7 days in a week": one 7 is the fact, the other the 7 weeks.
        let x = extract(
            "Georgina owns a parrot and is teaching it to speak. So far, the parrot knows seventeen phrases. If she is teaching it two phrases a week and it already knew three phrases when she bought it, how many days has Georgina had it?",
            "The parrot knew 3 phrases when Georgina bought it, so it has learned 17 - 3 = <<17-3=14>>14 phrases from her.\nShe has been teaching it 2 phrases a week, so she has had it 14 / 2 = <<14/2=7>>7 weeks.\nThere are 7 days in a week, so Georgina has had the parrot for 7 * 7 = <<7*7=49>>49 days.\n#### 49",
        )
        .unwrap();
        let g = &x.graph;
        let days = step_with(g, "49");
        let kinds: Vec<bool> = g
            .node(days)
            .operands
            .iter()
            .map(|&o| matches!(g.node(o).kind, NodeKind::Constant))
            .collect();
        assert_eq!(kinds.len(), 2, "two operands: the weeks and the fact");
        assert!(kinds.contains(&true) && kinds.contains(&false));
    }

    #[test]
    fn question_number_with_the_lines_unit_beats_an_equal_step() {
        // demo/demo.jsonl, `demo-laps`: `In 5 days she runs 2000 * 5` reads the question's
        // `5 days`, not the earlier step `3 + 2 = 5 laps`.
        let q = "Lucy runs 3 laps around a 400-meter track every morning and 2 laps every \
                 evening. How many kilometers does she run in 5 days?";
        let a = "Each day she runs 3 + 2 = <<3+2=5>>5 laps.\n\
                 That is 5 * 400 = <<5*400=2000>>2000 meters a day.\n\
                 In 5 days she runs 2000 * 5 = <<2000*5=10000>>10000 meters.\n\
                 That is 10000 / 1000 = <<10000/1000=10>>10 kilometers.\n\
                 #### 10";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        assert_eq!(g.answer_value(), n("10"));
        let laps = g.find("laps").expect("the step `laps`");
        assert!(matches!(g.node(laps).kind, NodeKind::Step { .. }));
        // The second step still reads the step `laps`.
        assert_eq!(operand_with(g, "2000", "5"), laps);
        // The third reads the input `5 days`.
        let days = operand_with(g, "10000", "5");
        assert_ne!(days, laps);
        match g.node(days).kind {
            NodeKind::Input { span: Some(s) } => {
                assert_eq!(s.slice(q), Some("5"));
                assert_eq!(&q[s.end as usize..], " days?");
            }
            ref k => panic!("the 5 of `5 days` should be an input: {k:?}"),
        }
    }

    #[test]
    fn step_keeps_its_value_when_the_line_uses_its_unit() {
        // The question has `5 apples`, but the line reads the 5 pears just computed.
        let q = "She buys 5 apples. She has 2 pears and buys 3 more pears. Each pear costs $2. \
                 How much do her pears cost?";
        let a = "She has 2 + 3 = <<2+3=5>>5 pears.\n\
                 The 5 pears cost 5 * 2 = <<5*2=10>>10 dollars.\n\
                 #### 10";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let pears = step_with(g, "5");
        assert_eq!(operand_with(g, "10", "5"), pears);
        // No input was made for `5 apples`.
        assert!(g.ids().all(
            |id| !(g.value(id) == n("5") && matches!(g.node(id).kind, NodeKind::Input { .. }))
        ));
    }

    #[test]
    fn step_keeps_its_value_in_a_sum_of_steps_with_its_unit() {
        // `In 4 days, ... 4+8` adds the first tree's 4 meters, not the question's 4 days.
        let q = "The first tree grows 1 meter a day and the second grows 2 meters a day. How \
                 many meters did the trees grow in 4 days?";
        let a = "The first tree grows 4*1 = <<4*1=4>>4 meters in 4 days.\n\
                 The second tree grows 2*4 = <<2*4=8>>8 meters in 4 days.\n\
                 In 4 days, both trees grew 4+8 = <<4+8=12>>12 meters.\n\
                 #### 12";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let first = step_with(g, "4");
        assert_eq!(operand_with(g, "12", "4"), first);
        // The second line reads the input `4 days`, not the step of the same value.
        let days = operand_with(g, "8", "4");
        assert!(matches!(g.node(days).kind, NodeKind::Input { .. }));
    }

    #[test]
    fn natalia_graph() {
        let x = extract(NATALIA_Q, NATALIA_A).unwrap();
        let g = &x.graph;
        assert_eq!(x.expected, n("72"));
        assert_eq!(g.answer_value(), n("72"));
        assert_eq!(x.annotated_steps, 2);
        assert_eq!(x.plain_steps, 0);
        let friends = g.find("friends").expect("input named from its words");
        match g.node(friends).kind {
            NodeKind::Input { span: Some(s) } => assert_eq!(s.slice(NATALIA_Q), Some("48")),
            ref k => panic!("not an input with a span: {k:?}"),
        }
        let half = g
            .ids()
            .find(|&id| g.value(id) == n("2"))
            .expect("the 2 of `half`");
        match g.node(half).kind {
            NodeKind::Input { span: Some(s) } => assert_eq!(s.slice(NATALIA_Q), Some("half")),
            ref k => panic!("2 should link to `half`: {k:?}"),
        }
        let may = g.find("clips_in_may").expect("step named from its line");
        assert_eq!(g.value(may), n("24"));
        assert_eq!(
            g.node(may).text.as_deref(),
            Some("Natalia sold 48/2 = 24 clips in May.")
        );
        // The second step reads the first one, not a new input.
        let ans = g.node(g.answer());
        assert!(ans.operands.contains(&may));
        assert_eq!(g.metrics().depth, 2);
    }

    #[test]
    fn plain_calculations_with_units() {
        let q = "A field is 200 yards long. How far does he run over 6 fields?";
        let a = "He runs 200 yards/field * 6 fields = 1200 yards.\nThat is 1200 / 3 = 400 yards a day.\n#### 400";
        let x = extract(q, a).unwrap();
        assert_eq!(x.plain_steps, 2);
        assert_eq!(x.annotated_steps, 0);
        let g = &x.graph;
        assert_eq!(g.answer_value(), n("400"));
        let c = g
            .find("const_3")
            .expect("3 is not in the question: a constant");
        assert!(matches!(g.node(c).kind, NodeKind::Constant));
        let first = g.find("yards").expect("first step named `yards`");
        assert!(g.node(g.answer()).operands.contains(&first));
    }

    #[test]
    fn constants_for_unstated_units() {
        let q = "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?";
        let a = "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        assert_eq!(g.answer_value(), n("10"));
        let c = g.find("const_60").unwrap();
        assert!(matches!(g.node(c).kind, NodeKind::Constant));
        assert!(g.find("dollars_per_hour").is_some());
        assert!(g.find("minutes").is_some());
    }

    #[test]
    fn answer_is_last_step_with_the_value() {
        let q = "Tom has 5 apples and gets 5 more. He gives 2 away.";
        let a = "5+5=<<5+5=10>>10\n10-2=<<10-2=8>>8\n8+2=<<8+2=10>>10 again\n#### 10";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        assert_eq!(g.answer_value(), n("10"));
        // The answer is the third step (it reads the 8).
        let ans = g.node(g.answer());
        assert!(ans.operands.iter().any(|&o| g.value(o) == n("8")));
    }

    #[test]
    fn rounded_annotations_get_rounding_steps() {
        let q = "10 cookies are shared by 3 kids. Each kid then gets 3 times that.";
        let a = "10/3=<<10/3=3.33>>3.33 cookies each\n3.33*3=<<3.33*3=9.99>>9.99\n#### 10";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        assert_eq!(g.answer_value(), n("10"));
        assert!(x.rounding_steps >= 1);
        let r = g
            .ids()
            .find(|&id| g.value(id) == n("3.33"))
            .expect("a rounding step 3.33");
        assert!(matches!(g.node(r).kind, NodeKind::Step { .. }));
    }

    #[test]
    fn linear_equation_in_one_unknown() {
        let q = "Kennedy's house is 600 square feet larger than 4 times Benedict's house. If Kennedy's house is 10000 square feet, how big is Benedict's house?";
        let a = "Let x be Benedict's house. So 4 * x + 600 = 10000.\nSubtracting 600 we get 4 * x = 9400\nSo x = 2350 square feet.\n#### 2350";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        assert_eq!(g.answer_value(), n("2350"));
        let sol = g
            .find("x")
            .expect("the unknown is a step named after its letter");
        assert_eq!(g.value(sol), n("2350"));
        // x is computed from the question's numbers, not copied.
        let inputs = g
            .node(sol)
            .operands
            .iter()
            .filter(|&&o| matches!(g.node(o).kind, NodeKind::Input { .. }))
            .count();
        assert_eq!(inputs, 3);
        // `3x(1/3)=x` is an identity, not a solution for x.
        let e = extract("Three bowlers scored 810.", "3x(1/3)=x\n#### 162").unwrap_err();
        assert_eq!(e.category, FailureCategory::NoCalculations);
    }

    /// `H = 9 / 3` after `3H = 9` works H out again: its 3 is the coefficient, not H (whose
    /// value is 3 too), or the answer 9 / (9 / 3) would stay 3 whatever the 9 (seed 237).
    #[test]
    fn an_unknown_worked_out_again_is_not_its_own_operand() {
        let q = "Cordelia is dyeing her hair red. The whole process will take 9 hours. Dyeing takes twice as long as bleaching. How many hours will it take Cordelia to bleach her hair?";
        let a = "Let H be the number of hours it takes Cordelia to bleach her hair.\nA dye treatment takes twice as long, so it takes 2H.\nThus, bleaching and dying will take H + 2H = 3H = 9 hours.\nTherefore, it will take Cordelia H = 9 / 3 = <<9/3=3>>3 hours to bleach her hair.\n#### 3";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let h = g.find("h").expect("the unknown's step");
        assert!(!g.node(g.answer()).operands.contains(&h));
        let nine = g.find("hours").expect("the 9 hours");
        let set = crate::intervene::Intervention::SetInput {
            node: nine,
            value: n("12"),
        };
        let (g2, _) = crate::intervene::intervene(g, &set).unwrap();
        assert_eq!(g2.answer_value(), n("4"));
        // `M = 8 - 4 - 2`: the 2 is the advertisement hours worked out before, not M.
        let q = "His client has him spend four hours on customer outreach posts and half that time on advertisement posts each day. Bryan works eight hours a day. How much time in hours each day does he spend on marketing posts?";
        let a = "Let M be the number of hours Bryan spends on marketing posts.\nHe spends 4 / 2 = <<4/2=2>>2 hours on advertisement posts a day.\nHe works M + 4 + 2 = 8 hours a day.\nThus, Bryan spends M = 8 - 4 - 2 = <<8-4-2=2>>2 hours on marketing posts each day.\n#### 2";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let m = g.find("m").expect("the unknown's step");
        let ops = &g.node(g.answer()).operands;
        assert!(!ops.contains(&m), "{ops:?}");
        assert!(ops.iter().any(|&o| g
            .node(o)
            .text
            .as_deref()
            .is_some_and(|t| t.contains("advertisement"))));
    }

    /// "3*5" of "Three weeks at 5 days per week" where the question says "weekdays": the five
    /// days of a working week, not the question's 5 miles a day (seed 282's Damien: a change
    /// to his miles changed his running days too). The weekend's 2 days likewise; in `5*5`
    /// of 5 poses on 5 weekdays one 5 is the fact and the other the question's.
    #[test]
    fn the_days_of_a_working_week_are_a_constant() {
        let q = "Damien jogs 5 miles per day on weekdays only.  How many miles does he run over three weeks?";
        let a = "Three weeks at 5 days per week means Damien runs 3*5=<<3*5=15>>15 times in three weeks.\nIf each time he runs 5 miles, then over 15 running days he covers 5*15=<<5*15=75>>75 miles.\n#### 75";
        let g = extract(q, a).unwrap().graph;
        let miles = g.find("miles").expect("his 5 miles");
        let set = crate::intervene::Intervention::SetInput {
            node: miles,
            value: n("13"),
        };
        let (g2, _) = crate::intervene::intervene(&g, &set).unwrap();
        assert_eq!(g2.answer_value(), n("195"));
        let q = "The Diving Club offers 2 beginning diving classes on weekdays and 4 beginning classes on each day of the weekend. Each class has room for 5 people. How many people can take classes in 3 weeks?";
        let a = "There are 2 classes x 5 days = <<2*5=10>>10 classes on weekdays.\nThere are 4 classes x 2 days = <<4*2=8>>8 classes on weekends.\nThere are a total of 10 + 8 = <<10+8=18>>18 classes per week.\nSo each week, 18 x 5 = <<18*5=90>>90 people can take classes.\nThus, 90 x 3 = <<90*3=270>>270 people can take classes in 3 weeks.\n#### 270";
        let g = extract(q, a).unwrap().graph;
        let inputs = |v: &str| {
            g.ids()
                .filter(|&id| {
                    g.value(id) == n(v) && matches!(g.node(id).kind, NodeKind::Input { .. })
                })
                .count()
        };
        // The 2 classes and the 5 people only: the days are constants.
        assert_eq!((inputs("2"), inputs("5")), (1, 1));
        let consts = |v: &str| {
            g.ids()
                .filter(|&id| g.value(id) == n(v) && matches!(g.node(id).kind, NodeKind::Constant))
                .count()
        };
        assert_eq!((consts("2"), consts("5")), (1, 1));
        let q = "Summer performs 5 sun salutation yoga poses as soon as she gets out of bed, on the weekdays.  How many sun salutations will she perform throughout an entire year?";
        let a = "She performs 5 sun salutations on the weekdays so that’s 5 days so that’s 5*5 = <<5*5=25>>25 sun salutations a week\nThere are 52 weeks in a year and she performs 25 sun salutations every week for a total of 52*25 = <<52*25=1300>>1,300 sun salutations a year\n#### 1300";
        let g = extract(q, a).unwrap().graph;
        let poses = g
            .ids()
            .find(|&id| g.value(id) == n("5") && matches!(g.node(id).kind, NodeKind::Input { .. }))
            .expect("her 5 poses");
        let set = crate::intervene::Intervention::SetInput {
            node: poses,
            value: n("3"),
        };
        let (g2, _) = crate::intervene::intervene(&g, &set).unwrap();
        assert_eq!(g2.answer_value(), n("780"));
        // A question that gives the days itself keeps them.
        let q = "Ann walks 5 days a week on weekdays, 2 miles a day. How many miles does she walk in 4 weeks?";
        let a = "She walks 5 days * 2 miles = <<5*2=10>>10 miles a week.\nIn 4 weeks she walks 10 * 4 = <<10*4=40>>40 miles.\n#### 40";
        let g = extract(q, a).unwrap().graph;
        assert!(g
            .ids()
            .any(|id| g.value(id) == n("5") && matches!(g.node(id).kind, NodeKind::Input { .. })));
    }

    /// "each goat gets an even 11" of 47 / 4 = 11.75: the step rounded down, so fewer goats
    /// get more carrots each (seed 287's Alma, whose 11 stayed a constant).
    #[test]
    fn a_whole_part_of_the_step_before_is_that_step_rounded() {
        let q = "Alma is taking a walk and comes across four goats standing behind a fence. Alma has a bag of baby carrots she brought to have for a snack and decides to feed the goats with them. Alma wants to make sure all the goats get the same amount of carrots, so she starts counting them out. She has 47 baby carrots. If she wants to give the exact same amount of carrots to each goat and wants to feed them all the carrots she can, how many will she have left over?";
        let a = "Alma has 47 baby carrots to feed 3 goats, 47 / 4 = <<47/4=11.75>>11.75 baby carrots.\nIf she takes away the remaining .75, each goat gets an even 11 carrots each.\nIf Alma feeds 11 carrots to each of 4 goats, that's a total of 11 * 4 = <<11*4=44>>44 carrots Alma feeds the goats.\nShe started with 47 baby carrots - 44 she feeds the goats = <<47-44=3>>3 baby carrots left over.\n#### 3";
        let g = extract(q, a).unwrap().graph;
        assert!(!g
            .ids()
            .any(|id| g.value(id) == n("11") && matches!(g.node(id).kind, NodeKind::Constant)));
        let goats = g
            .ids()
            .find(|&id| g.value(id) == n("4") && matches!(g.node(id).kind, NodeKind::Input { .. }))
            .expect("the four goats");
        let set = crate::intervene::Intervention::SetInput {
            node: goats,
            value: n("2"),
        };
        let (g2, _) = crate::intervene::intervene(&g, &set).unwrap();
        assert_eq!(g2.answer_value(), n("1"));
    }

    /// `90*2-180`: a `-` typed for `=` in a line with no `=` is read, so the 180 is Carrie's
    /// two minutes and follows a change to her rate (seed 244: it stayed a constant).
    /// `40/100 * 100`: the 100 under the question's 40% is a constant, not the 100 gumballs
    /// worked out before (seed 258's Alicia: any change came out 20 fewer gumballs left), nor
    /// a question's own 100 (the first anthill's 100 ants).
    #[test]
    fn the_hundred_under_a_percent_is_a_constant() {
        let q = "Alicia has 20 gumballs. Pedro has that many gumballs plus an additional number of gumballs equal to three times the number Alicia has. They put their gumballs in a bowl, and later Pedro takes out 40% of the gumballs to eat. How many gumballs are remaining in the bowl?";
        let a = "If Pedro has three times more gumballs than Alicia, he has 3 * 20 gumballs = <<3*20=60>>60 gumballs more\nIn total, Pedro has 20 gumballs + 60 gumballs = <<20+60=80>>80 gumballs\nWhen they put their gumballs together, the total number of gumballs in the bowl becomes 20 gumballs + 80 gumballs = <<20+80=100>>100 gumballs\nPedro takes out 40% of the gumballs which is 40/100 * 100 gumballs = <<40/100*100=40>>40 gumballs.\nThe number of gumballs remaining is 100 gumballs - 40 gumballs = <<100-40=60>>60 gumballs\n#### 60";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let alicia = g.find("gumballs").expect("Alicia's 20");
        let set = crate::intervene::Intervention::SetInput {
            node: alicia,
            value: n("12"),
        };
        let (g2, _) = crate::intervene::intervene(g, &set).unwrap();
        assert_eq!(g2.answer_value(), n("36"));
        let q = "In a forest, there are three anthills. In the first anthill, there are 100 ants, and in each next anthill, there are 20% fewer ants than in the previous one. How many ants are in the third anthill?";
        let a = "In the second anthill, there are 20/100 * 100 = <<20/100*100=20>>20 ants less.\nThis means there are 100 - 20 = <<100-20=80>>80 ants in the second anthill.\nIn the third anthill, there are 20/100 * 80 = <<20/100*80=16>>16 ants less compared to the second one.\nThis means there are 80 - 16 = <<80-16=64>>64 ants in the third anthill.\n#### 64";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let ants = g
            .ids()
            .find(|&id| {
                g.value(id) == n("100") && matches!(g.node(id).kind, NodeKind::Input { .. })
            })
            .expect("the 100 ants");
        let set = crate::intervene::Intervention::SetInput {
            node: ants,
            value: n("200"),
        };
        let (g2, _) = crate::intervene::intervene(g, &set).unwrap();
        assert_eq!(g2.answer_value(), n("128"));
    }

    /// `1.2 / 1.2`: the second 1.2 is the 120% of "20% more", not the price again (seed 270's
    /// Joe: the cost came out 1 however many cookies he sold for the $60).
    #[test]
    fn one_and_a_percent_is_not_the_step_again() {
        let q = "Joe sells cookies for 20% more than it costs to make them. If he sold 50 cookies and earned $60, how much do the cookies cost to make?";
        let a = "He sold the cookies for $1.20 each because 60 / 50 = <<60/50=1.2>>1.2\nThey cost $1 to make because 1.2 / 1.2 = <<1.2/1.2=1>>1\n#### 1";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let cookies = g
            .ids()
            .find(|&id| g.value(id) == n("50") && matches!(g.node(id).kind, NodeKind::Input { .. }))
            .expect("the 50 cookies");
        let set = crate::intervene::Intervention::SetInput {
            node: cookies,
            value: n("200"),
        };
        let (g2, _) = crate::intervene::intervene(g, &set).unwrap();
        assert_eq!(g2.answer_value(), n("0.25"));
    }

    #[test]
    fn a_dash_typed_for_equals_is_read() {
        let q = "Barney can perform 45 sit-ups in one minute. Carrie can do twice as many sit-ups per minute as Barney can.  And Jerrie can do 5 more sit-ups per minute than Carrie can do.  If Barney does sit-ups for 1 minute, and Carrie does sit-ups for two minutes, and Jerrie does sit-ups for three minutes, what would be the combined total number of sit-ups performed?";
        let a = "Carrie can do 2*45=<<2*45=90>>90 sit-ups per minute.\nJerrie can do 90+5=<<90+5=95>>95 sit-ups per minute.\nIn two minutes, Carrie would perform 90*2-180 sit-ups.\nAnd in three minutes, Jerrie would perform 3 * 95=<<3*95=285>>285 sit-ups.\nThus, in the scenario described, in total, the three would perform 45+180+285=<<45+180+285=510>>510 sit-ups.\n#### 510";
        let x = extract(q, a).unwrap();
        let g = &x.graph;
        let two = step_with(g, "180");
        assert!(matches!(g.node(two).kind, NodeKind::Step { .. }));
        assert!(g.node(two).operands.iter().any(|&o| g.value(o) == n("90")));
        // A difference that is not 0 is a difference: "5*4-2 apples" is no `=`.
        let x = extract(
            "Tom has 5 bags of 4 apples and eats 2. How many apples are left?",
            "He has 5*4-2 apples left, which is <<5*4-2=18>>18.\n#### 18",
        )
        .unwrap();
        assert!(x.graph.ids().all(|id| x.graph.value(id) != n("20")));
    }

    #[test]
    fn percents_and_mixed_numbers_in_plain_text() {
        let q = "Janet made 50 snowballs and her brother made 150. What percent did Janet make?";
        let a = "50 + 150 = 200 snowballs\n50 snowballs / 200 snowballs * 100% = 25%\n#### 25";
        let x = extract(q, a).unwrap();
        assert_eq!(x.plain_steps, 2);
        assert_eq!(x.graph.answer_value(), n("25"));
        let q = "The first present needs 2 square feet and the second 3/4 of that.";
        let a = "3 / 4 * 2 = 1 1/2 square feet.\n2 + 1 1/2 = 3 1/2 square feet.\n#### 5";
        let e = extract(q, a).unwrap_err();
        assert_eq!(e.category, FailureCategory::AnswerNotReached);
        let x = extract(q, &a.replace("#### 5", "#### 3.5")).unwrap();
        assert_eq!(x.plain_steps, 2);
        assert_eq!(x.rounding_steps, 0);
        // The 3 and 4 of `3/4` are the question's fraction, not constants.
        let g = &x.graph;
        assert!(g
            .ids()
            .all(|id| !matches!(g.node(id).kind, NodeKind::Constant)));
        // The last figure floored to state a whole answer: an explicit rounding step.
        let x = extract(q, &a.replace("#### 5", "#### 3")).unwrap();
        assert_eq!(x.rounding_steps, 1);
        assert_eq!(x.graph.answer_value(), n("3"));
    }

    #[test]
    fn failure_categories() {
        let q = "Sam has 3 pens.";
        let e = extract(q, "He has 3 pens.\n3 pens").unwrap_err();
        assert_eq!(e.category, FailureCategory::NoFinalAnswer);
        let e = extract(q, "He has 3 pens.\n#### 3").unwrap_err();
        assert_eq!(e.category, FailureCategory::NoCalculations);
        let e = extract(q, "He has <<3*y=3>>3 pens.\n#### 3").unwrap_err();
        assert_eq!(e.category, FailureCategory::UnparsableExpression);
        assert_eq!(e.line, Some(1));
        let e = extract(q, "He has <<3/0=3>>3 pens.\n#### 3").unwrap_err();
        assert_eq!(e.category, FailureCategory::EvalError);
        let e = extract(q, "He has <<3*2=6>>6 pens.\n#### 7").unwrap_err();
        assert_eq!(e.category, FailureCategory::AnswerNotReached);
        assert!(e.to_string().contains("answer_not_reached"));
        assert_eq!(
            serde_json::to_string(&FailureCategory::AnswerNotReached).unwrap(),
            "\"answer_not_reached\""
        );
    }

    #[test]
    fn a_multiplier_word_is_a_constant_not_the_step_again() {
        // "twice as many as the second dog, or 2*2": the second dog's 2 times the 2 of
        // "twice", not the second dog squared.
        let q = "In all, there were 5 dogs.  The first dog carried off 3 bones.  The second dog carried off 1 less bone than the first dog.  The third dog carried off twice as many as the second dog.  How many bones did the first three carry off?";
        let a = "The second dog carried off 3-1=<<3-1=2>>2 bones.\nThe third dog carried off twice as many bones as the second dog, or 2*2=<<2*2=4>>4 bones.\nTogether they carried 3+2+4=<<3+2+4=9>>9 bones.\n#### 9";
        let g = extract(q, a).unwrap().graph;
        let third = step_with(&g, "4");
        let ops = &g.node(third).operands;
        assert_eq!(ops.len(), 2, "{ops:?}");
        assert!(matches!(g.node(ops[1]).kind, NodeKind::Constant));
        assert_eq!(ops[0], step_with(&g, "2"));
        // A square says no multiplier: the side's step twice.
        let a = "The side is 3-1=<<3-1=2>>2 feet.\nThe area is 2*2=<<2*2=4>>4 square feet.\n#### 4";
        let g = extract(
            "A square has sides of 3 feet less 1 foot. What is its area?",
            a,
        )
        .unwrap()
        .graph;
        assert_eq!(g.node(step_with(&g, "4")).operands.len(), 1);
        assert!(says_times("Twice as many", n("2")) && says_times("3 times more", n("3")));
        assert!(!says_times("two of them", n("2")) && !says_times("twice", n("2.5")));
    }

    /// Seed 215's Olga: "double the 3 stripes, 3*2" and "two tennis shoes per pair,
    /// 2*(3+2+6)" multiply by a 2 of their words, not by Rick's 2 stripes (3-1=2): linked to
    /// Rick, a change to Olga's stripes grew the total as a cube.
    #[test]
    fn a_multiplier_in_words_or_a_pair_is_not_an_earlier_step_of_its_value() {
        let q = "Olga has three stripes on the side of each of her tennis shoes.  Rick has one less stripe per shoe than does Olga.  But Hortense has double the number of stripes on her tennis shoes as does Olga.  In total, what is the combined number of stripes on all of their pairs of tennis shoes?";
        let a = "Rick has one less than three stripes, or 3-1=2 stripes on each tennis shoe.\nHortense has double the 3 stripes that Olga has, or a total of 3*2=<<3*2=6>>6 stripes per shoe.\nSince each of them has two tennis shoes per pair, then the total number of stripes on all of their shoes is 2*(3+2+6)=<<2*(3+2+6)=22>>22 stripes\n#### 22";
        let g = extract(q, a).unwrap().graph;
        let rick = step_with(&g, "2");
        let hortense = step_with(&g, "6");
        let constant = |id: NodeId| matches!(g.node(id).kind, NodeKind::Constant);
        assert!(!g.node(hortense).operands.contains(&rick));
        assert!(g.node(hortense).operands.iter().any(|&o| constant(o)));
        // The pair's 2 is a constant; Rick's 2 stripes are summed.
        let total = g.node(step_with(&g, "22"));
        assert!(total.operands.contains(&rick));
        assert!(total.operands.iter().any(|&o| constant(o)));
        // A count written with its digits ("6 times in the oven") may be the step.
        assert!(says_times_in_words("double the 3 stripes", n("2")));
        assert!(!says_times_in_words("6 times in the oven, 30 x 6", n("6")));
        assert!(!says_times_in_words("twice, then 2 times more", n("2")));
    }

    /// "¼ * 24 = 6": a plain line with a vulgar fraction is a step (seed 221: read as a
    /// constant 6 action figures, which a change to the 24 toys left as they were).
    #[test]
    fn a_vulgar_fraction_in_a_plain_line_is_read() {
        let q = "There are 24 toys in the box and ¼ of them are action figures. The remaining toys are all dolls. How many dolls are there?";
        let a = "Since there are 24 toys in the box, there are ¼ * 24 = 6 action figures.\nBecause the rest of the toys are dolls, there are 24 - 6 = <<24-6=18>>18 dolls in the box.\n#### 18";
        let x = extract(q, a).unwrap();
        assert_eq!(x.plain_steps, 1);
        let g = &x.graph;
        let figures = step_with(g, "6");
        let toys = g
            .ids()
            .find(|&i| matches!(g.node(i).kind, NodeKind::Input { .. }) && g.value(i) == n("24"))
            .unwrap();
        assert!(g.node(figures).operands.contains(&toys));
        assert!(g.node(step_with(g, "18")).operands.contains(&figures));
        // A whole and a half: `1½ * 4 = 6`.
        let x = extract(
            "Each cake needs 1½ cups of flour. How much flour do 4 cakes need?",
            "They need 1½ * 4 = 6 cups.\n#### 6",
        )
        .unwrap();
        assert_eq!(x.plain_steps, 1);
        assert_eq!(vulgar_fraction('¾'), Some(n("0.75")));
        assert_eq!(vulgar_fraction('a'), None);
    }

    /// "5 crates + 10 crates + 8 crates + 5 crates": a number summed twice is two
    /// quantities where the question or another step holds it too (seed 303's Gabrielle,
    /// whose total counted Thursday's 5 crates twice and Monday's never).
    #[test]
    fn a_number_summed_twice_is_each_of_its_quantities() {
        let x = extract(
            "Gabrielle sells eggs. On Monday she sells 5 crates of eggs. On Tuesday she sells 2 times as many crates of eggs as Monday. On Wednesday she sells 2 fewer crates than Tuesday. On Thursday she sells half as many crates of eggs as she sells on Tuesday. How many total crates of eggs does she sell for the 4 days?",
            "On Tuesday she sells 5 crates * 2 = <<5*2=10>>10 crates of eggs.\nOn Wednesday she sells 10 crates - 2 crates = <<10-2=8>>8 crates of eggs.\nOn Thursday she sells 1/2 * 10 crates = <<1/2*10=5>>5 crates of eggs.\nShe sells a total of 5 crates + 10 crates + 8 crates + 5 crates = <<5+10+8+5=28>>28 crates of eggs.\n#### 28",
        )
        .unwrap();
        let g = &x.graph;
        let monday = g
            .ids()
            .find(|&i| matches!(g.node(i).kind, NodeKind::Input { .. }) && g.value(i) == n("5"))
            .unwrap();
        let total = &g.node(g.answer()).operands;
        assert!(total.contains(&monday), "{total:?}");
        assert!(total.contains(&step_with(g, "5")), "{total:?}");
        // Two steps of one value: Dale's eggs and Andrew's.
        let x = extract(
            "A slice of toast costs $1, and eggs cost $3 each. Dale had 2 slices of toast and 2 eggs. Andrew had 1 slice of toast and 2 eggs. How much did their breakfast cost?",
            "Dale's toast cost 2 * $1 = $<<2*1=2>>2.\nDale's eggs cost 2 * $3 = $<<2*3=6>>6.\nAndrew's eggs cost 2 * $3 = $<<2*3=6>>6.\nTheir breakfast cost $2 + $1 + $6 + $6 = $<<2+1+6+6=15>>15.\n#### 15",
        )
        .unwrap();
        let g = &x.graph;
        let sixes = g
            .ids()
            .filter(|&i| g.node(i).kind.is_operation() && g.value(i) == n("6"))
            .count();
        assert_eq!(sixes, 2);
        let total = &g.node(g.answer()).operands;
        assert_eq!(
            total.iter().filter(|&&o| g.value(o) == n("6")).count(),
            2,
            "{total:?}"
        );
        // One step read twice stays so: "16 gallons * 1/4 = 4 gallons" of sour cream and of
        // butter, while the question's 4 gallons (a gallon of butter's milk) is another thing.
        let x = extract(
            "Bill got 16 gallons of milk. He turned 1/4 into sour cream, 1/4 into butter, and kept the rest as whole milk. It takes 4 gallons of milk to make one gallon of butter. How many gallons of whole milk does he keep?",
            "First find how much milk he turns into sour cream and butter: 16 gallons * 1/4 = <<16*1/4=4>>4 gallons.\nThen the whole milk is 16 gallons - 4 gallons - 4 gallons = <<16-4-4=8>>8 gallons.\n#### 8",
        )
        .unwrap();
        let g = &x.graph;
        let operands = &g.node(g.answer()).operands;
        assert!(
            operands.iter().all(
                |&o| !matches!(g.node(o).kind, NodeKind::Input { .. }) || g.value(o) == n("16")
            ),
            "{operands:?}"
        );
    }

    /// "He has 3 $2.00 coupons so that's 3*2": the count of coupons is the question's, not
    /// the $3 off worked out before (seed 306's Ken, whose coupons grew with the price), and
    /// "3 bottles" in `3*12` is the question's other 3.
    #[test]
    fn a_count_before_a_price_is_the_question_number() {
        let x = extract(
            "Ken buys gummy vitamins.  They are usually $15.00 per bottle at his grocery store, but they are currently 20% off.  On top of that, he has 3 $2.00 coupons.  How much will 3 bottles cost?",
            "The vitamins are $15.00 a bottle and are currently 20% off so that’s 15*.20 = $<<15*.20=3.00>>3.00 off\nThe vitamins are $15.00 and they are $3.00 off so they are now 15.00-3 = $<<15.00-3=12.00>>12.00\nHe has 3 $2.00 coupons so that’s 3*2 = $<<3*2=6.00>>6.00 in coupons\nHe buys 3 bottles at $12.00 each so that’s 3*12 = $<<3*12=36.00>>36.00\nHe has $6.00 in coupons so his vitamins will now costs 36-6 = $30.00\n#### 30",
        )
        .unwrap();
        let g = &x.graph;
        let inputs_read = |v: &str| {
            let step = step_with(g, v);
            g.node(step)
                .operands
                .iter()
                .filter(|&&o| {
                    matches!(g.node(o).kind, NodeKind::Input { .. }) && g.value(o) == n("3")
                })
                .count()
        };
        assert_eq!(inputs_read("6"), 1, "the coupons");
        assert_eq!(inputs_read("36"), 1, "the bottles");
        // `5 * 5` of 5 players' blocks and 5 rounds: no second input of 5, read twice as
        // a square of the rounds.
        let x = extract(
            "Jess and her family play Jenga, a game made up of 54 stacked blocks. The 5 players, including Jess, play 5 rounds in which each player removes one block. How many blocks have they removed?",
            "In each round, the 5 players removed a total of 5 * 1 = <<5*1=5>>5 blocks.\nIn the 5 rounds played, the players removed a total of 5 * 5 = <<5*5=25>>25 blocks.\n#### 25",
        )
        .unwrap();
        let g = &x.graph;
        let inputs = g
            .ids()
            .filter(|&i| matches!(g.node(i).kind, NodeKind::Input { .. }) && g.value(i) == n("5"))
            .count();
        assert_eq!(inputs, 1);
        assert_eq!(unit_word(" $2.00 coupons"), unit_word(" coupons"));
        assert_eq!(unit_word(" $2.00"), None);
    }

    /// ".4 x 100 = 40" in a line about a percentage: the 100 turns a proportion into a
    /// percentage; it is not the 100 people worked out before (seed 308's office).
    #[test]
    fn a_proportion_times_100_is_a_percentage() {
        let x = extract(
            "An office has 90 workers. 30 of them are women. The company hires 10 new employees and 100% of them are women. What is the total percentage of women in the company now?",
            "There are now 40 women working for the company because 30 + 10 = <<30+10=40>>40\nThere are 100 people working for the company because 90 + 10 = <<90+10=100>>100\nThe proportion of women working in the company is .4 because 40 / 100 = <<40/100=.4>>.4\nThe percentage of women working in the company is now 40 because .4 x 100 = <<.4*100=40>>40\n#### 40",
        )
        .unwrap();
        let g = &x.graph;
        let people = step_with(g, "100");
        assert!(!g.node(g.answer()).operands.contains(&people));
        // "20% of the 100 students" are students, not a percentage.
        let x = extract(
            "A school has 60 boys and 40 girls. 20% of the students walk. How many students walk?",
            "There are 60 + 40 = <<60+40=100>>100 students.\n20% of the 100 students is .2 * 100 = <<.2*100=20>>20 students.\n#### 20",
        )
        .unwrap();
        let g = &x.graph;
        let students = step_with(g, "100");
        assert!(g.node(g.answer()).operands.contains(&students));
        assert!(writes_a_percentage("so .5 * 100 = 50", "% of them"));
        assert!(!writes_a_percentage(
            "The percentage is .2 * 100 = 20",
            " students"
        ));
    }

    /// "16 gallons * 1/4" where the question writes "1/4 into sour cream": the 1 and the 4
    /// are that fraction's, not "one gallon" or "4 gallons of milk" (seed 313's Bill).
    #[test]
    fn a_written_fractions_parts_are_its_own() {
        let x = extract(
            "Bill got 16 gallons of milk. He turned 1/4 into sour cream. It takes 4 gallons of milk to make one gallon of butter. How many gallons of milk did he turn into sour cream?",
            "He turned 16 gallons * 1/4 = <<16*1/4=4>>4 gallons into sour cream.\n#### 4",
        )
        .unwrap();
        let g = &x.graph;
        let q = g.question().unwrap();
        let fraction = q.find("1/4").unwrap() as u32;
        for &o in &g.node(g.answer()).operands {
            if let NodeKind::Input { span: Some(span) } = &g.node(o).kind {
                assert!(
                    g.value(o) == n("16") || span.start == fraction,
                    "{o:?} read from {span:?}"
                );
            }
        }
    }

    #[test]
    fn final_answer_forms() {
        assert_eq!(final_answer("x\n#### 1,080"), Some(n("1080")));
        assert_eq!(final_answer("x\n#### -3"), Some(n("-3")));
        assert_eq!(final_answer("x\n72"), None);
    }

    #[test]
    fn parser_precedence_and_percent() {
        let mut toks = Vec::new();
        tokenize_strict("2+3*(4-1)/-2", &mut toks).unwrap();
        let (pe, lits, ops) = Parser::parse(&toks).unwrap();
        let vals: Vec<Number> = lits.iter().map(|l| l.value).collect();
        assert_eq!(eval(&pe, &vals), Some(n("-2.5")));
        assert_eq!(ops, 4);
        tokenize_strict("20%*50", &mut toks).unwrap();
        let (pe, lits, _) = Parser::parse(&toks).unwrap();
        let vals: Vec<Number> = lits.iter().map(|l| l.value).collect();
        assert_eq!(eval(&pe, &vals), Some(n("10")));
        tokenize_strict("2(3+4)", &mut toks).unwrap();
        let (pe, lits, _) = Parser::parse(&toks).unwrap();
        let vals: Vec<Number> = lits.iter().map(|l| l.value).collect();
        assert_eq!(eval(&pe, &vals), Some(n("14")));
        tokenize_strict("(2+3", &mut toks).unwrap();
        assert!(Parser::parse(&toks).is_none());
    }
}
