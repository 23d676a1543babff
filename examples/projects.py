"""Organise runs in a CVAT project: the first run creates it, the second reuses its labels."""

import labelloop.zoo as llz

dataset = llz.load_zoo_dataset(
    "quickstart", dataset_name="example-projects", drop_existing_dataset=True
)
project_name = "labelloop-example-project"

# the first run creates the project with every class the field uses in the dataset
classes = dataset.distinct("ground_truth.detections.label")
first = dataset.take(1, seed=1)
results = first.annotate(
    "project_first", label_field="ground_truth", classes=classes, project_name=project_name
)
print("project id:", results.project_ids)

# the second run finds the project by name and uses its labels as the schema; labels of
# classes the project lacked would be left out of the upload with a warning (images only)
second = dataset.exclude(first.values("id")).take(1, seed=2)
second_results = second.annotate(
    "project_second", label_field="ground_truth", project_name=project_name
)
results.print_status()  # each task's link, to open in CVAT
second_results.print_status()

input("Annotate both tasks of the project in CVAT, complete the jobs, then press Enter ")

# the run that created the project deletes it once it is empty, so clean that one up last
for anno_key in ("project_second", "project_first"):
    print(anno_key, dataset.load_annotations(anno_key, cleanup=True))
    dataset.delete_annotation_run(anno_key)
