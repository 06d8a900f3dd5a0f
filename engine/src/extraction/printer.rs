//! Graph → Python: a readable `def solution():` program that [`crate::python::parse_program`]
//! reads back into the same graph.
//!
//! One assignment per node in evaluation order: loops and helper calls the graph was read
//! from are already unrolled in it, so the program is straight-line. Inputs carry
//! `# graft: input [A..B]` (their span), constants `# graft: constant` (a structural one
//! keeps its note: `# graft: constant structural: <why>`), proxies `# graft: proxy`; branches
//! print as ternaries.
//! A step whose operand order differs from the order its expression reads them gets
//! `# graft: args a b c`. Values that are not terminating decimals print as `n / d`.

use std::fmt::Write;

use crate::expr::{BinOp, Cond, Expr, Func};
use crate::graph::{Graph, Node, NodeId, NodeKind};
use crate::number::Number;

/// Prints the graph as a Python program `def solution(): ... return <answer>`.
pub fn to_python(g: &Graph) -> String {
    let mut body = String::with_capacity(64 * g.len());
    let mut needs_math = false;
    for &id in g.order() {
        let node = g.node(id);
        let operands = g.operand_names(node);
        let names: &[&str] = &operands;
        body.push_str("    ");
        body.push_str(&node.name);
        body.push_str(" = ");
        match &node.kind {
            NodeKind::Input { span } => {
                write_value(&mut body, g.value(id));
                body.push_str("  # graft: input");
                if let Some(s) = span {
                    body.push(' ');
                    push_u32(&mut body, s.start);
                    body.push_str("..");
                    push_u32(&mut body, s.end);
                }
            }
            NodeKind::Constant => {
                write_value(&mut body, g.value(id));
                body.push_str("  # graft: constant");
                if let Some(why) = crate::python::structural_note(node) {
                    body.push_str(" structural: ");
                    body.push_str(why.lines().next().unwrap_or(""));
                }
            }
            NodeKind::Proxy { f } => {
                let t = names.first().copied().unwrap_or("None");
                body.push_str(t);
                body.push(' ');
                body.push_str(f.op.bin_op().symbol());
                body.push(' ');
                if f.k.is_negative() || f.k.to_decimal_string().is_none() {
                    body.push('(');
                    write_value(&mut body, f.k);
                    body.push(')');
                } else {
                    write_value(&mut body, f.k);
                }
                body.push_str("  # graft: proxy");
            }
            NodeKind::Step { expr } => {
                needs_math |= uses_math(expr);
                write_expr(&mut body, expr, names, 0);
                if matches!(expr, Expr::Lit(_)) {
                    body.push_str("  # graft: step");
                }
                write_args_marker(&mut body, node, names);
            }
            NodeKind::Branch {
                cond,
                then,
                otherwise,
            } => {
                needs_math |= uses_math(then) || uses_math(otherwise) || cond_uses_math(cond);
                write_expr(&mut body, then, names, PREC_TERNARY + 1);
                body.push_str(" if ");
                write_cond(&mut body, cond, names, PREC_TERNARY + 1);
                body.push_str(" else ");
                write_expr(&mut body, otherwise, names, PREC_TERNARY);
                write_args_marker(&mut body, node, names);
            }
        }
        body.push('\n');
    }
    let mut out = String::with_capacity(body.len() + 128);
    if needs_math {
        out.push_str("import math\n\n\n");
    }
    out.push_str("def solution():\n");
    if let Some(q) = g.question() {
        out.push_str("    \"\"\"");
        escape_docstring(&mut out, q);
        out.push_str("\"\"\"\n");
    }
    let natural = g.order().iter().enumerate().all(|(i, id)| id.index() == i);
    if !natural {
        // Node ids differ from evaluation order (a node was inserted): keep them.
        out.push_str("    # graft: ids");
        for id in g.order() {
            out.push(' ');
            push_u32(&mut out, id.0);
        }
        out.push('\n');
    }
    out.push_str(&body);
    out.push_str("    return ");
    out.push_str(&g.node(g.answer()).name);
    out.push('\n');
    out
}

/// `n` in decimal digits at the end of `out` (what `write!(out, "{n}")` writes, without the
/// formatting machinery: the program prints a span and an id per node).
fn push_u32(out: &mut String, n: u32) {
    crate::number::push_digits(out, false, u128::from(n));
}

