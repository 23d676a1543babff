"""Derived views benchmark: patches of N images x 10 detections, never copied.

Builds N image samples with 10 detections each (10 N patches), then times
opening the patches view and reading its first patch, counting, the first
page, a sort, ``values``, a full iteration and an autosave edit of a slice,
printing wall and CPU time per step and the peak memory (max RSS) before and
after iterating every patch: iteration streams, so memory must not grow
with the number of patches. Each size runs in its own process.

    .venv/bin/python benchmarks/views.py [N ...]     (default: 10000)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_size(n: int) -> None:
    from samples import detection_samples

    import labelloop as ll
    from labelloop import ViewField as F

    ds = ll.Dataset()
    ds.add_samples(detection_samples(n, "ground_truth"))
    before = _rss_mb()
    rows = []

    def step(name, fn):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        rows.append((name, time.perf_counter() - start, time.process_time() - cpu, result))
        return result

    patches = step("open to_patches + first()", lambda: ds.to_patches("ground_truth").first().id)
    patches = ds.to_patches("ground_truth")
    step("count()", patches.count)
    step("first page (limit(50))", lambda: len(list(patches.limit(50))))
    step("values('ground_truth.label')", lambda: len(patches.values("ground_truth.label")))
    step(
        "count_values('ground_truth.label')",
        lambda: len(patches.count_values("ground_truth.label")),
    )
    step(
        "sort_by(confidence).first()", lambda: patches.sort_by("ground_truth.confidence").first().id
    )
    step(
        "filter_labels(cat).count()",
        lambda: patches.filter_labels("ground_truth", F("label") == "cat").count(),
    )

    def iterate():
        count = 0
        for _ in patches.iter_samples():
            count += 1
        return count

    step("iterate every patch", iterate)
    after = _rss_mb()

    def edit():
        edited = 0
        for patch in patches.limit(2000).iter_samples(autosave=True):
            patch.ground_truth.label = patch.ground_truth.label.upper()
            edited += 1
        return edited

    step("autosave edit of 2000 patches", edit)
    print(f"\n{n} samples, {n * 10} patches (SQLite)")
    for name, wall, cpu, result in rows:
        print(f"  {name:40s} wall {wall:7.3f}s  cpu {cpu:7.3f}s  -> {result}")
    print(
        f"  peak RSS before iterating {before:.0f} MB, after iterating every patch {after:.0f} MB"
    )
    ds.delete()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--size":
        _run_size(int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10000]
    for n in sizes:
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, LABELLOOP_HOME=home, LABELLOOP_DATABASE_DIR=home)
            env.pop("LABELLOOP_DATABASE_URI", None)
            env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
            subprocess.run([sys.executable, __file__, "--size", str(n)], check=True, env=env)


if __name__ == "__main__":
    main()
