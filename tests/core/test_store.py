"""The store boundary: engine choice, schema versioning, extension delegation, autosave."""

from __future__ import annotations

import sqlite3

import pytest

import labelloop as ll
from labelloop.core import extensions
from labelloop.store import config
from labelloop.store.sqlite import SCHEMA_VERSION, SQLiteStore


def test_engine_is_chosen_from_the_uri(monkeypatch, tmp_path):
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", "mysql://db.example/labelloop")
    with pytest.raises(ValueError, match="Unsupported LABELLOOP_DATABASE_URI"):
        config.get_store()
    path = tmp_path / "other.sqlite"
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", f"sqlite:///{path}")
    store = config.get_store()
    assert isinstance(store, SQLiteStore) and store.path == str(path)
    monkeypatch.delenv("LABELLOOP_DATABASE_URI")
    monkeypatch.setenv("LABELLOOP_DATABASE_DIR", str(tmp_path / "dir"))
    assert config.database_uri() == f"sqlite:///{tmp_path / 'dir' / 'labelloop.sqlite'}"


def test_schema_version_is_recorded_and_checked(tmp_path):
    path = str(tmp_path / "v.sqlite")
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:
        (version,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        assert int(version) == SCHEMA_VERSION
        conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    with pytest.raises(RuntimeError, match="newer than this labelloop"):
        SQLiteStore(path)


def test_transactions_roll_back_everything(image_dataset):
    ds = image_dataset
    before = ds.values("ground_truth.detections.label")
    with pytest.raises(RuntimeError, match="boom"):
        with ds.transaction():
            sample = ds.first()
            sample.ground_truth.detections[0].label = "changed"
            sample["new_field"] = 5
            sample.save()
            with ds.transaction():  # nested: joins the outer one
                ds.delete_labels(ids=ds.values("predictions.detections.id", unwind=True))
            raise RuntimeError("boom")
    assert ds.values("ground_truth.detections.label") == before
    assert ds.count("predictions.detections") == 6
    assert not ds.has_sample_field("new_field")


def test_iter_samples_autosave(image_dataset):
    for sample in image_dataset.iter_samples(autosave=True, batch_size=3):
        sample["seen"] = True
    assert image_dataset.values("seen") == [True] * 4


def test_delegated_methods_reach_registered_implementations(image_dataset, monkeypatch):
    calls = []
    monkeypatch.setitem(
        extensions._IMPLEMENTATIONS,
        "export",
        lambda coll, **kw: calls.append(("export", len(coll), kw["export_dir"])),
    )
    monkeypatch.setitem(
        extensions._IMPLEMENTATIONS,
        "from_dir",
        lambda cls, **kw: calls.append(("from_dir", cls, kw["name"])),
    )
    image_dataset.match_tags("train").export(export_dir="/out")
    ll.Dataset.from_dir("/in", name="x")
    assert calls == [("export", 2, "/out"), ("from_dir", ll.Dataset, "x")]
    monkeypatch.delitem(extensions._IMPLEMENTATIONS, "annotate", raising=False)
    with pytest.raises(RuntimeError, match="not loaded"):
        image_dataset.annotate("key", label_field="ground_truth")


def test_video_stats_count_frames(tmp_path, dataset):
    from tests.core.media import write_mp4

    sample = ll.Sample(write_mp4(str(tmp_path / "v.mp4"), frames=4))
    for number in range(1, 5):
        sample.frames[number]["value"] = number
    dataset.add_sample(sample)
    stats = dataset.stats()
    assert stats["frames_count"] == 4 and stats["frames_bytes"] > 0
    assert stats["total_bytes"] == stats["samples_bytes"] + stats["frames_bytes"]
