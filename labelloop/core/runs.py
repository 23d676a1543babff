"""Run records: one mechanism for evaluation and annotation runs.

A run is stored on its dataset under a key (a Python identifier) with its
type (``"evaluation"`` or ``"annotation"``), method, UTC timestamp, labelloop
version, JSON config, the serialized view it ran on, and a JSON results dict.
Results carry a ``"cls"`` dotted path; :func:`load_results` imports that class
and calls ``cls.from_dict(d, collection)``, so the core never imports the
layers that define results.

Higher layers use :func:`register_run`, :func:`save_results`,
:func:`load_results`, :func:`get_run`, :func:`list_runs`, :func:`rename_run`
and :func:`delete_run`; collections expose them under the spec's names.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import weakref
from typing import TYPE_CHECKING, Any

from labelloop.core.ids import new_id

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection

RUN_TYPES = ("evaluation", "annotation")

#: Loaded results objects per dataset object and key (``load_results(cache=True)``).
_CACHE: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


class RunInfo:
    """What is known about a run: key, type, method, timestamp, version, config, view."""

    def __init__(
        self,
        key: str,
        type: str,
        method: str | None,
        timestamp: dt.datetime,
        version: str,
        config: dict[str, Any],
        view_stages: list[dict[str, Any]],
    ) -> None:
        self.key = key
        self.type = type
        self.method = method
        self.timestamp = timestamp
        self.version = version
        self.config = config
        self.view_stages = view_stages

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (timestamp as ISO text)."""
        return {
            "key": self.key,
            "type": self.type,
            "method": self.method,
            "timestamp": self.timestamp.isoformat(),
            "version": self.version,
            "config": self.config,
            "view_stages": self.view_stages,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInfo:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            data["key"],
            data["type"],
            data.get("method"),
            dt.datetime.fromisoformat(data["timestamp"]),
            data.get("version", ""),
            data.get("config") or {},
            data.get("view_stages") or [],
        )

    def __str__(self) -> str:
        shown = {k: v for k, v in self.to_dict().items() if k != "view_stages"}
        return json.dumps(shown, indent=4, default=str)

    def __repr__(self) -> str:
        return f"<RunInfo {self.type} '{self.key}' method={self.method}>"


def validate_key(key: Any) -> str:
    """Return ``key`` if it is a valid Python identifier, else raise ``ValueError``."""
    if not isinstance(key, str) or not key.isidentifier():
        raise ValueError(
            f"Run keys must be valid Python identifiers (letters, digits, underscores, not "
            f"starting with a digit); got {key!r}"
        )
    return key


def _check_type(type: str) -> None:
    if type not in RUN_TYPES:
        raise ValueError(f"Run type must be one of {RUN_TYPES}, not {type!r}")


def register_run(
    collection: SampleCollection,
    type: str,
    key: str,
    config: dict[str, Any] | None = None,
    method: str | None = None,
    overwrite: bool = False,
) -> RunInfo:
    """Record a new run of ``collection`` (its view is serialized with it)."""
    from labelloop import __version__

    validate_key(key)
    _check_type(type)
    dataset = collection._dataset
    existing = dataset._store.get_run(dataset._id, key)
    if existing is not None and not overwrite:
        raise ValueError(
            f"A run with key '{key}' already exists on dataset '{dataset.name}'; "
            "choose another key or delete the existing run"
        )
    config = dict(config or {})
    json.dumps(config)  # fail early (before storing) on non-JSON configs
    info = RunInfo(
        key,
        type,
        method if method is not None else config.get("method"),
        dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        __version__,
        config,
        collection._serialize(),
    )
    dataset._store.save_run(dataset._id, key, type, info.to_dict(), None)
    _CACHE.get(dataset, {}).pop(key, None)
    return info


def _record(collection: SampleCollection, key: str, type: str | None) -> tuple[str, dict, Any]:
    dataset = collection._dataset
    record = dataset._store.get_run(dataset._id, key)
    if record is None or (type is not None and record[0] != type):
        kind = f"{type} run" if type else "run"
        raise ValueError(f"Dataset '{dataset.name}' has no {kind} with key '{key}'")
    return record


def get_run(collection: SampleCollection, key: str, type: str | None = None) -> RunInfo:
    """The :class:`RunInfo` of run ``key`` (``ValueError`` if absent or of another type)."""
    return RunInfo.from_dict(_record(collection, key, type)[1])


def has_run(collection: SampleCollection, key: str, type: str | None = None) -> bool:
    """Whether run ``key`` (of ``type``) exists."""
    dataset = collection._dataset
    record = dataset._store.get_run(dataset._id, key)
    return record is not None and (type is None or record[0] == type)


def list_runs(
    collection: SampleCollection,
    type: str | None = None,
    method: str | None = None,
    **config: Any,
) -> list[str]:
    """Sorted keys of runs, optionally of one type/method and matching config values."""
    dataset = collection._dataset
    keys = []
    for key, _, info in dataset._store.list_runs(dataset._id, type):
        if method is not None and info.get("method") != method:
            continue
        cfg = info.get("config") or {}
        if any(cfg.get(k) != v for k, v in config.items()):
            continue
        keys.append(key)
    return keys


