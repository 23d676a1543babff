"""``datasets copy``: a dataset moves between SQLite and PostgreSQL with its runs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

import labelloop as ll
from labelloop.store.transfer import copy_dataset
from tests.annotation.datasets import digest
from tests.cli.helpers import run_cli
from tests.core.media import write_mp4


def _video_and_images(tmp_path) -> ll.Dataset:
    dataset = ll.Dataset("to-move", persistent=True)
    video = ll.Sample(write_mp4(str(tmp_path / "clip.mp4"), frames=4), weather="sun")
    for number in (1, 3):
        video.frames[number]["cars"] = ll.Detections(
            detections=[ll.Detection(label="car", bounding_box=[0.1, 0.2, 0.3, 0.4], index=number)]
        )
    dataset.add_sample(video)
    dataset.info = {"owner": "team-a"}
    dataset.save()
    return dataset


def _images(name: str, n: int) -> ll.Dataset:
    dataset = ll.Dataset(name, persistent=True)
    dataset.add_samples(
        [
            ll.Sample(
                f"/img/{i}.jpg",
                gt=ll.Detections(
                    detections=[ll.Detection(label="dog", bounding_box=[0, 0, 0.5, 0.5])]
                ),
                tags=["train"] if i % 2 else [],
            )
            for i in range(n)
        ]
    )
    return dataset


def test_video_dataset_round_trips_sqlite_postgres_sqlite(on_postgres, monkeypatch, tmp_path):
    sqlite_uri = f"sqlite:///{tmp_path}/local.sqlite"
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", sqlite_uri)
    source = _video_and_images(tmp_path)
    before = digest(source)
    assert copy_dataset("to-move", on_postgres) == "to-move"
    result = run_cli(
        "datasets", "copy", "to-move", "--from", on_postgres, "--to", sqlite_uri, "--name", "back"
    )
    assert result.exit_code == 0, result.output
    assert urlsplit(on_postgres).password not in result.output
    back = ll.load_dataset("back")
    assert digest(back) == before and back.info == {"owner": "team-a"}
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", on_postgres)
    moved = ll.load_dataset("to-move")
    assert digest(moved) == before and moved.persistent
    assert moved.count("frames.cars.detections") == 2
    moved.delete()


def test_annotation_run_copied_to_postgres_still_loads(
    on_postgres, memory_runs, monkeypatch, tmp_path
):
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", f"sqlite:///{tmp_path}/local.sqlite")
    source = _images("with-run", 6)
    source.annotate("review", backend="memory", label_field="gt", label_type="detections")
    for boxes in memory_runs["review"]["labels"]["gt"].values():
        for box in boxes.values():
            box.label = "cat"  # the annotator relabels every box
    copy_dataset("with-run", on_postgres)
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", on_postgres)
    moved = ll.load_dataset("with-run")
    assert moved.list_annotation_runs() == ["review"]
    assert moved.values("id") == source.values("id")
    moved.load_annotations("review", unexpected="ignore")  # ids kept: the run maps onto the copy
    assert moved.count_values("gt.detections.label") == {"cat": 6}
    assert source.count_values("gt.detections.label") == {"dog": 6}  # the source is untouched
    moved.delete()


def test_copy_refuses_before_writing(on_postgres, monkeypatch, tmp_path):
    _images("refused", 2)
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", f"sqlite:///{tmp_path}/other.sqlite")
    _images("refused", 1)
    with pytest.raises(ValueError, match="already has a dataset named 'refused'"):
        copy_dataset("refused", on_postgres)
    with pytest.raises(ValueError, match="same database"):
        copy_dataset("refused", on_postgres, from_uri=on_postgres)
    with pytest.raises(ValueError, match="No dataset named 'absent'"):
        copy_dataset("absent", on_postgres)
    result = run_cli("datasets", "copy", "absent", "--to", on_postgres)
    assert result.exit_code == 1 and "No dataset named 'absent'" in result.output
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", on_postgres)
    assert len(ll.load_dataset("refused")) == 2
    ll.load_dataset("refused").delete()
