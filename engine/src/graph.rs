//! The computation graph: inputs → steps → answer, a DAG of shared nodes with exact values.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::expr::{Cond, Expr};
use crate::limits::{Limit, LimitError, MAX_EXPR_DEPTH, MAX_NODES};
use crate::number::{ArithError, ArithResult, Number};

/// A node's stable identifier inside one graph (its index; nodes are never removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The id as a `usize` index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A byte range in the question text where an input's number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte of the number's text.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The spanned text, if the span fits `text`.
    pub fn slice<'a>(&self, text: &'a str) -> Option<&'a str> {
        text.get(self.start as usize..self.end as usize)
    }
}

/// The operation of a proxy step `t' = t op k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyOp {
    /// `t + k`
    Add,
    /// `t - k`
    Sub,
    /// `t * k`
    Mul,
    /// `t / k`
    Div,
}

impl ProxyOp {
    /// All four proxy operations.
    pub const ALL: [ProxyOp; 4] = [ProxyOp::Add, ProxyOp::Sub, ProxyOp::Mul, ProxyOp::Div];

    /// The matching arithmetic operator.
    pub fn bin_op(self) -> crate::expr::BinOp {
        use crate::expr::BinOp;
        match self {
            ProxyOp::Add => BinOp::Add,
            ProxyOp::Sub => BinOp::Sub,
            ProxyOp::Mul => BinOp::Mul,
            ProxyOp::Div => BinOp::Div,
        }
    }
}

/// A proxy function `f(t) = t op k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProxyFn {
    /// The operation.
    pub op: ProxyOp,
    /// The constant operand.
    pub k: Number,
}

impl ProxyFn {
    /// Applies `f` to `t` (what [`ProxyOp::bin_op`]'s `apply` gives, inlined into the
    /// sampler's simulation of a draw).
    #[inline(always)]
    pub fn apply(&self, t: Number) -> ArithResult {
        match self.op {
            ProxyOp::Add => t.add(self.k),
            ProxyOp::Sub => t.sub(self.k),
            ProxyOp::Mul => t.mul(self.k),
            ProxyOp::Div => t.div(self.k),
        }
    }
}

impl ProxyFn {
    /// Appends what [`ProxyFn`]'s `Display` writes (`+5`, `×3`) to `out`; a whole `k` that
    /// fits 64 bits is written digit by digit, without the formatting machinery.
    pub(crate) fn push_to(&self, out: &mut String) {
        // Each symbol pushed as a literal (a copy of known length, not a call to copy one of
        // any length).
        match self.op {
            ProxyOp::Add => out.push('+'),
            ProxyOp::Sub => out.push('−'),
            ProxyOp::Mul => out.push('×'),
            ProxyOp::Div => out.push('÷'),
        }
        debug_assert!(out.ends_with(self.op.symbol()));
        match self.k.to_integer().and_then(|k| i64::try_from(k).ok()) {
            Some(k) => {
                if k < 0 {
                    out.push('-');
                }
                push_decimal(out, k.unsigned_abs());
            }
            None => {
                use std::fmt::Write;
                write!(out, "{}", self.k).expect("writing to a String cannot fail");
            }
        }
    }
}

impl ProxyOp {
    /// The symbol a proxy's text writes for the operation.
    fn symbol(self) -> &'static str {
        match self {
            ProxyOp::Add => "+",
            ProxyOp::Sub => "−",
            ProxyOp::Mul => "×",
            ProxyOp::Div => "÷",
        }
    }
}

impl std::fmt::Display for ProxyFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sym = self.op.symbol();
        // A whole `k` that fits 64 bits (nearly every one drawn) is written as that integer,
        // which is what `Number`'s display writes for it, without its 128-bit arithmetic.
        match self.k.to_integer().and_then(|k| i64::try_from(k).ok()) {
            Some(k) => write!(f, "{sym}{k}"),
            None => write!(f, "{sym}{}", self.k),
        }
    }
}

/// What a node is and how its value is obtained.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NodeKind {
    /// A number given by the problem; `span` locates it in the question when known.
    Input {
        /// Where the number is written in the question.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        span: Option<Span>,
    },
    /// A number the question does not state (units such as 60 or 100); never intervened on.
    Constant,
    /// A computation over the operands.
    Step {
        /// The computation; `Expr::Arg(i)` reads operand `i`.
        expr: Expr,
    },
    /// A step added by an intervention: `t' = f(t)`, operand 0 is `t`.
    Proxy {
        /// The proxy function.
        f: ProxyFn,
    },
    /// A conditional: `then` when `cond` holds, else `otherwise`. (Its parts are boxed:
    /// inline they made every node three times the size of the others' kinds, and a graph's
    /// nodes are read cold from memory, problem after problem.)
    Branch {
        /// The condition.
        cond: Box<Cond>,
        /// The value when the condition holds.
        then: Box<Expr>,
        /// The value when it does not.
        otherwise: Box<Expr>,
    },
}

/// The coarse role of a node, for display and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An input.
    Input,
    /// A constant.
    Constant,
    /// A step.
    Step,
    /// A proxy step.
    Proxy,
    /// A branch.
    Branch,
    /// The answer node (whatever its kind).
    Answer,
}

impl NodeKind {
    /// Whether this node computes something (step, proxy or branch).
    pub fn is_operation(&self) -> bool {
        !matches!(self, NodeKind::Input { .. } | NodeKind::Constant)
    }

    /// Computes the node's value from its operands' values; inputs and constants keep `own`.
    #[inline]
    pub fn compute(&self, args: &[Number], own: Number) -> ArithResult {
        match self {
            NodeKind::Input { .. } | NodeKind::Constant => Ok(own),
            NodeKind::Step { expr } => expr.eval(args),
            NodeKind::Proxy { f } => f.apply(
                *args
                    .first()
                    .ok_or_else(|| ArithError::NotExact("proxy without operand".into()))?,
            ),
            NodeKind::Branch {
                cond,
                then,
                otherwise,
            } => {
                if cond.eval(args)? {
                    then.eval(args)
                } else {
                    otherwise.eval(args)
                }
            }
        }
    }

    /// Calls `f` on every operand slot the node reads, in reading order.
    pub fn visit_args(&self, f: &mut impl FnMut(u32)) {
        match self {
            NodeKind::Input { .. } | NodeKind::Constant => {}
            NodeKind::Step { expr } => expr.visit_args(f),
            NodeKind::Proxy { .. } => f(0),
            NodeKind::Branch {
                cond,
                then,
                otherwise,
            } => {
                cond.visit_args(f);
                then.visit_args(f);
                otherwise.visit_args(f);
            }
        }
    }

    /// The deepest expression in the node (0 for inputs, constants and proxies).
    pub fn expr_depth(&self) -> usize {
        match self {
            NodeKind::Input { .. } | NodeKind::Constant | NodeKind::Proxy { .. } => 0,
            NodeKind::Step { expr } => expr.depth(),
            NodeKind::Branch {
                cond,
                then,
                otherwise,
            } => cond.depth().max(then.depth()).max(otherwise.depth()),
        }
    }

    /// Refuses a node whose expression is deeper than [`MAX_EXPR_DEPTH`].
    pub fn check_depth(&self) -> Result<(), LimitError> {
        let d = self.expr_depth();
        if d > MAX_EXPR_DEPTH {
            return Err(LimitError::new(Limit::ExprDepth, d));
        }
        Ok(())
    }

    /// The highest operand index the node reads, plus one.
    pub fn arity(&self) -> usize {
        let mut max = 0usize;
        self.visit_args(&mut |i: u32| max = max.max(i as usize + 1));
        max
    }
}

/// One node of the computation graph: what it is, not its value (values live in the
/// [`Graph`], see [`Graph::value`], so that changing one never copies the node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// A readable, unique Python identifier (from the variable or the sentence).
    pub name: String,
    /// What the node is.
    #[serde(flatten)]
    pub kind: NodeKind,
    /// The nodes this one reads, in operand order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operands: Vec<NodeId>,
    /// The sentence or solution line the node came from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Why a graph could not be built or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Computing a node failed.
    #[error("cannot compute {name} ({node}): {source}")]
    Eval {
        /// The node.
        node: NodeId,
        /// Its name.
        name: String,
        /// The arithmetic failure.
        source: ArithError,
    },
    /// A node id that is not in the graph.
    #[error("no node {0} in this graph")]
    UnknownNode(NodeId),
    /// A node reads an operand defined after it, or itself.
    #[error("node {node} reads {operand}, which is not computed before it")]
    BadOrder {
        /// The reading node.
        node: NodeId,
        /// The operand.
        operand: NodeId,
    },
    /// A node's expression reads more operands than it has.
    #[error("node {0} reads operand slots it does not have")]
    BadArity(NodeId),
    /// An input or constant that lists operands (only computing nodes read others).
    #[error("node {0} is an input or a constant but lists operands; remove its operands")]
    SourceWithOperands(NodeId),
    /// The graph is over one of the engine's input limits ([`crate::limits`]).
    #[error("{0}")]
    Limit(#[from] LimitError),
}

/// The checks every node passes on its way into a graph, whatever the path: its expression
/// reads only operand slots it has, only computing nodes list operands, and its expression is
/// no deeper than [`MAX_EXPR_DEPTH`].
fn check_node(id: NodeId, kind: &NodeKind, operands: &[NodeId]) -> Result<(), GraphError> {
    kind.check_depth()?;
    if kind.arity() > operands.len() {
        return Err(GraphError::BadArity(id));
    }
    if !kind.is_operation() && !operands.is_empty() {
        return Err(GraphError::SourceWithOperands(id));
    }
    Ok(())
}

/// A node whose value changed, with its old and new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueChange {
    /// The node.
    pub node: NodeId,
    /// The value before.
    pub old: Number,
    /// The value after.
    pub new: Number,
}

/// Size and difficulty figures of a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Metrics {
    /// Longest source→answer path, counted in operations (the paper's difficulty).
    pub depth: u32,
    /// Operations the answer depends on.
    pub steps: u32,
    /// Inputs the answer depends on.
    pub inputs: u32,
    /// Most operations the answer depends on at one depth level.
    pub width: u32,
    /// Branches the answer depends on.
    pub branches: u32,
    /// Inputs the answer does not depend on.
    pub distractors: u32,
    /// All nodes.
    pub nodes: u32,
}

/// An evaluated computation graph with one answer node.
#[derive(Debug)]
pub struct Graph {
    /// Node payloads, by index, shared between clones and copied on write, so cloning a
    /// graph (as every intervention on a copy does) costs one reference count per node. The
    /// edges are the nodes' operands (no edge list to copy or keep in step).
    nodes: Vec<Arc<Node>>,
    /// The exact value of each node, by index (kept apart from the shared payloads, so a
    /// copy that changes values copies only this vector).
    values: Vec<Number>,
    /// Evaluation order: every node after its operands.
    order: Vec<NodeId>,
    answer: NodeId,
    question: Option<Arc<str>>,
    /// The loop-carrying program this graph was unrolled from, when it has structural inputs.
    source: Option<Arc<SourceProgram>>,
    /// The readers of each node, worked out the first time [`Graph::dependents`] is asked
    /// (most graphs never are) and forgotten when an operand changes.
    /// (Boxed: a graph is moved often, and most never have one.)
    readers: OnceLock<Box<Readers>>,
    /// Whether every node's name is in normal form (`is_normal_identifier`), as the names
    /// a graph gives new nodes always are: a graft's name, its target's with a word added,
    /// then is too, without a check.
    names_normal: bool,
}

