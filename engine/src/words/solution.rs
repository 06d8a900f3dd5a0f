//! Worked solutions in GSM8K style: one sentence per step, `<<a*b=c>>` annotations and a
//! final `#### answer`, which `gsm8k` extraction turns back into the same answer.
//!
//! A step that the original solution already had keeps its sentence: the calculation
//! (`48/2 = 24`) is written again with the variant's numbers (`36/2 = <<36/2=18>>18`), in its
//! own wording where its numbers are the step's operands in order (`30 minks * 6 babies/mink`
//! keeps its unit words), and other numbers of the sentence that still say a replaced value are
//! updated. Several calculations on one line stay on one line; lines the answer does not
//! depend on are left out. A step the original did not have (a grafted proxy, a step of an
//! inverted question, a step of a Python program, a rounding) gets a sentence of its own, built
//! from the quantity's name ([`crate::verbalize::quantity_name`]) or, failing that, from the
//! words the original wrote after the quantity (a program's variable names for a program's
//! steps, never a raw identifier). Every step's sentence carries exactly one calculator
//! annotation (except a step that only copies a value just computed, which is stated), whose
//! operands are the exact values (a fraction that does not
//! terminate is written `(2/3)`), so re-extracting the solution gives the variant's answer
//! exactly.

use crate::expr::{BinOp, CmpOp, Cond, Expr, Func};
use crate::graph::{Graph, NodeId, NodeKind, ProxyOp};
use crate::number::Number;

/// Why no worked solution could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolutionError {
    /// A step cannot be written as a calculator annotation.
    #[error("step `{name}` cannot be written as a GSM8K calculation: {why}")]
    Unwritable {
        /// The step's name.
        name: String,
        /// Why.
        why: String,
    },
}

/// One step of a worked solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkedStep {
    /// The operation node.
    pub node: NodeId,
    /// The solution line that carries the step's annotation (shared by the steps that one
    /// original line computes together).
    pub sentence: String,
}

/// A worked solution: its lines in order and, per step, the line that computes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worked {
    /// The steps (operation nodes the answer depends on) in evaluation order.
    pub steps: Vec<WorkedStep>,
    /// The solution lines, without the final `####` line.
    pub lines: Vec<String>,
    /// The final answer.
    pub answer: Number,
}

impl Worked {
    /// The solution as GSM8K writes it: the lines, then `#### answer`.
    pub fn text(&self) -> String {
        let mut s =
            String::with_capacity(self.lines.iter().map(|l| l.len() + 1).sum::<usize>() + 24);
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s.push_str("#### ");
        s.push_str(&answer_string(self.answer));
        s
    }
}

/// The worked solution of `variant` (an intervened copy of `original`, or `original` itself).
pub fn worked(original: &Graph, variant: &Graph) -> Result<String, SolutionError> {
    match &*worked_steps_shared(original, variant, None) {
        Ok(w) => Ok(w.text()),
        Err(e) => Err(e.clone()),
    }
}

std::thread_local! {
    /// [`worked_steps`]' memo: the last two (original, variant) pairs and their solutions
    /// (a record asks for the same variant's solution twice: its text and its steps).
    static WORKED: std::cell::RefCell<Vec<WorkedMemo>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Empties this thread's [`WORKED`].
pub(crate) fn clear_memo() {
    WORKED.with(|m| m.borrow_mut().clear());
    LINES.with(|m| m.borrow_mut().clear());
}

std::thread_local! {
    /// [`Cx::rewrite_line`]'s memo, by the hash of what the line is rewritten from: every
    /// variant of a chain rewrites the lines its changes do not reach as the round before did
    /// (at most [`LINES_MAX`] hashes before it starts afresh).
    static LINES: std::cell::RefCell<rustc_hash::FxHashMap<u64, Vec<(LineKey, RewrittenLine)>>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
}

/// Most hashes [`LINES`] keeps before it starts afresh.
const LINES_MAX: usize = 4096;

/// A line rewritten: per owner that keeps a piece, its index among the owners and the piece.
type RewrittenLine = Option<std::rc::Rc<[(usize, String)]>>;

/// Everything [`Cx::rewrite_line`] reads of the graphs for one owner of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnerKey {
    /// The owner's name (what the original's node is found by).
    name: String,
    /// The owner's kind in the variant.
    kind: NodeKind,
    /// The variant's values of its operands.
    args: Vec<Number>,
    /// Its value in the variant.
    value: Number,
    /// Whether the answer needs it.
    relevant: bool,
    /// The original's node of that name: its kind, value and operands' values.
    original: Option<(NodeKind, Number, Vec<Number>)>,
    /// Per operand, its original quantity's value ([`Cx::original_of`]).
    operand_originals: Vec<Option<Number>>,
}

/// What [`Cx::rewrite_line`] is a function of: the line and what the graphs hold of its
/// owners.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LineKey {
    /// The line.
    text: String,
    /// Per owner, what is read of it.
    owners: Vec<OwnerKey>,
}

/// A worked solution (or why there is none), shared between [`WORKED`] and its callers.
pub(crate) type SharedWorked = std::rc::Rc<Result<Worked, SolutionError>>;

/// One entry of [`WORKED`].
type WorkedMemo = (Graph, Graph, SharedWorked);

/// The worked solution of `variant` step by step (see [`worked`]).
pub fn worked_steps(original: &Graph, variant: &Graph) -> Result<Worked, SolutionError> {
    (*worked_steps_shared(original, variant, None)).clone()
}

/// [`worked_steps`], shared with the memo instead of copied, given what
/// [`crate::verbalize::compared_steps`] gives for `variant` when it is known already (the
/// offline text works it out).
pub(crate) fn worked_steps_shared(
    original: &Graph,
    variant: &Graph,
    told: Option<Option<crate::verbalize::ComparedSteps>>,
) -> SharedWorked {
    let hit = WORKED.with(|m| {
        let m = m.borrow();
        m.iter()
            .find(|(o, v, _)| v.identical(variant) && o.identical(original))
            .map(|(_, _, w)| w.clone())
    });
    if let Some(w) = hit {
        return w;
    }
    let w = std::rc::Rc::new(worked_steps_uncached(original, variant, told));
    WORKED.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() == 2 {
            m.pop();
        }
        m.insert(0, (original.clone(), variant.clone(), w.clone()));
    });
    w
}

