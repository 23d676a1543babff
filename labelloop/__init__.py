"""labelloop: datasets, labels and the annotation loop with CVAT.

The public face of the package. Everything a user script needs is importable
from here; the subpackages hold the implementation.
"""

from labelloop.core.labels import (
    Classification,
    Classifications,
    Detection,
    Detections,
    Keypoint,
    Keypoints,
    Label,
    Polyline,
    Polylines,
    Segmentation,
)

__version__ = "0.1.0"

__all__ = [
    "Classification",
    "Classifications",
    "Detection",
    "Detections",
    "Keypoint",
    "Keypoints",
    "Label",
    "Polyline",
    "Polylines",
    "Segmentation",
]
