"""Reading samples and frames from the store as plain documents, and making samples.

Views evaluate their stages on these documents; :func:`make_sample` turns a
final document into a :class:`~labelloop.core.sample.Sample` that remembers
which labels and frames its view showed, so saving never touches the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from labelloop.core.docs import assemble_labels
from labelloop.core.fields import is_label_spec, list_attr
from labelloop.core.label_stages import MatchFrames
from labelloop.core.planner import iter_docs
from labelloop.core.sample import Frame, Frames, Sample
from labelloop.core.stages import Stage
from labelloop.store.base import SAMPLE_LEVEL

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection
    from labelloop.core.dataset import Dataset


def label_fields(dataset: Dataset, frame: bool) -> dict[str, tuple[str, str | None]]:
    """``{field: (label class name, list attribute or None)}`` of label fields."""
    schema = dataset.frame_schema if frame else dataset.sample_schema
    return {
        name: (spec["cls"], list_attr(spec)) for name, spec in schema.items() if is_label_spec(spec)
    }


def iter_base_docs(
    dataset: Dataset, ids: list[str] | None = None, frames: bool = False
) -> Iterator[dict[str, Any]]:
    """Sample documents with labels (all, or ``ids`` in that order), batch by batch."""
    fields = label_fields(dataset, frame=False)
    for batch in dataset._store.iter_samples(dataset._id, ids):
        sample_ids = [sid for sid, _ in batch]
        rows = dataset._store.get_labels(dataset._id, sample_ids, list(fields))
        labels = assemble_labels(rows, fields)
        for sample_id, doc in batch:
            doc["id"] = sample_id
            for field in fields:
                doc[field] = labels.get((sample_id, SAMPLE_LEVEL, field))
            if frames:
                doc["frames"] = frame_docs(dataset, sample_id)
            yield doc


def frame_docs(
    dataset: Dataset,
    sample_id: str,
    start: int | None = None,
    stop: int | None = None,
    numbers: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Frame documents with labels of one sample, in frame order."""
    frames = dataset._store.get_frames(dataset._id, sample_id, start, stop, numbers)
    if not frames:
        return []
    fields = label_fields(dataset, frame=True)
    rows = dataset._store.get_labels(
        dataset._id,
        [sample_id],
        list(fields),
        frames=True,
        frame_range=(frames[0][0], frames[-1][0]),
    )
    labels = assemble_labels(rows, fields)
    docs = []
    for number, frame_id, doc in frames:
        doc["id"] = frame_id
        doc["frame_number"] = number
        for field in fields:
            doc[field] = labels.get((sample_id, number, field))
        docs.append(doc)
    return docs


def make_sample(dataset: Dataset, doc: dict[str, Any], stages: list[Stage]) -> Sample:
    """A sample of ``dataset`` from a view document, knowing what the view hid."""
    sample = Sample(doc["filepath"])
    sample._load_doc(doc)
    object.__setattr__(sample, "_dataset", dataset)
    filtered: set[str] = set()
    frame_filters = []
    for stage in stages:
        filtered.update(stage.filtered_paths(dataset))
        ff = stage.frame_filter(dataset)
        if ff is not None:
            frame_filters.append(ff)
        if type(stage).__name__ in ("SelectFields", "ExcludeFields", "SelectLabels"):
            object.__setattr__(sample, "_partial", True)
    object.__setattr__(sample, "_filtered", {p for p in filtered if "." not in p})
    if sample.media_type == "video":
        frame_filtered = {p[len("frames.") :] for p in filtered if p.startswith("frames.")}

        def view_filter(frame_doc: dict[str, Any]) -> dict[str, Any]:
            for ff in frame_filters:
                frame_doc = ff(frame_doc)
            return frame_doc

        frames = Frames(sample, view_filter if frame_filters else None, frame_filtered)
        if any(isinstance(stage, MatchFrames) for stage in stages) and "frames" in doc:
            frames._stored = {f["frame_number"] for f in doc["frames"]}  # visible ones
        object.__setattr__(sample, "_frames", frames)
    return sample


def detached(collection: SampleCollection) -> Iterator[Sample]:
    """Samples of a view as new objects keeping ids (for cloning), frames included."""
    for doc in iter_docs(collection, frames=collection.media_type == "video"):
        sample = Sample(doc["filepath"])
        sample._load_doc(doc)
        object.__setattr__(sample, "_seen", {})
        for frame_doc in doc.get("frames") or []:
            frame = Frame()
            frame._load_doc(frame_doc)
            object.__setattr__(frame, "_seen", {})
            sample.frames[frame_doc["frame_number"]] = frame
        yield sample
