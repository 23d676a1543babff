"""``labelloop cvat import``: tasks made in CVAT come into a dataset, from the command line."""

from __future__ import annotations

import labelloop as ll
from labelloop.testing.annotator import Annotator
from tests.cli.data import boxes_dataset
from tests.cli.helpers import run_cli


def _creds(server) -> list[str]:
    return ["--url", server.url, "--username", server.username, "--password", server.password]


def test_import_a_project_into_a_new_dataset(cvat_server, tmp_path):
    source = boxes_dataset(tmp_path, "cli-import-source", count=2)
    results = source.annotate(
        "made_in_cvat",
        label_field="gt",
        project_name="cli-import-project",
        url=cvat_server.url,
        username=cvat_server.username,
        password=cvat_server.password,
    )
    task_id = results.task_ids[0]
    with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
        job_id = results.job_ids[task_id][0]
        person.add_shape(job_id, type="rectangle", label="cat", points=[2, 2, 20, 20], frame=0)

    imported = run_cli(
        "cvat", "import", "cli-imported", "--project-name", "cli-import-project",
        "--data-path", str(tmp_path), "--create", *_creds(cvat_server),
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    target = ll.load_dataset("cli-imported")
    assert target.persistent and len(target) == 2
    assert sorted(s.filepath for s in target) == sorted(s.filepath for s in source)
    assert target.count("detections.detections") == source.count("gt.detections") + 1
    assert "samples" in imported.output and "detections" in imported.output

    again = run_cli(
        "cvat", "import", "cli-imported", "--task-ids", str(task_id), "--data-path",
        str(tmp_path), *_creds(cvat_server),
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    # labels that came from the dataset keep their ids and are not imported twice
    ids = target.values("detections.detections.id", unwind=True)
    for label_id in source.values("gt.detections.id", unwind=True):
        assert ids.count(label_id) == 1
    results.cleanup()
    source.delete_annotation_run("made_in_cvat")


def test_import_needs_exactly_one_source_and_an_existing_dataset(tmp_path):
    both = run_cli("cvat", "import", "x", "--task-ids", "1", "--project-id", "2")
    assert both.exit_code == 1 and "exactly one of" in both.output
    missing = run_cli("cvat", "import", "no-such-dataset", "--task-ids", "1,2")
    assert missing.exit_code == 1 and "no dataset named 'no-such-dataset'" in missing.output
    download = run_cli("cvat", "import", "x", "--project-id", "2", "--download-media")
    assert download.exit_code == 1 and "--data-path" in download.output
