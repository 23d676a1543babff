"""Object ids: 24 hex characters, time-ordered, unique across processes.

The layout follows MongoDB's ObjectId (4 bytes of seconds, 5 random bytes, a
3-byte counter) so ids look familiar to users migrating from the reference
system and sort roughly by creation time.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
import time

_RANDOM = os.urandom(5)
_PID = os.getpid()
_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))
_LOCK = threading.Lock()
_ID_RE = re.compile(r"^[0-9a-f]{24}$")


def new_id() -> str:
    """Return a fresh 24-character hex id."""
    global _RANDOM, _PID
    with _LOCK:
        if os.getpid() != _PID:  # forked: never share the random part with the parent
            _PID = os.getpid()
            _RANDOM = os.urandom(5)
        count = next(_COUNTER) & 0xFFFFFF
    return (
        (int(time.time()) & 0xFFFFFFFF).to_bytes(4, "big").hex()
        + _RANDOM.hex()
        + (count.to_bytes(3, "big").hex())
    )


def is_id(value: object) -> bool:
    """Whether ``value`` is a well-formed id string."""
    return isinstance(value, str) and bool(_ID_RE.match(value))


def derived_id(*parts: object, separator: str = "\x1f") -> str:
    """A stable id made from ``parts`` (the same parts always give the same id).

    ``separator`` joins the parts before hashing; ids already stored were made with
    their family's separator, so each family keeps its own (see
    :func:`labelloop.annotation.diff.loaded_id`).
    """
    text = separator.join(str(p) for p in parts)
    return hashlib.sha1(text.encode()).hexdigest()[:24]