/// [`worked_steps`], worked out.
fn worked_steps_uncached(
    original: &Graph,
    variant: &Graph,
    told: Option<Option<crate::verbalize::ComparedSteps>>,
) -> Result<Worked, SolutionError> {
    let relevant = variant.relevant();
    let steps: Vec<NodeId> = variant
        .order()
        .iter()
        .copied()
        .filter(|id| relevant[id.index()] && variant.node(*id).kind.is_operation())
        .collect();
    let answer = variant.answer_value();
    let cx = Cx {
        original,
        variant,
        names: std::cell::OnceCell::new(),
        compared: told.map_or_else(std::cell::OnceCell::new, std::cell::OnceCell::from),
        same_name: std::cell::OnceCell::new(),
    };
    if steps.is_empty() {
        let v = variant.answer_value();
        let line = format!("The answer is {}.", selection(v, &[]));
        return Ok(Worked {
            steps: Vec::new(),
            lines: vec![line],
            answer,
        });
    }
    // Steps that keep their original line: pieces of the rewritten line, per node.
    let mut pieces: Vec<Option<(String, usize)>> = vec![None; steps.len()];
    let mut texts: Vec<&str> = Vec::new();
    for (i, &id) in steps.iter().enumerate() {
        if pieces[i].is_some() {
            continue;
        }
        let Some(text) = variant.node(id).text.as_deref() else {
            continue;
        };
        if !is_line_step(variant, id) || texts.contains(&text) {
            continue;
        }
        texts.push(text);
        let owners: Vec<NodeId> = variant
            .order()
            .iter()
            .copied()
            .filter(|&o| variant.node(o).text.as_deref() == Some(text) && is_line_step(variant, o))
            .collect();
        let Some(rewritten) = cx.rewrite_line_memoized(text, &owners, &relevant) else {
            continue;
        };
        let key = texts.len() - 1;
        for (o, piece) in rewritten {
            if let Some(j) = steps.iter().position(|&s| s == o) {
                pieces[j] = Some((piece, key));
            }
        }
    }
    let mut lines: Vec<String> = Vec::new();
    let mut out: Vec<WorkedStep> = Vec::with_capacity(steps.len());
    let mut i = 0;
    while i < steps.len() {
        match &pieces[i] {
            Some((_, key)) => {
                // A run of steps from one original line: one line.
                let key = *key;
                let mut line = String::new();
                let start = i;
                while i < steps.len() && pieces[i].as_ref().is_some_and(|p| p.1 == key) {
                    line.push_str(pieces[i].as_ref().map_or("", |p| p.0.as_str()));
                    i += 1;
                }
                let line = capitalized(&line);
                for &id in &steps[start..i] {
                    out.push(WorkedStep {
                        node: id,
                        sentence: line.clone(),
                    });
                }
                lines.push(line);
            }
            None => {
                let id = steps[i];
                let line = tidy(&cx.new_sentence(id)?);
                out.push(WorkedStep {
                    node: id,
                    sentence: line.clone(),
                });
                lines.push(line);
                i += 1;
            }
        }
    }
    Ok(Worked {
        steps: out,
        lines,
        answer,
    })
}

/// A number as GSM8K writes it in a calculation: `12`, `0.25`, `-3`; a fraction that does not
/// terminate as `2/3`.
pub fn gsm8k_number(n: Number) -> String {
    n.to_decimal_string()
        .unwrap_or_else(|| format!("{}/{}", n.numer(), n.denom()))
}

