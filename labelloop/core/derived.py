"""Derived views: patches, frames and clips computed from the view before them.

A derivation stage (:class:`Derivation`) turns each document of the view
before it into zero or more new documents: one per object (patches), per
video frame (frames) or per temporal segment (clips). Nothing is copied into
the database: the documents are made while streaming, and stages after the
derivation see them through a :class:`ViewSchema` (the derived samples'
fields) instead of the dataset's schema.

Every derived document carries ``sample_id`` (the source sample) and a
private ``_source`` locator; :class:`DerivedSample` uses it to write edits
of its labels back to the source dataset (``sample.save()``, ``set_values``,
``iter_samples(autosave=True)``). Only label fields write back; a change to
another field is refused with an error rather than dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from labelloop.core.docs import doc_to_value, value_to_doc
from labelloop.core.fields import is_label_spec
from labelloop.core.labels import Label
from labelloop.core.sample import Sample
from labelloop.core.stages import Doc, Stage

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection
    from labelloop.core.dataset import Dataset


class ViewSchema:
    """What stages after a derivation see as their dataset: fields, media type, name."""

    def __init__(
        self,
        root: Dataset,
        sample_schema: dict[str, dict[str, Any]],
        frame_schema: dict[str, dict[str, Any]],
        media_type: str | None,
    ) -> None:
        self._root = root
        self.sample_schema = sample_schema
        self.frame_schema = frame_schema
        self.media_type = media_type

    @property
    def name(self) -> str:
        """Name of the source dataset."""
        return self._root.name

    @property
    def _store(self) -> Any:
        return self._root._store

    @property
    def _id(self) -> str:
        return self._root._id

    def _sync_schema(self) -> None:
        self._root._sync_schema()

    def get_classes(self, field: str) -> list[str] | None:
        """Classes of ``field`` as the source dataset declares them."""
        return self._root.get_classes(field)

    def get_mask_targets(self, field: str) -> dict[Any, str] | None:
        """Mask targets of ``field`` as the source dataset declares them."""
        return self._root.get_mask_targets(field)


class Derivation(Stage):
    """A stage making new documents out of each document of the view before it."""

    per_doc = False
    #: Whether the documents it expands must carry their frames.
    parent_frames: bool = False

    def view_schema(self, parent: Any) -> ViewSchema:
        """The schema of the derived documents, given the parent's (dataset or ViewSchema)."""
        raise NotImplementedError  # every derivation defines it

    def expand(self, doc: Doc, parent: Any, frames: bool) -> Iterator[Doc]:
        """The derived documents of one parent document (with ``frames`` for video ones)."""
        raise NotImplementedError  # every derivation defines it

    def write_back(self, sample: DerivedSample, dataset: Dataset) -> None:
        """Write a derived sample's label edits to the source dataset."""
        raise NotImplementedError  # every derivation defines it

    def count(self, dataset: Dataset) -> int | None:
        """How many documents it makes of the whole dataset, when the store can say it."""
        return None

    def prepare_sample(self, sample: DerivedSample, collection: SampleCollection, cut: int) -> None:
        """Finish a sample made from a derived document (clips attach their frames)."""

    def map_filtered(self, paths: set[str]) -> set[str]:
        """Label paths filtered before the derivation, as the derived samples name them."""
        return set()


def last_derivation(stages: list[Stage]) -> int | None:
    """Index of the last derivation stage, or ``None``."""
    for index in range(len(stages) - 1, -1, -1):
        if isinstance(stages[index], Derivation):
            return index
    return None


def fast_count(collection: SampleCollection) -> int | None:
    """The size of a view made of one derivation of the whole dataset, from the store."""
    stages = collection.stages
    if len(stages) == 1 and isinstance(stages[0], Derivation):
        return stages[0].count(collection._dataset)
    return None


def view_schema(dataset: Dataset, stages: list[Stage]) -> Any:
    """What a stage appended to ``stages`` sees as its dataset."""
    schema: Any = dataset
    for stage in stages:
        if isinstance(stage, Derivation):
            schema = stage.view_schema(schema)
    return schema


def source_locator(doc: Doc) -> dict[str, Any]:
    """Where a (possibly derived) document's labels live in the dataset.

    ``{"sample_id", "frame_number"}``; ``frame_number`` is ``None`` for
    sample-level labels and set for a frames view's documents.
    """
    source = doc.get("_source")
    if source is not None:
        return source
    return {"sample_id": doc["id"], "frame_number": None}


# -- samples of derived views ------------------------------------------------------


class DerivedSample(Sample):
    """A sample of a patches, frames or clips view; saving writes its labels to the source."""

    def _schema(self) -> dict[str, dict[str, Any]] | None:
        schema = self.__dict__.get("schema_source")
        return None if schema is None else schema.sample_schema

    @property
    def dataset(self) -> Dataset:
        """The source dataset."""
        return self._root

    @property
    def in_dataset(self) -> bool:
        """Derived samples always belong to their source dataset."""
        return True

    @property
    def sample_id(self) -> str:
        """Id of the source sample."""
        return self._fields["sample_id"]

    def save(self) -> None:
        """Write label edits to the source dataset (other fields are read-only)."""
        save_samples(self._root, [self])

    def reload(self) -> None:
        """Discard unsaved changes and re-read the sample through its view."""
        fresh = self._view.select(self._id).first()
        for name in ("_fields", "_seen", "_filtered", "_frames", "_loaded"):
            object.__setattr__(self, name, getattr(fresh, name))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: id={self._id}, sample_id={self._fields.get('sample_id')}>"


