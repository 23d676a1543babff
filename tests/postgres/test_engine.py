"""The PostgreSQL engine behind the store interface: same answers as SQLite, no leaked secrets."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.store import config
from labelloop.store.transfer import copy_dataset
from labelloop.store.uri import redact_uri
from tests.postgres.conftest import with_database

VALUES = [3, 2.5, -1, 0, "a", "B", "ab", True, False, None, "missing", float("nan"), 10**6]


def _build(name: str) -> ll.Dataset:
    """Labels whose ``score`` has every JSON type, plus a second field and frame-free samples."""
    dataset = ll.Dataset(name)
    samples = []
    for i in range(len(VALUES)):
        dets = []
        for j, value in enumerate(VALUES[i:] + VALUES[:i]):
            det = ll.Detection(label=f"c{j % 3}", bounding_box=[0.1, 0.1, 0.2, 0.2])
            if value != "missing":
                det["score"] = value
            dets.append(det)
        samples.append(ll.Sample(f"/img/{i}.jpg", gt=ll.Detections(detections=dets), rank=i))
    dataset.add_samples(samples)
    return dataset


EXPRESSIONS = [
    F("score") > 1,
    F("score") <= 0,
    F("score") == 2.5,
    F("score") != 3,
    F("score") == "a",
    F("score") < "b",
    F("score") == True,  # noqa: E712  (a view expression, not a Python comparison)
    F("score") != None,  # noqa: E711
    F("score") == None,  # noqa: E711
    F("score").is_in([3, -1, 10**6]),
    F("score").is_in(["a", "ab"]),
    F("score").exists(),
    ~F("score").exists(),
    (F("score") > 0) & (F("label") == "c1"),
    (F("score") == "B") | ~(F("label") != "c2"),
    F("label").is_in(["c0"]),
]


@pytest.fixture
def twin_datasets(on_postgres, monkeypatch, tmp_path):
    """The same dataset on SQLite and on PostgreSQL."""
    pg = _build("pg-twin")
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", f"sqlite:///{tmp_path}/twin.sqlite")
    lite = _build("lite-twin")
    yield lite, pg
    pg.delete()
    lite.delete()


def test_compiled_filters_give_the_same_labels_on_both_engines(twin_datasets):
    lite, pg = twin_datasets
    for expr in EXPRESSIONS:
        assert pg._store.can_compile(expr._serialize()), expr  # the engine's SQL is what runs
        on_lite = lite.filter_labels("gt", expr, only_matches=False)
        on_pg = pg.filter_labels("gt", expr, only_matches=False)
        assert on_lite.count("gt.detections") == on_pg.count("gt.detections"), expr
        scores = on_lite.values("gt.detections.score")
        assert _same(scores, on_pg.values("gt.detections.score")), expr
        assert on_lite.values("gt.detections.label") == on_pg.values("gt.detections.label"), expr
    assert lite.values("rank") == pg.values("rank")
    assert lite.count_values("gt.detections.label") == pg.count_values("gt.detections.label")


def _same(a, b) -> bool:
    return repr(a) == repr(b)  # NaN == NaN by text; keeps int/float/bool distinct


def test_field_edits_keep_documents_and_order(on_postgres):
    dataset = ll.Dataset("pg-fields")
    dataset.add_samples(
        [ll.Sample(f"/f/{i}.jpg", zeta=i, alpha={"x": i}, mid=str(i)) for i in range(5)]
    )
    dataset.rename_sample_field("zeta", "omega")
    dataset.delete_sample_field("mid")
    assert dataset.values("omega") == list(range(5))
    assert dataset.values("alpha") == [{"x": i} for i in range(5)]
    assert "mid" not in dataset.get_field_schema()
    names = ["b_x", "b", "B", "a-1", "a_1", "a1"]
    for name in names:
        ll.Dataset(name).persistent = True
    listed = [n for n in ll.list_datasets() if n in names]
    assert listed == sorted(names)  # byte order, whatever the server's locale
    for name in names:
        ll.load_dataset(name).delete()
    dataset.delete()


def _password(uri: str) -> str:
    password = urlsplit(uri).password
    assert password, "the test server must use a password"
    return password


def test_passwords_never_reach_logs_reprs_or_errors(on_postgres, caplog, tmp_path):
    secret = _password(on_postgres)
    caplog.set_level(logging.DEBUG)
    store = config.get_store()
    dataset = ll.Dataset("pg-credentials")
    dataset.add_sample(ll.Sample("/s/1.jpg"))
    target = copy_dataset("pg-credentials", f"sqlite:///{tmp_path}/copy.sqlite", new_name="copied")
    assert target == "copied"
    assert secret not in repr(store) and "***" in repr(store)
    from labelloop.store.postgres import PostgresStore

    wrong = on_postgres.replace(f":{secret}@", ":Wr0ng-pa55word@")
    with pytest.raises(ConnectionError) as info:
        PostgresStore(wrong)
    assert "Wr0ng-pa55word" not in str(info.value) and "***" in str(info.value)
    with pytest.raises(ValueError) as info:
        config.open_store("mysql://user:Wr0ng-pa55word@db.example/x")
    assert "Wr0ng-pa55word" not in str(info.value)
    with pytest.raises(ValueError) as info:
        copy_dataset("no-such-dataset", with_database(on_postgres, "elsewhere"))
    assert secret not in str(info.value)
    assert caplog.records and secret not in caplog.text and "Wr0ng-pa55word" not in caplog.text
    dataset.delete()


def test_redact_uri_masks_every_password_form():
    assert redact_uri("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact_uri("postgresql://u@h/db?password=x&sslmode=require") == (
        "postgresql://u@h/db?password=***&sslmode=require"
    )
    assert redact_uri("sqlite:////tmp/a.sqlite") == "sqlite:////tmp/a.sqlite"
