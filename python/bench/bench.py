"""Variants per second, side by side: `graft generate` (the release CLI, whole process) and the
Python API on the same rows and options: graft.generate (one dict per variant),
graft.generate_batch (one process), datasets.map(batched=True) with num_proc 1 and 2, and Ray
Data with 2 workers. Run by scripts/bench-python; prints one line per way and the ratio of the
Python API's time per variant to the CLI's (issue #14: within 1.2x).

Usage: python bench.py GRAFT_BIN ROWS.jsonl [--rows N] [--rounds R]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import graft


def timed(fn):
    start = time.perf_counter()
    n = fn()
    return n, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("graft_bin")
    ap.add_argument("rows")
    ap.add_argument("--rows", dest="n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-ray", action="store_true")
    a = ap.parse_args()
    lines = [l for l in open(a.rows) if l.strip()][: a.n]
    rows = [json.loads(l) for l in lines]
    stem = "bench"
    results = []
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, f"{stem}.jsonl")
        with open(src, "w") as f:
            f.writelines(lines)
        out = os.path.join(d, "variants.jsonl")

        def cli():
            done = subprocess.run([a.graft_bin, "generate", "--input", src, "--rounds",
                                   str(a.rounds), "--verbalize", "--out", out],
                                  capture_output=True, text=True, check=True)
            return sum(1 for _ in open(out))
        results.append(("graft generate (CLI, release, whole process)",) + timed(cli))

        def py_generate():
            return sum(1 for _ in graft.generate(rows, rounds=a.rounds, verbalize=True,
                                                 source=stem))
        results.append(("graft.generate (dicts, 1 process)",) + timed(py_generate))

        with_ids = [dict(r, id=f"{stem}:{i + 1}") for i, r in enumerate(rows)]
        names = sorted({k for r in with_ids for k in r})
        cols = {k: [r.get(k) for r in with_ids] for k in names}

        def py_batch():
            n = 0
            for i in range(0, len(with_ids), 64):
                b = {k: v[i:i + 64] for k, v in cols.items()}
                n += len(graft.generate_batch(b, rounds=a.rounds)["id"])
            return n
        results.append(("graft.generate_batch (batches of 64, 1 process)",) + timed(py_batch))

        import datasets
        datasets.disable_progress_bars()
        ds = datasets.Dataset.from_dict(cols)
        for procs in (1, 2):
            def hf(procs=procs):
                m = ds.map(graft.generate_batch, batched=True, batch_size=64, num_proc=procs,
                           remove_columns=ds.column_names, fn_kwargs={"rounds": a.rounds},
                           load_from_cache_file=False,
                           cache_file_name=os.path.join(d, f"hf{procs}.arrow"))
                return len(m)
            results.append((f"datasets.map(batched, num_proc={procs})",) + timed(hf))

        if not a.skip_ray:
            import ray
            import pyarrow as pa
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
            try:
                table = pa.Table.from_pydict(cols)

                def rayrun():
                    got = (ray.data.from_arrow(table).repartition(2)
                           .map_batches(graft.generate_batch, batch_format="pyarrow",
                                        batch_size=64, fn_kwargs={"rounds": a.rounds},
                                        concurrency=2)
                           .count())
                    return got
                rayrun()  # warm: workers started, module imported
                results.append(("Ray Data map_batches (2 workers, warm)",) + timed(rayrun))
            finally:
                ray.shutdown()

    base = results[0][2] / results[0][1]
    print(f"{len(rows)} rows, {a.rounds} rounds, offline text")
    for name, n, secs in results:
        per = secs / n * 1e6
        print(f"  {name:<48} {n:>7} variants  {secs:6.2f} s  {n / secs:9.0f} variants/s  "
              f"{per:6.1f} us/variant  {per / (base * 1e6):4.2f}x the CLI's time")


if __name__ == "__main__":
    sys.exit(main())
