"""An in-memory annotation backend, registered purely by configuration.

"Uploading" copies the schema's labels into :data:`SERVER` (one state dict per
run); tests then play the annotator by editing ``SERVER[anno_key]["labels"]``
(and ``["unexpected"]``) before calling ``load_annotations``. Failures are
injected the same way: ``fail_upload=True`` in the config, or
``SERVER[key]["fail_after"] = n`` to break the download after ``n`` samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labelloop.annotation.base import (
    AnnotationAPI,
    AnnotationBackend,
    AnnotationBackendConfig,
    AnnotationResults,
    SampleChunk,
)
from labelloop.annotation.diff import items_of
from labelloop.annotation.schema import LABEL_TYPES, RETURN_TYPES
from labelloop.core.labels import LIST_LABELS, Label

#: anno_key -> {"labels": {field: {sample_id: ...}}, "unexpected": {...}, "fail_after": int|None}
SERVER: dict[str, dict[str, Any]] = {}
CONFIG_CLS = "tests.annotation.memory_backend.MemoryBackendConfig"


class MemoryAPI(AnnotationAPI):
    """Holds the token it was opened with; records that it was closed."""

    def __init__(self, token: str) -> None:
        self._token = token
        self.closed = False

    def close(self) -> None:
        self.closed = True


class MemoryBackendConfig(AnnotationBackendConfig):
    backend_cls = "tests.annotation.memory_backend.MemoryBackend"
    required_credentials = ("token",)

    def __init__(
        self,
        name: str,
        label_schema: dict[str, Any] | None,
        media_field: str = "filepath",
        url: str = "memory://default",
        fail_upload: bool = False,
        unstorable_results: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, label_schema, media_field, **kwargs)
        self.url = url
        self.fail_upload = fail_upload
        self.unstorable_results = unstorable_results


class MemoryBackend(AnnotationBackend):
    supported_media_types = ("image", "video")
    supported_label_types = tuple(LABEL_TYPES)
    supported_attr_types = ("text", "select", "radio", "checkbox", "occluded", "group_id")
    supports_keyframes = True

    def _connect_to_api(self) -> MemoryAPI:
        self.config.load_credentials()
        return MemoryAPI(self.config.credentials["token"])

    def upload_annotations(
        self, samples: Any, anno_key: str, launch_editor: bool = False
    ) -> AnnotationResults:
        from labelloop.annotation.collection import iter_field_values

        self.connect_to_api()
        state: dict[str, Any] = {"labels": {}, "unexpected": {}, "fail_after": None}
        SERVER[anno_key] = state
        id_map: dict[str, Any] = {}
        for field, spec in self.config.label_schema.items():
            stored = state["labels"][field] = {}
            ids = id_map[field] = {}
            for sample_id, value in iter_field_values(samples, field):
                if field.startswith("frames."):
                    stored[sample_id] = {f: _upload(spec, v) for f, v in value.items()}
                    ids[sample_id] = {f: _entry(spec, v) for f, v in value.items()}
                else:
                    stored[sample_id] = _upload(spec, value)
                    ids[sample_id] = _entry(spec, value)
        if self.config.fail_upload:
            raise RuntimeError("the memory server refused the task")
        results = MemoryResults(samples, self.config, anno_key, id_map, backend=self)
        if self.config.unstorable_results:
            results.server_handle = object()  # not JSON: recording the run must fail
        return results

    def abort_upload(self, samples: Any, anno_key: str, error: BaseException) -> None:
        SERVER.pop(anno_key, None)

    def download_annotations(self, results: AnnotationResults) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sample_id, chunk in MemoryBackend.iter_annotations(self, results):
            for field, by_type in chunk.items():
                for return_type, value in by_type.items():
                    out.setdefault(field, {}).setdefault(return_type, {})[sample_id] = value
        return out

    def iter_annotations(self, results: AnnotationResults) -> Iterator[SampleChunk]:
        state = SERVER[results.anno_key]
        per_sample: dict[str, dict[str, dict[str, Any]]] = {}
        for field, by_sample in state["labels"].items():
            return_type = RETURN_TYPES[self.config.label_schema[field]["type"]]
            for sample_id, value in by_sample.items():
                if value is None or value == {}:
                    continue
                per_sample.setdefault(sample_id, {}).setdefault(field, {})[return_type] = value
        for field, by_type in state["unexpected"].items():
            for return_type, by_sample in by_type.items():
                for sample_id, value in by_sample.items():
                    per_sample.setdefault(sample_id, {}).setdefault(field, {})[return_type] = value
        for count, item in enumerate(per_sample.items()):
            if state["fail_after"] is not None and count >= state["fail_after"]:
                raise ConnectionError("the memory server went away mid-download")
            yield item


class WholeDownloadBackend(MemoryBackend):
    """Like :class:`MemoryBackend` but without streaming: only ``download_annotations``."""

    iter_annotations = AnnotationBackend.iter_annotations


class WholeDownloadConfig(MemoryBackendConfig):
    backend_cls = "tests.annotation.memory_backend.WholeDownloadBackend"


class MemoryResults(AnnotationResults):
    def cleanup(self) -> None:
        SERVER.pop(self.anno_key, None)
        self.id_map = {}


def _upload(spec: dict[str, Any], value: Any) -> Any:
    """What the server holds for one sample/frame: scalars as is, labels by id."""
    if spec["type"] == "scalar":
        return value
    return {item.id: item.copy() for item in items_of(value)}


def _entry(spec: dict[str, Any], value: Any) -> Any:
    if spec["type"] == "scalar":
        return True if value is not None else None
    if LABEL_TYPES[spec["type"]] in LIST_LABELS:
        return [item.id for item in items_of(value)]
    return value.id if isinstance(value, Label) else None
