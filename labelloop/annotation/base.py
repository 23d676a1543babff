"""Base classes every annotation backend subclasses.

A backend ships three classes: an :class:`AnnotationBackendConfig` subclass
(named by ``config_cls`` in the annotation config; it names its backend class
in ``backend_cls``), an :class:`AnnotationBackend` subclass (capabilities,
upload, download) and an :class:`AnnotationResults` subclass (what a run keeps:
``id_map`` plus backend bookkeeping, JSON-serialisable). An optional
:class:`AnnotationAPI` subclass wraps the connection to the server.

``docs/architecture.md`` ("Annotation framework API") states the upload and
download contracts these classes rely on.
"""

from __future__ import annotations

import abc
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from labelloop.annotation.classpath import class_path, import_class
from labelloop.annotation.config import SECRET_PARAMS, is_secret, resolve_credentials
from labelloop.annotation.schema_io import deserialize_schema, serialize_schema
from labelloop.core import extensions

logger = logging.getLogger(__name__)

#: One downloaded chunk: ``(sample_id, {field: {return_type: value}})``.
SampleChunk = tuple[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class Skip:
    """Part of a run's download that could not be read: its labels stay as they are.

    ``source`` names what was unreadable (``"task 12"``, ``"task 12, job 40"``),
    ``reason`` why; ``frames`` is the ``(first, last)`` frame numbers of a video
    sample it covers, ``None`` for the whole sample.
    """

    source: str
    reason: str
    frames: tuple[int, int] | None = None

    def covers(self, frame: int | None) -> bool:
        """Whether the location (``None``: sample level) lies in the unread part."""
        if self.frames is None:
            return True
        return frame is not None and self.frames[0] <= frame <= self.frames[1]


class Unread(dict):
    """A sample's download (possibly empty) with the parts that could not be read.

    Backends yield it from :meth:`AnnotationBackend.iter_annotations` so the
    merge never takes what it could not read for a deletion.
    """

    def __init__(self, data: dict[str, Any] | None = None, skipped: Any = ()) -> None:
        super().__init__(data or {})
        self.skipped: list[Skip] = list(skipped)


def skips_of(chunk: Any) -> list[Skip]:
    """The unread parts a chunk carries (a plain dict: none)."""
    return list(getattr(chunk, "skipped", None) or ())


class AnnotationBackendConfig:
    """What a run needs to talk to its backend, minus credentials.

    Public attributes (set by subclasses in ``__init__``) are serialised into
    the run record; credential parameters (:data:`SECRET_PARAMS`) are kept
    apart and never serialised, shown or logged.
    """

    #: Dotted path (or class) of the :class:`AnnotationBackend` this config builds.
    backend_cls: ClassVar[str | type | None] = None
    #: Credential parameters this backend understands.
    credential_names: ClassVar[tuple[str, ...]] = SECRET_PARAMS
    #: Credentials that must be known before connecting (prompted for on a terminal).
    required_credentials: ClassVar[tuple[str, ...]] = ()
    #: Stored (non-secret) parameters a later session may override, e.g. a moved server's URL.
    session_params: ClassVar[tuple[str, ...]] = ("url",)

    def __init__(
        self,
        name: str,
        label_schema: dict[str, Any] | None,
        media_field: str = "filepath",
        **kwargs: Any,
    ) -> None:
        self.name = name
        self.label_schema = label_schema
        self.media_field = media_field
        self._credentials = {k: kwargs.pop(k) for k in list(kwargs) if k in self.credential_names}
        if kwargs:
            raise ValueError(
                f"Unknown parameter(s) {sorted(kwargs)} for annotation backend {name!r} "
                f"({type(self).__name__}); remove them or check their spelling"
            )

    @property
    def method(self) -> str:
        """The backend name (the reference system calls it ``method``)."""
        return self.name

    @property
    def credentials(self) -> dict[str, Any]:
        """A copy of the credentials currently held (never serialised)."""
        return dict(self._credentials)

    def load_credentials(self, **kwargs: Any) -> None:
        """Fill credentials: ``kwargs`` > held values > config file/env > terminal prompt.

        Non-secret keyword arguments that name a public attribute (e.g. ``url``)
        override the stored value for this session.
        """
        self.update_credentials(**kwargs)
        self._credentials.update(
            resolve_credentials(
                self.name,
                self.credential_names,
                {},
                self._credentials,
                required=self.required_credentials,
            )
        )

    def update_credentials(self, **kwargs: Any) -> None:
        """Apply explicitly given credentials/``url`` now; resolve the rest when connecting."""
        unknown = sorted(set(kwargs) - set(self.credential_names) - set(self.session_params))
        if unknown:
            raise ValueError(
                f"Unknown credential(s) {unknown} for backend {self.name!r}; expected some of "
                f"{sorted({*self.credential_names, *self.session_params})}"
            )
        for key, value in kwargs.items():
            if value is None:
                continue
            if key in self.credential_names:
                self._credentials[key] = value
            else:
                setattr(self, key, value)

    def build_backend(self) -> AnnotationBackend:
        """An instance of this config's backend class."""
        cls = self.backend_cls
        if isinstance(cls, str):
            cls = import_class(cls, f"backend_cls of {type(self).__name__}")
        if not (isinstance(cls, type) and issubclass(cls, AnnotationBackend)):
            raise ValueError(
                f"{type(self).__name__}.backend_cls must name an AnnotationBackend subclass, "
                f"not {self.backend_cls!r}"
            )
        return cls(self)

    def serialize(self) -> dict[str, Any]:
        """JSON-ready dict of the public attributes plus ``cls``; no credentials."""
        out: dict[str, Any] = {"cls": class_path(self), "type": "annotation", "method": self.name}
        for key, value in vars(self).items():
            if key.startswith("_") or is_secret(key):
                continue
            if key == "label_schema":
                value = serialize_schema(value)
            elif key == "url" and isinstance(value, str):
                value = strip_userinfo(value)
            out[key] = value
        return out

    @staticmethod
    def from_dict(data: dict[str, Any]) -> AnnotationBackendConfig:
        """Rebuild a config from :meth:`serialize` output."""
        data = dict(data)
        cls = import_class(data.pop("cls"), "annotation config class")
        data.pop("type", None)
        data.pop("method", None)
        if data.get("label_schema") is not None:
            data["label_schema"] = deserialize_schema(data["label_schema"])
        return cls(**data)

    def __repr__(self) -> str:
        return json.dumps(self.serialize(), indent=4, default=str)


def strip_userinfo(url: str) -> str:
    """``url`` without ``user:password@`` (never stored or shown)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


class AnnotationAPI:
    """A connection to an annotation server; ``with api:`` closes it on exit."""

    def close(self) -> None:
        """Release network resources (no-op by default)."""

    def __enter__(self) -> AnnotationAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AnnotationBackend(abc.ABC):
    """Capabilities plus the upload/download of one annotation service."""

    #: Media types the backend can annotate (``"image"``, ``"video"``, ...).
    supported_media_types: ClassVar[tuple[str, ...]] = ("image",)
    #: Label types accepted in schemas (see :data:`labelloop.annotation.schema.LABEL_TYPES`).
    supported_label_types: ClassVar[tuple[str, ...]] = ()
    #: Python types of scalar fields that can be annotated as ``"scalar"``.
    supported_scalar_types: ClassVar[tuple[type, ...]] = (bool, int, float, str)
    #: Attribute widget types (``text``, ``select``, ``radio``, ``checkbox``, ...).
    supported_attr_types: ClassVar[tuple[str, ...]] = ()
    #: Whether video tracks carry keyframe flags.
    supports_keyframes: ClassVar[bool] = False
    #: Whether sample-level fields of video samples can be annotated.
    supports_video_sample_fields: ClassVar[bool] = False
    #: Whether a run without any label field is refused.
    requires_label_schema: ClassVar[bool] = True
    #: Downloaded attributes that count as spatial properties (e.g. ``rotation``).
    spatial_attributes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: AnnotationBackendConfig) -> None:
        self.config = config
        self._api: AnnotationAPI | None = None

    # -- attribute widgets --------------------------------------------------

    def recommend_attr_tool(self, name: str, value: Any) -> dict[str, Any]:
        """The widget spec suggested for an existing attribute ``name`` holding ``value``."""
        types = self.supported_attr_types
        if isinstance(value, bool):
            if name == "occluded" and "occluded" in types:
                return {"type": "occluded"}
            if "checkbox" in types:
                return {"type": "checkbox", "values": [True, False]}
        elif isinstance(value, int) and name == "group_id" and "group_id" in types:
            return {"type": "group_id"}
        return {"type": "text", "values": []}

    def takes_classes_from_server(self) -> bool:
        """Whether this run's classes come from the server (e.g. an existing project), so
        ``annotate()`` may name no label field; each kind of label then lands where
        ``load_annotations(unexpected=...)`` says."""
        return False

    def requires_attr_values(self, attr_type: str) -> bool:
        """Whether specs of ``attr_type`` must list their ``values``."""
        return attr_type in ("select", "radio")

    def complete_attr_spec(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Fill in what the server needs but users may omit (``values`` of text/checkbox)."""
        if spec.get("type") == "text" and "values" not in spec:
            spec["values"] = []
        elif spec.get("type") == "checkbox" and not spec.get("values"):
            spec["values"] = [True, False]
        return spec

    # -- connection ---------------------------------------------------------

    def connect_to_api(self) -> AnnotationAPI | None:
        """The backend's API object (created once, then reused); ``None`` if it has none."""
        if self._api is None:
            self._api = self._connect_to_api()
        return self._api

    def _connect_to_api(self) -> AnnotationAPI | None:
        """Create the API object; backends with a server override this."""
        return None

    def use_api(self, api: AnnotationAPI) -> None:
        """Share an existing API object (e.g. one session for several runs)."""
        self._api = api

    def close(self) -> None:
        """Close the API connection, if any."""
        if self._api is not None:
            self._api.close()
            self._api = None

    def __enter__(self) -> AnnotationBackend:
        self.connect_to_api()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the run ------------------------------------------------------------

    @abc.abstractmethod
    def upload_annotations(
        self, samples: Any, anno_key: str, launch_editor: bool = False
    ) -> AnnotationResults:
        """Send ``samples`` (and the schema's existing labels) to the service.

        Returns results whose ``id_map`` records every uploaded label id. On
        failure it raises after deleting whatever it created on the server.
        """

    @abc.abstractmethod
    def download_annotations(self, results: AnnotationResults) -> dict[str, Any]:
        """The run's current annotations, in the nested layout of the download contract."""

    def iter_annotations(self, results: AnnotationResults) -> Iterator[SampleChunk]:
        """Downloaded annotations one sample at a time.

        The default regroups :meth:`download_annotations`; backends with huge
        runs override this to stream, since the merge consumes it chunk by chunk.
        """
        yield from regroup_by_sample(self.download_annotations(results))

    def abort_upload(self, samples: Any, anno_key: str, error: BaseException) -> None:
        """Called after :meth:`upload_annotations` raised: remove leftovers on the server.

        The default does nothing (uploads are expected to clean up themselves);
        backends that can leave partial state override it.
        """
        logger.debug(
            "Upload of run %r failed (%s); nothing to abort", anno_key, type(error).__name__
        )


def regroup_by_sample(annotations: dict[str, Any]) -> Iterator[SampleChunk]:
    """``{field: {type: {sample_id: v}}}`` -> ``(sample_id, {field: {type: v}})`` chunks."""
    per_sample: dict[str, dict[str, dict[str, Any]]] = {}
    for field, by_type in annotations.items():
        for return_type, by_sample in by_type.items():
            for sample_id, value in by_sample.items():
                per_sample.setdefault(sample_id, {}).setdefault(field, {})[return_type] = value
    yield from per_sample.items()


class AnnotationResults(abc.ABC):
    """What a run keeps: the uploaded label ids (``id_map``) and backend bookkeeping.

    Subclasses add their own public attributes and accept them as keyword
    arguments, so :meth:`to_dict`/:meth:`from_dict` round-trip them unchanged.
    """

    def __init__(
        self,
        samples: Any,
        config: AnnotationBackendConfig,
        anno_key: str,
        id_map: dict[str, Any],
        backend: AnnotationBackend | None = None,
    ) -> None:
        self._samples = samples
        self._config = config
        self._anno_key = anno_key
        self._backend = backend
        self.id_map = id_map

    @property
    def samples(self) -> Any:
        """The collection the results belong to (the whole dataset once reloaded)."""
        return self._samples

    @property
    def config(self) -> AnnotationBackendConfig:
        """The run's backend config."""
        return self._config

    @property
    def anno_key(self) -> str:
        """The run's key."""
        return self._anno_key

    @property
    def backend(self) -> AnnotationBackend:
        """The backend (built from the config on first use)."""
        if self._backend is None:
            self._backend = self._config.build_backend()
        return self._backend

    def connect_to_api(self) -> AnnotationAPI | None:
        """The backend's API object."""
        return self.backend.connect_to_api()

    def use_api(self, api: AnnotationAPI) -> None:
        """Share an existing API object."""
        self.backend.use_api(api)

    def launch_editor(self) -> None:
        """Open the backend's editor for this run, if it has one."""
        raise ValueError(f"Annotation backend {self._config.name!r} has no editor to launch")

    @abc.abstractmethod
    def cleanup(self) -> None:
        """Delete everything this run created on the annotation service."""

    def diff(self, dest_field: str | dict[str, str] | None = None) -> Any:
        """Dry run: what ``load_annotations`` would add, delete, edit and refuse, per field."""
        return extensions.call("diff_annotations", self, dest_field)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``cls``, the config (no credentials), every public attribute."""
        out: dict[str, Any] = {
            "cls": class_path(self),
            "anno_key": self._anno_key,
            "config": self._config.serialize(),
        }
        for key, value in vars(self).items():
            if not key.startswith("_"):
                out[key] = encode_id_map(value) if key == "id_map" else value
        return out

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        samples: Any,
        config: AnnotationBackendConfig | None = None,
        anno_key: str | None = None,
    ) -> AnnotationResults:
        """Rebuild results from :meth:`to_dict` output for ``samples`` (the class
        named by ``cls`` is used, so ``AnnotationResults.from_dict`` works for any backend)."""
        data = dict(data)
        target = import_class(data.pop("cls"), "annotation results class")
        stored_config = data.pop("config", None)
        stored_key = data.pop("anno_key", None)
        if config is None:
            if stored_config is None:
                raise ValueError("Stored annotation results lack their config")
            config = AnnotationBackendConfig.from_dict(stored_config)
        id_map = decode_id_map(data.pop("id_map", {}) or {})
        return target(samples, config, anno_key or stored_key, id_map, **data)

    def __enter__(self) -> AnnotationResults:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._backend is not None:
            self._backend.close()


def encode_id_map(id_map: dict[str, Any]) -> dict[str, Any]:
    """``id_map`` with frame numbers as strings (JSON object keys)."""
    return {
        field: {
            sid: ({str(f): v for f, v in entry.items()} if isinstance(entry, dict) else entry)
            for sid, entry in by_sample.items()
        }
        if isinstance(by_sample, dict)
        else by_sample
        for field, by_sample in id_map.items()
    }


def decode_id_map(id_map: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`encode_id_map`: frame numbers back to ints."""
    return {
        field: {
            sid: (
                {int(f): v for f, v in entry.items()}
                if isinstance(entry, dict) and field.startswith("frames.")
                else entry
            )
            for sid, entry in by_sample.items()
        }
        if isinstance(by_sample, dict)
        else by_sample
        for field, by_sample in id_map.items()
    }
