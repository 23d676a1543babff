"""The storage interface: everything the core asks of a database.

The core speaks only to :class:`Store`; engines (SQLite and PostgreSQL)
implement it. Documents cross this boundary as plain Python values
(dicts decoded by :mod:`labelloop.store.codec`), never as SQL.

Layout the engines keep (names are logical, not necessarily tables):

* datasets: ``id``, unique ``name``, ``persistent``, ``created_at`` and a JSON
  ``doc`` (info, classes, field schema, ...);
* samples: ``(dataset_id, id)``, insertion ``seq``, JSON ``doc`` with every
  non-label field;
* frames: ``(dataset_id, sample_id, frame_number)``, ``id``, JSON ``doc``;
* labels: one row per label: ``(dataset_id, id)``, ``sample_id``,
  ``frame_number`` (0 = sample level), ``field``, ``position`` (-1 for a
  single label or a list label's container, 0.. for the items) and JSON
  ``data`` (the label without its id);
* runs: ``(dataset_id, key)``, ``type``, JSON ``info`` and ``results``;
* run_docs: ``(dataset_id, key, sample_id, frame_number)`` and a JSON ``doc``: what a
  run keeps per sample/frame (an annotation run's merge base);
* users: which live processes hold a dataset open (non-persistent cleanup).

Label filters are passed as serialized view expressions (``ViewExpression``
JSON); :meth:`Store.can_compile` says whether the engine can evaluate one
itself, otherwise the core filters in Python.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

from labelloop.store.base_queries import StoreQueries
from labelloop.store.base_runs import StoreRuns

#: Frame number used for sample-level labels.
SAMPLE_LEVEL = 0
#: Position of a single label or of a list label's container row. A list's items (positions
#: 0, 1, ...) are written and deleted with their container row, which keeps their count and
#: labels (:mod:`labelloop.store.counts`): aggregates of lists read those.
CONTAINER = -1


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


#: A value for :meth:`Store.update_label_values` that removes the attribute.
REMOVE: Any = _Remove()


class DatasetRecord(NamedTuple):
    """One stored dataset."""

    id: str
    name: str
    persistent: bool
    created_at: str
    doc: dict[str, Any]


class LabelRow(NamedTuple):
    """One stored label (``data`` excludes the id)."""

    sample_id: str
    frame_number: int
    field: str
    position: int
    id: str
    data: dict[str, Any]


class Store(StoreQueries, StoreRuns, ABC):
    """A database holding any number of datasets.

    Here: transactions, datasets, samples, frames and label rows; label filters, aggregates
    and view selection come from :class:`~labelloop.store.base_queries.StoreQueries`, runs
    from :class:`~labelloop.store.base_runs.StoreRuns`.
    """

    # -- transactions ------------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all; nesting joins the outer one."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state of the database (joins an open transaction)."""

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether a transaction is open in this process."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    # -- datasets ----------------------------------------------------------

    @abstractmethod
    def list_datasets(self) -> list[str]:
        """Names of all datasets, sorted."""

    @abstractmethod
    def get_dataset(self, name: str | None = None, id: str | None = None) -> DatasetRecord | None:
        """The dataset called ``name`` (or with ``id``), or ``None``."""

    @abstractmethod
    def create_dataset(self, id: str, name: str, persistent: bool, doc: dict[str, Any]) -> None:
        """Create an empty dataset (``ValueError`` if the name is taken)."""

    @abstractmethod
    def update_dataset(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        persistent: bool | None = None,
        doc: dict[str, Any] | None = None,
    ) -> None:
        """Change a dataset's name, persistence or document."""

    @abstractmethod
    def delete_dataset(self, dataset_id: str) -> None:
        """Delete a dataset with its samples, frames, labels and runs."""

    @abstractmethod
    def register_user(self, dataset_id: str, pid: int, host: str) -> None:
        """Record that process ``pid`` on ``host`` uses the dataset."""

    @abstractmethod
    def unregister_user(self, dataset_id: str, pid: int, host: str) -> None:
        """Forget that process ``pid`` uses the dataset."""

    @abstractmethod
    def list_users(self, dataset_id: str) -> list[tuple[int, str]]:
        """``(pid, host)`` of processes registered as using the dataset."""

    @abstractmethod
    def list_non_persistent(self) -> list[DatasetRecord]:
        """All non-persistent datasets."""

    # -- samples -----------------------------------------------------------

    @abstractmethod
    def count_samples(self, dataset_id: str) -> int:
        """Number of samples."""

    @abstractmethod
    def sample_ids(self, dataset_id: str, limit: int | None = None) -> list[str]:
        """Sample ids in insertion order (the first ``limit`` ones, if given)."""

    @abstractmethod
    def insert_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Append ``(id, doc)`` samples after the existing ones."""

    @abstractmethod
    def update_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Replace the documents of existing samples."""

    @abstractmethod
    def delete_samples(self, dataset_id: str, ids: Iterable[str]) -> None:
        """Delete samples with their frames and labels."""

    @abstractmethod
    def iter_samples(
        self, dataset_id: str, ids: Sequence[str] | None = None, batch_size: int = 1000
    ) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        """Batches of ``(id, doc)``: all in order, or those of ``ids`` in that order."""

    @abstractmethod
    def sample_values(
        self, dataset_id: str, key: str, ids: Sequence[str] | None = None
    ) -> list[tuple[str, Any]]:
        """``(id, doc[key])`` for all samples in order (or those of ``ids``)."""

    @abstractmethod
    def update_sample_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        """Remove or rename a key in every sample document."""

    # -- frames ------------------------------------------------------------

    @abstractmethod
    def frame_numbers(self, dataset_id: str, sample_id: str) -> list[int]:
        """Stored frame numbers of a sample, ascending."""

    @abstractmethod
    def frame_index(self, dataset_id: str) -> dict[str, list[int]]:
        """``{sample_id: [frame numbers ascending]}`` of every sample with frames."""

    @abstractmethod
    def count_frames(self, dataset_id: str, sample_ids: Sequence[str] | None = None) -> int:
        """Number of stored frames (of the given samples)."""

    @abstractmethod
    def get_frames(
        self,
        dataset_id: str,
        sample_id: str,
        start: int | None = None,
        stop: int | None = None,
        numbers: Sequence[int] | None = None,
    ) -> list[tuple[int, str, dict[str, Any]]]:
        """``(frame_number, id, doc)`` for frames in ``[start, stop]`` or in ``numbers``."""

    @abstractmethod
    def upsert_frames(
        self, dataset_id: str, sample_id: str, rows: Sequence[tuple[int, str, dict[str, Any]]]
    ) -> None:
        """Insert or replace frames."""

    @abstractmethod
    def delete_frames(
        self, dataset_id: str, sample_id: str, numbers: Sequence[int] | None = None
    ) -> None:
        """Delete some (or all) frames of a sample with their labels."""

    @abstractmethod
    def update_frame_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        """Remove or rename a key in every frame document."""

    # -- labels ------------------------------------------------------------

    @abstractmethod
    def get_labels(
        self,
        dataset_id: str,
        sample_ids: Sequence[str],
        fields: Sequence[str] | None = None,
        frames: bool = False,
        frame_range: tuple[int, int] | None = None,
        where: dict[str, Any] | None = None,
    ) -> list[LabelRow]:
        """Labels of the samples, ordered by sample, field, frame, position.

        ``frames`` selects frame-level labels (optionally within ``frame_range``)
        instead of sample-level ones; ``where`` maps fields to a compilable
        expression that items (position >= 0) must satisfy.
        """

    @abstractmethod
    def find_labels(
        self, dataset_id: str, ids: Sequence[str], field: str | None = None, frames: bool = False
    ) -> list[LabelRow]:
        """The labels with these ids (any order; unknown ids are skipped).

        Ids are unique within a field, not across fields: ``field`` (at the sample level,
        or at the frame level with ``frames``) looks in that field only.
        """

    @abstractmethod
    def field_label_ids(
        self, dataset_id: str, sample_id: str, field: str, frame_number: int
    ) -> dict[str, int]:
        """``{label_id: position}`` of one field of one sample or frame."""

    @abstractmethod
    def upsert_labels(
        self, dataset_id: str, rows: Sequence[LabelRow], replace: bool = True
    ) -> None:
        """Insert or replace labels, each keyed by its id within its field.

        A label is replaced only in its own sample/frame: an id already held by
        another place of the same field is a ``ValueError`` (nothing written), as is
        any existing id with ``replace=False``.
        """

    @abstractmethod
    def update_label_values(
        self,
        dataset_id: str,
        attrs: Sequence[str],
        rows: Iterable[tuple[str, Sequence[Any]]],
        field: str,
        frames: bool = False,
    ) -> int:
        """Set attributes ``attrs`` of the labels ``(id, values)`` (a value per attribute;
        :data:`REMOVE` removes it) of ``field``, in one transaction. Only labels whose
        values change are written; the number written."""

    @abstractmethod
    def write_label_data(
        self,
        dataset_id: str,
        rows: Iterable[tuple[str, dict[str, Any]]],
        field: str,
        frames: bool = False,
    ) -> None:
        """Replace the data (the document without ``id``) of labels ``(id, data)`` of
        ``field`` in place, in one transaction (for callers that edited what they read in
        the same transaction)."""

    @abstractmethod
    def delete_labels(
        self, dataset_id: str, ids: Iterable[str], field: str | None = None, frames: bool = False
    ) -> None:
        """Delete labels by id, in every field or only in ``field`` (frame level: ``frames``)."""

    @abstractmethod
    def delete_field_labels(self, dataset_id: str, field: str, frames: bool) -> None:
        """Delete every label of a (sample- or frame-level) field."""

    @abstractmethod
    def rename_field_labels(self, dataset_id: str, old: str, new: str, frames: bool) -> None:
        """Move every label of a field to a new field name."""

    # -- whole-dataset operations -------------------------------------------

    @abstractmethod
    def copy_dataset(self, src_id: str, dst_id: str) -> None:
        """Copy every sample, frame, label and run of one dataset into another (empty) one."""

    @abstractmethod
    def stats(self, dataset_id: str) -> dict[str, int]:
        """``samples_count/bytes``, ``frames_count/bytes``, ``labels_count/bytes``."""
