#!/usr/bin/env python3
"""The plain-Python comparison for Graft's engine speed (issue #15): the same kind of work as
`graft extract` and `graft generate --rounds R --per-problem 1`, written the way one would in
Python — `ast` to read each solution program, a networkx DiGraph for the computation, exact
`fractions.Fraction` values, JSON records.

    python tools/reference_pipeline.py extract  FILE.jsonl
    python tools/reference_pipeline.py generate FILE.jsonl --rounds 8 --out variants.jsonl [--full]
    python tools/reference_pipeline.py curriculum FILE.jsonl --rounds 8 [--iterations 5]

`extract` parses each row's `code` (GSM-Hard's `def solution(): ...` programs), builds the
graph, evaluates it exactly and compares the answer with the row's `target` (within 1e-6).
`generate` then builds one chain of R rounds per problem: each round grafts one change
(`× k`, `÷ k`, `+ k`, `- k`) onto a node of the longest input→answer path, re-evaluates the
whole graph, redraws (up to 8 times) a change that gives a non-integral or negative value,
re-checks the variant by replaying its operations on the original, and writes a record with
the operations, answers, metrics and program text, as `graft generate`'s lean record; `--full`
adds the graph and the step labels, as `graft generate --full`. `curriculum` times the chains
alone, in process, as the engine's `curriculum` criterion benchmark does (every program read
once beforehand, no records): it prints the fastest of `--iterations` passes over all programs. It is a yardstick, not a second engine:
it says fewer things than Graft (no words) and is kept deliberately straightforward.
scripts/bench-engine runs it next to the release `graft` and prints the ratios.
"""

import argparse
import ast
import json
import random
import sys
import zlib
from fractions import Fraction

import networkx as nx

OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}


class Unsupported(Exception):
    """A program outside the subset (reported per row, like Graft's failure categories)."""


