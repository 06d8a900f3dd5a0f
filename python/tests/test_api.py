"""The graft Python API: records equal to `graft generate`'s, exact checks, scoring as a
reward, batch form, and errors as GraftError (never a crash)."""

import json

import pyarrow as pa
import pytest

import graft
from conftest import run_cli

ROW = {
    "question": "Tom has 3 boxes of 4 pens and gives away 2. How many pens are left?",
    "answer": "Tom has 3 * 4 = <<3*4=12>>12 pens.\nHe keeps 12 - 2 = <<12-2=10>>10.\n#### 10",
}


def test_extract_gives_the_graph_and_its_exact_answer():
    e = graft.extract(ROW)
    assert e["answer"] == "10"
    assert e["expected"] == "10"
    assert e["metrics"]["depth"] == 2
    assert "def solution" in e["program"]
    assert [s["value"] for s in e["steps"]] == ["12", "10"]
    # A JSON string is a row too.
    assert graft.extract(json.dumps(ROW))["answer"] == "10"


def test_bad_rows_and_options_are_graft_errors_saying_what_to_fix():
    with pytest.raises(graft.GraftError, match="question"):
        graft.extract({"question": "no answer"})
    with pytest.raises(graft.GraftError, match="answer_not_reached"):
        graft.extract({**ROW, "answer": ROW["answer"].replace("#### 10", "#### 11")})
    with pytest.raises(graft.GraftError, match="rounds is 9"):
        graft.generate([ROW], rounds=9)
    with pytest.raises(graft.GraftError, match="errors is"):
        graft.generate([ROW], errors="ignore")
    with pytest.raises(graft.GraftError, match="row 1"):
        list(graft.generate([{"question": "x"}], errors="raise"))
    # A GraftError is a ValueError.
    assert issubclass(graft.GraftError, ValueError)


def test_flawed_originals_are_skipped_unless_kept():
    def row(eaten):
        return {
            "input": f"Jean has 30 lollipops. Jean eats {eaten} of the lollipops. "
            "How many lollipops does Jean have left?",
            "code": "def solution():\n    have = 30\n"
            f"    eaten = {eaten}\n    left = have - eaten\n    return left\n",
        }

    flawed, sound = row(8714250), row(8)
    assert graft.extract(sound)["flaws"] == []
    (flaw,) = graft.extract(flawed)["flaws"]
    assert flaw["kind"] == "negative" and "-8714220" in flaw["message"], flaw
    assert list(graft.generate([flawed], rounds=1)) == []
    assert len(list(graft.generate([sound], rounds=1))) == 1
    assert len(list(graft.generate([flawed], rounds=1, keep_flawed=True))) == 1
    with pytest.raises(graft.GraftError, match="flawed_original: .*below zero"):
        list(graft.generate([flawed], rounds=1, errors="raise"))
    batch = {"input": [flawed["input"], sound["input"]], "code": [flawed["code"], sound["code"]]}
    assert len(graft.generate_batch(batch, rounds=1)["id"]) == 1
    assert len(graft.generate_batch(batch, rounds=1, keep_flawed=True)["id"]) == 2


def test_hostile_input_is_an_error_not_a_crash():
    deep = "def solution():\n    return " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    with pytest.raises(graft.GraftError):
        graft.extract({"code": deep})
    with pytest.raises(graft.GraftError):
        graft.verify({"graph": {"nodes": "not a graph"}, "answer": "1"})
    with pytest.raises(graft.GraftError):
        graft.score({"answer": "ten"}, "#### 10")


def test_generate_equals_the_cli_for_the_same_rows_and_seed(tmp_path, demo_rows, graft_bin):
    rows = tmp_path / "demo.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in demo_rows))
    out = tmp_path / "variants.jsonl"
    run_cli(graft_bin, "generate", "--input", rows, "--rounds", 3, "--per-problem", 2,
            "--seed", 11, "--verbalize", "--negatives", "--out", out)
    cli = [json.loads(l) for l in out.read_text().splitlines()]
    py = list(graft.generate(demo_rows, rounds=3, per_problem=2, seed=11, verbalize=True,
                             negatives=True, source="demo"))
    assert len(cli) > 50
    assert py == cli
    assert all("graph" not in r and "steps" not in r for r in py), "lean by default"
    # --full and full=True: the same records with the graph and the steps.
    full = tmp_path / "full.jsonl"
    run_cli(graft_bin, "generate", "--input", rows, "--rounds", 3, "--per-problem", 2,
            "--seed", 11, "--verbalize", "--negatives", "--full", "--out", full)
    cli_full = [json.loads(l) for l in full.read_text().splitlines()]
    py_full = list(graft.generate(demo_rows, rounds=3, per_problem=2, seed=11, verbalize=True,
                                  negatives=True, source="demo", full=True))
    assert py_full == cli_full
    assert [{k: v for k, v in r.items() if k not in ("graph", "steps")} for r in py_full] == py


