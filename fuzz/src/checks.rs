//! Shared pieces of Graft's fuzz targets: splitting an input into its parts, running engine
//! code on the stack a server worker has, and the invariants every graph Graft accepted must
//! keep (each check panics with the evidence, which libFuzzer records as a crash).

use std::collections::HashSet;

use engine::layout::{layout, Spacing};
use engine::{labels, mentions, parse_program, printer, to_python, Graph, NodeKind};

/// The stack of a tokio worker and of a `spawn_blocking` thread (2 MiB): the smallest stack
/// engine code runs on in `graft serve`.
pub const SERVER_STACK: usize = 2 * 1024 * 1024;

/// Runs `f` on a fresh thread with [`SERVER_STACK`], so that recursion too deep for the server
/// fails here too (a stack overflow aborts the process: libFuzzer records a crash).
pub fn on_server_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(SERVER_STACK)
            .spawn_scoped(s, f)
            .expect("a thread for the input")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// The input as text cut at its first NUL byte: `(before, after)`, `after` being `None` when
/// there is no NUL. `None` when the input is not UTF-8 (every reader takes `&str`).
pub fn split_nul(data: &[u8]) -> Option<(&str, Option<&str>)> {
    let text = std::str::from_utf8(data).ok()?;
    Some(match text.split_once('\0') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    })
}

/// Whether every node name is a distinct identifier in the normal form the readers give
/// ([`engine::graph::identifier`] leaves it unchanged), so that the printed program can name
/// every node as the graph does.
pub fn printable_names(g: &Graph) -> bool {
    let mut seen = HashSet::new();
    g.ids().all(|id| {
        let name = &g.node(id).name;
        engine::graph::identifier(name) == *name && seen.insert(name.as_str())
    })
}

/// Checks what holds for every graph Graft accepted, whatever it came from:
/// - its stored values are what evaluating it from scratch gives;
/// - JSON gives the same graph back, and serializing that gives the same text;
/// - metrics agree with `depth()`/`levels()` and count every node;
/// - the layout places each node once, inside the drawing, with one edge per (operand, reader)
///   pair running from the operand's centre down to the reader's, one point per layer;
/// - the question's mentions are sorted, disjoint, on char boundaries, and the segments put
///   together give the question back;
/// - step labels and printed operations never panic.
pub fn check_graph(g: &Graph) {
    let mut again = g.clone();
    again
        .evaluate_all()
        .unwrap_or_else(|e| panic!("an accepted graph does not evaluate: {e}\n{g:#?}"));
    assert!(
        again.same_as(g),
        "stored values differ from evaluation\n{g:#?}"
    );

    let json = serde_json::to_string(g).expect("a graph serializes");
    let back: Graph = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("a graph's own JSON does not read back: {e}\n{json}"));
    assert!(
        back.same_as(g) && back.question() == g.question(),
        "JSON round trip changed the graph\n{json}"
    );
    assert_eq!(
        serde_json::to_string(&back).expect("serializes"),
        json,
        "JSON is not a fixed point"
    );

    let levels = g.levels();
    assert_eq!(levels.len(), g.len());
    let m = g.metrics();
    assert_eq!(m.depth, g.depth(), "metrics().depth and depth() differ");
    assert_eq!(m.depth, levels[g.answer().index()]);
    assert_eq!(m.nodes as usize, g.len());
    let inputs = g
        .ids()
        .filter(|&id| matches!(g.node(id).kind, NodeKind::Input { .. }))
        .count();
    assert_eq!((m.inputs + m.distractors) as usize, inputs, "{m:?}");
    assert!(m.width <= m.steps && m.depth <= m.steps, "{m:?}");
    assert_eq!(g.order().len(), g.len());

    check_layout(g);

    if let Some(q) = g.question() {
        let ms = mentions::link(g);
        let mut at = 0;
        for m in &ms {
            assert!(
                m.start >= at && m.start < m.end && q.get(m.start..m.end).is_some(),
                "mention {m:?} out of order or off char boundaries in {q:?}"
            );
            at = m.end;
        }
        let joined: String = mentions::segments(q, &ms)
            .into_iter()
            .map(|s| match s {
                mentions::Segment::Text(t) => t,
                mentions::Segment::Number { text, .. } => text,
            })
            .collect();
        assert_eq!(joined, q, "segments do not give the question back");
    }
    let _ = labels::steps(g);
    for id in g.ids() {
        let _ = printer::operation(g, id);
    }
}

/// The layout invariants of [`check_graph`].
fn check_layout(g: &Graph) {
    let spacing = Spacing::default();
    let l = layout(g, spacing);
    assert_eq!(l.nodes.len(), g.len(), "one placed entry per node");
    let levels = g.levels();
    for (i, p) in l.nodes.iter().enumerate() {
        assert_eq!(p.node.index(), i, "placed nodes are indexed by id");
        assert_eq!(p.layer, levels[i], "a node's layer is its level");
        assert!(
            p.x <= l.width && p.y <= l.height,
            "{p:?} outside the drawing"
        );
    }
    let pairs: HashSet<(u32, u32)> = g
        .ids()
        .flat_map(|id| g.node(id).operands.iter().map(move |o| (o.0, id.0)))
        .collect();
    assert_eq!(l.edges.len(), pairs.len(), "one edge per (operand, reader)");
    for e in &l.edges {
        let (from, to) = (&l.nodes[e.from.index()], &l.nodes[e.to.index()]);
        assert_eq!(e.points.first(), Some(&(from.x, from.y)), "{e:?}");
        assert_eq!(e.points.last(), Some(&(to.x, to.y)), "{e:?}");
        assert_eq!(
            e.points.len() as i64,
            i64::from(to.layer) - i64::from(from.layer) + 1,
            "one point per layer: {e:?}"
        );
        assert!(e.points.windows(2).all(|w| w[0].1 < w[1].1), "{e:?}");
    }
}

