//! Python solution programs → computation graphs.
//!
//! [`parse_program`] reads a small, arithmetic subset of Python (the shape of GSM-Hard's
//! `code` field: `def solution():`, a docstring, assignments, `if` blocks and `return`) with
//! the real Python parser and interprets it inside the engine, exactly, without running Python.
//!
//! Mapping to the graph:
//! - `x = 5` (a literal or `-literal`) is an [`NodeKind::Input`] named `x`; when a question is
//!   given, its span is the first not-yet-used occurrence of that number written in digits.
//! - any other assignment is a [`NodeKind::Step`]; operands are the distinct nodes read, in
//!   first-appearance order; literals stay inline.
//! - reassignment adds a new node (`total_2`); later reads use the newest.
//! - `if/elif/else` adds one [`NodeKind::Branch`] per variable assigned in any arm; a ternary
//!   nested inside a larger expression is hoisted into its own branch node `<target>_choice`.
//! - `return name` makes that node the answer; `return <expr>` adds a step `result`.
//! - a program without `def` is read as top-level statements; without `return`, the answer is
//!   the last assigned variable.
//!
//! Lines written by [`crate::printer::to_python`] may end with a `# graft: ...` marker:
//! `input [A..B]`, `constant`, `proxy`, `step`, or `args a b c` (explicit operand order).

use ruff_python_ast as ast;
use ruff_text_size::Ranged;

