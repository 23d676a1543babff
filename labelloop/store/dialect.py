"""What differs between the SQL of SQLite and of PostgreSQL: the :class:`Dialect` each
engine spells in a small class of its own (:mod:`~labelloop.store.sqlite_dialect`,
:mod:`~labelloop.store.pg_dialect`).

The queries of :mod:`labelloop.store.sqlcore`, :mod:`labelloop.store.sqllabels`
and the expression compiler :mod:`labelloop.store.sqlexpr` are written once,
with ``?`` placeholders, and ask a :class:`Dialect` for the few pieces that
are spelled differently: reading into JSON text, matching a column against
many ids, ordering strings bytewise, aggregating numbers without losing their
type. Everything else (``ON CONFLICT`` upserts, ``COALESCE``, ``TRUE``,
window functions) is the same SQL on both engines.

Arithmetic and string functions follow Python's semantics (what
:mod:`labelloop.core.expressions` computes): a dialect answers ``None`` for a
form it cannot compute exactly as Python does, and the compiler then leaves the
expression to Python. SQLite gets Python's own ``%``, ``**``, ``lower``,
``upper`` and ``re.search`` as registered functions (:mod:`labelloop.store.pyfuncs`);
PostgreSQL computes in ``float8`` as Python's floats do, matches the regular
expressions :func:`~labelloop.store.sqlregex.to_posix` can translate exactly
and leaves ``%``, ``**`` and case folding (locale-dependent there) to Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: JSON kinds the compiler compares: Python type -> dialect kind name.
NUMBER, STRING, BOOLEAN = "number", "string", "boolean"

#: Joins the texts of :meth:`Dialect.text_list` (unit separator); a value holding it is
#: seen by its reader (more parts than values).
TEXT_SEPARATOR = "\x1f"


def kind_of(value: Any) -> str:
    """The JSON kind of a Python literal (``ValueError`` for anything else)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    raise ValueError("unsupported literal")


