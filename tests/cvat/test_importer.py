"""import_annotations: tasks made elsewhere come into a dataset, media downloaded or matched."""

from __future__ import annotations

import pytest

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Classification, Classifications, Detection, Detections
from labelloop.testing.annotator import Annotator
from labelloop.utils.cvat import import_annotations
from tests.cvat.helpers import image_dataset


def _creds(server):
    return {"url": server.url, "username": server.username, "password": server.password}


def _source(tmp_path, server):
    def dets(i):
        return Detections(
            detections=[Detection(label="cat", bounding_box=[0.1, 0.1, 0.5, 0.5], kind="x")]
        )

    dataset = image_dataset(
        tmp_path / "src",
        2,
        gt=dets,
        scene=lambda i: Classifications(classifications=[Classification(label="indoor")]),
    )
    results = dataset.annotate(
        "source",
        label_schema={
            "gt": {
                "type": "detections",
                "classes": ["cat"],
                "attributes": {"kind": {"type": "text"}},
            },
            "scene": {"type": "classifications", "classes": ["indoor"]},
        },
        project_name="to-import",
        **_creds(server),
    )
    return dataset, results


def test_import_project_downloading_media(cvat_server_fresh, tmp_path):
    source, results = _source(tmp_path, cvat_server_fresh)
    with Annotator(
        cvat_server_fresh.url, cvat_server_fresh.username, cvat_server_fresh.password
    ) as person:
        job_id = results.job_ids[results.task_ids[0]][0]
        person.add_shape(job_id, type="polygon", label="cat", points=[1, 1, 20, 1, 10, 15], frame=1)
    target = Dataset()
    media = tmp_path / "downloaded"
    media.mkdir()
    import_annotations(
        target,
        project_name="to-import",
        data_path=str(media),
        download_media=True,
        **_creds(cvat_server_fresh),
    )
    assert len(target) == 2
    by_name = {s.filepath.rsplit("/", 1)[-1]: s for s in target.iter_samples()}
    originals = {s.filepath.rsplit("/", 1)[-1]: s for s in source.iter_samples()}
    assert set(by_name) == set(originals)
    for name, sample in by_name.items():
        (det,) = sample.detections.detections
        (original,) = originals[name].gt.detections
        assert det.id == original.id and det.bounding_box == pytest.approx(original.bounding_box)
        assert det.kind == "x"
        assert [c.label for c in sample.classifications.classifications] == ["indoor"]
    assert sum(len(s.polylines.polylines) for s in target.iter_samples() if s.polylines) == 1
    # importing again adds nothing twice (ids come from the label_id attribute)
    import_annotations(
        target, project_name="to-import", data_path=str(media), **_creds(cvat_server_fresh)
    )
    assert len(target) == 2
    assert all(len(s.detections.detections) == 1 for s in target.iter_samples())


def test_import_tasks_into_existing_samples_by_basename(cvat_server_fresh, tmp_path):
    source, results = _source(tmp_path, cvat_server_fresh)
    import_annotations(
        source,
        task_ids=results.task_ids,
        label_types={"detections": "imported"},
        **_creds(cvat_server_fresh),
    )
    for sample in source.iter_samples():
        (imported,) = sample.imported.detections
        (original,) = sample.gt.detections
        # same box; a fresh id because label ids are unique within a sample
        assert imported.bounding_box == pytest.approx(original.bounding_box)
        assert imported.id != original.id
        assert not sample.has_field("classifications") or sample.classifications is None
    with pytest.raises(ValueError, match="exactly one"):
        import_annotations(source, project_id=1, task_ids=[1], **_creds(cvat_server_fresh))
