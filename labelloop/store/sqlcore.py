"""The SQL both engines run: datasets, samples, frames and runs, written once.

:class:`SQLStore` implements :class:`~labelloop.store.base.Store` with ``?``
placeholders and a :class:`~labelloop.store.dialect.Dialect` for what is spelled
differently. An engine subclass (:mod:`~labelloop.store.sqlite`,
:mod:`~labelloop.store.postgres`) keeps only what truly differs: opening the
connection, transactions and locking, migrations, bulk loading
(:meth:`SQLStore._bulk_insert`) and rewriting keys inside documents.
Label queries live in :class:`~labelloop.store.sqllabels.LabelQueries`, label aggregates in
:class:`~labelloop.store.sqlaggregates.LabelAggregates`, run documents in
:class:`~labelloop.store.run_docs.RunDocs`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from labelloop.store import codec
from labelloop.store.base import DatasetRecord, Store
from labelloop.store.run_docs import RunDocs
from labelloop.store.sqlaggregates import LabelAggregates
from labelloop.store.sqlconn import decode_texts
from labelloop.store.sqledits import LabelEdits
from labelloop.store.sqlindexes import LabelIndexes
from labelloop.store.sqllabels import LabelQueries
from labelloop.store.sqlview import compile_view

_DATASET_COLS = "id, name, persistent, created_at, doc"


def _record(row: Sequence[Any]) -> DatasetRecord:
    return DatasetRecord(row[0], row[1], bool(row[2]), row[3], codec.loads(row[4]))


def _dumps(value: Any) -> str | None:
    return None if value is None else codec.dumps(value)


def _value(text: str | None) -> Any:
    return None if text is None else codec.loads(text)


class SQLStore(RunDocs, LabelQueries, LabelAggregates, LabelEdits, LabelIndexes, Store):
    """The queries of a store on an SQL database; engines supply the connection."""

    # -- datasets ----------------------------------------------------------

    def list_datasets(self) -> list[str]:
        return [r[0] for r in self._all("SELECT name FROM datasets ORDER BY name")]

    def get_dataset(self, name: str | None = None, id: str | None = None) -> DatasetRecord | None:
        col, value = ("name", name) if id is None else ("id", id)
        row = self._one(f"SELECT {_DATASET_COLS} FROM datasets WHERE {col}=?", (value,))
        return None if row is None else _record(row)

    def create_dataset(self, id: str, name: str, persistent: bool, doc: dict[str, Any]) -> None:
        with self.transaction():
            if self._one("SELECT 1 FROM datasets WHERE name=?", (name,)):
                raise ValueError(f"A dataset named {name!r} already exists")
            now = dt.datetime.now(dt.timezone.utc).isoformat()
            self._exec(
                f"INSERT INTO datasets({_DATASET_COLS}) VALUES(?,?,?,?,?)",
                (id, name, persistent, now, codec.dumps(doc)),
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
                if self._one("SELECT 1 FROM datasets WHERE name=? AND id<>?", (name, dataset_id)):
                    raise ValueError(f"A dataset named {name!r} already exists")
                self._exec("UPDATE datasets SET name=? WHERE id=?", (name, dataset_id))
            if persistent is not None:
                self._exec("UPDATE datasets SET persistent=? WHERE id=?", (persistent, dataset_id))
            if doc is not None:
                self._exec("UPDATE datasets SET doc=? WHERE id=?", (codec.dumps(doc), dataset_id))

    def delete_dataset(self, dataset_id: str) -> None:
        with self.transaction():
            self._drop_run_docs(dataset_id)
            self._drop_label_indexes(dataset_id)
            for table in ("labels", "frames", "samples", "runs", "users"):
                self._exec(f"DELETE FROM {table} WHERE dataset_id=?", (dataset_id,))
            self._exec("DELETE FROM datasets WHERE id=?", (dataset_id,))

    def register_user(self, dataset_id: str, pid: int, host: str) -> None:
        self._write(
            "INSERT INTO users(dataset_id, pid, host) VALUES(?,?,?) ON CONFLICT DO NOTHING",
            (dataset_id, pid, host),
        )

    def unregister_user(self, dataset_id: str, pid: int, host: str) -> None:
        self._write(
            "DELETE FROM users WHERE dataset_id=? AND pid=? AND host=?", (dataset_id, pid, host)
        )

    def list_users(self, dataset_id: str) -> list[tuple[int, str]]:
        rows = self._all("SELECT pid, host FROM users WHERE dataset_id=?", (dataset_id,))
        return [(r[0], r[1]) for r in rows]

    def list_non_persistent(self) -> list[DatasetRecord]:
        rows = self._all(f"SELECT {_DATASET_COLS} FROM datasets WHERE persistent=?", (False,))
        return [_record(r) for r in rows]

    # -- samples -----------------------------------------------------------

    def count_samples(self, dataset_id: str) -> int:
        return self._one("SELECT COUNT(*) FROM samples WHERE dataset_id=?", (dataset_id,))[0]

    def sample_ids(self, dataset_id: str, limit: int | None = None) -> list[str]:
        sql = "SELECT id FROM samples WHERE dataset_id=? ORDER BY seq"
        params: list[Any] = [dataset_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [r[0] for r in self._all(sql, params)]

    def insert_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        with self.transaction():
            (seq,) = self._one("SELECT next_seq FROM datasets WHERE id=?", (dataset_id,))
            self._bulk_insert(
                "samples",
                "dataset_id, id, seq, doc",
                ((dataset_id, sid, seq + i, codec.dumps(doc)) for i, (sid, doc) in enumerate(rows)),
            )
            self._exec("UPDATE datasets SET next_seq=? WHERE id=?", (seq + len(rows), dataset_id))

    def update_samples(self, dataset_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self._set_texts("samples", "doc", dataset_id, [(i, codec.dumps(d)) for i, d in rows])

    def delete_samples(self, dataset_id: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self.transaction():
            for chunk in self._chunks(ids):
                for table, col in (
                    ("labels", "sample_id"),
                    ("frames", "sample_id"),
                    ("samples", "id"),
                ):
                    cond, params = self._in(col, chunk)
                    self._exec(
                        f"DELETE FROM {table} WHERE dataset_id=? AND {cond}", (dataset_id, *params)
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
        for start in range(0, len(ids), min(batch_size, self.dialect.chunk)):
            chunk = list(ids[start : start + min(batch_size, self.dialect.chunk)])
            cond, params = self._in("id", chunk)
            rows = self._all(
                f"SELECT id, doc FROM samples WHERE dataset_id=? AND {cond}", (dataset_id, *params)
            )
            found = dict(zip((r[0] for r in rows), codec.loads_many([r[1] for r in rows])))
            yield [(sid, found[sid]) for sid in chunk if sid in found]

    def sample_values(
        self, dataset_id: str, key: str, ids: Sequence[str] | None = None
    ) -> list[tuple[str, Any]]:
        sql = f"SELECT id, {self.dialect.json_text('doc')} FROM samples WHERE dataset_id=?"
        path = self.dialect.path(key)
        if ids is None:
            rows = self._all(sql + " ORDER BY seq", (path, dataset_id))
        else:
            found: dict[str, tuple] = {}
            for chunk in self._chunks(ids):
                cond, params = self._in("id", chunk)
                for r in self._all(f"{sql} AND {cond}", (path, dataset_id, *params)):
                    found[r[0]] = r
            rows = [found[i] for i in ids if i in found]
        values = decode_texts([r[1] for r in rows])
        return [(r[0], v) for r, v in zip(rows, values)]

    def update_sample_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        with self.transaction():
            self._update_docs("samples", dataset_id, remove, rename)

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
        sql = "SELECT COUNT(*) FROM frames WHERE dataset_id=?"
        if sample_ids is None:
            return self._one(sql, (dataset_id,))[0]
        total = 0
        for chunk in self._chunks(sample_ids):
            cond, params = self._in("sample_id", chunk)
            total += self._one(f"{sql} AND {cond}", (dataset_id, *params))[0]
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
        if start is not None:
            sql += " AND frame_number>=?"
            params.append(start)
        if stop is not None:
            sql += " AND frame_number<=?"
            params.append(stop)
        if numbers is None:
            rows = self._all(sql + " ORDER BY frame_number", params)
        else:
            rows = []
            for chunk in self._chunks(list(numbers)):
                cond, args = self.dialect.in_list("frame_number", chunk, "int")
                rows += self._all(f"{sql} AND {cond}", (*params, *args))
            rows.sort()
        docs = codec.loads_many([r[2] for r in rows])
        return [(r[0], r[1], d) for r, d in zip(rows, docs)]

    def upsert_frames(
        self, dataset_id: str, sample_id: str, rows: Sequence[tuple[int, str, dict[str, Any]]]
    ) -> None:
        self._write_many(
            "INSERT INTO frames(dataset_id, sample_id, frame_number, id, doc) VALUES(?,?,?,?,?) "
            "ON CONFLICT (dataset_id, sample_id, frame_number) "
            "DO UPDATE SET id=excluded.id, doc=excluded.doc",
            ((dataset_id, sample_id, fn, fid, codec.dumps(doc)) for fn, fid, doc in rows),
        )

    def delete_frames(
        self, dataset_id: str, sample_id: str, numbers: Sequence[int] | None = None
    ) -> None:
        with self.transaction():
            if numbers is None:
                for table, extra in (("labels", " AND frame_number>0"), ("frames", "")):
                    self._exec(
                        f"DELETE FROM {table} WHERE dataset_id=? AND sample_id=?{extra}",
                        (dataset_id, sample_id),
                    )
                return
            for chunk in self._chunks(list(numbers)):
                cond, params = self.dialect.in_list("frame_number", chunk, "int")
                for table in ("labels", "frames"):
                    self._exec(
                        f"DELETE FROM {table} WHERE dataset_id=? AND sample_id=? AND {cond}",
                        (dataset_id, sample_id, *params),
                    )

    def update_frame_docs(
        self, dataset_id: str, *, remove: str | None = None, rename: tuple[str, str] | None = None
    ) -> None:
        with self.transaction():
            self._update_docs("frames", dataset_id, remove, rename)

    # -- views -------------------------------------------------------------

    def view_ids(
        self, dataset_id: str, steps: list[dict[str, Any]], label_fields: dict[str, str | None]
    ) -> list[str] | None:
        try:
            sql, params = compile_view(self.dialect, dataset_id, label_fields, steps)
        except ValueError:
            return None
        rows = self._all(sql, params)
        if any(r[1] for r in rows):  # a sort key SQL cannot order as Python does
            return None
        return [r[0] for r in rows]

    def count_view(
        self, dataset_id: str, steps: list[dict[str, Any]], label_fields: dict[str, str | None]
    ) -> int | None:
        try:
            sql, params = compile_view(self.dialect, dataset_id, label_fields, steps, count=True)
        except ValueError:
            return None
        return self._one(sql, params)[0]

    # -- runs --------------------------------------------------------------

    def save_run(
        self, dataset_id: str, key: str, type: str, info: dict[str, Any], results: Any = None
    ) -> None:
        self._write(
            "INSERT INTO runs(dataset_id, key, type, info, results) VALUES(?,?,?,?,?) "
            "ON CONFLICT (dataset_id, key) DO UPDATE SET type=excluded.type, "
            "info=excluded.info, results=excluded.results",
            (dataset_id, key, type, codec.dumps(info), _dumps(results)),
        )

    def set_run_results(self, dataset_id: str, key: str, results: Any) -> None:
        self._write(
            "UPDATE runs SET results=? WHERE dataset_id=? AND key=?",
            (_dumps(results), dataset_id, key),
        )

    def get_run(self, dataset_id: str, key: str) -> tuple[str, dict[str, Any], Any] | None:
        row = self._one(
            "SELECT type, info, results FROM runs WHERE dataset_id=? AND key=?", (dataset_id, key)
        )
        return None if row is None else (row[0], codec.loads(row[1]), _value(row[2]))

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
            self._exec(
                "UPDATE runs SET key=? WHERE dataset_id=? AND key=?", (new_key, dataset_id, key)
            )

    def delete_run(self, dataset_id: str, key: str) -> None:
        with self.transaction():
            self.delete_run_docs(dataset_id, key)
            self._exec("DELETE FROM runs WHERE dataset_id=? AND key=?", (dataset_id, key))

    # -- whole dataset -------------------------------------------------------

    def copy_dataset(self, src_id: str, dst_id: str) -> None:
        with self.transaction():
            self._copy_run_docs(src_id, dst_id)
            for table, cols in (
                ("samples", "id, seq, doc"),
                ("frames", "sample_id, frame_number, id, doc"),
                (
                    "labels",
                    "id, sample_id, frame_number, field, position, data, items, item_labels",
                ),
                ("runs", "key, type, info, results"),
            ):
                self._exec(
                    f"INSERT INTO {table}(dataset_id, {cols}) "
                    f"SELECT ?, {cols} FROM {table} WHERE dataset_id=?",
                    (dst_id, src_id),
                )
            self._exec(
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
            out[f"{name}_bytes"] = int(size)
        return out