def update_config(collection: SampleCollection, key: str, config: dict[str, Any]) -> None:
    """Replace the stored config of run ``key``."""
    dataset = collection._dataset
    run_type, info, results = _record(collection, key, None)
    info["config"] = config
    dataset._store.save_run(dataset._id, key, run_type, info, results)


def save_results(collection: SampleCollection, key: str, results: Any, cache: bool = True) -> None:
    """Store run results: a dict with ``"cls"``, or an object with ``to_dict()``.

    Each save gets a new ``results_version`` in the run info, so processes that
    cached older results notice and rebuild them.
    """
    dataset = collection._dataset
    run_type, info, _ = _record(collection, key, None)
    data = results.to_dict() if hasattr(results, "to_dict") else results
    if data is not None and (not isinstance(data, dict) or "cls" not in data):
        raise ValueError("Run results must be a dict with a 'cls' dotted path (or None)")
    info["results_version"] = version = new_id()
    dataset._store.save_run(dataset._id, key, run_type, info, data)
    cached = _CACHE.setdefault(dataset, {})
    if cache and data is not None and not isinstance(results, dict):
        cached[key] = (version, results)
    else:
        cached.pop(key, None)


def _stored_version(collection: SampleCollection, key: str) -> str | None:
    dataset = collection._dataset
    for run_key, _, info in dataset._store.list_runs(dataset._id):
        if run_key == key:
            return info.get("results_version")
    return None


def load_results(
    collection: SampleCollection, key: str, cache: bool = True, type: str | None = None
) -> Any:
    """The results of run ``key`` rebuilt via ``cls.from_dict(d, dataset)`` (or ``None``).

    With ``cache=True`` the same object is returned again while the stored
    results are unchanged (another process saving newer results invalidates it).
    """
    dataset = collection._dataset
    cached = _CACHE.get(dataset, {}).get(key)
    if cache and cached is not None and cached[0] == _stored_version(collection, key):
        return cached[1]
    _, info, data = _record(collection, key, type)
    if data is None:
        return None
    module_name, _, cls_name = data["cls"].rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"Cannot load results class {data['cls']!r} of run '{key}': {err}"
        ) from None
    results = cls.from_dict(data, dataset)
    if cache:
        _CACHE.setdefault(dataset, {})[key] = (info.get("results_version"), results)
    return results


def load_view(collection: SampleCollection, key: str, type: str | None = None) -> Any:
    """The view run ``key`` was made on, rebuilt from its serialized stages."""
    info = get_run(collection, key, type)
    return collection._dataset._load_view(info.view_stages)


def rename_run(
    collection: SampleCollection, key: str, new_key: str, type: str | None = None
) -> None:
    """Rename run ``key`` to ``new_key`` (which must be free and a valid identifier)."""
    validate_key(new_key)
    dataset = collection._dataset
    run_type, info, results = _record(collection, key, type)
    if dataset._store.get_run(dataset._id, new_key) is not None:
        raise ValueError(f"A run with key '{new_key}' already exists on dataset '{dataset.name}'")
    info["key"] = new_key
    with dataset._store.transaction():  # rename_run carries the run's per-sample documents
        dataset._store.rename_run(dataset._id, key, new_key)
        dataset._store.save_run(dataset._id, new_key, run_type, info, results)
    cached = _CACHE.get(dataset, {})
    if key in cached:
        cached[new_key] = cached.pop(key)


def delete_run(collection: SampleCollection, key: str, type: str | None = None) -> None:
    """Delete the record (and results) of run ``key``; labels are left as they are."""
    dataset = collection._dataset
    _record(collection, key, type)
    dataset._store.delete_run(dataset._id, key)
    _CACHE.get(dataset, {}).pop(key, None)


def save_run_docs(
    collection: SampleCollection, key: str, rows: list[tuple[str, int, dict[str, Any]]]
) -> None:
    """Store run ``key``'s ``(sample_id, frame_number, doc)`` rows (frame 0: sample level);
    they are renamed, copied and deleted with the run."""
    dataset = collection._dataset
    dataset._store.save_run_docs(dataset._id, key, rows)


def get_run_docs(
    collection: SampleCollection,
    key: str,
    sample_ids: list[str],
    frame_range: tuple[int, int] | None = None,
) -> list[tuple[str, int, dict[str, Any]]]:
    """Run ``key``'s rows of these samples (frames within ``frame_range``, inclusive)."""
    dataset = collection._dataset
    return dataset._store.get_run_docs(dataset._id, key, sample_ids, frame_range)


def has_run_docs(collection: SampleCollection, key: str) -> bool:
    """Whether run ``key`` keeps per-sample documents."""
    dataset = collection._dataset
    return dataset._store.has_run_docs(dataset._id, key)


def delete_runs(collection: SampleCollection, type: str | None = None) -> None:
    """Delete every run (of ``type``)."""
    for key in list_runs(collection, type):
        delete_run(collection, key)
