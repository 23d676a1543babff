"""What the CVAT benchmarks share: the server to use, counting requests, measuring a step.

The server is the one ``--url/--username/--password`` name (default:
``LABELLOOP_CVAT_URL``/``_USERNAME``/``_PASSWORD``); without a URL a local
CVAT-compatible server is started in a child process. Requests are counted on
the client by an httpx event hook (every attempt, retries and logins
included) and, when ``--access-log`` (default ``CVAT_ACCESS_LOG``) names the
server's access log, also on the server by its line count. Each step prints
wall and CPU seconds, requests, peak Python heap (tracemalloc) and peak RSS,
with the machine's load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from labelloop.cvat import run_tasks


class RequestCounter:
    """Counts every HTTP request any ``httpx.Client`` of this process sends."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        original = httpx.Client.__init__

        def init(client: httpx.Client, *args: Any, event_hooks: Any = None, **kwargs: Any) -> None:
            hooks = dict(event_hooks or {})
            hooks["request"] = [*hooks.get("request", []), self._hit]
            original(client, *args, event_hooks=hooks, **kwargs)

        httpx.Client.__init__ = init  # type: ignore[method-assign]

    def _hit(self, request: httpx.Request) -> None:
        with self._lock:
            self.count += 1


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--url", default=env("LABELLOOP_CVAT_URL"), help="CVAT server")
    parser.add_argument("--username", default=env("LABELLOOP_CVAT_USERNAME"))
    parser.add_argument(
        "--password",
        default=env("LABELLOOP_CVAT_PASSWORD"),
        help="better given as LABELLOOP_CVAT_PASSWORD: a command line is visible to other users",
    )
    parser.add_argument(
        "--access-log",
        default=env("CVAT_ACCESS_LOG"),
        help="the server's access log (one line per request), to count requests server-side",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=run_tasks.TASK_CONCURRENCY,
        help=f"tasks uploaded at once (default {run_tasks.TASK_CONCURRENCY}; 1: one after another)",
    )


def child_process(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The server options again for a child process: flags, and the credentials in its
    environment (never on a command line other users can read)."""
    argv = [f"--concurrency={args.concurrency}"]
    if args.access_log:
        argv.append(f"--access-log={args.access_log}")
    env = dict(os.environ)
    for name in ("url", "username", "password"):
        value = getattr(args, name)
        if value:
            env[f"LABELLOOP_CVAT_{name.upper()}"] = value
    return argv, env


@contextlib.contextmanager
def cvat_server(args: argparse.Namespace, work: Path) -> Iterator[dict[str, str]]:
    """``annotate()`` credentials of the server to benchmark (a local one if none given)."""
    run_tasks.TASK_CONCURRENCY = args.concurrency
    if args.url:
        print(f"server: {args.url} (task concurrency {args.concurrency})")
        yield {"url": args.url, "username": args.username, "password": args.password}
        return
    from labelloop.testing.cvat_server import LocalCVATServer

    print(f"server: local CVAT-compatible server (task concurrency {args.concurrency})")
    with LocalCVATServer(work / "server", username="bench", password="bench-pw") as server:
        yield {"url": server.url, "username": "bench", "password": "bench-pw"}


def work_dir(prefix: str) -> Path:
    """A fresh directory for media, the local server and the datasets' own database (a
    shared default database would make concurrent benchmarks wait on each other's locks)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("LABELLOOP_DATABASE_DIR", str(work / "db"))
    return work


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _lines(path: str | None) -> int | None:
    if not path:
        return None
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def measure(
    name: str, action: Callable[[], Any], counter: RequestCounter, args: argparse.Namespace
) -> Any:
    """Run ``action`` and print one line of figures about it; return its result."""
    if not tracemalloc.is_tracing():
        tracemalloc.start()
    tracemalloc.reset_peak()
    requests, logged = counter.count, _lines(args.access_log)
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    out = action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _, heap = tracemalloc.get_traced_memory()
    server = ""
    if logged is not None:
        server = f" ({_lines(args.access_log) - logged} in the server's log)"
    print(
        f"  {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, {counter.count - requests} requests"
        f"{server}, peak Python heap {heap / 2**20:.0f} MiB, peak RSS {_peak_rss_mib():.0f} MiB"
        f" [load {load:.2f} -> {os.getloadavg()[0]:.2f}]",
        flush=True,
    )
    return out


def annotate_and_load(
    dataset: Any,
    field: str,
    creds: dict[str, str],
    counter: RequestCounter,
    args: argparse.Namespace,
    **annotate_kwargs: Any,
) -> None:
    """Measure ``annotate()`` then ``load_annotations()`` of one run; delete its tasks after."""
    results = measure(
        "annotate", lambda: dataset.annotate("bench", **annotate_kwargs, **creds), counter, args
    )
    try:
        print(f"  ({len(results.task_ids)} task(s))")
        report = measure(
            "load_annotations", lambda: dataset.load_annotations("bench", **creds), counter, args
        )
        diff = report.fields[field]
        print(f"  (added {diff.added}, deleted {diff.deleted}, edited {diff.edited})")
    finally:
        results.cleanup()
