"""Run records shared by evaluation and annotation runs."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core import runs
from tests.core.results_cls import CountResults


def test_annotation_run_lifecycle(image_dataset):
    ds = image_dataset
    view = ds.filter_labels("ground_truth", F("label") == "person").limit(1)
    info = runs.register_run(
        view, "annotation", "anno1", {"label_schema": {"ground_truth": {}}}, method="cvat"
    )
    assert info.timestamp <= dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert ds.list_annotation_runs() == ["anno1"] and ds.has_annotation_runs
    assert ds.list_annotation_runs(method="cvat") == ["anno1"]
    assert ds.list_annotation_runs(method="other") == []
    assert ds.list_evaluations() == []
    printed = json.loads(str(ds.get_annotation_info("anno1")))
    assert printed["key"] == "anno1" and printed["version"] == ll.__version__
    assert printed["config"] == {"label_schema": {"ground_truth": {}}}
    rebuilt = ds.load_annotation_view("anno1")
    assert rebuilt.values("ground_truth.detections.label") == [["person"]]
    with pytest.raises(ValueError, match="already exists"):
        runs.register_run(ds, "annotation", "anno1")
    with pytest.raises(ValueError, match="identifier"):
        runs.register_run(ds, "annotation", "bad-key")
    ds.rename_annotation_run("anno1", "anno2")
    assert ds.has_annotation_run("anno2") and not ds.has_annotation_run("anno1")
    ds.delete_annotation_run("anno2")
    assert not ds.has_annotation_runs
    with pytest.raises(ValueError, match="no annotation run"):
        ds.get_annotation_info("anno2")


def test_results_are_rebuilt_through_their_class(image_dataset):
    ds = image_dataset
    runs.register_run(ds, "evaluation", "eval", {"iou": 0.5}, method="coco")
    runs.save_results(ds, "eval", CountResults(ds.count("predictions.detections")))
    fresh = ll.load_dataset(ds.name).load_evaluation_results("eval", cache=False)
    assert isinstance(fresh, CountResults) and fresh.total == 6 and fresh.samples is ds
    assert ds.load_evaluation_results("eval") is ds.load_evaluation_results("eval")
    assert ds.get_evaluation_info("eval").method == "coco"
    ds.rename_evaluation("eval", "eval2")
    assert ds.load_evaluation_results("eval2").total == 6
    ds.delete_evaluations()
    assert ds.list_evaluations() == []


def test_select_fields_hides_other_runs_fields(image_dataset):
    ds = image_dataset
    runs.register_run(ds, "annotation", "a", {"label_schema": {"ground_truth": {}}})
    runs.register_run(ds, "annotation", "b", {"label_schema": {"predictions": {}}})
    view = ds.load_annotation_view("a", select_fields=True)
    assert view.first().predictions is None and view.first().ground_truth is not None
