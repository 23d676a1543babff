"""Methods that higher layers implement for collections.

``Dataset`` and ``DatasetView`` expose ``evaluate_detections``, ``annotate``,
``load_annotations`` and friends so the spec's examples read naturally, but the
work lives in ``labelloop.evaluation`` and ``labelloop.annotation``, which the
core must not import. Those packages register their implementations here when
``labelloop`` is imported; the collection methods look them up by name.
(``AnnotationResults.diff`` reaches the annotation flows the same way.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {}


def implements(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``func`` as the implementation of collection method ``name``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _IMPLEMENTATIONS[name] = func
        return func

    return register


def call(name: str, collection: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Run the registered implementation of ``name`` on ``collection``."""
    try:
        func = _IMPLEMENTATIONS[name]
    except KeyError:
        raise RuntimeError(
            f"'{name}' is provided by a labelloop component that is not loaded; "
            "import labelloop (not only labelloop.core) before using it"
        ) from None
    return func(collection, *args, **kwargs)


def lookup(name: str) -> Callable[..., Any] | None:
    """The registered implementation of ``name``, or ``None`` (for optional hooks)."""
    return _IMPLEMENTATIONS.get(name)
