"""Benchmark: CVAT XML read/write throughput and peak memory on big files.

Generates "CVAT for images 1.1" files of the requested sizes with the streaming
writer, then parses each in a fresh subprocess and prints its peak RSS next to
the peak RSS of a subprocess that only imports the reader. Bounded memory shows
as a peak that does not grow with the file size.

    python benchmarks/cvat_xml.py --sizes 50 500
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

_PARSE = """
import resource, sys, time
from labelloop.cvat.xml import iter_cvat_xml
if sys.argv[1] != "--import-only":
    t = time.perf_counter(); images = shapes = 0
    for kind, record in iter_cvat_xml(sys.argv[1]):
        if kind == "image":
            images += 1; shapes += len(record["shapes"])
    print(images, shapes, time.perf_counter() - t)
else:
    print(0, 0, 0.0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def generate(path: str, megabytes: int) -> tuple[int, float]:
    """Write images with mixed shapes until the file reaches ``megabytes``."""
    from labelloop.cvat.xml import CVATXMLWriter, attribute_spec, label_spec, task_meta

    labels = [label_spec("car", attributes=[attribute_spec("color", values=["red", "blue"])])]
    target = megabytes * 1_000_000
    start = time.perf_counter()
    count = 0
    with open(path, "wb") as stream:
        writer = CVATXMLWriter(stream, task_meta(name="bench", labels=labels, size=0))
        while stream.tell() < target:
            x = float(count % 500)
            shapes = [
                {
                    "type": "rectangle",
                    "label": "car",
                    "points": [x, 1.5, x + 40.25, 80.75],
                    "attributes": [{"name": "color", "value": "red"}],
                },
                {
                    "type": "polygon",
                    "label": "car",
                    "points": [x, 2.0, x + 9.5, 3.0, x + 4.25, 12.0, x + 1.0, 11.5],
                },
                {"type": "points", "label": "car", "points": [x, 5.0, x + 1.0, 6.0]},
                {"type": "mask", "label": "car", "points": [3, 5, 7, 1, x, 7, x + 3, 10]},
            ]
            writer.write_image(
                {
                    "id": count,
                    "name": f"img/{count:08d}.jpg",
                    "width": 640,
                    "height": 480,
                    "shapes": shapes,
                    "tags": [{"label": "car"}],
                }
            )
            count += 1
        writer.close()
    return count, time.perf_counter() - start


def parse_in_subprocess(arg: str) -> tuple[int, int, float, int]:
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run(
        [sys.executable, "-c", _PARSE, arg], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    images, shapes, seconds, rss_kib = int(out[0]), int(out[1]), float(out[2]), int(out[3])
    return images, shapes, seconds, rss_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500], help="file sizes in MB")
    parser.add_argument(
        "--dir", default=None, help="where to write the files (default: a temp dir)"
    )
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    workdir = args.dir or tempfile.mkdtemp(prefix="cvat-xml-bench-")
    *_, base_rss = parse_in_subprocess("--import-only")
    print(f"python + reader import only: peak RSS {base_rss / 1024:.1f} MiB")
    for size in args.sizes:
        path = os.path.join(workdir, f"cvat_{size}mb.xml")
        count, write_s = generate(path, size)
        actual = os.path.getsize(path) / 1e6
        images, shapes, read_s, rss = parse_in_subprocess(path)
        assert images == count, (images, count)
        print(
            f"{actual:7.1f} MB, {images} images, {shapes} shapes | "
            f"write {write_s:6.1f} s ({actual / write_s:5.1f} MB/s) | "
            f"read {read_s:6.1f} s ({actual / read_s:5.1f} MB/s, {images / read_s:,.0f} images/s) | "
            f"reader peak RSS {rss / 1024:.1f} MiB"
        )
        os.unlink(path)
    print(
        f"(benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB)"
    )


if __name__ == "__main__":
    main()
