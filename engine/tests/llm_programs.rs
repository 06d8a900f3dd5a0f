//! LLM-style solution programs (loops, lists, comprehensions, helpers, `while` with a
//! counter, partial `if` arms): each evaluates to the answer Python computes for it, and
//! survives print → parse. Hostile programs fail with clear errors, never a panic or a hang.

use engine::intervene::{intervene, Intervention, InterventionError};
use engine::python::{structural_note, MAX_LOOP_ITERATIONS};
use engine::{parse_program, to_python, NodeKind, Number, PythonError};

const CORPUS: &str = include_str!("data/llm_programs.jsonl");

#[derive(serde::Deserialize)]
struct Row {
    input: String,
    code: String,
    target: f64,
}

#[test]
fn llm_programs_match_python_and_round_trip() {
    let rows: Vec<Row> = CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a corpus row"))
        .collect();
    assert!(rows.len() >= 40, "{} programs", rows.len());
    let mut pass = 0usize;
    let mut failures = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let g = match parse_program(&row.code, Some(&row.input)) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("program {i}: {e}\n{}", row.code));
                continue;
            }
        };
        let printed = to_python(&g);
        match parse_program(&printed, g.question()) {
            Ok(back) => assert!(
                back.same_as(&g),
                "program {i}: print → parse changed the graph\n{printed}"
            ),
            Err(e) => panic!("program {i}: printed program does not parse: {e}\n{printed}"),
        }
        let got = g.answer_value().to_f64();
        if (got - row.target).abs() <= 1e-9 * row.target.abs().max(1.0) {
            pass += 1;
        } else {
            failures.push(format!(
                "program {i}: answer {got} but Python gives {}\n{}",
                row.target, row.code
            ));
        }
    }
    for f in &failures {
        println!("{f}");
    }
    println!("LLM-style corpus: {pass}/{} pass", rows.len());
    assert!(failures.is_empty(), "{} failures", failures.len());
}

fn err(src: &str) -> PythonError {
    match parse_program(src, None) {
        Ok(g) => panic!("expected an error, got answer {}\n{src}", g.answer_value()),
        Err(e) => e,
    }
}

#[test]
fn hostile_programs_fail_clearly() {
    // An infinite while loop stops at the iteration cap, naming the loop.
    let e = err("def solution():\n    x = 1\n    while x > 0:\n        x += 1\n    return x\n");
    assert!(
        matches!(&e, PythonError::Runaway { construct, line: 3, column: 5, .. } if construct == "while loop"),
        "{e}"
    );
    assert!(
        e.to_string().contains(&MAX_LOOP_ITERATIONS.to_string()),
        "{e}"
    );
    // `while True` without a break.
    let e = err("def solution():\n    n = 0\n    while True:\n        n = n + 0\n    return n\n");
    assert!(matches!(e, PythonError::Runaway { line: 3, .. }), "{e}");
    // A huge range is refused before it runs.
    let e = err(
        "def solution():\n    t = 0\n    for i in range(10 ** 15):\n        t += i\n    return t\n",
    );
    assert!(
        matches!(&e, PythonError::Runaway { construct, line: 3, column: 14, .. } if construct == "range()"),
        "{e}"
    );
    // Nested loops within the per-loop cap but far over the total work.
    let e = err("def solution():\n    t = 0\n    for i in range(10000):\n        for j in range(10000):\n            pass\n    return t\n");
    assert!(matches!(e, PythonError::Runaway { .. }), "{e}");
    // Summing a long list again and again counts every item as work.
    let e = err("def solution():\n    xs = [i for i in range(9000)]\n    t = 0\n    for k in range(9000):\n        t += sum(xs)\n    return t\n");
    assert!(matches!(e, PythonError::Runaway { line: 5, .. }), "{e}");
    // Deep recursion stops at the call depth.
    let e = err("def f(n):\n    return f(n + 1)\n\ndef solution():\n    return f(1)\n");
    assert!(
        matches!(&e, PythonError::Runaway { construct, line: 2, .. } if construct == "call to f()"),
        "{e}"
    );
    // Index out of range names the list and its length.
    let e = err("def solution():\n    xs = [1, 2, 3]\n    return xs[3]\n");
    assert!(
        matches!(&e, PythonError::Invalid { message, line: 3, column: 15 } if message.contains("`xs` has 3 items")),
        "{e}"
    );
    // A name assigned in only one arm, then read.
    let e = err("def solution():\n    x = 1\n    if x > 3:\n        bonus = 2\n    total = x + bonus\n    return total\n");
    assert!(
        matches!(&e, PythonError::NoValueInArm { name, line: 5, column: 17, if_line: 3 } if name == "bonus"),
        "{e}"
    );
    // max() of an empty list, a list used as a number, a wrong argument count.
    let e = err("def solution():\n    xs = []\n    return max(xs)\n");
    assert!(matches!(e, PythonError::Invalid { line: 3, .. }), "{e}");
    let e = err("def solution():\n    xs = [1, 2]\n    return xs * 2\n");
    assert!(matches!(e, PythonError::Invalid { line: 3, .. }), "{e}");
    let e = err("def f(a, b):\n    return a + b\n\ndef solution():\n    return f(1)\n");
    assert!(
        matches!(&e, PythonError::Invalid { message, line: 5, .. } if message.contains("`b`")),
        "{e}"
    );
    // Mutual recursion, in an expression, deep inside brackets: still a clean error.
    let deep = format!(
        "def f(n):\n    return {}g(n){}\n\ndef g(n):\n    return f(n) + 1\n\ndef solution():\n    return f(1)\n",
        "(".repeat(60),
        ")".repeat(60)
    );
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || parse_program(&deep, None).map(|g| g.answer_value()))
        .expect("a thread");
    let r = handle.join().expect("no stack overflow on a 2 MiB stack");
    assert!(matches!(r, Err(PythonError::Runaway { .. })), "{r:?}");
}