/// The line without its `<<…>>` calculator annotations, as a reader sees it
/// (`Natalia sold 48/2 = 24 clips in May.`).
pub fn strip_annotations(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(s) = find_pair(rest, b'<') {
        out.push_str(&rest[..s]);
        match find_pair(&rest[s..], b'>') {
            Some(e) => rest = &rest[s + e + 2..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// Where `s` first has the byte `b` twice in a row (`<<`, `>>`): `str::find` of the pair
/// without setting up a substring searcher (the pair is ASCII, so the match is at a char
/// boundary).
fn find_pair(s: &str, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    // Each `b` by the byte search `str::find` of an ASCII char uses, then the next byte.
    while let Some(i) = s[from..].find(char::from(b)) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Whether `line` writes `name =` or `name=` somewhere (an assignment to `name`), as a search
/// for either text finds it, without a text made for it.
fn assigns(line: &str, name: &str) -> bool {
    // (Each `=` is looked at: whether the name, and at most one space, come right before it.)
    let (b, n) = (line.as_bytes(), name.as_bytes());
    b.iter().enumerate().any(|(j, &c)| {
        c == b'=' && {
            let before = &b[..j];
            before.ends_with(n) || before.strip_suffix(b" ").is_some_and(|x| x.ends_with(n))
        }
    })
}

/// The `####` value: a decimal, or `p/q` when the value does not terminate.
fn answer_string(n: Number) -> String {
    gsm8k_number(n)
}

/// An operand inside a calculation: negatives and fractions in parentheses.
fn operand(n: Number) -> String {
    let mut out = String::new();
    write_operand(&mut out, n);
    out
}

/// [`operand`], written at the end of `out`.
pub(crate) fn write_operand(out: &mut String, n: Number) {
    match n.to_decimal_string() {
        Some(s) if n.is_negative() => {
            out.push('(');
            out.push_str(&s);
            out.push(')');
        }
        Some(s) => out.push_str(&s),
        None => {
            use std::fmt::Write;
            let _ = write!(out, "({}/{})", n.numer(), n.denom());
        }
    }
}

/// A result as written after an annotation: exact when it terminates, else rounded to two
/// decimals (as GSM8K does).
fn shown(n: Number) -> String {
    match n.to_decimal_string() {
        Some(s) => s,
        None => n
            .round(2)
            .ok()
            .and_then(|r| r.to_decimal_string())
            .unwrap_or_else(|| format!("{}/{}", n.numer(), n.denom())),
    }
}

/// Whether a node is computed by a calculation on a solution line of its own (a step whose
/// expression has an operator), as opposed to a rounding or a selection.
fn is_line_step(g: &Graph, id: NodeId) -> bool {
    match &g.node(id).kind {
        NodeKind::Step { expr } => has_operator(expr),
        _ => false,
    }
}

/// Whether step `id` of `g` copies an operation's value unchanged (`result = total`); its
/// sentence states the value without a calculator annotation.
pub fn is_copy(g: &Graph, id: NodeId) -> bool {
    let n = g.node(id);
    match &n.kind {
        NodeKind::Step { expr: Expr::Arg(i) } => n
            .operands
            .get(*i as usize)
            .is_some_and(|&o| g.node(o).kind.is_operation()),
        _ => false,
    }
}

fn has_operator(e: &Expr) -> bool {
    match e {
        Expr::Arg(_) | Expr::Lit(_) => false,
        Expr::Neg(a) => has_operator(a),
        Expr::Bin(..) => true,
        Expr::Call(..) => false,
    }
}

/// How a calculation is written outside its annotation.
#[derive(Debug, Clone, Copy)]
struct Style {
    spaced: bool,
    times: &'static str,
}

const SPACED: Style = Style {
    spaced: true,
    times: "*",
};

/// A calculation: the written form, the annotation's form, the value.
struct Calc {
    text: String,
    compact: String,
    value: Number,
}

impl Calc {
    /// `a op b = <<a op b=c>>c` (with `$` before the annotation when `dollar`).
    fn annotated(&self, dollar: bool) -> String {
        let value = shown(self.value);
        let mut out =
            String::with_capacity(self.text.len() + self.compact.len() + 2 * value.len() + 9);
        out.push_str(&self.text);
        out.push_str(if dollar { " = $<<" } else { " = <<" });
        out.push_str(&self.compact);
        out.push('=');
        out.push_str(&value);
        out.push_str(">>");
        out.push_str(&value);
        out
    }
}

/// `e` over `args` as a calculation, when it has an operator and can be written.
fn calc(e: &Expr, args: &[Number], style: Style) -> Option<Calc> {
    if !has_operator(e) {
        return None;
    }
    let value = e.eval(args).ok()?;
    // (Room for a usual calculation up front: it is not grown piece by piece.)
    let mut text = String::with_capacity(32);
    render(&mut text, e, args, style)?;
    // The compact form is the written one without the spaces around operators and with `*`
    // for `x`: no operand holds a space or an `x` (they are numbers, signs, `.`, `/` and
    // brackets), so it is made from the text instead of rendered again.
    let compact = if style.spaced || style.times != "*" {
        let mut c = String::with_capacity(text.len());
        for ch in text.chars() {
            match ch {
                ' ' => {}
                'x' => c.push('*'),
                _ => c.push(ch),
            }
        }
        c
    } else {
        text.clone()
    };
    // An operator other than a negative number's sign (`(-3)`).
    let b = compact.as_bytes();
    let operator = b.iter().enumerate().any(|(i, &c)| {
        matches!(c, b'+' | b'*' | b'/') || (c == b'-' && (i == 0 || b[i - 1] != b'('))
    });
    if !operator {
        return None;
    }
    Some(Calc {
        text,
        compact,
        value,
    })
}

/// The value `v` as an annotation with an operator, for a step that selects or rounds a
/// value: `<<a-d=v>>v` from an operand `a` that differs from `v`, else `<<v*1=v>>v`.
fn selection(v: Number, args: &[Number]) -> String {
    let a = args.iter().copied().find(|&a| a != v);
    let expr = match a.and_then(|a| a.sub(v).ok().map(|d| (a, d))) {
        Some((a, d)) if !d.is_negative() => format!("{}-{}", operand(a), operand(d)),
        Some((a, d)) => match d.neg() {
            Ok(nd) => format!("{}+{}", operand(a), operand(nd)),
            Err(_) => format!("{}*1", operand(v)),
        },
        None => format!("{}*1", operand(v)),
    };
    format!("<<{expr}={}>>{}", shown(v), shown(v))
}

/// Writes `e` at the end of `out` and gives the precedence of what it wrote (1 sums,
/// 2 products, 3 unary, 4 atoms); `None` (and part of `e` written) when it cannot be written.
fn render(out: &mut String, e: &Expr, args: &[Number], st: Style) -> Option<u8> {
    // What was written from `mark` on, in brackets.
    fn bracket(out: &mut String, mark: usize) {
        out.insert(mark, '(');
        out.push(')');
    }
    Some(match e {
        Expr::Arg(i) => {
            write_operand(out, *args.get(*i as usize)?);
            4
        }
        Expr::Lit(n) => {
            write_operand(out, *n);
            4
        }
        Expr::Neg(a) => {
            out.push('-');
            let mark = out.len();
            if render(out, a, args, st)? < 4 {
                bracket(out, mark);
            }
            3
        }
        Expr::Bin(op, a, b) => {
            let (sym, p) = match op {
                BinOp::Add => ("+", 1),
                BinOp::Sub => ("-", 1),
                BinOp::Mul => (st.times, 2),
                BinOp::Div => ("/", 2),
                BinOp::FloorDiv => ("//", 2),
                BinOp::Mod => {
                    // Python's a % b = a - b * (a // b).
                    let rewritten = Expr::bin(
                        BinOp::Sub,
                        (**a).clone(),
                        Expr::bin(
                            BinOp::Mul,
                            (**b).clone(),
                            Expr::bin(BinOp::FloorDiv, (**a).clone(), (**b).clone()),
                        ),
                    );
                    let mark = out.len();
                    render(out, &rewritten, args, st)?;
                    bracket(out, mark);
                    return Some(4);
                }
                BinOp::Pow => {
                    let k = b.eval(args).ok()?;
                    if !k.is_integer() || !(1..=6).contains(&k.numer()) {
                        // Not a product of a few factors: its value.
                        write_operand(out, e.eval(args).ok()?);
                        return Some(4);
                    }
                    let mark = out.len();
                    let p = render(out, a, args, st)?;
                    if p < 3 {
                        bracket(out, mark);
                    }
                    // The factor, `k` times.
                    let factor = out[mark..].to_string();
                    for _ in 1..k.numer() {
                        if st.spaced {
                            out.push(' ');
                            out.push_str(st.times);
                            out.push(' ');
                        } else {
                            out.push_str(st.times);
                        }
                        out.push_str(&factor);
                    }
                    return Some(if k.numer() == 1 { p.max(3) } else { 2 });
                }
            };
            // `l op r`, each side in brackets when it binds looser.
            let mark = out.len();
            if render(out, a, args, st)? < p {
                bracket(out, mark);
            }
            if st.spaced {
                out.push(' ');
                out.push_str(sym);
                out.push(' ');
            } else {
                out.push_str(sym);
            }
            let mark = out.len();
            if render(out, b, args, st)? <= p {
                bracket(out, mark);
            }
            p
        }
        // A function's result enters the calculation as its value.
        Expr::Call(..) => {
            write_operand(out, e.eval(args).ok()?);
            4
        }
    })
}

/// The numbers `e` reads, in reading order (operand values and literals); `None` for an
/// expression a GSM8K calculation does not write as it stands (functions, `%`, `**`).
fn leaves(e: &Expr, args: &[Number], out: &mut Vec<Number>) -> Option<()> {
    match e {
        Expr::Arg(i) => out.push(*args.get(*i as usize)?),
        Expr::Lit(n) => out.push(*n),
        Expr::Neg(a) => leaves(a, args, out)?,
        Expr::Bin(BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::FloorDiv, a, b) => {
            leaves(a, args, out)?;
            leaves(b, args, out)?;
        }
        Expr::Bin(..) | Expr::Call(..) => return None,
    }
    Some(())
}

/// A calculation found in a solution line (annotations already stripped).
#[derive(Debug, Clone, Copy)]
struct Found {
    /// Start of the written calculation (`48/2`, `30 minks * 6 babies/mink`).
    start: usize,
    /// End of the written calculation, spaces before `=` excluded.
    lhs_end: usize,
    /// Start of the written result (its sign included; after a `$`).
    rhs_start: usize,
    /// End of the written result (`24`).
    end: usize,
    /// Whether the calculation was written with spaces around its operators.
    spaced: bool,
    /// Whether it multiplies with ` x `.
    x_times: bool,
}

/// The calculations `a op b = c` written in `text`, in order. The left side may carry unit
/// words after its numbers (`10 floors * 10 rooms/floor = 100 rooms`).
fn find_calcs(text: &str) -> Vec<Found> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut last_end = 0usize;
    for eq in 0..b.len() {
        if b[eq] != b'=' || eq < last_end {
            continue;
        }
        // The result.
        let mut j = eq + 1;
        while j < b.len() && matches!(b[j], b' ' | b'$') {
            j += 1;
        }
        let rhs_start = j;
        if b.get(j) == Some(&b'-') {
            j += 1;
        }
        let Some(end) = number_end(b, j) else {
            continue;
        };
        if b.get(j).is_some_and(|c| !c.is_ascii_digit()) {
            continue;
        }
        let Some(start) = lhs_start(text, eq, last_end) else {
            continue;
        };
        let lhs = text[start..eq].trim_end();
        let lhs_end = start + lhs.len();
        // Spaced: ` + `, ` - `, ` * `, ` / `, ` x `, ` X ` or ` × ` somewhere.
        let (mut spaced, mut x_times) = (false, false);
        let l = lhs.as_bytes();
        for i in 0..l.len() {
            if l[i] != b' ' {
                continue;
            }
            match l.get(i + 1..) {
                Some([b'+' | b'-' | b'*' | b'/', b' ', ..]) => spaced = true,
                Some([b'x' | b'X', b' ', ..]) => (spaced, x_times) = (true, true),
                Some([0xC3, 0x97, b' ', ..]) => spaced = true,
                _ => {}
            }
        }
        out.push(Found {
            start,
            lhs_end,
            rhs_start,
            end,
            spaced,
            x_times,
        });
        last_end = end;
    }
    out
}

/// Where the written calculation ending at `eq` (an `=`) starts, not before `floor`: numbers
/// (with `$`, `%`, parentheses and up to five unit words after each) joined by operators
/// (`+ - * / x × ÷`, `times`); `None` unless it has two numbers and an operator.
fn lhs_start(text: &str, eq: usize, floor: usize) -> Option<usize> {
    let b = text.as_bytes();
    let back_spaces = |mut p: usize| {
        while p > floor && b[p - 1] == b' ' {
            p -= 1;
        }
        p
    };
    let word_start = |p: usize| {
        let mut q = p;
        while q > floor
            && (b[q - 1].is_ascii_alphabetic() || matches!(b[q - 1], b'/' | b'\'' | b'-'))
        {
            q -= 1;
        }
        // A word starts with a letter.
        while q < p && !b[q].is_ascii_alphabetic() {
            q += 1;
        }
        q
    };
    let is_times = |w: &str| matches!(w, "x" | "X" | "times");
    let mut p = eq;
    let mut start = None;
    let mut operands = 0;
    loop {
        p = back_spaces(p);
        while p > floor && b[p - 1] == b')' {
            p = back_spaces(p - 1);
        }
        // Unit words after the number (`babies/mink`).
        let mut words = 0;
        loop {
            let w = word_start(p);
            if w == p || is_times(&text[w..p]) || words == 5 {
                break;
            }
            words += 1;
            p = back_spaces(w);
        }
        if p > floor && b[p - 1] == b'%' {
            p -= 1;
        }
        // The number.
        let mut q = p;
        while q > floor && (b[q - 1].is_ascii_digit() || matches!(b[q - 1], b'.' | b',')) {
            q -= 1;
        }
        // `.6` starts at its point.
        while q < p
            && !(b[q].is_ascii_digit() || (b[q] == b'.' && q + 1 < p && b[q + 1].is_ascii_digit()))
        {
            q += 1;
        }
        if q == p || (q > floor && b[q - 1].is_ascii_alphabetic()) {
            break;
        }
        p = q;
        if p > floor && b[p - 1] == b'$' {
            p -= 1;
        }
        while p > floor && b[p - 1] == b'(' {
            p -= 1;
        }
        start = Some(p);
        operands += 1;
        // An operator before it?
        let r = back_spaces(p);
        if r > floor && matches!(b[r - 1], b'+' | b'-' | b'*' | b'/') {
            p = r - 1;
            continue;
        }
        if text[..r].ends_with('×') || text[..r].ends_with('÷') {
            p = r - '×'.len_utf8();
            continue;
        }
        let w = word_start(r);
        if w < r && is_times(&text[w..r]) {
            p = w;
            continue;
        }
        break;
    }
    if operands < 2 {
        return None;
    }
    let mut s = start?;
    // Opening parentheses the calculation does not close belong to the sentence.
    loop {
        let lhs = &text[s..eq];
        if lhs.starts_with('(') && lhs.matches('(').count() > lhs.matches(')').count() {
            s += 1;
        } else {
            break;
        }
    }
    Some(s)
}

/// The end of a number written at `i` (`1,200`, `0.5`, `25%` without the `%`).
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let s = i;
    while i < b.len()
        && (b[i].is_ascii_digit()
            || (b[i] == b',' && i > s && b.get(i + 1).is_some_and(u8::is_ascii_digit))
            || (b[i] == b'.' && i > s && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
    {
        i += 1;
    }
    (i > s).then_some(i)
}

/// The numbers of `text` written in digits and standing alone (not `5kg`, not `B12`):
/// (start, end, value).
fn digit_numbers(text: &str) -> Vec<(usize, usize, Number)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        {
            if let Some(end) = number_end(b, i) {
                let after_ok = b.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
                if after_ok {
                    // Thousands commas dropped (a copy only when there is one).
                    let written = &text[i..end];
                    let v = if written.contains(',') {
                        Number::parse_decimal(&written.replace(',', ""))
                    } else {
                        Number::parse_decimal(written)
                    };
                    if let Some(v) = v {
                        out.push((i, end, v));
                    }
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// A line of the original, trimmed (a run that starts mid-line loses its leading `, and`),
/// its first letter capitalised; its own ending kept.
fn capitalized(s: &str) -> String {
    let s = s.replace('\n', " ");
    let t = s.trim().trim_start_matches([',', ';', ' ']).trim_start();
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
        out.push_str(chars.as_str());
    }
    out
}

/// Capitalises, trims and puts a full stop at the end when the line has no closing mark.
fn tidy(s: &str) -> String {
    let s = s.replace('\n', " ");
    let t = s.trim().trim_start_matches([',', ';', ' ']).trim_start();
    let mut out = String::with_capacity(t.len() + 1);
    let mut chars = t.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
        out.push_str(chars.as_str());
    }
    if out.ends_with(|c: char| c.is_alphanumeric()) {
        out.push('.');
    }
    out
}

/// Words that end the unit words after a quantity (`3 trout because …`), in lower case.
const STOP_AFTER: &[&str] = &[
    "and", "so", "then", "but", "which", "that", "if", "is", "are", "was", "were", "for",
    "because", "since", "when", "while", "after", "before", "as", "or",
];

/// Words a unit does not end with (`miles a day over`), in lower case.
const DANGLING: &[&str] = &[
    "over", "in", "of", "to", "with", "on", "at", "by", "from", "every", "each", "per", "a", "an",
    "the", "her", "his", "their", "its",
];

struct Cx<'g> {
    original: &'g Graph,
    variant: &'g Graph,
    /// The quantities' names, made once when the first added step needs one.
    names: std::cell::OnceCell<std::rc::Rc<crate::verbalize::names::Names>>,
    /// The words around each change to the asked-for quantity when the text tells them as
    /// comparisons ("Lena has" · "cats"), and whether they are money.
    compared: std::cell::OnceCell<Option<crate::verbalize::ComparedSteps>>,
    /// Per node of the variant, the original's node of the same name (as
    /// [`Graph::find`] finds it), made when first asked for.
    same_name: std::cell::OnceCell<Vec<Option<NodeId>>>,
}

impl Cx<'_> {
    /// The original's node with the name of variant node `id` ([`Graph::find`]).
    fn original_named(&self, id: NodeId) -> Option<NodeId> {
        self.same_name
            .get_or_init(|| {
                let mut first: rustc_hash::FxHashMap<&str, NodeId> =
                    rustc_hash::FxHashMap::default();
                first.reserve(self.original.len());
                for o in self.original.ids() {
                    first
                        .entry(self.original.node(o).name.as_str())
                        .or_insert(o);
                }
                self.variant
                    .ids()
                    .map(|v| first.get(self.variant.node(v).name.as_str()).copied())
                    .collect()
            })
            .get(id.index())
            .copied()
            .flatten()
    }

    /// The operand values of `id` in the variant.
    fn args(&self, id: NodeId) -> Vec<Number> {
        self.variant
            .node(id)
            .operands
            .iter()
            .map(|&o| self.variant.value(o))
            .collect()
    }

    /// The node of the original with the same name as variant node `id`, following a proxy
    /// down to the quantity it changes.
    fn original_of(&self, id: NodeId) -> Option<NodeId> {
        let mut u = id;
        for _ in 0..self.variant.len() {
            let n = self.variant.node(u);
            if let Some(o) = self.original_named(u) {
                return Some(o);
            }
            match n.kind {
                NodeKind::Proxy { .. } => u = *n.operands.first()?,
                _ => return None,
            }
        }
        None
    }

    /// The quantity a proxy (or a chain of proxies) changes; `id` itself otherwise.
    fn base(&self, id: NodeId) -> NodeId {
        let mut u = id;
        for _ in 0..self.variant.len() {
            let n = self.variant.node(u);
            match (&n.kind, n.operands.first()) {
                (NodeKind::Proxy { .. }, Some(&b)) => u = b,
                _ => break,
            }
        }
        u
    }

    /// [`Cx::rewrite_line`] through [`LINES`].
    fn rewrite_line_memoized(
        &self,
        text: &str,
        owners: &[NodeId],
        relevant: &[bool],
    ) -> Option<Vec<(NodeId, String)>> {
        use std::hash::{Hash, Hasher};
        // (The key is hashed and compared from what is read of the graphs once per owner:
        // an owned key is made only when the line is rewritten anew.)
        struct View<'g> {
            node: &'g crate::graph::Node,
            args: Vec<Number>,
            operand_originals: Vec<Option<Number>>,
            original: Option<NodeId>,
        }
        let views: Vec<View<'_>> = owners
            .iter()
            .map(|&o| {
                let node = self.variant.node(o);
                View {
                    node,
                    args: self.args(o),
                    operand_originals: node
                        .operands
                        .iter()
                        .map(|&u| self.original_of(u).map(|ou| self.original.value(ou)))
                        .collect(),
                    original: self.original_named(o),
                }
            })
            .collect();
        let mut h = rustc_hash::FxHasher::default();
        text.hash(&mut h);
        for (v, &o) in views.iter().zip(owners) {
            v.node.name.hash(&mut h);
            v.node.kind.hash(&mut h);
            v.args.hash(&mut h);
            v.operand_originals.hash(&mut h);
            self.variant.value(o).hash(&mut h);
            relevant[o.index()].hash(&mut h);
            if let Some(oo) = v.original {
                let on = self.original.node(oo);
                on.kind.hash(&mut h);
                self.original.value(oo).hash(&mut h);
                for &u in &on.operands {
                    self.original.value(u).hash(&mut h);
                }
            }
        }
        let hash = h.finish();
        // Whether `key` is this line's.
        let same = |key: &LineKey| {
            key.text == text
                && key.owners.len() == owners.len()
                && key
                    .owners
                    .iter()
                    .zip(&views)
                    .zip(owners)
                    .all(|((k, v), &o)| {
                        k.name == v.node.name
                            && k.kind == v.node.kind
                            && k.args == v.args
                            && k.operand_originals == v.operand_originals
                            && k.value == self.variant.value(o)
                            && k.relevant == relevant[o.index()]
                            && match (&k.original, v.original) {
                                (None, None) => true,
                                (Some((kind, value, args)), Some(oo)) => {
                                    let on = self.original.node(oo);
                                    *kind == on.kind
                                        && *value == self.original.value(oo)
                                        && args.len() == on.operands.len()
                                        && args
                                            .iter()
                                            .zip(&on.operands)
                                            .all(|(a, &u)| *a == self.original.value(u))
                                }
                                _ => false,
                            }
                    })
        };
        let hit = LINES.with(|m| {
            m.borrow()
                .get(&hash)
                .and_then(|es| es.iter().find(|(k, _)| same(k)).map(|(_, r)| r.clone()))
        });
        let pieces = match hit {
            Some(r) => r,
            None => {
                let r: RewrittenLine = self.rewrite_line(text, owners, relevant).map(|ps| {
                    ps.into_iter()
                        .map(|(o, p)| (owners.iter().position(|&x| x == o).unwrap_or(0), p))
                        .collect()
                });
                let key = LineKey {
                    text: text.to_string(),
                    owners: views
                        .into_iter()
                        .zip(owners)
                        .map(|(v, &o)| OwnerKey {
                            name: v.node.name.clone(),
                            kind: v.node.kind.clone(),
                            args: v.args,
                            value: self.variant.value(o),
                            relevant: relevant[o.index()],
                            original: v.original.map(|oo| {
                                let on = self.original.node(oo);
                                (
                                    on.kind.clone(),
                                    self.original.value(oo),
                                    on.operands
                                        .iter()
                                        .map(|&u| self.original.value(u))
                                        .collect(),
                                )
                            }),
                            operand_originals: v.operand_originals,
                        })
                        .collect(),
                };
                LINES.with(|m| {
                    let mut m = m.borrow_mut();
                    if m.len() >= LINES_MAX {
                        m.clear();
                    }
                    m.entry(hash).or_default().push((key, r.clone()));
                });
                r
            }
        };
        pieces.map(|ps| ps.iter().map(|(i, p)| (owners[*i], p.clone())).collect())
    }

    /// Rewrites the original line `text` whose calculations are those of `owners` (in
    /// order): each calculation with the variant's numbers (annotated when the answer needs
    /// it), stale numbers around them replaced. Returns one piece per relevant owner, in
    /// order; concatenated they give the whole line.
    fn rewrite_line(
        &self,
        text: &str,
        owners: &[NodeId],
        relevant: &[bool],
    ) -> Option<Vec<(NodeId, String)>> {
        let found = find_calcs(text);
        if found.len() != owners.len() || owners.is_empty() {
            return None;
        }
        // Old → new values of the quantities the line speaks of.
        let mut stale: Vec<(Number, Number)> = Vec::new();
        let mut push = |old: Number, new: Number| {
            if old != new && !stale.iter().any(|s| s.0 == old) {
                stale.push((old, new));
            }
        };
        for &o in owners {
            if let Some(oo) = self.original_named(o) {
                push(self.original.value(oo), self.variant.value(o));
            }
            for &u in &self.variant.node(o).operands {
                if let Some(ou) = self.original_of(u) {
                    push(self.original.value(ou), self.variant.value(u));
                }
            }
        }
        // `s` with its stale numbers replaced, written at the end of `out`.
        let fix = |out: &mut String, s: &str| {
            if stale.is_empty() {
                out.push_str(s);
                return;
            }
            let mut last = 0;
            for (a, b, v) in digit_numbers(s) {
                if let Some(&(_, new)) = stale.iter().find(|x| x.0 == v) {
                    out.push_str(&s[last..a]);
                    out.push_str(&shown(new));
                    last = b;
                }
            }
            out.push_str(&s[last..]);
        };
        let mut pieces: Vec<(NodeId, String)> = Vec::new();
        let mut carry = String::new();
        let mut last = 0usize;
        for (k, (f, &o)) in found.iter().zip(owners).enumerate() {
            let NodeKind::Step { expr } = &self.variant.node(o).kind else {
                return None;
            };
            let style = Style {
                spaced: f.spaced,
                times: if f.x_times { "x" } else { "*" },
            };
            let args = self.args(o);
            let c = calc(expr, &args, style)?;
            // The calculation as written, its numbers replaced, when they are the step's
            // operands in order (`30 minks * 6 babies/mink`); else written anew.
            let lhs = self
                .keep_wording(o, expr, &args, &text[f.start..f.lhs_end])
                .unwrap_or(c.text);
            // `… = 20%` for a value of 0.2: the figure after the annotation stays a percent.
            let percent = text[f.end..].starts_with('%') && {
                let written = Number::parse_decimal(&text[f.rhs_start..f.end].replace(',', ""));
                self.original
                    .find(&self.variant.node(o).name)
                    .is_some_and(|oo| {
                        let e = self.original.value(oo);
                        e.mul(Number::int(100)).ok() == written && written != Some(e)
                    })
            };
            let value = shown(c.value);
            let figure = match c.value.mul(Number::int(100)) {
                Ok(p) if percent => Some(shown(p)),
                _ => None,
            };
            let mut piece = std::mem::take(&mut carry);
            fix(&mut piece, &text[last..f.start]);
            piece.push_str(&lhs);
            piece.push_str(&text[f.lhs_end..f.rhs_start]);
            if relevant[o.index()] {
                piece.push_str("<<");
                piece.push_str(&c.compact);
                piece.push('=');
                piece.push_str(&value);
                piece.push_str(">>");
            }
            piece.push_str(figure.as_deref().unwrap_or(&value));
            last = f.end;
            if k + 1 == found.len() {
                fix(&mut piece, &text[last..]);
            }
            if relevant[o.index()] {
                pieces.push((o, piece));
            } else if let Some(p) = pieces.last_mut() {
                p.1.push_str(&piece);
            } else {
                carry = piece;
            }
        }
        if !carry.is_empty() {
            // Only calculations the answer does not need: nothing to attach them to.
            if pieces.is_empty() {
                return Some(Vec::new());
            }
        }
        Some(pieces)
    }

    /// The written calculation `lhs` of step `id` with the variant's numbers in place of the
    /// original's, when the step computes as it did in the original and `lhs` writes exactly
    /// the original operands in the expression's reading order.
    fn keep_wording(&self, id: NodeId, expr: &Expr, args: &[Number], lhs: &str) -> Option<String> {
        let o = self.original_named(id)?;
        let on = self.original.node(o);
        if on.kind != self.variant.node(id).kind {
            return None;
        }
        let old_args: Vec<Number> = on
            .operands
            .iter()
            .map(|&u| self.original.value(u))
            .collect();
        let mut old = Vec::new();
        let mut new = Vec::new();
        leaves(expr, &old_args, &mut old)?;
        leaves(expr, args, &mut new)?;
        let written = digit_numbers(lhs);
        if written.len() != old.len() || written.iter().zip(&old).any(|(w, o)| w.2 != *o) {
            return None;
        }
        if new
            .iter()
            .any(|n| n.is_negative() || (!n.is_integer() && n.to_decimal_string().is_none()))
        {
            return None;
        }
        let mut out = String::with_capacity(lhs.len() + 8);
        let mut last = 0;
        for ((a, b, old), new) in written.iter().zip(&new) {
            out.push_str(&lhs[last..*a]);
            if old == new {
                out.push_str(&lhs[*a..*b]);
            } else {
                out.push_str(&shown(*new));
            }
            last = *b;
        }
        out.push_str(&lhs[last..]);
        Some(out)
    }

    /// The words the original wrote after quantity `id` of the variant (`clips in May`), from
    /// its solution line or the question.
    fn units(&self, id: NodeId) -> Option<String> {
        let o = self.original_of(id)?;
        let node = self.original.node(o);
        let v = self.original.value(o);
        let after: &str = match (&node.kind, node.text.as_deref()) {
            (NodeKind::Input { span: Some(s) }, _) => {
                let q = self.original.question()?;
                q.get(s.end as usize..)?
            }
            (_, Some(t)) => {
                // The last mention of the value followed by words (`3 trout because …`).
                let ends: Vec<usize> = digit_numbers(t)
                    .into_iter()
                    .filter(|x| x.2 == v)
                    .map(|x| x.1)
                    .collect();
                let with_words = ends.iter().rev().find(|&&b| {
                    t[b..]
                        .trim_start_matches(['%', ' '])
                        .starts_with(|c: char| c.is_alphabetic())
                });
                &t[*with_words.or(ends.last())?..]
            }
            _ => return None,
        };
        let after = after.trim_start_matches(['%']);
        let mut words: Vec<&str> = Vec::new();
        for w in after.split(' ').filter(|w| !w.is_empty()) {
            let clean = w.trim_end_matches([',', '.', ';', ':', '?', '!', ')']);
            if clean.is_empty()
                || !clean
                    .chars()
                    .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
                || STOP_AFTER.iter().any(|w| clean.eq_ignore_ascii_case(w))
            {
                break;
            }
            words.push(clean);
            if clean.len() != w.len() || words.len() == 4 {
                break;
            }
        }
        // No dangling preposition (`miles a day over`).
        while words
            .last()
            .is_some_and(|w| DANGLING.iter().any(|d| w.eq_ignore_ascii_case(d)))
        {
            words.pop();
        }
        (!words.is_empty()).then(|| words.join(" "))
    }

    /// Readable words for a program's variable name (`eggs_left` → `eggs left`), when the
    /// name says something (not `step_3`, `const_60`, `n_5` or one letter).
    fn name_words(&self, id: NodeId) -> Option<String> {
        let node = self.variant.node(id);
        let name = &node.name;
        // Only a program's own names: a GSM8K step's name is made from its sentence's words.
        let from_program = match node.text.as_deref() {
            None => !matches!(node.kind, NodeKind::Proxy { .. }),
            Some(t) => assigns(t, name),
        };
        if !from_program {
            return None;
        }
        let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_');
        let generic = base.len() < 2
            || base.starts_with("step")
            || base.starts_with("const")
            || base == "n"
            || base.ends_with("_rounded")
            || base.ends_with("_converted");
        if generic {
            return None;
        }
        let words = base.replace('_', " ");
        words
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ')
            .then_some(words)
    }

    /// A sentence for a step the original solution did not write this way.
    fn new_sentence(&self, id: NodeId) -> Result<String, SolutionError> {
        let g = self.variant;
        let node = g.node(id);
        let v = g.value(id);
        let args = self.args(id);
        // The quantity's name, worked out (with the variant's names) only where it is read.
        let name = || {
            self.names
                .get_or_init(|| crate::verbalize::names::Names::derived(self.original, g))
                .phrase_of(g, id)
                .map(str::to_string)
        };
        let unwritable = |why: &str| SolutionError::Unwritable {
            name: node.name.clone(),
            why: why.into(),
        };
        match &node.kind {
            NodeKind::Proxy { f } => {
                let expr = Expr::bin(f.op.bin_op(), Expr::Arg(0), Expr::Lit(f.k));
                let c = calc(&expr, &args, SPACED).ok_or_else(|| unwritable("proxy"))?;
                if let Some(said) = self.compared_words(id, &c) {
                    return Ok(said);
                }
                let calc_s = c.annotated(false);
                let name = name();
                // The unit words are read only when there is no name.
                let units = if name.is_none() { self.units(id) } else { None };
                Ok(match (name, units) {
                    (Some(n), _) => format!("After the change, {n} is {calc_s}."),
                    (None, Some(u)) => {
                        let how = match f.op {
                            ProxyOp::Add => format!("With {} more", shown(f.k)),
                            ProxyOp::Sub => format!("With {} fewer", shown(f.k)),
                            ProxyOp::Mul => format!("Taking {} times as many", shown(f.k)),
                            ProxyOp::Div => format!("Dividing by {}", shown(f.k)),
                        };
                        format!("{how}, that is {calc_s} {u}.")
                    }
                    (None, None) => match self.name_words(self.base(id)) {
                        Some(w) => format!("After the change, {w}: {calc_s}."),
                        None => format!("After the change, that is {calc_s}."),
                    },
                })
            }
            NodeKind::Step { expr: Expr::Arg(i) } if is_copy(g, id) => {
                // A copy of a value just computed (`result = total`): said, not calculated.
                let v = shown(args.get(*i as usize).copied().unwrap_or(v));
                Ok(if id == g.answer() {
                    format!("So the answer is {v}.")
                } else if let Some(n) = name() {
                    format!("{n} is {v}.")
                } else if let Some(w) = self.name_words(id) {
                    format!("{w}: {v}.")
                } else {
                    format!("So that is {v}.")
                })
            }
            NodeKind::Step { expr } => {
                let changed = self
                    .original
                    .find(&node.name)
                    .is_some_and(|o| self.original.node(o).kind != node.kind);
                let lead_default = if changed { "Working back," } else { "So" };
                let body = match calc(expr, &args, SPACED) {
                    Some(c) => c.annotated(false),
                    None => {
                        let how = match expr {
                            Expr::Call(Func::Round, _) => "rounded, that is ",
                            Expr::Call(Func::Floor | Func::Int, _) => "rounded down, that is ",
                            Expr::Call(Func::Ceil, _) => "rounded up, that is ",
                            Expr::Call(Func::Min, _) => "the smallest is ",
                            Expr::Call(Func::Max, _) => "the largest is ",
                            Expr::Call(Func::Abs, _) => "without its sign, that is ",
                            _ => "that is ",
                        };
                        format!("{how}{}", selection(v, &args))
                    }
                };
                Ok(self.with_lead(id, name(), lead_default, &body))
            }
            NodeKind::Branch {
                cond,
                then,
                otherwise,
            } => {
                let holds = cond.eval(&args).map_err(|e| unwritable(&e.to_string()))?;
                let arm = if holds { then } else { otherwise };
                let why = cond_words(cond, &args, holds).ok_or_else(|| unwritable("condition"))?;
                let body = match calc(arm, &args, SPACED) {
                    Some(c) => c.annotated(false),
                    None => format!("it is {}", selection(v, &args)),
                };
                Ok(format!(
                    "Since {why}, {body}{}.",
                    self.units(id).map(|u| format!(" {u}")).unwrap_or_default()
                ))
            }
            NodeKind::Input { .. } | NodeKind::Constant => Err(unwritable("not a computation")),
        }
    }

    /// A change to the asked-for quantity told as a comparison, in the text's own words:
    /// "Lena has 30 * 2 = <<30*2=60>>60 cats."
    fn compared_words(&self, id: NodeId, c: &Calc) -> Option<String> {
        let answer = self.original.answer();
        if self.base(id) != answer {
            return None;
        }
        let (steps, money) = self
            .compared
            .get_or_init(|| crate::verbalize::compared_steps(self.original, self.variant))
            .as_ref()?;
        let n0 = self.original.len();
        let at = crate::verbalize::names::chain(self.variant, answer)
            .into_iter()
            .take_while(|d| d.index() >= n0)
            .position(|p| p == id)?;
        let (lead, trail) = steps.get(at)?;
        let mut out = format!("{lead} {}", c.annotated(*money));
        if !trail.is_empty() {
            out.push(' ');
            out.push_str(trail);
        }
        out.push('.');
        Some(out)
    }

    /// `{Name} is {body}.`, `{lead} {body} {units}.` or `{Words}: {body}.`
    fn with_lead(&self, id: NodeId, name: Option<String>, lead: &str, body: &str) -> String {
        if let Some(n) = name {
            return format!("{n} is {body}.");
        }
        if let Some(u) = self.units(id) {
            return format!("{lead} {body} {u}.");
        }
        if let Some(w) = self.name_words(id) {
            return format!("{w}: {body}.");
        }
        format!("{lead} {body}.")
    }
}

/// The condition as words with its values (`12 is more than 10`), stated as it turned out.
fn cond_words(c: &Cond, args: &[Number], holds: bool) -> Option<String> {
    let ex = |e: &Expr| -> Option<String> {
        match calc(e, args, SPACED) {
            Some(c) => Some(format!("{} = {}", c.text, shown(c.value))),
            None => Some(shown(e.eval(args).ok()?)),
        }
    };
    Some(match c {
        Cond::Cmp(op, a, b) => {
            let op = if holds { *op } else { negate(*op) };
            let w = match op {
                CmpOp::Lt => "is less than",
                CmpOp::Le => "is at most",
                CmpOp::Gt => "is more than",
                CmpOp::Ge => "is at least",
                CmpOp::Eq => "equals",
                CmpOp::Ne => "is not",
            };
            format!("{} {w} {}", ex(a)?, ex(b)?)
        }
        Cond::Truthy(e) if holds => format!("{} is not zero", ex(e)?),
        Cond::Truthy(e) => format!("{} is zero", ex(e)?),
        Cond::Not(inner) => cond_words(inner, args, !holds)?,
        Cond::And(cs) | Cond::Or(cs) => {
            let parts: Option<Vec<String>> = cs
                .iter()
                .map(|c| {
                    let h = c.eval(args).ok()?;
                    cond_words(c, args, h)
                })
                .collect();
            parts?.join(" and ")
        }
    })
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ProxyFn;
    use crate::gsm8k::extract;
    use crate::intervene::{intervene, Intervention};

    const NATALIA_Q: &str = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?";
    const NATALIA_A: &str = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72";

    proptest::proptest! {
        /// An assignment is found where a search for `name =` or `name=` finds one.
        #[test]
        fn assigns_agrees_with_a_search(
            line in "[a =_é]{0,12}",
            name in "[a_]{0,3}",
        ) {
            proptest::prop_assert_eq!(
                assigns(&line, &name),
                line.contains(&format!("{name} =")) || line.contains(&format!("{name}="))
            );
        }
    }

    #[test]
    fn original_comes_back_in_its_own_shape() {
        let g = extract(NATALIA_Q, NATALIA_A).unwrap().graph;
        assert_eq!(worked(&g, &g).unwrap(), NATALIA_A);
    }

    #[test]
    fn the_memo_answers_what_working_it_out_answers() {
        let g = extract(NATALIA_Q, NATALIA_A).unwrap().graph;
        let friends = g.find("friends").unwrap();
        let set = |value: i128| {
            intervene(
                &g,
                &Intervention::SetInput {
                    node: friends,
                    value: Number::int(value),
                },
            )
            .unwrap()
            .0
        };
        let (a, b) = (set(36), set(40));
        // Asked in turn, again, and past the memo's two entries: each time the same as
        // working it out afresh, and never another pair's solution.
        for v in [&a, &b, &a, &g, &b, &a] {
            assert_eq!(worked_steps(&g, v), worked_steps_uncached(&g, v, None));
        }
        assert_ne!(worked(&g, &a).unwrap(), worked(&g, &b).unwrap());
    }

    #[test]
    fn a_line_from_the_memo_is_the_line_rewritten_afresh() {
        // Every variant of a curriculum over GSM8K train's first rows, worked out with the
        // lines' memo warm (rows and rounds in turn) and with it emptied before each.
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/gsm8k/train.jsonl"
        ));
        let rows: Vec<(String, String)> = match &text {
            Ok(t) => t
                .lines()
                .take(60)
                .filter_map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).ok()?;
                    Some((v["question"].as_str()?.into(), v["answer"].as_str()?.into()))
                })
                .collect(),
            // (Without the data file, two problems of the tests' own.)
            Err(_) => vec![
                (NATALIA_Q.into(), NATALIA_A.into()),
                (
                    "John wants to finish a show in 5 days.  There are 20 episodes and they are each 30 minutes long.  How many hours does he have to watch a day?".into(),
                    "He wants to watch 20*30=<<20*30=600>>600 minutes\nSo he needs to watch 600/60=<<600/60=10>>10 hours\nThat means he needs to watch 10/5=<<10/5=2>>2 hours a day\n#### 2".into(),
                ),
            ],
        };
        let cfg = crate::curriculum::CurriculumConfig {
            rounds: 8,
            ..Default::default()
        };
        let mut hits = 0;
        for (i, (q, a)) in rows.iter().enumerate() {
            let Ok(g) = extract(q, a).map(|e| e.graph) else {
                continue;
            };
            let Ok(chains) = crate::curriculum::generate(&g, &format!("row-{i}"), &cfg) else {
                continue;
            };
            for v in chains.iter().flat_map(|c| &c.variants) {
                let before = LINES.with(|m| m.borrow().values().map(Vec::len).sum::<usize>());
                let warm = worked_steps_uncached(&g, &v.graph, None);
                let after = LINES.with(|m| m.borrow().values().map(Vec::len).sum::<usize>());
                hits += usize::from(after == before && before > 0);
                // Afresh: with the memo set aside (and put back after).
                let kept = LINES.with(|m| std::mem::take(&mut *m.borrow_mut()));
                assert_eq!(warm, worked_steps_uncached(&g, &v.graph, None), "{q}");
                LINES.with(|m| *m.borrow_mut() = kept);
            }
        }
        assert!(hits > 0, "the memo was never read");
    }

    #[test]
    fn set_input_rewrites_numbers() {
        let g = extract(NATALIA_Q, NATALIA_A).unwrap().graph;
        let friends = g.find("friends").unwrap();
        let (v, _) = intervene(
            &g,
            &Intervention::SetInput {
                node: friends,
                value: Number::int(36),
            },
        )
        .unwrap();
        let s = worked(&g, &v).unwrap();
        assert_eq!(
            s,
            "Natalia sold 36/2 = <<36/2=18>>18 clips in May.\n\
             Natalia sold 36+18 = <<36+18=54>>54 clips altogether in April and May.\n#### 54"
        );
    }

    #[test]
    fn graft_adds_a_sentence_and_readers_use_it() {
        let g = extract(NATALIA_Q, NATALIA_A).unwrap().graph;
        let may = g.find("clips_in_may").unwrap();
        let (v, _) = intervene(
            &g,
            &Intervention::Graft {
                node: may,
                f: ProxyFn {
                    op: ProxyOp::Add,
                    k: Number::int(3),
                },
            },
        )
        .unwrap();
        let s = worked(&g, &v).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 4, "{s}");
        assert_eq!(lines[0], "Natalia sold 48/2 = <<48/2=24>>24 clips in May.");
        assert!(lines[1].contains("24 + 3 = <<24+3=27>>27"), "{s}");
        assert!(!lines[1].contains('_'), "{s}");
        assert_eq!(
            lines[2],
            "Natalia sold 48+27 = <<48+27=75>>75 clips altogether in April and May."
        );
        assert_eq!(lines[3], "#### 75");
        let x = extract(v.question().unwrap(), &s).unwrap();
        assert_eq!(x.graph.answer_value(), Number::int(75));
    }

    #[test]
    fn fractions_and_negatives_are_exact() {
        let q = "Sam has 10 apples and 3 friends.";
        let a = "Each gets 10/3 = <<10/3=3.33>>3.33 apples.\nThen 3.33 - 5 = <<3.33-5=-1.67>>-1.67.\n#### -1.67";
        let g = extract(q, a).unwrap().graph;
        let s = worked(&g, &g).unwrap();
        let x = extract(q, &s).unwrap();
        assert_eq!(x.graph.answer_value(), g.answer_value(), "{s}");
    }
}
