//! Expressions inside a node: arithmetic over the node's operands and inline literals.

use serde::{Deserialize, Serialize};

use crate::number::{ArithError, ArithResult, Number};

/// A binary arithmetic operator (Python semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b` (exact)
    Div,
    /// `a // b` (floor)
    FloorDiv,
    /// `a % b` (sign of `b`)
    Mod,
    /// `a ** b`
    Pow,
}

impl BinOp {
    /// The Python operator symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
        }
    }

    /// Applies the operator.
    pub fn apply(self, a: Number, b: Number) -> ArithResult {
        match self {
            BinOp::Add => a.add(b),
            BinOp::Sub => a.sub(b),
            BinOp::Mul => a.mul(b),
            BinOp::Div => a.div(b),
            BinOp::FloorDiv => a.floor_div(b),
            BinOp::Mod => a.rem(b),
            BinOp::Pow => a.pow(b),
        }
    }
}

/// A built-in function that Graft understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    /// `min(a, b, ...)`
    Min,
    /// `max(a, b, ...)`
    Max,
    /// `abs(a)`
    Abs,
    /// `round(a)` or `round(a, digits)`
    Round,
    /// `int(a)` (toward zero)
    Int,
    /// `float(a)` (identity on exact values)
    Float,
    /// `sum([a, b, ...])`
    Sum,
    /// `math.floor(a)`
    Floor,
    /// `math.ceil(a)`
    Ceil,
}

impl Func {
    /// The Python spelling of the function.
    pub fn python_name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::Round => "round",
            Func::Int => "int",
            Func::Float => "float",
            Func::Sum => "sum",
            Func::Floor => "math.floor",
            Func::Ceil => "math.ceil",
        }
    }

    /// Applies the function to already evaluated arguments.
    pub fn apply(self, args: &[Number]) -> ArithResult {
        let arity = |lo: usize, hi: usize| {
            if args.len() < lo || args.len() > hi {
                Err(ArithError::NotExact(format!(
                    "{}() takes {lo}..={hi} arguments, got {}",
                    self.python_name(),
                    args.len()
                )))
            } else {
                Ok(())
            }
        };
        match self {
            Func::Min | Func::Max => {
                arity(1, usize::MAX)?;
                let pick = |a: Number, b: Number| {
                    if self == Func::Min {
                        a.min(b)
                    } else {
                        a.max(b)
                    }
                };
                Ok(args[1..].iter().fold(args[0], |acc, &x| pick(acc, x)))
            }
            Func::Sum => args.iter().try_fold(Number::ZERO, |acc, &x| acc.add(x)),
            Func::Abs => {
                arity(1, 1)?;
                args[0].abs()
            }
            Func::Round => {
                arity(1, 2)?;
                let digits = match args.get(1) {
                    Some(d) => d
                        .to_integer()
                        .and_then(|d| i32::try_from(d).ok())
                        .ok_or_else(|| {
                            ArithError::NotExact(format!(
                                "round() digits must be an integer, got {d}"
                            ))
                        })?,
                    None => 0,
                };
                args[0].round(digits)
            }
            Func::Int => {
                arity(1, 1)?;
                Ok(args[0].trunc())
            }
            Func::Float => {
                arity(1, 1)?;
                Ok(args[0])
            }
            Func::Floor => {
                arity(1, 1)?;
                Ok(args[0].floor())
            }
            Func::Ceil => {
                arity(1, 1)?;
                Ok(args[0].ceil())
            }
        }
    }
}