/// Every node's readers, for [`Graph::dependents`]: those of node `i` are
/// `list[start[i]..start[i + 1]]`, each once, highest index first.
#[derive(Debug)]
struct Readers {
    start: Vec<u32>,
    list: Vec<NodeId>,
}

impl Readers {
    /// The readers of `nodes`, by a count and a fill of one slot per operand.
    fn of(nodes: &[Arc<Node>]) -> Readers {
        let n = nodes.len();
        let mut start = vec![0u32; n + 1];
        // A reader is listed once however many of its operand slots read the node: the
        // last slot reading it counts it.
        let reads_last =
            |node: &Node, k: usize| !node.operands[k + 1..].contains(&node.operands[k]);
        for node in nodes {
            for k in 0..node.operands.len() {
                if reads_last(node, k) {
                    start[node.operands[k].index() + 1] += 1;
                }
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill: Vec<u32> = start[..n].to_vec();
        let mut list = vec![NodeId(0); start[n] as usize];
        // Readers from the highest index down, so each node's list is in that order.
        for (r, node) in nodes.iter().enumerate().rev() {
            for k in 0..node.operands.len() {
                if reads_last(node, k) {
                    let o = node.operands[k].index();
                    list[fill[o] as usize] = NodeId(r as u32);
                    fill[o] += 1;
                }
            }
        }
        Readers { start, list }
    }
}

/// The Python program a graph was unrolled from, kept when some of its inputs are structural
/// (a loop count, a `while` bound): setting one extracts this program again with the new
/// value (see [`crate::intervene::InterventionError::Structural`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceProgram {
    /// The program as written.
    pub code: String,
    /// Literal values replaced since, in the order they were set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
}

/// One literal of a [`SourceProgram`] read with another value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// Which node, counted in the order the program's reading created them (0-based).
    pub created: u32,
    /// The value read instead of the literal.
    pub value: Number,
}

/// Calls `f` on every operand in `ops`: the first and the last (the only ones of nearly
/// every node, which reads one or two) without a loop, whose count would change from node to
/// node (a branch no predictor learns), and any between them in a loop. `f` must give the
/// same result called twice with one operand (as it is for a node of one operand, whose
/// first is its last).
#[inline(always)]
fn each_operand(ops: &[NodeId], mut f: impl FnMut(NodeId)) {
    if let (Some(&a), Some(&b)) = (ops.first(), ops.last()) {
        f(a);
        f(b);
        if ops.len() > 2 {
            for &o in &ops[1..ops.len() - 1] {
                f(o);
            }
        }
    }
}

/// Graphs with at most this many nodes get their per-node scratch (levels, marks) on the
/// stack.
const SMALL_GRAPH: usize = 64;

/// Room left in a copy's per-node vectors, so that the nodes an intervention adds to it
/// (a graft adds one, a distractor two) do not reallocate them.
const CLONE_ROOM: usize = 4;

/// The node `make` builds, in a shared allocation of its own, written straight into it: an
/// allocation made first (`Arc::new_cyclic`, whose weak reference is not kept) rather than
/// after the node is built beside it, which `Arc::new` then copies in (a node is large, and a
/// graft builds one or two).
#[inline(always)]
fn shared_node(make: impl FnOnce() -> Node) -> Arc<Node> {
    Arc::new_cyclic(|_| make())
}

/// `v` copied into a vector with [`CLONE_ROOM`] spare slots.
fn with_room<T: Copy>(v: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(v.len() + CLONE_ROOM);
    out.extend_from_slice(v);
    out
}

impl Clone for Graph {
    fn clone(&self) -> Self {
        // The same nodes, into vectors with room for what an intervention adds.
        let mut nodes = Vec::with_capacity(self.nodes.len() + CLONE_ROOM);
        nodes.extend(self.nodes.iter().cloned());
        Graph {
            nodes,
            values: with_room(&self.values),
            order: with_room(&self.order),
            answer: self.answer,
            question: self.question.clone(),
            source: self.source.clone(),
            readers: OnceLock::new(),
            names_normal: self.names_normal,
        }
    }
}

/// Builds a graph node by node, evaluating each as it is added.
#[derive(Debug, Clone, Default)]
pub struct GraphBuilder {
    /// The nodes, each already in the shared allocation the graph keeps (no copy at
    /// [`GraphBuilder::build`]).
    nodes: Vec<Arc<Node>>,
    values: Vec<Number>,
    question: Option<String>,
    /// Every name given so far, once there are [`NAME_SET_FROM`] nodes (fewer are searched
    /// in `keys` directly: most programs are small, and hashing every name costs more).
    names: HashSet<String>,
    /// [`name_key`] of each node's name, by index: the linear search compares these first.
    keys: Vec<u64>,
    /// For a base name, the suffix to try first (`total_7` after `total_6`), so that many
    /// reassignments of one name cost linear time.
    next_suffix: HashMap<String, u32>,
}

/// The names an identifier may not take (Python's keywords and the builtins the printer
/// calls), each at most 8 bytes (see [`KEYWORD_WORDS`]).
const PY_KEYWORDS: &[&str] = &[
    "False", "None", "True", "abs", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "float", "for", "from",
    "global", "if", "import", "in", "int", "is", "lambda", "math", "max", "min", "nonlocal", "not",
    "or", "pass", "print", "raise", "return", "round", "solution", "sum", "try", "while", "with",
    "yield",
];

/// Whether `base` is already an identifier of the normal form (no leading, trailing or
/// doubled `_`, not a keyword), which [`identifier`] returns unchanged.
fn is_normal_identifier(base: &str) -> bool {
    let b = base.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    if !first.is_ascii_alphabetic() || *last == b'_' {
        return false;
    }
    /// Per byte: 0 for a byte an identifier may not hold, 1 for an ASCII letter or digit, 2
    /// for `_`.
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut c = 0;
        while c < 256 {
            if (c as u8).is_ascii_alphanumeric() {
                t[c] = 1;
            }
            c += 1;
        }
        t[b'_' as usize] = 2;
        t
    };
    // One branch-free pass: only letters, digits and single `_`.
    let (mut bad, mut prev) = (0u8, 0u8);
    for &c in b {
        let k = CLASS[c as usize];
        bad |= u8::from(k == 0) | (k & prev & 2);
        prev = k;
    }
    bad == 0 && !is_py_keyword(base)
}

/// Up to 8 bytes of `s` as one little-endian word, zero-padded.
const fn keyword_word(s: &[u8]) -> u64 {
    let mut w = 0u64;
    let mut i = 0;
    while i < s.len() && i < 8 {
        w |= (s[i] as u64) << (8 * i);
        i += 1;
    }
    w
}

/// [`PY_KEYWORDS`] as words of [`keyword_word`]: a name is a keyword when its word is here
/// and it is at most 8 bytes long (a comparison of integers instead of strings).
const KEYWORD_WORDS: [u64; PY_KEYWORDS.len()] = {
    let mut out = [0u64; PY_KEYWORDS.len()];
    let mut i = 0;
    while i < PY_KEYWORDS.len() {
        assert!(PY_KEYWORDS[i].len() <= 8, "a keyword longer than 8 bytes");
        out[i] = keyword_word(PY_KEYWORDS[i].as_bytes());
        i += 1;
    }
    out
};

/// [`KEYWORD_WORDS`] with each keyword's length, sorted for a binary search.
const KEYWORD_KEYS: [(u64, usize); PY_KEYWORDS.len()] = {
    let mut out = [(0u64, 0usize); PY_KEYWORDS.len()];
    let mut i = 0;
    while i < PY_KEYWORDS.len() {
        out[i] = (KEYWORD_WORDS[i], PY_KEYWORDS[i].len());
        i += 1;
    }
    // Insertion sort (const).
    let mut i = 1;
    while i < out.len() {
        let mut j = i;
        while j > 0
            && (out[j - 1].0 > out[j].0 || (out[j - 1].0 == out[j].0 && out[j - 1].1 > out[j].1))
        {
            let t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
            j -= 1;
        }
        i += 1;
    }
    out
};

/// Whether `s` is one of [`PY_KEYWORDS`].
fn is_py_keyword(s: &str) -> bool {
    if s.len() > 8 {
        return false;
    }
    // The length too: a trailing NUL byte would pack to the same word.
    let key = (keyword_word(s.as_bytes()), s.len());
    KEYWORD_KEYS.binary_search(&key).is_ok()
}

