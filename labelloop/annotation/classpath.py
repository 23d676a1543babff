"""Classes named by dotted path, as stored run records and backend configs name them."""

from __future__ import annotations

import importlib


def import_class(path: str, what: str = "class") -> type:
    """Import ``"package.module.Name"`` (``ValueError`` naming the path when it fails)."""
    if not isinstance(path, str) or "." not in path:
        raise ValueError(f"{what} must be a dotted path like 'package.module.Class', not {path!r}")
    module_name, _, attr = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"Cannot import {what} {path!r}: {err}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"Cannot import {what} {path!r}: {module_name} has no {attr!r}") from None


def class_path(obj: type | object) -> str:
    """The dotted path that :func:`import_class` turns back into ``obj``'s class."""
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"
