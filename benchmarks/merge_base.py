"""Cost of the merge base: storing what a run sent, and merging against it (issue 15).

Images: N images x 10 boxes; videos: V videos x F frames x T tracks (boxes with an
index). For each, in its own process (so peak RSS is per case), it prints wall and CPU
time and the Python heap peak (tracemalloc) of:

* ``record base``: what ``annotate()`` now adds after the upload (the base, streamed
  per sample and frame range into the store);
* ``merge two-way``: the merge as it was before (no base: the dataset stands in);
* ``merge three-way``: the merge against the stored base (which it also rewrites
  where CVAT changed things).

The download is simulated in memory (every 10th box moved, one deleted per sample or
frame), so the numbers are the framework's own cost, not the network's; ``simulated
download`` times producing those chunks alone (it is part of both merge rows). Each row
ends with the machine's 1-minute load average, since the machine may be shared.

    .venv/bin/python benchmarks/merge_base.py [--images N] [--videos V F T]
    (default: --images 1000 --videos 10 1000 20)
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import subprocess
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _timed(label: str, func):
    tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    load = os.getloadavg()[0]
    print(
        f"  {label:<18} wall {wall:7.2f} s  cpu {cpu:7.2f} s  heap peak {peak:7.1f} MiB"
        f"  (load {load:.1f})",
        flush=True,
    )
    return out


def _edited(value, frame=None):
    """The annotator's version of a value: every 10th box moved, the last one deleted."""
    out = {}
    items = value.detections
    for i, det in enumerate(items[:-1]):
        copy = det.copy()
        if i % 10 == 0:
            x, y, w, h = copy.bounding_box
            copy.bounding_box = [x + 0.01, y, w, h]
        out[copy.id] = copy
    return out


def _merge(dataset, key, schema, id_map, chunks, legacy):
    from labelloop.annotation.merge import Merger, resolve_dest
    from labelloop.annotation.merge_base import RunBase
    from labelloop.annotation.unexpected import UnexpectedLabels

    handler = UnexpectedLabels("ignore", dataset, schema, False)
    merger = Merger(
        dataset,
        schema,
        id_map,
        resolve_dest(dataset, schema, None),
        handler,
        base=RunBase(dataset, key),
        legacy=legacy,
    )
    with dataset.transaction():
        report = merger.run(chunks)
    diff = next(iter(report.fields.values()))
    return diff.added, diff.deleted, diff.edited


def _images(n: int) -> None:
    import labelloop as ll
    from labelloop.annotation.merge_base import record_base

    schema = {"gt": {"type": "detections", "classes": ["a", "b"], "attributes": {}}}
    dataset = ll.Dataset()
    dataset.add_samples(
        ll.Sample(
            filepath=f"/img/{i}.jpg",
            gt=ll.Detections(
                detections=[
                    ll.Detection(label="ab"[k % 2], bounding_box=[0.01 * k, 0.1, 0.2, 0.2])
                    for k in range(10)
                ]
            ),
        )
        for i in range(n)
    )
    id_map = {"gt": {s.id: [d.id for d in s.gt.detections] for s in dataset.iter_samples()}}
    print(f"images: {n} x 10 boxes", flush=True)
    _timed("record base", lambda: record_base(dataset, "run", schema, id_map, ()))

    def chunks(ds):
        for sample in ds.iter_samples():
            yield sample.id, {"gt": {"detections": _edited(sample.gt)}}

    _timed("simulated download", lambda: sum(1 for _ in chunks(dataset)))

    for legacy in (True, False):
        name = "merge two-way" if legacy else "merge three-way"
        # both merges start from the same dataset: a clone per measurement
        clone = dataset.clone()
        clone_map = {"gt": {s.id: [d.id for d in s.gt.detections] for s in clone.iter_samples()}}
        if not legacy:
            record_base(clone, "run", schema, clone_map, ())
        ids = {s.id for s in clone.iter_samples()}
        counts = _timed(
            name, functools.partial(_merge, clone, "run", schema, clone_map, chunks(clone), legacy)
        )
        print(f"  {'':<18} added/deleted/edited {counts} over {len(ids)} samples", flush=True)
    _rss()


def _videos(v: int, f: int, t: int) -> None:
    import labelloop as ll
    from labelloop.annotation.merge_base import record_base

    schema = {"frames.gt": {"type": "detections", "classes": ["a"], "attributes": {}}}
    dataset = ll.Dataset()
    for i in range(v):
        sample = ll.Sample(filepath=f"/video/{i}.mp4")
        for number in range(1, f + 1):
            sample.frames[number]["gt"] = ll.Detections(
                detections=[
                    ll.Detection(
                        label="a", bounding_box=[0.001 * number, 0.01 * k, 0.1, 0.1], index=k
                    )
                    for k in range(t)
                ]
            )
        dataset.add_sample(sample)
    print(f"videos: {v} x {f} frames x {t} tracks", flush=True)

    def id_map_of(ds):
        out = {}
        for sample in ds.iter_samples():
            out[sample.id] = {
                fr.frame_number: [d.id for d in fr.gt.detections]
                for fr in sample.frames.iter_frames()
            }
        return {"frames.gt": out}

    def chunks(ds):
        for sample in ds.iter_samples():
            frames = {fr.frame_number: _edited(fr.gt) for fr in sample.frames.iter_frames()}
            yield sample.id, {"frames.gt": {"detections": frames}}

    _timed("simulated download", lambda: sum(1 for _ in chunks(dataset)))
    for legacy in (True, False):
        name = "merge two-way" if legacy else "merge three-way"
        clone = dataset.clone()
        clone_map = id_map_of(clone)
        if not legacy:
            _timed(
                "record base", functools.partial(record_base, clone, "run", schema, clone_map, ())
            )
        counts = _timed(
            name, functools.partial(_merge, clone, "run", schema, clone_map, chunks(clone), legacy)
        )
        print(f"  {'':<18} added/deleted/edited {counts}", flush=True)
    _rss()


def _rss() -> None:
    print(
        f"  max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB", flush=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--videos", type=int, nargs=3, default=[10, 1000, 20])
    parser.add_argument("--case", choices=["images", "videos"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case == "images":
        return _images(args.images)
    if args.case == "videos":
        return _videos(*args.videos)
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.setdefault("LABELLOOP_DATABASE_DIR", os.path.join("/tmp", f"merge-bench-{os.getpid()}"))
    for case in ("images", "videos"):
        command = [sys.executable, __file__, "--case", case, "--images", str(args.images)]
        command += ["--videos", *map(str, args.videos)]
        subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
