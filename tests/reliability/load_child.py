"""Child process of the load-fault tests: load a run, SIGKILLing itself at a chosen point.

``python -m tests.reliability.load_child DATASET KEY URL TOKEN POINT N``; POINT is
``none``, ``save`` (the Nth ``Sample.save`` of the merge, inside its transaction)
or ``results`` (storing the results, after the merge committed).
"""

from __future__ import annotations

import os
import signal
import sys


def _kill_on_call(owner: object, name: str, nth: int) -> None:
    original = getattr(owner, name)
    calls = 0

    def wrapper(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def main(argv: list[str]) -> None:
    name, key, url, token, point, nth = argv
    import labelloop
    from labelloop.annotation import api as annotation_api
    from labelloop.core.sample import Sample

    if point == "save":
        _kill_on_call(Sample, "save", int(nth))
    elif point == "results":
        _kill_on_call(annotation_api.runs, "save_results", int(nth))
    dataset = labelloop.load_dataset(name)
    dataset.load_annotations(key, url=url, token=token, unexpected="keep")
    print("loaded")


if __name__ == "__main__":
    main(sys.argv[1:])
