"""Read and write the "CVAT for images 1.1" and "CVAT for video 1.1" XML formats.

The reader streams records of CVAT's object model (``docs/architecture.md``)
from files of any size with entity features refused; the writer streams them
back out exactly as CVAT's exporter lays them out.
"""

from labelloop.cvat.xml.errors import CVATXMLError, UnsafeXMLError
from labelloop.cvat.xml.meta import (
    attribute_spec,
    immutable_attributes,
    label_spec,
    meta_labels,
    task_meta,
)
from labelloop.cvat.xml.reader import CVATDocument, iter_cvat_xml, load_cvat_xml
from labelloop.cvat.xml.writer import FORMAT_VERSION, CVATXMLWriter

__all__ = [
    "FORMAT_VERSION",
    "CVATDocument",
    "CVATXMLError",
    "CVATXMLWriter",
    "UnsafeXMLError",
    "attribute_spec",
    "immutable_attributes",
    "iter_cvat_xml",
    "label_spec",
    "load_cvat_xml",
    "meta_labels",
    "task_meta",
]
