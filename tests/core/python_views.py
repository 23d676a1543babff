"""The reference the SQL view compiler must equal: a view's ids as Python evaluates them."""

from __future__ import annotations

from labelloop.core import planner


def python_ids(view) -> list[str]:  # noqa: ANN001
    """The view's sample ids, in order, with the store's SQL selection switched off."""
    store = view._dataset._store
    store.view_ids = lambda *args, **kwargs: None  # the instance attribute hides the method
    try:
        return [doc["id"] for doc in planner.iter_docs(view)]
    finally:
        del store.view_ids
