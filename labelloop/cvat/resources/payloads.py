"""Shape checks of annotation documents the server sends, before anything reads them.

A proxy's page, a truncated or hand-edited answer must end in an error naming
the call, never in a ``KeyError`` deep in a download or, worse, in a document
read as "no annotations" (which a merge would take for deleted labels).
"""

from __future__ import annotations

from typing import Any

from labelloop.cvat.errors import CVATServerError

_KINDS = ("tags", "shapes", "tracks")
_REQUIRED = {
    "tags": ("label_id", "frame"),
    "shapes": ("label_id", "frame", "type", "points"),
    "tracks": ("label_id", "frame", "shapes"),
}


def checked_annotations(body: Any, path: str) -> dict[str, Any]:
    """``body`` if it is a well-formed annotation document, else :class:`CVATServerError`."""
    problem = _problem(body)
    if problem:
        raise CVATServerError(
            f"GET {path} returned a malformed annotation document ({problem}); the server or "
            "a proxy in front of it answered something that is not CVAT's; retry, or check "
            "the server's logs",
            method="GET",
            path=path,
        )
    return body


def _problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"a {type(body).__name__}, not an object"
    for kind in _KINDS:
        items = body.get(kind)
        if not isinstance(items, list):
            return f"{kind!r} is missing or not a list"
        for obj in items:
            if not isinstance(obj, dict):
                return f"an item of {kind!r} is not an object"
            missing = [key for key in _REQUIRED[kind] if key not in obj]
            if missing:
                return f"an item of {kind!r} lacks {missing}"
    return None
