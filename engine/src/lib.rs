//! Graft's engine: word problems as exact computation graphs, and the structural
//! interventions that make new, harder problems from them.
//!
//! Pure library: no I/O. Builds for native targets and `wasm32-unknown-unknown`.

pub mod constraints;
pub mod curriculum;
pub mod expr;
pub mod graph;
pub mod intervene;
pub mod layout;
pub mod limits;
pub mod number;
pub mod records;
pub mod sample;

pub mod extraction;
pub mod labels;
pub mod words;

// The modules grouped into folders keep their old paths at the crate root
// (`engine::gsm8k`, `engine::verbalize`, `engine::labels`, ...).
pub use extraction::{gsm8k, printer, problem, python, text_numbers};
pub use labels::agreement;
pub use words::{consistency, flaws, lint, mentions, solution, verbalize, verdict};

pub use expr::{BinOp, CmpOp, Cond, Expr, Func};

/// Empties this thread's memos (the names and readings of questions, number mentions, worked
/// solutions), freeing their memory. The next call of anything they serve works from scratch,
/// as on text it has never seen: what a benchmark calls between iterations so that it
/// measures first-time work.
pub fn clear_memos() {
    text_numbers::clear_memo();
    mentions::clear_memo();
    solution::clear_memo();
    verbalize::clear_memos();
}
pub use graph::{
    Graph, GraphBuilder, GraphError, Metrics, Node, NodeId, NodeKind, ProxyFn, ProxyOp, Role, Span,
    ValueChange,
};
pub use number::{ArithError, Number};
pub use printer::to_python;
pub use python::{parse_program, EvalFailure, PythonError};
