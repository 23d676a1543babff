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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from labelloop.store import codec
from labelloop.store.base import CONTAINER, SAMPLE_LEVEL, DatasetRecord, LabelRow, Store
from labelloop.store.run_docs import RunDocs
from labelloop.store.sqlexpr import compile_expr
from labelloop.store.sqlite_json import LabelAggregates, decode_json_value, json_key

logger = logging.getLogger(__name__)

#: Bump when the layout changes, and add a step to ``_MIGRATIONS``.
SCHEMA_VERSION = 1

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
CREATE TABLE IF NOT EXISTS labels(
    dataset_id TEXT NOT NULL, id TEXT NOT NULL, sample_id TEXT NOT NULL,
    frame_number INTEGER NOT NULL, field TEXT NOT NULL, position INTEGER NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY(dataset_id, id));
CREATE INDEX IF NOT EXISTS labels_loc
    ON labels(dataset_id, sample_id, field, frame_number, position);
CREATE INDEX IF NOT EXISTS labels_field ON labels(dataset_id, field, frame_number);
CREATE TABLE IF NOT EXISTS runs(
    dataset_id TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, info TEXT NOT NULL,
    results TEXT, PRIMARY KEY(dataset_id, key));
CREATE TABLE IF NOT EXISTS users(
    dataset_id TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
    PRIMARY KEY(dataset_id, pid, host));
