"""labelloop: datasets, labels and the annotation loop with CVAT.

The public face of the package. Everything a user script needs is importable
from here; the subpackages hold the implementation.
"""

import labelloop._loading  # noqa: F401  (first: Ctrl-C while loading prints one line)
import labelloop.cvat.xml.image_dataset  # noqa: F401  (registers CVATImageDataset)
import labelloop.cvat.xml.video_dataset  # noqa: F401  (registers CVATVideoDataset)
import labelloop.evaluation  # noqa: F401  (registers evaluate_detections)
import labelloop.formats  # noqa: F401  (registers from_dir/export and the dataset types)
import labelloop.types  # noqa: F401  (labelloop.types.COCODetectionDataset, ...)
from labelloop.annotation.config import annotation_config  # also registers annotate() & co
from labelloop.app import Session, launch_app
from labelloop.core.catalog import (
    dataset_exists,
    delete_dataset,
    delete_non_persistent_datasets,
    list_datasets,
    load_dataset,
)
from labelloop.core.dataset import Dataset
from labelloop.core.expressions import ViewExpression, ViewField
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
    TemporalDetection,
    TemporalDetections,
)
from labelloop.core.metadata import ImageMetadata, Metadata, VideoMetadata
from labelloop.core.sample import Frame, Sample
from labelloop.core.view import DatasetView

__version__ = "0.1.0"

labelloop._loading.loaded()

__all__ = [
    "launch_app",
    "Session",
    "annotation_config",
    "Dataset",
    "DatasetView",
    "Frame",
    "ImageMetadata",
    "Metadata",
    "Sample",
    "VideoMetadata",
    "ViewExpression",
    "ViewField",
    "dataset_exists",
    "delete_dataset",
    "delete_non_persistent_datasets",
    "list_datasets",
    "load_dataset",
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
    "TemporalDetection",
    "TemporalDetections",
]
