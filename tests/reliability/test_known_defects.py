"""Defects other engineers reported, each kept as a catalogue case."""

from __future__ import annotations

from labelloop.cvat.importer import import_annotations
from labelloop.testing.annotator import Annotator
from tests.reliability.helpers import image_dataset


def _person(server):
    return Annotator(server.url, server.username, server.password)


def test_job_annotation_delete_answers_success_and_deletes(server, tmp_path):
    """Defect 1: the local server applied PATCH ?action=delete, then answered 500."""
    dataset = image_dataset(tmp_path, 1, per_sample=2)
    results = dataset.annotate(
        "deleting", label_field="gt", url=server.url, token=server.admin_token
    )
    (task_id,) = results.task_ids
    with _person(server) as person:
        job_id = person.jobs(task_id)[0]["id"]
        shapes = person.annotations(job_id)["shapes"]
        person.delete_shapes(job_id, [shapes[0]["id"]])  # raises on an error answer
        left = [s["id"] for s in person.annotations(job_id)["shapes"]]
    assert left == [s["id"] for s in shapes[1:]]
    results.cleanup()


def test_run_on_a_new_label_field_loads_without_declaring_it(server, tmp_path):
    """Defect 2: a new field failed at download with 'Dataset has no field'."""
    dataset = image_dataset(tmp_path, 1)
    assert not dataset.has_field("animals")
    results = dataset.annotate(
        "new_field",
        label_field="animals",
        label_type="detections",
        classes=["cat", "dog"],
        url=server.url,
        token=server.admin_token,
    )
    (task_id,) = results.task_ids
    with _person(server) as person:
        job_id = person.jobs(task_id)[0]["id"]
        person.add_shape(job_id, type="rectangle", label="dog", points=[4, 4, 24, 16], frame=0)
    dataset.load_annotations("new_field", url=server.url, token=server.admin_token, cleanup=True)
    (sample,) = dataset.iter_samples()
    assert [d.label for d in sample.animals.detections] == ["dog"]


def test_importing_a_task_twice_adds_drawn_shapes_once(server, tmp_path):
    """Defect 3: a shape drawn in CVAT (no label_id) was added again by each re-import."""
    source = image_dataset(tmp_path, 1)
    results = source.annotate(
        "made_elsewhere", label_field="gt", url=server.url, token=server.admin_token
    )
    (task_id,) = results.task_ids
    with _person(server) as person:
        job_id = person.jobs(task_id)[0]["id"]
        person.add_shape(job_id, type="rectangle", label="cat", points=[2, 2, 20, 12], frame=0)
    target = image_dataset(tmp_path / "target", 0)
    target.add_samples(s.copy() for s in source.iter_samples())
    kwargs = dict(
        task_ids=task_id,
        label_types={"detections": "imported"},
        url=server.url,
        token=server.admin_token,
        progress=False,
    )
    import_annotations(target, **kwargs)
    first = sorted(target.values("imported.detections.id", unwind=True))
    import_annotations(target, **kwargs)
    second = sorted(target.values("imported.detections.id", unwind=True))
    assert len(first) == 3  # two uploaded boxes and the drawn one
    assert second == first
