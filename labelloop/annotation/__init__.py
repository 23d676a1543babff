"""The backend-neutral annotation framework.

Importing this package registers ``annotate``, ``load_annotations`` and
``load_annotation_results`` as collection methods (``labelloop`` imports it).
See ``docs/architecture.md`` ("Annotation framework API") for the contracts
backends implement.
"""

from labelloop.annotation.api import (
    annotate,
    connect_to_api,
    diff_annotations,
    load_annotation_results,
    load_annotations,
    record_run,
)
from labelloop.annotation.base import (
    AnnotationAPI,
    AnnotationBackend,
    AnnotationBackendConfig,
    AnnotationResults,
)
from labelloop.annotation.config import AnnotationConfig, annotation_config
from labelloop.annotation.merge import MergeReport

__all__ = [
    "AnnotationAPI",
    "AnnotationBackend",
    "AnnotationBackendConfig",
    "AnnotationConfig",
    "AnnotationResults",
    "MergeReport",
    "annotate",
    "annotation_config",
    "connect_to_api",
    "diff_annotations",
    "load_annotation_results",
    "load_annotations",
    "record_run",
]