"""

_CHUNK = 500  # ids per IN (...) clause


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


class SQLiteStore(RunDocs, LabelAggregates, Store):
    """:class:`Store` on an SQLite file at ``path``."""

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=60.0
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        # 64 MB page cache: scans of millions of label rows stay in memory between queries
        self._conn.execute("PRAGMA cache_size=-65536")
        self._conn.execute("PRAGMA temp_store=MEMORY")
        version = self._stored_version()
        if version is not None and version > SCHEMA_VERSION:
            raise RuntimeError(
                f"The database {path} has schema version {version}, newer than this "
                f"labelloop understands ({SCHEMA_VERSION}); upgrade labelloop"
            )
        if version != SCHEMA_VERSION:  # only then write: readers never wait for a writer here
            with self.transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
        logger.debug("Opened SQLite store %s", path)

    # -- plumbing ----------------------------------------------------------

    def _stored_version(self) -> int | None:
        try:
            row = self._one("SELECT value FROM meta WHERE key='schema_version'")
        except sqlite3.OperationalError:  # a new, empty database
            return None
        return None if row is None else int(row[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
                self._depth = 0
                self._conn.execute("COMMIT")
            except BaseException:
                self._depth = 0
                # SQLite may have rolled back already (e.g. disk full): never hide the cause
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                yield
                return
            self._conn.execute("BEGIN")
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                self._conn.execute("COMMIT")

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
        with self.transaction():
            self._conn.executemany(sql, rows)

    # -- datasets ----------------------------------------------------------

    def list_datasets(self) -> list[str]:
        return [r[0] for r in self._all("SELECT name FROM datasets ORDER BY name")]

    def get_dataset(self, name: str | None = None, id: str | None = None) -> DatasetRecord | None:
        col, value = ("name", name) if id is None else ("id", id)
        row = self._one(
            f"SELECT id, name, persistent, created_at, doc FROM datasets WHERE {col}=?", (value,)
        )
        if row is None:
            return None
        return DatasetRecord(row[0], row[1], bool(row[2]), row[3], codec.loads(row[4]))

    def create_dataset(self, id: str, name: str, persistent: bool, doc: dict[str, Any]) -> None:
        import datetime as dt

        with self.transaction():
            if self._one("SELECT 1 FROM datasets WHERE name=?", (name,)):
                raise ValueError(f"A dataset named {name!r} already exists")
            self._conn.execute(
                "INSERT INTO datasets(id, name, persistent, created_at, doc) VALUES(?,?,?,?,?)",
                (
                    id,
                    name,
                    int(persistent),
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
                    "SELECT 1 FROM datasets WHERE name=? AND id!=?", (name, dataset_id)
                )
                if taken:
                    raise ValueError(f"A dataset named {name!r} already exists")
                self._conn.execute("UPDATE datasets SET name=? WHERE id=?", (name, dataset_id))
            if persistent is not None:
                self._conn.execute(
                    "UPDATE datasets SET persistent=? WHERE id=?", (int(persistent), dataset_id)
                )
            if doc is not None:
                self._conn.execute(
                    "UPDATE datasets SET doc=? WHERE id=?", (codec.dumps(doc), dataset_id)
                )

    def delete_dataset(self, dataset_id: str) -> None:
        with self.transaction():
            self._drop_run_docs(dataset_id)
            for table in ("labels", "frames", "samples", "runs", "users"):
                self._conn.execute(f"DELETE FROM {table} WHERE dataset_id=?", (dataset_id,))
            self._conn.execute("DELETE FROM datasets WHERE id=?", (dataset_id,))

    def register_user(self, dataset_id: str, pid: int, host: str) -> None:
        self._write(
            "INSERT OR IGNORE INTO users(dataset_id, pid, host) VALUES(?,?,?)",
            (dataset_id, pid, host),
        )

    def unregister_user(self, dataset_id: str, pid: int, host: str) -> None:
        self._write(
            "DELETE FROM users WHERE dataset_id=? AND pid=? AND host=?", (dataset_id, pid, host)
        )

    def list_users(self, dataset_id: str) -> list[tuple[int, str]]:
        return [
            (r[0], r[1])
            for r in self._all("SELECT pid, host FROM users WHERE dataset_id=?", (dataset_id,))
        ]

    def list_non_persistent(self) -> list[DatasetRecord]:
        rows = self._all(
            "SELECT id, name, persistent, created_at, doc FROM datasets WHERE persistent=0"
        )
        return [DatasetRecord(r[0], r[1], False, r[3], codec.loads(r[4])) for r in rows]

    # -- samples -----------------------------------------------------------

    def count_samples(self, dataset_id: str) -> int:
        return self._one("SELECT COUNT(*) FROM samples WHERE dataset_id=?", (dataset_id,))[0]

    def sample_ids(self, dataset_id: str, limit: int | None = None) -> list[str]:
        rows = self._all(
            "SELECT id FROM samples WHERE dataset_id=? ORDER BY seq LIMIT ?",
            (dataset_id, -1 if limit is None else limit),
        )
        return [r[0] for r in rows]

    def insert_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        with self.transaction():
            (seq,) = self._conn.execute(
                "SELECT next_seq FROM datasets WHERE id=?", (dataset_id,)
            ).fetchone()
            self._conn.executemany(
                "INSERT INTO samples(dataset_id, id, seq, doc) VALUES(?,?,?,?)",
                ((dataset_id, sid, seq + i, codec.dumps(doc)) for i, (sid, doc) in enumerate(rows)),
            )
            self._conn.execute(
                "UPDATE datasets SET next_seq=? WHERE id=?", (seq + len(rows), dataset_id)
            )

    def update_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self._write_many(
            "UPDATE samples SET doc=? WHERE dataset_id=? AND id=?",
            ((codec.dumps(doc), dataset_id, sid) for sid, doc in rows),
        )

    def delete_samples(self, dataset_id: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self.transaction():
            for chunk in _chunks(ids):
                marks = _marks(len(chunk))
                for table, col in (
                    ("labels", "sample_id"),
                    ("frames", "sample_id"),
                    ("samples", "id"),
                ):
                    self._conn.execute(
                        f"DELETE FROM {table} WHERE dataset_id=? AND {col} IN ({marks})",
                        (dataset_id, *chunk),
                    )

    def iter_samples(
        self, dataset_id: str, ids: Sequence[str] | None = None, batch_size: int = 1000
    ) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        if ids is None:
            last = -1
            while True:
                rows = self._all(
                    "SELECT id, doc, seq FROM samples WHERE dataset_id=? AND seq>? "
                    "ORDER BY seq LIMIT ?",
                    (dataset_id, last, batch_size),
                )
                if not rows:
                    return
                last = rows[-1][2]
                yield list(zip((r[0] for r in rows), codec.loads_many([r[1] for r in rows])))
            return
        for chunk in _chunks(ids, min(batch_size, _CHUNK)):
            rows = self._all(
                f"SELECT id, doc FROM samples WHERE dataset_id=? AND id IN ({_marks(len(chunk))})",
                (dataset_id, *chunk),
            )
            found = dict(zip((r[0] for r in rows), codec.loads_many([r[1] for r in rows])))
            yield [(sid, found[sid]) for sid in chunk if sid in found]

    def sample_values(
        self, dataset_id: str, key: str, ids: Sequence[str] | None = None
    ) -> list[tuple[str, Any]]:
        path = "$." + json_key(key)
        sql = "SELECT id, json_extract(doc, ?), json_type(doc, ?) FROM samples WHERE dataset_id=?"
        if ids is None:
            rows = self._all(sql + " ORDER BY seq", (path, path, dataset_id))
        else:
            found: dict[str, tuple] = {}
            for chunk in _chunks(ids):
                for r in self._all(
                    sql + f" AND id IN ({_marks(len(chunk))})", (path, path, dataset_id, *chunk)
                ):
                    found[r[0]] = r
            rows = [found[i] for i in ids if i in found]
        return [(r[0], decode_json_value(r[1], r[2])) for r in rows]

    def update_sample_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        self._update_docs("samples", dataset_id, remove, rename)

    def _update_docs(
        self, table: str, dataset_id: str, remove: str | None, rename: tuple[str, str] | None
    ) -> None:
        with self.transaction():
            if remove is not None:
                self._conn.execute(
                    f"UPDATE {table} SET doc=json_remove(doc, ?) WHERE dataset_id=?",
                    ("$." + json_key(remove), dataset_id),
                )
            if rename is not None:
                old, new = ("$." + json_key(k) for k in rename)
                self._conn.execute(
                    f"UPDATE {table} SET doc=json_remove(json_set(doc, ?, json_extract(doc, ?)), ?)"
                    " WHERE dataset_id=? AND json_type(doc, ?) IS NOT NULL",
                    (new, old, old, dataset_id, old),
                )

    # -- frames ------------------------------------------------------------

    def frame_numbers(self, dataset_id: str, sample_id: str) -> list[int]:
        rows = self._all(
            "SELECT frame_number FROM frames WHERE dataset_id=? AND sample_id=? "
            "ORDER BY frame_number",
            (dataset_id, sample_id),
        )
        return [r[0] for r in rows]

    def frame_index(self, dataset_id: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for sample_id, number in self._all(
            "SELECT sample_id, frame_number FROM frames WHERE dataset_id=? "
            "ORDER BY sample_id, frame_number",
            (dataset_id,),
        ):
            out.setdefault(sample_id, []).append(number)
        return out

    def count_frames(self, dataset_id: str, sample_ids: Sequence[str] | None = None) -> int:
        if sample_ids is None:
            return self._one("SELECT COUNT(*) FROM frames WHERE dataset_id=?", (dataset_id,))[0]
        total = 0
        for chunk in _chunks(sample_ids):
            total += self._one(
                f"SELECT COUNT(*) FROM frames WHERE dataset_id=? AND sample_id IN "
                f"({_marks(len(chunk))})",
                (dataset_id, *chunk),
            )[0]
        return total

    def get_frames(
        self,
        dataset_id: str,
        sample_id: str,
        start: int | None = None,
        stop: int | None = None,
        numbers: Sequence[int] | None = None,
    ) -> list[tuple[int, str, dict[str, Any]]]:
        sql = "SELECT frame_number, id, doc FROM frames WHERE dataset_id=? AND sample_id=?"
        params: list[Any] = [dataset_id, sample_id]
        if numbers is not None:
            rows: list[tuple] = []
            for chunk in _chunks(list(numbers)):
                rows += self._all(
                    sql + f" AND frame_number IN ({_marks(len(chunk))})", (*params, *chunk)
                )
            rows.sort()
        else:
            if start is not None:
                sql += " AND frame_number>=?"
                params.append(start)
            if stop is not None:
                sql += " AND frame_number<=?"
                params.append(stop)
            rows = self._all(sql + " ORDER BY frame_number", params)
        docs = codec.loads_many([r[2] for r in rows])
        return [(r[0], r[1], d) for r, d in zip(rows, docs)]

    def upsert_frames(
        self, dataset_id: str, sample_id: str, rows: Sequence[tuple[int, str, dict[str, Any]]]
    ) -> None:
        self._write_many(
            "INSERT OR REPLACE INTO frames(dataset_id, sample_id, frame_number, id, doc) "
            "VALUES(?,?,?,?,?)",
            ((dataset_id, sample_id, fn, fid, codec.dumps(doc)) for fn, fid, doc in rows),
        )

    def delete_frames(
        self, dataset_id: str, sample_id: str, numbers: Sequence[int] | None = None
    ) -> None:
        with self.transaction():
            if numbers is None:
                self._conn.execute(
                    "DELETE FROM labels WHERE dataset_id=? AND sample_id=? AND frame_number>0",
                    (dataset_id, sample_id),
                )
                self._conn.execute(
                    "DELETE FROM frames WHERE dataset_id=? AND sample_id=?", (dataset_id, sample_id)
                )
                return
            for chunk in _chunks(list(numbers)):
                for table in ("labels", "frames"):
                    self._conn.execute(
                        f"DELETE FROM {table} WHERE dataset_id=? AND sample_id=? AND "
                        f"frame_number IN ({_marks(len(chunk))})",
                        (dataset_id, sample_id, *chunk),
                    )

    def update_frame_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        self._update_docs("frames", dataset_id, remove, rename)

    # -- labels ------------------------------------------------------------

    def get_labels(
        self,
        dataset_id: str,
        sample_ids: Sequence[str],
        fields: Sequence[str] | None = None,
        frames: bool = False,
        frame_range: tuple[int, int] | None = None,
        where: dict[str, Any] | None = None,
    ) -> list[LabelRow]:
        if fields is not None and not fields:
            return []
        base = (
            "SELECT sample_id, frame_number, field, position, id, data FROM labels "
            "WHERE dataset_id=?"
        )
        extra = ""
        params: list[Any] = []
        if frames:
            extra += " AND frame_number>0"
            if frame_range is not None:
                extra += " AND frame_number BETWEEN ? AND ?"
                params += list(frame_range)
        else:
            extra += " AND frame_number=0"
        if fields is not None:
            extra += f" AND field IN ({_marks(len(fields))})"
            params += list(fields)
        for field, expr in (where or {}).items():
            sql, args = compile_expr(expr)
            extra += f" AND NOT (field=? AND position>=0 AND NOT COALESCE(({sql}), 0))"
            params += [field, *args]
        out: list[LabelRow] = []
        for chunk in _chunks(sample_ids):
            rows = self._all(
                base
                + f" AND sample_id IN ({_marks(len(chunk))})"
                + extra
                + " ORDER BY sample_id, field, frame_number, position",
                (dataset_id, *chunk, *params),
            )
            datas = codec.loads_many([r[5] for r in rows])
            out += [LabelRow(r[0], r[1], r[2], r[3], r[4], d) for r, d in zip(rows, datas)]
        return out

    def find_labels(self, dataset_id: str, ids: Sequence[str]) -> list[LabelRow]:
        out: list[LabelRow] = []
        for chunk in _chunks(list(ids)):
            rows = self._all(
                "SELECT sample_id, frame_number, field, position, id, data FROM labels "
                f"WHERE dataset_id=? AND id IN ({_marks(len(chunk))})",
                (dataset_id, *chunk),
            )
            datas = codec.loads_many([r[5] for r in rows])
            out += [LabelRow(r[0], r[1], r[2], r[3], r[4], d) for r, d in zip(rows, datas)]
        return out

    def field_label_ids(
        self, dataset_id: str, sample_id: str, field: str, frame_number: int
    ) -> dict[str, int]:
        rows = self._all(
            "SELECT id, position FROM labels WHERE dataset_id=? AND sample_id=? AND field=? "
            "AND frame_number=?",
            (dataset_id, sample_id, field, frame_number),
        )
        return {r[0]: r[1] for r in rows}

    def upsert_labels(
        self, dataset_id: str, rows: Sequence[LabelRow], replace: bool = True
    ) -> None:
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        try:
            self._write_many(
                f"{verb} INTO labels(dataset_id, id, sample_id, frame_number, field, "
                "position, data) VALUES(?,?,?,?,?,?,?)",
                (
                    (
                        dataset_id,
                        r.id,
                        r.sample_id,
                        r.frame_number,
                        r.field,
                        r.position,
                        codec.dumps(r.data),
                    )
                    for r in rows
                ),
            )
        except sqlite3.IntegrityError:
            raise ValueError(
                "A label id occurs twice in this dataset; give each label its own object "
                "(label.copy(new_ids=True))"
            ) from None

    def delete_labels(self, dataset_id: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self.transaction():
            for chunk in _chunks(ids):
                self._conn.execute(
                    f"DELETE FROM labels WHERE dataset_id=? AND id IN ({_marks(len(chunk))})",
                    (dataset_id, *chunk),
                )

    def delete_field_labels(self, dataset_id: str, field: str, frames: bool) -> None:
        op = ">" if frames else "="
        self._write(
            f"DELETE FROM labels WHERE dataset_id=? AND field=? AND frame_number{op}0",
            (dataset_id, field),
        )

    def rename_field_labels(self, dataset_id: str, old: str, new: str, frames: bool) -> None:
        op = ">" if frames else "="
        self._write(
            f"UPDATE labels SET field=? WHERE dataset_id=? AND field=? AND frame_number{op}0",
            (new, dataset_id, old),
        )

    def can_compile(self, expr: Any) -> bool:
        try:
            compile_expr(expr)
        except ValueError:
            return False
        return True

    def _label_filter(
        self, field: str, frames: bool, items: bool, where: Any
    ) -> tuple[str, list[Any]]:
        sql = " AND field=? AND frame_number" + (">0" if frames else "=0")
        sql += " AND position" + (">=0" if items else f"={CONTAINER}")
        params: list[Any] = [field]
        if where is not None:
            cond, args = compile_expr(where)
            sql += f" AND COALESCE(({cond}), 0)"
            params += args
        return sql, params

    def count_labels(
        self, dataset_id: str, field: str, frames: bool, items: bool, where: Any = None
    ) -> int:
        sql, params = self._label_filter(field, frames, items, where)
        return self._one(
            "SELECT COUNT(*) FROM labels WHERE dataset_id=?" + sql, (dataset_id, *params)
        )[0]

    def label_values(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> Iterator[tuple[str, int, Any]]:
        sql, params = self._label_filter(field, frames, items, where)
        if attr == "id":
            select, select_params = "id, 'text'", []
        else:
            path = "$." + json_key(attr)
            select, select_params = "json_extract(data, ?), json_type(data, ?)", [path, path]
        rows = self._all(
            f"SELECT sample_id, frame_number, {select} FROM labels WHERE dataset_id=?"
            + sql
            + " ORDER BY sample_id, frame_number, position",
            (*select_params, dataset_id, *params),
        )
        for r in rows:
            yield r[0], r[1], decode_json_value(r[2], r[3])

    # -- runs --------------------------------------------------------------

    def save_run(
        self, dataset_id: str, key: str, type: str, info: dict[str, Any], results: Any = None
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO runs(dataset_id, key, type, info, results) VALUES(?,?,?,?,?)",
            (
                dataset_id,
                key,
                type,
                codec.dumps(info),
                None if results is None else codec.dumps(results),
            ),
        )

    def set_run_results(self, dataset_id: str, key: str, results: Any) -> None:
        self._write(
            "UPDATE runs SET results=? WHERE dataset_id=? AND key=?",
            (None if results is None else codec.dumps(results), dataset_id, key),
        )

    def get_run(self, dataset_id: str, key: str) -> tuple[str, dict[str, Any], Any] | None:
        row = self._one(
            "SELECT type, info, results FROM runs WHERE dataset_id=? AND key=?", (dataset_id, key)
        )
        if row is None:
            return None
        return row[0], codec.loads(row[1]), None if row[2] is None else codec.loads(row[2])

    def list_runs(self, dataset_id: str, type: str | None = None) -> list[tuple[str, str, dict]]:
        sql = "SELECT key, type, info FROM runs WHERE dataset_id=?"
        params: list[Any] = [dataset_id]
        if type is not None:
            sql += " AND type=?"
            params.append(type)
        return [(r[0], r[1], codec.loads(r[2])) for r in self._all(sql + " ORDER BY key", params)]

    def rename_run(self, dataset_id: str, key: str, new_key: str) -> None:
        with self.transaction():
            self._rename_run_docs(dataset_id, key, new_key)
            self._write(
                "UPDATE runs SET key=? WHERE dataset_id=? AND key=?", (new_key, dataset_id, key)
            )

    def delete_run(self, dataset_id: str, key: str) -> None:
        with self.transaction():
            self.delete_run_docs(dataset_id, key)
            self._write("DELETE FROM runs WHERE dataset_id=? AND key=?", (dataset_id, key))

    # -- whole dataset -------------------------------------------------------

    def copy_dataset(self, src_id: str, dst_id: str) -> None:
        with self.transaction():
            self._copy_run_docs(src_id, dst_id)
            c = self._conn
            c.execute(
                "INSERT INTO samples(dataset_id, id, seq, doc) "
                "SELECT ?, id, seq, doc FROM samples WHERE dataset_id=?",
                (dst_id, src_id),
            )
            c.execute(
                "INSERT INTO frames(dataset_id, sample_id, frame_number, id, doc) "
                "SELECT ?, sample_id, frame_number, id, doc FROM frames WHERE dataset_id=?",
                (dst_id, src_id),
            )
            c.execute(
                "INSERT INTO labels(dataset_id, id, sample_id, frame_number, field, position, "
                "data) SELECT ?, id, sample_id, frame_number, field, position, data FROM labels "
                "WHERE dataset_id=?",
                (dst_id, src_id),
            )
            c.execute(
                "INSERT INTO runs(dataset_id, key, type, info, results) "
                "SELECT ?, key, type, info, results FROM runs WHERE dataset_id=?",
                (dst_id, src_id),
            )
            c.execute(
                "UPDATE datasets SET next_seq=(SELECT next_seq FROM datasets WHERE id=?) "
                "WHERE id=?",
                (src_id, dst_id),
            )

    def stats(self, dataset_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, col in (("samples", "doc"), ("frames", "doc"), ("labels", "data")):
            count, size = self._one(
                f"SELECT COUNT(*), COALESCE(SUM(length({col}) + length(id)), 0) FROM {name} "
                "WHERE dataset_id=?",
                (dataset_id,),
            )
            out[f"{name}_count"] = count
            out[f"{name}_bytes"] = size
        return out


__all__ = ["SQLiteStore", "SCHEMA_VERSION", "SAMPLE_LEVEL"]