/// A cheap summary of a name (its length, first and last 8 bytes): names with different keys
/// differ, so a search compares the text only where the keys are equal.
fn name_key(name: &str) -> u64 {
    let b = name.as_bytes();
    let head = keyword_word(b);
    let tail = keyword_word(&b[b.len().saturating_sub(8)..]);
    head ^ tail.rotate_left(29) ^ (b.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Turns any text into a Python identifier (`"Clips in May"` → `clips_in_may`).
pub fn identifier(base: &str) -> String {
    if is_normal_identifier(base) {
        return base.to_string();
    }
    let mut s = String::with_capacity(base.len());
    for c in base.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let mut s = s.trim_matches('_').to_string();
    if s.is_empty() {
        s.push_str("value");
    }
    if s.as_bytes()[0].is_ascii_digit() {
        s.insert(0, 'n');
    }
    if is_py_keyword(&s) {
        s.push('_');
    }
    s
}

/// From this many nodes on, a [`GraphBuilder`] keeps its names in a hash set.
const NAME_SET_FROM: usize = 32;

impl GraphBuilder {
    /// An empty builder for a problem with this question text.
    pub fn new(question: Option<String>) -> Self {
        // Room for a usual program's nodes at once, rather than growing by doubling.
        GraphBuilder {
            nodes: Vec::with_capacity(16),
            values: Vec::with_capacity(16),
            question,
            names: HashSet::new(),
            keys: Vec::with_capacity(16),
            next_suffix: HashMap::new(),
        }
    }

    /// A unique identifier based on `base` (`total`, `total_2`, …).
    pub fn unique_name(&self, base: &str) -> String {
        self.fresh_name(base).0
    }

    /// Whether a node already has the name `name`.
    fn taken(&self, name: &str) -> bool {
        if self.nodes.len() < NAME_SET_FROM {
            let key = name_key(name);
            (self.keys.iter().zip(&self.nodes)).any(|(&k, n)| k == key && n.name == name)
        } else {
            self.names.contains(name)
        }
    }

    /// The unique name for `base`, and when it had to be suffixed, the base in normal form
    /// and the suffix used.
    fn fresh_name(&self, base: &str) -> (String, Option<(String, u32)>) {
        let base = identifier(base);
        if !self.taken(&base) {
            return (base, None);
        }
        let start = self.next_suffix.get(&base).copied().unwrap_or(2);
        let (name, k) = (start..)
            .map(|i| (suffixed(&base, i), i))
            .find(|(n, _)| !self.taken(n))
            .expect("an unused name exists");
        (name, Some((base, k)))
    }

    /// The value of an already added node.
    pub fn value(&self, id: NodeId) -> Number {
        self.values[id.index()]
    }

    /// The node added as `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// Mutable access to an added node's name and text (not its computation).
    pub fn set_text(&mut self, id: NodeId, text: impl Into<String>) {
        Arc::make_mut(&mut self.nodes[id.index()]).text = Some(text.into());
    }

    /// Number of nodes added so far.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing was added yet.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds an input with its value and, when known, its place in the question.
    pub fn input(&mut self, name: &str, value: Number, span: Option<Span>) -> NodeId {
        self.push(name, NodeKind::Input { span }, vec![], value)
    }

    /// Adds a constant the question does not state.
    pub fn constant(&mut self, name: &str, value: Number) -> NodeId {
        self.push(name, NodeKind::Constant, vec![], value)
    }

    /// Adds any computing node, evaluating it at once.
    pub fn op(
        &mut self,
        name: &str,
        kind: NodeKind,
        operands: Vec<NodeId>,
    ) -> Result<NodeId, GraphError> {
        let id = NodeId(self.nodes.len() as u32);
        if self.nodes.len() >= MAX_NODES {
            return Err(LimitError::new(Limit::Nodes, self.nodes.len() + 1)
                .at_least()
                .into());
        }
        check_node(id, &kind, &operands)?;
        for &o in &operands {
            if o.index() >= self.nodes.len() {
                return Err(GraphError::BadOrder {
                    node: id,
                    operand: o,
                });
            }
        }
        // The operands' values, on the stack for the usual few operands.
        let mut small = [Number::ZERO; 8];
        let many: Vec<Number>;
        let args: &[Number] = if operands.len() <= small.len() {
            for (slot, o) in small.iter_mut().zip(&operands) {
                *slot = self.values[o.index()];
            }
            &small[..operands.len()]
        } else {
            many = operands.iter().map(|o| self.values[o.index()]).collect();
            &many
        };
        let value = kind
            .compute(args, Number::ZERO)
            .map_err(|e| GraphError::Eval {
                node: id,
                name: name.to_string(),
                source: e,
            })?;
        Ok(self.push(name, kind, operands, value))
    }

    /// Adds a step `expr` over `operands`.
    pub fn step(
        &mut self,
        name: &str,
        expr: Expr,
        operands: Vec<NodeId>,
    ) -> Result<NodeId, GraphError> {
        self.op(name, NodeKind::Step { expr }, operands)
    }

    fn push(&mut self, name: &str, kind: NodeKind, operands: Vec<NodeId>, value: Number) -> NodeId {
        let (name, suffixed) = self.fresh_name(name);
        if let Some((base, k)) = suffixed {
            self.next_suffix.insert(base, k + 1);
        }
        if self.nodes.len() + 1 == NAME_SET_FROM {
            // From the next node on, names are looked up in the set.
            self.names.extend(self.nodes.iter().map(|n| n.name.clone()));
        }
        if self.nodes.len() + 1 >= NAME_SET_FROM {
            self.names.insert(name.clone());
        }
        let id = NodeId(self.nodes.len() as u32);
        self.keys.push(name_key(&name));
        self.nodes.push(Arc::new(Node {
            name,
            kind,
            operands,
            text: None,
        }));
        self.values.push(value);
        id
    }

    /// Finishes the graph with `answer` as its answer node.
    pub fn build(self, answer: NodeId) -> Result<Graph, GraphError> {
        let n = self.nodes.len();
        crate::limits::check_len(Limit::Nodes, n)?;
        if answer.index() >= n {
            return Err(GraphError::UnknownNode(answer));
        }
        // Every node was checked (operands before it, arity) and evaluated when it was added,
        // in this order: nothing to validate or recompute.
        let names_normal = self.nodes.iter().all(|n| is_normal_identifier(&n.name));
        Ok(Graph {
            names_normal,
            nodes: self.nodes,
            values: self.values,
            order: (0..n as u32).map(NodeId).collect(),
            answer,
            question: self.question.map(Arc::from),
            source: None,
            readers: OnceLock::new(),
        })
    }
}

/// `base` with the number `i`: `total_2`, or `sum_2` for `sum_` (a name with a double
/// underscore is not in normal form, so it would not read back).
fn suffixed(base: &str, i: u32) -> String {
    if base.ends_with('_') {
        format!("{base}{i}")
    } else {
        format!("{base}_{i}")
    }
}

/// `base` as an identifier, suffixed (`_2`, `_3`, …) until `taken` rejects it.
fn unique_name(taken: impl Fn(&str) -> bool, base: &str) -> String {
    let base = identifier(base);
    if !taken(&base) {
        return base;
    }
    suffixed_unique(taken, &base)
}

/// The first of `base_2`, `base_3`, … (`base2`, … when `base` ends with `_`) that is not
/// `taken`: [`unique_name`] for a `base` already in normal form and taken.
fn suffixed_unique(taken: impl Fn(&str) -> bool, base: &str) -> String {
    // What `suffixed` writes for 2, 3, …, in one buffer and without the formatting machinery
    // (a proxy stacked on a proxy of the same kind takes this path).
    let stem = if base.ends_with('_') { 0 } else { 1 };
    let mut name = String::with_capacity(base.len() + stem + 4);
    name.push_str(base);
    if stem == 1 {
        name.push('_');
    }
    let keep = name.len();
    let mut i: u32 = 2;
    loop {
        name.truncate(keep);
        push_decimal(&mut name, u64::from(i));
        if !taken(&name) {
            return name;
        }
        // Fewer than 2^32 nodes, so an unused name comes before `i` wraps.
        i = i.wrapping_add(1);
    }
}

/// Appends `u` in decimal digits to `out`.
fn push_decimal(out: &mut String, mut u: u64) {
    let digit = |d: u64| char::from(b'0' + d as u8);
    // Up to three digits (every proxy's `k`, most suffixes) need no buffer.
    if u < 1000 {
        if u >= 100 {
            out.push(digit(u / 100));
        }
        if u >= 10 {
            out.push(digit(u / 10 % 10));
        }
        out.push(digit(u % 10));
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// The names of a node's operands, held on the stack for up to eight (nearly every node).
pub struct OperandNames<'a> {
    buf: [&'a str; 8],
    len: usize,
    heap: Vec<&'a str>,
}

impl<'a> std::ops::Deref for OperandNames<'a> {
    type Target = [&'a str];
    fn deref(&self) -> &[&'a str] {
        if self.len > self.buf.len() {
            &self.heap
        } else {
            &self.buf[..self.len]
        }
    }
}

impl Graph {
    /// The names of `node`'s operands (a node of this graph), in order.
    pub fn operand_names<'a>(&'a self, node: &Node) -> OperandNames<'a> {
        let mut names = OperandNames {
            buf: [""; 8],
            len: node.operands.len(),
            heap: Vec::new(),
        };
        if names.len <= names.buf.len() {
            for (slot, o) in names.buf.iter_mut().zip(&node.operands) {
                *slot = self.node(*o).name.as_str();
            }
        } else {
            names.heap = node
                .operands
                .iter()
                .map(|o| self.node(*o).name.as_str())
                .collect();
        }
        names
    }

    /// Assembles and fully evaluates a graph from its nodes (each with its stored value,
    /// which inputs and constants keep), an evaluation order and the answer.
    pub fn from_parts(
        nodes: Vec<(Node, Number)>,
        order: Vec<NodeId>,
        answer: NodeId,
        question: Option<String>,
    ) -> Result<Graph, GraphError> {
        crate::limits::check_len(Limit::Nodes, nodes.len())?;
        let (nodes, values): (Vec<Node>, Vec<Number>) = nodes.into_iter().unzip();
        let n = nodes.len();
        if answer.index() >= n {
            return Err(GraphError::UnknownNode(answer));
        }
        let mut pos = vec![u32::MAX; n];
        for (i, id) in order.iter().enumerate() {
            if id.index() >= n || pos[id.index()] != u32::MAX {
                return Err(GraphError::UnknownNode(*id));
            }
            pos[id.index()] = i as u32;
        }
        if order.len() != n {
            let missing = pos.iter().position(|&p| p == u32::MAX).unwrap_or(0);
            return Err(GraphError::UnknownNode(NodeId(missing as u32)));
        }
        for (i, node) in nodes.iter().enumerate() {
            let id = NodeId(i as u32);
            check_node(id, &node.kind, &node.operands)?;
            for &o in &node.operands {
                if o.index() >= n || pos[o.index()] >= pos[i] {
                    return Err(GraphError::BadOrder {
                        node: id,
                        operand: o,
                    });
                }
            }
        }
        let names_normal = nodes.iter().all(|n| is_normal_identifier(&n.name));
        let mut g = Graph {
            names_normal,
            nodes: nodes.into_iter().map(Arc::new).collect(),
            values,
            order,
            answer,
            question: question.map(Arc::from),
            source: None,
            readers: OnceLock::new(),
        };
        g.evaluate_all()?;
        Ok(g)
    }

    /// The question text the graph was extracted from, if any.
    pub fn question(&self) -> Option<&str> {
        self.question.as_deref()
    }

    /// Replaces the question text (spans are not checked).
    pub fn set_question(&mut self, question: Option<String>) {
        self.question = question.map(Arc::from);
    }

    /// The program this graph was unrolled from, when it has structural inputs.
    pub fn source_program(&self) -> Option<&SourceProgram> {
        self.source.as_deref()
    }

    /// Keeps (or forgets) the program this graph was unrolled from.
    pub fn set_source_program(&mut self, source: Option<SourceProgram>) {
        self.source = source.map(Arc::new);
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph has no nodes (never true for a built graph).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The node with this id.
    ///
    /// Panics on an id from another graph; use [`Graph::get`] for ids from outside.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The node with this id, or an error naming the unknown id.
    pub fn get(&self, id: NodeId) -> Result<&Node, GraphError> {
        self.nodes
            .get(id.index())
            .map(|n| &**n)
            .ok_or(GraphError::UnknownNode(id))
    }

    /// The node with this name.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.ids().find(|&id| self.node(id).name == name)
    }

    /// All node ids, by index.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.len() as u32).map(NodeId)
    }

    /// Nodes in evaluation order.
    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// The position of `id` in evaluation order (`None` for an id from outside): a scan, as
    /// a graph keeps no table of positions (which every copy would build anew, one more
    /// vector to allocate and to move, for the few positions a copy is asked).
    pub(crate) fn position(&self, id: NodeId) -> Option<usize> {
        self.order.iter().position(|&o| o == id)
    }

    /// [`Graph::position`] by a scan from the end of the order: quicker for a node near the
    /// end, as a graft's target on the critical path nearly always is (the curriculum's are
    /// the asked-for quantity and the changes stacked on it).
    pub(crate) fn position_from_end(&self, id: NodeId) -> Option<usize> {
        self.order.iter().rposition(|&o| o == id)
    }

    /// The nodes after `id` in evaluation order (all of them for an id from outside).
    pub(crate) fn order_after(&self, id: NodeId) -> &[NodeId] {
        let from = self.position(id).map_or(0, |p| p + 1);
        &self.order[from..]
    }

    /// The answer node.
    pub fn answer(&self) -> NodeId {
        self.answer
    }

    /// The answer's value.
    pub fn answer_value(&self) -> Number {
        self.values[self.answer.index()]
    }

    /// The exact value of a node.
    ///
    /// Panics on an id from another graph; use [`Graph::get_value`] for ids from outside.
    pub fn value(&self, id: NodeId) -> Number {
        self.values[id.index()]
    }

    /// The exact value of a node, or an error naming the unknown id.
    pub fn get_value(&self, id: NodeId) -> Result<Number, GraphError> {
        self.values
            .get(id.index())
            .copied()
            .ok_or(GraphError::UnknownNode(id))
    }

    /// Every node's value, by index.
    pub fn values(&self) -> &[Number] {
        &self.values
    }

    /// The nodes that read `id` directly, each once, highest index first (none for an id
    /// from outside the graph).
    pub fn dependents(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let readers = self
            .readers
            .get_or_init(|| Box::new(Readers::of(&self.nodes)));
        let (from, to) = match (
            readers.start.get(id.index()),
            readers.start.get(id.index() + 1),
        ) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        };
        readers.list[from..to].iter().copied()
    }

    /// Every node, by index.
    pub fn nodes(&self) -> &[Arc<Node>] {
        &self.nodes
    }

    /// The role of a node, with the answer node reported as [`Role::Answer`].
    pub fn role(&self, id: NodeId) -> Role {
        if id == self.answer {
            return Role::Answer;
        }
        match self.node(id).kind {
            NodeKind::Input { .. } => Role::Input,
            NodeKind::Constant => Role::Constant,
            NodeKind::Step { .. } => Role::Step,
            NodeKind::Proxy { .. } => Role::Proxy,
            NodeKind::Branch { .. } => Role::Branch,
        }
    }

    /// Every node that depends on any of `roots` (the roots excluded), in evaluation order.
    pub fn descendants(&self, roots: &[NodeId]) -> Vec<NodeId> {
        // One scan in evaluation order from the first root: a node reading a root or a node
        // already found is found (a root among them too).
        let mut root = vec![false; self.len()];
        for r in roots {
            if let Some(slot) = root.get_mut(r.index()) {
                *slot = true;
            }
        }
        // The first root in evaluation order, found in one pass (not a scan per root).
        let first = self
            .order
            .iter()
            .position(|o| root[o.index()])
            .unwrap_or(self.order.len());
        let mut mark = root.clone();
        let mut out = Vec::with_capacity(self.len());
        for &id in &self.order[first.min(self.order.len())..] {
            if self.node(id).operands.iter().any(|o| mark[o.index()]) {
                mark[id.index()] = true;
                out.push(id);
            }
        }
        out
    }

    /// [`Graph::descendants`] of the one node `root`, into `out` (emptied first), with `mark`
    /// as scratch (all false before and after the call, and grown to one slot per node): a
    /// scan of the nodes after `root` in evaluation order for those that read `root` or a node
    /// already found, so the list comes out in evaluation order without a sort or an
    /// allocation. Only the marks set are cleared again (not every slot). (The sampler finds
    /// them as its simulation reaches them; this is the reference its tests compare with.)
    #[cfg(test)]
    pub(crate) fn descendants_of_into(
        &self,
        root: NodeId,
        mark: &mut Vec<bool>,
        out: &mut Vec<NodeId>,
    ) {
        debug_assert!(mark.iter().all(|&m| !m));
        out.clear();
        if mark.len() < self.len() {
            mark.resize(self.len(), false);
        }
        mark[root.index()] = true;
        let start = self.position(root).map_or(self.order.len(), |p| p + 1);
        for &id in &self.order[start..] {
            if self.node(id).operands.iter().any(|o| mark[o.index()]) {
                mark[id.index()] = true;
                out.push(id);
            }
        }
        mark[root.index()] = false;
        for &id in out.iter() {
            mark[id.index()] = false;
        }
    }

    /// Marks every node the answer depends on (the answer included).
    pub fn relevant(&self) -> Vec<bool> {
        let mut mark = vec![false; self.len()];
        self.fill_relevant(&mut mark);
        mark
    }

    /// Marks in `mark` (one slot per node, all false) every node the answer depends on.
    fn fill_relevant(&self, mark: &mut [bool]) {
        mark[self.answer.index()] = true;
        for &id in self.order.iter().rev() {
            if mark[id.index()] {
                for &o in &self.node(id).operands {
                    mark[o.index()] = true;
                }
            }
        }
    }

    fn compute(&self, id: NodeId) -> Result<Number, GraphError> {
        let node = self.node(id);
        let mut buf = [Number::ZERO; 8];
        let args: Vec<Number>;
        let slice: &[Number] = if node.operands.len() <= buf.len() {
            for (slot, o) in buf.iter_mut().zip(&node.operands) {
                *slot = self.values[o.index()];
            }
            &buf[..node.operands.len()]
        } else {
            args = node
                .operands
                .iter()
                .map(|o| self.values[o.index()])
                .collect();
            &args
        };
        node.kind
            .compute(slice, self.values[id.index()])
            .map_err(|e| GraphError::Eval {
                node: id,
                name: node.name.clone(),
                source: e,
            })
    }

    /// Recomputes every node from scratch.
    pub fn evaluate_all(&mut self) -> Result<(), GraphError> {
        for i in 0..self.order.len() {
            let id = self.order[i];
            let v = self.compute(id)?;
            self.values[id.index()] = v;
        }
        Ok(())
    }

    /// Recomputes only the descendants of `changed`, in evaluation order, and returns the
    /// nodes whose value changed. On error every value is restored and the graph is unchanged.
    pub fn cascade(&mut self, changed: &[NodeId]) -> Result<Vec<ValueChange>, GraphError> {
        let mut out = Vec::new();
        for id in self.descendants(changed) {
            match self.compute(id) {
                Ok(v) => {
                    let old = self.values[id.index()];
                    if v != old {
                        self.values[id.index()] = v;
                        out.push(ValueChange {
                            node: id,
                            old,
                            new: v,
                        });
                    }
                }
                Err(e) => {
                    for c in out.iter().rev() {
                        self.values[c.node.index()] = c.old;
                    }
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    /// Sets the stored value of an input or constant, without cascading; returns the old value.
    pub(crate) fn set_raw_value(&mut self, id: NodeId, v: Number) -> Number {
        std::mem::replace(&mut self.values[id.index()], v)
    }

    /// Mutable access to a node's kind (callers must re-evaluate).
    pub(crate) fn kind_mut(&mut self, id: NodeId) -> &mut NodeKind {
        &mut Arc::make_mut(&mut self.nodes[id.index()]).kind
    }

    /// Mutable access to a node's text.
    pub fn set_node_text(&mut self, id: NodeId, text: Option<String>) {
        Arc::make_mut(&mut self.nodes[id.index()]).text = text;
    }

    /// A name not used by any node, based on `base`.
    pub fn unique_name(&self, base: &str) -> String {
        let base = identifier(base);
        // Few names share a prefix: a list scanned beats a hash set built.
        let similar = self.names_starting(&base);
        unique_name(|n| similar.contains(&n), &base)
    }

    /// The names of the nodes that start with `prefix`.
    fn names_starting(&self, prefix: &str) -> Vec<&str> {
        self.nodes
            .iter()
            .map(|node| node.name.as_str())
            .filter(|n| n.starts_with(prefix))
            .collect()
    }

    /// Adds a node placed in evaluation order right after `after` (or at the end when `None`),
    /// evaluating it. Its operands must come before it.
    /// `own` is the value an input or constant keeps (operations compute theirs).
    pub(crate) fn insert_node(
        &mut self,
        mut node: Node,
        own: Number,
        after: Option<NodeId>,
    ) -> Result<NodeId, GraphError> {
        let id = NodeId(self.len() as u32);
        let at = match after {
            Some(a) => self.get(a).map(|_| self.position(a).map_or(0, |p| p + 1))?,
            None => self.order.len(),
        };
        for &o in &node.operands {
            self.get(o)?;
            if self.position(o).is_none_or(|p| p >= at) {
                return Err(GraphError::BadOrder {
                    node: id,
                    operand: o,
                });
            }
        }
        check_node(id, &node.kind, &node.operands)?;
        if self.len() >= MAX_NODES {
            return Err(LimitError::new(Limit::Nodes, self.len() + 1).into());
        }
        self.name_new(&mut node);
        let value = self.compute_new(id, &node, own)?;
        self.push_node(Arc::new(node), value, at);
        Ok(id)
    }

    /// A copy of the graph with the proxy `f(t)` (with its `text`) placed right after `t`,
    /// with its `value` (`f` of `t`'s) already worked out, every reader of `t` (and the
    /// answer, when it is `t`) reading it instead, and the proxy's id. `name` is `t`'s
    /// followed by `_` and a lowercase word: what [`Graph::insert_node`] checks of the
    /// operands and the kind holds by construction, so only the node limit and the name are
    /// checked (the name is in normal form when `t`'s is, as every name is in most graphs).
    /// The copy is built in one pass at its final size: no clone to shift or to copy on
    /// write afterwards. The cascade's `changes` (the values below the proxy that move) are
    /// written into the copy's values as they are made.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn with_proxy(
        &self,
        mut name: String,
        f: ProxyFn,
        text: String,
        value: Number,
        t: NodeId,
        changes: &[ValueChange],
        after: Option<usize>,
    ) -> Result<(Graph, NodeId), GraphError> {
        let n = self.len();
        let id = NodeId(n as u32);
        // Where the proxy goes: right after `t` in evaluation order (given when the caller
        // knows it, and `t` is found there; found by a scan otherwise).
        let at = match after {
            Some(at) if at > 0 && self.order.get(at - 1) == Some(&t) => at,
            _ => self.get(t).map(|_| self.position(t).map_or(0, |p| p + 1))?,
        };
        debug_assert_eq!(self.position(t).map(|p| p + 1), Some(at));
        if n >= MAX_NODES {
            return Err(LimitError::new(Limit::Nodes, n + 1).into());
        }
        let mut names_normal = self.names_normal;
        let check_taken = names_normal || is_normal_identifier(&name);
        if !check_taken {
            name = self.unique_name(&name);
            names_normal &= is_normal_identifier(&name);
        } else {
            debug_assert!(
                !names_normal
                    || name
                        .strip_prefix(self.node(t).name.as_str())
                        .is_some_and(|w| w.len() > 1
                            && w.starts_with('_')
                            && w[1..].bytes().all(|c| c.is_ascii_lowercase()))
            );
            debug_assert!(is_normal_identifier(&name));
        }
        // The nodes, each shared, then the readers of `t` (all after it in evaluation order)
        // built anew reading the proxy (no copy on write, then edit).
        let mut nodes = Vec::with_capacity(n + CLONE_ROOM);
        nodes.extend(self.nodes.iter().cloned());
        for &r in &self.order[at..] {
            let node = &self.nodes[r.index()];
            if node.operands.contains(&t) {
                nodes[r.index()] = shared_node(|| Node {
                    name: node.name.clone(),
                    kind: node.kind.clone(),
                    operands: node
                        .operands
                        .iter()
                        .map(|&o| if o == t { id } else { o })
                        .collect(),
                    text: node.text.clone(),
                });
            }
        }
        let taken = check_taken && self.nodes.iter().any(|other| other.name == name);
        if taken {
            // What `unique_name` gives a taken name in normal form, without normalising it
            // again.
            let similar = self.names_starting(&name);
            name = suffixed_unique(|n| similar.contains(&n), &name);
        }
        // Built in its shared allocation (a node is large: not moved again).
        nodes.push(shared_node(|| Node {
            name,
            kind: NodeKind::Proxy { f },
            operands: vec![t],
            text: Some(text),
        }));
        let mut values = Vec::with_capacity(n + CLONE_ROOM);
        values.extend_from_slice(&self.values);
        values.push(value);
        for c in changes {
            values[c.node.index()] = c.new;
        }
        let mut order = Vec::with_capacity(n + CLONE_ROOM);
        order.extend_from_slice(&self.order[..at]);
        order.push(id);
        order.extend_from_slice(&self.order[at..]);
        let g = Graph {
            nodes,
            values,
            order,
            answer: if self.answer == t { id } else { self.answer },
            question: self.question.clone(),
            source: self.source.clone(),
            readers: OnceLock::new(),
            names_normal,
        };
        Ok((g, id))
    }

    /// Gives `node`, about to be added, a unique name in normal form: a name already in
    /// normal form and unused is kept as it is (no copy).
    fn name_new(&mut self, node: &mut Node) {
        if !is_normal_identifier(&node.name) {
            node.name = self.unique_name(&node.name);
            // (Not in normal form only for a keyword, which `identifier` suffixes with `_`.)
            self.names_normal &= is_normal_identifier(&node.name);
        } else {
            self.name_normal_new(node);
        }
    }

    /// [`Graph::name_new`] for a name in normal form: kept when unused, else suffixed (in
    /// normal form either way).
    fn name_normal_new(&self, node: &mut Node) {
        self.name_normal_unique(&mut node.name);
    }

    /// [`Graph::name_normal_new`] for a name alone.
    fn name_normal_unique(&self, name: &mut String) {
        if self.nodes.iter().any(|other| other.name == *name) {
            // What `unique_name` gives a taken name in normal form, without normalising it
            // again.
            let similar = self.names_starting(name);
            *name = suffixed_unique(|n| similar.contains(&n), name);
        }
    }

    /// Adds the checked and named `node` with its `value`, at position `at` of the
    /// evaluation order.
    fn push_node(&mut self, node: Arc<Node>, value: Number, at: usize) {
        let id = NodeId(self.len() as u32);
        self.nodes.push(node);
        self.readers.take();
        self.values.push(value);
        self.order.insert(at, id);
    }

    /// The value of `node`, about to be added as `id`, from its operands' values.
    fn compute_new(&self, id: NodeId, node: &Node, own: Number) -> Result<Number, GraphError> {
        let mut buf = [Number::ZERO; 8];
        let heap: Vec<Number>;
        let args: &[Number] = if node.operands.len() <= buf.len() {
            for (slot, o) in buf.iter_mut().zip(&node.operands) {
                *slot = self.values[o.index()];
            }
            &buf[..node.operands.len()]
        } else {
            heap = node
                .operands
                .iter()
                .map(|o| self.values[o.index()])
                .collect();
            &heap
        };
        node.kind.compute(args, own).map_err(|e| GraphError::Eval {
            node: id,
            name: node.name.clone(),
            source: e,
        })
    }

    /// Makes `reader` read `new` wherever it read `old` (no re-evaluation).
    pub(crate) fn redirect_operand(&mut self, reader: NodeId, old: NodeId, new: NodeId) {
        let node = Arc::make_mut(&mut self.nodes[reader.index()]);
        for o in node.operands.iter_mut() {
            if *o == old {
                *o = new;
            }
        }
        self.readers.take();
    }

    /// Moves the answer to another node.
    pub(crate) fn set_answer(&mut self, id: NodeId) {
        self.answer = id;
    }

    /// Size and difficulty figures.
    pub fn metrics(&self) -> Metrics {
        self.with_levels(|level| self.metrics_with(level))
    }

    /// [`Graph::metrics`], given the graph's [`Graph::levels`].
    pub(crate) fn metrics_with(&self, level: &[u32]) -> Metrics {
        let mut rel_buf = [false; SMALL_GRAPH];
        let mut rel_heap: Vec<bool>;
        let relevant: &mut [bool] = if self.len() <= SMALL_GRAPH {
            &mut rel_buf[..self.len()]
        } else {
            rel_heap = vec![false; self.len()];
            &mut rel_heap
        };
        self.fill_relevant(relevant);
        let relevant: &[bool] = relevant;
        self.metrics_given(level, |id| relevant[id.index()])
    }

    /// [`Graph::metrics`], given the graph's [`Graph::levels`] and which nodes the answer
    /// depends on (`relevant`, as [`Graph::relevant`] marks them), in one pass.
    pub(crate) fn metrics_given(
        &self,
        level: &[u32],
        relevant: impl Fn(NodeId) -> bool,
    ) -> Metrics {
        self.tally(level, |t| {
            for &id in &self.order {
                t.count(&self.node(id).kind, relevant(id), level[id.index()]);
            }
        })
    }

    /// Fills `down` with, per node, the most operations on a path from it to the answer after
    /// it, and `i64::MIN` for the nodes the answer does not depend on (the curriculum's
    /// critical path is read from `down` and the levels), counting every node into `t` in the
    /// same backward pass.
    fn down_pass(&self, level: &[u32], down: &mut Vec<i64>, t: &mut Tally<'_>) {
        down.clear();
        down.resize(self.len(), i64::MIN);
        down[self.answer.index()] = 0;
        // Every reader comes after its operands, so a node's distance is final when the
        // backward pass reaches it.
        for &id in self.order.iter().rev() {
            let node = self.node(id);
            let d = down[id.index()];
            let rel = d != i64::MIN;
            t.count(&node.kind, rel, level[id.index()]);
            if !rel {
                continue;
            }
            let cand = d + i64::from(node.kind.is_operation());
            for &o in &node.operands {
                if cand > down[o.index()] {
                    down[o.index()] = cand;
                }
            }
        }
    }

    /// [`Graph::metrics`], given the graph's [`Graph::levels`], in one backward pass that
    /// also fills `down` (see [`Graph::down_pass`]) and `per_level`, the count of relevant
    /// operations at each level (what [`Graph::metrics_after_graft`] keeps up to date): the
    /// tally counts into `per_level` itself.
    pub(crate) fn metrics_down_and_levels(
        &self,
        level: &[u32],
        down: &mut Vec<i64>,
        per_level: &mut Vec<u32>,
    ) -> Metrics {
        let depth = level[self.answer.index()];
        per_level.clear();
        per_level.resize(depth as usize + 1, 0);
        let mut t = Tally {
            m: Metrics {
                nodes: self.len() as u32,
                depth,
                ..Metrics::default()
            },
            per_level,
        };
        self.down_pass(level, down, &mut t);
        t.m.width = t.per_level.iter().copied().max().unwrap_or(0);
        t.m
    }

    /// The [`Graph::metrics`], levels ([`Graph::levels_into`]), `down` (as
    /// [`Graph::down_pass`] fills it) and `per_level` ([`Graph::metrics_down_and_levels`])
    /// of this graph, given those of the graph it was before the proxy `added` (its last node)
    /// was grafted in (`m` and the vectors hold them), without a second look at the nodes before
    /// the proxy: a graft leaves the answer depending on the same nodes as before, and on the
    /// proxy exactly when on the node it changes, so the counts move by the proxy alone, and
    /// only the levels after the proxy move (`rose` is scratch, all false before and after). Anything else (`added` not such a proxy, vectors
    /// of another size) is worked out in full. `at_t`, when given, is where the node grafted
    /// is in evaluation order (used when it is found there; scanned for otherwise).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn metrics_after_graft(
        &self,
        level: &mut Vec<u32>,
        down: &mut Vec<i64>,
        per_level: &mut Vec<u32>,
        rose: &mut Vec<bool>,
        m: Metrics,
        added: NodeId,
        at_t: Option<usize>,
    ) -> Metrics {
        let i = added.index();
        let node = self.nodes.get(i);
        let t = match node.map(|n| (&n.kind, n.operands.as_slice())) {
            Some((NodeKind::Proxy { .. }, &[t])) => t,
            _ => NodeId(u32::MAX),
        };
        if i + 1 != self.len()
            || level.len() != i
            || down.len() != i
            || t.index() >= i
            || m.nodes as usize != i
        {
            self.levels_into(level);
            return self.metrics_down_and_levels(level, down, per_level);
        }
        // The positions of `t` and of the proxy in evaluation order (the proxy nearly always
        // right after `t`, where a graft puts it: one scan for both).
        let at_t = match at_t {
            Some(at) if self.order.get(at) == Some(&t) => at,
            _ => self.position_from_end(t).unwrap_or(0),
        };
        let at_p = if self.order.get(at_t + 1) == Some(&added) {
            at_t + 1
        } else {
            self.position(added).unwrap_or(0)
        };
        // Relevant before and after: every old node as before, the proxy as its operand.
        let relevant_p = down[t.index()] != i64::MIN;
        level.push(0);
        // A relevant operation lies at most at the new depth, at most one above the old one.
        // (One slot a round: pushed, not resized.)
        while per_level.len() < m.depth as usize + 2 {
            per_level.push(0);
        }
        // (Slices: the loops keep their bounds in registers.)
        let (lv, dn, pl) = (
            level.as_mut_slice(),
            down.as_slice(),
            per_level.as_mut_slice(),
        );
        // The proxy (first from `at_p` on): one operation above `t`, counted when `t` is.
        debug_assert_eq!(self.order[at_p], added);
        let new = lv[t.index()] + 1;
        pl[new as usize] += u32::from(relevant_p);
        lv[i] = new;
        // Each node after it moves from its old level's count to its new one's when it is a
        // relevant operation, without a branch on that (which changes from node to node): one
        // that is not moves a count of 0, at a slot kept within the counts (a level can only
        // pass the depth where nothing is counted).
        let last = pl.len() - 1;
        for &id in &self.order[at_p + 1..] {
            let node = self.node(id);
            let mut below = 0;
            each_operand(&node.operands, |o| below = below.max(lv[o.index()]));
            let op = node.kind.is_operation();
            let new = below + op as u32;
            let counted = u32::from(op & (dn[id.index()] != i64::MIN));
            pl[(lv[id.index()] as usize).min(last)] -= counted;
            pl[(new as usize).min(last)] += counted;
            lv[id.index()] = new;
        }
        // The distances to the answer: the proxy is as far from it as its operand was (it
        // has the operand's readers, or is the answer in its place), and the operand one
        // further. A node after the proxy reaches neither, so it keeps its distance; one
        // before may rise, through a node that rose: a backward pass from the operand pushes
        // the new distances of the nodes that rose only.
        down.push(down[t.index()]);
        if relevant_p {
            down[t.index()] += 1;
            // (Every mark is cleared when its node is reached, so `rose` stays all false
            // between calls, and is only grown.)
            if rose.len() < i {
                rose.resize(i, false);
            }
            rose[t.index()] = true;
            let (dn, rs) = (down.as_mut_slice(), rose.as_mut_slice());
            for &id in self.order[..at_t + 1].iter().rev() {
                if !std::mem::take(&mut rs[id.index()]) {
                    continue;
                }
                let node = self.node(id);
                let cand = dn[id.index()] + i64::from(node.kind.is_operation());
                // (Branch-free: a rise happens about as often as not, which no predictor
                // learns.)
                each_operand(&node.operands, |o| {
                    let (d, r) = (&mut dn[o.index()], &mut rs[o.index()]);
                    *r |= cand > *d;
                    *d = (*d).max(cand);
                });
            }
            debug_assert!(rose.iter().all(|&r| !r));
        }
        Metrics {
            nodes: m.nodes + 1,
            steps: m.steps + u32::from(relevant_p),
            depth: level[self.answer.index()],
            width: per_level.iter().copied().max().unwrap_or(0),
            ..m
        }
    }

    /// The metrics `visit` counts node by node, with the per-level step counts on the stack
    /// for a small graph.
    fn tally(&self, level: &[u32], visit: impl FnOnce(&mut Tally<'_>)) -> Metrics {
        let m = Metrics {
            nodes: self.len() as u32,
            depth: level[self.answer.index()],
            ..Metrics::default()
        };
        // Every relevant operation lies at or below the answer's level.
        let slots = m.depth as usize + 1;
        let mut per_buf = [0u32; SMALL_GRAPH];
        let mut per_heap: Vec<u32>;
        let per_level: &mut [u32] = if slots <= SMALL_GRAPH {
            &mut per_buf[..slots]
        } else {
            per_heap = vec![0u32; slots];
            &mut per_heap
        };
        let mut t = Tally { m, per_level };
        visit(&mut t);
        t.m.width = t.per_level.iter().copied().max().unwrap_or(0);
        t.m
    }

    /// The longest source→answer path, counted in operations (as in [`Graph::metrics`]).
    pub fn depth(&self) -> u32 {
        self.with_levels(|level| level[self.answer.index()])
    }

    /// `f` of the graph's [`Graph::levels`], held on the stack for a small graph.
    pub(crate) fn with_levels<R>(&self, f: impl FnOnce(&[u32]) -> R) -> R {
        let mut buf = [0u32; SMALL_GRAPH];
        let mut heap: Vec<u32>;
        let level: &mut [u32] = if self.len() <= buf.len() {
            &mut buf[..self.len()]
        } else {
            heap = vec![0u32; self.len()];
            &mut heap
        };
        self.fill_levels(level);
        f(level)
    }

    /// Per node, the longest operation count from a source (the node's layer).
    pub fn levels(&self) -> Vec<u32> {
        let mut level = vec![0u32; self.len()];
        self.fill_levels(&mut level);
        level
    }

    /// The depth ([`Graph::depth`]) of this graph and of the graph it was before proxy `p`
    /// was grafted in (its readers, and the answer, then read its operand), in one pass.
    pub(crate) fn depths_around_proxy(&self, p: NodeId) -> (u32, u32) {
        let mut buf = [(0u32, 0u32); SMALL_GRAPH];
        let mut heap: Vec<(u32, u32)>;
        let level: &mut [(u32, u32)] = if self.len() <= buf.len() {
            &mut buf[..self.len()]
        } else {
            heap = vec![(0, 0); self.len()];
            &mut heap
        };
        for &id in &self.order {
            let node = self.node(id);
            let (mut before, mut after) = (0, 0);
            for o in &node.operands {
                let (b, a) = level[o.index()];
                before = before.max(b);
                after = after.max(a);
            }
            let op = node.kind.is_operation() as u32;
            // Before the graft, `p` passes its operand's level through unchanged.
            level[id.index()] = (before + op * u32::from(id != p), after + op);
        }
        let (before, after) = level[self.answer.index()];
        (before, after)
    }

    /// [`Graph::levels`] into `level`, reusing its room.
    pub(crate) fn levels_into(&self, level: &mut Vec<u32>) {
        level.clear();
        level.resize(self.len(), 0);
        self.fill_levels(level);
    }

    /// Writes each node's layer into `level` (one slot per node).
    fn fill_levels(&self, level: &mut [u32]) {
        self.fill_levels_from(level, 0);
    }

    /// Writes the layers of the nodes from position `from` of the evaluation order on into
    /// `level` (the layers of the nodes before it are already there).
    fn fill_levels_from(&self, level: &mut [u32], from: usize) {
        for &id in &self.order[from..] {
            let node = self.node(id);
            let below = node
                .operands
                .iter()
                .map(|o| level[o.index()])
                .max()
                .unwrap_or(0);
            level[id.index()] = below + node.kind.is_operation() as u32;
        }
    }

    /// Structural equality: same nodes (names, kinds, operands, values), order and answer.
    pub fn same_as(&self, other: &Graph) -> bool {
        self.len() == other.len()
            && self.answer == other.answer
            && self.order == other.order
            && self.ids().all(|id| {
                let (a, b) = (self.node(id), other.node(id));
                a.name == b.name
                    && a.kind == b.kind
                    && a.operands == b.operands
                    && self.value(id) == other.value(id)
            })
    }

    /// Whether `other` is this graph in every respect a reader of it can see: the question,
    /// the answer, the evaluation order, every node (name, kind, operands, text) and every
    /// value. Nodes shared between clones compare by address first, so a graph and its
    /// copies compare in time linear in the number of nodes, without reading any text.
    pub fn identical(&self, other: &Graph) -> bool {
        same_parts(
            &self.question,
            &self.source,
            self.answer,
            &self.values,
            &self.order,
            self.nodes.len(),
            self.nodes.iter(),
            other,
        )
    }
}

/// Whether `g` has exactly these parts (what [`Graph::identical`] compares): shared text and
/// nodes compare by address first.
#[allow(clippy::too_many_arguments)]
fn same_parts<'a>(
    question: &Option<Arc<str>>,
    source: &Option<Arc<SourceProgram>>,
    answer: NodeId,
    values: &[Number],
    order: &[NodeId],
    count: usize,
    nodes: impl Iterator<Item = &'a Arc<Node>>,
    g: &Graph,
) -> bool {
    fn same<T: PartialEq + ?Sized>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        }
    }
    same(question, &g.question)
        && same(source, &g.source)
        && answer == g.answer
        && values == g.values.as_slice()
        && order == g.order.as_slice()
        && count == g.nodes.len()
        && nodes
            .zip(&g.nodes)
            .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
}

/// Metrics being counted ([`Graph::tally`]).
struct Tally<'a> {
    m: Metrics,
    /// Relevant operations per level.
    per_level: &'a mut [u32],
}

