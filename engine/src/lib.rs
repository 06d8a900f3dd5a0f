//! Graft's engine: word problems as exact computation graphs, and the structural
//! interventions that make new, harder problems from them.
//!
//! Pure library: no I/O. Builds for native targets and `wasm32-unknown-unknown`.

pub mod agreement;
pub mod consistency;
pub mod constraints;
pub mod curriculum;
pub mod expr;
pub mod graph;
pub mod gsm8k;
pub mod intervene;
pub mod labels;
pub mod layout;
pub mod limits;
pub mod lint;
pub mod mentions;
pub mod number;
pub mod printer;
pub mod problem;
pub mod python;
pub mod sample;
pub mod solution;
pub mod text_numbers;
pub mod verbalize;
pub mod verdict;

pub use expr::{BinOp, CmpOp, Cond, Expr, Func};
pub use graph::{
    Graph, GraphBuilder, GraphError, Metrics, Node, NodeId, NodeKind, ProxyFn, ProxyOp, Role, Span,
    ValueChange,
};
pub use number::{ArithError, Number};
pub use printer::to_python;
pub use python::{parse_program, EvalFailure, PythonError};
