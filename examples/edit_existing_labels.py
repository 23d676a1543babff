"""Edit an existing field with an explicit schema: its classes, its existing `iscrowd`
attribute, and a new free-text `note` attribute for the annotators."""

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-edit-existing", drop_existing_dataset=True
)
view = dataset.take(2, seed=7)

anno_key = "edit_existing"
classes = dataset.distinct("ground_truth.detections.label")
view.annotate(
    anno_key,
    label_schema={
        "ground_truth": {
            "type": "detections",
            "classes": classes,
            "attributes": {
                "iscrowd": {"type": "radio", "values": [0, 1], "default": 0},
                "note": {"type": "text"},
            },
        }
    },
    launch_editor=True,
)

input("Fix boxes and fill in notes in CVAT, complete the jobs, then press Enter ")

print(dataset.load_annotations(anno_key, cleanup=True))
dataset.delete_annotation_run(anno_key)
