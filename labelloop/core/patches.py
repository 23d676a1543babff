"""Patches views: one sample per object (``to_patches``) or per evaluation outcome.

``to_patches(field)`` makes one image sample per label of an object field
(detections, polylines, keypoints), holding that label alone in ``field``.
``to_evaluation_patches(eval_key)`` makes one sample per true positive
(a ground-truth object with the predictions matched to it, several for a
crowd), false positive and false negative, with both fields as lists and
``type`` ("tp"/"fp"/"fn"), ``iou`` and ``crowd``. Patch labels are the
source labels (same ids): editing or deleting them through the view edits
the source dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from labelloop.core import runs
from labelloop.core.derived import (
    Derivation,
    DerivedSample,
    ViewSchema,
    refuse_changes,
    source_locator,
    write_items,
)
from labelloop.core.fields import SAMPLE_BUILTINS, is_label_spec
from labelloop.core.ids import derived_id
from labelloop.core.labels import Detection, Keypoint, Polyline, label_class
from labelloop.core.stages import Doc

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset

#: Label classes a patch can hold.
PATCH_CLASSES = (Detection, Polyline, Keypoint)


def _root(parent: Any) -> Dataset:
    return getattr(parent, "_root", parent)


def _patch_class(parent: Any, field: str) -> type:
    """The class of one patch's label in ``field`` (``ValueError`` for non-object fields)."""
    if parent.media_type == "video":
        raise ValueError(
            f"Patches need image samples; call to_frames() first to patch the frames of "
            f"video dataset '{parent.name}'"
        )
    spec = parent.sample_schema.get(field)
    if not is_label_spec(spec):
        raise ValueError(f"'{field}' is not a label field of dataset '{parent.name}'")
    cls = label_class(spec["cls"])
    item = cls.item_class or cls
    if item not in PATCH_CLASSES:
        raise ValueError(
            f"Cannot make patches of field '{field}' ({spec['cls']}); patches need "
            "Detection(s), Polyline(s) or Keypoint(s) fields"
        )
    return item


def _base_schema(parent: Any) -> dict[str, dict[str, Any]]:
    schema = dict(SAMPLE_BUILTINS)
    schema["sample_id"] = {"kind": "str"}
    if "frame_number" in parent.sample_schema:  # patches of a frames view
        schema["frame_number"] = {"kind": "int"}
    return schema


def _patch_doc(parent_doc: Doc, patch_id: str) -> Doc:
    source = source_locator(parent_doc)
    doc = {
        "id": patch_id,
        "filepath": parent_doc["filepath"],
        "tags": list(parent_doc.get("tags") or []),
        "metadata": parent_doc.get("metadata"),
        "sample_id": source["sample_id"],
        "_source": source,
    }
    if source["frame_number"] is not None:
        doc["frame_number"] = source["frame_number"]
    return doc


def _items(value: Any) -> list[Doc]:
    """The label dicts of a field value (a list label's items, or the single label)."""
    if value is None:
        return []
    for key in ("detections", "polylines", "keypoints"):
        if key in value:
            return list(value.get(key) or [])
    return [value]


class ToPatches(Derivation):
    """One sample per object of ``field``."""

    def __init__(self, field: str) -> None:
        if not isinstance(field, str) or not field:
            raise ValueError(f"to_patches() needs a label field name, not {field!r}")
        self.field = field

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self.field}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> ToPatches:
        return cls(kw["field"])

    def validate(self, dataset: Any) -> None:
        _patch_class(dataset, self.field)

    def view_schema(self, parent: Any) -> ViewSchema:
        schema = _base_schema(parent)
        schema[self.field] = {"kind": "label", "cls": _patch_class(parent, self.field).__name__}
        return ViewSchema(_root(parent), schema, {}, "image")

    def count(self, dataset: Dataset) -> int | None:
        """Patches of the whole dataset: its labels of the field, counted by the store."""
        list_field = label_class(dataset.sample_schema[self.field]["cls"]).list_field
        return dataset._store.count_labels(
            dataset._id, self.field, False, list_field is not None, None
        )

    def expand(self, doc: Doc, parent: Any, frames: bool) -> Iterator[Doc]:
        for label in _items(doc.get(self.field)):
            patch = _patch_doc(doc, label["id"])
            patch[self.field] = label
            yield patch

    def write_back(self, sample: DerivedSample, dataset: Dataset) -> None:
        refuse_changes(sample, [self.field], "patches")
        source = sample._source
        write_items(
            dataset, sample, self.field, self.field, source["sample_id"], source["frame_number"]
        )


