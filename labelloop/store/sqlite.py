"""The SQLite engine: one database file, WAL journal, one connection per process.

WAL lets any number of processes read while one writes; every write runs in
an ``IMMEDIATE`` transaction so a process killed midway leaves the previous
state (SQLite rolls the unfinished transaction back on next open).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from labelloop.store import counts, hot
from labelloop.store.base import SAMPLE_LEVEL
from labelloop.store.pyfuncs import SQLITE_FUNCTIONS
from labelloop.store.sqlcore import SQLStore
from labelloop.store.sqlite_dialect import SQLITE
from labelloop.store.sqllabels import LABEL_KEY

logger = logging.getLogger(__name__)

#: Bump when the layout changes, and make :meth:`SQLiteStore._upgrade` bring older ones up.
#: 2: hot label attributes (:mod:`labelloop.store.hot`).
#: 3: label ids unique within a field (``labels_key``), no longer across the dataset.
#: 4: ``labels_values``: per-label counts stream in label order (:mod:`labelloop.store.hot`).
#: 5: no ``labels_values``: it slowed every label edit more than it sped counts up.
#: 6: ``labels.items``, the item count of each list (:mod:`labelloop.store.counts`).
#: 7: ``labels.item_labels``, the items' labels of each list, in its index ``labels_lists``.
SCHEMA_VERSION = 7
#: Bytes of the file read through a memory map (SQLite caps it at its build's maximum).
MMAP_BYTES = 1 << 32

_LABEL_COLS = "dataset_id, id, sample_id, frame_number, field, position, data"
#: Labels are keyed by id within their (sample- or frame-level) field: ``labels_key``.
_LABELS = """CREATE TABLE IF NOT EXISTS {name}(
    dataset_id TEXT NOT NULL, id TEXT NOT NULL, sample_id TEXT NOT NULL,
    frame_number INTEGER NOT NULL, field TEXT NOT NULL, position INTEGER NOT NULL,
    data TEXT NOT NULL)"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets(
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, persistent INTEGER NOT NULL,
    created_at TEXT NOT NULL, next_seq INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples(
    dataset_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY(dataset_id, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS samples_seq ON samples(dataset_id, seq);
CREATE TABLE IF NOT EXISTS frames(
    dataset_id TEXT NOT NULL, sample_id TEXT NOT NULL, frame_number INTEGER NOT NULL,
    id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY(dataset_id, sample_id, frame_number)) WITHOUT ROWID;
{labels};
CREATE UNIQUE INDEX IF NOT EXISTS labels_key ON labels({LABEL_KEY});
CREATE INDEX IF NOT EXISTS labels_loc
    ON labels(dataset_id, sample_id, field, frame_number, position);
CREATE TABLE IF NOT EXISTS runs(
    dataset_id TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, info TEXT NOT NULL,
    results TEXT, PRIMARY KEY(dataset_id, key));
CREATE TABLE IF NOT EXISTS users(
    dataset_id TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
    PRIMARY KEY(dataset_id, pid, host));
""".format(labels=_LABELS.format(name="labels"), LABEL_KEY=LABEL_KEY)


class SQLiteStore(SQLStore):
    """:class:`~labelloop.store.base.Store` on an SQLite file at ``path``."""

    dialect = SQLITE
    _unique_error = sqlite3.IntegrityError

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=60.0
        )
        for name, (arity, fn) in SQLITE_FUNCTIONS.items():  # Python's semantics in SQL
            self._conn.create_function(name, arity, fn, deterministic=True)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        # 64 MB page cache, and reads straight from the OS's cache through a memory map:
        # on 1M labels a scan of the hot index took 0.23 s CPU through read() calls and
        # 0.14 s mapped, a per-value count 1.1 s and 0.7 s
        self._conn.execute("PRAGMA cache_size=-65536")
        self._conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        # temp_store stays the default: big sorts (GROUP BY, ORDER BY of 1M labels) merge
        # through temporary files 2-4x faster than through in-memory ones (1M: 0.9-1.1 s CPU
        # vs 2.3-5 s)
        version = self._stored_version()
        if version is not None and version > SCHEMA_VERSION:
            raise RuntimeError(
                f"The database {path} has schema version {version}, newer than this "
                f"labelloop understands ({SCHEMA_VERSION}); upgrade labelloop"
            )
        if version != SCHEMA_VERSION:  # only then write: readers never wait for a writer here
            with self.transaction():
                self._upgrade()
                self._conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
        self._read_indexes()
        logger.debug("Opened SQLite store %s", path)

    def _upgrade(self) -> None:
        """Create or complete the layout (every step is idempotent)."""
        self._rekey_labels()
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._conn.execute(statement)
        present = frozenset(r[1] for r in self._conn.execute("PRAGMA table_xinfo(labels)"))
        for statement in [*hot.schema(SQLITE, present), *counts.schema(SQLITE, present)]:
            self._conn.execute(statement)

    def _rekey_labels(self) -> None:
        """Files before version 3 keyed labels by id across the dataset (the table's primary
        key): rebuild the table without it, keeping every row (``_SCHEMA`` then adds
        ``labels_key`` and the indexes, :mod:`~labelloop.store.hot` its columns)."""
        keys = self._conn.execute("PRAGMA index_list(labels)").fetchall()
        if not any(row[3] == "pk" for row in keys):  # a new file, or already rebuilt
            return
        self._conn.execute(_LABELS.format(name="labels_rekeyed"))
        self._conn.execute(
            f"INSERT INTO labels_rekeyed({_LABEL_COLS}) SELECT {_LABEL_COLS} FROM labels"
        )
        self._conn.execute("DROP TABLE labels")
        self._conn.execute("ALTER TABLE labels_rekeyed RENAME TO labels")
        logger.info("Rebuilt the labels table of %s: ids are unique per field", self.path)

    # -- plumbing ----------------------------------------------------------

    def _stored_version(self) -> int | None:
        try:
            row = self._one("SELECT value FROM meta WHERE key='schema_version'")
        except sqlite3.OperationalError:  # a new, empty database
            return None
        return None if row is None else int(row[0])

    def _begin(self, write: bool) -> None:
        # IMMEDIATE: take the write lock now, not at the first write (no deadlock on upgrade)
        self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def _join_write(self) -> None:
        """Nothing to do: SQLite takes the write lock at a snapshot's first write."""

    def _finish(self, commit: bool) -> None:
        if commit:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:  # SQLite may have rolled back already (disk full)
            self._conn.execute("ROLLBACK")

    def _index_built(self) -> None:
        """Nothing: SQLite plans without statistics here (an ANALYZE would change every
        plan, not only those of the new index)."""

    def _executemany(self, sql: str, rows: list[Sequence[Any]]) -> int:
        with self._lock:
            return self._conn.executemany(sql, rows).rowcount

    def _update_docs(
        self, table: str, dataset_id: str, remove: str | None, rename: tuple[str, str] | None
    ) -> None:
        if remove is not None:
            self._exec(
                f"UPDATE {table} SET doc=json_remove(doc, ?) WHERE dataset_id=?",
                (SQLITE.path(remove), dataset_id),
            )
        if rename is not None:
            old, new = (SQLITE.path(k) for k in rename)
            self._exec(
                f"UPDATE {table} SET doc=json_remove(json_set(doc, ?, json_extract(doc, ?)), ?)"
                " WHERE dataset_id=? AND json_type(doc, ?) IS NOT NULL",
                (new, old, old, dataset_id, old),
            )


__all__ = ["SQLiteStore", "SCHEMA_VERSION", "SAMPLE_LEVEL"]
