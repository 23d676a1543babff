"""Which processes use which datasets, so non-persistent ones can be removed.

Every process that opens a non-persistent dataset registers ``(pid, host)`` for
it (persistent ones are never cleaned up, so reading them never writes); at exit
it unregisters and deletes non-persistent datasets nobody else uses. A process
killed without running its exit hooks is detected later: any process calling
:func:`cleanup_stale` drops registrations of dead local pids first.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket

from labelloop.store.base import Store
from labelloop.store.config import get_store

logger = logging.getLogger(__name__)

HOST = socket.gethostname()
_OPENED: set[tuple[str, int]] = set()  # (dataset id, pid)
_CLEANED: set[int] = set()  # pids that already ran a stale cleanup


def register(store: Store, dataset_id: str) -> None:
    """Record that this process uses ``dataset_id``."""
    key = (dataset_id, os.getpid())
    if key not in _OPENED:
        store.register_user(dataset_id, os.getpid(), HOST)
        _OPENED.add(key)


def _alive(pid: int, host: str) -> bool:
    if host != HOST:
        return True  # cannot tell; keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_stale(verbose: bool = False, force: bool = False) -> None:
    """Delete non-persistent datasets whose registered processes are all gone."""
    pid = os.getpid()
    if pid in _CLEANED and not force:
        return
    _CLEANED.add(pid)
    store = get_store()
    for record in store.list_non_persistent():
        users = store.list_users(record.id)
        live = [(p, h) for p, h in users if _alive(p, h)]
        for p, h in set(users) - set(live):
            store.unregister_user(record.id, p, h)
        if not live:
            store.delete_dataset(record.id)
            (logger.info if verbose else logger.debug)("Deleted dataset '%s'", record.name)


@atexit.register
def _at_exit() -> None:
    pid = os.getpid()
    mine = [d for d, p in _OPENED if p == pid]
    if not mine:
        return
    try:
        store = get_store()
        for dataset_id in mine:
            store.unregister_user(dataset_id, pid, HOST)
            record = store.get_dataset(id=dataset_id)
            if record is not None and not record.persistent and not store.list_users(dataset_id):
                store.delete_dataset(dataset_id)
    except Exception:  # the interpreter is shutting down; never fail the exit
        logger.debug("Non-persistent dataset cleanup failed at exit", exc_info=True)
