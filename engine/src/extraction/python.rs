//! Python solution programs → computation graphs.
//!
//! [`parse_program`] reads a subset of Python (the shape of GSM-Hard's `code` field and of
//! LLM-written solutions: `def solution():`, assignments, `if` blocks, loops, lists, small
//! helper functions and `return`) with the real Python parser and *interprets* it inside the
//! engine, exactly (rational numbers), without ever running Python.
//!
//! Mapping to the graph:
//! - `x = 5` (a literal or `-literal`) is an [`NodeKind::Input`] named `x`; when a question is
//!   given, its span is the first not-yet-used occurrence of that number written in digits.
//! - any other assignment is a [`NodeKind::Step`]; operands are the distinct nodes read, in
//!   first-appearance order; literals stay inline.
//! - reassignment adds a new node (`total_2`); later reads use the newest.
//! - `if/elif/else` adds one [`NodeKind::Branch`] per variable assigned in any arm; a ternary
//!   nested inside a larger expression is hoisted into its own branch node `<target>_choice`.
//!   A variable assigned in only some arms (and not before) has no value after the `if`;
//!   reading it there is an error, not reading it is fine.
//! - loops are unrolled: `for` over `range(…)`, a list, `enumerate`/`zip`; `while` runs until
//!   its condition fails (at most [`MAX_LOOP_ITERATIONS`] times). Each iteration's
//!   assignments are new nodes (`total_2`, `total_3`, …); the loop variable of a `range` is an
//!   inline literal.
//! - lists hold nodes: `prices = [12, 15]` makes inputs `prices_0`, `prices_1`; `append`,
//!   `len`, indexing, slices, `sum`/`min`/`max` over lists, and list comprehensions and
//!   generator expressions over ranges and lists are read.
//! - helper functions (defined beside or inside `solution()`) are inlined at each call (at
//!   most [`MAX_CALL_DEPTH`] calls deep); a returned expression is a node named after the
//!   variable the call is assigned to (or after the function).
//! - `return name` makes that node the answer; `return <expr>` adds a step `result`.
//! - a program without `def` is read as top-level statements; without `return`, the answer is
//!   the last assigned variable.
//!
//! Decisions taken while reading (a loop count, a `while` or comprehension condition, a list
//! index, an `if` whose arms `return`/`break` or change a list) are *structural*: the graph
//! holds their outcome, not the decision. Every input such a decision reads becomes a
//! [`NodeKind::Constant`] whose text ends with `# structural: <why>`, and the graph keeps the
//! program ([`Graph::source_program`]). Setting such a constant reads the program again with
//! the new value (the loop unrolls to its new length) and the diff says so
//! ([`crate::intervene::Diff::reextracted`]); a graph without its program (one read back from
//! the printer's unrolled form) refuses instead
//! ([`crate::intervene::InterventionError::Structural`]).
//!
//! Lines written by [`crate::printer::to_python`] may end with a `# graft: ...` marker:
//! `input [A..B]`, `constant [structural: why]`, `proxy`, `step`, or `args a b c` (explicit
//! operand order).

use std::rc::Rc;

use ruff_python_ast as ast;
use ruff_text_size::{Ranged, TextSize};

use crate::expr::{BinOp, CmpOp, Cond, Expr, Func};
use crate::graph::{
    Graph, GraphBuilder, GraphError, Node, NodeId, NodeKind, Override, ProxyFn, ProxyOp,
    SourceProgram, Span,
};
use crate::limits::{check_len, check_python, Limit, LimitError, MAX_NESTING};
use crate::number::{ArithError, Number};

/// The most iterations one loop (or one comprehension level) may run once unrolled.
pub const MAX_LOOP_ITERATIONS: usize = 10_000;
/// The most statements, loop iterations and comprehension items one program may run in all.
pub const MAX_WORK: usize = 200_000;
/// The deepest chain of helper-function calls (recursion included).
pub const MAX_CALL_DEPTH: usize = 24;

/// The text that marks a structural constant's note in its node text.
const STRUCTURAL: &str = "# structural: ";

/// Why a value is structural, when `node` is a constant made from an input that a loop count,
/// a `while` condition, a list index or a similar decision read (see the module docs).
pub fn structural_note(node: &Node) -> Option<&str> {
    match node.kind {
        NodeKind::Constant => node
            .text
            .as_deref()
            .and_then(|t| t.split_once(STRUCTURAL))
            .map(|(_, why)| why),
        _ => None,
    }
}

/// Why evaluating a program's line failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalFailure {
    /// A node could not be computed or added.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A literal-only expression could not be computed.
    #[error(transparent)]
    Arith(#[from] ArithError),
}

/// Why a Python program could not be turned into a graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PythonError {
    /// The source is not valid Python.
    #[error("Python syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
        /// 1-based line.
        line: u32,
        /// 1-based column (in characters).
        column: u32,
    },
    /// Valid Python outside the subset Graft understands.
    #[error("unsupported Python at line {line}, column {column}: {construct} (Graft reads assignments and augmented assignments, arithmetic, min/max/abs/round/int/float/sum/len/pow/math.floor/math.ceil/math.sqrt, if/elif/else, ternaries, for loops over range()/lists/enumerate()/zip(), while loops, break/continue, lists (literals, append, indexing, slices, comprehensions), helper functions and return)")]
    Unsupported {
        /// The construct, e.g. `class definition` or `call to open()`.
        construct: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    /// A line's value could not be computed (division by zero, irrational result, …).
    #[error("cannot evaluate line {line}: {source}")]
    Eval {
        /// 1-based line.
        line: u32,
        /// 1-based column of the expression, when known.
        column: Option<u32>,
        /// The failure.
        source: EvalFailure,
    },
    /// A name is read before any assignment to it.
    #[error(
        "line {line}, column {column}: `{name}` is used before it is assigned; assign it first"
    )]
    Undefined {
        /// The variable.
        name: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    /// A variable assigned in only some arms of an `if` is read after it.
    #[error("line {line}, column {column}: `{name}` is read here, but the if at line {if_line} assigns it in only some arms and it has no value before; assign it before the if or in every arm")]
    NoValueInArm {
        /// The variable.
        name: String,
        /// 1-based line of the read.
        line: u32,
        /// 1-based column of the read.
        column: u32,
        /// 1-based line of the `if`.
        if_line: u32,
    },
    /// A value Python would reject at run time (a list index out of range, `max()` of an
    /// empty list, a wrong number of arguments, a list used as a number, …).
    #[error("line {line}, column {column}: {message}")]
    Invalid {
        /// What is wrong and how to fix it.
        message: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    /// The program would run too long to unroll: a loop past [`MAX_LOOP_ITERATIONS`], more
    /// than [`MAX_WORK`] statements in all, or calls deeper than [`MAX_CALL_DEPTH`].
    #[error("line {line}, column {column}: {construct}: {message}")]
    Runaway {
        /// The construct, e.g. `while loop`.
        construct: String,
        /// Which bound was crossed, and what to do.
        message: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    /// The function has no `return` (or a bare `return`).
    #[error("line {line}: no value is returned; end solution() with `return <variable>`")]
    MissingReturn {
        /// 1-based line of the `def` (or of the bare `return`).
        line: u32,
    },
    /// The program assigns nothing.
    #[error("the program computes nothing: no assignment and no return")]
    Empty,
    /// The program is over one of the engine's input limits ([`crate::limits`]).
    #[error("{0}")]
    Limit(#[from] LimitError),
    /// A `# graft:` marker that does not fit its line.
    #[error("line {line}: bad `# graft:` marker: {message}")]
    BadMarker {
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: u32,
    },
}

impl PythonError {
    /// A short snake_case category, for counting failures.
    pub fn category(&self) -> &'static str {
        match self {
            PythonError::Syntax { .. } => "python_syntax",
            PythonError::Unsupported { .. } => "python_unsupported",
            PythonError::Eval { .. } => "python_eval",
            PythonError::Undefined { .. } => "python_undefined_name",
            PythonError::NoValueInArm { .. } => "python_no_value_in_arm",
            PythonError::Invalid { .. } => "python_invalid",
            PythonError::Runaway { .. } => "python_runaway",
            PythonError::MissingReturn { .. } => "python_missing_return",
            PythonError::Empty => "python_empty",
            PythonError::BadMarker { .. } => "python_bad_marker",
            PythonError::Limit(_) => "input_limit",
        }
    }

    /// The 1-based line the error is on, when there is one.
    pub fn line(&self) -> Option<u32> {
        match self {
            PythonError::Syntax { line, .. }
            | PythonError::Unsupported { line, .. }
            | PythonError::Eval { line, .. }
            | PythonError::Undefined { line, .. }
            | PythonError::NoValueInArm { line, .. }
            | PythonError::Invalid { line, .. }
            | PythonError::Runaway { line, .. }
            | PythonError::MissingReturn { line }
            | PythonError::BadMarker { line, .. } => Some(*line),
            PythonError::Limit(e) => (e.line > 0).then_some(e.line),
            PythonError::Empty => None,
        }
    }
}

/// Parses a Python solution program into an evaluated graph.
///
/// `question`, when given, becomes the graph's question and is searched for the inputs' numbers.
pub fn parse_program(source: &str, question: Option<&str>) -> Result<Graph, PythonError> {
    read_program(source, question, &[]).map(|(g, _)| g)
}

/// [`parse_program`] with some literals read as other values (`overrides`, by the order in
/// which reading creates nodes), and the id each created node got, in creation order.
///
/// A graph with structural inputs keeps its program and these overrides
/// ([`Graph::source_program`]), so that setting a structural input can read the program again
/// with the new value ([`crate::intervene`]).
pub(crate) fn read_program(
    source: &str,
    question: Option<&str>,
    overrides: &[Override],
) -> Result<(Graph, Vec<NodeId>), PythonError> {
    // The common shape of program is read by the fast reader (the same tree as ruff's);
    // anything else, every syntax error and the `ids` marker's comment tokens go to ruff.
    // What it reads is mostly surely within the limits: then the limits' scan is not needed.
    check_len(Limit::ProgramBytes, source.len())?;
    let fast = super::python_fast::parse_module_checked(source);
    if !fast.as_ref().is_some_and(|r| r.within_limits) {
        check_python(source)?;
    }
    let first_hash = match &fast {
        Some(r) => r.first_hash,
        None => source.find('#').unwrap_or(source.len()),
    };
    let fast = fast.map(|r| r.body);
    if let Some(q) = question {
        check_len(Limit::TextBytes, q.len())?;
    }
    let parsed = match fast {
        Some(_) => None,
        None => Some(ruff_python_parser::parse_module(source).map_err(|e| {
            let (line, column) = line_col(source, u32::from(e.location.start()));
            PythonError::Syntax {
                message: e.error.to_string(),
                line,
                column,
            }
        })?),
    };
    let module_body: &[ast::Stmt] = match (&fast, &parsed) {
        (Some(body), _) => body,
        (None, Some(p)) => &p.syntax().body,
        (None, None) => &[],
    };
    let mut it = Interp {
        src: source,
        first_hash,
        b: GraphBuilder::new(question.map(str::to_string)),
        scope: Scope(Vec::with_capacity(16)),
        log: Vec::with_capacity(16),
        qnums: question.map(question_numbers).unwrap_or_default(),
        last: None,
        funcs: Vec::new(),
        depth: 0,
        loops: 0,
        work: 0,
        ret_name: "result".to_string(),
        tainted: Vec::new(),
        structural: Vec::new(),
        overrides,
    };
    let mut entry: Option<&ast::StmtFunctionDef> = None;
    let mut defs = 0usize;
    for stmt in module_body {
        match stmt {
            ast::Stmt::Import(imp) => it.check_import(imp)?,
            ast::Stmt::FunctionDef(f) => {
                defs += 1;
                it.define(f);
                if f.name.id.as_str() == "solution" {
                    entry = Some(f);
                }
            }
            _ => {}
        }
    }
    // The other top-level statements, in order.
    let mut top = module_body
        .iter()
        .filter(|s| !matches!(s, ast::Stmt::Import(_) | ast::Stmt::FunctionDef(_)));
    let only_ignorable = top.clone().all(is_ignorable_top_level);
    if entry.is_none() && defs == 1 && only_ignorable {
        // One function under another name (`def solve():`) is the solution.
        entry = module_body.iter().find_map(|s| match s {
            ast::Stmt::FunctionDef(f) => Some(f),
            _ => None,
        });
    }
    let answer = match entry {
        Some(f) => {
            if let Some(stmt) = top.find(|s| !is_ignorable_top_level(s)) {
                return Err(it.unsupported(
                    "statements outside solution() besides imports and helper functions",
                    stmt.start(),
                ));
            }
            if !f.parameters.is_empty() || f.is_async || !f.decorator_list.is_empty() {
                return Err(it.unsupported("function parameters or decorators", f.start()));
            }
            let flow = it.block(&f.body)?;
            it.answer_of(flow, f.start())?
        }
        None => {
            let flow = it.block(module_body)?;
            match flow {
                Flow::Next => it.last.ok_or(PythonError::Empty)?,
                flow => it.answer_of(flow, TextSize::from(0))?,
            }
        }
    };
    let to_eval = |e: GraphError| PythonError::Eval {
        line: 1,
        column: None,
        source: e.into(),
    };
    // Only a real comment counts (not the same text inside the docstring); the cheap text
    // search first, the tokens only when the text is there at all.
    let ids_marker = match parsed.is_some() && source.contains("# graft: ids") {
        false => None,
        true => parsed
            .as_ref()
            .into_iter()
            .flat_map(|p| p.tokens().iter())
            .filter(|t| t.kind() == ruff_python_ast::token::TokenKind::Comment)
            .map(|t| u32::from(t.start()) as usize)
            .find(|&at| source[at..].starts_with("# graft: ids")),
    };
    if ids_marker.is_none() && it.structural.is_empty() {
        let ids = (0..it.b.len() as u32).map(NodeId).collect();
        return Ok((it.b.build(answer).map_err(to_eval)?, ids));
    }
    let ids = match ids_marker {
        None => (0..it.b.len() as u32).map(NodeId).collect(),
        Some(at) => {
            let (line, _) = line_col(source, at as u32);
            let (_, end) = line_bounds(source, at);
            renumbering(&source[at + "# graft: ids".len()..end], it.b.len()).ok_or_else(|| {
                PythonError::BadMarker {
                    message: format!(
                        "`# graft: ids` must list each of the {} node ids once",
                        it.b.len()
                    ),
                    line,
                }
            })?
        }
    };
    let mut nodes: Vec<Option<(Node, Number)>> = vec![None; ids.len()];
    for (k, &id) in ids.iter().enumerate() {
        let mut node = it.b.node(NodeId(k as u32)).clone();
        for o in node.operands.iter_mut() {
            *o = ids[o.index()];
        }
        if let Some((_, why)) = it.structural.iter().find(|(s, _)| s.index() == k) {
            // A structural input: its value was unrolled into the graph (module docs).
            node.kind = NodeKind::Constant;
            let line = node.text.take().unwrap_or_else(|| node.name.clone());
            node.text = Some(format!("{line}  {STRUCTURAL}{why}"));
        }
        nodes[id.index()] = Some((node, it.b.value(NodeId(k as u32))));
    }
    let nodes = nodes.into_iter().flatten().collect();
    let mut g = Graph::from_parts(
        nodes,
        ids.clone(),
        ids[answer.index()],
        question.map(str::to_string),
    )
    .map_err(to_eval)?;
    if !it.structural.is_empty() {
        g.set_source_program(Some(SourceProgram {
            code: source.to_string(),
            overrides: overrides.to_vec(),
        }));
    }
    Ok((g, ids))
}

/// Parses `3 0 1 2`: the id of the k-th created node, a permutation of `0..n`.
fn renumbering(text: &str, n: usize) -> Option<Vec<NodeId>> {
    let mut ids = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    for w in text.split_whitespace() {
        let i: usize = w.parse().ok()?;
        if i >= n || std::mem::replace(&mut seen[i], true) {
            return None;
        }
        ids.push(NodeId(i as u32));
    }
    (ids.len() == n).then_some(ids)
}

/// Module-level statements that may sit beside `def solution()`: docstrings, `pass`, calls
/// that only run or print the solution, and an `if __name__ == "__main__":` block.
fn is_ignorable_top_level(stmt: &ast::Stmt) -> bool {
    match stmt {
        ast::Stmt::Pass(_) => true,
        ast::Stmt::Expr(e) => match &*e.value {
            ast::Expr::StringLiteral(_) => true,
            ast::Expr::Call(c) => {
                matches!(&*c.func, ast::Expr::Name(n) if n.id.as_str() == "print" || n.id.as_str() == "solution")
            }
            _ => false,
        },
        ast::Stmt::If(i) => {
            matches!(&*i.test, ast::Expr::Compare(c) if matches!(&*c.left, ast::Expr::Name(n) if n.id.as_str() == "__name__"))
        }
        ast::Stmt::Assign(a) => {
            matches!(&*a.value, ast::Expr::Call(c) if matches!(&*c.func, ast::Expr::Name(n) if n.id.as_str() == "solution"))
        }
        _ => false,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(src: &str, offset: u32) -> (u32, u32) {
    let off = (offset as usize).min(src.len());
    let before = src.get(..off).unwrap_or(src);
    let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u32 + 1;
    (line, column)
}

/// Where the last line of `before` starts: after its last newline, or 0. A statement's
/// line usually has only spaces before it, which are stepped over before any search.
fn line_start(before: &str) -> usize {
    let b = before.as_bytes();
    let mut i = b.len();
    while i > 0 && b[i - 1] == b' ' {
        i -= 1;
    }
    match i {
        0 => 0,
        _ if b[i - 1] == b'\n' => i,
        _ => before[..i].rfind('\n').map_or(0, |k| k + 1),
    }
}

/// The byte range of the source line holding `offset`, without its newline.
fn line_bounds(src: &str, offset: usize) -> (usize, usize) {
    let off = offset.min(src.len());
    let bytes = src.as_bytes();
    let start = bytes[..off]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[off..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(src.len(), |i| off + i);
    (start, end)
}

/// `text.trim()`, without decoding characters when both ends are ASCII.
fn trim(text: &str) -> &str {
    let t = text.trim_ascii();
    // `trim` also strips Unicode whitespace, and the vertical tab, which `trim_ascii` keeps.
    let clear = |b: Option<&u8>| b.is_none_or(|&b| b.is_ascii() && b != 0x0b);
    match clear(t.as_bytes().first()) && clear(t.as_bytes().last()) {
        true => t,
        false => t.trim(),
    }
}

/// A number written in digits in the question: byte range, value, already used.
struct QNum {
    start: u32,
    end: u32,
    value: Number,
    used: bool,
}

/// The position of the first ASCII digit in `b` from `i` on (`b.len()` when there is none),
/// eight bytes at a time where there is none.
fn next_digit(b: &[u8], mut i: usize) -> usize {
    const L: u64 = 0x0101_0101_0101_0101;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        // Whether a byte of `x` is above 0x2f and below 0x3a (`0`–`9`): "hasbetween" of Bit
        // Twiddling Hacks, exact for bounds up to 128 (no byte borrows or carries).
        let low = x & (L * 127);
        let t = (L * (127 + 0x3a) - low) & !x & (low + L * (127 - 0x2f)) & (L * 128);
        if t != 0 {
            break;
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(u8::is_ascii_digit)
        .map_or(b.len(), |k| i + k)
}

/// Every number written in digits in `q` (`1,200`, `3.5`, `48`), in order.
fn question_numbers(q: &str) -> Vec<QNum> {
    let b = q.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // To the next digit; a run of digits right after a letter, digit or `.` is skipped.
        i = next_digit(b, i);
        if i >= b.len() {
            break;
        }
        if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.') {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        // Thousands separators: `,` followed by exactly three digits.
        while i + 3 < b.len()
            && b[i] == b','
            && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && !(i + 4 < b.len() && b[i + 4].is_ascii_digit())
        {
            i += 4;
        }
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        if let Some(value) = Number::parse_decimal(&q[start..i]) {
            out.push(QNum {
                start: start as u32,
                end: i as u32,
                value,
                used: false,
            });
        }
    }
    out
}

/// A value while reading: a node, an inline number (a `range` loop variable, a `len()`), a
/// list, `None`, or a name assigned in only some arms of the `if` at `if_line`: `taken` is its
/// value on the path this run takes (if that path assigned it), valid once the inputs of the
/// conditions `cond` are made structural.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Node(NodeId),
    Lit(Number),
    List(Rc<Vec<Val>>),
    None,
    /// A string (a label in a list, say): counted and carried, never computed with.
    Text,
    Unset {
        if_line: u32,
        taken: Option<Rc<Val>>,
        cond: Rc<[NodeId]>,
    },
}

/// How a block ended.
enum Flow {
    Next,
    Break,
    Continue,
    Return(Val),
}

/// Variables in scope and their newest values; programs are small, so a vector beats hashing.
#[derive(Clone)]
struct Scope<'s>(Vec<(&'s str, Val)>);

impl<'s> Scope<'s> {
    fn get(&self, name: &str) -> Option<&Val> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    fn insert(&mut self, name: &'s str, v: Val) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = v,
            None => self.0.push((name, v)),
        }
    }
}

/// A `# graft:` marker at the end of an assignment line.
enum Marker<'s> {
    None,
    Input(Option<Span>),
    /// A constant, with the note of a structural one.
    Constant(Option<&'s str>),
    Proxy,
    Step,
    Args(Vec<&'s str>),
}

struct Interp<'s> {
    src: &'s str,
    /// At most where the program's first `#` is (its length when it has none).
    first_hash: usize,
    b: GraphBuilder,
    /// Variable name in the source → its newest value (one small map, searched linearly).
    scope: Scope<'s>,
    /// Variables assigned so far, in order (arms of an `if` read their part of it).
    log: Vec<&'s str>,
    qnums: Vec<QNum>,
    last: Option<NodeId>,
    /// Functions defined so far (helpers are inlined at each call).
    funcs: Vec<(&'s str, &'s ast::StmtFunctionDef)>,
    /// Helper calls in progress.
    depth: usize,
    /// Loops around the current statement, in the current function.
    loops: usize,
    /// Statements, iterations and comprehension items run so far.
    work: usize,
    /// The name of a node a helper's `return <expr>` creates.
    ret_name: String,
    /// Nodes already traced back to their inputs by a structural decision.
    tainted: Vec<bool>,
    /// Inputs that structural decisions read, with why.
    structural: Vec<(NodeId, String)>,
    /// Literals read as other values, by creation order.
    overrides: &'s [Override],
}

/// The operands of the node being built, and the name hoisted ternaries are based on.
struct Operands<'a> {
    ids: Vec<NodeId>,
    /// Fixed by an `args` marker: names must map into it, nothing is added.
    fixed: bool,
    target: &'a str,
}

