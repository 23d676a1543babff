"""Indexes of the label attributes a user queries (a mixin of
:class:`~labelloop.store.sqlcore.SQLStore`).

An index is of one attribute (``eval``) across the database's labels, one per
JSON kind its values have (:func:`labelloop.store.hot.create_index`). Which
dataset asked for which path (``predictions.detections.eval``) is kept in the
``meta`` row ``label_indexes``; an index goes when the last path asking for its
attribute does. The store compiles with a copy of its dialect that knows the
indexed attributes (read on open and after each change here): a store opened
before another process created an index answers the same, from the documents.
"""

from __future__ import annotations

import json

from labelloop.store import hot
from labelloop.store.dialect import BOOLEAN, NUMBER, STRING
from labelloop.store.sqlconn import SQLConnection
from labelloop.store.sqledits import level_filter

_KEY = "label_indexes"
#: Kinds indexed for an attribute no label holds yet.
_DEFAULT_KINDS = [STRING, NUMBER]

#: dataset id -> path -> [attribute, JSON kinds indexed] (the ``meta`` row's JSON)
Registry = dict[str, dict[str, list]]


class LabelIndexes(SQLConnection):
    """Creating, listing and dropping label attribute indexes."""

    def label_indexes(self, dataset_id: str) -> dict[str, list[str]]:
        """The indexed paths of a dataset and the JSON kinds each index holds."""
        return {p: kinds for p, (_, kinds) in self._registry().get(dataset_id, {}).items()}

    def create_label_index(
        self, dataset_id: str, path: str, field: str, frames: bool, attr: str
    ) -> list[str]:
        """Index ``attr`` of the labels (as ``path`` of the dataset names it), for each JSON
        kind the field's labels hold it as (strings and numbers when none do); returns the
        kinds. Idempotent."""
        if hot.indexed_value(type(self).dialect, "data", attr, STRING) is None:
            raise ValueError(
                f"The attribute {attr!r} of '{path}' cannot be indexed on "
                f"{self.dialect.name}: rename it without '?'"
            )
        with self.transaction():
            registry = self._registry()
            known = registry.get(dataset_id, {}).get(path)
            if known is not None:
                return known[1]
            where, params = level_filter(field, frames)
            found = self._all(
                f"SELECT DISTINCT {self.dialect.json_kind('data')} FROM labels "
                f"WHERE dataset_id=?{where}",
                (self.dialect.path(attr), dataset_id, *params),
            )
            kinds = [k for k in (STRING, NUMBER, BOOLEAN) if (k,) in found] or _DEFAULT_KINDS
            for kind in kinds:
                self._exec(hot.create_index(type(self).dialect, attr, kind))
            registry.setdefault(dataset_id, {})[path] = [attr, kinds]
            self._save_registry(registry)
        self._index_built()
        return kinds

    def drop_label_index(self, dataset_id: str, path: str) -> None:
        """Forget ``path``'s index (``KeyError`` if it has none); the indexes no other path
        needs are dropped."""
        with self.transaction():
            registry = self._registry()
            del registry.get(dataset_id, {})[path]
            self._save_registry(registry)

    def _drop_label_indexes(self, dataset_id: str) -> None:
        """Forget a deleted dataset's indexes (in the caller's transaction)."""
        registry = self._registry()
        if registry.pop(dataset_id, None) is not None:
            self._save_registry(registry)

    def _registry(self) -> Registry:
        row = self._one("SELECT value FROM meta WHERE key=?", (_KEY,))
        return {} if row is None else json.loads(row[0])

    def _save_registry(self, registry: Registry) -> None:
        """Store the list, drop the indexes it no longer needs, and compile with it."""
        registry = {ds: paths for ds, paths in registry.items() if paths}
        old = _indexed(self._registry())
        new = _indexed(registry)
        for attr, kind in sorted(old - new):
            self._exec(f"DROP INDEX IF EXISTS {hot.index_name(attr, kind)}")
        self._exec(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (_KEY, json.dumps(registry, sort_keys=True)),
        )
        self.dialect = type(self).dialect.indexing(new)

    def _read_indexes(self) -> None:
        """Compile with the indexes the database has (on open)."""
        self.dialect = type(self).dialect.indexing(_indexed(self._registry()))


def _indexed(registry: Registry) -> frozenset[tuple[str, str]]:
    return frozenset(
        (attr, kind)
        for paths in registry.values()
        for attr, kinds in paths.values()
        for kind in kinds
    )
