"""Shared strategies and comparisons for the converter tests."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from labelloop.core.labels import Label

#: Modest, deterministic property-test settings that keep this folder fast.
FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

FRAME_SIZES = st.tuples(st.integers(1, 4096), st.integers(1, 4096))
UNIT = st.floats(0, 1, allow_nan=False, allow_infinity=False)
CLASS_NAMES = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=12
)
# Attribute values by schema type: text keeps any non-empty string ("007", "true" too).
TEXT_VALUES = st.text(min_size=1, max_size=10)
NUMBER_VALUES = st.one_of(
    st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False)
)
SPEC_OF = {"text": TEXT_VALUES, "number": NUMBER_VALUES, "checkbox": st.booleans()}


@st.composite
def attribute_sets(draw: Any) -> tuple[dict[str, dict], dict[str, Any]]:
    """``(schema, values)``: a random attribute schema and values fitting it."""
    names = draw(
        st.lists(
            st.sampled_from(["note", "code", "iscrowd", "score", "kind"]), unique=True, max_size=4
        )
    )
    schema: dict[str, dict] = {}
    values: dict[str, Any] = {}
    for name in names:
        kind = draw(st.sampled_from(["text", "number", "checkbox", "select"]))
        if kind == "select":
            options = draw(
                st.lists(
                    st.one_of(TEXT_VALUES, st.integers(0, 99)),
                    min_size=1,
                    max_size=4,
                    unique_by=str,
                )
            )
            schema[name] = {"type": "select", "values": options}
            values[name] = draw(st.sampled_from(options))
        else:
            schema[name] = {"type": kind, "values": [] if kind == "text" else [True, False]}
            values[name] = draw(SPEC_OF[kind])
    return schema, values


def assert_close(a: Any, b: Any, tol: float = 1e-9, path: str = "label") -> None:
    """Deep equality of label dicts, floats within ``tol``, NaN equal to NaN."""
    if isinstance(a, Label):
        a, b = a.to_dict(), b.to_dict()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), path
        assert a.shape == b.shape and np.array_equal(a, b), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (path, a.keys(), b.keys())
        for key in a:
            assert_close(a[key], b[key], tol, f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (path, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, tol, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool) and isinstance(b, (int, float)):
        if math.isnan(a):
            assert math.isnan(b), path
        else:
            assert abs(a - b) <= tol, (path, a, b)
    else:
        assert type(a) is type(b) and a == b, (path, a, b)
