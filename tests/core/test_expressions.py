"""Expressions: the store's compiled filters agree with the Python evaluator."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import Detection, Detections
from tests.core.strategies import logic_of

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(["a", "b", "c", ""]),
)
attrs = st.sampled_from(["confidence", "label", "score"])


def _comparison(draw_attr, literal, op):
    field = F(draw_attr)
    return {
        "==": field == literal,
        "!=": field != literal,
        "<": field < literal,
        "<=": field <= literal,
        ">": field > literal,
        ">=": field >= literal,
    }[op]


leaf = st.one_of(
    st.builds(
        _comparison,
        attrs,
        st.one_of(st.integers(-3, 3), st.floats(-2, 2), st.sampled_from(["a", "b"]), st.none()),
        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    ),
    st.builds(lambda a, vs: F(a).is_in(vs), attrs, st.lists(st.integers(-3, 3), min_size=1)),
    st.builds(lambda a, vs: F(a).is_in(vs), attrs, st.lists(st.sampled_from("abc"), min_size=1)),
    st.builds(lambda a, b: F(a).exists(b), attrs, st.booleans()),
)
exprs = logic_of(leaf, max_leaves=6)
labels = st.lists(
    st.fixed_dictionaries({}, optional={"confidence": values, "label": values, "score": values}),
    max_size=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expr=exprs, dets=labels)
def test_compiled_and_python_filters_agree(dataset, expr, dets):
    dataset.clear()
    dataset.add_sample(
        ll.Sample("/x.jpg", predictions=Detections(detections=[Detection(**d) for d in dets]))
    )
    assert dataset._store.can_compile(expr._serialize())
    compiled = dataset.filter_labels("predictions", expr, only_matches=False)
    # the same condition made uncompilable (strlen is evaluated in Python only)
    python = dataset.filter_labels(
        "predictions", expr | (F("label").strlen() < -1), only_matches=False
    )
    fast = compiled.values("predictions.detections.id")
    slow = python.values("predictions.detections.id")
    assert fast == slow
    assert compiled.count("predictions.detections") == len(slow[0])
