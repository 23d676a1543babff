"""The part of the storage interface that queries labels for the core: whether the engine
can evaluate a label filter, label aggregates and a view's sample ids, each in one query.

:class:`~labelloop.store.base.Store` composes it; the engines implement it in
:mod:`labelloop.store.sqllabels` (``can_compile``), :mod:`labelloop.store.sqlaggregates`
and :mod:`labelloop.store.sqlcore` (``view_ids``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any


class StoreQueries(ABC):
    """Label filters, aggregates and view selection of a :class:`~labelloop.store.base.Store`."""

    # -- label filters and aggregates ----------------------------------------

    @abstractmethod
    def can_compile(self, expr: Any) -> bool:
        """Whether the engine can evaluate a serialized label expression itself."""

    @abstractmethod
    def count_labels(
        self, dataset_id: str, field: str, frames: bool, items: bool, where: Any = None
    ) -> int:
        """Number of labels of a field (items of list labels, or single labels)."""

    @abstractmethod
    def label_values(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> Iterator[tuple[str, int, Any]]:
        """``(sample_id, frame_number, value of attr)`` for labels, in storage order."""

    @abstractmethod
    def label_value_counts(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, int]]:
        """``(value of attr, number of labels having it)`` per distinct value, in one query."""

    @abstractmethod
    def label_bounds(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, Any]] | None:
        """``(min, max)`` of attr per scalar kind (numbers, strings), booleans and nulls
        left out, in one query; ``None`` when some value is a list or an object."""

    @abstractmethod
    def label_sums(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> tuple[int, Any, Any] | None:
        """``(count, sum, sum of squares)`` of attr's numbers (booleans, strings and nulls left
        out), in one query; ``None`` when some value is a list or an object."""

    @abstractmethod
    def label_lists(
        self, dataset_id: str, field: str, attr: str, where: Any = None
    ) -> dict[str, list[Any]]:
        """``{sample id: attr of its list field's items}`` (``where`` filters the items) for
        the samples whose sample-level list field is set, in one query."""

    @abstractmethod
    def label_histogram(
        self,
        dataset_id: str,
        field: str,
        frames: bool,
        items: bool,
        attr: str,
        edges: Sequence[float],
        where: Any = None,
    ) -> tuple[list[int], int] | None:
        """``(count per bin of edges, number of numbers)`` of attr's numbers, in one query;
        ``None`` when some value is a list or an object."""

    # -- views -------------------------------------------------------------

    @abstractmethod
    def view_ids(
        self, dataset_id: str, steps: list[dict[str, Any]], label_fields: dict[str, str | None]
    ) -> list[str] | None:
        """Ids of the samples a view's leading stages select, in view order, in one query.

        ``steps`` are the stages' ``sql_step()`` forms (``match``, ``filter_labels``,
        ``match_labels``, ``select_labels``, ``exclude_labels``, ``match_tags``,
        ``exists``, ``select``, ``exclude``, ``sort_by``: see
        :mod:`labelloop.store.sqlview`); ``label_fields`` maps the label fields
        (``frames.x`` for frame-level ones) to their list attribute (``None`` for single
        labels). ``None`` when the
        engine cannot answer exactly as the Python evaluator would: the core then
        evaluates the stages itself.
        """

    @abstractmethod
    def count_view(
        self, dataset_id: str, steps: list[dict[str, Any]], label_fields: dict[str, str | None]
    ) -> int | None:
        """How many samples :meth:`view_ids` would give, counted in the database (the
        order does not matter: a sort is left out); ``None`` when not compiled."""

    # -- indexes -----------------------------------------------------------

    @abstractmethod
    def label_indexes(self, dataset_id: str) -> dict[str, list[str]]:
        """The dataset's indexed label attribute paths and the JSON kinds each index holds."""

    @abstractmethod
    def create_label_index(
        self, dataset_id: str, path: str, field: str, frames: bool, attr: str
    ) -> list[str]:
        """Index attribute ``attr`` of the labels of ``field`` (``path`` names it in the
        dataset) so filters on it read no label document; returns the JSON kinds indexed."""

    @abstractmethod
    def drop_label_index(self, dataset_id: str, path: str) -> None:
        """Drop ``path``'s index (``KeyError`` if it has none)."""
