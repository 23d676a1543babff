"""Clips views: one video sample per temporal segment (``to_clips``).

Segments come from a frame-level label field or expression (runs of frames
where it is non-empty/true, joined across gaps of up to ``tol`` frames and
kept when at least ``min_len`` long), from a ``TemporalDetection(s)`` field
(one clip per detection; the clip holds it as a ``Classification``), or
from explicit ``[[first, last], ...]`` supports (a sample field, one list
for every video, or ``{sample_id: [[first, last], ...]}``). A clip has the
video's fields, ``sample_id`` and ``support``; its frames keep their
numbers in the video. Editing a clip's frames, or its detection's label
and support, writes to the video.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from labelloop.core import writer
from labelloop.core.derived import (
    Derivation,
    DerivedSample,
    ViewSchema,
    changed_fields,
    refuse_changes,
    view_schema,
)
from labelloop.core.expressions import ViewExpression, compile_expr, to_node
from labelloop.core.fields import is_label_spec, list_attr
from labelloop.core.frames_view import source_sample
from labelloop.core.ids import derived_id
from labelloop.core.labels import Classification, TemporalDetection, check_support, label_class
from labelloop.core.stages import Doc

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection
    from labelloop.core.dataset import Dataset


def _as_supports(value: Any) -> list[list[int]]:
    """``[[first, last], ...]`` from a list of pairs (``ValueError`` otherwise)."""
    return [check_support(pair) for pair in value or []]


def runs_of(numbers: list[int], tol: int = 0, min_len: int = 0) -> list[list[int]]:
    """Runs ``[first, last]`` of sorted frame numbers, bridging gaps of up to ``tol`` frames."""
    out: list[list[int]] = []
    for n in numbers:
        if out and n - out[-1][1] <= tol + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return [r for r in out if r[1] - r[0] + 1 >= min_len]


class ToClips(Derivation):
    """One video sample per temporal segment."""

    def __init__(self, field_or_expr: Any, tol: int = 0, min_len: int = 0) -> None:
        if isinstance(field_or_expr, ViewExpression):
            self.field_or_expr: Any = {"$expr": to_node(field_or_expr)}
        elif isinstance(field_or_expr, dict) and "$expr" not in field_or_expr:
            self.field_or_expr = {str(k): _as_supports(v) for k, v in field_or_expr.items()}
        elif isinstance(field_or_expr, (list, tuple)):
            self.field_or_expr = _as_supports(field_or_expr)
        elif isinstance(field_or_expr, (str, dict)):
            self.field_or_expr = field_or_expr
        else:
            raise ValueError(
                "to_clips() takes a frame field, a TemporalDetection(s) field, a frame "
                f"expression or [[first, last], ...] supports, not {field_or_expr!r}"
            )
        if isinstance(tol, bool) or not isinstance(tol, int) or tol < 0:
            raise ValueError(f"to_clips(tol=...) must be a non-negative integer, not {tol!r}")
        if isinstance(min_len, bool) or not isinstance(min_len, int) or min_len < 0:
            raise ValueError(
                f"to_clips(min_len=...) must be a non-negative integer, not {min_len!r}"
            )
        self.tol = tol
        self.min_len = min_len

    def _kwargs(self) -> dict[str, Any]:
        return {"field_or_expr": self.field_or_expr, "tol": self.tol, "min_len": self.min_len}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> ToClips:
        value = kw["field_or_expr"]
        if isinstance(value, dict) and "$expr" in value:
            value = ViewExpression(value["$expr"])
        return cls(value, kw.get("tol", 0), kw.get("min_len", 0))

    # -- what the argument names ---------------------------------------------------------

    def mode(self, parent: Any) -> tuple[str, str | None]:
        """``(kind, field)``: kind is frames/expr/temporal/support_field/supports."""
        value = self.field_or_expr
        if isinstance(value, dict) and "$expr" in value:
            return "expr", None
        if not isinstance(value, str):
            return "supports", None
        name = value[len("frames.") :] if value.startswith("frames.") else value
        if value.startswith("frames.") or (
            name not in parent.sample_schema and name in parent.frame_schema
        ):
            if name not in parent.frame_schema:
                raise ValueError(f"Dataset '{parent.name}' has no frame field '{name}'")
            return "frames", name
        spec = parent.sample_schema.get(name)
        if spec is None:
            raise ValueError(f"Dataset '{parent.name}' has no field '{value}' to make clips from")
        if is_label_spec(spec) and spec["cls"] in ("TemporalDetection", "TemporalDetections"):
            return "temporal", name
        if spec["kind"] == "list":
            return "support_field", name
        raise ValueError(
            f"Cannot make clips from field '{name}' ({spec.get('cls') or spec['kind']}); use a "
            "frame field, a TemporalDetection(s) field or a list of [first, last] supports"
        )

    @property
    def parent_frames(self) -> bool:  # type: ignore[override]
        return isinstance(self.field_or_expr, str) or (
            isinstance(self.field_or_expr, dict) and "$expr" in self.field_or_expr
        )

    def validate(self, dataset: Any) -> None:
        if dataset.media_type not in (None, "video"):
            raise ValueError(f"to_clips() needs videos; dataset '{dataset.name}' has images")
        if isinstance(dataset, ViewSchema):
            raise ValueError("to_clips() works on datasets and their views, not on derived views")
        self.mode(dataset)

    def view_schema(self, parent: Any) -> ViewSchema:
        schema = dict(parent.sample_schema)
        schema["sample_id"] = {"kind": "str"}
        schema["support"] = {"kind": "list"}
        kind, field = self.mode(parent)
        if kind == "temporal":
            schema[field] = {"kind": "label", "cls": "Classification"}
        frames = dict(parent.frame_schema)
        return ViewSchema(getattr(parent, "_root", parent), schema, frames, "video")

    def map_filtered(self, paths: set[str]) -> set[str]:
        return set(paths)

    # -- clips ---------------------------------------------------------------------------

    def _segments(self, doc: Doc, parent: Any) -> list[tuple[str, list[int], Doc | None]]:
        """``(clip id, support, temporal detection or None)`` of one video document."""
        kind, field = self.mode(parent)
        sample_id = doc["id"]
        if kind == "temporal":
            value = doc.get(field)
            items = (
                (value.get("detections") or [])
                if value and "detections" in value
                else ([value] if value else [])
            )
            return [(d["id"], list(d["support"]), d) for d in items if d.get("support")]
        if kind in ("frames", "expr"):
            if kind == "frames":
                attr = list_attr(parent.frame_schema[field])

                def present(frame: Doc) -> bool:
                    value = frame.get(field)
                    if value is None:
                        return False
                    return bool(value.get(attr)) if attr else True
            else:
                test = compile_expr(self.field_or_expr["$expr"])

                def present(frame: Doc) -> bool:
                    return bool(test(frame, frame))

            numbers = sorted(f["frame_number"] for f in doc.get("frames") or [] if present(f))
            supports = runs_of(numbers, self.tol, self.min_len)
        elif kind == "support_field":
            supports = _as_supports(doc.get(field))
        elif isinstance(self.field_or_expr, dict):
            supports = self.field_or_expr.get(sample_id, [])
        else:
            supports = self.field_or_expr
        return [(derived_id("clip", sample_id, s[0], s[1]), s, None) for s in supports]

    def expand(self, doc: Doc, parent: Any, frames: bool) -> Iterator[Doc]:
        kind, field = self.mode(parent)
        for clip_id, support, detection in self._segments(doc, parent):
            clip = {k: v for k, v in doc.items() if k not in ("frames", "_source")}
            clip.update(
                id=clip_id,
                sample_id=doc["id"],
                support=list(support),
                _source={
                    "sample_id": doc["id"],
                    "frame_number": None,
                    "video": doc["filepath"],
                    "support": list(support),
                },
            )
            if kind == "temporal":
                label = {k: v for k, v in detection.items() if k != "support"}
                label["_cls"] = "Classification"
                clip[field] = label
            if frames:
                clip["frames"] = [
                    f
                    for f in doc.get("frames") or []
                    if support[0] <= f["frame_number"] <= support[1]
                ]
            yield clip

    # -- samples --------------------------------------------------------------------------

    def prepare_sample(self, sample: DerivedSample, collection: SampleCollection, cut: int) -> None:
        """Give the clip the video's frames within its support, as the view shows them."""
        dataset = collection._dataset
        stages = collection.stages
        filters = []
        for index, stage in enumerate(stages):
            if index == cut:
                continue
            ff = stage.frame_filter(view_schema(dataset, stages[:index]))
            if ff is not None:
                filters.append(ff)
        source = sample._source
        first, last = source["support"]
        stored = {
            n
            for n in dataset._store.frame_numbers(dataset._id, source["sample_id"])
            if first <= n <= last
        }
        video = source_sample(dataset, source["sample_id"], source["video"], stored)
        frames = video._frames
        frame_paths = {p[len("frames.") :] for p in sample._filtered if p.startswith("frames.")}
        frames._filtered = frame_paths

        def view_filter(doc: Doc) -> Doc:
            for ff in filters:
                doc = ff(doc)
            return doc

        frames._view_filter = view_filter if filters else None
        object.__setattr__(sample, "_frames", frames)

    def write_back(self, sample: DerivedSample, dataset: Dataset) -> None:
        kind, field = self.mode(view_schema(dataset, []))
        writable = [field, "support"] if kind == "temporal" else []
        refuse_changes(sample, writable, "clips")
        source = sample._source
        frames = sample._frames
        if frames is not None and (frames._cache or frames._deleted):
            video = frames._sample
            batch = writer.Batch()
            writer.save_frames(dataset, video, frames._cache, batch, deleted=frames._deleted)
            batch.flush(dataset)
        if kind == "temporal" and set(changed_fields(sample)) & {field, "support"}:
            self._write_detection(sample, dataset, field, source["sample_id"])

    def _write_detection(
        self, sample: DerivedSample, dataset: Dataset, field: str, sample_id: str
    ) -> None:
        value = sample._fields.get(field)
        loaded = sample._loaded.get(field)
        if value is None:
            if loaded is not None:
                dataset._store.delete_labels(dataset._id, [loaded["id"]], field)
            return
        if not isinstance(value, Classification):
            raise ValueError(
                f"A clip's '{field}' holds a Classification, not {type(value).__name__}"
            )
        data = {k: v for k, v in value._values.items() if k != "logits" or v is not None}
        data["support"] = sample._fields.get("support") or sample._source["support"]
        detection = TemporalDetection(**data)
        cls = label_class(dataset.sample_schema[field]["cls"])
        if loaded is not None and loaded["id"] != detection.id and cls.list_field:
            dataset._store.delete_labels(dataset._id, [loaded["id"]], field)
        dataset.set_label(sample_id, field, detection)
