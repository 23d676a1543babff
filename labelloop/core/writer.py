"""Turning samples and frames into store rows, declaring new fields on the way.

Used by ``Dataset.add_samples`` (new samples) and ``sample.save()`` (existing
ones). Saving writes a document's current labels and deletes only the label
ids it was loaded with that are gone now (``_seen``), so labels a view hid
stay untouched; positions of hidden labels are kept, new items go after them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labelloop.core.docs import label_rows, value_to_doc
from labelloop.core.fields import FRAME_BUILTINS, SAMPLE_BUILTINS, check_value, is_label_spec
from labelloop.core.ids import new_id
from labelloop.core.labels import Label
from labelloop.store import codec
from labelloop.store.base import CONTAINER, SAMPLE_LEVEL, LabelRow

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset
    from labelloop.core.sample import Document, Frame, Sample


class Batch:
    """Rows collected for one write (flushed inside the caller's transaction)."""

    def __init__(self) -> None:
        self.new_samples: list[tuple[str, dict[str, Any]]] = []
        self.samples: list[tuple[str, dict[str, Any]]] = []
        self.frames: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self.deleted_frames: dict[str, list[int]] = {}
        self.labels: list[LabelRow] = []
        #: ids of labels to delete, per ``(field, frame level)``: ids are unique per field
        self.deleted_labels: dict[tuple[str, bool], list[str]] = {}

    def flush(self, dataset: Dataset, new_labels: bool = False) -> None:
        """Write everything collected (call inside a transaction)."""
        store, did = dataset._store, dataset._id
        if self.new_samples:
            store.insert_samples(did, self.new_samples)
        if self.samples:
            store.update_samples(did, self.samples)
        for sample_id, numbers in self.deleted_frames.items():
            store.delete_frames(did, sample_id, numbers)
        for sample_id, rows in self.frames.items():
            store.upsert_frames(did, sample_id, rows)
        for (field, frames), ids in self.deleted_labels.items():
            store.delete_labels(did, ids, field, frames)
        if self.labels:
            store.upsert_labels(did, self.labels, replace=not new_labels)


def _declare(
    dataset: Dataset,
    schema: dict[str, dict[str, Any]],
    name: str,
    value: Any,
    frame: bool,
    expand: bool,
) -> None:
    spec = check_value(name, schema.get(name), value)
    if spec is not None:
        if not expand:
            kind = "frame" if frame else "sample"
            raise ValueError(
                f"Dataset '{dataset.name}' has no {kind} field '{name}'; declare it first or "
                "pass expand_schema=True"
            )
        dataset._declare_field(name, spec, frame=frame)


def _fields_doc(
    dataset: Dataset, doc: Document, frame: bool, expand: bool = True, declare: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(plain fields, label fields)`` of a sample or frame, declaring new fields."""
    schema = dataset.frame_schema if frame else dataset.sample_schema
    builtins = FRAME_BUILTINS if frame else SAMPLE_BUILTINS
    plain: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    for name, value in doc._fields.items():
        if name == "id" or (frame and name == "frame_number"):
            continue
        if declare and name not in builtins:
            _declare(dataset, schema, name, value, frame, expand)
        if is_label_spec(schema.get(name)) or isinstance(value, Label):
            labels[name] = value
        else:
            plain[name] = value_to_doc(value)
    return plain, labels


def remember(dataset: Dataset, sample: Sample) -> None:
    """Record, as stored text, what a sample just read holds (not its frames), so that saving
    it with :func:`save_samples` writes only the document and label rows that changed since
    (``iter_samples(autosave=True)``: an edit of one label rewrites that label only)."""
    plain, labels = _fields_doc(dataset, sample, frame=False, declare=False)
    rows = {}
    for name, value in labels.items():
        if value is not None:
            # a filtered field's items keep their stored places; the others are renumbered
            filtered = name in sample._filtered
            for row in label_rows(sample._id, SAMPLE_LEVEL, name, value):
                place = None if filtered else row.position
                rows[(row.field, row.id)] = (place, codec.dumps(row.data))
    object.__setattr__(sample, "_as_read", (codec.dumps(plain), rows))


def _unchanged(as_read: dict[tuple[str, str], tuple[int | None, str]], row: LabelRow) -> bool:
    """Whether ``row`` is what :func:`remember` recorded (its text, at its place)."""
    known = as_read.get((row.field, row.id))
    if known is None or known[0] not in (None, row.position):
        return False
    return known[1] == codec.dumps(row.data)


def _label_changes(
    dataset: Dataset,
    doc: Document,
    sample_id: str,
    frame_number: int,
    labels: dict[str, Any],
    batch: Batch,
    new: bool,
) -> None:
    for name, value in labels.items():
        filtered = not new and name in doc._filtered
        unseen = not new and name not in doc._seen  # not loaded (hidden field) or was empty
        seen = {} if new else doc._seen.get(name, {})
        stored: dict[str, int] = seen
        if filtered or unseen:
            stored = dataset._store.field_label_ids(dataset._id, sample_id, name, frame_number)
        positions = stored if filtered else None
        next_position = max(stored.values(), default=-1) + 1 if filtered else 0
        rows = (
            label_rows(sample_id, frame_number, name, value, positions, next_position)
            if value is not None
            else []
        )
        current = {r.id for r in rows}
        is_list = isinstance(value, Label) and value.list_field is not None
        if not is_list or unseen:  # the value replaces whatever the field held
            gone = [i for i in stored if i not in current]
        else:
            gone = [i for i in seen if i not in current]
            if filtered and value is not None:
                # a replaced container: drop the old container row, keep hidden items
                gone += [i for i, p in stored.items() if p == CONTAINER and i not in current]
        if gone:
            key = (name, frame_number != SAMPLE_LEVEL)
            batch.deleted_labels.setdefault(key, []).extend(gone)
        doc._seen[name] = {r.id: r.position for r in rows}
        as_read = getattr(doc, "_as_read", None)
        if as_read is not None:  # read for autosave: rows as read need no write
            rows = [r for r in rows if not _unchanged(as_read[1], r)]
        batch.labels.extend(rows)


def add_sample(
    dataset: Dataset, sample: Sample, batch: Batch, keep_id: bool = False, expand: bool = True
) -> str:
    """Collect rows for a new sample and bind the sample to the dataset."""
    sample_id = sample._id if keep_id and sample._id else new_id()
    plain, labels = _fields_doc(dataset, sample, frame=False, expand=expand)
    batch.new_samples.append((sample_id, plain))
    _label_changes(dataset, sample, sample_id, SAMPLE_LEVEL, labels, batch, new=True)
    frames = sample._frames
    object.__setattr__(sample, "_id", sample_id)
    object.__setattr__(sample, "_dataset", dataset)
    object.__setattr__(sample, "_filtered", set())
    if frames is not None:
        rows = []
        for number in sorted(frames._cache):
            frame = frames._cache[number]
            rows.append(_frame_row(dataset, sample_id, frame, batch, new=True, expand=expand))
        batch.frames[sample_id] = rows
        frames._stored = set(frames._cache)
        frames._deleted = set()
    return sample_id


def _frame_row(
    dataset: Dataset, sample_id: str, frame: Frame, batch: Batch, new: bool, expand: bool = True
) -> tuple[int, str, dict[str, Any]]:
    number = frame._fields["frame_number"]
    frame_id = frame._id if frame._id else new_id()
    object.__setattr__(frame, "_id", frame_id)
    plain, labels = _fields_doc(dataset, frame, frame=True, expand=expand)
    _label_changes(dataset, frame, sample_id, number, labels, batch, new=new)
    return number, frame_id, plain


def save_samples(dataset: Dataset, samples: list[Sample]) -> None:
    """Write existing samples with one store call per table (not one per sample)."""
    kept = [_bookkeeping(sample) for sample in samples]
    try:
        with dataset.transaction():
            whole = [s._id for s in samples if not s._partial]
            present = {i for i, _ in dataset._store.sample_values(dataset._id, "filepath", whole)}
            batch = Batch()
            for sample in samples:
                save_sample(dataset, sample, batch, present)
            batch.flush(dataset)
    except BaseException:  # nothing was written: the samples still know what is stored
        for restore in kept:
            restore()
        raise
    finally:  # what remember() recorded is no longer what is stored: later saves write all
        for sample in samples:
            if getattr(sample, "_as_read", None) is not None:
                object.__setattr__(sample, "_as_read", None)


def _bookkeeping(sample: Sample) -> Any:
    """A function putting back what a sample (and its loaded frames) know was stored."""
    frames = sample._frames
    docs = [sample, *(frames._cache.values() if frames is not None else ())]
    seen = [(doc, dict(doc._seen)) for doc in docs]
    stored = None if frames is None else (frames._stored, frames._deleted)

    def restore() -> None:
        for doc, value in seen:
            object.__setattr__(doc, "_seen", value)
        if frames is not None and stored is not None:
            frames._stored, frames._deleted = stored

    return restore


def save_sample(dataset: Dataset, sample: Sample, batch: Batch, present: set[str]) -> None:
    """Collect rows for an existing sample's fields, labels and loaded frames.

    ``present``: the ids of the batch's whole (not partial) samples still stored.
    """
    sample_id = sample._id
    if sample._partial:  # fields hidden by the view stay as stored
        stored = next(iter(dataset._store.iter_samples(dataset._id, [sample_id])), [])
    else:
        stored = [sample_id] if sample_id in present else []
    if not stored:
        raise ValueError(
            f"Sample {sample_id} is no longer in dataset '{dataset.name}' (it was deleted); "
            "add it again with dataset.add_sample(sample.copy())"
        )
    plain, labels = _fields_doc(dataset, sample, frame=False)
    remembered = getattr(sample, "_as_read", None)
    if remembered is None or codec.dumps(plain) != remembered[0]:
        if sample._partial:
            merged = dict(stored[0][1])
            merged.update(plain)
            plain = merged
        batch.samples.append((sample_id, plain))
    _label_changes(dataset, sample, sample_id, SAMPLE_LEVEL, labels, batch, new=False)
    frames = sample._frames
    if frames is not None:
        save_frames(dataset, sample, frames._cache, batch, deleted=frames._deleted)


def save_frames(
    dataset: Dataset,
    sample: Sample,
    frames: dict[int, Frame],
    batch: Batch,
    deleted: set[int] | None = None,
) -> None:
    """Collect rows for some frames of a stored sample (and frames to delete)."""
    frames_obj = sample._frames
    if deleted:
        batch.deleted_frames[sample._id] = sorted(deleted)
    stored = set(frames_obj._stored_numbers()) if frames_obj is not None else set()
    rows = [
        _frame_row(dataset, sample._id, frames[n], batch, new=n not in stored)
        for n in sorted(frames)
    ]
    batch.frames.setdefault(sample._id, []).extend(rows)
    if frames_obj is not None:
        frames_obj._stored = (stored - (deleted or set())) | set(frames)
        if deleted:
            frames_obj._deleted = set()