/// The right-hand side of an operation node as Python over its operands' names (`a + b`,
/// `x * 3`, `a if a > 5 else b`); `None` for inputs and constants, or an unknown id.
pub fn operation(g: &Graph, id: NodeId) -> Option<String> {
    let node = g.get(id).ok()?;
    let names: Vec<&str> = node
        .operands
        .iter()
        .map(|o| g.get(*o).map(|n| n.name.as_str()).unwrap_or("?"))
        .collect();
    let mut out = String::new();
    match &node.kind {
        NodeKind::Input { .. } | NodeKind::Constant => return None,
        NodeKind::Proxy { f } => {
            out.push_str(names.first().copied().unwrap_or("?"));
            out.push(' ');
            out.push_str(f.op.bin_op().symbol());
            out.push(' ');
            write_value(&mut out, f.k);
        }
        NodeKind::Step { expr } => write_expr(&mut out, expr, &names, 0),
        NodeKind::Branch {
            cond,
            then,
            otherwise,
        } => {
            write_expr(&mut out, then, &names, PREC_TERNARY + 1);
            out.push_str(" if ");
            write_cond(&mut out, cond, &names, PREC_TERNARY + 1);
            out.push_str(" else ");
            write_expr(&mut out, otherwise, &names, PREC_TERNARY);
        }
    }
    Some(out)
}

/// Writes a Python string body safe inside `"""..."""`.
fn escape_docstring(out: &mut String, q: &str) {
    // Every character escaped is ASCII: the runs between them are copied whole.
    let mut run = 0;
    for (i, &b) in q.as_bytes().iter().enumerate() {
        if !matches!(b, b'\\' | b'"' | 0x7f) && b >= 0x20 {
            continue;
        }
        out.push_str(&q[run..i]);
        run = i + 1;
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push('\n'),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push_str(&q[run..]);
}

/// Adds `# graft: args ...` when reparsing would collect the operands in another order.
fn write_args_marker(out: &mut String, node: &Node, names: &[&str]) {
    if !matches!(node.kind, NodeKind::Step { .. } | NodeKind::Branch { .. }) {
        return;
    }
    // Canonical when the operands are read first-come in slot order and the ids are distinct:
    // each slot read is one read before or the next one (`next`: how many were read so far).
    let (mut next, mut in_order) = (0u32, true);
    node.kind.visit_args(&mut |i: u32| {
        if i == next {
            next += 1;
        } else if i > next {
            in_order = false;
        }
    });
    let canonical = in_order && next as usize == node.operands.len();
    if !canonical {
        out.push_str("  # graft: args");
        for n in names {
            out.push(' ');
            out.push_str(n);
        }
    }
}

/// Writes a value so that it reads back exactly: `48`, `-0.25`, `1 / 3`, `-2 / 7`.
fn write_value(out: &mut String, v: Number) {
    match v.to_decimal_string() {
        Some(s) => out.push_str(&s),
        None => {
            let _ = write!(out, "{} / {}", v.numer(), v.denom());
        }
    }
}

const PREC_TERNARY: u8 = 0;
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_NOT: u8 = 3;
const PREC_CMP: u8 = 4;
const PREC_ADD: u8 = 10;
const PREC_MUL: u8 = 11;
const PREC_UNARY: u8 = 12;
const PREC_POW: u8 = 13;
const PREC_ATOM: u8 = 14;

fn bin_prec(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => PREC_ADD,
        BinOp::Mul | BinOp::Div | BinOp::FloorDiv | BinOp::Mod => PREC_MUL,
        BinOp::Pow => PREC_POW,
    }
}

fn expr_prec(e: &Expr) -> u8 {
    match e {
        Expr::Arg(_) | Expr::Call(..) => PREC_ATOM,
        Expr::Lit(v) => {
            if v.is_negative() {
                PREC_UNARY
            } else if v.to_decimal_string().is_none() {
                PREC_MUL
            } else {
                PREC_ATOM
            }
        }
        Expr::Neg(_) => PREC_UNARY,
        Expr::Bin(op, _, _) => bin_prec(*op),
    }
}

