"""Child processes for the concurrency tests: ``python -m tests.postgres.workers CMD ...``.

Each command opens the database named by ``LABELLOOP_DATABASE_URI``, waits for
the ``go`` file (so the processes start their writes together) and does one
kind of work. Annotation runs travel as a pickled memory-backend server state.
"""

from __future__ import annotations

import os
import pickle
import sys
import time

import labelloop as ll


def wait_for(path: str, limit: float = 60.0) -> None:
    """Block until ``path`` exists."""
    deadline = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} never appeared")
        time.sleep(0.01)


def edit(name: str, start: str, stop: str, go: str) -> None:
    """Tag samples ``[start, stop)`` of the dataset and add one label to each, one save each."""
    dataset = ll.load_dataset(name)
    view = dataset.skip(int(start)).limit(int(stop) - int(start))
    wait_for(go)
    for sample in view:
        sample["editor"] = os.getpid()
        sample["gt"].detections.append(ll.Detection(label=f"by-{start}"))
        sample.save()


def merge(name: str, state_path: str, anno_key: str, go: str) -> None:
    """Load annotation run ``anno_key`` whose server state is pickled at ``state_path``."""
    from labelloop.annotation.config import annotation_config
    from tests.annotation import memory_backend

    annotation_config.backends["memory"] = {"config_cls": memory_backend.CONFIG_CLS, "token": "t"}
    with open(state_path, "rb") as fh:
        memory_backend.SERVER[anno_key] = pickle.load(fh)
    dataset = ll.load_dataset(name)
    wait_for(go)
    try:
        dataset.load_annotations(anno_key, unexpected="ignore")
    except Exception as err:  # the test reads what happened from the exit status and stderr
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        raise SystemExit(3) from None


def count(name: str, sample_id: str, times: str, go: str) -> None:
    """Increment ``n`` of one sample ``times`` times, each a read-modify-write transaction."""
    dataset = ll.load_dataset(name)
    wait_for(go)
    for _ in range(int(times)):
        with dataset.transaction():
            sample = dataset[sample_id]
            sample.reload()
            sample["n"] = sample["n"] + 1
            sample.save()


def add(name: str, batches: str, size: str, go: str) -> None:
    """Add ``batches`` x ``size`` samples with two labels each, one transaction per batch."""
    dataset = ll.load_dataset(name)
    wait_for(go)
    for b in range(int(batches)):
        dataset.add_samples(
            [
                ll.Sample(
                    f"/new/{b}-{i}.jpg",
                    gt=ll.Detections(detections=[ll.Detection(label="a"), ll.Detection(label="b")]),
                )
                for i in range(int(size))
            ]
        )


def iterate(name: str, done: str, go: str) -> None:
    """Iterate a view again and again until ``done`` exists, marking each sample seen.

    Prints ``incomplete`` for an added sample seen without both its labels (a half-written add).
    """
    dataset = ll.load_dataset(name)
    view = dataset.exists("gt")
    wait_for(go)
    passes = 0
    while True:
        finished = os.path.exists(done)  # one more full pass after the adder has finished
        for sample in view:
            if sample.filepath.startswith("/new/") and len(sample["gt"].detections) != 2:
                print("incomplete", sample.id)
            sample["seen"] = passes
            sample.save()
        passes += 1
        if finished:
            break
    print("passes", passes)


if __name__ == "__main__":
    {"edit": edit, "merge": merge, "count": count, "add": add, "iterate": iterate}[sys.argv[1]](
        *sys.argv[2:]
    )