def test_verify_passes_generated_variants_and_catches_tampering():
    variants = list(graft.generate([ROW], rounds=3, seed=2))
    full = list(graft.generate([ROW], rounds=3, seed=2, full=True))
    # A lean record: against its source row with its operations replayed, or its program.
    for v in variants:
        checked = graft.verify(v, row=ROW)
        assert checked["ok"] and checked["checks"]["program_reads_back"], checked
        assert graft.verify(v)["ok"]
    assert full and all(graft.verify(v)["ok"] for v in full)
    for bad in (dict(variants[-1], answer="999"), dict(full[-1], answer="999")):
        r = graft.verify(bad, row=ROW)
        assert not r["ok"] and not r["checks"]["evaluates"]
        assert "999" in r["problems"][0]
    # Operations that are not the program's: the program no longer reads back to the replay.
    swapped = dict(variants[-1], operations=variants[0]["operations"])
    r = graft.verify(swapped, row=ROW)
    assert not r["ok"] and not r["checks"]["program_reads_back"], r
    with pytest.raises(graft.GraftError, match="operations"):
        graft.verify({k: v for k, v in variants[0].items() if k != "operations"}, row=ROW)


def test_score_is_a_reward_with_step_labels():
    v = list(graft.generate([ROW], rounds=1, seed=2))[0]
    right = graft.score(v, f"The answer is {v['answer']}.")
    assert (right["score"], right["correct"], right["reward"]) == ("correct", True, 1.0)
    wrong = graft.score(v, "3 * 4 = 13\n#### 11")
    assert (wrong["score"], wrong["reward"]) == ("wrong", 0.0)
    assert wrong["first_error"] == 0 and wrong["steps"][0]["rating"] == -1
    assert graft.score(v, "no idea")["score"] == "unparseable"
    # An answer alone (a number or its text) is checked without labels.
    assert graft.score(10, "#### 10")["reward"] == 1.0
    assert graft.score("1/3", "it is 0.33")["score"] in ("correct", "wrong")
    assert "steps" not in graft.score("10", "#### 10")


def test_generate_batch_takes_dicts_and_arrow_and_names_rows_by_id_or_content():
    batch = {"id": ["a", None], "question": [ROW["question"]] * 2, "answer": [ROW["answer"]] * 2}
    out = graft.generate_batch(batch, rounds=2, seed=1)
    assert list(out) == graft.COLUMNS
    n = len(out["id"])
    assert n == 4 and all(len(col) == n for col in out.values())
    assert out["id"][0] == "a/c0/r1"
    assert out["id"][2].startswith("h:")
    assert isinstance(out["depth"][0], int) and "graph" not in out
    full = graft.generate_batch(batch, rounds=2, seed=1, full=True)
    assert list(full) == graft.FULL_COLUMNS == graft.COLUMNS + ["graph", "steps"]
    assert isinstance(full["graph"][0], str) and isinstance(full["steps"][0], str)
    assert {k: full[k] for k in graft.COLUMNS} == out
    # The same rows as a pyarrow RecordBatch give the same variants.
    rb = pa.RecordBatch.from_pydict(batch)
    assert graft.generate_batch(rb, rounds=2, seed=1) == out
    # A row's variants do not depend on where it sits in the batch.
    alone = graft.generate_batch({k: v[1:] for k, v in batch.items()}, rounds=2, seed=1)
    assert alone["id"] == out["id"][2:]
    with pytest.raises(graft.GraftError, match="has 1 values"):
        graft.generate_batch({"question": ["q", "r"], "answer": ["a"]})
