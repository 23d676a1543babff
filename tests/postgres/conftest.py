"""A PostgreSQL database per test session, or a clean skip when no server is reachable.

``.ci/run`` starts a throwaway server and sets ``LABELLOOP_TEST_POSTGRES_URI``
(a role allowed to create databases); each session works in its own fresh
database, dropped at the end.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest

ADMIN_URI = os.environ.get("LABELLOOP_TEST_POSTGRES_URI", "")


def with_database(uri: str, name: str) -> str:
    """``uri`` pointing at database ``name`` on the same server."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin():
    if not ADMIN_URI:
        pytest.skip("no PostgreSQL server: set LABELLOOP_TEST_POSTGRES_URI (.ci/run does)")
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (extra 'postgres')")
    try:
        return psycopg.connect(ADMIN_URI, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        pytest.skip("the PostgreSQL server of LABELLOOP_TEST_POSTGRES_URI is not reachable")


@pytest.fixture(scope="session")
def new_database():
    """A factory of fresh databases (dropped at the end of the session): returns URIs."""
    conn = _admin()
    made: list[str] = []

    def make() -> str:
        name = "labelloop_t_" + secrets.token_hex(4)
        conn.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return with_database(ADMIN_URI, name)

    yield make
    from labelloop.store import config

    for key, store in list(config._STORES.items()):
        if any(key[1].endswith("/" + name) for name in made):
            store.close()
            del config._STORES[key]
    for name in made:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


@pytest.fixture(scope="session")
def pg_uri(new_database):
    """The session's shared PostgreSQL database."""
    return new_database()


@pytest.fixture
def on_postgres(pg_uri, monkeypatch):
    """``LABELLOOP_DATABASE_URI`` points at the session's PostgreSQL database."""
    monkeypatch.setenv("LABELLOOP_DATABASE_URI", pg_uri)
    return pg_uri


@pytest.fixture
def memory_runs():
    """The in-memory annotation backend of the annotation tests, as ``backend="memory"``."""
    from labelloop.annotation.config import annotation_config
    from tests.annotation import memory_backend

    saved = {k: dict(v) for k, v in annotation_config.backends.items()}
    annotation_config.backends["memory"] = {"config_cls": memory_backend.CONFIG_CLS, "token": "t"}
    memory_backend.SERVER.clear()
    yield memory_backend.SERVER
    memory_backend.SERVER.clear()
    annotation_config.backends.clear()
    annotation_config.backends.update(saved)
