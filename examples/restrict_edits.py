"""Let annotators fill in attributes only: no new or deleted boxes, no moved boxes, and the
existing `iscrowd` values are read-only. Refused changes are reported, never applied."""

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-restrict", drop_existing_dataset=True
)
view = dataset.take(1, seed=3)

anno_key = "restricted"
view.annotate(
    anno_key,
    label_field="ground_truth",
    attributes={
        "iscrowd": {"type": "text", "read_only": True},
        "pose": {"type": "select", "values": ["front", "side", "back"]},
    },
    allow_additions=False,
    allow_deletions=False,
    allow_spatial_edits=False,
    launch_editor=True,
)

input("Set poses in CVAT (boxes are locked), complete the job, then press Enter ")

report = dataset.load_annotations(anno_key, cleanup=True)
print(report)
print("refused:", [(r.reason, r.label_id) for r in report.refused])
dataset.delete_annotation_run(anno_key)