#[test]
fn loop_counts_from_inputs_are_structural() {
    let q = "Tom saves 15 dollars a week for 12 weeks.";
    let src = "def solution():\n    weekly = 15\n    weeks = 12\n    total = 0\n    for week in range(weeks):\n        total += weekly\n    return total\n";
    let g = parse_program(src, Some(q)).unwrap();
    assert_eq!(g.answer_value(), Number::int(180));
    let names: Vec<&str> = g.order().iter().map(|&i| g.node(i).name.as_str()).collect();
    assert!(names.contains(&"total_13"), "{names:?}");
    let weeks = g.find("weeks").unwrap();
    let weekly = g.find("weekly").unwrap();
    assert_eq!(g.node(weeks).kind, NodeKind::Constant);
    let why = structural_note(g.node(weeks)).expect("a structural note");
    assert!(why.contains("range()") && why.contains("line 5"), "{why}");
    assert!(matches!(
        g.node(weekly).kind,
        NodeKind::Input { span: Some(_) }
    ));
    // Setting the loop count reads the program again: the loop unrolls to its new length and
    // the diff says so.
    let (h, diff) = intervene(
        &g,
        &Intervention::SetInput {
            node: weeks,
            value: Number::int(20),
        },
    )
    .unwrap();
    assert_eq!(h.answer_value(), Number::int(300));
    assert_eq!(diff.answer, (Number::int(180), Number::int(300)));
    let re = diff
        .reextracted
        .as_ref()
        .expect("the diff says the program was read again");
    assert!(
        re.reason.contains("range()") && re.reason.contains("line 5"),
        "{re:?}"
    );
    assert_eq!(re.nodes, (g.len(), g.len() + 8), "{re:?}");
    assert_eq!(diff.added.len(), 8);
    assert!(h.find("total_21").is_some() && h.find("total_22").is_none());
    assert_eq!(h.value(h.find("weeks").unwrap()), Number::int(20));
    // The new graph prints to a program that reads back to it.
    let back = parse_program(&to_python(&h), h.question()).unwrap();
    assert!(back.same_as(&h), "{}", to_python(&h));
    // It keeps its program (through JSON too), so the count can change again, and the same
    // operations replay to the same graph.
    let json: engine::Graph = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
    assert!(json.identical(&h));
    let (h3, d3) = intervene(
        &json,
        &Intervention::SetInput {
            node: weeks,
            value: Number::int(3),
        },
    )
    .unwrap();
    assert_eq!(h3.answer_value(), Number::int(45));
    assert_eq!(d3.reextracted.unwrap().nodes, (h.len(), h.len() - 17));
    let lineage = engine::curriculum::Lineage {
        operations: vec![
            Intervention::SetInput {
                node: weeks,
                value: Number::int(20),
            },
            Intervention::SetInput {
                node: weeks,
                value: Number::int(3),
            },
        ],
        source_id: "tom".into(),
        seed: 0,
    };
    let replayed = engine::curriculum::regenerate(&g, &lineage).unwrap();
    assert!(replayed.same_as(&h3));
    // An input set before the loop count is carried into the new reading.
    let (w, _) = intervene(
        &g,
        &Intervention::SetInput {
            node: weekly,
            value: Number::int(10),
        },
    )
    .unwrap();
    let (w, d) = intervene(
        &w,
        &Intervention::SetInput {
            node: weeks,
            value: Number::int(4),
        },
    )
    .unwrap();
    assert_eq!(w.answer_value(), Number::int(40));
    assert_eq!(d.answer, (Number::int(120), Number::int(40)));
    // A graft would be undone by reading the program again: refused, saying what to do.
    let total = g.answer();
    let (grafted, _) = intervene(
        &g,
        &Intervention::Graft {
            node: total,
            f: engine::ProxyFn {
                op: engine::ProxyOp::Add,
                k: Number::int(5),
            },
        },
    )
    .unwrap();
    match intervene(
        &grafted,
        &Intervention::SetInput {
            node: weeks,
            value: Number::int(20),
        },
    ) {
        Err(e @ InterventionError::Reextract { .. }) => {
            assert!(
                e.to_string().contains("set the structural numbers first"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A count the program cannot run with fails naming the loop; the graph stays as it was.
    for bad in [
        Number::int(MAX_LOOP_ITERATIONS as i128 + 1),
        Number::ratio(5, 2).unwrap(),
    ] {
        let mut same = g.clone();
        let e = engine::intervene::apply(
            &mut same,
            &Intervention::SetInput {
                node: weeks,
                value: bad,
            },
        )
        .unwrap_err();
        assert!(matches!(e, InterventionError::Reextract { .. }), "{e}");
        assert!(e.to_string().contains("line 5"), "{e}");
        assert!(same.identical(&g));
    }
    // The per-week amount is an ordinary input: every unrolled step follows it.
    let (h, diff) = intervene(
        &g,
        &Intervention::SetInput {
            node: weekly,
            value: Number::int(20),
        },
    )
    .unwrap();
    assert_eq!(h.answer_value(), Number::int(240));
    assert_eq!(diff.answer, (Number::int(180), Number::int(240)));
    // The note survives print → parse.
    let printed = to_python(&g);
    assert!(
        printed.contains("# graft: constant structural:"),
        "{printed}"
    );
    let back = parse_program(&printed, g.question()).unwrap();
    assert!(back.same_as(&g));
    assert_eq!(structural_note(back.node(weeks)), Some(why));
}

#[test]
fn comprehensions_helpers_and_lists_build_readable_graphs() {
    let src = "def cost(price, qty):\n    return price * qty\n\ndef solution():\n    prices = [3, 5]\n    costs = [cost(p, 2) for p in prices]\n    total = sum(costs) + max(prices)\n    return total\n";
    let g = parse_program(src, None).unwrap();
    assert_eq!(g.answer_value(), Number::int(21));
    for name in ["prices_0", "prices_1", "costs_0", "costs_1", "total"] {
        assert!(g.find(name).is_some(), "{name} missing: {}", to_python(&g));
    }
    // The inline generator stays one node over the list's items.
    let g = parse_program(
        "def solution():\n    xs = [2, 3, 4]\n    s = sum(x * x for x in xs)\n    return s\n",
        None,
    )
    .unwrap();
    assert_eq!(g.answer_value(), Number::int(29));
    assert_eq!(g.node(g.answer()).operands.len(), 3);
}
