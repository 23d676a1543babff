"""Hot label attributes: kept in columns of their own so SQL reads them without JSON.

``label``, ``confidence`` and ``index`` are what filters, aggregations, the
App and sorting read most. Each gets a generated column holding the
attribute's value when it has the column's JSON kind and NULL otherwise, so a
query on the column answers exactly as the JSON path does for that kind, and
rows where the column is NULL (missing, null or another kind) are left to the
JSON path. SQLite keeps them ``VIRTUAL`` and stores them in the index
``labels_hot`` (an aggregate or filter reads their values there, parsing no
document, though SQLite 3.40 still visits each label's table row); PostgreSQL keeps
them ``STORED`` (no JSON parse per row either).
SQLite has no second index of them (schema 4 had ``labels_values``, in label order):
SQLite rewrites every such index entry on each document update, so it made
``count_values`` of 1M labels 0.4 s instead of 1.0 s but every label edit (an
attribute, a tag) 15-20 us slower; plain columns the writer fills would
avoid both costs.
Measured on 1M labels (SQLite): ``COUNT`` of ``confidence > 0.8`` 11.4 s from
JSON, 1.35 s from the index; ``GROUP BY label`` 48 s vs 3.1 s.

Any other attribute is made hot by an index the user creates
(``Dataset.create_index``; :mod:`labelloop.store.sqlindexes` keeps the
list): one per JSON kind the attribute holds, on the dataset, field, the
attribute's typed value (:func:`indexed_value`, spelled alike in the index and
in queries: a literal JSON path), the sample and the position (which SQLite
then reads from the index: counting 1M labels' ``eval == "tp"`` took 0.49 s
through the table rows, 0.11 s without). The compiler, told which
attributes are indexed (:attr:`Dialect.indexed <labelloop.store.dialect.Dialect.indexed>`),
then also compares that value bare, which the index answers without reading a
document. 1M labels (SQLite): ``eval == "tp"`` counted from JSON 1.4 s, from the
index 0.06-0.1 s; ``iou > 0.9`` 1.6 s and 0.02 s; the two indexes took 9 s to build.
The value comes after ``field`` so that a query not on it keeps ``labels_hot``, in
sample order: through the attribute's index the table rows come in random order
(3x slower where a query reads every row's document).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from labelloop.store.dialect import BOOLEAN, NUMBER, STRING, Dialect

#: Label attribute -> (column, JSON kind it holds).
HOT: dict[str, tuple[str, str]] = {
    "label": ("a_label", STRING),
    "confidence": ("a_confidence", NUMBER),
    "index": ("a_index", NUMBER),
}


def column(attr: str, kind: str | None = None) -> str | None:
    """The column of a hot attribute (of that JSON ``kind``, when given), else ``None``."""
    hot = HOT.get(attr)
    if hot is None or (kind is not None and hot[1] != kind):
        return None
    return hot[0]


def typed(data: str, attr: str, kind: str) -> str | None:
    """The hot column standing for ``json_typed`` of ``attr`` in the document column
    ``data`` (``alias.data`` gives ``alias.a_label``), or ``None``."""
    name = column(attr, kind)
    if name is None or not data.endswith("data"):
        return None
    return data[: -len("data")] + name


def schema(dialect: Dialect, present: frozenset[str] = frozenset()) -> list[str]:
    """Statements adding the hot columns (but those ``present``) and SQLite's covering
    index to ``labels``."""
    out = []
    add = "ADD COLUMN IF NOT EXISTS" if dialect.name == "postgresql" else "ADD COLUMN"
    for attr, (name, kind) in HOT.items():
        if name not in present:
            out.append(f"ALTER TABLE labels {add} {name} {dialect.generated(attr, kind)}")
    if dialect.name == "sqlite":  # it starts as labels_field did: that one would be chosen
        hot = ", ".join(name for name, _ in HOT.values())
        out.append(
            "CREATE INDEX IF NOT EXISTS labels_hot "
            f"ON labels(dataset_id, field, frame_number, sample_id, position, {hot})"
        )
        out.append("DROP INDEX IF EXISTS labels_field")
        out.append("DROP INDEX IF EXISTS labels_values")  # schema 4's: see above
    return out


#: Keys JSON writes as they are (no escapes): a document holding one holds its text.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_ -]+")


def present(data: str, attr: str) -> str:
    """SQL true where the document column ``data`` may hold ``attr``: false only where its
    text lacks the key, which rules a document out without parsing it (600k labels,
    SQLite: the text test took 0.7 s, a JSON type test 1.2-1.4 s)."""
    key = attr.split(".")[0]
    if not _PLAIN_KEY.fullmatch(key):
        return "TRUE"
    # LIKE: the same on both engines; its wildcard "_" (and SQLite's case folding) only
    # lets more documents through to the JSON path
    return f"({data} LIKE '%\"{key}\":%')"


def indexed_value(dialect: Dialect, data: str, attr: str, kind: str) -> str | None:
    """The typed value an index of ``attr`` holds, spelled on the document column ``data``
    (``alias.data`` in queries, ``data`` in the index), or ``None`` if it cannot be
    indexed."""
    column = typed(data, attr, kind)
    if column is not None:
        return column
    path = dialect.path_literal(attr)
    return None if path is None else dialect.json_typed(data, kind, path)


def index_name(attr: str, kind: str) -> str:
    """The name of the index of ``attr``'s values of JSON ``kind``."""
    return "labels_attr_" + hashlib.sha1(f"{kind}:{attr}".encode()).hexdigest()[:16]


def create_index(dialect: Dialect, attr: str, kind: str) -> str:
    """The statement creating the index of ``attr``'s values of JSON ``kind``."""
    value = indexed_value(dialect, "data", attr, kind)
    if value is None:
        raise ValueError(f"the attribute {attr!r} cannot be indexed on {dialect.name}")
    return (
        f"CREATE INDEX IF NOT EXISTS {index_name(attr, kind)} "
        f"ON labels(dataset_id, field, ({value}), frame_number, sample_id, position)"
    )


def decode(dialect: Dialect, kind: str, value: Any) -> Any:
    """A hot column's or an index's value (read with :func:`select`) as the Python value."""
    if kind == BOOLEAN:  # SQLite reads true as 1
        return bool(value)
    return dialect.number_in(value) if kind == NUMBER else value


def select(dialect: Dialect, name: str, kind: str) -> str:
    """A hot column as read back into Python (numbers losslessly)."""
    return dialect.number_out(name) if kind == NUMBER else name