impl Operands<'_> {
    fn new(target: &str) -> Operands<'_> {
        Operands {
            ids: Vec::with_capacity(4),
            fixed: false,
            target,
        }
    }

    fn slot(&mut self, id: NodeId) -> Option<u32> {
        if let Some(i) = self.ids.iter().position(|&o| o == id) {
            return Some(i as u32);
        }
        if self.fixed {
            return None;
        }
        self.ids.push(id);
        Some(self.ids.len() as u32 - 1)
    }
}

/// Whether an `if` arm must be decided while reading rather than become branch nodes: it
/// returns, breaks or continues (outside an inner loop), changes a list, or assigns one.
fn needs_static(body: &[ast::Stmt], in_loop: bool, scope: &Scope<'_>) -> bool {
    body.iter().any(|s| match s {
        ast::Stmt::Return(_) => true,
        ast::Stmt::Break(_) | ast::Stmt::Continue(_) => !in_loop,
        ast::Stmt::For(f) => needs_static(&f.body, true, scope),
        ast::Stmt::While(w) => needs_static(&w.body, true, scope),
        ast::Stmt::If(i) => {
            needs_static(&i.body, in_loop, scope)
                || i
                    .elif_else_clauses
                    .iter()
                    .any(|c| needs_static(&c.body, in_loop, scope))
        }
        ast::Stmt::Expr(e) => matches!(&*e.value, ast::Expr::Call(c) if matches!(&*c.func, ast::Expr::Attribute(_))),
        ast::Stmt::Assign(a) => {
            a.targets.iter().any(|t| !matches!(t, ast::Expr::Name(_)))
                || is_list_syntax(&a.value, scope)
        }
        ast::Stmt::AnnAssign(a) => a.value.as_deref().is_some_and(|v| is_list_syntax(v, scope)),
        ast::Stmt::AugAssign(a) => {
            !matches!(&*a.target, ast::Expr::Name(n) if !matches!(scope.get(n.id.as_str()), Some(Val::List(_))))
        }
        _ => false,
    })
}

/// Whether `e` is a list (literal, comprehension, list-making call, slice, list variable).
fn is_list_syntax(e: &ast::Expr, scope: &Scope<'_>) -> bool {
    match e {
        ast::Expr::List(_) | ast::Expr::ListComp(_) | ast::Expr::Tuple(_) => true,
        ast::Expr::Name(n) => matches!(scope.get(n.id.as_str()), Some(Val::List(_))),
        ast::Expr::Call(c) => matches!(&*c.func, ast::Expr::Name(f)
            if matches!(f.id.as_str(), "range" | "list" | "sorted" | "reversed" | "enumerate" | "zip")),
        ast::Expr::Subscript(s) => matches!(&*s.slice, ast::Expr::Slice(_)),
        ast::Expr::BinOp(b) => {
            matches!(b.op, ast::Operator::Add)
                && is_list_syntax(&b.left, scope)
                && is_list_syntax(&b.right, scope)
        }
        _ => false,
    }
}

impl<'s> Interp<'s> {
    fn pos(&self, offset: TextSize) -> (u32, u32) {
        line_col(self.src, u32::from(offset))
    }

    fn unsupported(&self, construct: impl Into<String>, at: TextSize) -> PythonError {
        let (line, column) = self.pos(at);
        PythonError::Unsupported {
            construct: construct.into(),
            line,
            column,
        }
    }

    fn invalid(&self, message: impl Into<String>, at: TextSize) -> PythonError {
        let (line, column) = self.pos(at);
        PythonError::Invalid {
            message: message.into(),
            line,
            column,
        }
    }

    fn runaway(&self, construct: &str, message: String, at: TextSize) -> PythonError {
        let (line, column) = self.pos(at);
        PythonError::Runaway {
            construct: construct.into(),
            message,
            line,
            column,
        }
    }

    fn eval_err(&self, at: TextSize, e: impl Into<EvalFailure>) -> PythonError {
        let (line, column) = self.pos(at);
        match e.into() {
            EvalFailure::Graph(GraphError::Limit(l)) => PythonError::Limit(l.at(line, column)),
            source => PythonError::Eval {
                line,
                column: Some(column),
                source,
            },
        }
    }

    /// Counts one unit of work (a statement, an iteration, a comprehension item).
    fn tick(&mut self, construct: &str, at: TextSize) -> Result<(), PythonError> {
        self.work += 1;
        if self.work > MAX_WORK {
            return Err(self.runaway(
                construct,
                format!("the program runs more than {MAX_WORK} statements once its loops are unrolled; Graft stops there (use smaller loop counts)"),
                at,
            ));
        }
        Ok(())
    }

    /// The graph's node limit crossed while unrolling a loop: said as the loop's fault.
    fn too_big(&self, construct: &str, e: PythonError, at: TextSize) -> PythonError {
        match e {
            PythonError::Limit(l) if l.limit == Limit::Nodes => self.runaway(
                construct,
                format!("unrolling it makes more than {} nodes (the graph limit); Graft stops there (does the loop end? use fewer iterations or a formula)", crate::limits::MAX_NODES),
                at,
            ),
            e => e,
        }
    }

    fn check_import(&self, imp: &ast::StmtImport) -> Result<(), PythonError> {
        for alias in &imp.names {
            if alias.name.id.as_str() != "math" || alias.asname.is_some() {
                return Err(self.unsupported(
                    format!(
                        "import of `{}` (only `import math`)",
                        alias.name.id.as_str()
                    ),
                    alias.start(),
                ));
            }
        }
        Ok(())
    }

