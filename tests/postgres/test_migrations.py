"""Versioned schemas on both engines: older stores are upgraded on open, newer ones refused."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
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
        conn.execute("DROP INDEX labels_hot")
        conn.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    store = _open(uri)
    assert store.stored_version() == pg_schema.SCHEMA_VERSION
    assert store.get_dataset("kept").doc == {"info": {"a": 1}}  # data survives the upgrade
    store.close()
    with _connect(uri) as conn:
        assert _index_exists(conn, "labels_hot") and not _index_exists(conn, "labels_field")


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
    rows = [  # a list of one label, with its container
        LabelRow("s" * 24, 0, "gt", -1, "c" * 24, {"_cls": "Detections"}),
        LabelRow("s" * 24, 0, "gt", 0, "l" * 24, {"label": "cat", "confidence": 0.5}),
    ]
    store.upsert_labels("e" * 24, rows)
    store.close()
    with sqlite3.connect(path) as conn:  # as version 1 was: no hot columns, no counts
        conn.execute("DROP INDEX labels_hot")
        conn.execute("DROP INDEX labels_lists")
        for name in ("a_label", "a_confidence", "a_index", "items", "item_labels"):
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
        found = conn.execute("SELECT a_label, a_confidence FROM labels WHERE position = 0")
        assert found.fetchall() == [("cat", 0.5)]


def test_sqlite_file_of_schema_4_loses_its_label_order_index(tmp_path):
    path = str(tmp_path / "v4.sqlite")
    store = SQLiteStore(path)
    store.create_dataset("e" * 24, "kept", True, {})
    rows = [LabelRow("s" * 24, 0, "gt", -1, "c" * 24, {"_cls": "Detections"})] + [
        LabelRow("s" * 24, 0, "gt", k, f"{k:024d}", {"label": "cat" if k % 3 else "dog"})
        for k in range(5)
    ]
    store.upsert_labels("e" * 24, rows)
    store.close()
    with sqlite3.connect(path) as conn:  # as version 4 was
        conn.execute(
            "CREATE INDEX labels_values ON labels(dataset_id, field, frame_number, a_label, "
            "a_confidence, a_index, position)"
        )
        conn.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    store = SQLiteStore(path)
    counts = dict(store.label_value_counts("e" * 24, "gt", False, True, "label"))
    store.close()
    assert counts == {"cat": 3, "dog": 2}
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert int(version) == SQLITE_VERSION == 7
    assert "labels_hot" in indexes and "labels_values" not in indexes


# -- v3: label ids unique within a field (was: across the dataset) ------------------------


_MAKE = """
import labelloop as ll
images = ll.Dataset(NAME, persistent=True)
images.add_sample(ll.Sample("/data/a.jpg", gt=ll.Detections(detections=[ll.Detection(label="cat")])))
video = ll.Sample("/data/v.mp4")
video.frames[1]["gt"] = ll.Detections(detections=[ll.Detection(label="car")])
video.frames[2]["weather"] = ll.Classification(label="rain")
ll.Dataset(NAME + "-video", persistent=True).add_sample(video)
"""


def _datasets_on(uri: str, monkeypatch, name: str) -> None:
    """Persistent image and video datasets with labels on ``uri``, written by another
    process (which then exits), and this process pointed at ``uri``."""
    env = {**os.environ, "LABELLOOP_DATABASE_URI": uri}
    subprocess.run(
        [sys.executable, "-c", f"NAME = {name!r}\n" + _MAKE], env=env, check=True, timeout=120
    )
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", uri)


def _check_upgraded(name: str) -> None:
    """The dataset kept every label, and a field copy now keeps both fields."""
    import labelloop as ll

    images, videos = ll.load_dataset(name), ll.load_dataset(name + "-video")
    image, video = images.first(), videos.first()
    assert [d.label for d in image.gt.detections] == ["cat"]
    assert video.frames[1]["gt"].detections[0].label == "car"
    assert video.frames[2]["weather"].label == "rain"
    image["pred"] = image.gt.copy()
    video.frames[1]["pred"] = video.frames[1]["gt"].copy()
    image.save()
    video.save()
    assert images.values("gt.detections.label") == [["cat"]]
    assert images.values("pred.detections.id") == images.values("gt.detections.id")
    assert videos.values("frames.gt.detections.label") == [[["car"], None]]
    assert videos.values("frames.pred.detections.id") == videos.values("frames.gt.detections.id")
    images.delete()
    videos.delete()


def test_sqlite_file_of_schema_1_is_upgraded_to_ids_unique_per_field(tmp_path, monkeypatch):
    path = tmp_path / "v1.sqlite"
    uri = f"sqlite:///{path}"
    _datasets_on(uri, monkeypatch, "old-sqlite")
    with sqlite3.connect(path) as conn:  # the labels table as labelloop 1 wrote it
        conn.executescript(
            """
            CREATE TABLE labels_v1(
                dataset_id TEXT NOT NULL, id TEXT NOT NULL, sample_id TEXT NOT NULL,
                frame_number INTEGER NOT NULL, field TEXT NOT NULL, position INTEGER NOT NULL,
                data TEXT NOT NULL, PRIMARY KEY(dataset_id, id));
            INSERT INTO labels_v1 SELECT dataset_id, id, sample_id, frame_number, field,
                position, data FROM labels;
            DROP TABLE labels;
            ALTER TABLE labels_v1 RENAME TO labels;
            CREATE INDEX labels_loc ON labels(dataset_id, sample_id, field, frame_number, position);
            CREATE INDEX labels_field ON labels(dataset_id, field, frame_number);
            UPDATE meta SET value='1' WHERE key='schema_version';
            """
        )
        count = conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
    _check_upgraded("old-sqlite")
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        table = conn.execute("SELECT sql FROM sqlite_master WHERE name='labels'").fetchone()[0]
    assert int(version) == SQLITE_VERSION and count == 5
    assert {"labels_key", "labels_loc", "labels_hot"} <= indexes
    assert "PRIMARY KEY" not in table


def test_postgres_database_of_schema_1_is_upgraded_to_ids_unique_per_field(
    new_database, monkeypatch
):
    uri = new_database()
    _datasets_on(uri, monkeypatch, "old-postgres")
    with _connect(uri) as conn:  # the key and columns labelloop 1 made
        conn.execute("DROP INDEX labels_key")
        conn.execute("ALTER TABLE labels ADD PRIMARY KEY (dataset_id, id)")
        for name in ("a_label", "a_confidence", "a_index", "items", "item_labels"):
            conn.execute(f"ALTER TABLE labels DROP COLUMN {name}")
        conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
        count = conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
    _check_upgraded("old-postgres")
    with _connect(uri) as conn:
        assert _index_exists(conn, "labels_key") and not _index_exists(conn, "labels_pkey")
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == pg_schema.SCHEMA_VERSION == 6 and count == 5


# -- v6 (SQLite) / v4 (PostgreSQL): the item count of each list --------------------------


_LISTS = """
import labelloop as ll
ds = ll.Dataset(NAME, persistent=True)
ds.add_samples([
    ll.Sample(f"/data/{i}.jpg", gt=ll.Detections(detections=[ll.Detection() for _ in range(i % 4)]))
    for i in range(9)
] + [ll.Sample("/data/none.jpg")])
"""


def _check_counts(name: str) -> None:
    """Views on list lengths (read from the counts the upgrade filled) equal Python's."""
    import labelloop as ll
    from labelloop import ViewField as F

    ds = ll.load_dataset(name)
    lengths = [len(d) if d is not None else 0 for d in ds.values("gt.detections")]
    assert sorted(lengths) == [0, 0, 0, 0, 1, 1, 2, 2, 3, 3]
    for k in range(4):
        got = ds.match(F("gt.detections").length() > k).values("filepath")
        assert got == [p for p, n in zip(ds.values("filepath"), lengths) if n > k]
    order = ds.sort_by(F("gt.detections").length()).values("filepath")
    assert order == [p for p, _ in sorted(zip(ds.values("filepath"), lengths), key=lambda t: t[1])]
    ds.delete()


