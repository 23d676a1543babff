"""Bind a boolean label attribute to CVAT's occlusion toggle, so annotators set it with one
click in the editor instead of through an attribute menu."""

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-occlusion", drop_existing_dataset=True
)
view = dataset.take(1, seed=17)

anno_key = "occlusion"
view.annotate(
    anno_key,
    label_field="ground_truth",
    attributes={"occluded": {"type": "occluded"}},
    launch_editor=True,
)

input("Toggle occlusion on boxes in CVAT, complete the job, then press Enter ")

print(dataset.load_annotations(anno_key, cleanup=True))
print("occluded:", view.values("ground_truth.detections.occluded", unwind=True))
dataset.delete_annotation_run(anno_key)