    fn define(&mut self, f: &'s ast::StmtFunctionDef) {
        let name = f.name.id.as_str();
        match self.funcs.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = f,
            None => self.funcs.push((name, f)),
        }
    }

    fn func(&self, name: &str) -> Option<&'s ast::StmtFunctionDef> {
        self.funcs.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }

    /// The answer node of a finished `solution()` (or top-level program).
    fn answer_of(&mut self, flow: Flow, def_at: TextSize) -> Result<NodeId, PythonError> {
        let missing = || PythonError::MissingReturn {
            line: line_col(self.src, u32::from(def_at)).0,
        };
        match flow {
            Flow::Return(Val::Node(id)) => Ok(id),
            Flow::Return(Val::Lit(v)) => self
                .b
                .step("result", Expr::Lit(v), vec![])
                .map_err(|e| self.eval_err(def_at, e)),
            Flow::Return(Val::List(_)) => Err(self.invalid(
                "solution() returns a list; return a number (e.g. `return sum(items)`)",
                def_at,
            )),
            Flow::Return(Val::Text) => {
                Err(self.invalid("solution() returns a string; return a number", def_at))
            }
            Flow::Return(_) | Flow::Next | Flow::Break | Flow::Continue => Err(missing()),
        }
    }

    /// Runs statements until one returns, breaks or continues.
    fn block(&mut self, body: &'s [ast::Stmt]) -> Result<Flow, PythonError> {
        for stmt in body {
            self.tick("statement", stmt.start())?;
            match self.stmt(stmt)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn stmt(&mut self, stmt: &'s ast::Stmt) -> Result<Flow, PythonError> {
        match stmt {
            ast::Stmt::Assign(a) => {
                let (first, more) = a
                    .targets
                    .split_first()
                    .ok_or_else(|| self.unsupported("assignment without a target", a.start()))?;
                self.assign_to(first, &a.value, stmt)?;
                if !more.is_empty() {
                    // `a = b = 0`: every name holds the first one's value.
                    let ast::Expr::Name(n) = first else {
                        return Err(
                            self.unsupported("chained assignment to this target", first.start())
                        );
                    };
                    let v = self.lookup(n.id.as_str(), n.start())?.clone();
                    for t in more {
                        match t {
                            ast::Expr::Name(m) => self.bind(m.id.as_str(), v.clone()),
                            _ => {
                                return Err(self
                                    .unsupported("chained assignment to this target", t.start()))
                            }
                        }
                    }
                }
            }
            ast::Stmt::AnnAssign(a) => match &a.value {
                Some(v) => self.assign_to(&a.target, v, stmt)?,
                None => return Err(self.unsupported("annotation without a value", a.start())),
            },
            ast::Stmt::AugAssign(a) => self.aug_assign(a, stmt)?,
            ast::Stmt::If(i) => return self.if_stmt(i),
            ast::Stmt::For(f) => {
                if f.is_async || !f.orelse.is_empty() {
                    let what = if f.is_async { "async for" } else { "for-else" };
                    return Err(self.unsupported(what, f.start()));
                }
                self.loops += 1;
                let r = self.for_loop(f);
                self.loops -= 1;
                return r.map_err(|e| self.too_big("for loop", e, f.start()));
            }
            ast::Stmt::While(w) => {
                if !w.orelse.is_empty() {
                    return Err(self.unsupported("while-else", w.start()));
                }
                self.loops += 1;
                let r = self.while_loop(w);
                self.loops -= 1;
                return r.map_err(|e| self.too_big("while loop", e, w.start()));
            }
            ast::Stmt::Break(_) | ast::Stmt::Continue(_) => {
                if self.loops == 0 {
                    return Err(self
                        .unsupported(format!("{} outside a loop", stmt_name(stmt)), stmt.start()));
                }
                return Ok(match stmt {
                    ast::Stmt::Break(_) => Flow::Break,
                    _ => Flow::Continue,
                });
            }
            ast::Stmt::Return(r) => {
                let Some(value) = &r.value else {
                    return Err(PythonError::MissingReturn {
                        line: self.pos(r.start()).0,
                    });
                };
                let v = match &**value {
                    ast::Expr::Name(n) => self.lookup(n.id.as_str(), n.start())?.clone(),
                    _ if self.depth == 0 => {
                        let marker = self.marker(stmt)?;
                        match self.non_scalar(value, "result", &marker)? {
                            Some(v) => v,
                            None => Val::Node(self.assign("result", value, stmt, marker)?),
                        }
                    }
                    _ => {
                        let name = self.ret_name.clone();
                        self.eval_val(value, &name)?
                    }
                };
                return Ok(Flow::Return(v));
            }
            ast::Stmt::Expr(e) => self.expr_stmt(&e.value, stmt)?,
            ast::Stmt::Pass(_) => {}
            ast::Stmt::Import(imp) => self.check_import(imp)?,
            ast::Stmt::FunctionDef(f) => self.define(f),
            other => return Err(self.unsupported(stmt_name(other), other.start())),
        }
        Ok(Flow::Next)
    }

    /// A call or docstring used as a statement.
    fn expr_stmt(&mut self, e: &'s ast::Expr, stmt: &'s ast::Stmt) -> Result<(), PythonError> {
        let ast::Expr::Call(c) = e else {
            return match e {
                ast::Expr::StringLiteral(_) => Ok(()),
                _ => Err(self.unsupported(stmt_name(stmt), stmt.start())),
            };
        };
        match &*c.func {
            // Printing does not change the answer.
            ast::Expr::Name(n) if n.id.as_str() == "print" && self.func("print").is_none() => {
                Ok(())
            }
            ast::Expr::Name(n) if self.func(n.id.as_str()).is_some() => {
                self.call_fn(c, n.id.as_str()).map(drop)
            }
            ast::Expr::Attribute(a) => {
                let ast::Expr::Name(list) = &*a.value else {
                    return Err(self.unsupported(stmt_name(stmt), stmt.start()));
                };
                let name = list.id.as_str();
                let method = a.attr.id.as_str();
                if !matches!(method, "append" | "extend") {
                    return Err(self.unsupported(
                        format!("method call `{name}.{method}()` (lists: append, extend)"),
                        c.start(),
                    ));
                }
                let mut items = match self.lookup(name, list.start())? {
                    Val::List(items) => items.clone(),
                    _ => {
                        return Err(self.invalid(
                            format!("`{name}` is not a list, so it has no `{method}()`"),
                            c.start(),
                        ))
                    }
                };
                if let Some(k) = c.arguments.keywords.first() {
                    return Err(self.unsupported("keyword arguments", k.start()));
                }
                let [arg] = &*c.arguments.args else {
                    return Err(
                        self.invalid(format!("{method}() takes exactly one argument"), c.start())
                    );
                };
                if method == "append" {
                    let v = self.eval_val(arg, &format!("{name}_{}", items.len()))?;
                    self.release(name);
                    Rc::make_mut(&mut items).push(v);
                } else {
                    let more = self.iter_vals(arg, name)?;
                    self.release(name);
                    Rc::make_mut(&mut items).extend(more);
                }
                self.bind(name, Val::List(items));
                Ok(())
            }
            _ => Err(self.unsupported(stmt_name(stmt), stmt.start())),
        }
    }

    /// `target = value` for a name, a tuple of names, or a list item.
    fn assign_to(
        &mut self,
        target: &'s ast::Expr,
        value: &'s ast::Expr,
        stmt: &'s ast::Stmt,
    ) -> Result<(), PythonError> {
        match target {
            ast::Expr::Name(n) => {
                let name = n.id.as_str();
                let marker = self.marker(stmt)?;
                match self.non_scalar(value, name, &marker)? {
                    Some(v) => self.bind(name, v),
                    None => {
                        self.assign(name, value, stmt, marker)?;
                    }
                }
                Ok(())
            }
            ast::Expr::Tuple(ast::ExprTuple { elts, .. })
            | ast::Expr::List(ast::ExprList { elts, .. }) => {
                let mut names = Vec::with_capacity(elts.len());
                for e in elts {
                    match e {
                        ast::Expr::Name(n) => names.push(n.id.as_str()),
                        _ => return Err(self.unsupported("nested unpacking target", e.start())),
                    }
                }
                // All values first, then the names (so that `a, b = b, a` swaps).
                let vals = match value {
                    ast::Expr::Tuple(ast::ExprTuple { elts: vs, .. })
                    | ast::Expr::List(ast::ExprList { elts: vs, .. })
                        if vs.len() == names.len() =>
                    {
                        let mut vals = Vec::with_capacity(vs.len());
                        for (v, n) in vs.iter().zip(&names) {
                            vals.push(self.eval_val(v, n)?);
                        }
                        vals
                    }
                    _ => {
                        let vals = self.iter_vals(value, names[0])?;
                        if vals.len() != names.len() {
                            return Err(self.invalid(
                                format!(
                                    "cannot unpack {} values into {} names",
                                    vals.len(),
                                    names.len()
                                ),
                                value.start(),
                            ));
                        }
                        vals
                    }
                };
                for (n, v) in names.into_iter().zip(vals) {
                    self.bind(n, v);
                }
                Ok(())
            }
            ast::Expr::Subscript(s) => self.assign_item(s, value, None, stmt),
            _ => Err(self.unsupported(
                format!("assignment to {}", expr_name(target)),
                target.start(),
            )),
        }
    }

    /// `list[i] = value` (or `list[i] op= value` when `op` is given).
    fn assign_item(
        &mut self,
        s: &'s ast::ExprSubscript,
        value: &'s ast::Expr,
        op: Option<BinOp>,
        stmt: &'s ast::Stmt,
    ) -> Result<(), PythonError> {
        let ast::Expr::Name(n) = &*s.value else {
            return Err(self.unsupported("assignment into this subscript", s.start()));
        };
        let name = n.id.as_str();
        let mut items = match self.lookup(name, n.start())? {
            Val::List(items) => items.clone(),
            _ => return Err(self.invalid(format!("`{name}` is not a list"), s.start())),
        };
        let k = self.index(&s.slice, items.len(), name)?;
        let elem = format!("{name}_{k}");
        let new = match op {
            None => self.eval_val(value, &elem)?,
            Some(op) => {
                let mut ops = Operands::new(&elem);
                let left = self.val_expr(items[k].clone(), &mut ops, s.start())?;
                let right = self.lower(value, &mut ops)?;
                let id = self
                    .b
                    .step(&elem, Expr::bin(op, left, right), ops.ids)
                    .map_err(|e| self.eval_err(value.start(), e))?;
                let text = self.line_text(stmt.start());
                self.b.set_text(id, text);
                Val::Node(id)
            }
        };
        self.release(name);
        Rc::make_mut(&mut items)[k] = new;
        self.bind(name, Val::List(items));
        Ok(())
    }

    fn aug_assign(
        &mut self,
        a: &'s ast::StmtAugAssign,
        stmt: &'s ast::Stmt,
    ) -> Result<(), PythonError> {
        let op = self.bin_op(a.op, a.start())?;
        let name = match &*a.target {
            ast::Expr::Name(n) => n.id.as_str(),
            ast::Expr::Subscript(s) => return self.assign_item(s, &a.value, Some(op), stmt),
            t => return Err(self.unsupported(format!("assignment to {}", expr_name(t)), t.start())),
        };
        if let Val::List(items) = self.lookup(name, a.target.start())? {
            // `items += [x, y]`
            if op != BinOp::Add {
                return Err(self.unsupported("this operator on a list", a.start()));
            }
            let mut items = items.clone();
            let more = self.iter_vals(&a.value, name)?;
            self.release(name);
            Rc::make_mut(&mut items).extend(more);
            self.bind(name, Val::List(items));
            return Ok(());
        }
        let mut ops = Operands::new(name);
        let prev = self.lookup(name, a.target.start())?.clone();
        let left = self.val_expr(prev, &mut ops, a.target.start())?;
        let right = self.lower(&a.value, &mut ops)?;
        let text = self.line_text(stmt.start());
        let id = self
            .b
            .step(name, Expr::bin(op, left, right), ops.ids)
            .map_err(|e| self.eval_err(a.value.start(), e))?;
        self.b.set_text(id, text);
        self.bind(name, Val::Node(id));
        Ok(())
    }

    /// The value of a name, or the error that it has none. A name assigned in only some arms
    /// of an `if` has the value of the path taken, which makes that `if` structural.
    fn lookup(&mut self, name: &str, at: TextSize) -> Result<&Val, PythonError> {
        if let Some(Val::Unset {
            if_line,
            taken,
            cond,
        }) = self.scope.get(name)
        {
            let (if_line, taken, cond) = (*if_line, taken.clone(), cond.clone());
            let Some(v) = taken else {
                let (line, column) = self.pos(at);
                return Err(PythonError::NoValueInArm {
                    name: name.to_string(),
                    line,
                    column,
                    if_line,
                });
            };
            let line = self.pos(at).0;
            self.taint_with(
                &cond,
                &format!("the if at line {if_line} assigns `{name}` in only some arms and line {line} reads it"),
            );
            if let Some(slot) = self.scope.0.iter_mut().rev().find(|(n, _)| *n == name) {
                slot.1 = (*v).clone();
            }
        }
        match self.scope.get(name) {
            Some(v) => Ok(v),
            None => {
                let (line, column) = self.pos(at);
                Err(PythonError::Undefined {
                    name: name.to_string(),
                    line,
                    column,
                })
            }
        }
    }

    /// The node a name holds (for `args` markers and proxies).
    fn read(&mut self, name: &str, at: TextSize) -> Result<NodeId, PythonError> {
        match self.lookup(name, at)? {
            Val::Node(id) => Ok(*id),
            _ => Err(self.invalid(format!("`{name}` holds no computed number here"), at)),
        }
    }

    /// Drops the scope's hold on a list about to be changed and bound again, so that the
    /// change does not copy it (appending in a loop stays linear).
    fn release(&mut self, name: &str) {
        if let Some(slot) = self.scope.0.iter_mut().rev().find(|(n, _)| *n == name) {
            slot.1 = Val::None;
        }
    }

    fn bind(&mut self, name: &'s str, v: Val) {
        if let Val::Node(id) = v {
            self.last = Some(id);
        }
        self.bind_var(name, v);
    }

    /// Binds without making the name the program's last assignment (loop variables).
    fn bind_var(&mut self, name: &'s str, v: Val) {
        self.scope.insert(name, v);
        self.log.push(name);
    }

    /// Binds a loop or comprehension target (`x`, `i, x`, `(a, b)`).
    fn bind_target(&mut self, t: &'s ast::Expr, v: Val) -> Result<(), PythonError> {
        match t {
            ast::Expr::Name(n) => {
                self.bind_var(n.id.as_str(), v);
                Ok(())
            }
            ast::Expr::Tuple(ast::ExprTuple { elts, .. })
            | ast::Expr::List(ast::ExprList { elts, .. }) => match v {
                Val::List(items) if items.len() == elts.len() => {
                    for (e, v) in elts.iter().zip(items.iter()) {
                        self.bind_target(e, v.clone())?;
                    }
                    Ok(())
                }
                _ => Err(self.invalid(
                    format!("cannot unpack this item into {} names", elts.len()),
                    t.start(),
                )),
            },
            _ => Err(self.unsupported(format!("loop target {}", expr_name(t)), t.start())),
        }
    }

    /// The trimmed source line at `offset`, without a `# graft:` marker.
    fn line_text(&self, offset: TextSize) -> String {
        let off = (u32::from(offset) as usize).min(self.src.len());
        // The line's ends by `memchr` (`str::find` of a char) where the offset allows it.
        let (s, e) = match (self.src.get(..off), self.src.get(off..)) {
            (Some(before), Some(after)) => (
                line_start(before),
                after.find('\n').map_or(self.src.len(), |i| off + i),
            ),
            _ => line_bounds(self.src, off),
        };
        let line = &self.src[s..e];
        // No `#` in the line when the program's first `#` is past it (most programs have none).
        let line = match e > self.first_hash && line.as_bytes().contains(&b'#') {
            true => line.find("# graft:").map_or(line, |i| &line[..i]),
            false => line,
        };
        trim(line).to_string()
    }

    /// The `# graft:` marker after a statement, if any.
    fn marker(&self, stmt: &ast::Stmt) -> Result<Marker<'s>, PythonError> {
        let end = (u32::from(stmt.end()) as usize).min(self.src.len());
        // The usual case first: the line ends right after the statement.
        if matches!(self.src.as_bytes().get(end), None | Some(b'\n')) {
            return Ok(Marker::None);
        }
        let after: &'s str = self.src.get(end..).unwrap_or("");
        let rest = after.find('\n').map_or(after, |i| &after[..i]);
        // A marker is a comment right after the statement, nothing else between.
        let Some(hash) = rest.find('#').filter(|&h| rest[..h].trim().is_empty()) else {
            return Ok(Marker::None);
        };
        let comment = rest[hash + 1..].trim_start();
        let Some(body) = comment.strip_prefix("graft:") else {
            return Ok(Marker::None);
        };
        let line = self.pos(stmt.start()).0;
        let bad = |message: String| PythonError::BadMarker { message, line };
        let mut words = body
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty());
        Ok(match words.next() {
            Some("input") => match words.next() {
                None => Marker::Input(None),
                Some(w) => {
                    let span = w
                        .split_once("..")
                        .and_then(|(a, b)| {
                            Some(Span {
                                start: a.parse().ok()?,
                                end: b.parse().ok()?,
                            })
                        })
                        .ok_or_else(|| bad(format!("`{w}` is not a span like 22..24")))?;
                    Marker::Input(Some(span))
                }
            },
            Some("constant") => Marker::Constant(
                body.split_once("structural:")
                    .map(|(_, why)| why.trim())
                    .filter(|why| !why.is_empty()),
            ),
            Some("proxy") => Marker::Proxy,
            Some("step") => Marker::Step,
            Some("args") => Marker::Args(words.collect()),
            Some(w) => {
                return Err(bad(format!(
                    "unknown kind `{w}` (input, constant, proxy, step, args)"
                )))
            }
            None => return Err(bad("empty marker".into())),
        })
    }

    /// The value of `name = value` when it is not one scalar node: `None`, a list, or the
    /// value a helper call returns. `None` when `value` is an ordinary expression.
    fn non_scalar(
        &mut self,
        value: &'s ast::Expr,
        name: &str,
        marker: &Marker<'s>,
    ) -> Result<Option<Val>, PythonError> {
        if !matches!(marker, Marker::None) {
            return Ok(None);
        }
        Ok(match value {
            ast::Expr::NoneLiteral(_) => Some(Val::None),
            ast::Expr::StringLiteral(_) | ast::Expr::FString(_) => Some(Val::Text),
            ast::Expr::Name(n) => match self.lookup(n.id.as_str(), n.start())? {
                v @ (Val::List(_) | Val::None | Val::Text) => Some(v.clone()),
                _ => None,
            },
            ast::Expr::Call(c) if self.helper_call(c).is_some() => Some(self.call_fn(c, name)?),
            _ if is_list_syntax(value, &self.scope) => {
                Some(Val::List(Rc::new(self.iter_vals(value, name)?)))
            }
            ast::Expr::Subscript(s) => match self.subscript(s)? {
                v @ (Val::List(_) | Val::None | Val::Text) => Some(v),
                _ => None,
            },
            _ => None,
        })
    }

    /// Adds the input `name = value` (the value an override gives it, if any; its span is
    /// still where the question states the literal).
    fn new_input(&mut self, name: &str, value: Number, span: Option<Span>) -> NodeId {
        let created = self.b.len() as u32;
        let value = self
            .overrides
            .iter()
            .rev()
            .find(|o| o.created == created)
            .map_or(value, |o| o.value);
        self.b.input(name, value, span)
    }

    /// The helper function `c` calls, if it calls one.
    fn helper_call(&self, c: &ast::ExprCall) -> Option<&'s ast::StmtFunctionDef> {
        match &*c.func {
            ast::Expr::Name(n) => self.func(n.id.as_str()),
            _ => None,
        }
    }

    /// The value of an expression, a new node named `name` when it computes something.
    fn eval_val(&mut self, e: &'s ast::Expr, name: &str) -> Result<Val, PythonError> {
        if let Some(v) = literal_value(self.src, e) {
            let span = self.find_span(v);
            let id = self.new_input(name, v, span);
            let text = self.line_text(e.start());
            self.b.set_text(id, text);
            return Ok(Val::Node(id));
        }
        Ok(match e {
            ast::Expr::Name(n) => self.lookup(n.id.as_str(), n.start())?.clone(),
            ast::Expr::NoneLiteral(_) => Val::None,
            ast::Expr::StringLiteral(_) | ast::Expr::FString(_) => Val::Text,
            ast::Expr::Call(c) if self.helper_call(c).is_some() => self.call_fn(c, name)?,
            ast::Expr::Subscript(s) if !matches!(&*s.slice, ast::Expr::Slice(_)) => {
                self.subscript(s)?
            }
            _ if is_list_syntax(e, &self.scope) => Val::List(Rc::new(self.iter_vals(e, name)?)),
            _ => Val::Node(self.make_node(name, e)?),
        })
    }

    /// A step or branch node `name = value` (not bound).
    fn make_node(&mut self, name: &str, value: &'s ast::Expr) -> Result<NodeId, PythonError> {
        let mut ops = Operands::new(name);
        let kind = match value {
            _ if is_conditional(value) => self.branch_kind(value, &mut ops)?,
            _ => NodeKind::Step {
                expr: self.lower(value, &mut ops)?,
            },
        };
        let id = self
            .b
            .op(name, kind, ops.ids)
            .map_err(|e| self.eval_err(value.start(), e))?;
        let text = self.line_text(value.start());
        self.b.set_text(id, text);
        Ok(id)
    }

    /// Adds the node for `name = value` and binds it.
    fn assign(
        &mut self,
        name: &'s str,
        value: &'s ast::Expr,
        stmt: &'s ast::Stmt,
        marker: Marker<'s>,
    ) -> Result<NodeId, PythonError> {
        let text = self.line_text(stmt.start());
        let id = match marker {
            Marker::None | Marker::Args(_) | Marker::Step => {
                let literal = if matches!(marker, Marker::None) {
                    literal_value(self.src, value)
                } else {
                    None
                };
                if let Some(v) = literal {
                    let span = self.find_span(v);
                    self.new_input(name, v, span)
                } else {
                    let mut ops = Operands::new(name);
                    if let Marker::Args(names) = &marker {
                        for n in names {
                            let id = self.read(n, stmt.start())?;
                            ops.ids.push(id);
                        }
                        ops.fixed = true;
                    }
                    let kind = match value {
                        _ if is_conditional(value) => self.branch_kind(value, &mut ops)?,
                        _ => NodeKind::Step {
                            expr: self.lower(value, &mut ops)?,
                        },
                    };
                    self.b
                        .op(name, kind, ops.ids)
                        .map_err(|e| self.eval_err(value.start(), e))?
                }
            }
            Marker::Input(span) => {
                let v = self.literal_expr(value)?;
                self.new_input(name, v, span)
            }
            Marker::Constant(note) => {
                let v = self.literal_expr(value)?;
                let id = self.b.constant(name, v);
                if let Some(why) = note {
                    self.b.set_text(id, format!("{text}  {STRUCTURAL}{why}"));
                    self.bind(name, Val::Node(id));
                    return Ok(id);
                }
                id
            }
            Marker::Proxy => {
                let ast::Expr::BinOp(bin) = value else {
                    return Err(self.bad_marker(stmt, "a proxy line must read `t op k`"));
                };
                let ast::Expr::Name(t) = &*bin.left else {
                    return Err(self.bad_marker(stmt, "a proxy's left operand must be a variable"));
                };
                let op = match bin.op {
                    ast::Operator::Add => ProxyOp::Add,
                    ast::Operator::Sub => ProxyOp::Sub,
                    ast::Operator::Mult => ProxyOp::Mul,
                    ast::Operator::Div => ProxyOp::Div,
                    _ => return Err(self.bad_marker(stmt, "a proxy's operator must be + - * or /")),
                };
                let k = self.literal_expr(&bin.right)?;
                let t = self.read(t.id.as_str(), t.start())?;
                self.b
                    .op(
                        name,
                        NodeKind::Proxy {
                            f: ProxyFn { op, k },
                        },
                        vec![t],
                    )
                    .map_err(|e| self.eval_err(value.start(), e))?
            }
        };
        self.b.set_text(id, text);
        self.bind(name, Val::Node(id));
        Ok(id)
    }

    fn bad_marker(&self, stmt: &ast::Stmt, message: &str) -> PythonError {
        PythonError::BadMarker {
            message: message.into(),
            line: self.pos(stmt.start()).0,
        }
    }

    /// Evaluates an expression made of literals only (for marked lines).
    fn literal_expr(&mut self, value: &'s ast::Expr) -> Result<Number, PythonError> {
        let mut ops = Operands {
            ids: Vec::new(),
            fixed: true,
            target: "",
        };
        let e = self.lower(value, &mut ops).map_err(|err| match err {
            PythonError::Undefined { line, .. } => PythonError::BadMarker {
                message: "this marked line must hold a number, not variables".into(),
                line,
            },
            other => other,
        })?;
        e.eval(&[]).map_err(|err| self.eval_err(value.start(), err))
    }

    /// The span of the first unused occurrence of `v` in the question.
    fn find_span(&mut self, v: Number) -> Option<Span> {
        let q = self.qnums.iter_mut().find(|q| !q.used && q.value == v)?;
        q.used = true;
        Some(Span {
            start: q.start,
            end: q.end,
        })
    }

    /// Marks every input the nodes `ids` depend on as structural, because of `why` at `at`.
    fn taint(&mut self, ids: &[NodeId], why: &str, at: TextSize) {
        if ids.is_empty() {
            return;
        }
        let line = self.pos(at).0;
        self.taint_with(ids, &format!("{why} at line {line} reads it"));
    }

    /// Marks every input the nodes `ids` depend on as structural, for `reason`.
    fn taint_with(&mut self, ids: &[NodeId], reason: &str) {
        if self.tainted.len() < self.b.len() {
            self.tainted.resize(self.b.len(), false);
        }
        let mut stack = ids.to_vec();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut self.tainted[id.index()], true) {
                continue;
            }
            let node = self.b.node(id);
            match node.kind {
                NodeKind::Input { .. } => self.structural.push((id, reason.to_string())),
                _ => stack.extend(node.operands.iter().copied()),
            }
        }
    }

    /// The value of `e` now, decided while reading (a structural decision, see the module docs).
    fn static_value(&mut self, e: &'s ast::Expr, why: &str) -> Result<Number, PythonError> {
        let mut ops = Operands::new("condition");
        let ex = self.lower(e, &mut ops)?;
        let args: Vec<Number> = ops.ids.iter().map(|&i| self.b.value(i)).collect();
        let v = ex
            .eval(&args)
            .map_err(|err| self.eval_err(e.start(), err))?;
        self.taint(&ops.ids, why, e.start());
        Ok(v)
    }

    /// Whether condition `e` holds now, decided while reading.
    fn static_cond(&mut self, e: &'s ast::Expr, why: &str) -> Result<bool, PythonError> {
        let mut ops = Operands::new("condition");
        let c = self.cond(e, &mut ops)?;
        let args: Vec<Number> = ops.ids.iter().map(|&i| self.b.value(i)).collect();
        let v = c.eval(&args).map_err(|err| self.eval_err(e.start(), err))?;
        self.taint(&ops.ids, why, e.start());
        Ok(v)
    }

    /// A whole number decided while reading (a range bound, an index).
    fn static_int(&mut self, e: &'s ast::Expr, why: &str) -> Result<i128, PythonError> {
        let v = self.static_value(e, why)?;
        v.to_integer().ok_or_else(|| {
            self.invalid(format!("{why} must be a whole number, not {v}"), e.start())
        })
    }

    /// Position `k` of an index expression into a list of `len` items.
    fn index(&mut self, e: &'s ast::Expr, len: usize, name: &str) -> Result<usize, PythonError> {
        let i = self.static_int(e, "a list index")?;
        let k = if i < 0 { i + len as i128 } else { i };
        if k < 0 || k >= len as i128 {
            return Err(self.invalid(
                format!("list index {i} is out of range: `{name}` has {len} items"),
                e.start(),
            ));
        }
        Ok(k as usize)
    }

    /// `list[i]` (an item), or `list[a:b]` (a list).
    fn subscript(&mut self, s: &'s ast::ExprSubscript) -> Result<Val, PythonError> {
        let name = match &*s.value {
            ast::Expr::Name(n) => n.id.as_str(),
            _ => "the list",
        };
        let items = match &*s.value {
            ast::Expr::Name(n) => match self.lookup(name, n.start())? {
                Val::List(items) => items.clone(),
                _ => {
                    return Err(self.invalid(
                        format!("`{name}` is a number, not a list; it cannot be indexed"),
                        s.start(),
                    ))
                }
            },
            other => Rc::new(self.iter_vals(other, "item")?),
        };
        if let ast::Expr::Slice(sl) = &*s.slice {
            return Ok(Val::List(Rc::new(self.slice(&items, sl)?)));
        }
        let k = self.index(&s.slice, items.len(), name)?;
        Ok(items[k].clone())
    }

    /// The items of `items[lower:upper:step]`.
    fn slice(&mut self, items: &[Val], sl: &'s ast::ExprSlice) -> Result<Vec<Val>, PythonError> {
        let len = items.len() as i128;
        let step = match &sl.step {
            Some(e) => self.static_int(e, "a slice step")?,
            None => 1,
        };
        if step == 0 {
            return Err(self.invalid("slice step cannot be zero", sl.start()));
        }
        let bound = |v: i128, lo: i128, hi: i128| {
            let v = if v < 0 { v + len } else { v };
            v.clamp(lo, hi)
        };
        let (lo, hi) = if step > 0 { (0, len) } else { (-1, len - 1) };
        let start = match &sl.lower {
            Some(e) => bound(self.static_int(e, "a slice bound")?, lo, hi),
            None if step > 0 => 0,
            None => len - 1,
        };
        let stop = match &sl.upper {
            Some(e) => bound(self.static_int(e, "a slice bound")?, lo, hi),
            None if step > 0 => len,
            None => -1,
        };
        let mut out = Vec::new();
        let mut i = start;
        while (step > 0 && i < stop) || (step < 0 && i > stop) {
            out.push(items[i as usize].clone());
            match i.checked_add(step) {
                Some(next) => i = next,
                None => break,
            }
        }
        Ok(out)
    }

    /// Counts `n` units of work at once (items of a list copied or summed).
    fn charge(&mut self, n: usize, at: TextSize) -> Result<(), PythonError> {
        self.work = self.work.saturating_add(n.saturating_sub(1));
        self.tick("list", at)
    }

    /// The items of an iterable expression; literals in a list become inputs `hint_0`, ….
    fn iter_vals(&mut self, e: &'s ast::Expr, hint: &str) -> Result<Vec<Val>, PythonError> {
        let out = self.iter_vals_uncharged(e, hint)?;
        self.charge(out.len(), e.start())?;
        Ok(out)
    }

    fn iter_vals_uncharged(
        &mut self,
        e: &'s ast::Expr,
        hint: &str,
    ) -> Result<Vec<Val>, PythonError> {
        match e {
            ast::Expr::List(ast::ExprList { elts, .. })
            | ast::Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                let mut out = Vec::with_capacity(elts.len());
                for (k, x) in elts.iter().enumerate() {
                    if matches!(x, ast::Expr::Starred(_)) {
                        return Err(self.unsupported("starred item", x.start()));
                    }
                    out.push(self.eval_val(x, &format!("{hint}_{k}"))?);
                }
                Ok(out)
            }
            ast::Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            })
            | ast::Expr::Generator(ast::ExprGenerator {
                elt, generators, ..
            }) => {
                let mut out = Vec::new();
                self.comprehension(generators, &mut |it: &mut Self| {
                    let v = it.eval_val(elt, &format!("{hint}_{}", out.len()))?;
                    out.push(v);
                    Ok(())
                })?;
                Ok(out)
            }
            ast::Expr::Name(n) => match self.lookup(n.id.as_str(), n.start())? {
                Val::List(items) => Ok(items.to_vec()),
                _ => Err(self.invalid(
                    format!(
                        "`{}` is a number, not a list; it cannot be looped over",
                        n.id
                    ),
                    e.start(),
                )),
            },
            ast::Expr::Subscript(s) => match self.subscript(s)? {
                Val::List(items) => Ok(items.to_vec()),
                _ => Err(self.invalid("this item is a number, not a list", e.start())),
            },
            ast::Expr::BinOp(b) if b.op == ast::Operator::Add => {
                let mut out = self.iter_vals(&b.left, hint)?;
                out.extend(self.iter_vals(&b.right, hint)?);
                Ok(out)
            }
            ast::Expr::Call(c) => self.iter_call(c, hint),
            other => {
                Err(self.unsupported(format!("looping over {}", expr_name(other)), other.start()))
            }
        }
    }

    /// `range(…)`, `enumerate(…)`, `zip(…)`, `list(…)`, `sorted(…)`, `reversed(…)`.
    fn iter_call(&mut self, c: &'s ast::ExprCall, hint: &str) -> Result<Vec<Val>, PythonError> {
        let fname = match &*c.func {
            ast::Expr::Name(n) if self.func(n.id.as_str()).is_none() => n.id.as_str(),
            _ => {
                return match self.helper_call(c) {
                    Some(_) => match self.call_fn(c, hint)? {
                        Val::List(items) => Ok(items.to_vec()),
                        _ => Err(self.invalid("this call returns a number, not a list", c.start())),
                    },
                    None => Err(self.unsupported("looping over this call", c.start())),
                }
            }
        };
        let args = &c.arguments.args;
        let mut reverse = false;
        for k in &c.arguments.keywords {
            match (fname, k.arg.as_ref().map(|a| a.id.as_str())) {
                ("sorted", Some("reverse")) => {
                    reverse = self.static_cond(&k.value, "sorted()'s reverse")?;
                }
                ("enumerate", Some("start")) => {}
                _ => return Err(self.unsupported("keyword arguments", k.start())),
            }
        }
        let one = |it: &Self| match &**args {
            [a] => Ok(a),
            _ => Err(it.invalid(format!("{fname}() takes one argument here"), c.start())),
        };
        match fname {
            "range" => self.range(c),
            "list" => self.iter_vals(one(self)?, hint),
            "reversed" => {
                let mut v = self.iter_vals(one(self)?, hint)?;
                v.reverse();
                Ok(v)
            }
            "sorted" => {
                let items = self.iter_vals(one(self)?, hint)?;
                let mut keyed = Vec::with_capacity(items.len());
                let mut ids = Vec::new();
                for v in items {
                    let key = match &v {
                        Val::Node(id) => {
                            ids.push(*id);
                            self.b.value(*id)
                        }
                        Val::Lit(x) => *x,
                        _ => {
                            return Err(
                                self.invalid("sorted() of items that are not numbers", c.start())
                            )
                        }
                    };
                    keyed.push((key, v));
                }
                self.taint(&ids, "sorted()", c.start());
                keyed.sort_by_key(|k| k.0);
                if reverse {
                    keyed.reverse();
                }
                Ok(keyed.into_iter().map(|(_, v)| v).collect())
            }
            "enumerate" => {
                let start = match c.arguments.keywords.first() {
                    Some(k) => self.static_int(&k.value, "enumerate()'s start")?,
                    None => 0,
                };
                let items = self.iter_vals(one(self)?, hint)?;
                let mut out = Vec::with_capacity(items.len());
                for (k, v) in items.into_iter().enumerate() {
                    let Some(i) = start.checked_add(k as i128) else {
                        return Err(self.invalid("enumerate()'s start is too large", c.start()));
                    };
                    out.push(Val::List(Rc::new(vec![Val::Lit(Number::int(i)), v])));
                }
                Ok(out)
            }
            "zip" => {
                let mut cols = Vec::with_capacity(args.len());
                for a in args.iter() {
                    cols.push(self.iter_vals(a, hint)?);
                }
                let n = cols.iter().map(Vec::len).min().unwrap_or(0);
                Ok((0..n)
                    .map(|k| Val::List(Rc::new(cols.iter().map(|c| c[k].clone()).collect())))
                    .collect())
            }
            other => Err(self.unsupported(format!("looping over {other}()"), c.start())),
        }
    }

    /// The numbers of `range(…)`, at most [`MAX_LOOP_ITERATIONS`] of them.
    fn range(&mut self, c: &'s ast::ExprCall) -> Result<Vec<Val>, PythonError> {
        let mut v = [0i128; 3];
        let args = &c.arguments.args;
        if args.is_empty() || args.len() > 3 {
            return Err(self.invalid(
                format!("range() takes 1 to 3 arguments, got {}", args.len()),
                c.start(),
            ));
        }
        for (k, a) in args.iter().enumerate() {
            v[k] = self.static_int(a, "a range() bound")?;
        }
        let (start, stop, step) = match args.len() {
            1 => (0, v[0], 1),
            2 => (v[0], v[1], 1),
            _ => (v[0], v[1], v[2]),
        };
        if step == 0 {
            return Err(self.invalid("range() step must not be zero", c.start()));
        }
        let span = if step > 0 {
            stop.checked_sub(start)
        } else {
            start.checked_sub(stop)
        };
        let count = match span {
            Some(s) if s <= 0 => 0,
            Some(s) => {
                let st = step.unsigned_abs();
                (s.unsigned_abs() - 1) / st + 1
            }
            None => u128::MAX,
        };
        if count > MAX_LOOP_ITERATIONS as u128 {
            return Err(self.runaway(
                "range()",
                format!("it has {count} numbers; Graft unrolls at most {MAX_LOOP_ITERATIONS} iterations of a loop (use a smaller count, or a formula)"),
                c.start(),
            ));
        }
        Ok((0..count as i128)
            .map(|k| Val::Lit(Number::int(start + k * step)))
            .collect())
    }

    /// Runs the generators of a comprehension, calling `each` once per item that passes the
    /// filters; the comprehension's variables do not leak out.
    fn comprehension(
        &mut self,
        gens: &'s [ast::Comprehension],
        each: &mut dyn FnMut(&mut Self) -> Result<(), PythonError>,
    ) -> Result<(), PythonError> {
        let saved = self.scope.clone();
        let log = self.log.len();
        let r = self.comp_level(gens, each);
        self.scope = saved;
        self.log.truncate(log);
        r
    }

    fn comp_level(
        &mut self,
        gens: &'s [ast::Comprehension],
        each: &mut dyn FnMut(&mut Self) -> Result<(), PythonError>,
    ) -> Result<(), PythonError> {
        let Some((g, rest)) = gens.split_first() else {
            return each(self);
        };
        if g.is_async {
            return Err(self.unsupported("async comprehension", g.start()));
        }
        let hint = match &g.target {
            ast::Expr::Name(n) => n.id.as_str(),
            _ => "item",
        };
        let items = self.iter_vals(&g.iter, hint)?;
        'items: for item in items {
            self.tick("comprehension", g.start())?;
            self.bind_target(&g.target, item)?;
            for cond in &g.ifs {
                if !self.static_cond(cond, "a comprehension's `if`")? {
                    continue 'items;
                }
            }
            self.comp_level(rest, each)?;
        }
        Ok(())
    }

    fn for_loop(&mut self, f: &'s ast::StmtFor) -> Result<Flow, PythonError> {
        let hint = match &*f.target {
            ast::Expr::Name(n) => n.id.as_str(),
            _ => "item",
        };
        let items = self.iter_vals(&f.iter, hint)?;
        if items.len() > MAX_LOOP_ITERATIONS {
            return Err(self.runaway(
                "for loop",
                format!("it runs {} times; Graft unrolls at most {MAX_LOOP_ITERATIONS} iterations of a loop", items.len()),
                f.start(),
            ));
        }
        for item in items {
            self.tick("for loop", f.start())?;
            self.bind_target(&f.target, item)?;
            match self.block(&f.body)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Next | Flow::Continue => {}
            }
        }
        Ok(Flow::Next)
    }

    fn while_loop(&mut self, w: &'s ast::StmtWhile) -> Result<Flow, PythonError> {
        let mut n = 0usize;
        while self.static_cond(&w.test, "a while loop's condition")? {
            n += 1;
            if n > MAX_LOOP_ITERATIONS {
                return Err(self.runaway(
                    "while loop",
                    format!("its condition still holds after {MAX_LOOP_ITERATIONS} iterations; Graft unrolls loops and stops there (does the loop end? use a for loop over range() or a formula)"),
                    w.start(),
                ));
            }
            self.tick("while loop", w.start())?;
            match self.block(&w.body)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Next | Flow::Continue => {}
            }
        }
        Ok(Flow::Next)
    }

    /// Inlines a call to a helper function; a returned expression becomes a node named `hint`.
    fn call_fn(&mut self, c: &'s ast::ExprCall, hint: &str) -> Result<Val, PythonError> {
        let Some(f) = self.helper_call(c) else {
            return Err(self.unsupported("call of a computed function", c.start()));
        };
        let fname = f.name.id.as_str();
        if self.depth >= MAX_CALL_DEPTH {
            return Err(self.runaway(
                &format!("call to {fname}()"),
                format!("calls nest more than {MAX_CALL_DEPTH} deep (recursion?); Graft stops there (use a loop)"),
                c.start(),
            ));
        }
        let p = &f.parameters;
        if p.vararg.is_some()
            || p.kwarg.is_some()
            || !p.kwonlyargs.is_empty()
            || f.is_async
            || !f.decorator_list.is_empty()
        {
            return Err(self.unsupported(
                format!("{fname}() with *args, **kwargs, keyword-only parameters or decorators"),
                f.start(),
            ));
        }
        let params: Vec<&'s ast::ParameterWithDefault> =
            p.posonlyargs.iter().chain(p.args.iter()).collect();
        let args = &c.arguments.args;
        if args.len() > params.len() {
            return Err(self.invalid(
                format!(
                    "{fname}() takes {} arguments but {} were given",
                    params.len(),
                    args.len()
                ),
                c.start(),
            ));
        }
        // Arguments are evaluated in the caller's scope, then bound in the callee's.
        let mut vals = Vec::with_capacity(params.len());
        for (k, pd) in params.iter().enumerate() {
            let pname = pd.parameter.name.id.as_str();
            let kw = c
                .arguments
                .keywords
                .iter()
                .find(|kw| kw.arg.as_ref().is_some_and(|a| a.id.as_str() == pname));
            let expr = match (args.get(k), kw, pd.default.as_deref()) {
                (Some(a), None, _) => a,
                (None, Some(kw), _) => &kw.value,
                (None, None, Some(d)) => d,
                (Some(_), Some(_), _) => {
                    return Err(self.invalid(format!("{fname}() got `{pname}` twice"), c.start()))
                }
                (None, None, None) => {
                    return Err(self.invalid(
                        format!("{fname}() is missing the argument `{pname}`"),
                        c.start(),
                    ))
                }
            };
            if matches!(expr, ast::Expr::Starred(_)) {
                return Err(self.unsupported("starred argument", expr.start()));
            }
            vals.push((pname, self.eval_val(expr, pname)?));
        }
        if let Some(kw) = c.arguments.keywords.iter().find(|kw| {
            !params.iter().any(|pd| {
                kw.arg
                    .as_ref()
                    .is_some_and(|a| a.id == pd.parameter.name.id)
            })
        }) {
            return Err(self.invalid(
                format!("{fname}() has no parameter named like this keyword"),
                kw.start(),
            ));
        }
        let saved_scope = self.scope.clone();
        let saved_log = self.log.len();
        let saved_last = self.last;
        let saved_loops = std::mem::replace(&mut self.loops, 0);
        // The callee's `return <expr>` node is named after what the call is assigned to.
        let saved_ret = std::mem::replace(&mut self.ret_name, hint.to_string());
        for (n, v) in vals {
            self.bind_var(n, v);
        }
        self.depth += 1;
        let r = self.block(&f.body);
        self.depth -= 1;
        self.scope = saved_scope;
        self.log.truncate(saved_log);
        self.last = saved_last;
        self.loops = saved_loops;
        self.ret_name = saved_ret;
        Ok(match r? {
            Flow::Return(v) => v,
            _ => Val::None,
        })
    }

    fn if_stmt(&mut self, i: &'s ast::StmtIf) -> Result<Flow, PythonError> {
        if i.elif_else_clauses.len() > MAX_NESTING {
            let (line, column) = self.pos(i.elif_else_clauses[MAX_NESTING].start());
            return Err(LimitError::new(Limit::Nesting, i.elif_else_clauses.len())
                .at(line, column)
                .into());
        }
        let decide_now = needs_static(&i.body, false, &self.scope)
            || i.elif_else_clauses
                .iter()
                .any(|c| needs_static(&c.body, false, &self.scope));
        if decide_now {
            return self.if_static(&i.test, &i.body, &i.elif_else_clauses);
        }
        self.if_chain(&i.test, &i.body, &i.elif_else_clauses, i)
    }

    /// An `if` decided while reading: only the arm taken runs.
    fn if_static(
        &mut self,
        test: &'s ast::Expr,
        body: &'s [ast::Stmt],
        rest: &'s [ast::ElifElseClause],
    ) -> Result<Flow, PythonError> {
        if self.static_cond(test, "an if that returns, breaks or changes a list")? {
            return self.block(body);
        }
        match rest.split_first() {
            Some((clause, more)) => match &clause.test {
                Some(t) => self.if_static(t, &clause.body, more),
                None => self.block(&clause.body),
            },
            None => Ok(Flow::Next),
        }
    }

    /// An `if` whose arms only assign numbers: every arm runs, and each variable assigned in
    /// an arm becomes a branch node.
    fn if_chain(
        &mut self,
        test: &'s ast::Expr,
        body: &'s [ast::Stmt],
        rest: &'s [ast::ElifElseClause],
        stmt_at: &impl Ranged,
    ) -> Result<Flow, PythonError> {
        let at = stmt_at.start();
        let mut cond_ops = Operands::new("condition");
        let cond = self.cond(test, &mut cond_ops)?;
        if cond_ops.ids.is_empty() {
            // A condition on literals only (a range loop's variable): take the arm now.
            let holds = cond.eval(&[]).map_err(|e| self.eval_err(test.start(), e))?;
            if holds {
                return self.block(body);
            }
            return match rest.split_first() {
                Some((clause, more)) => match &clause.test {
                    Some(t) => self.if_chain(t, &clause.body, more, clause),
                    None => self.block(&clause.body),
                },
                None => Ok(Flow::Next),
            };
        }
        let before = self.scope.clone();
        let log_start = self.log.len();
        let arm_flow = |it: &Self, f: Flow| match f {
            Flow::Next => Ok(()),
            _ => Err(it.unsupported("return, break or continue in this if", at)),
        };
        let f = self.block(body)?;
        arm_flow(self, f)?;
        let then_scope = std::mem::replace(&mut self.scope, before.clone());
        if let Some((clause, more)) = rest.split_first() {
            let f = match &clause.test {
                Some(t) => self.if_chain(t, &clause.body, more, clause)?,
                None => self.block(&clause.body)?,
            };
            arm_flow(self, f)?;
        }
        let else_scope = std::mem::replace(&mut self.scope, before);
        let mut vars: Vec<&'s str> = Vec::new();
        for &v in &self.log[log_start..] {
            if !vars.contains(&v) {
                vars.push(v);
            }
        }
        self.log.truncate(log_start);
        let (line, _) = self.pos(at);
        let text = self.line_text(at);
        for v in vars {
            let (t, o) = (then_scope.get(v), else_scope.get(v));
            let (t, o) = match (t, o) {
                (Some(t), Some(o)) if t == o => {
                    let t = t.clone();
                    self.bind(v, t);
                    continue;
                }
                (
                    Some(t @ (Val::Node(_) | Val::Lit(_))),
                    Some(o @ (Val::Node(_) | Val::Lit(_))),
                ) => (t.clone(), o.clone()),
                (Some(Val::List(_)), _) | (_, Some(Val::List(_))) => {
                    return Err(self.unsupported(
                        format!("list `{v}` that the arms of this if change differently"),
                        at,
                    ))
                }
                (t, o) => {
                    // Assigned in only some arms, with no value before: read, it has the value
                    // of the path taken (if that path assigned it), else it is an error.
                    let args: Vec<Number> = cond_ops.ids.iter().map(|&i| self.b.value(i)).collect();
                    let holds = cond.eval(&args).map_err(|e| self.eval_err(at, e))?;
                    let (taken, mut ids) = match if holds { t } else { o } {
                        Some(Val::Unset { taken, cond, .. }) => (taken.clone(), cond.to_vec()),
                        Some(x) => (Some(Rc::new(x.clone())), Vec::new()),
                        None => (None, Vec::new()),
                    };
                    ids.extend_from_slice(&cond_ops.ids);
                    self.bind_var(
                        v,
                        Val::Unset {
                            if_line: line,
                            taken,
                            cond: ids.into(),
                        },
                    );
                    continue;
                }
            };
            let mut ops = Operands {
                ids: cond_ops.ids.clone(),
                fixed: false,
                target: v,
            };
            let then = self.val_expr(t, &mut ops, at)?;
            let otherwise = self.val_expr(o, &mut ops, at)?;
            let id = self
                .b
                .op(
                    v,
                    NodeKind::Branch {
                        cond: Box::new(cond.clone()),
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    },
                    ops.ids,
                )
                .map_err(|e| self.eval_err(at, e))?;
            self.b.set_text(id, text.clone());
            self.bind(v, Val::Node(id));
        }
        Ok(Flow::Next)
    }

    fn bin_op(&self, op: ast::Operator, at: TextSize) -> Result<BinOp, PythonError> {
        Ok(match op {
            ast::Operator::Add => BinOp::Add,
            ast::Operator::Sub => BinOp::Sub,
            ast::Operator::Mult => BinOp::Mul,
            ast::Operator::Div => BinOp::Div,
            ast::Operator::FloorDiv => BinOp::FloorDiv,
            ast::Operator::Mod => BinOp::Mod,
            ast::Operator::Pow => BinOp::Pow,
            other => return Err(self.unsupported(format!("operator `{}`", other.as_str()), at)),
        })
    }

    /// A value as an expression over `ops`: a node is an operand, a number is inline.
    fn val_expr(&self, v: Val, ops: &mut Operands<'_>, at: TextSize) -> Result<Expr, PythonError> {
        match v {
            Val::Node(id) => match ops.slot(id) {
                Some(i) => Ok(Expr::Arg(i)),
                None => {
                    let (line, column) = self.pos(at);
                    let name = self.b.node(id).name.clone();
                    Err(if ops.target.is_empty() {
                        PythonError::Undefined { name, line, column }
                    } else {
                        PythonError::BadMarker {
                            message: format!("`{name}` is not listed in args"),
                            line,
                        }
                    })
                }
            },
            Val::Lit(x) => Ok(Expr::Lit(x)),
            Val::List(_) => Err(self.invalid(
                "a list is used as a number here; use sum(), min(), max(), len() or an index",
                at,
            )),
            Val::None => Err(self.invalid("None is used as a number here", at)),
            Val::Text => Err(self.invalid("a string is used as a number here", at)),
            Val::Unset { if_line, .. } => Err(self.invalid(
                format!(
                    "a value assigned in only some arms of the if at line {if_line} is read here"
                ),
                at,
            )),
        }
    }

    /// Lowers an arithmetic expression, collecting operands.
    fn lower(&mut self, e: &'s ast::Expr, ops: &mut Operands<'_>) -> Result<Expr, PythonError> {
        Ok(match e {
            _ if is_conditional(e) => {
                // A ternary or a boolean inside arithmetic: hoisted into its own branch node.
                if ops.fixed {
                    return Err(self.unsupported(
                        format!("{} inside this expression", expr_name(e)),
                        e.start(),
                    ));
                }
                let target = format!("{}_choice", ops.target);
                let mut inner = Operands::new(&target);
                let kind = self.branch_kind(e, &mut inner)?;
                let id = self
                    .b
                    .op(&target, kind, inner.ids)
                    .map_err(|err| self.eval_err(e.start(), err))?;
                let text = self.line_text(e.start());
                self.b.set_text(id, text);
                Expr::Arg(ops.slot(id).unwrap_or(0))
            }
            ast::Expr::Name(n) => {
                let v = self.lookup(n.id.as_str(), n.start())?.clone();
                match v {
                    Val::List(_) => {
                        return Err(self.invalid(
                            format!("`{}` is a list, used here as a number; use sum({0}), len({0}) or an index", n.id),
                            n.start(),
                        ))
                    }
                    Val::None => {
                        return Err(self.invalid(
                            format!("`{}` is None here, used as a number", n.id),
                            n.start(),
                        ))
                    }
                    v => self.val_expr(v, ops, n.start())?,
                }
            }
            ast::Expr::NumberLiteral(_) => Expr::Lit(self.number(e)?),
            ast::Expr::UnaryOp(u) => match u.op {
                ast::UnaryOp::USub => match &*u.operand {
                    ast::Expr::NumberLiteral(_) => {
                        let v = self.number(&u.operand)?;
                        Expr::Lit(v.neg().map_err(|err| self.eval_err(e.start(), err))?)
                    }
                    inner => match self.lower(inner, ops)? {
                        // `-i` for a loop variable: a literal, as `-3` reads back.
                        Expr::Lit(v) => {
                            Expr::Lit(v.neg().map_err(|err| self.eval_err(e.start(), err))?)
                        }
                        x => Expr::Neg(Box::new(x)),
                    },
                },
                ast::UnaryOp::UAdd => self.lower(&u.operand, ops)?,
                ast::UnaryOp::Not => return Err(self.unsupported("`not` here", e.start())),
                ast::UnaryOp::Invert => return Err(self.unsupported("operator `~`", e.start())),
            },
            ast::Expr::BinOp(b) => {
                let op = self.bin_op(b.op, e.start())?;
                let l = self.lower(&b.left, ops)?;
                let r = self.lower(&b.right, ops)?;
                Expr::bin(op, l, r)
            }
            ast::Expr::Call(c) => self.call(c, ops)?,
            ast::Expr::Subscript(s) => {
                if matches!(&*s.slice, ast::Expr::Slice(_)) {
                    return Err(self.invalid(
                        "a slice is a list, used here as a number; use sum() or len()",
                        s.start(),
                    ));
                }
                let v = self.subscript(s)?;
                self.val_expr(v, ops, s.start())?
            }
            ast::Expr::BooleanLiteral(b) => {
                Expr::Lit(if b.value { Number::ONE } else { Number::ZERO })
            }
            other => return Err(self.unsupported(expr_name(other), other.start())),
        })
    }

    /// The exact value of a number literal, from its source text.
    fn number(&self, e: &ast::Expr) -> Result<Number, PythonError> {
        let r = e.range();
        let text = &self.src[r.start().to_usize()..r.end().to_usize()];
        if let ast::Expr::NumberLiteral(n) = e {
            if matches!(n.value, ast::Number::Complex { .. }) {
                return Err(self.unsupported("complex number", e.start()));
            }
        }
        match Number::parse_decimal(text) {
            Some(v) => Ok(v),
            None => {
                // Hex, octal, binary integers: use the parser's value.
                if let ast::Expr::NumberLiteral(ast::ExprNumberLiteral {
                    value: ast::Number::Int(i),
                    ..
                }) = e
                {
                    if let Some(v) = i.as_u64() {
                        return Ok(Number::int(v as i128));
                    }
                }
                Err(self.unsupported(format!("number literal `{text}`"), e.start()))
            }
        }
    }

    /// The items of an iterable argument as expressions over `ops` (for sum/min/max): a list
    /// literal's and a comprehension's items stay inline.
    fn items_expr(
        &mut self,
        e: &'s ast::Expr,
        ops: &mut Operands<'_>,
    ) -> Result<Vec<Expr>, PythonError> {
        match e {
            ast::Expr::List(ast::ExprList { elts, .. })
            | ast::Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                let mut out = Vec::with_capacity(elts.len());
                for a in elts {
                    out.push(self.lower(a, ops)?);
                }
                Ok(out)
            }
            ast::Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            })
            | ast::Expr::Generator(ast::ExprGenerator {
                elt, generators, ..
            }) if !ops.fixed => {
                let mut out = Vec::new();
                self.comprehension(generators, &mut |it: &mut Self| {
                    out.push(it.lower(elt, ops)?);
                    Ok(())
                })?;
                Ok(out)
            }
            _ => {
                let vals = self.iter_vals(e, ops.target)?;
                let mut out = Vec::with_capacity(vals.len());
                for v in vals {
                    out.push(self.val_expr(v, ops, e.start())?);
                }
                Ok(out)
            }
        }
    }

    /// The number of items of an iterable, without making nodes for literal lists.
    fn count_items(&mut self, e: &'s ast::Expr) -> Result<usize, PythonError> {
        match e {
            ast::Expr::List(ast::ExprList { elts, .. })
            | ast::Expr::Tuple(ast::ExprTuple { elts, .. }) => Ok(elts.len()),
            ast::Expr::Name(n) => match self.lookup(n.id.as_str(), n.start())? {
                Val::List(items) => Ok(items.len()),
                _ => Err(self.invalid(
                    format!("`{}` is a number; len() needs a list", n.id),
                    e.start(),
                )),
            },
            _ => Ok(self.iter_vals(e, "item")?.len()),
        }
    }

    fn call(&mut self, c: &'s ast::ExprCall, ops: &mut Operands<'_>) -> Result<Expr, PythonError> {
        if let ast::Expr::Name(n) = &*c.func {
            if self.func(n.id.as_str()).is_some() {
                if ops.fixed {
                    return Err(self.unsupported("call to a helper in a marked line", c.start()));
                }
                let name = n.id.as_str();
                let v = self.call_fn(c, name)?;
                if let Val::None = v {
                    return Err(self.invalid(
                        format!("{name}() returns no value; end it with `return <value>`"),
                        c.start(),
                    ));
                }
                return self.val_expr(v, ops, c.start());
            }
        }
        let func = match &*c.func {
            ast::Expr::Name(n) => match n.id.as_str() {
                "min" => Func::Min,
                "max" => Func::Max,
                "abs" => Func::Abs,
                "round" => Func::Round,
                "int" => Func::Int,
                "float" => Func::Float,
                "sum" => Func::Sum,
                "len" | "pow" => {
                    if let Some(k) = c.arguments.keywords.first() {
                        return Err(self.unsupported("keyword arguments", k.start()));
                    }
                    return match (n.id.as_str(), &*c.arguments.args) {
                        ("len", [a]) => Ok(Expr::Lit(Number::int(self.count_items(a)? as i128))),
                        ("pow", [a, b]) => {
                            let l = self.lower(a, ops)?;
                            let r = self.lower(b, ops)?;
                            Ok(Expr::bin(BinOp::Pow, l, r))
                        }
                        (f, args) => Err(self.unsupported(
                            format!("{f}() with {} arguments", args.len()),
                            c.start(),
                        )),
                    };
                }
                other => return Err(self.unsupported(format!("call to {other}()"), c.start())),
            },
            ast::Expr::Attribute(a) => match (&*a.value, a.attr.id.as_str()) {
                (ast::Expr::Name(m), "floor") if m.id.as_str() == "math" => Func::Floor,
                (ast::Expr::Name(m), "ceil") if m.id.as_str() == "math" => Func::Ceil,
                (ast::Expr::Name(m), "sqrt") if m.id.as_str() == "math" => {
                    // Exact when the root is rational; otherwise an evaluation error.
                    let [x] = &*c.arguments.args else {
                        return Err(
                            self.unsupported("math.sqrt() with several arguments", c.start())
                        );
                    };
                    let x = self.lower(x, ops)?;
                    return Ok(Expr::bin(
                        BinOp::Pow,
                        x,
                        Expr::Lit(Number::ratio(1, 2).unwrap_or(Number::ONE)),
                    ));
                }
                _ => {
                    return Err(self.unsupported(
                        format!(
                            "call to {}()",
                            &self.src[a.range().start().to_usize()..a.range().end().to_usize()]
                        ),
                        c.start(),
                    ))
                }
            },
            other => return Err(self.unsupported("call of a computed function", other.start())),
        };
        if let Some(k) = c.arguments.keywords.first() {
            return Err(self.unsupported("keyword arguments", k.start()));
        }
        let args = &c.arguments.args;
        let out = if matches!(func, Func::Sum | Func::Min | Func::Max) && args.len() == 1 {
            let items = self.items_expr(&args[0], ops)?;
            if func != Func::Sum && items.is_empty() {
                return Err(self.invalid(
                    format!("{}() of an empty list", func.python_name()),
                    c.start(),
                ));
            }
            items
        } else {
            let (lo, hi) = match func {
                Func::Min | Func::Max => (2, usize::MAX),
                Func::Round => (1, 2),
                Func::Sum => (1, 1),
                _ => (1, 1),
            };
            if args.len() < lo || args.len() > hi {
                return Err(self.unsupported(
                    format!("{}() with {} arguments", func.python_name(), args.len()),
                    c.start(),
                ));
            }
            let mut out = Vec::with_capacity(args.len());
            for a in args.iter() {
                if matches!(a, ast::Expr::Starred(_)) {
                    return Err(self.unsupported("starred argument", a.start()));
                }
                out.push(self.lower(a, ops)?);
            }
            out
        };
        Ok(Expr::Call(func, out))
    }
    /// A branch for a ternary `a if c else b`, or `1 if c else 0` for a boolean `c` used as a
    /// number (Python's `True == 1`).
    fn branch_kind(
        &mut self,
        e: &'s ast::Expr,
        ops: &mut Operands<'_>,
    ) -> Result<NodeKind, PythonError> {
        Ok(match e {
            ast::Expr::If(t) => {
                let cond = self.cond(&t.test, ops)?;
                let then = self.lower(&t.body, ops)?;
                let otherwise = self.lower(&t.orelse, ops)?;
                NodeKind::Branch {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                }
            }
            _ => NodeKind::Branch {
                cond: Box::new(self.cond(e, ops)?),
                then: Box::new(Expr::Lit(Number::ONE)),
                otherwise: Box::new(Expr::Lit(Number::ZERO)),
            },
        })
    }

    /// Lowers a condition.
    fn cond(&mut self, e: &'s ast::Expr, ops: &mut Operands<'_>) -> Result<Cond, PythonError> {
        Ok(match e {
            ast::Expr::Compare(c) => {
                let mut parts = Vec::with_capacity(c.ops.len());
                let mut left = self.lower(&c.left, ops)?;
                for (op, right) in c.ops.iter().zip(c.comparators.iter()) {
                    let op = match op {
                        ast::CmpOp::Lt => CmpOp::Lt,
                        ast::CmpOp::LtE => CmpOp::Le,
                        ast::CmpOp::Gt => CmpOp::Gt,
                        ast::CmpOp::GtE => CmpOp::Ge,
                        ast::CmpOp::Eq => CmpOp::Eq,
                        ast::CmpOp::NotEq => CmpOp::Ne,
                        other => {
                            return Err(self.unsupported(
                                format!("comparison `{}`", other.as_str()),
                                right.start(),
                            ))
                        }
                    };
                    let r = self.lower(right, ops)?;
                    parts.push(Cond::Cmp(op, left, r.clone()));
                    left = r;
                }
                if parts.len() == 1 {
                    parts.pop().unwrap_or(Cond::Truthy(Expr::Lit(Number::ONE)))
                } else {
                    Cond::And(parts)
                }
            }
            ast::Expr::BoolOp(b) => {
                let mut cs = Vec::with_capacity(b.values.len());
                for v in &b.values {
                    cs.push(self.cond(v, ops)?);
                }
                match b.op {
                    ast::BoolOp::And => Cond::And(cs),
                    ast::BoolOp::Or => Cond::Or(cs),
                }
            }
            ast::Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
                Cond::Not(Box::new(self.cond(&u.operand, ops)?))
            }
            ast::Expr::BooleanLiteral(b) => {
                Cond::Truthy(Expr::Lit(if b.value { Number::ONE } else { Number::ZERO }))
            }
            _ => Cond::Truthy(self.lower(e, ops)?),
        })
    }
}

