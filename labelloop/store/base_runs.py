"""The part of the storage interface that keeps runs: their records and per-run documents.

:class:`~labelloop.store.base.Store` composes it; the engines implement it in
:mod:`labelloop.store.sqlcore` (records) and :mod:`labelloop.store.run_docs` (documents).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any


class StoreRuns(ABC):
    """Run records and per-run documents of a :class:`~labelloop.store.base.Store`."""

    # -- runs --------------------------------------------------------------

    @abstractmethod
    def save_run(
        self, dataset_id: str, key: str, type: str, info: dict[str, Any], results: Any = None
    ) -> None:
        """Insert or replace a run record."""

    @abstractmethod
    def set_run_results(self, dataset_id: str, key: str, results: Any) -> None:
        """Replace the results of a run."""

    @abstractmethod
    def get_run(self, dataset_id: str, key: str) -> tuple[str, dict[str, Any], Any] | None:
        """``(type, info, results)`` of a run, or ``None``."""

    @abstractmethod
    def list_runs(self, dataset_id: str, type: str | None = None) -> list[tuple[str, str, dict]]:
        """``(key, type, info)`` of runs, sorted by key."""

    @abstractmethod
    def rename_run(self, dataset_id: str, key: str, new_key: str) -> None:
        """Rename a run."""

    @abstractmethod
    def delete_run(self, dataset_id: str, key: str) -> None:
        """Delete a run."""

    # -- per-run documents (store/run_docs.py) --------------------------------

    @abstractmethod
    def save_run_docs(
        self, dataset_id: str, key: str, rows: Sequence[tuple[str, int, dict[str, Any]]]
    ) -> None:
        """Insert or replace run ``key``'s ``(sample_id, frame_number, doc)`` rows (frame 0:
        sample level; sample ``""``: the run itself). Renamed, copied and deleted with the run."""

    @abstractmethod
    def get_run_docs(
        self,
        dataset_id: str,
        key: str,
        sample_ids: Sequence[str],
        frame_range: tuple[int, int] | None = None,
    ) -> list[tuple[str, int, dict[str, Any]]]:
        """Run ``key``'s rows of these samples (frames in ``frame_range``, inclusive)."""

    @abstractmethod
    def has_run_docs(self, dataset_id: str, key: str) -> bool:
        """Whether run ``key`` has any rows."""

    @abstractmethod
    def delete_run_docs(
        self, dataset_id: str, key: str, sample_ids: Sequence[str] | None = None
    ) -> None:
        """Delete run ``key``'s rows (of some samples only, if given)."""
