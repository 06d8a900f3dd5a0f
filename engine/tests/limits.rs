//! Hostile inputs against the engine's readers: each is refused with a `LimitError` that names
//! the limit and the place, or fails as ordinary bad input, on a small stack and quickly,
//! never by overflowing the stack or running unbounded.

use engine::gsm8k::{self, FailureCategory};
use engine::limits::{Limit, MAX_EXPR_DEPTH, MAX_NODES, MAX_PROGRAM_BYTES, MAX_TEXT_BYTES};
use engine::problem::{extract, Problem};
use engine::{parse_program, Graph, PythonError};

/// Runs `f` on a thread with a 1 MiB stack (tokio's workers have 2 MiB, the main thread 8):
/// whatever the input, the engine's recursion must fit.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn limit_of(r: Result<Graph, PythonError>) -> (Limit, u32) {
    match r {
        Err(PythonError::Limit(e)) => (e.limit, e.line),
        Err(other) => panic!("expected a limit error, got {other}"),
        Ok(_) => panic!("expected a limit error, got a graph"),
    }
}

#[test]
fn a_20000_term_chain_is_refused_at_its_line() {
    let chain = vec!["1"; 20_000].join(" + ");
    let src = format!("def solution():\n    x = {chain}\n    return x\n");
    let r = small_stack(move || parse_program(&src, None));
    assert_eq!(limit_of(r), (Limit::Operators, 2));
}