def _lists_on(uri: str, monkeypatch, name: str, script: str = _LISTS) -> None:
    """Make dataset ``name`` with ``script`` in a process of its own, at ``uri``."""
    env = {**os.environ, "LABELLOOP_DATABASE_URI": uri}
    subprocess.run(
        [sys.executable, "-c", f"NAME = {name!r}\n" + script], env=env, check=True, timeout=120
    )
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", uri)


def test_sqlite_file_of_schema_5_gets_the_counts_of_its_lists(tmp_path, monkeypatch):
    path = tmp_path / "v5.sqlite"
    _lists_on(f"sqlite:///{path}", monkeypatch, "lists-sqlite")
    with sqlite3.connect(path) as conn:  # as version 5 was: no counts
        conn.execute("DROP INDEX labels_lists")
        conn.execute("ALTER TABLE labels DROP COLUMN items")
        conn.execute("ALTER TABLE labels DROP COLUMN item_labels")
        conn.execute("UPDATE meta SET value='5' WHERE key='schema_version'")
    _check_counts("lists-sqlite")
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == SQLITE_VERSION == 7


def test_postgres_database_of_schema_3_gets_the_counts_of_its_lists(new_database, monkeypatch):
    uri = new_database()
    _lists_on(uri, monkeypatch, "lists-postgres")
    with _connect(uri) as conn:  # as version 3 was: no counts
        conn.execute("ALTER TABLE labels DROP COLUMN items")
        conn.execute("ALTER TABLE labels DROP COLUMN item_labels")
        conn.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    _check_counts("lists-postgres")
    with _connect(uri) as conn:
        assert _index_exists(conn, "labels_items")
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == pg_schema.SCHEMA_VERSION == 6


