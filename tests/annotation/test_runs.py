"""annotate(): validation before side effects, run registration, results and credentials."""

from __future__ import annotations

import json
import logging

import pytest

import labelloop.utils.annotations as foua
from labelloop.annotation.config import annotation_config
from tests.annotation.conftest import SECRET_TOKEN
from tests.annotation.datasets import digest
from tests.annotation.memory_backend import SERVER, MemoryAPI, MemoryResults


def test_annotate_records_the_run_without_credentials(dataset, caplog):
    view = dataset.limit(3)
    with caplog.at_level(logging.DEBUG):
        results = view.annotate(
            "run1", label_field="ground_truth", backend="memory", password="pw1"
        )
        dataset.load_annotations("run1", unexpected="ignore", token="tok2")
    assert caplog.records  # something was logged, and none of it is a secret
    for secret in (SECRET_TOKEN, "pw1", "tok2"):
        assert secret not in caplog.text
    assert isinstance(results, MemoryResults)
    assert dataset.list_annotation_runs() == ["run1"]
    assert dataset.has_annotation_run("run1")
    info = dataset.get_annotation_info("run1")
    schema = info.config["label_schema"]["ground_truth"]
    assert schema["type"] == "detections" and schema["classes"] == ["cat", "dog"]
    assert set(schema["attributes"]) == {"iscrowd", "occluded", "notes"}
    raw = json.dumps(dataset._store.get_run(dataset._id, "run1"), default=str)
    assert SECRET_TOKEN not in raw and "pw1" not in raw and SECRET_TOKEN not in str(info)
    assert dataset.load_annotation_view("run1").values("id") == view.values("id")
    uploaded = results.id_map["ground_truth"]
    assert list(uploaded) == view.values("id")
    assert sorted(i for ids in uploaded.values() for i in ids) == sorted(
        view.values("ground_truth.detections.id", unwind=True)
    )


def test_bad_key_existing_key_empty_view_and_bad_media_field(dataset):
    before = digest(dataset)
    with pytest.raises(ValueError, match="identifier"):
        dataset.annotate("bad-key", label_field="ground_truth", backend="memory")
    dataset.annotate("taken", label_field="ground_truth", backend="memory")
    with pytest.raises(ValueError, match="'taken' already exists"):
        dataset.annotate("taken", label_field="weather", backend="memory")
    with pytest.raises(ValueError, match="empty"):
        dataset.limit(0).annotate("empty", label_field="ground_truth", backend="memory")
    with pytest.raises(ValueError, match="launch_editor"):
        dataset.annotate("m", label_field="ground_truth", backend="memory", launch_editor="yes")
    with pytest.raises(ValueError, match="media_field='anon_path'"):
        dataset.annotate("m", label_field="ground_truth", backend="memory", media_field="anon_path")
    assert dataset.list_annotation_runs() == ["taken"] and list(SERVER) == ["taken"]
    assert digest(dataset) == before


def test_invalid_schema_creates_nothing_anywhere(dataset):
    with pytest.raises(ValueError, match="new_field"):
        dataset.annotate("r", label_field="new_field", backend="memory")
    with pytest.raises(ValueError, match="unknown_param"):
        dataset.annotate("r", label_field="ground_truth", backend="memory", unknown_param=1)
    assert SERVER == {} and dataset.list_annotation_runs() == []


def test_failed_upload_leaves_no_run_and_no_server_state(dataset):
    with pytest.raises(RuntimeError, match="refused the task"):
        dataset.annotate("boom", label_field="ground_truth", backend="memory", fail_upload=True)
    assert dataset.list_annotation_runs() == []
    assert SERVER == {}  # abort_upload removed what the upload had created
    dataset.annotate("boom", label_field="ground_truth", backend="memory")  # key is free


def test_a_run_that_cannot_be_recorded_is_removed_from_the_backend(dataset):
    with pytest.raises(TypeError):
        dataset.annotate("u", label_field="weather", backend="memory", unstorable_results=True)
    assert dataset.list_annotation_runs() == [] and SERVER == {}


def test_missing_credentials_without_terminal_name_the_variables(dataset, monkeypatch):
    del annotation_config.backends["memory"]["token"]
    monkeypatch.delenv("LABELLOOP_MEMORY_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(ValueError, match="LABELLOOP_MEMORY_TOKEN"):
        dataset.annotate("r", label_field="ground_truth", backend="memory")
    assert dataset.list_annotation_runs() == [] and SERVER == {}
    monkeypatch.setenv("FIFTYONE_MEMORY_TOKEN", "legacy")
    results = dataset.annotate("r", label_field="ground_truth", backend="memory")
    assert results.backend.connect_to_api()._token == "legacy"


def test_results_cache_stored_url_and_credentials(dataset):
    dataset.annotate("r", label_field="weather", backend="memory", url="memory://stored")
    annotation_config.backends["memory"]["url"] = "memory://configured-later"
    first = dataset.load_annotation_results("r")
    assert dataset.load_annotation_results("r") is first
    assert first.config.url == "memory://stored"  # the run's own server, not the current default
    fresh = dataset.load_annotation_results("r", cache=False, url="memory://override", token="t2")
    assert fresh is not first and fresh.config.url == "memory://override"
    assert fresh.connect_to_api()._token == "t2"
    assert fresh.id_map == first.id_map
    dataset.rename_annotation_run("r", "r2")
    assert dataset.load_annotation_results("r2").anno_key == "r2"
    dataset.delete_annotation_run("r2")
    assert dataset.list_annotation_runs() == []
    with pytest.raises(ValueError, match="r2"):
        dataset.load_annotation_results("r2")


def test_module_functions_and_connect_to_api(dataset):
    results = foua.annotate(dataset, "mod", label_field="count", backend="memory")
    assert results.config.label_schema["count"]["type"] == "scalar"
    SERVER["mod"]["labels"]["count"][dataset.first().id] = 42
    report = foua.load_annotations(dataset, "mod", unexpected="ignore")
    assert report.fields["count"].edited == 1 and dataset.first().count == 42
    api = foua.connect_to_api("memory")
    assert isinstance(api, MemoryAPI)
    with api:
        pass
    assert api.closed
    annotation_config.backends["plain"] = {
        "config_cls": "labelloop.annotation.AnnotationBackendConfig"
    }
    with pytest.raises(ValueError, match="backend_cls"):
        foua.connect_to_api("plain")
