"""Fanning out: datasets.map(batched=True, num_proc=2) and Ray Data's map_batches on a local
Ray give, as a set, the variants single-process `graft generate` writes with the same seed."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import graft
from conftest import run_cli


def key(id_, answer, text, operations, program):
    """What makes a variant the same variant (the lineage compared as parsed JSON, and the
    program, which reads back to the variant's graph)."""
    ops = json.loads(operations) if isinstance(operations, str) else operations
    return (id_, answer, text, json.dumps(ops, sort_keys=True), program)


@pytest.fixture(scope="module")
def cli_variants(tmp_path_factory, demo_rows, graft_bin):
    """The demo rows (ids `demo:LINE`, as the CLI names rows without one) and graft
    generate's variants of them, as a set of keys."""
    d = tmp_path_factory.mktemp("cli")
    rows = d / "demo.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in demo_rows))
    out = d / "variants.jsonl"
    run_cli(graft_bin, "generate", "--input", rows, "--rounds", 3, "--seed", 7, "--verbalize",
            "--out", out)
    records = [json.loads(l) for l in out.read_text().splitlines()]
    with_ids = [dict(r, id=r.get("id", f"demo:{i + 1}")) for i, r in enumerate(demo_rows)]
    return with_ids, {key(r["id"], r["answer"], r["text"], r["operations"], r["program"]) for r in records}


def columns(rows):
    """Rows as a dict of lists over the union of their keys (missing values None)."""
    names = sorted({k for r in rows for k in r})
    return {n: [r.get(n) for r in rows] for n in names}


def test_datasets_map_with_two_processes_equals_the_cli(cli_variants, tmp_path):
    import datasets

    rows, expected = cli_variants
    ds = datasets.Dataset.from_dict(columns(rows))
    out = ds.map(graft.generate_batch, batched=True, batch_size=4, num_proc=2,
                 remove_columns=ds.column_names, fn_kwargs={"rounds": 3, "seed": 7},
                 cache_file_name=str(tmp_path / "map.arrow"))
    got = {key(r["id"], r["answer"], r["text"], r["operations"], r["program"]) for r in out}
    assert len(out) == len(expected)
    assert got == expected


def test_ray_data_over_parquet_shards_equals_the_cli(cli_variants, tmp_path):
    ray = pytest.importorskip("ray")
    rows, expected = cli_variants
    shards = tmp_path / "shards"
    shards.mkdir()
    table = pa.Table.from_pydict(columns(rows))
    for i in range(3):
        pq.write_table(table.slice(i * 7, 7), shards / f"part-{i}.parquet")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    try:
        out = tmp_path / "out"
        (ray.data.read_parquet(str(shards))
            .map_batches(graft.generate_batch, batch_format="pyarrow", batch_size=5,
                         fn_kwargs={"rounds": 3, "seed": 7})
            .write_parquet(str(out)))
        written = pq.read_table(str(out)).to_pylist()
    finally:
        ray.shutdown()
    got = {key(r["id"], r["answer"], r["text"], r["operations"], r["program"]) for r in written}
    assert len(written) == len(expected)
    assert got == expected
