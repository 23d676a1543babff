"""Versioned schemas on both engines: older stores are upgraded on open, newer ones refused."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

import pytest

from labelloop.store import pg_schema
from labelloop.store.base import LabelRow
from labelloop.store.sqlite import SCHEMA_VERSION as SQLITE_VERSION
from labelloop.store.sqlite import SQLiteStore


def _connect(uri: str):
    import psycopg

    return psycopg.connect(uri, autocommit=True)


def _open(uri: str):
    from labelloop.store.postgres import PostgresStore

    return PostgresStore(uri)


def _index_exists(conn, name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]


def test_postgres_store_records_its_version_and_upgrades_an_older_one(new_database):
    uri = new_database()
    store = _open(uri)
    assert store.stored_version() == pg_schema.SCHEMA_VERSION
    store.create_dataset("d" * 24, "kept", True, {"info": {"a": 1}})
    store.close()
    with _connect(uri) as conn:  # what an older labelloop left
        conn.execute("DROP INDEX labels_field")
        conn.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    store = _open(uri)
    assert store.stored_version() == pg_schema.SCHEMA_VERSION
    assert store.get_dataset("kept").doc == {"info": {"a": 1}}  # data survives the upgrade
    store.close()
    with _connect(uri) as conn:
        assert _index_exists(conn, "labels_field")


def test_postgres_store_refuses_a_newer_schema_without_touching_it(new_database):
    uri = new_database()
    _open(uri).close()
    newer = pg_schema.SCHEMA_VERSION + 1
    with _connect(uri) as conn:
        conn.execute("UPDATE meta SET value=%s WHERE key='schema_version'", (str(newer),))
    with pytest.raises(RuntimeError, match="newer than this labelloop") as info:
        _open(uri)
    message = str(info.value)
    assert str(newer) in message and urlsplit(uri).password not in message
    with _connect(uri) as conn:
        stored = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert stored == str(newer)


def test_sqlite_store_upgrades_an_older_one(tmp_path):
    path = str(tmp_path / "old.sqlite")
    store = SQLiteStore(path)
    store.create_dataset("e" * 24, "kept", True, {})
    row = LabelRow("s" * 24, 0, "gt", 0, "l" * 24, {"label": "cat", "confidence": 0.5})
    store.upsert_labels("e" * 24, [row])
    store.close()
    with sqlite3.connect(path) as conn:  # as version 1 was: no hot columns
        conn.execute("DROP INDEX labels_hot")
        for name in ("a_label", "a_confidence", "a_index"):
            conn.execute(f"ALTER TABLE labels DROP COLUMN {name}")
        conn.execute("CREATE INDEX labels_field ON labels(dataset_id, field, frame_number)")
        conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    store = SQLiteStore(path)
    assert store.label_value_counts("e" * 24, "gt", False, True, "label") == [("cat", 1)]
    store.close()
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        names = [r[0] for r in conn.execute("SELECT name FROM datasets")]
    assert int(version) == SQLITE_VERSION and names == ["kept"]
    assert "labels_hot" in indexes and "labels_field" not in indexes
    with sqlite3.connect(path) as conn:  # the label written before reads from the column
        assert conn.execute("SELECT a_label, a_confidence FROM labels").fetchall() == [("cat", 0.5)]
