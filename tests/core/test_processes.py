"""Several processes on one database: crashes, concurrent readers, non-persistent cleanup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import labelloop as ll
from labelloop.core.labels import Detection, Detections

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _spawn(code: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: str, proc: subprocess.Popen, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child never reached the marker")
        time.sleep(0.02)


def _sample(i: int) -> ll.Sample:
    return ll.Sample(
        f"/data/{i}.jpg",
        gt=Detections(detections=[Detection(label=str(k)) for k in range(3)]),
    )


def test_sigkill_during_add_samples_leaves_dataset_as_before(dataset, tmp_path):
    dataset.add_samples([_sample(i) for i in range(5)])
    before = dataset.values("id")
    marker = str(tmp_path / "midway")
    child = _spawn(
        """
        import sys, time
        import labelloop as ll
        from labelloop.core.labels import Detection, Detections
        ds = ll.load_dataset(sys.argv[1])
        def samples():
            for i in range(10_000):
                if i == 2500:  # several batches are already flushed by now
                    open(sys.argv[2], "w").close()
                    time.sleep(600)
                yield ll.Sample(f"/new/{i}.jpg",
                                gt=Detections(detections=[Detection(label="x")]))
        ds.add_samples(samples(), batch_size=500)
        """,
        dataset.name,
        marker,
    )
    _wait_for(marker, child)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert dataset.values("id") == before
    assert dataset.count("gt.detections") == 15
    dataset.add_sample(_sample(99))  # the killed writer's lock is gone
    assert len(dataset) == 6


def test_two_readers_while_a_third_process_writes(dataset, tmp_path):
    dataset.persistent = True
    dataset.add_samples([_sample(i) for i in range(20)])
    stop = str(tmp_path / "stop")
    writing = str(tmp_path / "writing")
    writer = _spawn(
        """
        import os, sys, time
        import labelloop as ll
        from labelloop.core.labels import Detection, Detections

        def sample(name):
            dets = [Detection(label=str(k)) for k in range(3)]
            return ll.Sample(name, gt=Detections(detections=dets))

        ds = ll.load_dataset(sys.argv[1])
        for n in range(10):  # committed writes
            with ds.transaction():
                ds.add_samples([sample(f"/w/{n}-{i}.jpg") for i in range(5)])
        with ds.transaction():  # a write in progress while the readers read
            ds.add_samples([sample(f"/w/open-{i}.jpg") for i in range(5)])
            open(sys.argv[3], "w").close()
            while not os.path.exists(sys.argv[2]):
                time.sleep(0.02)
        """,
        dataset.name,
        stop,
        writing,
    )
    _wait_for(writing, writer)
    reader_code = """
        import sys
        import labelloop as ll
        ds = ll.load_dataset(sys.argv[1])
        sizes = set()
        for _ in range(5):
            labels = ds.values("gt.detections.label")
            assert all(x == ["0", "1", "2"] for x in labels), "saw a half-written sample"
            sizes.add(len(labels))
            sizes.add(ds.count())
        print(*sorted(sizes))
        """
    readers = [_spawn(reader_code, dataset.name) for _ in range(2)]
    outputs = [r.communicate(timeout=120) for r in readers]
    open(stop, "w").close()
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    for reader, (out, err) in zip(readers, outputs):
        assert reader.returncode == 0, err
        assert out.split() == ["70"]  # every committed sample, none of the open transaction
    assert len(dataset) == 75
    assert dataset.count("gt.detections") == 225


def test_non_persistent_datasets_vanish_with_their_process(dataset):
    child = _spawn(
        """
        import labelloop as ll
        keep = ll.Dataset("np_keep_me", persistent=True)
        temp = ll.Dataset("np_temp")
        temp.add_sample(ll.Sample("/a.jpg"))
        """
    )
    assert child.wait(timeout=60) == 0, child.communicate()
    assert ll.dataset_exists("np_keep_me")
    assert not ll.dataset_exists("np_temp")
    ll.delete_dataset("np_keep_me")
    killed = _spawn(
        """
        import time
        import labelloop as ll
        ll.Dataset("np_killed")
        print("ready", flush=True)
        time.sleep(600)
        """
    )
    assert killed.stdout.readline().strip() == "ready"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert ll.dataset_exists("np_killed")  # nobody ran its exit hook yet
    ll.delete_non_persistent_datasets()
    assert not ll.dataset_exists("np_killed")
    assert ll.dataset_exists(dataset.name)  # used by this live process


def test_fields_declared_by_another_process_survive(dataset):
    dataset.add_sample(ll.Sample("/a.jpg", mine=1))
    child = _spawn(
        """
        import sys
        import labelloop as ll
        ds = ll.load_dataset(sys.argv[1])
        ds.add_sample(ll.Sample("/b.jpg", theirs="x", shared=1))
        first = ds.first()
        first["kind"] = ll.Classification(label="cat")
        first.save()
        """,
        dataset.name,
    )
    assert child.wait(timeout=60) == 0, child.communicate()
    # reads see what the other process declared, without an explicit reload()
    assert dataset.values("theirs") == [None, "x"]
    assert dataset.first().kind.label == "cat"
    cats = dataset.filter_labels("kind", ll.ViewField("label") == "cat")
    assert cats.values("filepath") == ["/a.jpg"]
    # this object's schema is stale: declaring more fields must not drop 'theirs'
    dataset.add_sample(ll.Sample("/c.jpg", later=True))
    dataset.info["note"] = "saved from a stale object"
    dataset.save()
    dataset.reload()
    assert {"mine", "theirs", "later", "shared"} <= set(dataset.get_field_schema())
    assert dataset.values("theirs") == [None, "x", None]
    import pytest

    with pytest.raises(ValueError, match="'shared' is declared as int"):
        dataset.add_sample(ll.Sample("/d.jpg", shared="text"))


def test_cached_results_are_rebuilt_after_another_process_saves(dataset):
    from labelloop.core import runs
    from tests.core.results_cls import CountResults

    dataset.persistent = True
    runs.register_run(dataset, "evaluation", "ev", {})
    runs.save_results(dataset, "ev", CountResults(1))
    first = dataset.load_evaluation_results("ev")
    assert first.total == 1 and dataset.load_evaluation_results("ev") is first
    child = _spawn(
        """
        import sys
        import labelloop as ll
        from labelloop.core import runs
        from tests.core.results_cls import CountResults
        ds = ll.load_dataset(sys.argv[1])
        runs.save_results(ds, "ev", CountResults(2))
        """,
        dataset.name,
    )
    assert child.wait(timeout=60) == 0, child.communicate()
    assert dataset.load_evaluation_results("ev").total == 2
