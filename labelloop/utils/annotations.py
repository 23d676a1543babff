"""Compatibility facade: the reference system's ``fiftyone.utils.annotations`` names.

``annotate(samples, anno_key, ...)`` and ``load_annotations(samples, anno_key, ...)``
are the module-level forms of the collection methods.
"""

from labelloop.annotation.api import (
    annotate,
    connect_to_api,
    load_annotation_results,
    load_annotations,
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
    "load_annotation_results",
    "load_annotations",
]
