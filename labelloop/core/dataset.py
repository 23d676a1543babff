"""Datasets: named, stored collections of samples.

A ``Dataset`` object is a handle on rows in the store (see
``labelloop.store.base``); samples are read on demand. Non-persistent
datasets are deleted when no live process uses them any more.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from labelloop.core import (
    clips,
    extensions,
    frames_view,
    label_stages,
    labelops,
    lifecycle,
    map_labels,
    patches,
    reader,
    writer,
)
from labelloop.core.collection import SampleCollection
from labelloop.core.dataset_fields import FieldSchema
from labelloop.core.editing import human_size, media_stats
from labelloop.core.fields import (
    FRAME_BUILTINS,
    SAMPLE_BUILTINS,
)
from labelloop.core.ids import new_id
from labelloop.core.indexes import DatasetIndexes
from labelloop.core.labels import Label
from labelloop.core.sample import Frame, Sample
from labelloop.core.stages import Stage, load_stage
from labelloop.core.view import DatasetView
from labelloop.store.config import get_store

logger = logging.getLogger(__name__)

#: The modules whose stage classes ``load_stage`` rebuilds stored views from, by name.
STAGE_MODULES = (label_stages, map_labels, patches, frames_view, clips)

_INSTANCES: weakref.WeakValueDictionary[str, Dataset] = weakref.WeakValueDictionary()
_SCHEMA_KEYS = ("sample_fields", "frame_fields", "media_type")


def _new_doc() -> dict[str, Any]:
    return {
        "media_type": None,
        "info": {},
        "classes": {},
        "default_classes": [],
        "mask_targets": {},
        "default_mask_targets": {},
        "skeletons": {},
        "default_skeleton": None,
        "sample_fields": copy.deepcopy(SAMPLE_BUILTINS),
        "frame_fields": copy.deepcopy(FRAME_BUILTINS),
    }


def _decode_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored dataset document with mask-target keys back to ints."""
    doc["mask_targets"] = {f: _int_keys(t) for f, t in doc.get("mask_targets", {}).items()}
    doc["default_mask_targets"] = _int_keys(doc.get("default_mask_targets", {}))
    return doc


def _int_keys(targets: dict[Any, Any]) -> dict[Any, Any]:
    return {int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in targets.items()}


def _default_name() -> str:
    now = dt.datetime.now()
    base = now.strftime("%Y.%m.%d.%H.%M.%S")
    store = get_store()
    name = base
    while store.get_dataset(name) is not None:
        name = f"{base}.{now.strftime('%f')}.{new_id()[-6:]}"
    return name


