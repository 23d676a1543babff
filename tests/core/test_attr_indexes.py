"""Indexes of label attributes (``Dataset.create_index``): filters on an indexed attribute
are answered from its index (the query plan names it) with exactly the samples and labels
they gave from the documents, writes keep the index, and the indexes live and go with the
datasets that asked for them. Runs on whichever engine the suite uses."""

from __future__ import annotations

import random
import uuid

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core import planner
from labelloop.store import hot
from labelloop.store.sqlexpr import compile_expr
from tests.core.python_views import python_ids

VALUES = ["tp", "fp", None, 1, 0.5, True, "", [1]]


def _samples(n: int, seed: int = 3) -> list[ll.Sample]:
    rng = random.Random(seed)
    samples = []
    for i in range(n):
        dets = []
        for _ in range(rng.randrange(0, 5)):
            det = ll.Detection(label=rng.choice(["cat", "dog"]), confidence=rng.random())
            if rng.random() < 0.8:
                det["ev"] = rng.choice(VALUES)
            if rng.random() < 0.7:
                det["iou"] = rng.choice([rng.random(), "x", None])
            dets.append(det)
        gt = ll.Classification(label="cat", ev=rng.choice(VALUES)) if i % 3 else None
        samples.append(ll.Sample(f"/i/{i}.jpg", predictions=ll.Detections(detections=dets), gt=gt))
    return samples


FILTERS = [
    F("ev") == "tp",
    F("ev") != "tp",
    ~(F("ev") == "tp"),
    F("ev") == 1,
    ~(F("ev") == True),  # noqa: E712 (an expression, not a test)
    F("iou") > 0.5,
    ~(F("iou") > 0.5),
    F("iou") <= 0.5,
    F("ev").is_in(["fp", 0.5]),
    ~F("ev").is_in(["fp", ""]),
    (F("ev") == "fp") | (F("iou") < 0.2),
    (F("ev") == "tp") & ~(F("label") == "cat"),
]


def _answers(ds: ll.Dataset) -> list:
    out = []
    for expr in FILTERS:
        view = ds.filter_labels("predictions", expr)
        out.append((view.values("id"), view.values("predictions.detections.id")))
        out.append(
            ds.filter_labels("predictions", expr, only_matches=False).count(
                "predictions.detections"
            )
        )
        out.append(ds.match(F("predictions.detections").filter(expr).length() >= 2).values("id"))
        out.append(ds.match_labels(filter=expr, fields="predictions", bool=False).values("id"))
    out.append(ds.match(F("gt.ev") == "tp").values("id"))
    for path in ("predictions.detections.ev", "predictions.detections.iou", "gt.ev"):
        counts = ds.count_values(path)  # True and 1 are told apart, [1] kept
        out.append(sorted((repr(k), v) for k, v in counts.items()))
        out.append(
            sorted(
                repr(k) for k in ds.filter_labels("predictions", F("iou") > 0.3).count_values(path)
            )
        )
    out.append(ds.match(~(F("gt.ev") == "tp")).values("id"))
    return out


def test_indexed_filters_give_what_the_documents_give(dataset):
    dataset.add_samples(_samples(60))
    before = _answers(dataset)
    for path in ("predictions.detections.ev", "predictions.detections.iou", "gt.ev"):
        assert dataset.create_index(path) == path
    assert dataset.list_indexes() == [
        "gt.ev",
        "predictions.detections.ev",
        "predictions.detections.iou",
    ]
    kinds = dataset._store.label_indexes(dataset._id)
    assert kinds["predictions.detections.ev"] == ["string", "number", "boolean"]
    assert kinds["predictions.detections.iou"] == ["string", "number"]
    assert _answers(dataset) == before
    for expr in FILTERS:  # and what the Python evaluator gives
        view = dataset.filter_labels("predictions", expr)
        assert planner.view_ids(view) == python_ids(view), expr


def _plan(ds: ll.Dataset, expr) -> str:
    """The engine's plan for counting the predictions meeting ``expr``."""
    store = ds._store
    cond, params = compile_expr(expr._node, store.dialect, "l")
    sql = (
        "SELECT COUNT(*) FROM labels l WHERE l.dataset_id=? AND l.field=? AND "
        f"l.frame_number=0 AND {cond}"
    )
    args = [ds._id, "predictions", *params]
    if store.dialect.name == "sqlite":
        return " ".join(r[3] for r in store._all("EXPLAIN QUERY PLAN " + sql, args))
    with store.transaction():
        store._exec("SET LOCAL enable_seqscan = off")
        return " ".join(r[0] for r in store._all("EXPLAIN " + sql, args))


def test_the_engine_answers_from_the_index(dataset):
    dataset.add_samples(_samples(200))
    ev = hot.index_name("ev", "string")
    assert ev not in _plan(dataset, F("ev") == "tp")
    dataset.create_index("predictions.detections.ev")
    dataset.create_index("predictions.detections.iou")
    assert ev in _plan(dataset, F("ev") == "tp")
    assert hot.index_name("iou", "number") in _plan(dataset, F("iou") > 0.9)
    assert hot.index_name("ev", "number") in _plan(dataset, F("ev") == 1)
    # a query not on the attribute keeps the labels in sample order
    assert ev not in _plan(dataset, F("confidence") > 0.5)