/// Whether `e` is a ternary or a boolean expression (which become branch nodes).
fn is_conditional(e: &ast::Expr) -> bool {
    match e {
        ast::Expr::If(_) | ast::Expr::Compare(_) | ast::Expr::BoolOp(_) => true,
        ast::Expr::UnaryOp(u) => u.op == ast::UnaryOp::Not,
        _ => false,
    }
}

/// The value of `5`, `-5`, `0.25` (a literal or a negated literal), if `e` is one.
fn literal_value(src: &str, e: &ast::Expr) -> Option<Number> {
    let text_of = |e: &ast::Expr| {
        let r = e.range();
        src.get(r.start().to_usize()..r.end().to_usize())
    };
    match e {
        ast::Expr::NumberLiteral(n) if !matches!(n.value, ast::Number::Complex { .. }) => {
            Number::parse_decimal(text_of(e)?)
        }
        ast::Expr::UnaryOp(u) if u.op == ast::UnaryOp::USub => match &*u.operand {
            ast::Expr::NumberLiteral(n) if !matches!(n.value, ast::Number::Complex { .. }) => {
                Number::parse_decimal(text_of(&u.operand)?)?.neg().ok()
            }
            _ => None,
        },
        _ => None,
    }
}

fn stmt_name(s: &ast::Stmt) -> String {
    match s {
        ast::Stmt::For(_) => "for loop".into(),
        ast::Stmt::While(_) => "while loop".into(),
        ast::Stmt::FunctionDef(_) => "nested function definition".into(),
        ast::Stmt::ClassDef(_) => "class definition".into(),
        ast::Stmt::Delete(_) => "del statement".into(),
        ast::Stmt::With(_) => "with statement".into(),
        ast::Stmt::Match(_) => "match statement".into(),
        ast::Stmt::Raise(_) => "raise statement".into(),
        ast::Stmt::Try(_) => "try statement".into(),
        ast::Stmt::Assert(_) => "assert statement".into(),
        ast::Stmt::ImportFrom(_) => "from-import".into(),
        ast::Stmt::Global(_) | ast::Stmt::Nonlocal(_) => "global/nonlocal declaration".into(),
        ast::Stmt::Break(_) => "break".into(),
        ast::Stmt::Continue(_) => "continue".into(),
        ast::Stmt::Expr(e) => match &*e.value {
            ast::Expr::Call(c) => match &*c.func {
                ast::Expr::Name(n) => format!("call to {}() as a statement", n.id),
                _ => "call as a statement".into(),
            },
            _ => "expression statement".into(),
        },
        ast::Stmt::TypeAlias(_) => "type alias".into(),
        _ => "statement".into(),
    }
}

