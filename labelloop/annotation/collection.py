"""How the annotation layer reads and writes a collection's fields (core adapter).

Everything the framework needs from ``labelloop.core`` goes through here:
field kinds for schema inference, per-sample (and per-frame) values for
uploads, and value reads/writes for the merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labelloop.annotation.diff import items_of
from labelloop.annotation.schema import FieldInfo
from labelloop.annotation.summary import LabelSummary
from labelloop.core.labels import Label, label_class

FRAMES = "frames."
_SCALAR_KINDS = {"int": int, "float": float, "str": str, "bool": bool}


def split_path(path: str) -> tuple[bool, str]:
    """``(is_frame_field, name)`` of ``path``."""
    if path.startswith(FRAMES):
        return True, path[len(FRAMES) :]
    return False, path


def field_spec(samples: Any, path: str) -> dict[str, Any] | None:
    """The declared spec (``kind``, ``cls``) of ``path``, or ``None`` if undeclared."""
    is_frame, name = split_path(path)
    schema = (samples.get_frame_field_schema() or {}) if is_frame else samples.get_field_schema()
    return schema.get(name)


def field_info(samples: Any, path: str) -> FieldInfo | None:
    """What an existing field holds (``None`` for a new field)."""
    spec = field_spec(samples, path)
    if spec is None:
        return None
    if spec.get("kind") == "label":
        return FieldInfo(label_cls=label_class(spec["cls"]))
    return FieldInfo(scalar_type=_SCALAR_KINDS.get(spec.get("kind", "")))


def get_value(doc: Any, name: str) -> Any:
    """A sample's or frame's field value (``None`` when it has no such field)."""
    return doc[name] if doc.has_field(name) else None


def iter_field_values(samples: Any, path: str) -> Iterator[tuple[str, Any]]:
    """``(sample_id, value)`` per sample in view order; frame fields give
    ``{frame_number: value}`` for every frame the sample has."""
    is_frame, name = split_path(path)
    for sample in samples.iter_samples():
        if is_frame:
            frames = {f.frame_number: get_value(f, name) for f in sample.frames.iter_frames()}
            yield sample.id, frames
        else:
            yield sample.id, get_value(sample, name)


def iter_field_labels(samples: Any, path: str) -> Iterator[Label]:
    """Every label of ``path`` (list labels' items), streaming frames in ranges so
    a dense video field is never held in memory."""
    is_frame, name = split_path(path)
    for sample in samples.iter_samples():
        docs = sample.frames.iter_frames() if is_frame else [sample]
        for doc in docs:
            value = get_value(doc, name)
            if isinstance(value, Label):
                yield from items_of(value)


class CollectionSource:
    """The :class:`~labelloop.annotation.schema.SchemaSource` of a dataset or view."""

    def __init__(self, samples: Any) -> None:
        self._samples = samples
        self.media_type = samples.media_type or "image"
        self._summaries: dict[str, LabelSummary] = {}

    def field_info(self, path: str) -> FieldInfo | None:
        return field_info(self._samples, path)

    def label_summary(self, path: str) -> LabelSummary:
        if path not in self._summaries:
            self._summaries[path] = LabelSummary.of(iter_field_labels(self._samples, path))
        return self._summaries[path]

    def declared_classes(self, path: str) -> list[str] | None:
        return self._samples.get_classes(path)

    def declared_mask_targets(self, path: str) -> dict[Any, str] | None:
        return self._samples.get_mask_targets(path)