/// Checks that printing `g` as Python and reading the program back gives `g` again (names,
/// kinds, operands, values, order, answer).
pub fn check_print_round_trip(g: &Graph) {
    let src = to_python(g);
    match parse_program(&src, g.question()) {
        Ok(back) => assert!(
            back.same_as(g),
            "print → parse changed the graph ({})\n--- printed ---\n{src}\n--- read back ---\n{}",
            first_difference(g, &back),
            to_python(&back)
        ),
        Err(e) => panic!("the printed program does not read back: {e}\n--- printed ---\n{src}"),
    }
}

/// Where [`emit`] writes, per environment variable (read once each).
fn emit_dir(var: &'static str) -> Option<&'static std::path::Path> {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{LazyLock, Mutex};
    static DIRS: LazyLock<Mutex<HashMap<&'static str, Option<&'static std::path::Path>>>> =
        LazyLock::new(Default::default);
    let mut dirs = DIRS.lock().unwrap_or_else(|e| e.into_inner());
    *dirs.entry(var).or_insert_with(|| {
        let dir = PathBuf::from(std::env::var_os(var)?);
        std::fs::create_dir_all(&dir).ok()?;
        Some(Box::leak(dir.into_boxed_path()))
    })
}

/// Seeding aid for `scripts/fuzz`: when the environment variable `var` names a directory,
/// writes `bytes` there as one corpus file (named by a hash of its content). Does nothing
/// otherwise. Used to turn the graphs the readers accept into seeds for `graph_json`, and the
/// lineages curricula make into seeds for `interventions`.
pub fn emit(var: &'static str, bytes: &[u8]) {
    use std::hash::{Hash, Hasher};
    let Some(dir) = emit_dir(var) else { return };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    let _ = std::fs::write(dir.join(format!("{:016x}", h.finish())), bytes);
}

/// Environment variable: a directory to write the JSON of every graph a target accepts.
pub const EMIT_GRAPHS: &str = "GRAFT_FUZZ_EMIT_GRAPHS";
/// Environment variable: a directory to write intervention lists (curriculum lineages).
pub const EMIT_INTERVENTIONS: &str = "GRAFT_FUZZ_EMIT_INTERVENTIONS";
/// Environment variable: a directory to write full exports of a small rich dataset.
pub const EMIT_EXPORTS: &str = "GRAFT_FUZZ_EMIT_EXPORTS";

/// [`emit`]s the JSON of `g` under [`EMIT_GRAPHS`].
pub fn emit_graph(g: &Graph) {
    if emit_dir(EMIT_GRAPHS).is_some() {
        emit(
            EMIT_GRAPHS,
            serde_json::to_string(g)
                .expect("a graph serializes")
                .as_bytes(),
        );
    }
}

/// For a graph from outside (JSON) whose names are printable: printing it as Python and
/// reading the program back gives an equivalent graph (every node name with the same value,
/// the same answer), and printing that gives the same program. Unlike
/// [`check_print_round_trip`], operand lists may come back normalized (a repeated or unread
/// operand is not printed).
pub fn check_print_equivalent(g: &Graph) {
    let src = to_python(g);
    let back = parse_program(&src, g.question())
        .unwrap_or_else(|e| panic!("the printed program does not read back: {e}\n{src}"));
    for id in g.ids() {
        let name = &g.node(id).name;
        let other = back
            .find(name)
            .unwrap_or_else(|| panic!("`{name}` is lost by print → parse\n{src}"));
        assert_eq!(
            back.value(other),
            g.value(id),
            "`{name}` changes value by print → parse\n{src}"
        );
    }
    assert_eq!(back.len(), g.len(), "print → parse adds nodes\n{src}");
    assert_eq!(back.answer_value(), g.answer_value());
    assert_eq!(to_python(&back), src, "printing is not a fixed point");
}

/// Where `b` first differs from `a`, for messages.
fn first_difference(a: &Graph, b: &Graph) -> String {
    if a.len() != b.len() {
        return format!("{} nodes, then {}", a.len(), b.len());
    }
    if a.order() != b.order() || a.answer() != b.answer() {
        return "evaluation order or answer node".into();
    }
    for id in a.ids() {
        let (x, y) = (a.node(id), b.node(id));
        if x.name != y.name {
            return format!("name `{}` became `{}`", x.name, y.name);
        }
        if x.kind != y.kind || x.operands != y.operands {
            return format!(
                "`{}`: {:?} {:?} became {:?} {:?}",
                x.name, x.kind, x.operands, y.kind, y.operands
            );
        }
        if a.value(id) != b.value(id) {
            return format!("`{}`: value {} became {}", x.name, a.value(id), b.value(id));
        }
    }
    "nothing visible".into()
}
