"""NaN and Infinity in the labels a run would send, refused before any request.

JSON has no NaN or Infinity: CVAT answers ``400`` to a body holding them, after
the run's tasks exist. So every coordinate and schema attribute of the labels a
run uploads is checked first, and one error names the sample, the field and the
label to fix. A keypoint may be ``(nan, nan)``: that is a missing point, which
the converter leaves out; Infinity is refused there too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from labelloop.core.labels import LIST_LABELS, Label
from labelloop.cvat.schema import CVATSchema, FieldLabels

_COORDINATES = ("bounding_box", "points")


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)


def _bad(value: Any, nan_ok: bool) -> bool:
    return any(not math.isfinite(v) and not (nan_ok and math.isnan(v)) for v in _numbers(value))


def _labels(value: Any) -> list[Label]:
    if isinstance(value, LIST_LABELS):
        return list(value.items())
    return [value] if isinstance(value, Label) else []


def _attribute_names(spec: FieldLabels) -> set[str]:
    return {name for specs in spec.attributes.values() for name in specs}


def non_finite_part(label: Label, attributes: Iterable[str]) -> str | None:
    """The first coordinate or attribute of ``label`` that JSON cannot hold, if any."""
    nan_ok = type(label).__name__ == "Keypoint"
    for name in _COORDINATES:
        if label.has_field(name) and _bad(label.get_field(name), nan_ok and name == "points"):
            return name
    for name in attributes:
        if label.has_field(name) and _bad(label.get_field(name), False):
            return f"attribute {name!r}"
    return None


def _error(sample: str, field: str, label: Label, part: str) -> ValueError:
    return ValueError(
        f"Sample {sample}, field '{field}': {type(label).__name__} {label.id} "
        f"({label.get_field('label')!r}) has a {part} that is NaN or Infinity, which JSON "
        "and CVAT cannot hold; fix or delete that label before annotating "
        f"(e.g. dataset.delete_labels(ids=[{label.id!r}]))"
    )


def refuse_non_finite(cvat_schema: CVATSchema, values: Iterable[tuple[str, str, Any]]) -> None:
    """Raise for the first ``(sample description, field, value)`` whose labels hold NaN or
    Infinity in a coordinate or a schema attribute."""
    attributes = {name: _attribute_names(spec) for name, spec in cvat_schema.fields.items()}
    for sample, field, value in values:
        if field not in attributes or cvat_schema.fields[field].label_type == "segmentation":
            continue
        for label in _labels(value):
            part = non_finite_part(label, attributes[field])
            if part is not None:
                raise _error(sample, field, label, part)


def image_values(cvat_schema: CVATSchema, rows: Iterable[Any]) -> Iterator[tuple[str, str, Any]]:
    """``(sample description, field, value)`` of image rows (``sample_id``, ``media_path``,
    ``values``) for :func:`refuse_non_finite`."""
    for row in rows:
        for name in cvat_schema.fields:
            yield f"{row.sample_id} ({row.media_path})", name, row.values.get(name)


def has_non_finite(samples: Any, path: str, cvat_schema: CVATSchema, field: str) -> bool:
    """Whether the labels at ``path`` (``frames.<field>[.<list>]``) of ``samples`` hold NaN
    or Infinity anywhere the upload reads: one ``distinct`` query per coordinate/attribute."""
    spec = cvat_schema.fields[field]
    for name in (*_COORDINATES, *sorted(_attribute_names(spec))):
        found = samples.distinct(f"{path}.{name}")
        # keypoints' (nan, nan) is allowed; such fields are re-checked label by label
        if any(isinstance(v, float) and not math.isfinite(v) for v in found):
            return True
    return False
