"""Wait for the jobs of an annotation run to be completed, with a progress bar.

Used by ``labelloop runs wait`` and the demo. It only reads job states from the
server (``results.get_status()``), so Ctrl-C at any moment leaves the run and
the server untouched; the caller decides what to clean up.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from labelloop.cli.errors import SERVER_ERROR, USER_ERROR, CLIError
from labelloop.progress import bar

logger = logging.getLogger(__name__)


def job_states(results: Any) -> dict[int, str]:
    """``{job_id: state}`` over every task of the run still on the server."""
    states: dict[int, str] = {}
    for tasks in results.get_status().values():
        for info in tasks.values():
            for job_id, job in info["jobs"].items():
                states[job_id] = job.get("state") or job.get("status") or "new"
    return states


def wait_for_jobs(
    results: Any,
    interval: float = 5.0,
    timeout: float | None = None,
    hint: str = "run 'labelloop runs wait' again later",
) -> dict[int, str]:
    """Poll until every job of ``results`` is ``completed``; return the final states.

    Raises :class:`CLIError`: exit 2 when the run has no jobs left on the
    server, exit 1 when ``timeout`` seconds pass first.
    """
    if interval <= 0:
        raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
    start = time.monotonic()
    with bar(total=None, desc="Waiting for the annotators", unit="job") as shown:
        while True:
            states = job_states(results)
            if not states:
                raise CLIError(
                    f"annotation run {results.anno_key!r} has no jobs on the server any more "
                    "(were its tasks deleted?)",
                    SERVER_ERROR,
                )
            done = sum(state == "completed" for state in states.values())
            shown.total, shown.n = len(states), done
            shown.refresh()
            if done == len(states):
                return states
            if timeout is not None and time.monotonic() - start > timeout:
                raise CLIError(  # the annotators are not done: nothing failed, exit 1
                    f"{len(states) - done} of {len(states)} jobs still not completed after "
                    f"{timeout:g} s; {hint}",
                    USER_ERROR,
                )
            time.sleep(interval)