class Dataset(FieldSchema, DatasetIndexes, SampleCollection):
    """A named collection of samples stored in the database.

    ``Dataset()`` creates a new dataset (generated name); ``Dataset("name")``
    creates one with that name (``ValueError`` if it exists; use
    :func:`load_dataset`, or ``overwrite=True`` to replace it).
    """

    stages: list[Stage] = []

    def __init__(
        self,
        name: str | None = None,
        persistent: bool = False,
        overwrite: bool = False,
        _id: str | None = None,
    ) -> None:
        self._store = get_store()
        if _id is None:
            lifecycle.cleanup_stale()
            if name is not None and not isinstance(name, str):
                raise ValueError(f"Dataset names must be strings, not {type(name).__name__}")
            generated = name is None
            name = name or _default_name()
            existing = self._store.get_dataset(name) if overwrite else None
            if existing is not None:
                Dataset.remove(existing.id)
            _id = new_id()
            for attempt in range(5):
                try:
                    with self._store.transaction():
                        self._store.create_dataset(_id, name, bool(persistent), _new_doc())
                        lifecycle.register(self._store, _id)
                    break
                except ValueError:
                    if not generated or attempt == 4:
                        raise
                    name = _default_name()  # another process took the generated name
            logger.debug("Created dataset '%s'", name)
        else:
            record = self._store.get_dataset(id=_id)
            if record is not None and not record.persistent:  # only those need tracking
                lifecycle.register(self._store, _id)
        self._id = _id
        self._deleted = False
        self._read_record()
        _INSTANCES[_id] = self

    def _read_record(self) -> None:
        record = self._store.get_dataset(id=self._id)
        if record is None:
            self._deleted = True
            raise ValueError(f"Dataset '{getattr(self, '_name', self._id)}' has been deleted")
        self._name = record.name
        self._persistent = record.persistent
        self._created_at = record.created_at
        self._doc = _decode_doc(record.doc)

    @property
    def _dataset(self) -> Dataset:
        return self

    def _new_view(self, stages: list[Stage]) -> DatasetView:
        return DatasetView(self, stages)

    @property
    def sample_schema(self) -> dict[str, dict[str, Any]]:
        """The stored spec of each sample field (name -> spec); read it, never edit it."""
        return self._doc["sample_fields"]

    @property
    def frame_schema(self) -> dict[str, dict[str, Any]]:
        """The stored spec of each frame field of a video dataset; read it, never edit it."""
        return self._doc["frame_fields"]

    # -- properties ----------------------------------------------------------

    @property
    def name(self) -> str:
        """The dataset's unique name (assigning renames it)."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError(f"Dataset names must be non-empty strings, not {value!r}")
        self._store.update_dataset(self._id, name=value)
        self._name = value

    @property
    def persistent(self) -> bool:
        """Whether the dataset outlives the processes using it."""
        return self._persistent

    @persistent.setter
    def persistent(self, value: bool) -> None:
        with self._store.transaction():
            self._store.update_dataset(self._id, persistent=bool(value))
            if not value:
                lifecycle.register(self._store, self._id)
        self._persistent = bool(value)

    @property
    def created_at(self) -> str:
        """UTC creation time (ISO text)."""
        return self._created_at

    @property
    def media_type(self) -> str | None:
        """``"image"`` or ``"video"`` (from the first sample added), ``None`` while empty."""
        return self._doc["media_type"]

    @property
    def deleted(self) -> bool:
        """Whether the dataset has been deleted."""
        return self._deleted

    def _get_prop(self, name: str) -> Any:
        return self._doc[name]

    def _set_prop(self, name: str, value: Any) -> None:
        self._doc[name] = value
        self.save()

    info = property(
        lambda self: self._get_prop("info"),
        lambda self, v: self._set_prop("info", dict(v)),
        doc="Free-form dict of dataset information (call save() after edits).",
    )
    classes = property(
        lambda self: self._get_prop("classes"),
        lambda self, v: self._set_prop("classes", dict(v)),
        doc="``{field: [class, ...]}``.",
    )
    default_classes = property(
        lambda self: self._get_prop("default_classes"),
        lambda self, v: self._set_prop("default_classes", list(v)),
        doc="Classes of fields without an entry in ``classes``.",
    )
    mask_targets = property(
        lambda self: self._get_prop("mask_targets"),
        lambda self, v: self._set_prop("mask_targets", dict(v)),
        doc="``{field: {pixel value: class}}``.",
    )
    default_mask_targets = property(
        lambda self: self._get_prop("default_mask_targets"),
        lambda self, v: self._set_prop("default_mask_targets", dict(v)),
        doc="Mask targets of fields without their own.",
    )
    skeletons = property(
        lambda self: self._get_prop("skeletons"),
        lambda self, v: self._set_prop("skeletons", dict(v)),
        doc="``{field: skeleton dict}`` for keypoint fields.",
    )
    default_skeleton = property(
        lambda self: self._get_prop("default_skeleton"),
        lambda self, v: self._set_prop("default_skeleton", v),
        doc="Skeleton of keypoint fields without their own.",
    )

    def get_classes(self, field: str) -> list[str] | None:
        """Classes of ``field``, falling back to ``default_classes`` (``None`` if neither)."""
        if field in self.classes:
            return self.classes[field]
        return self.default_classes or None

    def get_mask_targets(self, field: str) -> dict[Any, str] | None:
        """Mask targets of ``field``, falling back to ``default_mask_targets``."""
        if field in self.mask_targets:
            return self.mask_targets[field]
        return self.default_mask_targets or None

    def get_skeleton(self, field: str) -> Any:
        """Skeleton of ``field``, falling back to ``default_skeleton``."""
        return self.skeletons.get(field, self.default_skeleton)

    def save(self) -> None:
        """Write the dataset-level properties (info, classes, ...).

        The field schema and media type are never overwritten from this object:
        they are re-read so fields another process declared meanwhile survive.
        """
        with self._store.transaction():
            fresh = self._fresh_doc()
            doc = dict(self._doc)
            for key in _SCHEMA_KEYS:
                doc[key] = fresh[key]
            self._write_doc(doc)
            for key in _SCHEMA_KEYS:
                self._doc[key] = fresh[key]

    def _fresh_doc(self) -> dict[str, Any]:
        record = self._store.get_dataset(id=self._id)
        if record is None:
            raise ValueError(f"Dataset '{self._name}' has been deleted")
        return _decode_doc(record.doc)

    def _write_doc(self, doc: dict[str, Any]) -> None:
        doc = dict(doc)
        doc["mask_targets"] = {
            f: {str(k): v for k, v in t.items()} for f, t in doc["mask_targets"].items()
        }
        doc["default_mask_targets"] = {str(k): v for k, v in doc["default_mask_targets"].items()}
        self._store.update_dataset(self._id, doc=doc)

    def _update_schema(self, mutate: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``mutate`` to the stored dataset document (read fresh) and adopt its schema."""
        with self._store.transaction():
            fresh = self._fresh_doc()
            mutate(fresh)
            self._write_doc(fresh)
            for key in _SCHEMA_KEYS:
                self._doc[key] = fresh[key]

    def _sync_schema(self) -> None:
        """Adopt the stored field schema and media type (another process may have changed them).

        Called before reads, so a dataset object never misses fields declared
        elsewhere; unsaved dataset properties (info, classes, ...) are kept.
        """
        record = self._store.get_dataset(id=self._id)
        if record is None:
            return
        for key in _SCHEMA_KEYS:
            if record.doc.get(key) != self._doc.get(key):
                self._doc[key] = record.doc.get(key)

    def reload(self) -> None:
        """Re-read the dataset's properties and schema from the database."""
        self._read_record()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside commits once, or not at all on an exception."""
        try:
            with self._store.transaction():
                yield
        except BaseException:
            if not self._store.in_transaction:
                self._read_record()  # in-memory schema may hold rolled-back changes
            raise

    # -- samples -----------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            view = self.view()
            if key.step not in (None, 1):
                raise ValueError("Dataset slices cannot have a step")
            start = key.start or 0
            if start:
                view = view.skip(start)
            if key.stop is not None:
                view = view.limit(max(key.stop - start, 0))
            return view
        if not isinstance(key, str):
            raise KeyError(f"Samples are indexed by id strings, not {key!r}")
        self._sync_schema()
        for doc in self._iter_base_docs(ids=[key]):
            return self._make_sample(doc, [])
        raise KeyError(f"No sample with id {key!r} in dataset '{self.name}'")

    def add_sample(self, sample: Sample, expand_schema: bool = True) -> str:
        """Add one sample (a copy if it already belongs to a dataset); returns its id."""
        return self.add_samples([sample], expand_schema=expand_schema)[0]

    def add_samples(
        self,
        samples: Iterable[Sample],
        expand_schema: bool = True,
        progress: bool | None = None,
        batch_size: int = 1000,
    ) -> list[str]:
        """Add samples in one transaction (all or none are added); returns their ids.

        ``expand_schema=False`` refuses samples with fields the dataset does not have;
        ``progress=True`` shows a progress bar.
        """
        if progress:
            from labelloop.progress import bar

            samples = bar(samples, desc="Adding samples", unit="sample")
        return self._add(samples, keep_ids=False, batch_size=batch_size, expand=expand_schema)

    def _add(
        self,
        samples: Iterable[Sample],
        keep_ids: bool,
        batch_size: int = 1000,
        expand: bool = True,
    ) -> list[str]:
        ids: list[str] = []
        bound: list[weakref.ref[Sample]] = []  # weak: a stream of samples is not kept
        try:
            with self.transaction():
                batch = writer.Batch()
                for sample in samples:
                    if not isinstance(sample, Sample):
                        raise ValueError(f"Expected Sample objects, got {type(sample).__name__}")
                    if sample._dataset is not None:
                        sample = sample.copy()
                    self._check_media(sample)
                    bound.append(weakref.ref(sample))
                    ids.append(writer.add_sample(self, sample, batch, keep_ids, expand))
                    if len(batch.new_samples) >= batch_size:
                        batch.flush(self, new_labels=True)
                        batch = writer.Batch()
                batch.flush(self, new_labels=True)
        except BaseException:
            for ref in bound:  # nothing was added: the objects stay free to add again
                sample = ref()
                if sample is not None:
                    object.__setattr__(sample, "_id", None)
                    object.__setattr__(sample, "_dataset", None)
            raise
        return ids

    def _check_media(self, sample: Sample) -> None:
        media = sample.media_type
        if self.media_type is None:
            self._update_schema(lambda doc: doc.update(media_type=doc["media_type"] or media))
        if media != self.media_type:
            raise ValueError(
                f"Cannot add a {media} sample ({sample.filepath!r}) to {self.media_type} "
                f"dataset '{self.name}'"
            )

    def delete_samples(self, samples_or_ids: Any) -> None:
        """Delete samples given as ids, Sample objects or a view."""
        if isinstance(samples_or_ids, SampleCollection):
            ids = samples_or_ids.values("id")
        else:
            items = (
                [samples_or_ids] if isinstance(samples_or_ids, (str, Sample)) else samples_or_ids
            )
            ids = [s.id if isinstance(s, Sample) else s for s in items]
        self._store.delete_samples(self._id, ids)

    def clear(self) -> None:
        """Delete every sample."""
        self._store.delete_samples(self._id, self._store.sample_ids(self._id))

    def _save_sample(self, sample: Sample) -> None:
        writer.save_samples(self, [sample])

    def _save_frames(self, sample: Sample, frames: dict[int, Frame]) -> None:
        with self.transaction():
            batch = writer.Batch()
            writer.save_frames(self, sample, frames, batch)
            batch.flush(self)

    # -- reading -------------------------------------------------------------

    def _iter_base_docs(
        self, ids: list[str] | None = None, frames: bool = False
    ) -> Iterator[dict[str, Any]]:
        return reader.iter_base_docs(self, ids, frames)

    def _frame_docs(
        self,
        sample_id: str,
        start: int | None = None,
        stop: int | None = None,
        numbers: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        return reader.frame_docs(self, sample_id, start, stop, numbers)

    def _make_sample(self, doc: dict[str, Any], stages: list[Stage]) -> Sample:
        return reader.make_sample(self, doc, stages)

    def _load_view(self, stages: list[dict[str, Any]]) -> Any:
        """Rebuild a view from ``view._serialize()`` output."""
        view = DatasetView(self, [])
        for data in stages:
            view = view._add_stage(load_stage(data))
        return view

    # -- labels (see core/labelops.py and docs/architecture.md) -----------------

    def get_label(self, label_id: str, field: str | None = None) -> labelops.LabelInfo:
        """``LabelInfo(sample_id, frame_number, field, label)`` of a label (``KeyError``);
        ids are unique per field: ``field`` (``frames.x`` at frame level) picks one."""
        return labelops.get_label(self, label_id, field)

    def get_labels(
        self, label_ids: Iterable[str], field: str | None = None
    ) -> list[labelops.LabelInfo]:
        """``LabelInfo`` of the labels with these ids (unknown ids skipped), in every field
        or only in ``field``."""
        return labelops.get_labels(self, label_ids, field)

    def set_label(
        self, sample_id: str, field: str, label: Label, frame_number: int | None = None
    ) -> None:
        """Add or replace one label without rewriting its sample."""
        labelops.set_label(self, sample_id, field, label, frame_number)

    def delete_labels(
        self, ids: Any = None, tags: Any = None, view: Any = None, fields: Any = None
    ) -> None:
        """Delete labels by id, by tag, or all labels of a view (optionally only ``fields``)."""
        labelops.delete_labels(self, ids, tags, view, fields)

    # -- whole dataset -------------------------------------------------------

    def _clone(self, collection: SampleCollection, name: str | None, persistent: bool) -> Dataset:
        clone = Dataset(name, persistent=persistent)
        with clone.transaction():
            doc = copy.deepcopy(self._doc)
            clone._write_doc(doc)
            clone._doc = doc
            if collection is self:
                self._store.copy_dataset(self._id, clone._id)
            else:
                clone._add(reader.detached(collection), keep_ids=True)
            for path in self.list_indexes():
                clone.create_index(path)
        return clone

    def stats(self, include_media: bool = False) -> dict[str, Any]:
        """Counts and sizes of samples, frames, labels (and media with ``include_media``)."""
        raw = self._store.stats(self._id)
        out: dict[str, Any] = {
            "samples_count": raw["samples_count"],
            "samples_bytes": raw["samples_bytes"] + raw["labels_bytes"],
            "labels_count": raw["labels_count"],
            "labels_bytes": raw["labels_bytes"],
        }
        total = out["samples_bytes"]
        if self.media_type == "video":
            out["frames_count"] = raw["frames_count"]
            out["frames_bytes"] = raw["frames_bytes"]
            total += raw["frames_bytes"]
        if include_media:
            out["media_bytes"] = media_stats(self)
            total += out["media_bytes"]
        out["total_bytes"] = total
        for key in [k for k in out if k.endswith("_bytes")]:
            out[key[: -len("_bytes")] + "_size"] = human_size(out[key])
        return out

    @staticmethod
    def loaded(dataset_id: str) -> Dataset | None:
        """The ``Dataset`` object of this process for ``dataset_id``, if one is alive."""
        return _INSTANCES.get(dataset_id)

    @staticmethod
    def remove(dataset_id: str) -> None:
        """Delete the dataset with this id; a live object of it is marked deleted too."""
        live = _INSTANCES.get(dataset_id)
        if live is not None:
            live.delete()
        else:
            get_store().delete_dataset(dataset_id)

    def delete(self) -> None:
        """Delete the dataset and everything in it."""
        self._store.delete_dataset(self._id)
        self._deleted = True
        _INSTANCES.pop(self._id, None)

    @classmethod
    def from_dir(
        cls,
        dataset_dir: str | None = None,
        dataset_type: Any = None,
        name: str | None = None,
        persistent: bool = False,
        **kwargs: Any,
    ) -> Dataset:
        """A new dataset read from disk in a dataset format; see ``labelloop.formats``."""
        return extensions.call(
            "from_dir",
            cls,
            dataset_dir=dataset_dir,
            dataset_type=dataset_type,
            name=name,
            persistent=persistent,
            **kwargs,
        )

    def __repr__(self) -> str:
        return (
            f"<Dataset '{self.name}': {len(self)} {self.media_type or 'image'} samples, "
            f"persistent={self.persistent}>"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dataset) and other._id == self._id

    __hash__ = object.__hash__
