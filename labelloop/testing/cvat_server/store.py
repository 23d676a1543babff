"""The server's state: one SQLite database under the data directory.

Everything a client can see lives here (users, projects, labels, tasks, jobs,
annotations, background requests), so a restarted server serves the same
state. Annotation objects are stored as one row per tag/shape/track holding
the object's JSON text, which lets a job's annotations be read with a single
range query and returned without re-encoding every object.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '', first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '', grp TEXT NOT NULL DEFAULT 'user',
    is_active INTEGER NOT NULL DEFAULT 1, date_joined TEXT NOT NULL, last_login TEXT);
CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY, user_id INTEGER NOT NULL, csrf TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS access_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, name TEXT NOT NULL,
    digest TEXT UNIQUE NOT NULL, read_only INTEGER NOT NULL DEFAULT 0,
    created_date TEXT NOT NULL, updated_date TEXT NOT NULL, expiry_date TEXT,
    last_used_date TEXT);
CREATE TABLE IF NOT EXISTS organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, slug TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '', owner_id INTEGER, created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    id INTEGER PRIMARY KEY AUTOINCREMENT, org_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    role TEXT NOT NULL, joined_date TEXT NOT NULL, UNIQUE (org_id, user_id));
CREATE TABLE IF NOT EXISTS invitations (
    key TEXT PRIMARY KEY, org_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    owner_id INTEGER, role TEXT NOT NULL, created_date TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, owner_id INTEGER, assignee_id INTEGER,
    bug_tracker TEXT NOT NULL DEFAULT '', org_id INTEGER, created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL, assignee_updated_date TEXT);
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, color TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT 'any', svg TEXT NOT NULL DEFAULT '', project_id INTEGER,
    task_id INTEGER, parent_id INTEGER);
CREATE INDEX IF NOT EXISTS labels_owner ON labels (project_id, task_id);
CREATE TABLE IF NOT EXISTS attributes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, label_id INTEGER NOT NULL, name TEXT NOT NULL,
    mutable INTEGER NOT NULL, input_type TEXT NOT NULL, default_value TEXT NOT NULL,
    vals TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attributes_label ON attributes (label_id);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, project_id INTEGER, owner_id INTEGER,
    assignee_id INTEGER, bug_tracker TEXT NOT NULL DEFAULT '', overlap INTEGER,
    segment_size INTEGER NOT NULL DEFAULT 0, image_quality INTEGER NOT NULL DEFAULT 70,
    subset TEXT NOT NULL DEFAULT '', org_id INTEGER, created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL, assignee_updated_date TEXT, mode TEXT NOT NULL DEFAULT '',
    data_state TEXT NOT NULL DEFAULT 'none', size INTEGER NOT NULL DEFAULT 0,
    media TEXT, version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER NOT NULL, start_frame INTEGER NOT NULL,
    stop_frame INTEGER NOT NULL, assignee_id INTEGER, stage TEXT NOT NULL,
    state TEXT NOT NULL, status TEXT NOT NULL, created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL, assignee_updated_date TEXT);
CREATE INDEX IF NOT EXISTS jobs_task ON jobs (task_id);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, id INTEGER NOT NULL, task_id INTEGER NOT NULL,
    frame INTEGER NOT NULL, last_frame INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS objects_task_frame ON objects (task_id, frame);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, task_id INTEGER, owner_id INTEGER NOT NULL, status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '', progress REAL, created_date TEXT NOT NULL,
    started_date TEXT, finished_date TEXT, op_type TEXT NOT NULL, target TEXT NOT NULL,
    org_id INTEGER);
"""


def now() -> str:
    """Current UTC time in the ISO form CVAT returns."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class Store:
    """A thread-safe wrapper over one SQLite connection.

    The server is a single process; a lock around every transaction is simpler
    and faster here than a connection per thread.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction (nested blocks join the outer one)."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def one(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchone()

    def all(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def texts(self, sql: str, args: Iterable[Any] = ()) -> list[str]:
        """The first column of every row, as plain values (no Row objects: bulk reads)."""
        with self._lock:
            cursor = self._conn.cursor()
            cursor.row_factory = None
            return [row[0] for row in cursor.execute(sql, tuple(args))]

    def scalar(self, sql: str, args: Iterable[Any] = ()) -> Any:
        row = self.one(sql, args)
        return None if row is None else row[0]

    def execute(self, sql: str, args: Iterable[Any] = ()) -> int:
        """Run one statement in its own transaction; return lastrowid."""
        with self.tx() as conn:
            return conn.execute(sql, tuple(args)).lastrowid

    def insert(self, table: str, values: dict[str, Any]) -> int:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        return self.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values.values())

    def update(self, table: str, row_id: Any, values: dict[str, Any], key: str = "id") -> None:
        if not values:
            return
        sets = ", ".join(f"{col} = ?" for col in values)
        self.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", [*values.values(), row_id])

    def next_ids(self, name: str, count: int) -> int:
        """Reserve ``count`` consecutive ids of a counter; return the first."""
        with self.tx() as conn:
            row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            first = (row[0] if row else 0) + 1
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, first + count - 1),
            )
            return first

    def wipe(self, keep_user_id: int) -> None:
        """Delete everything except one user (the administrator) and its tokens."""
        with self.tx() as conn:
            for table in (
                "access_tokens",
                "organizations",
                "memberships",
                "invitations",
                "projects",
                "labels",
                "attributes",
                "tasks",
                "jobs",
                "objects",
                "requests",
            ):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM users WHERE id != ?", (keep_user_id,))
            conn.execute("DELETE FROM tokens WHERE user_id != ?", (keep_user_id,))
            conn.execute("DELETE FROM sessions WHERE user_id != ?", (keep_user_id,))


_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def dumps(value: Any) -> str:
    """Compact JSON text for storage (one shared encoder: this runs per object)."""
    return _ENCODER.encode(value)
