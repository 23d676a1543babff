"""View execution: random stage chains give the same samples as a plain-Python model."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import Detection, Detections


@pytest.fixture(scope="module")
def scored():
    rng = random.Random(5)
    ds = ll.Dataset()
    ds.add_samples(
        ll.Sample(
            f"/p/{i}.jpg",
            a=rng.randint(0, 5),
            b=rng.random(),
            dets=Detections(detections=[Detection(confidence=rng.random()) for _ in range(i % 4)]),
        )
        for i in range(30)
    )
    rows = [
        {"id": i, "a": a, "b": b, "conf": c}
        for i, a, b, c in zip(
            ds.values("id"), ds.values("a"), ds.values("b"), ds.values("dets.detections.confidence")
        )
    ]
    yield ds, rows
    ds.delete()


def _model(rows, steps):
    rows = [dict(r) for r in rows]
    for kind, arg in steps:
        if kind == "match":
            rows = [r for r in rows if r["a"] > arg]
        elif kind == "sort":
            rows = sorted(rows, key=lambda r: r["b"], reverse=arg)
        elif kind == "skip":
            rows = rows[arg:]
        elif kind == "limit":
            rows = rows[:arg]
        elif kind == "take":
            picked = random.Random(arg).sample(range(len(rows)), min(4, len(rows)))
            rows = [rows[i] for i in picked]
        elif kind == "filter":
            rows = [{**r, "conf": [c for c in r["conf"] if c > arg]} for r in rows]
            rows = [r for r in rows if r["conf"]]
        elif kind == "select":
            wanted = [r["id"] for r in rows][::-2]
            keep = set(wanted)
            rows = [r for r in rows if r["id"] in keep]
        elif kind == "select_ordered":
            order = [r["id"] for r in rows][::-1][:5]
            by_id = {r["id"]: r for r in rows}
            rows = [by_id[i] for i in order]
    return rows


def _apply(view, rows, steps):
    current = rows
    for kind, arg in steps:
        if kind == "match":
            view = view.match(F("a") > arg)
        elif kind == "sort":
            view = view.sort_by("b", reverse=arg)
        elif kind == "skip":
            view = view.skip(arg)
        elif kind == "limit":
            view = view.limit(arg)
        elif kind == "take":
            view = view.take(4, seed=arg)
        elif kind == "filter":
            view = view.filter_labels("dets", F("confidence") > arg)
        elif kind == "select":
            view = view.select([r["id"] for r in current][::-2])
        elif kind == "select_ordered":
            view = view.select([r["id"] for r in current][::-1][:5], ordered=True)
        current = _model(rows, steps[: steps.index((kind, arg)) + 1])
    return view


steps = st.lists(
    st.one_of(
        st.tuples(st.just("match"), st.integers(0, 4)),
        st.tuples(st.just("sort"), st.booleans()),
        st.tuples(st.just("skip"), st.integers(0, 6)),
        st.tuples(st.just("limit"), st.integers(0, 12)),
        st.tuples(st.just("take"), st.integers(0, 99)),
        st.tuples(st.just("filter"), st.sampled_from([0.2, 0.5, 0.8])),
        st.tuples(st.just("select"), st.none()),
        st.tuples(st.just("select_ordered"), st.none()),
    ),
    max_size=5,
    unique=True,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chain=steps)
def test_stage_chains_match_the_model(scored, chain):
    ds, rows = scored
    view = _apply(ds, rows, chain)
    expected = _model(rows, chain)
    assert view.values("id") == [r["id"] for r in expected]
    assert view.values("dets.detections.confidence") == [r["conf"] for r in expected]
    assert [s.id for s in view] == [r["id"] for r in expected]
    assert len(view) == len(expected)
