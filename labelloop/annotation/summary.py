"""What schema inference needs to know about a field's existing labels, in one pass.

A :class:`LabelSummary` is filled label by label and keeps only counts, the
set of classes and the first value of each attribute, so inferring the schema
of a dense video field never holds its labels in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from labelloop.annotation.attributes import observed_attributes
from labelloop.core.labels import Label


@dataclass
class LabelSummary:
    """Counts and observed values of a field's labels (list labels' items)."""

    count: int = 0
    masked: int = 0
    filled: int = 0
    classes: set[str] = field(default_factory=set)
    attributes: dict[str, Any] = field(default_factory=dict)
    keyframe_flags: int = 0
    any_keyframe: bool = False

    @classmethod
    def of(cls, labels: Iterable[Label]) -> LabelSummary:
        """The summary of ``labels`` (consumed once, never stored)."""
        summary = cls()
        for label in labels:
            summary.add(label)
        return summary

    def add(self, label: Label) -> None:
        """Account for one label."""
        self.count += 1
        self.masked += label.get_field("mask") is not None
        self.filled += bool(label.get_field("filled"))
        name = label.get_field("label")
        if name is not None:
            self.classes.add(name)
        if label.has_field("keyframe"):
            self.keyframe_flags += 1
            self.any_keyframe |= bool(label.get_field("keyframe"))
        observed_attributes([label], (), self.attributes)

    def observed_attributes(self, exclude: Iterable[str] = ()) -> dict[str, Any]:
        """First value of each custom attribute, without the names in ``exclude``."""
        skip = set(exclude)
        return {k: v for k, v in self.attributes.items() if k not in skip}
