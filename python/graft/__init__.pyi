"""Type stubs for the graft package (see graft/__init__.py and the README's "Python" section)."""

from typing import Any, Iterable, Iterator, Literal, Mapping, Union

__version__: str

#: The columns of generate_batch's output, in order (lean records).
COLUMNS: list[str]
#: The columns of generate_batch(..., full=True): COLUMNS, then graph and steps.
FULL_COLUMNS: list[str]

class GraftError(ValueError):
    """An input Graft cannot use: the message says what, where, and how to fix it."""

Row = Union[Mapping[str, Any], str]
"""A problem row: a dict (or JSON text) with ``question`` and ``answer`` (GSM8K: calculator
annotations and ``#### n``) or ``code`` (a Python ``solution()``), optional ``id`` and
``target``."""

Record = dict[str, Any]
"""One variant as ``graft generate`` writes it: id, source_id, source_line, chain, round, seed,
question, operations, answer, original_answer, metrics, original_metrics, program and, when
asked for, steps, graph (full=True), negative, text, solution, text_source."""

class Variants(Iterator[Record]):
    """The iterator generate() returns: each row's variants in turn, made when asked for."""
    def __iter__(self) -> "Variants": ...
    def __next__(self) -> Record: ...

def extract(row: Row) -> dict[str, Any]:
    """A row's computation graph: answer, expected, metrics, program, graph, steps, flaws
    (the flaws of the row's own solution, ``[{kind, node, message}]``; empty for a sound row).

    Raises GraftError when the row does not extract or extracts to another answer."""

def generate(
    rows: Iterable[Row],
    rounds: int = 3,
    per_problem: int = 1,
    seed: int = 0,
    verbalize: bool = True,
    negatives: bool = False,
    source: str = "rows",
    errors: Literal["skip", "raise"] = "skip",
    steps: bool = False,
    full: bool = False,
    keep_flawed: bool = False,
) -> Variants:
    """Curricula of variants, one record per variant, equal to ``graft generate``'s lines for
    the same rows and seed when ``source`` is the input file's stem (rows without an ``id``
    are known as ``SOURCE:LINE``). Rows that do not extract, or whose own solution is flawed
    (an amount below zero, a count that is not whole), are skipped unless ``errors="raise"``;
    ``keep_flawed=True`` keeps flawed rows (the CLI's ``--keep-flawed``). Records are lean; ``steps=True`` adds the steps, ``full=True`` the
    steps and the graph (the CLI's ``--steps`` and ``--full``)."""

def generate_batch(
    batch: Any,
    rounds: int = 3,
    per_problem: int = 1,
    seed: int = 0,
    verbalize: bool = True,
    errors: Literal["skip", "raise"] = "skip",
    full: bool = False,
    keep_flawed: bool = False,
) -> dict[str, list[Any]]:
    """A batch of rows (a dict of lists, or a pyarrow RecordBatch/Table) to a batch of
    variants (a dict of lists with the columns in COLUMNS, FULL_COLUMNS with full=True), for
    ``datasets.Dataset.map(batched=True)`` and Ray Data's ``map_batches``. A row's ``id``
    seeds its chains; without one, a hash of its content does (never its position)."""

def verify(variant: Mapping[str, Any], row: Union[Row, None] = None) -> dict[str, Any]:
    """Checks a variant exactly: ``{"ok": bool, "checks": {name: bool}, "problems": [str]}``.
    A lean record (no ``graph``) is checked against its source ``row`` with its operations
    replayed when the row is given, else against its program read back."""

def score(variant: Union[Mapping[str, Any], str, int, float], model_output: str) -> dict[str, Any]:
    """Scores a model's output: ``{"score": "correct"|"wrong"|"unparseable", "correct": bool,
    "reward": 1.0|0.0, "final_answer": str|None}`` and, with the variant's graph or program, ``steps``
    (automatic labels +1/0/-1 with reasons) and ``first_error``."""