impl Tally<'_> {
    /// Counts a node of kind `kind` at level `level`; `relevant`: the answer depends on it.
    fn count(&mut self, kind: &NodeKind, relevant: bool, level: u32) {
        match kind {
            NodeKind::Input { .. } if relevant => self.m.inputs += 1,
            NodeKind::Input { .. } => self.m.distractors += 1,
            NodeKind::Branch { .. } if relevant => self.m.branches += 1,
            _ => {}
        }
        if relevant && kind.is_operation() {
            self.m.steps += 1;
            self.per_level[level as usize] += 1;
        }
    }
}

/// A small per-thread memo of a pure function of a whole graph (its names, its mentions): the
/// last few graphs asked about, compared with [`Graph::identical`], and their results. The
/// words code asks the same questions of the same original once per variant.
pub(crate) struct GraphMemo<T> {
    /// Most recently used first.
    entries: Vec<(MemoKey, T)>,
}

/// What [`Graph::identical`] compares of a graph, kept by a [`GraphMemo`] instead of a whole
/// clone (no edges, no positions: those follow from the nodes and the order).
struct MemoKey {
    question: Option<Arc<str>>,
    source: Option<Arc<SourceProgram>>,
    answer: NodeId,
    values: Vec<Number>,
    order: Vec<NodeId>,
    nodes: Vec<Arc<Node>>,
}

