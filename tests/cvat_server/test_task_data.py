"""Task data: upload protocols, frame ranges, sorting, meta, frames and chunks."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile

from PIL import Image

from labelloop.testing.fixtures import on_real_cvat
from tests.cvat_server.helpers import admin_client, create_task, wait_request, write_images


def _new_task(client, name):
    return client.post("/api/tasks", json={"name": name, "labels": [{"name": "a"}]}).json()


def test_upload_start_multiple_finish_protocol(cvat_server, image_files):
    with admin_client(cvat_server) as client:
        task = _new_task(client, "chunked-upload")
        url = f"/api/tasks/{task['id']}/data"
        assert client.post(url, headers={"Upload-Start": ""}).status_code == 202
        for group in (image_files[:2], image_files[2:]):
            files = [(f"client_files[{i}]", (p.name, p.read_bytes())) for i, p in enumerate(group)]
            response = client.post(
                url, headers={"Upload-Multiple": ""}, files=files, data={"image_quality": "70"}
            )
            assert response.status_code == 200
        order = [p.name for p in reversed(image_files)]
        finish = client.post(
            url,
            headers={"Upload-Finish": ""},
            json={"image_quality": 70, "sorting_method": "predefined", "upload_file_order": order},
        )
        assert finish.status_code == 202
        assert wait_request(client, finish.json()["rq_id"])["status"] == "finished"
        names = [f["name"] for f in client.get(f"{url}/meta").json()["frames"]]
        assert names == order


def test_upload_finish_refuses_a_form_encoded_body_as_cvat_does(cvat_server, image_files):
    """CVAT's upload endpoints parse JSON and multipart only: a form-encoded (or untyped)
    Upload-Finish gets 415 and queues nothing; the same options as JSON are accepted."""
    with admin_client(cvat_server) as client:
        task = _new_task(client, "form-finish")
        url = f"/api/tasks/{task['id']}/data"
        assert client.post(url, headers={"Upload-Start": ""}).status_code == 202
        files = [
            (f"client_files[{i}]", (p.name, p.read_bytes())) for i, p in enumerate(image_files)
        ]
        assert client.post(url, headers={"Upload-Multiple": ""}, files=files).status_code == 200
        form = client.post(url, headers={"Upload-Finish": ""}, data={"image_quality": "70"})
        assert form.status_code == 415
        assert form.json() == {
            "detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.'
        }
        untyped = client.post(
            url, headers={"Upload-Finish": "", "Content-Type": ""}, content=b'{"image_quality": 70}'
        )
        assert untyped.status_code == 415
        assert client.get(f"/api/tasks/{task['id']}").json()["size"] == 0
        finish = client.post(url, headers={"Upload-Finish": ""}, json={"image_quality": 70})
        assert finish.status_code == 202
        assert wait_request(client, finish.json()["rq_id"])["status"] == "finished"
        assert client.get(f"/api/tasks/{task['id']}").json()["size"] == len(image_files)


def test_sorting_and_frame_range_on_images(cvat_server, tmp_path):
    images = write_images(tmp_path, 10)
    shuffled = images[5:] + images[:5]
    with admin_client(cvat_server) as client:
        natural = create_task(
            client, shuffled, fields={"sorting_method": "natural"}, name="natural"
        )
        meta = client.get(f"/api/tasks/{natural['id']}/data/meta").json()
        assert [f["name"] for f in meta["frames"]] == [p.name for p in images]
        ranged = create_task(
            client,
            images,
            fields={"start_frame": "1", "stop_frame": "8", "frame_filter": "step=3"},
            name="ranged",
        )
        meta = client.get(f"/api/tasks/{ranged['id']}/data/meta").json()
        assert [f["name"] for f in meta["frames"]] == [images[i].name for i in (1, 4, 7)]
        assert (meta["start_frame"], meta["stop_frame"], meta["frame_filter"], meta["size"]) == (
            1,
            7,
            "step=3",
            3,
        )
        assert [(f["width"], f["height"]) for f in meta["frames"]] == [
            Image.open(images[i]).size for i in (1, 4, 7)
        ]
        # frame 2 of the task is image 7, served byte for byte
        frame = client.get(
            f"/api/tasks/{ranged['id']}/data",
            params={"type": "frame", "number": 2, "quality": "original"},
        )
        assert frame.content == images[7].read_bytes()
        assert frame.headers["content-type"] == "image/jpeg"
        bad = client.get(f"/api/tasks/{ranged['id']}/data", params={"type": "frame", "number": 3})
        assert bad.status_code == 400


def test_chunks_hold_the_frames(cvat_server, image_files):
    with admin_client(cvat_server) as client:
        task = create_task(client, image_files, fields={"chunk_size": "2"}, name="chunks")
        assert task["data_chunk_size"] == 2
        url = f"/api/tasks/{task['id']}/data"
        last = client.get(url, params={"type": "chunk", "number": 2, "quality": "original"})
        with zipfile.ZipFile(io.BytesIO(last.content)) as archive:
            assert [archive.read(n) for n in archive.namelist()] == [image_files[4].read_bytes()]
        compressed = client.get(url, params={"type": "chunk", "number": 0, "quality": "compressed"})
        with zipfile.ZipFile(io.BytesIO(compressed.content)) as archive:
            sizes = [Image.open(io.BytesIO(archive.read(n))).size for n in archive.namelist()]
        assert sizes == [Image.open(p).size for p in image_files[:2]]
        assert client.get(url, params={"type": "chunk", "number": 3}).status_code == 400
        preview = client.get(f"/api/tasks/{task['id']}/preview")
        assert Image.open(io.BytesIO(preview.content)).format == "JPEG"


def test_deleted_frames_and_meta_patch(cvat_server, image_files):
    with admin_client(cvat_server) as client:
        task = create_task(client, image_files, name="deleted-frames")
        url = f"/api/tasks/{task['id']}/data/meta"
        patched = client.patch(url, json={"deleted_frames": [3, 1]})
        assert patched.json()["deleted_frames"] == [3, 1]  # CVAT answers in the order given
        assert client.get(url).json()["deleted_frames"] == [1, 3]  # and lists them sorted
        refused = {
            "[99, 10]": "Unknown frames 10, 99 requested for removal",
            "[1, 1]": "Deleted frames cannot repeat",
        }
        for body, message in refused.items():
            answer = client.patch(url, json={"deleted_frames": json.loads(body)})
            assert answer.json() == {"deleted_frames": [message]}
        negative = client.patch(url, json={"deleted_frames": [2, -1]})
        assert negative.json() == {
            "deleted_frames": {"1": ["Ensure this value is greater than or equal to 0."]}
        }


def test_processing_failures_are_reported(cvat_server, image_files, video_file, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    cases = [
        ([broken], "broken.jpg"),
        ([text], "notes.txt"),
        ([video_file, image_files[0]], "one video"),
    ]
    with admin_client(cvat_server) as client:
        for files, needle in cases:
            task = _new_task(client, "broken")
            multipart = [
                (f"client_files[{i}]", (p.name, p.read_bytes())) for i, p in enumerate(files)
            ]
            response = client.post(
                f"/api/tasks/{task['id']}/data", data={"image_quality": "70"}, files=multipart
            )
            status = wait_request(client, response.json()["rq_id"])
            assert status["status"] == "failed"
            assert needle in status["message"]
            assert client.get(f"/api/tasks/{task['id']}").json()["size"] == 0
            assert client.get("/api/jobs", params={"task_id": task["id"]}).json()["count"] == 0


def test_deleting_a_task_while_its_media_is_processed_fails_then_succeeds(cvat_server, tmp_path):
    """CVAT 2.73's DELETE waits for the worker, answers its 500 page and keeps the task;
    once the data request has ended, DELETE works. The local server processes fast, so a
    slow_processing fault holds it; real CVAT gets enough full-HD frames to be slow."""
    real = on_real_cvat()
    count = 40 if real else 1
    files = write_images(tmp_path, count, base=(1920, 1080))
    with admin_client(cvat_server) as client, contextlib.ExitStack() as stack:
        if not real:
            stack.enter_context(cvat_server.fault(action="slow_processing", delay=1.0))
        task = _new_task(client, "delete-while-processing")
        multipart = [(f"client_files[{i}]", (p.name, p.read_bytes())) for i, p in enumerate(files)]
        response = client.post(
            f"/api/tasks/{task['id']}/data",
            data={"image_quality": "70", "use_cache": "false"},
            files=multipart,
        )
        refused = client.delete(f"/api/tasks/{task['id']}")
        assert refused.status_code == 500
        assert "Server Error (500)" in refused.text
        left = client.get(f"/api/tasks/{task['id']}")
        assert left.status_code == 200
        assert wait_request(client, response.json()["rq_id"])["status"] == "finished"
        assert client.get(f"/api/tasks/{task['id']}").json()["size"] == count
        assert client.delete(f"/api/tasks/{task['id']}").status_code == 204
        assert client.get(f"/api/tasks/{task['id']}").status_code == 404


def test_bad_upload_parameters_are_400(cvat_server, image_files):
    with admin_client(cvat_server) as client:
        task = _new_task(client, "bad-params")
        url = f"/api/tasks/{task['id']}/data"
        files = [("client_files[0]", (image_files[0].name, image_files[0].read_bytes()))]
        cases = [
            ({"image_quality": "0"}, "image_quality"),
            ({"image_quality": "70", "frame_filter": "every=2"}, "frame_filter"),
            ({"image_quality": "70", "start_frame": "5", "stop_frame": "2"}, "non_field_errors"),
            ({"image_quality": "70", "sorting_method": "size"}, "sorting_method"),
        ]
        for form, key in cases:
            response = client.post(url, data=form, files=files)
            assert response.status_code == 400
            assert key in response.json()
        shared = client.post(url, json={"image_quality": 70, "server_files": ["a.jpg"]})
        assert shared.status_code == 400
        assert "server_files" in shared.json()


def test_video_chunk_types_and_explicit_overlap(cvat_server, video_file):
    import av

    with admin_client(cvat_server) as client:
        task = create_task(
            client,
            [video_file],
            fields={"use_zip_chunks": "true", "chunk_size": "8"},
            segment_size=20,
            overlap=2,
            bug_tracker="https://issues.example/7",
            name="video-zip",
        )
        assert (task["data_compressed_chunk_type"], task["data_original_chunk_type"]) == (
            "imageset",
            "video",
        )
        assert (task["overlap"], task["bug_tracker"], task["mode"]) == (
            2,
            "https://issues.example/7",
            "interpolation",
        )
        ranges = sorted(
            (j["start_frame"], j["stop_frame"])
            for j in client.get("/api/jobs", params={"task_id": task["id"]}).json()["results"]
        )
        assert ranges == [(0, 19), (18, 37), (36, 39)]
        url = f"/api/tasks/{task['id']}/data"
        compressed = client.get(url, params={"type": "chunk", "number": 4, "quality": "compressed"})
        assert compressed.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(compressed.content)) as archive:
            levels = [
                Image.open(io.BytesIO(archive.read(n))).convert("L").getpixel((32, 24))
                for n in archive.namelist()
            ]
        # chunk 4 holds frames 32..39, whose gray level is 5 * frame
        assert [abs(level - 5 * f) <= 6 for level, f in zip(levels, range(32, 40))] == [True] * 8
        original = client.get(url, params={"type": "chunk", "number": 4, "quality": "original"})
        assert original.headers["content-type"] == "video/mp4"
        with av.open(io.BytesIO(original.content)) as container:
            assert sum(1 for _ in container.decode(video=0)) == 8
        job = client.get("/api/jobs", params={"task_id": task["id"]}).json()["results"][
            0
        ]  # newest first: (36, 39)
        job_chunk = client.get(
            f"/api/jobs/{job['id']}/data",
            params={"type": "chunk", "index": 0, "quality": "compressed"},
        )
        with zipfile.ZipFile(io.BytesIO(job_chunk.content)) as archive:
            assert len(archive.namelist()) == 4
        job_frame = client.get(
            f"/api/jobs/{job['id']}/data", params={"type": "frame", "number": 37}
        )
        assert Image.open(io.BytesIO(job_frame.content)).size == (64, 48)
        assert (
            client.get(
                f"/api/jobs/{job['id']}/data", params={"type": "frame", "number": 1}
            ).status_code
            == 400
        )


def test_exif_rotated_images_report_displayed_size(cvat_server, tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    Image.new("RGB", (40, 20), (200, 10, 10)).save(path, exif=exif)
    with admin_client(cvat_server) as client:
        task = create_task(client, [path], name="exif")
        frame = client.get(f"/api/tasks/{task['id']}/data/meta").json()["frames"][0]
        assert (frame["width"], frame["height"]) == (20, 40)
        shown = client.get(
            f"/api/tasks/{task['id']}/data",
            params={"type": "frame", "number": 0, "quality": "compressed"},
        )
        assert Image.open(io.BytesIO(shown.content)).size == (20, 40)


def test_concurrent_clients_create_tasks_and_write_annotations(cvat_server, image_files):
    from concurrent.futures import ThreadPoolExecutor

    def one_client(n: int) -> tuple[int, int]:
        with admin_client(cvat_server) as client:
            task = create_task(client, image_files[:3], name=f"concurrent-{n}")
            label = client.get("/api/labels", params={"task_id": task["id"]}).json()["results"][0][
                "id"
            ]
            shapes = [
                {
                    "type": "rectangle",
                    "label_id": label,
                    "frame": f % 3,
                    "points": [n, f, n + 1, f + 1],
                }
                for f in range(50)
            ]
            client.put(
                f"/api/tasks/{task['id']}/annotations", json={"shapes": shapes}
            ).raise_for_status()
            got = client.get(f"/api/tasks/{task['id']}/annotations").json()["shapes"]
            return len(got), sum(1 for s in got if s["points"][0] == n)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one_client, range(4)))
    assert results == [(50, 50)] * 4
