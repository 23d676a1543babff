"""One run over two fields: the existing `ground_truth` boxes and a new `new_keypoints` field.

For existing fields only, `label_field=["ground_truth", "predictions"]` is the short form."""

import labelloop as ll
import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-multi-field", drop_existing_dataset=True
)
view = dataset.take(1, seed=11)
dataset.add_sample_field("new_keypoints", ll.Keypoints)  # declare the new field up front

anno_key = "two_fields"
label_schema = {
    "ground_truth": {},  # type, classes and attributes are read from the existing labels
    "new_keypoints": {"type": "keypoints", "classes": ["person", "cat"]},
}
view.annotate(anno_key, label_schema=label_schema, launch_editor=True)
print(dataset.get_annotation_info(anno_key))

input("Fix boxes and add keypoints in CVAT, complete the job, then press Enter ")

print(dataset.load_annotations(anno_key, cleanup=True))
dataset.delete_annotation_run(anno_key)
