"""Benchmark: annotate() and load_annotations() of dense video tracks against a CVAT server.

One task per video; by default 2 and then 10 videos x 300 frames x 10 tracks
(30,000 boxes), each case in its own process so the peak RSS is that case's
own. Prints wall and CPU times, HTTP request counts and peak memory (process
RSS and Python heap) for the upload and for the download + merge (see
cvat_common.py for the server options; without one a local CVAT-compatible
server is started). Run:

    python benchmarks/cvat_video.py                      # 2, then 10 videos
    python benchmarks/cvat_video.py --videos 10 --frames 1000 --tracks 20
    python benchmarks/cvat_video.py --videos 10 --concurrency 1   # tasks one after another
    LABELLOOP_CVAT_PASSWORD=P python benchmarks/cvat_video.py --url URL --username U
    python benchmarks/cvat_video.py --long-video 10000   # upload memory of one long video
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
from cvat_common import (
    RequestCounter,
    add_server_arguments,
    annotate_and_load,
    child_process,
    cvat_server,
    measure,
    work_dir,
)

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample

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


def run_case(args: argparse.Namespace) -> None:
    counter = RequestCounter()
    work = work_dir("labelloop-bench-video-")
    videos, frames, tracks = args.videos, args.frames, args.tracks
    dataset = _dataset(work, videos, frames, tracks)
    print(
        f"{videos} video(s) x {frames} frames x {tracks} tracks ({videos * frames * tracks} boxes)"
    )
    schema = {"frames.detections": {"type": "detections", "classes": ["car", "person"]}}
    with cvat_server(args, work) as creds:
        annotate_and_load(dataset, "frames.detections", creds, counter, args, label_schema=schema)


def run_long_video(args: argparse.Namespace) -> None:
    """Upload one long video without labels: the Python heap stays far below the file size."""
    counter = RequestCounter()
    work = work_dir("labelloop-bench-video-")
    dataset = Dataset()
    dataset.add_sample(Sample(filepath=_video(work / "long.mp4", args.long_video, noise=True)))
    size_mib = (work / "long.mp4").stat().st_size / 2**20
    print(f"{args.long_video}-frame video ({size_mib:.1f} MiB)")
    with cvat_server(args, work) as creds:
        results = measure(
            "annotate",
            lambda: dataset.annotate(
                "long",
                label_field="frames.boxes",
                label_type="detections",
                classes=["car"],
                **creds,
            ),
            counter,
            args,
        )
        results.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=None)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--tracks", type=int, default=10)
    parser.add_argument("--long-video", type=int, default=None, metavar="FRAMES")
    add_server_arguments(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.long_video is not None:
        run_long_video(args)
        return
    if args.videos is not None:
        run_case(args)
        return
    argv, env = child_process(args)
    for videos in (2, 10):  # each case in a fresh process
        subprocess.run(
            [
                sys.executable,
                __file__,
                f"--videos={videos}",
                f"--frames={args.frames}",
                f"--tracks={args.tracks}",
                *argv,
            ],
            check=True,
            env=env,
        )


if __name__ == "__main__":
    main()
