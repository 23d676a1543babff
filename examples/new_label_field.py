"""Annotate a field that does not exist yet: give its type and classes."""

import labelloop as ll
import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-new-field", drop_existing_dataset=True
)
view = dataset.take(1, seed=51)
dataset.add_sample_field("new_classifications", ll.Classifications)  # optional: fix its type

anno_key = "new_field"
label_schema = {
    "new_classifications": {"type": "classifications", "classes": ["dog", "cat", "person"]},
}
# the same as label_field="new_classifications", label_type="classifications", classes=[...]
view.annotate(anno_key, label_schema=label_schema, launch_editor=True)
print(dataset.get_annotation_info(anno_key))

input("Tag the image in CVAT, mark the job completed, then press Enter ")

report = dataset.load_annotations(anno_key, cleanup=True)
print(report)
print("new_classifications:", view.values("new_classifications"))
dataset.delete_annotation_run(anno_key)