# -- v5 (PostgreSQL): a covering index of labels in sample order -------------------------


def test_postgres_database_of_schema_4_gets_the_covering_label_index(new_database, monkeypatch):
    uri = new_database()
    _lists_on(uri, monkeypatch, "hot-postgres")
    with _connect(uri) as conn:  # as version 4 was
        conn.execute("DROP INDEX labels_hot")
        conn.execute("ALTER TABLE labels DROP COLUMN item_labels")
        conn.execute("CREATE INDEX labels_field ON labels(dataset_id, field, frame_number)")
        conn.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    import labelloop as ll

    ds = ll.load_dataset("hot-postgres")
    for sample in ds.iter_samples(autosave=True):  # strings among missing labels
        if sample.gt is not None and len(sample.gt.detections) > 1:
            sample.gt.detections[1].label = "dog"
    walked = [None if s.gt is None else [(d.id, d.label) for d in s.gt.detections] for s in ds]
    ids, labels = ds.values("gt.detections.id"), ds.values("gt.detections.label")
    assert [None if i is None else list(zip(i, v)) for i, v in zip(ids, labels)] == walked
    with _connect(uri) as conn:
        assert _index_exists(conn, "labels_hot") and not _index_exists(conn, "labels_field")
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == pg_schema.SCHEMA_VERSION == 6
    ds.delete()


# -- v7 (SQLite) / v6 (PostgreSQL): the items' labels kept in each list ------------------


_LABELLED = """
import labelloop as ll
names = ["cat", "dog", "a\x1fb", None, ""]
ds = ll.Dataset(NAME, persistent=True)
ds.add_samples([
    ll.Sample(f"/data/{i}.jpg", gt=ll.Detections(detections=[
        ll.Detection(label=names[(i + k) % 5] if i % 3 else "cat") for k in range(i % 4)
    ]))
    for i in range(12)
] + [ll.Sample("/data/none.jpg")])
"""


def _check_labels(name: str) -> None:
    """``values`` of the lists' labels (read from the texts the upgrade kept) equal the
    samples', before and after an edit."""
    import labelloop as ll

    ds = ll.load_dataset(name)
    for _ in range(2):
        walked = [None if s.gt is None else [d.label for d in s.gt.detections] for s in ds]
        assert ds.values("gt.detections.label") == walked
        assert walked.count(None) == 1 and [] in walked
        for sample in ds.iter_samples(autosave=True):
            if sample.gt is not None and sample.gt.detections:
                sample.gt.detections[0].label = "edited"
    ds.delete()


def test_sqlite_file_of_schema_6_keeps_the_labels_of_its_lists(tmp_path, monkeypatch):
    path = tmp_path / "v6.sqlite"
    _lists_on(f"sqlite:///{path}", monkeypatch, "labels-sqlite", _LABELLED)
    with sqlite3.connect(path) as conn:  # as version 6 was: counts, no texts
        conn.execute("DROP INDEX labels_lists")
        conn.execute("ALTER TABLE labels DROP COLUMN item_labels")
        conn.execute(
            "CREATE INDEX labels_items ON labels(dataset_id, field, frame_number, items, "
            "sample_id) WHERE position = -1"
        )
        conn.execute("UPDATE meta SET value='6' WHERE key='schema_version'")
    _check_labels("labels-sqlite")
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert int(version) == SQLITE_VERSION == 7
    assert "labels_lists" in indexes and "labels_items" not in indexes


def test_postgres_database_of_schema_5_keeps_the_labels_of_its_lists(new_database, monkeypatch):
    uri = new_database()
    _lists_on(uri, monkeypatch, "labels-postgres", _LABELLED)
    with _connect(uri) as conn:  # as version 5 was: counts, no texts
        conn.execute("ALTER TABLE labels DROP COLUMN item_labels")
        conn.execute("UPDATE meta SET value='5' WHERE key='schema_version'")
    _check_labels("labels-postgres")
    with _connect(uri) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == pg_schema.SCHEMA_VERSION == 6
