"""Views the store selects in SQL give exactly the Python evaluator's samples, in order.

Every expression and stage form the view compiler (``labelloop.store.sqlview``)
accepts is drawn here; the reference is the same view evaluated in Python (the
store's ``view_ids`` switched off). Runs on whichever engine the suite uses.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core import planner
from tests.core.python_views import python_ids
from tests.core.strategies import logic_of

CLASSES = ["cat", "dog", "Cat", ""]


@pytest.fixture(scope="module")
def mixed():
    """Samples with missing, null, empty and oddly typed fields and label attributes."""
    ds = _mixed_dataset()
    yield ds
    ds.delete()


@pytest.fixture
def indexed():
    """The same samples, with the label attributes the expressions compare indexed (the
    indexes are the database's: deleting the dataset drops them, so ``mixed`` is again
    compiled without)."""
    ds = _mixed_dataset()
    for path in ("predictions.detections.score", "predictions.detections.label", "gt.confidence"):
        ds.create_index(path)
    yield ds
    ds.delete()
    assert not {a for a, _ in ds._store.dialect.indexed} & {"score", "label", "confidence"}


def _mixed_dataset():
    rng = random.Random(11)
    ds = ll.Dataset()
    samples = []
    attr_values = [None, True, False, 0, 1, 0.5, 2.5, -1, "a", "cat", ""]
    for i in range(40):
        dets = []
        for _ in range(rng.randrange(0, 6)):
            det = ll.Detection(label=rng.choice([*CLASSES, None]))
            det.tags = rng.sample(["p", "q"], rng.randrange(0, 3))
            for attr in ("confidence", "score"):
                if rng.random() < 0.8:
                    det[attr] = rng.choice(attr_values)
            dets.append(det)
        fields = {}
        if i % 6:
            fields["predictions"] = ll.Detections(detections=dets)
        if i % 4:
            fields["gt"] = ll.Classification(label=rng.choice([*CLASSES, None]))
            fields["gt"]["confidence"] = rng.choice(attr_values)
        if i % 3:
            fields["x"] = rng.choice([None, 0.0, 1.0, 2.5, -3.0])
        if i % 5:
            fields["name"] = rng.choice([None, "a", "b", "", "Ä", "B"])
        if i % 9 == 0:  # lists and objects sort by repr in Python: SQL falls back
            fields["odd"] = [i, "x"]
        tags = rng.sample(["a", "b", "c"], rng.randrange(0, 3))
        samples.append(ll.Sample(f"/s/{i}.jpg", tags=tags, **fields))
    ds.add_samples(samples)
    return ds


literals = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from([0.5, 2.5, -1.0]),
    st.sampled_from(["a", "cat", "Cat", ""]),
)
ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def _cmp(expr, op, value):
    return {
        "==": lambda: expr == value,
        "!=": lambda: expr != value,
        "<": lambda: expr < value,
        "<=": lambda: expr <= value,
        ">": lambda: expr > value,
        ">=": lambda: expr >= value,
    }[op]()


label_attrs = st.sampled_from(["label", "confidence", "score", "missing", "id"])
label_leaf = st.one_of(
    st.builds(lambda a, op, v: _cmp(F(a), op, v), label_attrs, ops, literals),
    st.builds(lambda a, b: F(a).exists(b), label_attrs, st.booleans()),
    st.builds(lambda a: F(a).is_in(["cat", "a"]), label_attrs),
    st.builds(lambda a: F(a).is_in([0, 1, 2.5]), label_attrs),
)
label_exprs = logic_of(label_leaf, max_leaves=3)
sample_paths = st.sampled_from(["x", "name", "gt.label", "gt.confidence", "id", "filepath"])
lengths = st.one_of(
    st.just(F("predictions.detections").length()),
    st.just(F("predictions.detections.label").length()),
    st.builds(lambda e: F("predictions.detections").filter(e).length(), label_exprs),
)
sample_leaf = st.one_of(
    st.builds(lambda p, op, v: _cmp(F(p), op, v), sample_paths, ops, literals),
    st.builds(lambda p, b: F(p).exists(b), sample_paths, st.booleans()),
    st.builds(lambda p: F(p).is_in(["a", "cat", ""]), sample_paths),
    st.builds(lambda p: F(p).is_in([0, 1, 2.5]), sample_paths),
    st.builds(lambda e, op, v: _cmp(e, op, v), lengths, ops, literals),
    st.builds(
        lambda vs, all_: F("predictions.detections.label").contains(vs, all=all_),
        st.lists(st.sampled_from(CLASSES), min_size=1, max_size=2),
        st.booleans(),
    ),
    st.builds(lambda p, b: F(p).exists(b), st.sampled_from(["predictions", "gt"]), st.booleans()),
    st.builds(lambda b: F("predictions.detections").exists(b), st.booleans()),
)
numbers = st.one_of(st.integers(-2, 2), st.sampled_from([0.5, True]))
arith = st.sampled_from(["+", "-", "*", "/"])


def _arith(expr, op, k):
    return {"+": expr + k, "-": k - expr, "*": expr * k, "/": expr / k if k else k / expr}[op]


computed = st.one_of(
    st.builds(
        _arith, st.builds(F, st.sampled_from(["x", "gt.confidence", "name"])), arith, numbers
    ),
    st.builds(_arith, lengths, arith, numbers),
    st.builds(lambda p: -(F(p) + 0), st.sampled_from(["x", "gt.confidence"])),
    st.builds(lambda p: F(p).strlen(), st.sampled_from(["name", "gt.label"])),
)
strings = st.one_of(
    st.builds(
        lambda p, a, cs, end: (F(p).ends_with if end else F(p).starts_with)(a, case_sensitive=cs),
        st.sampled_from(["name", "gt.label", "id"]),
        st.sampled_from(["a", "", "C", ["b", "ca"]]),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(
        lambda p, r: F(p).re_match(r),
        st.sampled_from(["name", "gt.label"]),
        st.sampled_from(["^c", "t$", "[AB]", "a|Ä"]),
    ),
    st.builds(lambda p, v: F(p).lower() == v, st.sampled_from(["name", "gt.label"]), literals),
)
sample_leaf = st.one_of(
    sample_leaf,
    st.builds(lambda e, op, v: _cmp(e, op, v), computed, ops, st.integers(-2, 3)),
    strings,
    st.builds(lambda p: F(p).is_in([None, 1, "a", True]), sample_paths),
)
sample_exprs = logic_of(sample_leaf, max_leaves=3)
label_fields = st.sampled_from([None, "predictions", "gt", ["gt", "predictions"]])
label_ids = st.integers(0, 3)  # every third label id from this one (None: no ids)
label_stages = st.one_of(
    st.builds(
        lambda f, t, e, b, k: ("match_labels", dict(fields=f, tags=t, filter=e, bool=b, ids=k)),
        label_fields,
        st.lists(st.sampled_from("pq"), max_size=1),
        st.one_of(st.none(), label_exprs),
        st.booleans(),
        st.one_of(st.none(), label_ids),
    ),
    st.builds(
        lambda kind, f, t, o, k: (kind, dict(fields=f, tags=t, omit_empty=o, ids=k)),
        st.sampled_from(["select_labels", "exclude_labels"]),
        label_fields,
        st.lists(st.sampled_from("pq"), max_size=1),
        st.booleans(),
        st.one_of(st.none(), label_ids),
    ),
)
filters = st.one_of(
    st.builds(lambda e, o: ("filter_labels", ("predictions", e, o)), label_exprs, st.booleans()),
    st.builds(lambda e, o: ("filter_labels", ("gt", e, o)), label_exprs, st.booleans()),
)
selecting = st.one_of(
    st.builds(lambda e: ("match", (e,)), sample_exprs),
    filters,
    st.builds(
        lambda t, b, a: ("match_tags", (t, b, a)),
        st.lists(st.sampled_from("abc"), max_size=2),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(
        lambda f, b: ("exists", (f, b)),
        st.sampled_from(["x", "name", "gt", "predictions"]),
        st.booleans(),
    ),
    st.builds(lambda k: ("select", (k,)), st.integers(0, 3)),
    st.builds(lambda k: ("exclude", (k,)), st.integers(0, 3)),
    label_stages,
)
sort_keys = st.one_of(
    lengths,
    computed,
    st.sampled_from(["x", "name", "gt.label", "gt.confidence", "id", "odd"]),
    st.builds(F, st.sampled_from(["x", "gt.confidence", "odd"])),
)
sorts = st.builds(lambda e, r: ("sort_by", (e, r)), sort_keys, st.booleans())


def _view(ds, steps):
    ids = ds.values("id")
    view = ds.view()
    for kind, args in steps:
        if kind in ("select", "exclude"):
            picked = ids[args[0] :: 3]
            view = getattr(view, kind)(picked)
        elif kind == "match_tags":
            view = view.match_tags(args[0], bool=args[1], all=args[2])
        elif kind == "filter_labels":
            view = view.filter_labels(args[0], args[1], only_matches=args[2])
        elif kind == "sort_by":
            view = view.sort_by(args[0], reverse=args[1])
        elif kind in ("match_labels", "select_labels", "exclude_labels"):
            kwargs = dict(args)
            if kwargs["ids"] is not None:
                label_ids = ds.values("predictions.detections.id", unwind=True)
                kwargs["ids"] = (
                    label_ids[kwargs["ids"] :: 3] + [i for i in ds.values("gt.id") if i][::3]
                )
            view = getattr(view, kind)(**kwargs)
        else:
            view = getattr(view, kind)(*args)
    return view


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(selecting, min_size=1, max_size=3), sort=st.lists(sorts, max_size=2))
def test_views_compiled_to_sql_equalpython_ids(mixed, steps, sort):
    _check_view(mixed, steps, sort)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(selecting, min_size=1, max_size=3), sort=st.lists(sorts, max_size=2))
def test_views_over_indexed_attributes_equalpython_ids(indexed, steps, sort):
    """Comparisons of indexed attributes are spelled for their index: the same samples."""
    assert indexed._store.dialect.indexed
    _check_view(indexed, steps, sort)


def _check_view(mixed, steps, sort):
    view = _view(mixed, steps + sort)
    compiled = planner.view_ids(view)
    if compiled is None:  # only a sort on a field holding a list somewhere falls back, or on
        # arithmetic of a field holding strings (Python's answer may be a string)
        # (and case folding on PostgreSQL, whose is the server locale's)
        sorted_odd = any(re.search("odd|gt.confidence|name", repr(args[0])) for _, args in sort)
        folded = mixed._store.dialect.name == "postgresql" and re.search("lower|_with", repr(view))
        assert sorted_odd or folded, view
        assert view.values("id") == python_ids(view)
        assert view.count() == len(python_ids(view))  # counted in SQL: the order is no matter
        return
    assert compiled == python_ids(view)
    assert view.count() == len(compiled)


def test_sorting_by_plain_fields_orders_aspython_ids(mixed):
    """None < numbers and booleans < strings (by code point, whatever the collation); a
    field holding lists (ordered by repr in Python) is sorted in Python."""
    for key in ("name", "x", F("gt.confidence"), "gt.label"):
        for reverse in (False, True):
            view = mixed.sort_by(key, reverse=reverse)
            assert planner.view_ids(view) == python_ids(view)
    names = mixed.sort_by("name").values("name")
    assert [n for n in names if n in ("B", "a", "Ä")] == sorted(
        n for n in names if n in ("B", "a", "Ä")
    )
    odd = mixed.sort_by("odd")
    assert planner.view_ids(odd) is None
    assert odd.values("id") == python_ids(odd)


def test_uncompilable_stages_run_inpython_ids(mixed):
    view = mixed.match(F("name").sum() > 0).sort_by("x")
    assert planner.view_ids(view) is None
    assert view.values("id") == python_ids(view)
    # a compiled prefix, the rest in Python: the same samples
    mixed_view = mixed.match(F("predictions.detections").length() > 1).match(F("name").sum() > 0)
    assert mixed_view.values("id") == python_ids(mixed_view)


def test_filter_labels_still_hides_labels_after_sql_selection(mixed):
    view = mixed.filter_labels("predictions", F("label") == "cat").match(
        F("predictions.detections").length() > 1
    )
    assert planner.view_ids(view) is not None
    for sample in view:
        labels = [d.label for d in sample.predictions.detections]
        assert len(labels) > 1 and set(labels) == {"cat"}


def test_selecting_more_ids_than_sql_parameters(dataset):
    dataset.add_samples(ll.Sample(f"/many/{i}.jpg") for i in range(40_000))
    ids = dataset.values("id")
    view = dataset.select(ids[:35_000][::-1]).exclude(ids[:1])  # dataset order kept
    assert planner.view_ids(view) is not None
    assert view.count() == 34_999
    assert view.values("id") == ids[1:35_000]


@pytest.fixture(scope="module")
def videos():
    """Videos whose frames have detections (some tagged), a frame label and a plain field."""
    rng = random.Random(5)
    ds = ll.Dataset()
    samples = []
    for i in range(12):
        sample = ll.Sample(f"/v/{i}.mp4")
        for number in range(1, rng.randrange(1, 4)):
            frame = sample.frames[number]
            if rng.random() < 0.7:
                dets = [
                    ll.Detection(label=rng.choice(CLASSES), confidence=rng.random())
                    for _ in range(rng.randrange(0, 3))
                ]
                for det in dets:
                    det.tags = rng.sample(["p", "q"], rng.randrange(0, 2))
                frame["detections"] = ll.Detections(detections=dets)
            if rng.random() < 0.5:
                frame["scene"] = ll.Classification(label=rng.choice(CLASSES))
            if rng.random() < 0.5:
                frame["flag"] = rng.choice([None, 1, "a"])
        samples.append(sample)
    ds.add_samples(samples)
    yield ds
    ds.delete()


frame_stages = st.one_of(
    st.builds(
        lambda f, e, o: ("filter_labels", (f, e, o)),
        st.sampled_from(["frames.detections", "frames.scene"]),
        label_exprs,
        st.booleans(),
    ),
    st.builds(
        lambda f, e, b: ("match_labels", dict(fields=f, filter=e, bool=b, ids=None)),
        st.sampled_from([None, "frames.detections", "frames.scene"]),
        label_exprs,
        st.booleans(),
    ),
    st.builds(
        lambda kind, f, t, o: (kind, dict(fields=f, tags=t, omit_empty=o, ids=None)),
        st.sampled_from(["select_labels", "exclude_labels"]),
        st.sampled_from([None, "frames.detections"]),
        st.lists(st.sampled_from("pq"), max_size=1),
        st.booleans(),
    ),
    st.builds(
        lambda f, b: ("exists", (f, b)),
        st.sampled_from(["frames.detections", "frames.scene", "frames.flag"]),
        st.booleans(),
    ),
    st.builds(
        lambda op, v: ("match", (_cmp(F("frames").length(), op, v),)), ops, st.integers(0, 3)
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(frame_stages, min_size=1, max_size=3))
def test_frame_label_stages_compiled_to_sql_equalpython_ids(videos, steps):
    view = _view(videos, steps)
    compiled = planner.view_ids(view)
    assert compiled is not None, view
    assert compiled == python_ids(view)