use crate::expr::{BinOp, CmpOp, Cond, Expr, Func};
use crate::graph::{Graph, GraphBuilder, GraphError, NodeId, NodeKind, ProxyFn, ProxyOp, Span};
use crate::limits::{check_len, check_python, Limit, LimitError, MAX_NESTING};
use crate::number::{ArithError, Number};

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
    /// Valid Python outside the arithmetic subset Graft understands.
    #[error("unsupported Python at line {line}, column {column}: {construct} (Graft reads assignments, arithmetic, min/max/abs/round/int/float/sum/math.floor/math.ceil, if/elif/else, ternaries and return)")]
    Unsupported {
        /// The construct, e.g. `while loop` or `call to len()`.
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
    /// A variable assigned in only some arms of an `if` has no value in the others.
    #[error("line {line}: `{name}` is assigned in only some arms of this if and has no value before it; assign it before the if or in every arm")]
    NoValueInArm {
        /// The variable.
        name: String,
        /// 1-based line of the `if`.
        line: u32,
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
    check_python(source)?;
    if let Some(q) = question {
        check_len(Limit::TextBytes, q.len())?;
    }
    let parsed = ruff_python_parser::parse_module(source).map_err(|e| {
        let (line, column) = line_col(source, u32::from(e.location.start()));
        PythonError::Syntax {
            message: e.error.to_string(),
            line,
            column,
        }
    })?;
    let module = parsed.syntax();
    let mut it = Interp {
        src: source,
        b: GraphBuilder::new(question.map(str::to_string)),
        scope: Scope(Vec::with_capacity(16)),
        log: Vec::with_capacity(16),
        qnums: question.map(question_numbers).unwrap_or_default(),
        last: None,
    };
    let mut func: Option<&ast::StmtFunctionDef> = None;
    let mut top: Vec<&ast::Stmt> = Vec::new();
    for stmt in &module.body {
        match stmt {
            ast::Stmt::Import(imp) => it.check_import(imp)?,
            ast::Stmt::FunctionDef(f) => {
                if func.is_some() {
                    return Err(it.unsupported("a second function definition", stmt.start()));
                }
                func = Some(f);
            }
            _ => top.push(stmt),
        }
    }
    let answer = match func {
        Some(f) => {
            for stmt in &top {
                if !is_ignorable_top_level(stmt) {
                    return Err(it.unsupported(
                        "statements outside solution() besides imports",
                        stmt.start(),
                    ));
                }
            }
            if !f.parameters.is_empty() || f.is_async || !f.decorator_list.is_empty() {
                return Err(it.unsupported("function parameters or decorators", f.start()));
            }
            match it.block(&f.body, true)? {
                Some(a) => a,
                None => {
                    return Err(PythonError::MissingReturn {
                        line: line_col(source, u32::from(f.start())).0,
                    })
                }
            }
        }
        None => match it.block(&module.body, true)? {
            Some(a) => a,
            None => it.last.ok_or(PythonError::Empty)?,
        },
    };
    let to_eval = |e: GraphError| PythonError::Eval {
        line: 1,
        column: None,
        source: e.into(),
    };
    // Only a real comment counts (not the same text inside the docstring); the cheap text
    // search first, the tokens only when the text is there at all.
    let ids_marker = match source.contains("# graft: ids") {
        false => None,
        true => parsed
            .tokens()
            .iter()
            .filter(|t| t.kind() == ruff_python_ast::token::TokenKind::Comment)
            .map(|t| u32::from(t.start()) as usize)
            .find(|&at| source[at..].starts_with("# graft: ids")),
    };
    match ids_marker {
        None => it.b.build(answer).map_err(to_eval),
        Some(at) => {
            let (line, _) = line_col(source, at as u32);
            let (_, end) = line_bounds(source, at);
            let ids = renumbering(&source[at + "# graft: ids".len()..end], it.b.len()).ok_or_else(
                || PythonError::BadMarker {
                    message: format!(
                        "`# graft: ids` must list each of the {} node ids once",
                        it.b.len()
                    ),
                    line,
                },
            )?;
            let mut nodes: Vec<Option<(crate::graph::Node, Number)>> = vec![None; ids.len()];
            for (k, &id) in ids.iter().enumerate() {
                let mut node = it.b.node(NodeId(k as u32)).clone();
                for o in node.operands.iter_mut() {
                    *o = ids[o.index()];
                }
                nodes[id.index()] = Some((node, it.b.value(NodeId(k as u32))));
            }
            let nodes = nodes.into_iter().flatten().collect();
            Graph::from_parts(
                nodes,
                ids.clone(),
                ids[answer.index()],
                question.map(str::to_string),
            )
            .map_err(to_eval)
        }
    }
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

/// Module-level statements that may sit beside `def solution()`: docstrings, `pass`, and calls
/// that only run or print the solution.
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

/// A number written in digits in the question: byte range, value, already used.
struct QNum {
    start: u32,
    end: u32,
    value: Number,
    used: bool,
}

/// Every number written in digits in `q` (`1,200`, `3.5`, `48`), in order.
fn question_numbers(q: &str) -> Vec<QNum> {
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

/// Variables in scope and their newest nodes; programs are small, so a vector beats hashing.
#[derive(Clone)]
struct Scope<'s>(Vec<(&'s str, NodeId)>);

impl<'s> Scope<'s> {
    fn get(&self, name: &str) -> Option<NodeId> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, id)| id)
    }

    fn insert(&mut self, name: &'s str, id: NodeId) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = id,
            None => self.0.push((name, id)),
        }
    }
}

/// A `# graft:` marker at the end of an assignment line.
enum Marker<'s> {
    None,
    Input(Option<Span>),
    Constant,
    Proxy,
    Step,
    Args(Vec<&'s str>),
}

struct Interp<'s> {
    src: &'s str,
    b: GraphBuilder,
    /// Variable name in the source → its newest node (one small map, searched linearly).
    scope: Scope<'s>,
    /// Variables assigned so far, in order (arms of an `if` read their part of it).
    log: Vec<&'s str>,
    qnums: Vec<QNum>,
    last: Option<NodeId>,
}

/// The operands of the node being built, and the name hoisted ternaries are based on.
struct Operands<'a> {
    ids: Vec<NodeId>,
    /// Fixed by an `args` marker: names must map into it, nothing is added.
    fixed: bool,
    target: &'a str,
}

impl Operands<'_> {
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

impl<'s> Interp<'s> {
    fn pos(&self, offset: ruff_text_size::TextSize) -> (u32, u32) {
        line_col(self.src, u32::from(offset))
    }