/// Writes `e`, parenthesized when its precedence is below `min`.
fn write_expr(out: &mut String, e: &Expr, names: &[&str], min: u8) {
    let p = expr_prec(e);
    let paren = p < min;
    if paren {
        out.push('(');
    }
    match e {
        Expr::Arg(i) => out.push_str(names.get(*i as usize).copied().unwrap_or("None")),
        Expr::Lit(v) => write_value(out, *v),
        Expr::Neg(inner) => {
            out.push('-');
            write_expr(out, inner, names, PREC_UNARY);
        }
        Expr::Bin(op, a, b) => {
            let (lmin, rmin) = if *op == BinOp::Pow {
                // Right-associative; `-x ** 2` is `-(x ** 2)`, so a unary left needs parens.
                (PREC_POW + 1, PREC_UNARY)
            } else {
                (p, p + 1)
            };
            write_expr(out, a, names, lmin);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(out, b, names, rmin);
        }
        Expr::Call(f, args) => {
            out.push_str(f.python_name());
            out.push('(');
            // `sum([...])`, and `max([a])` for one item (`max(a)` would iterate over `a`).
            let list = *f == Func::Sum || (matches!(f, Func::Min | Func::Max) && args.len() < 2);
            if list {
                out.push('[');
            }
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, a, names, PREC_TERNARY + 1);
            }
            if list {
                out.push(']');
            }
            out.push(')');
        }
    }
    if paren {
        out.push(')');
    }
}

fn cond_prec(c: &Cond) -> u8 {
    match c {
        Cond::Cmp(..) => PREC_CMP,
        Cond::And(_) => PREC_AND,
        Cond::Or(_) => PREC_OR,
        Cond::Not(_) => PREC_NOT,
        Cond::Truthy(e) => expr_prec(e),
    }
}

/// Writes a condition, parenthesized when its precedence is below `min`.
fn write_cond(out: &mut String, c: &Cond, names: &[&str], min: u8) {
    let p = cond_prec(c);
    let paren = p < min;
    if paren {
        out.push('(');
    }
    match c {
        Cond::Cmp(op, a, b) => {
            write_expr(out, a, names, PREC_CMP + 1);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(out, b, names, PREC_CMP + 1);
        }
        Cond::And(cs) | Cond::Or(cs) => {
            let (word, empty) = if matches!(c, Cond::And(_)) {
                (" and ", "True")
            } else {
                (" or ", "False")
            };
            if cs.is_empty() {
                out.push_str(empty);
            }
            for (i, x) in cs.iter().enumerate() {
                if i > 0 {
                    out.push_str(word);
                }
                // Nested and/or keep their grouping; a comparison inside never needs parens.
                write_cond(out, x, names, p + 1);
            }
        }
        Cond::Not(inner) => {
            out.push_str("not ");
            write_cond(out, inner, names, PREC_NOT);
        }
        Cond::Truthy(e) => write_expr(out, e, names, PREC_CMP + 1),
    }
    if paren {
        out.push(')');
    }
}

fn uses_math(e: &Expr) -> bool {
    match e {
        Expr::Arg(_) | Expr::Lit(_) => false,
        Expr::Neg(x) => uses_math(x),
        Expr::Bin(_, a, b) => uses_math(a) || uses_math(b),
        Expr::Call(f, args) => matches!(f, Func::Floor | Func::Ceil) || args.iter().any(uses_math),
    }
}

fn cond_uses_math(c: &Cond) -> bool {
    match c {
        Cond::Cmp(_, a, b) => uses_math(a) || uses_math(b),
        Cond::And(cs) | Cond::Or(cs) => cs.iter().any(cond_uses_math),
        Cond::Not(x) => cond_uses_math(x),
        Cond::Truthy(e) => uses_math(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::parse_program;

    #[test]
    fn docstrings_escape_what_the_char_by_char_reading_escapes() {
        let reference = |q: &str| {
            let mut out = String::new();
            for c in q.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push('\n'),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if (c as u32) < 0x20 || c == '\u{7f}' => {
                        let _ = write!(out, "\\x{:02x}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out
        };
        for q in [
            "",
            "plain",
            "He said \"é\" \\ then\tleft\r\n€ 5 ½\u{1}\u{7f}\u{1f}end",
            "\"\"\"",
            "ends with \\",
        ] {
            let mut out = String::new();
            escape_docstring(&mut out, q);
            assert_eq!(out, reference(q), "{q:?}");
        }
    }

    #[test]
    fn numbers_are_pushed_as_display_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 4_294_967_295, 1_000_000_007, 12_345] {
            let mut out = String::from("x");
            push_u32(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    #[test]
    fn operation_names_operands() {
        let g = parse_program(
            "def solution():\n    a = 3\n    b = 4\n    c = a + b * 2\n    d = c if c > 5 else a\n    return d\n",
            None,
        )
        .unwrap();
        let op = |n: &str| operation(&g, g.find(n).unwrap());
        assert_eq!(op("a"), None);
        assert_eq!(op("c").as_deref(), Some("a + b * 2"));
        assert_eq!(op("d").as_deref(), Some("c if c > 5 else a"));
        assert_eq!(operation(&g, NodeId(999)), None);
    }
}
