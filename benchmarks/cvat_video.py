"""Benchmark: annotate() and load_annotations() of dense video tracks against the local CVAT server.

The full case is 10 videos x 1,000 frames x 20 tracks (200,000 boxes); the
tenth is 1 video of the same kind. Each case runs in its own process so the
peak RSS is that case's own. Prints wall and CPU times, HTTP request counts
and peak memory (process RSS and Python heap) for the upload and for the
download + merge. Run:

    python benchmarks/cvat_video.py                      # both cases
    python benchmarks/cvat_video.py --videos 10 --frames 1000 --tracks 20
    python benchmarks/cvat_video.py --long-video 10000   # upload memory of one long video
"""

from __future__ import annotations

import argparse
import logging
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import av
import numpy as np

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample
from labelloop.testing.cvat_server import LocalCVATServer

WIDTH, HEIGHT = 96, 64


def _video(path: Path, frames: int, noise: bool = False) -> str:
    """An H.264 MP4; ``noise`` frames compress badly, so the file gets big."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(frames):
            if noise:
                array = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
            else:
                array = np.full((HEIGHT, WIDTH, 3), i % 256, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


def _dataset(work: Path, videos: int, frames: int, tracks: int) -> Dataset:
    dataset = Dataset()
    rng = np.random.default_rng(0)
    for v in range(videos):
        sample = Sample(filepath=_video(work / f"video{v}.mp4", frames))
        start = rng.random((tracks, 2)) * 0.5
        for number in range(1, frames + 1):
            xy = (start + 0.0003 * number) % 0.75
            sample.frames[number]["detections"] = Detections(
                detections=[
                    Detection(
                        label=("car", "person")[k % 2],
                        bounding_box=[*xy[k], 0.2, 0.2],
                        index=k + 1,
                        type="a",
                    )
                    for k in range(tracks)
                ]
            )
        dataset.add_sample(sample)
    return dataset


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(action):
    wall, cpu = time.perf_counter(), time.process_time()
    out = action()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def run_case(videos: int, frames: int, tracks: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="labelloop-bench-video-"))
    dataset = _dataset(work, videos, frames, tracks)
    print(
        f"{videos} video(s) x {frames} frames x {tracks} tracks "
        f"({videos * frames * tracks} boxes); RSS after building {_peak_rss_mib():.0f} MiB"
    )
    schema = {"frames.detections": {"type": "detections", "classes": ["car", "person"]}}
    with LocalCVATServer(work / "server", username="bench", password="bench-pw") as server:
        creds = {"url": server.url, "username": "bench", "password": "bench-pw"}
        tracemalloc.start()
        results, wall, cpu = _timed(lambda: dataset.annotate("bench", label_schema=schema, **creds))
        _, heap = tracemalloc.get_traced_memory()
        client = results.backend.connect_to_api().client
        print(
            f"  annotate: {wall:.1f} s wall, {cpu:.1f} s CPU, {client.request_count} requests, "
            f"{len(results.task_ids)} task(s), peak Python heap {heap / 2**20:.0f} MiB, "
            f"peak RSS {_peak_rss_mib():.0f} MiB"
        )
        tracemalloc.reset_peak()
        before = client.request_count
        report, wall, cpu = _timed(lambda: dataset.load_annotations("bench", **creds))
        _, heap = tracemalloc.get_traced_memory()
        diff = report.fields["frames.detections"]
        print(
            f"  load_annotations: {wall:.1f} s wall, {cpu:.1f} s CPU, "
            f"{client.request_count - before} requests, peak Python heap {heap / 2**20:.0f} MiB, "
            f"peak RSS {_peak_rss_mib():.0f} MiB (added {diff.added}, deleted {diff.deleted}, "
            f"edited {diff.edited})"
        )
        results.cleanup()


def run_long_video(frames: int) -> None:
    """Upload one long video without labels: the Python heap stays far below the file size."""
    work = Path(tempfile.mkdtemp(prefix="labelloop-bench-video-"))
    dataset = Dataset()
    dataset.add_sample(Sample(filepath=_video(work / "long.mp4", frames, noise=True)))
    size_mib = (work / "long.mp4").stat().st_size / 2**20
    with LocalCVATServer(work / "server", username="bench", password="bench-pw") as server:
        creds = {"url": server.url, "username": "bench", "password": "bench-pw"}
        tracemalloc.start()
        results, wall, cpu = _timed(
            lambda: dataset.annotate(
                "long",
                label_field="frames.boxes",
                label_type="detections",
                classes=["car"],
                **creds,
            )
        )
        _, heap = tracemalloc.get_traced_memory()
        print(
            f"{frames}-frame video ({size_mib:.1f} MiB): annotate {wall:.1f} s wall, {cpu:.1f} s "
            f"CPU, peak Python heap {heap / 2**20:.1f} MiB, peak RSS {_peak_rss_mib():.0f} MiB"
        )
        results.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=None)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--tracks", type=int, default=20)
    parser.add_argument("--long-video", type=int, default=None, metavar="FRAMES")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.long_video is not None:
        run_long_video(args.long_video)
        return
    if args.videos is not None:
        run_case(args.videos, args.frames, args.tracks)
        return
    for videos in (1, 10):  # a tenth, then the full case, each in a fresh process
        subprocess.run(
            [
                sys.executable,
                __file__,
                f"--videos={videos}",
                f"--frames={args.frames}",
                f"--tracks={args.tracks}",
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
