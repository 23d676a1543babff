"""A results class for run-record tests (loaded by dotted path like real layers do)."""

from __future__ import annotations

from typing import Any


class CountResults:
    """Results holding one number and the dataset they were loaded with."""

    def __init__(self, total: int, samples: Any = None) -> None:
        self.total = total
        self.samples = samples

    def to_dict(self) -> dict[str, Any]:
        return {"cls": f"{__name__}.CountResults", "total": self.total}

    @classmethod
    def from_dict(cls, data: dict[str, Any], samples: Any) -> CountResults:
        return cls(data["total"], samples)