impl MemoKey {
    /// The key of `g`.
    fn of(g: &Graph) -> MemoKey {
        MemoKey {
            question: g.question.clone(),
            source: g.source.clone(),
            answer: g.answer,
            values: g.values.clone(),
            order: g.order.clone(),
            nodes: g.nodes.clone(),
        }
    }

    /// Makes this key `g`'s, in its own vectors.
    fn refill(&mut self, g: &Graph) {
        self.question.clone_from(&g.question);
        self.source.clone_from(&g.source);
        self.answer = g.answer;
        self.values.clear();
        self.values.extend_from_slice(&g.values);
        self.order.clear();
        self.order.extend_from_slice(&g.order);
        self.nodes.clear();
        self.nodes.extend(g.nodes.iter().cloned());
    }

    /// Whether `g` is [`Graph::identical`] to the graph this key was made of.
    fn matches(&self, g: &Graph) -> bool {
        same_parts(
            &self.question,
            &self.source,
            self.answer,
            &self.values,
            &self.order,
            self.nodes.len(),
            self.nodes.iter(),
            g,
        )
    }
}

impl<T: Clone> GraphMemo<T> {
    /// How many graphs a memo keeps.
    const ENTRIES: usize = 4;

    /// An empty memo.
    pub(crate) const fn new() -> Self {
        GraphMemo {
            entries: Vec::new(),
        }
    }

