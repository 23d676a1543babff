"""Plain stand-ins for schema inference tests (no dataset needed)."""

from __future__ import annotations

from typing import Any

from labelloop.annotation.schema import FieldInfo
from labelloop.annotation.summary import LabelSummary
from labelloop.core.labels import Label


class PlainSource:
    """A :class:`~labelloop.annotation.schema.SchemaSource` over plain dicts."""

    def __init__(
        self,
        media_type: str = "image",
        fields: dict[str, FieldInfo] | None = None,
        labels: dict[str, list[Label]] | None = None,
        classes: dict[str, list[str]] | None = None,
        default_classes: list[str] | None = None,
        mask_targets: dict[str, dict[Any, str]] | None = None,
    ) -> None:
        self.media_type = media_type
        self.fields = fields or {}
        self.labels = labels or {}
        self.classes = classes or {}
        self.default_classes = default_classes
        self.mask_targets = mask_targets or {}

    def field_info(self, path: str) -> FieldInfo | None:
        return self.fields.get(path)

    def label_summary(self, path: str) -> LabelSummary:
        return LabelSummary.of(self.labels.get(path, []))

    def declared_classes(self, path: str) -> list[str] | None:
        return self.classes.get(path) or self.default_classes

    def declared_mask_targets(self, path: str) -> dict[Any, str] | None:
        return self.mask_targets.get(path)
