"""The merge base: what a run sent (then, after each load, what CVAT held), per label.

Kept in the store beside the run (``runs.save_run_docs``), one row per sample
(frame 0) and per video frame, each ``{field: entry}`` where a label field's
entry is ``{label_id: compared properties}`` (:func:`labelloop.annotation.diff.props_of`)
and a scalar's is ``{"value": value}``. Written streaming, a batch of samples
(or a range of frames) at a time, when a run is recorded; rewritten where a
load changed it; deleted, renamed and copied with the run. A row for sample
``""`` marks that the run has a base at all: runs recorded before bases were
kept fall back to comparing with the dataset as it is.
"""

from __future__ import annotations

import logging
from typing import Any

from labelloop.annotation.collection import get_value, split_path
from labelloop.annotation.diff import items_of, props_of, uploaded_ids
from labelloop.core import runs

logger = logging.getLogger(__name__)

#: the row marking that a run keeps a base
MARKER = ("", -1)
BATCH = 200
FRAME_ROWS = 1000


def base_entry(
    spec: dict[str, Any], value: Any, entry: Any, frame: int | None, spatial: tuple[str, ...]
) -> dict[str, Any]:
    """A location's base from its value and ``id_map`` entry (only what was sent)."""
    if spec["type"] == "scalar":
        return {"value": value if entry else None}
    ids = set(uploaded_ids(entry))
    return {
        item.id: props_of(spec, item, frame, spatial) for item in items_of(value) if item.id in ids
    }


def record_base(
    samples: Any, key: str, schema: dict[str, Any], id_map: dict[str, Any], spatial: tuple
) -> None:
    """Store run ``key``'s base: the labels its ``id_map`` says were sent, streamed per
    batch of samples (and per range of frames for videos)."""
    dataset = samples.dataset
    runs.save_run_docs(dataset, key, [(*MARKER, {"version": 1})])
    sample_fields = [f for f in schema if not split_path(f)[0]]
    frame_fields = [f for f in schema if split_path(f)[0]]
    ids = list(dict.fromkeys(sid for f in schema for sid in id_map.get(f, {})))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rows: list[tuple[str, int, dict[str, Any]]] = []
        for sample in dataset.select(batch).iter_samples():
            doc = {}
            for name in sample_fields:
                if sample.id in id_map.get(name, {}):
                    value = get_value(sample, name)
                    entry = id_map[name][sample.id]
                    doc[name] = base_entry(schema[name], value, entry, None, spatial)
            if doc:
                rows.append((sample.id, 0, doc))
            if frame_fields:
                rows += _frame_rows(sample, schema, frame_fields, id_map, spatial, key)
        runs.save_run_docs(dataset, key, rows)


def _frame_rows(
    sample: Any, schema: dict, fields: list[str], id_map: dict, spatial: tuple, key: str
) -> list[tuple[str, int, dict[str, Any]]]:
    entries = {name: id_map.get(name, {}).get(sample.id) or {} for name in fields}
    wanted = set().union(*entries.values())
    rows: list[tuple[str, int, dict[str, Any]]] = []
    for frame in sample.frames.iter_frames():
        number = frame.frame_number
        if number not in wanted:
            continue
        doc = {}
        for name in fields:
            if number in entries[name]:
                value = get_value(frame, split_path(name)[1])
                doc[name] = base_entry(schema[name], value, entries[name][number], number, spatial)
        rows.append((sample.id, number, doc))
        if len(rows) >= FRAME_ROWS:  # a long video is written range by range
            runs.save_run_docs(sample.dataset, key, rows)
            rows = []
    return rows


class RunBase:
    """Reads and rewrites one run's base during a merge."""

    def __init__(self, dataset: Any, key: str) -> None:
        self._dataset = dataset
        self._key = key

    @staticmethod
    def exists(dataset: Any, key: str) -> bool:
        """Whether run ``key`` keeps a base (runs recorded before bases existed do not)."""
        return runs.has_run_docs(dataset, key)

    def samples(self, sample_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Sample-level base documents by sample id."""
        rows = runs.get_run_docs(self._dataset, self._key, sample_ids, (0, 0))
        return {sid: doc for sid, _, doc in rows}

    def frames(self, sample_id: str, first: int, last: int) -> dict[int, dict[str, Any]]:
        """Frame base documents of one video within ``first..last``."""
        rows = runs.get_run_docs(self._dataset, self._key, [sample_id], (max(first, 1), last))
        return {number: doc for _, number, doc in rows}

    def write(self, rows: list[tuple[str, int, dict[str, Any]]]) -> None:
        """Replace some rows (inside the merge's transaction)."""
        if rows:
            runs.save_run_docs(self._dataset, self._key, rows)

    def mark(self) -> None:
        """Mark the run as keeping a base (a run without one gets it on its first load)."""
        runs.save_run_docs(self._dataset, self._key, [(*MARKER, {"version": 1})])