fn expr_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::StringLiteral(_) | ast::Expr::FString(_) | ast::Expr::TString(_) => {
            "string".into()
        }
        ast::Expr::BytesLiteral(_) => "bytes".into(),
        ast::Expr::List(_) => "list outside sum()".into(),
        ast::Expr::Tuple(_) => "tuple".into(),
        ast::Expr::Dict(_) | ast::Expr::DictComp(_) => "dict".into(),
        ast::Expr::Set(_) | ast::Expr::SetComp(_) => "set".into(),
        ast::Expr::ListComp(_) => "list comprehension".into(),
        ast::Expr::Generator(_) => "generator expression".into(),
        ast::Expr::Lambda(_) => "lambda".into(),
        ast::Expr::Attribute(_) => "attribute access".into(),
        ast::Expr::Subscript(_) => "subscript".into(),
        ast::Expr::NoneLiteral(_) => "None".into(),
        ast::Expr::BooleanLiteral(_) => "boolean".into(),
        ast::Expr::Compare(_) => "comparison".into(),
        ast::Expr::BoolOp(_) => "and/or".into(),
        ast::Expr::Named(_) => "walrus `:=`".into(),
        ast::Expr::Await(_) => "await".into(),
        ast::Expr::Yield(_) | ast::Expr::YieldFrom(_) => "yield".into(),
        ast::Expr::Starred(_) => "starred expression".into(),
        ast::Expr::Slice(_) => "slice".into(),
        ast::Expr::EllipsisLiteral(_) => "ellipsis".into(),
        ast::Expr::Name(_) => "name".into(),
        ast::Expr::Call(_) => "call".into(),
        ast::Expr::NumberLiteral(_) => "a number".into(),
        ast::Expr::BinOp(_) | ast::Expr::UnaryOp(_) => "a number (arithmetic)".into(),
        _ => "expression".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::to_python;

    fn run(src: &str) -> Graph {
        match parse_program(src, None) {
            Ok(g) => g,
            Err(e) => panic!("{e}\n{src}"),
        }
    }

    fn answer(src: &str) -> Number {
        run(src).answer_value()
    }

    fn n(s: &str) -> Number {
        Number::parse_decimal(s).unwrap_or_else(|| panic!("bad number {s}"))
    }

    #[test]
    fn arithmetic_is_exact_with_python_semantics() {
        let a = answer("def solution():\n    a = 0.1\n    b = 0.2\n    return a + b\n");
        assert_eq!(a, n("0.3"));
        assert_eq!(answer("x = -7\ny = x // 2\n"), Number::int(-4));
        assert_eq!(answer("x = -7\ny = x % 3\n"), Number::int(2));
        assert_eq!(answer("x = 2\ny = -x ** 2\n"), Number::int(-4));
        assert_eq!(answer("x = 2\ny = x ** -1\n"), n("0.5"));
        assert_eq!(answer("x = 10\ny = 3\nz = x / y * y\n"), Number::int(10));
        assert_eq!(answer("x = 7\ny = +x - (x - 3)\n"), Number::int(3));
    }

    #[test]
    fn calls() {
        let src = "import math\ndef solution():\n    a = 7\n    b = 2.5\n    c = min(a, b) + max(a, b, 10) + abs(-a) + round(b) + round(2.346, 2) + int(-b) + float(a) + sum([a, b, 1]) + math.floor(b) + math.ceil(b)\n    return c\n";
        // 2.5 + 10 + 7 + 2 + 2.35 - 2 + 7 + 10.5 + 2 + 3
        assert_eq!(answer(src), n("44.35"));
        assert_eq!(answer("a = 1\nb = sum((a, 2))\n"), Number::int(3));
    }

    #[test]
    fn inputs_steps_operands_and_spans() {
        let q = "Sam has 1,200 apples and 48 pears; he buys 48 more pears.";
        let src = "def solution():\n    \"\"\"doc\"\"\"\n    apples = 1200\n    pears = 48\n    more = 48\n    total = apples + pears + more + pears * 2\n    return total\n";
        let g = parse_program(src, Some(q)).unwrap();
        let span_text = |name: &str| match g.node(g.find(name).unwrap()).kind {
            NodeKind::Input { span: Some(s) } => (s.start, s.slice(q).unwrap().to_string()),
            ref k => panic!("{name}: {k:?}"),
        };
        assert_eq!(span_text("apples").1, "1,200");
        let (p1, t1) = span_text("pears");
        let (p2, t2) = span_text("more");
        assert_eq!((t1.as_str(), t2.as_str()), ("48", "48"));
        assert!(p1 < p2, "second 48 takes the next occurrence");
        let total = g.node(g.answer());
        assert_eq!(total.name, "total");
        assert_eq!(total.operands.len(), 3, "distinct operands");
        assert_eq!(
            total.text.as_deref(),
            Some("total = apples + pears + more + pears * 2")
        );
        assert_eq!(g.answer_value(), Number::int(1392));
        let g = parse_program("x = 7\n", Some("nothing here")).unwrap();
        assert!(matches!(
            g.node(g.answer()).kind,
            NodeKind::Input { span: None }
        ));
    }

    #[test]
    fn reassignment_and_augmented_assignment() {
        let g = run("def solution():\n    total = 5\n    total = total * 2\n    total += 3\n    return total\n");
        let names: Vec<&str> = g.order().iter().map(|&i| g.node(i).name.as_str()).collect();
        assert_eq!(names, ["total", "total_2", "total_3"]);
        assert_eq!(g.answer_value(), Number::int(13));
        assert_eq!(g.node(g.answer()).operands, vec![NodeId(1)]);
    }

    #[test]
    fn return_expression_and_top_level_programs() {
        let g = run("def solution():\n    a = 3\n    return a * 4\n");
        assert_eq!(g.node(g.answer()).name, "result");
        assert_eq!(g.answer_value(), Number::int(12));
        // No def, no return: the last assigned variable is the answer.
        let g = run("a = 3\nb = a + 1\nc = b * 2\n");
        assert_eq!(g.node(g.answer()).name, "c");
        assert_eq!(g.answer_value(), Number::int(8));
    }

    #[test]
    fn if_elif_else_branches() {
        let src = "def solution():\n    x = 15\n    if x > 20:\n        rate = 3\n    elif x > 10:\n        rate = 2\n    else:\n        rate = 1\n    return rate * x\n";
        let g = run(src);
        assert_eq!(g.answer_value(), Number::int(30));
        assert_eq!(g.metrics().branches, 2, "elif nests a second branch");
        let src = "x = 25\nif x > 20:\n    rate = 3\nelif x > 10:\n    rate = 2\nelse:\n    rate = 1\ny = rate\n";
        assert_eq!(answer(src), Number::int(3));
        let src = "x = 5\nif x > 20:\n    rate = 3\nelif x > 10:\n    rate = 2\nelse:\n    rate = 1\ny = rate\n";
        assert_eq!(answer(src), Number::int(1));
    }

    #[test]
    fn variable_assigned_in_one_arm_keeps_previous_value() {
        let src = "x = 4\nbonus = 0\nif x > 3 and not x == 10:\n    bonus = 5\n    extra = 1\nelse:\n    extra = 2\ny = bonus + extra\n";
        let g = run(src);
        assert_eq!(g.answer_value(), Number::int(6));
        let src2 = src.replace("x = 4", "x = 2");
        assert_eq!(answer(&src2), Number::int(2));
        let err = parse_program("x = 0\nif x > 0:\n    y = 2\nz = y\n", None).unwrap_err();
        assert!(
            matches!(err, PythonError::NoValueInArm { ref name, line: 4, column: 5, if_line: 2 } if name == "y"),
            "{err}"
        );
        // Assigned in one arm only but never read after the if: fine.
        let src = "x = 4\nif x > 3:\n    y = 2\n    z = y + 1\nelse:\n    z = 5\nw = z * 2\n";
        assert_eq!(answer(src), Number::int(6));
        assert_eq!(answer(&src.replace("x = 4", "x = 1")), Number::int(10));
        // Read on the path that assigned it: that value, and the condition is structural.
        let g = run("x = 1\nif x > 0:\n    y = 2\nelif x < -5:\n    y = 3\nz = y * 10\n");
        assert_eq!(g.answer_value(), Number::int(20));
        assert!(structural_note(g.node(g.find("x").unwrap())).is_some());
        let g = run("x = 4\ny = None\nif x > 3:\n    y = x * 2\nz = y + 1\n");
        assert_eq!(g.answer_value(), Number::int(9));
    }

    #[test]
    fn chained_assignment_loops_and_helpers() {
        assert_eq!(answer("a = b = 4\nb += 1\nc = a * b\n"), Number::int(20));
        let src = "def solution():\n    total = count = 0\n    for x in [3, 4, 5]:\n        total += x\n        count += 1\n    return total / count\n";
        assert_eq!(answer(src), Number::int(4));
        let src = "def double(x):\n    return x * 2\n\ndef solution():\n    a = 5\n    b = double(a) + double(1)\n    return b\n";
        let g = run(src);
        assert_eq!(g.answer_value(), Number::int(12));
        assert!(g.find("double").is_some() && g.find("double_2").is_some());
        let src = "def solution():\n    n = 4\n    i = 0\n    acc = 1\n    while i < n:\n        acc *= 3\n        i += 1\n    return acc\n";
        let g = run(src);
        assert_eq!(g.answer_value(), Number::int(81));
        assert!(structural_note(g.node(g.find("n").unwrap())).is_some());
    }

    #[test]
    fn loop_values_print_and_read_back() {
        let src = "def solution():\n    t = 0\n    for i in range(-2, 3):\n        t += -i * 2 - i // 2\n        u = i\n        w = 5 if i > 0 else i\n    xs = [t, u, w]\n    return max(xs[1:2]) + min(xs) + t\n";
        let g = run(src);
        let back = parse_program(&to_python(&g), None).unwrap();
        assert!(back.same_as(&g), "{}", to_python(&g));
        assert_eq!(g.answer_value(), Number::int(4));
    }

    #[test]
    fn ternaries_and_booleans() {
        let g = run("a = 5\nb = 7\nc = a if a > b else b\n");
        assert!(matches!(g.node(g.answer()).kind, NodeKind::Branch { .. }));
        assert_eq!(g.answer_value(), Number::int(7));
        let g = run("a = 5\nb = 7\nc = 1 + (a if 1 < a < b else b) * 2\n");
        assert_eq!(g.answer_value(), Number::int(11));
        assert!(g.find("c_choice").is_some(), "nested ternary is hoisted");
        assert_eq!(
            answer("a = 5\nb = (a > 3) * 10 + (a > 9 or False)\n"),
            Number::int(10)
        );
    }

    #[test]
    fn unsupported_constructs_name_line_and_column() {
        let cases: &[(&str, &str, u32, u32)] = &[
            (
                "def solution():\n    x = 1\n    class A:\n        pass\n    return x\n",
                "class",
                3,
                5,
            ),
            (
                "def solution():\n    x = {1: 2}\n    return x\n",
                "dict",
                2,
                9,
            ),
            (
                "def solution():\n    x = open(y)\n    return x\n",
                "open",
                2,
                9,
            ),
            (
                "def solution():\n    x = 'a' + 1\n    return x\n",
                "string",
                2,
                9,
            ),
            (
                "def solution():\n    x = 1\n    x.sort()\n    return x\n",
                "sort",
                3,
                5,
            ),
            ("import os\nx = 1\n", "os", 1, 8),
            (
                "def solution():\n    x = math.pi\n    return x\n",
                "attribute",
                2,
                9,
            ),
            (
                "def solution():\n    for i in range(3):\n        pass\n    else:\n        pass\n    return 1\n",
                "for-else",
                2,
                5,
            ),
            (
                "def solution():\n    try:\n        x = 1\n    except Exception:\n        x = 2\n    return x\n",
                "try",
                2,
                5,
            ),
        ];
        for &(src, what, line, column) in cases {
            match parse_program(src, None) {
                Err(PythonError::Unsupported {
                    construct,
                    line: l,
                    column: c,
                }) => {
                    assert!(construct.contains(what), "{construct} should name {what}");
                    assert_eq!((l, c), (line, column), "{src}");
                }
                other => panic!("{src}: expected Unsupported, got {other:?}"),
            }
        }
    }

    #[test]
    fn syntax_eval_and_structure_errors() {
        match parse_program("def solution():\n    x = (1 +\n", None) {
            Err(PythonError::Syntax { line, .. }) => assert!(line >= 2),
            other => panic!("{other:?}"),
        }
        match parse_program(
            "def solution():\n    a = 0\n    b = 3 / a\n    return b\n",
            None,
        ) {
            Err(PythonError::Eval {
                line: 3,
                column: Some(9),
                source,
            }) => {
                assert!(source.to_string().contains("division by zero"), "{source}")
            }
            other => panic!("{other:?}"),
        }
        match parse_program("a = 2\nb = a ** 0.5\n", None) {
            Err(PythonError::Eval { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_program("def solution():\n    a = 2\n", None),
            Err(PythonError::MissingReturn { line: 1 })
        ));
        assert!(matches!(
            parse_program("def solution():\n    a = b + 1\n    return a\n", None),
            Err(PythonError::Undefined { ref name, line: 2, column: 9 }) if name == "b"
        ));
        assert!(matches!(parse_program("", None), Err(PythonError::Empty)));
    }

    #[test]
    fn marker_text_inside_the_docstring_is_not_a_marker() {
        let src = "def solution():\n    \"\"\"a # graft: ids 9 0 b # graft: proxy\"\"\"\n    a = 2\n    b = a * 3\n    return b\n";
        let g = parse_program(src, None).unwrap();
        assert_eq!(g.answer_value(), Number::int(6));
        assert!(parse_program(&to_python(&g), g.question())
            .unwrap()
            .same_as(&g));
    }

    /// `question_numbers` as it was first written (one byte at a time), for comparison.
    fn question_numbers_reference(q: &str) -> Vec<(u32, u32, Number)> {
        let b = q.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_digit()
                || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
            {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            while i + 3 < b.len()
                && b[i] == b','
                && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
                && !(i + 4 < b.len() && b[i + 4].is_ascii_digit())
            {
                i += 4;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if let Some(value) = Number::parse_decimal(&q[start..i]) {
                out.push((start as u32, i as u32, value));
            }
        }
        out
    }

    #[test]
    fn question_numbers_are_the_byte_by_byte_reading() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(26);
        let pieces = [
            "1", "23", "0", ",", ",000", ".", ".5", "a", "x1", " ", "$", "é", "-", "12,345",
            "3.25", "v2", "..", "7", "\n",
        ];
        let mut texts: Vec<String> = (0..3000)
            .map(|_| {
                (0..rng.random_range(0..12))
                    .map(|_| pieces[rng.random_range(0..pieces.len())])
                    .collect()
            })
            .collect();
        texts.extend(
            [
                "",
                "1",
                "a1 2",
                "x12,345.5 and 7.",
                "1,2345 1,234,567 .5 5.",
                "é12 b3c 4",
            ]
            .map(String::from),
        );
        // Long texts with digits far apart, and every byte value next to a digit.
        for k in 0..200usize {
            let mut t = "é a.b/c:d ".repeat(k % 7);
            t.push_str(&"word ".repeat(k % 13));
            t.push_str(&(k * 37).to_string());
            t.push(char::from_u32(0x20 + (k as u32 * 7) % 0x5f).unwrap_or(' '));
            t.push_str(&"ÿ/:".repeat(k % 5));
            t.push_str(&k.to_string());
            texts.push(t);
        }
        for b in 0u8..=127 {
            let c = char::from(b);
            texts.push(format!(
                "{}1{c}{}",
                c.to_string().repeat(9),
                c.to_string().repeat(8)
            ));
        }
        for t in &texts {
            let got: Vec<_> = question_numbers(t)
                .into_iter()
                .map(|q| (q.start, q.end, q.value))
                .collect();
            assert_eq!(got, question_numbers_reference(t), "{t:?}");
        }
    }

    #[test]
    fn trim_is_strs_trim() {
        for t in [
            "",
            " ",
            "  a = 1  ",
            "\u{a0}a\u{a0}",
            "\u{b}x\u{b}",
            " \u{2003}é ",
            "x\t",
            "\u{85}",
        ] {
            assert_eq!(trim(t), t.trim(), "{t:?}");
        }
    }

    #[test]
    fn markers() {
        let src = "def solution():\n    a = 1 / 3  # graft: input 4..5\n    k = 60  # graft: constant\n    b = a + 5  # graft: proxy\n    c = 2  # graft: step\n    d = b * k + c\n    return d\n";
        let g = parse_program(src, Some("abc 7")).unwrap();
        let kind = |name: &str| g.node(g.find(name).unwrap()).kind.clone();
        assert_eq!(
            kind("a"),
            NodeKind::Input {
                span: Some(Span { start: 4, end: 5 })
            }
        );
        assert_eq!(kind("k"), NodeKind::Constant);
        assert!(
            matches!(kind("b"), NodeKind::Proxy { f } if f.op == ProxyOp::Add && f.k == Number::int(5))
        );
        assert!(matches!(kind("c"), NodeKind::Step { .. }));
        assert_eq!(g.answer_value(), n("322"));
        assert!(matches!(
            parse_program("a = 1\nb = a  # graft: input\n", None),
            Err(PythonError::BadMarker { line: 2, .. })
        ));
    }
}
