"""Graft on Ray Data: Parquet shards of problems in, Parquet shards of variants out.

    python ray_generate.py PROBLEMS_DIR_OR_JSONL OUT_DIR [--rounds 3] [--seed 0] [--cpus 2]
                           [--address auto]

PROBLEMS may be a directory of Parquet shards or a JSONL file (GSM8K rows with `question` and
`answer`, or program rows with `code`); rows without an `id` get one, `FILE_STEM:LINE` as
`graft generate` names them, so the output equals single-process `graft generate --input FILE`
as a set. On a cluster pass `--address auto` (or the head's address) and point both paths at
shared storage (s3://…). Each row's variants depend only on its id and the seed: shards,
batch sizes and retried tasks change nothing.
"""

import argparse
import json
import os

import pyarrow as pa
import ray

import graft


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problems")
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per-problem", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--cpus", type=int, default=None, help="local Ray: CPUs to use")
    ap.add_argument("--address", default=None, help="an existing Ray cluster (auto, or host:port)")
    a = ap.parse_args()

    ray.init(address=a.address, num_cpus=None if a.address else a.cpus,
             include_dashboard=False)
    if a.problems.endswith(".jsonl"):
        stem = os.path.splitext(os.path.basename(a.problems))[0]
        rows = []
        with open(a.problems) as f:
            for line_no, line in enumerate(f, 1):
                if line.strip():
                    row = json.loads(line)
                    row.setdefault("id", f"{stem}:{line_no}")
                    rows.append(row)
        names = sorted({k for r in rows for k in r})
        ds = ray.data.from_arrow(pa.Table.from_pydict({n: [r.get(n) for r in rows] for n in names}))
    else:
        ds = ray.data.read_parquet(a.problems)
    (ds.map_batches(graft.generate_batch, batch_format="pyarrow", batch_size=a.batch_size,
                    fn_kwargs={"rounds": a.rounds, "per_problem": a.per_problem,
                               "seed": a.seed})
       .write_parquet(a.out))
    print(f"variants written to {a.out}")


if __name__ == "__main__":
    main()
