"""Compatibility facade: the CVAT integration under the reference system's module path.

``import labelloop.utils.cvat as louc`` gives the names users of the reference
system's ``fiftyone.utils.cvat`` know.
"""

from labelloop.cvat.api import CVATAnnotationAPI
from labelloop.cvat.backend import CVATBackend, CVATBackendConfig
from labelloop.cvat.importer import import_annotations
from labelloop.cvat.results import CVATAnnotationResults

__all__ = [
    "CVATAnnotationAPI",
    "CVATAnnotationResults",
    "CVATBackend",
    "CVATBackendConfig",
    "import_annotations",
]
