"""The PostgreSQL engine: a database several machines share.

Selected by ``LABELLOOP_DATABASE_URI=postgresql://user:pass@host:5432/db``.
One connection per process (psycopg 3, autocommit between transactions).

Concurrency. Every write transaction first takes one transaction-scoped
advisory lock, so writers run one at a time exactly as on SQLite: a
read-modify-write inside ``dataset.transaction()`` (a merge reading the run's
id map and labels, a sample save) can never interleave with another process's
and lose its update, and loading the same annotation run twice at once is
serialized. Readers never wait: ``snapshot()`` is a ``REPEATABLE READ``
transaction, plain reads see the latest commit. A writer waits at most
60 seconds for the lock, then fails with ``TimeoutError``.

The URI's password never reaches logs, reprs or error messages.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

try:
    import psycopg
    from psycopg import errors as pgerrors
except ImportError as err:  # the optional dependency of the "postgres" extra
    raise ImportError(
        "A postgresql:// database needs psycopg 3: pip install 'labelloop[postgres]'"
    ) from err

from labelloop.store import pg_schema
from labelloop.store.pg_dialect import POSTGRES
from labelloop.store.sqlcore import SQLStore
from labelloop.store.sqllabels import UPSERT_LABELS
from labelloop.store.uri import redact_uri, scrub

logger = logging.getLogger(__name__)

SCHEMA_VERSION = pg_schema.SCHEMA_VERSION
#: Key of the advisory lock every writer holds for its transaction.
WRITE_LOCK = 0x6C6C_7772  # "llwr"
LOCK_TIMEOUT_S = 60
_ANALYZE_MIN = 20_000  # copied rows that make statistics worth refreshing
_COPY_MIN = 200  # label rows from which upserts go through COPY into a staging table
_LABEL_COLS = "dataset_id, id, sample_id, frame_number, field, position, data"


class PostgresStore(SQLStore):
    """:class:`~labelloop.store.base.Store` on a PostgreSQL database (``postgresql://`` URI)."""

    dialect = POSTGRES
    _unique_error = pgerrors.UniqueViolation

    def __init__(self, uri: str) -> None:
        self._uri = uri
        self.display_uri = redact_uri(uri)
        self._lock = threading.RLock()
        self._writing = False
        self._copied = 0  # rows copied in since the last ANALYZE
        self._analyzed_rows = 0
        try:
            self._conn = psycopg.connect(uri, autocommit=True, connect_timeout=10)
        except psycopg.Error as err:
            reason = scrub(str(err).strip(), uri)
            raise ConnectionError(
                f"Cannot connect to PostgreSQL at {self.display_uri}: {reason}"
            ) from None
        self._conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
        # JIT compiling costs more than it saves on these short JSON-reading scans
        self._conn.execute("SET jit = off")
        self._migrate()
        self._read_indexes()
        logger.debug("Opened PostgreSQL store %s", self.display_uri)

    def __repr__(self) -> str:
        return f"PostgresStore({self.display_uri!r})"

    # -- plumbing ----------------------------------------------------------

    def stored_version(self) -> int:
        """The schema version the database records (0 for an empty database)."""
        exists = self._one("SELECT to_regclass('meta') IS NOT NULL")[0]
        if not exists:
            return 0
        row = self._one("SELECT value FROM meta WHERE key='schema_version'")
        return 0 if row is None else int(row[0])

    def _migrate(self) -> None:
        if not pg_schema.pending_steps(self.stored_version(), self.display_uri):
            return  # only then write: readers never wait for a writer here
        with self.transaction():  # re-read under the lock: another process may have upgraded
            stored = self.stored_version()
            for version, step in enumerate(pg_schema.pending_steps(stored, self.display_uri)):
                for statement in step:
                    self._conn.execute(statement)
                logger.info("Upgraded %s to schema version %d", self.display_uri, stored + version)
            self._conn.execute(
                "INSERT INTO meta(key, value) VALUES('schema_version', %s) "
                "ON CONFLICT (key) DO UPDATE SET value=EXCLUDED.value",
                (str(SCHEMA_VERSION),),
            )

    def _begin(self, write: bool) -> None:
        self._conn.execute("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ")

    def _join_write(self) -> None:
        if self._writing:
            return
        try:
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except pgerrors.LockNotAvailable:
            raise TimeoutError(
                f"Another process kept the write lock of {self.display_uri} for "
                f"{LOCK_TIMEOUT_S} s; retry when its transaction has finished"
            ) from None
        self._writing = True

    def _finish(self, commit: bool) -> None:
        self._writing = False
        if commit:
            self._conn.execute("COMMIT")
            self._analyze_after_growth()
            return
        try:
            self._conn.execute("ROLLBACK")
        except psycopg.Error:  # a broken connection: the server rolls back by itself
            logger.debug("Rollback failed on %s", self.display_uri, exc_info=True)

    def _executemany(self, sql: str, rows: list[Sequence[Any]]) -> int:
        with self._lock, self._conn.cursor() as cur:
            cur.executemany(sql, rows)
            return cur.rowcount

    def _bulk_insert(self, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
        self._copy(table, columns, rows)

    def _upsert_label_values(self, values: list[tuple]) -> int:
        if len(values) < _COPY_MIN:
            return self._write_many(UPSERT_LABELS, values)
        self._exec(
            "CREATE TEMP TABLE IF NOT EXISTS labels_stage "
            "(LIKE labels INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        self._copy("labels_stage", _LABEL_COLS, values)
        update = UPSERT_LABELS[UPSERT_LABELS.index(" ON CONFLICT") :]
        written = self._exec(
            f"INSERT INTO labels({_LABEL_COLS}) SELECT {_LABEL_COLS} FROM labels_stage{update}"
        ).rowcount
        self._exec("TRUNCATE labels_stage")
        return written

    def _copy(self, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.transaction(), self._lock, self._conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            self._copied += max(cur.rowcount, 0)

    def _index_built(self) -> None:
        # an expression's statistics come with ANALYZE: without them the planner takes
        # eval == "fp" (87% of 1M labels) for 0.5% and walks the index to every row
        # (7.1 s instead of 5.4 s from the documents)
        if not self.in_transaction:
            self._conn.execute("ANALYZE labels")

    def _analyze_after_growth(self) -> None:
        """Refresh the planner's statistics once bulk copies have doubled what it knew.

        Autovacuum analyzes late; until then the planner believes a freshly
        filled table is empty and picks plans that scan every label per batch.
        Doubling steps keep the cost of ``ANALYZE`` (a fixed-size sample) small.
        (Not ``VACUUM``, which would let index-only scans start at once: its cost is
        every dead row of the database, other writers' too, 22 s for a 2k add.)
        """
        if self._copied < max(_ANALYZE_MIN, self._analyzed_rows):
            return
        self._analyzed_rows += self._copied
        self._copied = 0
        try:
            self._conn.execute("ANALYZE samples, frames, labels")
        except psycopg.Error:  # statistics are an optimisation: never fail a commit for them
            logger.debug("ANALYZE failed on %s", self.display_uri, exc_info=True)

    def _update_docs(
        self, table: str, dataset_id: str, remove: str | None, rename: tuple[str, str] | None
    ) -> None:
        if remove is not None:
            self._move_key(table, dataset_id, remove, None)
        if rename is not None:
            self._move_key(table, dataset_id, *rename)

    def _move_key(self, table: str, dataset_id: str, key: str, new: str | None) -> None:
        """Remove ``key`` (or move it to ``new``) in the documents holding it.

        Done in Python on the JSON text so documents keep their key order.
        """
        keys = ("sample_id", "frame_number") if table == "frames" else ("id",)
        rows = self._all(
            f"SELECT {', '.join(keys)}, doc FROM {table} WHERE dataset_id=? "
            f"AND {POSTGRES.json_text('doc')} IS NOT NULL",
            (dataset_id, POSTGRES.path(key)),
        )
        updates = []
        for row in rows:
            doc = json.loads(row[-1])
            value = _pop_path(doc, key)
            if new is not None:
                _set_path(doc, new, value)
            updates.append((json.dumps(doc, separators=(",", ":")), dataset_id, *row[:-1]))
        where = " AND ".join(f"{k}=?" for k in ("dataset_id", *keys))
        self._write_many(f"UPDATE {table} SET doc=? WHERE {where}", updates)


def _pop_path(doc: dict[str, Any], key: str) -> Any:
    *parents, last = key.split(".")
    for part in parents:
        doc = doc[part]
    return doc.pop(last)


def _set_path(doc: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[last] = value


__all__ = ["PostgresStore", "SCHEMA_VERSION"]
