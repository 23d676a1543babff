"""Dataset core benchmark: add, filter+count and values on N image samples x 10 detections.

Each size runs in its own process so peak memory (max RSS) is per size. Prints
one line per step; every step should scale linearly with N.

    /work/venv/bin/python benchmarks/core.py [N ...]      (default: 10000 100000)
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_size(n: int) -> None:
    import labelloop as ll
    from labelloop import ViewField as F

    rng = random.Random(0)
    classes = ["cat", "dog", "person", "car", "bike"]

    def samples():
        for i in range(n):
            dets = [
                ll.Detection(
                    label=rng.choice(classes),
                    bounding_box=[rng.random() * 0.5, rng.random() * 0.5, 0.2, 0.2],
                    confidence=rng.random(),
                )
                for _ in range(10)
            ]
            yield ll.Sample(f"/data/img{i:07d}.jpg", predictions=ll.Detections(detections=dets))

    ds = ll.Dataset()
    timings = {}
    start = time.perf_counter()
    ds.add_samples(samples())
    timings["add_samples"] = time.perf_counter() - start

    start = time.perf_counter()
    high = ds.filter_labels("predictions", F("confidence") > 0.8).count("predictions.detections")
    timings["filter_labels+count (SQL)"] = time.perf_counter() - start

    start = time.perf_counter()
    labels = ds.values("predictions.detections.label")
    timings["values(label)"] = time.perf_counter() - start

    start = time.perf_counter()
    slow = ds.filter_labels("predictions", F("confidence") * 1 > 0.8).count(
        "predictions.detections"
    )
    timings["filter_labels+count (Python)"] = time.perf_counter() - start
    assert slow == high and len(labels) == n

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for step, seconds in timings.items():
        print(f"N={n:>7}  {step:<30} {seconds:8.2f} s  {seconds / n * 1e6:7.1f} us/sample")
    print(f"N={n:>7}  {'peak RSS':<30} {peak_mb:8.0f} MB  ({high} detections > 0.8)")
    ds.delete()


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        _run_size(int(argv[1]))
        return
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    with tempfile.TemporaryDirectory(prefix="labelloop-bench-") as home:
        env = dict(os.environ, LABELLOOP_DATABASE_DIR=home, PYTHONPATH=ROOT)
        env.pop("LABELLOOP_DATABASE_URI", None)
        for n in sizes:
            subprocess.run([sys.executable, __file__, "--one", str(n)], env=env, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