#[test]
fn deep_parentheses_unary_chains_and_blocks_are_refused() {
    for src in [
        format!("x = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000)),
        format!("x = {}1\n", "-".repeat(100_000)),
        format!("x = {}1\n", "not ".repeat(10_000)),
        format!("x = {}0\n", "[".repeat(10_000)),
        (0..200)
            .map(|d| format!("{}if 1:\n", " ".repeat(d)))
            .collect(),
        format!("x = {}1\n", "f'{".repeat(5_000)),
    ] {
        let r = small_stack(move || parse_program(&src, None));
        assert!(matches!(limit_of(r).0, Limit::Nesting | Limit::Operators));
    }
}

#[test]
fn an_expression_too_deep_to_store_is_refused_with_its_place() {
    let ok = vec!["1"; MAX_EXPR_DEPTH].join(" + ");
    let g = parse_program(&format!("x = {ok}\n"), None).unwrap();
    assert_eq!(g.answer_value().to_string(), MAX_EXPR_DEPTH.to_string());
    // Every graph the engine accepts reads back from its JSON (the store's format).
    let back: Graph = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
    assert!(back.same_as(&g));
    let deep = vec!["1"; MAX_EXPR_DEPTH + 2].join(" + ");
    let r = parse_program(&format!("y = 2\nx = {deep}\n"), None);
    assert_eq!(limit_of(r), (Limit::ExprDepth, 2));
}

#[test]
fn big_programs_are_refused_by_size_or_node_count_in_linear_time() {
    // 100,000 steps: over the size limit before any parsing.
    let src: String = (0..100_000).map(|i| format!("x{i} = {i} + 1\n")).collect();
    assert!(src.len() > MAX_PROGRAM_BYTES);
    assert_eq!(limit_of(parse_program(&src, None)).0, Limit::ProgramBytes);
    // Within the size, over the node count: one name reassigned again and again (the
    // builder's naming stays linear).
    let src = format!("x = 1\n{}", "x = x + 1\n".repeat(MAX_NODES + 10));
    assert!(src.len() <= MAX_PROGRAM_BYTES);
    let r = small_stack(move || parse_program(&src, None));
    assert_eq!(limit_of(r).0, Limit::Nodes);
    // Just under it, the graph is built.
    let src = format!("x = 1\n{}", "x = x + 1\n".repeat(MAX_NODES / 2));
    let g = small_stack(move || parse_program(&src, None)).unwrap();
    assert_eq!(
        g.answer_value().to_string(),
        (MAX_NODES / 2 + 1).to_string()
    );
}

#[test]
fn huge_numbers_and_powers_are_errors_not_hangs() {
    for src in [
        "x = 2 ** 10 ** 10\n".to_string(),
        "x = 10 ** 400\n".to_string(),
        format!("x = {}\n", "9".repeat(500)),
        "x = 1e999999\n".to_string(),
        "x = 2 ** -(10 ** 10)\n".to_string(),
        "x = 0.5 ** 100000\n".to_string(),
    ] {
        let r = parse_program(&src, None);
        assert!(
            matches!(
                r,
                Err(PythonError::Eval { .. } | PythonError::Unsupported { .. })
            ),
            "{src}: {r:?}"
        );
    }
}

#[test]
fn nul_bytes_and_odd_text_are_ordinary_errors() {
    for src in [
        "x = 1\0\n",
        "\0",
        "x = '\0",
        "def solution(:\n",
        "\u{feff}x = 1\n",
    ] {
        let _ = parse_program(src, Some("\0 question \0"));
    }
    let q = "q".repeat(MAX_TEXT_BYTES + 1);
    assert_eq!(
        limit_of(parse_program("x = 1\n", Some(&q))).0,
        Limit::TextBytes
    );
}

#[test]
fn gsm8k_text_and_lines_are_bounded() {
    let long = "1 + ".repeat(MAX_TEXT_BYTES / 4 + 1);
    let e = gsm8k::extract("q", &format!("{long}\n#### 1")).unwrap_err();
    assert_eq!(e.category, FailureCategory::InputLimit);
    let line = format!("a\n{}=2\n#### 2", "1+".repeat(3_000));
    let e = gsm8k::extract("q", &line).unwrap_err();
    assert_eq!((e.category, e.line), (FailureCategory::InputLimit, Some(2)));
    assert!(e.detail.contains("over the limit of 4096"), "{}", e.detail);
    // Long calculations within a line's size are skipped, never parsed recursively.
    let chain = vec!["1"; 1_500].join("+");
    let nested = format!("{}1{}", "(".repeat(1_900), ")".repeat(1_900));
    let neg = "-".repeat(3_000);
    for calc in [chain, nested, format!("{neg}1")] {
        let answer = format!("She has <<{calc}=1500>>1500 apples.\n#### 1500");
        let r = small_stack(move || gsm8k::extract("She has 3 apples.", &answer));
        let e = r.unwrap_err();
        assert!(
            e.detail.contains("the annotation at column 9") && e.detail.contains("over the limit"),
            "{e}"
        );
    }
}

#[test]
fn rows_and_graph_json_are_bounded() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<Graph>(&deep).is_err());
    let line = format!(
        r#"{{"question": "q", "code": "x = {}1"}}"#,
        "(".repeat(50_000)
    );
    let p = Problem::from_json(&line);
    if let Ok(p) = p {
        assert!(small_stack(move || extract(&p)).is_err());
    }
    // A graph of more nodes than the limit is refused when read.
    let nodes: Vec<String> = (0..=MAX_NODES)
        .map(|i| format!(r#"{{"name": "n{i}", "kind": "input", "value": "1"}}"#))
        .collect();
    let json = format!(r#"{{"nodes": [{}], "answer": 0}}"#, nodes.join(","));
    let err = serde_json::from_str::<Graph>(&json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nodes in one graph"), "{err}");
}

#[test]
fn candidate_texts_are_bounded() {
    let g = parse_program("x = 3\ny = x * 2\n", Some("She has 3 apples. How many?")).unwrap();
    let text = format!("{} How many?", "She has 3 apples. ".repeat(10_000));
    let complaints = engine::verbalize::validate(&g, &g, &text).unwrap_err();
    assert!(
        complaints[0].contains("bytes of text, over the limit"),
        "{complaints:?}"
    );
}
