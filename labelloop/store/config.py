"""Which database the core uses: the configured URI and one store per process and URI.

``LABELLOOP_DATABASE_URI``, else ``database_uri`` in the config file, else an
SQLite file under ``LABELLOOP_DATABASE_DIR``. Engines are imported only when a
URI names them, so SQLite users never need psycopg.
"""

from __future__ import annotations

import json
import logging
import os

from labelloop.store.base import Store

logger = logging.getLogger(__name__)

_STORES: dict[tuple[int, str], Store] = {}


def database_dir() -> str:
    """Directory of the default database.

    ``LABELLOOP_DATABASE_DIR``, else ``LABELLOOP_HOME``, else ``~/.labelloop``.
    """
    path = (
        os.environ.get("LABELLOOP_DATABASE_DIR")
        or os.environ.get("LABELLOOP_HOME")
        or os.path.join("~", ".labelloop")
    )
    return os.path.abspath(os.path.expanduser(path))


def config_path() -> str:
    """The labelloop config file: ``LABELLOOP_CONFIG_PATH``, else ``<home>/config.json``."""
    home = os.environ.get("LABELLOOP_HOME") or os.path.join("~", ".labelloop")
    path = os.environ.get("LABELLOOP_CONFIG_PATH") or os.path.join(home, "config.json")
    return os.path.abspath(os.path.expanduser(path))


def _configured_uri() -> str | None:
    """``database_uri`` from the config file, if it sets one."""
    path = config_path()
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read the labelloop config file {path}: {error}") from None
    uri = config.get("database_uri") if isinstance(config, dict) else None
    if uri is not None and not isinstance(uri, str):
        raise ValueError(f"'database_uri' in {path} must be a string like 'postgresql://...'")
    if uri and "@" in uri and os.stat(path).st_mode & 0o077:
        logger.warning(
            "%s holds database credentials and other users may read it; run 'chmod 600 %s'",
            path,
            path,
        )
    return uri or None


def database_uri() -> str:
    """The configured database: ``LABELLOOP_DATABASE_URI``, else ``database_uri`` in the
    config file (:func:`config_path`), else an SQLite file in :func:`database_dir`."""
    uri = os.environ.get("LABELLOOP_DATABASE_URI") or _configured_uri()
    return uri or "sqlite:///" + os.path.join(database_dir(), "labelloop.sqlite")


def get_store() -> Store:
    """The store for the configured database, one per process and URI."""
    return open_store(database_uri())


def open_store(uri: str) -> Store:
    """The store for database ``uri`` (``sqlite:///...`` or ``postgresql://...``), one per process."""
    key = (os.getpid(), uri)
    store = _STORES.get(key)
    if store is None:
        if uri.startswith("sqlite:///"):
            from labelloop.store.sqlite import SQLiteStore

            store = SQLiteStore(uri[len("sqlite:///") :])
        elif uri.startswith(("postgresql://", "postgres://")):
            from labelloop.store.postgres import PostgresStore

            store = PostgresStore(uri)
        else:
            from labelloop.store.uri import redact_uri

            raise ValueError(
                f"Unsupported LABELLOOP_DATABASE_URI {redact_uri(uri)!r}; use "
                "'sqlite:///<path>' or 'postgresql://user:password@host:port/database' "
                "(or unset it to use LABELLOOP_DATABASE_DIR)"
            )
        _STORES[key] = store
    return store