def clip_of(sample: Any) -> tuple[str, list[int]] | None:
    """``(video id, [first, last])`` of a clips view's sample, else ``None``."""
    source = getattr(sample, "__dict__", {}).get("_source")
    if source and source.get("support"):
        return source["sample_id"], list(source["support"])
    return None


def sample_maker(collection: SampleCollection) -> Callable[[Doc], DerivedSample]:
    """A function making the samples of a derived view from its documents.

    What every sample shares (the stage, the view's schema, which label
    paths its stages filter) is worked out once, not per sample.
    """
    stages = collection.stages
    cut = last_derivation(stages)
    assert cut is not None
    stage = stages[cut]
    dataset = collection._dataset
    schema = view_schema(dataset, stages)
    before: set[str] = set()
    for index, earlier in enumerate(stages[:cut]):
        before.update(earlier.filtered_paths(view_schema(dataset, stages[:index])))
    filtered = stage.map_filtered(before)
    for later in stages[cut + 1 :]:
        filtered.update(later.filtered_paths(schema))
    shared = {"_root": dataset, "_view": collection, "schema_source": schema, "_stage": stage}

    def make(doc: Doc) -> DerivedSample:
        source = source_locator(doc)
        doc = {k: v for k, v in doc.items() if not k.startswith("_")}
        sample = DerivedSample(doc["filepath"])
        sample.__dict__.update(shared)
        object.__setattr__(sample, "_source", source)
        loaded = {k: v for k, v in doc.items() if k not in ("id", "frames")}
        object.__setattr__(sample, "_loaded", plain_copy(loaded))
        sample._load_doc(doc)
        object.__setattr__(sample, "_filtered", set(filtered))
        stage.prepare_sample(sample, collection, cut)
        return sample

    return make


def plain_copy(value: Any) -> Any:
    """A deep copy of a plain document (dicts, lists, scalars, numpy arrays), fast."""
    if isinstance(value, dict):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_copy(v) for v in value]
    if hasattr(value, "copy") and hasattr(value, "shape"):
        return value.copy()
    return value


def _snapshot(sample: Sample) -> dict[str, Any]:
    """The sample's fields as loaded (plain documents), to see what changed."""
    return {k: plain_copy(value_to_doc(v)) for k, v in sample._fields.items()}


def changed_fields(sample: DerivedSample) -> list[str]:
    """Names of fields whose values differ from what was loaded."""
    loaded = sample._loaded
    names = set(loaded) | set(sample._fields)
    return sorted(n for n in names if not _same(loaded.get(n), value_to_doc(sample._fields.get(n))))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict) and "_cls" in a and "_cls" in b:
        return bool(doc_to_value(a) == doc_to_value(b))
    try:
        return bool(a == b)
    except ValueError:  # numpy arrays
        import numpy as np

        return bool(np.array_equal(a, b))


def refuse_changes(sample: DerivedSample, writable: Iterable[str], kind: str) -> None:
    """``ValueError`` when a field outside ``writable`` was changed (before anything is written)."""
    others = [n for n in changed_fields(sample) if n not in set(writable)]
    if others:
        raise ValueError(
            f"Cannot save field(s) {others} of a {kind} view's sample: only its label fields "
            f"write back to dataset '{sample._root.name}'; edit the source samples instead"
        )


def label_items(value: Any) -> list[Label]:
    """The labels a field value holds (a list label's items, or the label itself)."""
    if value is None:
        return []
    if isinstance(value, Label) and value.list_field:
        return list(value.items())
    return [value]


def write_items(
    dataset: Dataset,
    sample: DerivedSample,
    field: str,
    source_field: str,
    sample_id: str,
    frame_number: int | None,
) -> None:
    """Write edits of a derived field whose labels are source labels (patches).

    Labels loaded and now gone are deleted from the source; changed or new
    ones are set by id; unchanged ones are not written.
    """
    loaded = {
        label.id: label
        for label in label_items(doc_to_value(plain_copy(sample._loaded.get(field))))
    }
    current = label_items(sample._fields.get(field))
    ids = {label.id for label in current}
    gone = [i for i in loaded if i not in ids]
    if gone:
        frames = frame_number is not None
        dataset._store.delete_labels(dataset._id, gone, source_field, frames)
    for label in current:
        if loaded.get(label.id) != label:
            dataset.set_label(sample_id, source_field, label, frame_number)


def save_samples(dataset: Dataset, samples: list[DerivedSample]) -> None:
    """Write the label edits of derived samples to the source, all or nothing."""
    with dataset.transaction():
        for sample in samples:
            sample._stage.write_back(sample, dataset)
    for sample in samples:
        object.__setattr__(sample, "_loaded", _snapshot(sample))


def label_field_names(schema: dict[str, dict[str, Any]]) -> list[str]:
    """Names of the label fields of a schema."""
    return [name for name, spec in schema.items() if is_label_spec(spec)]