class ToEvaluationPatches(Derivation):
    """One sample per true positive, false positive and false negative of an evaluation."""

    def __init__(self, eval_key: str) -> None:
        if not isinstance(eval_key, str) or not eval_key:
            raise ValueError(f"to_evaluation_patches() needs an evaluation key, not {eval_key!r}")
        self.eval_key = eval_key

    def _kwargs(self) -> dict[str, Any]:
        return {"eval_key": self.eval_key}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> ToEvaluationPatches:
        return cls(kw["eval_key"])

    def eval_fields(self, parent: Any) -> tuple[str, str, str]:
        """``(gt_field, pred_field, iscrowd attribute)`` of the evaluation (read once)."""
        cached = self.__dict__.get("_fields")
        if cached is None:
            cached = self.__dict__["_fields"] = self._read_config(parent)
        return cached

    def _read_config(self, parent: Any) -> tuple[str, str, str]:
        root = _root(parent)
        if not runs.has_run(root, self.eval_key, "evaluation"):
            raise ValueError(
                f"Dataset '{root.name}' has no evaluation '{self.eval_key}'; run "
                f"evaluate_detections(..., eval_key='{self.eval_key}') first"
            )
        config = runs.get_run(root, self.eval_key, "evaluation").config
        gt, pred = config["gt_field"], config["pred_field"]
        for field in (gt, pred):
            if _patch_class(parent, field) is not Detection:
                raise ValueError(f"Evaluation patches need Detections fields, not '{field}'")
        return gt, pred, config.get("iscrowd") or "iscrowd"

    def validate(self, dataset: Any) -> None:
        self.eval_fields(dataset)

    def view_schema(self, parent: Any) -> ViewSchema:
        gt, pred, _ = self.eval_fields(parent)
        schema = _base_schema(parent)
        schema[gt] = {"kind": "label", "cls": "Detections"}
        schema[pred] = {"kind": "label", "cls": "Detections"}
        schema["type"] = {"kind": "str"}
        schema["iou"] = {"kind": "float"}
        schema["crowd"] = {"kind": "bool"}
        return ViewSchema(_root(parent), schema, {}, "image")

    def expand(self, doc: Doc, parent: Any, frames: bool) -> Iterator[Doc]:
        gt_field, pred_field, iscrowd = self.eval_fields(parent)
        key = self.eval_key
        gts = _items(doc.get(gt_field))
        preds = _items(doc.get(pred_field))
        matched: dict[str, list[Doc]] = {}
        unmatched_preds = []
        gt_ids = {g["id"] for g in gts}
        for pred in preds:
            if pred.get(key) == "tp" and pred.get(f"{key}_id") in gt_ids:
                matched.setdefault(pred[f"{key}_id"], []).append(pred)
            elif pred.get(key) in ("tp", "fp"):
                unmatched_preds.append(pred)
        outcomes: list[tuple[str, str, list[Doc], list[Doc]]] = []
        for gt in gts:
            if gt["id"] in matched:
                outcomes.append(("tp", gt["id"], [gt], matched[gt["id"]]))
        # a prediction copied from the ground truth may share its id (ids are unique per
        # field): its patch gets an id of its own, so patch ids stay unique
        outcomes += [
            ("fp", derived_id(p["id"], "fp") if p["id"] in gt_ids else p["id"], [], [p])
            for p in unmatched_preds
        ]
        outcomes += [("fn", g["id"], [g], []) for g in gts if g.get(key) == "fn"]
        for kind, patch_id, patch_gts, patch_preds in outcomes:
            patch = _patch_doc(doc, patch_id)
            patch[gt_field] = _container(patch_id, "gt", patch_gts)
            patch[pred_field] = _container(patch_id, "pred", patch_preds)
            patch["type"] = kind
            ious = [p.get(f"{key}_iou") for p in patch_preds if p.get(f"{key}_iou") is not None]
            patch["iou"] = max(ious) if kind == "tp" and ious else None
            patch["crowd"] = any(bool(g.get(iscrowd)) for g in patch_gts)
            yield patch

    def write_back(self, sample: DerivedSample, dataset: Dataset) -> None:
        gt, pred, _ = self.eval_fields(sample.schema_source)
        refuse_changes(sample, [gt, pred], "evaluation patches")
        source = sample._source
        for field in (gt, pred):
            write_items(dataset, sample, field, field, source["sample_id"], source["frame_number"])


def _container(patch_id: str, role: str, items: list[Doc]) -> Doc:
    return {"_cls": "Detections", "id": derived_id(patch_id, role), "detections": items}
