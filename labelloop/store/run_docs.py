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
from typing import Any, ClassVar

from labelloop.store import codec

_CHUNK = 500


class RunDocs:
    """Mixin of the SQL engines (they provide ``_conn``, ``_all``, ``transaction``)."""

    #: the engine's parameter marker
    _RUN_DOCS_PARAM: ClassVar[str] = "?"
    _run_docs_ready: bool = False

    def _run_docs_sql(self, sql: str) -> str:
        return sql.replace("?", self._RUN_DOCS_PARAM)

    def _run_docs_table(self) -> None:
        if self._run_docs_ready:
            return
        with self.transaction():  # type: ignore[attr-defined]
            self._conn.execute(  # type: ignore[attr-defined]
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
        if not rows:
            return
        params = [(dataset_id, key, sid, int(f), codec.dumps(doc)) for sid, f, doc in rows]
        sql = (
            "INSERT INTO run_docs(dataset_id, key, sample_id, frame_number, doc) "
            "VALUES(?,?,?,?,?) ON CONFLICT(dataset_id, key, sample_id, frame_number) "
            "DO UPDATE SET doc=excluded.doc"
        )
        with self.transaction():  # type: ignore[attr-defined]
            cur = self._conn.cursor()  # type: ignore[attr-defined]
            cur.executemany(self._run_docs_sql(sql), params)

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
        ids = list(sample_ids)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            sql = (
                "SELECT sample_id, frame_number, doc FROM run_docs WHERE dataset_id=? AND key=? "
                f"AND sample_id IN ({','.join('?' * len(chunk))})"
            )
            params: list[Any] = [dataset_id, key, *chunk]
            if frame_range is not None:
                sql += " AND frame_number BETWEEN ? AND ?"
                params += list(frame_range)
            rows = self._all(self._run_docs_sql(sql + " ORDER BY sample_id, frame_number"), params)  # type: ignore[attr-defined]
            out += [(r[0], int(r[1]), codec.loads(r[2])) for r in rows]
        return out

    def has_run_docs(self, dataset_id: str, key: str) -> bool:
        """Whether run ``key`` has any rows."""
        self._run_docs_table()
        sql = "SELECT 1 FROM run_docs WHERE dataset_id=? AND key=? LIMIT 1"
        return bool(self._all(self._run_docs_sql(sql), (dataset_id, key)))  # type: ignore[attr-defined]

    def delete_run_docs(
        self, dataset_id: str, key: str, sample_ids: Sequence[str] | None = None
    ) -> None:
        """Delete run ``key``'s rows (of some samples only, if given)."""
        self._run_docs_table()
        with self.transaction():  # type: ignore[attr-defined]
            if sample_ids is None:
                self._run_docs_exec(
                    "DELETE FROM run_docs WHERE dataset_id=? AND key=?", (dataset_id, key)
                )
                return
            ids = list(sample_ids)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                self._run_docs_exec(
                    "DELETE FROM run_docs WHERE dataset_id=? AND key=? "
                    f"AND sample_id IN ({','.join('?' * len(chunk))})",
                    (dataset_id, key, *chunk),
                )

    def _run_docs_exec(self, sql: str, params: Sequence[Any]) -> None:
        self._conn.execute(self._run_docs_sql(sql), params)  # type: ignore[attr-defined]

    # hooks the engines call from their run and dataset operations
    def _rename_run_docs(self, dataset_id: str, key: str, new_key: str) -> None:
        self._run_docs_table()
        self._run_docs_exec(
            "UPDATE run_docs SET key=? WHERE dataset_id=? AND key=?", (new_key, dataset_id, key)
        )

    def _drop_run_docs(self, dataset_id: str) -> None:
        self._run_docs_table()
        self._run_docs_exec("DELETE FROM run_docs WHERE dataset_id=?", (dataset_id,))

    def _copy_run_docs(self, src_id: str, dst_id: str) -> None:
        self._run_docs_table()
        self._run_docs_exec(
            "INSERT INTO run_docs(dataset_id, key, sample_id, frame_number, doc) "
            "SELECT ?, key, sample_id, frame_number, doc FROM run_docs WHERE dataset_id=?",
            (dst_id, src_id),
        )