def const(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -const(node.operand)
    raise Unsupported("not a number")


def build(code):
    """The program's computation graph: one node per assignment, edges operand → node."""
    tree = ast.parse(code)
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
    if fn is None:
        raise Unsupported("no function")
    g = nx.DiGraph()
    names = {}
    counter = [0]

    def fresh(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def expr(e):
        if isinstance(e, ast.Name):
            if e.id not in names:
                raise Unsupported(f"unknown name {e.id}")
            return names[e.id]
        if isinstance(e, ast.BinOp) and type(e.op) in OPS:
            a, b = expr(e.left), expr(e.right)
            n = fresh("t")
            g.add_node(n, kind="step", op=OPS[type(e.op)])
            g.add_edge(a, n, slot=0)
            g.add_edge(b, n, slot=1)
            return n
        try:
            v = const(e)
        except Unsupported:
            raise Unsupported(f"expression {type(e).__name__}") from None
        n = fresh("c")
        g.add_node(n, kind="constant", value=v)
        return n

    answer = None
    for st in fn.body:
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue  # the docstring
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            name = st.targets[0].id
            try:
                v = const(st.value)
                g.add_node(name, kind="input", value=v)
                names[name] = name
                continue
            except Unsupported:
                pass
            src = expr(st.value)
            g.add_node(name, kind="step", op="=")
            g.add_edge(src, name, slot=0)
            names[name] = name
        elif isinstance(st, ast.Return) and st.value is not None:
            answer = expr(st.value)
        else:
            raise Unsupported(f"statement {type(st).__name__}")
    if answer is None:
        raise Unsupported("no return")
    g.graph["answer"] = answer
    return g


def apply_op(op, a, b):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise ZeroDivisionError
    if op == "/":
        return a / b
    if op == "//":
        return Fraction(a // b)
    return a % b


def evaluate(g):
    """Every node's exact value, in topological order."""
    for n in nx.topological_sort(g):
        d = g.nodes[n]
        if d["kind"] in ("input", "constant"):
            continue
        ins = sorted(g.in_edges(n, data="slot"), key=lambda e: e[2])
        vals = [g.nodes[u]["value"] for u, _, _ in ins]
        d["value"] = vals[0] if d["op"] == "=" else apply_op(d["op"], vals[0], vals[1])
    return g.nodes[g.graph["answer"]]["value"]


def depth(g):
    """Operations on the longest path to the answer."""
    best = {}
    for n in nx.topological_sort(g):
        own = 0 if g.nodes[n]["kind"] in ("input", "constant") or g.nodes[n].get("op") == "=" else 1
        best[n] = own + max((best[p] for p in g.predecessors(n)), default=0)
    return best[g.graph["answer"]]


def critical_path(g):
    """Nodes on a longest input→answer path (counted in operations)."""
    answer = g.graph["answer"]
    sub = nx.DiGraph()
    for u, v in g.subgraph(nx.ancestors(g, answer) | {answer}).edges:
        sub.add_edge(u, v, w=0 if g.nodes[v].get("op") == "=" else 1)
    return [n for n in nx.dag_longest_path(sub, weight="w") if g.nodes[n]["kind"] != "constant"]


def graft(g, node, op, k):
    """A new node `node op k` that every former reader of `node` reads instead."""
    h = g.copy()
    proxy = f"{node}_x{h.number_of_nodes()}"
    readers = [(v, s) for _, v, s in h.out_edges(node, data="slot")]
    h.add_node(proxy, kind="step", op=op)
    kn = f"k_{h.number_of_nodes()}"
    h.add_node(kn, kind="constant", value=Fraction(k))
    h.add_edge(node, proxy, slot=0)
    h.add_edge(kn, proxy, slot=1)
    for v, s in readers:
        h.remove_edge(node, v)
        h.add_edge(proxy, v, slot=s)
    if h.graph["answer"] == node:
        h.graph["answer"] = proxy
    return h


def good(g):
    return all(
        d["value"].denominator == 1 and d["value"] >= 0 for _, d in g.nodes(data=True)
    )


def graph_json(g):
    return {
        "nodes": [
            {
                "name": n,
                "kind": d["kind"],
                "op": d.get("op"),
                "operands": [u for u, _, _ in sorted(g.in_edges(n, data="slot"), key=lambda e: e[2])],
                "value": str(d["value"]),
            }
            for n, d in g.nodes(data=True)
        ],
        "answer": g.graph["answer"],
    }


def program(g):
    lines = ["def solution():"]
    for n in nx.topological_sort(g):
        d = g.nodes[n]
        if d["kind"] != "step":
            lines.append(f"    {n} = {d['value']}")
        else:
            ops = [u for u, _, _ in sorted(g.in_edges(n, data="slot"), key=lambda e: e[2])]
            lines.append(f"    {n} = " + (ops[0] if d["op"] == "=" else f" {d['op']} ".join(ops)))
    lines.append(f"    return {g.graph['answer']}")
    return "\n".join(lines)


def steps(g):
    out = []
    for n in nx.topological_sort(g):
        d = g.nodes[n]
        if d["kind"] == "step":
            ops = [u for u, _, _ in sorted(g.in_edges(n, data="slot"), key=lambda e: e[2])]
            out.append({"node": n, "operands": ops, "op": d["op"], "value": str(d["value"])})
    return out


def extract(row):
    g = build(row["code"])
    answer = evaluate(g)
    target = row.get("target")
    matches = target is None or abs(float(answer) - float(target)) <= 1e-6
    return g, matches


def chain(original, source_id, rounds, seed):
    rng = random.Random(zlib.crc32(source_id.encode()) ^ seed)
    g, ops, variants = original, [], []
    for rnd in range(1, rounds + 1):
        path = critical_path(g) or [g.graph["answer"]]
        drawn = None
        for _ in range(8):
            node = rng.choice(path)
            op, k = rng.choice("*/+-"), rng.randint(2, 9)
            try:
                h = graft(g, node, op, k)
                evaluate(h)
            except ZeroDivisionError:
                continue
            drawn = (h, {"op": "graft", "node": node, "f": {"op": op, "k": k}})
            if good(h):
                break
        if drawn is None:
            break
        g, op = drawn
        ops = ops + [op]
        variants.append((rnd, ops, g))
    return variants


def replay(original, ops):
    g = original
    for op in ops:
        g = graft(g, op["node"], op["f"]["op"], op["f"]["k"])
    evaluate(g)
    return g


def rows(path):
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if line.strip():
                yield line_no, json.loads(line)


def time_curriculum(path, rounds, seed, iterations):
    """Prints the fastest of `iterations` passes of one `rounds`-round chain per program."""
    import time

    programs = []
    for line_no, row in rows(path):
        try:
            g, ok = extract(row)
        except (Unsupported, SyntaxError, ZeroDivisionError, nx.NetworkXException):
            continue
        if ok:
            programs.append((g, row.get("id") or f"input:{line_no}"))
    best = None
    for _ in range(max(1, iterations)):
        start = time.perf_counter()
        variants = sum(len(chain(g, sid, rounds, seed)) for g, sid in programs)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    print(
        f"curriculum: {len(programs)} programs, {variants} variants, "
        f"{best * 1000:.1f} ms a pass (fastest of {max(1, iterations)})"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["extract", "generate", "curriculum"])
    ap.add_argument("input")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="variants.jsonl")
    ap.add_argument("--full", action="store_true", help="add graph and steps to each record")
    ap.add_argument("--iterations", type=int, default=5, help="passes timed by `curriculum`")
    a = ap.parse_args()
    if a.command == "curriculum":
        return time_curriculum(a.input, a.rounds, a.seed, a.iterations)
    total = extracted = matched = written = verified = 0
    out = open(a.out, "w") if a.command == "generate" else None
    for line_no, row in rows(a.input):
        total += 1
        try:
            g, ok = extract(row)
        except (Unsupported, SyntaxError, ZeroDivisionError, nx.NetworkXException):
            continue
        extracted += 1
        matched += ok
        if out is None or not ok:
            continue
        source_id = row.get("id") or f"input:{line_no}"
        original_answer = g.nodes[g.graph["answer"]]["value"]
        for rnd, ops, v in chain(g, source_id, a.rounds, a.seed):
            answer = v.nodes[v.graph["answer"]]["value"]
            again = replay(g, ops)
            if nx.utils.graphs_equal(again, v) and again.nodes[again.graph["answer"]]["value"] == answer:
                verified += 1
            rec = {
                "id": f"{source_id}/c0/r{rnd}",
                "source_id": source_id,
                "source_line": line_no,
                "round": rnd,
                "question": row.get("input") or row.get("question"),
                "operations": ops,
                "answer": str(answer),
                "original_answer": str(original_answer),
                "metrics": {"depth": depth(v), "nodes": v.number_of_nodes()},
                "program": program(v),
            }
            if a.full:
                rec["graph"] = graph_json(v)
                rec["steps"] = steps(v)
            out.write(json.dumps(rec) + "\n")
            written += 1
    if out is not None:
        out.close()
        print(f"{written} variants written to {a.out}, {verified} replayed")
    print(f"{total} rows, {extracted} extracted, {matched} answers match", file=sys.stderr)


if __name__ == "__main__":
    main()
