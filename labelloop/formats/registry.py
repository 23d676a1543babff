"""The registry of dataset types used by ``Dataset.from_dir()`` and ``export()``.

A dataset type is a subclass of :class:`DatasetType` that knows one on-disk
layout: ``read()`` yields the samples found in a directory and ``write()``
lays a collection out. Registering a type is one line, the decorator::

    @register_dataset_type
    class MyFormat(DatasetType):
        media_type = "image"
        def read(self, dataset_dir, **options): ...
        def write(self, samples, export_dir, label_field=None, **options): ...

after which ``labelloop.types.MyFormat`` and ``dataset_type="MyFormat"`` work
(the module must be imported when ``labelloop`` is, e.g. from its package).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

_TYPES: dict[str, type[DatasetType]] = {}

T = TypeVar("T", bound="type[DatasetType]")


@dataclass
class ImportedSample:
    """One sample read from disk: media path, sample fields and (videos) frame fields."""

    filepath: str
    fields: dict[str, Any] = field(default_factory=dict)
    frames: dict[int, dict[str, Any]] | None = None


class DatasetType:
    """Base of dataset types; subclasses implement :meth:`read` and/or :meth:`write`.

    Options of ``read``/``write`` must be explicit keyword parameters: they are
    checked against the signature before anything is created or written.
    """

    #: ``"image"`` or ``"video"``: the media the layout holds.
    media_type: ClassVar[str] = "image"

    def read(self, dataset_dir: Path, **options: Any) -> Iterator[ImportedSample]:
        """Yield the samples stored under ``dataset_dir``."""
        raise TypeError(f"{type(self).__name__} cannot be imported")

    def write(
        self,
        samples: Iterable[Any],
        export_dir: Path,
        label_field: str | None = None,
        **options: Any,
    ) -> None:
        """Write ``samples`` (a collection) under ``export_dir``."""
        raise TypeError(f"{type(self).__name__} cannot be exported")

    def dataset_properties(self) -> dict[str, Any]:
        """Dataset-level values found by the last :meth:`read` (e.g. ``classes``)."""
        return {}

    def check_options(self, method: str, options: dict[str, Any]) -> None:
        """Raise ``ValueError`` if ``method`` is unsupported or ``options`` has unknown names."""
        action = "import" if method == "read" else "export"
        if getattr(type(self), method) is getattr(DatasetType, method):
            raise ValueError(f"{type(self).__name__} does not support {action}")
        params = inspect.signature(getattr(self, method)).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return
        unknown = sorted(set(options) - set(params))
        if unknown:
            accepted = [n for n, p in params.items() if p.default is not p.empty]
            raise ValueError(
                f"{type(self).__name__} {action} does not accept "
                f"{', '.join(map(repr, unknown))}; accepted options: {', '.join(accepted)}"
            )


def register_dataset_type(cls: T) -> T:
    """Class decorator: make ``cls`` available by name and as ``labelloop.types.<Name>``."""
    if not (isinstance(cls, type) and issubclass(cls, DatasetType)):
        raise TypeError(f"register_dataset_type expects a DatasetType subclass, got {cls!r}")
    _TYPES[cls.__name__] = cls
    return cls


def dataset_types() -> dict[str, type[DatasetType]]:
    """All registered dataset types by name."""
    return dict(_TYPES)


def resolve_dataset_type(dataset_type: Any) -> DatasetType:
    """An instance of the type given as class, instance or (dotted) name."""
    if dataset_type is None:
        raise ValueError(
            f"dataset_type is required; use one of labelloop.types.{{{', '.join(sorted(_TYPES))}}}"
        )
    if isinstance(dataset_type, DatasetType):
        return dataset_type
    if isinstance(dataset_type, type) and issubclass(dataset_type, DatasetType):
        return dataset_type()
    if isinstance(dataset_type, str):
        name = dataset_type.rsplit(".", 1)[-1]
        if name in _TYPES:
            return _TYPES[name]()
    raise ValueError(
        f"Unknown dataset_type {dataset_type!r}; registered types: {', '.join(sorted(_TYPES))}"
    )
