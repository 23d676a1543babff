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

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

try:
    import psycopg
    from psycopg import errors as pgerrors
except ImportError as err:  # the optional dependency of the "postgres" extra
    raise ImportError(
        "A postgresql:// database needs psycopg 3: pip install 'labelloop[postgres]'"
    ) from err

from labelloop.store import codec, pg_schema
from labelloop.store.base import DatasetRecord, Store
from labelloop.store.pg_labels import LabelQueries, chunks
from labelloop.store.run_docs import RunDocs
from labelloop.store.uri import redact_uri, scrub

logger = logging.getLogger(__name__)

SCHEMA_VERSION = pg_schema.SCHEMA_VERSION
#: Key of the advisory lock every writer holds for its transaction.
WRITE_LOCK = 0x6C6C_7772  # "llwr"
LOCK_TIMEOUT_S = 60
_ANALYZE_MIN = 20_000  # copied rows that make statistics worth refreshing


def _record(row: tuple) -> DatasetRecord:
    return DatasetRecord(row[0], row[1], bool(row[2]), row[3], codec.loads(row[4]))


def _value(text: str | None) -> Any:
    return None if text is None else codec.loads(text)


class PostgresStore(RunDocs, LabelQueries, Store):
    """:class:`Store` on a PostgreSQL database given by a ``postgresql://`` URI."""

    _RUN_DOCS_PARAM = "%s"

    def __init__(self, uri: str) -> None:
        self._uri = uri
        self.display_uri = redact_uri(uri)
        self._lock = threading.RLock()
        self._depth = 0
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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                if not self._writing:  # a write inside a snapshot: become a writer
                    self._take_write_lock()
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN")
            self._depth = 1
            try:
                self._take_write_lock()
                yield
            except BaseException:
                self._end("ROLLBACK")
                raise
            self._end("COMMIT")

    def _take_write_lock(self) -> None:
        try:
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except pgerrors.LockNotAvailable:
            raise TimeoutError(
                f"Another process kept the write lock of {self.display_uri} for "
                f"{LOCK_TIMEOUT_S} s; retry when its transaction has finished"
            ) from None
        self._writing = True

    def _end(self, verb: str) -> None:
        self._depth = 0
        self._writing = False
        if verb == "COMMIT":
            self._conn.execute(verb)
            self._analyze_after_growth()
            return
        try:
            self._conn.execute(verb)
        except psycopg.Error:  # a broken connection: the server rolls back by itself
            logger.debug("Rollback failed on %s", self.display_uri, exc_info=True)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                yield
                return
            self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._end("ROLLBACK")
                raise
            self._end("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def _write(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.transaction():
            self._conn.execute(sql, params)

    def _write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.transaction(), self._conn.cursor() as cur:
                cur.executemany(sql, rows)

    def _copy(self, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.transaction(), self._conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            self._copied += max(cur.rowcount, 0)

    def _analyze_after_growth(self) -> None:
        """Refresh the planner's statistics once bulk copies have doubled what it knew.

        Autovacuum analyzes late; until then the planner believes a freshly
        filled table is empty and picks plans that scan every label per batch.
        Doubling steps keep the cost of ``ANALYZE`` (a fixed-size sample) small.
        """
        if self._copied < max(_ANALYZE_MIN, self._analyzed_rows):
            return
        self._analyzed_rows += self._copied
        self._copied = 0
        try:
            self._conn.execute("ANALYZE samples, frames, labels")
        except psycopg.Error:  # statistics are an optimisation: never fail a commit for them
            logger.debug("ANALYZE failed on %s", self.display_uri, exc_info=True)

    # -- datasets ----------------------------------------------------------

    def list_datasets(self) -> list[str]:
        return [r[0] for r in self._all("SELECT name FROM datasets ORDER BY name")]

    def get_dataset(self, name: str | None = None, id: str | None = None) -> DatasetRecord | None:
        col, value = ("name", name) if id is None else ("id", id)
        row = self._one(
            f"SELECT id, name, persistent, created_at, doc FROM datasets WHERE {col}=%s", (value,)
        )
        return None if row is None else _record(row)

    def create_dataset(self, id: str, name: str, persistent: bool, doc: dict[str, Any]) -> None:
        with self.transaction():
            if self._one("SELECT 1 FROM datasets WHERE name=%s", (name,)):
                raise ValueError(f"A dataset named {name!r} already exists")
            self._conn.execute(
                "INSERT INTO datasets(id, name, persistent, created_at, doc) "
                "VALUES(%s,%s,%s,%s,%s)",
                (
                    id,
                    name,
                    persistent,
                    dt.datetime.now(dt.timezone.utc).isoformat(),
                    codec.dumps(doc),
                ),
            )

    def update_dataset(
        self,
        dataset_id: str,
        *,
        name: str | None = None,
        persistent: bool | None = None,
        doc: dict[str, Any] | None = None,
    ) -> None:
        with self.transaction():
            if name is not None:
                taken = self._one(
                    "SELECT 1 FROM datasets WHERE name=%s AND id<>%s", (name, dataset_id)
                )
                if taken:
                    raise ValueError(f"A dataset named {name!r} already exists")
                self._conn.execute("UPDATE datasets SET name=%s WHERE id=%s", (name, dataset_id))
            if persistent is not None:
                self._conn.execute(
                    "UPDATE datasets SET persistent=%s WHERE id=%s", (persistent, dataset_id)
                )
            if doc is not None:
                self._conn.execute(
                    "UPDATE datasets SET doc=%s WHERE id=%s", (codec.dumps(doc), dataset_id)
                )

    def delete_dataset(self, dataset_id: str) -> None:
        with self.transaction():
            self._drop_run_docs(dataset_id)
            for table in ("labels", "frames", "samples", "runs", "users"):
                self._conn.execute(f"DELETE FROM {table} WHERE dataset_id=%s", (dataset_id,))
            self._conn.execute("DELETE FROM datasets WHERE id=%s", (dataset_id,))

    def register_user(self, dataset_id: str, pid: int, host: str) -> None:
        self._write(
            "INSERT INTO users(dataset_id, pid, host) VALUES(%s,%s,%s) ON CONFLICT DO NOTHING",
            (dataset_id, pid, host),
        )

    def unregister_user(self, dataset_id: str, pid: int, host: str) -> None:
        self._write(
            "DELETE FROM users WHERE dataset_id=%s AND pid=%s AND host=%s",
            (dataset_id, pid, host),
        )

    def list_users(self, dataset_id: str) -> list[tuple[int, str]]:
        rows = self._all("SELECT pid, host FROM users WHERE dataset_id=%s", (dataset_id,))
        return [(r[0], r[1]) for r in rows]

    def list_non_persistent(self) -> list[DatasetRecord]:
        rows = self._all(
            "SELECT id, name, persistent, created_at, doc FROM datasets WHERE NOT persistent"
        )
        return [_record(r) for r in rows]

    # -- samples -----------------------------------------------------------

    def count_samples(self, dataset_id: str) -> int:
        return self._one("SELECT COUNT(*) FROM samples WHERE dataset_id=%s", (dataset_id,))[0]

    def sample_ids(self, dataset_id: str, limit: int | None = None) -> list[str]:
        rows = self._all(
            "SELECT id FROM samples WHERE dataset_id=%s ORDER BY seq LIMIT %s",
            (dataset_id, limit),
        )
        return [r[0] for r in rows]

    def insert_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        with self.transaction():
            (seq,) = self._one("SELECT next_seq FROM datasets WHERE id=%s", (dataset_id,))
            self._copy(
                "samples",
                "dataset_id, id, seq, doc",
                ((dataset_id, sid, seq + i, codec.dumps(doc)) for i, (sid, doc) in enumerate(rows)),
            )
            self._conn.execute(
                "UPDATE datasets SET next_seq=%s WHERE id=%s", (seq + len(rows), dataset_id)
            )

    def update_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self._write_many(
            "UPDATE samples SET doc=%s WHERE dataset_id=%s AND id=%s",
            ((codec.dumps(doc), dataset_id, sid) for sid, doc in rows),
        )

    def delete_samples(self, dataset_id: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self.transaction():
            for chunk in chunks(ids):
                for table, col in (("labels", "sample_id"), ("frames", "sample_id")):
                    self._conn.execute(
                        f"DELETE FROM {table} WHERE dataset_id=%s AND {col} = ANY(%s)",
                        (dataset_id, chunk),
                    )
                self._conn.execute(
                    "DELETE FROM samples WHERE dataset_id=%s AND id IN (SELECT unnest(%s::text[]))",
                    (dataset_id, chunk),
                )

    def iter_samples(
        self, dataset_id: str, ids: Sequence[str] | None = None, batch_size: int = 1000
    ) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        if ids is None:
            last = -1
            while True:
                rows = self._all(
                    "SELECT id, doc, seq FROM samples WHERE dataset_id=%s AND seq>%s "
                    "ORDER BY seq LIMIT %s",
                    (dataset_id, last, batch_size),
                )
                if not rows:
                    return
                last = rows[-1][2]
                yield list(zip((r[0] for r in rows), codec.loads_many([r[1] for r in rows])))
        for chunk in chunks(ids, batch_size):
            rows = self._all(
                "SELECT id, doc FROM samples WHERE dataset_id=%s AND id IN (SELECT unnest(%s::text[]))",
                (dataset_id, chunk),
            )
            found = dict(zip((r[0] for r in rows), codec.loads_many([r[1] for r in rows])))
            yield [(sid, found[sid]) for sid in chunk if sid in found]

    def sample_values(
        self, dataset_id: str, key: str, ids: Sequence[str] | None = None
    ) -> list[tuple[str, Any]]:
        sql = "SELECT id, (doc::json #> %s::text[])::text FROM samples WHERE dataset_id=%s"
        path = key.split(".")
        if ids is None:
            rows = self._all(sql + " ORDER BY seq", (path, dataset_id))
        else:
            found: dict[str, tuple] = {}
            for chunk in chunks(ids):
                for r in self._all(
                    sql + " AND id IN (SELECT unnest(%s::text[]))", (path, dataset_id, chunk)
                ):
                    found[r[0]] = r
            rows = [found[i] for i in ids if i in found]
        return [(r[0], _value(r[1])) for r in rows]

    def update_sample_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        self._update_docs("samples", dataset_id, remove, rename)

    def _update_docs(
        self, table: str, dataset_id: str, remove: str | None, rename: tuple[str, str] | None
    ) -> None:
        with self.transaction():
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
            f"SELECT {', '.join(keys)}, doc FROM {table} WHERE dataset_id=%s "
            "AND (doc::json #> %s::text[]) IS NOT NULL",
            (dataset_id, key.split(".")),
        )
        updates = []
        for row in rows:
            doc = json.loads(row[-1])
            value = _pop_path(doc, key)
            if new is not None:
                _set_path(doc, new, value)
            updates.append((json.dumps(doc, separators=(",", ":")), dataset_id, *row[:-1]))
        where = " AND ".join(f"{k}=%s" for k in ("dataset_id", *keys))
        self._write_many(f"UPDATE {table} SET doc=%s WHERE {where}", updates)

    # -- frames ------------------------------------------------------------

    def frame_numbers(self, dataset_id: str, sample_id: str) -> list[int]:
        rows = self._all(
            "SELECT frame_number FROM frames WHERE dataset_id=%s AND sample_id=%s "
            "ORDER BY frame_number",
            (dataset_id, sample_id),
        )
        return [r[0] for r in rows]

    def frame_index(self, dataset_id: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for sample_id, number in self._all(
            "SELECT sample_id, frame_number FROM frames WHERE dataset_id=%s "
            "ORDER BY sample_id, frame_number",
            (dataset_id,),
        ):
            out.setdefault(sample_id, []).append(number)
        return out

    def count_frames(self, dataset_id: str, sample_ids: Sequence[str] | None = None) -> int:
        if sample_ids is None:
            return self._one("SELECT COUNT(*) FROM frames WHERE dataset_id=%s", (dataset_id,))[0]
        return sum(
            self._one(
                "SELECT COUNT(*) FROM frames WHERE dataset_id=%s AND sample_id IN (SELECT unnest(%s::text[]))",
                (dataset_id, chunk),
            )[0]
            for chunk in chunks(sample_ids)
        )

    def get_frames(
        self,
        dataset_id: str,
        sample_id: str,
        start: int | None = None,
        stop: int | None = None,
        numbers: Sequence[int] | None = None,
    ) -> list[tuple[int, str, dict[str, Any]]]:
        sql = "SELECT frame_number, id, doc FROM frames WHERE dataset_id=%s AND sample_id=%s"
        params: list[Any] = [dataset_id, sample_id]
        if numbers is not None:
            sql += " AND frame_number = ANY(%s)"
            params.append(list(numbers))
        if start is not None:
            sql += " AND frame_number>=%s"
            params.append(start)
        if stop is not None:
            sql += " AND frame_number<=%s"
            params.append(stop)
        rows = self._all(sql + " ORDER BY frame_number", params)
        docs = codec.loads_many([r[2] for r in rows])
        return [(r[0], r[1], d) for r, d in zip(rows, docs)]

    def upsert_frames(
        self, dataset_id: str, sample_id: str, rows: Sequence[tuple[int, str, dict[str, Any]]]
    ) -> None:
        self._write_many(
            "INSERT INTO frames(dataset_id, sample_id, frame_number, id, doc) "
            "VALUES(%s,%s,%s,%s,%s) ON CONFLICT (dataset_id, sample_id, frame_number) "
            "DO UPDATE SET id=EXCLUDED.id, doc=EXCLUDED.doc",
            ((dataset_id, sample_id, fn, fid, codec.dumps(doc)) for fn, fid, doc in rows),
        )

    def delete_frames(
        self, dataset_id: str, sample_id: str, numbers: Sequence[int] | None = None
    ) -> None:
        with self.transaction():
            if numbers is None:
                self._conn.execute(
                    "DELETE FROM labels WHERE dataset_id=%s AND sample_id=%s AND frame_number>0",
                    (dataset_id, sample_id),
                )
                self._conn.execute(
                    "DELETE FROM frames WHERE dataset_id=%s AND sample_id=%s",
                    (dataset_id, sample_id),
                )
                return
            for table in ("labels", "frames"):
                self._conn.execute(
                    f"DELETE FROM {table} WHERE dataset_id=%s AND sample_id=%s "
                    "AND frame_number = ANY(%s)",
                    (dataset_id, sample_id, list(numbers)),
                )

    def update_frame_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        self._update_docs("frames", dataset_id, remove, rename)

    # -- runs --------------------------------------------------------------

    def save_run(
        self, dataset_id: str, key: str, type: str, info: dict[str, Any], results: Any = None
    ) -> None:
        self._write(
            "INSERT INTO runs(dataset_id, key, type, info, results) VALUES(%s,%s,%s,%s,%s) "
            "ON CONFLICT (dataset_id, key) DO UPDATE SET type=EXCLUDED.type, "
            "info=EXCLUDED.info, results=EXCLUDED.results",
            (dataset_id, key, type, codec.dumps(info), _dumps(results)),
        )

    def set_run_results(self, dataset_id: str, key: str, results: Any) -> None:
        self._write(
            "UPDATE runs SET results=%s WHERE dataset_id=%s AND key=%s",
            (_dumps(results), dataset_id, key),
        )

    def get_run(self, dataset_id: str, key: str) -> tuple[str, dict[str, Any], Any] | None:
        row = self._one(
            "SELECT type, info, results FROM runs WHERE dataset_id=%s AND key=%s",
            (dataset_id, key),
        )
        if row is None:
            return None
        return row[0], codec.loads(row[1]), _value(row[2])

    def list_runs(self, dataset_id: str, type: str | None = None) -> list[tuple[str, str, dict]]:
        sql = "SELECT key, type, info FROM runs WHERE dataset_id=%s"
        params: list[Any] = [dataset_id]
        if type is not None:
            sql += " AND type=%s"
            params.append(type)
        return [(r[0], r[1], codec.loads(r[2])) for r in self._all(sql + " ORDER BY key", params)]

    def rename_run(self, dataset_id: str, key: str, new_key: str) -> None:
        with self.transaction():
            self._rename_run_docs(dataset_id, key, new_key)
            self._write(
                "UPDATE runs SET key=%s WHERE dataset_id=%s AND key=%s", (new_key, dataset_id, key)
            )

    def delete_run(self, dataset_id: str, key: str) -> None:
        with self.transaction():
            self.delete_run_docs(dataset_id, key)
            self._write("DELETE FROM runs WHERE dataset_id=%s AND key=%s", (dataset_id, key))

    # -- whole dataset -------------------------------------------------------

    def copy_dataset(self, src_id: str, dst_id: str) -> None:
        with self.transaction():
            self._copy_run_docs(src_id, dst_id)
            for table, cols in (
                ("samples", "id, seq, doc"),
                ("frames", "sample_id, frame_number, id, doc"),
                ("labels", "id, sample_id, frame_number, field, position, data"),
                ("runs", "key, type, info, results"),
            ):
                self._conn.execute(
                    f"INSERT INTO {table}(dataset_id, {cols}) "
                    f"SELECT %s, {cols} FROM {table} WHERE dataset_id=%s",
                    (dst_id, src_id),
                )
            self._conn.execute(
                "UPDATE datasets SET next_seq=(SELECT next_seq FROM datasets WHERE id=%s) "
                "WHERE id=%s",
                (src_id, dst_id),
            )

    def stats(self, dataset_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, col in (("samples", "doc"), ("frames", "doc"), ("labels", "data")):
            count, size = self._one(
                f"SELECT COUNT(*), COALESCE(SUM(length({col}) + length(id)), 0) FROM {name} "
                "WHERE dataset_id=%s",
                (dataset_id,),
            )
            out[f"{name}_count"] = count
            out[f"{name}_bytes"] = int(size)
        return out


def _dumps(value: Any) -> str | None:
    return None if value is None else codec.dumps(value)


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