/// An arithmetic expression over a node's operands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    /// The value of operand number `i` of the node.
    Arg(u32),
    /// An inline literal (never intervened on).
    Lit(Number),
    /// `-e`
    Neg(Box<Expr>),
    /// `a op b`
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args...)`
    Call(Func, Vec<Expr>),
}

/// The error of an expression reading an operand slot `i` its node does not have.
#[cold]
fn missing_operand(i: u32) -> ArithError {
    ArithError::NotExact(format!("operand {i} is missing"))
}

impl Expr {
    /// `a op b`, boxed.
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, Box::new(a), Box::new(b))
    }

    /// The number of nested operation levels (1 for a bare operand or literal).
    pub fn depth(&self) -> usize {
        1 + match self {
            Expr::Arg(_) | Expr::Lit(_) => 0,
            Expr::Neg(e) => e.depth(),
            Expr::Bin(_, a, b) => a.depth().max(b.depth()),
            Expr::Call(_, es) => es.iter().map(Expr::depth).max().unwrap_or(0),
        }
    }

    /// Evaluates the expression given the operand values.
    pub fn eval(&self, args: &[Number]) -> ArithResult {
        match self {
            Expr::Arg(_) | Expr::Lit(_) => self.eval_here(args),
            Expr::Neg(e) => e.eval_here(args)?.neg(),
            Expr::Bin(op, a, b) => op.apply(a.eval_here(args)?, b.eval_here(args)?),
            Expr::Call(f, es) => {
                let mut vals = Vec::with_capacity(es.len());
                for e in es {
                    vals.push(e.eval(args)?);
                }
                f.apply(&vals)
            }
        }
    }

    /// [`Expr::eval`], with an operand or a literal read in place (the leaves of nearly every
    /// expression) rather than through a call.
    #[inline(always)]
    fn eval_here(&self, args: &[Number]) -> ArithResult {
        match self {
            Expr::Arg(i) => match args.get(*i as usize) {
                Some(&v) => Ok(v),
                None => Err(missing_operand(*i)),
            },
            Expr::Lit(n) => Ok(*n),
            _ => self.eval(args),
        }
    }

    /// Every binary operation in the expression, outermost first, as `(op, a, b)` (an explicit
    /// stack: no recursion; kept on the stack while it is shallow, as nearly every
    /// expression's is, so that a walk allocates nothing).
    pub fn binary_ops(&self) -> impl Iterator<Item = (BinOp, &Expr, &Expr)> {
        let mut stack: smallvec::SmallVec<[&Expr; 4]> = smallvec::smallvec![self];
        std::iter::from_fn(move || {
            while let Some(e) = stack.pop() {
                match e {
                    Expr::Bin(op, a, b) => {
                        stack.push(b);
                        stack.push(a);
                        return Some((*op, &**a, &**b));
                    }
                    Expr::Neg(a) => stack.push(a),
                    Expr::Call(_, args) => stack.extend(args.iter().rev()),
                    Expr::Arg(_) | Expr::Lit(_) => {}
                }
            }
            None
        })
    }

    /// Calls `f` on every operand index the expression reads.
    pub fn visit_args(&self, f: &mut impl FnMut(u32)) {
        match self {
            Expr::Arg(i) => f(*i),
            Expr::Lit(_) => {}
            Expr::Neg(e) => e.visit_args(f),
            Expr::Bin(_, a, b) => {
                a.visit_args(f);
                b.visit_args(f);
            }
            Expr::Call(_, es) => es.iter().for_each(|e| e.visit_args(f)),
        }
    }

    /// Rewrites every operand index with `f`.
    pub fn map_args(&mut self, f: &mut impl FnMut(u32) -> u32) {
        match self {
            Expr::Arg(i) => *i = f(*i),
            Expr::Lit(_) => {}
            Expr::Neg(e) => e.map_args(f),
            Expr::Bin(_, a, b) => {
                a.map_args(f);
                b.map_args(f);
            }
            Expr::Call(_, es) => es.iter_mut().for_each(|e| e.map_args(f)),
        }
    }

    /// The top-level operator, if the expression is a binary operation.
    pub fn top_op(&self) -> Option<BinOp> {
        match self {
            Expr::Bin(op, _, _) => Some(*op),
            _ => None,
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl CmpOp {
    /// The Python operator symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// The operator that is true exactly when this one is false.
    pub fn negated(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
        }
    }

    /// Compares two numbers.
    pub fn test(self, a: Number, b: Number) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }
}

/// A boolean condition of a branch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cond {
    /// `a op b`
    Cmp(CmpOp, Expr, Expr),
    /// `c1 and c2 and ...`
    And(Vec<Cond>),
    /// `c1 or c2 or ...`
    Or(Vec<Cond>),
    /// `not c`
    Not(Box<Cond>),
    /// A bare value, true when non-zero.
    Truthy(Expr),
}

impl Cond {
    /// The number of nested levels, conditions and expressions together.
    pub fn depth(&self) -> usize {
        1 + match self {
            Cond::Cmp(_, a, b) => a.depth().max(b.depth()),
            Cond::And(cs) | Cond::Or(cs) => cs.iter().map(Cond::depth).max().unwrap_or(0),
            Cond::Not(c) => c.depth(),
            Cond::Truthy(e) => e.depth(),
        }
    }

    /// Evaluates the condition given the operand values.
    pub fn eval(&self, args: &[Number]) -> Result<bool, ArithError> {
        Ok(match self {
            Cond::Cmp(op, a, b) => op.test(a.eval(args)?, b.eval(args)?),
            Cond::And(cs) => {
                for c in cs {
                    if !c.eval(args)? {
                        return Ok(false);
                    }
                }
                true
            }
            Cond::Or(cs) => {
                for c in cs {
                    if c.eval(args)? {
                        return Ok(true);
                    }
                }
                false
            }
            Cond::Not(c) => !c.eval(args)?,
            Cond::Truthy(e) => !e.eval(args)?.is_zero(),
        })
    }

    /// The logical negation, pushed into comparisons where possible.
    pub fn negated(&self) -> Cond {
        match self {
            Cond::Cmp(op, a, b) => Cond::Cmp(op.negated(), a.clone(), b.clone()),
            Cond::And(cs) => Cond::Or(cs.iter().map(Cond::negated).collect()),
            Cond::Or(cs) => Cond::And(cs.iter().map(Cond::negated).collect()),
            Cond::Not(c) => (**c).clone(),
            Cond::Truthy(e) => Cond::Not(Box::new(Cond::Truthy(e.clone()))),
        }
    }

    /// Calls `f` on every operand index the condition reads.
    pub fn visit_args(&self, f: &mut impl FnMut(u32)) {
        match self {
            Cond::Cmp(_, a, b) => {
                a.visit_args(f);
                b.visit_args(f);
            }
            Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| c.visit_args(f)),
            Cond::Not(c) => c.visit_args(f),
            Cond::Truthy(e) => e.visit_args(f),
        }
    }

    /// Rewrites every operand index with `f`.
    pub fn map_args(&mut self, f: &mut impl FnMut(u32) -> u32) {
        match self {
            Cond::Cmp(_, a, b) => {
                a.map_args(f);
                b.map_args(f);
            }
            Cond::And(cs) | Cond::Or(cs) => cs.iter_mut().for_each(|c| c.map_args(f)),
            Cond::Not(c) => c.map_args(f),
            Cond::Truthy(e) => e.map_args(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_ops_visit_every_operation_outermost_first() {
        // (a + b) * -(c / min(d - e, 2))
        let inner = Expr::Call(
            Func::Min,
            vec![
                Expr::bin(BinOp::Sub, Expr::Arg(3), Expr::Arg(4)),
                Expr::Lit(Number::int(2)),
            ],
        );
        let e = Expr::bin(
            BinOp::Mul,
            Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
            Expr::Neg(Box::new(Expr::bin(BinOp::Div, Expr::Arg(2), inner))),
        );
        let ops: Vec<BinOp> = e.binary_ops().map(|(op, _, _)| op).collect();
        assert_eq!(ops, [BinOp::Mul, BinOp::Add, BinOp::Div, BinOp::Sub]);
        assert_eq!(Expr::Arg(0).binary_ops().count(), 0);
    }

    #[test]
    fn binary_ops_past_the_inline_stack() {
        // max(a0 - a1, …, a22 - a23) + a0 * a1: more operations waiting than the stack keeps
        // in place, in the order of a walk with a vector for its stack.
        let args: Vec<Expr> = (0..12)
            .map(|i| Expr::bin(BinOp::Sub, Expr::Arg(2 * i), Expr::Arg(2 * i + 1)))
            .collect();
        let e = Expr::bin(
            BinOp::Add,
            Expr::Call(Func::Max, args),
            Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Arg(1)),
        );
        let mut want = Vec::new();
        let mut stack = vec![&e];
        while let Some(x) = stack.pop() {
            match x {
                Expr::Bin(op, a, b) => {
                    want.push((*op, &**a, &**b));
                    stack.push(b);
                    stack.push(a);
                }
                Expr::Neg(a) => stack.push(a),
                Expr::Call(_, args) => stack.extend(args.iter().rev()),
                Expr::Arg(_) | Expr::Lit(_) => {}
            }
        }
        let got: Vec<_> = e.binary_ops().collect();
        assert_eq!(got.len(), 14);
        assert_eq!(got, want);
    }
}
