"""Graft from Python: structural variants of math word problems with exact answers.

The same engine as the ``graft`` binary (built into this wheel with PyO3): ``extract`` a
problem's computation graph, ``generate`` curricula of variants (the records ``graft generate``
writes, equal JSON for the same rows and seed), ``generate_batch`` for ``datasets.map`` and Ray
Data, ``verify`` a variant exactly, and ``score`` a model's output (an RL reward).

Errors are ``graft.GraftError`` (a ``ValueError``) with the engine's message: what is wrong,
where, and how to fix it.
"""

from ._graft import (
    COLUMNS,
    FULL_COLUMNS,
    GraftError,
    Variants,
    __version__,
    extract,
    generate,
    generate_batch,
    score,
    verify,
)

__all__ = [
    "COLUMNS",
    "FULL_COLUMNS",
    "GraftError",
    "Variants",
    "__version__",
    "extract",
    "generate",
    "generate_batch",
    "score",
    "verify",
]