def test_writes_after_creating_keep_the_index(dataset):
    dataset.add_samples(_samples(30))
    dataset.create_index("predictions.detections.ev")
    dataset.add_samples(_samples(30, seed=4))
    n = len(dataset.values("predictions.detections.id", unwind=True))
    evals = [["fp"] * len(d or []) for d in dataset.values("predictions.detections.id")]
    evals[0] = ["tp"] * len(evals[0])
    dataset.set_values("predictions.detections.ev", evals)
    sample = dataset.first()
    sample.predictions.detections = [ll.Detection(label="cow", ev="tp")]
    sample.save()
    view = dataset.filter_labels("predictions", F("ev") == "tp")
    assert view.count("predictions.detections") == 1
    assert planner.view_ids(view) == python_ids(view) == [sample.id]
    fp = dataset.filter_labels("predictions", F("ev") == "fp")
    assert fp.count("predictions.detections") == n - len(evals[0])


def test_frame_attributes_are_indexed(dataset):
    rng = random.Random(8)
    samples = []
    for i in range(6):
        sample = ll.Sample(f"/v/{i}.mp4")
        for number in range(1, 4):
            sample.frames[number]["objs"] = ll.Detections(
                detections=[ll.Detection(label="car", ev=rng.choice(VALUES)) for _ in range(2)]
            )
        samples.append(sample)
    dataset.add_samples(samples)
    view = dataset.filter_labels("frames.objs", F("ev") == "tp")
    before = view.count("frames.objs.detections"), view.values("id")
    dataset.create_index("frames.objs.detections.ev")
    assert dataset.list_indexes() == ["frames.objs.detections.ev"]
    view = dataset.filter_labels("frames.objs", F("ev") == "tp")
    assert (view.count("frames.objs.detections"), view.values("id")) == before


@pytest.mark.parametrize(
    "path",
    [
        "filepath",
        "predictions",
        "predictions.detections",
        "predictions.detections.id",
        "predictions.detections.tags",
        "predictions.ev",
        "predictions.x.ev",
        "nothing.label",
        "gt.id",
    ],
)
def test_paths_that_are_not_label_attributes_are_refused(dataset, path):
    dataset.add_samples(_samples(3))
    with pytest.raises(ValueError, match="Cannot index"):
        dataset.create_index(path)
    assert dataset.list_indexes() == []


def test_indexes_go_with_the_last_dataset_needing_them():
    attr = "only_here_" + uuid.uuid4().hex[:8]  # no other dataset of the database has it
    path = f"predictions.detections.{attr}"
    first, second = ll.Dataset(), ll.Dataset()
    try:
        for ds in (first, second):
            dets = [ll.Detection(label="a", **{attr: v}) for v in ("tp", 1, True)]
            ds.add_sample(ll.Sample("/g/a.jpg", predictions=ll.Detections(detections=dets)))
            ds.create_index(path)
        store = first._store
        assert (attr, "string") in store.dialect.indexed
        first.drop_index(path)
        assert first.list_indexes() == [] and second.list_indexes() == [path]
        assert (attr, "string") in store.dialect.indexed  # the second still asks for it
        with pytest.raises(ValueError, match="has no index"):
            first.drop_index(path)
        second.delete()
        assert not any(a == attr for a, _ in store.dialect.indexed)
        names = [hot.index_name(attr, k) for k in ("string", "number", "boolean")]
        assert not _physical(store, names)
    finally:
        for ds in (first, second):
            if not ds.deleted:
                ds.delete()


def _physical(store, names: list[str]) -> list[str]:
    """Which of these indexes the database has."""
    if store.dialect.name == "sqlite":
        rows = store._all("SELECT name FROM sqlite_master WHERE type='index'")
    else:
        rows = store._all("SELECT indexname FROM pg_indexes WHERE tablename='labels'")
    return [r[0] for r in rows if r[0] in names]


def test_a_new_store_on_the_database_compiles_for_its_indexes(dataset):
    dataset.add_samples(_samples(10))
    dataset.create_index("predictions.detections.iou")
    store = dataset._store
    if store.dialect.name == "sqlite":
        from labelloop.store.sqlite import SQLiteStore

        other = SQLiteStore(store.path)
    else:
        from labelloop.store.postgres import PostgresStore

        other = PostgresStore(store._uri)
    try:
        assert ("iou", "number") in other.dialect.indexed
        assert other.label_indexes(dataset._id) == {
            "predictions.detections.iou": ["string", "number"]
        }
    finally:
        other.close()


def test_indexes_follow_their_field_when_renamed_or_deleted(dataset):
    dataset.add_samples(_samples(10))
    dataset.create_index("predictions.detections.ev")
    dataset.create_index("gt.ev")
    dataset.rename_sample_field("predictions", "preds")
    assert dataset.list_indexes() == ["gt.ev", "preds.detections.ev"]
    dataset.delete_sample_field("gt")
    assert dataset.list_indexes() == ["preds.detections.ev"]
    assert ("ev", "string") in dataset._store.dialect.indexed
    view = dataset.filter_labels("preds", F("ev") == "tp")
    assert planner.view_ids(view) == python_ids(view)


def test_a_clone_keeps_the_indexes(dataset):
    dataset.add_samples(_samples(10))
    dataset.create_index("predictions.detections.ev")
    clone = dataset.filter_labels("predictions", F("ev") == "tp").clone()
    try:
        assert clone.list_indexes() == ["predictions.detections.ev"]
        dataset.delete()
        assert ("ev", "string") in clone._store.dialect.indexed  # the clone still asks
    finally:
        clone.delete()