    /// The result for `g`, when the memo holds it.
    pub(crate) fn get(&mut self, g: &Graph) -> Option<T> {
        let i = self.entries.iter().position(|(k, _)| k.matches(g))?;
        self.entries[..=i].rotate_right(1);
        Some(self.entries[0].1.clone())
    }

    /// Keeps `value` as the result for `g`.
    /// Forgets every entry.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn put(&mut self, g: &Graph, value: T) {
        // A full memo forgets its oldest entry, whose key's vectors take `g`'s (no new ones).
        let key = if self.entries.len() == Self::ENTRIES {
            self.entries.pop().map(|(mut key, _)| {
                key.refill(g);
                key
            })
        } else {
            None
        };
        let key = key.unwrap_or_else(|| MemoKey::of(g));
        debug_assert!(key.matches(g));
        self.entries.insert(0, (key, value));
    }
}

/// `f(g)`, through the per-thread memo `memo` (computed outside the memo's borrow, so `f` may
/// use other memos).
pub(crate) fn memoized<T: Clone + 'static>(
    memo: &'static std::thread::LocalKey<std::cell::RefCell<GraphMemo<T>>>,
    g: &Graph,
    f: impl FnOnce(&Graph) -> T,
) -> T {
    if let Some(hit) = memo.with(|m| m.borrow_mut().get(g)) {
        return hit;
    }
    let value = f(g);
    memo.with(|m| m.borrow_mut().put(g, value.clone()));
    value
}

/// The serialized form of a node: its fields with its value between operands and text.
#[derive(Serialize)]
struct NodeOut<'a> {
    name: &'a str,
    #[serde(flatten)]
    kind: &'a NodeKind,
    #[serde(skip_serializing_if = "<[NodeId]>::is_empty")]
    operands: &'a [NodeId],
    value: Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// A node as read back, with its value.
#[derive(Deserialize)]
struct NodeIn {
    name: String,
    #[serde(flatten)]
    kind: NodeKind,
    #[serde(default)]
    operands: Vec<NodeId>,
    value: Number,
    #[serde(default)]
    text: Option<String>,
}

/// The serialized form of a [`Graph`].
#[derive(Serialize)]
struct GraphOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    question: Option<&'a str>,
    nodes: Vec<NodeOut<'a>>,
    order: Option<&'a [NodeId]>,
    answer: NodeId,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_program: Option<&'a SourceProgram>,
}

/// A [`Graph`] as read back.
#[derive(Deserialize)]
struct GraphIn {
    #[serde(default)]
    question: Option<String>,
    nodes: Vec<NodeIn>,
    #[serde(default)]
    order: Option<Vec<NodeId>>,
    answer: NodeId,
    #[serde(default)]
    source_program: Option<SourceProgram>,
}

