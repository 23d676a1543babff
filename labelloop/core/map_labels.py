"""``map_labels(field, map)``: a view whose label classes are renamed on the fly.

Every label of the field (items of list labels, across frames for
``frames.`` fields) whose ``label`` is a key of ``map`` shows the mapped
value. Saving a sample of the view stores what it shows, so the mapped
names are written back, as the reference does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from labelloop.core.label_stages import LabelPath
from labelloop.core.stages import Doc, Stage

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset


class MapLabels(Stage):
    """Rename the ``label`` of a field's labels through a dict."""

    def __init__(self, field: str, map: dict[str, Any]) -> None:
        if not isinstance(map, dict):
            raise ValueError(f"map_labels() needs a dict of old -> new labels, not {map!r}")
        self.field = field
        self.map = dict(map)
        self.frames_needed = field.startswith("frames.")

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self.field, "map": self.map}

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> MapLabels:
        return cls(kw["field"], kw["map"])

    def validate(self, dataset: Dataset) -> None:
        LabelPath(dataset, self.field)

    def _rename(self, labels: Iterable[Doc]) -> None:
        for label in labels:
            if label.get("label") in self.map:
                label["label"] = self.map[label["label"]]

    def apply(self, docs: Iterable[Doc], dataset: Dataset) -> Iterator[Doc]:
        path = LabelPath(dataset, self.field)
        for doc in docs:
            self._rename(path.sample_labels(doc))
            yield doc

    def frame_filter(self, dataset: Dataset) -> Callable[[Doc], Doc] | None:
        path = LabelPath(dataset, self.field)
        if not path.is_frame:
            return None

        def apply(frame: Doc) -> Doc:
            self._rename(path.labels(frame))
            return frame

        return apply