    fn unsupported(
        &self,
        construct: impl Into<String>,
        at: ruff_text_size::TextSize,
    ) -> PythonError {
        let (line, column) = self.pos(at);
        PythonError::Unsupported {
            construct: construct.into(),
            line,
            column,
        }
    }

    fn eval_err(&self, at: ruff_text_size::TextSize, e: impl Into<EvalFailure>) -> PythonError {
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

    /// Runs statements; returns the answer when a `return` is reached (only at `top`).
    fn block(&mut self, body: &'s [ast::Stmt], top: bool) -> Result<Option<NodeId>, PythonError> {
        for stmt in body {
            match stmt {
                ast::Stmt::Assign(a) => {
                    if a.targets.len() != 1 {
                        return Err(self.unsupported("chained assignment `a = b = ...`", a.start()));
                    }
                    let name = self.target_name(&a.targets[0])?;
                    self.assign(name, &a.value, stmt)?;
                }
                ast::Stmt::AnnAssign(a) => {
                    let name = self.target_name(&a.target)?;
                    match &a.value {
                        Some(v) => {
                            self.assign(name, v, stmt)?;
                        }
                        None => {
                            return Err(self.unsupported("annotation without a value", a.start()))
                        }
                    }
                }
                ast::Stmt::AugAssign(a) => {
                    let name = self.target_name(&a.target)?;
                    let op = self.bin_op(a.op, a.start())?;
                    let mut ops = Operands {
                        ids: Vec::with_capacity(4),
                        fixed: false,
                        target: name,
                    };
                    let prev = self.read(name, a.target.start())?;
                    let left = Expr::Arg(ops.slot(prev).unwrap_or(0));
                    let right = self.lower(&a.value, &mut ops)?;
                    let text = self.line_text(stmt.start());
                    let id = self
                        .b
                        .step(name, Expr::bin(op, left, right), ops.ids)
                        .map_err(|e| self.eval_err(a.value.start(), e))?;
                    self.b.set_text(id, text);
                    self.bind(name, id);
                }
                ast::Stmt::If(i) => self.if_chain(&i.test, &i.body, &i.elif_else_clauses, stmt)?,
                ast::Stmt::Return(r) => {
                    if !top {
                        return Err(self.unsupported("return inside an if block", r.start()));
                    }
                    let Some(value) = &r.value else {
                        return Err(PythonError::MissingReturn {
                            line: self.pos(r.start()).0,
                        });
                    };
                    if let ast::Expr::Name(n) = &**value {
                        return self.read(n.id.as_str(), n.start()).map(Some);
                    }
                    let id = self.assign("result", value, stmt)?;
                    return Ok(Some(id));
                }
                ast::Stmt::Expr(e) if matches!(&*e.value, ast::Expr::StringLiteral(_)) => {}
                ast::Stmt::Pass(_) => {}
                ast::Stmt::Import(imp) => self.check_import(imp)?,
                other => return Err(self.unsupported(stmt_name(other), other.start())),
            }
        }
        Ok(None)
    }

    fn target_name(&self, t: &'s ast::Expr) -> Result<&'s str, PythonError> {
        match t {
            ast::Expr::Name(n) => Ok(n.id.as_str()),
            ast::Expr::Tuple(_) | ast::Expr::List(_) => {
                Err(self.unsupported("tuple unpacking `a, b = ...`", t.start()))
            }
            _ => Err(self.unsupported(format!("assignment to {}", expr_name(t)), t.start())),
        }
    }

    fn read(&self, name: &str, at: ruff_text_size::TextSize) -> Result<NodeId, PythonError> {
        self.scope.get(name).ok_or_else(|| {
            let (line, column) = self.pos(at);
            PythonError::Undefined {
                name: name.to_string(),
                line,
                column,
            }
        })
    }

    fn bind(&mut self, name: &'s str, id: NodeId) {
        self.scope.insert(name, id);
        self.log.push(name);
        self.last = Some(id);
    }

    /// The trimmed source line at `offset`, without a `# graft:` marker.
    fn line_text(&self, offset: ruff_text_size::TextSize) -> String {
        let (s, e) = line_bounds(self.src, u32::from(offset) as usize);
        let line = &self.src[s..e];
        let line = match line.as_bytes().contains(&b'#') {
            true => line.find("# graft:").map_or(line, |i| &line[..i]),
            false => line,
        };
        line.trim().to_string()
    }

    /// The `# graft:` marker after a statement, if any.
    fn marker(&self, stmt: &ast::Stmt) -> Result<Marker<'s>, PythonError> {
        let end = u32::from(stmt.end()) as usize;
        let (_, line_end) = line_bounds(self.src, end);
        let rest = self.src.get(end..line_end).unwrap_or("");
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
            Some("constant") => Marker::Constant,
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

    /// Adds the node for `name = value` and binds it.
    fn assign(
        &mut self,
        name: &'s str,
        value: &'s ast::Expr,
        stmt: &'s ast::Stmt,
    ) -> Result<NodeId, PythonError> {
        let marker = self.marker(stmt)?;
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
                    self.b.input(name, v, span)
                } else {
                    let mut ops = Operands {
                        ids: Vec::with_capacity(4),
                        fixed: false,
                        target: name,
                    };
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
                self.b.input(name, v, span)
            }
            Marker::Constant => {
                let v = self.literal_expr(value)?;
                self.b.constant(name, v)
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
        self.bind(name, id);
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

    fn if_chain(
        &mut self,
        test: &'s ast::Expr,
        body: &'s [ast::Stmt],
        rest: &'s [ast::ElifElseClause],
        stmt_at: &impl Ranged,
    ) -> Result<(), PythonError> {
        let at = stmt_at.start();
        if rest.len() > MAX_NESTING {
            let (line, column) = self.pos(rest[MAX_NESTING].start());
            return Err(LimitError::new(Limit::Nesting, rest.len())
                .at(line, column)
                .into());
        }
        let mut cond_ops = Operands {
            ids: Vec::with_capacity(4),
            fixed: false,
            target: "condition",
        };
        let cond = self.cond(test, &mut cond_ops)?;
        let before = self.scope.clone();
        let log_start = self.log.len();
        self.block(body, false)?;
        let then_scope = std::mem::replace(&mut self.scope, before.clone());
        if let Some((clause, more)) = rest.split_first() {
            match &clause.test {
                Some(t) => self.if_chain(t, &clause.body, more, clause)?,
                None => {
                    self.block(&clause.body, false)?;
                }
            }
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
            let missing = || PythonError::NoValueInArm {
                name: v.to_string(),
                line,
            };
            let t = then_scope.get(v).ok_or_else(missing)?;
            let o = else_scope.get(v).ok_or_else(missing)?;
            let mut ops = Operands {
                ids: cond_ops.ids.clone(),
                fixed: false,
                target: v,
            };
            let then = Expr::Arg(ops.slot(t).unwrap_or(0));
            let otherwise = Expr::Arg(ops.slot(o).unwrap_or(0));
            let id = self
                .b
                .op(
                    v,
                    NodeKind::Branch {
                        cond: cond.clone(),
                        then,
                        otherwise,
                    },
                    ops.ids,
                )
                .map_err(|e| self.eval_err(at, e))?;
            self.b.set_text(id, text.clone());
            self.bind(v, id);
        }
        Ok(())
    }

    fn bin_op(
        &self,
        op: ast::Operator,
        at: ruff_text_size::TextSize,
    ) -> Result<BinOp, PythonError> {
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
                let mut inner = Operands {
                    ids: Vec::with_capacity(4),
                    fixed: false,
                    target: &target,
                };
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
                let id = self.read(n.id.as_str(), n.start())?;
                match ops.slot(id) {
                    Some(i) => Expr::Arg(i),
                    None => {
                        let (line, column) = self.pos(n.start());
                        return Err(if ops.target.is_empty() {
                            PythonError::Undefined {
                                name: n.id.to_string(),
                                line,
                                column,
                            }
                        } else {
                            PythonError::BadMarker {
                                message: format!("`{}` is not listed in args", n.id),
                                line,
                            }
                        });
                    }
                }
            }
            ast::Expr::NumberLiteral(_) => Expr::Lit(self.number(e)?),
            ast::Expr::UnaryOp(u) => match u.op {
                ast::UnaryOp::USub => match &*u.operand {
                    ast::Expr::NumberLiteral(_) => {
                        let v = self.number(&u.operand)?;
                        Expr::Lit(v.neg().map_err(|err| self.eval_err(e.start(), err))?)
                    }
                    inner => Expr::Neg(Box::new(self.lower(inner, ops)?)),
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

    fn call(&mut self, c: &'s ast::ExprCall, ops: &mut Operands<'_>) -> Result<Expr, PythonError> {
        let func = match &*c.func {
            ast::Expr::Name(n) => match n.id.as_str() {
                "min" => Func::Min,
                "max" => Func::Max,
                "abs" => Func::Abs,
                "round" => Func::Round,
                "int" => Func::Int,
                "float" => Func::Float,
                "sum" => Func::Sum,
                other => return Err(self.unsupported(format!("call to {other}()"), c.start())),
            },
            ast::Expr::Attribute(a) => match (&*a.value, a.attr.id.as_str()) {
                (ast::Expr::Name(m), "floor") if m.id.as_str() == "math" => Func::Floor,
                (ast::Expr::Name(m), "ceil") if m.id.as_str() == "math" => Func::Ceil,
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
        let mut out = Vec::with_capacity(args.len());
        if func == Func::Sum {
            let elts = match args.as_ref() {
                [ast::Expr::List(l)] => &l.elts,
                [ast::Expr::Tuple(t)] => &t.elts,
                _ => {
                    return Err(self.unsupported(
                        "sum() of something other than a list or tuple literal",
                        c.start(),
                    ))
                }
            };
            for a in elts {
                out.push(self.lower(a, ops)?);
            }
        } else {
            let (lo, hi) = match func {
                Func::Min | Func::Max => (1, usize::MAX),
                Func::Round => (1, 2),
                _ => (1, 1),
            };
            if args.len() < lo || args.len() > hi {
                return Err(self.unsupported(
                    format!("{}() with {} arguments", func.python_name(), args.len()),
                    c.start(),
                ));
            }
            if matches!(func, Func::Min | Func::Max) && args.len() == 1 {
                return Err(self.unsupported(
                    format!("{}() of a single iterable", func.python_name()),
                    c.start(),
                ));
            }
            for a in args.iter() {
                if matches!(a, ast::Expr::Starred(_)) {
                    return Err(self.unsupported("starred argument", a.start()));
                }
                out.push(self.lower(a, ops)?);
            }
        }
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
                    cond,
                    then,
                    otherwise,
                }
            }
            _ => NodeKind::Branch {
                cond: self.cond(e, ops)?,
                then: Expr::Lit(Number::ONE),
                otherwise: Expr::Lit(Number::ZERO),
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
        let err = parse_program("x = 1\nif x > 0:\n    y = 2\nz = y\n", None).unwrap_err();
        assert!(
            matches!(err, PythonError::NoValueInArm { ref name, line: 2 } if name == "y"),
            "{err}"
        );
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
                "def solution():\n    x = 1\n    while x < 5:\n        x += 1\n    return x\n",
                "while",
                3,
                5,
            ),
            (
                "def solution():\n    x = [1, 2]\n    return x\n",
                "list",
                2,
                9,
            ),
            (
                "def solution():\n    x = len(y)\n    return x\n",
                "len",
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
                "def solution():\n    x = 1\n    print(x)\n    return x\n",
                "print",
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
                "def solution():\n    for i in range(3):\n        pass\n    return 1\n",
                "for",
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