class Dialect:
    """SQL spelling of one engine. Every fragment takes its values as ``?`` parameters."""

    name = ""
    #: ``(attribute, kind)`` pairs of label attributes a store has indexes on
    #: (:mod:`labelloop.store.hot`): a store's own copy says (:meth:`indexing`).
    indexed: frozenset[tuple[str, str]] = frozenset()
    #: Ids per query when matching a column against a list.
    chunk = 500
    #: Appended to string expressions so ``MIN``/``ORDER BY`` compare bytes, as Python does.
    collate = ""

    def sql(self, text: str) -> str:
        """``text`` with the engine's placeholders."""
        return text

    def indexing(self, indexed: frozenset[tuple[str, str]]) -> Dialect:
        """This dialect, compiling for a database with these label attribute indexes."""
        copy = type(self)()
        copy.indexed = indexed
        return copy

    def in_list(
        self, column: str, values: list[Any], array_type: str = "text"
    ) -> tuple[str, list[Any]]:
        """``column IN (values)`` and its parameters (``array_type``: the values' SQL type)."""
        raise NotImplementedError

    def path(self, key: str) -> Any:
        """The JSON path parameter of a dotted key."""
        raise NotImplementedError

    def json_text(self, column: str) -> str:
        """JSON text of the value at path ``?`` of ``column`` (NULL when missing)."""
        raise NotImplementedError

    def json_kind(self, column: str) -> str:
        """``'number'``, ``'string'``, ``'boolean'``, ``'null'`` or ``'other'`` (array,
        object) for the value at path ``?`` (NULL when missing)."""
        raise NotImplementedError

    def json_typed(self, column: str, kind: str, path: str = "?") -> str:
        """The value at ``path`` as an SQL value when it has JSON ``kind``, else NULL.

        ``path`` is a placeholder, its parameter passed twice, or a :meth:`path_literal`
        (what an expression index and the queries it serves must spell alike).
        """
        raise NotImplementedError

    def path_literal(self, key: str) -> str | None:
        """The JSON path of a dotted key as an SQL literal, or ``None`` when the engine
        cannot spell it (PostgreSQL: a key holding ``?``, which :meth:`sql` would take for a
        placeholder)."""
        raise NotImplementedError

    def typed_param(self, kind: str) -> str:
        """A placeholder for a literal compared with :meth:`json_typed` of ``kind``."""
        return "?"

    def json_number(self, column: str, path: Any) -> tuple[str, list[Any]]:
        """The value at ``path`` as an SQL float when it is a number or a boolean (as 0/1,
        what Python's arithmetic makes of it), else NULL."""
        raise NotImplementedError

    def json_is_array(self, column: str) -> str:
        """Whether the value at path ``?`` of ``column`` is a JSON array."""
        raise NotImplementedError

    def number_param(self) -> str:
        """A placeholder for a number taking part in arithmetic."""
        return "?"

    def to_float(self, number: str) -> str:
        """An SQL number as :meth:`json_number` gives them."""
        return number

    def arith(self, op: str, left: str, right: str) -> str | None:
        """``left op right`` of two SQL numbers as Python computes it (NULL where Python's
        evaluator answers ``None``: division by zero), or ``None`` if the engine cannot."""
        if op in ("+", "-", "*"):
            return f"({left} {op} {right})"
        if op == "/":
            return f"({left} / NULLIF({right}, 0))"
        return None

    def text_function(self, name: str, arg: str) -> str | None:
        """Python's ``str.lower``/``str.upper`` of an SQL string (``None``: not exactly)."""
        return None

    def affix(self, value: str, length: int, end: bool) -> str:
        """The first (last, with ``end``) ``length`` characters of an SQL string."""
        return f"substr({value}, {-length if end else 1}{'' if end else f', {length}'})"

    def regex(
        self, value: tuple[str, list[Any]], pattern: str, options: str | None
    ) -> tuple[str, list[Any]] | None:
        """Whether ``re.search(pattern, value)`` finds a match (``options`` as
        :meth:`ViewExpression.re_match <labelloop.core.expressions.ViewExpression.re_match>`
        takes them), never NULL; ``None`` when the engine cannot match exactly as Python."""
        return None

    def param_value(self, value: Any) -> Any:
        """A Python literal as passed for :meth:`typed_param`."""
        return value

    def number_out(self, expr: str) -> str:
        """An aggregate of numbers as returned to Python (decoded by :meth:`number_in`)."""
        return expr

    def number_in(self, value: Any) -> Any:
        """A number returned by :meth:`number_out` as int or float."""
        return value

    def array_has(self, column: str) -> str:
        """Whether the JSON array at path ``?`` of ``column`` holds the string ``?``."""
        raise NotImplementedError

    def text_has(self, column: str) -> str:
        """Whether the text of ``column`` contains the text ``?``."""
        raise NotImplementedError

    def json_edit(
        self, column: str, sets: Sequence[str], drops: Sequence[str], values: Sequence[str]
    ) -> tuple[str, str] | None:
        """``(edited, same)``: ``column`` with the top-level keys ``sets`` set to the JSON
        texts of the SQL ``values`` (one per key, in order) and the keys ``drops`` removed,
        the other keys keeping their order and text; and a condition true when the edit
        would change nothing. ``None`` when the engine cannot (the caller edits in
        Python)."""
        return None

    def pairs(self, rows: list[tuple[str, str]]) -> tuple[str, list[Any]]:
        """A subquery of the rows as columns ``(id, value)`` and its parameters."""
        raise NotImplementedError

    def json_rows(self, columns: Sequence[tuple[str, str]]) -> str:
        """A subquery of the rows of the JSON array of arrays ``?``, as ``columns``
        (``(name, "text" | "int")``, in each array's order)."""
        raise NotImplementedError

    #: The labels table as a query of labels by id (``id IN ...``) in one field reads it.
    labels_by_id = "labels"
    #: Whether ``count_values`` of an indexed attribute groups over its indexes (SQLite reads
    #: the values there; PostgreSQL would read each row's document for them: no faster).
    counts_over_indexes = False
    #: Whether ``count_values`` of a list's labels counts the labels its lists keep, in
    #: Python, rather than grouping the label rows (:mod:`labelloop.store.counts`).
    counts_kept_labels = False

    def labels_in_order(self, alias: str = "labels") -> str:
        """The labels table, as ``alias``, as per-sample aggregates read it: a sample's
        labels in position order."""
        return f"labels AS {alias}"

    def json_string(self, expr: str) -> str:
        """A text column as an item of :meth:`json_list`."""
        raise NotImplementedError

    def json_item(self, column: str) -> str:
        """The value at path ``?`` of ``column`` as an item of :meth:`json_list` (null when
        missing), exactly as the document wrote it."""
        raise NotImplementedError

    def json_list(self, item: str, cond: str) -> str:
        """An aggregate: the JSON text of the array of ``item`` over the group's rows that
        meet ``cond``, in ``position`` order (NULL or ``[]`` when none do)."""
        raise NotImplementedError

    def exact_text(self, column: str, kind: str) -> str | None:
        """A condition true where :meth:`text_list` of ``column`` (holding JSON ``kind``)
        writes its value exactly as the document does (a JSON number's text keeping its
        type and sign), or ``None`` when per-sample lists of the column are better read as
        JSON arrays (:meth:`json_list`): SQLite builds those over its covering index in 0.8 s
        for 100k samples x 10 labels, joined texts took it 1.4 s."""
        return None

    def text_list(self, item: str, cond: str, separator: int = 31, order: str | None = None) -> str:
        """An aggregate: the texts of ``item`` (a text or an integer column) over the group's
        rows that meet ``cond``, joined by the character of code ``separator`` (31:
        :data:`TEXT_SEPARATOR`), NULLs left out (NULL when none are left). In ``order``
        (rows read from :meth:`labels_in_order` by ``position``) when given, else in an
        unspecified row order that is the same for every aggregate of the query."""
        raise NotImplementedError

    def generated(self, attr: str, kind: str) -> str:
        """Type and ``GENERATED`` clause of a column holding ``data``'s top-level ``attr``
        when it has JSON ``kind`` (NULL otherwise); see :mod:`labelloop.store.hot`."""
        raise NotImplementedError