impl Serialize for Graph {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let natural = self.order.iter().enumerate().all(|(i, id)| id.index() == i);
        GraphOut {
            question: self.question.as_deref(),
            nodes: self
                .nodes
                .iter()
                .zip(&self.values)
                .map(|(n, &value)| NodeOut {
                    name: &n.name,
                    kind: &n.kind,
                    operands: &n.operands,
                    value,
                    text: n.text.as_deref(),
                })
                .collect(),
            order: (!natural).then_some(&self.order[..]),
            answer: self.answer,
            source_program: self.source.as_deref(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Graph {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = GraphIn::deserialize(d)?;
        let order = data
            .order
            .unwrap_or_else(|| (0..data.nodes.len() as u32).map(NodeId).collect());
        let nodes = data
            .nodes
            .into_iter()
            .map(|n| {
                (
                    Node {
                        name: n.name,
                        kind: n.kind,
                        operands: n.operands,
                        text: n.text,
                    },
                    n.value,
                )
            })
            .collect();
        let mut g = Graph::from_parts(nodes, order, data.answer, data.question)
            .map_err(serde::de::Error::custom)?;
        if let Some(p) = data.source_program {
            crate::limits::check_len(Limit::ProgramBytes, p.code.len())
                .map_err(serde::de::Error::custom)?;
            crate::limits::check_len(Limit::Nodes, p.overrides.len())
                .map_err(serde::de::Error::custom)?;
            g.set_source_program(Some(p));
        }
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::BinOp;

    #[test]
    fn push_decimal_writes_what_display_writes() {
        let values = (0..=2_100u64)
            .chain([9_999, 10_000, 123_456_789, u64::from(u32::MAX), u64::MAX])
            .chain((0..64).map(|b| 1u64 << b));
        for u in values {
            let mut out = String::from("x");
            push_decimal(&mut out, u);
            assert_eq!(out, format!("x{u}"));
        }
    }

    /// Natalia: 48 / 2 = 24; 48 + 24 = 72.
    pub(crate) fn natalia() -> Graph {
        let mut b = GraphBuilder::new(Some("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.".into()));
        let a = b.input("april", Number::int(48), Some(Span { start: 22, end: 24 }));
        let h = b.input("half", Number::int(2), None);
        let may = b
            .step(
                "may",
                Expr::bin(BinOp::Div, Expr::Arg(0), Expr::Arg(1)),
                vec![a, h],
            )
            .unwrap();
        let total = b
            .step(
                "total",
                Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
                vec![a, may],
            )
            .unwrap();
        b.build(total).unwrap()
    }

    #[test]
    fn a_proxy_applies_its_operator() {
        let values = ["0", "1", "-3", "7/2", "-5/3", "1000000", "0.25"];
        for op in ProxyOp::ALL {
            for k in values {
                for t in values {
                    let f = ProxyFn {
                        op,
                        k: k.parse().unwrap(),
                    };
                    let t: Number = t.parse().unwrap();
                    assert_eq!(f.apply(t), op.bin_op().apply(t, f.k), "{t} {f}");
                }
            }
        }
    }

    /// The metrics, levels and distances to the answer of `after`, a graft onto `before`, as
    /// [`Graph::metrics_after_graft`] updates them from `before`'s.
    fn after_graft(before: &Graph, after: &Graph) -> (Metrics, Vec<u32>, Vec<i64>) {
        let (mut level, mut down, mut per_level) = (before.levels(), Vec::new(), Vec::new());
        let m = before.metrics_down_and_levels(&level, &mut down, &mut per_level);
        let added = NodeId(before.len() as u32);
        let m = after.metrics_after_graft(
            &mut level,
            &mut down,
            &mut per_level,
            &mut Vec::new(),
            m,
            added,
            None,
        );
        (m, level, down)
    }

    #[test]
    fn metrics_after_a_graft_on_any_node_are_the_metrics() {
        use crate::intervene::{intervene, Intervention};
        // Eggs with a distractor, and a graft on every node of it (the answer, steps off the
        // longest path, the distractor), twice stacked, then a graph that is no such graft.
        let g = crate::intervene::tests::eggs_with_spare();
        let f = ProxyFn {
            op: ProxyOp::Add,
            k: Number::int(2),
        };
        let metrics_of = |g: &Graph| {
            let (level, mut down, mut per_level) = (g.levels(), Vec::new(), Vec::new());
            let m = g.metrics_down_and_levels(&level, &mut down, &mut per_level);
            (m, level, down, per_level)
        };
        let mut checked = 0;
        for t in g.ids() {
            let once = intervene(&g, &Intervention::Graft { node: t, f })
                .unwrap()
                .0;
            for u in once.ids() {
                let twice = intervene(&once, &Intervention::Graft { node: u, f })
                    .unwrap()
                    .0;
                for (before, after) in [(&g, &once), (&once, &twice)] {
                    let (m, level, down) = after_graft(before, after);
                    let (m2, level2, down2, _) = metrics_of(after);
                    assert_eq!((m, level, down), (m2, level2, down2), "{t} {u}");
                    assert_eq!(m, after.metrics());
                    checked += 1;
                }
            }
        }
        assert!(checked > 20);
        // Not a graft of the graph the vectors are of: worked out in full.
        let (m, mut level, mut down, mut per_level) = metrics_of(&g);
        let other = natalia();
        let got = other.metrics_after_graft(
            &mut level,
            &mut down,
            &mut per_level,
            &mut Vec::new(),
            m,
            NodeId(g.len() as u32),
            None,
        );
        assert_eq!(got, other.metrics());
        assert_eq!(level, other.levels());
    }

    #[test]
    fn descendants_of_one_node_and_metrics_in_one_pass() {
        // Graphs with proxies stacked and readers redirected, as the curriculum makes them.
        let mut graphs = vec![natalia(), crate::intervene::tests::eggs()];
        for seed in 0..6u64 {
            let mut g = crate::intervene::tests::eggs();
            let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
            for _ in 0..5 {
                let s = crate::sample::sample_with(
                    &g,
                    &crate::sample::SampleConfig::default(),
                    &crate::constraints::Constraints::none(),
                    &mut rng,
                )
                .unwrap();
                g = s.graph;
                graphs.push(g.clone());
            }
        }
        // The metrics as two separate passes worked them out.
        let reference = |g: &Graph| {
            let (level, relevant) = (g.levels(), g.relevant());
            let mut m = Metrics {
                nodes: g.len() as u32,
                depth: level[g.answer().index()],
                ..Metrics::default()
            };
            let mut per_level = vec![0u32; m.depth as usize + 1];
            for id in g.ids() {
                let (rel, op) = (relevant[id.index()], g.node(id).kind.is_operation());
                match g.node(id).kind {
                    NodeKind::Input { .. } if rel => m.inputs += 1,
                    NodeKind::Input { .. } => m.distractors += 1,
                    NodeKind::Branch { .. } if rel => m.branches += 1,
                    _ => {}
                }
                m.steps += u32::from(rel && op);
                if rel && op {
                    per_level[level[id.index()] as usize] += 1;
                }
            }
            m.width = per_level.into_iter().max().unwrap_or(0);
            m
        };
        // The distances to the answer, as their own backward pass works them out.
        let distances = |g: &Graph| {
            let mut down = vec![i64::MIN; g.len()];
            down[g.answer().index()] = 0;
            for &id in g.order().iter().rev() {
                if down[id.index()] == i64::MIN {
                    continue;
                }
                let cand = down[id.index()] + i64::from(g.node(id).kind.is_operation());
                for &o in &g.node(id).operands {
                    down[o.index()] = down[o.index()].max(cand);
                }
            }
            down
        };
        let (mut mark, mut out, mut down) = (Vec::new(), Vec::new(), Vec::new());
        // Each grafted graph after the one it was grafted onto (the first two stand alone).
        for pair in graphs[2..].chunks(5) {
            let mut before = crate::intervene::tests::eggs();
            for after in pair {
                let (m, level, down) = after_graft(&before, after);
                assert_eq!(level, after.levels());
                assert_eq!(m, reference(after));
                assert_eq!(down, distances(after));
                before = after.clone();
            }
        }
        for g in &graphs {
            assert_eq!(g.metrics(), reference(g));
            let mut per_level = Vec::new();
            assert_eq!(
                g.metrics_down_and_levels(&g.levels(), &mut down, &mut per_level),
                reference(g)
            );
            assert_eq!(
                per_level.iter().sum::<u32>(),
                reference(g).steps,
                "every relevant operation counted at its level"
            );
            assert_eq!(down, distances(g));
            for id in g.ids() {
                g.descendants_of_into(id, &mut mark, &mut out);
                assert_eq!(out, g.descendants(&[id]), "{id}");
            }
        }
    }

    /// The readers (each once, highest index first) and the descendants (in evaluation
    /// order) of every node, worked out from the operands by brute force: what petgraph's
    /// edge lists gave before the graph kept none.
    fn readers_by_brute_force(g: &Graph, id: NodeId) -> Vec<NodeId> {
        (0..g.len() as u32)
            .rev()
            .map(NodeId)
            .filter(|&r| g.node(r).operands.contains(&id))
            .collect()
    }

    fn descendants_by_brute_force(g: &Graph, roots: &[NodeId]) -> Vec<NodeId> {
        let mut seen = vec![false; g.len()];
        let mut stack = roots.to_vec();
        while let Some(id) = stack.pop() {
            for r in readers_by_brute_force(g, id) {
                if !seen[r.index()] {
                    seen[r.index()] = true;
                    stack.push(r);
                }
            }
        }
        g.order()
            .iter()
            .copied()
            .filter(|id| seen[id.index()])
            .collect()
    }

    #[test]
    fn readers_and_descendants_follow_the_operands() {
        use crate::intervene::{apply, Intervention};
        // A node reading one operand twice (`t * t`), then grafts stacked on the quantities
        // and readers redirected, as the curriculum makes them.
        let mut b = GraphBuilder::new(None);
        let t = b.input("t", Number::int(3), None);
        let u = b.input("u", Number::int(4), None);
        let sq = b
            .step(
                "sq",
                Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Arg(0)),
                vec![t, t],
            )
            .unwrap();
        let both = b
            .step(
                "both",
                Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
                vec![sq, t],
            )
            .unwrap();
        let total = b
            .step(
                "total",
                Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Arg(1)),
                vec![both, u],
            )
            .unwrap();
        let mut graphs = vec![
            natalia(),
            crate::intervene::tests::eggs(),
            b.build(total).unwrap(),
        ];
        for seed in 0..8u64 {
            let mut g = graphs[(seed % 3) as usize].clone();
            let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
            for _ in 0..6 {
                // The readers asked for before each change: the change must forget them.
                let _ = g.dependents(g.answer()).count();
                let s = crate::sample::sample_with(
                    &g,
                    &crate::sample::SampleConfig::default(),
                    &crate::constraints::Constraints::none(),
                    &mut rng,
                )
                .unwrap();
                let _ = g.dependents(g.answer()).count();
                apply(&mut g, &s.intervention).unwrap();
                assert!(g.identical(&s.graph));
                graphs.push(g.clone());
            }
        }
        // A graft in place on `t`, read twice by one node.
        let mut g = graphs[2].clone();
        let _ = g.dependents(t).count();
        let f = ProxyFn {
            op: ProxyOp::Add,
            k: Number::int(1),
        };
        apply(&mut g, &Intervention::Graft { node: t, f }).unwrap();
        graphs.push(g);
        for g in &graphs {
            for id in g.ids() {
                assert_eq!(
                    g.dependents(id).collect::<Vec<_>>(),
                    readers_by_brute_force(g, id),
                    "{id}"
                );
                assert_eq!(g.descendants(&[id]), descendants_by_brute_force(g, &[id]));
                let other = NodeId((id.0 * 7 + 3) % g.len() as u32);
                assert_eq!(
                    g.descendants(&[id, other]),
                    descendants_by_brute_force(g, &[id, other])
                );
            }
            // Ids from outside have no readers and no descendants.
            let outside = NodeId(g.len() as u32);
            assert_eq!(g.dependents(outside).count(), 0);
            assert!(g.descendants(&[outside]).is_empty());
        }
    }

    #[test]
    fn the_normal_names_flag_follows_the_names() {
        use crate::intervene::{apply, Intervention};
        let all_normal = |g: &Graph| g.ids().all(|id| is_normal_identifier(&g.node(id).name));
        let f = ProxyFn {
            op: ProxyOp::Mul,
            k: Number::int(2),
        };
        // Names as a builder gives them (a keyword suffixed with `_` is not in normal form),
        // and as a graph read back from JSON keeps them (any text).
        let mut b = GraphBuilder::new(None);
        let a = b.input("if", Number::int(3), None);
        let c = b.input("count", Number::int(4), None);
        let s = b
            .step(
                "sum",
                Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
                vec![a, c],
            )
            .unwrap();
        let keyword = b.build(s).unwrap();
        let odd = Graph::from_parts(
            vec![
                (natalia().node(NodeId(0)).clone(), Number::int(48)),
                (
                    Node {
                        name: "Half Of It".into(),
                        ..natalia().node(NodeId(1)).clone()
                    },
                    Number::int(2),
                ),
                (natalia().node(NodeId(2)).clone(), Number::ZERO),
                (natalia().node(NodeId(3)).clone(), Number::ZERO),
            ],
            (0..4).map(NodeId).collect(),
            NodeId(3),
            None,
        )
        .unwrap();
        for g in [natalia(), crate::intervene::tests::eggs(), keyword, odd] {
            assert_eq!(g.names_normal, all_normal(&g));
            let mut g = g;
            for round in 0..6u32 {
                // Grafts (their names made from their targets'), stacked, and a node of any
                // name added beside them.
                let t = NodeId(round % g.len() as u32);
                if !matches!(g.node(t).kind, NodeKind::Constant) {
                    apply(&mut g, &Intervention::Graft { node: t, f }).unwrap();
                }
                assert_eq!(g.names_normal, all_normal(&g), "{round}");
                let name = ["while", "x y", "ok", "sum_", "Z"][round as usize % 5];
                g.insert_node(
                    Node {
                        name: name.into(),
                        kind: NodeKind::Input { span: None },
                        operands: Vec::new(),
                        text: None,
                    },
                    Number::int(1),
                    None,
                )
                .unwrap();
                assert_eq!(g.names_normal, all_normal(&g), "{round}");
                assert_eq!(g.clone().names_normal, g.names_normal);
            }
        }
    }

    #[test]
    fn unique_names_are_the_first_free_suffix() {
        let reference = |taken: &dyn Fn(&str) -> bool, base: &str| {
            let base = identifier(base);
            if !taken(&base) {
                return base;
            }
            (2..)
                .map(|i| suffixed(&base, i))
                .find(|n| !taken(n))
                .unwrap()
        };
        let names: Vec<String> = [
            "x", "x_2", "x_3", "x_5", "if_", "if_2", "value", "n9", "n9_2",
        ]
        .map(String::from)
        .to_vec();
        for upto in 0..=names.len() {
            let taken = |n: &str| names[..upto].iter().any(|m| m == n);
            for base in ["x", "x_2", "if", "", "9", "9 things", "y", "x__"] {
                assert_eq!(
                    unique_name(taken, base),
                    reference(&taken, base),
                    "{base:?}"
                );
            }
        }
    }

    #[test]
    fn proxy_text_is_what_display_writes() {
        let mut ks: Vec<Number> = [0i128, 1, 9, 10, 99, 100, 12345, -1, -10, -987654321]
            .into_iter()
            .chain([
                i128::from(i64::MAX),
                i128::from(i64::MIN),
                1 << 64,
                -(1 << 70),
            ])
            .map(Number::int)
            .collect();
        ks.extend([Number::ratio(1, 2).unwrap(), Number::ratio(-7, 3).unwrap()]);
        for op in ProxyOp::ALL {
            for &k in &ks {
                let f = ProxyFn { op, k };
                let mut out = String::from("x ");
                f.push_to(&mut out);
                assert_eq!(out, format!("x {f}"));
            }
        }
    }

    #[test]
    fn normal_identifiers_are_the_byte_rules() {
        let reference = |base: &str| {
            let b = base.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphabetic()
                && b[b.len() - 1] != b'_'
                && b.iter().all(|&c| c == b'_' || c.is_ascii_alphanumeric())
                && !base.contains("__")
                && !is_py_keyword(base)
        };
        for w in [
            "", "a", "_a", "a_", "a__b", "a_b", "A9", "9a", "total_2", "é", "aé", "a-b", "a b",
            "if", "if_", "x\0", "ab_c_d", "a_b__", "sum", "Sum",
        ] {
            assert_eq!(is_normal_identifier(w), reference(w), "{w:?}");
        }
    }

    #[test]
    fn keyword_search_is_the_list() {
        let reference = |s: &str| PY_KEYWORDS.contains(&s);
        let mut words: Vec<String> = Vec::new();
        for k in PY_KEYWORDS {
            words.push(k.to_string());
            words.push(format!("{k}_"));
            words.push(format!("{k}\0"));
            words.push(format!("_{k}"));
            words.push(k[..k.len() - 1].to_string());
            words.push(k.to_uppercase());
        }
        words.extend(["", "a", "x", "solutions", "continue_", "nonlocals", "\0"].map(String::from));
        for w in &words {
            assert_eq!(is_py_keyword(w), reference(w), "{w:?}");
        }
        assert!(PY_KEYWORDS.iter().all(|k| is_py_keyword(k)));
    }

    #[test]
    fn builder_names_stay_unique_past_the_set_threshold() {
        let mut b = GraphBuilder::new(None);
        let bases = [
            "total",
            "total_2",
            "x",
            "sum",
            "sum_",
            "a_long_variable_name_here",
            "total",
        ];
        let mut seen = HashSet::new();
        for k in 0..3 * NAME_SET_FROM {
            let id = b.input(bases[k % bases.len()], Number::int(k as i128), None);
            assert!(seen.insert(b.node(id).name.clone()), "{}", b.node(id).name);
        }
    }

    #[test]
    fn builds_and_measures() {
        let g = natalia();
        assert_eq!(g.answer_value(), Number::int(72));
        let m = g.metrics();
        assert_eq!((m.depth, m.steps, m.inputs, m.width), (2, 2, 2, 1));
    }

    #[test]
    fn cascade_updates_descendants_only() {
        let mut g = natalia();
        let april = g.find("april").unwrap();
        g.set_raw_value(april, Number::int(50));
        let changes = g.cascade(&[april]).unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(g.answer_value(), Number::int(75));
    }

    #[test]
    fn cascade_rolls_back_on_error() {
        let mut g = natalia();
        let half = g.find("half").unwrap();
        g.set_raw_value(half, Number::ZERO);
        assert!(g.cascade(&[half]).is_err());
        assert_eq!(g.answer_value(), Number::int(72));
    }

    #[test]
    fn identical_sees_values_texts_and_questions_and_the_memo_follows_it() {
        let g = natalia();
        let back: Graph = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
        assert!(g.identical(&g.clone()) && g.identical(&back));
        let mut changed = g.clone();
        changed.set_raw_value(NodeId(0), Number::int(49));
        assert!(!g.identical(&changed));
        let mut retold = g.clone();
        retold.set_node_text(NodeId(2), Some("May: 48 / 2 = 24".into()));
        assert!(!g.identical(&retold));
        let mut asked = g.clone();
        asked.set_question(Some("Natalia sold clips.".into()));
        assert!(!g.identical(&asked));
        // A memo's key matches exactly the graphs `identical` accepts.
        let all = [&g, &back, &changed, &retold, &asked];
        for a in all {
            for b in all {
                assert_eq!(MemoKey::of(a).matches(b), a.identical(b));
            }
            assert!(MemoKey::of(a).matches(&a.clone()));
        }

        std::thread_local! {
            static MEMO: std::cell::RefCell<GraphMemo<usize>> =
                const { std::cell::RefCell::new(GraphMemo::new()) };
        }
        let calls = std::cell::Cell::new(0);
        let count = |g: &Graph| {
            calls.set(calls.get() + 1);
            g.len() + calls.get()
        };
        let first = memoized(&MEMO, &g, count);
        assert_eq!(memoized(&MEMO, &g.clone(), count), first);
        assert_eq!(calls.get(), 1);
        // A different graph is worked out, and more graphs than the memo keeps push out the
        // oldest.
        memoized(&MEMO, &changed, count);
        assert_eq!(calls.get(), 2);
        for k in 0..GraphMemo::<usize>::ENTRIES as i128 {
            let mut other = g.clone();
            other.set_raw_value(NodeId(1), Number::int(100 + k));
            memoized(&MEMO, &other, count);
        }
        let before = calls.get();
        memoized(&MEMO, &g, count);
        assert_eq!(calls.get(), before + 1);
    }

    #[test]
    fn serde_round_trip() {
        let g = natalia();
        let json = serde_json::to_string(&g).unwrap();
        let back: Graph = serde_json::from_str(&json).unwrap();
        assert!(g.same_as(&back));
    }

    proptest::proptest! {
        /// `each_operand` gives what a plain loop over the operands gives, for the level
        /// (a maximum) and the rise (a maximum and a flag) it works out.
        #[test]
        fn each_operand_is_a_plain_loop(
            ops in proptest::collection::vec(0u32..6, 0..6),
            vals in proptest::collection::vec(-3i64..4, 6),
            cand in -3i64..4,
        ) {
            let ops: Vec<NodeId> = ops.into_iter().map(NodeId).collect();
            let (mut max, mut plain_max) = (0i64, 0i64);
            each_operand(&ops, |o| max = max.max(vals[o.index()]));
            for o in &ops {
                plain_max = plain_max.max(vals[o.index()]);
            }
            proptest::prop_assert_eq!(max, plain_max);
            let (mut d, mut r) = (vals.clone(), [false; 6]);
            each_operand(&ops, |o| {
                r[o.index()] |= cand > d[o.index()];
                d[o.index()] = d[o.index()].max(cand);
            });
            let (mut plain_d, mut plain_r) = (vals.clone(), [false; 6]);
            for o in &ops {
                plain_r[o.index()] |= cand > plain_d[o.index()];
                plain_d[o.index()] = plain_d[o.index()].max(cand);
            }
            proptest::prop_assert_eq!((d, r), (plain_d, plain_r));
        }

        /// The one-pass identifier check agrees with its plain definition: ASCII letters,
        /// digits and `_`, starting with a letter, no trailing or doubled `_`, no keyword.
        #[test]
        fn the_identifier_check_is_its_definition(
            s in "([a-zA-Z0-9_]|é|-| |\\x00|sum|for|solution|__){0,12}"
        ) {
            let b = s.as_bytes();
            let plain = !b.is_empty()
                && b[0].is_ascii_alphabetic()
                && b[b.len() - 1] != b'_'
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                && !s.contains("__")
                && !PY_KEYWORDS.contains(&s.as_str());
            proptest::prop_assert_eq!(is_normal_identifier(&s), plain);
            proptest::prop_assert_eq!(is_py_keyword(&s), PY_KEYWORDS.contains(&s.as_str()));
        }
    }

    #[test]
    fn the_keyword_match_is_the_keyword_list() {
        for k in PY_KEYWORDS {
            assert!(is_py_keyword(k), "{k}");
            assert!(!is_py_keyword(&format!("{k}_")));
        }
        assert_eq!(PY_KEYWORDS.len(), 45);
        // Prefixes and near misses are not keywords.
        for s in [
            "",
            "i",
            "fo",
            "form",
            "solutions",
            "Solution",
            "whil",
            "sum\0",
            "sum_",
            "ab",
        ] {
            assert!(!is_py_keyword(s), "{s}");
        }
        assert!(is_normal_identifier("total_cost2"));
        for s in ["_a", "a_", "a__b", "2a", "a-b", "sum", "é", ""] {
            assert!(!is_normal_identifier(s), "{s}");
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(identifier("Clips in May!"), "Clips_in_May");
        assert_eq!(identifier("3 apples"), "n3_apples");
        assert_eq!(identifier("if"), "if_");
    }
}
