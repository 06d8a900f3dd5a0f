//! The hostile inputs, generated in code (the big ones would bloat the repository): programs
//! and GSM8K answers that nest, chain or count past every bound, huge numbers, NUL bytes,
//! invalid UTF-8, giant lines and deeply nested JSON.
#![allow(dead_code)]

use serde_json::json;

/// A hostile solution text: a name for messages and the text as bytes (invalid UTF-8 is
/// allowed).
pub struct Solution {
    /// What it is, for messages.
    pub name: &'static str,
    /// The text.
    pub text: Vec<u8>,
}

/// `def solution():` with these body lines, then `return x`.
pub fn program(lines: &[String]) -> String {
    let mut s = String::from("def solution():\n");
    for l in lines {
        s.push_str("    ");
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("    return x\n");
    s
}

/// `x = 1 + 1 + … ` with `terms` terms on one line (20,000 overflowed the stack before the
/// limits).
pub fn chain(terms: usize) -> String {
    program(&[format!("x = 1{}", " + 1".repeat(terms - 1))])
}

/// `x = ((…(1)…))` nested `depth` deep.
pub fn parens(depth: usize) -> String {
    program(&[format!("x = {}1{}", "(".repeat(depth), ")".repeat(depth))])
}

/// `x = - - … - 1` with `n` minus signs.
pub fn unary(n: usize) -> String {
    program(&[format!("x = {}1", "- ".repeat(n))])
}

/// `x = a[a[a[…]]]`-free nesting of calls: `x = abs(abs(…(1)…))`.
pub fn calls(depth: usize) -> String {
    program(&[format!(
        "x = {}1{}",
        "abs(".repeat(depth),
        ")".repeat(depth)
    )])
}

/// A program of `steps` assignments, each reading the one before (a graph of `steps` nodes).
pub fn steps(steps: usize) -> String {
    let mut lines = vec!["x = 1".to_string()];
    lines.extend((1..steps).map(|_| "x = x + 1".to_string()));
    program(&lines)
}

/// A program whose one line is `bytes` long (`x = 1 + 1 + …`: the worst kind of long line).
pub fn long_line(bytes: usize) -> String {
    chain(bytes / 4)
}

/// The hostile programs every entry point that reads a program gets.
pub fn programs() -> Vec<Solution> {
    let s = |name, text: String| Solution {
        name,
        text: text.into_bytes(),
    };
    vec![
        s("20,000-term operator chain", chain(20_000)),
        s("5,000 nested parentheses", parens(5_000)),
        s("100,000 nested parentheses", parens(100_000)),
        s("20,000 unary minuses", unary(20_000)),
        s("5,000 nested calls", calls(5_000)),
        s("10 MB line", long_line(10 << 20)),
        s("100,000-step program", steps(100_000)),
        s("10**400", program(&["x = 10**400".into()])),
        s(
            "500-digit literal",
            program(&[format!("x = 1{}", "0".repeat(500))]),
        ),
        s("1e999999", program(&["x = 1e999999".into()])),
        s(
            "0.(500 zeros)1",
            program(&[format!("x = 0.{}1", "0".repeat(500))]),
        ),
        s("2 ** 10 ** 10", program(&["x = 2 ** 10 ** 10".into()])),
        s(
            "2 ** -(10 ** 10)",
            program(&["x = 2 ** -(10 ** 10)".into()]),
        ),
        s(
            "10 ** 10 ** 10 // 7 % 3",
            program(&["x = 10 ** 10 ** 10 // 7 % 3".into()]),
        ),
        s("NUL bytes", program(&["x = 1\0 + 2".into(), "\0".into()])),
        Solution {
            name: "invalid UTF-8",
            text: {
                let mut t = program(&["x = 1".into()]).into_bytes();
                t.splice(20..20, [0xFF, 0xFE, 0xC0, 0x80]);
                t
            },
        },
        s(
            "while True loop",
            program(&["x = 1".into(), "while True:".into(), "    x = x + 1".into()]),
        ),
        s(
            "1,000 nested blocks",
            program(
                &(0..1_000)
                    .map(|i| format!("{}if 1 > 0:", "    ".repeat(i)))
                    .chain(std::iter::once(format!("{}x = 1", "    ".repeat(1_000))))
                    .collect::<Vec<_>>(),
            ),
        ),
    ]
}

/// A GSM8K answer with one annotation holding `terms` terms.
pub fn gsm8k_chain(terms: usize) -> String {
    let expr = format!("1{}", "+1".repeat(terms - 1));
    format!("It is <<{expr}={terms}>>{terms}.\n#### {terms}")
}

/// A GSM8K answer with an annotation nested `depth` deep.
pub fn gsm8k_parens(depth: usize) -> String {
    format!(
        "It is <<{}1{}=1>>1.\n#### 1",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

/// A GSM8K answer of `n` annotated steps.
pub fn gsm8k_steps(n: usize) -> String {
    let mut s = String::from("Start with <<1+1=2>>2.\n");
    for i in 2..=n {
        s.push_str(&format!("Then <<{i}+1={}>>{}.\n", i + 1, i + 1));
    }
    s.push_str(&format!("#### {}", n + 1));
    s
}

/// The hostile GSM8K answers.
pub fn gsm8k_answers() -> Vec<Solution> {
    let s = |name, text: String| Solution {
        name,
        text: text.into_bytes(),
    };
    vec![
        s("GSM8K 20,000-term annotation", gsm8k_chain(20_000)),
        s("GSM8K 100,000 nested parentheses", gsm8k_parens(100_000)),
        s("GSM8K 100,000 annotations", gsm8k_steps(100_000)),
        s(
            "GSM8K 10**400",
            format!("It is <<10**400={}>>.\n#### 1", "1".repeat(401)),
        ),
        s(
            "GSM8K 500-digit numbers",
            format!("It is <<{0}*{0}=1>>1.\n#### 1", "9".repeat(500)),
        ),
        s(
            "GSM8K 1e999999",
            "It is <<1e999999*2=2e999999>>.\n#### 2".into(),
        ),
        s("GSM8K 2**10**10", "It is <<2**10**10=1>>1.\n#### 1".into()),
    ]
}

/// A JSON array nested `depth` deep.
pub fn nested_json(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// A JSONL row with a question and a program.
pub fn program_row(question: &str, code: &str) -> String {
    json!({"question": question, "code": code}).to_string()
}

/// A JSONL row with a question and a GSM8K answer.
pub fn gsm8k_row(question: &str, answer: &str) -> String {
    json!({"question": question, "answer": answer}).to_string()
}

/// Rows that are not problems at all: deep JSON, NUL, wrong types, garbage.
pub fn unreadable_rows() -> Vec<(&'static str, String)> {
    vec![
        ("100,000-deep JSON array", nested_json(100_000)),
        (
            "100,000-deep JSON in a field",
            format!(
                "{{\"question\": {}, \"code\": \"x\"}}",
                nested_json(100_000)
            ),
        ),
        (
            "100,000-deep JSON object",
            format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)),
        ),
        ("NUL bytes outside strings", "{\"question\":\0\"q\"}".into()),
        (
            "question is a number",
            "{\"question\": 1e999999, \"code\": 1}".into(),
        ),
        ("unterminated string", "{\"question\": \"q".into()),
        (
            "a lone surrogate escape",
            "{\"question\": \"\\ud800\", \"answer\": 1}".into(),
        ),
        ("10 MB of garbage", "x".repeat(10 << 20)),
    ]
}
