"""Frame-level fields of videos: frames. schemas, index edits, dest_field, segmentation."""

from __future__ import annotations

import numpy as np
import pytest

import labelloop as ll
from tests.annotation.datasets import digest
from tests.annotation.memory_backend import SERVER


@pytest.fixture
def video_dataset(video_path):
    dataset = ll.Dataset()
    sample = ll.Sample(filepath=video_path)
    for number in (1, 2, 3):
        sample.frames[number] = ll.Frame(
            dets=ll.Detections(
                detections=[
                    ll.Detection(label="car", bounding_box=[0.1 * number, 0.1, 0.2, 0.2], index=1)
                ]
            ),
            seg=ll.Segmentation(mask=np.zeros((4, 4), np.uint8)),
        )
    dataset.add_sample(sample)
    yield dataset
    dataset.delete()


def test_frame_fields_merge_per_frame_with_index_restriction(video_dataset):
    dataset = video_dataset
    with pytest.raises(ValueError, match="'frames.dets' instead"):
        dataset.annotate("bad", label_field="dets", backend="memory")
    results = dataset.annotate(
        "v", label_field="frames.dets", backend="memory", allow_index_edits=False
    )
    sample = dataset.first()
    assert sorted(results.id_map["frames.dets"][sample.id]) == [1, 2, 3]
    frames = SERVER["v"]["labels"]["frames.dets"][sample.id]
    (box,) = frames[2].values()
    box["index"] = 5
    box["bounding_box"] = [0.4, 0.4, 0.1, 0.1]
    frames[3].clear()
    new = ll.Detection(label="car", bounding_box=[0, 0, 0.1, 0.1], index=2)
    frames[4] = {new.id: new}
    report = dataset.load_annotations("v", unexpected="ignore")
    assert report.fields["frames.dets"].to_dict() == {
        "added": 1,
        "deleted": 1,
        "edited": 1,
        "refused": {"index edit": 1},
    }
    merged = dataset.first().frames
    assert merged[2].dets.detections[0].index == 1
    assert merged[2].dets.detections[0].bounding_box == [0.4, 0.4, 0.1, 0.1]
    assert merged[3].dets is None or merged[3].dets.detections == []
    assert merged[4].dets.detections[0].id == new.id
    once = digest(dataset)
    dataset.load_annotations("v", unexpected="ignore")
    assert digest(dataset) == once
    stored = dataset.load_annotation_results("v", cache=False).id_map["frames.dets"]
    assert stored[sample.id][4] == [new.id]


def test_frame_segmentation_and_frame_dest_field(video_dataset):
    dataset = video_dataset
    dataset.annotate("s", label_field="frames.seg", backend="memory", mask_targets={1: "road"})
    sample = dataset.first()
    (painted,) = SERVER["s"]["labels"]["frames.seg"][sample.id][1].values()
    painted["mask"] = np.ones((4, 4), np.uint8)
    source = digest(dataset)
    dataset.load_annotations("s", dest_field="seg_edit", dry_run=False, unexpected="ignore")
    frames = dataset.first().frames
    assert frames[1].seg_edit.mask.sum() == 16 and frames[1].seg.mask.sum() == 0
    assert frames[2].seg_edit.id == frames[2].seg.id  # ids are unique per field: kept
    assert source != digest(dataset)
    report = dataset.load_annotations("s", unexpected="ignore")
    assert report.fields["frames.seg"].edited == 1
    assert dataset.first().frames[1].seg.mask.sum() == 16
