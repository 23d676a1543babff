"""Labels of one CVAT task for ``import_annotations``, by CVAT frame, with stable ids.

A label keeps the id its ``label_id`` attribute holds (tasks labelloop made);
any other object gets an id derived from (server url, task id, CVAT object id
[, frame]), so importing the same task again finds and updates the same labels
instead of adding copies. Tracks expand into per-frame labels sharing one
``index`` (keyframes marked) through :func:`labelloop.cvat.tracks.track_labels`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labelloop.annotation.diff import loaded_id
from labelloop.core.ids import is_id
from labelloop.core.labels import Label
from labelloop.cvat import convert
from labelloop.cvat.convert.common import UnsupportedObjectError
from labelloop.cvat.import_report import ImportReport
from labelloop.cvat.objects import named_attributes
from labelloop.cvat.resources.labels import LabelMaps
from labelloop.cvat.schema import ID_ATTR, spec_from_cvat_attribute
from labelloop.cvat.tracks import track_labels
from labelloop.cvat.xml.fields import FIELD_OF_TYPE

KIND_OF_LABEL = {
    "Classification": "classifications",
    "Detection": "detections",
    "Polyline": "polylines",
    "Keypoint": "keypoints",
}


@dataclass
class TaskData:
    """What the server holds for one task: data meta, labels and annotations."""

    task_id: int
    meta: dict[str, Any]
    labels: list[dict[str, Any]]
    annotations: dict[str, Any]

    @property
    def deleted(self) -> set[int]:
        """CVAT frame indices deleted in the task."""
        return {int(f) for f in self.meta.get("deleted_frames") or ()}


class TaskConverter:
    """Turns one task's objects into ``{cvat_frame: [(kind, label)]}`` for the wanted kinds."""

    def __init__(
        self,
        task: TaskData,
        kinds: Mapping[str, str],
        provenance: str,
        report: ImportReport,
        occluded_attr: str | None,
        group_id_attr: str | None,
    ) -> None:
        self.task = task
        self.kinds = kinds
        self.provenance = provenance
        self.report = report
        self.maps = LabelMaps.from_labels(task.labels)
        specs = {
            label["name"]: {
                a["name"]: spec_from_cvat_attribute(a)
                for a in label.get("attributes") or ()
                if a["name"] != ID_ATTR
            }
            for label in task.labels
        }
        self.options = convert.ConvertOptions(
            class_attributes=specs,
            attributes={},
            occluded_attr=occluded_attr,
            group_id_attr=group_id_attr,
            coerce_text=True,
        )

    def _where(self, frame: Any) -> str:
        return f"task {self.task.task_id} frame {frame}"

    def _model(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """The object with label and attribute names instead of server ids."""
        model = {k: v for k, v in obj.items() if k not in ("label_id", "attributes")}
        model["label"] = self.maps.label_names.get(int(obj["label_id"]))
        model["attributes"] = named_attributes(obj.get("attributes"), self.maps)
        return model

    def _wanted(self, obj: Mapping[str, Any], frame: Any) -> bool:
        kind = FIELD_OF_TYPE.get(obj.get("type", "tag"))
        if kind is None:
            self.report.skip(
                f"CVAT {obj.get('type')} shapes have no labelloop label kind", self._where(frame)
            )
            return False
        if kind not in self.kinds:
            self.report.excluded[kind] += 1
            return False
        return True

    def frame_labels(self, frame_size: Any) -> dict[int, list[tuple[str, Label]]]:
        """Every wanted tag, shape and track of the task, deleted frames left out."""
        data = self.task.annotations
        out: dict[int, list[tuple[str, Label]]] = {}
        by_frame: dict[int, list[Mapping[str, Any]]] = {}
        for obj in (data.get("tags") or []) + (data.get("shapes") or []):
            frame = int(obj["frame"])
            if self._wanted(obj, frame):
                by_frame.setdefault(frame, []).append(obj)
        for frame, objects in by_frame.items():
            size = frame_size(frame)
            for label in self._plain(objects, size, frame):
                out.setdefault(frame, []).append((KIND_OF_LABEL[type(label).__name__], label))
        tracks = sorted(data.get("tracks") or [], key=lambda t: int(t.get("id") or 0))
        for index, track in enumerate(tracks, start=1):
            shape_type = next((s.get("type") for s in track.get("shapes") or ()), None)
            if self._wanted({"type": shape_type or "rectangle"}, track.get("frame")):
                for frame, label in self._track(track, index, frame_size):
                    out.setdefault(frame, []).append((KIND_OF_LABEL[type(label).__name__], label))
        for frame in self.task.deleted & set(out):
            self.report.skip(
                "labels on frames deleted in CVAT", self._where(frame), len(out[frame])
            )
            del out[frame]
        return out

    def _plain(self, objects: list[Mapping[str, Any]], size: Any, frame: int) -> list[Label]:
        """Labels of one frame: objects carrying a label id keep it (polygon parts of one
        label join again), the others get ids derived from their server ids."""
        with_id, without = [], []
        for obj in objects:
            model = self._model(obj)
            has_id = any(
                a["name"] == ID_ATTR and is_id(a.get("value")) for a in model["attributes"]
            )
            (with_id if has_id else without).append(model)
        labels: list[Label] = []
        try:
            labels.extend(convert.from_cvat_objects(with_id, size, self.options))
        except (UnsupportedObjectError, ValueError) as err:
            self.report.skip(f"objects not convertible: {err}", self._where(frame), len(with_id))
        for model in without:
            try:
                label = convert.from_cvat(model, size, self.options)
            except (UnsupportedObjectError, ValueError) as err:
                self.report.skip(f"objects not convertible: {err}", self._where(frame))
                continue
            kind = "tag" if model.get("type", "tag") == "tag" else "shape"
            label["id"] = loaded_id(self.provenance, self.task.task_id, kind, model.get("id"))
            labels.append(label)
        return labels

    def _track(self, track: Mapping[str, Any], index: int, frame_size: Any) -> list[Any]:
        model = self._model(track)
        model["shapes"] = [
            {**shape, **{"attributes": self._model({**shape, "label_id": 0})["attributes"]}}
            for shape in track.get("shapes") or ()
        ]
        own_ids = {
            a["value"]
            for shape in model["shapes"]
            for a in shape["attributes"]
            if a["name"] == ID_ATTR and is_id(a.get("value"))
        }
        size = frame_size(int(track.get("frame") or 0))
        stop = int(self.task.meta.get("size") or 0)
        out = []
        try:
            for frame, label in track_labels(model, size, stop, index=index, options=self.options):
                if not label.get_field("keyframe"):
                    label["keyframe"] = False
                if not (label.keyframe and label.id in own_ids):
                    label["id"] = loaded_id(
                        self.provenance, self.task.task_id, "track", track.get("id"), frame
                    )
                out.append((frame, label))
        except (UnsupportedObjectError, ValueError) as err:
            self.report.skip(f"tracks not expandable: {err}", self._where(track.get("frame")))
            return []
        return out
