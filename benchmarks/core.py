"""Dataset core benchmark: add, filters, values, aggregates on N images x 10 detections.

Each size runs in its own process so peak memory (max RSS) is per size. Prints
one line per step with wall and CPU time (CPU time is the fair comparison on a
busy machine); every step should scale linearly with N. ``--video F`` also
measures one video sample of F frames x 10 detections: adding it, streaming all
frames with ``iter_frames`` and editing a range with autosave (memory should
not grow with F beyond the rows being written).

    /work/venv/bin/python benchmarks/core.py [N ...] [--video F ...] [--uri URI]
    (default: 10000 100000 --video 10000 30000; ``--uri`` runs against that
    database, e.g. PostgreSQL, instead of a throwaway SQLite file)
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The reference system (MongoDB backend) on this machine, 100,000 samples x 10 detections,
#: wall seconds (issue 18); printed scaled to N beside each step it was measured for.
REFERENCE_100K = {
    "add_samples": 364.5,
    "iterate, read a field": 200.0,
    "filter_labels(conf>0.8).count": 0.90,
    "values(label)": 0.63,
    "count_values(label)": 0.48,
    "match(length>5).count": 0.155,
    "set_values(scalar)": 6.1,
}


def _run_size(n: int) -> None:
    from samples import detection_samples

    import labelloop as ll
    from labelloop import ViewField as F

    ds = ll.Dataset()

    def timed(step: str, run: Callable[[], Any]) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        result = run()
        wall, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        ref = REFERENCE_100K.get(step)
        ref_text = f"ref {ref * n / 100_000:7.2f} s" if ref is not None else f"ref {'-':>7}  "
        print(  # as each step ends: a long run shows its progress
            f"N={n:>7}  {step:<30} {wall:8.2f} s wall {cpu_s:8.2f} s CPU  {ref_text}  "
            f"{cpu_s / n * 1e6:7.1f} us CPU/sample  (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        return result

    timed("add_samples", lambda: ds.add_samples(detection_samples(n, "predictions", tags=True)))
    timed("iterate, read a field", lambda: [s.filepath for s in ds])
    high = timed(
        "filter_labels(conf>0.8).count",
        lambda: ds.filter_labels("predictions", F("confidence") > 0.8).count(
            "predictions.detections"
        ),
    )
    labels = timed("values(label)", lambda: ds.values("predictions.detections.label"))
    slow = timed(
        "filter_labels(conf*1>0.8).count",
        lambda: ds.filter_labels("predictions", F("confidence") * 1 > 0.8).count(
            "predictions.detections"
        ),
    )
    assert slow == high and len(labels) == n
    timed("count_values(label)", lambda: ds.count_values("predictions.detections.label"))
    timed("distinct(label)", lambda: ds.distinct("predictions.detections.label"))
    timed("bounds(confidence)", lambda: ds.bounds("predictions.detections.confidence"))
    timed("mean(confidence)", lambda: ds.mean("predictions.detections.confidence"))
    timed("sum(confidence)", lambda: ds.sum("predictions.detections.confidence"))
    timed("std(confidence)", lambda: ds.std("predictions.detections.confidence"))
    timed(
        "histogram_values(confidence)",
        lambda: ds.histogram_values("predictions.detections.confidence", bins=10),
    )
    many = F("predictions.detections").length() > 5
    timed("match(length>5).count", lambda: ds.match(many).count())
    timed(
        "sort_by(length).values(id)",
        lambda: ds.sort_by(F("predictions.detections").length()).values("id"),
    )
    timed("match_tags.values(id)", lambda: ds.match_tags("val").values("id"))
    timed("set_values(scalar)", lambda: ds.set_values("x", list(range(n))))
    evals = [["tp" if j % 2 else "fp" for j in range(10)] for _ in range(n)]
    timed(
        "set_values(label attribute)",
        lambda: ds.set_values("predictions.detections.eval", evals),
    )
    timed("App first page (class filter)", lambda: _app_first_page(ds))
    _add_ground_truth(ds, random.Random(0))  # setup, not timed
    timed(
        "evaluate_detections(eval_key)",
        lambda: ds.evaluate_detections("predictions", gt_field="ground_truth", eval_key="ev"),
    )
    fp = F("ev") == "fp"
    fps = timed(
        "filter_labels(ev==fp).count",
        lambda: ds.filter_labels("predictions", fp).count("predictions.detections"),
    )
    counts = timed("count_values(ev)", lambda: ds.count_values("predictions.detections.ev"))
    timed("create_index(ev)", lambda: ds.create_index("predictions.detections.ev"))
    indexed = timed(
        "filter_labels(ev==fp).count, index",
        lambda: ds.filter_labels("predictions", fp).count("predictions.detections"),
    )
    assert indexed == fps
    assert (
        timed("count_values(ev), index", lambda: ds.count_values("predictions.detections.ev"))
        == counts
    )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"N={n:>7}  {'peak RSS':<30} {peak_mb:8.0f} MB  ({high} detections > 0.8)")
    ds.delete()


def _app_first_page(ds) -> int:  # noqa: ANN001
    """What the App does for a new class filter: the filtered ids, then one page of samples."""
    from labelloop.app import samples
    from labelloop.app.state import AppState

    page = samples.page(AppState(ds), {"labels": {"predictions": {"classes": ["cat"]}}}, 0, 50)
    return len(page["samples"])


def _add_ground_truth(ds, rng) -> None:  # noqa: ANN001
    """Give every sample a ground_truth: six of its predicted boxes, jittered."""
    import labelloop as ll

    gts = []
    for boxes in ds.values("predictions.detections.bounding_box"):
        dets = [
            ll.Detection(label="cat", bounding_box=[b[0] + rng.random() * 0.02, *b[1:]])
            for b in boxes[:6]
        ]
        gts.append(ll.Detections(detections=dets))
    ds.set_values("ground_truth", gts)


def _run_video(frames: int) -> None:
    import labelloop as ll

    rng = random.Random(1)
    sample = ll.Sample("/data/long.mp4")
    for number in range(1, frames + 1):
        sample.frames[number]["detections"] = ll.Detections(
            detections=[
                ll.Detection(label="car", bounding_box=[rng.random() * 0.5, 0.1, 0.2, 0.2])
                for _ in range(10)
            ]
        )
    ds = ll.Dataset()
    timings = {}
    start, cpu = time.perf_counter(), time.process_time()
    ds.add_sample(sample)
    timings["add video sample"] = (time.perf_counter() - start, time.process_time() - cpu)
    del sample
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start, cpu = time.perf_counter(), time.process_time()
    stored = ds.first()
    total = sum(len(f.detections.detections) for f in stored.frames.iter_frames())
    timings["stream all frames"] = (time.perf_counter() - start, time.process_time() - cpu)
    assert total == frames * 10

    start, cpu = time.perf_counter(), time.process_time()
    for frame in stored.frames.iter_frames(start=1, stop=frames // 2, autosave=True):
        frame.detections.detections[0].label = "truck"
    timings["edit half (autosave)"] = (time.perf_counter() - start, time.process_time() - cpu)
    assert ds.count_values("frames.detections.detections.label")["truck"] == frames // 2

    after_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for step, (wall, cpu_s) in timings.items():
        print(
            f"F={frames:>7}  {step:<30} {wall:8.2f} s wall {cpu_s:8.2f} s CPU  "
            f"{cpu_s / frames * 1e6:7.1f} us CPU/frame"
        )
    print(
        f"F={frames:>7}  {'peak RSS':<30} {after_mb:8.0f} MB  "
        f"(after building and adding: {before_mb:.0f} MB)"
    )
    ds.delete()


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        _run_size(int(argv[1]))
        return
    if argv[:1] == ["--one-video"]:
        _run_video(int(argv[1]))
        return
    uri = None
    if "--uri" in argv:  # another database, e.g. postgresql://user:pass@host:5432/db
        at = argv.index("--uri")
        uri = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    split = argv.index("--video") if "--video" in argv else len(argv)
    sizes = [int(a) for a in argv[:split]] or ([10_000, 100_000] if not argv else [])
    videos = [int(a) for a in argv[split + 1 :]] or ([10_000, 30_000] if not argv else [])
    with tempfile.TemporaryDirectory(prefix="labelloop-bench-") as home:
        env = dict(os.environ, LABELLOOP_DATABASE_DIR=home, PYTHONPATH=ROOT)
        env.pop("LABELLOOP_DATABASE_URI", None)
        if uri is not None:
            env["LABELLOOP_DATABASE_URI"] = uri
            print(f"database: {uri.split(':', 1)[0]} (--uri)")  # never the URI: it holds secrets
        for n in sizes:
            subprocess.run([sys.executable, __file__, "--one", str(n)], env=env, check=True)
        for f in videos:
            subprocess.run([sys.executable, __file__, "--one-video", str(f)], env=env, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
