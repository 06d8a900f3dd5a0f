"""Shared fixtures: problem rows (the repository's demo set and, when present, GSM8K train) and
the graft binary the CLI comparisons run."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_rows():
    """The embedded demo set's rows (GSM8K-style and program rows), as dicts."""
    lines = (ROOT / "demo" / "demo.jsonl").read_text().splitlines()
    return [json.loads(l) for l in lines if l.strip()]


@pytest.fixture(scope="session")
def graft_bin():
    """The graft binary: $GRAFT_BIN, else target/debug/graft (scripts/test builds it)."""
    path = pathlib.Path(os.environ.get("GRAFT_BIN", ROOT / "target" / "debug" / "graft"))
    if not path.exists():
        pytest.fail(f"no graft binary at {path}: run `cargo build -p server` or set GRAFT_BIN")
    return path


def run_cli(graft_bin, *args):
    """Runs the graft binary, failing the test with its stderr if it fails."""
    done = subprocess.run([str(graft_bin), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done
