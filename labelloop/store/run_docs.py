"""Per-run documents per sample and frame, for both SQL engines (a small table of its own).

A run may keep data about each sample it touched (the annotation framework
keeps its merge base: what a run sent per label) without holding it in the
run's results, which are one JSON value read whole. Rows are
``(dataset_id, key, sample_id, frame_number, doc)``; ``frame_number`` 0 is the
sample level. They are renamed, copied and deleted with their run and dataset.
The table is created on first use, so databases made before it need no migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelloop.store import codec
from labelloop.store.sqlconn import SQLConnection


class RunDocs(SQLConnection):
    """Run-document methods of :class:`~labelloop.store.sqlcore.SQLStore`."""

    _run_docs_ready: bool = False

    def _run_docs_table(self) -> None:
        if self._run_docs_ready:
            return
        with self.transaction():
            self._exec(
                "CREATE TABLE IF NOT EXISTS run_docs(dataset_id TEXT NOT NULL, key TEXT NOT NULL, "
                "sample_id TEXT NOT NULL, frame_number INTEGER NOT NULL, doc TEXT NOT NULL, "
                "PRIMARY KEY(dataset_id, key, sample_id, frame_number))"
            )
        self._run_docs_ready = True

    def save_run_docs(
        self, dataset_id: str, key: str, rows: Sequence[tuple[str, int, dict[str, Any]]]
    ) -> None:
        """Insert or replace ``(sample_id, frame_number, doc)`` rows of run ``key``."""
        self._run_docs_table()
        self._write_many(
            "INSERT INTO run_docs(dataset_id, key, sample_id, frame_number, doc) "
            "VALUES(?,?,?,?,?) ON CONFLICT(dataset_id, key, sample_id, frame_number) "
            "DO UPDATE SET doc=excluded.doc",
            [(dataset_id, key, sid, int(f), codec.dumps(doc)) for sid, f, doc in rows],
        )

    def get_run_docs(
        self,
        dataset_id: str,
        key: str,
        sample_ids: Sequence[str],
        frame_range: tuple[int, int] | None = None,
    ) -> list[tuple[str, int, dict[str, Any]]]:
        """Rows of run ``key`` for these samples (frames within ``frame_range``, inclusive)."""
        self._run_docs_table()
        out: list[tuple[str, int, dict[str, Any]]] = []
        for chunk in self._chunks(list(sample_ids)):
            cond, ids = self._in("sample_id", chunk)
            sql = f"SELECT sample_id, frame_number, doc FROM run_docs WHERE dataset_id=? AND key=? AND {cond}"
            params: list[Any] = [dataset_id, key, *ids]
            if frame_range is not None:
                sql += " AND frame_number BETWEEN ? AND ?"
                params += list(frame_range)
            rows = self._all(sql + " ORDER BY sample_id, frame_number", params)
            out += [(r[0], int(r[1]), codec.loads(r[2])) for r in rows]
        return out

    def has_run_docs(self, dataset_id: str, key: str) -> bool:
        """Whether run ``key`` has any rows."""
        self._run_docs_table()
        sql = "SELECT 1 FROM run_docs WHERE dataset_id=? AND key=? LIMIT 1"
        return bool(self._all(sql, (dataset_id, key)))

    def delete_run_docs(
        self, dataset_id: str, key: str, sample_ids: Sequence[str] | None = None
    ) -> None:
        """Delete run ``key``'s rows (of some samples only, if given)."""
        self._run_docs_table()
        sql = "DELETE FROM run_docs WHERE dataset_id=? AND key=?"
        with self.transaction():
            if sample_ids is None:
                self._exec(sql, (dataset_id, key))
                return
            for chunk in self._chunks(list(sample_ids)):
                cond, ids = self._in("sample_id", chunk)
                self._exec(f"{sql} AND {cond}", (dataset_id, key, *ids))

    # hooks of the run and dataset operations (inside their transactions)
    def _rename_run_docs(self, dataset_id: str, key: str, new_key: str) -> None:
        self._run_docs_table()
        self._exec(
            "UPDATE run_docs SET key=? WHERE dataset_id=? AND key=?", (new_key, dataset_id, key)
        )

    def _drop_run_docs(self, dataset_id: str) -> None:
        self._run_docs_table()
        self._exec("DELETE FROM run_docs WHERE dataset_id=?", (dataset_id,))

    def _copy_run_docs(self, src_id: str, dst_id: str) -> None:
        self._run_docs_table()
        self._exec(
            "INSERT INTO run_docs(dataset_id, key, sample_id, frame_number, doc) "
            "SELECT ?, key, sample_id, frame_number, doc FROM run_docs WHERE dataset_id=?",
            (dst_id, src_id),
        )
