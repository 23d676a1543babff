"""Copy a dataset from one database to another (SQLite <-> PostgreSQL, or alike).

Everything moves through the :class:`~labelloop.store.base.Store` interface,
so any pair of engines works: the dataset's document (schema, info, classes),
samples in their order, frames, labels and runs (annotation and evaluation
records with their results). Sample, frame and label ids are kept, so a
copied annotation run still maps to its samples and can be loaded from the
new database. The source is read in one snapshot and the destination written
in one transaction: a failure leaves the destination without the dataset.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from labelloop.store.base import Store
from labelloop.store.config import database_uri, open_store
from labelloop.store.uri import redact_uri

logger = logging.getLogger(__name__)

_BATCH = 1000


def copy_dataset(
    name: str,
    to_uri: str,
    *,
    from_uri: str | None = None,
    new_name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Copy dataset ``name`` with its runs into the database at ``to_uri``.

    ``from_uri`` defaults to the configured database (``LABELLOOP_DATABASE_URI``);
    the copy is called ``new_name`` (default ``name``) and is persistent.
    ``progress`` is called with the number of samples copied so far. Returns
    the copy's name. ``ValueError`` (before anything is written) if the dataset
    does not exist, both URIs name the same database, or the name is taken.
    """
    from_uri = from_uri or database_uri()
    target = new_name or name
    if from_uri == to_uri:
        raise ValueError(
            f"Source and destination are the same database ({redact_uri(to_uri)}); "
            "use dataset.clone(name) to copy a dataset within one database"
        )
    src = open_store(from_uri)
    record = src.get_dataset(name)
    if record is None:
        raise ValueError(
            f"No dataset named {name!r} in {redact_uri(from_uri)}; "
            f"available: {', '.join(src.list_datasets()) or 'none'}"
        )
    dst = open_store(to_uri)
    if dst.get_dataset(target) is not None:
        raise ValueError(
            f"{redact_uri(to_uri)} already has a dataset named {target!r}; "
            "pass another name (--name) or delete that one first"
        )
    # a fresh dataset id: a process holding both datasets tells them apart by id
    dst_id = secrets.token_hex(12)
    with src.snapshot(), dst.transaction():
        dst.create_dataset(dst_id, target, True, record.doc)
        copied = _copy_samples(src, dst, record.id, dst_id, progress)
        for key, run_type, info in src.list_runs(record.id):
            stored = src.get_run(record.id, key)
            dst.save_run(dst_id, key, run_type, info, None if stored is None else stored[2])
            _copy_run_docs(src, dst, record.id, dst_id, key)
    logger.info(
        "Copied dataset %r (%d samples) from %s to %s as %r",
        name,
        copied,
        redact_uri(from_uri),
        redact_uri(to_uri),
        target,
    )
    return target


def _copy_samples(
    src: Store, dst: Store, src_id: str, dst_id: str, progress: Callable[[int], None] | None
) -> int:
    frames = src.frame_index(src_id)
    copied = 0
    for batch in src.iter_samples(src_id, batch_size=_BATCH):
        ids = [sid for sid, _ in batch]
        dst.insert_samples(dst_id, batch)
        for sample_id in ids:
            if sample_id in frames:
                dst.upsert_frames(dst_id, sample_id, src.get_frames(src_id, sample_id))
        for at_frames in (False, True):
            rows = src.get_labels(src_id, ids, frames=at_frames)
            dst.upsert_labels(dst_id, rows, replace=False)
        copied += len(batch)
        if progress is not None:
            progress(copied)
    return copied


def _copy_run_docs(src: Store, dst: Store, src_id: str, dst_id: str, key: str) -> None:
    """A run's per-sample documents (e.g. an annotation run's merge base), batch by batch."""
    ids = ["", *src.sample_ids(src_id)]  # "" holds run-level rows
    for start in range(0, len(ids), _BATCH):
        dst.save_run_docs(dst_id, key, src.get_run_docs(src_id, key, ids[start : start + _BATCH]))
