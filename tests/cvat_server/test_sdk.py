"""cvat-sdk 2.73's high-level client, unchanged, against the local server."""

from __future__ import annotations

import io
import json
import zipfile

import av
import pytest
from cvat_sdk import make_client, models
from cvat_sdk.core.exceptions import BackgroundRequestException
from cvat_sdk.core.proxies.tasks import ResourceType
from cvat_sdk.core.uploading import DataUploader
from PIL import Image

SDK_PASSWORD = "sdk-password"


@pytest.fixture(scope="module")
def sdk(cvat_server):
    cvat_server.create_user("sdk-user", SDK_PASSWORD)
    host, port = cvat_server.url.rsplit(":", 1)
    with make_client(host, port=int(port), credentials=("sdk-user", SDK_PASSWORD)) as client:
        client.config.status_check_period = 0.05
        yield client


def _label_spec():
    return [
        models.PatchedLabelRequest(
            name="car",
            attributes=[
                models.AttributeRequest(
                    name="color",
                    mutable=True,
                    input_type="select",
                    values=["red", "blue"],
                    default_value="red",
                )
            ],
        ),
        models.PatchedLabelRequest(name="person"),
    ]


def test_server_version_is_supported(sdk):
    assert str(sdk.get_server_version()) == "2.73.0"
    sdk.check_server_version(fail_if_unsupported=True)


def test_image_task_annotations_roundtrip(sdk, image_files):
    task = sdk.tasks.create_from_data(
        spec=models.TaskWriteRequest(name="sdk-images", labels=_label_spec(), segment_size=3),
        resources=image_files,
        resource_type=ResourceType.LOCAL,
        data_params={"image_quality": 80, "sorting_method": "predefined"},
    )
    assert task.size == len(image_files)
    frames = task.get_meta().frames
    assert [f.name for f in frames] == [p.name for p in image_files]
    assert [(f.width, f.height) for f in frames] == [Image.open(p).size for p in image_files]
    jobs = sorted(task.get_jobs(), key=lambda j: j.start_frame)
    assert [(j.start_frame, j.stop_frame) for j in jobs] == [(0, 2), (3, 4)]
    labels = {label.name: label for label in task.get_labels()}
    color = labels["car"].attributes[0]
    task.set_annotations(
        models.LabeledDataRequest(
            shapes=[
                models.LabeledShapeRequest(
                    type="rectangle",
                    frame=f,
                    label_id=labels["car"].id,
                    points=[1.0, 2.0, 10.0, 20.0],
                    attributes=[models.AttributeValRequest(spec_id=color.id, value="blue")],
                )
                for f in range(5)
            ],
            tags=[models.LabeledImageRequest(frame=1, label_id=labels["person"].id)],
        )
    )
    downloaded = task.get_annotations()
    assert len(downloaded.shapes) == 5
    assert downloaded.shapes[0].attributes[0].value == "blue"
    assert [len(job.get_annotations().shapes) for job in jobs] == [3, 2]
    task.remove_annotations(ids=[downloaded.shapes[0].id])
    assert len(task.get_annotations().shapes) == 4
    jobs[0].update(models.PatchedJobWriteRequest(stage="acceptance", state="completed"))
    jobs[0].fetch()
    assert jobs[0].status == "completed"
    frame = Image.open(task.get_frame(2, quality="original"))
    assert frame.size == Image.open(image_files[2]).size
    buffer = io.BytesIO()
    task.download_chunk(0, buffer, quality="compressed")
    with zipfile.ZipFile(buffer) as archive:
        assert len(archive.namelist()) == min(task.data_chunk_size, task.size)
    task.remove()
    assert task.id not in [t.id for t in sdk.tasks.list()]


def test_video_task(sdk, video_file):
    task = sdk.tasks.create_from_data(
        spec={"name": "sdk-video", "labels": [{"name": "car"}], "segment_size": 15},
        resources=[video_file],
        data_params={"image_quality": 70, "chunk_size": 10, "start_frame": 2, "frame_step": 2},
    )
    meta = task.get_meta()
    assert (meta.start_frame, meta.stop_frame, meta.frame_filter) == (2, 38, "step=2")
    assert meta.size == task.size == 19
    assert (meta.frames[0].width, meta.frames[0].height) == (64, 48)
    assert task.mode == "interpolation"
    ranges = sorted((j.start_frame, j.stop_frame) for j in task.get_jobs())
    assert ranges == [(0, 14), (10, 18)]  # overlap 5 for video, as CVAT
    frame = Image.open(task.get_frame(3, quality="compressed"))
    assert frame.size == (64, 48)
    # frame 3 of the task is frame 2 + 3*2 = 8 of the video: gray level 40
    assert abs(frame.convert("L").getpixel((32, 24)) - 40) <= 6
    buffer = io.BytesIO()
    task.download_chunk(1, buffer, quality="original")
    buffer.seek(0)
    with av.open(buffer) as container:
        assert sum(1 for _ in container.decode(video=0)) == 9
    task.remove()


def test_project_with_labels_and_task(sdk, image_files):
    project = sdk.projects.create(
        spec=models.ProjectWriteRequest(name="sdk-project", labels=_label_spec())
    )
    assert sorted(label.name for label in project.get_labels()) == ["car", "person"]
    task = sdk.tasks.create_from_data(
        spec=models.TaskWriteRequest(name="sdk-project-task", project_id=project.id),
        resources=image_files[:2],
    )
    assert [t.id for t in project.get_tasks()] == [task.id]
    assert {label.id for label in task.get_labels()} == {label.id for label in project.get_labels()}
    project.remove()
    assert project.id not in [p.id for p in sdk.projects.list()]


def test_tus_upload_of_large_files(sdk, image_files):
    """Files larger than the request limit go through TUS, as the SDK sends them."""
    task = sdk.tasks.create(spec={"name": "sdk-tus", "labels": [{"name": "car"}]})
    url = sdk.api_map.make_endpoint_url(task.api.create_data_endpoint.path, kwsub={"id": task.id})
    response = DataUploader(sdk, max_request_size=1).upload_files(
        url, list(image_files[:3]), image_quality=70, sorting_method="predefined"
    )
    sdk.wait_for_completion(json.loads(response.data)["rq_id"], status_check_period=0.05)
    task.fetch()
    assert task.size == 3
    assert [f.name for f in task.get_meta().frames] == [p.name for p in image_files[:3]]


@pytest.mark.local_cvat_only(reason="injects a processing failure")
def test_users_and_failed_creation_raise(sdk, cvat_server, image_files):
    assert [u.username for u in sdk.users.list()] != []
    with cvat_server.fault(action="fail_processing", message="disk on fire"):
        with pytest.raises(BackgroundRequestException, match="disk on fire"):
            sdk.tasks.create_from_data(
                spec={"name": "sdk-fails", "labels": [{"name": "car"}]}, resources=image_files[:1]
            )
